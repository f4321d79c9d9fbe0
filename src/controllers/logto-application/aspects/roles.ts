import { sameSet } from '../../../util/json.js';
import { ReconcileStop } from '../outcome.js';
import type { Aspect, AspectContext } from './aspect.js';

async function currentRoleIds(context: AspectContext): Promise<string[]> {
  const ids: string[] = [];
  for (let page = 1; ; page++) {
    const { items, total } = await context.logto.listApplicationRoles(context.application.id, {
      page,
      page_size: 100,
    });
    ids.push(...items.map((role) => role.id));
    if (items.length < 100 || ids.length >= total) return ids;
  }
}

/** Machine-to-machine API resource roles, by name or id, replaced as a set. */
export const rolesAspect: Aspect = {
  name: 'roles',
  declared: (resource) => resource.spec.type === 'MachineToMachine' && resource.spec.roles !== undefined,

  async sync(context) {
    const wanted = context.resource.spec.roles ?? [];
    const roles = new Map<string, { id: string; name: string }>();
    for (const ref of wanted) {
      const role = await context.directory.findRole(ref);
      if (!role) {
        context.directory.invalidate();
        throw new ReconcileStop(
          'RoleNotFound',
          `spec.roles: no API resource role is named or has id "${ref}"`,
          {
            recheckAfterMs: 60_000,
          },
        );
      }
      if (role.type !== 'MachineToMachine') {
        throw new ReconcileStop(
          'InvalidRole',
          `spec.roles: role "${role.name}" is a ${role.type} role; machine-to-machine applications take MachineToMachine roles`,
        );
      }
      roles.set(role.id, { id: role.id, name: role.name });
    }
    const ids = [...roles.keys()];
    const current = await currentRoleIds(context);
    const changes: string[] = [];
    if (!sameSet(ids, current)) {
      await context.logto.replaceApplicationRoles(context.application.id, ids);
      changes.push('roles');
    }
    return { status: { roles: [...roles.values()] }, changes };
  },

  async reset(context) {
    const current = await currentRoleIds(context);
    if (current.length === 0) return {};
    await context.logto.replaceApplicationRoles(context.application.id, []);
    return { changes: ['roles'] };
  },
};
