/**
 * User consent scopes of a third-party application, converged to exactly the declared set: the
 * missing ones are added in one call, the extra ones deleted one by one.
 */
import { ignoreNotFound } from '../../../api/errors.js';
import type { UserConsentScopes } from '../../../api/schemas.js';
import type { UserConsentScopesSpec } from '../../../crd/logto-application.js';
import { ReconcileStop } from '../outcome.js';
import type { Aspect, AspectContext } from './aspect.js';

type ScopeType = 'organization-scopes' | 'resource-scopes' | 'organization-resource-scopes' | 'user-scopes';

interface ScopeSets {
  organizationScopes: Set<string>;
  resourceScopes: Set<string>;
  organizationResourceScopes: Set<string>;
  userScopes: Set<string>;
}

const PATH_SEGMENT: Record<keyof ScopeSets, ScopeType> = {
  organizationScopes: 'organization-scopes',
  resourceScopes: 'resource-scopes',
  organizationResourceScopes: 'organization-resource-scopes',
  userScopes: 'user-scopes',
};

function observedSets(current: UserConsentScopes): ScopeSets {
  const ids = (groups: UserConsentScopes['resourceScopes']) =>
    new Set(groups.flatMap((g) => g.scopes.map((s) => s.id)));
  return {
    organizationScopes: new Set(current.organizationScopes.map((s) => s.id)),
    resourceScopes: ids(current.resourceScopes),
    organizationResourceScopes: ids(current.organizationResourceScopes),
    userScopes: new Set(current.userScopes),
  };
}

async function resolveResourceScopes(
  context: AspectContext,
  groups: NonNullable<UserConsentScopesSpec['resourceScopes']>,
  field: string,
): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const group of groups) {
    const resource = await context.directory.findResource(group.resource);
    if (!resource) {
      context.directory.invalidate();
      throw new ReconcileStop(
        'ScopeNotFound',
        `${field}: no API resource has indicator or id "${group.resource}"`,
        {
          recheckAfterMs: 60_000,
        },
      );
    }
    for (const ref of group.scopes) {
      const scope = resource.scopes.find((s) => s.name === ref) ?? resource.scopes.find((s) => s.id === ref);
      if (!scope) {
        context.directory.invalidate();
        throw new ReconcileStop(
          'ScopeNotFound',
          `${field}: API resource ${resource.indicator} has no scope "${ref}"`,
          {
            recheckAfterMs: 60_000,
          },
        );
      }
      ids.add(scope.id);
    }
  }
  return ids;
}

async function desiredSets(context: AspectContext, spec: UserConsentScopesSpec): Promise<ScopeSets> {
  const organizationScopes = new Set<string>();
  if (spec.organizationScopes?.length) {
    const all = await context.directory.organizationScopes();
    for (const ref of spec.organizationScopes) {
      const scope = all.find((s) => s.name === ref) ?? all.find((s) => s.id === ref);
      if (!scope) {
        context.directory.invalidate();
        throw new ReconcileStop(
          'ScopeNotFound',
          `userConsentScopes.organizationScopes: no organization scope is named or has id "${ref}"`,
          { recheckAfterMs: 60_000 },
        );
      }
      organizationScopes.add(scope.id);
    }
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
    userScopes: new Set(spec.userScopes ?? []),
  };
}

async function converge(context: AspectContext, desired: ScopeSets): Promise<string[]> {
  const id = context.application.id;
  const observed = observedSets(await context.logto.listApplicationUserConsentScopes(id));
  const keys = Object.keys(PATH_SEGMENT) as (keyof ScopeSets)[];
  const missing = Object.fromEntries(
    keys.map((k) => [k, [...desired[k]].filter((s) => !observed[k].has(s))]),
  );
  const changes: string[] = [];
  if (keys.some((k) => (missing[k] ?? []).length > 0)) {
    await context.logto.createApplicationUserConsentScope(id, missing as never);
    changes.push('user consent scopes (added)');
  }
  for (const key of keys) {
    for (const scopeId of observed[key]) {
      if (desired[key].has(scopeId)) continue;
      await ignoreNotFound(() =>
        context.logto.deleteApplicationUserConsentScope(id, PATH_SEGMENT[key], scopeId),
      );
      if (!changes.includes('user consent scopes (removed)')) changes.push('user consent scopes (removed)');
    }
  }
  return changes;
}

const empty = (): ScopeSets => ({
  organizationScopes: new Set(),
  resourceScopes: new Set(),
  organizationResourceScopes: new Set(),
  userScopes: new Set(),
});

export const consentScopesAspect: Aspect = {
  name: 'userConsentScopes',
  declared: (resource) => resource.spec.userConsentScopes !== undefined,
  async sync(context) {
    const desired = await desiredSets(context, context.resource.spec.userConsentScopes ?? {});
    return { changes: await converge(context, desired) };
  },
  async reset(context) {
    return { changes: await converge(context, empty()) };
  },
};
