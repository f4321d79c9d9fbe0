import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesObject,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/log.js';
import { Informer, type InformerOptions } from '../../src/runtime/informer.js';
import {
  KubernetesListWatch,
  type KubernetesListWatchOptions,
  type ListResult,
  type ListWatchSource,
  type WatchEvent,
  type WatchHandle,
  type WatchRequest,
} from '../../src/runtime/list-watch.js';
import { createTestNamespace, testKubeConfig } from '../support/kube.js';

/**
 * Wraps the real source so a test can cut the watch (as a network failure would), hold the next watch
 * back while it changes objects, and make the resumed watch expire. A fresh kube-apiserver serves even
 * resourceVersion 1 from its watch cache (observed with 1.34, also after an etcd compaction), so a real
 * 410 cannot be provoked on demand; the resumed watch then gets the ERROR event the API server sends
 * for an expired version instead, and everything after it (the relist) is real.
 */
class ControlledSource<T extends KubernetesObject> implements ListWatchSource<T> {
  readonly description: string;
  lists = 0;
  /** Watches the API server accepted. */
  connected = 0;
  watches: WatchRequest[] = [];
  expireNextWatch = false;
  private held: Promise<void> | undefined;
  private release: (() => void) | undefined;
  private current: WatchHandle | undefined;

  constructor(private readonly inner: ListWatchSource<T>) {
    this.description = inner.description;
  }

  list(): Promise<ListResult<T>> {
    this.lists++;
    return this.inner.list();
  }

  async watch(request: WatchRequest, onEvent: (e: WatchEvent<T>) => void, onDone: (err?: unknown) => void) {
    this.watches.push(request);
    await this.held;
    if (this.expireNextWatch) {
      this.expireNextWatch = false;
      const status = { kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 };
      queueMicrotask(() => {
        onEvent({
          type: 'ERROR',
          object: {
            ...status,
            message: `too old resource version: ${request.resourceVersion}`,
          } as unknown as T,
        });
        onDone();
      });
      this.connected++;
      return { abort: () => {} };
    }
    this.current = await this.inner.watch(request, onEvent, onDone);
    this.connected++;
    return this.current;
  }

  /** Holds the next watch until `resume()`, then breaks the current one. */
  cut(): void {
    this.held = new Promise((resolve) => (this.release = resolve));
    this.current?.abort();
  }

  resume(): void {
    this.held = undefined;
    this.release?.();
  }
}

type Seen = [string, string, string?];

function recordingInformer<T extends KubernetesObject>(
  source: ListWatchSource<T>,
  options: Partial<InformerOptions<T>> = {},
): { informer: Informer<T>; seen: Seen[] } {
  const seen: Seen[] = [];
  const informer = new Informer<T>({
    source,
    logger: createLogger({ level: process.env.LOG_LEVEL ?? 'silent', name: 'runtime-informer-test' }),
    backoff: { baseMs: 100, maxMs: 1000 },
    handlers: {
      onAdd: (o) => seen.push(['add', o.metadata!.name!]),
      onUpdate: (_old, o) => seen.push(['update', o.metadata!.name!]),
      onDelete: (o, info) =>
        seen.push(['delete', o.metadata!.name!, info.finalStateUnknown ? 'unknown' : 'final']),
    },
    ...options,
  });
  informers.push(informer as Informer<KubernetesObject>);
  return { informer, seen };
}

const informers: Informer<KubernetesObject>[] = [];
/** The watch client's inactivity timeout in the quiet-period test. */
const QUIET_TIMEOUT_MS = 1_000;
let kc: KubeConfig;
let core: CoreV1Api;
let namespace: string;

const configMaps = (extra: Partial<KubernetesListWatchOptions> = {}): KubernetesListWatch<V1ConfigMap> =>
  new KubernetesListWatch<V1ConfigMap>(kc, {
    resource: { group: '', version: 'v1', plural: 'configmaps' },
    namespace,
    ...extra,
  });

async function putConfigMap(name: string, data: Record<string, string> = {}, labels = { suite: 'informer' }) {
  try {
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name, labels }, data } });
  } catch {
    await core.replaceNamespacedConfigMap({ namespace, name, body: { metadata: { name, labels }, data } });
  }
}

const names = (informer: Informer<KubernetesObject>) =>
  informer
    .list()
    .map((o) => o.metadata!.name!)
    .sort();

