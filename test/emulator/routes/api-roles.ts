// API resource roles (`/api/roles…`): the roles themselves, their scopes and their applications, as a
// Logto OSS 1.42 server answers them (../shared/logto/BEHAVIOUR-resources-roles.md; "fact N" below
// is a numbered fact of that file). The roles of one application (`/api/applications/{id}/roles`)
// are in roles.ts; both directions share `ApplicationRecord.roleIds` (fact 39).
import { Type, type Static } from '@sinclair/typebox';

import { RoleType } from '../../../src/api/schemas.js';
import {
  ApiError,
  constraintViolated,
  emptyInsert,
  entityNotFound,
  internalError,
  nothingDeleted,
} from '../errors.js';
import { guard } from '../guard.js';
import { newId } from '../ids.js';
import { pageLink, paginate } from '../pagination.js';
import {
  presentRole,
  presentRoleApplication,
  presentRoleListItem,
  presentScope,
  presentScopeWithResource,
} from '../present.js';
import { applySearch, parseSearch } from '../search.js';
import { EmulatorState, type RoleRecord } from '../state.js';
import type { EmulatorCore, RouteDef } from './context.js';
import { isManagementApi } from './resources.js';

const Ids = Type.Array(Type.String({ minLength: 1 }));

// Bodies as the server's guard checks them; unknown fields (`type` on PATCH, `id`, `customData`,
// `tenantId`) are dropped (facts 25, 30).
const CreateRoleRequest = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 128 }),
  description: Type.String({ minLength: 1, maxLength: 128 }),
  type: Type.Optional(RoleType),
  isDefault: Type.Optional(Type.Boolean()),
  scopeIds: Type.Optional(Ids),
});
const UpdateRoleRequest = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  description: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  isDefault: Type.Optional(Type.Boolean()),
});
const RoleScopesRequest = Type.Object({
  scopeIds: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
});
const RoleApplicationsRequest = Type.Object({
  applicationIds: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
});
const ListRolesQuery = Type.Object({ type: Type.Optional(RoleType) });

/** Roles named so are Logto's own: readable by id, never listed (fact 27). */
const internalRolePrefix = '#internal:';

/** Role names are unique per tenant, compared case-sensitively, whatever the type (fact 4). */
const checkRoleNameFree = (core: EmulatorCore, name: string, exceptId?: string) => {
  if ([...core.state.roles.values()].some((role) => role.name === name && role.id !== exceptId)) {
    throw new ApiError(422, 'role.name_in_use', `This role name ${name} is already in use`);
  }
};

const hasDuplicates = (ids: readonly string[]) => new Set(ids).size !== ids.length;

/**
 * Links scopes to a role as the server does, in its order: unknown ids (404), ids already linked
 * (422), Management API scopes on a User role (400), then the insert, which refuses an empty list
 * (422) and crashes on an id given twice (500). Nothing is linked when any check fails (fact 32).
 */
const linkScopes = (core: EmulatorCore, role: RoleRecord, scopeIds: readonly string[]) => {
  for (const scopeId of scopeIds) {
    if (!core.state.scopes.has(scopeId)) throw entityNotFound('scopes', scopeId);
  }
  for (const scopeId of scopeIds) {
    if (role.scopeIds.has(scopeId)) {
      throw new ApiError(
        422,
        'role.scope_exists',
        `The scope id ${scopeId} has already been added to this role`,
      );
    }
  }
  const managementScope = (scopeId: string) => {
    const resource = core.state.resources.get(core.state.scopes.get(scopeId)?.resourceId ?? '');
    return resource !== undefined && isManagementApi(core, resource);
  };
  if (role.type === 'User' && scopeIds.some(managementScope)) {
    throw new ApiError(
      400,
      'role.management_api_scopes_not_assignable_to_user_role',
      'Management API scopes cannot be assigned to a user role.',
    );
  }
  if (scopeIds.length === 0) throw emptyInsert();
  if (hasDuplicates(scopeIds)) throw internalError();
  for (const scopeId of scopeIds) role.scopeIds.add(scopeId);
};

/** The scopes a role holds, in link order. */
const roleScopes = (core: EmulatorCore, role: RoleRecord) =>
  [...role.scopeIds].flatMap((scopeId) => core.state.scopes.get(scopeId) ?? []);

const searchableFields = ['id', 'name', 'description'];
const searchable = ({ id, name, description }: { id: string; name: string; description: string | null }) => ({
  id,
  name,
  description,
});

