/**
 * The chart's RBAC is enough and no more. The RBAC the chart renders for the namespaced mode is
 * installed, then the real operator runs in-process as the chart's ServiceAccount (impersonated), with
 * the configuration the chart's Deployment passes, against the Logto emulator: the whole lifecycle
 * must work without a single refusal, and so must the reviews of /metrics scrapes by the
 * ServiceAccount the chart binds to its metrics-reader role. SelfSubjectAccessReviews as those
 * ServiceAccounts then pin what they may do, and what they must not.
 */
import {
  AppsV1Api,
  AuthorizationV1Api,
  CoordinationV1Api,
  CoreV1Api,
  loadAllYaml,
  type KubeConfig,
  type V1Deployment,
  type V1ResourceAttributes,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startHttpServer } from '../../src/runtime/http-server.js';
import { metricsServing } from '../../src/runtime/metrics-endpoint.js';
import { OperatorMetrics } from '../../src/runtime/metrics.js';
import { startLogtoEmulator, type LogtoEmulator } from '../emulator/index.js';
import { eventually } from '../support/eventually.js';
import { apiStatus, applyYaml, createTestNamespace, impersonate, testKubeConfig } from '../support/kube.js';
import {
  decodeSecret,
  startTestOperator,
  TestCluster,
  testConnectionSelector,
  type TestOperator,
} from '../support/operator.js';
import { serviceAccountToken } from '../support/metrics-access.js';
import { can, chartConfig, renderChart, serviceAccountUser, whoAmI } from '../support/packaging.js';
import { scrape } from '../support/scrape.js';

/**
 * Its own release name: the chart's ClusterRoleBinding <release>-metrics-auth is cluster-wide, and
 * helm-chart.test.ts applies the default release's to this shared cluster.
 */
const RELEASE = 'logto-operator-rbac';
const LEASE = `${RELEASE}-leader`;
const POD_NAME = 'logto-operator-7d9f8-rbac1';
/** The ServiceAccount the chart binds to its metrics-reader ClusterRole (metrics.readerSubjects). */
const PROMETHEUS = 'prometheus';

/** Whether `kc`'s identity may `verb` the non-resource URL `path` (SelfSubjectAccessReview). */
async function canNonResource(kc: KubeConfig, verb: string, path: string): Promise<boolean> {
  const review = await kc
    .makeApiClient(AuthorizationV1Api)
    .createSelfSubjectAccessReview({ body: { spec: { nonResourceAttributes: { verb, path } } } });
  return review.status?.allowed === true;
}

