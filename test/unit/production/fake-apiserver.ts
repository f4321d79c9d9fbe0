/** A stand-in apiserver for the HTTP layer's tests: plain HTTP on 127.0.0.1, answers every request. */
import { KubeConfig } from '@kubernetes/client-node';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

const SECRET = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'ns' } };

export interface FakeApiServer {
  server: Server;
  url: string;
  connections: Socket[];
  requests: IncomingMessage[];
  /** Requests to these paths are never answered. */
  hang: Set<string>;
  /** Answers other than the default Secret, by path. */
  answers: Map<string, { status: number; body: unknown }>;
  /** Raw 200 answers (any text), by path. */
  raw: Map<string, string>;
  /** The body of each request, as text, in arrival order. */
  bodies: string[];
}

export async function startFakeApiServer(): Promise<FakeApiServer> {
  const fake: Omit<FakeApiServer, 'server' | 'url'> = {
    connections: [],
    requests: [],
    hang: new Set(),
    answers: new Map(),
    raw: new Map(),
    bodies: [],
  };
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    fake.requests.push(request);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => fake.bodies.push(Buffer.concat(chunks).toString('utf8')));
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    if (fake.hang.has(path)) return;
    const raw = fake.raw.get(path);
    if (raw !== undefined) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(raw);
      return;
    }
    const answer = fake.answers.get(path);
    if (answer) {
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer.body));
      return;
    }
    if (request.url?.includes('watch=true')) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(`${JSON.stringify({ type: 'ADDED', object: SECRET })}\n`);
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(SECRET));
  });
  server.on('connection', (socket: Socket) => fake.connections.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { ...fake, server, url: `http://127.0.0.1:${port}` };
}

export function kubeConfigFor(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'test-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}
