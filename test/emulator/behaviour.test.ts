// One test per rule of Logto's observed behaviour (BEHAVIOUR.md), section by section.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { Application } from '../../src/api/schemas.js';
import { ManualClock } from './clock.js';
import { startLogtoEmulator, type LogtoEmulator } from './emulator.js';
import { EmulatorApi, webClient, type Query } from './harness.js';

let emulator: LogtoEmulator;
let api: EmulatorApi;
const clock = new ManualClock(Date.UTC(2025, 5, 1));

beforeAll(async () => {
  emulator = await startLogtoEmulator({ clock });
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.reset();
  // A fresh client per test: no access token cached across tests that expire tokens.
  api = new EmulatorApi(emulator);
});

const m2mRole = (name = 'reader') => emulator.seed.role({ name, type: 'MachineToMachine' });

describe('Authentication (machine-to-machine, client credentials)', () => {
  it('issues tokens at POST /oidc/token for HTTP Basic and client_secret_post', async () => {
    for (const auth of ['basic', 'post'] as const) {
      const response = await api.requestToken({ auth });
      expect(response.status).toBe(200);
      const list = await api.request('GET', '/api/applications', { token: response.body.access_token });
      expect(list.status).toBe(200);
    }
  });

  it('issues Management API tokens for the configured indicator (OSS default); an unregistered indicator is 400 invalid_target', async () => {
    expect(emulator.resourceIndicator).toBe('https://default.logto.app/api');
    const wrong = await api.requestToken({ resource: 'https://tenant.logto.app/api' });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ error: 'invalid_target' });

    const cloud = await startLogtoEmulator({ resourceIndicator: 'https://abc123.logto.app/api' });
    try {
      const cloudApi = new EmulatorApi(cloud);
      expect((await cloudApi.requestToken()).status).toBe(200);
      const oss = await cloudApi.requestToken({ resource: 'https://default.logto.app/api' });
      expect(oss.status).toBe(400);
      expect(oss.body.error).toBe('invalid_target');
    } finally {
      await cloud.close();
    }
  });

  it('answers {access_token (JWT), expires_in: 3600, token_type: Bearer, scope: all} without refresh token', async () => {
    const response = await api.requestToken();
    expect(response.status).toBe(200);
    expect(Object.keys(response.body).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
    expect(response.body).toMatchObject({ expires_in: 3600, token_type: 'Bearer', scope: 'all' });
    const [header, payload, signature] = String(response.body.access_token).split('.');
    expect(signature).toBeTruthy();
    expect(JSON.parse(Buffer.from(header ?? '', 'base64url').toString())).toMatchObject({ alg: 'HS256' });
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString());
    expect(claims).toMatchObject({
      sub: emulator.credentials.clientId,
      aud: 'https://default.logto.app/api',
      scope: 'all',
    });
    expect(claims.exp - claims.iat).toBe(3600);
  });

  it('issues a token without scope when scope=all is missing or the app lacks the role, and then every call is 403', async () => {
    const withoutScope = await api.requestToken({ scope: null });
    expect(withoutScope.status).toBe(200);
    expect(withoutScope.body.scope).toBeUndefined();

    const app = emulator.seed.application({ name: 'no role', type: 'MachineToMachine' });
    const secret = app.secrets[0]?.value ?? '';
    const withoutRole = await api.requestToken({ clientId: app.id, clientSecret: secret });
    expect(withoutRole.status).toBe(200);
    expect(withoutRole.body.scope).toBeUndefined();

    for (const token of [withoutScope.body.access_token, withoutRole.body.access_token]) {
      for (const [method, path] of [
        ['GET', '/api/applications'],
        ['GET', `/api/applications/${app.id}`],
        ['GET', '/api/roles'],
      ] as const) {
        const response = await api.request(method, path, { token });
        expect(response.status).toBe(403);
        expect(response.body.code).toBe('auth.forbidden');
      }
    }
  });

  it('applies role changes only to tokens issued later', async () => {
    const app = emulator.seed.application({ name: 'late', type: 'MachineToMachine' });
    const credentials = { clientId: app.id, clientSecret: app.secrets[0]?.value ?? '' };
    const before = await api.token(credentials);
    const role = [...emulator.state.roles.values()].find(
      ({ name }) => name === 'Logto Management API access',
    );
    expect(
      (await api.op('assign_application_roles', { id: app.id }, { body: { roleIds: [role?.id] } })).status,
    ).toBe(201);

    expect((await api.request('GET', '/api/applications', { token: before })).status).toBe(403);
    const after = await api.token(credentials);
    expect((await api.request('GET', '/api/applications', { token: after })).status).toBe(200);

    expect((await api.op('delete_application_role', { id: app.id, roleId: role?.id ?? '' })).status).toBe(
      204,
    );
    expect((await api.request('GET', '/api/applications', { token: after })).status).toBe(200);
    expect(
      (await api.request('GET', '/api/applications', { token: await api.token(credentials) })).status,
    ).toBe(403);
  });
});

describe('Errors', () => {
  it('answers errors as JSON {code, message, data?}', async () => {
    const response = await api.op('get_application', { id: 'missing' });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    // BEHAVIOUR.md "Errors": the not-found answer has no `data`.
    expect(response.body).toEqual({
      code: 'entity.not_exists_with_id',
      message: 'The applications with ID `missing` does not exist.',
    });
  });

  it('uses 400 for invalid input, 401 without a valid token, 403 without permission, 404 unknown, 422 refused, 501 unconfigured', async () => {
    const invalid = await api.op('create_application', {}, { body: { name: '', type: 'SPA' } });
    expect([invalid.status, invalid.body.code]).toEqual([400, 'guard.invalid_input']);
    const missing = await api.op('list_applications', {}, { token: null });
    expect([missing.status, missing.body.code]).toEqual([401, 'auth.authorization_header_missing']);
    const garbage = await api.op('list_applications', {}, { token: 'not-a-jwt' });
    expect([garbage.status, garbage.body.code]).toEqual([401, 'auth.unauthorized']);
    const forbidden = await api.op('list_applications', {}, { token: await api.token({ scope: null }) });
    expect([forbidden.status, forbidden.body.code]).toEqual([403, 'auth.forbidden']);
    const unknown = await api.op('delete_application', { id: 'nope' });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'entity.not_exists_with_id']);
    const spa = await api.createApp({ name: 'spa', type: 'SPA' });
    const refused = await api.op('list_application_roles', { id: spa.id });
    expect([refused.status, refused.body.code]).toEqual([422, 'application.invalid_type']);
    const unconfigured = await api.op(
      'create_application',
      {},
      {
        body: {
          name: 'p',
          type: 'Protected',
          protectedAppMetadata: { subDomain: 'p', origin: 'https://o.example' },
        },
      },
    );
    expect([unconfigured.status, unconfigured.body.code]).toEqual([
      501,
      'application.protected_app_not_configured',
    ]);
  });
});

