// Enough of the rest of the Management API to resolve names to ids (roles, resources and their
// scopes, organization scopes, organizations) and to manage organization members.
import { Type, type Static } from '@sinclair/typebox';

import { Nullable, RoleType, roleTypes } from '../../../src/api/schemas.js';
import { ApiError, entityNotFound, invalidInput } from '../errors.js';
import { newId } from '../ids.js';
import { paginate } from '../pagination.js';
import {
  presentOrganization,
  presentOrganizationScope,
  presentResource,
  presentRole,
  presentRoleListItem,
  presentScope,
} from '../present.js';
import { applySearch, parseSearch } from '../search.js';
import {
  EmulatorState,
  type ResourceRecord,
  type RoleRecord,
  type ScopeRecord,
  type UserRecord,
} from '../state.js';
import type { RouteDef } from './context.js';

const UserIdsRequest = Type.Object({ userIds: Type.Array(Type.String({ minLength: 1 })) });

// Creation bodies, as Logto's OpenAPI document describes them (unknown fields are dropped).
const CreateResourceRequest = Type.Object({
  name: Type.String({ minLength: 1 }),
  indicator: Type.String({ minLength: 1 }),
  accessTokenTtl: Type.Optional(Type.Number()),
});
const CreateScopeRequest = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 256 }),
  description: Type.Optional(Nullable(Type.String())),
});
const CreateRoleRequest = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 128 }),
  description: Type.String({ minLength: 1, maxLength: 128 }),
  type: Type.Optional(RoleType),
  isDefault: Type.Optional(Type.Boolean()),
  scopeIds: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
});

/** Duplicate names and indicators are a business rule of the server (422). */
const alreadyInUse = (code: string, message: string) => new ApiError(422, code, message);

/** `q`: a case-insensitive substring of the id, name or description. */
const matchesQ = (q: string | null, ...fields: Array<string | null>) =>
  q === null || fields.some((field) => field?.toLowerCase().includes(q.toLowerCase()));

const presentMember = (user: UserRecord) => ({
  id: user.id,
  username: null,
  primaryEmail: null,
  primaryPhone: null,
  name: user.name,
  avatar: null,
  customData: {},
  identities: {},
  lastSignInAt: null,
  createdAt: user.createdAt,
  updatedAt: user.createdAt,
  profile: {},
  applicationId: null,
  cimdClientId: null,
  isSuspended: false,
  organizationRoles: [],
});

