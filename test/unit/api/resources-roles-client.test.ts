// LogtoClient's methods for API resources, their scopes and roles, against the emulator (which
// answers as a Logto 1.42 server does: BEHAVIOUR-resources-roles.md, pinned by the contract tests).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { listAll, LogtoClient } from '../../../src/api/client.js';
import { ignoreNotFound, LogtoApiError } from '../../../src/api/errors.js';
import {
  defaultManagementApiIndicator,
  isReservedManagementIndicator,
  MANAGEMENT_API_RESOURCE_ID,
  managementApiAccessRoleName,
} from '../../../src/api/management-api.js';
import { managementApiAccessRoleName as fromSchemas } from '../../../src/api/schemas.js';
import { ClientCredentialsTokenProvider } from '../../../src/api/token-provider.js';
import { createHttpClient, LogtoTransport } from '../../../src/api/transport.js';
import { startLogtoEmulator, type LogtoEmulator } from '../../emulator/emulator.js';

let emulator: LogtoEmulator;
let client: LogtoClient;

beforeAll(async () => {
  emulator = await startLogtoEmulator();
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.reset();
  const http = createHttpClient();
  const tokens = new ClientCredentialsTokenProvider({
    endpoint: emulator.endpoint,
    resource: emulator.resourceIndicator,
    credentials: async () => ({
      clientId: emulator.credentials.clientId,
      clientSecret: emulator.credentials.clientSecret,
    }),
    http,
  });
  const transport = new LogtoTransport({
    endpoint: emulator.endpoint,
    tokens,
    http,
    trustedText: true,
    retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
  });
  client = new LogtoClient(transport);
});

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error as LogtoApiError,
  );
const calls = (operation: string) => emulator.calls.list({ operation });

describe('API resources', () => {
  it('creates (201, with scopes: []), reads, updates and deletes a resource', async () => {
    const created = await client.createResource({ name: 'Orders', indicator: 'https://orders.example/api' });
    expect(created).toMatchObject({ name: 'Orders', accessTokenTtl: 3600, isDefault: false, scopes: [] });
    expect(calls('create_resource').map((c) => c.status)).toEqual([201]);

    const read = await client.getResource(created.id);
    expect(read).toMatchObject({ id: created.id, indicator: 'https://orders.example/api' });
    expect(read).not.toHaveProperty('scopes');

    expect(
      await client.updateResource(created.id, { name: 'Orders API', accessTokenTtl: 600 }),
    ).toMatchObject({
      name: 'Orders API',
      accessTokenTtl: 600,
      indicator: 'https://orders.example/api',
    });

    await client.deleteResource(created.id);
    expect(await failure(client.getResource(created.id))).toMatchObject({
      kind: 'NotFound',
      code: 'entity.not_exists_with_id',
    });
    expect(await ignoreNotFound(() => client.deleteResource(created.id))).toBe(false);
  });

  it('reports an indicator in use as a refusal', async () => {
    await client.createResource({ name: 'A', indicator: 'https://a.example' });
    expect(await failure(client.createResource({ name: 'B', indicator: 'https://a.example' }))).toMatchObject(
      {
        kind: 'Rejected',
        status: 422,
        code: 'resource.resource_identifier_in_use',
      },
    );
  });

  it("never asks Logto to create a resource with an indicator of Logto's Management API", async () => {
    for (const indicator of [defaultManagementApiIndicator, 'https://tenant1.logto.app/api']) {
      const error = await failure(client.createResource({ name: 'X', indicator }));
      expect(error).toBeInstanceOf(LogtoApiError);
      expect(error).toMatchObject({ kind: 'Rejected', code: 'operator.reserved_indicator' });
    }
    expect(calls('create_resource')).toEqual([]);
  });

  it('lists resources by page, with their scopes when asked', async () => {
    const { resource } = emulator.seed.resource({
      name: 'Billing',
      indicator: 'https://billing.example',
      scopes: ['read', 'write'],
    });
    const withScopes = await listAll('list_resources', (page, page_size) =>
      client.listResourcesPage({ page, page_size, includeScopes: true }),
    );
    const billing = withScopes.find((r) => r.id === resource.id);
    expect(billing?.scopes?.map((s) => s.name).sort()).toEqual(['read', 'write']);
    expect(withScopes.map((r) => r.id)).toContain(MANAGEMENT_API_RESOURCE_ID);

    const page = await client.listResourcesPage({ page: 1, page_size: 1, includeScopes: false });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).not.toHaveProperty('scopes');
    expect(page.total).toBe(2);
  });
});

