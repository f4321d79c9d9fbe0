import { Type, type Static } from '@sinclair/typebox';

const accessControlProperties = {
  userIds: Type.Array(Type.String()),
  userRoleIds: Type.Array(Type.String()),
  organizationIds: Type.Array(Type.String()),
};

/** App-level access control rules (`GET …/access-control`). */
export const AccessControl = Type.Object({
  ...accessControlProperties,
  organizationRoleRules: Type.Array(
    Type.Object({ organizationId: Type.String(), organizationRoleIds: Type.Array(Type.String()) }),
  ),
});
export type AccessControl = Static<typeof AccessControl>;

/** `PUT …/access-control`: every organization-role rule names at least one role. */
export const ReplaceAccessControlRequest = Type.Object({
  ...accessControlProperties,
  organizationRoleRules: Type.Array(
    Type.Object({
      organizationId: Type.String(),
      organizationRoleIds: Type.Array(Type.String(), { minItems: 1 }),
    }),
  ),
});
export type ReplaceAccessControlRequest = Static<typeof ReplaceAccessControlRequest>;