export const apiRoleRoutes: RouteDef[] = [
  {
    // 200, not 201. The role is inserted before its scopes are linked: a scope failure answers an
    // error and leaves the role (facts 25, 26).
    method: 'POST',
    path: '/api/roles',
    auth: true,
    request: CreateRoleRequest,
    handle: ({ core, body }) => {
      const input = body as Static<typeof CreateRoleRequest>;
      checkRoleNameFree(core, input.name);
      const role: RoleRecord = {
        id: newId(),
        name: input.name,
        description: input.description,
        type: input.type ?? 'User',
        isDefault: input.isDefault ?? false,
        scopeIds: new Set(),
        seq: core.state.nextSeq(),
      };
      core.state.roles.set(role.id, role);
      if (input.scopeIds !== undefined) linkScopes(core, role, input.scopeIds);
      return { status: 200, body: presentRole(core.state, role) };
    },
  },
  {
    // Always paged; `#internal:` roles are never listed (facts 7, 27, 29).
    method: 'GET',
    path: '/api/roles',
    auth: true,
    handle: ({ core, query }) => {
      const type = query.get('type');
      guard('query', ListRolesQuery, type === null ? {} : { type });
      const excludeApplicationId = query.get('excludeApplicationId');
      const excluded = excludeApplicationId
        ? core.state.applications.get(excludeApplicationId)?.roleIds
        : undefined;
      const search = parseSearch(query, searchableFields);
      const roles = [...core.state.roles.values()].filter(
        (role) =>
          !role.name.startsWith(internalRolePrefix) &&
          (type === null || role.type === type) &&
          !excluded?.has(role.id),
      );
      const found = applySearch(roles, search, searchable);
      const page = paginate(found, query, {
        optional: false,
        link: pageLink(core.config.endpoint, '/api/roles'),
      });
      return {
        status: 200,
        body: page.items.map((role) => presentRoleListItem(core.state, role)),
        headers: page.headers,
      };
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
    // The id first, then the name; `type` cannot change (fact 30).
    method: 'PATCH',
    path: '/api/roles/{id}',
    auth: true,
    request: UpdateRoleRequest,
    handle: ({ core, params, body }) => {
      const input = body as Static<typeof UpdateRoleRequest>;
      const role = core.state.requireRole(params.id ?? '');
      if (input.name) checkRoleNameFree(core, input.name, role.id);
      if (input.name === undefined && input.description === undefined && input.isDefault === undefined) {
        throw emptyInsert();
      }
      if (input.name !== undefined) role.name = input.name;
      if (input.description !== undefined) role.description = input.description;
      if (input.isDefault !== undefined) role.isDefault = input.isDefault;
      EmulatorState.touch(core.state.roles, role.id);
      return { status: 200, body: presentRole(core.state, role) };
    },
  },
  {
    // Removes the role from every application (fact 31).
    method: 'DELETE',
    path: '/api/roles/{id}',
    auth: true,
    handle: ({ core, params }) => {
      const role = core.state.requireRole(params.id ?? '');
      core.state.deleteRole(role.id);
      return { status: 204 };
    },
  },
  {
    // Optional paging; each scope carries its resource (fact 33).
    method: 'GET',
    path: '/api/roles/{id}/scopes',
    auth: true,
    handle: ({ core, params, query }) => {
      const role = core.state.requireRole(params.id ?? '');
      const search = parseSearch(query, searchableFields);
      const found = applySearch(roleScopes(core, role), search, searchable);
      const page = paginate(found, query, {
        optional: true,
        link: pageLink(core.config.endpoint, `/api/roles/${encodeURIComponent(role.id)}/scopes`),
      });
      return {
        status: 200,
        body: page.items.map((scope) => presentScopeWithResource(core.state, scope)),
        headers: page.headers,
      };
    },
  },
  {
    // 201 with every scope of the role, without their resources (fact 32).
    method: 'POST',
    path: '/api/roles/{id}/scopes',
    auth: true,
    request: RoleScopesRequest,
    handle: ({ core, params, body }) => {
      const role = core.state.requireRole(params.id ?? '');
      linkScopes(core, role, (body as Static<typeof RoleScopesRequest>).scopeIds);
      return { status: 201, body: roleScopes(core, role).map((scope) => presentScope(core.state, scope)) };
    },
  },
  {
    // Not linked, unknown scope and unknown role alike: 404 entity.not_found (fact 34).
    method: 'DELETE',
    path: '/api/roles/{id}/scopes/{scopeId}',
    auth: true,
    handle: ({ core, params }) => {
      const role = core.state.roles.get(params.id ?? '');
      if (!role?.scopeIds.delete(params.scopeId ?? '')) throw nothingDeleted();
      return { status: 204 };
    },
  },
  {
    // Always paged, machine-to-machine apps only (facts 36, 37).
    method: 'GET',
    path: '/api/roles/{id}/applications',
    auth: true,
    handle: ({ core, params, query }) => {
      const role = core.state.requireRole(params.id ?? '');
      const search = parseSearch(query, searchableFields);
      const apps = EmulatorState.newestFirst(core.state.applications.values()).filter(
        (app) => app.type === 'MachineToMachine' && app.roleIds.has(role.id),
      );
      const found = applySearch(apps, search, searchable);
      const page = paginate(found, query, {
        optional: false,
        link: pageLink(core.config.endpoint, `/api/roles/${encodeURIComponent(role.id)}/applications`),
      });
      return {
        status: 200,
        body: page.items.map((app) => presentRoleApplication(core.state, app)),
        headers: page.headers,
      };
    },
  },
  {
    // 201 `Created` as text; refuses apps that have the role already (unlike the other direction),
    // does not check the app's type, and lets the database refuse a User role (facts 35, 36).
    method: 'POST',
    path: '/api/roles/{id}/applications',
    auth: true,
    request: RoleApplicationsRequest,
    handle: ({ core, params, body }) => {
      const role = core.state.requireRole(params.id ?? '');
      const { applicationIds } = body as Static<typeof RoleApplicationsRequest>;
      const apps = applicationIds.map((applicationId) => core.state.requireApplication(applicationId));
      if (apps.some((app) => app.roleIds.has(role.id))) {
        // The server's message keeps its template placeholder unfilled.
        throw new ApiError(
          422,
          'role.application_exists',
          'The application id {{applicationId}} is already been added to this role',
        );
      }
      if (role.type === 'User') throw constraintViolated();
      if (hasDuplicates(applicationIds)) throw internalError();
      for (const app of apps) app.roleIds.add(role.id);
      return { status: 201 };
    },
  },
  {
    // Whatever the app's type; not assigned or unknown role: 404 entity.not_found (facts 36, 38).
    method: 'DELETE',
    path: '/api/roles/{id}/applications/{applicationId}',
    auth: true,
    handle: ({ core, params }) => {
      const role = core.state.roles.get(params.id ?? '');
      const app = core.state.applications.get(params.applicationId ?? '');
      if (!role || !app?.roleIds.delete(role.id)) throw nothingDeleted();
      return { status: 204 };
    },
  },
];
