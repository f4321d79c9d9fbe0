/**
 * One sweep (see controllers/logto-application/sweep.ts) per connection object in use, beside the
 * flag connection's own: connections come and go while the operator runs, so the set of sweeps is
 * brought in line with the registry's runtimes every `syncEveryMs`. A connection whose runtime was
 * rebuilt (new credentials or generation) gets a new sweep with the new client.
 */
import { realClock, type Clock, type TimerHandle } from '../runtime/clock.js';
import type { ConnectionKey } from './registry.js';

/** What this module needs of a sweep and of a connection's runtime. */
export interface Sweep {
  start(): void;
  stop(): Promise<void>;
}

export interface ConnectionSweepsOptions<R> {
  /** The connection objects in use and their runtimes. */
  runtimes(): Array<{ key: ConnectionKey; runtime: R }>;
  /** A sweep of the connection's tenant through its runtime. */
  sweepOf(key: ConnectionKey, runtime: R): Sweep;
  syncEveryMs: number;
  clock?: Clock;
}

export class ConnectionSweeps<R> {
  private readonly clock: Clock;
  private readonly sweeps = new Map<ConnectionKey, { runtime: R; sweep: Sweep }>();
  private timer: TimerHandle | undefined;
  private running = false;

  constructor(private readonly options: ConnectionSweepsOptions<R>) {
    this.clock = options.clock ?? realClock;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const tick = () => {
      void this.sync().finally(() => {
        if (this.running) this.timer = this.clock.setTimeout(tick, this.options.syncEveryMs);
      });
    };
    tick();
  }

  /** Stops every sweep (waiting for those in progress) and the syncing. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) this.clock.clearTimeout(this.timer);
    const all = [...this.sweeps.values()];
    this.sweeps.clear();
    await Promise.all(all.map(({ sweep }) => sweep.stop()));
  }

  /** Starts a sweep for each new or rebuilt runtime; stops those of connections no longer in use. */
  async sync(): Promise<void> {
    const current = new Map(this.options.runtimes().map(({ key, runtime }) => [key, runtime]));
    const stopping: Promise<void>[] = [];
    for (const [key, { runtime, sweep }] of this.sweeps) {
      if (current.get(key) === runtime) continue;
      this.sweeps.delete(key);
      stopping.push(sweep.stop());
    }
    await Promise.all(stopping);
    if (!this.running) return;
    for (const [key, runtime] of current) {
      if (this.sweeps.has(key)) continue;
      const sweep = this.options.sweepOf(key, runtime);
      this.sweeps.set(key, { runtime, sweep });
      sweep.start();
    }
  }

  /** The connections swept now (for tests and logs). */
  keys(): ConnectionKey[] {
    return [...this.sweeps.keys()];
  }
}
