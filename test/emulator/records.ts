// Factories of records, shared by the route handlers and the seeder.
import type {
  ApplicationType,
  CustomClientMetadata,
  OidcClientMetadata,
  ProtectedAppMetadata,
} from '../../src/api/schemas.js';
import type { Clock } from './clock.js';
import { newId, newSecretValue } from './ids.js';
import {
  emptyConsentScopes,
  type ApplicationRecord,
  type EmulatorState,
  type SecretRecord,
} from './state.js';

/** The secret Logto gives machine-to-machine, traditional and protected apps at creation. */
export const defaultSecretName = 'Default secret';

/** Logto's protected-app session duration (14 days, in seconds). */
const protectedAppSessionDuration = 14 * 24 * 60 * 60;

export interface NewApplication {
  id?: string;
  name: string;
  type: ApplicationType;
  description?: string | null;
  oidcClientMetadata?: OidcClientMetadata;
  customClientMetadata?: CustomClientMetadata;
  customData?: Record<string, unknown>;
  isThirdParty?: boolean;
  protectedAppMetadata?: ProtectedAppMetadata | null;
  legacySecret?: string | null;
  createdAt?: number;
}

export const newApplicationRecord = (
  state: EmulatorState,
  clock: Clock,
  input: NewApplication,
): ApplicationRecord => ({
  id: input.id ?? newId(),
  name: input.name,
  description: input.description ?? null,
  type: input.type,
  oidcClientMetadata: structuredClone(
    input.oidcClientMetadata ?? { redirectUris: [], postLogoutRedirectUris: [] },
  ),
  customClientMetadata: structuredClone(input.customClientMetadata ?? {}),
  protectedAppMetadata: structuredClone(input.protectedAppMetadata ?? null),
  customData: structuredClone(input.customData ?? {}),
  isThirdParty: input.isThirdParty ?? false,
  appLevelAccessControlEnabled: false,
  createdAt: input.createdAt ?? clock.now(),
  seq: state.nextSeq(),
  legacySecret: input.legacySecret ?? null,
  isAdmin: false,
  secrets: [],
  roleIds: new Set(),
  consentScopes: emptyConsentScopes(),
  consentOrganizations: new Map(),
  signInExperience: null,
  accessControl: null,
});

export const newSecret = (
  name: string,
  now: number,
  expiresAt: number | null = null,
  value: string = newSecretValue(),
): SecretRecord => ({ name, value, createdAt: now, expiresAt });

/** The metadata and OIDC URIs of a Protected app served at `<subDomain>.<domain>`. */
export const protectedAppData = (subDomain: string, origin: string, domain: string) => {
  const host = `${subDomain}.${domain}`;
  return {
    protectedAppMetadata: {
      host,
      origin,
      sessionDuration: protectedAppSessionDuration,
      pageRules: [],
      customDomains: [],
    } satisfies ProtectedAppMetadata,
    oidcClientMetadata: {
      redirectUris: [`https://${host}/callback`],
      postLogoutRedirectUris: [`https://${host}`],
    } satisfies OidcClientMetadata,
  };
};