describe('scopes of an API resource', () => {
  it('lists every scope past the 20 Logto answers by default', async () => {
    const { id } = await client.createResource({ name: 'Many', indicator: 'https://many.example' });
    for (let i = 0; i < 25; i++) await client.createResourceScope(id, { name: `scope:${i}` });

    const first = await client.listResourceScopesPage(id, { page: 1, page_size: 100 });
    expect(first.total).toBe(25);
    expect(first.items).toHaveLength(25);
    const byTens = await listAll(
      'list_resource_scopes',
      (page, page_size) => client.listResourceScopesPage(id, { page, page_size }),
      { pageSize: 10 },
    );
    expect(byTens.map((s) => s.name).sort()).toEqual(
      Array.from({ length: 25 }, (_, i) => `scope:${i}`).sort(),
    );
    expect(calls('list_resource_scopes')).toHaveLength(4);
  });

  it("answers an unknown resource's scopes with an empty list, not an error", async () => {
    expect(await client.listResourceScopesPage('missing', { page: 1, page_size: 100 })).toEqual({
      items: [],
      total: 0,
    });
  });

  it('creates (201), updates and deletes a scope; an empty or omitted description is null', async () => {
    const { id } = await client.createResource({ name: 'R', indicator: 'https://r.example' });
    const read = await client.createResourceScope(id, { name: 'read' });
    expect(read).toMatchObject({ name: 'read', resourceId: id, description: null });
    expect(calls('create_resource_scope').map((c) => c.status)).toEqual([201]);
    expect(await client.createResourceScope(id, { name: 'write', description: '' })).toMatchObject({
      description: null,
    });

    expect(await client.updateResourceScope(id, read.id, { description: 'Reads' })).toMatchObject({
      name: 'read',
      description: 'Reads',
    });
    expect(await failure(client.updateResourceScope(id, read.id, { name: 'write' }))).toMatchObject({
      kind: 'Rejected',
      code: 'scope.name_exists',
    });

    await client.deleteResourceScope(id, read.id);
    const left = await client.listResourceScopesPage(id, { page: 1, page_size: 100 });
    expect(left.items.map((s) => s.name)).toEqual(['write']);
    expect(await failure(client.deleteResourceScope(id, read.id))).toMatchObject({
      kind: 'NotFound',
      code: 'entity.not_found',
    });
  });
});

describe('roles', () => {
  it('creates a role: Logto answers 200, not 201', async () => {
    const role = await client.createRole({ name: 'writer', description: 'Writes', type: 'MachineToMachine' });
    expect(role).toMatchObject({ name: 'writer', description: 'Writes', type: 'MachineToMachine' });
    expect(calls('create_role').map((c) => c.status)).toEqual([200]);
    expect(await client.getRole(role.id)).toEqual(role);
    expect(
      await failure(client.createRole({ name: 'writer', description: 'Again', type: 'MachineToMachine' })),
    ).toMatchObject({ kind: 'Rejected', code: 'role.name_in_use' });
  });

  it('lists every role past the 20 Logto answers by default', async () => {
    for (let i = 0; i < 25; i++) {
      await client.createRole({ name: `role-${i}`, description: 'A role', type: 'MachineToMachine' });
    }
    const all = await listAll('list_roles', (page, page_size) => client.listRolesPage({ page, page_size }), {
      pageSize: 10,
    });
    const names = all.map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(Array.from({ length: 25 }, (_, i) => `role-${i}`)));
    expect(names).toContain(managementApiAccessRoleName);
    expect(new Set(all.map((r) => r.id)).size).toBe(all.length);
    const first = await client.listRolesPage({ page: 1, page_size: 100 });
    expect(first.items).toHaveLength(first.total);
    expect(first.total).toBe(all.length);
  });

  it('finds a role by its exact, case-sensitive name, and filters by type', async () => {
    await client.createRole({ name: 'reader', description: 'Reads', type: 'MachineToMachine' });
    await client.createRole({ name: 'READER', description: 'Reads', type: 'MachineToMachine' });
    await client.createRole({ name: 'reader2', description: 'Reads', type: 'User' });

    const exact = await client.listRolesPage({ page: 1, page_size: 100, exactName: 'reader' });
    expect(exact.items.map((r) => r.name)).toEqual(['reader']);
    expect(exact.total).toBe(1);

    const users = await client.listRolesPage({ page: 1, page_size: 100, type: 'User' });
    expect(users.items.map((r) => r.name)).toEqual(['reader2']);
    const none = await client.listRolesPage({ page: 1, page_size: 100, type: 'User', exactName: 'reader' });
    expect(none).toEqual({ items: [], total: 0 });
  });

  it('updates and deletes a role', async () => {
    const role = await client.createRole({ name: 'r', description: 'd', type: 'MachineToMachine' });
    expect(await client.updateRole(role.id, { name: 'r2', description: 'd2' })).toMatchObject({
      id: role.id,
      name: 'r2',
      description: 'd2',
      type: 'MachineToMachine',
    });
    await client.deleteRole(role.id);
    expect(await failure(client.getRole(role.id))).toMatchObject({ kind: 'NotFound' });
    expect(await ignoreNotFound(() => client.deleteRole(role.id))).toBe(false);
  });
});

