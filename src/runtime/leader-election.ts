/**
 * Leader election over a Lease, after client-go's `leaderelection` package:
 * - candidates try to acquire every retry period (with jitter); a Lease held by someone else is taken
 *   over only once its record has not changed for `leaseDurationSeconds`, measured on the local clock
 *   from when this candidate first saw that record (no trust in other machines' clocks). "Saw" is when
 *   the read that returned it ended, as client-go takes it: a slow read must not eat into the margin
 *   between the renew deadline and the lease duration;
 * - the leader renews every retry period; when no renewal succeeds within the renew deadline (counted
 *   from the start of the last successful one) it gives up leadership for good: `stoppedLeading('lost')`.
 *   The renew deadline being shorter than the lease duration, the old leader stops before anyone else
 *   can start;
 * - every write is a compare-and-swap on the Lease's resourceVersion;
 * - `stop({ release: true })` clears the holder (leaseDurationSeconds 1), so a successor starts at once
 *   (client-go's ReleaseOnCancel).
 */
import type { Logger } from '../log.js';
import { realClock, sleep, type Clock } from './clock.js';
import { describeError } from './errors.js';

/** The leader election record kept in a Lease's spec. */
export interface LeaseRecord {
  /** Empty when nobody holds the Lease (released). */
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: Date | undefined;
  renewTime: Date | undefined;
  leaseTransitions: number;
}

export interface StoredLease {
  record: LeaseRecord;
  resourceVersion: string;
}

/** A write lost an optimistic-concurrency race (HTTP 409): someone else wrote the Lease first. */
export class LeaseConflictError extends Error {
  constructor(message = 'the Lease was changed concurrently') {
    super(message);
    this.name = 'LeaseConflictError';
  }
}

/** Storage of one Lease. Writes must fail with {@link LeaseConflictError} on a resourceVersion mismatch. */
export interface LeaseStore {
  /** E.g. `lease ns/name`, for logs. */
  readonly description: string;
  /** Undefined when the Lease does not exist. */
  get(signal: AbortSignal): Promise<StoredLease | undefined>;
  /** Fails with LeaseConflictError when it already exists. */
  create(record: LeaseRecord, signal: AbortSignal): Promise<StoredLease>;
  update(record: LeaseRecord, resourceVersion: string, signal: AbortSignal): Promise<StoredLease>;
}

/** Why leadership ended: `lost` (renew deadline passed) or `stopped` (asked to stop). */
export type LeadershipEnd = 'lost' | 'stopped';

/** Called synchronously on transitions; throws are logged and swallowed. */
export interface LeaderElectionCallbacks {
  startedLeading?(): void;
  stoppedLeading?(reason: LeadershipEnd): void;
  /** The Lease's holder changed to `identity` (this replica included). */
  newLeader?(identity: string): void;
}

export interface LeaderElectorOptions {
  store: LeaseStore;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  logger: Logger;
  callbacks?: LeaderElectionCallbacks;
  clock?: Clock;
  random?: () => number;
}

/** Acquire attempts wait retryPeriod × [1, 1 + JITTER), so that candidates do not poll in step. */
const JITTER = 0.2;
const RELEASE_ATTEMPTS = 3;

type State = 'new' | 'candidate' | 'leading' | 'stopped';

export class LeaderElector {
  readonly identity: string;
  private readonly store: LeaseStore;
  private readonly leaseDurationSeconds: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  /** Bound on one Lease request, so that a hung connection cannot stall an acquire or a release. */
  private readonly requestTimeoutMs: number;
  private readonly log: Logger;
  private readonly callbacks: LeaderElectionCallbacks;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly halt = new AbortController();

  private state: State = 'new';
  private loop: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  /** The Lease as last read or written, and the local time (after the request) its record last changed. */
  private observed: StoredLease | undefined;
  private observedAt = 0;
  private reportedLeader: string | undefined;
  /** Start time of the last successful acquire or renewal. */
  private lastRenewAt = 0;

  constructor(options: LeaderElectorOptions) {
    const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = options;
    if (!(retryPeriodMs > 0 && renewDeadlineMs > retryPeriodMs && leaseDurationMs > renewDeadlineMs)) {
      throw new RangeError('leader election needs leaseDuration > renewDeadline > retryPeriod > 0');
    }
    this.identity = options.identity;
    this.store = options.store;
    this.leaseDurationSeconds = Math.max(1, Math.ceil(leaseDurationMs / 1000));
    this.renewDeadlineMs = renewDeadlineMs;
    this.retryPeriodMs = retryPeriodMs;
    this.requestTimeoutMs = Math.max(renewDeadlineMs / 2, retryPeriodMs);
    this.log = options.logger.child({ lease: options.store.description, identity: options.identity });
    this.callbacks = options.callbacks ?? {};
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
  }

  isLeader(): boolean {
    return this.state === 'leading';
  }

