/**
 * Pure mapping between a LogtoApplication spec and Logto's application entity: what the app must
 * look like, and the smallest PATCH that gets it there. PATCH replaces each top-level field it is
 * given as a whole, so a changed field is always sent complete.
 */
import type { CreateApplicationRequest } from '../../api/schemas.js';
import type { LogtoApplication, LogtoApplicationSpec } from '../../crd/logto-application.js';
import { deepEqual, sameSet } from '../../util/json.js';
import { MARKER_KEY, markerFor } from './ownership-marker.js';

export interface LogtoOidcClientMetadata {
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  backchannelLogoutUri?: string;
  backchannelLogoutSessionRequired?: boolean;
  logoUri?: string;
}

/** The parts of Logto's application entity that the operator reads. */
export interface ObservedApplication {
  id: string;
  name: string;
  description?: string | null;
  type: string;
  isThirdParty: boolean;
  oidcClientMetadata: LogtoOidcClientMetadata;
  customClientMetadata: Record<string, unknown>;
  customData: Record<string, unknown>;
  protectedAppMetadata?: ObservedProtectedAppMetadata | null;
  secret?: string;
}

export interface ObservedProtectedAppMetadata {
  host: string;
  origin: string;
  sessionDuration: number;
  pageRules: { path: string }[];
  additionalScopes?: string[];
}

export interface ProtectedAppSettings {
  origin: string;
  sessionDuration?: number;
  pageRules?: { path: string }[];
}

export interface DesiredApplication {
  /**
   * False: Logto's own value stands. That is a Protected app's callback URIs, which Logto derives
   * from its host and custom domains, unless the spec sets them.
   */
  oidcClientMetadataManaged: boolean;
  /** Protected apps only: the subdomain is set at creation, the rest can be patched. */
  protectedApp?: ProtectedAppSettings & { subDomain: string };
  name: string;
  description: string | null;
  type: LogtoApplicationSpec['type'];
  isThirdParty: boolean;
  oidcClientMetadata: LogtoOidcClientMetadata;
  customClientMetadata: Record<string, unknown>;
  customData: Record<string, unknown>;
}

export interface ApplicationPatch {
  protectedAppMetadata?: ProtectedAppSettings;
  name?: string;
  description?: string | null;
  oidcClientMetadata?: LogtoOidcClientMetadata;
  customClientMetadata?: Record<string, unknown>;
  customData?: Record<string, unknown>;
}

/** Keys of customClientMetadata that Logto manages itself and that the spec cannot set. */
const SERVER_MANAGED_CLIENT_METADATA = new Set(['tenantId']);

/**
 * @param observedCustomData the application's current customData (undefined before creation)
 * @param previouslyManagedKeys customData keys the operator set from the spec before (status), so that
 *   a key removed from the spec is removed from Logto while keys written by others are preserved
 */
export function desiredApplication(
  resource: LogtoApplication,
  observedCustomData?: Record<string, unknown>,
  previouslyManagedKeys: readonly string[] = [],
  /** This cluster's name for the ownership marker (`--cluster-name`). */
  cluster = '',
): DesiredApplication {
  const { spec } = resource;
  const oidc = spec.oidcClientMetadata ?? {};
  const preserved = Object.fromEntries(
    Object.entries(observedCustomData ?? {}).filter(
      ([key]) => key !== MARKER_KEY && !previouslyManagedKeys.includes(key),
    ),
  );
  const protectedApp = spec.protectedAppMetadata;
  return {
    ...(protectedApp
      ? {
          protectedApp: {
            subDomain: protectedApp.subDomain,
            origin: protectedApp.origin,
            ...(protectedApp.sessionDuration !== undefined
              ? { sessionDuration: protectedApp.sessionDuration }
              : {}),
            ...(protectedApp.pageRules !== undefined
              ? { pageRules: protectedApp.pageRules.map(({ path }) => ({ path })) }
              : {}),
          },
        }
      : {}),
    oidcClientMetadataManaged: spec.type !== 'Protected' || spec.oidcClientMetadata !== undefined,
    name: spec.name ?? resource.metadata.name,
    description: spec.description ?? null,
    type: spec.type,
    isThirdParty: spec.isThirdParty ?? false,
    oidcClientMetadata: {
      redirectUris: [...(oidc.redirectUris ?? [])],
      postLogoutRedirectUris: [...(oidc.postLogoutRedirectUris ?? [])],
      ...(oidc.backchannelLogoutUri !== undefined ? { backchannelLogoutUri: oidc.backchannelLogoutUri } : {}),
      ...(oidc.backchannelLogoutSessionRequired !== undefined
        ? { backchannelLogoutSessionRequired: oidc.backchannelLogoutSessionRequired }
        : {}),
      ...(oidc.logoUri !== undefined ? { logoUri: oidc.logoUri } : {}),
    },
    customClientMetadata: { ...(spec.customClientMetadata ?? {}) },
    customData: { ...preserved, ...(spec.customData ?? {}), [MARKER_KEY]: markerFor(resource, cluster) },
  };
}

