// Process-wide safety net for running control planes: whatever ends this Node process, the control
// planes it started go with it. (SIGKILL is the reaper's job; no hook runs then.)

export interface Running {
  /** Graceful, asynchronous stop. */
  stop(): Promise<void>;
  /** Synchronous last resort: SIGKILL everything and remove the temp dir. */
  killNow(): void;
}

const running = new Set<Running>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let installed = false;

export function track(plane: Running): () => void {
  install();
  running.add(plane);
  return () => running.delete(plane);
}

function install(): void {
  if (installed) return;
  installed = true;
  // 'exit' also fires after process.exit() and after an uncaught exception.
  process.on('exit', () => {
    for (const plane of running) plane.killNow();
  });
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

let stopping = false;

function onSignal(signal: NodeJS.Signals): void {
  // Another handler (vitest, our CLI) owns the reaction to the signal; when it exits the process,
  // the 'exit' hook above cleans up.
  if (process.listenerCount(signal) > 1) return;
  // We are the only handler, which replaced Node's default of dying: stop gracefully, then die of
  // the same signal as if we had never been here. A second signal, or a stop that hangs, cuts it short.
  const die = (): void => {
    for (const plane of running) plane.killNow();
    for (const s of SIGNALS) process.off(s, onSignal);
    process.kill(process.pid, signal);
  };
  if (stopping) return die();
  stopping = true;
  const deadline = setTimeout(die, 15_000);
  void Promise.allSettled([...running].map((plane) => plane.stop())).then(() => {
    clearTimeout(deadline);
    die();
  });
}
