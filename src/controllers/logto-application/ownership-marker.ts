/**
 * The provenance marker the operator writes into each Logto application it creates, under one
 * reserved customData key. It names the Kubernetes resource (by UID, which is never reused), so a
 * controller that died between creating an application and recording its id finds and adopts that
 * application instead of creating a second one, and so that two resources never fight over one app.
 */
export const MARKER_KEY = 'logto-operator';

export interface OwnershipMarker {
  /** metadata.uid of the owning LogtoApplication. */
  uid: string;
  namespace: string;
  name: string;
  /** The cluster's name (`--cluster-name`), absent when it has none. */
  cluster?: string;
}

export function markerFor(
  resource: { metadata: { uid: string; namespace: string; name: string } },
  cluster = '',
): OwnershipMarker {
  const { uid, namespace, name } = resource.metadata;
  return { uid, namespace, name, ...(cluster ? { cluster } : {}) };
}

/** Reads the marker from an application's customData; undefined when absent or malformed. */
export function readMarker(
  customData: Record<string, unknown> | null | undefined,
): OwnershipMarker | undefined {
  const raw = customData?.[MARKER_KEY];
  if (!raw || typeof raw !== 'object') return undefined;
  const { uid, namespace, name, cluster } = raw as Record<string, unknown>;
  if (typeof uid !== 'string' || typeof namespace !== 'string' || typeof name !== 'string') return undefined;
  return { uid, namespace, name, ...(typeof cluster === 'string' && cluster ? { cluster } : {}) };
}

export function withoutMarker(
  customData: Record<string, unknown> | null | undefined,
): Record<string, unknown> {
  const { [MARKER_KEY]: _marker, ...rest } = customData ?? {};
  return rest;
}
