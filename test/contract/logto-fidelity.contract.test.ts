// Pins each place where a real Logto OSS 1.42 was seen to answer differently from an earlier
// emulator: status, error `code`, body shape, ordering and upsert/dedup semantics. Each test names
// the behaviour; the comment names the BEHAVIOUR.md section it comes from.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { managementApiAccessRoleName } from '../../src/api/schemas.js';
import { ManualClock } from '../emulator/clock.js';
import { startLogtoEmulator, type LogtoEmulator } from '../emulator/emulator.js';
import { EmulatorApi, webClient, type ApiResponse } from '../emulator/harness.js';

let emulator: LogtoEmulator;
let api: EmulatorApi;
const clock = new ManualClock(Date.UTC(2025, 5, 1));

beforeAll(async () => {
  emulator = await startLogtoEmulator({ clock, protectedApps: { domain: 'protected.example.test' } });
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.reset();
  api = new EmulatorApi(emulator);
});

const statusAndCode = (response: ApiResponse) => [response.status, response.body?.code];
const create = (body: Record<string, unknown>) => api.op('create_application', {}, { body });
const m2mApp = () => emulator.seed.application({ name: 'm2m', type: 'MachineToMachine' });
const secretOf = (id: string) => emulator.state.applications.get(id)?.secrets[0]?.value ?? '';

describe('Errors', () => {
  it('answers a guard error with a ZodError (issues with code, expected, received, path, message) and details', async () => {
    const response = await create({ name: 42, type: 'SPA' });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      code: 'guard.invalid_input',
      message: 'The request body is invalid.',
      data: {
        name: 'ZodError',
        issues: [
          {
            code: 'invalid_type',
            expected: 'string',
            received: 'number',
            path: ['name'],
            message: 'Expected string, received number',
          },
        ],
      },
      details: 'Error in key path "name": (invalid_type) Expected string but received number.',
    });
  });

  it('answers a missing field as Required and a short string as too_small in guard issues', async () => {
    const response = await create({ name: '' });
    expect(response.body.data.issues).toEqual([
      {
        code: 'too_small',
        minimum: 1,
        type: 'string',
        inclusive: true,
        exact: false,
        path: ['name'],
        message: 'String must contain at least 1 character(s)',
      },
      expect.objectContaining({
        code: 'invalid_type',
        received: 'undefined',
        path: ['type'],
        message: 'Required',
      }),
    ]);
  });

  it('names array items by index and enum values in guard issues', async () => {
    const third = emulator.seed.application({ name: 't', type: 'Traditional', isThirdParty: true });
    const response = await api.op(
      'create_application_user_consent_scope',
      { id: third.id },
      { body: { userScopes: ['email', 'urn:logto:scope:trusted_devices'] } },
    );
    expect(statusAndCode(response)).toEqual([400, 'guard.invalid_input']);
    expect(response.body.data.issues).toEqual([
      expect.objectContaining({
        code: 'invalid_enum_value',
        path: ['userScopes', 1],
        received: 'urn:logto:scope:trusted_devices',
      }),
    ]);
  });

  it('says "The request query is invalid." for a query that fails the guard', async () => {
    const response = await api.op('list_applications', {}, { query: { types: 'Desktop' } });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      code: 'guard.invalid_input',
      message: 'The request query is invalid.',
      data: { name: 'ZodError' },
    });
  });

  it('answers a body that is not JSON, or a JSON string, with 400 and no code', async () => {
    const app = m2mApp();
    for (const rawBody of ['{not json', '"text"']) {
      const response = await api.op('update_application_custom_data', { id: app.id }, { rawBody });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ message: expect.any(String) });
    }
  });

  it('answers an unknown id with a not-found message and no data', async () => {
    const response = await api.op('get_application', { id: 'nope' });
    expect(response.body).toEqual({
      code: 'entity.not_exists_with_id',
      message: 'The applications with ID `nope` does not exist.',
    });
  });

  it('answers a malformed token with 401 and the jose error as data', async () => {
    const response = await api.op('list_applications', {}, { token: 'not-a-jwt' });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({
      code: 'auth.unauthorized',
      data: { code: 'ERR_JWS_INVALID', name: 'JWSInvalid' },
    });
  });

  // BEHAVIOUR.md, "Errors": these list queries crash the server.
  it('answers unsupported search forms with 500 and no code', async () => {
    const forms: Array<Array<[string, string]>> = [
      [
        ['search.name', '%a%'],
        ['search.name', '%b%'],
      ],
      [['search.secret', 'x']],
      [
        ['search.name', 'x'],
        ['mode.secret', 'exact'],
      ],
      // A match mode the server does not know, with or without a search on its field.
      [
        ['search.name', 'x'],
        ['mode.name', 'bogus'],
      ],
      [['mode.name', 'bogus']],
      [['mode.description', 'bogus']],
    ];
    for (const form of forms) {
      const query = new URLSearchParams(form).toString();
      const response = await api.request('GET', `/api/applications?${query}`);
      expect([response.status, response.body], query).toEqual([500, { message: expect.any(String) }]);
    }
    // The documented form works.
    const exact = await api.op(
      'list_applications',
      {},
      { query: { 'search.name': 'x', 'mode.name': 'exact' } },
    );
    expect(exact.status).toBe(200);
  });
});

