/** Reports the organizations the application belongs to (read only: membership is managed elsewhere). */
import type { LogtoApplicationStatus } from '../../../crd/logto-application.js';
import { aspect, type AspectDefinition } from './aspect.js';
import { listAll } from '../../../api/client.js';

type Organization = { id: string; name: string };

export const organizations: AspectDefinition<
  Organization[],
  Pick<LogtoApplicationStatus, 'organizations'>
> = {
  name: 'organizations',
  // Machine-to-machine apps are the ones Logto lets join organizations.
  declared: (resource) => resource.spec.type === 'MachineToMachine',
  resettable: false,

  async observe(context) {
    // An application created in this pass is in no organization yet; the next resync reports any.
    if (context.created) return [];
    const found = await listAll('list_application_organizations', (page, pageSize) =>
      context.logto.listApplicationOrganizations(context.application.id, { page, page_size: pageSize }),
    );
    return found.map(({ id, name }): Organization => ({ id, name }));
  },

  plan: (found) => ({ organizations: found.length ? found : undefined }),

  apply: (_context, status) => Promise.resolve({ status }),
};

export const organizationsAspect = aspect(organizations);
