import { Heap } from 'heap-js';
import { realClock, type Clock, type TimerHandle } from './clock.js';
import { callObserver } from './observers.js';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';

/**
 * Observers for queue metrics, shaped after client-go's `workqueue.MetricsProvider` so that the
 * controller-runtime metric names (workqueue_depth, workqueue_adds_total, ...) map one to one.
 * Called synchronously; they must be cheap and must not throw (throws are swallowed).
 */
export interface WorkQueueMetrics {
  /** A key entered the queue (not counted when deduplicated). */
  add?(key: string): void;
  /** The number of keys waiting to be processed changed. */
  depth?(depth: number): void;
  /** A worker took `key` after it had waited `queuedMs`. */
  get?(key: string, queuedMs: number): void;
  /** A worker finished `key` after `workMs`. */
  done?(key: string, workMs: number): void;
  /** `key` was scheduled for a rate-limited retry. */
  retry?(key: string): void;
}

export interface WorkQueueOptions {
  /** Used in logs and metrics; usually the controller name. */
  name?: string;
  rateLimiter?: RateLimiter;
  clock?: Clock;
  metrics?: WorkQueueMetrics;
}

export type GetResult = { shutdown: false; key: string } | { shutdown: true; key?: undefined };

/** A delayed key and when it is due. */
type Due = readonly [readyAt: number, key: string];
/** Node.js fires a longer timeout at once (it takes the delay as a 32-bit integer). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A keyed work queue with client-go's guarantees:
 * - a key is handed to at most one worker at a time: adding a key that is being processed marks it
 *   dirty, and it is queued again only when the worker calls `done(key)`;
 * - a key is queued at most once however often it is added before a worker takes it;
 * - `addAfter` keeps only the earliest pending time per key; `addRateLimited` delays by the rate limiter.
 *   As client-go's delaying queue, delayed keys wait in a heap by time under one timer, armed for the
 *   earliest: with 10,000 resources each due again after its resync period, one timer and not 10,000
 *   (each of which held its own timer list and async context).
 *
 * Unlike client-go, `shutDown()` drops keys still waiting: workers stop taking work at once. Reconciling
 * is level-based, so whatever process runs next lists everything again and nothing is lost.
 */
export class WorkQueue {
  readonly name: string;
  private readonly rateLimiter: RateLimiter;
  private readonly clock: Clock;
  private readonly metrics: WorkQueueMetrics;

  /** Keys ready for a worker, in order. Every key here is also in `dirty`. */
  private queue: string[] = [];
  /** Keys that need processing (queued, or re-added while being processed). */
  private readonly dirty = new Set<string>();
  /** Keys held by a worker, with the time it took them. */
  private readonly processing = new Map<string, number>();
  /** When each queued key entered the queue, for the queue-latency metric. */
  private readonly queuedAt = new Map<string, number>();
  /** When each delayed key is due; the heap may hold older, later times of a key too (skipped). */
  private readonly delayed = new Map<string, number>();
  private readonly due = new Heap<Due>((a, b) => a[0] - b[0]);
  /** The one timer, armed for the earliest time in `due`. */
  private timer: { at: number; handle: TimerHandle } | undefined;
  private readonly waiters: ((result: GetResult) => void)[] = [];
  private shuttingDown = false;
  private drainWaiters: (() => void)[] = [];

  constructor(options: WorkQueueOptions = {}) {
    this.name = options.name ?? 'queue';
    this.clock = options.clock ?? realClock;
    this.rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter({ bucket: { clock: this.clock } });
    this.metrics = options.metrics ?? {};
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    this.notify('add', key);
    if (this.processing.has(key)) return; // queued again by done()
    this.enqueue(key);
  }

  /** Adds `key` once `delayMs` has passed; a pending earlier time for the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (!(delayMs > 0)) {
      this.add(key);
      return;
    }
    const readyAt = this.clock.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending !== undefined && pending <= readyAt) return;
    this.delayed.set(key, readyAt);
    this.due.push([readyAt, key]);
    // Entries superseded by sooner times wait for theirs; keys rescheduled sooner again and again
    // (a resource failing between resyncs) would pile them up: rebuild from what is pending.
    if (this.due.length > 2 * this.delayed.size + 1024) this.rebuildDue();
    this.arm();
  }

  private rebuildDue(): void {
    this.due.init([...this.delayed].map(([key, readyAt]): Due => [readyAt, key]));
  }

  /** Adds the delayed keys that are due, then arms the timer for the next one. */
  private release(): void {
    const now = this.clock.now();
    for (let next = this.due.peek(); next && next[0] <= now; next = this.due.peek()) {
      this.due.pop();
      const [readyAt, key] = next;
      // An entry a sooner time of the same key superseded, or one whose key was already added.
      if (this.delayed.get(key) !== readyAt) continue;
      this.delayed.delete(key);
      this.add(key);
    }
    this.arm();
  }

