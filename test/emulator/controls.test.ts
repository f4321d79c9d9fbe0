// Test controls: fault injection (latency, errors, 429, resets, outage), token expiry, reset,
// call recording, seeding, and the same controls over HTTP under /__emulator/.
import { inspect } from 'node:util';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { ManualClock } from './clock.js';
import { startLogtoEmulator, type LogtoEmulator } from './emulator.js';
import { EmulatorApi } from './harness.js';

let emulator: LogtoEmulator;
let api: EmulatorApi;
const clock = new ManualClock(Date.UTC(2025, 0, 1));
// Fault probabilities draw from this queue (0.5 when empty).
const draws: number[] = [];

beforeAll(async () => {
  emulator = await startLogtoEmulator({ clock, random: () => draws.shift() ?? 0.5 });
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.reset();
  // A fresh client per test: no access token cached across tests that expire tokens.
  api = new EmulatorApi(emulator);
  draws.length = 0;
});

const control = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${emulator.endpoint}/__emulator/${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
};

describe('fault injection', () => {
  it('adds latency to the matching route only', async () => {
    await api.operatorToken();
    emulator.faults.inject({ method: 'GET', path: '/api/applications', latencyMs: 200 });
    let started = performance.now();
    expect((await api.op('list_applications', {})).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    started = performance.now();
    expect((await api.op('get_application', { id: emulator.credentials.clientId })).status).toBe(200);
    expect(performance.now() - started).toBeLessThan(150);
    expect(emulator.calls.list({ operation: 'list_applications' })[0]?.fault).toBe('latency');
  });

  it('answers 500/503 at the configured rate, matching route templates and path globs', async () => {
    const app = await api.createApp({ name: 'm', type: 'MachineToMachine' });
    emulator.faults.inject({ path: '/api/applications/{id}/secrets', status: 503, probability: 0.5 });
    draws.push(0.4, 0.6);
    const failed = await api.op('list_application_secrets', { id: app.id });
    expect(failed.status).toBe(503);
    expect(failed.body).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    expect((await api.op('list_application_secrets', { id: app.id })).status).toBe(200);
    expect((await api.op('get_application', { id: app.id })).status).toBe(200);

    emulator.faults.clear();
    emulator.faults.inject({ method: 'GET', path: '/api/applications/*', status: 500 });
    expect((await api.op('get_application', { id: app.id })).status).toBe(500);
    expect((await api.op('list_application_secrets', { id: app.id })).status).toBe(200);
    expect((await api.op('update_application', { id: app.id }, { body: { name: 'n' } })).status).toBe(200);
  });

  it("applies a rule's latency even when its failure does not fire", async () => {
    await api.operatorToken();
    emulator.faults.inject({ path: '/api/applications', latencyMs: 150, status: 500, probability: 0.5 });
    draws.push(0.9);
    const started = performance.now();
    expect((await api.op('list_applications', {})).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('stops a rule after `times` applications', async () => {
    await api.operatorToken();
    emulator.faults.inject({ path: '/api/**', status: 500, times: 2 });
    const statuses = [];
    for (let index = 0; index < 3; index += 1) statuses.push((await api.op('list_applications', {})).status);
    expect(statuses).toEqual([500, 500, 200]);
    expect(emulator.faults.list()).toEqual([]);
  });

  it('answers 429 with Retry-After', async () => {
    await api.operatorToken();
    emulator.faults.inject({ method: 'POST', path: '/api/applications', retryAfterSeconds: 7, times: 1 });
    const limited = await api.op('create_application', {}, { body: { name: 'x', type: 'SPA' } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(limited.body.code).toBe('request.too_many_requests');
    expect(emulator.state.applications.size).toBe(1);
    expect((await api.op('create_application', {}, { body: { name: 'x', type: 'SPA' } })).status).toBe(200);
  });

  it('resets connections', async () => {
    await api.operatorToken();
    emulator.faults.inject({ path: '/api/applications', reset: true });
    await expect(api.op('list_applications', {})).rejects.toThrow();
    expect(emulator.calls.list({ route: '/api/applications' })).toEqual([
      expect.objectContaining({ method: 'GET', status: 0, fault: 'reset' }),
    ]);
  });

  it('takes every route down during an outage, the token endpoint included, until it ends', async () => {
    const token = await api.operatorToken();
    emulator.faults.startOutage();
    expect((await api.op('list_applications', {}, { token })).status).toBe(503);
    expect((await api.requestToken()).status).toBe(503);
    expect((await control('GET', 'health')).status).toBe(200);
    emulator.faults.startOutage('reset');
    await expect(api.requestToken()).rejects.toThrow();
    emulator.faults.endOutage();
    expect((await api.op('list_applications', {}, { token })).status).toBe(200);
    expect(emulator.calls.count({ status: 503 })).toBe(2);
  });

  it('validates rules', () => {
    expect(() => emulator.faults.inject({ probability: 2 })).toThrow(RangeError);
    expect(() => emulator.faults.inject({ times: 0 })).toThrow(RangeError);
    expect(() => emulator.faults.inject({ status: 502 as 503 })).toThrow(RangeError);
  });
});

describe('tokens, reset and state', () => {
  it('expires issued tokens on demand; new tokens work', async () => {
    const token = await api.token();
    emulator.expireTokens();
    const expired = await api.request('GET', '/api/applications', { token });
    expect([expired.status, expired.body.code]).toEqual([401, 'auth.unauthorized']);
    expect((await api.request('GET', '/api/applications', { token: await api.token() })).status).toBe(200);
  });

  it('resets data, faults and records to the seed, keeping the operator credentials and issued tokens', async () => {
    const token = await api.token();
    const app = await api.createApp({ name: 'temp', type: 'SPA' });
    emulator.faults.inject({ path: '/api/roles', status: 500 });
    emulator.reset();
    expect(emulator.state.applications.has(app.id)).toBe(false);
    expect(emulator.faults.list()).toEqual([]);
    expect(emulator.calls.count()).toBe(0);
    expect((await api.request('GET', '/api/roles', { token })).status).toBe(200);
    expect((await api.token()).length).toBeGreaterThan(0);
  });

  it('exposes the state for assertions', async () => {
    const app = await api.createApp({ name: 'seen', type: 'MachineToMachine' });
    const record = emulator.state.applications.get(app.id);
    expect(record?.name).toBe('seen');
    expect(record?.secrets.map(({ name }) => name)).toEqual(['Default secret']);
  });

  it('never prints the operator secret with the credentials', () => {
    const { clientId, clientSecret } = emulator.credentials;
    expect(inspect(emulator.credentials)).toContain(clientId);
    expect(inspect(emulator.credentials)).not.toContain(clientSecret);
    expect(JSON.stringify(emulator.credentials)).not.toContain(clientSecret);
  });
});

describe('call recording', () => {
  it('records method, route template, operation, status and time, and no secret', async () => {
    const app = await api.createApp({ name: 'm', type: 'MachineToMachine' });
    const secret = await api.op(
      'create_application_secret',
      { id: app.id },
      { body: { name: 'second secret' } },
    );
    await api.op('get_application', { id: 'missing' });
    const calls = emulator.calls.list();
    expect(
      calls.map(({ method, route, operation, status }) => ({ method, route, operation, status })),
    ).toEqual([
      { method: 'POST', route: '/oidc/token', operation: undefined, status: 200 },
      { method: 'POST', route: '/api/applications', operation: 'create_application', status: 200 },
      {
        method: 'POST',
        route: '/api/applications/{id}/secrets',
        operation: 'create_application_secret',
        status: 201,
      },
      { method: 'GET', route: '/api/applications/{id}', operation: 'get_application', status: 404 },
    ]);
    expect(calls[2]?.path).toBe(`/api/applications/${app.id}/secrets`);
    expect(calls.every(({ timestamp }) => timestamp === clock.now())).toBe(true);
    expect(emulator.calls.count({ operation: 'get_application', status: 404 })).toBe(1);

    const printed = JSON.stringify(calls) + inspect(calls);
    expect(printed).not.toContain(secret.body.value);
    expect(printed).not.toContain(emulator.credentials.clientSecret);
    expect(printed).not.toContain(await api.operatorToken());
    emulator.calls.clear();
    expect(emulator.calls.count()).toBe(0);
  });
});

describe('seeding', () => {
  it('seeds roles, resources and scopes, organizations with members, organization scopes and applications', async () => {
    const seeded = await startLogtoEmulator({
      seed: {
        resources: [{ name: 'Billing', indicator: 'https://billing.example', scopes: ['read', 'write'] }],
        roles: [{ name: 'billing-reader', scopes: [{ indicator: 'https://billing.example', name: 'read' }] }],
        organizationScopes: [{ name: 'read:members' }],
        users: [{ id: 'user1', name: 'Ada' }],
        applications: [
          {
            id: 'legacyapp',
            name: 'legacy',
            type: 'MachineToMachine',
            legacySecret: true,
            roleNames: ['billing-reader'],
          },
        ],
        organizations: [
          { name: 'acme', members: ['user1', 'user2'], applications: [{ applicationId: 'legacyapp' }] },
        ],
      },
    });
    try {
      const seededApi = new EmulatorApi(seeded);
      const check = async () => {
        const roles = await seededApi.request('GET', '/api/roles', {
          query: { 'search.name': 'billing-reader' },
        });
        expect(roles.body).toHaveLength(1);
        const resources = await seededApi.request('GET', '/api/resources', {
          query: { includeScopes: 'true' },
        });
        const billing = resources.body.find(({ name }: { name: string }) => name === 'Billing');
        expect(billing.scopes.map(({ name }: { name: string }) => name).sort()).toEqual(['read', 'write']);
        const scopes = await seededApi.request('GET', `/api/resources/${billing.id}/scopes`, {
          query: { 'search.name': 'read', 'mode.name': 'exact' },
        });
        expect(scopes.body.map(({ name }: { name: string }) => name)).toEqual(['read']);
        const organizationScopes = await seededApi.request('GET', '/api/organization-scopes', {
          query: { q: 'members' },
        });
        expect(organizationScopes.body).toHaveLength(1);
        const organizations = await seededApi.request('GET', '/api/organizations', { query: { q: 'acm' } });
        const members = await seededApi.request(
          'GET',
          `/api/organizations/${organizations.body[0].id}/users`,
        );
        expect(members.body.map(({ id }: { id: string }) => id).sort()).toEqual(['user1', 'user2']);
        const legacy = await seededApi.op('get_application', { id: 'legacyapp' });
        expect(legacy.body.secret).toMatch(/^[A-Za-z0-9]{32}$/);
        expect((await seededApi.op('list_application_organizations', { id: 'legacyapp' })).body).toHaveLength(
          1,
        );
      };
      await check();
      seeded.reset();
      await check();
    } finally {
      await seeded.close();
    }
  });

  it('adds organization members over the API (unknown users 422)', async () => {
    emulator.seed.user({ id: 'u1' });
    const organization = emulator.seed.organization({ name: 'acme' });
    const added = await api.request('POST', `/api/organizations/${organization.id}/users`, {
      body: { userIds: ['u1'] },
    });
    expect([added.status, added.body]).toEqual([201, { userIds: ['u1'] }]);
    const unknown = await api.request('POST', `/api/organizations/${organization.id}/users`, {
      body: { userIds: ['ghost'] },
    });
    expect(unknown.status).toBe(422);
    expect([...organization.members]).toEqual(['u1']);
  });
});

describe('controls over HTTP (/__emulator/)', () => {
  it('injects and removes faults, runs outages, lists calls', async () => {
    await api.operatorToken();
    const injected = await control('POST', 'faults', {
      method: 'GET',
      path: '/api/applications',
      status: 500,
    });
    expect(injected.status).toBe(201);
    expect((await api.op('list_applications', {})).status).toBe(500);
    expect((await control('GET', 'faults')).body).toEqual({
      rules: [
        { id: (injected.body as { id: string }).id, method: 'GET', path: '/api/applications', status: 500 },
      ],
      outage: null,
    });
    expect((await control('DELETE', `faults/${(injected.body as { id: string }).id}`)).status).toBe(204);
    expect((await api.op('list_applications', {})).status).toBe(200);
    expect((await control('POST', 'faults', { probability: 3 })).status).toBe(400);

    expect((await control('POST', 'outage', { mode: 500 })).status).toBe(204);
    expect((await api.op('list_applications', {})).status).toBe(500);
    expect((await control('DELETE', 'outage')).status).toBe(204);

    const calls = await control('GET', 'calls?operation=list_applications');
    expect((calls.body as Array<{ status: number }>).map(({ status }) => status)).toEqual([500, 200, 500]);
    expect((await control('DELETE', 'calls')).status).toBe(204);
    expect(emulator.calls.count()).toBe(0);
  });

  it('expires tokens, advances the clock, seeds, summarizes state without secret values, resets', async () => {
    const token = await api.token();
    expect((await control('POST', 'expire-tokens')).status).toBe(204);
    expect((await api.request('GET', '/api/applications', { token })).status).toBe(401);

    const before = clock.now();
    expect((await control('POST', 'clock/advance', { ms: 5000 })).body).toEqual({ now: before + 5000 });

    const seeded = await control('POST', 'seed', {
      roles: [{ name: 'r1' }],
      applications: [{ name: 'seeded', type: 'Traditional' }],
    });
    expect(seeded.status).toBe(201);
    const [appId] = (seeded.body as { applications: string[] }).applications;
    const state = await control('GET', 'state');
    const text = JSON.stringify(state.body);
    expect(text).toContain('seeded');
    expect(text).not.toContain(emulator.state.applications.get(appId ?? '')?.secrets[0]?.value);
    expect(text).not.toContain(emulator.credentials.clientSecret);
    expect((await control('POST', 'seed', { roles: [{ name: 'r1' }] })).status).toBe(400);

    expect((await control('POST', 'reset')).status).toBe(204);
    expect(emulator.state.applications.has(appId ?? '')).toBe(false);
    expect((await control('GET', 'nothing')).status).toBe(404);
  });
});
