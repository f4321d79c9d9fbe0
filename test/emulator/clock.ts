/** Time source of the emulator (epoch milliseconds): secret expiry, token expiry, createdAt. */
export interface Clock {
  now(): number;
}

export interface AdjustableClock extends Clock {
  /** Moves time forward (or back, with a negative value). */
  advance(ms: number): void;
}

/** Wall-clock time plus an adjustable offset; the default clock. */
export class SystemClock implements AdjustableClock {
  private offset = 0;

  now(): number {
    return Date.now() + this.offset;
  }

  advance(ms: number): void {
    this.offset += ms;
  }
}

/** A clock that only moves when told to: deterministic tests of expiry. */
export class ManualClock implements AdjustableClock {
  constructor(private current = Date.UTC(2025, 0, 1)) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }

  set(epochMs: number): void {
    this.current = epochMs;
  }
}

export const isAdjustable = (clock: Clock): clock is AdjustableClock =>
  typeof (clock as Partial<AdjustableClock>).advance === 'function';