  private arm(): void {
    const next = this.due.peek();
    if (this.timer && next && this.timer.at <= next[0]) return;
    if (this.timer) this.clock.clearTimeout(this.timer.handle);
    this.timer = undefined;
    if (!next || this.shuttingDown) return;
    const at = next[0];
    // A later time than a timer holds is reached in steps: release() arms again.
    const handle = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.release();
      },
      Math.min(at - this.clock.now(), MAX_TIMER_MS),
    );
    this.timer = { at, handle };
  }

  /** Adds `key` after the rate limiter's delay, recording a retry. Returns the delay chosen. */
  addRateLimited(key: string): number {
    if (this.shuttingDown) return 0;
    const delayMs = this.rateLimiter.when(key);
    this.notify('retry', key);
    this.addAfter(key, delayMs);
    return delayMs;
  }

  /** Resets the per-key backoff; call when `key` was processed successfully. */
  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.rateLimiter.numRequeues(key);
  }

  /**
   * Waits for a key and marks it as being processed; the caller must call `done(key)` afterwards.
   * Resolves `{ shutdown: true }` once the queue is shut down.
   */
  get(): Promise<GetResult> {
    if (this.shuttingDown) return Promise.resolve({ shutdown: true });
    const key = this.queue.shift();
    if (key !== undefined) return Promise.resolve(this.take(key));
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    const startedAt = this.processing.get(key);
    if (startedAt === undefined) return;
    this.processing.delete(key);
    this.notify('done', key, this.clock.now() - startedAt);
    if (this.shuttingDown) {
      this.dirty.delete(key);
      if (this.processing.size === 0) this.resolveDrain();
      return;
    }
    if (this.dirty.has(key)) this.enqueue(key);
  }

  /** Keys waiting for a worker (not counting those being processed or delayed). */
  len(): number {
    return this.queue.length;
  }

  /** Keys currently held by workers. */
  processingCount(): number {
    return this.processing.size;
  }

  /** Sum and maximum of the time keys currently held have been processing (unfinished-work metrics). */
  unfinishedWork(): { totalMs: number; longestMs: number } {
    const now = this.clock.now();
    let totalMs = 0;
    let longestMs = 0;
    for (const startedAt of this.processing.values()) {
      totalMs += now - startedAt;
      longestMs = Math.max(longestMs, now - startedAt);
    }
    return { totalMs, longestMs };
  }

  /** Stops accepting keys, drops waiting and delayed keys and releases idle workers. */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    if (this.timer) this.clock.clearTimeout(this.timer.handle);
    this.timer = undefined;
    this.delayed.clear();
    this.due.clear();
    for (const key of this.queue) this.dirty.delete(key);
    this.queue = [];
    this.queuedAt.clear();
    this.notify('depth', 0);
    for (const resolve of this.waiters.splice(0)) resolve({ shutdown: true });
    if (this.processing.size === 0) this.resolveDrain();
  }

  /** `shutDown()`, then resolves when every key being processed has been marked done. */
  shutDownWithDrain(): Promise<void> {
    const drained = new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    this.shutDown();
    if (this.processing.size === 0) this.resolveDrain();
    return drained;
  }

  private enqueue(key: string): void {
    this.queuedAt.set(key, this.clock.now());
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter(this.take(key));
      return;
    }
    this.queue.push(key);
    this.notify('depth', this.queue.length);
  }

  private take(key: string): GetResult {
    const now = this.clock.now();
    this.dirty.delete(key);
    this.processing.set(key, now);
    const queuedAt = this.queuedAt.get(key) ?? now;
    this.queuedAt.delete(key);
    this.notify('depth', this.queue.length);
    this.notify('get', key, now - queuedAt);
    return { shutdown: false, key };
  }

  private resolveDrain(): void {
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }

  private notify<E extends keyof WorkQueueMetrics>(
    event: E,
    ...args: Parameters<NonNullable<WorkQueueMetrics[E]>>
  ): void {
    callObserver(this.metrics, event, args);
  }
}
