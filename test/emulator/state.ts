// The emulator's tenant: plain records in maps, mutated by the route handlers and the seeder, and
// open to tests for assertions (`emulator.state.applications.get(id)`).
import type { Static } from '@sinclair/typebox';

import type {
  AccessControl,
  ApplicationType,
  Branding,
  Color,
  CustomClientMetadata,
  OidcClientMetadata,
  ProtectedAppMetadata,
  RoleType,
  UserScope,
} from '../../src/api/schemas.js';

import { entityNotFound } from './errors.js';

export interface SecretRecord {
  name: string;
  value: string;
  createdAt: number;
  /** Epoch ms, or null for a secret that never expires. */
  expiresAt: number | null;
}

export interface ConsentScopesRecord {
  organizationScopes: Set<string>;
  resourceScopes: Set<string>;
  organizationResourceScopes: Set<string>;
  userScopes: Set<UserScope>;
}

export interface SignInExperienceRecord {
  color: Static<typeof Color>;
  branding: Static<typeof Branding>;
  customCss: string | null;
  termsOfUseUrl: string | null;
  privacyPolicyUrl: string | null;
  displayName: string | null;
}

export interface ApplicationRecord {
  id: string;
  name: string;
  description: string | null;
  type: ApplicationType;
  oidcClientMetadata: OidcClientMetadata;
  customClientMetadata: CustomClientMetadata;
  protectedAppMetadata: ProtectedAppMetadata | null;
  customData: Record<string, unknown>;
  isThirdParty: boolean;
  appLevelAccessControlEnabled: boolean;
  createdAt: number;
  /** Creation order: breaks `createdAt` ties for "newest first". */
  seq: number;
  /** The plaintext secret of apps created before secrets existed; answered as `secret`. */
  legacySecret: string | null;
  isAdmin: boolean;
  secrets: SecretRecord[];
  roleIds: Set<string>;
  consentScopes: ConsentScopesRecord;
  /** userId → organization ids the user granted this (third-party) app. */
  consentOrganizations: Map<string, Set<string>>;
  signInExperience: SignInExperienceRecord | null;
  accessControl: AccessControl | null;
}

export interface RoleRecord {
  id: string;
  name: string;
  description: string;
  type: RoleType;
  isDefault: boolean;
  /** Resource scope ids the role grants. */
  scopeIds: Set<string>;
  seq: number;
}

export interface ResourceRecord {
  id: string;
  name: string;
  indicator: string;
  isDefault: boolean;
  accessTokenTtl: number;
  seq: number;
}

export interface ScopeRecord {
  id: string;
  resourceId: string;
  name: string;
  description: string | null;
  createdAt: number;
}

export interface OrganizationScopeRecord {
  id: string;
  name: string;
  description: string | null;
  seq: number;
}

/** A role within organizations (Logto's organization role template). */
export interface OrganizationRoleRecord {
  id: string;
  name: string;
  seq: number;
}

export interface OrganizationRecord {
  id: string;
  name: string;
  description: string | null;
  customData: Record<string, unknown>;
  isMfaRequired: boolean;
  color: Static<typeof Color>;
  branding: Static<typeof Branding>;
  customCss: string | null;
  createdAt: number;
  seq: number;
  /** Member user ids. */
  members: Set<string>;
  /** applicationId → the app's organization roles. */
  applications: Map<string, Array<{ id: string; name: string }>>;
}

export interface UserRecord {
  id: string;
  name: string | null;
  createdAt: number;
}

export interface TokenRecord {
  jti: string;
  clientId: string;
  /** The resource indicator the token was issued for (`aud`). */
  audience: string;
  scope: string | undefined;
  issuedAt: number;
  /** Epoch ms; `expireTokens()` moves it to the past. */
  expiresAt: number;
}

export const emptyConsentScopes = (): ConsentScopesRecord => ({
  organizationScopes: new Set(),
  resourceScopes: new Set(),
  organizationResourceScopes: new Set(),
  userScopes: new Set(),
});

