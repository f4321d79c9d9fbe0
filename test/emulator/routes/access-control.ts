// App-level access control rules, and the organizations an application belongs to.
import type { ReplaceAccessControlRequest } from '../../../src/api/schemas.js';
import { ApiError, constraintViolated } from '../errors.js';
import { pageLink, paginate } from '../pagination.js';
import { emptyAccessControl, presentApplicationOrganization } from '../present.js';
import { EmulatorState } from '../state.js';
import type { OperationHandlers } from './context.js';

/**
 * BEHAVIOUR.md, "Access control": the rules reference users, roles, organizations and organization
 * roles by foreign key (404 when one does not exist), and user roles must not be MachineToMachine
 * roles (a database constraint, 422).
 */
function refuseUnknownOrUnfitIds(state: EmulatorState, body: ReplaceAccessControlRequest): void {
  const unknown = [
    ...body.userIds.filter((id) => !state.users.has(id)),
    ...body.userRoleIds.filter((id) => !state.roles.has(id)),
    ...body.organizationIds.filter((id) => !state.organizations.has(id)),
    ...body.organizationRoleRules.flatMap(({ organizationId, organizationRoleIds }) => [
      ...(state.organizations.has(organizationId) ? [] : [organizationId]),
      ...organizationRoleIds.filter((id) => !state.organizationRoles.has(id)),
    ]),
  ];
  if (unknown.length > 0) {
    throw new ApiError(404, 'entity.relation_foreign_key_not_found', 'Cannot find one or more foreign keys.');
  }
  if (body.userRoleIds.some((id) => state.roles.get(id)?.type === 'MachineToMachine')) {
    throw constraintViolated();
  }
}

const unique = (ids: readonly string[]) => [...new Set(ids)];

/** Duplicate ids are stored once (BEHAVIOUR.md, "Access control"); rules of one organization merge. */
const deduplicated = (body: ReplaceAccessControlRequest): ReplaceAccessControlRequest => {
  const rules = new Map<string, string[]>();
  for (const { organizationId, organizationRoleIds } of body.organizationRoleRules) {
    rules.set(organizationId, unique([...(rules.get(organizationId) ?? []), ...organizationRoleIds]));
  }
  return {
    userIds: unique(body.userIds),
    userRoleIds: unique(body.userRoleIds),
    organizationIds: unique(body.organizationIds),
    organizationRoleRules: [...rules].map(([organizationId, organizationRoleIds]) => ({
      organizationId,
      organizationRoleIds,
    })),
  };
};

export const accessControlHandlers: OperationHandlers<
  'get_application_access_control' | 'replace_application_access_control' | 'list_application_organizations'
> = {
  get_application_access_control: ({ core, params }) => {
    const app = core.state.requireApplication(params.id);
    return { status: 200, body: structuredClone(app.accessControl ?? emptyAccessControl()) };
  },

  replace_application_access_control: ({ core, params, body }) => {
    const app = core.state.requireApplication(params.id);
    if (body.organizationRoleRules.some((rule) => rule.organizationRoleIds.length === 0)) {
      // BEHAVIOUR.md, "Access control": a business rule (422), not the guard (400).
      throw new ApiError(
        422,
        'request.invalid_input',
        'Each organization role rule needs at least one organization role.',
      );
    }
    refuseUnknownOrUnfitIds(core.state, body);
    app.accessControl = deduplicated(body);
    return { status: 200, body: structuredClone(app.accessControl) };
  },

  list_application_organizations: ({ core, params, query }) => {
    const app = core.state.requireApplication(params.id);
    const organizations = EmulatorState.newestFirst(core.state.organizations.values()).filter(
      (organization) => organization.applications.has(app.id),
    );
    const page = paginate(organizations, query, {
      optional: true,
      link: pageLink(core.config.endpoint, `/api/applications/${encodeURIComponent(app.id)}/organizations`),
    });
    return {
      status: 200,
      body: page.items.map((organization) =>
        presentApplicationOrganization(core.state, organization, app.id),
      ),
      headers: page.headers,
    };
  },
};
