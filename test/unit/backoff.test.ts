import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/util/backoff.js';

describe('backoffDelay', () => {
  const noJitter = { baseMs: 100, maxMs: 5_000, jitter: 0 };

  it('doubles per attempt and stops at the cap', () => {
    expect([0, 1, 2, 3, 6, 20].map((a) => backoffDelay(a, noJitter))).toEqual([
      100, 200, 400, 800, 5000, 5000,
    ]);
  });

  it('spreads by at most the jitter fraction in both directions', () => {
    const opts = { baseMs: 1000, maxMs: 1000, jitter: 0.25 };
    expect(backoffDelay(0, { ...opts, random: () => 0 })).toBe(750);
    expect(backoffDelay(0, { ...opts, random: () => 0.999999 })).toBe(1250);
    expect(backoffDelay(0, { ...opts, random: () => 0.5 })).toBe(1000);
  });

  it('rejects a negative attempt', () => {
    expect(() => backoffDelay(-1, noJitter)).toThrow(RangeError);
  });
});