/** The body of POST /api/applications for the desired state. */
export function createApplicationBody(desired: DesiredApplication): CreateApplicationRequest {
  return {
    name: desired.name,
    ...(desired.description !== null ? { description: desired.description } : {}),
    type: desired.type,
    isThirdParty: desired.isThirdParty,
    ...(desired.oidcClientMetadataManaged ? { oidcClientMetadata: desired.oidcClientMetadata } : {}),
    customClientMetadata: desired.customClientMetadata,
    customData: desired.customData,
    ...(desired.protectedApp
      ? {
          protectedAppMetadata: {
            subDomain: desired.protectedApp.subDomain,
            origin: desired.protectedApp.origin,
          },
        }
      : {}),
  };
}

/** Protected-app settings to patch, each field complete; undefined when they match. */
function protectedAppPatch(
  desired: DesiredApplication['protectedApp'],
  observed: ObservedProtectedAppMetadata | null | undefined,
): ProtectedAppSettings | undefined {
  if (!desired || !observed) return undefined;
  // Settings the spec leaves out keep Logto's values (its defaults).
  const sessionDuration = desired.sessionDuration ?? observed.sessionDuration;
  const pageRules = desired.pageRules ?? observed.pageRules;
  const same =
    desired.origin === observed.origin &&
    sessionDuration === observed.sessionDuration &&
    deepEqual(pageRules, observed.pageRules);
  return same ? undefined : { origin: desired.origin, sessionDuration, pageRules };
}

function sameOidc(a: LogtoOidcClientMetadata, b: LogtoOidcClientMetadata): boolean {
  const { redirectUris: ar, postLogoutRedirectUris: ap, ...aRest } = a;
  const { redirectUris: br, postLogoutRedirectUris: bp, ...bRest } = b;
  return sameSet(ar, br) && sameSet(ap, bp) && deepEqual(aRest, bRest);
}

function clientMetadataWithoutServerKeys(metadata: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(metadata).filter(([key]) => !SERVER_MANAGED_CLIENT_METADATA.has(key)),
  );
}

/** `isDeviceFlow: false` and an absent isDeviceFlow mean the same to Logto. */
function withoutDefaultDeviceFlow(metadata: Record<string, unknown>): Record<string, unknown> {
  const { isDeviceFlow, ...rest } = metadata;
  return isDeviceFlow === true ? metadata : rest;
}

function sameClientMetadata(desired: Record<string, unknown>, observed: Record<string, unknown>): boolean {
  const { corsAllowedOrigins: dc, ...dRest } = withoutDefaultDeviceFlow(desired);
  const { corsAllowedOrigins: oc, ...oRest } = withoutDefaultDeviceFlow(
    clientMetadataWithoutServerKeys(observed),
  );
  return sameSet(dc as string[] | undefined, oc as string[] | undefined) && deepEqual(dRest, oRest);
}

/** The fields that differ, each complete; an empty object means nothing to do. */
export function applicationPatch(
  desired: DesiredApplication,
  observed: ObservedApplication,
): ApplicationPatch {
  const patch: ApplicationPatch = {};
  if (desired.name !== observed.name) patch.name = desired.name;
  if (desired.description !== (observed.description ?? null)) patch.description = desired.description;
  if (
    desired.oidcClientMetadataManaged &&
    !sameOidc(desired.oidcClientMetadata, observed.oidcClientMetadata)
  ) {
    patch.oidcClientMetadata = desired.oidcClientMetadata;
  }
  if (!sameClientMetadata(desired.customClientMetadata, observed.customClientMetadata ?? {})) {
    // isDeviceFlow is fixed at creation: echo Logto's value rather than appear to change it.
    const observedDeviceFlow = observed.customClientMetadata?.isDeviceFlow;
    patch.customClientMetadata =
      desired.customClientMetadata.isDeviceFlow === undefined && typeof observedDeviceFlow === 'boolean'
        ? { ...desired.customClientMetadata, isDeviceFlow: observedDeviceFlow }
        : desired.customClientMetadata;
  }
  if (!deepEqual(desired.customData, observed.customData ?? {})) patch.customData = desired.customData;
  const protectedApp = protectedAppPatch(desired.protectedApp, observed.protectedAppMetadata);
  if (protectedApp) patch.protectedAppMetadata = protectedApp;
  return patch;
}

/** Settings Logto fixes at creation; a difference cannot be patched. */
export function immutableMismatch(
  desired: DesiredApplication,
  observed: ObservedApplication,
): string | undefined {
  if (desired.type !== observed.type) {
    return `the Logto application has type ${observed.type}, the spec asks for ${desired.type}`;
  }
  if (desired.isThirdParty !== observed.isThirdParty) {
    return `the Logto application has isThirdParty=${observed.isThirdParty}, the spec asks for ${desired.isThirdParty}`;
  }
  const want = desired.customClientMetadata.isDeviceFlow === true;
  const have = observed.customClientMetadata?.isDeviceFlow === true;
  if (want !== have) return `the Logto application has isDeviceFlow=${have}, the spec asks for ${want}`;
  return undefined;
}
