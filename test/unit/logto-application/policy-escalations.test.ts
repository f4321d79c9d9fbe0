/**
 * The flag-configured connection's secure default policy, applied by the real reconciler and
 * connector to passes against Logto (the emulator), with an in-memory apiserver
 * (test/support/reconcile-harness.ts): escalations are refused with PolicyDenied before any Logto
 * write, and a connection that does not exist stops a pass before any Logto call. (Policies of
 * connection objects, their namespaceSelector and credentials stay in test/integration/tenancy.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { managementApiAccessRoleName } from '../../../src/api/schemas.js';
import type { LogtoApplication } from '../../../src/crd/logto-application.js';
import type { LogtoEmulator } from '../../emulator/index.js';
import { syncedMessage } from '../../support/operator.js';
import { useReconcileHarness, type ReconcileHarness } from '../../support/reconcile-harness.js';

describe('the default policy of the flag-configured connection', () => {
  // No flagPolicy: the secure default (no Management API roles, no adoption).
  const env = useReconcileHarness();
  let h: ReconcileHarness, emulator: LogtoEmulator;
  beforeAll(() => {
    h = env.h;
    emulator = h.emulator;
  });

  const writesSince = (since: number) =>
    emulator.calls
      .list()
      .slice(since)
      .filter((c) => c.method !== 'GET' && c.route !== '/oidc/token');

  const readyCondition = (resource: LogtoApplication | undefined) =>
    resource?.status?.conditions?.find((c) => c.type === 'Ready');

  describe('escalations are refused with PolicyDenied and no Logto write', () => {
    it('the Management API role, by name and by id', async () => {
      const role = [...emulator.state.roles.values()].find((r) => r.name === managementApiAccessRoleName)!;
      for (const [name, ref] of [
        ['admin-by-name', role.name],
        ['admin-by-id', role.id],
      ] as const) {
        const since = emulator.calls.count();
        h.create(name, { type: 'MachineToMachine', roles: [ref] });
        const refused = await h.reconcileStopped(name, 'PolicyDenied');
        // By default no role made outside the cluster is usable at all: refused before its scopes
        // are looked at (listed, it would be refused for them: roles.allowManagementApiRoles).
        expect(syncedMessage(refused)).toContain('roles.allowed');
        expect(syncedMessage(refused)).toContain('flag-configured connection');
        expect(readyCondition(refused)).toMatchObject({ status: 'False', reason: 'PolicyDenied' });
        expect(h.events(name).map((e) => `${e.type} ${e.reason}`)).toEqual(['Warning PolicyDenied']);
        expect(writesSince(since)).toEqual([]);
        expect(h.secret(name)).toBeUndefined();
      }
    });

    it('a role that merely carries a Management API scope, whatever its name', async () => {
      emulator.seed.apply({
        roles: [{ name: 'innocent', scopes: [{ indicator: emulator.resourceIndicator, name: 'all' }] }],
      });
      const since = emulator.calls.count();
      h.create('disguised', { type: 'MachineToMachine', roles: ['innocent'] });
      await h.reconcileStopped('disguised', 'PolicyDenied');
      expect(writesSince(since)).toEqual([]);
    });

    it("adoption of the operator's own application", async () => {
      const since = emulator.calls.count();
      h.create('own-app', { type: 'MachineToMachine', adoptApplicationId: emulator.credentials.clientId });
      const refused = await h.reconcileStopped('own-app', 'PolicyDenied');
      expect(syncedMessage(refused)).toContain('ownApplication');
      expect(writesSince(since)).toEqual([]);
      expect(h.secret('own-app')).toBeUndefined();
    });

    it('adoption of a Console-made application through a connection that does not allow adoption', async () => {
      const consoleApp = emulator.seed.application({ name: 'Console portal', type: 'Traditional' });
      const since = emulator.calls.count();
      h.create('console-app', { type: 'Traditional', adoptApplicationId: consoleApp.id });
      const refused = await h.reconcileStopped('console-app', 'PolicyDenied');
      expect(syncedMessage(refused)).toContain('does not allow adopting');
      expect(writesSince(since)).toEqual([]);
    });
  });

  it('a missing connection shows on the application, without any Logto call', async () => {
    const before = emulator.calls.count();
    h.create('orphan', {
      type: 'SPA',
      connectionRef: { kind: 'ClusterLogtoConnection', name: 'nope' },
    });
    const missing = await h.reconcileStopped('orphan', 'ConnectionNotFound');
    expect(readyCondition(missing)).toMatchObject({ status: 'False', reason: 'ConnectionNotFound' });
    expect(syncedMessage(missing)).toContain('ClusterLogtoConnection nope does not exist');
    expect(emulator.calls.count()).toBe(before);
    await h.delete('orphan');
    expect(h.get('orphan')).toBeUndefined();
    expect(emulator.calls.count()).toBe(before);
  });
});
