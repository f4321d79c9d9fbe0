/**
 * App-level access control: when spec.accessControl is set, the rules are put and the application's
 * appLevelAccessControlEnabled flag turned on; removing it turns the flag off again.
 */
import type { AccessControl } from '../../../api/schemas.js';
import { sameSet } from '../../../util/json.js';
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
      await context.logto.replaceApplicationAccessControl(context.application.id, desired);
      changes.push('access control rules');
    }
    if (await setEnabled(context, true)) changes.push('access control enabled');
    return { changes };
  },

  async reset(context) {
    return { changes: (await setEnabled(context, false)) ? ['access control disabled'] : [] };
  },
};
