/**
 * `npm run bench:writes`: what each kind of request the operator sends per new application costs the
 * kube-apiserver and etcd, in the form the operator sends it and in the alternatives considered. Each
 * form is sent --count times (16 at once, the operator's concurrency) to fresh objects of a local
 * control plane; CPU from /proc of both processes, per request, with nothing else running.
 *
 *   npm run bench:writes -- [--count 1000] [--auth cert|token]
 *
 * --auth token authenticates as a ServiceAccount token, as the operator's pod does (the default is the
 * control plane's admin client certificate). Besides the operator's LogtoApplication CRD, the same
 * schema without its CEL rules is installed under another group: the difference is what the rules
 * cost. Figures depend on the machine; docs/performance.md records runs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { KubeConfig, PatchStrategy } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { KubeClient, kubePath, type KubeRequest } from '../src/kube/client.js';
import { startControlPlane } from '../test/support/control-plane/harness.js';
import { eventually } from '../test/support/eventually.js';
import { createTestNamespace } from '../test/support/kube.js';
import { serviceAccountToken } from '../test/support/metrics-access.js';
import { cpuMs } from './proc.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    auth: { type: 'string', default: 'cert' },
  },
});
const count = Number(values.count);
if (!Number.isInteger(count) || count < 1) throw new Error('--count must be a positive integer');
if (values.auth !== 'cert' && values.auth !== 'token') throw new Error('--auth is cert or token');
const CONCURRENCY = 16;
const MANAGER = 'logto-operator';
const repoRoot = path.resolve(import.meta.dirname, '..');

const plane = await startControlPlane({ log: () => {} });
const settle = () => new Promise((resolve) => setTimeout(resolve, 2_500));

/** A ServiceAccount bound to cluster-admin, and a kubeconfig with a token of it (an hour). */
async function tokenKubeConfig(admin: KubeConfig): Promise<KubeConfig> {
  const token = await serviceAccountToken(admin, 'default', 'bench', 'cluster-admin', 3600);
  const cluster = admin.getCurrentCluster()!;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'bench', token }],
    contexts: [{ name: 'bench', cluster: cluster.name, user: 'bench' }],
    currentContext: 'bench',
  });
  return kc;
}

/**
 * The operator's LogtoApplication CRD under `group`, without its CEL rules: sent as the JSON of the
 * file (client-node's typed client would drop every `x-kubernetes-*` extension, enums and defaults).
 */
async function installCrd(kube: KubeClient, group: string): Promise<void> {
  const crd = parse(readFileSync(path.join(repoRoot, 'crds/logtoapplications.logto.io.yaml'), 'utf8')) as {
    metadata: { name: string };
    spec: { group: string };
  };
  const withoutRules = (node: unknown): unknown =>
    Array.isArray(node)
      ? node.map(withoutRules)
      : node && typeof node === 'object'
        ? Object.fromEntries(
            Object.entries(node)
              .filter(([key]) => key !== 'x-kubernetes-validations')
              .map(([key, value]) => [key, withoutRules(value)]),
          )
        : node;
  const body = withoutRules(crd) as typeof crd;
  body.metadata = { name: `logtoapplications.${group}` };
  body.spec.group = group;
  const crds = kubePath('apis', 'apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
  await kube.request({ method: 'POST', path: crds, body });
  await eventually(
    async () =>
      (
        await kube.request<{ status?: { conditions?: { type: string; status: string }[] } }>({
          method: 'GET',
          path: `${crds}/logtoapplications.${group}`,
        })
      ).status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'),
    { timeoutMs: 30_000, intervalMs: 200, what: `CRD of ${group} established` },
  );
  // Established is not yet serving (429 "storage is (re)initializing" for a moment).
  await new Promise((resolve) => setTimeout(resolve, 2_000));
}

/** Sends `request(i)` for i < count, 16 at once; apiserver and etcd CPU per request. */
async function measure(what: string, kube: KubeClient, request: (i: number) => KubeRequest | undefined) {
  await settle();
  const before = { apiserver: cpuMs(plane.pids.kubeApiserver), etcd: cpuMs(plane.pids.etcd) };
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const sent = request(next++);
        // A GET of an absent object is part of the measure: its 404 is expected.
        if (sent) await kube.request(sent).catch((error: unknown) => void error);
      }
    }),
  );
  await settle();
  const per = (ms: number) => (ms / count).toFixed(2).padStart(6);
  console.log(
    `  ${what.padEnd(52)} ${per(cpuMs(plane.pids.kubeApiserver) - before.apiserver)} ` +
      `${per(cpuMs(plane.pids.etcd) - before.etcd)}`,
  );
}

