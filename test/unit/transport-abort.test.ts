import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ClientCredentialsTokenProvider } from '../../src/api/token-provider.js';
import { createHttpClient, LogtoTransport } from '../../src/api/transport.js';
import { withAbortSignal } from '../../src/util/abort-scope.js';

// A Logto stand-in that hands out tokens and answers 503 to everything else.
let server: Server;
let endpoint: string;
let apiCalls = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/oidc/token') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: 't', expires_in: 3600, token_type: 'Bearer', scope: 'all' }));
      return;
    }
    apiCalls++;
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: 'unavailable', message: 'down' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function transport(): LogtoTransport {
  const http = createHttpClient();
  const tokens = new ClientCredentialsTokenProvider({
    endpoint,
    resource: 'https://default.logto.app/api',
    credentials: async () => ({ clientId: 'id', clientSecret: 'secret' }),
    http,
  });
  return new LogtoTransport({
    endpoint,
    tokens,
    http,
    retry: { maxRetries: 5, baseDelayMs: 60_000, maxDelayMs: 60_000, maxRetryAfterMs: 60_000 },
  });
}

describe('LogtoTransport under an abort signal', () => {
  it('stops waiting between retries as soon as the work is abandoned', async () => {
    const controller = new AbortController();
    const before = apiCalls;
    const pending = withAbortSignal(controller.signal, () =>
      transport().send({
        operation: 'get_application',
        method: 'GET',
        path: '/api/applications/x',
        idempotent: true,
      }),
    );
    // The first attempt fails and the transport sleeps a minute before the next: abort the wait.
    await vi.waitFor(() => expect(apiCalls - before).toBe(1), { timeout: 10_000 });
    controller.abort(new Error('shutdown deadline'));
    await expect(pending).rejects.toThrow('shutdown deadline');
    expect(apiCalls - before).toBe(1);
  });

  it('does not start a request for work already abandoned', async () => {
    const before = apiCalls;
    const send = () =>
      transport().send({
        operation: 'get_application',
        method: 'GET',
        path: '/api/applications/x',
        idempotent: true,
      });
    await expect(withAbortSignal(AbortSignal.abort(new Error('gone')), send)).rejects.toThrow('gone');
    expect(apiCalls).toBe(before);
  });
});
