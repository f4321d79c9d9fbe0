// Faults that strike after the request took effect: the client cannot tell whether its call happened,
// or cannot read the answer of a call that did.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startLogtoEmulator, type LogtoEmulator } from './emulator.js';
import { badGatewayHtml, invalidJsonBody, mangleReply } from './faults.js';
import { EmulatorApi } from './harness.js';

let emulator: LogtoEmulator;
let api: EmulatorApi;
// Fault probabilities and random manglings draw from this queue (0.5 when empty).
const draws: number[] = [];

beforeAll(async () => {
  emulator = await startLogtoEmulator({ random: () => draws.shift() ?? 0.5 });
  api = new EmulatorApi(emulator);
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.faults.clear();
  emulator.calls.clear();
  draws.length = 0;
});

const applicationCount = () => emulator.state.applications.size;

describe('faults after handling', () => {
  it('dropAnswer commits the create and resets the connection', async () => {
    const before = applicationCount();
    emulator.faults.inject({ method: 'POST', path: '/api/applications', dropAnswer: true, times: 1 });
    await expect(
      api.request('POST', '/api/applications', { body: { name: 'x', type: 'SPA' } }),
    ).rejects.toThrow();
    expect(applicationCount()).toBe(before + 1);
    expect(emulator.calls.count({ method: 'POST', route: '/api/applications', status: 0 })).toBe(1);
    // The rule was used up: the next create answers.
    expect(
      (await api.request('POST', '/api/applications', { body: { name: 'y', type: 'SPA' } })).status,
    ).toBe(200);
  });

  it('holdAnswerMs commits the create before the answer is sent', async () => {
    const before = applicationCount();
    emulator.faults.inject({ method: 'POST', path: '/api/applications', holdAnswerMs: 300, times: 1 });
    const pending = api.request('POST', '/api/applications', { body: { name: 'held', type: 'SPA' } });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(applicationCount()).toBe(before + 1);
    expect((await pending).status).toBe(200);
  });
});

/** The answer as bytes: a mangled one is not always JSON. */
const rawRequest = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${emulator.endpoint}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${await api.operatorToken()}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  return { status: response.status, headers: response.headers, bytes, text: bytes.toString('utf8') };
};

const appsNamed = (name: string) =>
  [...emulator.state.applications.values()].filter((app) => app.name === name);

const lastCall = (method: string, route: string) => emulator.calls.list({ method, route }).at(-1);

const parses = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

