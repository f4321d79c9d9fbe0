import { join } from 'node:path';
import { launchOnFreePorts } from './launch.js';
import type { ManagedProcess, ProcessSet } from './process.js';

export interface Etcd {
  proc: ManagedProcess;
  clientUrl: string;
}

/** A single-member etcd on loopback, plain HTTP, data in `dir`, fsync off (throwaway data). */
export async function startEtcd(
  binary: string,
  dir: string,
  processes: ProcessSet,
  timeoutMs: number,
): Promise<Etcd> {
  const { proc, ports } = await launchOnFreePorts({
    name: 'etcd',
    portCount: 2,
    timeoutMs,
    spawn: ([client, peer]) => {
      const clientUrl = `http://127.0.0.1:${client}`;
      const peerUrl = `http://127.0.0.1:${peer}`;
      return processes.spawn({
        name: 'etcd',
        command: binary,
        args: [
          '--name=default',
          `--data-dir=${join(dir, 'etcd-data')}`,
          `--listen-client-urls=${clientUrl}`,
          `--advertise-client-urls=${clientUrl}`,
          `--listen-peer-urls=${peerUrl}`,
          `--initial-advertise-peer-urls=${peerUrl}`,
          `--initial-cluster=default=${peerUrl}`,
          '--unsafe-no-fsync',
          '--log-level=warn',
        ],
        logPath: join(dir, 'etcd.log'),
      });
    },
    ready: async ([client]) => {
      const response = await fetch(`http://127.0.0.1:${client}/health`, {
        signal: AbortSignal.timeout(2_000),
      });
      return response.ok && ((await response.json()) as { health?: string }).health === 'true';
    },
  });
  return { proc, clientUrl: `http://127.0.0.1:${ports[0]}` };
}
