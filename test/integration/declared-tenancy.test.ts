/**
 * What namespaces sharing one tenant may use of each other's declarations, end to end: the real
 * operator watching three team namespaces on the control plane, the Logto emulator as the tenant,
 * and the flag-configured connection's policy (nothing made outside the cluster is usable unless it
 * lists it). Team A declares an API and a role; what team B may use of them follows team A's grants;
 * roles and APIs made in the Console follow the policy's lists; no refusal tells a team whether
 * another team's role exists.
 */
import { randomBytes } from 'node:crypto';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_RESOURCE_KIND,
  API_RESOURCE_PLURAL,
  type LogtoApiResource,
} from '../../src/crd/logto-api-resource.js';
import { GRANT_KIND, GRANT_PLURAL, type LogtoGrant } from '../../src/crd/logto-grant.js';
import { ROLE_KIND, ROLE_PLURAL, type LogtoRole } from '../../src/crd/logto-role.js';
import { EmulatorApi } from '../emulator/harness.js';
import { startLogtoEmulator, type LogtoEmulator } from '../emulator/index.js';
import { eventually } from '../support/eventually.js';
import { createTestNamespace, testKubeConfig } from '../support/kube.js';
import {
  decodeSecret,
  startTestOperator,
  syncedMessage,
  testOperatorConfig,
  TestCluster,
  type TestOperator,
  clientToken,
  stopAndScanLogs,
} from '../support/operator.js';

const ORDERS = `https://orders-${randomBytes(3).toString('hex')}.example/api`;
const CONSOLE_API = 'https://console.example/api';