describe('API resources, scopes, organizations', () => {
  it('answers GET /api/status with 204 without authentication', async () => {
    const response = await api.request('GET', '/api/status', { token: null });
    expect([response.status, response.body]).toEqual([204, '']);
  });
});

describe('Authentication', () => {
  it('answers token errors as {error, error_description, code: oidc.<error>, message}', async () => {
    const response = await api.requestToken({ resource: 'https://unknown.example' });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: 'invalid_target',
      error_description: expect.any(String),
      code: 'oidc.invalid_target',
      message: expect.any(String),
    });
  });

  it('answers an unknown client with 400 invalid_client and a wrong secret with 401 invalid_client', async () => {
    expect(statusAndCode(await api.requestToken({ clientId: 'unknown' }))).toEqual([
      400,
      'oidc.invalid_client',
    ]);
    expect(statusAndCode(await api.requestToken({ clientSecret: 'wrong' }))).toEqual([
      401,
      'oidc.invalid_client',
    ]);
  });

  it('answers an expired secret with 400 invalid_request "client secret has expired"', async () => {
    const app = m2mApp();
    const added = await api.op(
      'create_application_secret',
      { id: app.id },
      { body: { name: 'short', expiresAt: clock.now() + 1000 } },
    );
    clock.advance(1000);
    const response = await api.requestToken({ clientId: app.id, clientSecret: added.body.value });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      error: 'invalid_request',
      error_description: 'client secret has expired',
    });
  });

  it('refuses an SPA without redirect URIs with 400 invalid_redirect_uri before checking anything else', async () => {
    const spa = emulator.seed.application({ name: 'spa', type: 'SPA' });
    const response = await api.requestToken({ clientId: spa.id, clientSecret: 'anything' });
    expect(statusAndCode(response)).toEqual([400, 'oidc.invalid_redirect_uri']);
  });

  it('accepts custom-scheme redirect URIs on Traditional and SPA apps, then refuses the client at the token endpoint', async () => {
    for (const type of ['Traditional', 'SPA']) {
      const created = await create({ name: type, type, oidcClientMetadata: webClient('myapp://callback') });
      expect(created.status).toBe(200);
      const secret = type === 'Traditional' ? secretOf(created.body.id) : 'x';
      const response = await api.requestToken({ clientId: created.body.id, clientSecret: secret });
      expect(statusAndCode(response), type).toEqual([400, 'oidc.invalid_client_metadata']);
    }
  });

  it('gives a token for another registered API resource, without Management API scope', async () => {
    emulator.seed.resource({ name: 'Billing', indicator: 'https://billing.example', scopes: ['read'] });
    const response = await api.requestToken({ resource: 'https://billing.example', scope: 'all' });
    expect(response.status).toBe(200);
    expect(response.body.scope).toBeUndefined();
    const call = await api.op('list_applications', {}, { token: response.body.access_token });
    expect(call.status).toBe(401);
  });

  it('answers no resource at all with 400 invalid_target', async () => {
    expect(statusAndCode(await api.requestToken({ resource: null }))).toEqual([400, 'oidc.invalid_target']);
  });

  it('grants Management API access to an app with isAdmin: true, without any role', async () => {
    const app = m2mApp();
    const credentials = { clientId: app.id, clientSecret: secretOf(app.id) };
    const before = await api.requestToken(credentials);
    expect(before.body.scope).toBeUndefined();

    const patched = await api.op('update_application', { id: app.id }, { body: { isAdmin: true } });
    expect(patched.status).toBe(200);
    const roles = await api.op('list_application_roles', { id: app.id });
    expect(roles.body).toEqual([]);

    const token = await api.requestToken(credentials);
    expect(token.body.scope).toBe('all');
    const call = await api.op('list_applications', {}, { token: token.body.access_token });
    expect(call.status).toBe(200);
  });

  it('accepts isAdmin on PATCH for an SPA too', async () => {
    const spa = await api.createApp({ name: 'spa', type: 'SPA', oidcClientMetadata: webClient() });
    const patched = await api.op('update_application', { id: spa.id }, { body: { isAdmin: true } });
    expect(patched.status).toBe(200);
    expect((await api.op('get_application', { id: spa.id })).body.isAdmin).toBe(true);
  });

  it('seeds the Management API resource (scope all) and the "Logto Management API access" role that carries it', async () => {
    const resources = await api.request('GET', '/api/resources');
    const management = resources.body.find(
      ({ indicator }: { indicator: string }) => indicator === 'https://default.logto.app/api',
    );
    expect(management).toMatchObject({ id: 'management-api', name: 'Logto Management API' });
    const scopes = await api.request('GET', `/api/resources/${management.id}/scopes`);
    expect(scopes.body.map(({ name }: { name: string }) => name)).toEqual(['all']);
    const roles = await api.request('GET', '/api/roles', {
      query: { 'search.name': managementApiAccessRoleName, 'mode.name': 'exact' },
    });
    expect(roles.body).toEqual([
      expect.objectContaining({
        name: 'Logto Management API access',
        description: 'This default role grants access to the Logto management API.',
        type: 'MachineToMachine',
      }),
    ]);
    const app = m2mApp();
    await api.op('assign_application_roles', { id: app.id }, { body: { roleIds: [roles.body[0].id] } });
    const token = await api.requestToken({ clientId: app.id, clientSecret: secretOf(app.id) });
    expect(token.body.scope).toBe('all');
  });
});

