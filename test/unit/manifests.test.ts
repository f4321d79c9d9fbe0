/**
 * The packaging files agree with each other and with the code: the chart's crds/ and
 * deploy/manifests/ are current, values.schema.json covers values.yaml, and what the chart passes to
 * the container is what the operator reads (its settings, its probe and metrics ports, the RBAC names).
 * Runs helm (a local binary, see test/support/tools.ts); no cluster.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { isMap, isPair, isScalar, parse, parseAllDocuments, parseDocument, type Node } from 'yaml';
import { loadConfig, SETTINGS } from '../../src/config.js';
import {
  chartCrds,
  MANIFESTS_NAMESPACE,
  PLACEHOLDER_ENDPOINT,
  REPO_ROOT,
  renderManifests,
} from '../../scripts/render-manifests.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const read = (file: string) => readFile(path.join(REPO_ROOT, file), 'utf8');

async function manifests(): Promise<Obj[]> {
  return parseAllDocuments(await read('deploy/manifests/logto-operator.yaml'))
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

const find = (objects: Obj[], kind: string, name?: string) => {
  const found = objects.find((o) => o.kind === kind && (!name || o.metadata.name === name));
  expect(found, `${kind} ${name ?? ''}`).toBeDefined();
  return found!;
};

describe('generated files', () => {
  it("the chart's crds/ is an exact copy of crds/ (run npm run render:manifests)", async () => {
    const expected = await chartCrds();
    expect(expected.length).toBeGreaterThan(0);
    for (const file of expected) expect(await read(file.path), `${file.path} is stale`).toBe(file.content);
  });

  it('deploy/manifests/ is current with the chart (run npm run render:manifests)', async () => {
    for (const file of await renderManifests()) {
      expect(await read(file.path), `${file.path} is stale`).toBe(file.content);
    }
  });
});

describe('chart metadata and values', () => {
  it("appVersion is package.json's version, and the default image is tagged with it", async () => {
    const chart = parse(await read('deploy/helm/logto-operator/Chart.yaml')) as Obj;
    const pkg = JSON.parse(await read('package.json')) as Obj;
    expect(chart.appVersion).toBe(pkg.version);
    const deployment = find(await manifests(), 'Deployment');
    const image = deployment.spec.template.spec.containers[0].image as string;
    expect(image).toBe(`logto-operator/logto-operator:${pkg.version}`);
    // No registry host in the default: the first path component names an organisation.
    expect(image.split('/')[0]).not.toMatch(/[.:]/);
  });

  it('values.schema.json accepts the defaults and declares every value of values.yaml', async () => {
    const schema = JSON.parse(await read('deploy/helm/logto-operator/values.schema.json')) as Obj;
    const values = parse(await read('deploy/helm/logto-operator/values.yaml')) as Obj;
    const validate = new Ajv({ strict: true, allErrors: true }).compile(schema);
    expect(validate(values), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...values, logto: { ...values.logto, endpoint: 'ftp://x' } })).toBe(false);
    expect(validate({ ...values, unknown: 1 })).toBe(false);

    const undeclared: string[] = [];
    const walk = (value: unknown, node: Obj | undefined, at: string) => {
      if (!node) return void undeclared.push(at);
      if (node.type !== 'object' || node.additionalProperties !== false) return; // free-form below
      for (const [key, child] of Object.entries(value as Obj)) {
        walk(child, (node.properties as Obj | undefined)?.[key] as Obj | undefined, `${at}.${key}`);
      }
    };
    walk(values, schema, '');
    expect(undeclared).toEqual([]);

    // Every value of the schema has a description.
    const undescribed: string[] = [];
    const visit = (node: Obj, at: string) => {
      if (at && typeof node.description !== 'string') undescribed.push(at);
      for (const [key, child] of Object.entries((node.properties as Obj | undefined) ?? {})) {
        visit(child as Obj, `${at}.${key}`);
      }
    };
    visit(schema, '');
    expect(undescribed).toEqual([]);
  });

  it('every value in values.yaml carries a comment (on itself or on an enclosing key)', async () => {
    const doc = parseDocument(await read('deploy/helm/logto-operator/values.yaml'));
    const uncommented: string[] = [];
    const visit = (node: Node | null | undefined, at: string, commented: boolean) => {
      if (!isMap(node)) return;
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const key = `${at}.${String(pair.key.value)}`;
        const has = commented || Boolean(pair.key.commentBefore);
        if (isMap(pair.value) && pair.value.items.length) visit(pair.value, key, has);
        else if (!has) uncommented.push(key);
      }
    };
    visit(doc.contents, '', false);
    expect(uncommented).toEqual([]);
  });
});

describe('deploy/manifests/logto-operator.yaml', () => {
  it('starts with its namespace, enforcing the restricted Pod Security Standard', async () => {
    const [first, ...rest] = await manifests();
    expect(first).toMatchObject({
      kind: 'Namespace',
      metadata: {
        name: MANIFESTS_NAMESPACE,
        labels: { 'pod-security.kubernetes.io/enforce': 'restricted' },
      },
    });
    for (const object of rest) {
      if (!['ClusterRole', 'ClusterRoleBinding'].includes(object.kind as string))
        expect(object.metadata.namespace, `${object.kind} ${object.metadata.name}`).toBe(MANIFESTS_NAMESPACE);
      // Helm-release labels make no sense outside a release.
      expect(Object.keys(object.metadata.labels ?? {})).not.toContain('helm.sh/chart');
      expect(object.metadata.labels?.['app.kubernetes.io/managed-by']).toBeUndefined();
    }
  });

  it('passes only settings the operator knows, and they load (with the downward API resolved)', async () => {
    const objects = await manifests();
    const deployment = find(objects, 'Deployment');
    const container = deployment.spec.template.spec.containers[0] as Obj;
    const known = new Set<string>([
      'POD_NAME',
      'POD_NAMESPACE',
      ...Object.values(SETTINGS as Record<string, { env: string }>).map((s) => s.env),
    ]);
    // Node.js's own, for the heap limit (chart value heapLimitMi).
    const nodeOptions = (container.env as Obj[]).find((variable) => variable.name === 'NODE_OPTIONS');
    expect(nodeOptions?.value).toMatch(/^--max-old-space-size=\d+$/);
    known.add('NODE_OPTIONS');
    const env: Record<string, string> = {};
    for (const variable of container.env as Obj[]) {
      expect(known, `${variable.name} is not an operator setting`).toContain(variable.name);
      if (variable.valueFrom) {
        const field = variable.valueFrom.fieldRef.fieldPath as string;
        env[variable.name] =
          field === 'metadata.namespace' ? MANIFESTS_NAMESPACE : 'logto-operator-abc12-xyz';
      } else env[variable.name] = variable.value as string;
    }
    const config = loadConfig([], env);
    expect(config).toMatchObject({
      logtoEndpoint: PLACEHOLDER_ENDPOINT,
      logtoResource: 'https://default.logto.app/api',
      credentialsSecret: { namespace: MANIFESTS_NAMESPACE, name: 'logto-operator-credentials' },
      credentialsClientIdKey: 'clientId',
      credentialsClientSecretKey: 'clientSecret',
      watchNamespaces: [],
      shutdownTimeoutMs: 30_000,
      leaderElection: { enabled: true, namespace: MANIFESTS_NAMESPACE, name: 'logto-operator-leader' },
      metricsBindAddress: { host: undefined, port: 8443 },
      metricsSecure: true,
      metricsCertDir: undefined,
      healthProbeBindAddress: { host: undefined, port: 8081 },
    });
    // The pod outlives the operator's own shutdown deadline.
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(
      config.shutdownTimeoutMs,
    );
  });

  it('runs a hardened pod with probes and ports that match the bind addresses', async () => {
    const objects = await manifests();
    const deployment = find(objects, 'Deployment');
    const pod = deployment.spec.template.spec as Obj;
    const container = pod.containers[0] as Obj;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(Object.keys(container.resources.requests).sort()).toEqual(['cpu', 'memory']);
    expect(container.resources.limits.memory).toBeDefined();
    expect(deployment.spec.replicas).toBe(1);

    const env = Object.fromEntries((container.env as Obj[]).map((e) => [e.name, e.value]));
    const port = (name: string) => (container.ports as Obj[]).find((p) => p.name === name)?.containerPort;
    expect(env.HEALTH_PROBE_BIND_ADDRESS).toBe(`:${port('probes')}`);
    expect(env.METRICS_BIND_ADDRESS).toBe(`:${port('metrics')}`);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'probes' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'probes' });

    const service = find(objects, 'Service');
    expect(service.spec.ports).toEqual([
      { name: 'https', port: 8443, targetPort: 'metrics', protocol: 'TCP' },
    ]);
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
  });

  it("names the credentials Secret and the Lease in the runtime Role's resourceNames", async () => {
    const objects = await manifests();
    const container = find(objects, 'Deployment').spec.template.spec.containers[0] as Obj;
    const env = Object.fromEntries((container.env as Obj[]).map((e) => [e.name, e.value]));
    const runtime = find(objects, 'Role', 'logto-operator-runtime');
    expect(runtime.rules).toContainEqual({
      apiGroups: [''],
      resources: ['secrets'],
      resourceNames: [String(env.LOGTO_CREDENTIALS_SECRET).split('/')[1]],
      verbs: ['get'],
    });
    expect(runtime.rules).toContainEqual({
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      resourceNames: [env.LEADER_ELECTION_ID],
      verbs: ['get', 'update'],
    });
    // Cluster-wide by default, bound to the chart's ServiceAccount.
    const binding = find(objects, 'ClusterRoleBinding', 'logto-operator-manager');
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'logto-operator', namespace: MANIFESTS_NAMESPACE },
    ]);
  });

  it('lets the operator review scrapes of /metrics, and offers a role to scrape it', async () => {
    const objects = await manifests();
    expect(find(objects, 'ClusterRole', 'logto-operator-metrics-auth').rules).toEqual([
      { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
      { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
    ]);
    expect(find(objects, 'ClusterRoleBinding', 'logto-operator-metrics-auth')).toMatchObject({
      roleRef: { kind: 'ClusterRole', name: 'logto-operator-metrics-auth' },
      subjects: [{ kind: 'ServiceAccount', name: 'logto-operator', namespace: MANIFESTS_NAMESPACE }],
    });
    expect(find(objects, 'ClusterRole', 'logto-operator-metrics-reader').rules).toEqual([
      { nonResourceURLs: ['/metrics'], verbs: ['get'] },
    ]);
    // Nobody is bound to it by default, and the certificate is self-signed (no Secret mounted).
    expect(
      objects.some(
        (o) => o.metadata.name === 'logto-operator-metrics-reader' && o.kind === 'ClusterRoleBinding',
      ),
    ).toBe(false);
    const container = find(objects, 'Deployment').spec.template.spec.containers[0] as Obj;
    expect((container.env as Obj[]).map((e) => e.name)).not.toContain('METRICS_CERT_DIR');
    expect(container.volumeMounts).toBeUndefined();
  });
});
