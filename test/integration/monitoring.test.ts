/**
 * The chart's alerts and dashboard against a real Prometheus (built from its Go module, see
 * scripts/build-prometheus.sh) that scrapes a running operator over HTTPS with a ServiceAccount's
 * bearer token, as the chart's ServiceMonitor does. The rules are the generated ones with short `for:`
 * durations and rate windows (scrapes and evaluations every second). Faults of the Logto emulator drive
 * the alerts that can be driven (Logto unavailable, credentials revoked, a resource stuck at
 * Synced=False, a connection not Ready): each fires, then resolves. Every dashboard query and every
 * alert expression is evaluated; promtool checks the rules and runs their unit tests.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { FORCE_SYNC_ANNOTATION } from '../../src/operator.js';
import { createLogger } from '../../src/log.js';
import {
  ALERTS,
  alertExpression,
  defaultAlertParams,
  defaultRuleParams,
  ruleGroups,
  type RuleParams,
} from '../../src/monitoring/alerts.js';
import { dashboardQueries } from '../../src/monitoring/dashboard.js';
import { startManager, type Manager } from '../../src/runtime/manager.js';
import { MANIFESTS_SELECTOR } from '../../scripts/generate-monitoring.js';
import { REPO_ROOT } from '../../scripts/render-manifests.js';
import { startLogtoEmulator, type LogtoEmulator } from '../emulator/index.js';
import { eventually } from '../support/eventually.js';
import { createTestNamespace, testKubeConfig } from '../support/kube.js';
import { createMetricsReaderRole, serviceAccountToken } from '../support/metrics-access.js';
import { PROMETHEUS_BUILD_TIMEOUT_MS, resolvePrometheusBinaries } from '../support/monitoring/binaries.js';
import { startPrometheus, type Prometheus } from '../support/monitoring/prometheus-server.js';
import { promtoolTests } from '../support/monitoring/promtool.js';
import { TEST_CONNECTION_LABEL, TestCluster, testFileId, testOperatorConfig } from '../support/operator.js';

const run = promisify(execFile);
const JOB = 'logto-operator-metrics';
const WINDOW = '10s';

describe('alerts and dashboard on a real Prometheus', () => {
  const kc = testKubeConfig();
  const cluster = new TestCluster(kc);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  let promtool: string;
  let prometheus: Prometheus;
  let manager: Manager;
  let emulator: LogtoEmulator;
  /** The tenant of the ClusterLogtoConnection. */
  let tenant: LogtoEmulator;
  let ns: string;
  let params: RuleParams;
  const connection = `monitoring-${testFileId}`;
  /** Alerts whose value returned series at some point (each must, while the operator runs). */
  const valuesSeen = new Set<string>();

  beforeAll(async () => {
    // Cached after the first build (about 7 minutes on 2 cores, from the Go module proxy).
    const binaries = await resolvePrometheusBinaries();
    promtool = binaries.promtool;
    emulator = await startLogtoEmulator();
    tenant = await startLogtoEmulator();
    ns = await createTestNamespace(kc, 'monitoring');
    await createMetricsReaderRole(kc, `${ns}-metrics-reader`);
    const token = await serviceAccountToken(kc, ns, 'prometheus', `${ns}-metrics-reader`);
    manager = await startManager({
      kubeConfig: kc,
      config: {
        ...testOperatorConfig(emulator, {
          watchNamespaces: [ns],
          minRotationPeriodMs: 3_600_000,
          leaderElection: {
            enabled: true,
            namespace: ns,
            name: 'monitoring-leader',
            identity: 'monitoring-a',
            leaseDurationMs: 3_000,
            renewDeadlineMs: 2_000,
            retryPeriodMs: 500,
          },
        }),
        metricsBindAddress: { host: '127.0.0.1', port: 0 },
        healthProbeBindAddress: { host: '127.0.0.1', port: 0 },
      },
      logger: createLogger({ level: 'silent' }),
      tokenKeeper: { checkIntervalMs: 200, backoff: { baseMs: 100, maxMs: 300 } },
    });
    // The defaults, but short: `for:` 2 s everywhere, rates over 10 s (scrapes every second).
    params = {
      ...defaultRuleParams(`job="${JOB}",namespace="${ns}"`),
      rateWindow: WINDOW,
      alerts: Object.fromEntries(
        Object.entries(defaultAlertParams()).map(([name, p]) => [name, { ...p, for: '2s' }]),
      ),
    };
    prometheus = await startPrometheus({
      binary: binaries.prometheus,
      rules: stringify({ groups: ruleGroups(params) }),
      targets: [
        {
          job: JOB,
          address: new URL(manager.metricsUrl!).host,
          scheme: 'https',
          token,
          labels: { namespace: ns },
        },
      ],
    });
    await eventually(async () => (await prometheus.targets())[0]?.health === 'up', {
      what: 'Prometheus scraping the operator',
    });
  }, PROMETHEUS_BUILD_TIMEOUT_MS);

  afterAll(async () => {
    await prometheus?.stop();
    await manager?.stop(5_000);
    await Promise.all([emulator?.close(), tenant?.close()]);
  });

  const context = () => ({ sel: params.selector, window: params.rateWindow });

  /** Records the alerts whose value returns series now. */
  const observeValues = async () => {
    for (const alert of ALERTS) {
      if ((await prometheus.query(alert.value(context()))).length > 0) valuesSeen.add(alert.name);
    }
  };

  const firing = async (name: string, labels: Record<string, string>) =>
    (await prometheus.alerts()).find(
      (a) =>
        a.labels.alertname === name &&
        a.state === 'firing' &&
        Object.entries(labels).every(([k, v]) => a.labels[k] === v),
    );
  const waitFiring = (name: string, labels: Record<string, string> = {}) =>
    eventually(() => firing(name, labels), {
      what: `${name} ${JSON.stringify(labels)} firing`,
      timeoutMs: 60_000,
    });
  const active = async (name: string, labels: Record<string, string> = {}) =>
    (await prometheus.alerts()).filter(
      (a) => a.labels.alertname === name && Object.entries(labels).every(([k, v]) => a.labels[k] === v),
    );
  /** Neither pending nor firing; on a timeout, says what is still there. */
  const waitResolved = async (name: string, labels: Record<string, string> = {}) => {
    try {
      await eventually(async () => (await active(name, labels)).length === 0, {
        what: `${name} ${JSON.stringify(labels)} resolved`,
        timeoutMs: 60_000,
      });
    } catch (error) {
      const still = JSON.stringify(await active(name, labels));
      const value = JSON.stringify(
        await prometheus.query(ALERTS.find((a) => a.name === name)!.value(context())),
      );
      throw new Error(`${(error as Error).message}; active: ${still}; value: ${value}`);
    }
  };

  const forceSync = (name: string) =>
    cluster.patch(ns, name, { metadata: { annotations: { [FORCE_SYNC_ANNOTATION]: `${Date.now()}` } } });

  const connectionReady = () =>
    eventually(
      async () => {
        const samples = await prometheus.query(
          `logto_operator_connection_ready{${params.selector},connection="ClusterLogtoConnection/${connection}"}`,
        );
        return samples[0]?.value[1] === '1';
      },
      { what: `${connection} Ready in Prometheus`, timeoutMs: 60_000 },
    );

  it('scrapes the operator; no driven alert fires while everything is healthy', async () => {
    await core.createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: { name: 'tenant-credentials' },
        stringData: { clientId: tenant.credentials.clientId, clientSecret: tenant.credentials.clientSecret },
      },
    });
    await custom.createClusterCustomObject({
      group: 'logto.io',
      version: 'v1alpha1',
      plural: 'clusterlogtoconnections',
      body: {
        apiVersion: 'logto.io/v1alpha1',
        kind: 'ClusterLogtoConnection',
        metadata: { name: connection, labels: { [TEST_CONNECTION_LABEL]: testFileId } },
        spec: {
          endpoint: tenant.endpoint,
          managementApiResource: tenant.resourceIndicator,
          credentialsSecretRef: { name: 'tenant-credentials', namespace: ns },
        },
      },
    });
    await cluster.create(ns, 'web', {
      type: 'Traditional',
      oidcClientMetadata: { redirectUris: ['https://web.example/cb'] },
    });
    await cluster.waitReady(ns, 'web');
    await connectionReady();
    await eventually(
      async () => {
        const [synced] = await prometheus.query(
          `sum(logto_operator_resource_conditions{${params.selector},kind="LogtoApplication",type="Synced",status="True"})`,
        );
        return synced?.value[1] === '1';
      },
      { what: 'one Synced LogtoApplication in Prometheus' },
    );
    await observeValues();
    const driven = [
      'LogtoOperatorDown',
      'LogtoOperatorNoLeader',
      'LogtoOperatorNoLogtoToken',
      'LogtoOperatorCredentialsRefused',
      'LogtoOperatorLogtoUnavailable',
      'LogtoOperatorResourcesNotSynced',
      'LogtoOperatorResourcesNotReady',
      'LogtoOperatorConnectionNotReady',
    ];
    // Pending ones from the start (the connection before its first check) end at the next evaluation.
    for (const name of driven) await waitResolved(name);
  });

  it('Logto unavailable: LogtoUnavailable (per connection) and ResourcesNotSynced fire, then resolve', async () => {
    emulator.faults.startOutage(503);
    try {
      await forceSync('web');
      const alert = await waitFiring('LogtoOperatorLogtoUnavailable', {
        connection: 'flags',
        job: JOB,
        namespace: ns,
      });
      expect(alert.labels.severity).toBe('warning');
      expect(alert.annotations.runbook).toBe('docs/runbooks/LogtoOperatorLogtoUnavailable.md');
      await waitFiring('LogtoOperatorResourcesNotSynced', { reason: 'LogtoUnavailable' });
      await observeValues();
    } finally {
      emulator.faults.endOutage();
    }
    await cluster.waitReady(ns, 'web', 'True', undefined, 90_000);
    await waitResolved('LogtoOperatorResourcesNotSynced');
    await waitResolved('LogtoOperatorLogtoUnavailable');
  });

  it('a resource stuck at Synced=False (InvalidSpec): ResourcesNotSynced and NotReady fire, then resolve once fixed', async () => {
    await cluster.create(ns, 'stuck', {
      type: 'Traditional',
      oidcClientMetadata: { redirectUris: ['https://stuck.example/cb'] },
      rotation: { every: '1m' },
    });
    await cluster.waitReady(ns, 'stuck', 'False', 'InvalidSpec');
    const notSynced = await waitFiring('LogtoOperatorResourcesNotSynced', {
      reason: 'InvalidSpec',
      status: 'False',
    });
    expect(notSynced.annotations.summary).toBe('InvalidSpec: LogtoApplications are not Synced.');
    await waitFiring('LogtoOperatorResourcesNotReady', { reason: 'InvalidSpec' });
    await observeValues();
    await cluster.patch(ns, 'stuck', { spec: { rotation: null } });
    await cluster.waitReady(ns, 'stuck');
    await waitResolved('LogtoOperatorResourcesNotSynced');
    await waitResolved('LogtoOperatorResourcesNotReady');
  });

  it('credentials revoked: NoLogtoToken and CredentialsRefused fire, then resolve once they are restored', async () => {
    const app = emulator.state.applications.get(emulator.credentials.clientId)!;
    const revoked = app.secrets.splice(0);
    try {
      emulator.expireTokens();
      await forceSync('web');
      await cluster.waitReady(ns, 'web', 'False', 'Unauthorized');
      const noToken = await waitFiring('LogtoOperatorNoLogtoToken', { job: JOB });
      expect(noToken.labels.severity).toBe('critical');
      await waitFiring('LogtoOperatorCredentialsRefused', {
        kind: 'LogtoApplication',
        reason: 'Unauthorized',
      });
      await observeValues();
    } finally {
      app.secrets.push(...revoked);
    }
    await waitResolved('LogtoOperatorNoLogtoToken');
    await forceSync('web');
    await cluster.waitReady(ns, 'web');
    await waitResolved('LogtoOperatorCredentialsRefused');
  });

  it('a connection whose credentials are changed: ConnectionNotReady and CredentialsRefused fire, then resolve', async () => {
    const setSecret = (clientSecret: string) =>
      core.patchNamespacedSecret(
        { namespace: ns, name: 'tenant-credentials', body: { stringData: { clientSecret } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    await setSecret('not-the-secret');
    try {
      const label = `ClusterLogtoConnection/${connection}`;
      const alert = await waitFiring('LogtoOperatorConnectionNotReady', { connection: label });
      expect(alert.annotations.summary).toBe(`The Logto connection ${label} is not Ready.`);
      await waitFiring('LogtoOperatorCredentialsRefused', {
        kind: 'ClusterLogtoConnection',
        reason: 'Unauthorized',
      });
      await observeValues();
    } finally {
      await setSecret(tenant.credentials.clientSecret);
    }
    await connectionReady();
    await waitResolved('LogtoOperatorConnectionNotReady');
    await waitResolved('LogtoOperatorCredentialsRefused');
  });

  it('every alert expression parses, and every alert value returned series', async () => {
    await observeValues();
    for (const alert of ALERTS) {
      const threshold = String(alert.fixed ?? params.alerts[alert.name]!.threshold);
      await expect(
        prometheus.query(alertExpression(alert, context(), threshold)),
        alert.name,
      ).resolves.toBeDefined();
    }
    expect(ALERTS.map((a) => a.name).filter((name) => !valuesSeen.has(name))).toEqual([]);
    // Prometheus loaded every rule, healthy.
    const response = await fetch(`${prometheus.url}/api/v1/rules`);
    const rules = (
      (await response.json()) as { data: { groups: { rules: { name: string; health: string }[] }[] } }
    ).data.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.name).sort()).toEqual(ALERTS.map((a) => a.name).sort());
    expect(rules.filter((r) => r.health !== 'ok')).toEqual([]);
  });

  it('every dashboard query parses and returns series', async () => {
    const empty: string[] = [];
    for (const { panel, expr } of dashboardQueries()) {
      const query = expr
        .replaceAll('$__rate_interval', WINDOW)
        .replaceAll('$job', JOB)
        .replaceAll('$namespace', ns);
      const samples = await prometheus.query(query);
      if (samples.length === 0) empty.push(`${panel}: ${query}`);
    }
    expect(empty).toEqual([]);
  });

  it('promtool: the rule files pass check rules, and each alert fires just over its threshold, not under it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'logto-operator-promtool-'));
    try {
      // The defaults (as deploy/monitoring/ and the chart have them), and other thresholds and durations.
      const changed = defaultRuleParams(MANIFESTS_SELECTOR);
      changed.rateWindow = '10m';
      changed.runbookBaseUrl = 'https://git.example/logto-operator/docs/runbooks/';
      for (const [name, p] of Object.entries(changed.alerts)) {
        changed.alerts[name] = {
          ...p,
          for: '30m',
          ...(p.threshold !== undefined ? { threshold: p.threshold * 3 + 0.1 } : {}),
        };
      }
      for (const [name, ruleParams] of [
        ['defaults', defaultRuleParams(MANIFESTS_SELECTOR)],
        ['changed', changed],
      ] as const) {
        const rules = path.join(dir, `${name}.rules.yaml`);
        const tests = path.join(dir, `${name}.tests.yaml`);
        await writeFile(rules, stringify({ groups: ruleGroups(ruleParams) }, { lineWidth: 0 }));
        await writeFile(tests, stringify(promtoolTests(path.basename(rules), ruleParams), { lineWidth: 0 }));
        const check = await run(promtool, ['check', 'rules', rules]);
        expect(check.stdout).toContain(`SUCCESS: ${ALERTS.length} rules found`);
        const test = await run(promtool, ['test', 'rules', tests]);
        expect(test.stdout, name).toContain('SUCCESS');
      }
      const shipped = await run(promtool, [
        'check',
        'rules',
        path.join(REPO_ROOT, 'deploy/monitoring/logto-operator.rules.yaml'),
      ]);
      expect(shipped.stdout).toContain(`SUCCESS: ${ALERTS.length} rules found`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
