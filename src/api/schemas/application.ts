import { Type, type Static } from '@sinclair/typebox';

import { EntityId, JsonObject, Nullable, StringEnum, TenantId } from './common.js';

export const applicationTypes = [
  'Native',
  'SPA',
  'Traditional',
  'MachineToMachine',
  'Protected',
  'SAML',
] as const;
export const ApplicationType = StringEnum(applicationTypes);
export type ApplicationType = Static<typeof ApplicationType>;

/** The types `POST /api/applications` accepts: SAML apps have their own API (the server answers 400). */
export const creatableApplicationTypes = [
  'Native',
  'SPA',
  'Traditional',
  'MachineToMachine',
  'Protected',
] as const satisfies readonly ApplicationType[];
export const CreatableApplicationType = StringEnum(creatableApplicationTypes);
export type CreatableApplicationType = Static<typeof CreatableApplicationType>;

/** Types that may be third-party apps. */
export const thirdPartyApplicationTypes = [
  'Traditional',
  'SPA',
  'Native',
] as const satisfies readonly ApplicationType[];
/** Types that own client secrets (`Default secret` at creation, `POST …/secrets`). */
export const secretApplicationTypes = [
  'MachineToMachine',
  'Traditional',
  'Protected',
] as const satisfies readonly ApplicationType[];

// Redirect URIs the server accepts: an http(s) URL, or a custom scheme (`io.example.app://cb`,
// `com.example:/cb`). The document types them as plain strings; the server validates them, and
// only Native apps may use a custom scheme (see `isCustomSchemeUri`).
const webUri = 'https?://[^\\s/?#]+[^\\s]*';
const customSchemeUri = '(?!https?:)[a-zA-Z][a-zA-Z\\d+.-]*:/[^\\s]*';
export const redirectUriPattern = `^(${webUri}|${customSchemeUri})$`;
export const RedirectUri = Type.String({ pattern: redirectUriPattern });

/** True for a syntactically valid redirect URI that is not http(s), which only Native apps may use. */
export const isCustomSchemeUri = (uri: string): boolean => new RegExp(`^${customSchemeUri}$`).test(uri);

const oidcClientMetadataOptional = {
  backchannelLogoutUri: Type.Optional(Type.String({ format: 'url' })),
  backchannelLogoutSessionRequired: Type.Optional(Type.Boolean()),
  logoUri: Type.Optional(Type.String()),
};

/** `oidcClientMetadata` as the server returns it. */
export const OidcClientMetadata = Type.Object({
  redirectUris: Type.Array(Type.String()),
  postLogoutRedirectUris: Type.Array(Type.String()),
  ...oidcClientMetadataOptional,
});
export type OidcClientMetadata = Static<typeof OidcClientMetadata>;

/** `oidcClientMetadata` as the server accepts it: both URI lists required, each URI validated. */
export const OidcClientMetadataInput = Type.Object({
  redirectUris: Type.Array(RedirectUri),
  postLogoutRedirectUris: Type.Array(RedirectUri),
  ...oidcClientMetadataOptional,
});
export type OidcClientMetadataInput = Static<typeof OidcClientMetadataInput>;

export const CustomClientMetadata = Type.Object({
  corsAllowedOrigins: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  idTokenTtl: Type.Optional(Type.Number()),
  refreshTokenTtl: Type.Optional(Type.Number()),
  refreshTokenTtlInDays: Type.Optional(Type.Number()),
  tenantId: Type.Optional(Type.String()),
  alwaysIssueRefreshToken: Type.Optional(Type.Boolean()),
  rotateRefreshToken: Type.Optional(Type.Boolean()),
  allowTokenExchange: Type.Optional(Type.Boolean()),
  isDeviceFlow: Type.Optional(Type.Boolean()),
  maxAllowedGrants: Type.Optional(Type.Number()),
});
export type CustomClientMetadata = Static<typeof CustomClientMetadata>;

export const customDomainStatuses = ['PendingVerification', 'PendingSsl', 'Active', 'Error'] as const;

export const CustomDomain = Type.Object({
  domain: Type.String(),
  status: StringEnum(customDomainStatuses),
  errorMessage: Nullable(Type.String()),
  dnsRecords: Type.Array(Type.Object({ name: Type.String(), type: Type.String(), value: Type.String() })),
  cloudflareData: Nullable(
    Type.Object({
      id: Type.String(),
      status: Type.String(),
      ssl: Type.Object({
        status: Type.String(),
        validation_errors: Type.Optional(Type.Array(Type.Object({ message: Type.String() }))),
      }),
      verification_errors: Type.Optional(Type.Array(Type.String())),
    }),
  ),
});
export type CustomDomain = Static<typeof CustomDomain>;

