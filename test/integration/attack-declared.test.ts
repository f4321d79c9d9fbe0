/**
 * Attacks on the declared kinds (LogtoRole, LogtoApiResource, LogtoGrant) by a namespace user with
 * only `edit` in team B, against team A's declarations in the same tenant: each one a finding of a
 * review, each test asserting that it now fails and that team A keeps what it declared.
 *
 * The real operator on the control plane, the Logto emulator as the tenant, and a flag-configured
 * connection whose policy is the kind an admin writes (Console roles listed by name, adoption of
 * legacy resources by pattern).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_RESOURCE_KIND,
  API_RESOURCE_PLURAL,
  type LogtoApiResource,
} from '../../src/crd/logto-api-resource.js';
import { GRANT_KIND, GRANT_PLURAL, type LogtoGrant } from '../../src/crd/logto-grant.js';
import { ROLE_KIND, ROLE_PLURAL, type LogtoRole } from '../../src/crd/logto-role.js';
import { FORCE_SYNC_ANNOTATION } from '../../src/controllers/logto-application/constants.js';
import { EmulatorApi } from '../emulator/harness.js';
import { startLogtoEmulator, type LogtoEmulator } from '../emulator/index.js';
import { eventually } from '../support/eventually.js';
import { createTestNamespace, testKubeConfig } from '../support/kube.js';
import {
  startTestOperator,
  syncedMessage,
  testOperatorConfig,
  TestCluster,
  type TestOperator,
  clientToken,
} from '../support/operator.js';

const suffix = randomBytes(3).toString('hex');
const ORDERS = `https://orders-${suffix}.example/api`;
const BILLING = `https://billing-${suffix}.example/api`;
const CONSOLE_API = 'https://console.example/api';
const LOCKED_API = 'https://locked.example/api';
const TOKEN = 'logto.io/create-token';
const EXTERNAL_NAME = 'logto.io/external-name';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('attacks from a namespace with edit rights only', () => {
  const kc = testKubeConfig();
  const apps = new TestCluster(kc);
  const apis = apps.of<LogtoApiResource>({ plural: API_RESOURCE_PLURAL, kind: API_RESOURCE_KIND });
  const roles = apps.of<LogtoRole>({ plural: ROLE_PLURAL, kind: ROLE_KIND });
  const grants = apps.of<LogtoGrant & { status?: undefined }>({ plural: GRANT_PLURAL, kind: GRANT_KIND });
  let emulator: LogtoEmulator;
  let operator: TestOperator;
  let api: EmulatorApi;
  let teamA = '',
    teamB = '';

  const roleOf = (name: string) => [...emulator.state.roles.values()].find((r) => r.name === name);
  const appRoles = (appId: string) => [...(emulator.state.applications.get(appId)?.roleIds ?? [])];
  const scopeNames = (resourceId: string) =>
    emulator.state
      .scopesOf(resourceId)
      .map((s) => s.name)
      .sort();
  const tokenScopes = async (namespace: string, appName: string, indicator: string, scope: string) =>
    (await clientToken(apps, api, { namespace, name: appName }, indicator, scope)).scopes;
  const forceSync = (cluster: TestCluster<never>, namespace: string, name: string) =>
    cluster.patch(namespace, name, {
      metadata: { annotations: { [FORCE_SYNC_ANNOTATION]: `${Date.now()}-${Math.random()}` } },
    });
  /** Waits until the operator finished `n` more passes of namespace/name. */
  const morePasses = async (namespace: string, name: string, since: number, n = 1) =>
    eventually(() => operator.passes(namespace, name) >= since + n, {
      what: `${n} more pass(es) of ${namespace}/${name}`,
    });

  beforeAll(async () => {
    [teamA, teamB] = (await Promise.all(['atk-a', 'atk-b'].map((p) => createTestNamespace(kc, p)))) as [
      string,
      string,
    ];
    emulator = await startLogtoEmulator({
      seed: {
        resources: [
          { name: 'Console API', indicator: CONSOLE_API, scopes: ['read', 'admin'] },
          { name: 'Locked API', indicator: LOCKED_API, scopes: ['x'] },
        ],
        roles: [
          {
            name: 'console-allowed',
            type: 'MachineToMachine',
            scopes: [{ indicator: CONSOLE_API, name: 'read' }],
          },
        ],
      },
    });
    api = new EmulatorApi(emulator);
    operator = await startTestOperator(
      kc,
      testOperatorConfig(emulator, {
        watchNamespaces: [teamA, teamB],
        flagPolicy: {
          // Console apps may hold only the read role; consent only for read.
          roles: { allowed: ['console-allowed'] },
          consentScopes: { resources: [{ indicator: CONSOLE_API, scopes: ['read'] }] },
          // Legacy (pre-operator) APIs named https://orders-… and the Console API may be taken over.
          adoption: { apiResourceIndicators: [CONSOLE_API, 'https://orders-*'] },
        },
      }),
    );

    // Team B prepares, BEFORE team A declares anything: objects that never reach Logto (their
    // passes stop before any create), only there to be older than team A's.
    await roles.create(teamB, 'decoy-role', {
      name: 'decoy-role-b',
      scopes: [{ apiResourceRef: { name: 'does-not-exist' }, scopes: ['x'] }],
    } as LogtoRole['spec']);
    await apis.create(teamB, 'decoy-api', { indicator: LOCKED_API } as LogtoApiResource['spec']);
    await roles.waitReady(teamB, 'decoy-role', 'False', 'ApiResourceNotReady');
    await apis.waitReady(teamB, 'decoy-api', 'False', 'DeclarationConflict');
    // creationTimestamp has a resolution of one second: make team A's objects strictly newer.
    await sleep(1_100);

    // Team A: two APIs and three roles, and an application holding the first role.
    await apis.create(teamA, 'orders', {
      indicator: ORDERS,
      scopes: [{ name: 'read' }, { name: 'write' }],
    } as LogtoApiResource['spec']);
    await apis.create(teamA, 'billing', {
      indicator: BILLING,
      scopes: [{ name: 'charge' }],
    } as LogtoApiResource['spec']);
    for (const name of ['orders-admin', 'orders-auditor', 'orders-viewer']) {
      await roles.create(teamA, name, {
        scopes: [
          {
            apiResourceRef: { name: 'orders' },
            scopes: name === 'orders-admin' ? ['read', 'write'] : ['read'],
          },
        ],
      } as LogtoRole['spec']);
    }
    await apis.waitReady(teamA, 'billing');
    for (const name of ['orders-admin', 'orders-auditor', 'orders-viewer'])
      await roles.waitReady(teamA, name);
    await apps.create(teamA, 'a-client', { type: 'MachineToMachine', roles: ['orders-admin'] });
    await apps.waitReady(teamA, 'a-client');
  }, 120_000);

  afterAll(async () => {
    await operator?.stop();
    await emulator?.close();
  });

  it('a create token copied onto an older object of another namespace holds nothing: A keeps its role', async () => {
    const victim = await roles.get(teamA, 'orders-admin');
    const stolen = victim!.metadata.annotations![TOKEN]!; // readable by anyone who can `get` it
    await roles.patch(teamB, 'decoy-role', { metadata: { annotations: { [TOKEN]: stolen } } });

    // B's application names A's role, which no grant gives B.
    await apps.create(teamB, 'thief', { type: 'MachineToMachine', roles: ['orders-admin'] });
    const refused = await apps.waitReady(teamB, 'thief', 'False', 'PolicyDenied');
    expect(syncedMessage(refused)).toContain('roles.allowed');
    const thiefId = refused.status?.applicationId;
    if (thiefId) expect(appRoles(thiefId)).toEqual([]);

    // Team A's application and role are untouched.
    const aClient = await apps.get(teamA, 'a-client');
    const before = operator.passes(teamA, 'a-client');
    await forceSync(apps as never, teamA, 'a-client');
    await forceSync(roles as never, teamA, 'orders-admin');
    await morePasses(teamA, 'a-client', before);
    await apps.waitReady(teamA, 'a-client');
    await roles.waitReady(teamA, 'orders-admin');
    expect(appRoles(aClient!.status!.applicationId!)).toContain(roleOf('orders-admin')!.id);
    expect(await tokenScopes(teamA, 'a-client', ORDERS, 'read write')).toEqual(['read', 'write']);
  });

  it("a copied create token and a forged external-name neither rewrite nor delete A's API resource", async () => {
    const victim = await apis.waitReady(teamA, 'billing');
    const billingId = victim.status!.resourceId!;
    await apis.patch(teamB, 'decoy-api', {
      metadata: {
        annotations: { [TOKEN]: victim.metadata.annotations![TOKEN]!, [EXTERNAL_NAME]: billingId },
      },
      spec: { scopes: [{ name: 'pwned' }], accessTokenTtl: 2_592_000 },
    });
    await apis.waitReady(teamB, 'decoy-api', 'False', 'AdoptionRefused');
    expect(scopeNames(billingId)).toEqual(['charge']);
    expect(emulator.state.resources.get(billingId)?.accessTokenTtl).not.toBe(2_592_000);

    await apis.delete(teamB, 'decoy-api');
    await eventually(async () => (await apis.get(teamB, 'decoy-api')) === undefined, {
      what: 'decoy-api gone',
    });
    expect(emulator.state.resources.has(billingId)).toBe(true);
    await forceSync(apis as never, teamA, 'billing');
    await apis.waitReady(teamA, 'billing');
  });

  it("another namespace cannot observe A's API resource, nor hand out scopes of one it observes", async () => {
    // A's indicator matches the adoption pattern, but A declared it: observed only through A's object.
    await apis.create(teamB, 'watch-orders', {
      indicator: ORDERS,
      managementPolicies: ['Observe'],
    } as LogtoApiResource['spec']);
    const watched = await apis.waitReady(teamB, 'watch-orders', 'False', 'DeclarationConflict');
    expect(watched.status?.resourceId).toBeUndefined();

    // The Console API may be observed (the adoption rules), which gives no scopes to put in a role.
    await apis.create(teamB, 'watch-console', {
      indicator: CONSOLE_API,
      managementPolicies: ['Observe'],
    } as LogtoApiResource['spec']);
    await apis.waitReady(teamB, 'watch-console');
    for (const [name, api, scope] of [
      ['b-writer', 'watch-orders', 'write'],
      ['b-console-admin', 'watch-console', 'admin'],
    ] as const) {
      await roles.create(teamB, name, {
        scopes: [{ apiResourceRef: { name: api }, scopes: [scope] }],
      } as LogtoRole['spec']);
      const refused = await roles.waitReady(teamB, name, 'False', 'InvalidSpec');
      expect(syncedMessage(refused)).toContain('only observes');
      expect(roleOf(name)).toBeUndefined();
    }
  });

  it('a revoked grant is taken away even while another role of spec.roles is not made yet', async () => {
    await grants.create(teamA, 'auditor-for-b', {
      from: [{ namespace: teamB }],
      to: [{ kind: 'LogtoRole', name: 'orders-auditor' }],
    } as LogtoGrant['spec']);
    await apps.create(teamB, 'keeper', { type: 'MachineToMachine', roles: ['orders-auditor'] });
    const keeper = await apps.waitReady(teamB, 'keeper');
    const appId = keeper.status!.applicationId!;
    expect(appRoles(appId)).toContain(roleOf('orders-auditor')!.id);

    // A role of B's own that never reaches Logto, named next to the granted one.
    await roles.create(teamB, 'ghost', {
      scopes: [{ apiResourceRef: { name: 'does-not-exist' }, scopes: ['x'] }],
    } as LogtoRole['spec']);
    await apps.patch(teamB, 'keeper', { spec: { roles: ['orders-auditor', 'ghost'] } });
    await apps.waitReady(teamB, 'keeper', 'False', 'RoleNotFound');

    await grants.delete(teamA, 'auditor-for-b');
    const refused = await apps.waitReady(teamB, 'keeper', 'False', 'PolicyDenied');
    expect(syncedMessage(refused)).toContain('taken away from the application');
    expect(appRoles(appId)).not.toContain(roleOf('orders-auditor')!.id);
  });

  it("a revoked grant's scopes are unlinked even while another entry waits for its API resource", async () => {
    await grants.create(teamA, 'orders-read-for-b', {
      from: [{ namespace: teamB }],
      to: [{ kind: 'LogtoApiResource', name: 'orders', scopes: ['read'] }],
    } as LogtoGrant['spec']);
    await roles.create(teamB, 'b-reader', {
      scopes: [{ apiResourceRef: { name: 'orders', namespace: teamA }, scopes: ['read'] }],
    } as LogtoRole['spec']);
    await roles.waitReady(teamB, 'b-reader');
    await roles.patch(teamB, 'b-reader', {
      spec: {
        scopes: [
          { apiResourceRef: { name: 'orders', namespace: teamA }, scopes: ['read'] },
          { apiResourceRef: { name: 'does-not-exist' }, scopes: ['x'] },
        ],
      },
    });
    await roles.waitReady(teamB, 'b-reader', 'False', 'ApiResourceNotReady');
    await grants.delete(teamA, 'orders-read-for-b');
    await roles.waitReady(teamB, 'b-reader', 'False', 'NotGranted');
    expect([...(roleOf('b-reader')?.scopeIds ?? [])]).toEqual([]);
  });

  it("a role cannot be named like a Logto id: it would shadow another role's id in spec.roles", async () => {
    const viewerId = roleOf('orders-viewer')!.id;
    await apps.create(teamA, 'by-id', { type: 'MachineToMachine', roles: [viewerId] });
    await apps.waitReady(teamA, 'by-id');
    await expect(roles.create(teamB, 'squat', { name: viewerId } as LogtoRole['spec'])).rejects.toThrow(
      /form of a Logto id/,
    );
    // metadata.name is the default name: refused by the operator, nothing made.
    await roles.create(teamB, viewerId, {} as LogtoRole['spec']);
    await roles.waitReady(teamB, viewerId, 'False', 'InvalidSpec');
    expect([...emulator.state.roles.values()].filter((r) => r.name === viewerId)).toEqual([]);
    const before = operator.passes(teamA, 'by-id');
    await forceSync(apps as never, teamA, 'by-id');
    await morePasses(teamA, 'by-id', before);
    await apps.waitReady(teamA, 'by-id');
  });

  it('a LogtoRole switched to Observe never writes: deleting it leaves its role as it is (Orphan hands it back)', async () => {
    await roles.create(teamB, 'flip', {} as LogtoRole['spec']);
    await roles.waitReady(teamB, 'flip');
    await roles.patch(teamB, 'flip', { spec: { managementPolicies: ['Observe'] } });
    await roles.waitReady(teamB, 'flip', 'False', 'PolicyDenied');
    await roles.delete(teamB, 'flip');
    await eventually(async () => (await roles.get(teamB, 'flip')) === undefined, { what: 'flip gone' });
    expect(roleOf('flip')?.description).toMatch(/\[logto-operator:[\w-]+\]$/);
  });

  it('a role name too long to leave room for the marker in a default description is still made', async () => {
    const name = `r${'x'.repeat(99)}`;
    await roles.create(teamB, 'long-name', { name } as LogtoRole['spec']);
    const made = await roles.waitReady(teamB, 'long-name');
    expect(made.status?.roleId).toBe(roleOf(name)?.id);
    expect(roleOf(name)!.description!.length).toBeLessThanOrEqual(128);
  });
});
