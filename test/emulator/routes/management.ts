// Enough of the rest of the Management API to resolve names to ids (organization scopes,
// organizations) and to manage organization members. API resources, their scopes and roles are in
// resources.ts and api-roles.ts.
import { Type } from '@sinclair/typebox';

import { ApiError, entityNotFound } from '../errors.js';
import { pageLink, paginate } from '../pagination.js';
import { presentOrganization, presentOrganizationScope } from '../present.js';
import { EmulatorState, type UserRecord } from '../state.js';
import type { RouteDef } from './context.js';

const UserIdsRequest = Type.Object({ userIds: Type.Array(Type.String({ minLength: 1 })) });

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
    method: 'GET',
    path: '/api/organization-scopes',
    auth: true,
    handle: ({ core, query }) => {
      const q = query.get('q');
      const scopes = [...core.state.organizationScopes.values()].filter((scope) =>
        matchesQ(q, scope.id, scope.name, scope.description),
      );
      const page = paginate(scopes, query, {
        optional: true,
        link: pageLink(core.config.endpoint, '/api/organization-scopes'),
      });
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
      const page = paginate(organizations, query, {
        optional: true,
        link: pageLink(core.config.endpoint, '/api/organizations'),
      });
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
      const page = paginate(members, query, {
        optional: true,
        link: pageLink(
          core.config.endpoint,
          `/api/organizations/${encodeURIComponent(organization.id)}/users`,
        ),
      });
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