describe('Applications', () => {
  it('creates with 200, a server id of at most 21 characters, dropping a client id and unknown fields; names are not unique', async () => {
    const body = {
      name: 'same',
      type: 'SPA',
      id: 'my-own-id',
      color: 'blue',
      oidcClientMetadata: webClient(),
    };
    const first = await api.op('create_application', {}, { body });
    const second = await api.op('create_application', {}, { body });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(first.body.id).not.toBe('my-own-id');
    expect(first.body.id).toMatch(/^[a-z0-9]{1,21}$/);
    expect(first.body.id).not.toBe(second.body.id);
    expect(first.body).not.toHaveProperty('color');
    expect(first.body).toEqual({
      tenantId: 'default',
      id: first.body.id,
      name: 'same',
      description: null,
      type: 'SPA',
      oidcClientMetadata: webClient(),
      customClientMetadata: {},
      protectedAppMetadata: null,
      customData: {},
      isThirdParty: false,
      appLevelAccessControlEnabled: false,
      createdAt: clock.now(),
    });
    expect(emulator.state.applications.has('my-own-id')).toBe(false);
  });

  it('accepts the six types but refuses SAML (400) and needs protectedAppMetadata for Protected, 501 when unconfigured', async () => {
    for (const type of ['Native', 'SPA', 'Traditional', 'MachineToMachine']) {
      expect((await api.op('create_application', {}, { body: { name: type, type } })).status).toBe(200);
    }
    const saml = await api.op('create_application', {}, { body: { name: 'saml', type: 'SAML' } });
    expect([saml.status, saml.body.code]).toEqual([400, 'application.saml.use_saml_app_api']);
    const bogus = await api.op('create_application', {}, { body: { name: 'x', type: 'Desktop' } });
    expect(bogus.status).toBe(400);
    const noMetadata = await api.op('create_application', {}, { body: { name: 'p', type: 'Protected' } });
    expect([noMetadata.status, noMetadata.body.code]).toEqual([
      400,
      'application.protected_app_metadata_is_required',
    ]);
    const unconfigured = await api.op(
      'create_application',
      {},
      {
        body: {
          name: 'p',
          type: 'Protected',
          protectedAppMetadata: { subDomain: 'p', origin: 'https://o.example' },
        },
      },
    );
    expect([unconfigured.status, unconfigured.body.code]).toEqual([
      501,
      'application.protected_app_not_configured',
    ]);
    expect([...emulator.state.applications.values()].some(({ type }) => type === 'Protected')).toBe(false);
  });

  it('allows isThirdParty only for Traditional, SPA and Native; refuses allowTokenExchange for third parties (422); isDeviceFlow only for Native', async () => {
    for (const type of ['Traditional', 'SPA', 'Native']) {
      const created = await api.op(
        'create_application',
        {},
        { body: { name: type, type, isThirdParty: true } },
      );
      expect(created.status).toBe(200);
      expect(created.body.isThirdParty).toBe(true);
    }
    const m2m = await api.op(
      'create_application',
      {},
      { body: { name: 'm', type: 'MachineToMachine', isThirdParty: true } },
    );
    expect([m2m.status, m2m.body.code]).toEqual([400, 'application.invalid_third_party_application_type']);

    const exchange = await api.op(
      'create_application',
      {},
      {
        body: {
          name: 'x',
          type: 'SPA',
          isThirdParty: true,
          customClientMetadata: { allowTokenExchange: true },
        },
      },
    );
    expect(exchange.status).toBe(422);
    expect(exchange.body.code).toBe('application.third_party_application_cannot_enable_token_exchange');
    const thirdParty = await api.createApp({ name: 'tp', type: 'SPA', isThirdParty: true });
    const patched = await api.op(
      'update_application',
      { id: thirdParty.id },
      { body: { customClientMetadata: { allowTokenExchange: true } } },
    );
    expect(patched.status).toBe(422);

    const deviceSpa = await api.op(
      'create_application',
      {},
      { body: { name: 'd', type: 'SPA', customClientMetadata: { isDeviceFlow: true } } },
    );
    expect([deviceSpa.status, deviceSpa.body.code]).toEqual([422, 'application.device_flow_native_only']);
    const deviceNative = await api.op(
      'create_application',
      {},
      { body: { name: 'd', type: 'Native', customClientMetadata: { isDeviceFlow: true } } },
    );
    expect(deviceNative.status).toBe(200);
    expect(deviceNative.body.customClientMetadata).toEqual({ isDeviceFlow: true });
  });

  it('keeps type and isThirdParty fixed (PATCH ignores them, 200) and refuses an isDeviceFlow change (422)', async () => {
    const app = await api.createApp({ name: 'spa', type: 'SPA' });
    const patched = await api.op(
      'update_application',
      { id: app.id },
      { body: { type: 'Traditional', isThirdParty: true, name: 'renamed' } },
    );
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ type: 'SPA', isThirdParty: false, name: 'renamed' });
    expect(emulator.state.applications.get(app.id)).toMatchObject({ type: 'SPA', isThirdParty: false });

    const native = await api.createApp({
      name: 'tv',
      type: 'Native',
      customClientMetadata: { isDeviceFlow: true },
    });
    const off = await api.op(
      'update_application',
      { id: native.id },
      { body: { customClientMetadata: { isDeviceFlow: false } } },
    );
    expect([off.status, off.body.code]).toEqual([422, 'application.device_flow_not_changeable']);
    const on = await api.op(
      'update_application',
      { id: app.id },
      { body: { customClientMetadata: { isDeviceFlow: true } } },
    );
    expect(on.status).toBe(422);
    const same = await api.op(
      'update_application',
      { id: native.id },
      { body: { customClientMetadata: { isDeviceFlow: true, idTokenTtl: 600 } } },
    );
    expect(same.status).toBe(200);
  });

  it('replaces each patched field as a whole, and a partial oidcClientMetadata is 400', async () => {
    const app = await api.createApp({
      name: 'web',
      type: 'Traditional',
      oidcClientMetadata: webClient(),
      customClientMetadata: { corsAllowedOrigins: ['https://a.example'], idTokenTtl: 3600 },
    });
    const patched = await api.op(
      'update_application',
      { id: app.id },
      { body: { customClientMetadata: { idTokenTtl: 600 } } },
    );
    expect(patched.status).toBe(200);
    expect(patched.body.customClientMetadata).toEqual({ idTokenTtl: 600 });
    expect(patched.body.oidcClientMetadata).toEqual(webClient());

    const partial = await api.op(
      'update_application',
      { id: app.id },
      { body: { oidcClientMetadata: { redirectUris: ['https://b.example/cb'] } } },
    );
    expect([partial.status, partial.body.code]).toEqual([400, 'guard.invalid_input']);
    expect(emulator.state.applications.get(app.id)?.oidcClientMetadata).toEqual(webClient());

    const whole = await api.op(
      'update_application',
      { id: app.id },
      {
        body: { oidcClientMetadata: { redirectUris: ['https://b.example/cb'], postLogoutRedirectUris: [] } },
      },
    );
    expect(whole.body.oidcClientMetadata).toEqual({
      redirectUris: ['https://b.example/cb'],
      postLogoutRedirectUris: [],
    });
  });

  it('validates redirect URIs loosely: "not a url" is 400, a custom scheme is accepted for every type', async () => {
    const notAUrl = await api.op(
      'create_application',
      {},
      { body: { name: 'x', type: 'SPA', oidcClientMetadata: webClient('not a url') } },
    );
    expect([notAUrl.status, notAUrl.body.code]).toEqual([400, 'guard.invalid_input']);
    const customOnSpa = await api.op(
      'create_application',
      {},
      { body: { name: 'x', type: 'SPA', oidcClientMetadata: webClient('io.example.app://callback') } },
    );
    expect(customOnSpa.status).toBe(200);
    const native = await api.op(
      'create_application',
      {},
      { body: { name: 'x', type: 'Native', oidcClientMetadata: webClient('io.example.app://callback') } },
    );
    expect(native.status).toBe(200);
    const web = await api.createApp({ name: 'w', type: 'Traditional' });
    const patched = await api.op(
      'update_application',
      { id: web.id },
      { body: { oidcClientMetadata: webClient('not a url') } },
    );
    expect(patched.status).toBe(400);
  });

  it('replaces customData on PATCH, merges it shallowly on PATCH …/custom-data and returns the merged object', async () => {
    const app = await api.createApp({ name: 'c', type: 'SPA', customData: { a: 1, nested: { x: 1 } } });
    const merged = await api.op(
      'update_application_custom_data',
      { id: app.id },
      { body: { b: 2, nested: { y: 2 } } },
    );
    expect(merged.status).toBe(200);
    expect(merged.body).toEqual({ a: 1, b: 2, nested: { y: 2 } });
    const replaced = await api.op('update_application', { id: app.id }, { body: { customData: { c: 3 } } });
    expect(replaced.status).toBe(200);
    expect(replaced.body.customData).toEqual({ c: 3 });
  });

  it('pages the list with page/page_size (1–100) and Total-Number, or answers the whole list without the header', async () => {
    for (let index = 0; index < 5; index += 1) await api.createApp({ name: `app-${index}`, type: 'SPA' });
    const all = await api.op('list_applications', {});
    expect(all.status).toBe(200);
    expect(all.headers.get('total-number')).toBeNull();
    expect(all.body).toHaveLength(6); // with the operator app

    const page = await api.op('list_applications', {}, { query: { page: 2, page_size: 2 } });
    expect(page.headers.get('total-number')).toBe('6');
    expect(page.body.map(({ name }: Application) => name)).toEqual(['app-2', 'app-1']);
    const onlySize = await api.op('list_applications', {}, { query: { page_size: 4 } });
    expect([onlySize.body.length, onlySize.headers.get('total-number')]).toEqual([4, '6']);
    const onlyPage = await api.op('list_applications', {}, { query: { page: 1 } });
    expect([onlyPage.body.length, onlyPage.headers.get('total-number')]).toEqual([6, '6']);
    for (const query of [{ page: 0 }, { page_size: 0 }, { page_size: 101 }, { page: 'x' }] as Query[]) {
      const invalid = await api.op('list_applications', {}, { query });
      expect([invalid.status, invalid.body.code]).toEqual([400, 'guard.invalid_pagination']);
    }
    expect((await api.op('list_applications', {}, { query: { page_size: 100 } })).status).toBe(200);
  });

  it('lists newest first', async () => {
    await api.createApp({ name: 'old', type: 'SPA' });
    clock.advance(1000);
    await api.createApp({ name: 'new', type: 'SPA' });
    const list = await api.op('list_applications', {});
    expect(list.body.map(({ name }: Application) => name)).toEqual(['new', 'old', 'Logto operator']);
  });

  it('filters by types (repeatable), isThirdParty, excludeRoleId and excludeOrganizationId', async () => {
    const spa = await api.createApp({ name: 'spa', type: 'SPA' });
    const native = await api.createApp({ name: 'native', type: 'Native', isThirdParty: true });
    const m2m = await api.createApp({ name: 'm2m', type: 'MachineToMachine' });
    const names = async (query: Record<string, string | string[]>) =>
      (await api.op('list_applications', {}, { query })).body.map(({ name }: Application) => name).sort();

    expect(await names({ types: 'SPA' })).toEqual(['spa']);
    expect(await names({ types: ['SPA', 'Native'] })).toEqual(['native', 'spa']);
    expect(await names({ isThirdParty: 'true' })).toEqual(['native']);
    expect(await names({ isThirdParty: 'false', types: ['SPA', 'Native'] })).toEqual(['spa']);

    const role = m2mRole();
    await api.op('assign_application_roles', { id: m2m.id }, { body: { roleIds: [role.id] } });
    expect(await names({ types: 'MachineToMachine', excludeRoleId: role.id })).toEqual(['Logto operator']);

    const organization = emulator.seed.organization({ name: 'acme' });
    emulator.seed.addApplicationToOrganization(organization.id, m2m.id);
    expect(await names({ types: 'MachineToMachine', excludeOrganizationId: organization.id })).toEqual([
      'Logto operator',
    ]);

    expect((await api.op('list_applications', {}, { query: { types: 'Desktop' } })).status).toBe(400);
    expect((await api.op('list_applications', {}, { query: { isThirdParty: 'yes' } })).status).toBe(400);
    const both = await api.op(
      'list_applications',
      {},
      { query: { excludeRoleId: 'a', excludeOrganizationId: 'b' } },
    );
    expect([both.status, both.body.code]).toEqual([400, 'request.invalid_input']);
    expect([spa.id, native.id]).toHaveLength(2);
  });

  it('finds by exact name with search.name, mode.name=exact and isCaseSensitive; like search needs % wildcards', async () => {
    await api.createApp({ name: 'Billing', type: 'SPA' });
    await api.createApp({ name: 'billing', type: 'SPA' });
    await api.createApp({ name: 'Billing admin', type: 'SPA' });
    const names = async (query: Record<string, string>) =>
      (await api.op('list_applications', {}, { query })).body.map(({ name }: Application) => name).sort();

    expect(await names({ 'search.name': 'Billing', 'mode.name': 'exact', isCaseSensitive: 'true' })).toEqual([
      'Billing',
    ]);
    expect(await names({ 'search.name': 'Billing', 'mode.name': 'exact' })).toEqual(['Billing', 'billing']);
    expect(await names({ 'search.name': 'Billing' })).toEqual(['Billing', 'billing']);
    expect(await names({ 'search.name': 'Bill' })).toEqual([]);
    expect(await names({ 'search.name': '%Bill%' })).toEqual(['Billing', 'Billing admin', 'billing']);
    expect(await names({ 'search.name': 'Bill%', isCaseSensitive: 'true' })).toEqual([
      'Billing',
      'Billing admin',
    ]);
    // BEHAVIOUR.md "Errors": an unknown search field crashes the server's query.
    const invalid = await api.op('list_applications', {}, { query: { 'search.secret': 'x' } });
    expect([invalid.status, invalid.body]).toEqual([500, { message: expect.any(String) }]);
  });

  it('deletes with 204; a Protected app with a custom domain is 422 until the domain is removed', async () => {
    const app = await api.createApp({ name: 'gone', type: 'SPA' });
    const deleted = await api.op('delete_application', { id: app.id });
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBe('');
    expect((await api.op('get_application', { id: app.id })).status).toBe(404);
    expect((await api.op('delete_application', { id: app.id })).status).toBe(404);

    const protectedEmulator = await startLogtoEmulator({
      protectedApps: { domain: 'protected.example.test' },
    });
    try {
      const protectedApi = new EmulatorApi(protectedEmulator);
      const protectedApp = await protectedApi.createApp({
        name: 'p',
        type: 'Protected',
        protectedAppMetadata: { subDomain: 'shop', origin: 'https://origin.example.com' },
      });
      const added = await protectedApi.op(
        'create_application_protected_app_metadata_custom_domain',
        { id: protectedApp.id },
        { body: { domain: 'shop.example.com' } },
      );
      expect(added.status).toBe(201);
      const refused = await protectedApi.op('delete_application', { id: protectedApp.id });
      expect([refused.status, refused.body.code]).toEqual([
        422,
        'application.should_delete_custom_domains_first',
      ]);
      const removed = await protectedApi.op('delete_application_protected_app_metadata_custom_domain', {
        id: protectedApp.id,
        domain: 'shop.example.com',
      });
      expect(removed.status).toBe(204);
      expect((await protectedApi.op('delete_application', { id: protectedApp.id })).status).toBe(204);
    } finally {
      await protectedEmulator.close();
    }
  });

  it('returns isAdmin on GET by id only', async () => {
    const app = await api.createApp({ name: 'm', type: 'MachineToMachine' });
    expect(app).not.toHaveProperty('isAdmin');
    const got = await api.op('get_application', { id: app.id });
    expect(got.status).toBe(200);
    expect(got.body.isAdmin).toBe(false);
    await api.op('update_application', { id: app.id }, { body: { isAdmin: true } });
    expect((await api.op('get_application', { id: app.id })).body.isAdmin).toBe(true);
    const listed = (await api.op('list_applications', {})).body.find(({ id }: Application) => id === app.id);
    expect(listed).not.toHaveProperty('isAdmin');
  });
});

