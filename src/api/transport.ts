import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { got, type Got } from 'got';
import type { Logger } from '../log.js';
import { abortableSleep, currentAbortSignal } from '../util/abort-scope.js';
import { LogtoApiError } from './errors.js';
import {
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  retryDelay,
  wasNotSent,
  type RetryPolicy,
} from './retry-policy.js';
import {
  transportCode,
  transportDetail,
  withSlash,
  type ClientCredentialsTokenProvider,
} from './token-provider.js';

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
  retry?: RetryPolicy;
  logger?: Logger;
  onRequest?: (event: RequestEvent) => void;
  /** Waits between attempts; given the abort signal of the work in progress, if any. */
  sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  random?: () => number;
}

export interface HttpClientOptions {
  /** Whole-request timeout per attempt. */
  requestTimeoutMs?: number;
  /** PEM certificates trusted besides the system roots (a Logto behind a private CA). */
  caBundle?: string;
}

/** A got instance for Logto: keep-alive agents, per-attempt timeouts, no built-in retries (ours apply). */
export function createHttpClient(options: HttpClientOptions = {}): Got {
  const agentOptions = { keepAlive: true, maxSockets: 16, maxFreeSockets: 4, timeout: 60_000 };
  const ca = options.caBundle ? [...tls.rootCertificates, options.caBundle] : undefined;
  return got.extend({
    agent: {
      http: new http.Agent(agentOptions),
      https: new https.Agent({ ...agentOptions, ...(ca ? { ca } : {}) }),
    },
    timeout: { lookup: 5_000, connect: 5_000, request: options.requestTimeoutMs ?? 15_000 },
    retry: { limit: 0 },
    throwHttpErrors: false,
    followRedirect: false,
    headers: { 'user-agent': 'logto-operator' },
  });
}

/**
 * Sends Management API requests: bearer token, retries with jittered backoff for transient failures
 * (honouring Retry-After), one token refresh on 401, and errors that name the operation, the status
 * and Logto's error code but never a credential.
 */
export class LogtoTransport {
  private readonly http: Got;
  private readonly retry: RetryPolicy;
  private readonly sleep: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  private readonly base: string;

  constructor(private readonly options: TransportOptions) {
    this.http = options.http ?? createHttpClient();
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.sleep = options.sleep ?? abortableSleep;
    this.base = withSlash(options.endpoint);
  }

  async send(request: LogtoRequest): Promise<LogtoResponse> {
    // Work that is abandoned (shutdown deadline, lost leadership) stops here, not after its retries.
    const signal = currentAbortSignal();
    signal?.throwIfAborted();
    let refreshedToken = false;
    for (let attempt = 0; ; attempt++) {
      const token = await this.options.tokens.getToken();
      const started = performance.now();
      let response;
      try {
        response = await this.http(this.url(request), {
          ...(signal ? { signal } : {}),
          method: request.method,
          headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
          ...(request.body !== undefined ? { json: request.body } : {}),
          responseType: 'text',
        });
      } catch (error) {
        this.observe(request, undefined, started);
        if (signal?.aborted) throw signal.reason;
        const errorCode = transportCode(error);
        const delay = retryDelay(
          attempt,
          { ...(errorCode ? { errorCode } : {}), mayHaveBeenSent: !wasNotSent(errorCode) },
          request.idempotent,
          this.retry,
          this.options.random,
        );
        const failure = new LogtoApiError({ operation: request.operation, detail: transportDetail(error) });
        if (delay === undefined) throw failure;
        this.logRetry(request, attempt, delay, failure);
        await this.sleep(delay, signal);
        continue;
      }
      this.observe(request, response.statusCode, started);
      const body = parseBody(response.body);
      if (response.statusCode >= 200 && response.statusCode < 300) {
        return { status: response.statusCode, headers: response.headers, body };
      }
      if (response.statusCode === 401 && !refreshedToken) {
        // Expired or revoked before its time: one fresh token, then give up.
        this.options.tokens.invalidate(token);
        refreshedToken = true;
        attempt--;
        continue;
      }
      const retryAfterMs = parseRetryAfter(headerValue(response.headers['retry-after']));
      const failure = errorFromResponse(request.operation, response.statusCode, body, retryAfterMs);
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

export function errorFromResponse(
  operation: string,
  status: number,
  body: unknown,
  retryAfterMs?: number,
): LogtoApiError {
  const record = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const code = typeof record.code === 'string' ? record.code : undefined;
  const message = typeof record.message === 'string' ? record.message : `HTTP ${status}`;
  return new LogtoApiError({
    operation,
    status,
    ...(code ? { code } : {}),
    detail: message,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}