  /** Started, and neither stopped nor past a lost renewal. */
  isCampaigningOrLeading(): boolean {
    return this.state === 'candidate' || this.state === 'leading';
  }

  start(): void {
    if (this.state !== 'new') throw new Error('leader elector was already started');
    this.state = 'candidate';
    this.log.info('trying to acquire the leader lease');
    this.loop = this.run().catch((err: unknown) => {
      this.log.error({ err: describeError(err) }, 'leader election loop crashed');
    });
  }

  /**
   * Stops campaigning or renewing. A leader releases the Lease when `release` (default true) so that a
   * successor starts at once; without it (a simulated crash) successors wait for the lease to expire.
   */
  stop(options: { release?: boolean; releaseTimeoutMs?: number } = {}): Promise<void> {
    this.stopping ??= this.shutDown(options.release ?? true, options.releaseTimeoutMs);
    return this.stopping;
  }

  private async shutDown(release: boolean, releaseTimeoutMs: number | undefined): Promise<void> {
    if (this.state === 'new' || this.state === 'stopped') {
      this.state = 'stopped';
      return;
    }
    this.halt.abort();
    await this.loop;
    const wasLeading = this.state === 'leading';
    this.state = 'stopped';
    if (!wasLeading) return;
    if (release) await this.release(releaseTimeoutMs);
    else this.log.info('stopped renewing the leader lease without releasing it');
    this.notify('stoppedLeading', 'stopped');
  }

  private async run(): Promise<void> {
    if (!(await this.acquire())) return;
    this.state = 'leading';
    this.log.info('became the leader');
    this.notify('startedLeading');
    if ((await this.renew()) === 'stopped') return;
    this.state = 'stopped';
    this.log.error(
      { renewDeadlineMs: this.renewDeadlineMs },
      'leader lease lost: no renewal succeeded within the renew deadline',
    );
    this.notify('stoppedLeading', 'lost');
  }

  /** Tries until the Lease is ours; false when stopped first. */
  private async acquire(): Promise<boolean> {
    for (;;) {
      if (this.halt.signal.aborted) return false;
      if (await this.tryAcquireOrRenew(this.halt.signal)) return true;
      const delay = this.retryPeriodMs * (1 + JITTER * this.random());
      if (!(await sleep(this.clock, delay, this.halt.signal))) return false;
    }
  }

  /** Renews every retry period until stopped, or until a renewal misses its deadline. */
  private async renew(): Promise<'lost' | 'stopped'> {
    for (;;) {
      if (!(await sleep(this.clock, this.retryPeriodMs, this.halt.signal))) return 'stopped';
      const outcome = await this.renewBefore(this.lastRenewAt + this.renewDeadlineMs);
      if (outcome !== 'renewed') return outcome;
    }
  }

