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
  helmTemplate,
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
    expect(nodeOptions?.value).toMatch(/^--max-old-space-size=\d+ --max-semi-space-size=\d+$/);
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

describe('RBAC of the logto.io kinds', () => {
  type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };
  const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'];
  /** The verbs the rules give on `resource` of logto.io. */
  const verbsOn = (rules: Rule[], resource: string) =>
    new Set(
      rules
        .filter((r) => r.apiGroups.includes('logto.io') && r.resources.includes(resource))
        .flatMap((r) => r.verbs),
    );
  /** The rules the ClusterRoles labelled aggregate-to-<role> add to the built-in role. */
  const aggregatedInto = (objects: Obj[], role: 'admin' | 'edit' | 'view'): Rule[] =>
    objects
      .filter(
        (o) =>
          o.kind === 'ClusterRole' &&
          o.metadata.labels?.[`rbac.authorization.k8s.io/aggregate-to-${role}`] === 'true',
      )
      .flatMap((o) => o.rules as Rule[]);

  it('lets the operator manage LogtoApiResources and LogtoRoles as LogtoApplications, and only read LogtoGrants', async () => {
    const manager = find(await manifests(), 'ClusterRole', 'logto-operator-manager').rules as Rule[];
    for (const resource of ['logtoapplications', 'logtoapiresources', 'logtoroles']) {
      expect([...verbsOn(manager, resource)].sort(), resource).toEqual(['get', 'list', 'patch', 'watch']);
      expect([...verbsOn(manager, `${resource}/status`)], resource).toEqual(['patch']);
      expect([...verbsOn(manager, `${resource}/finalizers`)], resource).toEqual(['update']);
    }
    expect([...verbsOn(manager, 'logtogrants')].sort()).toEqual(['get', 'list', 'watch']);
    expect(verbsOn(manager, 'logtogrants/status').size).toBe(0);
  });

  it('gives the namespaced mode the same rules, in each watched namespace', async () => {
    const objects = parseAllDocuments(
      await helmTemplate([
        '--set',
        `logto.endpoint=${PLACEHOLDER_ENDPOINT}`,
        '--set',
        'watchNamespaces={team-a,team-b}',
      ]),
    ).map((d) => d.toJS() as Obj);
    const cluster = find(await manifests(), 'ClusterRole', 'logto-operator-manager').rules;
    const roles = objects.filter((o) => o?.kind === 'Role' && o.metadata.name === 'logto-operator-manager');
    expect(roles.map((r) => r.metadata.namespace)).toEqual(['team-a', 'team-b']);
    for (const role of roles) expect(role.rules).toEqual(cluster);
    expect(
      objects.some((o) => o?.kind === 'ClusterRole' && o.metadata.name === 'logto-operator-manager'),
    ).toBe(false);
  });

  it('aggregates LogtoApiResource and LogtoRole into edit, admin and view; LogtoGrant writes into admin only', async () => {
    const objects = await manifests();
    const [admin, edit, view] = (['admin', 'edit', 'view'] as const).map((role) =>
      aggregatedInto(objects, role),
    );
    for (const resource of ['logtoapplications', 'logtoconnections', 'logtoapiresources', 'logtoroles']) {
      for (const rules of [admin!, edit!])
        expect([...verbsOn(rules, resource)], resource).toEqual(expect.arrayContaining(WRITE_VERBS));
      expect([...verbsOn(view!, resource)].sort(), resource).toEqual(['get', 'list', 'watch']);
      expect([...verbsOn(view!, `${resource}/status`)].sort(), resource).toEqual(['get', 'list', 'watch']);
    }
    // A grant hands the namespace's roles and scopes to other namespaces: admin only.
    expect([...verbsOn(admin!, 'logtogrants')]).toEqual(expect.arrayContaining(WRITE_VERBS));
    expect([...verbsOn(edit!, 'logtogrants')].sort()).toEqual(['get', 'list', 'watch']);
    expect([...verbsOn(view!, 'logtogrants')].sort()).toEqual(['get', 'list', 'watch']);
    const grantsAdmin = find(objects, 'ClusterRole', 'logto-operator-grants-admin');
    expect(Object.keys(grantsAdmin.metadata.labels).filter((l) => l.includes('aggregate-to'))).toEqual([
      'rbac.authorization.k8s.io/aggregate-to-admin',
    ]);
  });

  it('renders none of them without rbac.aggregateToDefaultRoles', async () => {
    const objects = parseAllDocuments(
      await helmTemplate([
        '--set',
        `logto.endpoint=${PLACEHOLDER_ENDPOINT}`,
        '--set',
        'rbac.aggregateToDefaultRoles=false',
      ]),
    ).map((d) => d.toJS() as Obj);
    expect(
      objects.filter((o) => o && JSON.stringify(o.metadata?.labels ?? {}).includes('aggregate-to')),
    ).toEqual([]);
  });
});

