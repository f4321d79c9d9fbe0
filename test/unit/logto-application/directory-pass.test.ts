// A name missing from the cached directory is read again once per pass before it counts as missing
// (BEHAVIOUR.md, "API resources, scopes, organizations": what Logto just created is visible at once).
import { beforeEach, describe, expect, it } from 'vitest';

import { LogtoDirectory } from '../../../src/api/directory.js';
import { LogtoApiError } from '../../../src/api/errors.js';
import type { LogtoRequest, LogtoResponse, LogtoTransport } from '../../../src/api/transport.js';

const tenantId = 'default';
const role = (id: string, name: string) => ({
  tenantId,
  id,
  name,
  description: name,
  type: 'MachineToMachine',
  isDefault: false,
  usersCount: 0,
  featuredUsers: [],
  applicationsCount: 0,
  featuredApplications: [],
});
const scope = (id: string, resourceId: string, name: string) => ({
  tenantId,
  id,
  resourceId,
  name,
  description: null,
  createdAt: 1,
});

/** An in-memory Logto directory that counts the reads by operation. */
class FakeLogto {
  roles: ReturnType<typeof role>[] = [];
  resources: Array<{ id: string; indicator: string; scopes: ReturnType<typeof scope>[] }> = [];
  organizationScopes: Array<{ tenantId: string; id: string; name: string; description: null }> = [];
  reads = new Map<string, number>();

  readonly transport = {
    send: async (request: LogtoRequest): Promise<LogtoResponse> => {
      this.reads.set(request.operation, (this.reads.get(request.operation) ?? 0) + 1);
      const answer = (status: number, body: unknown) => ({ status, headers: {}, body });
      switch (request.operation) {
        case 'list_roles':
          return answer(
            200,
            this.roles.filter((r) => r.name === request.query?.['search.name']),
          );
        case 'get_role': {
          const found = this.roles.find((r) => request.path.endsWith(`/${r.id}`));
          if (found) return answer(200, found);
          throw new LogtoApiError({
            operation: 'get_role',
            status: 404,
            code: 'entity.not_exists_with_id',
            detail: 'no such role',
          });
        }
        case 'list_resources':
          return answer(
            200,
            this.resources.map(({ id, indicator, scopes }) => ({
              tenantId,
              id,
              name: id,
              indicator,
              isDefault: false,
              accessTokenTtl: 3600,
              scopes,
            })),
          );
        case 'list_organization_scopes':
          return answer(200, this.organizationScopes);
        default:
          throw new Error(`unexpected ${request.operation}`);
      }
    },
  };

  count(operation: string): number {
    return this.reads.get(operation) ?? 0;
  }
}

let logto: FakeLogto;
let directory: LogtoDirectory;

beforeEach(() => {
  logto = new FakeLogto();
  // A long TTL: only the per-pass refresh may bring what was created after the cache was filled.
  directory = new LogtoDirectory(logto.transport as unknown as LogtoTransport, 3_600_000);
});

describe('DirectoryPass', () => {
  it('finds a role created after the cache was filled, with one fresh read', async () => {
    logto.roles.push(role('r1', 'reader'));
    expect(await directory.forPass().findRole('reader')).toMatchObject({ id: 'r1' });
    expect(await directory.forPass().findRole('writer')).toBeUndefined();
    const readsBefore = logto.count('list_roles');

    logto.roles.push(role('r2', 'writer'));
    const pass = directory.forPass();
    expect(await pass.findRole('writer')).toMatchObject({ id: 'r2' });
    expect(logto.count('list_roles')).toBe(readsBefore + 1);
    // A hit needs no read at all.
    expect(await pass.findRole('reader')).toMatchObject({ id: 'r1' });
    expect(logto.count('list_roles')).toBe(readsBefore + 1);
  });

  it('reads a missing role again once per pass, not on every lookup', async () => {
    const first = directory.forPass();
    expect(await first.findRole('ghost')).toBeUndefined();
    expect(await first.findRole('ghost')).toBeUndefined();
    expect(await first.findRole('ghost')).toBeUndefined();
    // The first lookup reads (nothing cached yet), and no lookup of this pass reads again.
    expect(logto.count('list_roles')).toBe(1);

    const second = directory.forPass();
    expect(await second.findRole('ghost')).toBeUndefined();
    expect(await second.findRole('ghost')).toBeUndefined();
    // Cached miss, then one fresh read for this pass.
    expect(logto.count('list_roles')).toBe(2);
  });

  it('finds an API resource and a scope created after the cache was filled', async () => {
    logto.resources.push({
      id: 'billing',
      indicator: 'https://billing',
      scopes: [scope('s1', 'billing', 'read')],
    });
    const warm = await directory.forPass().findResourceScopes('https://billing', ['read']);
    expect(warm).toMatchObject({ missingScopes: [], scopeIds: ['s1'] });
    expect(logto.count('list_resources')).toBe(1);

    logto.resources[0]!.scopes.push(scope('s2', 'billing', 'write'));
    logto.resources.push({
      id: 'orders',
      indicator: 'https://orders',
      scopes: [scope('s3', 'orders', 'read')],
    });
    const pass = directory.forPass();
    expect(await pass.findResourceScopes('https://billing', ['read', 'write'])).toMatchObject({
      missingScopes: [],
      scopeIds: ['s1', 's2'],
    });
    expect(await pass.findResourceScopes('https://orders', ['read'])).toMatchObject({ scopeIds: ['s3'] });
    expect(logto.count('list_resources')).toBe(2);
  });

  it('reports what is still missing after the fresh read, reading at most once per pass', async () => {
    logto.resources.push({
      id: 'billing',
      indicator: 'https://billing',
      scopes: [scope('s1', 'billing', 'read')],
    });
    await directory.forPass().findResourceScopes('https://billing');
    const pass = directory.forPass();
    expect(await pass.findResourceScopes('https://billing', ['read', 'delete'])).toMatchObject({
      missingScopes: ['delete'],
      scopeIds: ['s1'],
    });
    expect((await pass.findResourceScopes('https://nowhere', ['read'])).resource).toBeUndefined();
    expect(logto.count('list_resources')).toBe(2);
  });

  it('finds an organization scope created after the cache was filled', async () => {
    logto.organizationScopes.push({ tenantId, id: 'o1', name: 'read:org', description: null });
    expect(await directory.forPass().findOrganizationScope('read:org')).toMatchObject({ id: 'o1' });
    logto.organizationScopes.push({ tenantId, id: 'o2', name: 'write:org', description: null });
    const pass = directory.forPass();
    expect(await pass.findOrganizationScope('write:org')).toMatchObject({ id: 'o2' });
    expect(await pass.findOrganizationScope('nope')).toBeUndefined();
    expect(logto.count('list_organization_scopes')).toBe(2);
  });
});