describe('Informer against kube-apiserver', () => {
  beforeAll(async () => {
    kc = testKubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    namespace = await createTestNamespace(kc, 'runtime-informer');
  });

  afterEach(async () => {
    await Promise.all(informers.splice(0).map((i) => i.stop()));
  });

  it('lists, then reports adds, updates and deletes of labelled Secrets', async () => {
    const body = (name: string, labels: Record<string, string>) => ({
      metadata: { name, labels },
      stringData: { password: 'not-a-real-secret' },
    });
    await core.createNamespacedSecret({
      namespace,
      body: body('owned-1', { 'app.kubernetes.io/managed-by': 'test' }),
    });
    await core.createNamespacedSecret({ namespace, body: body('foreign', { other: 'x' }) });
    const source = new KubernetesListWatch<KubernetesObject>(kc, {
      resource: { group: '', version: 'v1', plural: 'secrets' },
      namespace,
      labelSelector: 'app.kubernetes.io/managed-by=test',
    });
    const { informer, seen } = recordingInformer(source);
    informer.start();
    expect(await informer.waitForSync(AbortSignal.timeout(30_000))).toBe(true);
    expect(seen).toEqual([['add', 'owned-1']]);
    // Plain JSON as the API server sends it, the same shape the watch delivers.
    expect(typeof informer.get(namespace, 'owned-1')?.metadata?.creationTimestamp).toBe('string');

    await core.createNamespacedSecret({
      namespace,
      body: body('owned-2', { 'app.kubernetes.io/managed-by': 'test' }),
    });
    await core.patchNamespacedSecret({
      namespace,
      name: 'owned-1',
      body: [{ op: 'add', path: '/metadata/annotations', value: { touched: 'yes' } }],
    });
    await core.deleteNamespacedSecret({ namespace, name: 'owned-2' });
    await vi.waitFor(() => expect(seen).toHaveLength(4), { timeout: 15_000 });
    expect(seen).toEqual([
      ['add', 'owned-1'],
      ['add', 'owned-2'],
      ['update', 'owned-1'],
      ['delete', 'owned-2', 'final'],
    ]);
    expect(informer.get(namespace, 'owned-1')?.metadata?.annotations).toEqual({ touched: 'yes' });
    expect(informer.get(namespace, 'foreign')).toBeUndefined();
    expect(informer.isHealthy()).toBe(true);
  });

  it('resumes a broken watch from its resourceVersion without missing what changed meanwhile', async () => {
    await putConfigMap('resume-a');
    await putConfigMap('resume-b');
    const source = new ControlledSource(configMaps({ labelSelector: 'suite=informer' }));
    const { informer, seen } = recordingInformer(source);
    informer.start();
    await informer.waitForSync(AbortSignal.timeout(30_000));
    await vi.waitFor(() => expect(source.connected).toBe(1), { timeout: 15_000 });
    seen.length = 0;

    source.cut();
    await vi.waitFor(() => expect(source.watches).toHaveLength(2), { timeout: 10_000 });
    await core.deleteNamespacedConfigMap({ namespace, name: 'resume-a' });
    await putConfigMap('resume-b', { changed: 'yes' });
    await putConfigMap('resume-c');
    source.resume();

    await vi.waitFor(() => expect(seen).toHaveLength(3), { timeout: 15_000 });
    // Real watch events, not a relist: the delete carries its final state.
    expect(seen).toEqual([
      ['delete', 'resume-a', 'final'],
      ['update', 'resume-b'],
      ['add', 'resume-c'],
    ]);
    expect(source.lists).toBe(1);
    expect(source.watches[1]?.resourceVersion).toBe(source.watches[0]?.resourceVersion);
    expect(names(informer as Informer<KubernetesObject>)).toEqual(['resume-b', 'resume-c']);
  });

  it('relists after 410 Gone and reports objects deleted while the watch was down', async () => {
    for (const name of ['gone-keep', 'gone-change', 'gone-delete'])
      await putConfigMap(name, {}, { suite: 'gone' });
    const source = new ControlledSource(configMaps({ labelSelector: 'suite=gone' }));
    const relists: string[] = [];
    const { informer, seen } = recordingInformer(source, {
      metrics: { relisted: (_name, reason) => relists.push(reason) },
    });
    informer.start();
    await informer.waitForSync(AbortSignal.timeout(30_000));
    await vi.waitFor(() => expect(source.connected).toBe(1), { timeout: 15_000 });
    seen.length = 0;

    source.expireNextWatch = true;
    source.cut();
    await vi.waitFor(() => expect(source.watches).toHaveLength(2), { timeout: 10_000 });
    await core.deleteNamespacedConfigMap({ namespace, name: 'gone-delete' });
    await putConfigMap('gone-change', { changed: 'yes' }, { suite: 'gone' });
    await putConfigMap('gone-new', {}, { suite: 'gone' });
    source.resume();

    await vi.waitFor(() => expect(relists).toEqual(['initial', 'gone']), { timeout: 15_000 });
    expect(seen).toEqual([
      ['update', 'gone-change'],
      ['add', 'gone-new'],
      ['delete', 'gone-delete', 'unknown'],
    ]);
    expect(names(informer as Informer<KubernetesObject>)).toEqual(['gone-change', 'gone-keep', 'gone-new']);

    // And the watch that follows the relist works.
    await putConfigMap('gone-after', {}, { suite: 'gone' });
    await vi.waitFor(() => expect(seen.at(-1)).toEqual(['add', 'gone-after']), { timeout: 15_000 });
  });

  it('keeps the cache exact across server-side watch timeouts under a stream of writes', async () => {
    const source = configMaps({ labelSelector: 'suite=churn' });
    let restarts = 0;
    const { informer } = recordingInformer(source, {
      watchTimeoutSeconds: 1,
      metrics: { watchEnded: () => restarts++ },
    });
    informer.start();
    await informer.waitForSync(AbortSignal.timeout(30_000));
    const expected = new Map<string, string>();
    for (let i = 0; i < 40; i++) {
      const name = `churn-${i % 8}`;
      if (i % 5 === 4 && expected.has(name)) {
        await core.deleteNamespacedConfigMap({ namespace, name });
        expected.delete(name);
      } else {
        await putConfigMap(name, { i: String(i) }, { suite: 'churn' });
        expected.set(name, String(i));
      }
      await new Promise((resolve) => setTimeout(resolve, 75));
    }
    const cached = () =>
      new Map(informer.list().map((o) => [o.metadata!.name!, (o as V1ConfigMap).data?.i ?? '']));
    await vi.waitFor(() => expect(cached()).toEqual(expected), { timeout: 15_000 });
    expect(restarts).toBeGreaterThanOrEqual(2);
    expect(informer.stats().relists).toBe(1);
  });

  it('stays healthy and current across a quiet period longer than the client inactivity timeout', async () => {
    // client-node's Watch aborts a stream that sent nothing for a while (30 s by default, 1 s here);
    // the informer must treat that as a quiet stream (resume at once, no relist), not as a failure.
    const source = new ControlledSource(
      configMaps({ labelSelector: 'suite=quiet', inactivityTimeoutMs: QUIET_TIMEOUT_MS }),
    );
    const ended: string[] = [];
    const { informer, seen } = recordingInformer(source, {
      metrics: { watchEnded: (_n, reason) => ended.push(reason) },
    });
    informer.start();
    await informer.waitForSync(AbortSignal.timeout(30_000));
    // Several inactivity timeouts in a row, each resumed.
    await vi.waitFor(() => expect(ended.length).toBeGreaterThanOrEqual(3), { timeout: 15_000 });
    expect(informer.isHealthy()).toBe(true);
    expect(ended.every((reason) => reason === 'closed')).toBe(true);
    await putConfigMap('quiet-1', {}, { suite: 'quiet' });
    await vi.waitFor(() => expect(seen).toEqual([['add', 'quiet-1']]), { timeout: 15_000 });
    expect(source.lists).toBe(1);
  });

  it('watches a custom resource across all namespaces', async () => {
    const group = 'runtime-test.logto.io';
    const crdName = `widgets.${group}`;
    const apiext = kc.makeApiClient(ApiextensionsV1Api);
    await apiext
      .createCustomResourceDefinition({
        body: {
          metadata: { name: crdName },
          spec: {
            group,
            scope: 'Namespaced',
            names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
            versions: [
              {
                name: 'v1',
                served: true,
                storage: true,
                schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } },
              },
            ],
          },
        },
      })
      .catch((err: { code?: number }) => {
        if (err.code !== 409) throw err;
      });
    const custom = kc.makeApiClient(CustomObjectsApi);
    const widget = (name: string) => ({
      apiVersion: `${group}/v1`,
      kind: 'Widget',
      metadata: { name },
      size: 1,
    });
    await vi.waitFor(
      () =>
        custom.createNamespacedCustomObject({
          group,
          version: 'v1',
          namespace,
          plural: 'widgets',
          body: widget('w1'),
        }),
      { timeout: 30_000, interval: 250 },
    );
    const other = await createTestNamespace(kc, 'runtime-informer-other');

    const source = new KubernetesListWatch<KubernetesObject>(kc, {
      resource: { group, version: 'v1', plural: 'widgets' },
    });
    const { informer, seen } = recordingInformer(source);
    informer.start();
    await informer.waitForSync(AbortSignal.timeout(30_000));
    await custom.createNamespacedCustomObject({
      group,
      version: 'v1',
      namespace: other,
      plural: 'widgets',
      body: widget('w2'),
    });
    await vi.waitFor(() => expect(informer.get(other, 'w2')).toBeDefined(), { timeout: 15_000 });
    expect(informer.get(namespace, 'w1')).toBeDefined();
    expect(seen.filter(([type]) => type === 'add').map(([, name]) => name)).toContain('w2');
    expect(informer.list(other).map((o) => o.metadata!.name)).toEqual(['w2']);
  });
});
