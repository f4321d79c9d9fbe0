// API resources and their scopes (`/api/resources…`), as a Logto OSS 1.42 server answers them
// (../shared/logto/BEHAVIOUR-resources-roles.md; "fact N" below is a numbered fact of that file).
import { Type, type Static } from '@sinclair/typebox';

import { Nullable } from '../../../src/api/schemas.js';
import { ApiError, emptyInsert, entityNotExists, internalError, nothingDeleted } from '../errors.js';
import { newId } from '../ids.js';
import { pageLink, paginate } from '../pagination.js';
import { presentResource, presentScope } from '../present.js';
import { applySearch, parseSearch } from '../search.js';
import { EmulatorState, type ResourceRecord, type ScopeRecord } from '../state.js';
import type { EmulatorCore, RouteDef } from './context.js';

// Bodies as the server's guard checks them; unknown fields are dropped (`isDefault`, `indicator`
// on PATCH, `description` of a resource, `id`, `tenantId`, …: facts 13, 16, 21).
const CreateResourceRequest = Type.Object({
  name: Type.String({ minLength: 1 }),
  indicator: Type.String({ minLength: 1 }),
  accessTokenTtl: Type.Optional(Type.Number()),
});
const UpdateResourceRequest = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1 })),
  accessTokenTtl: Type.Optional(Type.Number()),
});
const SetDefaultResourceRequest = Type.Object({ isDefault: Type.Boolean() });
const CreateScopeRequest = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 256 }),
  description: Type.Optional(Nullable(Type.String())),
});
const UpdateScopeRequest = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  description: Type.Optional(Nullable(Type.String())),
});

/** Logto 1.42 recognises its own Management API by this pattern of the indicator (fact 18). */
const managementApiIndicator = /^https:\/\/[^.]+\.logto\.app\/api$/;

/** Whether a resource is the Management API: refused for PATCH, DELETE and scope changes (fact 18). */
export const isManagementApi = (core: EmulatorCore, resource: ResourceRecord): boolean =>
  managementApiIndicator.test(resource.indicator) || resource.indicator === core.config.resourceIndicator;

const cannotModifyManagementApi = () =>
  new ApiError(400, 'resource.cannot_modify_management_api', 'Cannot modify Logto Management API.');

/** Resource PATCH and scope create/PATCH/DELETE: the Management API refuses them. */
const requireModifiable = (core: EmulatorCore, resourceId: string): ResourceRecord => {
  const resource = core.state.requireResource(resourceId);
  if (isManagementApi(core, resource)) throw cannotModifyManagementApi();
  return resource;
};

/**
 * `accessTokenTtl` goes to a bigint column: a fraction fails the insert (422 with the misleading
 * "empty list" message), a value out of range crashes it (500 without code). Fact 12.
 */
const checkTtl = (ttl: number | undefined) => {
  if (ttl === undefined) return;
  if (Math.abs(ttl) >= 2 ** 63) throw internalError();
  if (!Number.isInteger(ttl)) throw emptyInsert();
};

/** Whitespace anywhere in a scope name (fact 21). */
const checkScopeName = (name: string) => {
  if (/\s/.test(name)) {
    throw new ApiError(400, 'scope.name_with_space', 'The name of the scope cannot contain any spaces.');
  }
};

/** Scope names are unique per resource, compared case-sensitively (fact 3). */
const checkScopeNameFree = (core: EmulatorCore, resourceId: string, name: string, exceptId?: string) => {
  const taken = core.state.scopesOf(resourceId).some((scope) => scope.name === name && scope.id !== exceptId);
  if (taken) throw new ApiError(422, 'scope.name_exists', `The scope name ${name} is already in use`);
};

/** `includeScopes` takes these spellings of yes (fact 15). */
const yes = ['true', 'yes', '1'];