  private async renewBefore(deadline: number): Promise<'renewed' | 'lost' | 'stopped'> {
    const expired = new AbortController();
    const timer = this.clock.setTimeout(() => expired.abort(), deadline - this.clock.now());
    const signal = AbortSignal.any([this.halt.signal, expired.signal]);
    try {
      for (;;) {
        if (this.halt.signal.aborted) return 'stopped';
        if (expired.signal.aborted) return 'lost';
        if (await this.tryAcquireOrRenew(signal)) return 'renewed';
        this.log.warn(
          { deadlineInMs: Math.max(0, deadline - this.clock.now()) },
          'failed to renew the lease',
        );
        await sleep(this.clock, this.retryPeriodMs, signal);
      }
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  /**
   * One attempt to take or keep the Lease (client-go's tryAcquireOrRenew). `now`, taken before the
   * requests, stamps the record written and bounds the renew deadline; what was read or written is
   * observed at the time its request ended.
   */
  private async tryAcquireOrRenew(parent: AbortSignal): Promise<boolean> {
    const now = this.clock.now();
    const { signal, cancel } = this.requestSignal(parent);
    try {
      // Fast path: the leader rewrites the record it wrote last, without reading it first.
      if (this.state === 'leading' && this.observed) {
        try {
          const stored = await abortable(
            this.store.update(this.renewal(this.observed.record, now), this.observed.resourceVersion, signal),
            signal,
          );
          return this.succeeded(stored, now);
        } catch (err) {
          if (signal.aborted) throw err;
          // Someone else wrote the Lease (or the request failed): read it and decide again.
          this.log.debug({ err: describeError(err) }, 'lease renewal without read failed');
        }
      }
      const current = await abortable(this.store.get(signal), signal);
      if (!current) {
        const created = await abortable(this.store.create(this.acquisition(undefined, now), signal), signal);
        return this.succeeded(created, now);
      }
      const readAt = this.clock.now();
      this.observe(current, readAt);
      const holder = current.record.holderIdentity;
      if (holder !== '' && holder !== this.identity && !this.observedExpired(readAt)) return false;
      const record =
        holder === this.identity ? this.renewal(current.record, now) : this.acquisition(current.record, now);
      const written = await abortable(this.store.update(record, current.resourceVersion, signal), signal);
      if (holder !== this.identity) {
        this.log.info({ previousHolder: holder || undefined }, 'acquired the leader lease');
      }
      return this.succeeded(written, now);
    } catch (err) {
      if (err instanceof LeaseConflictError) this.log.debug('lease changed concurrently; will retry');
      else if (!parent.aborted) this.log.warn({ err: describeError(err) }, 'lease request failed');
      return false;
    } finally {
      cancel();
    }
  }

  /** Written: observed now (after the request); the renew deadline counts from the attempt's start. */
  private succeeded(stored: StoredLease, attemptStartedAt: number): true {
    this.observe(stored, this.clock.now());
    this.lastRenewAt = attemptStartedAt;
    return true;
  }

  /**
   * Clears the holder if it is still us, so that a successor need not wait for expiry. Gives up after
   * `timeoutMs` (the rest of a shutdown's budget): the Lease then expires on its own.
   */
  private async release(timeoutMs: number | undefined): Promise<void> {
    const budget = new AbortController();
    const timer =
      timeoutMs === undefined
        ? undefined
        : this.clock.setTimeout(() => budget.abort(new Error('release deadline passed')), timeoutMs);
    try {
      await this.releaseWithin(budget.signal);
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  private async releaseWithin(budget: AbortSignal): Promise<void> {
    for (let attempt = 0; attempt < RELEASE_ATTEMPTS && !budget.aborted; attempt++) {
      const { signal, cancel } = this.requestSignal(budget);
      try {
        // The cached record first; after a conflict (e.g. a renewal that was cut off but landed), read.
        const current =
          attempt === 0 && this.observed ? this.observed : await abortable(this.store.get(signal), signal);
        if (!current || current.record.holderIdentity !== this.identity) {
          this.log.info('leader lease already held by someone else; nothing to release');
          return;
        }
        const now = new Date(this.clock.now());
        const released: LeaseRecord = {
          holderIdentity: '',
          leaseDurationSeconds: 1,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: current.record.leaseTransitions,
        };
        this.observed = await abortable(this.store.update(released, current.resourceVersion, signal), signal);
        this.log.info('released the leader lease');
        return;
      } catch (err) {
        this.log.warn(
          { err: describeError(err), attempt: attempt + 1 },
          'failed to release the leader lease',
        );
      } finally {
        cancel();
      }
    }
    this.log.warn('leader lease not released: a successor takes over once it expires');
  }

  /** Records what the Lease says; the expiry clock restarts only when the record itself changed. */
  private observe(stored: StoredLease, now: number): void {
    if (!this.observed || !sameRecord(this.observed.record, stored.record)) this.observedAt = now;
    this.observed = stored;
    const holder = stored.record.holderIdentity;
    if (holder !== '' && holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      if (holder !== this.identity) this.log.info({ leader: holder }, 'new leader observed');
      this.notify('newLeader', holder);
    }
  }

  private observedExpired(now: number): boolean {
    const durationMs = (this.observed?.record.leaseDurationSeconds ?? 0) * 1000;
    return this.observedAt + durationMs <= now;
  }

  private renewal(record: LeaseRecord, now: number): LeaseRecord {
    return {
      ...record,
      holderIdentity: this.identity,
      leaseDurationSeconds: this.leaseDurationSeconds,
      renewTime: new Date(now),
    };
  }

  private acquisition(previous: LeaseRecord | undefined, now: number): LeaseRecord {
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: this.leaseDurationSeconds,
      acquireTime: new Date(now),
      renewTime: new Date(now),
      leaseTransitions: previous ? previous.leaseTransitions + 1 : 0,
    };
  }

  private requestSignal(parent: AbortSignal): { signal: AbortSignal; cancel: () => void } {
    const timeout = new AbortController();
    const timer = this.clock.setTimeout(
      () => timeout.abort(new Error(`lease request timed out after ${this.requestTimeoutMs} ms`)),
      this.requestTimeoutMs,
    );
    return {
      signal: AbortSignal.any([parent, timeout.signal]),
      cancel: () => this.clock.clearTimeout(timer),
    };
  }

  private notify<E extends keyof LeaderElectionCallbacks>(
    event: E,
    ...args: Parameters<NonNullable<LeaderElectionCallbacks[E]>>
  ): void {
    const callback = this.callbacks[event] as ((...a: typeof args) => void) | undefined;
    try {
      callback?.apply(this.callbacks, args);
    } catch (err) {
      this.log.warn({ err: describeError(err), callback: event }, 'leader election callback threw');
    }
  }
}

function sameRecord(a: LeaseRecord, b: LeaseRecord): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.leaseTransitions === b.leaseTransitions &&
    a.acquireTime?.getTime() === b.acquireTime?.getTime() &&
    a.renewTime?.getTime() === b.renewTime?.getTime()
  );
}

/** `promise`, or a rejection as soon as `signal` aborts (the request itself is cancelled by the store). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err as Error);
      },
    );
  });
}
