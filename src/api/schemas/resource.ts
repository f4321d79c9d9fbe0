import { Type, type Static } from '@sinclair/typebox';

import { EntityId, Nullable, TenantId } from './common.js';

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

/** An API resource (`GET /api/resources/{id}`). */
export const Resource = Type.Object(resourceProperties);
export type Resource = Static<typeof Resource>;

/** An item of `GET /api/resources` (`scopes` with `includeScopes=true`). */
export const ResourceListItem = Type.Object({
  ...resourceProperties,
  scopes: Type.Optional(Type.Array(ResourceScope)),
});
export type ResourceListItem = Static<typeof ResourceListItem>;
