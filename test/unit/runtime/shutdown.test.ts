/** The shutdown order: the Lease is handed over only when every reconcile finished in time. */
import { describe, expect, it } from 'vitest';
import type { StopResult } from '../../../src/runtime/index.js';
import { MIN_SHUTDOWN_STEP_MS, shutDown, type ShutdownParts } from '../../../src/runtime/shutdown.js';

function parts(result: StopResult, clock = { now: 0 }, abandonedWrite = false) {
  const steps: string[] = [];
  const releases: { release: boolean; releaseTimeoutMs: number }[] = [];
  const eventBudgets: number[] = [];
  const value: ShutdownParts = {
    now: () => clock.now,
    controller: {
      stop: ({ timeoutMs }) => {
        steps.push('controller');
        clock.now += result.timedOut ? timeoutMs + 2_000 : 1_000;
        return Promise.resolve(result);
      },
    },
    elector: {
      stop: (options) => {
        steps.push('elector');
        releases.push(options);
        return Promise.resolve();
      },
    },
    informers: [{ stop: () => Promise.resolve(void steps.push('informer')) }],
    events: {
      close: (timeoutMs) => {
        steps.push('events');
        eventBudgets.push(timeoutMs);
        return Promise.resolve();
      },
    },
    connections: {
      close: () => Promise.resolve(void steps.push('connections')),
      abandonedWriteWithin: () => abandonedWrite,
    },
  };
  return { value, steps, releases, eventBudgets };
}

describe('shutDown', () => {
  it('releases the Lease after the reconciles finished, then stops the rest in order', async () => {
    const { value, steps, releases, eventBudgets } = parts({
      timedOut: false,
      inFlight: [],
      workersReturned: true,
    });
    await shutDown(value, 10_000, { releaseLease: true, abandonedWritesWindowMs: 15_000 });
    expect(steps).toEqual(['controller', 'elector', 'informer', 'events', 'connections']);
    expect(releases).toEqual([{ release: true, releaseTimeoutMs: 9_000 }]);
    expect(eventBudgets).toEqual([9_000]);
  });

  it('leaves the Lease to expire when reconciles were still running at the deadline', async () => {
    const { value, releases, eventBudgets } = parts({
      timedOut: true,
      inFlight: [{ namespace: 'ns', name: 'a' }],
      workersReturned: false,
    });
    const result = await shutDown(value, 10_000, { releaseLease: true, abandonedWritesWindowMs: 15_000 });
    expect(result.workersReturned).toBe(false);
    expect(releases.map((r) => r.release)).toEqual([false]);
    // Past the deadline: the last steps get the minimum, not an unbounded wait.
    expect(eventBudgets).toEqual([MIN_SHUTDOWN_STEP_MS]);
  });

  it('leaves the Lease to expire even when aborted workers returned (their writes may still land)', async () => {
    const { value, releases } = parts({ timedOut: true, inFlight: [], workersReturned: true });
    await shutDown(value, 5_000, { releaseLease: true, abandonedWritesWindowMs: 15_000 });
    expect(releases.map((r) => r.release)).toEqual([false]);
  });

  it('leaves the Lease to expire when a write went unanswered lately, though every reconcile finished', async () => {
    const { value, releases } = parts(
      { timedOut: false, inFlight: [], workersReturned: true },
      { now: 0 },
      true,
    );
    await shutDown(value, 5_000, { releaseLease: true, abandonedWritesWindowMs: 15_000 });
    expect(releases.map((r) => r.release)).toEqual([false]);
  });

  it('does not release when asked not to (a simulated crash)', async () => {
    const { value, releases } = parts({ timedOut: false, inFlight: [], workersReturned: true });
    await shutDown(value, 5_000, { releaseLease: false, abandonedWritesWindowMs: 15_000 });
    expect(releases.map((r) => r.release)).toEqual([false]);
  });
});
