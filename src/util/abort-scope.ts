import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The AbortSignal of the work in progress, carried through async calls without threading it through
 * every signature: a reconcile runs inside `withAbortSignal`, and the Logto transport stops waiting
 * (requests and retry sleeps) once it fires.
 */
const scope = new AsyncLocalStorage<AbortSignal>();

export function withAbortSignal<T>(signal: AbortSignal, run: () => Promise<T>): Promise<T> {
  return scope.run(signal, run);
}

export function currentAbortSignal(): AbortSignal | undefined {
  return scope.getStore();
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