describe('mangled answers', () => {
  it('truncate: commits the create, then sends the first half of the real body', async () => {
    emulator.faults.inject({ method: 'POST', path: '/api/applications', mangle: 'truncate', times: 1 });
    const answer = await rawRequest('POST', '/api/applications', { name: 'truncated', type: 'SPA' });
    const [app] = appsNamed('truncated');
    expect(app).toBeDefined();
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(answer.headers.get('content-length')).toBe(String(answer.bytes.length));
    expect(parses(answer.text)).toBe(false);
    // The same create unmangled answers as many bytes (ids, secrets and timestamps are fixed-size).
    const real = await rawRequest('POST', '/api/applications', { name: 'untouched', type: 'SPA' });
    expect(answer.bytes.length).toBe(Math.floor(real.bytes.length / 2));
    expect(answer.text.slice(0, 8)).toBe(real.text.slice(0, 8));
    expect(emulator.calls.list({ method: 'POST', route: '/api/applications' }).at(-2)).toMatchObject({
      status: 200,
      fault: 'mangled',
      mangled: 'truncate',
    });
  });

  it('truncate cuts a read and a list exactly in half, keeping the real headers', async () => {
    const app = await api.createApp({ name: 'cut', type: 'SPA' });
    const read = await rawRequest('GET', `/api/applications/${app.id}`);
    emulator.faults.inject({ method: 'GET', path: '/api/applications/{id}', mangle: 'truncate', times: 1 });
    const half = await rawRequest('GET', `/api/applications/${app.id}`);
    expect(half.bytes.equals(read.bytes.subarray(0, Math.floor(read.bytes.length / 2)))).toBe(true);
    expect(half.headers.get('content-length')).toBe(String(half.bytes.length));

    const real = await rawRequest('GET', '/api/applications?page=1&page_size=1');
    emulator.faults.inject({ method: 'GET', path: '/api/applications', mangle: 'truncate', times: 1 });
    const cut = await rawRequest('GET', '/api/applications?page=1&page_size=1');
    expect(real.headers.get('total-number')).toMatch(/^\d+$/);
    expect(cut.headers.get('total-number')).toBe(real.headers.get('total-number'));
    expect(cut.bytes.equals(real.bytes.subarray(0, Math.floor(real.bytes.length / 2)))).toBe(true);
  });

  it('invalid-json: commits the create, then answers its status with a body that is not JSON', async () => {
    emulator.faults.inject({ method: 'POST', path: '/api/applications', mangle: 'invalid-json', times: 1 });
    const answer = await rawRequest('POST', '/api/applications', { name: 'garbled', type: 'SPA' });
    expect(appsNamed('garbled')).toHaveLength(1);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(answer.text).toBe(invalidJsonBody);
    expect(parses(answer.text)).toBe(false);
    expect(lastCall('POST', '/api/applications')).toMatchObject({
      fault: 'mangled',
      mangled: 'invalid-json',
    });
  });

  it('wrong-types: commits the create, then answers valid JSON with fields of the wrong type', async () => {
    emulator.faults.inject({ method: 'POST', path: '/api/applications', mangle: 'wrong-types', times: 1 });
    const answer = await rawRequest('POST', '/api/applications', { name: 'typed', type: 'SPA' });
    const [app] = appsNamed('typed');
    expect(app).toBeDefined();
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.text) as Record<string, unknown>;
    // What the same create answers unmangled.
    const real = (
      await api.request('POST', '/api/applications', { body: { name: 'typed too', type: 'SPA' } })
    ).body as Record<string, unknown>;
    // The same fields, none of them of its real type.
    expect(Object.keys(body).sort()).toEqual(Object.keys(real).sort());
    expect(body.id).toBe(app!.id.length);
    expect(body.name).toBe('typed'.length);
    expect(body.customData).toBe(JSON.stringify(real.customData));
    expect(typeof body.oidcClientMetadata).toBe('string');
    expect(body.isThirdParty).toBe(String(real.isThirdParty));
    for (const [key, value] of Object.entries(body)) {
      const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
      expect(kind(value), key).not.toBe(kind(real[key]));
    }
    expect(emulator.calls.list({ method: 'POST', route: '/api/applications' }).at(-2)).toMatchObject({
      fault: 'mangled',
      mangled: 'wrong-types',
    });
  });

  it('wrong-types: a list answers items of the wrong type, an array field becomes an object', async () => {
    emulator.faults.inject({ method: 'GET', path: '/api/applications', mangle: 'wrong-types', times: 1 });
    const answer = await rawRequest('GET', '/api/applications');
    expect(answer.status).toBe(200);
    const items = JSON.parse(answer.text) as unknown[];
    expect(items.length).toBe(emulator.state.applications.size);
    for (const item of items) expect(typeof item).toBe('string');

    const mangled = mangleReply(
      { status: 200, body: { id: 'abc', redirectUris: ['https://a', 'https://b'], count: 2, gone: null } },
      'wrong-types',
    );
    expect(JSON.parse(mangled!.body.toString('utf8'))).toEqual({
      id: 3,
      redirectUris: { 0: 'https://a', 1: 'https://b' },
      count: '2',
      gone: 0,
    });
    expect(mangleReply({ status: 200, body: ['a', 1] }, 'wrong-types')!.body.toString('utf8')).toBe(
      '[1,"1"]',
    );
  });

  it("html-502: commits the create, then answers a proxy's 502 in HTML", async () => {
    emulator.faults.inject({ method: 'POST', path: '/api/applications', mangle: 'html-502', times: 1 });
    const answer = await rawRequest('POST', '/api/applications', { name: 'proxied', type: 'SPA' });
    expect(appsNamed('proxied')).toHaveLength(1);
    expect(answer.status).toBe(502);
    expect(answer.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(answer.text).toBe(badGatewayHtml);
    expect(lastCall('POST', '/api/applications')).toMatchObject({
      status: 502,
      fault: 'mangled',
      mangled: 'html-502',
    });
    // The rule was used up: the next create answers.
    expect((await rawRequest('POST', '/api/applications', { name: 'next', type: 'SPA' })).status).toBe(200);
  });

  it('leaves an answer without a JSON body as it is, except html-502', async () => {
    const first = await api.createApp({ name: 'doomed', type: 'SPA' });
    const second = await api.createApp({ name: 'doomed too', type: 'SPA' });
    emulator.faults.inject({
      method: 'DELETE',
      path: '/api/applications/{id}',
      mangle: 'truncate',
      times: 1,
    });
    expect((await rawRequest('DELETE', `/api/applications/${first.id}`)).status).toBe(204);
    expect(emulator.state.applications.has(first.id)).toBe(false);
    expect(lastCall('DELETE', '/api/applications/{id}')).not.toHaveProperty('mangled');
    expect(emulator.faults.list()).toEqual([]);

    emulator.faults.inject({
      method: 'DELETE',
      path: '/api/applications/{id}',
      mangle: 'html-502',
      times: 1,
    });
    expect((await rawRequest('DELETE', `/api/applications/${second.id}`)).status).toBe(502);
    expect(emulator.state.applications.has(second.id)).toBe(false);
  });

  it("mangles with the rule's probability, `times` times at most, matching method and path", async () => {
    await api.operatorToken();
    emulator.faults.inject({ path: '/api/**', mangle: 'truncate', probability: 0.33, times: 2 });
    draws.push(0.2, 0.5, 0.1);
    const statuses = [];
    for (let index = 0; index < 4; index += 1) {
      const answer = await rawRequest('GET', '/api/applications');
      statuses.push(parses(answer.text));
    }
    // Mangled, spared (0.5 >= 0.33), mangled, then the rule is used up (no draw).
    expect(statuses).toEqual([false, true, false, true]);
    expect(draws).toEqual([]);
    expect(emulator.faults.list()).toEqual([]);
    expect(emulator.calls.list({ route: '/api/applications' }).map((call) => call.mangled)).toEqual([
      'truncate',
      undefined,
      'truncate',
      undefined,
    ]);

    emulator.faults.inject({ method: 'POST', path: '/api/applications', mangle: 'invalid-json' });
    expect(parses((await rawRequest('GET', '/api/applications')).text)).toBe(true);
    expect(parses((await rawRequest('POST', '/api/roles', { name: 'r', description: 'd' })).text)).toBe(true);
  });

  it('picks a mangling per request with `any` or from a list', async () => {
    const app = await api.createApp({ name: 'read', type: 'SPA' });
    emulator.faults.inject({
      method: 'GET',
      path: '/api/applications/{id}',
      mangle: 'any',
      probability: 1 / 3,
    });
    // Strikes and picks the 4th mode; spared; strikes and picks the 1st; strikes and picks the 2nd.
    draws.push(0.2, 0.9, 0.5, 0.1, 0, 0.3, 0.3);
    const statuses = [];
    for (let index = 0; index < 4; index += 1) {
      statuses.push((await rawRequest('GET', `/api/applications/${app.id}`)).status);
    }
    expect(statuses).toEqual([502, 200, 200, 200]);
    expect(emulator.calls.list({ route: '/api/applications/{id}' }).map((call) => call.mangled)).toEqual([
      'html-502',
      undefined,
      'truncate',
      'invalid-json',
    ]);

    emulator.faults.clear();
    emulator.faults.inject({ path: '/api/applications/{id}', mangle: ['wrong-types', 'html-502'], times: 2 });
    draws.push(0, 0.4, 0, 0.6);
    await rawRequest('GET', `/api/applications/${app.id}`);
    await rawRequest('GET', `/api/applications/${app.id}`);
    expect(
      emulator.calls
        .list({ route: '/api/applications/{id}' })
        .slice(-2)
        .map((call) => call.mangled),
    ).toEqual(['wrong-types', 'html-502']);
  });

  it('yields to a failure and to a dropped answer, and waits out a held answer', async () => {
    await api.operatorToken();
    emulator.faults.inject({
      method: 'POST',
      path: '/api/applications',
      status: 500,
      mangle: 'html-502',
      times: 1,
    });
    expect((await rawRequest('POST', '/api/applications', { name: 'failed', type: 'SPA' })).status).toBe(500);
    expect(appsNamed('failed')).toEqual([]);

    emulator.faults.inject({
      method: 'POST',
      path: '/api/applications',
      dropAnswer: true,
      mangle: 'truncate',
      times: 1,
    });
    await expect(rawRequest('POST', '/api/applications', { name: 'dropped', type: 'SPA' })).rejects.toThrow();
    expect(appsNamed('dropped')).toHaveLength(1);

    emulator.faults.inject({
      method: 'POST',
      path: '/api/applications',
      holdAnswerMs: 100,
      mangle: 'html-502',
      times: 1,
    });
    const started = performance.now();
    expect((await rawRequest('POST', '/api/applications', { name: 'held 502', type: 'SPA' })).status).toBe(
      502,
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    expect(appsNamed('held 502')).toHaveLength(1);
  });

  it('validates the mangling, over HTTP too', async () => {
    expect(() => emulator.faults.inject({ mangle: 'gzip' as 'truncate' })).toThrow(RangeError);
    expect(() => emulator.faults.inject({ mangle: [] })).toThrow(RangeError);
    expect(() => emulator.faults.inject({ mangle: ['truncate', 'any' as 'truncate'] })).toThrow(RangeError);
    const control = (body: unknown) =>
      fetch(`${emulator.endpoint}/__emulator/faults`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    const refused = await control({ mangle: 'chunked' });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { message: string }).message).toMatch(/mangle must be/);
    expect((await control({ mangle: 42 })).status).toBe(400);
    const injected = await control({
      method: 'GET',
      path: '/api/applications',
      mangle: ['html-502'],
      times: 1,
    });
    expect(injected.status).toBe(201);
    const listed = (await (await fetch(`${emulator.endpoint}/__emulator/faults`)).json()) as {
      rules: unknown[];
    };
    expect(listed.rules).toEqual([expect.objectContaining({ mangle: ['html-502'], times: 1 })]);
    expect((await rawRequest('GET', '/api/applications')).status).toBe(502);
    const calls = (await (
      await fetch(`${emulator.endpoint}/__emulator/calls?status=502`)
    ).json()) as unknown[];
    expect(calls).toEqual([expect.objectContaining({ fault: 'mangled', mangled: 'html-502' })]);
  });
});
