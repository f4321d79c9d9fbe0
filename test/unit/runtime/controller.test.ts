import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  Controller,
  type ReconcileContext,
  type ReconcileFinishedEvent,
  type ReconcileResult,
} from '../../../src/runtime/controller.js';
import type { ObjectKey } from '../../../src/runtime/object-key.js';
import { ItemExponentialRateLimiter } from '../../../src/runtime/rate-limiter.js';
import { captureLogger, deferred, silentLogger, type Deferred } from './helpers.js';

type Handler = (key: ObjectKey, context: ReconcileContext) => Promise<ReconcileResult | void>;

function makeController(handler: Handler, options: { concurrency?: number } = {}) {
  const finished: ReconcileFinishedEvent[] = [];
  const calls: { key: string; at: number; retries: number }[] = [];
  const controller = new Controller({
    name: 'test',
    logger: silentLogger(),
    concurrency: options.concurrency ?? 1,
    rateLimiter: new ItemExponentialRateLimiter({ baseMs: 10, jitter: 0 }),
    reconciler: {
      reconcile: (key, context) => {
        calls.push({ key: `${key.namespace}/${key.name}`, at: Date.now(), retries: context.retries });
        return handler(key, context);
      },
    },
    metrics: { reconcileFinished: (event) => finished.push(event) },
  });
  return { controller, finished, calls };
}

const key = (name: string): ObjectKey => ({ namespace: 'ns', name });

