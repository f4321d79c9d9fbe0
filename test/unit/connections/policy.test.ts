import { describe, expect, it } from 'vitest';
import {
  checkDeclaration,
  checkExisting,
  checkNamespace,
  checkRole,
  listsOrganizationScope,
  listsResourceScopes,
  listsRole,
  mayAdoptByKey,
  matchesLabelSelector,
  namePatternMatches,
  type ExistingApplication,
} from '../../../src/connections/policy.js';

const app = (overrides: Partial<ExistingApplication> = {}): ExistingApplication => ({
  id: 'app1',
  name: 'Portal',
  isAdmin: false,
  managementApiRoles: [],
  ...overrides,
});

describe('matchesLabelSelector', () => {
  const labels = { team: 'a', tier: 'prod' };
  it('matches everything without a selector or with an empty one', () => {
    expect(matchesLabelSelector(undefined, {})).toBe(true);
    expect(matchesLabelSelector({}, labels)).toBe(true);
  });
  it('requires every matchLabels entry', () => {
    expect(matchesLabelSelector({ matchLabels: { team: 'a' } }, labels)).toBe(true);
    expect(matchesLabelSelector({ matchLabels: { team: 'a', tier: 'dev' } }, labels)).toBe(false);
    expect(matchesLabelSelector({ matchLabels: { team: 'a' } }, {})).toBe(false);
  });
  it.each([
    ['In', ['a', 'b'], true],
    ['In', ['b'], false],
    ['NotIn', ['b'], true],
    ['NotIn', ['a'], false],
    ['Exists', [], true],
    ['DoesNotExist', [], false],
  ] as const)('%s %j on team=a: %s', (operator, values, expected) => {
    expect(
      matchesLabelSelector({ matchExpressions: [{ key: 'team', operator, values: [...values] }] }, labels),
    ).toBe(expected);
  });
  it('treats a missing key as NotIn and not In', () => {
    expect(
      matchesLabelSelector({ matchExpressions: [{ key: 'x', operator: 'NotIn', values: ['1'] }] }, labels),
    ).toBe(true);
    expect(
      matchesLabelSelector({ matchExpressions: [{ key: 'x', operator: 'In', values: ['1'] }] }, labels),
    ).toBe(false);
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }] }, labels)).toBe(
      true,
    );
  });
  it('requires labels and expressions together', () => {
    const selector = {
      matchLabels: { team: 'a' },
      matchExpressions: [{ key: 'tier', operator: 'In' as const, values: ['dev'] }],
    };
    expect(matchesLabelSelector(selector, labels)).toBe(false);
    expect(matchesLabelSelector(selector, { team: 'a', tier: 'dev' })).toBe(true);
  });
});

describe('namePatternMatches', () => {
  it.each([
    ['*', 'anything', true],
    ['*', '', true],
    ['legacy-*', 'legacy-portal', true],
    ['legacy-*', 'new-legacy-portal', false],
    ['*-web', 'shop-web', true],
    ['a.b', 'axb', false],
    ['a.b', 'a.b', true],
    ['Portal', 'portal', false],
    ['(x)+', '(x)+', true],
  ])('%s against %s: %s', (pattern, name, expected) => {
    expect(namePatternMatches(pattern, name)).toBe(expected);
  });
});

describe('checkNamespace', () => {
  it('allows every namespace without a selector', () => {
    expect(checkNamespace(undefined, 'ns', {})).toBeUndefined();
    expect(checkNamespace({}, 'ns', {})).toBeUndefined();
  });
  it('refuses a namespace outside the selector, naming the rule and the namespace', () => {
    const denial = checkNamespace({ namespaceSelector: { matchLabels: { tenant: 'shared' } } }, 'team-b', {
      tenant: 'other',
    });
    expect(denial?.rule).toBe('namespaceSelector');
    expect(denial?.message).toContain('team-b');
  });
});