describe('Applications', () => {
  it('answers type SAML with 400 application.saml.use_saml_app_api', async () => {
    expect(statusAndCode(await create({ name: 's', type: 'SAML' }))).toEqual([
      400,
      'application.saml.use_saml_app_api',
    ]);
  });

  it('answers isDeviceFlow on a non-Native app with 422 application.device_flow_native_only', async () => {
    for (const type of ['SPA', 'Traditional', 'MachineToMachine']) {
      const response = await create({ name: 'd', type, customClientMetadata: { isDeviceFlow: true } });
      expect(statusAndCode(response), type).toEqual([422, 'application.device_flow_native_only']);
    }
  });

  it('answers token exchange on a third-party app with 422, on create and PATCH', async () => {
    const code = 'application.third_party_application_cannot_enable_token_exchange';
    const body = { name: 't', type: 'Traditional', isThirdParty: true };
    const refused = await create({ ...body, customClientMetadata: { allowTokenExchange: true } });
    expect(statusAndCode(refused)).toEqual([422, code]);
    const app = await create(body);
    const patched = await api.op(
      'update_application',
      { id: app.body.id },
      { body: { customClientMetadata: { allowTokenExchange: true } } },
    );
    expect(statusAndCode(patched)).toEqual([422, code]);
  });

  it('answers refreshTokenTtlInDays 0 or 1000 with 400', async () => {
    for (const refreshTokenTtlInDays of [0, 1000]) {
      const response = await create({
        name: 'r',
        type: 'Traditional',
        customClientMetadata: { refreshTokenTtlInDays },
      });
      expect(statusAndCode(response)).toEqual([400, 'guard.invalid_input']);
    }
    const accepted = await create({
      name: 'r',
      type: 'Traditional',
      customClientMetadata: { refreshTokenTtlInDays: 14 },
    });
    expect(accepted.status).toBe(200);
  });

  it('answers an invalid or taken Protected subdomain with 422 application.invalid_subdomain / protected_application_subdomain_exists', async () => {
    const protectedApp = (subDomain: string) =>
      create({
        name: 'p',
        type: 'Protected',
        protectedAppMetadata: { subDomain, origin: 'https://o.example' },
      });
    expect(statusAndCode(await protectedApp('-bad-'))).toEqual([422, 'application.invalid_subdomain']);
    expect((await protectedApp('shop')).status).toBe(200);
    expect(statusAndCode(await protectedApp('shop'))).toEqual([
      422,
      'application.protected_application_subdomain_exists',
    ]);
  });

  it('answers PATCH …/custom-data of an unknown app with 404 entity.not_exists naming "the application"', async () => {
    const response = await api.op('update_application_custom_data', { id: 'nope' }, { body: { a: 1 } });
    expect([response.status, response.body]).toEqual([
      404,
      { code: 'entity.not_exists', message: 'The application does not exist.' },
    ]);
  });

  it('shows isAdmin on GET by id but not on list items', async () => {
    const app = m2mApp();
    expect((await api.op('get_application', { id: app.id })).body.isAdmin).toBe(false);
    const listed = await api.op('list_applications', {});
    expect(listed.body.every((item: object) => !('isAdmin' in item))).toBe(true);
  });
});

