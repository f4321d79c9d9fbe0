/**
 * Checks the CRD schema and its CEL rules cannot express (or that objects stored before a rule
 * existed may break). A finding stops the reconcile before any Logto call: Ready=False, InvalidSpec.
 */
import type { LogtoApplication } from '../../crd/logto-application.js';
import { parseDurationMs } from '../../util/duration.js';
import { MARKER_KEY } from './ownership-marker.js';
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
  const keys = Object.values(spec.secret?.keys ?? {});
  const templated = Object.keys(spec.secret?.templates ?? {});
  const clash = [...keys, ...templated].find((k, i, all) => all.indexOf(k) !== i);
  if (clash) problems.push(`secret: key ${clash} is used twice (keys and templates must name distinct keys)`);
  for (const field of ['every', 'gracePeriod'] as const) {
    const value = spec.rotation?.[field];
    if (value !== undefined && !parseDurationMs(value))
      problems.push(`rotation.${field}: "${value}" is not a positive duration`);
  }
  return problems;
}
