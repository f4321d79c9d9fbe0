import { describe, expect, it } from 'vitest';
import { ConnectionHealth, FAILURES_TO_OPEN, PassPool } from '../../../src/connections/health.js';

function health(options: { maxPasses?: number; pool?: PassPool } = {}) {
  const clock = { now: 1_000_000 };
  const recovered: number[] = [];
  const h = new ConnectionHealth({ ...options, now: () => clock.now, random: () => 0.5 });
  h.onRecovered(() => recovered.push(clock.now));
  return { h, clock, recovered };
}

const down = { answered: false, failure: 'ECONNREFUSED' } as const;

describe('ConnectionHealth: the breaker', () => {
  it('opens after failures in a row, then lets one probe through at a time once its backoff passed', () => {
    const { h, clock } = health();
    for (let i = 1; i < FAILURES_TO_OPEN; i++) h.record(down);
    expect(h.open).toBe(false);
    h.record({ answered: true, status: 503 });
    expect(h.open).toBe(true);
    const waiting = h.admit();
    expect(waiting).toMatchObject({ admitted: false, why: 'unavailable', lastFailure: 'HTTP 503' });
    expect(h.callAllowed()).toMatchObject({ allowed: false, why: 'unavailable' });

    clock.now += 1_000;
    const probe = h.admit();
    expect(probe).toMatchObject({ admitted: true, probe: true });
    // One probe at a time; its calls may go out, the other passes wait.
    expect(h.admit()).toMatchObject({ admitted: false, why: 'unavailable' });
    expect(h.callAllowed()).toEqual({ allowed: true });
  });

  it('backs off from one second to about a minute between failed probes', () => {
    const { h, clock } = health();
    for (let i = 0; i < FAILURES_TO_OPEN; i++) h.record(down);
    const waits: number[] = [];
    for (let probes = 0; probes < 9; probes++) {
      const wait = h.admit();
      if (wait.admitted) throw new Error('admitted before the backoff passed');
      waits.push(wait.retryInMs);
      clock.now += wait.retryInMs;
      const probe = h.admit();
      expect(probe.admitted).toBe(true);
      h.record(down);
      if (probe.admitted) probe.release();
    }
    // random 0.5: no jitter, and the spread of 250 ms on top of each wait.
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60].map((s) => s * 1000 + 250));
  });

  it('closes on any answer that is not an outage (a 4xx too) and tells whoever waits', () => {
    const { h, clock, recovered } = health();
    for (let i = 0; i < FAILURES_TO_OPEN; i++) h.record(down);
    clock.now += 1_000;
    const probe = h.admit();
    expect(probe.admitted).toBe(true);
    h.record({ answered: true, status: 404 });
    expect(h.open).toBe(false);
    expect(recovered).toEqual([clock.now]);
    expect(h.admit()).toMatchObject({ admitted: true, probe: false });
    // Answers while closed tell nobody.
    h.record({ answered: true, status: 200 });
    expect(recovered).toHaveLength(1);
  });

  it('a probe that ends without a call leaves the next pass to probe at once', () => {
    const { h, clock } = health();
    for (let i = 0; i < FAILURES_TO_OPEN; i++) h.record(down);
    clock.now += 1_000;
    const probe = h.admit();
    if (!probe.admitted) throw new Error('not admitted');
    probe.release();
    expect(h.admit()).toMatchObject({ admitted: true, probe: true });
  });
});

describe('ConnectionHealth: Retry-After', () => {
  it('holds every pass and call of the connection until the wait is over', () => {
    const { h, clock } = health();
    h.record({ answered: true, status: 429, retryAfterMs: 30_000 });
    expect(h.admit()).toMatchObject({ admitted: false, why: 'throttled', retryInMs: 30_000 });
    expect(h.callAllowed()).toMatchObject({ allowed: false, why: 'throttled', retryInMs: 30_000 });
    clock.now += 30_000;
    expect(h.admit().admitted).toBe(true);
  });
});

describe('ConnectionHealth: pass slots', () => {
  it('limits the passes of one connection, and of all connections sharing a pool', () => {
    const pool = new PassPool(2);
    const a = health({ maxPasses: 1, pool }).h;
    const b = health({ maxPasses: 1, pool }).h;
    const c = health({ maxPasses: 1, pool }).h;
    const first = a.admit();
    expect(first.admitted).toBe(true);
    expect(a.admit()).toMatchObject({ admitted: false, why: 'busy' });
    expect(b.admit().admitted).toBe(true);
    // The pool is full: a third connection waits although its own slot is free.
    expect(c.admit()).toMatchObject({ admitted: false, why: 'busy' });
    if (first.admitted) {
      first.release();
      first.release(); // once only
    }
    expect(c.admit().admitted).toBe(true);
    expect(a.admit()).toMatchObject({ admitted: false, why: 'busy' });
  });
});
