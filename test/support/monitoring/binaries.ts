/**
 * Prometheus and promtool for tests: located or built by scripts/build-prometheus.sh (from the Go
 * module github.com/prometheus/prometheus, cached under LOGTO_OPERATOR_CACHE like the control plane).
 */
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PrometheusBinaries {
  directory: string;
  prometheus: string;
  promtool: string;
}

const buildScript = fileURLToPath(new URL('../../../scripts/build-prometheus.sh', import.meta.url));
/** A cold build compiles Prometheus from source: about 7 minutes on 2 cores. */
export const PROMETHEUS_BUILD_TIMEOUT_MS = 45 * 60_000;

let resolved: Promise<PrometheusBinaries> | undefined;

/** Locates or builds both binaries; the script's progress goes to this process's stderr. */
export function resolvePrometheusBinaries(): Promise<PrometheusBinaries> {
  resolved ??= runBuildScript().catch((error: unknown) => {
    resolved = undefined;
    throw error;
  });
  return resolved;
}

async function runBuildScript(): Promise<PrometheusBinaries> {
  const child = spawn('bash', [buildScript], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const timer = setTimeout(() => child.kill('SIGTERM'), PROMETHEUS_BUILD_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  }).finally(() => clearTimeout(timer));
  if (code !== 0) throw new Error(`${buildScript} failed (exit ${code}); its output is above`);
  const directory = stdout.trim().split('\n').at(-1) ?? '';
  const binaries = {
    directory,
    prometheus: join(directory, 'prometheus'),
    promtool: join(directory, 'promtool'),
  };
  for (const file of [binaries.prometheus, binaries.promtool]) {
    await access(file, constants.X_OK).catch(() => {
      throw new Error(
        `${buildScript} printed ${JSON.stringify(directory)}, which lacks an executable ${file}`,
      );
    });
  }
  return binaries;
}
