/**
 * An apiserver that stops answering (connections stay open, nothing comes back, as when its process
 * is stopped): the operator processes reach the shared control plane through a proxy that the test
 * pauses, while the test itself talks to the apiserver directly. While it hangs:
 * - reconciles end with an error after --kube-request-timeout instead of holding their worker, and the
 *   workers go on to other keys;
 * - SIGTERM exits within the shutdown deadline, and the Lease is not released (writes were left
 *   unanswered: the apiserver may still apply them);
 * and a standby replica, which reaches the apiserver directly, takes over only once the first one's
 * Lease expired.
 * With a request timeout longer than the shutdown deadline, the deadline aborts the hung reconciles
 * (through their abort signal) and the process still exits in time.
 */
import { CoordinationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startLogtoEmulator, type LogtoEmulator } from '../emulator/index.js';
import { eventually } from '../support/eventually.js';
import { createTestNamespace, kubeconfigFileFor, testKubeConfig } from '../support/kube.js';
import { TestCluster } from '../support/operator.js';
import { operatorProcesses } from '../support/operator-process.js';
import { startPausableProxy, type PausableProxy } from '../support/pausable-proxy.js';

const KUBE_REQUEST_TIMEOUT_MS = 1_000;
const SHUTDOWN_TIMEOUT_MS = 3_000;
const LEASE_DURATION_MS = 10_000;
/**
 * Longer than the time from the hang to the end of the shutdown (request timeouts, then the shutdown
 * deadline and its overrun), so that the first replica still leads when it is told to stop.
 */
const RENEW_DEADLINE_MS = 9_000;
const RESOURCES = 8;
/** main.ts exits at the latest this long past the shutdown timeout. */
const SHUTDOWN_OVERRUN_MS = 5_000;

type LogLine = Record<string, unknown> & { msg?: string; time?: number };

function logLines(output: string, msg: string): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine)
    .filter((line) => line.msg === msg);
}

/** Reconciles that failed because a Kubernetes request got no answer in time. */
function timedOutReconciles(output: string): LogLine[] {
  return logLines(output, 'reconcile failed').filter((line) =>
    JSON.stringify(line.err).includes(`got no answer within ${KUBE_REQUEST_TIMEOUT_MS} ms`),
  );
}

/** Creates RESOURCES applications and waits until the operator has converged at least one. */
async function createUnderWay(cluster: TestCluster, ns: string, prefix: string): Promise<string[]> {
  const names = Array.from({ length: RESOURCES }, (_, i) => `${prefix}-${i}`);
  for (const name of names) {
    await cluster.create(ns, name, {
      type: 'Traditional',
      oidcClientMetadata: { redirectUris: [`https://${name}.example/cb`] },
    });
  }
  await eventually(
    async () =>
      (await Promise.all(names.map((n) => cluster.get(ns, n)))).some((r) => r?.status?.applicationId),
    { what: 'reconciles under way', intervalMs: 50 },
  );
  return names;
}

