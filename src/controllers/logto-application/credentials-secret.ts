/**
 * The Kubernetes Secret that publishes an application's credentials: its desired content (default
 * keys as in Logto's SDK samples, renamed keys, extra keys from templates, labels, annotations), and
 * the rules for when the operator may write it and when it must.
 */
import type { V1Secret } from '@kubernetes/client-node';
import type { LogtoApplication } from '../../crd/logto-application.js';
import { API_VERSION, KIND } from '../../crd/logto-application.js';
import { valueDigest, type SecretDigest } from '../../runtime/cache-transforms.js';
import { endpointValues, renderTemplate, type TemplateValues } from './secret-template.js';

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
  /** Comma-separated API resource indicators, for templates. */
  resourceIndicators?: string;
}

export interface SecretManifest {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
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
  data: Record<string, string>;
}

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isLabelValue(value: string): boolean {
  return value === '' || (value.length <= 63 && LABEL_NAME.test(value));
}

/** A label or annotation key: an optional DNS-subdomain prefix and a name of at most 63 characters. */
export function isQualifiedName(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  const prefixOk = prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix));
  return prefixOk && name.length > 0 && name.length <= 63 && LABEL_NAME.test(name);
}

export function secretName(resource: LogtoApplication): string {
  return resource.spec.secret?.name ?? resource.metadata.name;
}

/** The Secret key that holds the application id. */
export function appIdKey(resource: LogtoApplication): string {
  return resource.spec.secret?.keys?.appId ?? 'LOGTO_APP_ID';
}

/** Key/value pairs of the Secret, before base64. */
export function credentialData(
  resource: LogtoApplication,
  credentials: PublishedCredentials,
): Record<string, string> {
  const keys = resource.spec.secret?.keys ?? {};
  const values: TemplateValues = {
    ...endpointValues(credentials.endpoint),
    appId: credentials.appId,
    ...(credentials.appSecret !== undefined ? { appSecret: credentials.appSecret } : {}),
    ...(credentials.resourceIndicators !== undefined
      ? { resourceIndicators: credentials.resourceIndicators }
      : {}),
  };
  const templated = Object.fromEntries(
    Object.entries(resource.spec.secret?.templates ?? {}).map(([key, template]) => [
      key,
      renderTemplate(template, values),
    ]),
  );
  return {
    ...templated,
    [keys.endpoint ?? 'LOGTO_ENDPOINT']: credentials.endpoint,
    [appIdKey(resource)]: credentials.appId,
    ...(credentials.appSecret !== undefined
      ? { [keys.appSecret ?? 'LOGTO_APP_SECRET']: credentials.appSecret }
      : {}),
  };
}

export function desiredSecret(resource: LogtoApplication, credentials: PublishedCredentials): SecretManifest {
  const data = Object.fromEntries(
    Object.entries(credentialData(resource, credentials)).map(([k, v]) => [
      k,
      Buffer.from(v, 'utf8').toString('base64'),
    ]),
  );
  const annotations = resource.spec.secret?.annotations;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: secretName(resource),
      namespace: resource.metadata.namespace,
      // Ours last: a user label cannot hide the Secret from the operator's watch.
      labels: {
        ...(resource.spec.secret?.labels ?? {}),
        [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
        // A label value holds 63 characters; longer names go without it (the owner reference remains).
        ...(isLabelValue(resource.metadata.name) ? { [OWNER_NAME_LABEL]: resource.metadata.name } : {}),
      },
      ...(annotations && Object.keys(annotations).length ? { annotations: { ...annotations } } : {}),
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

/** The operator writes a Secret only if this resource is its controller owner. */
export function isOwnedBy(
  secret: { metadata?: Pick<NonNullable<V1Secret['metadata']>, 'ownerReferences'> },
  resource: LogtoApplication,
): boolean {
  return (secret.metadata?.ownerReferences ?? []).some(
    (ref) => ref.controller === true && ref.uid === resource.metadata.uid,
  );
}

function sameKeys(owned: string[] | undefined, desired: Record<string, string> | undefined): boolean {
  const wanted = Object.keys(desired ?? {});
  // Unknown ownership (no Apply entry of the operator): compare values only.
  return owned === undefined || (owned.length === wanted.length && wanted.every((k) => owned.includes(k)));
}

/**
 * Whether applying `desired` would change nothing the operator manages: same values (by digest), and
 * (per the keys it applied) no key, label or annotation the operator applied before that it no longer
 * wants. What others added is theirs under server-side apply and does not count.
 */
export function secretUpToDate(existing: SecretDigest, desired: SecretManifest): boolean {
  const labels = existing.metadata.labels ?? {};
  const annotations = existing.metadata.annotations ?? {};
  const applied = existing.appliedKeys;
  const digests = existing.dataDigests;
  return (
    digests !== undefined &&
    Object.entries(desired.data).every(([k, v]) => digests[k] === valueDigest(v)) &&
    Object.entries(desired.metadata.labels).every(([k, v]) => labels[k] === v) &&
    Object.entries(desired.metadata.annotations ?? {}).every(([k, v]) => annotations[k] === v) &&
    (existing.type ?? 'Opaque') === desired.type &&
    sameKeys(applied.data, desired.data) &&
    sameKeys(applied.labels, desired.metadata.labels) &&
    sameKeys(applied.annotations, desired.metadata.annotations)
  );
}
