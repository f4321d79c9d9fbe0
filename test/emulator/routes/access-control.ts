// App-level access control rules, and the organizations an application belongs to.
import { ApiError } from '../errors.js';
import { paginate } from '../pagination.js';
import { emptyAccessControl, presentApplicationOrganization } from '../present.js';
import { EmulatorState } from '../state.js';
import type { OperationHandlers } from './context.js';

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
    app.accessControl = structuredClone(body);
    return { status: 200, body: structuredClone(body) };
  },

  list_application_organizations: ({ core, params, query }) => {
    const app = core.state.requireApplication(params.id);
    const organizations = EmulatorState.newestFirst(core.state.organizations.values()).filter(
      (organization) => organization.applications.has(app.id),
    );
    const page = paginate(organizations, query, { optional: true });
    return {
      status: 200,
      body: page.items.map((organization) =>
        presentApplicationOrganization(core.state, organization, app.id),
      ),
      headers: page.headers,
    };
  },
};
