/**
 * Crash safety: the window between creating an application in Logto and recording its id in the
 * resource's status. Whatever happens in it, exactly one application ends up existing.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readMarker } from '../../src/controllers/logto-application/ownership-marker.js';
import { startLogtoEmulator, type LogtoEmulator } from '../emulator/index.js';
import { eventually } from '../support/eventually.js';
import { createTestNamespace, testKubeConfig } from '../support/kube.js';
import { startTestOperator, testOperatorConfig, TestCluster } from '../support/operator.js';
import { operatorProcesses } from '../support/operator-process.js';

describe('crash safety', () => {
  let emulator: LogtoEmulator;
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = new TestCluster(testKubeConfig());
    emulator = await startLogtoEmulator();
  });

  afterAll(async () => {
    await emulator?.close();
  });
  // Registered after the hook above, so it runs first: processes go before what they talk to.
  const startProcess = operatorProcesses();

  const appsOwnedBy = (uid: string) =>
    [...emulator.state.applications.values()].filter((app) => readMarker(app.customData)?.uid === uid);

  it('a create whose answer is lost is found again by its marker, not repeated', async () => {
    const ns = await createTestNamespace(cluster.kc, 'lost-answer');
    const operator = await startTestOperator(
      cluster.kc,
      testOperatorConfig(emulator, { watchNamespaces: [ns] }),
    );
    try {
      emulator.faults.inject({ method: 'POST', path: '/api/applications', dropAnswer: true, times: 1 });
      const created = await cluster.create(ns, 'web', { type: 'Traditional' });
      const ready = await cluster.waitReady(ns, 'web');
      const owned = appsOwnedBy(created.metadata.uid);
      expect(owned).toHaveLength(1);
      expect(ready.status!.applicationId).toBe(owned[0]!.id);
      expect(emulator.calls.count({ method: 'POST', route: '/api/applications' })).toBe(1);
    } finally {
      await operator.stop();
    }
  });

  it('an operator killed after the Logto create and before the status write converges to one app on restart', async () => {
    const ns = await createTestNamespace(cluster.kc, 'killed');
    const env = { WATCH_NAMESPACES: ns, LEADER_ELECTION_NAMESPACE: ns };
    // Logto commits the create, then holds the answer: the operator is killed while waiting for it.
    emulator.faults.inject({ method: 'POST', path: '/api/applications', holdAnswerMs: 60_000, times: 1 });
    const first = startProcess(inject('kubeconfigPath'), emulator, env);
    const resource = await cluster.create(ns, 'api', { type: 'MachineToMachine' });
    await eventually(() => appsOwnedBy(resource.metadata.uid).length === 1, {
      timeoutMs: 60_000,
      what: 'the create to reach Logto',
    });
    first.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    expect((await cluster.get(ns, 'api'))!.status?.applicationId).toBeUndefined();

    const createsBefore = emulator.calls.count({ method: 'POST', route: '/api/applications' });
    const second = startProcess(inject('kubeconfigPath'), emulator, env);
    const ready = await cluster.waitReady(ns, 'api', 'True', undefined, 60_000);
    const owned = appsOwnedBy(resource.metadata.uid);
    expect(owned).toHaveLength(1);
    expect(ready.status!.applicationId).toBe(owned[0]!.id);
    const events = await cluster.core.listNamespacedEvent({ namespace: ns });
    expect(events.items.map((e) => `${e.reason}: ${e.message}`)).toContainEqual(
      expect.stringMatching(/^Adopted: found Logto application .* earlier, interrupted attempt$/),
    );
    // The restarted operator adopted the application; it created none.
    expect(emulator.calls.count({ method: 'POST', route: '/api/applications' })).toBe(createsBefore);
    second.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
