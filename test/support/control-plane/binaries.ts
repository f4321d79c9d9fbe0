import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ControlPlaneBinaries {
  directory: string;
  etcd: string;
  kubeApiserver: string;
}

const buildScript = fileURLToPath(new URL('../../../scripts/build-control-plane.sh', import.meta.url));

// A cold build compiles kube-apiserver from source; on a small machine that is many minutes.
const BUILD_TIMEOUT_MS = 60 * 60_000;

let resolved: Promise<ControlPlaneBinaries> | undefined;

/**
 * Locates (KUBEBUILDER_ASSETS or the cache) or builds kube-apiserver and etcd. The script's progress
 * goes straight to this process's stderr; only its last stdout line, the directory, is read.
 */
export function resolveControlPlaneBinaries(): Promise<ControlPlaneBinaries> {
  resolved ??= runBuildScript().catch((error: unknown) => {
    resolved = undefined; // let a later caller retry
    throw error;
  });
  return resolved;
}

async function runBuildScript(): Promise<ControlPlaneBinaries> {
  const child = spawn('bash', [buildScript], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const timer = setTimeout(() => child.kill('SIGTERM'), BUILD_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  }).finally(() => clearTimeout(timer));
  if (code !== 0) throw new Error(`${buildScript} failed (exit ${code}); its output is above`);

  const directory = stdout.trim().split('\n').at(-1) ?? '';
  const binaries = {
    directory,
    etcd: join(directory, 'etcd'),
    kubeApiserver: join(directory, 'kube-apiserver'),
  };
  for (const file of [binaries.etcd, binaries.kubeApiserver]) {
    await access(file, constants.X_OK).catch(() => {
      throw new Error(
        `${buildScript} printed ${JSON.stringify(directory)}, which lacks an executable ${file}`,
      );
    });
  }
  return binaries;
}
