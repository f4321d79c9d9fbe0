import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeConfig } from '@kubernetes/client-node';
import { startApiServer } from './apiserver.js';
import { resolveControlPlaneBinaries } from './binaries.js';
import { writeCertificates } from './certs.js';
import { installCrds } from './crds.js';
import { startEtcd } from './etcd.js';
import { writeKubeconfig } from './kubeconfig.js';
import { track } from './lifecycle.js';
import { killNow, ProcessSet, terminate } from './process.js';
import { startReaper } from './reaper.js';

export interface ControlPlaneOptions {
  /** CRD manifests to install before the control plane is handed out. Default: the repository's `crds/`. */
  crdDirectory?: string;
  /** Progress lines (phases and their durations). Silent by default. */
  log?: (message: string) => void;
  /** Limit for each phase (etcd healthy, apiserver ready, CRDs established). Default 120 s. */
  timeoutMs?: number;
}

export interface ControlPlane {
  /** Admin kubeconfig (client certificate in system:masters, server verified against the test CA). */
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  /** https://127.0.0.1:<port> */
  server: string;
  /** Holds certificates, etcd data, logs and the kubeconfig; removed by stop(). */
  tempDir: string;
  pids: { etcd: number; kubeApiserver: number; reaper: number };
  /** Stops kube-apiserver, then etcd, and removes tempDir. Idempotent. */
  stop(): Promise<void>;
}

export const DEFAULT_CRD_DIRECTORY = fileURLToPath(new URL('../../../crds', import.meta.url));

/** Starts etcd and kube-apiserver on loopback (building them on first use) and installs the CRDs. */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const log = options.log ?? (() => {});
  const timeoutMs = options.timeoutMs ?? 120_000;
  const crdDirectory = options.crdDirectory ?? DEFAULT_CRD_DIRECTORY;

  const binaries = await resolveControlPlaneBinaries();
  const started = performance.now();
  const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(1)}s`;

  const tempDir = await mkdtemp(join(tmpdir(), 'logto-operator-cp-'));
  const processes = new ProcessSet(join(tempDir, 'pids'));
  const reaper = startReaper(tempDir);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      for (const proc of processes.close()) await terminate(proc);
      await rm(tempDir, { recursive: true, force: true, maxRetries: 3 });
      reaper.stop();
      untrack();
      log(`stopped, ${tempDir} removed`);
    })());
  const untrack = track({
    stop,
    killNow: () => {
      for (const proc of processes.close()) killNow(proc);
      rmSync(tempDir, { recursive: true, force: true });
      reaper.stop();
    },
  });

  try {
    const certs = await writeCertificates(join(tempDir, 'pki'));
    const etcd = await startEtcd(binaries.etcd, tempDir, processes, timeoutMs);
    log(`etcd healthy at ${etcd.clientUrl} (${elapsed()})`);
    const apiserver = await startApiServer({
      binary: binaries.kubeApiserver,
      dir: tempDir,
      processes,
      etcdUrl: etcd.clientUrl,
      certs,
      timeoutMs,
    });
    log(`kube-apiserver ready at ${apiserver.server} (${elapsed()})`);
    const kubeconfigPath = join(tempDir, 'kubeconfig');
    await writeKubeconfig(kubeconfigPath, apiserver.kubeConfig);
    const crds = await installCrds(apiserver.kubeConfig, crdDirectory, timeoutMs);
    log(`${crds.length} CRD(s) from ${crdDirectory} established (${elapsed()})`);
    return {
      kubeconfigPath,
      kubeConfig: apiserver.kubeConfig,
      server: apiserver.server,
      tempDir,
      pids: { etcd: etcd.proc.pid, kubeApiserver: apiserver.proc.pid, reaper: reaper.pid },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