describe('Controller', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs at most `concurrency` reconciles at once and processes every key', async () => {
    const pending = new Map<string, Deferred<void>>();
    let running = 0;
    let peak = 0;
    const { controller, calls } = makeController(
      async (k) => {
        running++;
        peak = Math.max(peak, running);
        const gate = deferred();
        pending.set(k.name, gate);
        await gate.promise;
        running--;
      },
      { concurrency: 2 },
    );
    for (const name of ['a', 'b', 'c', 'd', 'e']) controller.enqueue(key(name));
    controller.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(running).toBe(2);
    expect(controller.activeWorkers()).toBe(2);
    for (let i = 0; i < 5; i++) {
      for (const [name, gate] of pending) {
        pending.delete(name);
        gate.resolve();
      }
      await vi.advanceTimersByTimeAsync(0);
    }
    expect(peak).toBe(2);
    expect(calls.map((c) => c.key).sort()).toEqual(['ns/a', 'ns/b', 'ns/c', 'ns/d', 'ns/e']);
    await controller.stop();
  });

  it('never reconciles one key concurrently; a re-enqueue during reconcile runs once afterwards', async () => {
    const gates: Deferred<void>[] = [];
    let running = 0;
    let peak = 0;
    const { controller, calls } = makeController(
      async () => {
        running++;
        peak = Math.max(peak, running);
        const gate = deferred();
        gates.push(gate);
        await gate.promise;
        running--;
      },
      { concurrency: 4 },
    );
    controller.start();
    controller.enqueue(key('a'));
    await vi.advanceTimersByTimeAsync(0);
    controller.enqueue(key('a'));
    controller.enqueue(key('a'));
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(1);
    gates[0]?.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(2);
    gates[1]?.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(2);
    expect(peak).toBe(1);
    await controller.stop();
  });

  it('retries errors with growing backoff and forgets the backoff after success', async () => {
    let failuresLeft = 3;
    const { controller, calls, finished } = makeController(async () => {
      if (failuresLeft-- > 0) throw new Error('not yet');
    });
    controller.start();
    controller.enqueue(key('a'));
    await vi.advanceTimersByTimeAsync(1000);
    // 10, 20, 40 ms of backoff between attempts (jitter disabled).
    expect(calls.map((c) => c.at)).toEqual([0, 10, 30, 70]);
    expect(calls.map((c) => c.retries)).toEqual([0, 1, 2, 3]);
    expect(finished.map((e) => e.outcome)).toEqual(['error', 'error', 'error', 'success']);
    expect(finished.map((e) => e.requeueDelayMs)).toEqual([10, 20, 40, undefined]);
    expect(controller.queue.numRequeues('ns/a')).toBe(0);
    await controller.stop();
  });

  it('counts an error that names its own delay as an error, and requeues it after that delay', async () => {
    let failuresLeft = 2;
    const { controller, calls, finished } = makeController(async () => {
      if (failuresLeft-- > 0)
        throw Object.assign(new Error('Secret owned by someone else'), { requeueAfterMs: 60_000 });
    });
    controller.start();
    controller.enqueue(key('a'));
    await vi.advanceTimersByTimeAsync(200_000);
    expect(calls.map((c) => c.at)).toEqual([0, 60_000, 120_000]);
    expect(finished.map((e) => e.outcome)).toEqual(['error', 'error', 'success']);
    expect(finished.map((e) => e.requeueDelayMs)).toEqual([60_000, 60_000, undefined]);
    await controller.stop();
  });

  it('requeues after requeueAfterMs with backoff reset, and rate-limits `requeue: true`', async () => {
    const results: (ReconcileResult | void)[] = [{ requeue: true }, { requeueAfterMs: 5000 }, undefined];
    const { controller, calls, finished } = makeController(async () => results.shift());
    controller.start();
    controller.enqueue(key('a'));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls.map((c) => c.at)).toEqual([0, 10, 5010]);
    expect(finished.map((e) => e.outcome)).toEqual(['requeue', 'requeue_after', 'success']);
    expect(calls.map((c) => c.retries)).toEqual([0, 1, 0]);
    await controller.stop();
  });

  it('logs failures with the key and a summary of the error, never its body', async () => {
    const { logger, lines, text } = captureLogger();
    const controller = new Controller({
      name: 'test',
      logger,
      rateLimiter: new ItemExponentialRateLimiter({ baseMs: 10, jitter: 0 }),
      reconciler: {
        reconcile: async () => {
          throw Object.assign(new Error('HTTP-Code: 409\nBody: {"data":{"clientSecret":"s3cr3t"}}'), {
            code: 409,
            body: {
              reason: 'Conflict',
              message: 'the object has been modified',
              data: { clientSecret: 's3cr3t' },
            },
          });
        },
      },
    });
    controller.start();
    controller.enqueue(key('a'));
    await vi.advanceTimersByTimeAsync(0);
    await controller.stop();
    const failure = lines.find((line) => line.msg === 'reconcile failed');
    expect(failure).toMatchObject({
      controller: 'test',
      namespace: 'ns',
      name: 'a',
      retries: 0,
      requeueDelayMs: 10,
      err: { status: 409, reason: 'Conflict', message: 'the object has been modified' },
    });
    expect(text()).not.toContain('s3cr3t');
  });

  it('keeps running when a metrics hook throws', async () => {
    let reconciles = 0;
    const controller = new Controller({
      name: 'test',
      logger: silentLogger(),
      reconciler: { reconcile: async () => void reconciles++ },
      metrics: {
        reconcileStarted: () => {
          throw new Error('hook');
        },
      },
    });
    controller.start();
    controller.enqueue(key('a'));
    controller.enqueue(key('b'));
    await vi.advanceTimersByTimeAsync(0);
    expect(reconciles).toBe(2);
    await controller.stop();
  });

  it('stop() waits for in-flight reconciles and takes no new work', async () => {
    const gate = deferred();
    const { controller, calls } = makeController(() => gate.promise);
    controller.start();
    controller.enqueue(key('a'));
    await vi.advanceTimersByTimeAsync(0);
    controller.enqueue(key('b'));
    let stopped: unknown;
    void controller.stop({ timeoutMs: 10_000 }).then((r) => (stopped = r));
    await vi.advanceTimersByTimeAsync(5000);
    expect(stopped).toBeUndefined();
    gate.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toEqual({ timedOut: false, inFlight: [], workersReturned: true });
    expect(calls.map((c) => c.key)).toEqual(['ns/a']);
    controller.enqueue(key('c'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(1);
  });

  it('stop() aborts the reconcile signal at the deadline and waits for the workers to return', async () => {
    let signal: AbortSignal | undefined;
    let returned = 0;
    const { controller, finished } = makeController(async (_k, context) => {
      signal = context.signal;
      // Like a Kubernetes or Logto call: ends as soon as the signal aborts.
      await new Promise((_, reject) =>
        context.signal.addEventListener('abort', () => reject(context.signal.reason)),
      );
    });
    controller.start();
    controller.enqueue(key('slow'));
    await vi.advanceTimersByTimeAsync(0);
    let stopped: unknown;
    void controller.stop({ timeoutMs: 2000, abortGraceMs: 1000 }).then((r) => {
      stopped = r;
      returned = controller.activeWorkers();
    });
    await vi.advanceTimersByTimeAsync(1999);
    expect(stopped).toBeUndefined();
    expect(signal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(signal?.aborted).toBe(true);
    expect(stopped).toEqual({ timedOut: true, inFlight: [key('slow')], workersReturned: true });
    // Resolved only once the worker had returned: nothing is running any more.
    expect(returned).toBe(0);
    expect(finished.map((e) => e.outcome)).toEqual(['error']);
  });

  it('stop() gives up on a worker that ignores its abort signal after the grace period', async () => {
    let signal: AbortSignal | undefined;
    const { controller } = makeController((_k, context) => {
      signal = context.signal;
      return new Promise(() => {});
    });
    controller.start();
    controller.enqueue(key('stuck'));
    await vi.advanceTimersByTimeAsync(0);
    let stopped: unknown;
    void controller.stop({ timeoutMs: 2000, abortGraceMs: 1000 }).then((r) => (stopped = r));
    await vi.advanceTimersByTimeAsync(2000);
    expect(signal?.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(999);
    expect(stopped).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(stopped).toEqual({ timedOut: true, inFlight: [key('stuck')], workersReturned: false });
    expect(controller.activeWorkers()).toBe(1);
  });

  it('a second stop() with no time left aborts a stop in progress at once', async () => {
    let signal: AbortSignal | undefined;
    const { controller } = makeController((_k, context) => {
      signal = context.signal;
      return new Promise((_, reject) =>
        context.signal.addEventListener('abort', () => reject(context.signal.reason)),
      );
    });
    controller.start();
    controller.enqueue(key('a'));
    await vi.advanceTimersByTimeAsync(0);
    const first = controller.stop({ timeoutMs: 30_000 });
    await vi.advanceTimersByTimeAsync(100);
    expect(signal?.aborted).toBe(false);
    const second = controller.stop({ timeoutMs: 0 });
    await vi.advanceTimersByTimeAsync(0);
    expect(signal?.aborted).toBe(true);
    expect(await second).toEqual(await first);
    expect((await first).workersReturned).toBe(true);
  });

  it('rejects a non-positive concurrency and a second start', () => {
    const reconciler = { reconcile: async () => {} };
    expect(() => new Controller({ name: 'x', logger: silentLogger(), reconciler, concurrency: 0 })).toThrow(
      RangeError,
    );
    const controller = new Controller({ name: 'x', logger: silentLogger(), reconciler });
    controller.start();
    expect(() => controller.start()).toThrow(/already started/);
    void controller.stop();
  });
});
