/**
 * What an endpoint a namespace user chose can do to the transport: nothing it sends is read past the
 * size limit or waited for past the time limits, a Retry-After is not slept in a worker, and its own
 * words stay out of the error (conditions and events are made of it), but not out of the debug log.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogtoApiError } from '../../../src/api/errors.js';
import { MAX_API_ANSWER_BYTES, MAX_TOKEN_ANSWER_BYTES } from '../../../src/api/http.js';
import { ClientCredentialsTokenProvider } from '../../../src/api/token-provider.js';
import { createHttpClient, LogtoTransport } from '../../../src/api/transport.js';
import { ConnectionHealth } from '../../../src/connections/health.js';
import { createLogger } from '../../../src/log.js';
import { withDeadline } from '../../../src/util/abort-scope.js';

type Behaviour = (res: ServerResponse) => void;
const behaviours = new Map<string, Behaviour>();
let server: Server;
let endpoint: string;
/** Bytes of endless bodies written so far. */
let streamed = 0;

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Behaviour =>
  (res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
const token = json(200, { access_token: 'the.access.token', expires_in: 3600, scope: 'all' });

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    (behaviours.get(path) ?? json(404, { code: 'entity.not_found', message: 'no' }))(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});

function client(options: { trustedText?: boolean; requestTimeoutMs?: number } = {}) {
  const logs: string[] = [];
  const logger = createLogger(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _e, done) {
        logs.push(chunk.toString('utf8'));
        done();
      },
    }),
  );
  const http = createHttpClient();
  const health = new ConnectionHealth();
  const common = {
    http,
    health,
    requestTimeoutMs: options.requestTimeoutMs ?? 2_000,
    trustedText: options.trustedText ?? false,
  };
  const tokens = new ClientCredentialsTokenProvider({
    ...common,
    endpoint,
    resource: 'https://default.logto.app/api',
    credentials: async () => ({ clientId: 'id', clientSecret: 'the-client-secret' }),
  });
  const transport = new LogtoTransport({ ...common, endpoint, tokens, logger });
  const get = (path: string) =>
    transport.send({ operation: 'get_application', method: 'GET', path, idempotent: true }).then(
      () => undefined,
      (error: unknown) => error as LogtoApiError,
    );
  return { get, tokens, health, logs };
}

describe('answers from an endpoint the operator does not trust', () => {
  it('reads no more than the size limit of an endless body, and names the limit', async () => {
    behaviours.set('/oidc/token', token);
    behaviours.set('/api/endless', (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const write = () => {
        while (!res.destroyed && res.write(chunk)) streamed += chunk.length;
        if (!res.destroyed) res.once('drain', write);
      };
      res.write('[');
      write();
    });
    const before = streamed;
    const error = await client().get('/api/endless');
    expect(error).toBeInstanceOf(LogtoApiError);
    expect(error).toMatchObject({ code: 'operator.answer_too_large', kind: 'Unavailable' });
    expect(error!.message).toContain('larger than 4 MiB');
    // Cut off near the limit (socket buffers aside), not read for ever; not tried again either.
    expect(streamed - before).toBeLessThan(MAX_API_ANSWER_BYTES + 8 * 1024 * 1024);
  });

  it('stops a token answer far sooner', async () => {
    behaviours.set(
      '/oidc/token',
      json(200, { access_token: 'x'.repeat(MAX_TOKEN_ANSWER_BYTES * 2), expires_in: 1 }),
    );
    const error = await client().get('/api/applications/a');
    expect(error).toMatchObject({ operation: 'fetch_access_token', code: 'operator.answer_too_large' });
    expect(error!.message).toContain('larger than 64 KiB');
  });

  it('gives up an answer that does not come within the request timeout, once', async () => {
    behaviours.set('/oidc/token', token);
    let calls = 0;
    behaviours.set('/api/slow', () => void calls++);
    const error = await client({ requestTimeoutMs: 300 }).get('/api/slow');
    expect(error!.message).toContain('no complete answer within 300 ms');
    expect(calls).toBe(1);
  });

  it('starts no attempt past the deadline of the pass', async () => {
    behaviours.set('/oidc/token', token);
    let calls = 0;
    behaviours.set('/api/slow', () => void calls++);
    const { get } = client({ requestTimeoutMs: 60_000 });
    const error = await withDeadline(300, () => get('/api/slow'));
    expect(error!.message).toMatch(/no complete answer within \d+ ms \(the rest of the pass's time\)/);
    const late = await withDeadline(0, () => get('/api/slow'));
    expect(late).toMatchObject({ code: 'operator.pass_deadline' });
    expect(calls).toBe(1);
  });

  it('does not sleep a long Retry-After in the call, and holds every call of the connection for it', async () => {
    behaviours.set('/oidc/token', token);
    let calls = 0;
    behaviours.set('/api/busy', (res) => {
      calls++;
      json(
        429,
        { code: 'too_many', message: 'Slow down, and visit evil.example for a faster plan!' },
        { 'retry-after': '30' },
      )(res);
    });
    const { get, health, logs } = client();
    const started = performance.now();
    const error = await get('/api/busy');
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(error).toMatchObject({ status: 429, retryAfterMs: 30_000 });
    expect(calls).toBe(1);
    expect(health.callAllowed()).toMatchObject({ allowed: false, why: 'throttled' });
    expect(await get('/api/busy')).toMatchObject({ code: 'operator.throttled' });
    expect(calls).toBe(1);
    // The endpoint's words: in the debug log (redacted), never in the error.
    expect(error!.message).not.toContain('evil.example');
    expect(error!.message).toContain('HTTP 429');
    expect(logs.join('')).toContain('evil.example');
  });

  it("keeps a well-formed error code but not the endpoint's message; a trusted endpoint's message stays", async () => {
    behaviours.set('/oidc/token', token);
    behaviours.set(
      '/api/refused',
      json(422, { code: 'application.invalid_type', message: 'Call 555-0100 now' }),
    );
    behaviours.set('/api/odd', json(422, { code: 'Call 555-0100 now!', message: 'x' }));
    const untrusted = client();
    const refused = await untrusted.get('/api/refused');
    expect(refused).toMatchObject({ code: 'application.invalid_type', detail: 'HTTP 422' });
    expect((await untrusted.get('/api/odd'))?.code).toBeUndefined();
    expect((await client({ trustedText: true }).get('/api/refused'))?.detail).toBe('Call 555-0100 now');
  });

  it('logs an error answer at debug level without the token it was sent', async () => {
    behaviours.set('/oidc/token', token);
    behaviours.set(
      '/api/echo',
      json(400, { code: 'guard.invalid_input', message: 'you sent Bearer the.access.token' }),
    );
    const { get, logs } = client();
    await get('/api/echo');
    const text = logs.join('');
    expect(text).toContain('Logto answered with an error');
    expect(text).toContain('[redacted]');
    expect(text).not.toContain('the.access.token');
    expect(text).not.toContain('the-client-secret');
  });
});