describe('a hung apiserver', () => {
  let apiserver: PausableProxy;
  /** The operator processes' kubeconfig: the shared control plane, through the proxy. */
  let kubeconfigPath: string;
  let emulator: LogtoEmulator;
  const cluster = new TestCluster(testKubeConfig());

  beforeAll(async () => {
    apiserver = await startPausableProxy(cluster.kc.getCurrentCluster()!.server);
    kubeconfigPath = await kubeconfigFileFor(apiserver.url);
    emulator = await startLogtoEmulator();
  });
  afterAll(async () => {
    await emulator?.close();
    await apiserver?.close();
  });
  // Registered after the hook above, so it runs first: processes go before what they talk to.
  const startProcess = operatorProcesses();

  it('frees workers after the request timeout, exits within the shutdown deadline, and hands over only at lease expiry', async () => {
    const ns = await createTestNamespace(cluster.kc, 'hung');
    const leases = cluster.kc.makeApiClient(CoordinationV1Api);
    const readLease = () => leases.readNamespacedLease({ namespace: ns, name: 'logto-operator-leader' });
    const env = (identity: string) => ({
      WATCH_NAMESPACES: ns,
      LEADER_ELECTION_NAMESPACE: ns,
      POD_NAME: identity,
      CONCURRENCY: '2',
      KUBE_REQUEST_TIMEOUT: `${KUBE_REQUEST_TIMEOUT_MS}ms`,
      SHUTDOWN_TIMEOUT: `${SHUTDOWN_TIMEOUT_MS}ms`,
      LEASE_DURATION: `${LEASE_DURATION_MS}ms`,
      RENEW_DEADLINE: `${RENEW_DEADLINE_MS}ms`,
      RETRY_PERIOD: '1s',
    });
    // Logto is slow, so that reconciles are in flight whenever the apiserver stops.
    emulator.faults.inject({ path: '/api/**', latencyMs: 150 });

    const first = startProcess(kubeconfigPath, emulator, env('hung-1'));
    await eventually(async () => (await readLease()).spec?.holderIdentity === 'hung-1', {
      what: 'first to lead',
      timeoutMs: 60_000,
    });
    // The standby reaches the apiserver directly: it watches the Lease age while the first one hangs.
    const second = startProcess(inject('kubeconfigPath'), emulator, env('hung-2'));
    await eventually(() => logLines(second.output(), 'new leader observed').length > 0, {
      what: 'a standby',
      timeoutMs: 60_000,
    });
    const names = await createUnderWay(cluster, ns, 'hung');

    apiserver.pause();
    let firstExitedAt = 0;
    let lastRenewal = new Date(0);
    try {
      // More reconciles end on the timeout than there are workers: each worker was freed and took
      // another key.
      const failed = await eventually(
        () => {
          const lines = timedOutReconciles(first.output());
          return new Set(lines.map((l) => l.name)).size > 2 && lines;
        },
        { what: 'reconciles ending on the Kubernetes request timeout', timeoutMs: 10_000 },
      );
      expect(failed.length).toBeGreaterThan(2);

      const signalledAt = performance.now();
      first.kill('SIGTERM');
      const code = await first.exited;
      firstExitedAt = Date.now();
      const shutdownMs = performance.now() - signalledAt;
      console.log(`shutdown with a hung apiserver took ${Math.round(shutdownMs)} ms`);
      expect(code).toBe(0);
      expect(shutdownMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS + SHUTDOWN_OVERRUN_MS);
      const output = first.output();
      expect(logLines(output, 'shutdown complete')).toHaveLength(1);
      expect(logLines(output, 'released the leader lease')).toEqual([]);
      // Not released: the Lease still names the first replica, as last renewed before the hang.
      const lease = await readLease();
      expect(lease.spec?.holderIdentity).toBe('hung-1');
      lastRenewal = new Date(lease.spec!.renewTime as unknown as string);
    } finally {
      apiserver.resume();
    }

    const takenOver = await eventually(
      async () => {
        const current = await readLease();
        return current.spec?.holderIdentity === 'hung-2' && current;
      },
      { what: 'second to lead', timeoutMs: 60_000, intervalMs: 200 },
    );
    const acquiredAt = new Date(takenOver.spec!.acquireTime as unknown as string);
    expect(acquiredAt.getTime() - lastRenewal.getTime()).toBeGreaterThanOrEqual(LEASE_DURATION_MS);
    // It reconciled nothing before it held the Lease: no Management API call since the first exited
    // came before the takeover (token fetches aside: every replica keeps a token).
    const apiCallsSinceExit = () =>
      emulator.calls.list().filter((c) => c.timestamp > firstExitedAt && c.path.startsWith('/api/'));
    await eventually(() => apiCallsSinceExit().length > 0, { what: 'the second replica at work' });
    for (const name of names) await cluster.waitReady(ns, name, 'True', undefined, 60_000);
    const apiCalls = apiCallsSinceExit();
    expect(apiCalls.filter((c) => c.timestamp < acquiredAt.getTime())).toEqual([]);
    second.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('aborts reconciles hung on Kubernetes calls at the shutdown deadline, and exits in time', async () => {
    const ns = await createTestNamespace(cluster.kc, 'hung-abort');
    const shutdownTimeoutMs = 4_000;
    emulator.faults.clear();
    emulator.faults.inject({ path: '/api/**', latencyMs: 150 });
    const operator = startProcess(kubeconfigPath, emulator, {
      WATCH_NAMESPACES: ns,
      LEADER_ELECTION_NAMESPACE: ns,
      POD_NAME: 'hung-abort-1',
      CONCURRENCY: '2',
      // Longer than the shutdown deadline: only the abort can end the hung requests in time.
      KUBE_REQUEST_TIMEOUT: '60s',
      SHUTDOWN_TIMEOUT: `${shutdownTimeoutMs}ms`,
      LEASE_DURATION: `${LEASE_DURATION_MS}ms`,
      RENEW_DEADLINE: `${RENEW_DEADLINE_MS}ms`,
      RETRY_PERIOD: '2s',
    });
    await eventually(() => logLines(operator.output(), 'became the leader').length > 0, {
      what: 'leading',
      timeoutMs: 60_000,
    });
    await createUnderWay(cluster, ns, 'abort');
    apiserver.pause();
    try {
      // In-flight reconciles finish their Logto calls and block on Kubernetes: a request is held.
      await eventually(() => apiserver.heldSincePause() > 0, { what: 'a Kubernetes request held' });
      const signalledAt = performance.now();
      operator.kill('SIGTERM');
      const code = await operator.exited;
      const shutdownMs = performance.now() - signalledAt;
      console.log(`shutdown past its deadline took ${Math.round(shutdownMs)} ms`);
      expect(code).toBe(0);
      expect(shutdownMs).toBeLessThan(shutdownTimeoutMs + SHUTDOWN_OVERRUN_MS);
      const output = operator.output();
      const [stopping] = logLines(output, 'stopping: waiting for in-flight reconciles');
      expect(stopping?.inFlight).toBeGreaterThan(0);
      expect(logLines(output, 'stop deadline passed with reconciles in flight')).toHaveLength(1);
      expect(logLines(output, 'reconciles did not return after being aborted')).toEqual([]);
      expect(logLines(output, 'released the leader lease')).toEqual([]);
      expect(logLines(output, 'shutdown complete')).toHaveLength(1);
    } finally {
      apiserver.resume();
    }
  });
});