describe("the flag-configured connection's policy in the chart", () => {
  it('passes logto.policy.* as the settings the operator parses, consent scopes as <indicator>#<scope>', async () => {
    const values = {
      logto: {
        endpoint: PLACEHOLDER_ENDPOINT,
        policy: {
          allowedRoles: ['orders-reader', 'Legacy role'],
          allowedConsentResourceScopes: [
            { indicator: 'https://api.example.com', scopes: ['read:orders', 'write:orders'] },
            { indicator: 'urn:billing' },
          ],
          allowedConsentOrganizationScopes: ['read:members'],
          adoptionRoleNames: ['legacy-*'],
          adoptionApiResourceIndicators: ['https://legacy.example.com/*'],
        },
      },
    };
    const rendered = await helmTemplate([
      '--namespace',
      MANIFESTS_NAMESPACE,
      '--set-json',
      `logto=${JSON.stringify(values.logto)}`,
    ]);
    const deployment = parseAllDocuments(rendered)
      .map((d) => d.toJS() as Obj)
      .find((o) => o?.kind === 'Deployment')!;
    const env = Object.fromEntries(
      (deployment.spec.template.spec.containers[0].env as Obj[])
        .filter((e) => e.value !== undefined)
        .map((e) => [e.name as string, e.value as string]),
    );
    expect(env.ALLOWED_CONSENT_RESOURCE_SCOPES).toBe(
      'https://api.example.com#read:orders,https://api.example.com#write:orders,urn:billing#*',
    );
    expect(loadConfig([], env).flagPolicy).toEqual({
      roles: { allowManagementApiRoles: false, allowed: ['orders-reader', 'Legacy role'] },
      consentScopes: {
        resources: [
          { indicator: 'https://api.example.com', scopes: ['read:orders', 'write:orders'] },
          { indicator: 'urn:billing' },
        ],
        organizationScopes: ['read:members'],
      },
      adoption: {
        applicationIds: [],
        namePatterns: [],
        allowManagementApiApplications: false,
        roleNames: ['legacy-*'],
        apiResourceIndicators: ['https://legacy.example.com/*'],
      },
    });
  });

  it('refuses an indicator with # or a comma, and scopes with a comma (values.schema.json)', async () => {
    const schema = JSON.parse(await read('deploy/helm/logto-operator/values.schema.json')) as Obj;
    const values = parse(await read('deploy/helm/logto-operator/values.yaml')) as Obj;
    const validate = new Ajv({ strict: true, allErrors: true }).compile(schema);
    const withScopes = (entries: unknown) => ({
      ...values,
      logto: { ...values.logto, policy: { ...values.logto.policy, allowedConsentResourceScopes: entries } },
    });
    expect(validate(withScopes([{ indicator: 'https://a', scopes: ['read'] }, { indicator: 'urn:b' }]))).toBe(
      true,
    );
    for (const bad of [
      [{ indicator: 'https://a#x' }],
      [{ indicator: 'https://a,https://b' }],
      [{ indicator: 'https://a', scopes: ['read,write'] }],
      [{ indicator: 'https://a', scopes: [] }],
      [{ scopes: ['read'] }],
    ])
      expect(validate(withScopes(bad)), JSON.stringify(bad)).toBe(false);
  });
});
