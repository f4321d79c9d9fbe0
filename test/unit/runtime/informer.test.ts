import type { KubernetesObject } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Informer, type InformerOptions, type WatchEndReason } from '../../../src/runtime/informer.js';
import { FakeSource } from './fake-source.js';
import { silentLogger } from './helpers.js';

type Recorded = [string, string, string?];

function setup(options: Partial<InformerOptions<KubernetesObject>> = {}) {
  const source = new FakeSource();
  const events: Recorded[] = [];
  const ended: WatchEndReason[] = [];
  const relists: string[] = [];
  const informer = new Informer<KubernetesObject>({
    source,
    logger: silentLogger(),
    watchdogMs: 60_000,
    watchTimeoutSeconds: 300,
    random: () => 0.5, // jitter-free backoff: 800, 1600, 3200 ms ...
    handlers: {
      onAdd: (obj) => events.push(['add', obj.metadata?.name ?? '']),
      onUpdate: (_old, obj) => events.push(['update', obj.metadata?.name ?? '']),
      onDelete: (obj, info) =>
        events.push(['delete', obj.metadata?.name ?? '', info.finalStateUnknown ? 'unknown' : 'final']),
    },
    metrics: {
      watchEnded: (_name, reason) => ended.push(reason),
      relisted: (_name, reason) => relists.push(reason),
    },
    ...options,
  });
  return { source, informer, events, ended, relists };
}

const flush = () => vi.advanceTimersByTimeAsync(0);

