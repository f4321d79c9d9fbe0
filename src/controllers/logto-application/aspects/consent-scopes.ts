/**
 * User consent scopes of a third-party application, converged to exactly the declared set: the
 * missing ones are added in one call, the extra ones deleted one by one (see consent-scope-plan.ts).
 */
import { ignoreNotFound } from '../../../api/errors.js';
import type { UserConsentScopes, UserScope } from '../../../api/schemas.js';
import type { UserConsentScopesSpec } from '../../../crd/logto-application.js';
import { ReconcileStop } from '../outcome.js';
import { aspect, type AspectContext, type AspectDefinition } from './aspect.js';
import { planConsentScopes, type ConsentScopePlan, type ConsentScopeSets } from './consent-scope-plan.js';

function observedSets(current: UserConsentScopes): ConsentScopeSets {
  const ids = (groups: UserConsentScopes['resourceScopes']) =>
    new Set(groups.flatMap((g) => g.scopes.map((s) => s.id)));
  return {
    organizationScopes: new Set(current.organizationScopes.map((s) => s.id)),
    resourceScopes: ids(current.resourceScopes),
    organizationResourceScopes: ids(current.organizationResourceScopes),
    userScopes: new Set(current.userScopes),
  };
}

const scopeNotFound = (message: string) =>
  new ReconcileStop('ScopeNotFound', message, { recheckAfterMs: 60_000 });

async function resolveResourceScopes(
  context: AspectContext,
  groups: NonNullable<UserConsentScopesSpec['resourceScopes']>,
  field: string,
): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const group of groups) {
    const found = await context.directory.findResourceScopes(group.resource, group.scopes);
    if (!found.resource)
      throw scopeNotFound(`${field}: no API resource has indicator or id "${group.resource}"`);
    const [missing] = found.missingScopes;
    if (missing !== undefined) {
      throw scopeNotFound(`${field}: API resource ${found.resource.indicator} has no scope "${missing}"`);
    }
    for (const id of found.scopeIds) ids.add(id);
  }
  return ids;
}

async function desiredSets(context: AspectContext, spec: UserConsentScopesSpec): Promise<ConsentScopeSets> {
  const organizationScopes = new Set<string>();
  for (const ref of spec.organizationScopes ?? []) {
    const scope = await context.directory.findOrganizationScope(ref);
    if (!scope) {
      throw scopeNotFound(
        `userConsentScopes.organizationScopes: no organization scope is named or has id "${ref}"`,
      );
    }
    organizationScopes.add(scope.id);
  }
  return {
    organizationScopes,
    resourceScopes: await resolveResourceScopes(
      context,
      spec.resourceScopes ?? [],
      'userConsentScopes.resourceScopes',
    ),
    organizationResourceScopes: await resolveResourceScopes(
      context,
      spec.organizationResourceScopes ?? [],
      'userConsentScopes.organizationResourceScopes',
    ),
    userScopes: new Set<UserScope>(spec.userScopes ?? []),
  };
}

const nothing = (): ConsentScopeSets => ({
  organizationScopes: new Set(),
  resourceScopes: new Set(),
  organizationResourceScopes: new Set(),
  userScopes: new Set(),
});

export interface ConsentScopesObserved {
  current: ConsentScopeSets;
  /** The declared scopes resolved to ids; none when resetting. */
  desired: ConsentScopeSets;
}

export const consentScopes: AspectDefinition<ConsentScopesObserved, ConsentScopePlan> = {
  name: 'userConsentScopes',
  declared: (resource) => resource.spec.userConsentScopes !== undefined,
  resettable: true,

  async observe(context, declared) {
    const desired = declared
      ? await desiredSets(context, context.resource.spec.userConsentScopes ?? {})
      : nothing();
    const current = observedSets(
      await context.logto.listApplicationUserConsentScopes(context.application.id),
    );
    return { current, desired };
  },

  plan: ({ current, desired }) => planConsentScopes(current, desired),

  async apply(context, plan) {
    const id = context.application.id;
    const changes: string[] = [];
    if (plan.add) {
      await context.logto.createApplicationUserConsentScope(id, plan.add);
      changes.push('user consent scopes (added)');
    }
    for (const { scopeType, scopeId } of plan.remove) {
      await ignoreNotFound(() => context.logto.deleteApplicationUserConsentScope(id, scopeType, scopeId));
    }
    if (plan.remove.length > 0) changes.push('user consent scopes (removed)');
    return { changes };
  },
};

export const consentScopesAspect = aspect(consentScopes);
