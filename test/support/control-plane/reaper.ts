import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./reaper.sh', import.meta.url));

export interface Reaper {
  pid: number;
  stop(): void;
}

/**
 * Starts the watchdog that stops the control plane and removes `tempDir` if this Node process dies
 * without doing so itself (SIGKILL leaves no chance to run any hook). It runs in its own session so
 * the signal that killed us (e.g. a process-group kill) does not take it along.
 */
export function startReaper(tempDir: string): Reaper {
  const child = spawn('bash', [script, String(process.pid), tempDir], {
    detached: true,
    stdio: 'ignore',
    cwd: tmpdir(),
  });
  child.unref();
  let exited = false;
  child.once('exit', () => (exited = true));
  child.once('error', () => (exited = true));
  return {
    pid: child.pid ?? -1,
    stop: () => {
      if (!exited) child.kill('SIGTERM');
    },
  };
}