export class EmulatorState {
  readonly applications = new Map<string, ApplicationRecord>();
  readonly roles = new Map<string, RoleRecord>();
  readonly resources = new Map<string, ResourceRecord>();
  readonly scopes = new Map<string, ScopeRecord>();
  readonly organizationScopes = new Map<string, OrganizationScopeRecord>();
  readonly organizationRoles = new Map<string, OrganizationRoleRecord>();
  readonly organizations = new Map<string, OrganizationRecord>();
  readonly users = new Map<string, UserRecord>();
  /** Issued access tokens by `jti`. Kept across `clear()`: a token outlives a data reset. */
  readonly tokens = new Map<string, TokenRecord>();
  /**
   * Every secret value and access token the emulator ever answered with (kept across `clear()`), so
   * that tests can check that none of them reached a log, an event or a status.
   */
  readonly credentialsAnswered = new Set<string>();
  private sequence = 0;

  constructor(readonly tenantId: string) {}

  nextSeq(): number {
    this.sequence += 1;
    return this.sequence;
  }

  /** Drops all tenant data (not the issued tokens). */
  clear(): void {
    for (const map of [
      this.applications,
      this.roles,
      this.resources,
      this.scopes,
      this.organizationScopes,
      this.organizationRoles,
      this.organizations,
      this.users,
    ]) {
      map.clear();
    }
  }

  requireApplication(id: string): ApplicationRecord {
    const application = this.applications.get(id);
    if (!application) throw entityNotFound('applications', id);
    return application;
  }

  requireRole(id: string): RoleRecord {
    const role = this.roles.get(id);
    if (!role) throw entityNotFound('roles', id);
    return role;
  }

  requireUser(id: string): UserRecord {
    const user = this.users.get(id);
    if (!user) throw entityNotFound('users', id);
    return user;
  }

  requireOrganization(id: string): OrganizationRecord {
    const organization = this.organizations.get(id);
    if (!organization) throw entityNotFound('organizations', id);
    return organization;
  }

  requireResource(id: string): ResourceRecord {
    const resource = this.resources.get(id);
    if (!resource) throw entityNotFound('resources', id);
    return resource;
  }

  resourceByIndicator(indicator: string): ResourceRecord | undefined {
    return [...this.resources.values()].find((resource) => resource.indicator === indicator);
  }

  /** The resource with `isDefault` (at most one): tokens requested without `resource` are for it. */
  defaultResource(): ResourceRecord | undefined {
    return [...this.resources.values()].find((resource) => resource.isDefault);
  }

  /** The scopes of a resource, in storage order. */
  scopesOf(resourceId: string): ScopeRecord[] {
    return [...this.scopes.values()].filter((scope) => scope.resourceId === resourceId);
  }

  /**
   * Moves an updated row to the end of its table: Postgres rewrites an updated row, and an unordered
   * list then shows it last (BEHAVIOUR-resources-roles.md, fact 8).
   */
  static touch<V>(table: Map<string, V>, id: string): void {
    const row = table.get(id);
    if (row === undefined) return;
    table.delete(id);
    table.set(id, row);
  }

  /** Deletes a scope and every link to it: roles, consent grants (the database's cascades). */
  deleteScope(id: string): boolean {
    if (!this.scopes.delete(id)) return false;
    for (const role of this.roles.values()) role.scopeIds.delete(id);
    for (const app of this.applications.values()) {
      app.consentScopes.resourceScopes.delete(id);
      app.consentScopes.organizationResourceScopes.delete(id);
    }
    return true;
  }

  /** Deletes a resource with its scopes (and so removes them from every role). */
  deleteResource(id: string): boolean {
    if (!this.resources.has(id)) return false;
    for (const scope of this.scopesOf(id)) this.deleteScope(scope.id);
    return this.resources.delete(id);
  }

  /** Deletes a role and its assignments to applications. */
  deleteRole(id: string): boolean {
    if (!this.roles.delete(id)) return false;
    for (const app of this.applications.values()) app.roleIds.delete(id);
    return true;
  }

  /** Ids of the resource scopes an application holds through its roles. */
  grantedScopeIds(application: ApplicationRecord): Set<string> {
    const granted = new Set<string>();
    for (const roleId of application.roleIds) {
      for (const scopeId of this.roles.get(roleId)?.scopeIds ?? []) granted.add(scopeId);
    }
    return granted;
  }

  /** Newest first, like Logto's lists (`createdAt`, then creation order). */
  static newestFirst<T extends { seq: number; createdAt?: number }>(items: Iterable<T>): T[] {
    return [...items].sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0) || b.seq - a.seq);
  }
}