describe('Secrets', () => {
  it('answers secrets on SPA and Native apps: POST 422 entity.db_constraint_violated, GET 200 [], DELETE 404', async () => {
    for (const type of ['SPA', 'Native']) {
      const app = emulator.seed.application({ name: type, type: type as 'SPA' | 'Native' });
      const added = await api.op('create_application_secret', { id: app.id }, { body: { name: 's' } });
      expect(statusAndCode(added), type).toEqual([422, 'entity.db_constraint_violated']);
      const listed = await api.op('list_application_secrets', { id: app.id });
      expect([listed.status, listed.body]).toEqual([200, []]);
      expect((await api.op('delete_application_secret', { id: app.id, name: 's' })).status).toBe(404);
    }
  });

  it('accepts expiresAt 0 and the secret never expires', async () => {
    const app = m2mApp();
    const added = await api.op(
      'create_application_secret',
      { id: app.id },
      { body: { name: 'zero', expiresAt: 0 } },
    );
    expect(added.status).toBe(201);
    clock.advance(10 * 365 * 86_400_000);
    const token = await api.requestToken({ clientId: app.id, clientSecret: added.body.value });
    expect(token.status).toBe(200);
  });

  it('answers PATCH of an unknown secret name with 404 entity.not_exists', async () => {
    const app = m2mApp();
    const response = await api.op(
      'update_application_secret',
      { id: app.id, name: 'nope' },
      { body: { name: 'x' } },
    );
    expect(statusAndCode(response)).toEqual([404, 'entity.not_exists']);
  });
});

describe('Roles', () => {
  it('answers PUT with a User role with 422 entity.db_constraint_violated, POST with 422 application.invalid_role_type', async () => {
    const app = m2mApp();
    const userRole = emulator.seed.role({ name: 'people', type: 'User' });
    const body = { roleIds: [userRole.id] };
    expect(statusAndCode(await api.op('replace_application_roles', { id: app.id }, { body }))).toEqual([
      422,
      'entity.db_constraint_violated',
    ]);
    expect(statusAndCode(await api.op('assign_application_roles', { id: app.id }, { body }))).toEqual([
      422,
      'application.invalid_role_type',
    ]);
  });

  it('lists roles in role order, not in assignment order', async () => {
    const app = m2mApp();
    const first = emulator.seed.role({ name: 'first' });
    const second = emulator.seed.role({ name: 'second' });
    await api.op('assign_application_roles', { id: app.id }, { body: { roleIds: [second.id] } });
    await api.op('assign_application_roles', { id: app.id }, { body: { roleIds: [first.id] } });
    const listed = await api.op('list_application_roles', { id: app.id });
    expect(listed.body.map(({ name }: { name: string }) => name)).toEqual(['first', 'second']);
  });
});

