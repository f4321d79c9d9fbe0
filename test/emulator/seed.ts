// Seeding the emulator's tenant: roles, resources and scopes, organizations and members,
// organization scopes, users and applications (including ones with a legacy secret).
import {
  managementApiAccessRoleName,
  secretApplicationTypes,
  type ProtectedAppMetadata,
  type RoleType,
} from '../../src/api/schemas.js';
import { managementScope } from './auth.js';
import { newId, newSecretValue, newUserId } from './ids.js';
import { defaultSecretName, newApplicationRecord, newSecret, type NewApplication } from './records.js';
import type { EmulatorCore } from './routes/context.js';
import type {
  ApplicationRecord,
  OrganizationRecord,
  OrganizationRoleRecord,
  OrganizationScopeRecord,
  ResourceRecord,
  RoleRecord,
  ScopeRecord,
  UserRecord,
} from './state.js';

export interface SeedResourceInput {
  id?: string;
  name: string;
  indicator: string;
  accessTokenTtl?: number;
  isDefault?: boolean;
  /** Scope names, or names with descriptions (and ids). */
  scopes?: Array<string | SeedScopeInput>;
}

export interface SeedScopeInput {
  id?: string;
  name: string;
  description?: string | null;
}

export interface SeedRoleInput {
  id?: string;
  name: string;
  description?: string;
  /** Default: MachineToMachine. */
  type?: RoleType;
  isDefault?: boolean;
  /** Resource scopes the role grants, by id or by resource indicator and scope name. */
  scopeIds?: string[];
  scopes?: Array<{ indicator: string; name: string }>;
}

export interface SeedOrganizationScopeInput {
  id?: string;
  name: string;
  description?: string | null;
}

export interface SeedOrganizationRoleInput {
  id?: string;
  name: string;
}

export interface SeedUserInput {
  id?: string;
  name?: string | null;
}

export interface SeedOrganizationInput {
  id?: string;
  name: string;
  description?: string | null;
  /** Member user ids; missing users are created. */
  members?: string[];
  /** Applications in the organization, with the names of their organization roles. */
  applications?: Array<{ applicationId: string; roles?: string[] }>;
}

export interface SeedSecretInput {
  name: string;
  value?: string;
  expiresAt?: number | null;
  createdAt?: number;
}

export interface SeedApplicationInput extends Omit<NewApplication, 'legacySecret' | 'protectedAppMetadata'> {
  protectedAppMetadata?: ProtectedAppMetadata | null;
  /** A legacy plaintext secret: `true` generates one. */
  legacySecret?: string | boolean;
  /** Whether to add `Default secret` (default: for secret-owning types without a legacy secret). */
  defaultSecret?: boolean;
  secrets?: SeedSecretInput[];
  roleIds?: string[];
  roleNames?: string[];
  isAdmin?: boolean;
  appLevelAccessControlEnabled?: boolean;
}

/** A JSON-able seed, applied in this order (also accepted by `POST /__emulator/seed`). */
export interface SeedSpec {
  resources?: SeedResourceInput[];
  roles?: SeedRoleInput[];
  organizationScopes?: SeedOrganizationScopeInput[];
  organizationRoles?: SeedOrganizationRoleInput[];
  users?: SeedUserInput[];
  applications?: SeedApplicationInput[];
  organizations?: SeedOrganizationInput[];
}

export interface SeedResult {
  resources: Array<{ resource: ResourceRecord; scopes: ScopeRecord[] }>;
  roles: RoleRecord[];
  organizationScopes: OrganizationScopeRecord[];
  organizationRoles: OrganizationRoleRecord[];
  users: UserRecord[];
  applications: ApplicationRecord[];
  organizations: OrganizationRecord[];
}

const managementApiName = 'Logto Management API';

export class Seeder {
  constructor(private readonly core: EmulatorCore) {}

  private get state() {
    return this.core.state;
  }

  resource(input: SeedResourceInput): { resource: ResourceRecord; scopes: ScopeRecord[] } {
    if (this.state.resourceByIndicator(input.indicator))
      throw new Error(`Resource ${input.indicator} exists`);
    const resource: ResourceRecord = {
      id: input.id ?? newId(),
      name: input.name,
      indicator: input.indicator,
      isDefault: input.isDefault ?? false,
      accessTokenTtl: input.accessTokenTtl ?? 3600,
      seq: this.state.nextSeq(),
    };
    // At most one default resource per tenant.
    if (resource.isDefault) for (const other of this.state.resources.values()) other.isDefault = false;
    this.state.resources.set(resource.id, resource);
    const scopes = (input.scopes ?? []).map((scope) => this.scope(resource.id, scope));
    return { resource, scopes };
  }

