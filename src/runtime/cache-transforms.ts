/**
 * Informer transforms (see InformerOptions.transform): what a cache keeps of each object. Objects are
 * copied shallowly, never mutated, so that a source may hand out shared objects.
 */
import { createHash } from 'node:crypto';
import type { KubernetesObject, V1ObjectMeta, V1Secret } from '@kubernetes/client-node';

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

/** A Secret as a cache of Secrets written by one field manager keeps it: see {@link digestAppliedSecret}. */
export interface SecretDigest {
  apiVersion?: string;
  kind?: string;
  type?: string;
  immutable?: boolean;
  metadata: Omit<V1ObjectMeta, 'managedFields'>;
  /**
   * Per data key, a digest of its value (as stored, base64): enough to tell whether a write changes
   * it. Only the keys the field manager applied when those are known, else every key. Absent when
   * there are more than any resource of the operator writes ({@link MAX_DIGESTED_KEYS}): such a
   * Secret compares as different, and costs no more than that to cache.
   */
  dataDigests?: Record<string, string>;
  /**
   * The keys the field manager applied, per section, from its Apply entry in managedFields; a section
   * is absent when that is unknown (no Apply entry, or none for that section).
   */
  appliedKeys: { data?: string[]; labels?: string[]; annotations?: string[] };
}

/**
 * A digest of one Secret value: 128 bits of SHA-256, so that a cache can compare values it does not
 * hold (a collision would only keep the operator from rewriting a value; finding one is out of reach).
 */
export function valueDigest(value: string): string {
  return createHash('sha256').update(value).digest().subarray(0, 16).toString('base64url');
}

const SECRET_METADATA = [
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'deletionTimestamp',
] as const;

/**
 * More keys than the operator ever writes to a Secret (three defaults and 64 templates) or applies as
 * labels or annotations (64 each). Anyone who may edit a Secret may label it as the operator's, and
 * give it a hundred thousand keys: past this bound nothing is digested or listed for it.
 */
export const MAX_DIGESTED_KEYS = 128;

/**
 * Keys under `f:<section>` of a managedFields entry; undefined when the entry has no such section, or
 * lists more keys than the operator writes.
 */
function fieldKeys(fieldsV1: unknown, section: readonly string[]): string[] | undefined {
  let node = fieldsV1 as Record<string, unknown> | undefined;
  for (const part of section) node = node?.[`f:${part}`] as Record<string, unknown> | undefined;
  if (!node || typeof node !== 'object') return undefined;
  const keys = Object.keys(node)
    .filter((key) => key.startsWith('f:'))
    .map((key) => key.slice(2));
  return keys.length <= MAX_DIGESTED_KEYS ? keys : undefined;
}

/** Where managedFields lists the keys of each section a manager applied. */
const APPLIED_SECTIONS = [
  ['data', ['data']],
  ['labels', ['metadata', 'labels']],
  ['annotations', ['metadata', 'annotations']],
] as const satisfies ReadonlyArray<readonly [keyof SecretDigest['appliedKeys'], readonly string[]]>;

/** Digests of `data`'s values under `keys`; undefined past the bound. */
function digestsOf(data: Record<string, unknown>, keys: string[]): Record<string, string> | undefined {
  if (keys.length > MAX_DIGESTED_KEYS) return undefined;
  const digests: Record<string, string> = {};
  for (const key of keys) {
    const value = data[key];
    if (typeof value === 'string') digests[key] = valueDigest(value);
  }
  return digests;
}

/**
 * What a cache of Secrets written by `fieldManager` through server-side apply needs to tell whether
 * re-applying would change anything: identity, owners, labels, annotations, type, a digest of each
 * value, and which keys that manager applied. No value is kept: 10,000 cached Secrets hold no
 * credentials and half the memory. Timestamps, other managers' entries and `stringData` go.
 */
export function digestAppliedSecret(fieldManager: string): (secret: V1Secret) => SecretDigest {
  return (secret) => {
    const source = secret.metadata ?? {};
    const metadata: SecretDigest['metadata'] = {};
    for (const key of SECRET_METADATA) {
      if (source[key] !== undefined) (metadata as Record<string, unknown>)[key] = source[key];
    }
    const entry = source.managedFields?.find(
      (candidate) => candidate.manager === fieldManager && candidate.operation === 'Apply',
    );
    const appliedKeys: SecretDigest['appliedKeys'] = {};
    for (const [name, section] of APPLIED_SECTIONS) {
      const keys = entry && fieldKeys(entry.fieldsV1, section);
      if (keys) appliedKeys[name] = keys;
    }
    const data = secret.data ?? {};
    const dataDigests = digestsOf(data, appliedKeys.data ?? Object.keys(data));
    const digest: SecretDigest = { metadata, appliedKeys };
    if (dataDigests) digest.dataDigests = dataDigests;
    if (secret.apiVersion !== undefined) digest.apiVersion = secret.apiVersion;
    if (secret.kind !== undefined) digest.kind = secret.kind;
    if (secret.type !== undefined) digest.type = secret.type;
    if (secret.immutable !== undefined) digest.immutable = secret.immutable;
    return digest;
  };
}