describe('Informer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lists, reports adds, syncs, then watches from the list resourceVersion with a server timeout', async () => {
    const { source, informer, events } = setup();
    source.put('a');
    source.put('b');
    expect(informer.hasSynced()).toBe(false);
    informer.start();
    expect(await informer.waitForSync()).toBe(true);
    await flush();
    expect(events).toEqual([
      ['add', 'a'],
      ['add', 'b'],
    ]);
    expect(informer.get('ns', 'a')?.metadata?.name).toBe('a');
    expect(informer.list().map((o) => o.metadata?.name)).toEqual(['a', 'b']);
    expect(informer.list('other')).toEqual([]);
    expect(source.current.request).toEqual({ resourceVersion: '102', timeoutSeconds: 300 });
    expect(informer.isHealthy()).toBe(true);
    await informer.stop();
  });

  it('applies watch events to the cache and resumes from the latest version (bookmarks included)', async () => {
    const { source, informer, events, ended } = setup();
    source.put('a');
    informer.start();
    await flush();
    events.length = 0;
    source.current.emit('ADDED', source.put('b'));
    source.current.emit('MODIFIED', source.put('a', { k: 'v' }));
    source.current.emit('DELETED', source.remove('b'));
    expect(events).toEqual([
      ['add', 'b'],
      ['update', 'a'],
      ['delete', 'b', 'final'],
    ]);
    expect(informer.get('ns', 'b')).toBeUndefined();
    expect((informer.get('ns', 'a') as { data?: unknown }).data).toEqual({ k: 'v' });

    const bookmark = source.nextResourceVersion();
    source.current.emit('BOOKMARK', { metadata: { resourceVersion: bookmark } });
    source.current.end(); // server-side timeout: clean close
    await flush();
    expect(ended).toEqual(['closed']);
    expect(source.watches).toHaveLength(2);
    expect(source.current.request.resourceVersion).toBe(bookmark);
    expect(source.listCalls).toBe(1); // resumed, not relisted
    await informer.stop();
  });

  it('relists on a 410 ERROR event and reports synthetic deletes, changes and additions', async () => {
    const { source, informer, events, ended, relists } = setup();
    source.put('keep');
    source.put('change');
    source.put('vanish');
    informer.start();
    await flush();
    events.length = 0;

    // While the watch was "down", the server moved on and compacted the history.
    source.remove('vanish');
    source.put('change', { new: 'yes' });
    const latest = source.put('fresh').metadata?.resourceVersion;
    source.current.emit('ERROR', {
      kind: 'Status',
      code: 410,
      reason: 'Expired',
      message: 'too old resource version',
    } as KubernetesObject);
    await flush();

    expect(ended).toEqual(['gone']);
    expect(relists).toEqual(['initial', 'gone']);
    expect(events).toEqual([
      ['update', 'change'],
      ['add', 'fresh'],
      ['delete', 'vanish', 'unknown'],
    ]);
    expect(
      informer
        .list()
        .map((o) => o.metadata?.name)
        .sort(),
    ).toEqual(['change', 'fresh', 'keep']);
    expect(source.watches[0]?.aborted).toBe(true);
    expect(source.current.request.resourceVersion).toBe(latest);
    expect(informer.stats()).toMatchObject({ relists: 2, watchRestarts: 1, objects: 3 });
    await informer.stop();
  });

  it('relists when the watch request itself fails with HTTP 410', async () => {
    const { source, informer, ended } = setup();
    informer.start();
    await flush();
    source.current.end(Object.assign(new Error('Gone'), { statusCode: 410 }));
    await flush();
    expect(ended).toEqual(['gone']);
    expect(source.listCalls).toBe(2);
    expect(source.watches).toHaveLength(2);
    await informer.stop();
  });

  it('backs off only when relisting keeps ending in 410', async () => {
    const { source, informer } = setup();
    informer.start();
    await flush();
    const gone = () => source.current.end(Object.assign(new Error('Gone'), { statusCode: 410 }));
    gone();
    await flush();
    expect(source.listCalls).toBe(2); // first 410: relist at once
    gone();
    await flush();
    expect(source.listCalls).toBe(2); // second in a row without progress: back off
    await vi.advanceTimersByTimeAsync(800);
    expect(source.listCalls).toBe(3);
    await informer.stop();
  });

  it('restarts a silent watch after the watchdog period, from the same resourceVersion', async () => {
    const { source, informer, ended } = setup({ watchdogMs: 60_000 });
    informer.start();
    await flush();
    source.current.emit('BOOKMARK', { metadata: { resourceVersion: '500' } });
    await vi.advanceTimersByTimeAsync(59_999);
    expect(source.watches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(ended).toEqual(['watchdog']);
    expect(source.watches[0]?.aborted).toBe(true);
    expect(source.watches).toHaveLength(2);
    expect(source.current.request.resourceVersion).toBe('500');
    expect(source.listCalls).toBe(1);
    // Activity keeps the watchdog quiet.
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(50_000);
      source.current.emit('BOOKMARK', { metadata: { resourceVersion: String(600 + i) } });
    }
    expect(source.watches).toHaveLength(2);
    expect(informer.stats().watchRestarts).toBe(1);
    await informer.stop();
  });

  it('restarts a failed watch with growing backoff, reset once a watch works', async () => {
    const { source, informer, ended } = setup();
    informer.start();
    await flush();
    const fail = () => source.current.end(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));

    fail();
    await vi.advanceTimersByTimeAsync(799);
    expect(source.watches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(source.watches).toHaveLength(2);

    fail();
    await vi.advanceTimersByTimeAsync(1599);
    expect(source.watches).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(source.watches).toHaveLength(3);

    // This watch works for a while, so the next failure starts from the base delay again.
    source.current.emit('ADDED', source.put('x'));
    await vi.advanceTimersByTimeAsync(10_000);
    fail();
    await vi.advanceTimersByTimeAsync(800);
    expect(source.watches).toHaveLength(4);
    expect(ended).toEqual(['error', 'error', 'error']);
    expect(source.listCalls).toBe(1);
    await informer.stop();
  });

  it('handles a source whose watch() throws or rejects like a failed watch', async () => {
    const { source, informer, ended } = setup();
    const original = source.watch.bind(source);
    let calls = 0;
    source.watch = (...args) => {
      calls++;
      if (calls === 1) throw new Error('sync throw');
      if (calls === 2) return Promise.reject(new Error('async reject'));
      return original(...args);
    };
    informer.start();
    await vi.advanceTimersByTimeAsync(800 + 1600);
    expect(calls).toBe(3);
    expect(ended).toEqual(['error', 'error']);
    expect(source.watches).toHaveLength(1);
    await informer.stop();
  });

  it('treats a watch that closes at once without events as a failure (no hot loop)', async () => {
    const { source, informer } = setup();
    informer.start();
    await flush();
    source.current.end();
    await flush();
    expect(source.watches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(800);
    expect(source.watches).toHaveLength(2);
    await informer.stop();
  });

  it('retries a failing initial list with backoff and syncs once it succeeds', async () => {
    const { source, informer } = setup();
    source.put('a');
    source.listErrors.push(new Error('connection refused'), new Error('connection refused'));
    informer.start();
    let synced: boolean | undefined;
    void informer.waitForSync().then((s) => (synced = s));
    await vi.advanceTimersByTimeAsync(800 + 1599);
    expect(synced).toBeUndefined();
    expect(informer.isHealthy()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(synced).toBe(true);
    expect(source.listCalls).toBe(3);
    await informer.stop();
  });

  it('becomes unhealthy when it cannot make progress for the watchdog period', async () => {
    const { source, informer } = setup({ watchdogMs: 60_000 });
    informer.start();
    await flush();
    expect(informer.isHealthy()).toBe(true);
    source.listErrors.push(...Array.from({ length: 20 }, () => new Error('apiserver down')));
    source.current.end(Object.assign(new Error('Gone'), { statusCode: 410 }));
    await vi.advanceTimersByTimeAsync(60_001);
    expect(informer.isHealthy()).toBe(false);
    source.listErrors.length = 0;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(informer.isHealthy()).toBe(true);
    await informer.stop();
    expect(informer.isHealthy()).toBe(false);
  });

  it('replays cached objects to handlers added after sync, and survives a throwing handler', async () => {
    const { source, informer } = setup({
      handlers: {
        onAdd: () => {
          throw new Error('handler bug');
        },
      },
    });
    source.put('a');
    informer.start();
    await informer.waitForSync();
    await flush();
    const late: string[] = [];
    const remove = informer.addHandlers({ onAdd: (obj) => late.push(obj.metadata?.name ?? '') });
    expect(late).toEqual(['a']);
    source.current.emit('ADDED', source.put('b'));
    expect(late).toEqual(['a', 'b']);
    remove();
    source.current.emit('ADDED', source.put('c'));
    expect(late).toEqual(['a', 'b']);
    expect(informer.list()).toHaveLength(3);
    await informer.stop();
  });

  it('stop() does not wait for a hanging list, and a list that hangs too long is retried', async () => {
    const { source, informer } = setup({ listTimeoutMs: 10_000 });
    let lists = 0;
    source.list = () => {
      lists++;
      return new Promise(() => {});
    };
    informer.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(informer.hasSynced()).toBe(false);
    await vi.advanceTimersByTimeAsync(800);
    expect(lists).toBe(2);
    let stopped = false;
    void informer.stop().then(() => (stopped = true));
    await flush();
    expect(stopped).toBe(true);
  });

  it('stop() aborts the watch, ends the loop and resolves pending waitForSync with false', async () => {
    const { source, informer } = setup();
    source.listErrors.push(new Error('down'));
    informer.start();
    const sync = informer.waitForSync();
    await informer.stop();
    expect(await sync).toBe(false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(source.watches).toHaveLength(0);

    const second = setup();
    second.informer.start();
    await flush();
    await second.informer.stop();
    expect(second.source.current.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(second.source.watches).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});