describe('Secrets', () => {
  it('gives Machine-to-machine, Traditional and Protected apps a "Default secret", absent from the create answer', async () => {
    for (const type of ['MachineToMachine', 'Traditional'] as const) {
      const app = await api.createApp({ name: type, type });
      expect(app).not.toHaveProperty('secret');
      expect(JSON.stringify(app)).not.toContain(emulator.state.applications.get(app.id)?.secrets[0]?.value);
      const secrets = await api.op('list_application_secrets', { id: app.id });
      expect(secrets.status).toBe(200);
      expect(secrets.body).toEqual([
        {
          tenantId: 'default',
          applicationId: app.id,
          name: 'Default secret',
          value: expect.stringMatching(/^[A-Za-z0-9]{32}$/),
          createdAt: clock.now(),
          expiresAt: null,
        },
      ]);
    }
    for (const type of ['SPA', 'Native'] as const) {
      const app = await api.createApp({ name: type, type });
      expect((await api.op('list_application_secrets', { id: app.id })).body).toEqual([]);
    }
    const protectedEmulator = await startLogtoEmulator({ protectedApps: { domain: 'p.example.test' } });
    try {
      const protectedApi = new EmulatorApi(protectedEmulator);
      const app = await protectedApi.createApp({
        name: 'p',
        type: 'Protected',
        protectedAppMetadata: { subDomain: 'p1', origin: 'https://origin.example.com' },
      });
      const secrets = await protectedApi.op('list_application_secrets', { id: app.id });
      expect(secrets.body.map(({ name }: { name: string }) => name)).toEqual(['Default secret']);
    } finally {
      await protectedEmulator.close();
    }
  });

  it('adds secrets with 201 (unique names, 422 application.secret_name_exists), refuses past expiry (400) and SPA/Native (422 entity.db_constraint_violated)', async () => {
    const app = await api.createApp({ name: 'm', type: 'MachineToMachine' });
    const expiresAt = clock.now() + 86_400_000;
    const created = await api.op(
      'create_application_secret',
      { id: app.id },
      { body: { name: 'rotation-2', expiresAt } },
    );
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      tenantId: 'default',
      applicationId: app.id,
      name: 'rotation-2',
      value: expect.stringMatching(/^[A-Za-z0-9]{32}$/),
      createdAt: clock.now(),
      expiresAt,
    });
    const duplicate = await api.op(
      'create_application_secret',
      { id: app.id },
      { body: { name: 'rotation-2' } },
    );
    expect([duplicate.status, duplicate.body.code]).toEqual([422, 'application.secret_name_exists']);
    const past = await api.op(
      'create_application_secret',
      { id: app.id },
      { body: { name: 'old', expiresAt: clock.now() - 1 } },
    );
    expect([past.status, past.body.code]).toEqual([400, 'request.invalid_input']);
    const tooLong = await api.op(
      'create_application_secret',
      { id: app.id },
      { body: { name: 'x'.repeat(257) } },
    );
    expect(tooLong.status).toBe(400);
    for (const type of ['SPA', 'Native'] as const) {
      const spa = await api.createApp({ name: type, type });
      const refused = await api.op('create_application_secret', { id: spa.id }, { body: { name: 's' } });
      expect([refused.status, refused.body.code]).toEqual([422, 'entity.db_constraint_violated']);
    }
  });

  it('renames with PATCH (name required, 200 with the secret) and deletes with 204, unknown name 404', async () => {
    const app = await api.createApp({ name: 'm', type: 'MachineToMachine' });
    const value = emulator.state.applications.get(app.id)?.secrets[0]?.value;
    const renamed = await api.op(
      'update_application_secret',
      { id: app.id, name: 'Default secret' },
      { body: { name: 'primary', expiresAt: 1 } },
    );
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'primary', value, expiresAt: null });
    const noName = await api.op('update_application_secret', { id: app.id, name: 'primary' }, { body: {} });
    expect(noName.status).toBe(400);
    const unknown = await api.op(
      'update_application_secret',
      { id: app.id, name: 'nope' },
      { body: { name: 'x' } },
    );
    expect([unknown.status, unknown.body.code]).toEqual([404, 'entity.not_exists']);

    expect((await api.op('delete_application_secret', { id: app.id, name: 'primary' })).status).toBe(204);
    const again = await api.op('delete_application_secret', { id: app.id, name: 'primary' });
    expect([again.status, again.body.code]).toEqual([404, 'entity.not_found']);
    expect((await api.op('list_application_secrets', { id: app.id })).body).toEqual([]);
  });

  it('accepts every unexpired secret at the token endpoint and refuses expired ones, so rotation can overlap', async () => {
    const app = emulator.seed.application({ name: 'rotating', type: 'MachineToMachine' });
    const old = app.secrets[0]?.value ?? '';
    const added = await api.op(
      'create_application_secret',
      { id: app.id },
      { body: { name: 'next', expiresAt: clock.now() + 60_000 } },
    );
    const next = added.body.value as string;
    expect((await api.requestToken({ clientId: app.id, clientSecret: old })).status).toBe(200);
    expect((await api.requestToken({ clientId: app.id, clientSecret: next })).status).toBe(200);

    expect((await api.op('delete_application_secret', { id: app.id, name: 'Default secret' })).status).toBe(
      204,
    );
    const deleted = await api.requestToken({ clientId: app.id, clientSecret: old });
    expect([deleted.status, deleted.body.error]).toEqual([401, 'invalid_client']);

    clock.advance(60_000);
    const expired = await api.requestToken({ clientId: app.id, clientSecret: next });
    expect([expired.status, expired.body.error]).toEqual([400, 'invalid_request']);
  });

  it('replaces a legacy secret with DELETE …/legacy-secret (200 with the app); without one, 400 application.no_legacy_secret_found', async () => {
    const legacy = emulator.seed.application({
      name: 'old app',
      type: 'MachineToMachine',
      legacySecret: 'legacy-plaintext',
    });
    const got = await api.op('get_application', { id: legacy.id });
    expect(got.body.secret).toBe('legacy-plaintext');
    expect((await api.op('list_application_secrets', { id: legacy.id })).body).toEqual([]);
    expect((await api.requestToken({ clientId: legacy.id, clientSecret: 'legacy-plaintext' })).status).toBe(
      200,
    );

    const deleted = await api.op('delete_application_legacy_secret', { id: legacy.id });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ id: legacy.id, name: 'old app' });
    expect(deleted.body).not.toHaveProperty('secret');
    expect((await api.op('get_application', { id: legacy.id })).body).not.toHaveProperty('secret');
    expect((await api.requestToken({ clientId: legacy.id, clientSecret: 'legacy-plaintext' })).status).toBe(
      401,
    );

    const again = await api.op('delete_application_legacy_secret', { id: legacy.id });
    expect([again.status, again.body.code]).toEqual([400, 'application.no_legacy_secret_found']);
  });
});

