import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The AbortSignal of the work in progress, and the deadline of its calls to external systems,
 * carried through async calls without threading them through every signature: a reconcile runs
 * inside `withAbortSignal` (and `withDeadline`), and the Logto transport stops waiting (requests and
 * retry sleeps) once the signal fires, and makes no attempt past the deadline.
 */
interface Scope {
  signal?: AbortSignal;
  /** Epoch ms after which no external call of this work starts. */
  deadline?: number;
}

const scope = new AsyncLocalStorage<Scope>();

export function withAbortSignal<T>(signal: AbortSignal, run: () => Promise<T>): Promise<T> {
  return scope.run({ ...scope.getStore(), signal }, run);
}

export function currentAbortSignal(): AbortSignal | undefined {
  return scope.getStore()?.signal;
}

/** Runs `run` with a deadline `ms` from now for its external calls (an outer, earlier one stays). */
export function withDeadline<T>(ms: number, run: () => Promise<T>, now: number = Date.now()): Promise<T> {
  const outer = scope.getStore();
  const deadline = Math.min(outer?.deadline ?? Infinity, now + ms);
  return scope.run({ ...outer, deadline }, run);
}

/** The deadline of the work in progress (epoch ms), if it has one. */
export function currentDeadline(): number | undefined {
  return scope.getStore()?.deadline;
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return new Promise((resolve) => setTimeout(resolve, ms));
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
