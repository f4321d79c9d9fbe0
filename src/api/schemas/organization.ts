import { Type, type Static } from '@sinclair/typebox';

import { Branding, Color, EntityId, JsonObject, Nullable, TenantId } from './common.js';

const organizationProperties = {
  tenantId: TenantId,
  id: EntityId,
  name: Type.String({ minLength: 1, maxLength: 128 }),
  description: Nullable(Type.String({ maxLength: 256 })),
  customData: JsonObject,
  isMfaRequired: Type.Boolean(),
  color: Color,
  branding: Branding,
  customCss: Nullable(Type.String()),
  createdAt: Type.Number(),
};

export const Organization = Type.Object(organizationProperties);
export type Organization = Static<typeof Organization>;

/** An item of `GET /api/applications/{id}/organizations`: the organization and the app's roles in it. */
export const ApplicationOrganization = Type.Object({
  ...organizationProperties,
  organizationRoles: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })),
});
export type ApplicationOrganization = Static<typeof ApplicationOrganization>;

export const OrganizationScope = Type.Object({
  tenantId: TenantId,
  id: EntityId,
  name: Type.String({ minLength: 1, maxLength: 128 }),
  description: Nullable(Type.String({ maxLength: 256 })),
});
export type OrganizationScope = Static<typeof OrganizationScope>;