describe('declarations shared between namespaces', () => {
  const kc = testKubeConfig();
  const apps = new TestCluster(kc);
  const apis = apps.of<LogtoApiResource>({ plural: API_RESOURCE_PLURAL, kind: API_RESOURCE_KIND });
  const roles = apps.of<LogtoRole>({ plural: ROLE_PLURAL, kind: ROLE_KIND });
  const grants = apps.of<LogtoGrant & { status?: undefined }>({ plural: GRANT_PLURAL, kind: GRANT_KIND });
  let emulator: LogtoEmulator;
  let operator: TestOperator;
  let api: EmulatorApi;
  let teamA = '',
    teamB = '',
    teamC = '';
  let consolePortal: { id: string };

  beforeAll(async () => {
    const namespaces = await Promise.all(
      ['team-a', 'team-b', 'team-c'].map((p) => createTestNamespace(kc, p)),
    );
    [teamA, teamB, teamC] = namespaces as [string, string, string];
    emulator = await startLogtoEmulator({
      seed: {
        resources: [{ name: 'Console API', indicator: CONSOLE_API, scopes: ['read', 'admin'] }],
        roles: [
          {
            name: 'console-allowed',
            type: 'MachineToMachine',
            scopes: [{ indicator: CONSOLE_API, name: 'read' }],
          },
          {
            name: 'console-secret',
            type: 'MachineToMachine',
            scopes: [{ indicator: CONSOLE_API, name: 'admin' }],
          },
        ],
      },
    });
    consolePortal = emulator.seed.application({ name: 'Console portal', type: 'Traditional' });
    api = new EmulatorApi(emulator);
    operator = await startTestOperator(
      kc,
      testOperatorConfig(emulator, {
        watchNamespaces: [teamA, teamB, teamC],
        flagPolicy: {
          roles: { allowed: ['console-allowed'] },
          consentScopes: { resources: [{ indicator: CONSOLE_API, scopes: ['read'] }] },
          adoption: {
            namePatterns: ['Console portal'],
            roleNames: ['console-allowed', 'console-legacy'],
            apiResourceIndicators: [CONSOLE_API],
          },
        },
      }),
    );
    // Team A's API with two scopes, and a role holding one of them.
    await apis.create(teamA, 'orders', {
      indicator: ORDERS,
      scopes: [{ name: 'read' }, { name: 'write' }],
    } as LogtoApiResource['spec']);
    await roles.create(teamA, 'orders-reader', {
      scopes: [{ apiResourceRef: { name: 'orders' }, scopes: ['read'] }],
    } as LogtoRole['spec']);
    await roles.waitReady(teamA, 'orders-reader');
  });
  afterAll(() => stopAndScanLogs(operator, emulator));

  const writesSince = (since: number) =>
    emulator.calls
      .list()
      .slice(since)
      .filter((c) => c.method !== 'GET' && c.route !== '/oidc/token');
  const roleIdOf = (name: string) => [...emulator.state.roles.values()].find((r) => r.name === name)?.id;
  const appRoles = (appId: string) => [...(emulator.state.applications.get(appId)?.roleIds ?? [])];

  const tokenScopes = async (namespace: string, appName: string, indicator: string, scope: string) =>
    (await clientToken(apps, api, { namespace, name: appName }, indicator, scope)).scopes;

  it("refuses another namespace's role in the words it uses for a role that does not exist, until that namespace grants it; taking the grant back takes the role away", async () => {
    await apps.create(teamB, 'client', { type: 'MachineToMachine', roles: ['orders-reader'] });
    await apps.create(teamB, 'ghost', { type: 'MachineToMachine', roles: ['no-such-role-x'] });
    const refused = await apps.waitReady(teamB, 'client', 'False', 'PolicyDenied');
    const ghost = await apps.waitReady(teamB, 'ghost', 'False', 'PolicyDenied');
    expect(syncedMessage(refused).replace('orders-reader', 'X')).toBe(
      syncedMessage(ghost).replace('no-such-role-x', 'X'),
    );
    expect(syncedMessage(refused)).not.toContain(teamA);
    expect(syncedMessage(refused)).not.toContain(roleIdOf('orders-reader')!);

    // Team A grants the role: team B's client goes on by itself (no edit of it needed).
    await grants.create(teamA, 'orders-for-b', {
      from: [{ namespace: teamB }],
      to: [{ kind: 'LogtoRole', name: 'orders-reader' }],
    } as LogtoGrant['spec']);
    const granted = await apps.waitReady(teamB, 'client');
    expect(await tokenScopes(teamB, 'client', ORDERS, 'read write')).toEqual(['read']);

    // Taken back: the next pass takes the role from the application.
    await grants.delete(teamA, 'orders-for-b');
    await apps.waitReady(teamB, 'client', 'False', 'PolicyDenied');
    await eventually(() => !appRoles(granted.status!.applicationId!).includes(roleIdOf('orders-reader')!), {
      what: "the role taken from team B's application",
    });
    expect(await tokenScopes(teamB, 'client', ORDERS, 'read write')).toEqual([]);
  });

  it("lets a namespace's role hold another namespace's API scopes only as granted", async () => {
    await roles.create(teamC, 'c-orders', {
      scopes: [{ apiResourceRef: { name: 'orders', namespace: teamA }, scopes: ['read'] }],
    } as LogtoRole['spec']);
    const refused = await roles.waitReady(teamC, 'c-orders', 'False', 'NotGranted');
    expect(refused.status?.roleId).toBeUndefined();
    await grants.create(teamA, 'orders-read-for-c', {
      from: [{ namespace: teamC }],
      to: [{ kind: 'LogtoApiResource', name: 'orders', scopes: ['read'] }],
    } as LogtoGrant['spec']);
    const role = await roles.waitReady(teamC, 'c-orders');
    expect(role.status?.scopes).toEqual([expect.objectContaining({ resource: ORDERS, name: 'read' })]);
  });

  it('refuses a role made outside the cluster unless the connection lists it', async () => {
    const since = emulator.calls.count();
    await apps.create(teamC, 'secret-robot', { type: 'MachineToMachine', roles: ['console-secret'] });
    const refused = await apps.waitReady(teamC, 'secret-robot', 'False', 'PolicyDenied');
    expect(syncedMessage(refused)).toContain('roles.allowed');
    expect(writesSince(since)).toEqual([]);
    await apps.create(teamC, 'allowed-robot', { type: 'MachineToMachine', roles: ['console-allowed'] });
    await apps.waitReady(teamC, 'allowed-robot');
    expect(await tokenScopes(teamC, 'allowed-robot', CONSOLE_API, 'read admin')).toEqual(['read']);
  });

  it('asks consent for scopes of another namespace only as granted, and of an API made outside the cluster only as listed', async () => {
    const thirdParty = (scopes: Array<{ resource: string; scopes: string[] }>) => ({
      type: 'Traditional' as const,
      isThirdParty: true,
      redirectUris: ['https://partner.example/callback'],
      userConsentScopes: { resourceScopes: scopes },
    });
    await apps.create(teamB, 'partner', thirdParty([{ resource: ORDERS, scopes: ['read'] }]) as never);
    await apps.waitReady(teamB, 'partner', 'False', 'PolicyDenied');
    await grants.create(teamA, 'orders-consent-for-b', {
      from: [{ namespace: teamB }],
      to: [{ kind: 'LogtoApiResource', name: 'orders', scopes: ['read'] }],
    } as LogtoGrant['spec']);
    await apps.waitReady(teamB, 'partner');

    await apps.create(
      teamB,
      'console-partner',
      thirdParty([{ resource: CONSOLE_API, scopes: ['admin'] }]) as never,
    );
    const refused = await apps.waitReady(teamB, 'console-partner', 'False', 'PolicyDenied');
    expect(syncedMessage(refused)).toContain('consentScopes.resources');
    await apps.patch(teamB, 'console-partner', {
      spec: { userConsentScopes: { resourceScopes: [{ resource: CONSOLE_API, scopes: ['read'] }] } },
    });
    await apps.waitReady(teamB, 'console-partner');
  });

  it("refuses a second namespace's declaration of a taken role name, and changes nothing in Logto", async () => {
    const since = emulator.calls.count();
    await roles.create(teamB, 'mine-too', { name: 'orders-reader' } as LogtoRole['spec']);
    const refused = await roles.waitReady(teamB, 'mine-too', 'False', 'DeclarationConflict');
    expect(syncedMessage(refused as never)).not.toContain(teamA);
    expect(writesSince(since)).toEqual([]);
    expect([...emulator.state.roles.values()].filter((r) => r.name === 'orders-reader')).toHaveLength(1);
  });

  it('observes an application made in the Console: publishes its credentials, never writes to it', async () => {
    const since = emulator.calls.count();
    await apps.create(teamC, 'portal', {
      type: 'Traditional',
      adoptApplicationId: consolePortal.id,
      managementPolicies: ['Observe'],
    } as never);
    const observed = await apps.waitReady(teamC, 'portal');
    const secret = decodeSecret(await apps.secret(teamC, observed.status!.secretName!));
    expect(secret['LOGTO_APP_ID']).toBe(consolePortal.id);
    expect(secret['LOGTO_APP_SECRET']).toBeTruthy();
    expect(observed.metadata.finalizers ?? []).toEqual([]);
    await apps.delete(teamC, 'portal');
    await eventually(async () => (await apps.get(teamC, 'portal')) === undefined, { what: 'portal deleted' });
    expect(emulator.state.applications.has(consolePortal.id)).toBe(true);
    expect(writesSince(since)).toEqual([]);
    const events = await kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: teamC });
    expect(events.items.filter((e) => e.involvedObject.name === 'portal' && e.type === 'Warning')).toEqual(
      [],
    );
  });

  it('observes, or takes over, roles and APIs made outside the cluster only as the adoption rules allow', async () => {
    const since = emulator.calls.count();
    await roles.create(teamC, 'watch-allowed', {
      name: 'console-allowed',
      managementPolicies: ['Observe'],
    } as LogtoRole['spec']);
    await apis.create(teamC, 'watch-console', {
      indicator: CONSOLE_API,
      managementPolicies: ['Observe'],
    } as LogtoApiResource['spec']);
    const role = await roles.waitReady(teamC, 'watch-allowed');
    expect(role.status).toMatchObject({
      roleId: roleIdOf('console-allowed'),
      scopes: [{ resource: CONSOLE_API, name: 'read' }],
    });
    const consoleApi = await apis.waitReady(teamC, 'watch-console');
    expect(consoleApi.status?.scopes?.map((s) => s.name).sort()).toEqual(['admin', 'read']);
    expect(writesSince(since)).toEqual([]);

    // Not in the adoption rules: refused before anything is looked up.
    await roles.create(teamC, 'watch-secret', {
      name: 'console-secret',
      managementPolicies: ['Observe'],
    } as LogtoRole['spec']);
    const refused = await roles.waitReady(teamC, 'watch-secret', 'False', 'PolicyDenied');
    expect(syncedMessage(refused as never)).toContain('adoption.roleNames');

    // Managed, with a name the rules allow: taken over, marked, and converged to the spec.
    await roles.create(teamC, 'legacy', {
      name: 'console-legacy',
      description: 'Taken over',
    } as LogtoRole['spec']);
    const taken = await roles.waitReady(teamC, 'legacy');
    expect(taken.status?.roleId).toBe(roleIdOf('console-legacy'));
    const stored = [...emulator.state.roles.values()].find((r) => r.name === 'console-legacy');
    expect(stored?.description).toMatch(/^Taken over \[logto-operator:[\w-]{16}\]$/);
  });
});
