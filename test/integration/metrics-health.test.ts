/**
 * The probe and metrics endpoints of a running operator (in-process manager, bound to 127.0.0.1:0):
 * /readyz does not depend on Logto (an outage leaves every replica ready), a non-leader is ready too,
 * /metrics is served over HTTPS to ServiceAccounts the API server says may read it (TokenReview,
 * SubjectAccessReview) and carries the controller-runtime names with values that match what happened.
 */
import { Writable } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LeaderElectionConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startHttpServer } from '../../src/runtime/http-server.js';
import type { NonResourceRequest, ReviewClient, ReviewedUser } from '../../src/runtime/metrics-auth.js';
import { metricsServing } from '../../src/runtime/metrics-endpoint.js';
import { KubernetesReviewClient } from '../../src/runtime/metrics-reviews.js';
import { OperatorMetrics } from '../../src/runtime/metrics.js';
import { startManager, type Manager } from '../../src/runtime/manager.js';
import { startLogtoEmulator, type LogtoEmulator } from '../emulator/index.js';
import { eventually } from '../support/eventually.js';
import { createTestNamespace, impersonate, testKubeConfig } from '../support/kube.js';
import { createMetricsReaderRole, requestToken, serviceAccountToken } from '../support/metrics-access.js';
import { emulatorSecrets, testOperatorConfig, TestCluster } from '../support/operator.js';
import { parseSamples } from '../support/prometheus.js';
import { scrape } from '../support/scrape.js';

const LOOPBACK = { host: '127.0.0.1', port: 0 };

