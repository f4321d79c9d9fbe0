/**
 * Checks the CRD schema and its CEL rules cannot express (or that objects stored before a rule
 * existed may break). A finding stops the reconcile before any Logto call: Ready=False, InvalidSpec.
 */
import type { LogtoApplication } from '../../crd/logto-application.js';
import { parseDurationMs } from '../../util/duration.js';
import { LEGACY_SECRET, OPERATOR_SECRET_PREFIX } from './client-secrets.js';
import { MARKER_KEY } from './ownership-marker.js';
import { isLabelValue, isQualifiedName } from './credentials-secret.js';
import { isTemplateValueName, templateReferences } from './secret-template.js';

function isWebUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Native apps may redirect to a custom scheme (`com.example.app://callback`), as Logto allows. */
function isCustomSchemeUri(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/?\/?\S+$/i.test(value) && URL.canParse(value);
}

/**
 * The longest rotation period or grace period: what the CRD's pattern admits (four parts of at most
 * 999999.999 days), checked again here for objects stored before that pattern existed, so that the
 * dates computed from it stay representable.
 */
const MAX_ROTATION_DURATION_DAYS = 4_000_000;
const MAX_ROTATION_DURATION_MS = MAX_ROTATION_DURATION_DAYS * 86_400_000;

export function validateSpec(resource: LogtoApplication): string[] {
  const { spec } = resource;
  const problems: string[] = [];
  if (spec.customData && MARKER_KEY in spec.customData) {
    problems.push(`customData key "${MARKER_KEY}" is reserved for the operator's ownership marker`);
  }
  const native = spec.type === 'Native';
  for (const field of ['redirectUris', 'postLogoutRedirectUris'] as const) {
    for (const uri of spec.oidcClientMetadata?.[field] ?? []) {
      const ok = isWebUrl(uri) || (native && isCustomSchemeUri(uri));
      if (!ok) {
        problems.push(
          `oidcClientMetadata.${field}: ${JSON.stringify(uri)} is not ${native ? 'a URL' : 'an http(s) URL'}`,
        );
      }
    }
  }
  for (const origin of spec.customClientMetadata?.corsAllowedOrigins ?? []) {
    if (!isWebUrl(origin))
      problems.push(`customClientMetadata.corsAllowedOrigins: ${JSON.stringify(origin)} is not an origin`);
  }
  if (spec.isThirdParty && !['Traditional', 'SPA', 'Native'].includes(spec.type)) {
    problems.push('isThirdParty is only allowed for Traditional, SPA and Native applications');
  }
  if (spec.customClientMetadata?.isDeviceFlow && !native) {
    problems.push('customClientMetadata.isDeviceFlow is only allowed for Native applications');
  }
  for (const [key, template] of Object.entries(spec.secret?.templates ?? {})) {
    const unknown = templateReferences(template).filter((name) => !isTemplateValueName(name));
    if (unknown.length) {
      problems.push(
        `secret.templates.${key}: unknown value${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`,
      );
    }
  }
  const keys = spec.secret?.keys ?? {};
  const defaultKeys = [
    keys.endpoint ?? 'LOGTO_ENDPOINT',
    keys.appId ?? 'LOGTO_APP_ID',
    keys.appSecret ?? 'LOGTO_APP_SECRET',
  ];
  const templated = Object.keys(spec.secret?.templates ?? {});
  const credentialClash = defaultKeys.find((k, i) => defaultKeys.indexOf(k) !== i);
  if (credentialClash) problems.push(`secret.keys: ${credentialClash} names two credentials`);
  for (const key of templated.filter((k) => defaultKeys.includes(k))) {
    problems.push(`secret: key ${key} is used twice (templates and the credential keys must be distinct)`);
  }
  for (const [key, value] of Object.entries(spec.secret?.labels ?? {})) {
    if (!isQualifiedName(key)) problems.push(`secret.labels: "${key}" is not a valid label key`);
    if (!isLabelValue(value)) problems.push(`secret.labels.${key}: "${value}" is not a valid label value`);
  }
  for (const key of Object.keys(spec.secret?.annotations ?? {})) {
    if (!isQualifiedName(key)) problems.push(`secret.annotations: "${key}" is not a valid annotation key`);
  }
  for (const [index, { name, expiresAt }] of (spec.secrets ?? []).entries()) {
    // Checked at admission too; objects stored before that rule existed are caught here.
    if (name.startsWith(OPERATOR_SECRET_PREFIX) || name === LEGACY_SECRET)
      problems.push(`secrets: "${name}" is a name reserved for the secrets the operator makes`);
    // The apiserver's type check lets an array through for a formatted string (kube-apiserver 1.34);
    // the CRD's CEL rule refuses it at admission, objects stored before it are caught here.
    if (expiresAt !== undefined && (typeof expiresAt !== 'string' || Number.isNaN(Date.parse(expiresAt))))
      problems.push(`secrets[${index}].expiresAt: ${JSON.stringify(expiresAt)} is not an RFC 3339 time`);
  }
  for (const field of ['every', 'gracePeriod'] as const) {
    const value = spec.rotation?.[field];
    if (value === undefined) continue;
    const ms = parseDurationMs(value);
    if (!ms) problems.push(`rotation.${field}: "${value}" is not a positive duration`);
    else if (ms > MAX_ROTATION_DURATION_MS)
      problems.push(`rotation.${field}: "${value}" is longer than ${MAX_ROTATION_DURATION_DAYS} days`);
  }
  return problems;
}
