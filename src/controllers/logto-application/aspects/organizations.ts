/** Reports the organizations the application belongs to (read only: membership is managed elsewhere). */
import type { Aspect } from './aspect.js';

export const organizationsAspect: Aspect = {
  name: 'organizations',
  // Machine-to-machine apps are the ones Logto lets join organizations.
  declared: (resource) => resource.spec.type === 'MachineToMachine',
  async sync(context) {
    const organizations: { id: string; name: string }[] = [];
    for (let page = 1; ; page++) {
      const { items, total } = await context.logto.listApplicationOrganizations(context.application.id, {
        page,
        page_size: 100,
      });
      organizations.push(...items.map(({ id, name }) => ({ id, name })));
      if (items.length < 100 || organizations.length >= total) break;
    }
    return { status: { organizations: organizations.length ? organizations : undefined } };
  },
};
