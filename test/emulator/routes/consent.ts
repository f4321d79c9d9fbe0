// User consent of third-party applications: consent scopes and consent organizations.
import { Type } from '@sinclair/typebox';

import type { ConsentScopeType, UserConsentScopes, UserScope } from '../../../src/api/schemas.js';
import { ConsentScopeType as ConsentScopeTypeSchema } from '../../../src/api/schemas.js';
import { ApiError, emptyInsert, relationNotFound } from '../errors.js';
import { guard } from '../guard.js';
import { pageLink, paginate } from '../pagination.js';
import { presentOrganization } from '../present.js';
import { EmulatorState, type ApplicationRecord, type ConsentScopesRecord } from '../state.js';
import type { EmulatorCore, OperationHandlers } from './context.js';

const requireThirdParty = (core: EmulatorCore, id: string): ApplicationRecord => {
  const app = core.state.requireApplication(id);
  if (!app.isThirdParty) {
    throw new ApiError(
      422,
      'application.third_party_application_only',
      'Only third-party applications allow this.',
    );
  }
  return app;
};

const ScopeTypeParams = Type.Object({ scopeType: ConsentScopeTypeSchema });

const scopeSets: Record<ConsentScopeType, keyof ConsentScopesRecord> = {
  'organization-scopes': 'organizationScopes',
  'resource-scopes': 'resourceScopes',
  'organization-resource-scopes': 'organizationResourceScopes',
  'user-scopes': 'userScopes',
};

const groupByResource = (
  core: EmulatorCore,
  scopeIds: Iterable<string>,
): UserConsentScopes['resourceScopes'] => {
  const groups = new Map<string, UserConsentScopes['resourceScopes'][number]>();
  for (const scopeId of scopeIds) {
    const scope = core.state.scopes.get(scopeId);
    const resource = scope && core.state.resources.get(scope.resourceId);
    if (!scope || !resource) continue;
    const group = groups.get(resource.id) ?? {
      resource: { id: resource.id, name: resource.name, indicator: resource.indicator },
      scopes: [],
    };
    group.scopes.push({ id: scope.id, name: scope.name, description: scope.description });
    groups.set(resource.id, group);
  }
  return [...groups.values()];
};

/** 422 without `data` when the user is not a member of every organization (unknown ones included). */
const requireMemberships = (core: EmulatorCore, userId: string, organizationIds: readonly string[]) => {
  if (organizationIds.some((id) => !core.state.organizations.get(id)?.members.has(userId))) {
    throw new ApiError(
      422,
      'organization.require_membership',
      'The user must be a member of the organization to proceed.',
    );
  }
};

/** The third-party app and the user's granted organizations (the user must exist). */
const consentOf = (core: EmulatorCore, id: string, userId: string) => {
  const app = requireThirdParty(core, id);
  // An unknown user is `entity.not_found` here (BEHAVIOUR.md, "User consent").
  if (!core.state.users.has(userId)) throw relationNotFound(`The user ${userId} does not exist.`);
  const granted = app.consentOrganizations.get(userId) ?? new Set<string>();
  app.consentOrganizations.set(userId, granted);
  return { app, granted };
};

export const consentHandlers: OperationHandlers<
  | 'create_application_user_consent_scope'
  | 'list_application_user_consent_scopes'
  | 'delete_application_user_consent_scope'
  | 'list_application_user_consent_organizations'
  | 'replace_application_user_consent_organizations'
  | 'create_application_user_consent_organization'
  | 'delete_application_user_consent_organization'
