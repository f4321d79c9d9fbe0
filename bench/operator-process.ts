import { spawn, type ChildProcess } from 'node:child_process';
import type { LogtoEmulator } from '../test/emulator/index.js';
import { freePort } from '../test/support/control-plane/ports.js';

/**
 * The environment of an operator process a bench starts, as a Deployment configures it: the
 * kubeconfig, the emulator as its Logto tenant, and the bench's own settings (flags' env names).
 * MALLOC_ARENA_MAX is passed through when the bench has it, to compare the allocator's settings.
 */
export function operatorProcessEnv(
  kubeconfigPath: string,
  logto: LogtoEmulator,
  settings: Record<string, string>,
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ...(process.env.MALLOC_ARENA_MAX ? { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX } : {}),
    KUBECONFIG: kubeconfigPath,
    LOGTO_ENDPOINT: logto.endpoint,
    LOGTO_RESOURCE: logto.resourceIndicator,
    LOGTO_CLIENT_ID: logto.credentials.clientId,
    LOGTO_CLIENT_SECRET: logto.credentials.clientSecret,
    ...settings,
  };
}

export interface BenchOperator {
  child: ChildProcess;
  exited: Promise<unknown>;
  healthPort: number;
  /** Plain-HTTP /metrics on loopback. */
  metricsPort: number;
  /** Resources ("namespace/name") the process logged a finished pass of. */
  reconciled: Set<string>;
}

/**
 * An operator process for a bench (`node <args>` in `cwd`): no leader election, info logs read for
 * its passes, probes and plain-HTTP metrics on loopback ports. `onReconciled` hears each pass.
 */
export async function startBenchOperator(options: {
  args: string[];
  cwd: string;
  kubeconfigPath: string;
  logto: LogtoEmulator;
  settings: Record<string, string>;
  onReconciled?: (resource: string, reconciled: ReadonlySet<string>) => void;
}): Promise<BenchOperator> {
  const [healthPort, metricsPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, options.args, {
    cwd: options.cwd,
    env: operatorProcessEnv(options.kubeconfigPath, options.logto, {
      LEADER_ELECT: 'false',
      LOG_LEVEL: 'info',
      METRICS_BIND_ADDRESS: `127.0.0.1:${metricsPort}`,
      METRICS_SECURE: 'false',
      HEALTH_PROBE_BIND_ADDRESS: `127.0.0.1:${healthPort}`,
      ...options.settings,
    }),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const reconciled = new Set<string>();
  let rest = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.includes('"reconciled"')) continue;
      const { resource } = JSON.parse(line) as { resource?: string };
      if (!resource) continue;
      reconciled.add(resource);
      options.onReconciled?.(resource, reconciled);
    }
  });
  return { child, exited, healthPort, metricsPort, reconciled };
}
