/**
 * Informer transforms (see InformerOptions.transform): what a cache keeps of each object. Objects are
 * copied shallowly, never mutated, so that a source may hand out shared objects.
 */
import type { KubernetesObject, V1ManagedFieldsEntry, V1Secret } from '@kubernetes/client-node';

/**
 * Drops `metadata.managedFields` (client-go's TransformStripManagedFields): often the largest part of
 * an object, and read by nobody but a server-side apply client comparing its own fields.
 */
export function stripManagedFields<T extends KubernetesObject>(obj: T): T {
  if (!obj.metadata?.managedFields) return obj;
  const { managedFields: _dropped, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

/** Written by `kubectl apply` (client-side): a second copy of the whole object, as JSON. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * {@link stripManagedFields}, and kubectl's last-applied-configuration annotation: for objects whose
 * writes are all patches (never a whole-object update from the cache, which would delete what went).
 */
export function stripWriteBookkeeping<T extends KubernetesObject>(obj: T): T {
  const stripped = stripManagedFields(obj);
  const annotations = stripped.metadata?.annotations;
  if (!annotations || !(LAST_APPLIED_ANNOTATION in annotations)) return stripped;
  const { [LAST_APPLIED_ANNOTATION]: _dropped, ...rest } = annotations;
  return { ...stripped, metadata: { ...stripped.metadata, annotations: rest } };
}

/**
 * What a cache of Secrets written by `fieldManager` through server-side apply needs to tell whether
 * re-applying would change anything: identity, owners, labels, annotations, type and data, and of
 * managedFields only that manager's Apply entry (which keys it applied). Timestamps, other managers'
 * entries and `stringData` go.
 */
export function leanAppliedSecret(fieldManager: string): (secret: V1Secret) => V1Secret {
  return (secret) => {
    const source = secret.metadata ?? {};
    const metadata: NonNullable<V1Secret['metadata']> = {};
    for (const key of [
      'name',
      'namespace',
      'uid',
      'resourceVersion',
      'labels',
      'annotations',
      'ownerReferences',
      'finalizers',
      'deletionTimestamp',
    ] as const) {
      if (source[key] !== undefined) (metadata as Record<string, unknown>)[key] = source[key];
    }
    const applied = (source.managedFields ?? [])
      .filter((entry) => entry.manager === fieldManager && entry.operation === 'Apply')
      .map(({ manager, operation, fieldsType, fieldsV1 }): V1ManagedFieldsEntry => ({
        manager,
        operation,
        ...(fieldsType !== undefined ? { fieldsType } : {}),
        ...(fieldsV1 !== undefined ? { fieldsV1 } : {}),
      }));
    if (applied.length) metadata.managedFields = applied;
    const lean: V1Secret = { metadata };
    if (secret.apiVersion !== undefined) lean.apiVersion = secret.apiVersion;
    if (secret.kind !== undefined) lean.kind = secret.kind;
    if (secret.type !== undefined) lean.type = secret.type;
    if (secret.data !== undefined) lean.data = secret.data;
    if (secret.immutable !== undefined) lean.immutable = secret.immutable;
    return lean;
  };
}
