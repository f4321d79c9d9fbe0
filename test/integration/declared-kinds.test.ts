/**
 * LogtoApiResource and LogtoRole end to end: the real operator on the shared control plane and the
 * Logto emulator. A namespace declares an API, a role holding one of its scopes and a
 * machine-to-machine client holding the role; the client's own token carries the scope. Then:
 * updates, drift made in Logto, a create whose answer was lost, status lost, deletion per policy.
 * What other namespaces may use of it (grants, refusals) is declared-tenancy.test.ts.
 */
import type { CoreV1Event } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  API_RESOURCE_KIND,
  API_RESOURCE_PLURAL,
  type LogtoApiResource,
} from '../../src/crd/logto-api-resource.js';
import { GROUP, VERSION } from '../../src/crd/logto-application.js';
import { ROLE_KIND, ROLE_PLURAL, type LogtoRole } from '../../src/crd/logto-role.js';
import { FINALIZER } from '../../src/controllers/logto-application/constants.js';
import { CREATE_TOKEN_ANNOTATION } from '../../src/controllers/logto-application/ownership-marker.js';
import { sealOf } from '../../src/controllers/declared/marker.js';
import { FORCE_SYNC_ANNOTATION } from '../../src/operator.js';
import { EmulatorApi } from '../emulator/harness.js';
import { eventually } from '../support/eventually.js';
import {
  emulatorSecrets,
  operatorEnvironment,
  type TestCluster,
  type TestObject,
  clientToken,
} from '../support/operator.js';

const INDICATOR = 'https://orders.example/api';

