// App-level access control rules, and the organizations an application belongs to.
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
