/**
 * Capabilities that Logto's refusals of empty inserts and a stale name cache used to break
 * (BEHAVIOUR.md, "Errors", "Roles", "User consent", "API resources, scopes, organizations"): each
 * step converges (Synced=True, Ready=True) on the first pass of the new generation, and the emulator, which
 * answers like a real Logto, records no 422.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { LogtoApplication } from '../../src/crd/logto-application.js';
import { EmulatorApi } from '../emulator/harness.js';
import type { LogtoEmulator } from '../emulator/index.js';
import { eventually } from '../support/eventually.js';
import { operatorEnvironment, syncNow, type TestCluster } from '../support/operator.js';

const ORDERS = 'https://orders.example/api';

describe('Logto fidelity', () => {
  const env = operatorEnvironment('fidelity', {
    emulator: {
      seed: {
        resources: [{ name: 'Orders API', indicator: ORDERS, scopes: ['read:orders', 'write:orders'] }],
        roles: [
          { name: 'orders-reader', type: 'MachineToMachine' },
          { name: 'orders-writer', type: 'MachineToMachine' },
        ],
      },
    },
    // Made in the Console (no LogtoRole or LogtoApiResource declares them): usable where listed.
    config: {
      flagPolicy: {
        roles: { allowed: ['orders-reader', 'orders-writer', 'billing-robot'] },
        consentScopes: {
          resources: [{ indicator: ORDERS }, { indicator: 'https://billing.example/api' }],
        },
      },
    },
  });
  let emulator: LogtoEmulator, cluster: TestCluster, ns: string;
  beforeAll(() => void ({ emulator, cluster, ns } = env));

  const app = (resource: LogtoApplication) =>
    emulator.state.applications.get(resource.status!.applicationId!)!;
  const roleId = (name: string) => [...emulator.state.roles.values()].find((r) => r.name === name)!.id;
  const scopeId = (name: string) => [...emulator.state.scopes.values()].find((s) => s.name === name)!.id;
  /** Calls about this application that Logto refused with 422. */
  const refusals = (resource: LogtoApplication) =>
    emulator.calls
      .list({ status: 422 })
      .filter((call) => call.path.includes(resource.status!.applicationId!));

  /**
   * Patches the spec, then reads the conditions of the first pass that observed the new generation:
   * it must have converged at once (Synced=True), not after a later recheck, and stayed Ready.
   */
  async function step(name: string, spec: Record<string, unknown>): Promise<LogtoApplication> {
    const generation = (await cluster.patch(ns, name, { spec })).metadata.generation;
    const condition = (resource: LogtoApplication | undefined, type: string) =>
      resource?.status?.conditions?.find((c) => c.type === type);
    const resource = await eventually(
      async () => {
        const current = await cluster.get(ns, name);
        return condition(current, 'Synced')?.observedGeneration === generation ? current : undefined;
      },
      { what: `${name} generation ${generation} observed` },
    );
    const synced = condition(resource, 'Synced')!;
    expect([synced.status, synced.reason, synced.message]).toEqual([
      'True',
      'ReconcileSuccess',
      expect.any(String),
    ]);
    expect(condition(resource, 'Ready')).toMatchObject({ status: 'True', observedGeneration: generation });
    return resource;
  }

  it('converges roles added, narrowed, emptied and re-applied with Synced=True at every step, without a 422', async () => {
    await cluster.create(ns, 'robot', { type: 'MachineToMachine', roles: [] });
    let resource = await cluster.waitReady(ns, 'robot');
    const roles = () => [...app(resource).roleIds].sort();
    const both = [roleId('orders-reader'), roleId('orders-writer')].sort();

    resource = await step('robot', { roles: ['orders-reader', 'orders-writer'] });
    expect(roles()).toEqual(both);
    resource = await step('robot', { roles: ['orders-writer'] });
    expect(roles()).toEqual([roleId('orders-writer')]);
    resource = await step('robot', { roles: [] });
    expect(roles()).toEqual([]);
    resource = await step('robot', { roles: ['orders-reader', 'orders-writer'] });
    expect(roles()).toEqual(both);

    // The same spec again: nothing to add or remove, so no role write at all, and still True.
    const writes = () =>
      emulator.calls
        .list()
        .filter((c) => c.route.startsWith('/api/applications/{id}/roles') && c.method !== 'GET').length;
    const before = writes();
    await syncNow(env, ns, 'robot');
    expect((await cluster.waitReady(ns, 'robot')).status!.roles).toHaveLength(2);
    expect(writes()).toBe(before);
    expect(roles()).toEqual(both);
    expect(refusals(resource)).toEqual([]);
  });

  it('converges consent scopes of one kind, the other, both and none with Synced=True at every step, without a 422', async () => {
    await cluster.create(ns, 'partner', {
      type: 'Traditional',
      isThirdParty: true,
      oidcClientMetadata: { redirectUris: ['https://partner.example/callback'] },
      userConsentScopes: { userScopes: ['profile'] },
    });
    let resource = await cluster.waitReady(ns, 'partner');
    const consent = () => {
      const scopes = app(resource).consentScopes;
      return { user: [...scopes.userScopes].sort(), resource: [...scopes.resourceScopes].sort() };
    };
    expect(consent()).toEqual({ user: ['profile'], resource: [] });

    const ordersRead = [{ resource: ORDERS, scopes: ['read:orders'] }];
    resource = await step('partner', { userConsentScopes: { userScopes: null, resourceScopes: ordersRead } });
    expect(consent()).toEqual({ user: [], resource: [scopeId('read:orders')] });
    resource = await step('partner', {
      userConsentScopes: {
        userScopes: ['profile', 'email'],
        resourceScopes: [{ resource: ORDERS, scopes: ['read:orders', 'write:orders'] }],
      },
    });
    expect(consent()).toEqual({
      user: ['email', 'profile'],
      resource: [scopeId('read:orders'), scopeId('write:orders')].sort(),
    });
    resource = await step('partner', { userConsentScopes: { userScopes: null, resourceScopes: null } });
    expect(consent()).toEqual({ user: [], resource: [] });
    expect(refusals(resource)).toEqual([]);
  });

  it('finds a resource, scope and role created over the API just before a resource names them, with a warm cache', async () => {
    // Warm the operator's directory: it has listed the API resources, and looked for the role
    // before it existed (that resource is rightly stopped, with the miss cached).
    await cluster.create(ns, 'warm-consent', {
      type: 'SPA',
      isThirdParty: true,
      oidcClientMetadata: { redirectUris: ['https://warm.example/callback'] },
      userConsentScopes: { resourceScopes: [{ resource: ORDERS, scopes: ['read:orders'] }] },
    });
    await cluster.waitReady(ns, 'warm-consent');
    await cluster.create(ns, 'warm-robot', { type: 'MachineToMachine', roles: ['billing-robot'] });
    await cluster.waitReady(ns, 'warm-robot', 'False', 'RoleNotFound');

    // Created the way a user does it: over the Management API.
    const api = new EmulatorApi(emulator);
    const created = async (path: string, body: unknown, status: number) => {
      const response = await api.request('POST', path, { body });
      expect(response.status, JSON.stringify(response.body)).toBe(status);
      return response.body as { id: string };
    };
    const billing = await created(
      '/api/resources',
      { name: 'Billing', indicator: 'https://billing.example/api' },
      201,
    );
    const invoices = await created(`/api/resources/${billing.id}/scopes`, { name: 'read:invoices' }, 201);
    await created(
      '/api/roles',
      {
        name: 'billing-robot',
        description: 'Billing robot',
        type: 'MachineToMachine',
        scopeIds: [invoices.id],
      },
      200,
    );

    await Promise.all([
      cluster.create(ns, 'billing-partner', {
        type: 'SPA',
        isThirdParty: true,
        oidcClientMetadata: { redirectUris: ['https://billing.example/callback'] },
        userConsentScopes: {
          resourceScopes: [{ resource: 'https://billing.example/api', scopes: ['read:invoices'] }],
        },
      }),
      cluster.create(ns, 'billing-robot', { type: 'MachineToMachine', roles: ['billing-robot'] }),
    ]);
    // Every condition seen while they converge, sampled as fast as the apiserver answers.
    const seen = new Set<string>();
    await eventually(
      async () => {
        let ready = 0;
        for (const name of ['billing-partner', 'billing-robot']) {
          const conditions = (await cluster.get(ns, name))?.status?.conditions ?? [];
          for (const c of conditions) seen.add(`${name} ${c.type} ${c.status} ${c.reason}`);
          if (conditions.filter((c) => c.status === 'True').length === 2) ready++;
        }
        return ready === 2;
      },
      { timeoutMs: 5_000, intervalMs: 20, what: 'both resources Ready' },
    );
    expect([...seen].filter((s) => /NotFound/.test(s))).toEqual([]);
    const events = await cluster.core.listNamespacedEvent({ namespace: ns });
    const warnings = events.items.filter(
      (e) =>
        e.type === 'Warning' && ['billing-partner', 'billing-robot'].includes(e.involvedObject.name ?? ''),
    );
    expect(warnings.map((e) => e.reason)).toEqual([]);

    const partner = (await cluster.get(ns, 'billing-partner'))!;
    expect([...app(partner).consentScopes.resourceScopes]).toEqual([invoices.id]);
    const robot = (await cluster.get(ns, 'billing-robot'))!;
    expect(robot.status!.roles).toEqual([{ id: roleId('billing-robot'), name: 'billing-robot' }]);
  });
});
