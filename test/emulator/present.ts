// Records → Management API answers (the shapes of src/api/schemas).
import type {
  AccessControl,
  Application,
  ApplicationDetails,
  ApplicationOrganization,
  ApplicationSecret,
  ApplicationSignInExperience,
  LegacySecretDeletionResult,
  Organization,
  OrganizationScope,
  Resource,
  ResourceScope,
  Role,
  RoleListItem,
} from '../../src/api/schemas.js';
import type {
  ApplicationRecord,
  EmulatorState,
  OrganizationRecord,
  OrganizationScopeRecord,
  ResourceRecord,
  RoleRecord,
  ScopeRecord,
  SecretRecord,
} from './state.js';

const clone = <T>(value: T): T => structuredClone(value);

export const presentApplication = (state: EmulatorState, app: ApplicationRecord): Application => ({
  tenantId: state.tenantId,
  id: app.id,
  name: app.name,
  ...(app.legacySecret === null ? {} : { secret: app.legacySecret }),
  description: app.description,
  type: app.type,
  oidcClientMetadata: clone(app.oidcClientMetadata),
  customClientMetadata: clone(app.customClientMetadata),
  protectedAppMetadata: clone(app.protectedAppMetadata),
  customData: clone(app.customData),
  isThirdParty: app.isThirdParty,
  appLevelAccessControlEnabled: app.appLevelAccessControlEnabled,
  createdAt: app.createdAt,
});

export const presentApplicationDetails = (
  state: EmulatorState,
  app: ApplicationRecord,
): ApplicationDetails => ({
  ...presentApplication(state, app),
  isAdmin: app.isAdmin,
});

export const presentLegacySecretDeletion = (
  state: EmulatorState,
  app: ApplicationRecord,
): LegacySecretDeletionResult => presentApplication(state, app);

export const presentSecret = (
  state: EmulatorState,
  app: ApplicationRecord,
  secret: SecretRecord,
): ApplicationSecret => ({
  tenantId: state.tenantId,
  applicationId: app.id,
  name: secret.name,
  value: secret.value,
  createdAt: secret.createdAt,
  expiresAt: secret.expiresAt,
});

export const presentRole = (state: EmulatorState, role: RoleRecord): Role => ({
  tenantId: state.tenantId,
  id: role.id,
  name: role.name,
  description: role.description,
  type: role.type,
  isDefault: role.isDefault,
});

export const presentRoleListItem = (state: EmulatorState, role: RoleRecord): RoleListItem => {
  const applications = [...state.applications.values()].filter((app) => app.roleIds.has(role.id));
  return {
    ...presentRole(state, role),
    usersCount: 0,
    featuredUsers: [],
    applicationsCount: applications.length,
    featuredApplications: applications.slice(0, 3).map(({ id, name, type }) => ({ id, name, type })),
  };
};

export const presentResource = (state: EmulatorState, resource: ResourceRecord): Resource => ({
  tenantId: state.tenantId,
  id: resource.id,
  name: resource.name,
  indicator: resource.indicator,
  isDefault: resource.isDefault,
  accessTokenTtl: resource.accessTokenTtl,
});

export const presentScope = (state: EmulatorState, scope: ScopeRecord): ResourceScope => ({
  tenantId: state.tenantId,
  id: scope.id,
  resourceId: scope.resourceId,
  name: scope.name,
  description: scope.description,
  createdAt: scope.createdAt,
});

/** A scope as `GET /api/roles/{id}/scopes` lists it: with its resource. */
export const presentScopeWithResource = (state: EmulatorState, scope: ScopeRecord) => {
  const resource = state.resources.get(scope.resourceId);
  return {
    ...presentScope(state, scope),
    ...(resource ? { resource: presentResource(state, resource) } : {}),
  };
};

/** An application as `GET /api/roles/{id}/applications` lists it: no `secret`, no `isAdmin`. */
export const presentRoleApplication = (state: EmulatorState, app: ApplicationRecord): Application => {
  const answer = presentApplication(state, app);
  delete answer.secret;
  return answer;
};

export const presentOrganizationScope = (
  state: EmulatorState,
  scope: OrganizationScopeRecord,
): OrganizationScope => ({
  tenantId: state.tenantId,
  id: scope.id,
  name: scope.name,
  description: scope.description,
});

export const presentOrganization = (
  state: EmulatorState,
  organization: OrganizationRecord,
): Organization => ({
  tenantId: state.tenantId,
  id: organization.id,
  name: organization.name,
  description: organization.description,
  customData: clone(organization.customData),
  isMfaRequired: organization.isMfaRequired,
  color: clone(organization.color),
  branding: clone(organization.branding),
  customCss: organization.customCss,
  createdAt: organization.createdAt,
});

export const presentApplicationOrganization = (
  state: EmulatorState,
  organization: OrganizationRecord,
  applicationId: string,
): ApplicationOrganization => ({
  ...presentOrganization(state, organization),
  organizationRoles: clone(organization.applications.get(applicationId) ?? []),
});

export const presentSignInExperience = (
  state: EmulatorState,
  app: ApplicationRecord,
): ApplicationSignInExperience | undefined =>
  app.signInExperience === null
    ? undefined
    : { tenantId: state.tenantId, applicationId: app.id, ...clone(app.signInExperience) };

export const emptyAccessControl = (): AccessControl => ({
  userIds: [],
  userRoleIds: [],
  organizationIds: [],
  organizationRoleRules: [],
});
