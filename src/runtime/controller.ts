import type { Logger } from '../log.js';
import { callObserver } from './observers.js';
import { realClock, type Clock } from './clock.js';
import { describeError } from './errors.js';
import { keyFromString, keyToString, type ObjectKey } from './object-key.js';
import type { RateLimiter } from './rate-limiter.js';
import { WorkQueue, type WorkQueueMetrics } from './workqueue.js';

/**
 * An error that says when to reconcile again (like controller-runtime's `TerminalError`, plus a
 * delay): it counts as an error, but the key comes back after `requeueAfterMs` instead of the rate
 * limiter's growing backoff.
 */
export interface RequeueAfterError {
  requeueAfterMs: number;
}

function requeueAfterOf(error: unknown): number | undefined {
  const value =
    error && typeof error === 'object' ? (error as Partial<RequeueAfterError>).requeueAfterMs : undefined;
  return typeof value === 'number' && value > 0 ? value : undefined;
}

/**
 * How a failed reconcile is logged: `error` "reconcile failed", unless the error says otherwise (an
 * outcome working as intended, such as a refusal by policy, is not an error of the operator).
 */
export interface LoggedAs {
  logAs: { level: 'warn' | 'info'; message: string };
}

function logAsOf(error: unknown): { level: 'error' | 'warn' | 'info'; message: string } {
  const logAs = error && typeof error === 'object' ? (error as Partial<LoggedAs>).logAs : undefined;
  return logAs ?? { level: 'error', message: 'reconcile failed' };
}

/** What a reconcile asks for next (controller-runtime `reconcile.Result`). */
export interface ReconcileResult {
  /** Reconcile again after this delay, with per-key backoff reset. Takes precedence over `requeue`. */
  requeueAfterMs?: number;
  /** Reconcile again after the rate limiter's delay (backoff grows, as after an error). */
  requeue?: boolean;
}

export interface ReconcileContext {
  /** Aborted when the controller gives up waiting for in-flight reconciles during `stop()`. */
  signal: AbortSignal;
  /** How many times this key has been retried since its last success. */
  retries: number;
}

export interface Reconciler {
  reconcile(key: ObjectKey, context: ReconcileContext): Promise<ReconcileResult | void>;
}

/** controller-runtime's `result` label of controller_runtime_reconcile_total. */
export type ReconcileOutcome = 'success' | 'error' | 'requeue' | 'requeue_after';

export interface ReconcileFinishedEvent {
  controller: string;
  key: ObjectKey;
  outcome: ReconcileOutcome;
  durationMs: number;
  /** The error thrown, for `error` outcomes. */
  error?: unknown;
  /** Delay before the key is processed again, when it was requeued. */
  requeueDelayMs?: number;
}

/**
 * Observers for controller metrics (controller_runtime_reconcile_total/_errors_total/_time_seconds,
 * active_workers, max_concurrent_reconciles). Called synchronously; throws are swallowed.
 */
export interface ControllerMetrics {
  maxConcurrentReconciles?(controller: string, workers: number): void;
  activeWorkers?(controller: string, active: number): void;
  reconcileStarted?(controller: string, key: ObjectKey): void;
  reconcileFinished?(event: ReconcileFinishedEvent): void;
}

export interface ControllerOptions {
  /** Used in logs and metrics labels, e.g. 'logtoapplication'. */
  name: string;
  reconciler: Reconciler;
  logger: Logger;
  /** Workers, i.e. reconciles running at once (different keys). Default 1. */
  concurrency?: number;
  rateLimiter?: RateLimiter;
  metrics?: ControllerMetrics;
  queueMetrics?: WorkQueueMetrics;
  clock?: Clock;
}

export interface StopOptions {
  /** How long in-flight reconciles may take to finish (default 30 s). */
  timeoutMs?: number;
  /**
   * After the deadline, how long to wait for the aborted reconciles to return (default 2 s): they stop
   * at their next Kubernetes or Logto call, which the abort cuts short.
   */
  abortGraceMs?: number;
}

