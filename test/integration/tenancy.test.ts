/**
 * Tenancy: connections and their policy, against the real apiserver and two Logto emulators (each
 * emulator is one tenant). The operator runs with the flag-configured connection on tenant A and its
 * secure default policy; a ClusterLogtoConnection and a LogtoConnection reach tenant B. These tests
 * need the Kubernetes objects: connection objects, their namespaceSelector, credentials Secrets and
 * finalizers. The flag connection's default policy refusing escalations, and a connection that does
 * not exist, are tested without a control plane: test/unit/logto-application/policy-escalations.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { LogtoApplication } from '../../src/crd/logto-application.js';
import type { LogtoConnectionObject } from '../../src/crd/logto-connection.js';
import { EmulatorApi } from '../emulator/harness.js';
import { startLogtoEmulator, type LogtoEmulator } from '../emulator/index.js';
import { MARKER_KEY } from '../../src/controllers/logto-application/ownership-marker.js';
import { eventually } from '../support/eventually.js';
import { createTestNamespace, testKubeConfig } from '../support/kube.js';
import {
  TEST_CONNECTION_LABEL,
  TestCluster,
  emulatorSecrets,
  startTestOperator,
  syncNow,
  syncedMessage,
  testFileId,
  testOperatorConfig,
  type TestOperator,
} from '../support/operator.js';

const GROUP = 'logto.io';
const VERSION = 'v1alpha1';
const suffix = randomBytes(3).toString('hex');
const clusterB = `tenant-b-${suffix}`;
const selective = `selective-${suffix}`;
const allowedLabel = `tenancy-test-${suffix}`;

describe('tenancy', () => {
  const kc = testKubeConfig();
  const cluster = new TestCluster(kc);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  let tenantA: LogtoEmulator;
  let tenantB: LogtoEmulator;
  let operator: TestOperator;
  let nsA: string;
  let nsB: string;
  let nsOut: string;

  const writesTo = (emulator: LogtoEmulator, since: number) =>
    emulator.calls
      .list()
      .slice(since)
      .filter((c) => c.method !== 'GET' && c.route !== '/oidc/token');

  const readyCondition = (resource: LogtoApplication | undefined) =>
    resource?.status?.conditions?.find((c) => c.type === 'Ready');
  const readyConditionOf = (connection: LogtoConnectionObject | undefined) =>
    connection?.status?.conditions?.find((c) => c.type === 'Ready');

  const credentialsSecret = (namespace: string, name: string, emulator: LogtoEmulator, secret?: string) =>
    core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name },
        stringData: {
          clientId: emulator.credentials.clientId,
          clientSecret: secret ?? emulator.credentials.clientSecret,
        },
      },
    });

  const connectionSpec = (emulator: LogtoEmulator, secret: { name: string; namespace?: string }) => ({
    endpoint: emulator.endpoint,
    managementApiResource: emulator.resourceIndicator,
    credentialsSecretRef: secret,
  });

  const createClusterConnection = (name: string, spec: object, annotations?: Record<string, string>) =>
    custom.createClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: 'clusterlogtoconnections',
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'ClusterLogtoConnection',
        metadata: {
          name,
          labels: { [TEST_CONNECTION_LABEL]: testFileId },
          ...(annotations ? { annotations } : {}),
        },
        spec,
      },
    });

  const getClusterConnection = async (name: string): Promise<LogtoConnectionObject | undefined> => {
    try {
      return (await custom.getClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: 'clusterlogtoconnections',
        name,
      })) as LogtoConnectionObject;
    } catch (error) {
      if ((error as { code?: number }).code === 404) return undefined;
      throw error;
    }
  };

  const waitConnectionReady = (name: string) =>
    eventually(
      async () => {
        const connection = await getClusterConnection(name);
        const ready = connection?.status?.conditions?.find((c) => c.type === 'Ready');
        return ready?.status === 'True' && ready.observedGeneration === connection?.metadata.generation
          ? connection
          : undefined;
      },
      { what: `ClusterLogtoConnection ${name} Ready`, timeoutMs: 30_000 },
    );

  beforeAll(async () => {
    tenantA = await startLogtoEmulator();
    tenantB = await startLogtoEmulator();
    nsA = await createTestNamespace(kc, 'tenancy-a');
    nsB = await createTestNamespace(kc, 'tenancy-b');
    nsOut = await createTestNamespace(kc, 'tenancy-out');
    await core.patchNamespace(
      { name: nsB, body: { metadata: { labels: { [allowedLabel]: 'yes' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await credentialsSecret(nsA, 'tenant-b-credentials', tenantB);
    operator = await startTestOperator(
      kc,
      // A short sweep period: each connection's tenant is swept, not only the flags'.
      testOperatorConfig(tenantA, { watchNamespaces: [nsA, nsB, nsOut], sweepPeriodMs: 3_000 }),
    );
    await createClusterConnection(
      clusterB,
      connectionSpec(tenantB, { name: 'tenant-b-credentials', namespace: nsA }),
    );
    await createClusterConnection(selective, {
      ...connectionSpec(tenantB, { name: 'tenant-b-credentials', namespace: nsA }),
      policy: { namespaceSelector: { matchLabels: { [allowedLabel]: 'yes' } } },
    });
    await waitConnectionReady(clusterB);
    await waitConnectionReady(selective);
  });

  afterAll(async () => {
    await operator?.stop();
    const secrets = [tenantA, tenantB].flatMap((e) => (e ? emulatorSecrets(e) : []));
    await tenantA?.close();
    await tenantB?.close();
    const leaked = secrets.filter((s) => operator?.logs.some((line) => line.includes(s)));
    expect(leaked, 'secret values or tokens in the operator logs').toEqual([]);
  });

  describe('a connection policy refuses with PolicyDenied and no Logto write', () => {
    it('a ClusterLogtoConnection from a namespace outside its selector', async () => {
      const since = tenantB.calls.count();
      await cluster.create(nsOut, 'outsider', {
        type: 'SPA',
        connectionRef: { kind: 'ClusterLogtoConnection', name: selective },
      });
      const refused = await cluster.waitReady(nsOut, 'outsider', 'False', 'PolicyDenied');
      expect(syncedMessage(refused)).toContain('namespaceSelector');
      expect(syncedMessage(refused)).toContain(`ClusterLogtoConnection ${selective}`);
      expect(writesTo(tenantB, since)).toEqual([]);
      // The selected namespace may use it.
      await cluster.create(nsB, 'insider', {
        type: 'SPA',
        connectionRef: { kind: 'ClusterLogtoConnection', name: selective },
      });
      const ready = await cluster.waitReady(nsB, 'insider');
      expect(tenantB.state.applications.has(ready.status!.applicationId!)).toBe(true);
    });
  });

  it('a namespace labelled into the selector goes on at once; labelled out, it can still delete what it made', async () => {
    const label = (value: string | null) =>
      core.patchNamespace(
        { name: nsOut, body: { metadata: { labels: { [allowedLabel]: value } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    // 'outsider' was refused above, and is looked at again in minutes: the label wakes it now.
    await label('yes');
    const admitted = await cluster.waitReady(nsOut, 'outsider', 'True', undefined, 10_000);
    const id = admitted.status!.applicationId!;
    expect(tenantB.state.applications.has(id)).toBe(true);
    expect(admitted.metadata.annotations?.['logto.io/force-sync']).toBeUndefined();

    // Out of the selector again: the policy no longer lets it use the connection, but deletion is no use.
    await label(null);
    await cluster.delete(nsOut, 'outsider');
    await eventually(async () => (await cluster.get(nsOut, 'outsider')) === undefined, {
      what: 'outsider deleted',
      timeoutMs: 10_000,
    });
    expect(tenantB.state.applications.has(id)).toBe(false);
  });

  it('deleting through a connection whose credentials were revoked waits, saying why and what to do, and ends once they are back', async () => {
    const revocable = `revocable-${suffix}`;
    await credentialsSecret(nsA, 'revocable-credentials', tenantB);
    await createClusterConnection(
      revocable,
      connectionSpec(tenantB, { name: 'revocable-credentials', namespace: nsA }),
    );
    await waitConnectionReady(revocable);
    await cluster.create(nsB, 'revocable', {
      type: 'SPA',
      connectionRef: { kind: 'ClusterLogtoConnection', name: revocable },
    });
    const id = (await cluster.waitReady(nsB, 'revocable')).status!.applicationId!;

    const setSecret = (clientSecret: string) =>
      core.patchNamespacedSecret(
        { namespace: nsA, name: 'revocable-credentials', body: { stringData: { clientSecret } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    await setSecret('revoked');
    await eventually(
      async () => readyConditionOf(await getClusterConnection(revocable))?.status === 'False',
      { what: `${revocable} not Ready` },
    );
    await cluster.delete(nsB, 'revocable');
    const waiting = await cluster.waitReady(nsB, 'revocable', 'False', 'DeletionFailed');
    expect(syncedMessage(waiting)).toContain(`ClusterLogtoConnection ${revocable} is not Ready`);
    expect(syncedMessage(waiting)).toContain('remove the finalizer');
    expect(tenantB.state.applications.has(id)).toBe(true);

    await setSecret(tenantB.credentials.clientSecret);
    await eventually(async () => (await cluster.get(nsB, 'revocable')) === undefined, {
      what: 'revocable deleted once the credentials are back',
      timeoutMs: 30_000,
    });
    expect(tenantB.state.applications.has(id)).toBe(false);
  });

  it('adopts an application with isAdmin only through a connection that allows it, and reports isAdmin', async () => {
    const permissive = `permissive-${suffix}`;
    await createClusterConnection(permissive, {
      ...connectionSpec(tenantB, { name: 'tenant-b-credentials', namespace: nsA }),
      policy: { adoption: { namePatterns: ['admin *'], allowManagementApiApplications: true } },
    });
    await waitConnectionReady(permissive);
    const admin = tenantB.seed.application({ name: 'admin tool', type: 'MachineToMachine', isAdmin: true });
    await cluster.create(nsB, 'admin-tool', {
      type: 'MachineToMachine',
      adoptApplicationId: admin.id,
      connectionRef: { kind: 'ClusterLogtoConnection', name: permissive },
    });
    const adopted = await cluster.waitReady(nsB, 'admin-tool');
    expect(adopted.status!.isAdmin).toBe(true);
    expect(tenantB.state.applications.get(admin.id)!.isAdmin).toBe(true);
    await cluster.delete(nsB, 'admin-tool');
    await eventually(async () => (await cluster.get(nsB, 'admin-tool')) === undefined, {
      what: 'admin-tool deleted',
    });
  });

  it('two tenants: applications converge into different tenants through different connections', async () => {
    await cluster.create(nsA, 'on-a', { type: 'SPA' });
    await cluster.create(nsB, 'on-b', {
      type: 'SPA',
      connectionRef: { kind: 'ClusterLogtoConnection', name: clusterB },
    });
    const onA = await cluster.waitReady(nsA, 'on-a');
    const onB = await cluster.waitReady(nsB, 'on-b');
    expect(tenantA.state.applications.has(onA.status!.applicationId!)).toBe(true);
    expect(tenantB.state.applications.has(onA.status!.applicationId!)).toBe(false);
    expect(tenantB.state.applications.has(onB.status!.applicationId!)).toBe(true);
    expect(tenantA.state.applications.has(onB.status!.applicationId!)).toBe(false);
    // Where each lives is recorded in status, which only the operator writes.
    expect(onA.status!.connection).toBe('flags');
    expect(onB.status!.connection).toBe(`ClusterLogtoConnection/${clusterB}`);
    const secretB = await cluster.secret(nsB, 'on-b');
    expect(Buffer.from(secretB!.data!.LOGTO_ENDPOINT!, 'base64').toString()).toBe(tenantB.endpoint);
    // connectionRef cannot move an application to another tenant.
    await expect(
      cluster.patch(nsB, 'on-b', {
        spec: { connectionRef: { kind: 'ClusterLogtoConnection', name: selective } },
      }),
    ).rejects.toThrow(/connectionRef cannot be added, changed or removed/);
    await eventually(async () => (await getClusterConnection(clusterB))?.status?.applicationCount === 1, {
      what: 'applicationCount of the connection',
    });
  });

  it("sweeps each connection's tenant: a second application marked for a live resource goes", async () => {
    const onB = (await cluster.get(nsB, 'on-b'))!;
    const duplicate = tenantB.seed.application({ name: 'on-b', type: 'SPA' });
    tenantB.state.applications.get(duplicate.id)!.customData = {
      [MARKER_KEY]: { uid: onB.metadata.uid, namespace: nsB, name: 'on-b', deletionPolicy: 'Delete' },
    };
    await eventually(() => !tenantB.state.applications.has(duplicate.id), {
      what: 'the duplicate swept from the connection tenant',
      timeoutMs: 30_000,
    });
    expect(tenantB.state.applications.has(onB.status!.applicationId!)).toBe(true);
  });

  it('a LogtoConnection serves its own namespace and cannot be referenced from another', async () => {
    await credentialsSecret(nsB, 'own-tenant', tenantB);
    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: nsB,
      plural: 'logtoconnections',
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'LogtoConnection',
        metadata: { name: 'own', namespace: nsB },
        spec: connectionSpec(tenantB, { name: 'own-tenant' }),
      },
    });
    await cluster.create(nsB, 'via-own', {
      type: 'Traditional',
      connectionRef: { kind: 'LogtoConnection', name: 'own' },
    });
    const ready = await cluster.waitReady(nsB, 'via-own');
    expect(tenantB.state.applications.has(ready.status!.applicationId!)).toBe(true);

    const since = tenantB.calls.count();
    await cluster.create(nsA, 'borrower', {
      type: 'Traditional',
      connectionRef: { kind: 'LogtoConnection', name: 'own' },
    });
    const refused = await cluster.waitReady(nsA, 'borrower', 'False', 'ConnectionNotFound');
    expect(syncedMessage(refused)).toContain(`LogtoConnection ${nsA}/own`);
    expect(writesTo(tenantB, since)).toEqual([]);
  });

  it('the connection examples are accepted by the apiserver (server-side dry run)', async () => {
    const dir = path.resolve(import.meta.dirname, '../../examples/connections');
    const kinds: string[] = [];
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.yaml'))) {
      for (const doc of parseAllDocuments(await readFile(path.join(dir, file), 'utf8'))) {
        const object = doc.toJS() as { kind: string; metadata: { namespace?: string } };
        kinds.push(object.kind);
        const plural = `${object.kind.toLowerCase()}s`;
        if (object.metadata.namespace) {
          object.metadata.namespace = nsB;
          await custom.createNamespacedCustomObject({
            group: GROUP,
            version: VERSION,
            namespace: nsB,
            plural,
            body: object,
            dryRun: 'All',
          });
        } else {
          await custom.createClusterCustomObject({
            group: GROUP,
            version: VERSION,
            plural,
            body: object,
            dryRun: 'All',
          });
        }
      }
    }
    expect(kinds).toEqual(expect.arrayContaining(['ClusterLogtoConnection', 'LogtoConnection']));
    // CEL: exactly one CA bundle source, http(s) endpoints.
    await expect(
      custom.createClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: 'clusterlogtoconnections',
        dryRun: 'All',
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'ClusterLogtoConnection',
          metadata: { name: `invalid-${suffix}` },
          spec: {
            endpoint: 'ftp://logto.example.com',
            credentialsSecretRef: { name: 'x', namespace: 'y' },
            caBundle: {
              secretRef: { name: 'a', namespace: 'y' },
              configMapRef: { name: 'b', namespace: 'y' },
            },
          },
        },
      }),
    ).rejects.toThrow(
      /must be an http\(s\) URL[\s\S]*exactly one of secretRef and configMapRef|exactly one of secretRef and configMapRef[\s\S]*must be an http\(s\) URL/,
    );
  });

  it('a failing connection says why, and so do the applications that use it, without a Logto write', async () => {
    const failing = `failing-${suffix}`;
    await credentialsSecret(nsA, 'wrong-credentials', tenantB, 'not-the-secret');
    await createClusterConnection(
      failing,
      connectionSpec(tenantB, { name: 'wrong-credentials', namespace: nsA }),
    );
    const connection = await eventually(
      async () => {
        const ready = (await getClusterConnection(failing))?.status?.conditions?.find(
          (c) => c.type === 'Ready',
        );
        return ready?.status === 'False' ? ready : undefined;
      },
      { what: `ClusterLogtoConnection ${failing} Ready=False` },
    );
    expect(connection.reason).toBe('Unauthorized');
    const since = tenantB.calls.count();
    await cluster.create(nsB, 'on-failing', {
      type: 'SPA',
      connectionRef: { kind: 'ClusterLogtoConnection', name: failing },
    });
    const waiting = await cluster.waitReady(nsB, 'on-failing', 'False', 'ConnectionNotReady');
    expect(syncedMessage(waiting)).toContain(`ClusterLogtoConnection ${failing} is not Ready`);
    expect(readyCondition(waiting)).toMatchObject({ status: 'False', reason: 'ConnectionNotReady' });
    expect(writesTo(tenantB, since)).toEqual([]);
    expect(syncedMessage(waiting)).not.toContain('not-the-secret');
    await cluster.delete(nsB, 'on-failing');
    await custom.deleteClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: 'clusterlogtoconnections',
      name: failing,
    });
    // Unused, it goes at once (and stops trying tenant B with wrong credentials).
    await eventually(async () => (await getClusterConnection(failing)) === undefined, {
      what: `ClusterLogtoConnection ${failing} gone`,
    });
  });

  it("rotating a connection's credentials Secret is picked up without a restart", async () => {
    const api = new EmulatorApi(tenantB);
    const created = await api.op(
      'create_application_secret',
      { id: tenantB.credentials.clientId },
      { body: { name: `rotated-${suffix}` } },
    );
    expect(created.status).toBe(201);
    const tokensBefore = tenantB.calls.count({ method: 'POST', route: '/oidc/token' });
    const sinceRotation = tenantB.calls.count();
    await core.patchNamespacedSecret(
      {
        namespace: nsA,
        name: 'tenant-b-credentials',
        body: { stringData: { clientSecret: (created.body as { value: string }).value } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    // The cached token is dropped at once: the next call fetches one with the new secret.
    await eventually(() => tenantB.calls.count({ method: 'POST', route: '/oidc/token' }) > tokensBefore, {
      what: 'a token request after the Secret changed',
    });
    // The old secret goes; the connection keeps working.
    tenantB.state.applications.get(tenantB.credentials.clientId)!.secrets.splice(0, 1);
    tenantB.expireTokens();
    await cluster.create(nsB, 'after-rotation', {
      type: 'SPA',
      connectionRef: { kind: 'ClusterLogtoConnection', name: clusterB },
    });
    await cluster.waitReady(nsB, 'after-rotation');
    expect(
      tenantB.calls
        .list()
        .slice(sinceRotation)
        .filter((c) => c.route === '/oidc/token' && c.status !== 200),
    ).toEqual([]);
  });

  it('deleting a connection in use waits until its applications are gone', async () => {
    await custom.deleteClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: 'clusterlogtoconnections',
      name: clusterB,
    });
    const deleting = await getClusterConnection(clusterB);
    expect(deleting?.metadata.deletionTimestamp).toBeDefined();
    // Passes of the connection keep it while applications use it.
    const before = operator.reconciles;
    await syncNow({ operator, cluster }, nsB, 'on-b');
    expect(operator.reconciles).toBeGreaterThan(before);
    expect(await getClusterConnection(clusterB)).toBeDefined();
    const appId = (await cluster.get(nsB, 'on-b'))!.status!.applicationId!;
    for (const name of ['on-b', 'after-rotation']) await cluster.delete(nsB, name);
    await eventually(async () => (await getClusterConnection(clusterB)) === undefined, {
      what: 'the connection gone once unused',
      timeoutMs: 30_000,
    });
    // The applications could still delete their Logto applications through it.
    expect(tenantB.state.applications.has(appId)).toBe(false);
  });
});
