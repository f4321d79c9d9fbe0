/**
 * A Logto endpoint that a namespace user could point a LogtoConnection at, on 127.0.0.1: it answers
 * the token request and the reads of the connection's readiness check as Logto would, and every
 * write in one hostile way:
 * - `endless`: 200 with a JSON body that never ends;
 * - `slow`: no answer at all (held until the server closes);
 * - `throttle`: 429 with `Retry-After: 30`, forever.
 * Its error bodies carry HOSTILE_TEXT, which must never reach a condition or an Event.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type HostileMode = 'endless' | 'slow' | 'throttle';

/** Text of the endpoint's own that must stay out of conditions and events. */
export const HOSTILE_TEXT = 'Call +1-555-0100 for a faster plan';

export interface HostileLogto {
  endpoint: string;
  /** The Management API indicator it claims. */
  resource: string;
  credentials: { clientId: string; clientSecret: string };
  /** Writes received, and bytes of endless bodies sent. */
  stats: { writes: number; streamedBytes: number };
  close(): Promise<void>;
}

export async function startHostileLogto(mode: HostileMode): Promise<HostileLogto> {
  const stats = { writes: 0, streamedBytes: 0 };
  const held = new Set<ServerResponse>();
  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'POST' && url.pathname === '/oidc/token') {
      return json(res, 200, {
        access_token: `hostile-${mode}-token`,
        expires_in: 3600,
        token_type: 'Bearer',
        scope: 'all',
      });
    }
    if (req.method === 'GET') {
      // The readiness check: one page of applications, the API resources, a role by name; all empty.
      if (['/api/applications', '/api/resources', '/api/roles'].includes(url.pathname)) {
        return json(res, 200, [], { 'total-number': '0' });
      }
      return json(res, 404, { code: 'entity.not_found', message: HOSTILE_TEXT });
    }
    stats.writes++;
    if (mode === 'throttle') {
      return json(res, 429, { code: 'too_many_requests', message: HOSTILE_TEXT }, { 'retry-after': '30' });
    }
    if (mode === 'slow') {
      held.add(res);
      res.on('close', () => held.delete(res));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write(`{"message":"${HOSTILE_TEXT}","data":"`);
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const write = () => {
      let room = true;
      while (!res.destroyed && room) {
        room = res.write(chunk);
        stats.streamedBytes += chunk.length;
      }
      if (!res.destroyed) res.once('drain', write);
    };
    write();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    resource: 'https://hostile.example/api',
    credentials: { clientId: `hostile-${mode}`, clientSecret: `hostile-${mode}-secret` },
    stats,
    close: async () => {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
