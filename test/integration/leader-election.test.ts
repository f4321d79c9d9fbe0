/**
 * Leader election against the real API server: several operators (in-process, then real processes)
 * share one control plane, one Lease and one Logto emulator. Exactly one reconciles at a time; a
 * stopped leader hands over at once, a killed one within the lease duration; no resource is ever
 * reconciled by two of them at once, and every resource ends up with exactly one Logto application.
 */
import { CoordinationV1Api, V1MicroTime, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LeaderElectionConfig } from '../../src/config.js';
import { readMarker } from '../../src/controllers/logto-application/ownership-marker.js';
import { keyToString } from '../../src/runtime/index.js';
import { startLogtoEmulator, type LogtoEmulator } from '../emulator/index.js';
import { eventually } from '../support/eventually.js';
import { createTestNamespace, testKubeConfig } from '../support/kube.js';
import {
  startTestOperator,
  testOperatorConfig,
  TestCluster,
  type TestOperator,
} from '../support/operator.js';
import { operatorProcesses } from '../support/operator-process.js';

// Short timings so that the test runs in seconds; the same ratios as the defaults (15s/10s/2s).
const LEASE_MS = 3_000;
const RENEW_MS = 2_000;
const RETRY_MS = 500;
/** Scheduling and API round trips on a busy CI machine. */
const SLACK_MS = 5_000;

interface Interval {
  key: string;
  start: number;
  end: number;
}

/** An in-process operator with what it did, as seen through its hooks. */
interface Instance {
  identity: string;
  test: TestOperator;
  /** Finished reconciles, per key, with their start and end (performance.now()). */
  intervals: Interval[];
  /** Reconciles started and not finished yet. */
  open: Map<string, number>;
  logtoRequests: number;
  ledAt: number | undefined;
}

const now = () => performance.now();