try {
  const kc = values.auth === 'token' ? await tokenKubeConfig(plane.kubeConfig) : plane.kubeConfig;
  const kube = new KubeClient(kc);
  // The control plane comes with the operator's CRDs: only the variant without rules is added.
  await installCrd(kube, 'norules.logto.io');
  console.log(`${count} requests each, ${CONCURRENCY} at once, authenticated by ${values.auth}`);
  console.log(`  ${'request'.padEnd(52)} apiserver  etcd (ms of CPU per request)`);
  // Twice, the second time in the other order: what the apiserver does between runs (its garbage
  // collection, compaction) otherwise lands on one variant.
  const withRules = ['logto.io', 'LogtoApplication'] as const;
  const withoutRules = ['norules.logto.io', 'LogtoApplication without CEL rules'] as const;
  for (const [step, [group, label]] of [withRules, withoutRules, withoutRules, withRules].entries()) {
    const ns = await createTestNamespace(plane.kubeConfig, 'writes');
    const name = (i: number) => `app-${i}`;
    const resource = (i: number, sub?: 'status') =>
      kubePath(
        'apis',
        group,
        'v1alpha1',
        'namespaces',
        ns,
        'logtoapplications',
        name(i),
        ...(sub ? [sub] : []),
      );
    const applied = { fieldManager: MANAGER, force: true };
    const status = (i: number, reason: string) => ({
      observedGeneration: 1,
      applicationId: `id-${i}`,
      secretName: name(i),
      conditions: ['Synced', 'Ready'].map((type) => ({
        type,
        status: 'True',
        reason,
        message: `credentials of application id-${i} are in Secret ${name(i)}`,
        lastTransitionTime: '2026-12-07T00:00:00Z',
        observedGeneration: 1,
      })),
    });
    console.log(`${label} (round ${step < 2 ? 1 : 2}):`);
    await measure("create (the bench's apply, not the operator's)", kube, (i) => ({
      method: 'POST',
      path: kubePath('apis', group, 'v1alpha1', 'namespaces', ns, 'logtoapplications'),
      body: {
        apiVersion: `${group}/v1alpha1`,
        kind: 'LogtoApplication',
        metadata: { name: name(i) },
        spec: { type: 'Traditional' },
      },
    }));
    await measure('finalizer and annotations, server-side apply', kube, (i) => ({
      method: 'PATCH',
      path: resource(i),
      query: applied,
      contentType: PatchStrategy.ServerSideApply,
      body: {
        apiVersion: `${group}/v1alpha1`,
        kind: 'LogtoApplication',
        metadata: {
          name: name(i),
          namespace: ns,
          finalizers: ['logto.io/finalizer'],
          annotations: {
            'logto.io/create-pending': '2026-12-07T00:00:00Z',
            'logto.io/create-token': `t-${i}`,
          },
        },
      },
    }));
    await measure('status, server-side apply', kube, (i) => ({
      method: 'PATCH',
      path: resource(i, 'status'),
      query: applied,
      contentType: PatchStrategy.ServerSideApply,
      body: {
        apiVersion: `${group}/v1alpha1`,
        kind: 'LogtoApplication',
        metadata: { name: name(i), namespace: ns },
        status: status(i, 'Applied'),
      },
    }));
    await measure('status, JSON merge patch', kube, (i) => ({
      method: 'PATCH',
      path: resource(i, 'status'),
      query: { fieldManager: MANAGER },
      contentType: PatchStrategy.MergePatch,
      body: { status: status(i, 'Merged') },
    }));
    // The Secret's and the Event's requests do not depend on the CRD: measured once.
    if (step !== 0) continue;
    const secret = (i: number, prefix = '') => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: `${prefix}${name(i)}`,
        namespace: ns,
        labels: { 'app.kubernetes.io/managed-by': MANAGER, 'logto.io/application': name(i) },
      },
      type: 'Opaque',
      data: {
        LOGTO_ENDPOINT: Buffer.from('https://logto.example').toString('base64'),
        LOGTO_APP_ID: Buffer.from(`id-${i}`).toString('base64'),
        LOGTO_APP_SECRET: Buffer.from(`secret-of-${i}`).toString('base64'),
      },
    });
    const secretPath = (i: number, prefix = '') =>
      kubePath('api', 'v1', 'namespaces', ns, 'secrets', `${prefix}${name(i)}`);
    await measure('Secret read before its first write (404)', kube, (i) => ({
      method: 'GET',
      path: secretPath(i),
    }));
    await measure('Secret, server-side apply (creates it)', kube, (i) => ({
      method: 'PATCH',
      path: secretPath(i),
      query: applied,
      contentType: PatchStrategy.ServerSideApply,
      body: secret(i),
    }));
    await measure('Secret, server-side apply (unchanged)', kube, (i) => ({
      method: 'PATCH',
      path: secretPath(i),
      query: applied,
      contentType: PatchStrategy.ServerSideApply,
      body: secret(i),
    }));
    await measure('Secret, create (POST)', kube, (i) => ({
      method: 'POST',
      path: kubePath('api', 'v1', 'namespaces', ns, 'secrets'),
      query: { fieldManager: MANAGER },
      body: secret(i, 'posted-'),
    }));
    await measure('Event, create', kube, (i) => ({
      method: 'POST',
      path: kubePath('api', 'v1', 'namespaces', ns, 'events'),
      body: {
        metadata: { name: `${name(i)}.created`, namespace: ns },
        involvedObject: {
          apiVersion: `${group}/v1alpha1`,
          kind: 'LogtoApplication',
          name: name(i),
          namespace: ns,
        },
        type: 'Normal',
        reason: 'Created',
        message: `created Logto application id-${i}`,
        count: 1,
        firstTimestamp: '2026-12-07T00:00:00Z',
        lastTimestamp: '2026-12-07T00:00:00Z',
        source: { component: MANAGER },
      },
    }));
  }
  await kube.close();
} finally {
  await plane.stop();
}
