import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readFileSync } from 'node:fs';

export interface ManagedProcess {
  name: string;
  pid: number;
  logPath: string;
  /** Resolves with the exit code (or the signal name) once the process is gone. */
  exited: Promise<number | string>;
  hasExited(): boolean;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  logPath: string;
}

/** The processes of one control plane, recorded as `<name> <pid>` lines in `pidFile` for the reaper. */
export class ProcessSet {
  readonly #all: ManagedProcess[] = [];
  #closed = false;

  constructor(readonly pidFile: string) {}

  spawn(options: SpawnOptions): ManagedProcess {
    if (this.#closed) throw new Error(`not starting ${options.name}: the control plane is stopping`);
    const proc = spawnLogged(options, this.pidFile);
    this.#all.push(proc);
    return proc;
  }

  /** Stops further spawns; returns the processes newest first (kube-apiserver before etcd). */
  close(): ManagedProcess[] {
    this.#closed = true;
    return [...this.#all].reverse();
  }
}

/**
 * Starts a server process with stdout and stderr going to a log file. It gets its own process group,
 * so a Ctrl-C in the terminal reaches only Node, which then stops apiserver before etcd. It is unref'd:
 * a caller that forgets stop() does not hang Node; the exit hook and the reaper still kill it.
 */
function spawnLogged(options: SpawnOptions, pidFile: string): ManagedProcess {
  const fd = openSync(options.logPath, 'w'); // each attempt starts a fresh log
  let child: ChildProcess;
  try {
    child = spawn(options.command, options.args, { stdio: ['ignore', fd, fd], detached: true });
  } finally {
    closeSync(fd);
  }
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', (error) => {
      done = true;
      resolve(error.message);
    });
  });
  if (child.pid === undefined) {
    // spawn failed synchronously (e.g. ENOENT); `exited` resolves with the reason.
    return { name: options.name, pid: -1, logPath: options.logPath, exited, hasExited: () => true };
  }
  appendFileSync(pidFile, `${options.name} ${child.pid}\n`);
  child.unref();
  return { name: options.name, pid: child.pid, logPath: options.logPath, exited, hasExited: () => done };
}

/** SIGTERM, then SIGKILL if the process is still there after `graceMs`. */
export async function terminate(proc: ManagedProcess, graceMs = 5_000): Promise<void> {
  if (proc.hasExited()) return;
  signal(proc, 'SIGTERM');
  if (await exitsWithin(proc, graceMs)) return;
  signal(proc, 'SIGKILL');
  await exitsWithin(proc, graceMs);
}

/** For process 'exit' hooks, where nothing asynchronous runs any more. */
export function killNow(proc: ManagedProcess): void {
  if (!proc.hasExited()) signal(proc, 'SIGKILL');
}

function signal(proc: ManagedProcess, name: NodeJS.Signals): void {
  try {
    process.kill(proc.pid, name);
  } catch {
    // already gone
  }
}

async function exitsWithin(proc: ManagedProcess, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const result = await Promise.race([proc.exited.then(() => true), timeout]);
  clearTimeout(timer);
  return result;
}

export function logTail(proc: ManagedProcess, lines = 30): string {
  try {
    return readFileSync(proc.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