export const protectedAppAdditionalScopes = [
  'custom_data',
  'identities',
  'roles',
  'urn:logto:scope:organizations',
  'urn:logto:scope:organization_roles',
] as const;

const PageRule = Type.Object({ path: Type.String() });

export const ProtectedAppMetadata = Type.Object({
  host: Type.String(),
  origin: Type.String(),
  sessionDuration: Type.Number(),
  pageRules: Type.Array(PageRule),
  additionalScopes: Type.Optional(Type.Array(StringEnum(protectedAppAdditionalScopes))),
  customDomains: Type.Optional(Type.Array(CustomDomain)),
});
export type ProtectedAppMetadata = Static<typeof ProtectedAppMetadata>;

const applicationProperties = {
  tenantId: TenantId,
  id: EntityId,
  name: Type.String({ minLength: 1, maxLength: 256 }),
  /** Legacy plaintext secret; omitted once replaced (current secrets live under `…/secrets`). */
  secret: Type.Optional(Type.String()),
  description: Nullable(Type.String()),
  type: ApplicationType,
  oidcClientMetadata: OidcClientMetadata,
  customClientMetadata: CustomClientMetadata,
  protectedAppMetadata: Nullable(ProtectedAppMetadata),
  customData: JsonObject,
  isThirdParty: Type.Boolean(),
  appLevelAccessControlEnabled: Type.Boolean(),
  createdAt: Type.Number(),
};

/** An application as listed, created and patched. */
export const Application = Type.Object(applicationProperties);
export type Application = Static<typeof Application>;

/** `GET /api/applications/{id}` adds `isAdmin`. */
export const ApplicationDetails = Type.Object({ ...applicationProperties, isAdmin: Type.Boolean() });
export type ApplicationDetails = Static<typeof ApplicationDetails>;

/** The answer of `DELETE …/legacy-secret` (the document bounds `secret` here). */
export const LegacySecretDeletionResult = Type.Object({
  ...applicationProperties,
  secret: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
});
export type LegacySecretDeletionResult = Static<typeof LegacySecretDeletionResult>;

export const CreateApplicationRequest = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 256 }),
  description: Type.Optional(Nullable(Type.String())),
  type: CreatableApplicationType,
  oidcClientMetadata: Type.Optional(OidcClientMetadataInput),
  customClientMetadata: Type.Optional(CustomClientMetadata),
  customData: Type.Optional(JsonObject),
  isThirdParty: Type.Optional(Type.Boolean()),
  /** Required for `Protected`: the app is served at `<subDomain>.<the server's protected-app domain>`. */
  protectedAppMetadata: Type.Optional(Type.Object({ subDomain: Type.String(), origin: Type.String() })),
});
export type CreateApplicationRequest = Static<typeof CreateApplicationRequest>;

/**
 * `PATCH /api/applications/{id}`. Each field given replaces the stored one as a whole (send complete
 * objects). `type` and `isThirdParty` are not patchable: the server drops them silently.
 */
export const UpdateApplicationRequest = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  description: Type.Optional(Nullable(Type.String())),
  oidcClientMetadata: Type.Optional(OidcClientMetadataInput),
  customClientMetadata: Type.Optional(CustomClientMetadata),
  customData: Type.Optional(JsonObject),
  appLevelAccessControlEnabled: Type.Optional(Type.Boolean()),
  protectedAppMetadata: Type.Optional(
    Nullable(
      Type.Object({
        origin: Type.Optional(Type.String()),
        sessionDuration: Type.Optional(Type.Number()),
        pageRules: Type.Optional(Type.Array(PageRule)),
        additionalScopes: Type.Optional(Type.Array(StringEnum(protectedAppAdditionalScopes))),
      }),
    ),
  ),
  isAdmin: Type.Optional(Type.Boolean()),
});
export type UpdateApplicationRequest = Static<typeof UpdateApplicationRequest>;

/** `PATCH …/custom-data`: merged shallowly into the stored custom data; answers the merged object. */
export const CustomData = JsonObject;
export type CustomData = Static<typeof CustomData>;

export const CreateCustomDomainRequest = Type.Object({ domain: Type.String() });
export type CreateCustomDomainRequest = Static<typeof CreateCustomDomainRequest>;
