/**
 * Wraps an API object so that the names of the methods called on it are recorded in order: the
 * reconcile log line says which Logto operations a pass made.
 */
export function recordingCalls<T extends object>(api: T): { api: T; calls: string[] } {
  const calls: string[] = [];
  const proxy = new Proxy(api, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]) => {
        calls.push(property);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { api: proxy, calls };
}
