/**
 * The leader election state machine against an in-memory Lease with resourceVersion checks, on fake
 * timers: every time below is fake-clock time, nothing depends on the wall clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  LeaderElector,
  LeaseConflictError,
  type LeadershipEnd,
  type LeaseRecord,
  type LeaseStore,
  type StoredLease,
} from '../../../src/runtime/leader-election.js';
import { silentLogger } from '../runtime/helpers.js';

const LEASE_MS = 15_000;
const RENEW_MS = 10_000;
const RETRY_MS = 2_000;

/** One Lease, shared by every elector of a test; writes are compare-and-swap on resourceVersion. */
class FakeLeaseStore {
  lease: StoredLease | undefined;
  private version = 0;
  /** Requests by kind, for assertions. */
  readonly requests: { kind: 'get' | 'create' | 'update'; by: string; at: number }[] = [];
  /** Per identity: requests fail with this error, or never answer ('hang'). */
  readonly faults = new Map<string, Error | 'hang'>();
  /** Per identity: how long its next GETs take (fake-clock ms), one entry per GET. */
  readonly getDelays = new Map<string, number[]>();

  for(identity: string): LeaseStore {
    const guard = <T>(kind: 'get' | 'create' | 'update', act: () => T): Promise<T> => {
      this.requests.push({ kind, by: identity, at: Date.now() });
      const fault = this.faults.get(identity);
      if (fault === 'hang') return new Promise<T>(() => undefined);
      if (fault) return Promise.reject(fault);
      try {
        return Promise.resolve(act());
      } catch (err) {
        return Promise.reject(err as Error);
      }
    };
    return {
      description: 'test/lease',
      get: async () => {
        const delay = this.getDelays.get(identity)?.shift() ?? 0;
        // The answer is the Lease as it was when the apiserver read it: at the start of the delay.
        const answer = guard('get', () => this.snapshot());
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        return answer;
      },
      create: (record) =>
        guard('create', () => {
          if (this.lease) throw new LeaseConflictError('exists');
          return this.write(record);
        }),
      update: (record, resourceVersion) =>
        guard('update', () => {
          if (!this.lease || this.lease.resourceVersion !== resourceVersion) throw new LeaseConflictError();
          return this.write(record);
        }),
    };
  }

  /** A write by someone else (another operator version, kubectl). */
  write(record: LeaseRecord): StoredLease {
    this.lease = { record: { ...record }, resourceVersion: String(++this.version) };
    return this.snapshot()!;
  }

  get holder(): string | undefined {
    return this.lease?.record.holderIdentity;
  }

  private snapshot(): StoredLease | undefined {
    return this.lease && { record: { ...this.lease.record }, resourceVersion: this.lease.resourceVersion };
  }
}

interface Candidate {
  elector: LeaderElector;
  events: string[];
  startedAt: number | undefined;
  stoppedAt: number | undefined;
}

const electors: LeaderElector[] = [];

function candidate(store: FakeLeaseStore, identity: string, random = () => 0): Candidate {
  const state: Candidate = { elector: undefined!, events: [], startedAt: undefined, stoppedAt: undefined };
  state.elector = new LeaderElector({
    store: store.for(identity),
    identity,
    leaseDurationMs: LEASE_MS,
    renewDeadlineMs: RENEW_MS,
    retryPeriodMs: RETRY_MS,
    logger: silentLogger(),
    random,
    callbacks: {
      startedLeading: () => {
        state.startedAt = Date.now();
        state.events.push('started');
      },
      stoppedLeading: (reason: LeadershipEnd) => {
        state.stoppedAt = Date.now();
        state.events.push(`stopped:${reason}`);
      },
      newLeader: (leader) => state.events.push(`leader:${leader}`),
    },
  });
  electors.push(state.elector);
  return state;
}

const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

