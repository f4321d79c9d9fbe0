import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/runtime/clock.js';
import {
  BucketRateLimiter,
  ItemExponentialRateLimiter,
  MaxOfRateLimiter,
} from '../../../src/runtime/rate-limiter.js';

function manualClock(): Clock & { advance(ms: number): void } {
  let now = 0;
  return {
    now: () => now,
    setTimeout: () => undefined,
    clearTimeout: () => {},
    advance(ms) {
      now += ms;
    },
  };
}

describe('ItemExponentialRateLimiter', () => {
  it('doubles per failure up to the cap, per key, and resets on forget', () => {
    const limiter = new ItemExponentialRateLimiter({ baseMs: 5, maxMs: 40, jitter: 0 });
    expect([1, 2, 3, 4, 5].map(() => limiter.when('a'))).toEqual([5, 10, 20, 40, 40]);
    expect(limiter.numRequeues('a')).toBe(5);
    expect(limiter.when('b')).toBe(5);
    limiter.forget('a');
    expect(limiter.numRequeues('a')).toBe(0);
    expect(limiter.when('a')).toBe(5);
  });

  it('applies jitter from the injected random source', () => {
    const low = new ItemExponentialRateLimiter({ baseMs: 100, jitter: 0.2, random: () => 0 });
    const high = new ItemExponentialRateLimiter({ baseMs: 100, jitter: 0.2, random: () => 0.999999 });
    expect(low.when('k')).toBe(80);
    expect(high.when('k')).toBe(120);
  });

  it('defaults to client-go limits: 5 ms base, 1000 s cap', () => {
    const limiter = new ItemExponentialRateLimiter({ jitter: 0 });
    expect(limiter.when('k')).toBe(5);
    for (let i = 0; i < 60; i++) limiter.when('k');
    expect(limiter.when('k')).toBe(1_000_000);
  });
});

describe('BucketRateLimiter', () => {
  it('allows a burst, then spaces calls at qps and refills over time', () => {
    const clock = manualClock();
    const limiter = new BucketRateLimiter({ qps: 10, burst: 2, clock });
    expect(limiter.when('a')).toBe(0);
    expect(limiter.when('b')).toBe(0);
    expect(limiter.when('c')).toBe(100);
    expect(limiter.when('d')).toBe(200);
    clock.advance(1000); // refills to at most `burst`
    expect(limiter.when('e')).toBe(0);
    expect(limiter.when('f')).toBe(0);
    expect(limiter.when('g')).toBe(100);
    expect(limiter.numRequeues('a')).toBe(0);
  });
});

describe('MaxOfRateLimiter', () => {
  it('takes the longest delay and forgets in every limiter', () => {
    const clock = manualClock();
    const limiter = new MaxOfRateLimiter(
      new ItemExponentialRateLimiter({ baseMs: 5, jitter: 0 }),
      new BucketRateLimiter({ qps: 1, burst: 1, clock }),
    );
    expect(limiter.when('a')).toBe(5); // bucket still had its token
    expect(limiter.when('a')).toBe(1000); // bucket empty: 1 s beats 10 ms
    expect(limiter.numRequeues('a')).toBe(2);
    limiter.forget('a');
    expect(limiter.numRequeues('a')).toBe(0);
  });
});
