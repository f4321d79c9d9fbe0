/**
 * Crash safety: the window between creating an application in Logto and recording its id in the
 * resource's status. Whatever happens in it, exactly one application ends up existing.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readMarker } from '../../src/controllers/logto-application/ownership-marker.js';
import { startLogtoEmulator, type LogtoEmulator } from '../emulator/index.js';
import { eventually } from '../support/eventually.js';
import { createTestNamespace, testKubeConfig } from '../support/kube.js';
import { decodeSecret, startTestOperator, testOperatorConfig, TestCluster } from '../support/operator.js';
import { EXTERNAL_NAME_ANNOTATION } from '../../src/controllers/logto-application/external-name.js';
import { operatorProcesses, SHORT_LEASE } from '../support/operator-process.js';

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

  it('a create that commits late after a leader handover is found by the new leader, not created again', async () => {
    const ns = await createTestNamespace(cluster.kc, 'handover');
    const replica = (identity: string) =>
      startTestOperator(
        cluster.kc,
        testOperatorConfig(emulator, {
          watchNamespaces: [ns],
          leaderElection: {
            enabled: true,
            namespace: ns,
            name: 'logto-operator-leader',
            identity,
            leaseDurationMs: 3_000,
            renewDeadlineMs: 2_000,
            retryPeriodMs: 500,
          },
        }),
      );
    // Logto accepts the create, the proxy loses the answer, and the commit lands 2 s later: within
    // the commit window (twice the 2 s request timeout) counted from the create-pending time.
    emulator.faults.inject({ method: 'POST', path: '/api/applications', commitLateMs: 2_000, times: 1 });
    const first = await replica('first');
    await eventually(() => first.operator.isLeader(), { what: 'first leads' });
    const creates = emulator.calls.count({ method: 'POST', route: '/api/applications' });
    const resource = await cluster.create(ns, 'web', { type: 'SPA' });
    await eventually(() => emulator.faults.lateCommits.pending === 1, { what: 'the create accepted' });
    // The leader hands over at once (its Lease released): the successor did not see the create.
    await first.stop();
    const second = await replica('second');
    try {
      const ready = await cluster.waitReady(ns, 'web', 'True', undefined, 30_000);
      const owned = appsOwnedBy(resource.metadata.uid);
      expect(owned.map((a) => a.id)).toEqual([ready.status!.applicationId]);
      expect(emulator.calls.count({ method: 'POST', route: '/api/applications' }) - creates).toBe(1);
    } finally {
      await second.stop();
    }
  });

  it('an operator killed after the Logto create and before the status write converges to one app on restart', async () => {
    const ns = await createTestNamespace(cluster.kc, 'killed');
    const env = { WATCH_NAMESPACES: ns, LEADER_ELECTION_NAMESPACE: ns, ...SHORT_LEASE };
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

  it('a restored resource (spec and annotations, no status, a new UID) takes its application back', async () => {
    const ns = await createTestNamespace(cluster.kc, 'restore');
    // A search takes back a predecessor's application only in a named cluster.
    const config = testOperatorConfig(emulator, { watchNamespaces: [ns], clusterName: 'east' });
    let operator = await startTestOperator(cluster.kc, config);
    try {
      const original = await cluster.create(ns, 'web', { type: 'Traditional' });
      const ready = await cluster.waitReady(ns, 'web');
      const id = ready.status!.applicationId!;
      // As this version leaves them: the finalizer and create-pending, the id only in status.
      const annotations = ready.metadata.annotations!;
      expect(annotations).toHaveProperty(['logto.io/external-create-pending']);
      expect(annotations).not.toHaveProperty([EXTERNAL_NAME_ANNOTATION]);
      const published = decodeSecret(await cluster.secret(ns, 'web')).LOGTO_APP_SECRET;

      // The original goes without its finalizer running (as when a cluster is lost), and its Secret
      // with it (garbage collection, which this test control plane does not run).
      await operator.stop();
      await cluster.patch(ns, 'web', { metadata: { finalizers: null } });
      await cluster.delete(ns, 'web');
      await cluster.core.deleteNamespacedSecret({ namespace: ns, name: 'web' });
      await eventually(async () => (await cluster.get(ns, 'web')) === undefined, { what: 'original gone' });

      const creates = emulator.calls.count({ method: 'POST', route: '/api/applications' });
      operator = await startTestOperator(cluster.kc, config);
      const restored = await cluster.create(ns, 'web', ready.spec, annotations);
      expect(restored.metadata.uid).not.toBe(original.metadata.uid);
      const again = await cluster.waitReady(ns, 'web');
      // Found by the marker of the object it replaced, and recorded on the resource this time.
      expect(again.status!.applicationId).toBe(id);
      expect(again.metadata.annotations![EXTERNAL_NAME_ANNOTATION]).toBe(id);
      expect(emulator.calls.count({ method: 'POST', route: '/api/applications' })).toBe(creates);
      // The application now carries the new object's marker, and the same secret is published.
      expect(readMarker(emulator.state.applications.get(id)!.customData)?.uid).toBe(restored.metadata.uid);
      expect(decodeSecret(await cluster.secret(ns, 'web')).LOGTO_APP_SECRET).toBe(published);
    } finally {
      await operator.stop();
    }
  });

  it('a resource of another cluster (another --cluster-name) with the same namespace and name is refused', async () => {
    const ns = await createTestNamespace(cluster.kc, 'two-clusters');
    const config = (clusterName: string) =>
      testOperatorConfig(emulator, { watchNamespaces: [ns], clusterName });
    let operator = await startTestOperator(cluster.kc, config('east'));
    try {
      await cluster.create(ns, 'web', { type: 'SPA' });
      const ready = await cluster.waitReady(ns, 'web');
      const id = ready.status!.applicationId!;
      expect(readMarker(emulator.state.applications.get(id)!.customData)?.cluster).toBe('east');
      await operator.stop();
      // The same namespace and name, with the annotations, seen by an operator of another cluster.
      await cluster.patch(ns, 'web', { metadata: { finalizers: null } });
      await cluster.delete(ns, 'web');
      await cluster.core.deleteNamespacedSecret({ namespace: ns, name: 'web' }); // garbage collection
      await eventually(async () => (await cluster.get(ns, 'web')) === undefined, { what: 'original gone' });
      operator = await startTestOperator(cluster.kc, config('west'));
      // The annotations, with the id an older version (or a hand) recorded in external-name.
      await cluster.create(ns, 'web', ready.spec, {
        ...ready.metadata.annotations,
        [EXTERNAL_NAME_ANNOTATION]: id,
      });
      await cluster.waitReady(ns, 'web', 'False', 'AdoptionRefused');
      expect(readMarker(emulator.state.applications.get(id)!.customData)?.cluster).toBe('east');
      // Restored in a cluster of the same name, it is taken back.
      await operator.stop();
      operator = await startTestOperator(cluster.kc, config('east'));
      await cluster.patch(ns, 'web', { metadata: { annotations: { 'example.com/retry': '1' } } });
      expect((await cluster.waitReady(ns, 'web')).status!.applicationId).toBe(id);
    } finally {
      await operator.stop();
    }
  });

  it('a resource whose marker names another namespace or name is still refused', async () => {
    const ns = await createTestNamespace(cluster.kc, 'not-restore');
    const operator = await startTestOperator(
      cluster.kc,
      testOperatorConfig(emulator, { watchNamespaces: [ns] }),
    );
    try {
      await cluster.create(ns, 'owner', { type: 'SPA' });
      const id = (await cluster.waitReady(ns, 'owner')).status!.applicationId!;
      // A copy of the owner's annotations on another resource does not take the application.
      await cluster.create(ns, 'copy', { type: 'SPA' }, { [EXTERNAL_NAME_ANNOTATION]: id });
      await cluster.waitReady(ns, 'copy', 'False', 'AdoptionRefused');
      expect(readMarker(emulator.state.applications.get(id)!.customData)?.name).toBe('owner');
    } finally {
      await operator.stop();
    }
  });

  it('creates without listing applications: only a create whose outcome was lost searches', async () => {
    const ns = await createTestNamespace(cluster.kc, 'no-scan');
    const operator = await startTestOperator(
      cluster.kc,
      testOperatorConfig(emulator, { watchNamespaces: [ns] }),
    );
    try {
      const lists = emulator.calls.count({ method: 'GET', route: '/api/applications' });
      const names = Array.from({ length: 12 }, (_, i) => `app-${i}`);
      await Promise.all(
        names.map((name, i) => cluster.create(ns, name, { type: i % 2 ? 'SPA' : 'Traditional' })),
      );
      await Promise.all(names.map((name) => cluster.waitReady(ns, name)));
      expect(emulator.calls.count({ method: 'GET', route: '/api/applications' })).toBe(lists);
      // The id is in status, which confirms the create; no second metadata write recorded it.
      for (const name of names) {
        const resource = (await cluster.get(ns, name))!;
        expect(resource.status!.applicationId).toEqual(expect.any(String));
        expect(resource.metadata.annotations).toHaveProperty(['logto.io/external-create-pending']);
        expect(resource.metadata.annotations).not.toHaveProperty([EXTERNAL_NAME_ANNOTATION]);
      }
    } finally {
      await operator.stop();
    }
  });
});