describe('declared API resources and roles', () => {
  const env = operatorEnvironment('declared');
  let apis: TestCluster<LogtoApiResource>;
  let roles: TestCluster<LogtoRole>;
  let api: EmulatorApi;
  beforeAll(() => {
    apis = env.cluster.of<LogtoApiResource>({ plural: API_RESOURCE_PLURAL, kind: API_RESOURCE_KIND });
    roles = env.cluster.of<LogtoRole>({ plural: ROLE_PLURAL, kind: ROLE_KIND });
    api = new EmulatorApi(env.emulator);
  });
  afterAll(() => undefined);
  // A test that failed half-way leaves no fault behind for the next.
  afterEach(() => env.emulator.faults.clear());

  const rolesNamed = (name: string) => [...env.emulator.state.roles.values()].filter((r) => r.name === name);
  const logtoRole = (name: string) => rolesNamed(name)[0];
  const resourcesOf = (indicator: string) =>
    [...env.emulator.state.resources.values()].filter((r) => r.indicator === indicator);
  const logtoResource = (indicator: string) => resourcesOf(indicator)[0];
  const scopesOfResource = (resourceId: string) =>
    [...env.emulator.state.scopes.values()]
      .filter((scope) => scope.resourceId === resourceId)
      .map(({ name, description }) => ({ name, description }))
      .sort((a, b) => a.name.localeCompare(b.name));
  const roleScopeNames = (roleId: string) =>
    [...(env.emulator.state.roles.get(roleId)?.scopeIds ?? [])]
      .map((id) => env.emulator.state.scopes.get(id)?.name)
      .sort();
  /** Every call that may change something in Logto (token requests aside). */
  const logtoWrites = () =>
    env.emulator.calls.list().filter((call) => call.method !== 'GET' && !call.path.startsWith('/oidc/'))
      .length;

  /** A token of the application's own credentials for `indicator`: its scopes and lifetime. */
  const tokenOf = (appName: string, indicator = INDICATOR, scope = 'read write') =>
    clientToken(env.cluster, api, { namespace: env.ns, name: appName }, indicator, scope);
  const tokenScopes = async (appName: string, indicator = INDICATOR) =>
    (await tokenOf(appName, indicator)).scopes;

  /** Asks for a pass now (the force-sync annotation); callers wait for its effect in Logto. */
  const forceSync = <T extends TestObject>(cluster: TestCluster<T>, name: string) =>
    cluster.patch(env.ns, name, {
      metadata: { annotations: { [FORCE_SYNC_ANNOTATION]: `${Date.now()}-${Math.random()}` } },
    });
  /** Finished passes of a role or an API resource, as the operator logs them. */
  const passes = (name: string) => {
    const resource = `"resource":"${env.ns}/${name}"`;
    return env.operator.logs.filter((line) => line.includes(resource) && line.includes('"msg":"reconciled"'))
      .length;
  };
  /** As forceSync, and waits until a pass of the (idle) object finished. */
  const syncNow = async <T extends TestObject>(cluster: TestCluster<T>, name: string) => {
    const before = passes(name);
    await forceSync(cluster, name);
    await eventually(() => passes(name) > before, { what: `a pass of ${name}` });
  };

  const eventsOf = async (kind: string, name: string): Promise<CoreV1Event[]> =>
    (await env.cluster.core.listNamespacedEvent({ namespace: env.ns })).items.filter(
      (event) => event.involvedObject.kind === kind && event.involvedObject.name === name,
    );

  /** How many times the object had an Event of this reason (the recorder counts repeats). */
  const eventCount = async (kind: string, name: string, reason: string) =>
    (await eventsOf(kind, name))
      .filter((event) => event.reason === reason)
      .reduce((sum, event) => sum + (event.count ?? 1), 0);

  const gone = async <T extends TestObject>(cluster: TestCluster<T>, name: string) =>
    eventually(async () => (await cluster.get(env.ns, name)) === undefined, {
      what: `${env.ns}/${name} deleted (its finalizer removed)`,
    });

  it("gives a machine-to-machine client declared with a role of its namespace a token with the role's scopes", async () => {
    await apis.create(env.ns, 'orders', {
      indicator: INDICATOR,
      name: 'Orders API',
      scopes: [{ name: 'read', description: 'Read orders' }, { name: 'write' }],
    } as LogtoApiResource['spec']);
    await roles.create(env.ns, 'orders-reader', {
      scopes: [{ apiResourceRef: { name: 'orders' }, scopes: ['read'] }],
    } as LogtoRole['spec']);
    await env.cluster.create(env.ns, 'robot', { type: 'MachineToMachine', roles: ['orders-reader'] });

    const resource = await apis.waitReady(env.ns, 'orders');
    const role = await roles.waitReady(env.ns, 'orders-reader');
    await env.cluster.waitReady(env.ns, 'robot');
    expect(resource.status).toMatchObject({ resourceId: logtoResource(INDICATOR)?.id });
    expect(role.status).toMatchObject({
      roleId: logtoRole('orders-reader')?.id,
      name: 'orders-reader',
      scopes: [{ resource: INDICATOR, name: 'read' }],
    });
    // Marked as this cluster's, in the only text fields these objects have.
    expect(logtoResource(INDICATOR)?.name).toMatch(/^Orders API \[logto-operator:[\w-]{16}\]$/);
    expect(logtoRole('orders-reader')?.description).toMatch(/^orders-reader \[logto-operator:[\w-]{16}\]$/);
    expect(logtoRole('orders-reader')?.type).toBe('MachineToMachine');
    expect(await tokenScopes('robot')).toEqual(['read']);
  });

  it("converges updates: a scope added to the API and the role, a scope's description, the token lifetime, a role renamed", async () => {
    const indicator = 'https://billing.example/api';
    await apis.create(env.ns, 'billing', {
      indicator,
      name: 'Billing API',
      scopes: [{ name: 'read', description: 'Read bills' }],
    } as LogtoApiResource['spec']);
    await roles.create(env.ns, 'billing-role', {
      name: 'billing-reader',
      scopes: [{ apiResourceRef: { name: 'billing' }, scopes: ['read'] }],
    } as LogtoRole['spec']);
    await env.cluster.create(env.ns, 'billing-robot', {
      type: 'MachineToMachine',
      roles: ['billing-reader'],
    });
    const resourceId = (await apis.waitReady(env.ns, 'billing')).status!.resourceId!;
    const roleId = (await roles.waitReady(env.ns, 'billing-role')).status!.roleId!;
    await env.cluster.waitReady(env.ns, 'billing-robot');
    expect(await tokenOf('billing-robot', indicator)).toEqual({ scopes: ['read'], expiresIn: 3600 });

    await apis.patch(env.ns, 'billing', {
      spec: {
        accessTokenTtl: 600,
        scopes: [
          { name: 'read', description: 'Read every bill' },
          { name: 'write', description: 'Write bills' },
        ],
      },
    });
    await roles.patch(env.ns, 'billing-role', {
      spec: { scopes: [{ apiResourceRef: { name: 'billing' }, scopes: ['read', 'write'] }] },
    });
    const resource = await apis.waitReady(env.ns, 'billing');
    const role = await roles.waitReady(env.ns, 'billing-role');
    expect(resource.status?.scopes?.map((s) => s.name)).toEqual(['read', 'write']);
    expect(role.status?.scopes?.map((s) => s.name)).toEqual(['read', 'write']);
    expect(env.emulator.state.resources.get(resourceId)?.accessTokenTtl).toBe(600);
    expect(scopesOfResource(resourceId)).toEqual([
      { name: 'read', description: 'Read every bill' },
      { name: 'write', description: 'Write bills' },
    ]);
    expect(roleScopeNames(roleId)).toEqual(['read', 'write']);
    expect(await tokenOf('billing-robot', indicator)).toEqual({ scopes: ['read', 'write'], expiresIn: 600 });

    // Renamed in place (the same role, so the applications holding it keep it). The rename is slow
    // in Logto: the application, renamed to it meanwhile, waits for it rather than being refused.
    const slowRename = env.emulator.faults.inject({
      method: 'PATCH',
      path: '/api/roles/{id}',
      latencyMs: 1_500,
      times: 1,
    });
    await roles.patch(env.ns, 'billing-role', { spec: { name: 'billing-clerk' } });
    await eventually(() => !env.emulator.faults.list().some((rule) => rule.id === slowRename), {
      what: 'the rename sent to Logto',
    });
    await env.cluster.patch(env.ns, 'billing-robot', { spec: { roles: ['billing-clerk'] } });
    const renamed = await roles.waitReady(env.ns, 'billing-role');
    expect(renamed.status).toMatchObject({ roleId, name: 'billing-clerk' });
    expect(rolesNamed('billing-reader')).toEqual([]);
    expect(rolesNamed('billing-clerk').map((r) => r.id)).toEqual([roleId]);
    expect(logtoRole('billing-clerk')?.description).toMatch(/^billing-clerk \[logto-operator:[\w-]{16}\]$/);
    const robot = await env.cluster.waitReady(env.ns, 'billing-robot');
    expect([...env.emulator.state.applications.get(robot.status!.applicationId!)!.roleIds]).toEqual([roleId]);
    expect((await tokenOf('billing-robot', indicator)).scopes).toEqual(['read', 'write']);
    const refusals = (await eventsOf('LogtoApplication', 'billing-robot')).filter(
      (e) => e.reason === 'PolicyDenied',
    );
    expect(refusals.map((e) => e.message)).toEqual([]);
  });

  it('holds more scopes than one page of a Logto list (cut at 20), and a pass over them writes nothing', async () => {
    const indicator = 'https://many.example/api';
    const names = Array.from({ length: 27 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    await apis.create(env.ns, 'many', {
      indicator,
      scopes: names.map((name) => ({ name })),
    } as LogtoApiResource['spec']);
    await roles.create(env.ns, 'many-role', {
      scopes: [{ apiResourceRef: { name: 'many' }, scopes: names }],
    } as LogtoRole['spec']);
    await env.cluster.create(env.ns, 'many-client', { type: 'MachineToMachine', roles: ['many-role'] });
    const resourceId = (await apis.waitReady(env.ns, 'many')).status!.resourceId!;
    const role = await roles.waitReady(env.ns, 'many-role');
    await env.cluster.waitReady(env.ns, 'many-client');
    expect(scopesOfResource(resourceId).map((s) => s.name)).toEqual(names);
    expect(roleScopeNames(role.status!.roleId!)).toEqual(names);
    expect(role.status?.scopes).toHaveLength(27);
    expect((await tokenOf('many-client', indicator, names.join(' '))).scopes).toEqual(names);

    const writes = logtoWrites();
    await syncNow(apis, 'many');
    await syncNow(roles, 'many-role');
    expect(logtoWrites()).toBe(writes);
    expect(resourcesOf(indicator)).toHaveLength(1);
  });

  it('reverts drift made in Logto (as in the Console) at the next pass', async () => {
    const indicator = 'https://drift.example/api';
    await apis.create(env.ns, 'drift', {
      indicator,
      name: 'Drift API',
      scopes: [{ name: 'read', description: 'Read' }, { name: 'write' }],
    } as LogtoApiResource['spec']);
    await roles.create(env.ns, 'drift-role', {
      name: 'drift-writer',
      description: 'Writes drift',
      scopes: [{ apiResourceRef: { name: 'drift' }, scopes: ['read', 'write'] }],
    } as LogtoRole['spec']);
    const resourceId = (await apis.waitReady(env.ns, 'drift')).status!.resourceId!;
    const roleId = (await roles.waitReady(env.ns, 'drift-role')).status!.roleId!;
    const resourceName = env.emulator.state.resources.get(resourceId)!.name;
    const roleDescription = env.emulator.state.roles.get(roleId)!.description;
    const write = [...env.emulator.state.scopes.values()].find(
      (s) => s.resourceId === resourceId && s.name === 'write',
    )!;

    const console = async (method: string, path: string, body?: unknown) =>
      expect((await api.request(method, path, body === undefined ? {} : { body })).status).toBeLessThan(300);
    await console('PATCH', `/api/resources/${resourceId}`, { name: 'Renamed in the Console' });
    await console('POST', `/api/resources/${resourceId}/scopes`, { name: 'admin', description: 'Console' });
    await console('DELETE', `/api/roles/${roleId}/scopes/${write.id}`);
    await console('PATCH', `/api/roles/${roleId}`, { description: 'Changed in the Console' });
    expect(scopesOfResource(resourceId).map((s) => s.name)).toEqual(['admin', 'read', 'write']);
    expect(roleScopeNames(roleId)).toEqual(['read']);

    await forceSync(apis, 'drift');
    await forceSync(roles, 'drift-role');
    await eventually(
      () =>
        env.emulator.state.resources.get(resourceId)?.name === resourceName &&
        scopesOfResource(resourceId)
          .map((s) => s.name)
          .join() === 'read,write' &&
        env.emulator.state.roles.get(roleId)?.description === roleDescription &&
        roleScopeNames(roleId).join() === 'read,write',
      { what: 'the drift reverted' },
    );
    // The same objects, converged in place: nothing was recreated.
    expect(resourcesOf(indicator).map((r) => r.id)).toEqual([resourceId]);
    expect(rolesNamed('drift-writer').map((r) => r.id)).toEqual([roleId]);
    expect(scopesOfResource(resourceId)).toContainEqual({ name: 'write', description: null });
    expect(env.emulator.state.scopes.get(write.id)?.name).toBe('write');
  });

  it('deletes the role and the API resource with deletionPolicy Delete: the application loses the scope', async () => {
    const indicator = 'https://ledger.example/api';
    await apis.create(env.ns, 'ledger', {
      indicator,
      scopes: [{ name: 'read' }, { name: 'write' }],
    } as LogtoApiResource['spec']);
    await roles.create(env.ns, 'ledger-writer', {
      deletionPolicy: 'Delete',
      scopes: [{ apiResourceRef: { name: 'ledger' }, scopes: ['write'] }],
    } as LogtoRole['spec']);
    await env.cluster.create(env.ns, 'ledger-robot', { type: 'MachineToMachine', roles: ['ledger-writer'] });
    const resourceId = (await apis.waitReady(env.ns, 'ledger')).status!.resourceId!;
    const roleId = (await roles.waitReady(env.ns, 'ledger-writer')).status!.roleId!;
    const robot = await env.cluster.waitReady(env.ns, 'ledger-robot');
    expect(await tokenScopes('ledger-robot', indicator)).toEqual(['write']);
    expect((await roles.get(env.ns, 'ledger-writer'))?.metadata.finalizers).toEqual([FINALIZER]);
    expect((await apis.get(env.ns, 'ledger'))?.metadata.finalizers).toEqual([FINALIZER]);

    await roles.delete(env.ns, 'ledger-writer');
    await gone(roles, 'ledger-writer');
    expect(env.emulator.state.roles.has(roleId)).toBe(false);
    expect(env.emulator.state.applications.get(robot.status!.applicationId!)?.roleIds.has(roleId)).toBe(
      false,
    );
    expect(await tokenScopes('ledger-robot', indicator)).toEqual([]);

    await apis.delete(env.ns, 'ledger');
    await gone(apis, 'ledger');
    expect(resourcesOf(indicator)).toEqual([]);
    expect(scopesOfResource(resourceId)).toEqual([]);
    await eventually(
      async () => (await eventsOf(ROLE_KIND, 'ledger-writer')).some((e) => e.reason === 'Deleted'),
      {
        what: 'a Deleted event of the role',
      },
    );
  });

  it('leaves the role and the API resource in Logto, unmarked, with deletionPolicy Orphan', async () => {
    const indicator = 'https://archive.example/api';
    await apis.create(env.ns, 'archive', {
      indicator,
      name: 'Archive API',
      deletionPolicy: 'Orphan',
      scopes: [{ name: 'read' }],
    } as LogtoApiResource['spec']);
    await roles.create(env.ns, 'archive-reader', {
      deletionPolicy: 'Orphan',
      scopes: [{ apiResourceRef: { name: 'archive' }, scopes: ['read'] }],
    } as LogtoRole['spec']);
    const resourceId = (await apis.waitReady(env.ns, 'archive')).status!.resourceId!;
    const roleId = (await roles.waitReady(env.ns, 'archive-reader')).status!.roleId!;
    expect((await roles.get(env.ns, 'archive-reader'))?.metadata.finalizers).toEqual([FINALIZER]);
    expect((await apis.get(env.ns, 'archive'))?.metadata.finalizers).toEqual([FINALIZER]);

    await roles.delete(env.ns, 'archive-reader');
    await apis.delete(env.ns, 'archive');
    await gone(roles, 'archive-reader');
    await gone(apis, 'archive');
    expect(env.emulator.state.roles.get(roleId)).toMatchObject({
      name: 'archive-reader',
      description: 'archive-reader',
    });
    expect(env.emulator.state.resources.get(resourceId)).toMatchObject({ indicator, name: 'Archive API' });
    expect(scopesOfResource(resourceId).map((s) => s.name)).toEqual(['read']);
    expect(roleScopeNames(roleId)).toEqual(['read']);
  });

  describe('a create whose answer is lost', () => {
    it('finds the role it made by its name and token: one role, recorded, said in a Found event', async () => {
      env.emulator.faults.inject({ method: 'POST', path: '/api/roles', dropAnswer: true, times: 1 });
      const creates = env.emulator.calls.count({ method: 'POST', route: '/api/roles' });
      await roles.create(env.ns, 'lost-role', {} as LogtoRole['spec']);
      const role = await roles.waitReady(env.ns, 'lost-role');
      expect(env.emulator.calls.count({ method: 'POST', route: '/api/roles' }) - creates).toBe(1);
      expect(rolesNamed('lost-role').map((r) => r.id)).toEqual([role.status?.roleId]);
      const token = role.metadata.annotations![CREATE_TOKEN_ANNOTATION]!;
      const seal = sealOf(role.metadata.namespace!, role.metadata.name!, token);
      expect(logtoRole('lost-role')?.description).toBe(`lost-role [logto-operator:${seal}]`);
      const found = await eventually(
        async () => (await eventsOf(ROLE_KIND, 'lost-role')).find((e) => e.reason === 'Found'),
        { what: 'a Found event' },
      );
      expect(found.message).toContain(role.status!.roleId!);
    });

    it('finds the API resource it made by its indicator and token: one resource, recorded, said in a Found event', async () => {
      const indicator = 'https://lost.example/api';
      env.emulator.faults.inject({ method: 'POST', path: '/api/resources', dropAnswer: true, times: 1 });
      const creates = env.emulator.calls.count({ method: 'POST', route: '/api/resources' });
      await apis.create(env.ns, 'lost-api', {
        indicator,
        scopes: [{ name: 'read' }],
      } as LogtoApiResource['spec']);
      const resource = await apis.waitReady(env.ns, 'lost-api');
      expect(env.emulator.calls.count({ method: 'POST', route: '/api/resources' }) - creates).toBe(1);
      expect(resourcesOf(indicator).map((r) => r.id)).toEqual([resource.status?.resourceId]);
      const token = resource.metadata.annotations![CREATE_TOKEN_ANNOTATION]!;
      const seal = sealOf(resource.metadata.namespace!, resource.metadata.name!, token);
      expect(logtoResource(indicator)?.name).toBe(`lost-api [logto-operator:${seal}]`);
      expect(scopesOfResource(resource.status!.resourceId!).map((s) => s.name)).toEqual(['read']);
      const found = await eventually(
        async () => (await eventsOf(API_RESOURCE_KIND, 'lost-api')).find((e) => e.reason === 'Found'),
        { what: 'a Found event' },
      );
      expect(found.message).toContain(resource.status!.resourceId!);
    });

    it('a late commit of the lost create makes no second role or API resource', async () => {
      const indicator = 'https://late.example/api';
      // The answers are lost at once, the commits land only when the test says.
      env.emulator.faults.inject({ method: 'POST', path: '/api/roles', commitLateMs: 600_000, times: 1 });
      env.emulator.faults.inject({ method: 'POST', path: '/api/resources', commitLateMs: 600_000, times: 1 });
      await roles.create(env.ns, 'late-role', {} as LogtoRole['spec']);
      await apis.create(env.ns, 'late-api', { indicator } as LogtoApiResource['spec']);
      const role = await roles.waitReady(env.ns, 'late-role');
      const resource = await apis.waitReady(env.ns, 'late-api');
      expect(env.emulator.faults.lateCommits.pending).toBe(2);

      // Logto refuses them now (the name, the indicator are taken), and the next passes keep to theirs.
      const creates = env.emulator.calls.count({ method: 'POST', route: '/api/roles' });
      expect(env.emulator.faults.lateCommits.commitNow()).toBe(2);
      await syncNow(roles, 'late-role');
      await syncNow(apis, 'late-api');
      await roles.waitReady(env.ns, 'late-role');
      await apis.waitReady(env.ns, 'late-api');
      expect(env.emulator.calls.count({ method: 'POST', route: '/api/roles' })).toBe(creates);
      expect(rolesNamed('late-role').map((r) => r.id)).toEqual([role.status?.roleId]);
      expect(resourcesOf(indicator).map((r) => r.id)).toEqual([resource.status?.resourceId]);
      expect((await roles.get(env.ns, 'late-role'))?.status?.roleId).toBe(role.status?.roleId);
      expect((await apis.get(env.ns, 'late-api'))?.status?.resourceId).toBe(resource.status?.resourceId);
    });
  });

  it('rebuilds a lost status from the role and the API resource it finds: the same ids, no write to Logto', async () => {
    const indicator = 'https://restored.example/api';
    await apis.create(env.ns, 'restored-api', {
      indicator,
      scopes: [{ name: 'read' }],
    } as LogtoApiResource['spec']);
    await roles.create(env.ns, 'restored-role', {
      scopes: [{ apiResourceRef: { name: 'restored-api' }, scopes: ['read'] }],
    } as LogtoRole['spec']);
    const before = {
      api: (await apis.waitReady(env.ns, 'restored-api')).status,
      role: (await roles.waitReady(env.ns, 'restored-role')).status,
    };
    const writes = logtoWrites();
    const found = {
      api: await eventCount(API_RESOURCE_KIND, 'restored-api', 'Found'),
      role: await eventCount(ROLE_KIND, 'restored-role', 'Found'),
    };

    await apis.wipeStatus(env.ns, 'restored-api');
    await roles.wipeStatus(env.ns, 'restored-role');
    await syncNow(apis, 'restored-api');
    await syncNow(roles, 'restored-role');
    const api = await apis.waitReady(env.ns, 'restored-api');
    const role = await roles.waitReady(env.ns, 'restored-role');
    const { conditions: _apiConditions, ...apiStatus } = before.api!;
    const { conditions: _roleConditions, ...roleStatus } = before.role!;
    expect(api.status).toMatchObject(apiStatus);
    expect(role.status).toMatchObject(roleStatus);
    expect(resourcesOf(indicator).map((r) => r.id)).toEqual([before.api?.resourceId]);
    expect(rolesNamed('restored-role').map((r) => r.id)).toEqual([before.role?.roleId]);
    expect(logtoWrites()).toBe(writes);
    // Found again by its key and token, and said so.
    await eventually(
      async () =>
        (await eventCount(API_RESOURCE_KIND, 'restored-api', 'Found')) > found.api &&
        (await eventCount(ROLE_KIND, 'restored-role', 'Found')) > found.role,
      { what: 'Found events' },
    );
  });

  it('a role naming an API resource not declared yet waits, and goes on by itself once it exists', async () => {
    const indicator = 'https://later.example/api';
    await roles.create(env.ns, 'later-reader', {
      scopes: [{ apiResourceRef: { name: 'later' }, scopes: ['read'] }],
    } as LogtoRole['spec']);
    const waiting = await roles.waitReady(env.ns, 'later-reader', 'False', 'ApiResourceNotReady');
    expect(waiting.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    expect(rolesNamed('later-reader')).toEqual([]);

    await apis.create(env.ns, 'later', { indicator, scopes: [{ name: 'read' }] } as LogtoApiResource['spec']);
    // Well within the role's recheck (30 s): the API resource's status wakes it.
    const role = await roles.waitReady(env.ns, 'later-reader', 'True', undefined, 15_000);
    expect(role.status?.scopes).toMatchObject([{ resource: indicator, name: 'read' }]);
    expect(roleScopeNames(role.status!.roleId!)).toEqual(['read']);
  });

  it('refuses a second LogtoApiResource declaring the same indicator, without writing to Logto', async () => {
    const indicator = 'https://twice.example/api';
    await apis.create(env.ns, 'twice-first', {
      indicator,
      scopes: [{ name: 'read' }],
    } as LogtoApiResource['spec']);
    const first = await apis.waitReady(env.ns, 'twice-first');
    const name = env.emulator.state.resources.get(first.status!.resourceId!)!.name;
    const writes = logtoWrites();

    await apis.create(env.ns, 'twice-second', {
      indicator,
      name: 'Copy',
      scopes: [{ name: 'write' }],
    } as LogtoApiResource['spec']);
    const refused = await apis.waitReady(env.ns, 'twice-second', 'False', 'DeclarationConflict');
    expect(refused.status?.resourceId).toBeUndefined();
    expect(logtoWrites()).toBe(writes);
    expect(resourcesOf(indicator).map((r) => r.id)).toEqual([first.status!.resourceId]);
    expect(env.emulator.state.resources.get(first.status!.resourceId!)?.name).toBe(name);
    expect(scopesOfResource(first.status!.resourceId!).map((s) => s.name)).toEqual(['read']);

    // Deleting the refused declaration deletes nothing of the other's.
    await apis.delete(env.ns, 'twice-second');
    await gone(apis, 'twice-second');
    expect(logtoWrites()).toBe(writes);
    expect(resourcesOf(indicator).map((r) => r.id)).toEqual([first.status!.resourceId]);
    await apis.waitReady(env.ns, 'twice-first');
  });

  it('never puts a client secret in a status or an Event of a role or an API resource', async () => {
    const indicator = 'https://vault.example/api';
    // Failures too: their messages carry what Logto answered.
    env.emulator.faults.inject({ method: 'POST', path: '/api/resources', status: 500, times: 1 });
    env.emulator.faults.inject({ method: 'POST', path: '/api/roles', status: 503, times: 1 });
    await apis.create(env.ns, 'vault', { indicator, scopes: [{ name: 'read' }] } as LogtoApiResource['spec']);
    await roles.create(env.ns, 'vault-reader', {
      scopes: [{ apiResourceRef: { name: 'vault' }, scopes: ['read'] }],
    } as LogtoRole['spec']);
    await env.cluster.create(env.ns, 'vault-robot', { type: 'MachineToMachine', roles: ['vault-reader'] });
    await apis.waitReady(env.ns, 'vault');
    await roles.waitReady(env.ns, 'vault-reader');
    await env.cluster.waitReady(env.ns, 'vault-robot');
    expect(await tokenScopes('vault-robot', indicator)).toEqual(['read']);

    const list = async <T>(plural: string) =>
      (
        (await env.cluster.custom.listNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: env.ns,
          plural,
        })) as { items: T[] }
      ).items;
    const objects = [
      ...(await list<LogtoApiResource>(API_RESOURCE_PLURAL)),
      ...(await list<LogtoRole>(ROLE_PLURAL)),
    ];
    const events = (await env.cluster.core.listNamespacedEvent({ namespace: env.ns })).items.filter((e) =>
      [ROLE_KIND, API_RESOURCE_KIND].includes(e.involvedObject.kind ?? ''),
    );
    expect(events.filter((e) => e.involvedObject.name?.startsWith('vault')).map((e) => e.reason)).toEqual(
      expect.arrayContaining(['Created', 'LogtoUnavailable']),
    );
    const texts = [
      ...objects.map((o) => JSON.stringify(o.status ?? {})),
      ...events.map((e) => `${e.reason}: ${e.message}`),
    ];
    const secrets = emulatorSecrets(env.emulator);
    expect(secrets.length).toBeGreaterThan(1);
    const leaked = secrets.filter((secret) => texts.some((text) => text.includes(secret)));
    expect(leaked, 'client secrets in statuses or events').toEqual([]);
  });
});
