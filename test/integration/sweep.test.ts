/**
 * The sweep: one list of the tenant per period removes the applications no live resource accounts
 * for, per the deletion policy in their marker, and never those of another cluster sharing the tenant.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  MARKER_KEY,
  readMarker,
  type OwnershipMarker,
} from '../../src/controllers/logto-application/ownership-marker.js';
import { startLogtoEmulator, type LogtoEmulator } from '../emulator/index.js';
import { eventually } from '../support/eventually.js';
import { createTestNamespace, testKubeConfig } from '../support/kube.js';
import { operatorProcesses, SHORT_LEASE } from '../support/operator-process.js';
import {
  startTestOperator,
  testOperatorConfig,
  TestCluster,
  type TestOperator,
} from '../support/operator.js';

const SWEEP_PERIOD_MS = 1_000;

describe('sweep', () => {
  let emulator: LogtoEmulator;
  const cluster = new TestCluster(testKubeConfig());

  beforeAll(async () => {
    emulator = await startLogtoEmulator();
  });
  afterAll(async () => {
    await emulator?.close();
  });
  // Registered after the hook above, so it runs first: processes go before what they talk to.
  const startProcess = operatorProcesses();

  const marked = (predicate: (marker: OwnershipMarker) => boolean) =>
    [...emulator.state.applications.values()].filter((app) => {
      const marker = readMarker(app.customData);
      return marker !== undefined && predicate(marker);
    });
  /** Completed sweeps in a log (JSON lines). */
  const sweeps = (lines: string[]) => lines.filter((line) => line.includes('"msg":"swept"')).length;
  const processLines = (output: string) => output.split('\n');

  it('a create that lands late, after a kill -9 and a second create, is swept as a duplicate', async () => {
    const ns = await createTestNamespace(cluster.kc, 'late-create');
    const env = {
      WATCH_NAMESPACES: ns,
      LEADER_ELECTION_NAMESPACE: ns,
      ...SHORT_LEASE,
      CLUSTER_NAME: 'east',
      SWEEP_PERIOD: `${SWEEP_PERIOD_MS}ms`,
    };
    // Logto accepts the create, the proxy loses the answer, and the commit lands much later.
    emulator.faults.inject({ method: 'POST', path: '/api/applications', commitLateMs: 600_000, times: 1 });
    const first = startProcess(inject('kubeconfigPath'), emulator, env);
    const resource = await cluster.create(ns, 'web', { type: 'Traditional' });
    await eventually(() => emulator.faults.lateCommits.pending === 1, {
      timeoutMs: 60_000,
      what: 'the create to be accepted',
    });
    first.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');

    // The restarted operator searches by marker (nothing yet) and creates a second application.
    const second = startProcess(inject('kubeconfigPath'), emulator, env);
    const ready = await cluster.waitReady(ns, 'web', 'True', undefined, 60_000);
    const id = ready.status!.applicationId!;
    const ours = (marker: OwnershipMarker) => marker.uid === resource.metadata.uid;
    expect(marked(ours).map((app) => app.id)).toEqual([id]);

    // Now the first create commits: two applications carry the resource's marker.
    expect(emulator.faults.lateCommits.commitNow()).toBe(1);
    expect(marked(ours)).toHaveLength(2);
    const before = sweeps(processLines(second.output()));
    // A sweep that began before the commit may have missed it; the one after surely saw it.
    await eventually(() => sweeps(processLines(second.output())) >= before + 2, {
      timeoutMs: 30_000,
      what: 'two sweeps',
    });
    expect(marked(ours).map((app) => app.id)).toEqual([id]);
    const events = await cluster.core.listNamespacedEvent({ namespace: ns });
    expect(events.items.map((e) => e.reason)).toContain('DuplicateDeleted');
    expect((await cluster.get(ns, 'web'))!.status!.applicationId, 'the recorded application stays').toBe(id);

    await cluster.delete(ns, 'web');
    await eventually(async () => (await cluster.get(ns, 'web')) === undefined, { what: 'web deleted' });
    expect(marked(ours)).toEqual([]);
    second.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('only the leader sweeps; a replica that takes over sweeps, and a stopped one no more', async () => {
    const ns = await createTestNamespace(cluster.kc, 'sweep-leader');
    const replica = (identity: string) =>
      startTestOperator(
        cluster.kc,
        testOperatorConfig(emulator, {
          watchNamespaces: [ns],
          clusterName: 'east',
          sweepPeriodMs: SWEEP_PERIOD_MS,
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
    const first = await replica('first');
    const second = await replica('second');
    try {
      const [leader, standby] = await eventually(
        () =>
          first.operator.isLeader()
            ? [first, second]
            : second.operator.isLeader()
              ? [second, first]
              : undefined,
        { what: 'a leader' },
      );
      await eventually(() => sweeps(leader.logs) >= 3, {
        timeoutMs: 30_000,
        what: "three of the leader's sweeps",
      });
      expect(sweeps(standby.logs)).toBe(0);

      await leader.stop();
      const stoppedAt = sweeps(leader.logs);
      await eventually(() => sweeps(standby.logs) >= 2, {
        timeoutMs: 30_000,
        what: 'sweeps of the new leader',
      });
      expect(sweeps(leader.logs)).toBe(stoppedAt);
    } finally {
      await first.stop();
      await second.stop();
    }
  });

  describe('two clusters sharing one tenant', () => {
    const operators: TestOperator[] = [];

    afterAll(async () => {
      for (const operator of operators) await operator.stop();
    });

    // A "cluster" is an operator's --cluster-name: both run against the shared apiserver, one after
    // the other on the same namespace, as two clusters whose objects have the same names would.
    const start = async (ns: string, clusterName: string) => {
      const operator = await startTestOperator(
        cluster.kc,
        testOperatorConfig(emulator, { watchNamespaces: [ns], clusterName, sweepPeriodMs: SWEEP_PERIOD_MS }),
      );
      operators.push(operator);
      return operator;
    };
    /**
     * Removes a resource without its finalizer running, as when its cluster is lost, and its Secret
     * with it (garbage collection, which this test control plane does not run).
     */
    const lose = async (ns: string, name: string) => {
      await cluster.patch(ns, name, { metadata: { finalizers: null } });
      await cluster.delete(ns, name);
      await cluster.core.deleteNamespacedSecret({ namespace: ns, name });
      await eventually(async () => (await cluster.get(ns, name)) === undefined, { what: `${name} gone` });
    };
    const orphanMarker = (
      ns: string,
      name: string,
      cluster: string,
      deletionPolicy: 'Delete' | 'Orphan',
    ) => ({
      uid: randomUUID(),
      namespace: ns,
      name,
      cluster,
      deletionPolicy,
    });
    const seedMarked = (marker: ReturnType<typeof orphanMarker>) =>
      emulator.seed.application({
        name: `${marker.cluster}-${marker.name}`,
        type: 'SPA',
        customData: { team: 'x', [MARKER_KEY]: marker },
      }).id;

    it("each cluster's sweep removes its own orphans and leaves the other cluster's applications alone", async () => {
      // The same namespace and resource name in both clusters: only the cluster name tells them apart.
      const ns = await createTestNamespace(cluster.kc, 'shared');

      // West made its application for ns/web, then was lost: its resource went without the finalizer
      // running, so the application carries the marker of a dead object of the same namespace and
      // name as east's live one.
      const west = await start(ns, 'west');
      await cluster.create(ns, 'web', { type: 'SPA' });
      const westWeb = (await cluster.waitReady(ns, 'web')).status!.applicationId!;
      await west.stop();
      await lose(ns, 'web');

      const east = await start(ns, 'east');
      await cluster.create(ns, 'web', { type: 'SPA' });
      const eastWeb = (await cluster.waitReady(ns, 'web')).status!.applicationId!;
      expect(eastWeb).not.toBe(westWeb);
      // Each cluster also has orphans of a resource that never came back.
      const eastOrphan = seedMarked(orphanMarker(ns, 'gone', 'east', 'Delete'));
      const eastKept = seedMarked(orphanMarker(ns, 'kept', 'east', 'Orphan'));
      const westOrphan = seedMarked(orphanMarker(ns, 'gone', 'west', 'Delete'));

      // East sweeps its own orphans (the second sweep that sees one acts on it)...
      await eventually(() => !emulator.state.applications.has(eastOrphan), {
        timeoutMs: 30_000,
        what: "east's orphan deleted",
      });
      await eventually(
        () => readMarker(emulator.state.applications.get(eastKept)?.customData) === undefined,
        {
          timeoutMs: 30_000,
          what: "east's Orphan-policy orphan unmarked",
        },
      );
      expect(emulator.state.applications.get(eastKept)!.customData).toEqual({ team: 'x' });
      // ...and, sweep after sweep, leaves west's alone.
      const seen = sweeps(east.logs);
      await eventually(() => sweeps(east.logs) >= seen + 3, { timeoutMs: 30_000, what: 'three more sweeps' });
      for (const id of [westOrphan, westWeb, eastWeb]) {
        expect(emulator.state.applications.has(id), id).toBe(true);
      }
      expect(readMarker(emulator.state.applications.get(westWeb)!.customData)?.cluster).toBe('west');
      expect((await cluster.get(ns, 'web'))!.status!.applicationId).toBe(eastWeb);

      // Now east is lost in turn, and west comes back: it sweeps its orphans, and none of east's,
      // although east's application is now an orphan of ns/web too.
      await east.stop();
      await lose(ns, 'web');
      const back = await start(ns, 'west');
      await eventually(
        () => !emulator.state.applications.has(westOrphan) && !emulator.state.applications.has(westWeb),
        { timeoutMs: 30_000, what: "west's orphans deleted" },
      );
      const westSeen = sweeps(back.logs);
      await eventually(() => sweeps(back.logs) >= westSeen + 2, {
        timeoutMs: 30_000,
        what: 'two more sweeps',
      });
      expect(emulator.state.applications.has(eastWeb)).toBe(true);
      expect(readMarker(emulator.state.applications.get(eastWeb)!.customData)?.cluster).toBe('east');
      expect(emulator.state.applications.has(eastKept)).toBe(true);
    });
  });
});