> = {
  create_application_user_consent_scope: ({ core, params, body }) => {
    const app = requireThirdParty(core, params.id);
    const {
      organizationScopes = [],
      resourceScopes = [],
      organizationResourceScopes = [],
      userScopes = [],
    } = body;
    const invalidOrganizationScopes = organizationScopes.filter(
      (id) => !core.state.organizationScopes.has(id),
    );
    const invalidResourceScopes = resourceScopes.filter((id) => !core.state.scopes.has(id));
    const invalidOrganizationResourceScopes = organizationResourceScopes.filter(
      (id) => !core.state.scopes.has(id),
    );
    if (
      invalidOrganizationScopes.length +
        invalidResourceScopes.length +
        invalidOrganizationResourceScopes.length >
      0
    ) {
      throw new ApiError(
        422,
        'application.user_consent_scopes_not_found',
        'Some of the scopes do not exist.',
        {
          invalidOrganizationScopes,
          invalidResourceScopes,
          invalidOrganizationResourceScopes,
        },
      );
    }
    const managementApi = core.state.resourceByIndicator(core.config.resourceIndicator);
    if (
      [...resourceScopes, ...organizationResourceScopes].some(
        (id) => core.state.scopes.get(id)?.resourceId === managementApi?.id,
      )
    ) {
      throw new ApiError(
        422,
        'application.consent_management_api_scopes_not_allowed',
        'Management API scopes cannot be consented to.',
      );
    }
    // The id kinds go in one after another, each as one insert: a kind given as an empty array
    // fails after the kinds before it went in. User scopes go one by one, so [] inserts nothing
    // and passes (BEHAVIOUR.md, "User consent").
    const consent = app.consentScopes;
    for (const kind of ['organizationScopes', 'resourceScopes', 'organizationResourceScopes'] as const) {
      const ids = body[kind];
      if (ids === undefined) continue;
      if (ids.length === 0) throw emptyInsert();
      for (const id of ids) consent[kind].add(id);
    }
    for (const scope of userScopes) consent.userScopes.add(scope);
    return { status: 201 };
  },

  list_application_user_consent_scopes: ({ core, params }) => {
    const { consentScopes } = core.state.requireApplication(params.id);
    const body: UserConsentScopes = {
      organizationScopes: [...consentScopes.organizationScopes].flatMap((id) => {
        const scope = core.state.organizationScopes.get(id);
        return scope ? [{ id: scope.id, name: scope.name, description: scope.description }] : [];
      }),
      resourceScopes: groupByResource(core, consentScopes.resourceScopes),
      organizationResourceScopes: groupByResource(core, consentScopes.organizationResourceScopes),
      // Alphabetical, whatever the order of assignment (BEHAVIOUR.md, "User consent").
      userScopes: [...consentScopes.userScopes].sort(),
    };
    return { status: 200, body };
  },

  delete_application_user_consent_scope: ({ core, params }) => {
    // The guard checks the path parameters before the route looks anything up.
    guard('params', ScopeTypeParams, { scopeType: params.scopeType });
    const app = core.state.requireApplication(params.id);
    const scopeType = params.scopeType as ConsentScopeType;
    const set = app.consentScopes[scopeSets[scopeType]] as Set<string | UserScope>;
    if (!set.delete(params.scopeId)) throw relationNotFound(`The scope ${params.scopeId} is not consented.`);
    return { status: 204 };
  },

  list_application_user_consent_organizations: ({ core, params, query }) => {
    const { granted } = consentOf(core, params.id, params.userId);
    const organizations = EmulatorState.newestFirst(
      [...granted].flatMap((id) => core.state.organizations.get(id) ?? []),
    );
    const page = paginate(organizations, query, {
      optional: false,
      link: pageLink(
        core.config.endpoint,
        `/api/applications/${encodeURIComponent(params.id)}/users/${encodeURIComponent(params.userId)}/consent-organizations`,
      ),
    });
    return {
      status: 200,
      body: {
        organizations: page.items.map((organization) => presentOrganization(core.state, organization)),
      },
      headers: page.headers,
    };
  },

  replace_application_user_consent_organizations: ({ core, params, body }) => {
    const { app } = consentOf(core, params.id, params.userId);
    requireMemberships(core, params.userId, body.organizationIds);
    app.consentOrganizations.set(params.userId, new Set(body.organizationIds));
    return { status: 204 };
  },

  create_application_user_consent_organization: ({ core, params, body }) => {
    const { granted } = consentOf(core, params.id, params.userId);
    requireMemberships(core, params.userId, body.organizationIds);
    for (const id of body.organizationIds) granted.add(id);
    return { status: 201 };
  },

  delete_application_user_consent_organization: ({ core, params }) => {
    const { granted } = consentOf(core, params.id, params.userId);
    if (!granted.delete(params.organizationId)) {
      throw relationNotFound(
        `The user has not granted organization ${params.organizationId} to the application.`,
      );
    }
    return { status: 204 };
  },
};
