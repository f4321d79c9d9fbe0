/**
 * Calls one optional observer (a metrics hook) of a hooks object. Observers run synchronously, and
 * one that throws never breaks the caller: `onError` hears of it instead.
 */
export function callObserver<M extends object>(
  observers: M,
  event: keyof M,
  args: readonly unknown[],
  onError?: (error: unknown) => void,
): void {
  const observer = observers[event];
  if (typeof observer !== 'function') return;
  try {
    (observer as (...a: unknown[]) => void).apply(observers, [...args]);
  } catch (error) {
    onError?.(error);
  }
}
