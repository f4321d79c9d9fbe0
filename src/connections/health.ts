/**
 * How one connection's Logto endpoint has been answering, and what that allows: one per connection
 * runtime, shared by its transport, its token provider and the passes of its resources.
 *
 * - A circuit breaker. After FAILURES_TO_OPEN failed attempts in a row that say the endpoint is not
 *   serving (no answer, a timeout, an answer past the size limit, 5xx, 429), the connection is open:
 *   its passes make no call and wait (Synced=False LogtoUnavailable), and its calls fail at once.
 *   When the backoff has passed (1 s, doubling up to about a minute), one pass at a time is let
 *   through as a probe; any answer that is not such a failure closes the breaker, and whoever waits
 *   is told (`onRecovered`) so that every resource of the connection goes on at once.
 * - Retry-After: a 429's Retry-After holds every pass and call of the connection until then, not
 *   only the one that got it; nothing sleeps in a worker for it.
 * - Pass slots: a connection may be limited to `maxPasses` passes at once (a namespace's connection,
 *   whose endpoint a namespace user chose), so that however slowly it answers, the workers of the
 *   operator stay free for everyone else. Passes over the limit wait in the queue.
 */
import { backoffDelay } from '../util/backoff.js';

/** Failed attempts in a row after which the breaker opens. */
export const FAILURES_TO_OPEN = 3;
export const PROBE_BACKOFF = { baseMs: 1_000, maxMs: 60_000 } as const;
/** The longest Retry-After honoured as such (a longer one is waited out as this long). */
const MAX_RETRY_AFTER_MS = 60 * 60_000;
/** How long a pass over its connection's slots waits before it asks again. */
const BUSY_RETRY_MS = 500;

export type Admission =
  | { admitted: true; probe: boolean; release(): void }
  | {
      admitted: false;
      /** busy: no free slot; unavailable: the breaker is open; throttled: a Retry-After runs. */
      why: 'busy' | 'unavailable' | 'throttled';
      retryInMs: number;
      /** For unavailable: when the failures began, and the last one (status or error code). */
      since?: Date;
      lastFailure?: string;
    };

/** An attempt's outcome, as far as the endpoint's health goes. */
export type AttemptOutcome =
  { answered: true; status: number; retryAfterMs?: number } | { answered: false; failure: string };

/** Pass slots shared by several connections (those whose endpoints namespace users chose). */
export class PassPool {
  private inUse = 0;
  constructor(readonly limit: number) {}

  tryTake(): boolean {
    if (this.inUse >= this.limit) return false;
    this.inUse++;
    return true;
  }

  give(): void {
    this.inUse--;
  }
}

export interface ConnectionHealthOptions {
  /** Passes of this connection at once; unlimited when undefined. */
  maxPasses?: number;
  /** Slots this connection's passes also take, shared with other connections. */
  pool?: PassPool;
  now?: () => number;
  random?: () => number;
}

export class ConnectionHealth {
  private failures = 0;
  private failingSince: number | undefined;
  private lastFailure: string | undefined;
  /** Opens counted since the last success: the probe backoff's attempt. */
  private opened = 0;
  private nextProbeAt = 0;
  private probing = false;
  private throttledUntil = 0;
  private passes = 0;
  private readonly listeners = new Set<() => void>();
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly options: ConnectionHealthOptions = {}) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** Whether the breaker is open (failures in a row reached FAILURES_TO_OPEN). */
  get open(): boolean {
    return this.failures >= FAILURES_TO_OPEN;
  }

  /** Called when the breaker closes again: the connection answers after having failed. */
  onRecovered(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * At the start of a pass: whether it may go on (and whether as the probe of an open breaker), or
   * why not and how long until it may ask again. An admitted pass calls `release()` when it ends.
   */
  admit(): Admission {
    const now = this.now();
    if (this.throttledUntil > now) {
      return { admitted: false, why: 'throttled', retryInMs: this.throttledUntil - now };
    }
    let probe = false;
    if (this.open) {
      if (this.probing || now < this.nextProbeAt) {
        return {
          admitted: false,
          why: 'unavailable',
          // Whoever waits comes back after the probe could have ended; a success wakes them sooner.
          retryInMs: Math.max(this.nextProbeAt - now, 0) + this.spread(),
          ...(this.failingSince !== undefined ? { since: new Date(this.failingSince) } : {}),
          ...(this.lastFailure ? { lastFailure: this.lastFailure } : {}),
        };
      }
      probe = true;
    }
    const { maxPasses, pool } = this.options;
    const busy = { admitted: false, why: 'busy', retryInMs: BUSY_RETRY_MS + this.spread() } as const;
    if (maxPasses !== undefined && this.passes >= maxPasses && !probe) return busy;
    if (pool && !pool.tryTake()) return busy;
    this.passes++;
    if (probe) this.probing = true;
    let released = false;
    return {
      admitted: true,
      probe,
      release: () => {
        if (released) return;
        released = true;
        this.passes--;
        pool?.give();
        // A probe whose calls settled nothing (it stopped before any): the next pass probes at once.
        if (probe) this.probing = false;
      },
    };
  }

  /** Whether a call may go out now: not while open (the probe pass aside) or throttled. */
  callAllowed(): { allowed: true } | { allowed: false; why: 'unavailable' | 'throttled'; retryInMs: number } {
    const now = this.now();
    if (this.throttledUntil > now) {
      return { allowed: false, why: 'throttled', retryInMs: this.throttledUntil - now };
    }
    if (this.open && !this.probing) {
      return { allowed: false, why: 'unavailable', retryInMs: Math.max(this.nextProbeAt - now, 0) };
    }
    return { allowed: true };
  }

  /** Every attempt's outcome, from the transport and the token provider. */
  record(outcome: AttemptOutcome): void {
    const now = this.now();
    if (outcome.answered && outcome.status === 429 && outcome.retryAfterMs !== undefined) {
      this.throttledUntil = Math.max(
        this.throttledUntil,
        now + Math.min(outcome.retryAfterMs, MAX_RETRY_AFTER_MS),
      );
    }
    const failed =
      !outcome.answered || outcome.status === 429 || (outcome.status >= 500 && outcome.status !== 501);
    if (!failed) {
      const recovered = this.open;
      this.failures = 0;
      this.failingSince = undefined;
      this.lastFailure = undefined;
      this.opened = 0;
      this.probing = false;
      if (recovered) for (const listener of this.listeners) listener();
      return;
    }
    this.failingSince ??= now;
    this.lastFailure = outcome.answered ? `HTTP ${outcome.status}` : outcome.failure;
    this.failures++;
    if (this.failures === FAILURES_TO_OPEN || (this.open && this.probing)) {
      // Opened now, or a probe failed: the next probe after a longer wait.
      this.probing = false;
      this.scheduleProbe();
    }
  }

  private scheduleProbe(): void {
    // No jitter: a probe is one call of one connection, not a herd to spread; so the probes of an
    // outage come at known times (1, 3, 7, 15, 31, 63 s after it opened, then every minute).
    this.nextProbeAt = this.now() + backoffDelay(this.opened, { ...PROBE_BACKOFF, jitter: 0 });
    this.opened++;
  }

  /** Up to half a second, so that the resources of one connection do not come back in lock step. */
  private spread(): number {
    return Math.round(this.random() * 500);
  }
}