describe('Roles (API resource roles)', () => {
  it('serves roles only for MachineToMachine apps (422 application.invalid_type); roles must be M2M roles (422), unknown 404', async () => {
    const spa = await api.createApp({ name: 'spa', type: 'SPA' });
    const role = m2mRole();
    for (const [name, init] of [
      ['list_application_roles', {}],
      ['assign_application_roles', { body: { roleIds: [role.id] } }],
      ['replace_application_roles', { body: { roleIds: [role.id] } }],
    ] as const) {
      const response = await api.op(name, { id: spa.id }, init);
      expect([response.status, response.body.code]).toEqual([422, 'application.invalid_type']);
    }
    const deleteOnSpa = await api.op('delete_application_role', { id: spa.id, roleId: role.id });
    expect(deleteOnSpa.status).toBe(422);

    const m2m = await api.createApp({ name: 'm2m', type: 'MachineToMachine' });
    const userRole = emulator.seed.role({ name: 'user role', type: 'User' });
    const assignUser = await api.op(
      'assign_application_roles',
      { id: m2m.id },
      { body: { roleIds: [userRole.id] } },
    );
    expect([assignUser.status, assignUser.body.code]).toEqual([422, 'application.invalid_role_type']);
    const replaceUser = await api.op(
      'replace_application_roles',
      { id: m2m.id },
      { body: { roleIds: [userRole.id] } },
    );
    expect(replaceUser.status).toBe(422);
    const unknown = await api.op(
      'assign_application_roles',
      { id: m2m.id },
      { body: { roleIds: ['no-such-role'] } },
    );
    expect([unknown.status, unknown.body.code]).toEqual([404, 'entity.not_exists_with_id']);
    expect(emulator.state.applications.get(m2m.id)?.roleIds.size).toBe(0);
  });

  it('replaces with PUT (200), adds with POST (201 {roleIds, addedRoleIds}, duplicates ignored), removes one with DELETE, pages GET', async () => {
    const app = await api.createApp({ name: 'm2m', type: 'MachineToMachine' });
    const [a, b, c] = [m2mRole('a'), m2mRole('b'), m2mRole('c')];
    const added = await api.op(
      'assign_application_roles',
      { id: app.id },
      { body: { roleIds: [a.id, b.id] } },
    );
    expect(added.status).toBe(201);
    expect(added.body).toEqual({ roleIds: [a.id, b.id], addedRoleIds: [a.id, b.id] });
    const again = await api.op(
      'assign_application_roles',
      { id: app.id },
      { body: { roleIds: [b.id, c.id] } },
    );
    expect(again.body).toEqual({ roleIds: [b.id, c.id], addedRoleIds: [c.id] });

    const listed = await api.op('list_application_roles', { id: app.id });
    expect(listed.status).toBe(200);
    expect(listed.headers.get('total-number')).toBe('3');
    expect(listed.body.map(({ name }: { name: string }) => name).sort()).toEqual(['a', 'b', 'c']);
    const page = await api.op('list_application_roles', { id: app.id }, { query: { page: 2, page_size: 2 } });
    expect([page.body.length, page.headers.get('total-number')]).toEqual([1, '3']);

    const d = m2mRole('d');
    const replaced = await api.op(
      'replace_application_roles',
      { id: app.id },
      { body: { roleIds: [a.id, d.id] } },
    );
    expect(replaced.status).toBe(200);
    expect([...(emulator.state.applications.get(app.id)?.roleIds ?? [])].sort()).toEqual([a.id, d.id].sort());
    expect((await api.op('delete_application_role', { id: app.id, roleId: d.id })).status).toBe(204);

    expect((await api.op('delete_application_role', { id: app.id, roleId: a.id })).status).toBe(204);
    const missing = await api.op('delete_application_role', { id: app.id, roleId: a.id });
    expect([missing.status, missing.body.code]).toEqual([404, 'entity.not_found']);
    expect((await api.op('list_application_roles', { id: app.id })).body).toEqual([]);
  });

  it('resolves role names to ids through GET /api/roles?search.name=…', async () => {
    const reader = m2mRole('reader');
    m2mRole('reader-admin');
    const found = await api.request('GET', '/api/roles', {
      query: { 'search.name': 'reader', 'mode.name': 'exact', isCaseSensitive: 'true' },
    });
    expect(found.status).toBe(200);
    expect(found.body.map(({ id }: { id: string }) => id)).toEqual([reader.id]);
    expect(found.headers.get('total-number')).toBe('1');
    const byId = await api.request('GET', `/api/roles/${reader.id}`);
    expect(byId.body).toEqual({
      tenantId: 'default',
      id: reader.id,
      name: 'reader',
      description: 'reader',
      type: 'MachineToMachine',
      isDefault: false,
    });
    const m2mOnly = await api.request('GET', '/api/roles', { query: { type: 'User' } });
    expect(m2mOnly.body).toEqual([]);
  });
});

