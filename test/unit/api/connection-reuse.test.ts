/**
 * Logto calls reuse their connections: workers whose calls come and go between other work (as a
 * reconcile's do, between apiserver calls) never open more connections than may be open at once.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHttpClient, MAX_LOGTO_SOCKETS } from '../../../src/api/http.js';

let server: ReturnType<typeof createServer>;
let endpoint: string;
let connections = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{}'));
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

it('opens no more connections than may be open at once, however the calls interleave', async () => {
  const client = createHttpClient();
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  let sent = 0;
  await Promise.all(
    Array.from({ length: MAX_LOGTO_SOCKETS }, async (_, worker) => {
      while (sent < 400) {
        sent++;
        await client.post(`${endpoint}/api/applications`, { json: { worker } });
        // Staggered pauses: at any moment some workers are between calls, their connections idle.
        await pause((worker * 7 + sent) % 5);
      }
    }),
  );
  expect(sent).toBe(400);
  // With four idle connections kept (the earlier setting), this opened about a hundred.
  expect(connections).toBeLessThanOrEqual(MAX_LOGTO_SOCKETS);
});
