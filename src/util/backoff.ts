export interface BackoffOptions {
  /** Delay for the first retry (attempt 0). */
  baseMs: number;
  /** Upper bound on any delay, before jitter. */
  maxMs: number;
  /** Growth per attempt (default 2). */
  factor?: number;
  /** Fraction of the delay randomised in both directions, 0..1 (default 0.2). */
  jitter?: number;
  /** Source of randomness in [0, 1); injectable for tests. */
  random?: () => number;
}

/**
 * Exponential backoff with symmetric jitter: `min(maxMs, baseMs * factor^attempt)`, then moved by up
 * to ±jitter of itself so that many clients failing together do not retry in lock step.
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const { baseMs, maxMs, factor = 2, jitter = 0.2, random = Math.random } = options;
  if (!Number.isFinite(attempt) || attempt < 0) throw new RangeError(`attempt must be >= 0, got ${attempt}`);
  const raw = Math.min(maxMs, baseMs * Math.pow(factor, attempt));
  const spread = raw * Math.min(Math.max(jitter, 0), 1);
  return Math.max(0, Math.round(raw - spread + 2 * spread * random()));
}
