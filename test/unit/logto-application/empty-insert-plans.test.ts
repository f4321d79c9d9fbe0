// The plans behind roles and consent scopes never ask Logto to insert nothing (BEHAVIOUR.md,
// "Errors": an insert of zero rows is a 422).
import { describe, expect, it } from 'vitest';

import {
  planConsentScopes,
  type ConsentScopeSets,
} from '../../../src/controllers/logto-application/aspects/consent-scope-plan.js';
import { planRoles } from '../../../src/controllers/logto-application/aspects/role-plan.js';

describe('planRoles', () => {
  it('adds the missing roles and removes the extra ones', () => {
    expect(planRoles(['a', 'b'], ['b', 'c', 'd'])).toEqual({ add: ['c', 'd'], remove: ['a'] });
  });

  it('has nothing to add when the desired set shrinks, is emptied or stays the same', () => {
    expect(planRoles(['a', 'b'], ['a'])).toEqual({ remove: ['b'] });
    expect(planRoles(['a', 'b'], [])).toEqual({ remove: ['a', 'b'] });
    expect(planRoles(['a', 'b'], ['b', 'a'])).toEqual({ remove: [] });
    expect(planRoles([], [])).toEqual({ remove: [] });
  });

  it('ignores duplicates on both sides', () => {
    expect(planRoles(['a', 'a'], ['a', 'b', 'b'])).toEqual({ add: ['b'], remove: [] });
  });
});

const sets = (partial: Partial<Record<keyof ConsentScopeSets, string[]>> = {}): ConsentScopeSets => ({
  organizationScopes: new Set(partial.organizationScopes ?? []),
  resourceScopes: new Set(partial.resourceScopes ?? []),
  organizationResourceScopes: new Set(partial.organizationResourceScopes ?? []),
  userScopes: new Set((partial.userScopes ?? []) as never[]),
});

describe('planConsentScopes', () => {
  it('posts only the kinds that have something to add', () => {
    expect(planConsentScopes(sets(), sets({ userScopes: ['email'] }))).toEqual({
      add: { userScopes: ['email'] },
      remove: [],
    });
    expect(planConsentScopes(sets(), sets({ resourceScopes: ['r1'] }))).toEqual({
      add: { resourceScopes: ['r1'] },
      remove: [],
    });
    expect(
      planConsentScopes(
        sets({ resourceScopes: ['r1'] }),
        sets({ resourceScopes: ['r1'], organizationResourceScopes: ['r2'], userScopes: ['email'] }),
      ),
    ).toEqual({ add: { organizationResourceScopes: ['r2'], userScopes: ['email'] }, remove: [] });
  });

  it('does not post when nothing is missing, and deletes each extra scope by kind', () => {
    const observed = sets({
      organizationScopes: ['o1'],
      resourceScopes: ['r1', 'r2'],
      userScopes: ['email'],
    });
    expect(planConsentScopes(observed, sets({ resourceScopes: ['r2'] }))).toEqual({
      remove: [
        { scopeType: 'organization-scopes', scopeId: 'o1' },
        { scopeType: 'resource-scopes', scopeId: 'r1' },
        { scopeType: 'user-scopes', scopeId: 'email' },
      ],
    });
    expect(planConsentScopes(observed, observed)).toEqual({ remove: [] });
  });

  it('removes a user scope that an answer lists but a request cannot name', () => {
    const observed = sets({ userScopes: ['email', 'urn:logto:scope:trusted_devices'] });
    expect(planConsentScopes(observed, sets({ userScopes: ['email'] }))).toEqual({
      remove: [{ scopeType: 'user-scopes', scopeId: 'urn:logto:scope:trusted_devices' }],
    });
  });

  it('never puts an empty array in the body', () => {
    const kinds = [
      'organizationScopes',
      'resourceScopes',
      'organizationResourceScopes',
      'userScopes',
    ] as const;
    for (const kind of kinds) {
      const plan = planConsentScopes(sets({ [kind]: ['x'] }), sets({ [kind]: ['x'] }));
      expect(plan.add).toBeUndefined();
      const added = planConsentScopes(sets(), sets({ [kind]: ['x'] })).add ?? {};
      expect(Object.values(added).every((ids) => ids.length > 0)).toBe(true);
      expect(Object.keys(added)).toEqual([kind]);
    }
  });
});
