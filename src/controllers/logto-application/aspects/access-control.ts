/**
 * App-level access control: when spec.accessControl is set, the rules are put and the application's
 * appLevelAccessControlEnabled flag turned on; removing it turns the flag off again.
 */
import { LogtoApiError } from '../../../api/errors.js';
import type { EntityKind } from '../../../api/directory.js';
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

/** Logto's refusals of rules for what they reference (BEHAVIOUR.md: access control). */
const REFERENCE_REFUSALS: ReadonlySet<string> = new Set([
  'entity.relation_foreign_key_not_found',
  'entity.db_constraint_violated',
]);

type Lookup = (kind: EntityKind, id: string) => Promise<{ id: string; type?: string } | undefined>;

/** The ids the rules name, by the kind of entity Logto looks them up as. */
export function referencedIds(rules: AccessControl): Array<{ kind: EntityKind; field: string; id: string }> {
  const unique = (kind: EntityKind, field: string, ids: readonly string[]) =>
    [...new Set(ids)].map((id) => ({ kind, field, id }));
  return [
    ...unique('user', 'userIds', rules.userIds),
    ...unique('role', 'userRoleIds', rules.userRoleIds),
    ...unique('organization', 'organizationIds', [
      ...rules.organizationIds,
      ...rules.organizationRoleRules.map((r) => r.organizationId),
    ]),
    ...unique(
      'organization-role',
      'organizationRoleRules[].organizationRoleIds',
      rules.organizationRoleRules.flatMap((r) => r.organizationRoleIds),
    ),
  ];
}

/**
 * What is wrong with the ids the rules name: those that do not exist, and MachineToMachine roles
 * among the user roles. Logto's refusal does not say which id it refused, so after a refusal each
 * is looked up once; nothing is read on the way to a successful put.
 */
export async function referenceProblems(rules: AccessControl, lookup: Lookup): Promise<string[]> {
  const missing = new Map<string, string[]>();
  const machineRoles: string[] = [];
  for (const { kind, field, id } of referencedIds(rules)) {
    const found = await lookup(kind, id);
    if (!found) missing.set(field, [...(missing.get(field) ?? []), id]);
    else if (kind === 'role' && found.type === 'MachineToMachine') machineRoles.push(id);
  }
  return [
    ...[...missing].map(
      ([field, ids]) => `spec.accessControl.${field} names ids that do not exist in Logto: ${ids.join(', ')}`,
    ),
    ...(machineRoles.length
      ? [
          `spec.accessControl.userRoleIds names MachineToMachine roles, not User roles: ${machineRoles.join(', ')}`,
        ]
      : []),
  ];
}

/**
 * Puts the rules. A refusal for what they reference (the application itself is there) is reported
 * naming the offending ids; it is the spec or the tenant that must change.
 */
async function replaceRules(context: AspectContext, desired: AccessControl): Promise<void> {
  try {
    await context.logto.replaceApplicationAccessControl(context.application.id, desired);
  } catch (error) {
    if (!(error instanceof LogtoApiError) || !REFERENCE_REFUSALS.has(error.code ?? '')) throw error;
    const stop = stopFromLogtoError(error);
    const problems = await referenceProblems(desired, (kind, id) => context.directory.entityById(kind, id));
    const hint = problems.length
      ? problems.join('; ')
      : 'spec.accessControl names a user, role, organization or organization role that Logto refused';
    throw new ReconcileStop(stop.reason, `${stop.message.replace(/\.+$/, '')}. ${hint}`, stop.options);
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