export interface StopResult {
  /** True when in-flight reconciles were still running at the deadline (their signal was aborted). */
  timedOut: boolean;
  /** Keys being reconciled at the deadline. */
  inFlight: ObjectKey[];
  /**
   * Every worker has returned. False when a reconcile ignored its abort signal through the grace
   * period: the process should exit without handing its work over (its writes may still land).
   */
  workersReturned: boolean;
}

/**
 * Runs `concurrency` workers that take keys from a {@link WorkQueue} and reconcile them. A key is
 * never reconciled by two workers at once. Errors retry with the rate limiter's backoff; success
 * forgets the key's backoff.
 */
export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly concurrency: number;
  private readonly reconciler: Reconciler;
  private readonly log: Logger;
  private readonly metrics: ControllerMetrics;
  private readonly clock: Clock;
  private readonly abort = new AbortController();
  private readonly inFlight = new Set<string>();
  private workers: Promise<void>[] = [];
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private active = 0;
  private stopping: Promise<StopResult> | undefined;
  /** Ends the wait of a `stop()` in progress at once (a second, shorter `stop()`). */
  private expireStop: (() => void) | undefined;

  constructor(options: ControllerOptions) {
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
    }
    this.name = options.name;
    this.concurrency = concurrency;
    this.reconciler = options.reconciler;
    this.metrics = options.metrics ?? {};
    this.clock = options.clock ?? realClock;
    this.log = options.logger.child({ controller: options.name });
    this.queue = new WorkQueue({
      name: options.name,
      clock: this.clock,
      ...(options.rateLimiter ? { rateLimiter: options.rateLimiter } : {}),
      ...(options.queueMetrics ? { metrics: options.queueMetrics } : {}),
    });
  }

  /** Queues `key` for reconciliation (deduplicated). Keys may be queued before `start()`. */
  enqueue(key: ObjectKey): void {
    this.queue.add(keyToString(key));
  }

  enqueueAfter(key: ObjectKey, delayMs: number): void {
    this.queue.addAfter(keyToString(key), delayMs);
  }

  activeWorkers(): number {
    return this.active;
  }

  start(): void {
    if (this.state !== 'new') throw new Error(`controller ${this.name} was already started`);
    this.state = 'running';
    this.observe('maxConcurrentReconciles', this.name, this.concurrency);
    this.observe('activeWorkers', this.name, 0);
    this.log.info({ workers: this.concurrency }, 'starting workers');
    for (let i = 0; i < this.concurrency; i++) this.workers.push(this.runWorker());
  }

  /**
   * Stops taking work and waits up to `timeoutMs` for in-flight reconciles. At the deadline their
   * `signal` is aborted, and `stop()` waits up to `abortGraceMs` more for the workers to return. A
   * second call while stopping returns the same result; with `timeoutMs: 0` it aborts at once.
   */
  stop(options: StopOptions = {}): Promise<StopResult> {
    if (this.stopping) {
      if (options.timeoutMs === 0) this.expireStop?.();
      return this.stopping;
    }
    if (this.state === 'new' || this.state === 'stopped') {
      this.state = 'stopped';
      this.queue.shutDown();
      return Promise.resolve({ timedOut: false, inFlight: [], workersReturned: true });
    }
    this.stopping = this.drainOrAbort(options.timeoutMs ?? 30_000, options.abortGraceMs ?? 2_000);
    return this.stopping;
  }

  private async drainOrAbort(timeoutMs: number, abortGraceMs: number): Promise<StopResult> {
    this.state = 'stopping';
    this.log.info({ inFlight: this.inFlight.size, timeoutMs }, 'stopping: waiting for in-flight reconciles');
    const drained = this.queue
      .shutDownWithDrain()
      .then(() => Promise.all(this.workers))
      .then(() => 'returned' as const);
    const expired = new Promise<'expired'>((resolve) => (this.expireStop = () => resolve('expired')));
    if ((await this.within(timeoutMs, drained, expired)) === 'returned') {
      this.state = 'stopped';
      this.log.info('stopped');
      return { timedOut: false, inFlight: [], workersReturned: true };
    }
    const inFlight = [...this.inFlight].map(keyFromString);
    this.abort.abort(new Error(`controller ${this.name} stopped`));
    this.log.warn({ inFlight: [...this.inFlight] }, 'stop deadline passed with reconciles in flight');
    const workersReturned = (await this.within(abortGraceMs, drained)) === 'returned';
    this.state = 'stopped';
    if (!workersReturned) {
      this.log.error(
        { inFlight: [...this.inFlight], abortGraceMs },
        'reconciles did not return after being aborted',
      );
    }
    return { timedOut: true, inFlight, workersReturned };
  }

  /** The first of `outcomes` to settle, or 'timeout' after `ms`. */
  private async within<T>(ms: number, ...outcomes: Promise<T>[]): Promise<T | 'timeout'> {
    let timer: unknown;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = this.clock.setTimeout(() => resolve('timeout'), ms);
    });
    try {
      return await Promise.race([...outcomes, timeout]);
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  private async runWorker(): Promise<void> {
    for (;;) {
      const item = await this.queue.get();
      if (item.shutdown) return;
      try {
        await this.process(item.key);
      } finally {
        this.queue.done(item.key);
      }
    }
  }

  private async process(rawKey: string): Promise<void> {
    const key = keyFromString(rawKey);
    const retries = this.queue.numRequeues(rawKey);
    const started = this.clock.now();
    this.inFlight.add(rawKey);
    this.active++;
    this.observe('activeWorkers', this.name, this.active);
    this.observe('reconcileStarted', this.name, key);
    let event: ReconcileFinishedEvent;
    try {
      const result = (await this.reconciler.reconcile(key, { signal: this.abort.signal, retries })) ?? {};
      const durationMs = this.clock.now() - started;
      if (result.requeueAfterMs !== undefined && result.requeueAfterMs > 0) {
        this.queue.forget(rawKey);
        this.queue.addAfter(rawKey, result.requeueAfterMs);
        event = {
          controller: this.name,
          key,
          outcome: 'requeue_after',
          durationMs,
          requeueDelayMs: result.requeueAfterMs,
        };
      } else if (result.requeue) {
        const requeueDelayMs = this.queue.addRateLimited(rawKey);
        event = { controller: this.name, key, outcome: 'requeue', durationMs, requeueDelayMs };
      } else {
        this.queue.forget(rawKey);
        event = { controller: this.name, key, outcome: 'success', durationMs };
      }
      this.log.debug(
        { ...key, outcome: event.outcome, durationMs, requeueDelayMs: event.requeueDelayMs },
        'reconciled',
      );
    } catch (error) {
      const durationMs = this.clock.now() - started;
      // An error may name when to look again (a failure that waiting, not backoff, resolves).
      const fixedDelayMs = requeueAfterOf(error);
      let requeueDelayMs: number;
      if (fixedDelayMs !== undefined) {
        this.queue.forget(rawKey);
        this.queue.addAfter(rawKey, fixedDelayMs);
        requeueDelayMs = fixedDelayMs;
      } else {
        requeueDelayMs = this.queue.addRateLimited(rawKey);
      }
      event = { controller: this.name, key, outcome: 'error', durationMs, error, requeueDelayMs };
      // Only a summary of the error: client errors can carry response bodies (see describeError). An
      // outcome the reconciler expects (a refusal by policy) says so, at its own level.
      const { level, message } = logAsOf(error);
      this.log[level]({ ...key, retries, requeueDelayMs, err: describeError(error) }, message);
    } finally {
      this.inFlight.delete(rawKey);
      this.active--;
      this.observe('activeWorkers', this.name, this.active);
    }
    this.observe('reconcileFinished', event);
  }

  private observe<E extends keyof ControllerMetrics>(
    event: E,
    ...args: Parameters<NonNullable<ControllerMetrics[E]>>
  ): void {
    callObserver(this.metrics, event, args, (err) =>
      this.log.warn({ err: describeError(err), hook: event }, 'metrics hook threw'),
    );
  }
}