  /** A scope of an existing resource (names are not checked for uniqueness). */
  scope(resourceId: string, input: string | SeedScopeInput): ScopeRecord {
    this.state.requireResource(resourceId);
    const {
      id,
      name,
      description = null,
    } = typeof input === 'string' ? { name: input, id: undefined } : input;
    const scope: ScopeRecord = {
      id: id ?? newId(),
      resourceId,
      name,
      description,
      createdAt: this.core.clock.now(),
    };
    this.state.scopes.set(scope.id, scope);
    return scope;
  }

  role(input: SeedRoleInput): RoleRecord {
    if ([...this.state.roles.values()].some(({ name }) => name === input.name)) {
      throw new Error(`Role ${input.name} exists`);
    }
    const scopeIds = new Set(input.scopeIds ?? []);
    for (const { indicator, name } of input.scopes ?? []) scopeIds.add(this.scopeId(indicator, name));
    for (const scopeId of scopeIds) {
      if (!this.state.scopes.has(scopeId)) throw new Error(`No scope with id ${scopeId}`);
    }
    const role: RoleRecord = {
      id: input.id ?? newId(),
      name: input.name,
      description: input.description ?? input.name,
      type: input.type ?? 'MachineToMachine',
      isDefault: input.isDefault ?? false,
      scopeIds,
      seq: this.state.nextSeq(),
    };
    this.state.roles.set(role.id, role);
    return role;
  }

  /** Links existing scopes to an existing role (what `POST /api/roles/{id}/scopes` does). */
  addScopesToRole(roleId: string, scopeIds: readonly string[]): RoleRecord {
    const role = this.state.requireRole(roleId);
    for (const scopeId of scopeIds) {
      if (!this.state.scopes.has(scopeId)) throw new Error(`No scope with id ${scopeId}`);
      role.scopeIds.add(scopeId);
    }
    return role;
  }

  /**
   * Assigns a role to an application, whatever their types: `POST /api/roles/{id}/applications`
   * does not check the app's type either (BEHAVIOUR-resources-roles.md, fact 36).
   */
  assignRole(applicationId: string, roleId: string): void {
    this.state.requireApplication(applicationId).roleIds.add(this.state.requireRole(roleId).id);
  }

  organizationScope(input: SeedOrganizationScopeInput): OrganizationScopeRecord {
    const scope: OrganizationScopeRecord = {
      id: input.id ?? newId(),
      name: input.name,
      description: input.description ?? null,
      seq: this.state.nextSeq(),
    };
    this.state.organizationScopes.set(scope.id, scope);
    return scope;
  }

  user(input: SeedUserInput = {}): UserRecord {
    const user: UserRecord = {
      id: input.id ?? newUserId(),
      name: input.name ?? null,
      createdAt: this.core.clock.now(),
    };
    this.state.users.set(user.id, user);
    return user;
  }

  organization(input: SeedOrganizationInput): OrganizationRecord {
    const organization: OrganizationRecord = {
      id: input.id ?? newId(),
      name: input.name,
      description: input.description ?? null,
      customData: {},
      isMfaRequired: false,
      color: {},
      branding: {},
      customCss: null,
      createdAt: this.core.clock.now(),
      seq: this.state.nextSeq(),
      members: new Set(),
      applications: new Map(),
    };
    this.state.organizations.set(organization.id, organization);
    for (const userId of input.members ?? []) this.addMember(organization.id, userId);
    for (const { applicationId, roles } of input.applications ?? []) {
      this.addApplicationToOrganization(organization.id, applicationId, roles);
    }
    return organization;
  }

  organizationRole(input: SeedOrganizationRoleInput): OrganizationRoleRecord {
    const role: OrganizationRoleRecord = {
      id: input.id ?? newId(),
      name: input.name,
      seq: this.state.nextSeq(),
    };
    this.state.organizationRoles.set(role.id, role);
    return role;
  }