describe('User consent (third-party apps)', () => {
  const seedScopes = () => {
    const { scopes } = emulator.seed.resource({
      name: 'Billing',
      indicator: 'https://billing.example',
      scopes: ['read'],
    });
    const organizationScope = emulator.seed.organizationScope({ name: 'read:org' });
    return { resourceScope: scopes[0]?.id ?? '', organizationScope: organizationScope.id };
  };

  it('assigns consent scopes to third-party apps only (201, else 422), 422 with details for unknown ids; GET for any app; DELETE one', async () => {
    const { resourceScope, organizationScope } = seedScopes();
    const firstParty = await api.createApp({ name: 'first', type: 'SPA' });
    const refused = await api.op(
      'create_application_user_consent_scope',
      { id: firstParty.id },
      { body: { userScopes: ['email'] } },
    );
    expect([refused.status, refused.body.code]).toEqual([422, 'application.third_party_application_only']);
    expect((await api.op('list_application_user_consent_scopes', { id: firstParty.id })).status).toBe(200);

    const app = await api.createApp({ name: 'third', type: 'Traditional', isThirdParty: true });
    const body = {
      organizationScopes: [organizationScope],
      resourceScopes: [resourceScope],
      organizationResourceScopes: [resourceScope],
      userScopes: ['email', 'urn:logto:scope:organizations'],
    };
    const created = await api.op('create_application_user_consent_scope', { id: app.id }, { body });
    expect(created.status).toBe(201);
    const unknown = await api.op(
      'create_application_user_consent_scope',
      { id: app.id },
      { body: { resourceScopes: ['nope'], organizationScopes: ['nada'] } },
    );
    expect(unknown.status).toBe(422);
    expect(unknown.body).toMatchObject({
      code: 'application.user_consent_scopes_not_found',
      data: { invalidResourceScopes: ['nope'], invalidOrganizationScopes: ['nada'] },
    });
    const badUserScope = await api.op(
      'create_application_user_consent_scope',
      { id: app.id },
      { body: { userScopes: ['shoe_size'] } },
    );
    expect(badUserScope.status).toBe(400);
    // Listed by the document, refused by the server (BEHAVIOUR.md, "User consent").
    const trustedDevices = await api.op(
      'create_application_user_consent_scope',
      { id: app.id },
      { body: { userScopes: ['urn:logto:scope:trusted_devices'] } },
    );
    expect([trustedDevices.status, trustedDevices.body.code]).toEqual([400, 'guard.invalid_input']);

    const listed = await api.op('list_application_user_consent_scopes', { id: app.id });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      organizationScopes: [{ id: organizationScope, name: 'read:org', description: null }],
      resourceScopes: [
        {
          resource: { id: expect.any(String), name: 'Billing', indicator: 'https://billing.example' },
          scopes: [{ id: resourceScope, name: 'read', description: null }],
        },
      ],
      organizationResourceScopes: [
        expect.objectContaining({ scopes: [expect.objectContaining({ id: resourceScope })] }),
      ],
      userScopes: ['email', 'urn:logto:scope:organizations'],
    });

    const removed = await api.op('delete_application_user_consent_scope', {
      id: app.id,
      scopeType: 'user-scopes',
      scopeId: 'email',
    });
    expect(removed.status).toBe(204);
    const resourceRemoved = await api.op('delete_application_user_consent_scope', {
      id: app.id,
      scopeType: 'resource-scopes',
      scopeId: resourceScope,
    });
    expect(resourceRemoved.status).toBe(204);
    const missing = await api.op('delete_application_user_consent_scope', {
      id: app.id,
      scopeType: 'user-scopes',
      scopeId: 'email',
    });
    expect(missing.status).toBe(404);
    const after = (await api.op('list_application_user_consent_scopes', { id: app.id })).body;
    expect(after.userScopes).toEqual(['urn:logto:scope:organizations']);
    expect(after.resourceScopes).toEqual([]);
  });

  it('manages consent organizations of third-party apps only; the user must be a member of each organization (422)', async () => {
    const member = emulator.seed.user({ name: 'member' });
    const acme = emulator.seed.organization({ name: 'acme', members: [member.id] });
    const globex = emulator.seed.organization({ name: 'globex', members: [member.id] });
    const other = emulator.seed.organization({ name: 'other' });
    const firstParty = await api.createApp({ name: 'first', type: 'SPA' });
    const app = await api.createApp({ name: 'third', type: 'SPA', isThirdParty: true });
    const ids = { id: app.id, userId: member.id };

    const notThirdParty = await api.op('list_application_user_consent_organizations', {
      id: firstParty.id,
      userId: member.id,
    });
    expect([notThirdParty.status, notThirdParty.body.code]).toEqual([
      422,
      'application.third_party_application_only',
    ]);
    const unknownUser = await api.op('list_application_user_consent_organizations', {
      id: app.id,
      userId: 'ghost',
    });
    expect(unknownUser.status).toBe(404);

    const added = await api.op('create_application_user_consent_organization', ids, {
      body: { organizationIds: [acme.id] },
    });
    expect(added.status).toBe(201);
    const notMember = await api.op('create_application_user_consent_organization', ids, {
      body: { organizationIds: [other.id] },
    });
    expect([notMember.status, notMember.body.code]).toEqual([422, 'organization.require_membership']);
    const replaced = await api.op('replace_application_user_consent_organizations', ids, {
      body: { organizationIds: [acme.id, globex.id] },
    });
    expect(replaced.status).toBe(204);
    const replaceNotMember = await api.op('replace_application_user_consent_organizations', ids, {
      body: { organizationIds: [other.id] },
    });
    expect(replaceNotMember.status).toBe(422);

    const listed = await api.op('list_application_user_consent_organizations', ids);
    expect(listed.status).toBe(200);
    expect(listed.headers.get('total-number')).toBe('2');
    expect(listed.body.organizations.map(({ name }: { name: string }) => name).sort()).toEqual([
      'acme',
      'globex',
    ]);

    expect(
      (await api.op('delete_application_user_consent_organization', { ...ids, organizationId: acme.id }))
        .status,
    ).toBe(204);
    const missing = await api.op('delete_application_user_consent_organization', {
      ...ids,
      organizationId: acme.id,
    });
    expect(missing.status).toBe(404);
    const remaining = (await api.op('list_application_user_consent_organizations', ids)).body;
    expect(remaining.organizations.map(({ name }: { name: string }) => name)).toEqual(['globex']);
  });
});

