/** Machine-to-machine API resource roles, by name or id, converged to exactly the declared set. */
import { ignoreNotFound } from '../../../api/errors.js';
import type { LogtoApplicationStatus } from '../../../crd/logto-application.js';
import { ReconcileStop } from '../outcome.js';
import { aspect, type AspectContext, type AspectDefinition } from './aspect.js';
import { planRoles, type RolePlan } from './role-plan.js';
import { listAll } from '../../../api/client.js';

type Role = { id: string; name: string };

export interface RolesObserved {
  /** The declared roles resolved to ids; none when resetting. */
  desired: Role[];
  current: string[];
}

export interface RolesPlan extends RolePlan {
  status?: Pick<LogtoApplicationStatus, 'roles'>;
}

async function currentRoleIds(context: AspectContext): Promise<string[]> {
  const roles = await listAll('list_application_roles', (page, pageSize) =>
    context.logto.listApplicationRoles(context.application.id, { page, page_size: pageSize }),
  );
  return roles.map((role) => role.id);
}

async function declaredRoles(context: AspectContext): Promise<Role[]> {
  const roles = new Map<string, Role>();
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
  return [...roles.values()];
}

export const roles: AspectDefinition<RolesObserved, RolesPlan> = {
  name: 'roles',
  declared: (resource) => resource.spec.type === 'MachineToMachine' && resource.spec.roles !== undefined,
  resettable: true,

  async observe(context, declared) {
    const desired = declared ? await declaredRoles(context) : [];
    return { desired, current: await currentRoleIds(context) };
  },

  plan({ desired, current }, declared) {
    return {
      ...planRoles(
        current,
        desired.map((r) => r.id),
      ),
      ...(declared ? { status: { roles: desired } } : {}),
    };
  },

  /** Adds before it removes, so that an application never lacks a role both sets name. */
  async apply(context, plan) {
    const id = context.application.id;
    if (plan.add) await context.logto.assignApplicationRoles(id, plan.add);
    // Already gone (someone else removed it meanwhile) is what we wanted.
    for (const roleId of plan.remove)
      await ignoreNotFound(() => context.logto.deleteApplicationRole(id, roleId));
    return {
      ...(plan.status ? { status: plan.status } : {}),
      changes: plan.add || plan.remove.length > 0 ? ['roles'] : [],
    };
  },
};

export const rolesAspect = aspect(roles);