export const resourceRoutes: RouteDef[] = [
  {
    // 201 with `scopes: []` (fact 9); the indicator is any string, unique as an exact string (1, 11).
    method: 'POST',
    path: '/api/resources',
    auth: true,
    request: CreateResourceRequest,
    handle: ({ core, body }) => {
      const input = body as Static<typeof CreateResourceRequest>;
      if (core.state.resourceByIndicator(input.indicator)) {
        throw new ApiError(
          422,
          'resource.resource_identifier_in_use',
          `The API identifier ${input.indicator} is already in use`,
        );
      }
      checkTtl(input.accessTokenTtl);
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
    // Optional paging; `search.*` is ignored; `scopes` only with includeScopes (facts 7, 15).
    method: 'GET',
    path: '/api/resources',
    auth: true,
    handle: ({ core, query }) => {
      const includeScopes = yes.includes(query.get('includeScopes') ?? '');
      const page = paginate([...core.state.resources.values()], query, {
        optional: true,
        link: pageLink(core.config.endpoint, '/api/resources'),
      });
      return {
        status: 200,
        body: page.items.map((resource) => ({
          ...presentResource(core.state, resource),
          ...(includeScopes
            ? { scopes: core.state.scopesOf(resource.id).map((scope) => presentScope(core.state, scope)) }
            : {}),
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
    // `name` and `accessTokenTtl` only; nothing left to update is a 422 (fact 16).
    method: 'PATCH',
    path: '/api/resources/{id}',
    auth: true,
    request: UpdateResourceRequest,
    handle: ({ core, params, body }) => {
      const input = body as Static<typeof UpdateResourceRequest>;
      const resource = requireModifiable(core, params.id ?? '');
      if (input.name === undefined && input.accessTokenTtl === undefined) throw emptyInsert();
      checkTtl(input.accessTokenTtl);
      if (input.name !== undefined) resource.name = input.name;
      if (input.accessTokenTtl !== undefined) resource.accessTokenTtl = input.accessTokenTtl;
      EmulatorState.touch(core.state.resources, resource.id);
      return { status: 200, body: presentResource(core.state, resource) };
    },
  },
  {
    // Cascades to the scopes and their links to roles (fact 17).
    method: 'DELETE',
    path: '/api/resources/{id}',
    auth: true,
    handle: ({ core, params }) => {
      const resource = core.state.requireResource(params.id ?? '');
      if (isManagementApi(core, resource)) {
        throw new ApiError(
          400,
          'resource.cannot_delete_management_api',
          'Cannot delete Logto Management API.',
        );
      }
      core.state.deleteResource(resource.id);
      return { status: 204 };
    },
  },
  {
    // At most one default; unknown ids answer differently for true and false (fact 19).
    method: 'PATCH',
    path: '/api/resources/{id}/is-default',
    auth: true,
    request: SetDefaultResourceRequest,
    handle: ({ core, params, body }) => {
      const { isDefault } = body as Static<typeof SetDefaultResourceRequest>;
      const id = params.id ?? '';
      if (isDefault && !core.state.resources.has(id)) throw entityNotExists('resource');
      const resource = core.state.requireResource(id);
      if (isDefault) {
        for (const other of core.state.resources.values()) other.isDefault = false;
      }
      resource.isDefault = isDefault;
      EmulatorState.touch(core.state.resources, resource.id);
      return { status: 200, body: presentResource(core.state, resource) };
    },
  },
  {
    // Always paged; an unknown resource is an empty list, not a 404 (facts 7, 22).
    method: 'GET',
    path: '/api/resources/{resourceId}/scopes',
    auth: true,
    handle: ({ core, params, query }) => {
      const resourceId = params.resourceId ?? '';
      const search = parseSearch(query, ['id', 'name', 'description']);
      const found = applySearch(core.state.scopesOf(resourceId), search, ({ id, name, description }) => ({
        id,
        name,
        description,
      }));
      const page = paginate(found, query, {
        optional: false,
        link: pageLink(core.config.endpoint, `/api/resources/${encodeURIComponent(resourceId)}/scopes`),
      });
      return {
        status: 200,
        body: page.items.map((scope) => presentScope(core.state, scope)),
        headers: page.headers,
      };
    },
  },
  {
    // Whitespace first, then the resource, the Management API, the name (fact 21).
    method: 'POST',
    path: '/api/resources/{resourceId}/scopes',
    auth: true,
    request: CreateScopeRequest,
    handle: ({ core, params, body }) => {
      const input = body as Static<typeof CreateScopeRequest>;
      checkScopeName(input.name);
      const resource = requireModifiable(core, params.resourceId ?? '');
      checkScopeNameFree(core, resource.id, input.name);
      const scope: ScopeRecord = {
        id: newId(),
        resourceId: resource.id,
        name: input.name,
        description: input.description || null,
        createdAt: core.clock.now(),
      };
      core.state.scopes.set(scope.id, scope);
      return { status: 201, body: presentScope(core.state, scope) };
    },
  },
  {
    // The scope is not checked against the resource of the path; the name is (fact 23).
    method: 'PATCH',
    path: '/api/resources/{resourceId}/scopes/{scopeId}',
    auth: true,
    request: UpdateScopeRequest,
    handle: ({ core, params, body }) => {
      const input = body as Static<typeof UpdateScopeRequest>;
      const resource = requireModifiable(core, params.resourceId ?? '');
      const scopeId = params.scopeId ?? '';
      if (input.name) {
        checkScopeName(input.name);
        checkScopeNameFree(core, resource.id, input.name, scopeId);
      }
      if (input.name === undefined && input.description === undefined) throw emptyInsert();
      const scope = core.state.scopes.get(scopeId);
      if (!scope) throw entityNotExists('scope');
      if (input.name !== undefined) scope.name = input.name;
      if (input.description !== undefined) scope.description = input.description || null;
      EmulatorState.touch(core.state.scopes, scope.id);
      return { status: 200, body: presentScope(core.state, scope) };
    },
  },
  {
    // Ignores which resource the scope belongs to; removes it from every role (fact 24).
    method: 'DELETE',
    path: '/api/resources/{resourceId}/scopes/{scopeId}',
    auth: true,
    handle: ({ core, params }) => {
      requireModifiable(core, params.resourceId ?? '');
      if (!core.state.deleteScope(params.scopeId ?? '')) throw nothingDeleted();
      return { status: 204 };
    },
  },
];
