import { describe, expect, it } from 'vitest';
import { setCondition } from '../../../src/controllers/logto-application/conditions.js';

const t0 = new Date('2026-01-01T00:00:00.123Z');
const t1 = new Date('2026-01-01T00:05:00Z');

describe('setCondition', () => {
  it('adds a condition with a second-precision transition time', () => {
    const [c] = setCondition(
      [],
      { type: 'Ready', status: 'False', reason: 'Creating', message: 'm', observedGeneration: 1 },
      t0,
    );
    expect(c).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'Creating',
      message: 'm',
      observedGeneration: 1,
      lastTransitionTime: '2026-01-01T00:00:00Z',
    });
  });

  it('moves lastTransitionTime only when the status changes', () => {
    const first = setCondition(
      [],
      { type: 'Ready', status: 'False', reason: 'A', message: '', observedGeneration: 1 },
      t0,
    );
    const sameStatus = setCondition(
      first,
      { type: 'Ready', status: 'False', reason: 'B', message: 'x', observedGeneration: 2 },
      t1,
    );
    expect(sameStatus[0]!.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    expect(sameStatus[0]!.reason).toBe('B');
    const flipped = setCondition(
      sameStatus,
      { type: 'Ready', status: 'True', reason: 'Synced', message: '', observedGeneration: 2 },
      t1,
    );
    expect(flipped[0]!.lastTransitionTime).toBe('2026-01-01T00:05:00Z');
    expect(first[0]!.reason).toBe('A');
  });
});
