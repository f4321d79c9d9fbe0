/**
 * The Kubernetes Secret that publishes an application's credentials: its desired content, and the
 * rule for when the operator may write it.
 */
import type { LogtoApplication } from '../../crd/logto-application.js';
import { API_VERSION, KIND } from '../../crd/logto-application.js';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'logto-operator';
/** Names the owning LogtoApplication, so a Secret event maps back to its resource. */
export const OWNER_NAME_LABEL = 'logto.io/application';

export interface PublishedCredentials {
  /** Public base URL of Logto, as applications reach it. */
  endpoint: string;
  appId: string;
  /** Undefined for application types without secrets (SPA, Native). */
  appSecret?: string;
}

export interface SecretManifest {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    ownerReferences: {
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      controller: true;
      blockOwnerDeletion: true;
    }[];
  };
  type: 'Opaque';
  stringData?: never;
  data: Record<string, string>;
}

export function secretName(resource: LogtoApplication): string {
  return resource.spec.secret?.name ?? resource.metadata.name;
}

/** Key/value pairs, named as Logto's SDK samples name their environment variables. */
export function credentialData(credentials: PublishedCredentials): Record<string, string> {
  return {
    LOGTO_ENDPOINT: credentials.endpoint,
    LOGTO_APP_ID: credentials.appId,
    ...(credentials.appSecret !== undefined ? { LOGTO_APP_SECRET: credentials.appSecret } : {}),
  };
}

export function desiredSecret(resource: LogtoApplication, credentials: PublishedCredentials): SecretManifest {
  const data = Object.fromEntries(
    Object.entries(credentialData(credentials)).map(([k, v]) => [
      k,
      Buffer.from(v, 'utf8').toString('base64'),
    ]),
  );
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: secretName(resource),
      namespace: resource.metadata.namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [OWNER_NAME_LABEL]: resource.metadata.name },
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: KIND,
          name: resource.metadata.name,
          uid: resource.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    type: 'Opaque',
    data,
  };
}

interface ExistingSecret {
  metadata?: { ownerReferences?: { uid?: string; controller?: boolean }[]; labels?: Record<string, string> };
  data?: Record<string, string>;
  type?: string;
}

/** The operator writes a Secret only if this resource is its controller owner. */
export function isOwnedBy(secret: ExistingSecret, resource: LogtoApplication): boolean {
  return (secret.metadata?.ownerReferences ?? []).some(
    (ref) => ref.controller === true && ref.uid === resource.metadata.uid,
  );
}

/**
 * Whether applying `desired` would change nothing the operator manages. Keys and labels that others
 * added are theirs under server-side apply, so they do not count.
 */
export function secretUpToDate(existing: ExistingSecret, desired: SecretManifest): boolean {
  const data = existing.data ?? {};
  const labels = existing.metadata?.labels ?? {};
  return (
    Object.entries(desired.data).every(([k, v]) => data[k] === v) &&
    Object.entries(desired.metadata.labels).every(([k, v]) => labels[k] === v) &&
    (existing.type ?? 'Opaque') === desired.type
  );
}