describe('checkDeclaration', () => {
  it('allows every type and third-party applications by default', () => {
    expect(checkDeclaration(undefined, { type: 'Protected' })).toBeUndefined();
    expect(checkDeclaration({}, { type: 'SPA', isThirdParty: true })).toBeUndefined();
  });
  it('refuses a type outside allowedTypes', () => {
    const policy = { applications: { allowedTypes: ['SPA' as const, 'Traditional' as const] } };
    expect(checkDeclaration(policy, { type: 'SPA' })).toBeUndefined();
    expect(checkDeclaration(policy, { type: 'Protected' })?.rule).toBe('applications.allowedTypes');
    expect(checkDeclaration(policy, { type: 'MachineToMachine' })?.message).toContain('SPA, Traditional');
  });
  it('refuses third-party applications when allowThirdParty is false', () => {
    const policy = { applications: { allowThirdParty: false } };
    expect(checkDeclaration(policy, { type: 'SPA', isThirdParty: true })?.rule).toBe(
      'applications.allowThirdParty',
    );
    expect(checkDeclaration(policy, { type: 'SPA', isThirdParty: false })).toBeUndefined();
  });
});

describe('checkRole', () => {
  const management = { id: 'r-mgmt', name: 'Logto Management API access', grantsManagementApi: true };
  const reader = { id: 'r-read', name: 'orders:read', grantsManagementApi: false };

  it('refuses a role with Management API scopes by default, whatever its name', () => {
    expect(checkRole(undefined, management)?.rule).toBe('roles.allowManagementApiRoles');
    expect(checkRole({}, { ...management, name: 'innocent' })?.rule).toBe('roles.allowManagementApiRoles');
    expect(checkRole({ roles: { allowManagementApiRoles: false } }, management)).toBeDefined();
  });
  it('allows it only when the connection says so', () => {
    expect(checkRole({ roles: { allowManagementApiRoles: true } }, management)).toBeUndefined();
  });
  it("has nothing to say about any other role: whether it may be used is listsRole's or a grant's", () => {
    expect(checkRole(undefined, reader)).toBeUndefined();
  });
});

describe('listsRole (roles no LogtoRole declares)', () => {
  const reader = { id: 'r-read', name: 'orders:read' };
  it('lists none by default: the policy must name a role made outside the cluster', () => {
    expect(listsRole(undefined, 'orders:read', reader)).toBe(false);
    expect(listsRole({ roles: {} }, 'orders:read', reader)).toBe(false);
    expect(listsRole({ roles: { allowed: [] } }, 'orders:read', reader)).toBe(false);
  });
  it('matches the name or id the spec wrote, or those of the role it names', () => {
    expect(listsRole({ roles: { allowed: ['orders:read'] } }, 'r-read', reader)).toBe(true);
    expect(listsRole({ roles: { allowed: ['r-read'] } }, 'orders:read', reader)).toBe(true);
    expect(listsRole({ roles: { allowed: ['orders:read'] } }, 'orders:read', undefined)).toBe(true);
    expect(listsRole({ roles: { allowed: ['other'] } }, 'orders:read', reader)).toBe(false);
  });
});

describe('listsResourceScopes and listsOrganizationScope (consent scopes no object declares)', () => {
  const policy = {
    consentScopes: {
      resources: [
        { indicator: 'https://orders.example/api', scopes: ['read:orders'] },
        { indicator: 'https://billing.example/api' },
      ],
      organizationScopes: ['read:members'],
    },
  };
  it('lists none by default', () => {
    expect(listsResourceScopes(undefined, 'https://orders.example/api', ['read:orders'])).toBe(false);
    expect(listsOrganizationScope(undefined, 'read:members', undefined)).toBe(false);
  });
  it('every scope asked for must be listed; an entry without scopes lists them all', () => {
    expect(listsResourceScopes(policy, 'https://orders.example/api', ['read:orders'])).toBe(true);
    expect(listsResourceScopes(policy, 'https://orders.example/api', ['read:orders', 'write:orders'])).toBe(
      false,
    );
    expect(listsResourceScopes(policy, 'https://billing.example/api', ['anything'])).toBe(true);
    expect(listsResourceScopes(policy, 'https://other.example/api', ['read:orders'])).toBe(false);
  });
  it('organization scopes by the name or id written, or those of the scope', () => {
    expect(listsOrganizationScope(policy, 'read:members', undefined)).toBe(true);
    expect(listsOrganizationScope(policy, 'os-1', { id: 'os-1', name: 'read:members' })).toBe(true);
    expect(listsOrganizationScope(policy, 'invite:members', undefined)).toBe(false);
  });
});