/** The API server's reviews, counted. */
class CountingReviews implements ReviewClient {
  tokenReviews = 0;
  accessReviews = 0;
  constructor(private readonly inner: ReviewClient) {}
  authenticate(token: string): Promise<ReviewedUser | undefined> {
    this.tokenReviews++;
    return this.inner.authenticate(token);
  }
  authorize(user: ReviewedUser, request: NonResourceRequest): Promise<boolean> {
    this.accessReviews++;
    return this.inner.authorize(user, request);
  }
}

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
  const reviews: CountingReviews[] = [];
  /** Tokens of a ServiceAccount bound to a metrics-reader ClusterRole, and of one that is not. */
  let reader: string;
  let stranger: string;

  beforeAll(async () => {
    cluster = new TestCluster(testKubeConfig());
    ns = await createTestNamespace(cluster.kc, 'metrics');
    emulator = await startLogtoEmulator();
    await createMetricsReaderRole(cluster.kc, `${ns}-metrics-reader`);
    reader = await serviceAccountToken(cluster.kc, ns, 'prometheus', `${ns}-metrics-reader`);
    stranger = await serviceAccountToken(cluster.kc, ns, 'stranger');
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
    reviews.push(new CountingReviews(new KubernetesReviewClient(cluster.kc)));
    const manager = await startManager({
      kubeConfig: cluster.kc,
      config: {
        ...testOperatorConfig(emulator, { watchNamespaces: [ns], leaderElection: election(identity) }),
        metricsBindAddress: LOOPBACK,
        healthProbeBindAddress: LOOPBACK,
      },
      logger: createLogger({ level: 'debug' }, sink),
      tokenKeeper: { checkIntervalMs: 200, backoff: { baseMs: 100, maxMs: 300 } },
      metricsServing: { reviews: reviews.at(-1)! },
    });
    managers.push(manager);
    return manager;
  }

  const tokenAvailable = async (manager: Manager) =>
    parseSamples((await scrape(`${manager.metricsUrl}/metrics`, { token: reader })).body).get(
      'logto_operator_logto_token_available',
    );

  it('stays ready and healthy through a Logto outage, which it reports in its logs and metrics', async () => {
    emulator.faults.startOutage(503);
    let manager: Manager;
    try {
      manager = await start('metrics-a');
      expect(manager.healthUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(manager.metricsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(manager.metricsUrl).not.toBe(manager.healthUrl);
      await eventually(() => logs.some((line) => line.includes('cannot obtain a Logto access token')), {
        what: 'a failed token fetch',
      });
      // Caches synced, loops running: ready, though Logto is down and no token was ever obtained.
      expect(manager.operator.tokens.hasValidToken()).toBe(false);
      expect(await get(`${manager.healthUrl}/readyz`)).toMatchObject({ status: 200, body: 'ok' });
      expect(await get(`${manager.healthUrl}/healthz`)).toMatchObject({ status: 200, body: 'ok' });
      // The outage shows in the metrics instead.
      expect(await tokenAvailable(manager)).toBe(0);
    } finally {
      emulator.faults.endOutage();
    }
    await eventually(() => logs.some((line) => line.includes('obtained a Logto access token')), {
      what: 'a token once Logto is back',
    });
    expect(await get(`${manager.healthUrl}/readyz`)).toMatchObject({ status: 200, body: 'ok' });
    await eventually(async () => (await tokenAvailable(manager)) === 1, { what: 'token gauge 1' });
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
    const c = 'controller="logtoapplication"';
    const q = 'name="logtoapplication"';
    // A scrape of the settled controller: the pass's own writes come back as watch events and may
    // queue one more (no-op) pass after Ready, so the gauges are read once they say idle.
    const { scraped, s } = await eventually(
      async () => {
        const scraped = await scrape(`${manager.metricsUrl}/metrics`, { token: reader });
        const s = parseSamples(scraped.body);
        const idle =
          s.get(`controller_runtime_active_workers{${c}}`) === 0 && s.get(`workqueue_depth{${q}}`) === 0;
        return idle && { scraped, s };
      },
      { what: 'metrics of an idle controller' },
    );
    expect(scraped.status).toBe(200);
    expect(scraped.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
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
    expect(
      s.get(
        'logto_api_requests_total{operation="create_application",method="POST",code="500",connection="flags"}',
      ),
    ).toBe(1);
    expect(
      s.get(
        'logto_api_requests_total{operation="create_application",method="POST",code="200",connection="flags"}',
      ),
    ).toBe(1);
    expect(
      [...s].some(
        ([name, value]) => /^logto_api_requests_total\{.*code="error".*\}$/.test(name) && value >= 1,
      ),
    ).toBe(true);
    expect(
      s.get(
        'logto_api_request_duration_seconds_count{operation="create_application",method="POST",connection="flags"}',
      ),
    ).toBe(2);
    for (const informer of [
      `logtoapplications.logto.io in ${ns}`,
      `secrets in ${ns} (app.kubernetes.io/managed-by=logto-operator)`,
    ]) {
      expect(s.get(`logto_operator_relists_total{informer="${informer}",reason="initial"}`)).toBe(1);
    }
    expect(scraped.body).toContain('# TYPE logto_operator_watch_restarts_total counter');
    expect(scraped.body).toContain('# TYPE controller_runtime_reconcile_time_seconds histogram');
    expect(s.get('process_cpu_seconds_total')).toBeGreaterThan(0);
    // Nothing secret in what Prometheus scrapes.
    for (const secret of emulatorSecrets(emulator)) expect(scraped.body).not.toContain(secret);
  });

  it('serves /metrics over HTTPS to a ServiceAccount bound to the reader role only (401, 403, 200)', async () => {
    const manager = managers[0]!;
    const counted = reviews[0]!;
    const url = `${manager.metricsUrl}/metrics`;
    const before = { token: counted.tokenReviews, access: counted.accessReviews };
    // A token not seen yet (the one above may be cached), of the same bound ServiceAccount.
    const fresh = await requestToken(cluster.kc, ns, 'prometheus');

    const anonymous = await scrape(url);
    expect(anonymous).toMatchObject({ status: 401, body: 'Unauthorized' });
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(await scrape(url, { token: `${reader.slice(0, -4)}AAAA` })).toMatchObject({ status: 401 });
    expect(await scrape(url, { token: 'not-a-token' })).toMatchObject({ status: 401 });
    expect(await scrape(url, { token: stranger })).toMatchObject({ status: 403, body: 'Forbidden' });
    const allowed = await scrape(url, { token: fresh });
    expect(allowed.status).toBe(200);
    expect(allowed.body).toContain('controller_runtime_reconcile_total');
    // Plain HTTP on the HTTPS port gets nothing.
    await expect(scrape(url.replace(/^https/, 'http'), { token: reader })).rejects.toThrow();
    // Each token was reviewed once; a forged or unknown one ends at the TokenReview.
    expect(counted.tokenReviews - before.token).toBe(4);
    expect(counted.accessReviews - before.access).toBe(2);

    // Scrapes within the cache period cost the API server nothing more.
    for (let i = 0; i < 5; i++) {
      expect((await scrape(url, { token: fresh })).status).toBe(200);
      expect((await scrape(url, { token: stranger })).status).toBe(403);
    }
    expect(counted.tokenReviews - before.token).toBe(4);
    expect(counted.accessReviews - before.access).toBe(2);
    // No token in what the operator logged.
    const tokens = [reader, fresh, stranger];
    expect(logs.filter((line) => tokens.some((token) => line.includes(token)))).toEqual([]);
    expect(logs.some((line) => line.includes('scrape refused (not authorized)'))).toBe(true);
  });

  it('answers 503, not the metrics, when the API server refuses or cannot make the reviews', async () => {
    const logger = createLogger({ level: 'silent' });
    const metrics = new OperatorMetrics({ defaultMetrics: false });
    const unreachable = new KubeConfig();
    unreachable.loadFromOptions({
      clusters: [{ name: 'gone', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
      users: [{ name: 'nobody', token: 'x' }],
      contexts: [{ name: 'gone', cluster: 'gone', user: 'nobody' }],
      currentContext: 'gone',
    });
    // A user without RBAC for the reviews: the API server refuses them (403).
    const unprivileged = impersonate(cluster.kc, `system:serviceaccount:${ns}:stranger`);
    for (const kubeConfig of [unreachable, unprivileged]) {
      const serving = await metricsServing({ metrics, kubeConfig, logger, secure: true });
      const server = await startHttpServer({
        address: LOOPBACK,
        routes: serving.routes,
        logger,
        name: 'metrics',
        tls: serving.tls,
      });
      try {
        const answer = await scrape(`${server.url}/metrics`, { token: reader });
        expect(answer.status).toBe(503);
        expect(answer.body).not.toContain('controller_runtime');
      } finally {
        await server.close();
        serving.close();
      }
    }
  });

  it('a replica that does not hold the Lease is ready, reports master status 0 and reconciles nothing', async () => {
    const follower = await start('metrics-b');
    await eventually(async () => (await get(`${follower.healthUrl}/readyz`)).status === 200, {
      what: 'follower ready',
    });
    expect(follower.operator.isLeader()).toBe(false);
    expect(await get(`${follower.healthUrl}/healthz`)).toMatchObject({ status: 200, body: 'ok' });
    const s = parseSamples((await scrape(`${follower.metricsUrl}/metrics`, { token: reader })).body);
    expect(s.get('leader_election_master_status{name="metrics-test-leader"}')).toBe(0);
    expect(s.get('workqueue_adds_total{name="logtoapplication"}')).toBe(0);
    expect([...s.keys()].some((name) => name.startsWith('logto_api_requests_total'))).toBe(false);
  });

  it('turns unready ("shutting down") once stopping, then closes its servers', async () => {
    const follower = managers[1]!;
    const { healthUrl, metricsUrl } = follower;
    await follower.stop(5_000);
    await expect(fetch(`${healthUrl}/readyz`)).rejects.toThrow();
    await expect(scrape(`${metricsUrl}/metrics`, { token: reader })).rejects.toThrow(/ECONNREFUSED/);
    expect(follower.readiness()).toBe('shutting down');
  });
});
