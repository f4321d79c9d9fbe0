import { Type, type Static } from '@sinclair/typebox';

import { EntityId, Nullable, StringEnum, TenantId } from './common.js';
import { ApplicationType } from './application.js';
import { PaginationQuery } from './query.js';
import { Resource, ResourceScope } from './resource.js';

export const roleTypes = ['User', 'MachineToMachine'] as const;
export const RoleType = StringEnum(roleTypes);
export type RoleType = Static<typeof RoleType>;

const roleProperties = {
  tenantId: TenantId,
  id: EntityId,
  name: Type.String({ minLength: 1, maxLength: 128 }),
  description: Type.String({ minLength: 1, maxLength: 128 }),
  type: RoleType,
  isDefault: Type.Boolean(),
};

/** An API resource role, as `GET /api/roles/{id}` and `GET …/applications/{id}/roles` return it. */
export const Role = Type.Object(roleProperties);
export type Role = Static<typeof Role>;

/** An item of `GET /api/roles`, with usage counts. */
export const RoleListItem = Type.Object({
  ...roleProperties,
  usersCount: Type.Number(),
  featuredUsers: Type.Array(
    Type.Object({
      id: Type.String({ minLength: 1, maxLength: 12 }),
      avatar: Nullable(Type.String({ maxLength: 2048 })),
      name: Nullable(Type.String({ maxLength: 128 })),
    }),
  ),
  applicationsCount: Type.Number(),
  featuredApplications: Type.Array(
    Type.Object({ id: EntityId, name: Type.String({ minLength: 1, maxLength: 256 }), type: ApplicationType }),
  ),
});
export type RoleListItem = Static<typeof RoleListItem>;

/** Body of `PUT` (replace) and `POST` (add) `…/applications/{id}/roles`. */
export const ApplicationRolesRequest = Type.Object({ roleIds: Type.Array(Type.String({ minLength: 1 })) });
export type ApplicationRolesRequest = Static<typeof ApplicationRolesRequest>;

/** Answer of `POST …/roles`: the requested ids and those actually added (duplicates ignored). */
export const AssignApplicationRolesResult = Type.Object({
  roleIds: Type.Array(Type.String({ minLength: 1 })),
  addedRoleIds: Type.Array(Type.String({ minLength: 1 })),
});
export type AssignApplicationRolesResult = Static<typeof AssignApplicationRolesResult>;

const RoleName = Type.String({ minLength: 1, maxLength: 128 });
const RoleDescription = Type.String({ minLength: 1, maxLength: 128 });

/**
 * `POST /api/roles` (answered 200, not 201). The name is unique per tenant (case-sensitive, built-in
 * roles included). `type` cannot change later; the server defaults it to `User`, so it is required
 * here. The document's `scopeIds` is left out on purpose: the server inserts the role before it
 * links them, and a failed link answers an error but keeps the role. Scopes go through
 * `POST /api/roles/{id}/scopes` once the role exists.
 */
export const CreateRoleRequest = Type.Object({
  name: RoleName,
  description: RoleDescription,
  type: RoleType,
});
export type CreateRoleRequest = Static<typeof CreateRoleRequest>;

/** `PATCH /api/roles/{id}`: at least one field (`{}` is a 422); a `type` is dropped. */
export const UpdateRoleRequest = Type.Object({
  name: Type.Optional(RoleName),
  description: Type.Optional(RoleDescription),
});
export type UpdateRoleRequest = Static<typeof UpdateRoleRequest>;

/** `GET /api/roles` (always paged: 20 items when no page size is given). */
export const ListRolesQuery = Type.Object({
  excludeUserId: Type.Optional(Type.String()),
  excludeApplicationId: Type.Optional(Type.String()),
  type: Type.Optional(RoleType),
  ...PaginationQuery.properties,
});
export type ListRolesQuery = Static<typeof ListRolesQuery>;

/** An item of `GET /api/roles/{id}/scopes`: the scope with its resource. */
export const RoleScope = Type.Object({ ...ResourceScope.properties, resource: Resource });
export type RoleScope = Static<typeof RoleScope>;

/**
 * `POST /api/roles/{id}/scopes`. The server refuses an empty list (400), answers 500 to an id given
 * twice, and 422 `role.scope_exists` to an id already linked; nothing is linked when it refuses.
 */
export const RoleScopesRequest = Type.Object({
  scopeIds: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, uniqueItems: true }),
});
export type RoleScopesRequest = Static<typeof RoleScopesRequest>;
