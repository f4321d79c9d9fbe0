import type http from 'node:http';
import type { Got } from 'got';
import type { ConnectionHealth } from '../connections/health.js';
import type { Logger } from '../log.js';
import { abortableSleep, currentAbortSignal, currentDeadline } from '../util/abort-scope.js';
import { LogtoApiError } from './errors.js';
import {
  createHttpClient,
  exchange,
  exchangeErrorCode,
  exchangeFailure,
  MAX_API_ANSWER_BYTES,
  healthRefusal,
} from './http.js';
import {
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  retryDelay,
  wasNotSent,
  type RetryPolicy,
} from './retry-policy.js';
import { withSlash, type ClientCredentialsTokenProvider } from './token-provider.js';

export { createHttpClient } from './http.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type QueryValue = string | number | boolean | readonly (string | number)[] | undefined;

export interface LogtoRequest {
  /** Operation name (the seed's, e.g. `create_application`), for errors, logs and metrics. */
  operation: string;
  method: HttpMethod;
  /** Path below the endpoint, already expanded, e.g. `/api/applications/abc/secrets`. */
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Safe to repeat after a failure whose effect is unknown (timeouts, resets, 5xx). */
  idempotent: boolean;
}

export interface LogtoResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

/** One finished HTTP attempt, for metrics. */
export interface RequestEvent {
  operation: string;
  method: HttpMethod;
  /** HTTP status, or undefined for a transport failure. */
  status: number | undefined;
  durationMs: number;
  /** The connection (Logto tenant) the request went through; set by the connection's runtime. */
  connection?: string;
}

export interface TransportOptions {
  endpoint: string;
  tokens: ClientCredentialsTokenProvider;
  http?: Got;
  /** Whole-exchange timeout per attempt (default 15 s). */
  requestTimeoutMs?: number;
  retry?: RetryPolicy;
  /** The connection's breaker and Retry-After state; every attempt's outcome is recorded in it. */
  health?: ConnectionHealth;
  /**
   * Whether the endpoint's own words (Logto's error `message`) may reach conditions and events. Not
   * for an endpoint a namespace user chose: its answers are reported by HTTP status and a well-formed
   * error code only, and logged in full (redacted) at debug level.
   */
  trustedText?: boolean;
  logger?: Logger;
  onRequest?: (event: RequestEvent) => void;
  /** Waits between attempts; given the abort signal of the work in progress, if any. */
  sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

/**
 * Sends Management API requests: bearer token, retries with jittered backoff for blips (honouring a
 * short Retry-After), one token refresh on 401, and errors that name the operation, the status and
 * Logto's error code but never a credential. Each attempt is bounded in size and time, and none
 * starts past the pass's deadline or while the connection's breaker is open or a Retry-After runs.
 */
export class LogtoTransport {
  private readonly http: Got;
  private readonly retry: RetryPolicy;
  private readonly sleep: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  private readonly base: string;
  private readonly requestTimeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly options: TransportOptions) {
    this.http = options.http ?? createHttpClient();
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.sleep = options.sleep ?? abortableSleep;
    this.base = withSlash(options.endpoint);
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.now = options.now ?? Date.now;
  }

