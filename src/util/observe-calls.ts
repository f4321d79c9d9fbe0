/** `target`, with `observe` told the name of each method called on it, before the call. */
export function observeCalls<T extends object>(target: T, observe: (method: string) => unknown): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]) => {
        observe(property);
        return (value as (...a: unknown[]) => unknown).apply(object, args);
      };
    },
  });
}

/** `api`, and the names of the methods called on it so far, in order. */
export function recordingCalls<T extends object>(api: T): { api: T; calls: string[] } {
  const calls: string[] = [];
  return { api: observeCalls(api, (method) => calls.push(method)), calls };
}
