import { backoffDelay } from '../util/backoff.js';
import { realClock, type Clock } from './clock.js';

/** Decides how long a key waits before it is retried (client-go `workqueue.TypedRateLimiter`). */
export interface RateLimiter {
  /** Delay in ms before `key` may be processed again; records a failure for it. */
  when(key: string): number;
  /** Clears the failure history of `key` (call after it was processed successfully). */
  forget(key: string): void;
  /** How many times `key` has been rate limited since it was last forgotten. */
  numRequeues(key: string): number;
}

export interface ExponentialRateLimiterOptions {
  /** Delay after the first failure (client-go default 5 ms). */
  baseMs?: number;
  /** Upper bound before jitter (client-go default 1000 s). */
  maxMs?: number;
  /** Fraction of each delay randomised, see `backoffDelay` (default 0.2). */
  jitter?: number;
  random?: () => number;
}

/** Per-key exponential backoff: `baseMs * 2^failures`, capped, with jitter. */
export class ItemExponentialRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(options: ExponentialRateLimiterOptions = {}) {
    this.baseMs = options.baseMs ?? 5;
    this.maxMs = options.maxMs ?? 1_000_000;
    this.jitter = options.jitter ?? 0.2;
    this.random = options.random ?? Math.random;
  }

  when(key: string): number {
    const attempt = this.failures.get(key) ?? 0;
    this.failures.set(key, attempt + 1);
    return backoffDelay(attempt, {
      baseMs: this.baseMs,
      maxMs: this.maxMs,
      jitter: this.jitter,
      random: this.random,
    });
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

export interface BucketRateLimiterOptions {
  /** Sustained rate of retries across all keys (client-go default 10/s). */
  qps?: number;
  /** Retries allowed at once before the rate applies (client-go default 100). */
  burst?: number;
  clock?: Clock;
}

/**
 * Overall token bucket, like `golang.org/x/time/rate.Limiter.Reserve().Delay()`: every call takes a
 * token, the balance may go negative, and the delay is the time until the bucket refills to zero. It
 * bounds the total retry rate when many keys fail at once.
 */
export class BucketRateLimiter implements RateLimiter {
  private readonly qps: number;
  private readonly burst: number;
  private readonly clock: Clock;
  private tokens: number;
  private last: number;

  constructor(options: BucketRateLimiterOptions = {}) {
    this.qps = options.qps ?? 10;
    this.burst = options.burst ?? 100;
    if (!(this.qps > 0) || !(this.burst >= 1)) throw new RangeError('qps must be > 0 and burst >= 1');
    this.clock = options.clock ?? realClock;
    this.tokens = this.burst;
    this.last = this.clock.now();
  }

  when(_key: string): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.qps);
  }

  forget(_key: string): void {}

  numRequeues(_key: string): number {
    return 0;
  }
}

/** The longest delay of several limiters (client-go `MaxOfRateLimiter`). */
export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: readonly RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    if (limiters.length === 0) throw new RangeError('MaxOfRateLimiter needs at least one limiter');
    this.limiters = limiters;
  }

  when(key: string): number {
    // Every limiter must see the call (each records it), so no short-circuit.
    return this.limiters.reduce((max, limiter) => Math.max(max, limiter.when(key)), 0);
  }

  forget(key: string): void {
    for (const limiter of this.limiters) limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.limiters.reduce((max, limiter) => Math.max(max, limiter.numRequeues(key)), 0);
  }
}

export interface DefaultRateLimiterOptions {
  exponential?: ExponentialRateLimiterOptions;
  bucket?: BucketRateLimiterOptions;
}

/** controller-runtime's default: per-key exponential (5 ms .. 1000 s) max-of a 10 qps / 100 burst bucket. */
export function defaultControllerRateLimiter(options: DefaultRateLimiterOptions = {}): RateLimiter {
  return new MaxOfRateLimiter(
    new ItemExponentialRateLimiter(options.exponential),
    new BucketRateLimiter(options.bucket),
  );
}