describe('User consent', () => {
  it('refuses userScopes urn:logto:scope:trusted_devices with 400', async () => {
    const third = emulator.seed.application({ name: 't', type: 'Traditional', isThirdParty: true });
    const response = await api.op(
      'create_application_user_consent_scope',
      { id: third.id },
      { body: { userScopes: ['urn:logto:scope:trusted_devices'] } },
    );
    expect(response.status).toBe(400);
  });

  it('returns userScopes in alphabetical order', async () => {
    const third = emulator.seed.application({ name: 't', type: 'Traditional', isThirdParty: true });
    await api.op(
      'create_application_user_consent_scope',
      { id: third.id },
      { body: { userScopes: ['roles', 'email', 'profile', 'address'] } },
    );
    const listed = await api.op('list_application_user_consent_scopes', { id: third.id });
    expect(listed.body.userScopes).toEqual(['address', 'email', 'profile', 'roles']);
  });

  it('answers POST consent-organizations with [] with 400 guard.invalid_input', async () => {
    const third = emulator.seed.application({ name: 't', type: 'Traditional', isThirdParty: true });
    const user = emulator.seed.user();
    const response = await api.op(
      'create_application_user_consent_organization',
      { id: third.id, userId: user.id },
      { body: { organizationIds: [] } },
    );
    expect(statusAndCode(response)).toEqual([400, 'guard.invalid_input']);
  });

  // BEHAVIOUR.md, "User consent": membership is required, and an unknown organization fails the same way.
  it('answers POST and PUT consent-organizations for a non-member or unknown organization with 422 organization.require_membership and no data', async () => {
    const third = emulator.seed.application({ name: 't', type: 'Traditional', isThirdParty: true });
    const user = emulator.seed.user();
    const elsewhere = emulator.seed.organization({ name: 'elsewhere' });
    const ids = { id: third.id, userId: user.id };
    for (const operation of [
      'create_application_user_consent_organization',
      'replace_application_user_consent_organizations',
    ] as const) {
      for (const organizationId of [elsewhere.id, 'no-such-organization']) {
        const response = await api.op(operation, ids, { body: { organizationIds: [organizationId] } });
        expect([response.status, response.body], `${operation} ${organizationId}`).toEqual([
          422,
          {
            code: 'organization.require_membership',
            message: 'The user must be a member of the organization to proceed.',
          },
        ]);
      }
    }
  });

  it('answers an unknown consent user with 404 entity.not_found', async () => {
    const third = emulator.seed.application({ name: 't', type: 'Traditional', isThirdParty: true });
    const response = await api.op('list_application_user_consent_organizations', {
      id: third.id,
      userId: 'nobody',
    });
    expect(statusAndCode(response)).toEqual([404, 'entity.not_found']);
  });
});

describe('Application sign-in experience', () => {
  const put = (id: string, body: Record<string, unknown>) =>
    api.op('replace_application_sign_in_experience', { id }, { body });

  it('needs no field: a body without termsOfUseUrl and privacyPolicyUrl is accepted', async () => {
    const app = m2mApp();
    const response = await put(app.id, { displayName: 'Shop' });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ displayName: 'Shop', termsOfUseUrl: null, privacyPolicyUrl: null });
  });

  it('upserts partially: fields left out keep their values, null and {} clear them', async () => {
    const app = m2mApp();
    await put(app.id, {
      displayName: 'Shop',
      termsOfUseUrl: 'https://t.example',
      color: { primaryColor: '#123456' },
    });
    const updated = await put(app.id, { customCss: 'a{}' });
    expect([updated.status, updated.body]).toEqual([
      200,
      expect.objectContaining({
        displayName: 'Shop',
        termsOfUseUrl: 'https://t.example',
        customCss: 'a{}',
        color: { primaryColor: '#123456' },
      }),
    ]);
    const cleared = await put(app.id, { termsOfUseUrl: null, color: {} });
    expect(cleared.body).toMatchObject({ displayName: 'Shop', termsOfUseUrl: null, color: {} });
  });

  it('stores and answers an empty termsOfUseUrl or privacyPolicyUrl as null', async () => {
    const app = m2mApp();
    const created = await put(app.id, { termsOfUseUrl: '', privacyPolicyUrl: '' });
    expect([created.status, created.body]).toEqual([
      201,
      expect.objectContaining({ termsOfUseUrl: null, privacyPolicyUrl: null }),
    ]);
    for (const field of ['termsOfUseUrl', 'privacyPolicyUrl']) {
      await put(app.id, { [field]: 'https://links.example' });
      const emptied = await put(app.id, { [field]: '' });
      expect([emptied.status, emptied.body[field]], field).toEqual([200, null]);
      const read = await api.op('get_application_sign_in_experience', { id: app.id });
      expect(read.body[field], field).toBeNull();
    }
  });

  it('accepts {} on first creation and answers it with 422 entity.invalid_input once one exists', async () => {
    const app = m2mApp();
    expect((await put(app.id, {})).status).toBe(201);
    expect(statusAndCode(await put(app.id, {}))).toEqual([422, 'entity.invalid_input']);
  });
});

