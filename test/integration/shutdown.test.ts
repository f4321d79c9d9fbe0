/**
 * Graceful shutdown of the real process: SIGTERM in the middle of a burst of LogtoApplications with a
 * slow Logto. The process stops taking work, lets in-flight reconciles finish, releases the Lease and
 * exits 0; a second process takes over at once (no lease expiry to wait for) and finishes the rest,
 * with exactly one Logto application per resource.
 */
import { CoordinationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readMarker } from '../../src/controllers/logto-application/ownership-marker.js';
import { startLogtoEmulator, type LogtoEmulator } from '../emulator/index.js';
import { eventually } from '../support/eventually.js';
import { createTestNamespace, testKubeConfig } from '../support/kube.js';
import { TestCluster } from '../support/operator.js';
import { operatorProcesses } from '../support/operator-process.js';

const RESOURCES = 20;
const SHUTDOWN_TIMEOUT_MS = 20_000;
/** The default lease duration: a successor that had to wait for expiry would take at least this. */

/** The JSON log lines of a process with this message. */
function logLines(output: string, msg: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === msg);
}

describe('graceful shutdown', () => {
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

  it('SIGTERM mid-burst: in-flight reconciles finish, the Lease is released, exit 0; a successor finishes the rest', async () => {
    const ns = await createTestNamespace(cluster.kc, 'shutdown');
    const leases = cluster.kc.makeApiClient(CoordinationV1Api);
    const holder = async () =>
      (await leases.readNamespacedLease({ namespace: ns, name: 'logto-operator-leader' })).spec
        ?.holderIdentity;
    const env = (identity: string) => ({
      WATCH_NAMESPACES: ns,
      LEADER_ELECTION_NAMESPACE: ns,
      POD_NAME: identity,
      CONCURRENCY: '4',
      SHUTDOWN_TIMEOUT: `${SHUTDOWN_TIMEOUT_MS}ms`,
    });
    // Every Management API call takes a while: reconciles are in flight whenever we look.
    emulator.faults.inject({ path: '/api/**', latencyMs: 250 });

    const first = startProcess(inject('kubeconfigPath'), emulator, env('shutdown-1'));
    await eventually(async () => (await holder()) === 'shutdown-1', {
      what: 'first to lead',
      timeoutMs: 60_000,
    });

    const names = Array.from({ length: RESOURCES }, (_, i) => `burst-${i}`);
    const uids = new Map<string, string>();
    for (const name of names) {
      const created = await cluster.create(ns, name, {
        type: 'Traditional',
        oidcClientMetadata: { redirectUris: [`https://${name}.example/cb`] },
      });
      uids.set(name, created.metadata.uid);
    }
    const readyCount = async () => {
      const all = await Promise.all(names.map((name) => cluster.get(ns, name)));
      return all.filter((r) => r?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
        .length;
    };
    await eventually(async () => (await readyCount()) >= 3, { what: 'a few Ready', intervalMs: 50 });

    const signalledAt = performance.now();
    first.kill('SIGTERM');
    const code = await first.exited;
    const shutdownMs = performance.now() - signalledAt;
    console.log(`shutdown took ${Math.round(shutdownMs)} ms`);
    expect(code).toBe(0);
    // Within its shutdown deadline (plus process exit on a busy machine).
    expect(shutdownMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 10_000);
    const readyAtStop = await readyCount();
    expect(readyAtStop).toBeLessThan(RESOURCES);

    const output = first.output();
    // It stopped in the middle of work, and waited for it rather than cutting it off.
    const [stopping] = logLines(output, 'stopping: waiting for in-flight reconciles');
    expect(stopping?.inFlight).toBeGreaterThan(0);
    expect(logLines(output, 'stop deadline passed with reconciles in flight')).toEqual([]);
    expect(logLines(output, 'released the leader lease')).toHaveLength(1);
    expect(logLines(output, 'shutdown complete')).toHaveLength(1);
    expect((await holder()) ?? '').toBe('');

    const secondStartedAt = performance.now();
    const second = startProcess(inject('kubeconfigPath'), emulator, env('shutdown-2'));
    await eventually(async () => (await holder()) === 'shutdown-2', {
      what: 'second to lead',
      intervalMs: 50,
      timeoutMs: 60_000,
    });
    const takeoverMs = performance.now() - secondStartedAt;
    console.log(`successor leading ${Math.round(takeoverMs)} ms after its start (process start included)`);
    // No waiting out the lease: it was released (holder empty above), so the successor took it at once.

    for (const name of names) await cluster.waitReady(ns, name, 'True', undefined, 60_000);
    for (const [name, uid] of uids) {
      const owned = [...emulator.state.applications.values()].filter(
        (app) => readMarker(app.customData)?.uid === uid,
      );
      expect(owned, name).toHaveLength(1);
      expect((await cluster.get(ns, name))!.status!.applicationId).toBe(owned[0]!.id);
    }

    second.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect((await holder()) ?? '').toBe('');
  });
});
