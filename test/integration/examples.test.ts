/**
 * Every manifest in examples/ is accepted by the apiserver and converges: the top-level examples in
 * one namespace, each object Ready; examples/teams/ in three namespaces of their own, where the team
 * that no grant lets use the role is refused.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { ConnectionPolicy } from '../../src/crd/logto-connection.js';
import { exampleTenant } from '../support/example-tenant.js';
import { startLogtoEmulator, type LogtoEmulator } from '../emulator/index.js';
import { applyYaml, createTestNamespace, testKubeConfig } from '../support/kube.js';
import {
  operatorEnvironment,
  startTestOperator,
  syncedMessage,
  testOperatorConfig,
  TestCluster,
  type TestObject,
  type TestOperator,
  stopAndScanLogs,
} from '../support/operator.js';

const examplesDir = path.resolve(import.meta.dirname, '../../examples');
const teamsDir = path.join(examplesDir, 'teams');
const yamlFiles = async (dir: string) => (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
const files = await yamlFiles(examplesDir);

/**
 * What third-party-consent.yaml says its connection's policy lists: the organization scope made in
 * the Console (examples' tenant), which no kind declares.
 */
const EXAMPLES_POLICY: ConnectionPolicy = { consentScopes: { organizationScopes: ['read:members'] } };

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: Record<string, unknown>;
}

async function manifests(file: string): Promise<Manifest[]> {
  return parseAllDocuments(await readFile(file, 'utf8')).map((doc) => doc.toJS() as Manifest);
}

const KINDS: Record<string, { plural: string; kind: string }> = {
  LogtoApplication: { plural: 'logtoapplications', kind: 'LogtoApplication' },
  LogtoRole: { plural: 'logtoroles', kind: 'LogtoRole' },
  LogtoApiResource: { plural: 'logtoapiresources', kind: 'LogtoApiResource' },
};

interface Reported extends TestObject {
  status?: TestObject['status'] & { applicationId?: string; roleId?: string; resourceId?: string };
}

/** The object a Ready example made in Logto (emulator), by the id its status records. */
function inLogto(emulator: LogtoEmulator, kind: string, resource: Reported): unknown {
  const status = resource.status ?? {};
  if (kind === 'LogtoApplication') return emulator.state.applications.get(status.applicationId ?? '');
  if (kind === 'LogtoRole') return emulator.state.roles.get(status.roleId ?? '');
  return emulator.state.resources.get(status.resourceId ?? '');
}

describe('examples/', () => {
  const env = operatorEnvironment('examples', {
    emulator: exampleTenant(),
    config: { flagPolicy: EXAMPLES_POLICY },
  });
  let emulator: LogtoEmulator, cluster: TestCluster, ns: string;
  beforeAll(() => void ({ emulator, cluster, ns } = env));

  const applications = async () =>
    (await Promise.all(files.map((file) => manifests(path.join(examplesDir, file)))))
      .flat()
      .filter((m) => m.kind === 'LogtoApplication');

  it('has one example per application type', async () => {
    const types = new Set((await applications()).map((m) => m.spec.type as string));
    expect([...types].sort()).toEqual(['MachineToMachine', 'Native', 'Protected', 'SPA', 'Traditional']);
  });

  it('has one example per capability', async () => {
    const fields = new Set<string>();
    for (const manifest of await applications()) {
      for (const key of Object.keys(manifest.spec)) fields.add(key);
      for (const key of Object.keys((manifest.spec.secret as object | undefined) ?? {}))
        fields.add(`secret.${key}`);
    }
    const capabilities = [
      'roles',
      'userConsentScopes',
      'userConsentOrganizations',
      'signInExperience',
      'customData',
      'secrets',
      'rotation',
      'protectedAppMetadata',
      'customDomains',
      'accessControl',
      'deletionPolicy',
      'secret.keys',
      'secret.templates',
      'secret.labels',
    ];
    expect(capabilities.filter((capability) => !fields.has(capability))).toEqual([]);
  });

  it.each(files)('%s becomes Ready', async (file) => {
    const objects = await manifests(path.join(examplesDir, file));
    for (const object of objects) object.metadata.namespace = ns;
    await applyYaml(cluster.kc, objects as never);
    for (const object of objects) {
      const resource = await cluster.of<Reported>(KINDS[object.kind]!).waitReady(ns, object.metadata.name);
      expect(
        inLogto(emulator, object.kind, resource),
        `${object.kind} ${object.metadata.name}`,
      ).toBeDefined();
    }
  });
});

describe('examples/teams/', () => {
  const kc = testKubeConfig();
  const cluster = new TestCluster(kc);
  /** The examples' namespace names, and the fresh namespaces that stand for them. */
  const namespaces = new Map<string, string>();
  let emulator: LogtoEmulator;
  let operator: TestOperator;
  let objects: Manifest[];

  beforeAll(async () => {
    objects = (
      await Promise.all((await yamlFiles(teamsDir)).map((f) => manifests(path.join(teamsDir, f))))
    ).flat();
    for (const object of objects) {
      const team = object.metadata.namespace!;
      if (!namespaces.has(team)) namespaces.set(team, await createTestNamespace(kc, `examples-${team}`));
    }
    emulator = await startLogtoEmulator(exampleTenant());
    operator = await startTestOperator(
      kc,
      testOperatorConfig(emulator, { watchNamespaces: [...namespaces.values()] }),
    );
  });
  afterAll(() => stopAndScanLogs(operator, emulator));

  /** Every `namespace` field naming a team's namespace, rewritten to the namespace standing for it. */
  function relocate(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(relocate);
    if (!value || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, field]) => [
        key,
        key === 'namespace' && typeof field === 'string' ? (namespaces.get(field) ?? field) : relocate(field),
      ]),
    );
  }

  it('the owning and the granted team become Ready; the team without a grant is refused', async () => {
    expect([...namespaces.keys()].sort()).toEqual(['billing', 'inventory', 'marketing']);
    await applyYaml(kc, objects.map(relocate) as never);

    for (const object of objects.filter(
      (o) => o.kind !== 'LogtoGrant' && o.metadata.namespace !== 'marketing',
    )) {
      const resource = await cluster
        .of<Reported>(KINDS[object.kind]!)
        .waitReady(namespaces.get(object.metadata.namespace!)!, object.metadata.name);
      expect(
        inLogto(emulator, object.kind, resource),
        `${object.kind} ${object.metadata.name}`,
      ).toBeDefined();
    }
    const role = [...emulator.state.roles.values()].find((r) => r.name === 'stock-reader')!;
    for (const [team, name] of [
      ['inventory', 'warehouse-sync'],
      ['billing', 'invoice-sync'],
    ] as const) {
      const app = await cluster.get(namespaces.get(team)!, name);
      expect(app?.status?.roles).toEqual([{ id: role.id, name: 'stock-reader' }]);
    }

    const refused = await cluster.waitReady(
      namespaces.get('marketing')!,
      'campaign-sync',
      'False',
      'PolicyDenied',
    );
    expect(refused.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'PolicyDenied',
    });
    expect(refused.status?.applicationId).toBeUndefined();
    // It names what the spec named, nothing of the other teams'.
    const message = syncedMessage(refused);
    expect(message).toContain('"stock-reader"');
    for (const other of [namespaces.get('inventory')!, namespaces.get('billing')!, role.id, 'inventory-api'])
      expect(message).not.toContain(other);
  });
});
