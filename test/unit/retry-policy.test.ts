import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, parseRetryAfter, retryDelay } from '../../src/api/retry-policy.js';

const policy = {
  ...DEFAULT_RETRY_POLICY,
  maxRetries: 3,
  baseDelayMs: 100,
  maxDelayMs: 1000,
  maxRetryAfterMs: 5000,
};
const half = () => 0.5;

describe('retryDelay', () => {
  it('retries 5xx and transport failures of idempotent calls with growing delays', () => {
    expect(retryDelay(0, { status: 503, mayHaveBeenSent: true }, true, policy, half)).toBe(100);
    expect(retryDelay(1, { status: 500, mayHaveBeenSent: true }, true, policy, half)).toBe(200);
    expect(retryDelay(2, { errorCode: 'ECONNRESET', mayHaveBeenSent: true }, true, policy, half)).toBe(400);
  });

  it('stops after maxRetries', () => {
    expect(retryDelay(3, { status: 503, mayHaveBeenSent: true }, true, policy, half)).toBeUndefined();
  });

  it('never repeats a non-idempotent call whose effect is unknown', () => {
    expect(retryDelay(0, { status: 500, mayHaveBeenSent: true }, false, policy, half)).toBeUndefined();
    expect(
      retryDelay(0, { errorCode: 'ETIMEDOUT', mayHaveBeenSent: true }, false, policy, half),
    ).toBeUndefined();
  });

  it('repeats any call that the server refused before acting on it (429, connection refused)', () => {
    expect(retryDelay(0, { status: 429, mayHaveBeenSent: true }, false, policy, half)).toBe(100);
    expect(retryDelay(0, { errorCode: 'ECONNREFUSED', mayHaveBeenSent: false }, false, policy, half)).toBe(
      100,
    );
  });

  it('waits exactly Retry-After when given, and gives up when it is too long to wait in-call', () => {
    expect(retryDelay(0, { status: 429, mayHaveBeenSent: true, retryAfterMs: 2000 }, true, policy)).toBe(
      2000,
    );
    const long = { status: 429, mayHaveBeenSent: true, retryAfterMs: policy.maxRetryAfterMs + 1 };
    expect(retryDelay(0, long, true, policy)).toBeUndefined();
  });

  it('does not repeat an attempt that took its whole time or whose answer was too large', () => {
    for (const errorCode of ['ETIMEDOUT', 'ERR_ANSWER_TOO_LARGE']) {
      expect(
        retryDelay(0, { errorCode, mayHaveBeenSent: true }, true, policy, half),
        errorCode,
      ).toBeUndefined();
    }
  });

  it('waits in-call a second at most by default: longer waits go back through the queue', () => {
    expect(DEFAULT_RETRY_POLICY.maxDelayMs).toBeLessThanOrEqual(1_000);
    const retryAfter = { status: 429, mayHaveBeenSent: true, retryAfterMs: 30_000 };
    expect(retryDelay(0, retryAfter, true, DEFAULT_RETRY_POLICY)).toBeUndefined();
  });

  it('does not retry client errors or 501', () => {
    for (const status of [400, 401, 403, 404, 409, 422, 501]) {
      expect(
        retryDelay(0, { status, mayHaveBeenSent: true }, true, policy, half),
        String(status),
      ).toBeUndefined();
    }
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
