import { Type, type Static } from '@sinclair/typebox';

import { EntityId, Nullable, StringEnum, TenantId } from './common.js';
import { ApplicationType } from './application.js';

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