describe('Application sign-in experience', () => {
  it('creates with PUT (201), updates as a partial upsert (200), 404 on GET when never set, also for a first-party SPA', async () => {
    const spa = await api.createApp({ name: 'first-party spa', type: 'SPA' });
    const unset = await api.op('get_application_sign_in_experience', { id: spa.id });
    expect([unset.status, unset.body.code]).toEqual([404, 'entity.not_exists_with_id']);

    const body = {
      color: { primaryColor: '#00aaff', isDarkModeEnabled: true, darkPrimaryColor: '#0af' },
      branding: { logoUrl: 'https://cdn.example.com/logo.png' },
      customCss: '.x{}',
      displayName: 'Shop',
      termsOfUseUrl: 'https://example.com/terms',
      privacyPolicyUrl: '',
    };
    const created = await api.op('replace_application_sign_in_experience', { id: spa.id }, { body });
    expect(created.status).toBe(201);
    // The empty link comes back as null (logto-fidelity.contract.test.ts pins it).
    expect(created.body).toEqual({
      tenantId: 'default',
      applicationId: spa.id,
      ...body,
      privacyPolicyUrl: null,
    });
    const replaced = await api.op(
      'replace_application_sign_in_experience',
      { id: spa.id },
      { body: { color: {}, termsOfUseUrl: null, privacyPolicyUrl: 'https://example.com/privacy' } },
    );
    expect(replaced.status).toBe(200);
    // A partial upsert: fields left out keep their values, null and {} clear.
    expect(replaced.body).toEqual({
      tenantId: 'default',
      applicationId: spa.id,
      color: {},
      branding: body.branding,
      customCss: '.x{}',
      displayName: 'Shop',
      termsOfUseUrl: null,
      privacyPolicyUrl: 'https://example.com/privacy',
    });
    expect((await api.op('get_application_sign_in_experience', { id: spa.id })).body).toEqual(replaced.body);
    const badColor = await api.op(
      'replace_application_sign_in_experience',
      { id: spa.id },
      { body: { color: { primaryColor: 'blue' }, termsOfUseUrl: null, privacyPolicyUrl: null } },
    );
    expect(badColor.status).toBe(400);
  });
});

describe('Protected apps: custom domains', () => {
  it('serves custom domains of Protected apps only (422), at most one (422), 409 when the domain exists, 501 unconfigured', async () => {
    const spa = await api.createApp({ name: 'spa', type: 'SPA' });
    const notProtected = await api.op('list_application_protected_app_metadata_custom_domains', {
      id: spa.id,
    });
    expect([notProtected.status, notProtected.body.code]).toEqual([
      422,
      'application.protected_application_only',
    ]);
    const seeded = emulator.seed.application({
      name: 'protected on an unconfigured server',
      type: 'Protected',
      protectedAppMetadata: {
        host: 'p.unconfigured.test',
        origin: 'https://o.example',
        sessionDuration: 1,
        pageRules: [],
      },
    });
    const unconfigured = await api.op('list_application_protected_app_metadata_custom_domains', {
      id: seeded.id,
    });
    expect([unconfigured.status, unconfigured.body.code]).toEqual([
      501,
      'application.protected_app_not_configured',
    ]);

    const configured = await startLogtoEmulator({ protectedApps: { domain: 'protected.example.test' } });
    try {
      const configuredApi = new EmulatorApi(configured);
      const origin = 'https://origin.example.com';
      const shop = await configuredApi.createApp({
        name: 'shop',
        type: 'Protected',
        protectedAppMetadata: { subDomain: 'shop', origin },
      });
      expect(shop.protectedAppMetadata).toMatchObject({
        host: 'shop.protected.example.test',
        origin,
        customDomains: [],
      });
      const blog = await configuredApi.createApp({
        name: 'blog',
        type: 'Protected',
        protectedAppMetadata: { subDomain: 'blog', origin },
      });
      const add = (id: string, domain: string) =>
        configuredApi.op(
          'create_application_protected_app_metadata_custom_domain',
          { id },
          { body: { domain } },
        );

      expect((await add(shop.id, 'shop.example.com')).status).toBe(201);
      const listed = await configuredApi.op('list_application_protected_app_metadata_custom_domains', {
        id: shop.id,
      });
      expect(listed.body).toEqual([
        {
          domain: 'shop.example.com',
          status: 'PendingVerification',
          errorMessage: null,
          dnsRecords: [{ name: 'shop.example.com', type: 'CNAME', value: expect.any(String) }],
          cloudflareData: null,
        },
      ]);
      const second = await add(shop.id, 'www.shop.example.com');
      expect([second.status, second.body.code]).toEqual([422, 'domain.limit_to_one_domain']);
      const taken = await add(blog.id, 'shop.example.com');
      expect([taken.status, taken.body.code]).toEqual([409, 'domain.hostname_already_exists']);
      const invalid = await add(blog.id, 'not a domain');
      expect(invalid.status).toBe(422);
      const unknown = await configuredApi.op('delete_application_protected_app_metadata_custom_domain', {
        id: blog.id,
        domain: 'nope.example.com',
      });
      expect([unknown.status, unknown.body.code]).toEqual([404, 'application.custom_domain_not_found']);
    } finally {
      await configured.close();
    }
  });
});

