/**
 * App-level access control: when spec.accessControl is set, the rules are put and the application's
 * appLevelAccessControlEnabled flag turned on; removing it turns the flag off again.
 */
import { LogtoApiError } from '../../../api/errors.js';
import type { AccessControl } from '../../../api/schemas.js';
import type { LogtoApplicationSpec } from '../../../crd/logto-application.js';
import { sameSet } from '../../../util/json.js';
import { stopFromLogtoError } from '../logto-errors.js';
import { ReconcileStop } from '../outcome.js';
import { aspect, type AspectContext, type AspectDefinition } from './aspect.js';

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

type AccessControlSpec = LogtoApplicationSpec['accessControl'];

function desiredRules(spec: AccessControlSpec | undefined): AccessControl {
  return {
    userIds: spec?.userIds ?? [],
    userRoleIds: spec?.userRoleIds ?? [],
    organizationIds: spec?.organizationIds ?? [],
    organizationRoleRules: spec?.organizationRoleRules ?? [],
  };
}

export interface AccessControlObserved {
  enabled: boolean | undefined;
  /** The rules in Logto and the declared ones; not read when resetting (only the flag goes off). */
  rules?: { current: AccessControl; desired: AccessControl };
}

export interface AccessControlPlan {
  replaceRules?: AccessControl;
  setEnabled?: boolean;
}

export const accessControl: AspectDefinition<AccessControlObserved, AccessControlPlan> = {
  name: 'accessControl',
  declared: (resource) => resource.spec.accessControl !== undefined,
  resettable: true,

  async observe(context, declared) {
    const enabled = context.application.appLevelAccessControlEnabled;
    if (!declared) return { enabled };
    const current = await context.logto.getApplicationAccessControl(context.application.id);
    return { enabled, rules: { current, desired: desiredRules(context.resource.spec.accessControl) } };
  },

  plan({ enabled, rules }, declared) {
    return {
      ...(rules && !sameRules(rules.current, rules.desired) ? { replaceRules: rules.desired } : {}),
      ...(enabled !== declared ? { setEnabled: declared } : {}),
    };
  },

  async apply(context, plan) {
    const changes: string[] = [];
    if (plan.replaceRules) {
      await replaceRules(context, plan.replaceRules);
      changes.push('access control rules');
    }
    if (plan.setEnabled !== undefined) {
      context.application = await context.logto.updateApplication(context.application.id, {
        appLevelAccessControlEnabled: plan.setEnabled,
      });
      changes.push(plan.setEnabled ? 'access control enabled' : 'access control disabled');
    }
    return { changes };
  },
};

export const accessControlAspect = aspect(accessControl);
