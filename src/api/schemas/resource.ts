import { Type, type Static } from '@sinclair/typebox';

import { EntityId, Nullable, TenantId } from './common.js';
import { PaginationQuery } from './query.js';

/** A permission (scope) of an API resource. */
export const ResourceScope = Type.Object({
  tenantId: TenantId,
  id: EntityId,
  resourceId: EntityId,
  name: Type.String({ minLength: 1, maxLength: 256 }),
  description: Nullable(Type.String()),
  createdAt: Type.Number(),
});
export type ResourceScope = Static<typeof ResourceScope>;

const resourceProperties = {
  tenantId: TenantId,
  id: EntityId,
  name: Type.String({ minLength: 1 }),
  indicator: Type.String({ minLength: 1 }),
  isDefault: Type.Boolean(),
  accessTokenTtl: Type.Number(),
};

/** An API resource (`GET /api/resources/{id}`, `PATCH`): never with its scopes. */
export const Resource = Type.Object(resourceProperties);
export type Resource = Static<typeof Resource>;

/** An item of `GET /api/resources` (`scopes` with `includeScopes=true`). */
export const ResourceListItem = Type.Object({
  ...resourceProperties,
  scopes: Type.Optional(Type.Array(ResourceScope)),
});
export type ResourceListItem = Static<typeof ResourceListItem>;

/** The answer of `POST /api/resources`: the new resource, with `scopes: []`. */
export const CreatedResource = ResourceListItem;
export type CreatedResource = Static<typeof CreatedResource>;

/**
 * `accessTokenTtl` in seconds. The server takes any integer (0 and negatives too, which give tokens of
 * 600 s and already expired ones) and refuses fractions (422); the document says "number".
 */
const AccessTokenTtl = Type.Integer();

/**
 * `POST /api/resources`. The indicator is not validated and cannot be changed later; it is unique per
 * tenant as an exact string. `tenantId` (in the document), `isDefault` and unknown keys are dropped.
 */
export const CreateResourceRequest = Type.Object({
  name: Type.String({ minLength: 1 }),
  indicator: Type.String({ minLength: 1 }),
  accessTokenTtl: Type.Optional(AccessTokenTtl),
});
export type CreateResourceRequest = Static<typeof CreateResourceRequest>;

/** `PATCH /api/resources/{id}`: at least one field (`{}` is a 422); an `indicator` is dropped. */
export const UpdateResourceRequest = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1 })),
  accessTokenTtl: Type.Optional(AccessTokenTtl),
});
export type UpdateResourceRequest = Static<typeof UpdateResourceRequest>;

/** `includeScopes`: `true` (also `yes`, `1`) adds every resource's scopes. */
export const ListResourcesQuery = Type.Object({
  includeScopes: Type.Optional(Type.String()),
  ...PaginationQuery.properties,
});
export type ListResourcesQuery = Static<typeof ListResourcesQuery>;

/** A scope name: unique per resource (case-sensitive); the server refuses any whitespace (400). */
const ScopeName = Type.String({ minLength: 1, maxLength: 256, pattern: '^\\S+$' });

/** `POST /api/resources/{resourceId}/scopes`. An omitted or empty description is stored as null. */
export const CreateResourceScopeRequest = Type.Object({
  name: ScopeName,
  description: Type.Optional(Nullable(Type.String())),
});
export type CreateResourceScopeRequest = Static<typeof CreateResourceScopeRequest>;

/** `PATCH /api/resources/{resourceId}/scopes/{scopeId}`: at least one field (`{}` is a 422). */
export const UpdateResourceScopeRequest = Type.Object({
  name: Type.Optional(ScopeName),
  description: Type.Optional(Nullable(Type.String())),
});
export type UpdateResourceScopeRequest = Static<typeof UpdateResourceScopeRequest>;
