/**
 * The probe and metrics endpoints of a running operator (in-process manager, bound to 127.0.0.1:0):
 * /readyz does not depend on Logto (an outage leaves every replica ready), a non-leader is ready too, /metrics carries the controller-runtime
 * names with values that match what happened.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LeaderElectionConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startManager, type Manager } from '../../src/runtime/manager.js';
import { startLogtoEmulator, type LogtoEmulator } from '../emulator/index.js';
import { eventually } from '../support/eventually.js';
import { createTestNamespace, testKubeConfig } from '../support/kube.js';
import { emulatorSecrets, testOperatorConfig, TestCluster } from '../support/operator.js';
import { parseSamples } from '../support/prometheus.js';

const LOOPBACK = { host: '127.0.0.1', port: 0 };

async function get(url: string): Promise<{ status: number; body: string; type: string | null }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.text(), type: response.headers.get('content-type') };
}

describe('metrics and health endpoints', () => {
  let emulator: LogtoEmulator;
  let cluster: TestCluster;
  let ns: string;
  const logs: string[] = [];
  const managers: Manager[] = [];

  beforeAll(async () => {
    cluster = new TestCluster(testKubeConfig());
    ns = await createTestNamespace(cluster.kc, 'metrics');
    emulator = await startLogtoEmulator();
  });

  afterAll(async () => {
    await Promise.all(managers.map((m) => m.stop(5_000)));
    const secrets = emulator ? emulatorSecrets(emulator) : [];
    await emulator?.close();
    expect(secrets.filter((s) => logs.some((line) => line.includes(s)))).toEqual([]);
  });

  const election = (identity: string): LeaderElectionConfig => ({
    enabled: true,
    namespace: ns,
    name: 'metrics-test-leader',
    identity,
    leaseDurationMs: 3_000,
    renewDeadlineMs: 2_000,
    retryPeriodMs: 500,
  });

  async function start(identity: string): Promise<Manager> {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const manager = await startManager({
      kubeConfig: cluster.kc,
      config: {
        ...testOperatorConfig(emulator, { watchNamespaces: [ns], leaderElection: election(identity) }),
        metricsBindAddress: LOOPBACK,
        healthProbeBindAddress: LOOPBACK,
      },
      logger: createLogger({ level: 'debug' }, sink),
      tokenKeeper: { checkIntervalMs: 200, backoff: { baseMs: 100, maxMs: 300 } },
    });
    managers.push(manager);
    return manager;
  }

  it('stays ready and healthy through a Logto outage, which it reports in its logs and metrics', async () => {
    emulator.faults.startOutage(503);
    const manager = await start('metrics-a');
    expect(manager.healthUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(manager.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(manager.metricsUrl).not.toBe(manager.healthUrl);
    await eventually(() => logs.some((line) => line.includes('cannot obtain a Logto access token')), {
      what: 'a failed token fetch',
    });
    // Caches synced, loops running: ready, though Logto is down and no token was ever obtained.
    expect(manager.operator.tokens.hasValidToken()).toBe(false);
    expect(await get(`${manager.healthUrl}/readyz`)).toMatchObject({ status: 200, body: 'ok' });
    expect(await get(`${manager.healthUrl}/healthz`)).toMatchObject({ status: 200, body: 'ok' });
    // The outage shows in the metrics instead.
    const tokenAvailable = async () =>
      parseSamples((await get(`${manager.metricsUrl}/metrics`)).body).get(
        'logto_operator_logto_token_available',
      );
    expect(await tokenAvailable()).toBe(0);

    emulator.faults.endOutage();
    await eventually(() => logs.some((line) => line.includes('obtained a Logto access token')), {
      what: 'a token once Logto is back',
    });
    expect(await get(`${manager.healthUrl}/readyz`)).toMatchObject({ status: 200, body: 'ok' });
    await eventually(async () => (await tokenAvailable()) === 1, { what: 'token gauge 1' });
    expect((await get(`${manager.healthUrl}/metrics`)).status).toBe(404);
    expect((await fetch(`${manager.healthUrl}/readyz`, { method: 'POST' })).status).toBe(405);
  });

  it('exposes controller-runtime, workqueue, leader election, Logto API and informer metrics', async () => {
    const manager = managers[0]!;
    await eventually(() => manager.operator.isLeader(), { what: 'leadership' });
    // One failed create (500, not retried: a create is not idempotent; looked at again after a pause),
    // and one reset GET (retried within the call).
    emulator.faults.inject({ method: 'POST', path: '/api/applications', status: 500, times: 1 });
    emulator.faults.inject({ method: 'GET', path: '/api/**', reset: true, times: 1 });
    // A 503 outlasting the in-call retries: the reconcile fails and goes back through the rate limiter.
    emulator.faults.inject({ method: 'GET', path: '/api/applications/{id}/secrets', status: 503, times: 4 });
    await cluster.create(ns, 'web', {
      type: 'Traditional',
      oidcClientMetadata: { redirectUris: ['https://web.example/cb'] },
    });
    await cluster.waitReady(ns, 'web');
    await eventually(() => manager.operator.controller.activeWorkers() === 0, { what: 'workers idle' });

    const scrape = await get(`${manager.metricsUrl}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const s = parseSamples(scrape.body);
    const c = 'controller="logtoapplication"';
    const q = 'name="logtoapplication"';
    // A converged pass asks to be looked at again at the next resync: requeue_after.
    expect(s.get(`controller_runtime_reconcile_total{${c},result="requeue_after"}`)).toBeGreaterThanOrEqual(
      1,
    );
    expect(s.get(`controller_runtime_reconcile_total{${c},result="error"}`)).toBeGreaterThanOrEqual(1);
    expect(s.get(`controller_runtime_reconcile_errors_total{${c}}`)).toBeGreaterThanOrEqual(1);
    expect(s.get(`controller_runtime_reconcile_time_seconds_count{${c}}`)).toBeGreaterThanOrEqual(2);
    expect(s.get(`controller_runtime_reconcile_time_seconds_sum{${c}}`)).toBeGreaterThan(0);
    expect(s.get(`controller_runtime_max_concurrent_reconciles{${c}}`)).toBe(2);
    expect(s.get(`controller_runtime_active_workers{${c}}`)).toBe(0);
    expect(s.get(`workqueue_depth{${q}}`)).toBe(0);
    expect(s.get(`workqueue_adds_total{${q}}`)).toBeGreaterThanOrEqual(2);
    expect(s.get(`workqueue_retries_total{${q}}`)).toBeGreaterThanOrEqual(1);
    expect(s.get(`workqueue_queue_duration_seconds_count{${q}}`)).toBeGreaterThanOrEqual(2);
    expect(s.get(`workqueue_work_duration_seconds_count{${q}}`)).toBeGreaterThanOrEqual(2);
    expect(s.get(`workqueue_unfinished_work_seconds{${q}}`)).toBe(0);
    expect(s.get('leader_election_master_status{name="metrics-test-leader"}')).toBe(1);
    expect(s.get('logto_api_requests_total{operation="create_application",method="POST",code="500"}')).toBe(
      1,
    );
    expect(s.get('logto_api_requests_total{operation="create_application",method="POST",code="200"}')).toBe(
      1,
    );
    expect(
      [...s].some(([name, value]) => /^logto_api_requests_total\{.*code="error"\}$/.test(name) && value >= 1),
    ).toBe(true);
    expect(
      s.get('logto_api_request_duration_seconds_count{operation="create_application",method="POST"}'),
    ).toBe(2);
    for (const informer of [
      `logtoapplications.logto.io in ${ns}`,
      `secrets in ${ns} (app.kubernetes.io/managed-by=logto-operator)`,
    ]) {
      expect(s.get(`logto_operator_relists_total{informer="${informer}",reason="initial"}`)).toBe(1);
    }
    expect(scrape.body).toContain('# TYPE logto_operator_watch_restarts_total counter');
    expect(scrape.body).toContain('# TYPE controller_runtime_reconcile_time_seconds histogram');
    expect(s.get('process_cpu_seconds_total')).toBeGreaterThan(0);
    // Nothing secret in what Prometheus scrapes.
    for (const secret of emulatorSecrets(emulator)) expect(scrape.body).not.toContain(secret);
  });

  it('a replica that does not hold the Lease is ready, reports master status 0 and reconciles nothing', async () => {
    const follower = await start('metrics-b');
    await eventually(async () => (await get(`${follower.healthUrl}/readyz`)).status === 200, {
      what: 'follower ready',
    });
    expect(follower.operator.isLeader()).toBe(false);
    expect(await get(`${follower.healthUrl}/healthz`)).toMatchObject({ status: 200, body: 'ok' });
    const s = parseSamples((await get(`${follower.metricsUrl}/metrics`)).body);
    expect(s.get('leader_election_master_status{name="metrics-test-leader"}')).toBe(0);
    expect(s.get('workqueue_adds_total{name="logtoapplication"}')).toBe(0);
    expect([...s.keys()].some((name) => name.startsWith('logto_api_requests_total'))).toBe(false);
  });

  it('turns unready ("shutting down") once stopping, then closes its servers', async () => {
    const follower = managers[1]!;
    const { healthUrl, metricsUrl } = follower;
    await follower.stop(5_000);
    await expect(fetch(`${healthUrl}/readyz`)).rejects.toThrow();
    await expect(fetch(`${metricsUrl}/metrics`)).rejects.toThrow();
    expect(follower.readiness()).toBe('shutting down');
  });
});