describe('LeaderElector', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(async () => {
    for (const elector of electors.splice(0)) await elector.stop({ release: false });
    vi.useRealTimers();
  });

  it('creates the Lease when there is none and leads at once', async () => {
    const store = new FakeLeaseStore();
    const a = candidate(store, 'a');
    a.elector.start();
    await advance(0);
    expect(a.elector.isLeader()).toBe(true);
    expect(a.events).toEqual(['leader:a', 'started']);
    expect(store.lease!.record).toEqual({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: new Date(0),
      renewTime: new Date(0),
      leaseTransitions: 0,
    });
  });

  it('renews every retry period, keeping acquireTime, without reading the Lease first', async () => {
    const store = new FakeLeaseStore();
    const a = candidate(store, 'a');
    a.elector.start();
    await advance(0);
    const requestsBefore = store.requests.length;
    await advance(3 * RETRY_MS);
    expect(store.lease!.record).toMatchObject({
      holderIdentity: 'a',
      acquireTime: new Date(0),
      renewTime: new Date(3 * RETRY_MS),
      leaseTransitions: 0,
    });
    expect(store.requests.slice(requestsBefore).map((r) => r.kind)).toEqual(['update', 'update', 'update']);
  });

  it('a candidate waits while the Lease is renewed, and takes over one lease duration after the last change it saw', async () => {
    const store = new FakeLeaseStore();
    const a = candidate(store, 'a');
    a.elector.start();
    await advance(0);
    const b = candidate(store, 'b');
    b.elector.start();
    await advance(60_000);
    expect(b.elector.isLeader()).toBe(false);
    expect(b.events).toEqual(['leader:a']);

    // a dies without releasing: its renewals stop at its last one.
    await a.elector.stop({ release: false });
    const lastRenewal = store.lease!.record.renewTime!.getTime();
    expect(store.holder).toBe('a');

    await advance(LEASE_MS - RETRY_MS);
    expect(b.elector.isLeader()).toBe(false);
    await advance(2 * RETRY_MS + 1);
    expect(b.elector.isLeader()).toBe(true);
    // b saw the last renewal at most one retry period after it; it polls every retry period.
    expect(b.startedAt! - lastRenewal).toBeGreaterThanOrEqual(LEASE_MS);
    expect(b.startedAt! - lastRenewal).toBeLessThanOrEqual(LEASE_MS + 2 * RETRY_MS);
    expect(store.lease!.record).toMatchObject({
      holderIdentity: 'b',
      leaseTransitions: 1,
      acquireTime: new Date(b.startedAt!),
    });
    expect(b.events).toEqual(['leader:a', 'leader:b', 'started']);
  });

  it('judges expiry by its own clock from when it first saw the record, not by renewTime', async () => {
    const store = new FakeLeaseStore();
    // Written long ago by a holder that is gone (or whose clock is far behind).
    store.write({
      holderIdentity: 'ghost',
      leaseDurationSeconds: 15,
      acquireTime: new Date(-3_600_000),
      renewTime: new Date(-3_600_000),
      leaseTransitions: 4,
    });
    const b = candidate(store, 'b');
    b.elector.start();
    await advance(LEASE_MS - 1);
    expect(b.elector.isLeader()).toBe(false);
    await advance(RETRY_MS);
    expect(b.elector.isLeader()).toBe(true);
    expect(store.lease!.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 5 });
  });

  it('counts the lease duration from when a slow read ended, not from when it started', async () => {
    const store = new FakeLeaseStore();
    store.write({
      holderIdentity: 'gone',
      leaseDurationSeconds: 15,
      acquireTime: new Date(0),
      renewTime: new Date(0),
      leaseTransitions: 0,
    });
    // The first read takes 4.9 s (just under the elector's 5 s request timeout); later ones are instant.
    store.getDelays.set('b', [4_900]);
    const b = candidate(store, 'b');
    b.elector.start();
    await advance(4_900);
    const observedAt = Date.now();
    // Attempts follow every 2 s: 6.9 s, 8.9 s, ... An elector that took its clock before the read would
    // take over at 16.9 s, only 12 s after it saw the record, eating the margin between the renew
    // deadline (10 s) and the lease duration (15 s) that keeps two leaders apart.
    await advance(observedAt + LEASE_MS - 1 - Date.now());
    expect(b.elector.isLeader()).toBe(false);
    expect(store.holder).toBe('gone');
    await advance(2 * RETRY_MS);
    expect(b.elector.isLeader()).toBe(true);
    expect(b.startedAt! - observedAt).toBeGreaterThanOrEqual(LEASE_MS);
    expect(b.startedAt! - observedAt).toBeLessThanOrEqual(LEASE_MS + RETRY_MS);
  });

  it('on stop, the leader releases the Lease and a candidate takes it at its next attempt', async () => {
    const store = new FakeLeaseStore();
    const a = candidate(store, 'a');
    a.elector.start();
    await advance(0);
    const b = candidate(store, 'b');
    b.elector.start();
    await advance(5 * RETRY_MS);

    await a.elector.stop();
    expect(a.events).toEqual(['leader:a', 'started', 'stopped:stopped']);
    expect(store.lease!.record).toMatchObject({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      leaseTransitions: 0,
    });
    const releasedAt = Date.now();

    await advance(RETRY_MS);
    expect(b.elector.isLeader()).toBe(true);
    expect(b.startedAt! - releasedAt).toBeLessThanOrEqual(RETRY_MS);
    expect(store.lease!.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('a release that finds its cached version stale reads the Lease again', async () => {
    const store = new FakeLeaseStore();
    const a = candidate(store, 'a');
    a.elector.start();
    await advance(0);
    // A write the elector did not see (e.g. a renewal whose answer was lost), still naming a.
    store.write({ ...store.lease!.record, renewTime: new Date(1) });
    await a.elector.stop();
    expect(store.lease!.record.holderIdentity).toBe('');
  });

  it('a stopped non-leader and a leader stopped without release leave the Lease as it is', async () => {
    const store = new FakeLeaseStore();
    const a = candidate(store, 'a');
    const b = candidate(store, 'b');
    a.elector.start();
    await advance(0);
    b.elector.start();
    await advance(RETRY_MS);
    await b.elector.stop();
    expect(b.events).toEqual(['leader:a']);
    await a.elector.stop({ release: false });
    expect(a.events).toEqual(['leader:a', 'started', 'stopped:stopped']);
    expect(store.holder).toBe('a');
  });

  it('gives up leadership when no renewal succeeds within the renew deadline, before anyone may take over', async () => {
    const store = new FakeLeaseStore();
    const a = candidate(store, 'a');
    a.elector.start();
    await advance(0);
    const b = candidate(store, 'b');
    b.elector.start();
    await advance(4 * RETRY_MS);
    const lastRenewal = store.lease!.record.renewTime!.getTime();

    // a's API server connection breaks; b still reaches the API server.
    store.faults.set('a', new Error('connect ECONNREFUSED'));
    await advance(RENEW_MS - 1);
    expect(a.elector.isLeader()).toBe(true);
    await advance(1);
    expect(a.elector.isLeader()).toBe(false);
    expect(a.events.at(-1)).toBe('stopped:lost');
    expect(a.stoppedAt).toBe(lastRenewal + RENEW_MS);
    expect(b.elector.isLeader()).toBe(false);

    await advance(LEASE_MS);
    expect(b.elector.isLeader()).toBe(true);
    expect(b.startedAt!).toBeGreaterThan(a.stoppedAt!);
    // Once lost, it stays a follower for good (the process exits): no more requests from a.
    store.faults.delete('a');
    const fromA = store.requests.filter((r) => r.by === 'a').length;
    await advance(10 * RETRY_MS);
    expect(store.requests.filter((r) => r.by === 'a').length).toBe(fromA);
  });

  it('a renewal request that never answers does not hold leadership past the renew deadline', async () => {
    const store = new FakeLeaseStore();
    const a = candidate(store, 'a');
    a.elector.start();
    await advance(0);
    store.faults.set('a', 'hang');
    await advance(RETRY_MS + RENEW_MS);
    expect(a.events.at(-1)).toBe('stopped:lost');
    expect(a.stoppedAt).toBe(RENEW_MS);
  });

  it('keeps leading through failed renewals that recover before the deadline', async () => {
    const store = new FakeLeaseStore();
    const a = candidate(store, 'a');
    a.elector.start();
    await advance(0);
    store.faults.set('a', new Error('HTTP 503'));
    // Attempts at 2, 4 and 6 s fail; the one at 8 s, before the 10 s deadline, succeeds.
    await advance(RENEW_MS - 2 * RETRY_MS);
    store.faults.delete('a');
    await advance(RETRY_MS);
    expect(store.lease!.record.renewTime).toEqual(new Date(RENEW_MS - RETRY_MS));
    expect(a.elector.isLeader()).toBe(true);
    await advance(5 * RENEW_MS);
    expect(a.events).toEqual(['leader:a', 'started']);
  });

  it('of two candidates racing for a free Lease with the same resourceVersion, exactly one wins', async () => {
    const store = new FakeLeaseStore();
    store.write({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: undefined,
      renewTime: undefined,
      leaseTransitions: 2,
    });
    const a = candidate(store, 'a');
    const b = candidate(store, 'b');
    a.elector.start();
    b.elector.start();
    await advance(0);
    expect([a.elector.isLeader(), b.elector.isLeader()].sort()).toEqual([false, true]);
    expect(store.requests.filter((r) => r.kind === 'update')).toHaveLength(2);
    expect(store.lease!.record.leaseTransitions).toBe(3);
    await advance(10 * LEASE_MS);
    expect([a.elector.isLeader(), b.elector.isLeader()].sort()).toEqual([false, true]);
  });

  it('a leader whose Lease was taken over behind its back does not overwrite it, and loses leadership', async () => {
    const store = new FakeLeaseStore();
    const a = candidate(store, 'a');
    a.elector.start();
    await advance(0);
    // Someone else writes the Lease (a new resourceVersion): a's renewal conflicts, it reads again.
    const intruder = () =>
      store.write({
        holderIdentity: 'intruder',
        leaseDurationSeconds: 15,
        acquireTime: new Date(0),
        renewTime: new Date(Date.now()),
        leaseTransitions: 9,
      });
    intruder();
    const renewing = setInterval(intruder, RETRY_MS);
    try {
      await advance(RETRY_MS);
      expect(store.holder).toBe('intruder');
      await advance(RENEW_MS);
      expect(a.events).toEqual(['leader:a', 'started', 'leader:intruder', 'stopped:lost']);
      expect(store.holder).toBe('intruder');
    } finally {
      clearInterval(renewing);
    }
  });

  it('takes the Lease back at once when the record names it (a restart with the same pod name)', async () => {
    const store = new FakeLeaseStore();
    store.write({
      holderIdentity: 'pod-0',
      leaseDurationSeconds: 15,
      acquireTime: new Date(-5_000),
      renewTime: new Date(-1_000),
      leaseTransitions: 1,
    });
    const a = candidate(store, 'pod-0');
    a.elector.start();
    await advance(0);
    expect(a.elector.isLeader()).toBe(true);
    expect(store.lease!.record).toMatchObject({ acquireTime: new Date(-5_000), leaseTransitions: 1 });
  });

  it('spreads acquire attempts over one to 1.2 retry periods', async () => {
    const store = new FakeLeaseStore();
    candidate(store, 'a').elector.start();
    await advance(0);
    const b = candidate(store, 'b', () => 0.999);
    b.elector.start();
    await advance(10 * RETRY_MS);
    const gets = store.requests.filter((r) => r.by === 'b').map((r) => r.at);
    const gaps = gets.slice(1).map((at, i) => at - gets[i]!);
    expect(gaps.length).toBeGreaterThan(3);
    // (Fake timers truncate fractions of a millisecond.)
    for (const gap of gaps) expect(Math.abs(gap - RETRY_MS * 1.1998)).toBeLessThan(1);
  });

  it('refuses timings where the leader could outlive its lease', () => {
    const store = new FakeLeaseStore();
    const make = (leaseDurationMs: number, renewDeadlineMs: number, retryPeriodMs: number) =>
      new LeaderElector({
        store: store.for('x'),
        identity: 'x',
        leaseDurationMs,
        renewDeadlineMs,
        retryPeriodMs,
        logger: silentLogger(),
      });
    expect(() => make(10_000, 10_000, 2_000)).toThrow(RangeError);
    expect(() => make(15_000, 2_000, 2_000)).toThrow(RangeError);
    expect(() => make(15_000, 10_000, 0)).toThrow(RangeError);
    expect(() => make(15_000, 10_000, 2_000)).not.toThrow();
  });
});
