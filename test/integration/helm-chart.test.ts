/**
 * The Helm chart against a real kube-apiserver: lint, the guards on impossible values, and every
 * documented combination of values accepted by a server-side dry-run apply (schemas, RBAC, strict
 * field validation, the restricted Pod Security Standard). The plain manifests apply as documented.
 */
import { fileURLToPath } from 'node:url';
import { AppsV1Api, CoreV1Api, loadAllYaml, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { CHART_DIR, REPO_ROOT } from '../../scripts/render-manifests.js';
import { defaultRuleParams, ruleGroups } from '../../src/monitoring/alerts.js';
import { dashboard } from '../../src/monitoring/dashboard.js';
import { installCrds } from '../support/control-plane/crds.js';
import { apiStatus, createTestNamespace, testKubeConfig } from '../support/kube.js';
import { renderChart, runTool } from '../support/packaging.js';

const ENDPOINT = 'https://logto.example.com';
/** The one required value, merged into every combination's values. */
const endpoint = ['--set', `logto.endpoint=${ENDPOINT}`];
const SERVICE_MONITOR_CRDS = fileURLToPath(new URL('../fixtures/packaging/crds', import.meta.url));

type Values = Record<string, unknown>;

describe('Helm chart', () => {
  const kc = testKubeConfig();
  const kubeconfig = ['--kubeconfig', inject('kubeconfigPath')];
  let release: string;
  let teamA: string;
  let teamB: string;

  /** The documented combinations (README, values.yaml), with what each must render. */
  const combinations = (): { name: string; values: Values; kinds: string[]; absent?: string[] }[] => [
    {
      name: 'default values (cluster-wide)',
      values: {},
      kinds: [
        'ServiceAccount',
        'ClusterRole',
        'ClusterRoleBinding',
        'Role',
        'RoleBinding',
        'Service',
        'Deployment',
      ],
      absent: ['ServiceMonitor', 'PodDisruptionBudget', 'PrometheusRule', 'ConfigMap'],
    },
    {
      name: 'namespaced, two namespaces',
      values: { watchNamespaces: [teamA, teamB], rbac: { aggregateToDefaultRoles: false } },
      // The cluster-wide ones only let the operator review scrapes of /metrics.
      kinds: [
        'ServiceAccount',
        'Role',
        'RoleBinding',
        'ClusterRole',
        'ClusterRoleBinding',
        'Service',
        'Deployment',
      ],
    },
    {
      name: 'cluster-wide, highly available (2 replicas, spread, PDB)',
      values: {
        replicaCount: 2,
        podDisruptionBudget: { enabled: true, minAvailable: 1, maxUnavailable: null },
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: 'kubernetes.io/hostname',
            whenUnsatisfiable: 'ScheduleAnyway',
            labelSelector: {
              matchLabels: {
                'app.kubernetes.io/name': 'logto-operator',
                'app.kubernetes.io/instance': 'logto-operator',
              },
            },
          },
        ],
        affinity: {
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 100,
                podAffinityTerm: {
                  topologyKey: 'kubernetes.io/hostname',
                  labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'logto-operator' } },
                },
              },
            ],
          },
        },
      },
      kinds: ['ClusterRole', 'Deployment', 'PodDisruptionBudget'],
    },
    {
      name: 'ServiceMonitor on',
      values: {
        metrics: {
          serviceMonitor: {
            enabled: true,
            labels: { release: 'prometheus' },
            interval: '15s',
            relabelings: [
              { action: 'replace', sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' },
            ],
          },
        },
      },
      kinds: ['Service', 'ServiceMonitor'],
    },
    {
      name: 'ServiceMonitor verifying a certificate from a Secret, token from a Secret, Prometheus bound',
      values: {
        metrics: {
          certSecret: 'logto-operator-metrics-cert',
          readerSubjects: [
            { kind: 'ServiceAccount', name: 'prometheus-k8s', namespace: 'monitoring' },
            { kind: 'Group', name: 'metrics-scrapers' },
          ],
          serviceMonitor: {
            enabled: true,
            tokenSecret: { name: 'prometheus-token' },
            tlsConfig: { insecureSkipVerify: false, caSecret: { name: 'logto-operator-metrics-ca' } },
          },
        },
      },
      kinds: ['Service', 'ServiceMonitor', 'ClusterRoleBinding', 'Deployment'],
    },
    {
      name: 'alerts and dashboard on, thresholds changed',
      values: {
        metrics: { serviceMonitor: { enabled: true } },
        prometheusRule: {
          enabled: true,
          labels: { release: 'prometheus' },
          runbookBaseUrl: 'https://git.example/platform/logto-operator/blob/main/docs/runbooks',
          additionalAlertLabels: { team: 'platform' },
          alerts: {
            LogtoOperatorLogtoUnavailable: { threshold: 0.5, for: '20m' },
            LogtoOperatorWorkerStuck: { enabled: false },
          },
        },
        grafanaDashboard: { enabled: true, annotations: { grafana_folder: 'Operators' } },
      },
      kinds: ['ServiceMonitor', 'PrometheusRule', 'ConfigMap'],
    },
    {
      name: "the flag-configured connection's policy loosened",
      values: {
        logto: {
          policy: {
            allowManagementApiRoles: true,
            adoptionNamePatterns: ['legacy-*'],
            adoptionRoleNames: ['Legacy *'],
            adoptionApiResourceIndicators: ['https://legacy.example.com/*'],
            allowedRoles: ['orders-reader'],
            allowedConsentResourceScopes: [
              { indicator: 'https://orders.example.com', scopes: ['read:orders'] },
              { indicator: 'urn:billing' },
            ],
            allowedConsentOrganizationScopes: ['read:members'],
          },
        },
      },
      kinds: ['Deployment'],
    },
    {
      name: 'PodDisruptionBudget on',
      values: { podDisruptionBudget: { enabled: true } },
      kinds: ['PodDisruptionBudget'],
    },
    {
      name: 'leader election off, pinned image, extra settings',
      values: {
        leaderElection: { enabled: false },
        image: { repository: 'registry.internal/logto-operator', digest: `sha256:${'a'.repeat(64)}` },
        imagePullSecrets: [{ name: 'regcred' }],
        logto: { publicEndpoint: 'https://id.example.com', resource: 'https://tenant.logto.app/api' },
        extraEnv: [{ name: 'NODE_OPTIONS', value: '--max-old-space-size=192' }],
        priorityClassName: 'system-cluster-critical',
        podAnnotations: { 'example.com/team': 'platform' },
        metrics: { service: { enabled: false } },
      },
      kinds: ['Deployment'],
      absent: ['Service'],
    },
  ];

  beforeAll(async () => {
    release = await createTestNamespace(kc, 'chart');
    teamA = await createTestNamespace(kc, 'chart-team-a');
    teamB = await createTestNamespace(kc, 'chart-team-b');
    // The release namespace enforces (and warns about) the restricted Pod Security Standard.
    await runTool('kubectl', [
      ...kubeconfig,
      'label',
      'namespace',
      release,
      'pod-security.kubernetes.io/enforce=restricted',
      'pod-security.kubernetes.io/warn=restricted',
    ]);
    await installCrds(kc, SERVICE_MONITOR_CRDS);
  });

  it('passes helm lint --strict with each documented combination', async () => {
    for (const { name, values } of combinations()) {
      const lint = await runTool('helm', ['lint', '--strict', CHART_DIR, '-f', '-', ...endpoint], {
        input: stringify(values),
      });
      expect(lint.code, `${name}: ${lint.stdout}${lint.stderr}`).toBe(0);
      expect(lint.stdout).toContain('0 chart(s) failed');
    }
  });

  it('refuses impossible values with a message that says what to fix', async () => {
    const cases: [Values, RegExp][] = [
      [{}, /logto\.endpoint is required/],
      [{ logto: { endpoint: 'logto.example.com' } }, /endpoint.*does not match pattern/],
      [
        { logto: { endpoint: ENDPOINT }, replicaCount: 2, leaderElection: { enabled: false } },
        /requires leaderElection/,
      ],
      [
        { logto: { endpoint: ENDPOINT }, terminationGracePeriodSeconds: 30 },
        /must exceed shutdownTimeoutSeconds/,
      ],
      [
        {
          logto: { endpoint: ENDPOINT },
          metrics: { service: { enabled: false }, serviceMonitor: { enabled: true } },
        },
        /requires metrics\.service\.enabled/,
      ],
      [
        {
          logto: { endpoint: ENDPOINT },
          metrics: { serviceMonitor: { enabled: true, tlsConfig: { caSecret: { name: 'ca' } } } },
        },
        /set insecureSkipVerify to false when caSecret\.name/,
      ],
      [
        {
          logto: { endpoint: ENDPOINT },
          metrics: { serviceMonitor: { enabled: true, tlsConfig: { insecureSkipVerify: false } } },
        },
        /insecureSkipVerify false requires caSecret\.name/,
      ],
      [
        {
          logto: { endpoint: ENDPOINT },
          metrics: { readerSubjects: [{ kind: 'ServiceAccount', name: 'p' }] },
        },
        /readerSubjects\/0'?: missing property 'namespace'/,
      ],
      [
        { logto: { endpoint: ENDPOINT }, podDisruptionBudget: { enabled: true, minAvailable: 1 } },
        /either minAvailable or maxUnavailable/,
      ],
      [
        { logto: { endpoint: ENDPOINT }, watchNamespaces: ['Team_A'] },
        /watchNamespaces.*does not match pattern/,
      ],
      [{ logto: { endpoint: ENDPOINT }, resyncPeriod: 'often' }, /resyncPeriod.*does not match pattern/],
      [
        {
          logto: {
            endpoint: ENDPOINT,
            policy: { allowedConsentResourceScopes: [{ indicator: 'https://orders.example.com#read' }] },
          },
        },
        /allowedConsentResourceScopes\/0\/indicator'?: .*does not match pattern/,
      ],
      [
        { logto: { endpoint: ENDPOINT }, prometheusRule: { alerts: { LogtoOperatorDown: { for: 'soon' } } } },
        /for.*does not match pattern/,
      ],
      [
        {
          logto: { endpoint: ENDPOINT },
          prometheusRule: { alerts: { LogtoOperatorTypo: { enabled: true } } },
        },
        /additional properties 'LogtoOperatorTypo' not allowed/,
      ],
      [{ logto: { endpoint: ENDPOINT }, replicas: 2 }, /additional properties 'replicas' not allowed/],
      [
        { logto: { endpoint: ENDPOINT }, serviceAccount: { create: false } },
        /serviceAccount\.name is required/,
      ],
    ];
    for (const [values, message] of cases) {
      const run = await runTool('helm', ['template', 'logto-operator', CHART_DIR, '-f', '-'], {
        input: stringify(values),
      });
      expect(run.code, JSON.stringify(values)).not.toBe(0);
      expect(run.stderr, JSON.stringify(values)).toMatch(message);
    }
  });

  it('renders each combination into objects the apiserver accepts (server-side dry-run)', async () => {
    for (const { name, values, kinds, absent = [] } of combinations()) {
      const rendered = await renderChart(release, values, endpoint);
      const rendKinds = new Set(loadAllYaml(rendered).map((o: { kind: string }) => o.kind));
      for (const kind of kinds) expect(rendKinds, `${name}: ${kind}`).toContain(kind);
      for (const kind of absent) expect(rendKinds, `${name}: no ${kind}`).not.toContain(kind);

      const apply = await runTool(
        'kubectl',
        [
          ...kubeconfig,
          'apply',
          '--server-side',
          '--dry-run=server',
          '--field-manager=helm-chart-test',
          '-f',
          '-',
        ],
        { input: rendered },
      );
      expect(apply.code, `${name}: ${apply.stderr}`).toBe(0);
      // No Pod Security warning for the Deployment's pod template (the namespace warns on restricted).
      expect(apply.stderr, name).toBe('');
      const applied = apply.stdout.split('\n').filter(Boolean);
      expect(applied.length, name).toBe(loadAllYaml(rendered).length);
      expect(
        applied.every((line) => line.endsWith('serverside-applied (server dry run)')),
        apply.stdout,
      ).toBe(true);
    }
  });

  it('namespaced mode grants one Role per watched namespace, and cluster-wide only the reviews of scrapes', async () => {
    const objects = loadAllYaml(
      await renderChart(release, { watchNamespaces: [teamA, teamB] }, endpoint),
    ) as { kind: string; metadata: { name: string; namespace?: string } }[];
    const where = (kind: string) =>
      objects
        .filter((o) => o.kind === kind)
        .map((o) => o.metadata.namespace)
        .sort();
    expect(where('Role')).toEqual([release, teamA, teamB].sort());
    expect(where('RoleBinding')).toEqual([release, teamA, teamB].sort());
    // Cluster-scoped: the aggregated user-facing roles and the metrics reader (which grant the
    // operator nothing), the reviews of /metrics scrapes, and the cluster-scoped ClusterLogtoConnections
    // (with namespace labels for their selectors): the operator's only cluster-wide bindings.
    const names = (kind: string) =>
      objects
        .filter((o) => o.kind === kind)
        .map((o) => o.metadata.name)
        .sort();
    expect(names('ClusterRoleBinding')).toEqual([
      'logto-operator-connections',
      'logto-operator-metrics-auth',
    ]);
    expect(names('ClusterRole')).toEqual([
      'logto-operator-connections',
      'logto-operator-connections-view',
      'logto-operator-edit',
      'logto-operator-grants-admin',
      'logto-operator-metrics-auth',
      'logto-operator-metrics-reader',
      'logto-operator-view',
    ]);
    const auth = objects.find(
      (o) => o.kind === 'ClusterRole' && o.metadata.name.endsWith('-metrics-auth'),
    ) as unknown as { rules: unknown[] };
    expect(auth.rules).toEqual([
      { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
      { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
    ]);
  });

  it('renders a ServiceMonitor that scrapes over HTTPS with a bearer token', async () => {
    const endpointOf = async (values: Values) => {
      const objects = loadAllYaml(await renderChart(release, values, endpoint)) as {
        kind: string;
        spec: { endpoints: Record<string, unknown>[] };
      }[];
      return objects.find((o) => o.kind === 'ServiceMonitor')!.spec.endpoints[0];
    };
    expect(await endpointOf({ metrics: { serviceMonitor: { enabled: true } } })).toMatchObject({
      port: 'https',
      scheme: 'https',
      path: '/metrics',
      bearerTokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
      tlsConfig: { insecureSkipVerify: true },
    });
    const verified = await endpointOf({
      metrics: {
        serviceMonitor: {
          enabled: true,
          tokenSecret: { name: 'prometheus-token', key: 'token' },
          tlsConfig: { insecureSkipVerify: false, caSecret: { name: 'metrics-ca' } },
        },
      },
    });
    expect(verified).toMatchObject({
      authorization: { type: 'Bearer', credentials: { name: 'prometheus-token', key: 'token' } },
      tlsConfig: {
        ca: { secret: { name: 'metrics-ca', key: 'ca.crt' } },
        serverName: `logto-operator-metrics.${release}.svc`,
      },
    });
    expect(verified).not.toHaveProperty('bearerTokenFile');
    expect(verified!.tlsConfig).not.toHaveProperty('insecureSkipVerify');
  });

  it('renders the generated alerts (with the values as thresholds) and the dashboard in a ConfigMap', async () => {
    type Rule = { alert: string; expr: string; for: string; labels: Record<string, string> };
    const render = async (values: Values) =>
      loadAllYaml(await renderChart(release, values, endpoint)) as {
        kind: string;
        metadata: { name: string; namespace: string; labels: Record<string, string> };
        spec: { groups: { name: string; rules: Rule[] }[] };
        data: Record<string, string>;
      }[];
    const objects = await render({ prometheusRule: { enabled: true }, grafanaDashboard: { enabled: true } });
    // With the defaults, exactly the rules of the generator, selecting what the ServiceMonitor scrapes.
    const rule = objects.find((o) => o.kind === 'PrometheusRule')!;
    expect(rule.spec.groups).toEqual(
      ruleGroups(defaultRuleParams(`job="logto-operator-metrics",namespace="${release}"`)),
    );
    const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
    expect(configMap.metadata).toMatchObject({ namespace: release, labels: { grafana_dashboard: '1' } });
    expect(JSON.parse(configMap.data['logto-operator.json']!)).toEqual(dashboard());

    const changed = await render({
      prometheusRule: {
        enabled: true,
        selector: 'job="ops",cluster="eu"',
        rateWindow: '15m',
        runbookBaseUrl: 'https://git.example/runbooks/',
        additionalAlertLabels: { team: 'platform' },
        alerts: { LogtoOperatorWorkQueueDepthHigh: { threshold: 250, for: '30m', severity: 'critical' } },
      },
    });
    const rules = changed.find((o) => o.kind === 'PrometheusRule')!.spec.groups[0]!.rules;
    const depth = rules.find((r) => r.alert === 'LogtoOperatorWorkQueueDepthHigh')!;
    expect(depth).toMatchObject({
      expr: 'max by (job, namespace, name) (workqueue_depth{job="ops",cluster="eu"}) > 250',
      for: '30m',
      labels: { severity: 'critical', team: 'platform' },
      annotations: { runbook_url: 'https://git.example/runbooks/LogtoOperatorWorkQueueDepthHigh.md' },
    });
    expect(rules.find((r) => r.alert === 'LogtoOperatorLogtoUnavailable')!.expr).toContain('[15m]');
  });

  it("admits the operator's pod where the restricted Pod Security Standard is enforced", async () => {
    const core = kc.makeApiClient(CoreV1Api);
    for (const values of [{}, { replicaCount: 2, leaderElection: { enabled: true } }]) {
      const objects = loadAllYaml(await renderChart(release, values, endpoint));
      const deployment = objects.find((o: { kind: string }) => o.kind === 'Deployment') as V1Deployment;
      const pod: V1Pod = {
        metadata: {
          name: 'operator-pod-check',
          namespace: release,
          labels: deployment.spec!.template.metadata!.labels,
        },
        spec: deployment.spec!.template.spec!,
      };
      await core.createNamespacedPod({ namespace: release, body: pod, dryRun: 'All' });
    }
    // The namespace really enforces it: the same pod with privilege escalation allowed is refused.
    const objects = loadAllYaml(await renderChart(release, {}, endpoint));
    const deployment = objects.find((o: { kind: string }) => o.kind === 'Deployment') as V1Deployment;
    const spec = deployment.spec!.template.spec!;
    spec.containers[0]!.securityContext!.allowPrivilegeEscalation = true;
    const refused = await core
      .createNamespacedPod({
        namespace: release,
        body: { metadata: { name: 'operator-pod-check' }, spec },
        dryRun: 'All',
      })
      .then(() => undefined, apiStatus);
    expect(refused?.message).toMatch(/violates PodSecurity "restricted/);
  });

  it('limits the heap below the memory limit through NODE_OPTIONS, unless extraEnv sets NODE_OPTIONS', async () => {
    const nodeOptions = async (values: Record<string, unknown>) => {
      const objects = loadAllYaml(await renderChart(release, values, endpoint));
      const deployment = objects.find((o: { kind: string }) => o.kind === 'Deployment') as V1Deployment;
      return deployment
        .spec!.template.spec!.containers[0]!.env!.filter((e) => e.name === 'NODE_OPTIONS')
        .map((e) => e.value);
    };
    expect(await nodeOptions({})).toEqual(['--max-old-space-size=160 --max-semi-space-size=8']);
    expect(await nodeOptions({ heapLimitMi: 300 })).toEqual([
      '--max-old-space-size=300 --max-semi-space-size=8',
    ]);
    expect(await nodeOptions({ heapLimitMi: 0 })).toEqual([]);
    expect(
      await nodeOptions({ extraEnv: [{ name: 'NODE_OPTIONS', value: '--max-old-space-size=192' }] }),
    ).toEqual(['--max-old-space-size=192']);
  });

  it('deploy/manifests applies as documented: kubectl apply -f crds/ && kubectl apply -f deploy/manifests/', async () => {
    // The CRDs are already installed in this shared cluster: dry-run them, apply the manifests for real.
    const crds = await runTool('kubectl', [...kubeconfig, 'apply', '--dry-run=server', '-f', 'crds/'], {
      cwd: REPO_ROOT,
    });
    expect(crds.code, crds.stderr).toBe(0);
    const manifests = await runTool('kubectl', [...kubeconfig, 'apply', '-f', 'deploy/manifests/'], {
      cwd: REPO_ROOT,
    });
    expect(manifests.code, manifests.stderr).toBe(0);
    expect(manifests.stdout).toMatch(/^namespace\/logto-operator (created|unchanged)$/m);
    expect(manifests.stdout).toMatch(/^deployment\.apps\/logto-operator (created|unchanged)$/m);
    const deployment = await kc
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ namespace: 'logto-operator', name: 'logto-operator' });
    expect(deployment.spec?.template.spec?.serviceAccountName).toBe('logto-operator');
  });
});
