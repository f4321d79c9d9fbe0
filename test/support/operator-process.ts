/**
 * The operator as a real process (`node --enable-source-maps <build>/main.js`, the image's entry
 * point, built once per run by the global setup), configured only through its environment, as a
 * Deployment would run it: for tests that kill it (SIGKILL) or stop it (SIGTERM).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, inject } from 'vitest';
import type { LogtoEmulator } from '../emulator/index.js';
import { testConnectionSelector } from './operator.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');

/**
 * Leader election settings under which the successor of a killed replica leads within about 3 s
 * (the defaults, 15 s leases, would have every kill -9 test wait that long).
 */
export const SHORT_LEASE = { LEASE_DURATION: '3s', RENEW_DEADLINE: '2s', RETRY_PERIOD: '500ms' } as const;

/**
 * Resident memory past which a test's operator process is stopped and reported rather than left to
 * grow and take test workers down with it when the kernel runs out (it happened: Node.js's HTTP/2
 * session looping natively on aborted requests, see src/kube/client.ts). Watched from here, because a
 * process looping in native code runs none of its own timers. The diagnostic report (Node's
 * --report-on-signal) and the log go to .tmp/.
 */
const RUNAWAY_RSS_BYTES = 1 << 30;
const runawayDir = path.join(repoRoot, '.tmp', 'operator-runaway');

export interface OperatorProcess {
  child: ChildProcess;
  /** Set when the process grew past RUNAWAY_RSS_BYTES and was stopped: what was kept, and where. */
  runaway(): string | undefined;
  /** Everything it wrote to stdout and stderr. */
  output(): string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

export function startOperatorProcess(
  kubeconfigPath: string,
  emulator: LogtoEmulator,
  env: Record<string, string> = {},
): OperatorProcess {
  const reportFlags = ['--report-on-signal', '--report-signal=SIGUSR2', `--report-directory=${runawayDir}`];
  const child = spawn(process.execPath, [...reportFlags, '--enable-source-maps', inject('operatorEntry')], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      KUBECONFIG: kubeconfigPath,
      LOGTO_ENDPOINT: emulator.endpoint,
      LOGTO_RESOURCE: emulator.resourceIndicator,
      LOGTO_CLIENT_ID: emulator.credentials.clientId,
      LOGTO_CLIENT_SECRET: emulator.credentials.clientSecret,
      LOG_LEVEL: 'debug',
      // As testOperatorConfig: the emulator answers in milliseconds, and a create whose outcome is
      // unknown is looked for after twice this (the commit window), which kill -9 tests wait out.
      LOGTO_REQUEST_TIMEOUT: '2s',
      CLUSTER_CONNECTION_SELECTOR: testConnectionSelector,
      // Everything the process serves stays on loopback.
      METRICS_BIND_ADDRESS: '127.0.0.1:0',
      HEALTH_PROBE_BIND_ADDRESS: '127.0.0.1:0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  let runaway: string | undefined;
  const watchdog = setInterval(() => {
    const rss = residentBytes(child.pid);
    if (rss === undefined || rss < RUNAWAY_RSS_BYTES || runaway) return;
    clearInterval(watchdog);
    mkdirSync(runawayDir, { recursive: true });
    const log = path.join(runawayDir, `operator-${child.pid}.log`);
    writeFileSync(log, output);
    runaway =
      `operator process ${child.pid} (${env['POD_NAME'] ?? 'no POD_NAME'}) grew to ${Math.round(rss / 2 ** 20)} MiB ` +
      `resident and was stopped; its log: ${log}, its diagnostic report: ${runawayDir}/report.*.${child.pid}.*.json`;
    child.kill('SIGUSR2');
    setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
  }, 1_000);
  watchdog.unref();
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      clearInterval(watchdog);
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  return {
    child,
    runaway: () => runaway,
    output: () => output,
    exited,
    kill: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

/**
 * Registers an afterAll hook that SIGKILLs every operator process started through the returned
 * function, and waits for them to exit, however the tests ended.
 */
export function operatorProcesses(): (...args: Parameters<typeof startOperatorProcess>) => OperatorProcess {
  const started: OperatorProcess[] = [];
  afterAll(async () => {
    for (const p of started) p.kill('SIGKILL');
    await Promise.all(started.map((p) => p.exited));
    const runaways = started.map((p) => p.runaway()).filter(Boolean);
    expect(runaways, 'operator processes that grew without bound').toEqual([]);
  });
  return (...args) => {
    const p = startOperatorProcess(...args);
    started.push(p);
    return p;
  };
}

/** The resident memory of a process, from /proc (Linux); undefined once it is gone. */
function residentBytes(pid: number | undefined): number | undefined {
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}
