/**
 * A small HTTP(S) server for the probe and metrics endpoints (GET/HEAD only, plain text answers).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { BindAddress } from '../config.js';
import type { Logger } from '../log.js';
import { describeError } from './errors.js';

export interface Response {
  status: number;
  body: string;
  contentType?: string;
  /** More response headers, e.g. `www-authenticate`. */
  headers?: Record<string, string>;
}

/** Handlers by exact path. */
export type Routes = Record<string, (request: IncomingMessage) => Response | Promise<Response>>;

/** A PEM certificate (chain) and its private key. */
export interface KeyPair {
  cert: string;
  key: string;
}

/** The certificate of an HTTPS server; a changed one is used for new connections. */
export interface TlsSource {
  current(): KeyPair;
  /** Calls `listener` with each new pair; returns the unsubscribe function. */
  onChange(listener: (pair: KeyPair) => void): () => void;
}

export interface HttpEndpoint {
  /** `http(s)://host:port` as bound (the real port when 0 was asked). */
  readonly url: string;
  readonly address: AddressInfo;
  close(): Promise<void>;
}

/**
 * A probe check: undefined when fine, otherwise a short reason (the 503 body). Answers 200 `ok` or
 * 503 with the reason.
 */
export type Check = () => string | undefined;

export function probe(check: Check): () => Response {
  return () => {
    const reason = check();
    return reason === undefined ? { status: 200, body: 'ok' } : { status: 503, body: reason };
  };
}

export async function startHttpServer(options: {
  address: BindAddress;
  routes: Routes;
  logger: Logger;
  /** For logs, e.g. `metrics`. */
  name: string;
  /** Serve HTTPS with this certificate (TLS 1.2 or later), instead of plain HTTP. */
  tls?: TlsSource | undefined;
}): Promise<HttpEndpoint> {
  const { routes, logger, name, tls } = options;
  const handler = (request: IncomingMessage, response: ServerResponse) => {
    answer(routes, request, response).catch((err: unknown) => {
      logger.error({ err: describeError(err), server: name, path: request.url }, 'HTTP handler failed');
      if (!response.headersSent) write(response, { status: 500, body: 'internal error' }, request.method);
      else response.destroy();
    });
  };
  const https = tls && createHttpsServer({ ...tls.current(), minVersion: 'TLSv1.2' }, handler);
  const server: Server = https || createServer(handler);
  const unsubscribe = tls?.onChange((pair) => https!.setSecureContext(pair));
  // Probes and scrapes are short: no request should hold the server open for long.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.address.host, port: options.address.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${tls ? 'https' : 'http'}://${host}:${address.port}`;
  logger.info({ server: name, address: url, paths: Object.keys(routes) }, 'serving HTTP');
  let closing: Promise<void> | undefined;
  return {
    url,
    address,
    close() {
      unsubscribe?.();
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections of scrapers would otherwise hold close() open.
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 1_000).unref();
      });
      return closing;
    },
  };
}

async function answer(routes: Routes, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  const route = routes[path];
  if (!route) return write(response, { status: 404, body: 'not found' }, request.method);
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    return write(response, { status: 405, body: 'method not allowed' }, request.method);
  }
  write(response, await route(request), request.method);
}

function write(
  response: ServerResponse,
  { status, body, contentType, headers }: Response,
  method?: string,
): void {
  response.writeHead(status, {
    ...headers,
    'content-type': contentType ?? 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  response.end(method === 'HEAD' ? undefined : body);
}