export const managementRoutes: RouteDef[] = [
  // Up check, without authentication (BEHAVIOUR.md, "API resources, scopes, organizations").
  { method: 'GET', path: '/api/status', auth: false, handle: () => ({ status: 204 }) },
  {
    method: 'POST',
    path: '/api/roles',
    auth: true,
    request: CreateRoleRequest,
    // 200, not 201, like the server.
    handle: ({ core, body }) => {
      const input = body as Static<typeof CreateRoleRequest>;
      if ([...core.state.roles.values()].some(({ name }) => name === input.name)) {
        throw alreadyInUse('role.name_in_use', `The role name ${input.name} is already in use.`);
      }
      for (const scopeId of input.scopeIds ?? []) {
        if (!core.state.scopes.has(scopeId)) throw entityNotFound('scopes', scopeId);
      }
      const role: RoleRecord = {
        id: newId(),
        name: input.name,
        description: input.description,
        type: input.type ?? 'User',
        isDefault: input.isDefault ?? false,
        scopeIds: new Set(input.scopeIds ?? []),
        seq: core.state.nextSeq(),
      };
      core.state.roles.set(role.id, role);
      return { status: 200, body: presentRole(core.state, role) };
    },
  },
  {
    method: 'POST',
    path: '/api/resources',
    auth: true,
    request: CreateResourceRequest,
    handle: ({ core, body }) => {
      const input = body as Static<typeof CreateResourceRequest>;
      if (core.state.resourceByIndicator(input.indicator)) {
        throw alreadyInUse('resource.resource_indicator_exists', `The resource indicator is already in use.`);
      }
      const resource: ResourceRecord = {
        id: newId(),
        name: input.name,
        indicator: input.indicator,
        isDefault: false,
        accessTokenTtl: input.accessTokenTtl ?? 3600,
        seq: core.state.nextSeq(),
      };
      core.state.resources.set(resource.id, resource);
      return { status: 201, body: { ...presentResource(core.state, resource), scopes: [] } };
    },
  },
  {
    method: 'POST',
    path: '/api/resources/{resourceId}/scopes',
    auth: true,
    request: CreateScopeRequest,
    handle: ({ core, params, body }) => {
      const resource = core.state.requireResource(params.resourceId ?? '');
      const input = body as Static<typeof CreateScopeRequest>;
      const taken = [...core.state.scopes.values()].some(
        (scope) => scope.resourceId === resource.id && scope.name === input.name,
      );
      if (taken) throw alreadyInUse('scope.name_exists', `The scope name ${input.name} is already in use.`);
      const scope: ScopeRecord = {
        id: newId(),
        resourceId: resource.id,
        name: input.name,
        description: input.description ?? null,
        createdAt: core.clock.now(),
      };
      core.state.scopes.set(scope.id, scope);
      return { status: 201, body: presentScope(core.state, scope) };
    },
  },
  {
    method: 'GET',
    path: '/api/roles',
    auth: true,
    handle: ({ core, query }) => {
      const type = query.get('type');
      if (type !== null && !roleTypes.includes(type as RoleType))
        throw invalidInput(`Invalid role type \`${type}\`.`);
      const excludeApplicationId = query.get('excludeApplicationId');
      const excluded = excludeApplicationId
        ? core.state.applications.get(excludeApplicationId)?.roleIds
        : undefined;
      const search = parseSearch(query, ['id', 'name', 'description']);
      const roles = EmulatorState.newestFirst(core.state.roles.values()).filter(
        (role) => (type === null || role.type === type) && !excluded?.has(role.id),
      );
      const found = applySearch(roles, search, ({ id, name, description }) => ({ id, name, description }));
      const page = paginate(found, query, { optional: false });
      return {
        status: 200,
        body: page.items.map((role) => presentRoleListItem(core.state, role)),
        headers: page.headers,
      };
    },
  },
  {
    method: 'DELETE',
    path: '/api/roles/{id}',
    auth: true,
    handle: ({ core, params }) => {
      const role = core.state.requireRole(params.id ?? '');
      core.state.roles.delete(role.id);
      for (const app of core.state.applications.values()) app.roleIds.delete(role.id);
      return { status: 204 };
    },
  },
  {
    method: 'GET',
    path: '/api/roles/{id}',
    auth: true,
    handle: ({ core, params }) => ({
      status: 200,
      body: presentRole(core.state, core.state.requireRole(params.id ?? '')),
    }),
  },
  {
    method: 'GET',
    path: '/api/resources',
    auth: true,
    handle: ({ core, query }) => {
      const includeScopes = query.get('includeScopes') === 'true';
      const resources = EmulatorState.newestFirst(core.state.resources.values());
      const page = paginate(resources, query, { optional: true });
      const scopesOf = (resourceId: string) =>
        [...core.state.scopes.values()]
          .filter((scope) => scope.resourceId === resourceId)
          .map((scope) => presentScope(core.state, scope));
      return {
        status: 200,
        body: page.items.map((resource) => ({
          ...presentResource(core.state, resource),
          ...(includeScopes ? { scopes: scopesOf(resource.id) } : {}),
        })),
        headers: page.headers,
      };
    },
  },
  {
    // Scopes carry their resource, as the server answers them.
    method: 'GET',
    path: '/api/roles/{id}/scopes',
    auth: true,
    handle: ({ core, params, query }) => {
      const role = core.state.requireRole(params.id ?? '');
      const scopes = [...role.scopeIds].flatMap((id) => {
        const scope = core.state.scopes.get(id);
        return scope ? [scope] : [];
      });
      const page = paginate(scopes, query, { optional: true });
      return {
        status: 200,
        body: page.items.map((scope) => ({
          ...presentScope(core.state, scope),
          resource: presentResource(core.state, core.state.requireResource(scope.resourceId)),
        })),
        headers: page.headers,
      };
    },
  },
  {
    method: 'GET',
    path: '/api/resources/{id}',
    auth: true,
    handle: ({ core, params }) => ({
      status: 200,
      body: presentResource(core.state, core.state.requireResource(params.id ?? '')),
    }),
  },
  {
    method: 'GET',
    path: '/api/resources/{resourceId}/scopes',
    auth: true,
    handle: ({ core, params, query }) => {
      const resource = core.state.requireResource(params.resourceId ?? '');
      const search = parseSearch(query, ['id', 'name', 'description']);
      const scopes = [...core.state.scopes.values()].filter((scope) => scope.resourceId === resource.id);
      const found = applySearch(scopes, search, ({ id, name, description }) => ({ id, name, description }));
      const page = paginate(found, query, { optional: true });
      return {
        status: 200,
        body: page.items.map((scope) => presentScope(core.state, scope)),
        headers: page.headers,
      };
    },
  },
  {
    method: 'GET',
    path: '/api/organization-scopes',
    auth: true,
    handle: ({ core, query }) => {
      const q = query.get('q');
      const scopes = [...core.state.organizationScopes.values()].filter((scope) =>
        matchesQ(q, scope.id, scope.name, scope.description),
      );
      const page = paginate(scopes, query, { optional: true });
      return {
        status: 200,
        body: page.items.map((scope) => presentOrganizationScope(core.state, scope)),
        headers: page.headers,
      };
    },
  },
  {
    method: 'GET',
    path: '/api/organizations',
    auth: true,
    handle: ({ core, query }) => {
      const q = query.get('q');
      const organizations = EmulatorState.newestFirst(core.state.organizations.values()).filter(
        (organization) => matchesQ(q, organization.id, organization.name, organization.description),
      );
      const page = paginate(organizations, query, { optional: true });
      return {
        status: 200,
        body: page.items.map((organization) => presentOrganization(core.state, organization)),
        headers: page.headers,
      };
    },
  },
  {
    method: 'GET',
    path: '/api/organizations/{id}',
    auth: true,
    handle: ({ core, params }) => ({
      status: 200,
      body: presentOrganization(core.state, core.state.requireOrganization(params.id ?? '')),
    }),
  },
  {
    method: 'GET',
    path: '/api/organizations/{id}/users',
    auth: true,
    handle: ({ core, params, query }) => {
      const organization = core.state.requireOrganization(params.id ?? '');
      const members = [...organization.members].flatMap((userId) => core.state.users.get(userId) ?? []);
      const page = paginate(members, query, { optional: true });
      return {
        status: 200,
        body: page.items.map(presentMember),
        headers: page.headers,
      };
    },
  },
  {
    method: 'POST',
    path: '/api/organizations/{id}/users',
    auth: true,
    request: UserIdsRequest,
    handle: ({ core, params, body }) => {
      const organization = core.state.requireOrganization(params.id ?? '');
      const { userIds } = body as { userIds: string[] };
      const unknown = userIds.filter((userId) => !core.state.users.has(userId));
      if (unknown.length > 0) {
        throw new ApiError(422, 'entity.relation_foreign_key_not_found', 'Some of the users do not exist.', {
          userIds: unknown,
        });
      }
      for (const userId of userIds) organization.members.add(userId);
      return { status: 201, body: { userIds } };
    },
  },
  {
    method: 'GET',
    path: '/api/users/{id}',
    auth: true,
    handle: ({ core, params }) => ({
      status: 200,
      body: presentMember(core.state.requireUser(params.id ?? '')),
    }),
  },
  {
    method: 'GET',
    path: '/api/organization-roles/{id}',
    auth: true,
    handle: ({ core, params }) => {
      const role = core.state.organizationRoles.get(params.id ?? '');
      if (!role) throw entityNotFound('organization role', params.id ?? '');
      return {
        status: 200,
        body: {
          tenantId: core.state.tenantId,
          id: role.id,
          name: role.name,
          description: null,
          type: 'User',
        },
      };
    },
  },
];
