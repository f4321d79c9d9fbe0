import { backoffDelay } from '../util/backoff.js';

export interface RetryPolicy {
  /** Attempts after the first one. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for in-call; the error goes to the caller instead. */
  maxRetryAfterMs: number;
}

/**
 * Retries within a call only bridge a blip (a reset connection, one 503): they wait a second at most,
 * since a pass that waits holds a worker other resources need. Anything longer (a Retry-After of
 * seconds, an outage) ends the pass, whose key comes back through the queue at the right time.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 2,
  baseDelayMs: 200,
  maxDelayMs: 1_000,
  maxRetryAfterMs: 1_000,
};

export interface AttemptOutcome {
  /** HTTP status, when an answer came back. */
  status?: number;
  /** Node's error code for a transport failure (ECONNRESET, ETIMEDOUT, …). */
  errorCode?: string;
  /** Whether the request may have reached the server (false: refused before any byte was sent). */
  mayHaveBeenSent: boolean;
  retryAfterMs?: number;
}

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
/**
 * Failures not worth repeating within the call: the attempt already took its whole time, or the
 * server sent an answer past the size limit (it would again).
 */
const SPENT_CODES = new Set(['ETIMEDOUT', 'ERR_ANSWER_TOO_LARGE']);

export function wasNotSent(errorCode: string | undefined): boolean {
  return errorCode !== undefined && NOT_SENT_CODES.has(errorCode);
}

/**
 * Decides whether one failed attempt is retried, and after how long (ms), or returns undefined.
 * 429 and refused connections are safe for every call, since the server did nothing; other
 * failures are retried only for calls that are safe to repeat (idempotent ones).
 */
export function retryDelay(
  attempt: number,
  outcome: AttemptOutcome,
  idempotent: boolean,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number | undefined {
  if (attempt >= policy.maxRetries) return undefined;
  if (outcome.errorCode !== undefined && SPENT_CODES.has(outcome.errorCode)) return undefined;
  const { status } = outcome;
  const transient = status === undefined || status === 429 || (status >= 500 && status !== 501);
  if (!transient) return undefined;
  const safe = idempotent || status === 429 || !outcome.mayHaveBeenSent;
  if (!safe) return undefined;
  if (outcome.retryAfterMs !== undefined) {
    return outcome.retryAfterMs <= policy.maxRetryAfterMs ? outcome.retryAfterMs : undefined;
  }
  return backoffDelay(attempt, { baseMs: policy.baseDelayMs, maxMs: policy.maxDelayMs, random });
}

/** Parses a Retry-After header (delta-seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
