import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ItemExponentialRateLimiter } from '../../../src/runtime/rate-limiter.js';
import { WorkQueue, type GetResult } from '../../../src/runtime/workqueue.js';

/** Resolves the queue's pending promise, if any, without advancing time. */
async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

function track(promise: Promise<GetResult>): { result: GetResult | undefined } {
  const box: { result: GetResult | undefined } = { result: undefined };
  void promise.then((r) => (box.result = r));
  return box;
}

describe('WorkQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('hands out keys in order and deduplicates keys not yet taken', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    queue.add('b');
    queue.add('a');
    expect(queue.len()).toBe(2);
    expect(await queue.get()).toEqual({ shutdown: false, key: 'a' });
    expect(await queue.get()).toEqual({ shutdown: false, key: 'b' });
    expect(queue.len()).toBe(0);
  });

  it('never hands a key to two workers: a re-add while processing waits for done()', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    expect((await queue.get()).key).toBe('a');
    queue.add('a');
    queue.add('a');
    expect(queue.len()).toBe(0);
    const second = track(queue.get());
    await settle();
    expect(second.result).toBeUndefined();
    queue.done('a');
    await settle();
    expect(second.result).toEqual({ shutdown: false, key: 'a' });
    queue.done('a');
    expect(queue.len()).toBe(0);
    expect(queue.processingCount()).toBe(0);
  });

  it('does not requeue a key that was not re-added while processing', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    await queue.get();
    queue.done('a');
    expect(queue.len()).toBe(0);
  });

  it('wakes a waiting worker when a key is added', async () => {
    const queue = new WorkQueue();
    const waiting = track(queue.get());
    await settle();
    expect(waiting.result).toBeUndefined();
    queue.add('x');
    await settle();
    expect(waiting.result).toEqual({ shutdown: false, key: 'x' });
  });

  it('addAfter adds after the delay and keeps the earliest pending time per key', async () => {
    const queue = new WorkQueue();
    queue.addAfter('a', 1000);
    queue.addAfter('a', 300);
    queue.addAfter('a', 5000);
    await vi.advanceTimersByTimeAsync(299);
    expect(queue.len()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(queue.len()).toBe(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(queue.len()).toBe(1); // the later timers were superseded, not duplicated
    queue.addAfter('b', 0);
    expect(queue.len()).toBe(2);
  });

  it('holds any number of delayed keys under one timer, releasing each when due, in time order', async () => {
    const queue = new WorkQueue();
    // A page of resyncs, each resource due at its own jittered time (reversed to mix the order).
    for (let i = 1000; i >= 1; i--) queue.addAfter(`key-${i}`, i * 10);
    queue.addAfter('key-500', 1); // an earlier time for one of them supersedes its later one
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(queue.len()).toBe(1);
    await vi.advanceTimersByTimeAsync(10 * 1000);
    expect(queue.len()).toBe(1000); // key-500 once, not twice
    const order: string[] = [];
    for (let i = 0; i < 1000; i++) order.push((await queue.get()).key!);
    expect(order.slice(0, 3)).toEqual(['key-500', 'key-1', 'key-2']);
    expect(order.at(-1)).toBe('key-1000');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('waits out delays longer than a Node.js timer holds, without waking every millisecond', async () => {
    let armed = 0;
    const queue = new WorkQueue({
      clock: {
        now: () => Date.now(),
        setTimeout: (fn, ms) => (armed++, setTimeout(fn, ms)),
        clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
      },
    });
    queue.addAfter('far', 2 ** 32);
    await vi.advanceTimersByTimeAsync(1000);
    expect(armed).toBe(1);
    expect(queue.len()).toBe(0);
    await vi.advanceTimersByTimeAsync(2 ** 32);
    expect(queue.len()).toBe(1);
    expect(armed).toBe(3); // two steps at the 32-bit bound, then the rest
  });

  it('keeps the entries of keys rescheduled sooner again and again bounded', async () => {
    const queue = new WorkQueue();
    for (let round = 0; round < 3000; round++) queue.addAfter('flapping', 600_000 - round);
    const due = (queue as unknown as { due: { length: number } }).due;
    expect(due.length).toBeLessThanOrEqual(2 + 1024 + 1);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(queue.len()).toBe(1);
    expect(await queue.get()).toEqual({ shutdown: false, key: 'flapping' });
  });

  it('addRateLimited backs off exponentially until forget()', async () => {
    const queue = new WorkQueue({ rateLimiter: new ItemExponentialRateLimiter({ baseMs: 10, jitter: 0 }) });
    expect(queue.addRateLimited('a')).toBe(10);
    expect(queue.addRateLimited('a')).toBe(20);
    expect(queue.addRateLimited('a')).toBe(40);
    expect(queue.numRequeues('a')).toBe(3);
    await vi.advanceTimersByTimeAsync(10);
    expect(queue.len()).toBe(1); // the earliest of the pending retries
    queue.forget('a');
    expect(queue.numRequeues('a')).toBe(0);
    expect(queue.addRateLimited('a')).toBe(10);
  });

  it('reports metrics: adds, depth, queue latency, work duration, retries', async () => {
    const events: string[] = [];
    const queue = new WorkQueue({
      rateLimiter: new ItemExponentialRateLimiter({ baseMs: 10, jitter: 0 }),
      metrics: {
        add: (key) => events.push(`add ${key}`),
        depth: (depth) => events.push(`depth ${depth}`),
        get: (key, ms) => events.push(`get ${key} ${ms}`),
        done: (key, ms) => events.push(`done ${key} ${ms}`),
        retry: (key) => events.push(`retry ${key}`),
      },
    });
    queue.add('a');
    await vi.advanceTimersByTimeAsync(7);
    await queue.get();
    await vi.advanceTimersByTimeAsync(3);
    expect(queue.unfinishedWork()).toEqual({ totalMs: 3, longestMs: 3 });
    queue.done('a');
    queue.addRateLimited('a');
    expect(events).toEqual(['add a', 'depth 1', 'depth 0', 'get a 7', 'done a 3', 'retry a']);
  });

  it('survives a throwing metrics observer', () => {
    const queue = new WorkQueue({
      metrics: {
        add: () => {
          throw new Error('boom');
        },
      },
    });
    queue.add('a');
    expect(queue.len()).toBe(1);
  });

  it('shutDown releases waiting workers, drops pending keys and ignores later adds', async () => {
    const queue = new WorkQueue();
    const waiting = track(queue.get());
    await settle();
    queue.shutDown();
    await settle();
    expect(waiting.result).toEqual({ shutdown: true });

    const other = new WorkQueue();
    other.add('a');
    other.addAfter('b', 100);
    other.shutDown();
    other.add('c');
    await vi.advanceTimersByTimeAsync(1000);
    expect(other.len()).toBe(0);
    expect(await other.get()).toEqual({ shutdown: true });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('shutDownWithDrain resolves only when in-flight keys are done, without requeueing them', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    queue.add('b');
    await queue.get();
    await queue.get();
    queue.add('a'); // dirty while processing
    let drained = false;
    void queue.shutDownWithDrain().then(() => (drained = true));
    queue.done('a');
    await settle();
    expect(drained).toBe(false);
    expect(queue.len()).toBe(0);
    queue.done('b');
    await settle();
    expect(drained).toBe(true);
    expect(await queue.get()).toEqual({ shutdown: true });
  });

  it('shutDownWithDrain resolves at once when nothing is in flight', async () => {
    const queue = new WorkQueue();
    await expect(queue.shutDownWithDrain()).resolves.toBeUndefined();
  });
});
