import { describe, expect, it } from 'vitest';
import type { EntityKind } from '../../../src/api/directory.js';
import {
  referencedIds,
  referenceProblems,
} from '../../../src/controllers/logto-application/aspects/access-control.js';

const rules = {
  userIds: ['u1', 'ghost-user', 'u1'],
  userRoleIds: ['user-role', 'm2m-role', 'ghost-role'],
  organizationIds: ['org1'],
  organizationRoleRules: [
    { organizationId: 'ghost-org', organizationRoleIds: ['org-role', 'ghost-org-role'] },
  ],
};

const tenant: Record<EntityKind, Record<string, { id: string; type?: string }>> = {
  user: { u1: { id: 'u1' } },
  role: {
    'user-role': { id: 'user-role', type: 'User' },
    'm2m-role': { id: 'm2m-role', type: 'MachineToMachine' },
  },
  organization: { org1: { id: 'org1' } },
  'organization-role': { 'org-role': { id: 'org-role' } },
};

describe('access-control references', () => {
  it('lists each referenced id once, by the kind Logto looks it up as', () => {
    expect(referencedIds(rules).map(({ kind, id }) => `${kind}:${id}`)).toEqual([
      'user:u1',
      'user:ghost-user',
      'role:user-role',
      'role:m2m-role',
      'role:ghost-role',
      'organization:org1',
      'organization:ghost-org',
      'organization-role:org-role',
      'organization-role:ghost-org-role',
    ]);
  });

  it('names the ids that do not exist and the MachineToMachine user roles', async () => {
    const looked: string[] = [];
    const problems = await referenceProblems(rules, async (kind, id) => {
      looked.push(`${kind}:${id}`);
      return tenant[kind][id];
    });
    expect(problems).toEqual([
      'spec.accessControl.userIds names ids that do not exist in Logto: ghost-user',
      'spec.accessControl.userRoleIds names ids that do not exist in Logto: ghost-role',
      'spec.accessControl.organizationIds names ids that do not exist in Logto: ghost-org',
      'spec.accessControl.organizationRoleRules[].organizationRoleIds names ids that do not exist in Logto: ghost-org-role',
      'spec.accessControl.userRoleIds names MachineToMachine roles, not User roles: m2m-role',
    ]);
    expect(looked).toHaveLength(9);
  });

  it('finds nothing wrong with rules whose ids all exist', async () => {
    const valid = {
      userIds: ['u1'],
      userRoleIds: ['user-role'],
      organizationIds: [],
      organizationRoleRules: [],
    };
    expect(await referenceProblems(valid, async (kind, id) => tenant[kind][id])).toEqual([]);
  });
});