  async send(request: LogtoRequest): Promise<LogtoResponse> {
    // Work that is abandoned (shutdown deadline, lost leadership) stops here, not after its retries.
    const signal = currentAbortSignal();
    signal?.throwIfAborted();
    let refreshedToken = false;
    for (let attempt = 0; ; attempt++) {
      const { timeoutMs, limit } = this.attemptTimeout(request);
      this.checkHealth(request);
      const token = await this.options.tokens.getToken();
      const started = performance.now();
      let response;
      try {
        response = await exchange(
          this.http,
          this.url(request),
          {
            method: request.method,
            headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
            ...(request.body !== undefined ? { json: request.body } : {}),
            ...(signal ? { signal } : {}),
          },
          { maxAnswerBytes: MAX_API_ANSWER_BYTES, timeoutMs },
        );
      } catch (error) {
        this.observe(request, undefined, started);
        if (signal?.aborted) throw signal.reason;
        const errorCode = exchangeErrorCode(error);
        const failure = new LogtoApiError({
          operation: request.operation,
          ...(errorCode === 'ERR_ANSWER_TOO_LARGE' ? { code: 'operator.answer_too_large' } : {}),
          detail: exchangeFailure(error, timeoutMs, limit),
          kind: 'Unavailable',
        });
        this.options.health?.record({ answered: false, failure: errorCode ?? 'no answer' });
        const delay = retryDelay(
          attempt,
          { ...(errorCode ? { errorCode } : {}), mayHaveBeenSent: !wasNotSent(errorCode) },
          request.idempotent,
          this.retry,
          this.options.random,
        );
        if (delay === undefined) throw failure;
        this.logRetry(request, attempt, delay, failure);
        await this.sleep(delay, signal);
        continue;
      }
      this.observe(request, response.statusCode, started);
      const retryAfterMs = parseRetryAfter(headerValue(response.headers['retry-after']));
      this.options.health?.record({
        answered: true,
        status: response.statusCode,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
      const body = parseBody(response.body);
      if (response.statusCode >= 200 && response.statusCode < 300) {
        return { status: response.statusCode, headers: response.headers, body };
      }
      this.logAnswer(request, response.statusCode, response.body, token);
      if (response.statusCode === 401 && !refreshedToken) {
        // Expired or revoked before its time: one fresh token, then give up.
        this.options.tokens.invalidate(token);
        refreshedToken = true;
        attempt--;
        continue;
      }
      const failure = errorFromResponse(
        request.operation,
        response.statusCode,
        body,
        retryAfterMs,
        this.options.trustedText ?? true,
      );
      const delay = retryDelay(
        attempt,
        {
          status: response.statusCode,
          mayHaveBeenSent: true,
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        },
        request.idempotent,
        this.retry,
        this.options.random,
      );
      if (delay === undefined) throw failure;
      this.logRetry(request, attempt, delay, failure);
      await this.sleep(delay, signal);
    }
  }

  /** The time an attempt may take: the request timeout, within what is left of the pass's deadline. */
  private attemptTimeout(request: LogtoRequest): { timeoutMs: number; limit: string } {
    const ownLimit = { timeoutMs: this.requestTimeoutMs, limit: 'the request timeout' };
    const deadline = currentDeadline();
    if (deadline === undefined) return ownLimit;
    const left = deadline - this.now();
    if (left <= 0) {
      throw new LogtoApiError({
        operation: request.operation,
        code: 'operator.pass_deadline',
        detail: 'the pass used up its time for Logto calls; the rest waits for the next pass',
        kind: 'Unavailable',
      });
    }
    return left < this.requestTimeoutMs
      ? { timeoutMs: left, limit: "the rest of the pass's time" }
      : ownLimit;
  }

  /** No attempt while the connection's breaker is open (its probe pass aside) or a Retry-After runs. */
  private checkHealth(request: LogtoRequest): void {
    const refusal = healthRefusal(request.operation, this.options.health);
    if (refusal) throw refusal;
  }

  private url(request: LogtoRequest): URL {
    const url = new URL(request.path.replace(/^\//, ''), this.base);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(item));
    }
    return url;
  }

  private observe(request: LogtoRequest, status: number | undefined, started: number): void {
    this.options.onRequest?.({
      operation: request.operation,
      method: request.method,
      status,
      durationMs: performance.now() - started,
    });
  }

  /** An answer that is not a success, in full for whoever debugs, without anything we sent in it. */
  private logAnswer(request: LogtoRequest, status: number, text: string, token: string): void {
    const logger = this.options.logger;
    if (!logger?.isLevelEnabled('debug')) return;
    logger.debug(
      { operation: request.operation, status, answer: redactAnswer(text, [token]) },
      'Logto answered with an error',
    );
  }

  private logRetry(request: LogtoRequest, attempt: number, delayMs: number, failure: LogtoApiError): void {
    this.options.logger?.warn(
      {
        operation: request.operation,
        status: failure.status,
        code: failure.code,
        attempt: attempt + 1,
        delayMs,
      },
      'retrying Logto request',
    );
  }
}

/** The most of an answer a debug log line keeps. */
const MAX_LOGGED_ANSWER = 2_048;

/** An answer's text for a log: what we sent that it may echo (the token) removed, and cut short. */
export function redactAnswer(text: string, sent: readonly string[]): string {
  let redacted = text.length > MAX_LOGGED_ANSWER ? `${text.slice(0, MAX_LOGGED_ANSWER)}…` : text;
  for (const value of sent) if (value) redacted = redacted.split(value).join('[redacted]');
  return redacted;
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** What an error code of Logto looks like (`application.invalid_type`); anything else is not one. */
const ERROR_CODE = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+){1,4}$/;

/**
 * The error an answer stands for. With `trustedText`, Logto's code and message as it sent them;
 * without (an endpoint a namespace user chose), the HTTP status and a well-formed code only: nothing
 * else the endpoint wrote reaches a condition or an event.
 */
export function errorFromResponse(
  operation: string,
  status: number,
  body: unknown,
  retryAfterMs?: number,
  trustedText = true,
): LogtoApiError {
  const record = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const rawCode = typeof record.code === 'string' ? record.code : undefined;
  const code =
    rawCode && (trustedText || (rawCode.length <= 64 && ERROR_CODE.test(rawCode))) ? rawCode : undefined;
  const message =
    trustedText && typeof record.message === 'string' && record.message ? record.message : `HTTP ${status}`;
  return new LogtoApiError({
    operation,
    status,
    ...(code ? { code } : {}),
    detail: message,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}
