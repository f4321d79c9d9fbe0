import { Type, type Static } from '@sinclair/typebox';

import { EntityId, Nullable, StringEnum } from './common.js';
import { Organization } from './organization.js';

/**
 * User scopes a request may carry. Logto's document also lists `urn:logto:scope:trusted_devices`,
 * but the server refuses it with 400 (BEHAVIOUR.md, "User consent"), so requests may not name it.
 */
export const userScopes = [
  'profile',
  'email',
  'phone',
  'address',
  'custom_data',
  'identities',
  'roles',
  'urn:logto:scope:organizations',
  'urn:logto:scope:organization_roles',
  'urn:logto:scope:sessions',
] as const;
export const UserScope = StringEnum(userScopes);
export type UserScope = Static<typeof UserScope>;

/** User scopes an answer may list: also the one the document lists that requests may not carry. */
export const answeredUserScopes = [...userScopes, 'urn:logto:scope:trusted_devices'] as const;
export const AnsweredUserScope = StringEnum(answeredUserScopes);
export type AnsweredUserScope = Static<typeof AnsweredUserScope>;

/** The `{scopeType}` of `DELETE …/user-consent-scopes/{scopeType}/{scopeId}`. */
export const consentScopeTypes = [
  'organization-scopes',
  'resource-scopes',
  'organization-resource-scopes',
  'user-scopes',
] as const;
export const ConsentScopeType = StringEnum(consentScopeTypes);
export type ConsentScopeType = Static<typeof ConsentScopeType>;

/** `POST …/user-consent-scopes` (third-party apps only): scope ids, and user scopes by name. */
export const CreateUserConsentScopesRequest = Type.Object({
  organizationScopes: Type.Optional(Type.Array(Type.String())),
  resourceScopes: Type.Optional(Type.Array(Type.String())),
  organizationResourceScopes: Type.Optional(Type.Array(Type.String())),
  userScopes: Type.Optional(Type.Array(UserScope)),
});
export type CreateUserConsentScopesRequest = Static<typeof CreateUserConsentScopesRequest>;

const ResourceScopeGroup = Type.Object({
  resource: Type.Object({
    id: EntityId,
    name: Type.String({ minLength: 1 }),
    indicator: Type.String({ minLength: 1 }),
  }),
  scopes: Type.Array(
    Type.Object({
      id: EntityId,
      name: Type.String({ minLength: 1, maxLength: 256 }),
      description: Nullable(Type.String()),
    }),
  ),
});

/** `GET …/user-consent-scopes`: resource scopes grouped by resource. */
export const UserConsentScopes = Type.Object({
  organizationScopes: Type.Array(
    Type.Object({
      id: EntityId,
      name: Type.String({ minLength: 1, maxLength: 128 }),
      description: Nullable(Type.String({ maxLength: 256 })),
    }),
  ),
  resourceScopes: Type.Array(ResourceScopeGroup),
  organizationResourceScopes: Type.Array(ResourceScopeGroup),
  userScopes: Type.Array(AnsweredUserScope),
});
export type UserConsentScopes = Static<typeof UserConsentScopes>;

/** `PUT` (replace) and `POST` (add) `…/users/{userId}/consent-organizations`. */
export const UserConsentOrganizationsRequest = Type.Object({
  organizationIds: Type.Array(Type.String({ minLength: 1 })),
});
export type UserConsentOrganizationsRequest = Static<typeof UserConsentOrganizationsRequest>;

export const UserConsentOrganizations = Type.Object({ organizations: Type.Array(Organization) });
export type UserConsentOrganizations = Static<typeof UserConsentOrganizations>;
