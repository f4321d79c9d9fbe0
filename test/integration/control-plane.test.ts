import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  CoreV1Api,
  CustomObjectsApi,
  RbacAuthorizationV1Api,
  VersionApi,
  Watch,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { parse, stringify } from 'yaml';
import { installCrds } from '../support/control-plane/crds.js';
import { startControlPlane } from '../support/control-plane/harness.js';
import { apiStatus, applyYaml, createTestNamespace, impersonate, testKubeConfig } from '../support/kube.js';

// This file starts control planes of its own: give them time on a busy 2-core machine.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

const fixtures = fileURLToPath(new URL('../fixtures/control-plane/', import.meta.url));
const fixtureCrds = `${fixtures}crds`;
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const widgets = { group: 'controlplane.test.logto.io', version: 'v1', plural: 'widgets' };
interface Widget extends KubernetesObject {
  spec: { mode: 'fast' | 'safe'; replicas: number; maxReplicas: number };
}
const widget = (namespace: string, name: string, spec: Widget['spec']): Widget => ({
  apiVersion: 'controlplane.test.logto.io/v1',
  kind: 'Widget',
  metadata: { name, namespace },
  spec,
});

/** The refusal a promise ends with (fails the test if it succeeds). */
async function refusal(promise: Promise<unknown>): Promise<{ code: number; message?: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  const status = apiStatus(error);
  if (!status) throw new Error(`expected the apiserver to refuse, got ${String(error)}`);
  return status;
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Running, and not a zombie (an orphan whose exit nobody has collected is as good as gone). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    if (existsSync('/proc/self')) return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the shared test control plane', () => {
  const kc = testKubeConfig();
  const custom = kc.makeApiClient(CustomObjectsApi);
  let namespace: string;

  beforeAll(async () => {
    await installCrds(kc, fixtureCrds);
    namespace = await createTestNamespace(kc, 'control-plane');
  });

  it('is the Kubernetes version the build script stamped into kube-apiserver', async () => {
    const version = await kc.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toMatch(/^v1\.34\.\d+$/);
    expect(version).toMatchObject({ major: '1', minor: '34' });
  });

  it('hands out a kubeconfig that verifies the server against the test CA, on loopback', () => {
    const config = parse(readFileSync(inject('kubeconfigPath'), 'utf8')) as {
      clusters: { cluster: Record<string, unknown> }[];
    };
    const cluster = config.clusters[0]!.cluster;
    expect(cluster['server']).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(cluster['certificate-authority-data']).toEqual(expect.any(String));
    expect(cluster['insecure-skip-tls-verify']).toBeFalsy();
  });

  it('stores and serves custom resources', async () => {
    const manifest = stringify(widget(namespace, 'stored', { mode: 'fast', replicas: 1, maxReplicas: 3 }));
    const [applied] = await applyYaml(kc, manifest);
    expect(applied?.metadata?.uid).toBeTruthy();
    const read = (await custom.getNamespacedCustomObject({
      ...widgets,
      namespace,
      name: 'stored',
    })) as Widget;
    expect(read.spec).toEqual({ mode: 'fast', replicas: 1, maxReplicas: 3 });
  });

  it('refuses a create that breaks a CEL rule', async () => {
    const body = widget(namespace, 'too-many', { mode: 'fast', replicas: 5, maxReplicas: 3 });
    const status = await refusal(custom.createNamespacedCustomObject({ ...widgets, namespace, body }));
    expect(status.code).toBe(422);
    expect(status.message).toContain('replicas must not exceed maxReplicas');
  });

  it('refuses an update that breaks a transition rule, and accepts one that keeps it', async () => {
    const name = 'immutable-mode';
    const body = widget(namespace, name, { mode: 'fast', replicas: 1, maxReplicas: 3 });
    await custom.createNamespacedCustomObject({ ...widgets, namespace, body });
    const current = (await custom.getNamespacedCustomObject({ ...widgets, namespace, name })) as Widget;

    const changedMode = { ...current, spec: { ...current.spec, mode: 'safe' } };
    const status = await refusal(
      custom.replaceNamespacedCustomObject({ ...widgets, namespace, name, body: changedMode }),
    );
    expect(status.code).toBe(422);
    expect(status.message).toContain('mode is immutable');

    const scaled = { ...current, spec: { ...current.spec, replicas: 2 } };
    await custom.replaceNamespacedCustomObject({ ...widgets, namespace, name, body: scaled });
  });

  it('streams ADDED, MODIFIED and DELETED events to a watch', async () => {
    const name = 'watched';
    const list = (await custom.listNamespacedCustomObject({ ...widgets, namespace })) as {
      metadata: { resourceVersion: string };
    };
    const events: string[] = [];
    let deleted!: () => void;
    const sawDelete = new Promise<void>((resolve) => (deleted = resolve));
    const watch = await new Watch(kc).watch(
      `/apis/${widgets.group}/${widgets.version}/namespaces/${namespace}/widgets`,
      // From the list's version on, so no event can slip by before the watch is established.
      { resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: false },
      (type, object: Widget) => {
        if (object.metadata?.name !== name) return;
        events.push(`${type} replicas=${object.spec.replicas}`);
        if (type === 'DELETED') deleted();
      },
      () => {},
    );
    try {
      const body = widget(namespace, name, { mode: 'safe', replicas: 0, maxReplicas: 2 });
      await custom.createNamespacedCustomObject({ ...widgets, namespace, body });
      const current = (await custom.getNamespacedCustomObject({ ...widgets, namespace, name })) as Widget;
      const spec = { ...current.spec, replicas: 2 };
      await custom.replaceNamespacedCustomObject({ ...widgets, namespace, name, body: { ...current, spec } });
      await custom.deleteNamespacedCustomObject({ ...widgets, namespace, name });
      await sawDelete;
    } finally {
      watch.abort();
    }
    expect(events).toEqual(['ADDED replicas=0', 'MODIFIED replicas=2', 'DELETED replicas=2']);
  });

  it('authorizes with RBAC: a user is refused until a RoleBinding grants access', async () => {
    const alice = impersonate(kc, 'alice@example.test');
    const aliceCustom = alice.makeApiClient(CustomObjectsApi);
    const listWidgets = (): Promise<unknown> =>
      aliceCustom.listNamespacedCustomObject({ ...widgets, namespace });

    expect((await refusal(listWidgets())).code).toBe(403);
    expect((await refusal(alice.makeApiClient(CoreV1Api).listNamespace())).code).toBe(403);

    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace,
      body: {
        metadata: { name: 'widget-reader' },
        rules: [{ apiGroups: [widgets.group], resources: ['widgets'], verbs: ['get', 'list'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'alice-reads-widgets' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'widget-reader' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice@example.test' }],
      },
    });
    // The authorizer sees new bindings through an informer: allowed shortly after, not at once.
    await eventually(() =>
      listWidgets().then(
        () => true,
        () => false,
      ),
    );
    const body = widget(namespace, 'by-alice', { mode: 'fast', replicas: 0, maxReplicas: 1 });
    expect(
      (await refusal(aliceCustom.createNamespacedCustomObject({ ...widgets, namespace, body }))).code,
    ).toBe(403);
  });
});

