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

/**
 * `PUT …/access-control`. Every organization-role rule must name at least one role; the document
 * says so with `minItems`, but the server answers an empty one with 422 `request.invalid_input`, not
 * with a schema error (400), so the schema leaves the check to the server.
 */
export const ReplaceAccessControlRequest = AccessControl;
export type ReplaceAccessControlRequest = Static<typeof ReplaceAccessControlRequest>;