describe('mayAdoptByKey', () => {
  it('takes over no role or API resource by default, then only what a pattern matches', () => {
    expect(mayAdoptByKey(undefined, 'role', 'billing-admin')).toBe(false);
    const policy = {
      adoption: { roleNames: ['billing-*'], apiResourceIndicators: ['https://billing.example/*'] },
    };
    expect(mayAdoptByKey(policy, 'role', 'billing-admin')).toBe(true);
    expect(mayAdoptByKey(policy, 'role', 'orders-admin')).toBe(false);
    expect(mayAdoptByKey(policy, 'apiResource', 'https://billing.example/api')).toBe(true);
    expect(mayAdoptByKey(policy, 'apiResource', 'https://orders.example/api')).toBe(false);
  });
});

describe('checkExisting', () => {
  const open = { adoption: { namePatterns: ['*'] } };

  it('adoption is off by default', () => {
    const denial = checkExisting(undefined, 'adoption', app(), 'op');
    expect(denial?.rule).toBe('adoption');
    expect(denial?.message).toContain('does not allow adopting');
    expect(checkExisting({ adoption: {} }, 'adoption', app(), 'op')?.rule).toBe('adoption');
  });
  it('allows only listed ids or matching names', () => {
    expect(
      checkExisting({ adoption: { applicationIds: ['app1'] } }, 'adoption', app(), 'op'),
    ).toBeUndefined();
    expect(checkExisting({ adoption: { namePatterns: ['Port*'] } }, 'adoption', app(), 'op')).toBeUndefined();
    const denial = checkExisting(
      { adoption: { applicationIds: ['other'], namePatterns: ['legacy-*'] } },
      'adoption',
      app(),
      'op',
    );
    expect(denial?.rule).toBe('adoption');
    expect(denial?.message).toContain('matches none');
  });
  it("never the connection's own application, even with adoption wide open or by marker", () => {
    const everything = { adoption: { namePatterns: ['*'], allowManagementApiApplications: true } };
    for (const by of ['adoption', 'marker'] as const) {
      expect(checkExisting(everything, by, app({ id: 'op' }), 'op')?.rule).toBe('ownApplication');
    }
  });
  it('never an application with Management API roles or isAdmin unless allowed', () => {
    for (const by of ['adoption', 'marker'] as const) {
      expect(
        checkExisting(open, by, app({ managementApiRoles: ['Logto Management API access'] }), 'op')?.rule,
      ).toBe('adoption.allowManagementApiApplications');
      const admin = checkExisting(open, by, app({ isAdmin: true }), 'op');
      expect(admin?.rule).toBe('adoption.allowManagementApiApplications');
      expect(admin?.message).toContain('isAdmin');
    }
    const allowed = { adoption: { namePatterns: ['*'], allowManagementApiApplications: true } };
    expect(checkExisting(allowed, 'adoption', app({ isAdmin: true }), 'op')).toBeUndefined();
  });
  it('an application found by marker needs no adoption allowance', () => {
    expect(checkExisting(undefined, 'marker', app(), 'op')).toBeUndefined();
  });
  it('an unknown own application id does not match', () => {
    expect(checkExisting(open, 'adoption', app(), undefined)).toBeUndefined();
  });
});