describe('Other endpoints in the document', () => {
  it('refuses access control naming unknown ids (404 entity.relation_foreign_key_not_found) or a MachineToMachine user role (422)', async () => {
    const app = await api.createApp({ name: 'guarded', type: 'Traditional' });
    const { roles } = emulator.seed.apply({
      users: [{ id: 'u1' }],
      roles: [
        { name: 'staff', type: 'User' },
        { name: 'robot', type: 'MachineToMachine' },
      ],
      organizations: [{ id: 'o1', name: 'one' }],
      organizationRoles: [{ id: 'r1', name: 'member' }],
    });
    const [userRole, m2mUserRole] = roles.map((role) => role.id);
    const valid = {
      userIds: ['u1'],
      userRoleIds: [userRole!],
      organizationIds: ['o1'],
      organizationRoleRules: [{ organizationId: 'o1', organizationRoleIds: ['r1'] }],
    };
    const put = (body: typeof valid) =>
      api.op('replace_application_access_control', { id: app.id }, { body });
    expect((await put(valid)).status).toBe(200);

    const unknownIds: Array<typeof valid> = [
      { ...valid, userIds: ['u1', 'nobody'] },
      { ...valid, userRoleIds: ['no-role'] },
      { ...valid, organizationIds: ['no-org'] },
      { ...valid, organizationRoleRules: [{ organizationId: 'no-org', organizationRoleIds: ['r1'] }] },
      { ...valid, organizationRoleRules: [{ organizationId: 'o1', organizationRoleIds: ['no-org-role'] }] },
    ];
    for (const body of unknownIds) {
      expect(outcome(await put(body)), JSON.stringify(body)).toEqual({
        status: 404,
        code: 'entity.relation_foreign_key_not_found',
      });
    }
    expect(outcome(await put({ ...valid, userRoleIds: [m2mUserRole!] }))).toEqual({
      status: 422,
      code: 'entity.db_constraint_violated',
    });
    // Refused puts leave the stored rules alone.
    expect((await api.op('get_application_access_control', { id: app.id })).body).toEqual(valid);
  });

  it('reads and replaces app-level access control, and lists the organizations of an application', async () => {
    const app = await api.createApp({ name: 'm2m', type: 'MachineToMachine' });
    emulator.seed.apply({
      users: [{ id: 'u1' }],
      organizations: [{ id: 'o1', name: 'one' }],
      organizationRoles: [{ id: 'r1', name: 'member' }],
    });
    const empty = await api.op('get_application_access_control', { id: app.id });
    expect(empty.body).toEqual({
      userIds: [],
      userRoleIds: [],
      organizationIds: [],
      organizationRoleRules: [],
    });
    const rules = {
      userIds: ['u1'],
      userRoleIds: [],
      organizationIds: ['o1'],
      organizationRoleRules: [{ organizationId: 'o1', organizationRoleIds: ['r1'] }],
    };
    const replaced = await api.op('replace_application_access_control', { id: app.id }, { body: rules });
    expect([replaced.status, replaced.body]).toEqual([200, rules]);
    expect((await api.op('get_application_access_control', { id: app.id })).body).toEqual(rules);
    const emptyRule = await api.op(
      'replace_application_access_control',
      { id: app.id },
      { body: { ...rules, organizationRoleRules: [{ organizationId: 'o1', organizationRoleIds: [] }] } },
    );
    // BEHAVIOUR.md, "Access control": a business rule, not a schema error.
    expect([emptyRule.status, emptyRule.body.code]).toEqual([422, 'request.invalid_input']);
    expect((await api.op('get_application_access_control', { id: app.id })).body).toEqual(rules);

    expect((await api.op('list_application_organizations', { id: app.id })).body).toEqual([]);
    const organization = emulator.seed.organization({ name: 'acme' });
    emulator.seed.addApplicationToOrganization(organization.id, app.id, ['viewer']);
    const organizations = await api.op('list_application_organizations', { id: app.id });
    expect(organizations.status).toBe(200);
    expect(organizations.body).toEqual([
      expect.objectContaining({
        id: organization.id,
        name: 'acme',
        organizationRoles: [{ id: expect.any(String), name: 'viewer' }],
      }),
    ]);
  });
});

// BEHAVIOUR.md, "Errors": an operation that ends in an insert of zero rows answers 422
// entity.invalid_input, on the endpoints that "Roles" and "User consent" name.
const emptyInsert = { status: 422, code: 'entity.invalid_input' };
const outcome = (response: { status: number; body: { code?: string } }) => ({
  status: response.status,
  code: response.body.code,
});

describe('Roles: PUT removes first, then refuses an empty insert (BEHAVIOUR.md "Roles")', () => {
  const assigned = (id: string) => [...(emulator.state.applications.get(id)?.roleIds ?? [])].sort();

  it('answers PUT {roleIds: []} with 422 entity.invalid_input after removing every role', async () => {
    const app = await api.createApp({ name: 'm2m', type: 'MachineToMachine' });
    const [a, b] = [m2mRole('a'), m2mRole('b')];
    await api.op('assign_application_roles', { id: app.id }, { body: { roleIds: [a.id, b.id] } });
    const put = await api.op('replace_application_roles', { id: app.id }, { body: { roleIds: [] } });
    expect(outcome(put)).toEqual(emptyInsert);
    expect(assigned(app.id)).toEqual([]);
  });

  it('answers a PUT of a strict subset, or of the current set, with 422 after applying the removals', async () => {
    const app = await api.createApp({ name: 'm2m', type: 'MachineToMachine' });
    const [a, b] = [m2mRole('a'), m2mRole('b')];
    await api.op('assign_application_roles', { id: app.id }, { body: { roleIds: [a.id, b.id] } });
    const subset = await api.op('replace_application_roles', { id: app.id }, { body: { roleIds: [a.id] } });
    expect(outcome(subset)).toEqual(emptyInsert);
    expect(assigned(app.id)).toEqual([a.id]);
    const same = await api.op('replace_application_roles', { id: app.id }, { body: { roleIds: [a.id] } });
    expect(outcome(same)).toEqual(emptyInsert);
    expect(assigned(app.id)).toEqual([a.id]);
  });

  it('accepts POST {roleIds: []} (201) and refuses a User role in PUT with 422 entity.db_constraint_violated', async () => {
    const app = await api.createApp({ name: 'm2m', type: 'MachineToMachine' });
    const post = await api.op('assign_application_roles', { id: app.id }, { body: { roleIds: [] } });
    expect([post.status, post.body]).toEqual([201, { roleIds: [], addedRoleIds: [] }]);
    const userRole = emulator.seed.role({ name: 'user role', type: 'User' });
    const put = await api.op(
      'replace_application_roles',
      { id: app.id },
      { body: { roleIds: [userRole.id] } },
    );
    expect(outcome(put)).toEqual({ status: 422, code: 'entity.db_constraint_violated' });
    expect(assigned(app.id)).toEqual([]);
  });

  it('removes one role with DELETE …/roles/{roleId} (204), 404 entity.not_found when not assigned', async () => {
    const app = await api.createApp({ name: 'm2m', type: 'MachineToMachine' });
    const [a, b] = [m2mRole('a'), m2mRole('b')];
    await api.op('assign_application_roles', { id: app.id }, { body: { roleIds: [a.id, b.id] } });
    const removed = await api.op('delete_application_role', { id: app.id, roleId: a.id });
    expect(removed.status).toBe(204);
    expect(assigned(app.id)).toEqual([b.id]);
    const again = await api.op('delete_application_role', { id: app.id, roleId: a.id });
    expect(outcome(again)).toEqual({ status: 404, code: 'entity.not_found' });
  });
});

describe('User consent: kinds inserted in order, an empty one refused (BEHAVIOUR.md "User consent")', () => {
  const consent = (id: string) => {
    const scopes = emulator.state.applications.get(id)?.consentScopes;
    return {
      organizationScopes: [...(scopes?.organizationScopes ?? [])],
      resourceScopes: [...(scopes?.resourceScopes ?? [])],
      organizationResourceScopes: [...(scopes?.organizationResourceScopes ?? [])],
      userScopes: [...(scopes?.userScopes ?? [])],
    };
  };
  let app: Application;
  let resourceScope: string;
  let organizationScope: string;
  beforeEach(async () => {
    const { scopes } = emulator.seed.resource({
      name: 'Billing',
      indicator: 'https://billing.example',
      scopes: ['read'],
    });
    resourceScope = scopes[0]?.id ?? '';
    organizationScope = emulator.seed.organizationScope({ name: 'read:org' }).id;
    app = await api.createApp({ name: 'third', type: 'Traditional', isThirdParty: true });
  });

  it('inserts organization, then resource, then organization-resource scopes; an empty kind fails after the ones before it', async () => {
    const resourceEmpty = await api.op(
      'create_application_user_consent_scope',
      { id: app.id },
      {
        body: {
          organizationScopes: [organizationScope],
          resourceScopes: [],
          organizationResourceScopes: [resourceScope],
        },
      },
    );
    expect(outcome(resourceEmpty)).toEqual(emptyInsert);
    expect(consent(app.id)).toEqual({
      organizationScopes: [organizationScope],
      resourceScopes: [],
      organizationResourceScopes: [],
      userScopes: [],
    });

    const lastEmpty = await api.op(
      'create_application_user_consent_scope',
      { id: app.id },
      { body: { resourceScopes: [resourceScope], organizationResourceScopes: [], userScopes: ['email'] } },
    );
    expect(outcome(lastEmpty)).toEqual(emptyInsert);
    expect(consent(app.id)).toEqual({
      organizationScopes: [organizationScope],
      resourceScopes: [resourceScope],
      organizationResourceScopes: [],
      userScopes: [],
    });

    const firstEmpty = await api.op(
      'create_application_user_consent_scope',
      { id: app.id },
      { body: { organizationScopes: [], organizationResourceScopes: [resourceScope] } },
    );
    expect(outcome(firstEmpty)).toEqual(emptyInsert);
    expect(consent(app.id).organizationResourceScopes).toEqual([]);
  });

  it('accepts userScopes: [] and an empty body (201), inserting nothing', async () => {
    for (const body of [{ userScopes: [] }, {}]) {
      const response = await api.op('create_application_user_consent_scope', { id: app.id }, { body });
      expect(response.status).toBe(201);
    }
    expect(consent(app.id)).toEqual({
      organizationScopes: [],
      resourceScopes: [],
      organizationResourceScopes: [],
      userScopes: [],
    });
  });

  it('refuses POST consent-organizations with [] (400 guard.invalid_input) but accepts PUT [] (204), which clears', async () => {
    const member = emulator.seed.user({ name: 'member' });
    const acme = emulator.seed.organization({ name: 'acme', members: [member.id] });
    const ids = { id: app.id, userId: member.id };
    const post = await api.op('create_application_user_consent_organization', ids, {
      body: { organizationIds: [] },
    });
    expect(outcome(post)).toEqual({ status: 400, code: 'guard.invalid_input' });
    await api.op('create_application_user_consent_organization', ids, {
      body: { organizationIds: [acme.id] },
    });
    const put = await api.op('replace_application_user_consent_organizations', ids, {
      body: { organizationIds: [] },
    });
    expect(put.status).toBe(204);
    expect((await api.op('list_application_user_consent_organizations', ids)).body).toEqual({
      organizations: [],
    });
  });
});