describe('Access control', () => {
  it('answers an organization rule with empty organizationRoleIds with 422 request.invalid_input', async () => {
    const app = m2mApp();
    const organization = emulator.seed.organization({ name: 'acme' });
    const response = await api.op(
      'replace_application_access_control',
      { id: app.id },
      {
        body: {
          userIds: [],
          userRoleIds: [],
          organizationIds: [],
          organizationRoleRules: [{ organizationId: organization.id, organizationRoleIds: [] }],
        },
      },
    );
    expect(statusAndCode(response)).toEqual([422, 'request.invalid_input']);
  });

  it('stores duplicate ids once', async () => {
    const app = m2mApp();
    const user = emulator.seed.user();
    const organization = emulator.seed.organization({ name: 'acme' });
    const role = emulator.seed.organizationRole({ name: 'viewer' });
    const response = await api.op(
      'replace_application_access_control',
      { id: app.id },
      {
        body: {
          userIds: [user.id, user.id],
          userRoleIds: [],
          organizationIds: [organization.id, organization.id],
          organizationRoleRules: [
            { organizationId: organization.id, organizationRoleIds: [role.id, role.id] },
          ],
        },
      },
    );
    const expected = {
      userIds: [user.id],
      userRoleIds: [],
      organizationIds: [organization.id],
      organizationRoleRules: [{ organizationId: organization.id, organizationRoleIds: [role.id] }],
    };
    expect([response.status, response.body]).toEqual([200, expected]);
    expect((await api.op('get_application_access_control', { id: app.id })).body).toEqual(expected);
  });

  it('answers unknown ids with 404 and a MachineToMachine user role with 422', async () => {
    const app = m2mApp();
    const body = { userIds: [], userRoleIds: [], organizationIds: [], organizationRoleRules: [] };
    const unknown = await api.op(
      'replace_application_access_control',
      { id: app.id },
      { body: { ...body, userIds: ['nobody'] } },
    );
    expect(statusAndCode(unknown)).toEqual([404, 'entity.relation_foreign_key_not_found']);
    const m2mRole = emulator.seed.role({ name: 'machines' });
    const unfit = await api.op(
      'replace_application_access_control',
      { id: app.id },
      { body: { ...body, userRoleIds: [m2mRole.id] } },
    );
    expect(statusAndCode(unfit)).toEqual([422, 'entity.db_constraint_violated']);
  });
});

describe('Protected apps: custom domains', () => {
  it('answers a non-Protected app with 422 application.protected_application_only before checking the body', async () => {
    const app = m2mApp();
    const response = await api.op(
      'create_application_protected_app_metadata_custom_domain',
      { id: app.id },
      { body: { wrong: true } },
    );
    expect(statusAndCode(response)).toEqual([422, 'application.protected_application_only']);
  });

  it('answers a non-Protected app with 422 before the 501 of a server without protected apps', async () => {
    const bare = await startLogtoEmulator();
    try {
      const bareApi = new EmulatorApi(bare);
      const app = bare.seed.application({ name: 'm', type: 'MachineToMachine' });
      const response = await bareApi.op('list_application_protected_app_metadata_custom_domains', {
        id: app.id,
      });
      expect(statusAndCode(response)).toEqual([422, 'application.protected_application_only']);
    } finally {
      await bare.close();
    }
  });
});
