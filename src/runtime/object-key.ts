import type { KubernetesObject } from '@kubernetes/client-node';

/** Identity of an object: namespace ('' for cluster-scoped objects) and name. */
export interface ObjectKey {
  namespace: string;
  name: string;
}

/**
 * `namespace/name`, or just `name` for cluster-scoped objects (the client-go cache key format).
 * Neither part can contain '/', so the encoding is unambiguous.
 */
export function keyToString(key: ObjectKey): string {
  return key.namespace ? `${key.namespace}/${key.name}` : key.name;
}

export function keyFromString(value: string): ObjectKey {
  const slash = value.indexOf('/');
  return slash < 0
    ? { namespace: '', name: value }
    : { namespace: value.slice(0, slash), name: value.slice(slash + 1) };
}

/** Key of a Kubernetes object, or undefined when it has no name (which the API server never returns). */
export function keyOf(obj: KubernetesObject): ObjectKey | undefined {
  const name = obj.metadata?.name;
  if (!name) return undefined;
  return { namespace: obj.metadata?.namespace ?? '', name };
}