describe('scopes of a role', () => {
  const setUp = async () => {
    const resource = await client.createResource({ name: 'R', indicator: 'https://r.example' });
    const read = await client.createResourceScope(resource.id, { name: 'read' });
    const write = await client.createResourceScope(resource.id, { name: 'write' });
    const role = await client.createRole({ name: 'rw', description: 'RW', type: 'MachineToMachine' });
    return { resource, read, write, role };
  };

  it('sends each scope id once, and answers every scope the role then holds', async () => {
    const { read, write, role } = await setUp();
    expect((await client.assignRoleScopes(role.id, [read.id, read.id])).map((s) => s.id)).toEqual([read.id]);
    const all = await client.assignRoleScopes(role.id, [write.id, write.id, write.id]);
    expect(all.map((s) => s.id).sort()).toEqual([read.id, write.id].sort());
    expect(all[0]).not.toHaveProperty('resource');
    expect(calls('assign_role_scopes').map((c) => c.status)).toEqual([201, 201]);
  });

  it('refuses an empty list without calling Logto', async () => {
    const { role } = await setUp();
    await expect(client.assignRoleScopes(role.id, [])).rejects.toThrow(/at least one scope id/);
    expect(calls('assign_role_scopes')).toEqual([]);
  });

  it('reports a scope linked already, and links nothing then', async () => {
    const { read, write, role } = await setUp();
    await client.assignRoleScopes(role.id, [read.id]);
    expect(await failure(client.assignRoleScopes(role.id, [write.id, read.id]))).toMatchObject({
      kind: 'Rejected',
      code: 'role.scope_exists',
    });
    const held = await client.listRoleScopesPage(role.id, { page: 1, page_size: 100 });
    expect(held.items.map((s) => s.id)).toEqual([read.id]);
  });

  it("lists a role's scopes with their resources, page by page", async () => {
    const { resource, role } = await setUp();
    const scopes = [];
    for (let i = 0; i < 25; i++)
      scopes.push(await client.createResourceScope(resource.id, { name: `s${i}` }));
    await client.assignRoleScopes(
      role.id,
      scopes.map((s) => s.id),
    );
    const all = await listAll(
      'list_role_scopes',
      (page, page_size) => client.listRoleScopesPage(role.id, { page, page_size }),
      { pageSize: 10 },
    );
    expect(all).toHaveLength(25);
    expect(all.every((s) => s.resource.indicator === 'https://r.example')).toBe(true);
  });

  it('unlinks a scope; one that is not linked is NotFound (entity.not_found)', async () => {
    const { read, write, role } = await setUp();
    await client.assignRoleScopes(role.id, [read.id, write.id]);
    await client.deleteRoleScope(role.id, read.id);
    const held = await client.listRoleScopesPage(role.id, { page: 1, page_size: 100 });
    expect(held.items.map((s) => s.id)).toEqual([write.id]);
    expect(await failure(client.deleteRoleScope(role.id, read.id))).toMatchObject({
      kind: 'NotFound',
      code: 'entity.not_found',
    });
  });
});

describe('calls that are not repeated after an unknown outcome', () => {
  it('does not retry a create whose first attempt may have been done (a repeat answers 422)', async () => {
    emulator.faults.inject({ method: 'POST', path: '/api/roles', status: 503, times: 1 });
    expect(
      await failure(client.createRole({ name: 'x', description: 'x', type: 'MachineToMachine' })),
    ).toMatchObject({ kind: 'Unavailable', status: 503 });
    expect(calls('create_role')).toHaveLength(1);

    emulator.faults.inject({ method: 'GET', path: '/api/roles', status: 503, times: 1 });
    await client.listRolesPage({ page: 1, page_size: 100 });
    expect(calls('list_roles').map((c) => c.status)).toEqual([503, 200]);
  });
});

describe('the Management API constants', () => {
  it("recognise Logto's Management API indicators as Logto 1.42 does", () => {
    expect(isReservedManagementIndicator(defaultManagementApiIndicator)).toBe(true);
    expect(isReservedManagementIndicator('https://abc123.logto.app/api')).toBe(true);
    for (const free of [
      'https://abc.logto.app/api/',
      'https://a.b.logto.app/api',
      'http://abc.logto.app/api',
      'https://abc.logto.app/api/v2',
      'https://orders.example/api',
    ]) {
      expect(isReservedManagementIndicator(free), free).toBe(false);
    }
  });

  it('keep the old export of the role name', () => {
    expect(fromSchemas).toBe(managementApiAccessRoleName);
  });
});
