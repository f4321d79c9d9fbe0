/**
 * The HTTP layer under every Logto call (the Management API and the token endpoint): keep-alive
 * agents, and one bounded exchange. A Logto endpoint may be chosen by a namespace user (a
 * LogtoConnection), so nothing it sends is trusted to be small or quick: every answer is read up to a
 * size limit and within a time limit, and what exceeds either ends the attempt with an error that
 * names the limit.
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { ConnectionHealth } from '../connections/health.js';
import { LogtoApiError } from './errors.js';
import { got, type Got, type Method } from 'got';

export interface HttpClientOptions {
  /** Default whole-request timeout per attempt (each exchange may ask for less). */
  requestTimeoutMs?: number;
  /** PEM certificates trusted besides the system roots (a Logto behind a private CA). */
  caBundle?: string;
}

/** Connections to one Logto origin at most, busy or idle (an idle one closes after its timeout). */
export const MAX_LOGTO_SOCKETS = 16;

/** A got instance for Logto: keep-alive agents, no built-in retries (ours apply), no redirects. */
export function createHttpClient(options: HttpClientOptions = {}): Got {
  // As many idle connections may wait as may be open: with fewer, the workers' calls, which come and
  // go between their apiserver calls, found the pool short and opened a new connection for about one
  // call in four (a TLS handshake each against a real Logto: twice the CPU per call, measured).
  const agentOptions = {
    keepAlive: true,
    maxSockets: MAX_LOGTO_SOCKETS,
    maxFreeSockets: MAX_LOGTO_SOCKETS,
    timeout: 60_000,
  };
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

/** The largest Management API answer read (a page of 100 applications is about 100 KiB). */
export const MAX_API_ANSWER_BYTES = 4 * 1024 * 1024;
/** The largest token endpoint answer read (a token answer is about 1 KiB). */
export const MAX_TOKEN_ANSWER_BYTES = 64 * 1024;

export interface ExchangeLimits {
  maxAnswerBytes: number;
  /** The whole exchange, connection to last byte. */
  timeoutMs: number;
}

export interface ExchangeRequest {
  method: Method;
  headers: Record<string, string>;
  json?: unknown;
  form?: Record<string, string>;
  signal?: AbortSignal;
}

export interface Answer {
  statusCode: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** An answer that went past MAX_*_ANSWER_BYTES: cut off, never read whole. */
export class AnswerTooLarge extends Error {
  readonly code = 'ERR_ANSWER_TOO_LARGE';
  constructor(readonly limitBytes: number) {
    super(`the answer was larger than ${formatBytes(limitBytes)}`);
    this.name = 'AnswerTooLarge';
  }
}

/**
 * One HTTP exchange within `limits`. The answer is counted as it arrives (and its Content-Length
 * checked first): past the size limit the request is cancelled, so an endless or huge body costs at
 * most the limit in memory. got's request timeout covers the whole exchange, body included.
 */
export async function exchange(
  client: Got,
  url: URL,
  request: ExchangeRequest,
  limits: ExchangeLimits,
): Promise<Answer> {
  const pending = client(url, {
    method: request.method,
    headers: request.headers,
    ...(request.json !== undefined ? { json: request.json } : {}),
    ...(request.form ? { form: request.form } : {}),
    ...(request.signal ? { signal: request.signal } : {}),
    timeout: { lookup: 5_000, connect: 5_000, request: Math.max(1, Math.round(limits.timeoutMs)) },
    responseType: 'text',
    throwHttpErrors: false,
  });
  let tooLarge = false;
  pending.on('downloadProgress', ({ transferred, total }) => {
    if (tooLarge) return;
    if (transferred > limits.maxAnswerBytes || (total ?? 0) > limits.maxAnswerBytes) {
      tooLarge = true;
      pending.cancel();
    }
  });
  try {
    const response = await pending;
    return { statusCode: response.statusCode, headers: response.headers, body: response.body };
  } catch (error) {
    if (tooLarge) throw new AnswerTooLarge(limits.maxAnswerBytes);
    throw error;
  }
}

/**
 * Describes a failed exchange without echoing request options (which hold credentials) or anything
 * the server sent: a size or time limit by name, else Node's error code.
 */
export function exchangeFailure(
  error: unknown,
  timeoutMs: number,
  /** What set the time limit, for the message. */
  limit = 'the request timeout',
): string {
  if (error instanceof AnswerTooLarge) return `${error.message}, the operator's limit`;
  const { code, name } = (error && typeof error === 'object' ? error : {}) as {
    code?: unknown;
    name?: unknown;
  };
  if (name === 'TimeoutError' || code === 'ETIMEDOUT') {
    return `no complete answer within ${formatMs(timeoutMs)} (${limit})`;
  }
  if (typeof code === 'string') return `request failed (${code})`;
  if (typeof name === 'string') return `request failed (${name})`;
  return 'request failed';
}

/** Node's error code of a failed exchange (ECONNREFUSED, ETIMEDOUT, ERR_ANSWER_TOO_LARGE, …). */
export function exchangeErrorCode(error: unknown): string | undefined {
  const code = error && typeof error === 'object' ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : `${bytes / 1024} KiB`;
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms} ms`;
}

/**
 * The error of a call the connection's health does not allow now (its breaker is open, the probe
 * pass aside, or a Retry-After runs); undefined when it may go out. For the API calls and the token
 * request alike.
 */
export function healthRefusal(
  operation: string,
  health: ConnectionHealth | undefined,
): LogtoApiError | undefined {
  const verdict = health?.callAllowed();
  if (!verdict || verdict.allowed) return undefined;
  return new LogtoApiError({
    operation,
    code: verdict.why === 'throttled' ? 'operator.throttled' : 'operator.connection_unavailable',
    detail:
      verdict.why === 'throttled'
        ? 'Logto asked to wait (Retry-After) before the next request'
        : 'Logto failed several times in a row; calls wait for a probe to get an answer',
    retryAfterMs: verdict.retryInMs,
    kind: 'Unavailable',
  });
}