describe('leader election', () => {
  let kc: KubeConfig;
  let cluster: TestCluster;
  let emulator: LogtoEmulator;
  const instances: Instance[] = [];

  beforeAll(async () => {
    kc = testKubeConfig();
    cluster = new TestCluster(kc);
    emulator = await startLogtoEmulator();
  });

  afterAll(async () => {
    await Promise.all(instances.map((i) => i.test.stop()));
    await emulator?.close();
  });
  // Registered after the hook above, so it runs first: processes go before what they talk to.
  const startProcess = operatorProcesses();

  const election = (namespace: string, identity: string): LeaderElectionConfig => ({
    enabled: true,
    namespace,
    name: 'logto-operator-leader',
    identity,
    leaseDurationMs: LEASE_MS,
    renewDeadlineMs: RENEW_MS,
    retryPeriodMs: RETRY_MS,
  });

  async function startInstance(namespace: string, identity: string): Promise<Instance> {
    const instance: Instance = {
      identity,
      test: undefined!,
      intervals: [],
      open: new Map(),
      logtoRequests: 0,
      ledAt: undefined,
    };
    instance.test = await startTestOperator(
      kc,
      testOperatorConfig(emulator, {
        watchNamespaces: [namespace],
        leaderElection: election(namespace, identity),
      }),
      {
        onLogtoRequest: () => instance.logtoRequests++,
        controllerMetrics: {
          reconcileStarted: (_controller, key) => instance.open.set(keyToString(key), now()),
          reconcileFinished: (event) => {
            const key = keyToString(event.key);
            instance.intervals.push({ key, start: instance.open.get(key) ?? 0, end: now() });
            instance.open.delete(key);
          },
        },
        leaderElection: { startedLeading: () => (instance.ledAt = now()) },
      },
    );
    instances.push(instance);
    return instance;
  }

  async function lease(namespace: string) {
    return kc
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ namespace, name: 'logto-operator-leader' });
  }

  async function holder(namespace: string): Promise<string | undefined> {
    const lease = await kc
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ namespace, name: 'logto-operator-leader' });
    return lease.spec?.holderIdentity;
  }

  const appsOwnedBy = (uid: string) =>
    [...emulator.state.applications.values()].filter((app) => readMarker(app.customData)?.uid === uid);

  async function createApps(namespace: string, names: string[]): Promise<string[]> {
    const uids: string[] = [];
    for (const name of names) {
      const created = await cluster.create(namespace, name, {
        type: 'Traditional',
        oidcClientMetadata: { redirectUris: [`https://${name}.example/cb`] },
      });
      uids.push(created.metadata.uid);
    }
    return uids;
  }

  it('one instance reconciles; a stopped leader hands over at once, a killed one within the lease duration; never two at once', async () => {
    const ns = await createTestNamespace(kc, 'leader-election');
    const a = await startInstance(ns, 'instance-a');
    await eventually(() => a.test.operator.isLeader(), { what: 'a to lead' });
    const b = await startInstance(ns, 'instance-b');

    // Steady state: a reconciles everything, b (ready, caches synced) does nothing.
    const firstUids = await createApps(ns, ['app-0', 'app-1', 'app-2', 'app-3', 'app-4']);
    for (let i = 0; i < 5; i++) await cluster.waitReady(ns, `app-${i}`);
    // Give b every chance to misbehave: several renew periods.
    await new Promise((resolve) => setTimeout(resolve, 4 * RETRY_MS));
    expect(a.test.reconciles).toBeGreaterThanOrEqual(5);
    expect(b.test.reconciles).toBe(0);
    expect(b.logtoRequests).toBe(0);
    expect(b.test.operator.isLeader()).toBe(false);
    expect(b.test.operator.isReady()).toBe(true);
    expect(await holder(ns)).toBe('instance-a');
    const writes = emulator.calls.list().filter((c) => c.method !== 'GET' && c.route !== '/oidc/token');
    expect(writes.length).toBeGreaterThan(0);
    expect(emulator.calls.count({ method: 'POST', route: '/api/applications' })).toBe(5);

    // A graceful stop releases the Lease: b takes over at its next attempt, not after the lease duration.
    const c = await startInstance(ns, 'instance-c');
    await createApps(ns, ['app-5', 'app-6']);
    await a.test.stop();
    const aStoppedAt = now();
    expect(a.test.logs.some((line) => line.includes('released the leader lease'))).toBe(true);
    const successor = await eventually(() => [b, c].find((i) => i.ledAt !== undefined), {
      what: 'a successor to lead',
    });
    const releaseHandoverMs = successor.ledAt! - aStoppedAt;
    console.log(`handover after release: ${Math.round(releaseHandoverMs)} ms`);
    expect(releaseHandoverMs).toBeLessThan(RETRY_MS * 1.2 + SLACK_MS);
    expect(await holder(ns)).toBe(successor.identity);
    for (const name of ['app-5', 'app-6']) await cluster.waitReady(ns, name);

    // A crash (renewals stop, nothing released): the other takes over within the lease duration.
    const other = successor === b ? c : b;
    const moreUids = await createApps(ns, ['app-7', 'app-8', 'app-9']);
    await successor.test.operator.stop(5_000, { releaseLease: false });
    const killedAt = now();
    expect(await holder(ns)).toBe(successor.identity);
    const lastRenewal = (await lease(ns)).spec!.renewTime!;
    await eventually(() => other.ledAt !== undefined, {
      what: 'the last instance to lead',
      timeoutMs: 15_000,
    });
    const crashHandoverMs = other.ledAt! - killedAt;
    console.log(`handover after a crash: ${Math.round(crashHandoverMs)} ms (lease ${LEASE_MS} ms)`);
    // It waited for the lease to expire: the takeover, as the Lease records it, is at least one lease
    // duration after the dead leader's last renewal (both stamped on this machine's clock)...
    const acquired = (await lease(ns)).spec!.acquireTime!;
    expect(new Date(acquired).getTime() - new Date(lastRenewal).getTime()).toBeGreaterThanOrEqual(
      LEASE_MS - 5,
    );
    // ...and no longer than one lease duration after the last renewal it saw, plus its polling.
    expect(crashHandoverMs).toBeLessThan(LEASE_MS + 2 * RETRY_MS * 1.2 + SLACK_MS);
    expect(await holder(ns)).toBe(other.identity);
    for (let i = 0; i < 10; i++) await cluster.waitReady(ns, `app-${i}`);

    // Never the same resource in two instances at once.
    const all = [a, b, c].flatMap((i) =>
      i.intervals.map((interval) => ({ ...interval, identity: i.identity })),
    );
    for (const x of all) {
      for (const y of all) {
        if (x.identity === y.identity || x.key !== y.key) continue;
        expect(
          x.end <= y.start || y.end <= x.start,
          `${x.key}: ${x.identity} and ${y.identity} overlap`,
        ).toBe(true);
      }
    }
    // Whoever reconciled which resource, each has exactly one Logto application.
    for (const uid of [...firstUids, ...moreUids]) expect(appsOwnedBy(uid)).toHaveLength(1);
    expect(emulator.calls.count({ method: 'POST', route: '/api/applications' })).toBe(10);
  });

  it('a SIGKILLed operator process is replaced by the other process within the lease duration', async () => {
    const ns = await createTestNamespace(kc, 'leader-process');
    const env = (identity: string) => ({
      WATCH_NAMESPACES: ns,
      LEADER_ELECTION_NAMESPACE: ns,
      LEASE_DURATION: `${LEASE_MS}ms`,
      RENEW_DEADLINE: `${RENEW_MS}ms`,
      RETRY_PERIOD: `${RETRY_MS}ms`,
      POD_NAME: identity,
    });
    const first = startProcess(inject('kubeconfigPath'), emulator, env('process-1'));
    await eventually(async () => (await holder(ns)) === 'process-1', {
      what: 'process-1 to lead',
      timeoutMs: 60_000,
    });
    const second = startProcess(inject('kubeconfigPath'), emulator, env('process-2'));
    await eventually(() => second.output().includes('"new leader observed"'), {
      what: 'process-2 to see the leader',
      timeoutMs: 60_000,
    });
    const [before] = await createApps(ns, ['before']);
    await cluster.waitReady(ns, 'before');

    first.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const killedAt = now();
    await eventually(async () => (await holder(ns)) === 'process-2', {
      what: 'process-2 to take over',
      intervalMs: 50,
      timeoutMs: 20_000,
    });
    const handoverMs = now() - killedAt;
    console.log(`process handover after SIGKILL: ${Math.round(handoverMs)} ms (lease ${LEASE_MS} ms)`);
    expect(handoverMs).toBeLessThan(LEASE_MS + 2 * RETRY_MS * 1.2 + SLACK_MS);

    const [after] = await createApps(ns, ['after']);
    await cluster.waitReady(ns, 'after');
    expect(appsOwnedBy(before!)).toHaveLength(1);
    expect(appsOwnedBy(after!)).toHaveLength(1);

    second.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    // Released on the way out.
    expect((await holder(ns)) ?? '').toBe('');
  });
  /** Keeps rewriting the Lease as held by someone else, as a rogue or misconfigured replica would. */
  function intrude(namespace: string): () => void {
    const api = kc.makeApiClient(CoordinationV1Api);
    let running = true;
    void (async () => {
      while (running) {
        try {
          const lease = await api.readNamespacedLease({ namespace, name: 'logto-operator-leader' });
          lease.spec = { ...lease.spec, holderIdentity: 'intruder', renewTime: new V1MicroTime() };
          await api.replaceNamespacedLease({ namespace, name: 'logto-operator-leader', body: lease });
        } catch {
          // A conflict with the leader's renewal: try again.
        }
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS / 5));
      }
    })();
    return () => (running = false);
  }

  it('a leader that cannot renew within the renew deadline stops reconciling and reports the loss', async () => {
    const ns = await createTestNamespace(kc, 'leader-lost');
    const a = await startInstance(ns, 'instance-lost');
    await eventually(() => a.test.operator.isLeader(), { what: 'leadership' });
    await createApps(ns, ['lost-0']);
    await cluster.waitReady(ns, 'lost-0');

    const stopIntruding = intrude(ns);
    try {
      const lostWithin = Promise.race([
        a.test.operator.leadershipLost.then(() => 'lost'),
        new Promise((resolve) => setTimeout(() => resolve('timeout'), RENEW_MS + RETRY_MS + SLACK_MS)),
      ]);
      expect(await lostWithin).toBe('lost');
      expect(a.test.operator.isLeader()).toBe(false);
      expect(a.test.logs.some((line) => line.includes('leader lease lost'))).toBe(true);
      // No more reconciles from it, whatever changes.
      const reconciles = a.test.reconciles;
      await createApps(ns, ['lost-1']);
      await new Promise((resolve) => setTimeout(resolve, 4 * RETRY_MS));
      expect(a.test.reconciles).toBe(reconciles);
      expect(await holder(ns)).toBe('intruder');
    } finally {
      stopIntruding();
    }
  });

  it('an operator process that loses the Lease exits non-zero', async () => {
    const ns = await createTestNamespace(kc, 'leader-lost-process');
    const child = startProcess(inject('kubeconfigPath'), emulator, {
      WATCH_NAMESPACES: ns,
      LEADER_ELECTION_NAMESPACE: ns,
      LEASE_DURATION: `${LEASE_MS}ms`,
      RENEW_DEADLINE: `${RENEW_MS}ms`,
      RETRY_PERIOD: `${RETRY_MS}ms`,
      POD_NAME: 'process-lost',
    });
    await eventually(async () => (await holder(ns)) === 'process-lost', {
      what: 'leadership',
      timeoutMs: 60_000,
    });
    const stopIntruding = intrude(ns);
    try {
      expect(await child.exited).toBe(1);
      expect(child.output()).toContain('leader election lost: exiting');
    } finally {
      stopIntruding();
    }
  });
});
