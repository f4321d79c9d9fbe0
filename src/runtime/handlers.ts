import type { KubernetesObject } from '@kubernetes/client-node';
import type { InformerHandlers } from './informer.js';
import { keyOf, type ObjectKey } from './object-key.js';

/** Anything keys can be queued on, e.g. a {@link Controller}. */
export interface KeyQueue {
  enqueue(key: ObjectKey): void;
}

export interface EnqueueOptions<T extends KubernetesObject> {
  /** Keys to reconcile for an event's object; default its own key. */
  map?: (obj: T) => ObjectKey | readonly ObjectKey[] | undefined;
  /** Whether an update is worth a reconcile; default always (the informer only reports real changes). */
  shouldEnqueueUpdate?: (oldObj: T, newObj: T) => boolean;
}

/**
 * Informer handlers that queue the keys of whatever changed (controller-runtime's EnqueueRequestForObject,
 * or EnqueueRequestForOwner with `map: ownerKeys(...)`). Deletes are queued too: the reconciler sees the
 * object gone and cleans up.
 */
export function enqueueHandlers<T extends KubernetesObject>(
  queue: KeyQueue,
  options: EnqueueOptions<T> = {},
): InformerHandlers<T> {
  const map = options.map ?? ((obj: T) => keyOf(obj));
  const enqueue = (obj: T) => {
    const keys = map(obj);
    if (keys === undefined) return;
    for (const key of Array.isArray(keys) ? keys : [keys as ObjectKey]) queue.enqueue(key);
  };
  return {
    onAdd: enqueue,
    onUpdate: (oldObj, newObj) => {
      if (options.shouldEnqueueUpdate && !options.shouldEnqueueUpdate(oldObj, newObj)) return;
      enqueue(newObj);
    },
    onDelete: enqueue,
  };
}

/**
 * Maps an owned object to the keys of its owners of one kind (`group` '' for the core API), in the
 * object's namespace: owner references cannot cross namespaces.
 */
export function ownerKeys(owner: { group: string; kind: string; controllerOnly?: boolean }) {
  return (obj: KubernetesObject): ObjectKey[] =>
    (obj.metadata?.ownerReferences ?? [])
      .filter((ref) => {
        const slash = ref.apiVersion.indexOf('/');
        const group = slash < 0 ? '' : ref.apiVersion.slice(0, slash);
        return (
          ref.kind === owner.kind &&
          group === owner.group &&
          (!owner.controllerOnly || ref.controller === true)
        );
      })
      .map((ref) => ({ namespace: obj.metadata?.namespace ?? '', name: ref.name }));
}
