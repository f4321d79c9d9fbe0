/**
 * The provenance marker the operator writes into each Logto application it creates, under one
 * reserved customData key. It names the Kubernetes resource (by UID, which is never reused), so a
 * controller that died between creating an application and recording its id finds and adopts that
 * application instead of creating a second one, and so that two resources never fight over one app.
 */
export const MARKER_KEY = 'logto-operator';

/** The random token of a resource's creates, on the resource and in its applications' markers. */
export const CREATE_TOKEN_ANNOTATION = 'logto.io/create-token';

export interface OwnershipMarker {
  /** metadata.uid of the owning LogtoApplication. */
  uid: string;
  namespace: string;
  name: string;
  /** The cluster's name (`--cluster-name`), absent when it has none. */
  cluster?: string;
  /**
   * The resource's `spec.deletionPolicy`, so that the sweep can treat an application whose resource
   * is gone as that resource would have. Absent in markers of older versions: see {@link sweepPolicy}.
   */
  deletionPolicy?: DeletionPolicy;
  /**
   * The random create token of the resource (its `logto.io/create-token` annotation): an object
   * restored with its annotations holds it, a stranger reusing the namespace and name does not (see
   * identity.ts, `restores`). Absent in markers of older versions.
   */
  token?: string;
}

export type DeletionPolicy = 'Delete' | 'Orphan';

export function markerFor(
  resource: {
    metadata: { uid: string; namespace: string; name: string; annotations?: Record<string, string> };
    spec?: { deletionPolicy?: DeletionPolicy };
  },
  cluster = '',
): OwnershipMarker {
  const { uid, namespace, name } = resource.metadata;
  const token = resource.metadata.annotations?.[CREATE_TOKEN_ANNOTATION];
  return {
    uid,
    namespace,
    name,
    ...(cluster ? { cluster } : {}),
    deletionPolicy: resource.spec?.deletionPolicy ?? 'Delete',
    ...(token ? { token } : {}),
  };
}

/**
 * What the sweep does with an application its resource no longer accounts for. A marker without a
 * policy (written before markers recorded it) may belong to a resource that asked to keep its
 * application: it is only unmarked, never deleted.
 */
export function sweepPolicy(marker: OwnershipMarker): DeletionPolicy {
  return marker.deletionPolicy ?? 'Orphan';
}

/** Reads the marker from an application's customData; undefined when absent or malformed. */
export function readMarker(
  customData: Record<string, unknown> | null | undefined,
): OwnershipMarker | undefined {
  const raw = customData?.[MARKER_KEY];
  if (!raw || typeof raw !== 'object') return undefined;
  const { uid, namespace, name, cluster, deletionPolicy, token } = raw as Record<string, unknown>;
  if (typeof uid !== 'string' || typeof namespace !== 'string' || typeof name !== 'string') return undefined;
  return {
    uid,
    namespace,
    name,
    ...(typeof cluster === 'string' && cluster ? { cluster } : {}),
    ...(deletionPolicy === 'Delete' || deletionPolicy === 'Orphan' ? { deletionPolicy } : {}),
    ...(typeof token === 'string' && token ? { token } : {}),
  };
}

/**
 * Keys under which a marker can be looked up without reading every application: the resource's UID,
 * and the object it names (cluster, namespace, name), which a replacing object shares.
 */
export function markerKeys(
  marker: Pick<OwnershipMarker, 'uid' | 'namespace' | 'name' | 'cluster'>,
): string[] {
  return [`uid:${marker.uid}`, `object:${marker.cluster ?? ''}/${marker.namespace}/${marker.name}`];
}

export function withoutMarker(
  customData: Record<string, unknown> | null | undefined,
): Record<string, unknown> {
  const { [MARKER_KEY]: _marker, ...rest } = customData ?? {};
  return rest;
}