  /** The organization role with that name, created when there is none. */
  organizationRoleByName(name: string): OrganizationRoleRecord {
    const existing = [...this.state.organizationRoles.values()].find((role) => role.name === name);
    return existing ?? this.organizationRole({ name });
  }

  /** Makes the user (created when unknown) a member of the organization. */
  addMember(organizationId: string, userId: string): void {
    if (!this.state.users.has(userId)) this.user({ id: userId });
    this.state.requireOrganization(organizationId).members.add(userId);
  }

  addApplicationToOrganization(
    organizationId: string,
    applicationId: string,
    roleNames: string[] = [],
  ): void {
    this.state.requireApplication(applicationId);
    this.state.requireOrganization(organizationId).applications.set(
      applicationId,
      roleNames.map((name) => ({ id: this.organizationRoleByName(name).id, name })),
    );
  }

  application(input: SeedApplicationInput): ApplicationRecord {
    const { legacySecret, defaultSecret, secrets = [], roleIds = [], roleNames = [] } = input;
    const app = newApplicationRecord(this.state, this.core.clock, {
      ...input,
      legacySecret: legacySecret === true ? newSecretValue() : legacySecret || null,
    });
    if (input.isAdmin !== undefined) app.isAdmin = input.isAdmin;
    if (input.appLevelAccessControlEnabled !== undefined) {
      app.appLevelAccessControlEnabled = input.appLevelAccessControlEnabled;
    }
    const now = this.core.clock.now();
    const hasSecrets = (secretApplicationTypes as readonly string[]).includes(app.type);
    if (defaultSecret ?? (hasSecrets && app.legacySecret === null && secrets.length === 0)) {
      app.secrets.push(newSecret(defaultSecretName, now));
    }
    for (const secret of secrets) {
      app.secrets.push(
        newSecret(secret.name, secret.createdAt ?? now, secret.expiresAt ?? null, secret.value),
      );
    }
    for (const roleId of roleIds) app.roleIds.add(this.state.requireRole(roleId).id);
    for (const name of roleNames) app.roleIds.add(this.roleByName(name).id);
    this.state.applications.set(app.id, app);
    return app;
  }

  /** Applies a JSON seed; see SeedSpec for the order. */
  apply(spec: SeedSpec): SeedResult {
    return {
      resources: (spec.resources ?? []).map((input) => this.resource(input)),
      roles: (spec.roles ?? []).map((input) => this.role(input)),
      organizationScopes: (spec.organizationScopes ?? []).map((input) => this.organizationScope(input)),
      organizationRoles: (spec.organizationRoles ?? []).map((input) => this.organizationRole(input)),
      users: (spec.users ?? []).map((input) => this.user(input)),
      applications: (spec.applications ?? []).map((input) => this.application(input)),
      organizations: (spec.organizations ?? []).map((input) => this.organization(input)),
    };
  }

  /**
   * The Management API resource with its `all` scope, and the MachineToMachine role that grants it,
   * as a fresh Logto OSS database holds them (ids, names and descriptions of Logto's seed).
   */
  managementApi(): { resource: ResourceRecord; role: RoleRecord } {
    const { resource } = this.resource({
      id: 'management-api',
      name: managementApiName,
      indicator: this.core.config.resourceIndicator,
      // 3600 unless the emulator was started with another token lifetime.
      accessTokenTtl: this.core.config.tokenTtlSeconds,
      scopes: [
        {
          id: 'management-api-all',
          name: managementScope,
          description: 'Default scope for Management API, allows all permissions.',
        },
      ],
    });
    const role = this.role({
      name: managementApiAccessRoleName,
      description: 'This default role grants access to the Logto management API.',
      scopes: [{ indicator: resource.indicator, name: managementScope }],
    });
    return { resource, role };
  }

  roleByName(name: string): RoleRecord {
    const role = [...this.state.roles.values()].find((candidate) => candidate.name === name);
    if (!role) throw new Error(`No role named ${name}`);
    return role;
  }

  private scopeId(indicator: string, name: string): string {
    const resource = this.state.resourceByIndicator(indicator);
    const scope = [...this.state.scopes.values()].find(
      (candidate) => candidate.resourceId === resource?.id && candidate.name === name,
    );
    if (!scope) throw new Error(`No scope ${name} on resource ${indicator}`);
    return scope.id;
  }
}