describe('RBAC of the chart (namespaced mode)', () => {
  const admin = testKubeConfig();
  let emulator: LogtoEmulator;
  let operator: TestOperator | undefined;
  let asOperator: KubeConfig;
  let asPrometheus: KubeConfig;
  let cluster: TestCluster;
  let config: ReturnType<typeof chartConfig>;
  /** The release namespace, two watched namespaces and one the operator must not touch. */
  let home: string;
  let teamA: string;
  let teamB: string;
  let other: string;

  beforeAll(async () => {
    home = await createTestNamespace(admin, 'rbac-home');
    teamA = await createTestNamespace(admin, 'rbac-team-a');
    teamB = await createTestNamespace(admin, 'rbac-team-b');
    other = await createTestNamespace(admin, 'rbac-other');
    emulator = await startLogtoEmulator();

    const rendered = await renderChart(
      home,
      {
        logto: { endpoint: emulator.endpoint, resource: emulator.resourceIndicator },
        watchNamespaces: [teamA, teamB],
        metrics: { readerSubjects: [{ kind: 'ServiceAccount', name: PROMETHEUS, namespace: home }] },
      },
      [],
      RELEASE,
    );
    const objects = loadAllYaml(rendered) as { kind: string }[];
    // Everything but the Deployment (no nodes here to run it) and the Service.
    await applyYaml(admin, objects.filter((o) => !['Deployment', 'Service'].includes(o.kind)) as never);
    const deployment = objects.find((o) => o.kind === 'Deployment') as V1Deployment;
    config = chartConfig(deployment, home, POD_NAME);

    const core = admin.makeApiClient(CoreV1Api);
    await core.createNamespacedSecret({
      namespace: home,
      body: {
        metadata: { name: 'logto-operator-credentials' },
        stringData: {
          clientId: emulator.credentials.clientId,
          clientSecret: emulator.credentials.clientSecret,
        },
      },
    });
    for (const namespace of [home, other]) {
      await core.createNamespacedSecret({
        namespace,
        body: { metadata: { name: 'unrelated' }, stringData: { password: 'not for the operator' } },
      });
    }

    asOperator = impersonate(admin, serviceAccountUser(home, RELEASE));
    asPrometheus = impersonate(admin, serviceAccountUser(home, PROMETHEUS));
    cluster = new TestCluster(admin);
  });

  afterAll(async () => {
    await operator?.stop();
    await emulator?.close();
  });

  it('impersonates the ServiceAccount with the groups a pod token carries', async () => {
    expect(await whoAmI(asOperator)).toEqual({
      username: serviceAccountUser(home, RELEASE),
      groups: expect.arrayContaining([
        'system:serviceaccounts',
        `system:serviceaccounts:${home}`,
        'system:authenticated',
      ]),
    });
  });

  it("loads the chart's configuration: its namespaces, credentials Secret and Lease", () => {
    expect(config).toMatchObject({
      logtoEndpoint: emulator.endpoint,
      watchNamespaces: [teamA, teamB],
      credentialsSecret: { namespace: home, name: 'logto-operator-credentials' },
      leaderElection: { enabled: true, namespace: home, name: LEASE, identity: POD_NAME },
    });
  });

  it('runs the whole lifecycle in both watched namespaces as the ServiceAccount', async () => {
    // Debug: a refused event write is only logged at debug level.
    // Other test files' operators share this apiserver: this one serves only its file's cluster connections.
    operator = await startTestOperator(asOperator, {
      ...config,
      logLevel: 'debug',
      clusterConnectionSelector: testConnectionSelector,
    });

    for (const namespace of [teamA, teamB]) {
      // Create: finalizer, Logto application, status, Secret, event.
      await cluster.create(namespace, 'web', {
        type: 'Traditional',
        oidcClientMetadata: { redirectUris: ['https://web.example/callback'] },
      });
      const ready = await cluster.waitReady(namespace, 'web');
      const id = ready.status!.applicationId!;
      expect(ready.metadata.finalizers).toContain('logto.io/finalizer');
      expect(emulator.state.applications.get(id)).toBeDefined();
      expect(decodeSecret(await cluster.secret(namespace, 'web'))).toMatchObject({ LOGTO_APP_ID: id });

      // Update, renaming the Secret: the new one is applied, the old one deleted.
      await cluster.patch(namespace, 'web', {
        spec: { name: 'Web portal', secret: { name: 'web-credentials' } },
      });
      const updated = await cluster.waitReady(namespace, 'web');
      expect(updated.metadata.generation).toBe(2);
      expect(updated.status!.secretName).toBe('web-credentials');
      expect(emulator.state.applications.get(id)!.name).toBe('Web portal');
      expect(decodeSecret(await cluster.secret(namespace, 'web-credentials'))).toMatchObject({
        LOGTO_APP_ID: id,
      });
      await eventually(async () => (await cluster.secret(namespace, 'web')) === undefined, {
        what: `old Secret ${namespace}/web deleted`,
      });

      // Delete: the Logto application goes, then the finalizer.
      await cluster.delete(namespace, 'web');
      await eventually(async () => (await cluster.get(namespace, 'web')) === undefined, {
        what: `${namespace}/web gone`,
      });
      expect(emulator.state.applications.get(id)).toBeUndefined();

      const events = await eventually(
        async () => {
          const list = await cluster.core.listNamespacedEvent({ namespace });
          const reasons = list.items.filter((e) => e.involvedObject.name === 'web').map((e) => e.reason);
          return reasons.includes('Created') && reasons.includes('Deleted') ? reasons : undefined;
        },
        { what: `events in ${namespace}` },
      );
      expect(events).toEqual(expect.arrayContaining(['Created', 'Deleted']));
    }

    // Not one refusal on the way (a 403 would be logged, retried and reported).
    const refused = operator.logs.filter((line) => /forbidden|HTTP 403/i.test(line));
    expect(refused).toEqual([]);
  });

  it('holds the leader Lease in its own namespace', async () => {
    expect(operator?.operator.isLeader()).toBe(true);
    const lease = await admin
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ namespace: home, name: LEASE });
    expect(lease.spec?.holderIdentity).toBe(POD_NAME);
  });

  const allowed: [string, V1ResourceAttributes][] = [];
  const refused: [string, V1ResourceAttributes][] = [];
  const grants = (what: string, attributes: () => V1ResourceAttributes) => allowed.push([what, attributes()]);
  const denies = (what: string, attributes: () => V1ResourceAttributes) => refused.push([what, attributes()]);

  it('may do exactly what the code needs (SelfSubjectAccessReviews as the ServiceAccount)', async () => {
    const logto = { group: 'logto.io', resource: 'logtoapplications' };
    for (const namespace of [teamA, teamB]) {
      for (const verb of ['get', 'list', 'watch', 'patch'])
        grants(`${verb} LogtoApplications in ${namespace}`, () => ({ ...logto, verb, namespace }));
      grants('patch status', () => ({ ...logto, subresource: 'status', verb: 'patch', namespace }));
      grants('update finalizers', () => ({ ...logto, subresource: 'finalizers', verb: 'update', namespace }));
      for (const resource of ['logtoapiresources', 'logtoroles']) {
        const kind = { group: 'logto.io', resource };
        for (const verb of ['get', 'list', 'watch', 'patch'])
          grants(`${verb} ${resource} in ${namespace}`, () => ({ ...kind, verb, namespace }));
        grants(`patch ${resource} status`, () => ({
          ...kind,
          subresource: 'status',
          verb: 'patch',
          namespace,
        }));
        grants(`update ${resource} finalizers`, () => ({
          ...kind,
          subresource: 'finalizers',
          verb: 'update',
          namespace,
        }));
      }
      for (const verb of ['get', 'list', 'watch'])
        grants(`${verb} LogtoGrants in ${namespace}`, () => ({
          group: 'logto.io',
          resource: 'logtogrants',
          verb,
          namespace,
        }));
      for (const verb of ['get', 'list', 'watch', 'create', 'patch', 'delete'])
        grants(`${verb} Secrets in ${namespace}`, () => ({ resource: 'secrets', verb, namespace }));
      for (const verb of ['create', 'patch'])
        grants(`${verb} Events in ${namespace}`, () => ({ resource: 'events', verb, namespace }));
    }
    grants('get its credentials Secret', () => ({
      resource: 'secrets',
      verb: 'get',
      namespace: home,
      name: 'logto-operator-credentials',
    }));
    grants('create Leases at home', () => ({
      group: 'coordination.k8s.io',
      resource: 'leases',
      verb: 'create',
      namespace: home,
    }));
    for (const verb of ['get', 'update'])
      grants(`${verb} its Lease`, () => ({
        group: 'coordination.k8s.io',
        resource: 'leases',
        verb,
        namespace: home,
        name: LEASE,
      }));

    // Reviews of /metrics scrapes: cluster-scoped, granted in every watch mode.
    grants('create TokenReviews', () => ({
      group: 'authentication.k8s.io',
      resource: 'tokenreviews',
      verb: 'create',
    }));
    grants('create SubjectAccessReviews', () => ({
      group: 'authorization.k8s.io',
      resource: 'subjectaccessreviews',
      verb: 'create',
    }));

    const results = await Promise.all(
      allowed.map(async ([what, a]) => [what, await can(asOperator, a)] as const),
    );
    expect(results.filter(([, ok]) => !ok).map(([what]) => what)).toEqual([]);
  });

  it('lets the ServiceAccount bound to the metrics-reader role get /metrics, and nothing else', async () => {
    expect(await canNonResource(asPrometheus, 'get', '/metrics')).toBe(true);
    for (const [verb, path] of [
      ['post', '/metrics'],
      ['get', '/debug/pprof/'],
      ['get', '/logs/'],
    ] as const)
      expect(await canNonResource(asPrometheus, verb, path), `${verb} ${path}`).toBe(false);
    expect(await can(asPrometheus, { resource: 'secrets', verb: 'list', namespace: home })).toBe(false);
    // The operator itself has no use for its metrics, and may not read them.
    expect(await canNonResource(asOperator, 'get', '/metrics')).toBe(false);
  });

  it("reviews scrapes as the ServiceAccount: Prometheus' token 200, another 403, none 401", async () => {
    const logger = createLogger({ level: 'silent' });
    const serving = await metricsServing({
      metrics: new OperatorMetrics({ defaultMetrics: false }),
      kubeConfig: asOperator,
      logger,
      secure: true,
    });
    const server = await startHttpServer({
      address: { host: '127.0.0.1', port: 0 },
      routes: serving.routes,
      logger,
      name: 'metrics',
      tls: serving.tls,
    });
    try {
      const url = `${server.url}/metrics`;
      const prometheus = await serviceAccountToken(admin, home, PROMETHEUS);
      const other = await serviceAccountToken(admin, home, 'not-prometheus');
      expect((await scrape(url, { token: prometheus })).status).toBe(200);
      expect((await scrape(url, { token: other })).status).toBe(403);
      expect((await scrape(url)).status).toBe(401);
    } finally {
      await server.close();
      serving.close();
    }
  });

  it('may not do anything else that matters (SelfSubjectAccessReviews as the ServiceAccount)', async () => {
    const logto = { group: 'logto.io', resource: 'logtoapplications' };
    for (const verb of ['get', 'list', 'watch'])
      denies(`${verb} Secrets in an unwatched namespace`, () => ({
        resource: 'secrets',
        verb,
        namespace: other,
      }));
    denies('list Secrets cluster-wide', () => ({ resource: 'secrets', verb: 'list' }));
    denies('list LogtoApplications cluster-wide', () => ({ ...logto, verb: 'list' }));
    denies('list LogtoApplications in an unwatched namespace', () => ({
      ...logto,
      verb: 'list',
      namespace: other,
    }));
    denies('patch LogtoApplications in an unwatched namespace', () => ({
      ...logto,
      verb: 'patch',
      namespace: other,
    }));
    for (const verb of ['create', 'update', 'delete', 'deletecollection'])
      denies(`${verb} LogtoApplications`, () => ({ ...logto, verb, namespace: teamA }));
    // It reads LogtoGrants and never writes them (nor the kinds users declare, beyond patches).
    for (const verb of ['create', 'update', 'patch', 'delete', 'deletecollection'])
      denies(`${verb} LogtoGrants`, () => ({
        group: 'logto.io',
        resource: 'logtogrants',
        verb,
        namespace: teamA,
      }));
    for (const resource of ['logtoapiresources', 'logtoroles']) {
      for (const verb of ['create', 'update', 'delete'])
        denies(`${verb} ${resource}`, () => ({ group: 'logto.io', resource, verb, namespace: teamA }));
      denies(`list ${resource} in an unwatched namespace`, () => ({
        group: 'logto.io',
        resource,
        verb: 'list',
        namespace: other,
      }));
    }
    denies('list LogtoGrants in an unwatched namespace', () => ({
      group: 'logto.io',
      resource: 'logtogrants',
      verb: 'list',
      namespace: other,
    }));
    denies('update LogtoApplication status (only patch)', () => ({
      ...logto,
      subresource: 'status',
      verb: 'update',
      namespace: teamA,
    }));
    denies('deletecollection Secrets', () => ({
      resource: 'secrets',
      verb: 'deletecollection',
      namespace: teamA,
    }));
    denies('update Secrets (only patch)', () => ({ resource: 'secrets', verb: 'update', namespace: teamA }));
    denies('read another Secret in its own namespace', () => ({
      resource: 'secrets',
      verb: 'get',
      namespace: home,
      name: 'unrelated',
    }));
    for (const verb of ['list', 'watch', 'create'])
      denies(`${verb} Secrets in its own namespace`, () => ({ resource: 'secrets', verb, namespace: home }));
    for (const verb of ['update', 'patch', 'delete'])
      denies(`${verb} its credentials Secret`, () => ({
        resource: 'secrets',
        verb,
        namespace: home,
        name: 'logto-operator-credentials',
      }));
    const lease = { group: 'coordination.k8s.io', resource: 'leases' };
    denies('update another Lease', () => ({
      ...lease,
      verb: 'update',
      namespace: home,
      name: 'kube-scheduler',
    }));
    denies('delete its Lease', () => ({
      ...lease,
      verb: 'delete',
      namespace: home,
      name: LEASE,
    }));
    denies('create Leases in a watched namespace', () => ({ ...lease, verb: 'create', namespace: teamA }));
    denies('list Leases', () => ({ ...lease, verb: 'list', namespace: home }));
    const crds = { group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions' };
    for (const verb of ['create', 'update', 'patch', 'delete'])
      denies(`${verb} CRDs`, () => ({ ...crds, verb, name: 'logtoapplications.logto.io' }));
    for (const namespace of [home, teamA])
      denies(`create Pods in ${namespace}`, () => ({ resource: 'pods', verb: 'create', namespace }));
    denies('exec into Pods', () => ({
      resource: 'pods',
      subresource: 'exec',
      verb: 'create',
      namespace: teamA,
    }));
    denies('create Deployments', () => ({
      group: 'apps',
      resource: 'deployments',
      verb: 'create',
      namespace: teamA,
    }));
    denies('read ConfigMaps', () => ({ resource: 'configmaps', verb: 'get', namespace: teamA }));
    const rbac = 'rbac.authorization.k8s.io';
    denies('escalate ClusterRoles', () => ({ group: rbac, resource: 'clusterroles', verb: 'escalate' }));
    denies('bind ClusterRoles', () => ({
      group: rbac,
      resource: 'clusterroles',
      verb: 'bind',
      name: 'cluster-admin',
    }));
    denies('create ClusterRoleBindings', () => ({
      group: rbac,
      resource: 'clusterrolebindings',
      verb: 'create',
    }));
    denies('edit its own Role', () => ({
      group: rbac,
      resource: 'roles',
      verb: 'patch',
      namespace: teamA,
      name: `${RELEASE}-manager`,
    }));
    denies('create RoleBindings', () => ({
      group: rbac,
      resource: 'rolebindings',
      verb: 'create',
      namespace: teamA,
    }));
    denies('impersonate users', () => ({ resource: 'users', verb: 'impersonate', name: 'admin' }));
    denies('impersonate ServiceAccounts', () => ({
      resource: 'serviceaccounts',
      verb: 'impersonate',
      namespace: home,
    }));
    denies('mint ServiceAccount tokens', () => ({
      resource: 'serviceaccounts',
      subresource: 'token',
      verb: 'create',
      namespace: home,
      name: RELEASE,
    }));
    denies('create Namespaces', () => ({ resource: 'namespaces', verb: 'create' }));
    denies('delete Namespaces', () => ({ resource: 'namespaces', verb: 'delete', name: teamA }));
    denies('list Nodes', () => ({ resource: 'nodes', verb: 'list' }));
    denies('delete Events', () => ({ resource: 'events', verb: 'delete', namespace: teamA }));

    const results = await Promise.all(
      refused.map(async ([what, a]) => [what, await can(asOperator, a)] as const),
    );
    expect(results.filter(([, ok]) => ok).map(([what]) => what)).toEqual([]);
  });

  it('is refused for real, not just on paper', async () => {
    const core = asOperator.makeApiClient(CoreV1Api);
    for (const [namespace, name] of [
      [other, 'unrelated'],
      [home, 'unrelated'],
    ] as const) {
      const status = await core.readNamespacedSecret({ namespace, name }).then(() => undefined, apiStatus);
      expect(status?.code, `${namespace}/${name}`).toBe(403);
    }
    const apps = await asOperator
      .makeApiClient(AppsV1Api)
      .listNamespacedDeployment({ namespace: home })
      .then(() => undefined, apiStatus);
    expect(apps?.code).toBe(403);
  });
});
