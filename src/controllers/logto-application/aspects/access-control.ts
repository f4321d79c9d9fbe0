/**
 * App-level access control: when spec.accessControl is set, the rules are put and the application's
 * appLevelAccessControlEnabled flag turned on; removing it turns the flag off again.
 */
import { LogtoApiError } from '../../../api/errors.js';
import type { AccessControl } from '../../../api/schemas.js';
import { sameSet } from '../../../util/json.js';
import { stopFromLogtoError } from '../logto-errors.js';
import { ReconcileStop } from '../outcome.js';
import type { Aspect, AspectContext } from './aspect.js';

function sameRules(a: AccessControl, b: AccessControl): boolean {
  const rules = (x: AccessControl) =>
    x.organizationRoleRules.map((r) => `${r.organizationId}:${[...r.organizationRoleIds].sort().join(',')}`);
  return (
    sameSet(a.userIds, b.userIds) &&
    sameSet(a.userRoleIds, b.userRoleIds) &&
    sameSet(a.organizationIds, b.organizationIds) &&
    sameSet(rules(a), rules(b))
  );
}

/** What to fix in the spec when Logto refuses the rules for what they reference. */
const referenceHints: Readonly<Record<string, string>> = {
  'entity.relation_foreign_key_not_found':
    'spec.accessControl names a user, user role, organization or organization role that does not exist in Logto',
  'entity.db_constraint_violated':
    'spec.accessControl.userRoleIds must name User roles, not MachineToMachine roles',
};

/**
 * Puts the rules. A refusal for what they reference (404 for an unknown id: the application itself
 * is there) is reported with a hint; it is the spec or the tenant that must change.
 */
async function replaceRules(context: AspectContext, desired: AccessControl): Promise<void> {
  try {
    await context.logto.replaceApplicationAccessControl(context.application.id, desired);
  } catch (error) {
    if (!(error instanceof LogtoApiError)) throw error;
    const hint = error.code === undefined ? undefined : referenceHints[error.code];
    if (!hint) throw error;
    const stop = stopFromLogtoError(error);
    throw new ReconcileStop(stop.reason, `${stop.message}. ${hint}`, stop.options);
  }
}

async function setEnabled(context: AspectContext, enabled: boolean): Promise<boolean> {
  if (context.application.appLevelAccessControlEnabled === enabled) return false;
  context.application = await context.logto.updateApplication(context.application.id, {
    appLevelAccessControlEnabled: enabled,
  });
  return true;
}

export const accessControlAspect: Aspect = {
  name: 'accessControl',
  declared: (resource) => resource.spec.accessControl !== undefined,

  async sync(context) {
    const spec = context.resource.spec.accessControl ?? {};
    const desired: AccessControl = {
      userIds: spec.userIds ?? [],
      userRoleIds: spec.userRoleIds ?? [],
      organizationIds: spec.organizationIds ?? [],
      organizationRoleRules: spec.organizationRoleRules ?? [],
    };
    const changes: string[] = [];
    const existing = await context.logto.getApplicationAccessControl(context.application.id);
    if (!sameRules(existing, desired)) {
      await replaceRules(context, desired);
      changes.push('access control rules');
    }
    if (await setEnabled(context, true)) changes.push('access control enabled');
    return { changes };
  },

  async reset(context) {
    return { changes: (await setEnabled(context, false)) ? ['access control disabled'] : [] };
  },
};
