// The token endpoint (client credentials) and bearer checks of the Management API.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { ManualClock } from './clock.js';
import { startLogtoEmulator, type LogtoEmulator } from './emulator.js';
import { EmulatorApi } from './harness.js';

let emulator: LogtoEmulator;
let api: EmulatorApi;
const clock = new ManualClock();

beforeAll(async () => {
  emulator = await startLogtoEmulator({ clock });
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.reset();
  // A fresh client per test: no access token cached across tests that expire tokens.
  api = new EmulatorApi(emulator);
});

const postForm = (body: string, headers: Record<string, string> = {}) =>
  fetch(`${emulator.endpoint}/oidc/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });

describe('POST /oidc/token', () => {
  it('answers with no-store caching', async () => {
    const response = await postForm(
      new URLSearchParams({
        grant_type: 'client_credentials',
        resource: emulator.resourceIndicator,
        scope: 'all',
      }).toString(),
      {
        Authorization: `Basic ${Buffer.from(`${emulator.credentials.clientId}:${emulator.credentials.clientSecret}`).toString('base64')}`,
      },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses malformed requests with 400 and OAuth error codes', async () => {
    const basic = {
      Authorization: `Basic ${Buffer.from(`${emulator.credentials.clientId}:${emulator.credentials.clientSecret}`).toString('base64')}`,
    };
    const cases: Array<[string, Record<string, string>, string]> = [
      [`resource=${encodeURIComponent(emulator.resourceIndicator)}`, basic, 'invalid_request'],
      ['grant_type=authorization_code', basic, 'unsupported_grant_type'],
      ['grant_type=client_credentials', {}, 'invalid_request'],
      [
        `grant_type=client_credentials&client_id=${emulator.credentials.clientId}&client_secret=x`,
        basic,
        'invalid_request',
      ],
      ['grant_type=client_credentials', basic, 'invalid_target'],
    ];
    for (const [body, headers, error] of cases) {
      const response = await postForm(body, headers);
      expect(response.status, body).toBe(400);
      expect(await response.json()).toMatchObject({ error });
    }
    const json = await fetch(`${emulator.endpoint}/oidc/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...basic },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    expect(json.status).toBe(400);
  });

  it('answers invalid_client: 400 for an unknown client, 401 for a wrong secret (BEHAVIOUR.md "Authentication")', async () => {
    const cases = [
      [{ clientId: 'unknown' }, 400],
      [{ clientSecret: 'wrong' }, 401],
      [{ clientSecret: '' }, 401],
    ] as const;
    for (const [request, status] of cases) {
      const response = await api.requestToken(request);
      expect(response.status).toBe(status);
      expect(response.body).toEqual({
        error: 'invalid_client',
        error_description: expect.any(String),
        code: 'oidc.invalid_client',
        message: expect.any(String),
      });
    }
  });

  it('issues tokens to machine-to-machine apps only (400 invalid_request otherwise)', async () => {
    const web = emulator.seed.application({ name: 'web', type: 'Traditional' });
    const response = await api.requestToken({ clientId: web.id, clientSecret: web.secrets[0]?.value ?? '' });
    expect([response.status, response.body.error]).toEqual([400, 'invalid_request']);
  });

  it('refuses the secrets of a deleted application', async () => {
    const app = emulator.seed.application({ name: 'm', type: 'MachineToMachine' });
    const credentials = { clientId: app.id, clientSecret: app.secrets[0]?.value ?? '' };
    expect((await api.requestToken(credentials)).status).toBe(200);
    expect((await api.op('delete_application', { id: app.id })).status).toBe(204);
    // An unknown client now: 400 invalid_client.
    const refused = await api.requestToken(credentials);
    expect([refused.status, refused.body.error]).toEqual([400, 'invalid_client']);
  });

  it('ignores requested scopes other than all', async () => {
    const response = await api.requestToken({ scope: 'openid profile' });
    expect(response.status).toBe(200);
    expect(response.body.scope).toBeUndefined();
  });
});

describe('bearer tokens of the Management API', () => {
  it('answers 401 for a missing header, another scheme, a forged or a foreign token', async () => {
    const token = await api.token();
    const [header, payload] = token.split('.');
    const forged = `${header}.${payload}.${Buffer.from('forged').toString('base64url')}`;
    const other = await startLogtoEmulator();
    const foreign = await new EmulatorApi(other).token();
    await other.close();

    const cases: Array<[Record<string, string>, string]> = [
      [{}, 'auth.authorization_header_missing'],
      [
        { Authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
        'auth.authorization_token_type_not_supported',
      ],
      [{ Authorization: `Bearer ${forged}` }, 'auth.unauthorized'],
      [{ Authorization: `Bearer ${foreign}` }, 'auth.unauthorized'],
    ];
    for (const [headers, code] of cases) {
      const response = await fetch(`${emulator.endpoint}/api/applications`, { headers });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ code });
    }
  });

  it('expires tokens after expires_in seconds', async () => {
    const token = await api.token();
    clock.advance(3_599_000);
    expect((await api.request('GET', '/api/applications', { token })).status).toBe(200);
    clock.advance(1_000);
    const expired = await api.request('GET', '/api/applications', { token });
    expect([expired.status, expired.body.code]).toEqual([401, 'auth.unauthorized']);
  });

  it('authenticates before routing: an unknown /api route is 401 without a token, 404 with one', async () => {
    expect((await api.request('GET', '/api/nowhere', { token: null })).status).toBe(401);
    const unknown = await api.request('GET', '/api/nowhere');
    expect([unknown.status, unknown.body.code]).toEqual([404, 'route.not_found']);
    expect((await api.request('GET', '/elsewhere', { token: null })).status).toBe(404);
  });

  it('authenticates before validating the body', async () => {
    const response = await api.op('create_application', {}, { body: { nonsense: true }, token: null });
    expect(response.status).toBe(401);
  });
});
