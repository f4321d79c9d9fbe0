import { describe, expect, it } from 'vitest';
import { ConnectionSweeps, type Sweep } from '../../../src/connections/sweeps.js';
import type { Clock } from '../../../src/runtime/clock.js';

/** A clock whose timers run only when the test says so. */
function manualClock() {
  const timers: Array<() => void> = [];
  const clock: Clock = {
    now: () => 0,
    setTimeout: (fn) => {
      timers.push(fn);
      return timers.length as unknown as ReturnType<Clock['setTimeout']>;
    },
    clearTimeout: () => {},
  };
  return { clock, timers };
}

function setup() {
  let runtimes: Array<{ key: string; runtime: object }> = [];
  const log: string[] = [];
  const sweeps = new ConnectionSweeps<object>({
    runtimes: () => runtimes,
    sweepOf: (key, runtime): Sweep => {
      const id = `${key}#${(runtime as { n: number }).n}`;
      return {
        start: () => void log.push(`start ${id}`),
        stop: async () => void log.push(`stop ${id}`),
      };
    },
    syncEveryMs: 60_000,
    clock: manualClock().clock,
  });
  return { sweeps, log, set: (next: typeof runtimes) => (runtimes = next) };
}

describe('ConnectionSweeps', () => {
  it('sweeps each connection in use, once, and stops the sweeps of connections gone', async () => {
    const { sweeps, log, set } = setup();
    const a = { n: 1 };
    const b = { n: 1 };
    set([{ key: 'ClusterLogtoConnection/a', runtime: a }]);
    sweeps.start();
    await sweeps.sync();
    expect(log).toEqual(['start ClusterLogtoConnection/a#1']);
    set([
      { key: 'ClusterLogtoConnection/a', runtime: a },
      { key: 'LogtoConnection/team/b', runtime: b },
    ]);
    await sweeps.sync();
    expect(sweeps.keys()).toEqual(['ClusterLogtoConnection/a', 'LogtoConnection/team/b']);
    set([{ key: 'LogtoConnection/team/b', runtime: b }]);
    await sweeps.sync();
    expect(log.slice(2)).toEqual(['stop ClusterLogtoConnection/a#1']);
    await sweeps.stop();
    expect(log.at(-1)).toBe('stop LogtoConnection/team/b#1');
    expect(sweeps.keys()).toEqual([]);
  });

  it('replaces the sweep of a connection whose runtime was rebuilt (new credentials, new client)', async () => {
    const { sweeps, log, set } = setup();
    set([{ key: 'ClusterLogtoConnection/a', runtime: { n: 1 } }]);
    sweeps.start();
    await sweeps.sync();
    set([{ key: 'ClusterLogtoConnection/a', runtime: { n: 2 } }]);
    await sweeps.sync();
    expect(log).toEqual([
      'start ClusterLogtoConnection/a#1',
      'stop ClusterLogtoConnection/a#1',
      'start ClusterLogtoConnection/a#2',
    ]);
    await sweeps.stop();
  });

  it('starts nothing once stopped', async () => {
    const { sweeps, log, set } = setup();
    await sweeps.stop();
    set([{ key: 'ClusterLogtoConnection/a', runtime: { n: 1 } }]);
    await sweeps.sync();
    expect(log).toEqual([]);
  });
});