describe('Application sign-in experience: an empty body (BEHAVIOUR.md "Application sign-in experience")', () => {
  it('accepts {} on first creation (201) and answers it with 422 entity.invalid_input once one exists', async () => {
    const app = await api.createApp({ name: 'spa', type: 'SPA' });
    const first = await api.op('replace_application_sign_in_experience', { id: app.id }, { body: {} });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ color: {}, branding: {}, termsOfUseUrl: null, displayName: null });
    const again = await api.op('replace_application_sign_in_experience', { id: app.id }, { body: {} });
    expect(outcome(again)).toEqual(emptyInsert);
  });
});

describe('Authentication: client types without client_credentials (BEHAVIOUR.md "Authentication")', () => {
  it('answers 400 invalid_request to a Traditional, SPA or Native client that authenticates correctly', async () => {
    for (const type of ['Traditional', 'SPA', 'Native'] as const) {
      const app = emulator.seed.application({
        name: type,
        type,
        oidcClientMetadata: webClient(),
        secrets: [{ name: 'Default secret' }],
      });
      const response = await api.requestToken({
        clientId: app.id,
        clientSecret: app.secrets[0]?.value ?? '',
      });
      expect([response.status, response.body]).toEqual([
        400,
        {
          error: 'invalid_request',
          error_description: 'requested grant type is not allowed for this client',
          code: 'oidc.invalid_request',
          message: expect.any(String),
        },
      ]);
      const wrongSecret = await api.requestToken({ clientId: app.id, clientSecret: 'wrong' });
      expect([wrongSecret.status, wrongSecret.body.error]).toEqual([401, 'invalid_client']);
    }
  });
});

describe('API resources, scopes and roles created over the API (BEHAVIOUR.md "API resources, scopes, organizations")', () => {
  it('creates a resource (201), a scope (201) and a role (200), each visible to the next GET at once', async () => {
    const resource = await api.request('POST', '/api/resources', {
      body: { name: 'Orders', indicator: 'https://orders.example', unknown: 1 },
    });
    expect(resource.status).toBe(201);
    expect(resource.body).toEqual({
      tenantId: 'default',
      id: expect.any(String),
      name: 'Orders',
      indicator: 'https://orders.example',
      isDefault: false,
      accessTokenTtl: 3600,
      scopes: [],
    });
    const scope = await api.request('POST', `/api/resources/${resource.body.id}/scopes`, {
      body: { name: 'orders:read', description: 'Read orders' },
    });
    expect(scope.status).toBe(201);
    expect(scope.body).toMatchObject({
      resourceId: resource.body.id,
      name: 'orders:read',
      description: 'Read orders',
    });
    const listed = await api.request('GET', '/api/resources', { query: { includeScopes: 'true' } });
    expect(listed.body.find(({ id }: { id: string }) => id === resource.body.id)?.scopes).toEqual([
      scope.body,
    ]);

    const role = await api.request('POST', '/api/roles', {
      body: {
        name: 'orders reader',
        description: 'Reads orders',
        type: 'MachineToMachine',
        scopeIds: [scope.body.id],
      },
    });
    expect(role.status).toBe(200);
    expect(role.body).toEqual({
      tenantId: 'default',
      id: expect.any(String),
      name: 'orders reader',
      description: 'Reads orders',
      type: 'MachineToMachine',
      isDefault: false,
    });
    const found = await api.request('GET', '/api/roles', {
      query: { 'search.name': 'orders reader', 'mode.name': 'exact', isCaseSensitive: 'true' },
    });
    expect(found.body.map(({ id }: { id: string }) => id)).toEqual([role.body.id]);
    expect([...(emulator.state.roles.get(role.body.id)?.scopeIds ?? [])]).toEqual([scope.body.id]);
    const userRole = await api.request('POST', '/api/roles', {
      body: { name: 'people', description: 'People' },
    });
    expect(userRole.body.type).toBe('User');
  });

  it('refuses invalid bodies (400), duplicates (422) and scopes of an unknown resource (404)', async () => {
    expect((await api.request('POST', '/api/resources', { body: { name: 'x' } })).status).toBe(400);
    expect((await api.request('POST', '/api/roles', { body: { name: 'r' } })).status).toBe(400);
    const body = { name: 'Orders', indicator: 'https://orders.example' };
    const first = await api.request('POST', '/api/resources', { body });
    expect((await api.request('POST', '/api/resources', { body })).status).toBe(422);
    const scope = { name: 'orders:read' };
    expect(
      (await api.request('POST', `/api/resources/${first.body.id}/scopes`, { body: scope })).status,
    ).toBe(201);
    expect(
      (await api.request('POST', `/api/resources/${first.body.id}/scopes`, { body: scope })).status,
    ).toBe(422);
    expect((await api.request('POST', '/api/resources/missing/scopes', { body: scope })).status).toBe(404);
    const role = { name: 'r', description: 'd', type: 'MachineToMachine' };
    expect((await api.request('POST', '/api/roles', { body: role })).status).toBe(200);
    expect((await api.request('POST', '/api/roles', { body: role })).status).toBe(422);
  });
});

describe('Role scopes (GET /api/roles/{id}/scopes, as the document describes it)', () => {
  it("lists the built-in Management API role's `all` scope with its resource", async () => {
    const roles = await api.request('GET', '/api/roles', {
      query: { 'search.name': 'Logto Management API access', 'mode.name': 'exact', page: 1, page_size: 20 },
    });
    const role = (roles.body as { id: string; type: string }[])[0]!;
    expect(role.type).toBe('MachineToMachine');
    const scopes = await api.request('GET', `/api/roles/${role.id}/scopes`);
    expect(scopes.status).toBe(200);
    expect(scopes.body).toEqual([
      expect.objectContaining({
        name: 'all',
        resource: expect.objectContaining({ indicator: emulator.resourceIndicator }),
      }),
    ]);
    expect(scopes.body[0].resourceId).toBe(scopes.body[0].resource.id);
  });

  it('answers 404 for an unknown role and [] for a role without scopes', async () => {
    expect((await api.request('GET', '/api/roles/doesnotexist/scopes')).status).toBe(404);
    const role = m2mRole('scopeless');
    expect((await api.request('GET', `/api/roles/${role.id}/scopes`)).body).toEqual([]);
  });
});