// Each test starts a control plane of its own (its start is mostly waiting): at the same time.
describe.concurrent('control-plane teardown', () => {
  it('stop() ends kube-apiserver and etcd, removes the temp dir, and the CRDs were established first', async ({
    expect,
  }) => {
    const controlPlane = await startControlPlane({ crdDirectory: fixtureCrds });
    const { pids, tempDir } = controlPlane;
    try {
      // Usable the moment startControlPlane resolves: no retry here.
      const list = await controlPlane.kubeConfig
        .makeApiClient(CustomObjectsApi)
        .listNamespacedCustomObject({ ...widgets, namespace: 'default' });
      expect(list).toMatchObject({ kind: 'WidgetList' });
    } finally {
      await controlPlane.stop();
    }
    expect(isRunning(pids.kubeApiserver)).toBe(false);
    expect(isRunning(pids.etcd)).toBe(false);
    expect(existsSync(tempDir)).toBe(false);
    await eventually(async () => !isRunning(pids.reaper), 10_000);
    await controlPlane.stop(); // idempotent
  });

  // A Node process that dies in any of these ways leaves no process and no temp dir behind.
  it.for([
    ['SIGKILL', 'the reaper cleans up'],
    ['SIGTERM', 'its signal handler stops the control plane before dying'],
    ['an uncaught exception', 'its exit hook kills the control plane before exiting'],
  ] as const)('after %s of the Node process, %s', async ([how], { expect }) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        `${fixtures}start-control-plane.ts`,
        how === 'an uncaught exception' ? 'throw' : 'wait',
      ],
      { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.once('exit', (code, signal) => resolve(signal ?? code)),
    );
    try {
      const line = await Promise.race([
        new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve)),
        exited.then((code) =>
          Promise.reject(new Error(`child exited (${code}) before reporting:\n${stderr}`)),
        ),
      ]);
      const { pids, tempDir } = JSON.parse(line) as {
        pids: { etcd: number; kubeApiserver: number; reaper: number };
        tempDir: string;
      };
      expect(isRunning(pids.kubeApiserver) && isRunning(pids.etcd) && existsSync(tempDir)).toBe(true);

      if (how === 'an uncaught exception') child.stdin.write('throw\n');
      else child.kill(how);
      expect(await exited).toBe(how === 'an uncaught exception' ? 1 : how);
      // Only SIGKILL leaves the work to the reaper; otherwise the temp dir is gone as the child ends.
      if (how !== 'SIGKILL') expect(existsSync(tempDir)).toBe(false);
      // Generous bound: the reaper polls every 0.5 s and gives each process up to 5 s to stop.
      await eventually(
        async () => !isRunning(pids.kubeApiserver) && !isRunning(pids.etcd) && !existsSync(tempDir),
        30_000,
      );
      await eventually(async () => !isRunning(pids.reaper), 10_000);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
