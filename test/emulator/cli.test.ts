// `npm run emulator`: prints the endpoint and credentials, serves, stops on SIGTERM/SIGINT.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const freePort = async () => {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
};

const runCli = async (args: string[], signal: NodeJS.Signals) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/emulator/cli.ts', ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    const deadline = Date.now() + 15_000;
    while (!output.includes('test controls') && Date.now() < deadline && child.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const endpoint = /listening on (\S+)/.exec(output)?.[1];
    const clientId = /client id:\s+(\S+)/.exec(output)?.[1];
    const clientSecret = /client secret:\s+(\S+)/.exec(output)?.[1];
    if (!endpoint || !clientId || !clientSecret) throw new Error(`Emulator did not start:\n${output}`);
    const token = await fetch(`${endpoint}/oidc/token`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials&resource=https%3A%2F%2Fdefault.logto.app%2Fapi&scope=all',
    });
    const exited = once(child, 'exit');
    child.kill(signal);
    const [code] = (await exited) as [number | null];
    return { endpoint, clientId, clientSecret, tokenStatus: token.status, code, output };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
};

describe('emulator CLI', () => {
  it('serves on --port with the given credentials and stops on SIGTERM', async () => {
    const port = await freePort();
    const result = await runCli(
      ['--port', String(port), '--client-id', 'cli-app', '--client-secret', 'cli-secret'],
      'SIGTERM',
    );
    expect(result.endpoint).toBe(`http://127.0.0.1:${port}`);
    expect([result.clientId, result.clientSecret]).toEqual(['cli-app', 'cli-secret']);
    expect(result.tokenStatus).toBe(200);
    expect(result.code).toBe(0);
    expect(result.output).toContain('Received SIGTERM');
  });

  it('stops on SIGINT with random credentials by default', async () => {
    const result = await runCli([], 'SIGINT');
    expect(result.clientSecret).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(result.tokenStatus).toBe(200);
    expect(result.code).toBe(0);
  });
});
