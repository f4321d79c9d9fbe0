/** Machine-to-machine API resource roles, by name or id, converged to exactly the declared set. */
import { ignoreNotFound } from '../../../api/errors.js';
import { ReconcileStop } from '../outcome.js';
import type { Aspect, AspectContext } from './aspect.js';
import { planRoles } from './role-plan.js';

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

/** Adds before it removes, so that an application never lacks a role both sets name. */
async function converge(context: AspectContext, desired: readonly string[]): Promise<string[]> {
  const id = context.application.id;
  const plan = planRoles(await currentRoleIds(context), desired);
  if (plan.add) await context.logto.assignApplicationRoles(id, plan.add);
  // Already gone (someone else removed it meanwhile) is what we wanted.
  for (const roleId of plan.remove)
    await ignoreNotFound(() => context.logto.deleteApplicationRole(id, roleId));
  return plan.add || plan.remove.length > 0 ? ['roles'] : [];
}

export const rolesAspect: Aspect = {
  name: 'roles',
  declared: (resource) => resource.spec.type === 'MachineToMachine' && resource.spec.roles !== undefined,

  async sync(context) {
    const roles = new Map<string, { id: string; name: string }>();
    for (const ref of context.resource.spec.roles ?? []) {
      const role = await context.directory.findRole(ref);
      if (!role) {
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
    const changes = await converge(context, [...roles.keys()]);
    return { status: { roles: [...roles.values()] }, changes };
  },

  async reset(context) {
    return { changes: await converge(context, []) };
  },
};
