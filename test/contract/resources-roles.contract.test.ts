// Pins the emulator to what a real Logto OSS 1.42 server was seen to do with API resources, their
// scopes and roles: one test per numbered fact (or small group of facts) of
// ../shared/logto/BEHAVIOUR-resources-roles.md, named "fact N" in the test's title. The operator's
// LogtoApiResource and LogtoRole controllers rely on these answers. Two blocks at the end read
// ../shared (the facts file, the OpenAPI document) and are skipped, saying so, without it; the other
// tests drive the emulator alone.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { managementApiAccessRoleName } from '../../src/api/schemas.js';
import { ManualClock } from '../emulator/clock.js';
import { startLogtoEmulator, type LogtoEmulator } from '../emulator/emulator.js';
import { EmulatorApi, type ApiResponse, type Loose, type Query } from '../emulator/harness.js';
import type { ApplicationRecord } from '../emulator/state.js';
import {
  createAjv,
  describeErrors,
  docOperation,
  docResponseSchema,
  loadOpenApi,
  openApiFile,
  sharedDir,
  toJsonSchema,
} from './openapi.js';

let emulator: LogtoEmulator;
let api: EmulatorApi;
const clock = new ManualClock(Date.UTC(2025, 5, 1));

beforeAll(async () => {
  emulator = await startLogtoEmulator({ clock });
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.reset();
  api = new EmulatorApi(emulator);
});

const managementIndicator = 'https://default.logto.app/api';

const get = (route: string, query?: Query) => api.request('GET', route, { query });
const post = (route: string, body?: unknown) => api.request('POST', route, { body });
const patch = (route: string, body?: unknown) => api.request('PATCH', route, { body });
const del = (route: string) => api.request('DELETE', route);
const statusAndCode = (response: ApiResponse) => [response.status, response.body?.code];
const names = (response: ApiResponse): string[] => response.body.map(({ name }: { name: string }) => name);
const ids = (response: ApiResponse): string[] => response.body.map(({ id }: { id: string }) => id);
const total = (response: ApiResponse) => response.headers.get('total-number');

const newResource = async (indicator: string, extra: Record<string, unknown> = {}): Promise<Loose> => {
  const response = await post('/api/resources', { name: 'Resource', indicator, ...extra });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body;
};
const newScope = async (resourceId: string, name: string, description?: string): Promise<Loose> => {
  const response = await post(`/api/resources/${resourceId}/scopes`, { name, description });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body;
};
const newRole = async (body: Record<string, unknown>): Promise<Loose> => {
  const response = await post('/api/roles', { description: 'A role', ...body });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
};
const m2mRole = (name: string, scopeIds?: string[]) =>
  newRole({ name, type: 'MachineToMachine', ...(scopeIds ? { scopeIds } : {}) });
const m2mApp = (name = 'm2m') => emulator.seed.application({ name, type: 'MachineToMachine' });
const assign = (app: ApplicationRecord, roleIds: string[]) =>
  api.op('assign_application_roles', { id: app.id }, { body: { roleIds } });
const builtInRole = () => emulator.seed.roleByName(managementApiAccessRoleName);

/** A client-credentials token request of `app`; `null` leaves the parameter out. */
const tokenOf = (app: ApplicationRecord, resource: string | null, scope: string | null) =>
  api.requestToken({ clientId: app.id, clientSecret: app.secrets[0]?.value ?? '', resource, scope });
const claimsOf = (accessToken: string): Loose =>
  JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8'));

/** A resource with scopes read and write, a MachineToMachine role holding read, an app with the role. */
const grantedApp = async (indicator = 'https://rrp.example/api') => {
  const resource = await newResource(indicator);
  const read = await newScope(resource.id, 'read');
  const write = await newScope(resource.id, 'write');
  const role = await m2mRole('reader', [read.id]);
  const app = m2mApp();
  expect((await assign(app, [role.id])).status).toBe(201);
  return { resource, read, write, role, app };
};

// ../shared/logto/BEHAVIOUR-resources-roles.md, "Shapes" (no number).
describe('Shapes', () => {
  it('seeds the Management API resource, its `all` scope and the built-in role, and answers the documented keys', async () => {
    const resource = await get('/api/resources/management-api');
    expect(resource.body).toEqual({
      tenantId: 'default',
      id: 'management-api',
      name: 'Logto Management API',
      indicator: managementIndicator,
      isDefault: false,
      accessTokenTtl: 3600,
    });
    const scopes = await get('/api/resources/management-api/scopes');
    expect(scopes.body).toEqual([
      {
        tenantId: 'default',
        id: 'management-api-all',
        resourceId: 'management-api',
        name: 'all',
        description: 'Default scope for Management API, allows all permissions.',
        createdAt: expect.any(Number),
      },
    ]);
    const role = builtInRole();
    expect(role.type).toBe('MachineToMachine');
    expect(ids(await get(`/api/roles/${role.id}/scopes`))).toEqual(['management-api-all']);
    const listed = await get('/api/roles', {
      'search.name': managementApiAccessRoleName,
      'mode.name': 'exact',
      isCaseSensitive: 'true',
    });
    expect(Object.keys(listed.body[0]).sort()).toEqual(
      [
        'tenantId',
        'id',
        'name',
        'description',
        'type',
        'isDefault',
        'usersCount',
        'featuredUsers',
        'applicationsCount',
        'featuredApplications',
      ].sort(),
    );
    expect(Object.keys((await get(`/api/roles/${role.id}`)).body).sort()).toEqual(
      ['tenantId', 'id', 'name', 'description', 'type', 'isDefault'].sort(),
    );
  });

  it('drops customData, id, tenantId and a resource description on create: no free-form field', async () => {
    const resource = await newResource('https://free.example/api', {
      id: 'mine',
      tenantId: 'other',
      description: 'owned by the operator',
      customData: { owner: 'x' },
    });
    expect(Object.keys(resource).sort()).toEqual(
      ['tenantId', 'id', 'name', 'indicator', 'isDefault', 'accessTokenTtl', 'scopes'].sort(),
    );
    expect([resource.id, resource.tenantId]).not.toContain('mine');
    const role = await newRole({ name: 'free', customData: { owner: 'x' }, id: 'mine' });
    expect(role).not.toHaveProperty('customData');
    expect(role.id).not.toBe('mine');
  });
});

// ../shared/logto/BEHAVIOUR-resources-roles.md, "Uniqueness": facts 1–4.
describe('Uniqueness', () => {
  it('fact 1: refuses a duplicate indicator (even the Management API one) with 422 resource.resource_identifier_in_use, compared as an exact string', async () => {
    await newResource('https://x/api');
    for (const indicator of ['https://x/api', managementIndicator]) {
      const duplicate = await post('/api/resources', { name: 'again', indicator });
      expect([duplicate.status, duplicate.body]).toEqual([
        422,
        {
          code: 'resource.resource_identifier_in_use',
          message: `The API identifier ${indicator} is already in use`,
        },
      ]);
    }
    await newResource('https://x/api/');
    await newResource('HTTPS://X/api');
  });

  it('fact 2: accepts the same resource name twice, on create and PATCH', async () => {
    const first = await newResource('https://one.example/api', { name: 'Same' });
    const second = await newResource('https://two.example/api', { name: 'Same' });
    const other = await newResource('https://three.example/api', { name: 'Other' });
    expect(second.name).toBe(first.name);
    const renamed = await patch(`/api/resources/${other.id}`, { name: 'Same' });
    expect([renamed.status, renamed.body.name]).toEqual([200, 'Same']);
  });

  it('fact 3: keeps scope names unique per resource, case-sensitively (422 scope.name_exists)', async () => {
    const resource = await newResource('https://scopes.example/api');
    const other = await newResource('https://other.example/api');
    await newScope(resource.id, 'read');
    const duplicate = await post(`/api/resources/${resource.id}/scopes`, { name: 'read' });
    expect([duplicate.status, duplicate.body]).toEqual([
      422,
      { code: 'scope.name_exists', message: 'The scope name read is already in use' },
    ]);
    await newScope(resource.id, 'READ');
    await newScope(other.id, 'read');
  });

  it('fact 4: keeps role names unique per tenant, case-sensitively, whatever the type, built-in roles included (422 role.name_in_use)', async () => {
    await newRole({ name: 'rrp-user' });
    const duplicates = ['rrp-user', managementApiAccessRoleName].flatMap((name) =>
      (['User', 'MachineToMachine'] as const).map((type) => ({ name, type })),
    );
    for (const body of duplicates) {
      const response = await post('/api/roles', { ...body, description: 'd' });
      expect([response.status, response.body], JSON.stringify(body)).toEqual([
        422,
        { code: 'role.name_in_use', message: `This role name ${body.name} is already in use` },
      ]);
    }
    await newRole({ name: 'RRP-USER' });
  });
});

// ../shared/logto/BEHAVIOUR-resources-roles.md, "Pagination and ordering": facts 5–8.
describe('Pagination and ordering', () => {
  it('fact 5: answers page=0, page_size=0 and page_size=101 with 400 guard.invalid_pagination; a page past the end is 200 [] with the total', async () => {
    const resource = await newResource('https://pages.example/api');
    const role = await newRole({ name: 'paged' });
    const lists = [
      '/api/resources',
      '/api/roles',
      `/api/resources/${resource.id}/scopes`,
      `/api/roles/${role.id}/scopes`,
      `/api/roles/${role.id}/applications`,
    ];
    for (const list of lists) {
      for (const query of [{ page: 0 }, { page_size: 0 }, { page_size: 101 }] as Query[]) {
        const response = await get(list, query);
        expect([response.status, response.body], `${list} ${JSON.stringify(query)}`).toEqual([
          400,
          { code: 'guard.invalid_pagination', message: 'The request pagination value is invalid.' },
        ]);
      }
      const past = await get(list, { page: 50, page_size: 100 });
      expect([past.status, past.body], list).toEqual([200, []]);
      expect(total(past), list).toMatch(/^\d+$/);
    }
  });

  it('fact 6: adds a Link header (first, prev, next, last) whose URLs lack the /api prefix', async () => {
    for (let index = 0; index < 14; index += 1) await newRole({ name: `role-${index}` });
    const response = await get('/api/roles', { page: 2, page_size: 5 });
    expect(total(response)).toBe('15');
    const base = `${emulator.endpoint}/roles`;
    expect(response.headers.get('link')).toBe(
      [
        `<${base}?page=1&page_size=5>; rel="first"`,
        `<${base}?page=1&page_size=5>; rel="prev"`,
        `<${base}?page=3&page_size=5>; rel="next"`,
        `<${base}?page=3&page_size=5>; rel="last"`,
      ].join(', '),
    );
    expect(response.headers.get('link')).not.toContain('/api/');
  });

  it('fact 7: lists resources and role scopes whole without paging parameters, and cuts roles, resource scopes and role applications at 20', async () => {
    const resource = await newResource('https://many.example/api');
    const scopes: Array<{ id: string }> = [];
    for (let index = 0; index < 21; index += 1) scopes.push(await newScope(resource.id, `s${index}`));
    const role = await m2mRole(
      'holder',
      scopes.map(({ id }) => id),
    );
    // Optional paging: the whole list, no Total-Number; either parameter turns paging on.
    const roleScopes = await get(`/api/roles/${role.id}/scopes`);
    expect([roleScopes.body.length, total(roleScopes)]).toEqual([21, null]);
    expect(total(await get(`/api/roles/${role.id}/scopes`, { page: 1 }))).toBe('21');
    const resources = await get('/api/resources');
    expect(total(resources)).toBeNull();
    expect(total(await get('/api/resources', { page_size: 10 }))).toBe(String(resources.body.length));
    // Always paged: page 1 of 20 items.
    const resourceScopes = await get(`/api/resources/${resource.id}/scopes`);
    expect([resourceScopes.body.length, total(resourceScopes)]).toEqual([20, '21']);
    for (let index = 0; index < 21; index += 1) await newRole({ name: `r${index}` });
    const roles = await get('/api/roles');
    // 21 created here, the role 'holder' and the built-in role.
    expect([roles.body.length, total(roles)]).toEqual([20, '23']);
    const apps = await get(`/api/roles/${role.id}/applications`);
    expect([apps.status, apps.body, total(apps)]).toEqual([200, [], '0']);
    for (let index = 0; index < 21; index += 1) emulator.seed.assignRole(m2mApp(`app-${index}`).id, role.id);
    const assigned = await get(`/api/roles/${role.id}/applications`);
    expect([assigned.body.length, total(assigned)]).toEqual([20, '21']);
  });

  it('fact 8: guarantees no order (the emulator lists in storage order and moves an updated resource to the end)', async () => {
    const first = await newResource('https://first.example/api', { name: 'first' });
    const second = await newResource('https://second.example/api', { name: 'second' });
    const before = ids(await get('/api/resources'));
    expect(before.indexOf(first.id)).toBeLessThan(before.indexOf(second.id));
    await patch(`/api/resources/${first.id}`, { name: 'first, renamed' });
    const after = ids(await get('/api/resources'));
    expect(after.at(-1)).toBe(first.id);
  });
});

// ../shared/logto/BEHAVIOUR-resources-roles.md, "Resources": facts 9–18.
describe('Resources', () => {
  it('fact 9: creates a resource with 201, a generated id, accessTokenTtl 3600 and scopes: []', async () => {
    const response = await post('/api/resources', {
      name: 'Orders',
      indicator: 'https://orders.example/api',
    });
    expect([response.status, response.body]).toEqual([
      201,
      {
        tenantId: 'default',
        id: expect.stringMatching(/^[a-z0-9]{21}$/),
        name: 'Orders',
        indicator: 'https://orders.example/api',
        isDefault: false,
        accessTokenTtl: 3600,
        scopes: [],
      },
    ]);
  });

  it('fact 10: refuses a missing or empty name or indicator with 400 guard.invalid_input, accepts a blank or very long name', async () => {
    const bodies = [
      { indicator: 'https://a.example/api' },
      { name: 'a' },
      { name: '', indicator: 'https://a.example/api' },
      { name: 'a', indicator: '' },
    ];
    for (const body of bodies) {
      expect(statusAndCode(await post('/api/resources', body)), JSON.stringify(body)).toEqual([
        400,
        'guard.invalid_input',
      ]);
    }
    await newResource('https://blank.example/api', { name: '   ' });
    await newResource('https://long.example/api', { name: 'n'.repeat(3000) });
  });

  it('fact 11: does not validate the indicator; the token endpoint refuses a non-URI and a fragment', async () => {
    const app = m2mApp();
    const cases: Array<[string, string | undefined]> = [
      ['not a uri', 'resource indicator must be an absolute URI'],
      ['https://frag.example/api#frag', 'resource indicator must not contain a fragment component'],
      ['urn:rrp:api', undefined],
    ];
    for (const [indicator, refusal] of cases) {
      await newResource(indicator);
      const token = await tokenOf(app, indicator, null);
      if (refusal === undefined) expect(token.status, indicator).toBe(200);
      else {
        expect([token.status, token.body.error, token.body.error_description], indicator).toEqual([
          400,
          'invalid_target',
          refusal,
        ]);
      }
    }
  });

  it('fact 12: accepts any integer accessTokenTtl (0, -5); 1.5 is 422, 1e20 is 500, a string or null is 400, and none leaves a resource', async () => {
    expect((await newResource('https://zero.example/api', { accessTokenTtl: 0 })).accessTokenTtl).toBe(0);
    expect((await newResource('https://neg.example/api', { accessTokenTtl: -5 })).accessTokenTtl).toBe(-5);
    const count = (await get('/api/resources')).body.length;
    const fraction = await post('/api/resources', {
      name: 'f',
      indicator: 'https://f.example/api',
      accessTokenTtl: 1.5,
    });
    expect([fraction.status, fraction.body]).toEqual([
      422,
      { code: 'entity.invalid_input', message: 'Invalid input. Value list must not be empty.' },
    ]);
    const huge = await post('/api/resources', {
      name: 'h',
      indicator: 'https://h.example/api',
      accessTokenTtl: 1e20,
    });
    expect([huge.status, huge.body.code]).toEqual([500, undefined]);
    for (const accessTokenTtl of ['3600', null]) {
      const response = await post('/api/resources', {
        name: 's',
        indicator: 'https://s.example/api',
        accessTokenTtl,
      });
      expect(statusAndCode(response)).toEqual([400, 'guard.invalid_input']);
    }
    expect((await get('/api/resources')).body.length).toBe(count);
  });

  it('fact 13: drops isDefault from the create body', async () => {
    const resource = await newResource('https://default.example/api', { isDefault: true });
    expect(resource.isDefault).toBe(false);
    expect((await get(`/api/resources/${resource.id}`)).body.isDefault).toBe(false);
  });

  it('fact 14: reads a resource by id (no scopes key); an unknown id is 404 entity.not_exists_with_id', async () => {
    const resource = await newResource('https://read.example/api');
    const { scopes: _, ...withoutScopes } = resource;
    expect([(await get(`/api/resources/${resource.id}`)).body]).toEqual([withoutScopes]);
    const unknown = await get('/api/resources/nope');
    expect([unknown.status, unknown.body]).toEqual([
      404,
      { code: 'entity.not_exists_with_id', message: 'The resources with ID `nope` does not exist.' },
    ]);
  });

  it('fact 15: adds scopes to the list with includeScopes=true|yes|1 only, and ignores search parameters', async () => {
    const resource = await newResource('https://list.example/api');
    const scope = await newScope(resource.id, 'read');
    for (const includeScopes of ['true', 'yes', '1']) {
      const listed = await get('/api/resources', { includeScopes });
      expect(
        listed.body.every((item: object) => 'scopes' in item),
        includeScopes,
      ).toBe(true);
      expect(listed.body.find(({ id }: { id: string }) => id === resource.id).scopes).toEqual([scope]);
    }
    for (const query of [{ includeScopes: 'false' }, {}] as Query[]) {
      const listed = await get('/api/resources', query);
      expect(
        listed.body.some((item: object) => 'scopes' in item),
        JSON.stringify(query),
      ).toBe(false);
    }
    const everything = await get('/api/resources');
    const searched = await get('/api/resources', { 'search.name': 'nothing-matches', 'mode.name': 'exact' });
    expect(ids(searched)).toEqual(ids(everything));
  });

  it('fact 16: patches name and accessTokenTtl only; indicator and isDefault are dropped, nothing left is 422', async () => {
    const resource = await newResource('https://patch.example/api');
    const route = `/api/resources/${resource.id}`;
    const patched = await patch(route, { name: 'New', accessTokenTtl: 7200 });
    expect([patched.status, patched.body]).toEqual([
      200,
      {
        tenantId: 'default',
        id: resource.id,
        name: 'New',
        indicator: 'https://patch.example/api',
        isDefault: false,
        accessTokenTtl: 7200,
      },
    ]);
    const withIndicator = await patch(route, { name: 'Newer', indicator: 'https://moved.example/api' });
    expect([withIndicator.status, withIndicator.body.name, withIndicator.body.indicator]).toEqual([
      200,
      'Newer',
      'https://patch.example/api',
    ]);
    for (const body of [
      { indicator: 'https://moved.example/api' },
      { isDefault: true },
      {},
      { accessTokenTtl: 2.5 },
    ]) {
      expect(statusAndCode(await patch(route, body)), JSON.stringify(body)).toEqual([
        422,
        'entity.invalid_input',
      ]);
    }
    for (const body of [{ name: '' }, { accessTokenTtl: null }]) {
      expect(statusAndCode(await patch(route, body)), JSON.stringify(body)).toEqual([
        400,
        'guard.invalid_input',
      ]);
    }
    expect(statusAndCode(await patch('/api/resources/nope', { name: 'x' }))).toEqual([
      404,
      'entity.not_exists_with_id',
    ]);
    expect((await get(route)).body).toMatchObject({ name: 'Newer', isDefault: false, accessTokenTtl: 7200 });
  });

  it('fact 17: deletes with 204 and cascades: scopes gone, roles keep their other scopes, tokens refused', async () => {
    const { resource, read, app } = await grantedApp();
    const both = await m2mRole('both', ['management-api-all', read.id]);
    expect((await del(`/api/resources/${resource.id}`)).status).toBe(204);
    expect(ids(await get(`/api/roles/${both.id}/scopes`))).toEqual(['management-api-all']);
    expect(statusAndCode(await get(`/api/resources/${resource.id}`))).toEqual([
      404,
      'entity.not_exists_with_id',
    ]);
    const scopes = await get(`/api/resources/${resource.id}/scopes`);
    expect([scopes.status, scopes.body, total(scopes)]).toEqual([200, [], '0']);
    const token = await tokenOf(app, resource.indicator, 'read');
    expect([token.status, token.body.error, token.body.error_description]).toEqual([
      400,
      'invalid_target',
      'resource indicator is missing, or unknown',
    ]);
    expect(statusAndCode(await del(`/api/resources/${resource.id}`))).toEqual([
      404,
      'entity.not_exists_with_id',
    ]);
    expect(statusAndCode(await del('/api/resources/nope'))).toEqual([404, 'entity.not_exists_with_id']);
  });

  it('fact 18: protects the Management API resource and its scopes (400), before looking the scope up', async () => {
    const cannotModify = {
      code: 'resource.cannot_modify_management_api',
      message: 'Cannot modify Logto Management API.',
    };
    const refusals: Array<[() => Promise<ApiResponse>, object]> = [
      [() => patch('/api/resources/management-api', { name: 'Mine' }), cannotModify],
      [
        () => del('/api/resources/management-api'),
        { code: 'resource.cannot_delete_management_api', message: 'Cannot delete Logto Management API.' },
      ],
      [() => post('/api/resources/management-api/scopes', { name: 'extra' }), cannotModify],
      [
        () => patch('/api/resources/management-api/scopes/management-api-all', { name: 'everything' }),
        cannotModify,
      ],
      // Unknown scope ids: the Management API check comes first.
      [() => patch('/api/resources/management-api/scopes/nope', { name: 'everything' }), cannotModify],
      [() => del('/api/resources/management-api/scopes/management-api-all'), cannotModify],
      [() => del('/api/resources/management-api/scopes/nope'), cannotModify],
    ];
    for (const [request, body] of refusals) {
      const response = await request();
      expect([response.status, response.body]).toEqual([400, body]);
    }
    expect(ids(await get('/api/resources/management-api/scopes'))).toEqual(['management-api-all']);
    // Not observed, from the 1.42 source: any https://<one label>.logto.app/api indicator is
    // protected the same way, so a resource created with one can never be changed or deleted.
    const lookalike = await newResource('https://foo.logto.app/api');
    expect(statusAndCode(await patch(`/api/resources/${lookalike.id}`, { name: 'x' }))).toEqual([
      400,
      'resource.cannot_modify_management_api',
    ]);
    expect(statusAndCode(await del(`/api/resources/${lookalike.id}`))).toEqual([
      400,
      'resource.cannot_delete_management_api',
    ]);
  });
});

// ../shared/logto/BEHAVIOUR-resources-roles.md, "PATCH /api/resources/{id}/is-default": facts 19–20.
describe('PATCH /api/resources/{id}/is-default', () => {
  it('fact 19: needs {isDefault: boolean}; true moves the single default, false always succeeds, unknown ids answer two different 404s', async () => {
    const a = await newResource('https://a.example/api');
    const b = await newResource('https://b.example/api');
    for (const body of [{}, { isDefault: 'true' }]) {
      expect(statusAndCode(await patch(`/api/resources/${a.id}/is-default`, body))).toEqual([
        400,
        'guard.invalid_input',
      ]);
    }
    const setA = await patch(`/api/resources/${a.id}/is-default`, { isDefault: true });
    expect([setA.status, setA.body.isDefault]).toEqual([200, true]);
    const setB = await patch(`/api/resources/${b.id}/is-default`, { isDefault: true });
    expect([setB.status, setB.body.isDefault]).toEqual([200, true]);
    expect((await get(`/api/resources/${a.id}`)).body.isDefault).toBe(false);
    const defaults = (await get('/api/resources')).body.filter(
      ({ isDefault }: { isDefault: boolean }) => isDefault,
    );
    expect(defaults.map(({ id }: { id: string }) => id)).toEqual([b.id]);
    const clearA = await patch(`/api/resources/${a.id}/is-default`, { isDefault: false });
    expect([clearA.status, clearA.body.isDefault]).toEqual([200, false]);
    const unknownTrue = await patch('/api/resources/nope/is-default', { isDefault: true });
    expect([unknownTrue.status, unknownTrue.body]).toEqual([
      404,
      { code: 'entity.not_exists', message: 'The resource does not exist.' },
    ]);
    const unknownFalse = await patch('/api/resources/nope/is-default', { isDefault: false });
    expect(statusAndCode(unknownFalse)).toEqual([404, 'entity.not_exists_with_id']);
  });

  it('fact 20: a token request without resource gets the default resource, or 400 invalid_target without one', async () => {
    const { resource, app } = await grantedApp();
    await patch(`/api/resources/${resource.id}`, { accessTokenTtl: 7200 });
    const without = await tokenOf(app, null, 'read');
    expect([without.status, without.body.error, without.body.error_description]).toEqual([
      400,
      'invalid_target',
      'both `resource` and `organization_id` are not provided',
    ]);
    await patch(`/api/resources/${resource.id}/is-default`, { isDefault: true });
    const token = await tokenOf(app, null, 'read');
    expect([token.status, token.body.expires_in, token.body.scope]).toEqual([200, 7200, 'read']);
    expect(claimsOf(token.body.access_token).aud).toBe(resource.indicator);
  });
});

// ../shared/logto/BEHAVIOUR-resources-roles.md, "Scopes of a resource": facts 21–24.
describe('Scopes of a resource', () => {
  it('fact 21: creates a scope with 201 (no or empty description: null, unknown keys dropped) and refuses whitespace, bad lengths, duplicates, unknown and Management API resources', async () => {
    const resource = await newResource('https://scopes.example/api');
    const route = `/api/resources/${resource.id}/scopes`;
    const created = await post(route, { name: 'read:all', id: 'mine', resourceId: 'other', createdAt: 1 });
    expect([created.status, created.body]).toEqual([
      201,
      {
        tenantId: 'default',
        id: expect.not.stringMatching(/^mine$/),
        resourceId: resource.id,
        name: 'read:all',
        description: null,
        createdAt: clock.now(),
      },
    ]);
    expect((await newScope(resource.id, 'empty', '')).description).toBeNull();
    expect((await newScope(resource.id, 'x'.repeat(256))).name).toHaveLength(256);
    for (const name of ['with space', 'with\ttab', ' leading']) {
      const response = await post(route, { name });
      expect([response.status, response.body], JSON.stringify(name)).toEqual([
        400,
        { code: 'scope.name_with_space', message: 'The name of the scope cannot contain any spaces.' },
      ]);
    }
    for (const body of [{ name: 'x'.repeat(257) }, { name: '' }, {}]) {
      expect(statusAndCode(await post(route, body))).toEqual([400, 'guard.invalid_input']);
    }
    expect(statusAndCode(await post(route, { name: 'read:all' }))).toEqual([422, 'scope.name_exists']);
    const unknown = await post('/api/resources/nope/scopes', { name: 'read' });
    expect([unknown.status, unknown.body]).toEqual([
      404,
      { code: 'entity.not_exists_with_id', message: 'The resources with ID `nope` does not exist.' },
    ]);
    expect(statusAndCode(await post('/api/resources/management-api/scopes', { name: 'more' }))).toEqual([
      400,
      'resource.cannot_modify_management_api',
    ]);
    expect(statusAndCode(await post('/api/resources/management-api/scopes', { name: 'a b' }))).toEqual([
      400,
      'scope.name_with_space',
    ]);
  });

  it('fact 22: lists an unknown resource as 200 [] with Total-Number 0; exact search is case-insensitive unless isCaseSensitive=true; `search` matches names', async () => {
    const unknown = await get('/api/resources/nope/scopes');
    expect([unknown.status, unknown.body, total(unknown)]).toEqual([200, [], '0']);
    const resource = await newResource('https://search.example/api');
    await newScope(resource.id, 'read');
    await newScope(resource.id, 'READ');
    await newScope(resource.id, 'write');
    const route = `/api/resources/${resource.id}/scopes`;
    const exact = await get(route, { 'search.name': 'read', 'mode.name': 'exact' });
    expect(names(exact).sort()).toEqual(['READ', 'read']);
    const caseSensitive = await get(route, {
      'search.name': 'read',
      'mode.name': 'exact',
      isCaseSensitive: 'true',
    });
    expect([names(caseSensitive), total(caseSensitive)]).toEqual([['read'], '1']);
    expect(names(await get(route, { search: '%rea%' })).sort()).toEqual(['READ', 'read']);
  });

  it('fact 23: patches a scope (null or empty description: null) and checks the name against the resource of the path, not the scope’s own', async () => {
    const a = await newResource('https://a.example/api');
    const b = await newResource('https://b.example/api');
    const read = await newScope(a.id, 'read', 'Reads');
    await newScope(a.id, 'write');
    const route = `/api/resources/${a.id}/scopes/${read.id}`;
    for (const description of [null, '']) {
      const response = await patch(route, { description });
      expect([response.status, response.body.description]).toEqual([200, null]);
    }
    const same = await patch(route, { name: 'read', description: 'Reads again' });
    expect([same.status, same.body]).toEqual([200, { ...read, description: 'Reads again' }]);
    expect(statusAndCode(await patch(route, { name: 'write' }))).toEqual([422, 'scope.name_exists']);
    expect(statusAndCode(await patch(route, { name: 're ad' }))).toEqual([400, 'scope.name_with_space']);
    for (const body of [{}, { resourceId: b.id }]) {
      expect(statusAndCode(await patch(route, body)), JSON.stringify(body)).toEqual([
        422,
        'entity.invalid_input',
      ]);
    }
    const unknownScope = await patch(`/api/resources/${a.id}/scopes/nope`, { name: 'x' });
    expect([unknownScope.status, unknownScope.body]).toEqual([
      404,
      { code: 'entity.not_exists', message: 'The scope does not exist.' },
    ]);
    expect(statusAndCode(await patch(`/api/resources/nope/scopes/${read.id}`, { name: 'x' }))).toEqual([
      404,
      'entity.not_exists_with_id',
    ]);
    // B's scope through A's path: changed, still B's; the name is checked against A's scopes.
    const bScope = await newScope(b.id, 'list');
    const crossed = await patch(`/api/resources/${a.id}/scopes/${bScope.id}`, { name: 'enumerate' });
    expect([crossed.status, crossed.body.name, crossed.body.resourceId]).toEqual([200, 'enumerate', b.id]);
    expect(
      statusAndCode(await patch(`/api/resources/${a.id}/scopes/${bScope.id}`, { name: 'write' })),
    ).toEqual([422, 'scope.name_exists']);
    // So a name taken in B only is not refused (a consequence of the observed check).
    await newScope(b.id, 'taken-in-b');
    const takenInB = await patch(`/api/resources/${a.id}/scopes/${bScope.id}`, { name: 'taken-in-b' });
    expect([takenInB.status, names(await get(`/api/resources/${b.id}/scopes`)).sort()]).toEqual([
      200,
      ['taken-in-b', 'taken-in-b'],
    ]);
  });

  it('fact 24: deletes a scope with 204 whatever resource the path names, removes it from roles; unknown scope 404 entity.not_found, unknown resource 404 entity.not_exists_with_id', async () => {
    const { resource, read, role, app } = await grantedApp();
    const other = await newResource('https://other.example/api');
    expect((await tokenOf(app, resource.indicator, 'read')).body.scope).toBe('read');
    expect((await del(`/api/resources/${other.id}/scopes/${read.id}`)).status).toBe(204);
    expect(ids(await get(`/api/roles/${role.id}/scopes`))).toEqual([]);
    expect(names(await get(`/api/resources/${resource.id}/scopes`))).toEqual(['write']);
    expect((await tokenOf(app, resource.indicator, 'read')).body.scope).toBeUndefined();
    const again = await del(`/api/resources/${resource.id}/scopes/${read.id}`);
    expect([again.status, again.body]).toEqual([
      404,
      { code: 'entity.not_found', message: 'The resource does not exist.' },
    ]);
    expect(statusAndCode(await del(`/api/resources/nope/scopes/${read.id}`))).toEqual([
      404,
      'entity.not_exists_with_id',
    ]);
  });
});

// ../shared/logto/BEHAVIOUR-resources-roles.md, "Roles": facts 25–31.
describe('Roles', () => {
  it('fact 25: creates a role with 200 (type User by default) and validates name, description and type', async () => {
    const created = await post('/api/roles', {
      name: 'people',
      description: 'People',
      id: 'mine',
      customData: { a: 1 },
      tenantId: 'other',
    });
    expect([created.status, created.body]).toEqual([
      200,
      {
        tenantId: 'default',
        id: expect.not.stringMatching(/^mine$/),
        name: 'people',
        description: 'People',
        type: 'User',
        isDefault: false,
      },
    ]);
    const invalid = [
      { description: 'd' },
      { name: 'n' },
      { name: '', description: 'd' },
      { name: 'n', description: '' },
      { name: 'n'.repeat(129), description: 'd' },
      { name: 'n', description: 'd'.repeat(129) },
    ];
    for (const body of invalid) {
      expect(statusAndCode(await post('/api/roles', body)), JSON.stringify(body)).toEqual([
        400,
        'guard.invalid_input',
      ]);
    }
    const bogus = await post('/api/roles', { name: 'n', description: 'd', type: 'Bogus' });
    expect(statusAndCode(bogus)).toEqual([400, 'guard.invalid_input']);
    expect(bogus.body.data.issues[0]).toMatchObject({ code: 'invalid_enum_value', path: ['type'] });
    await newRole({ name: '   ', description: '   ' });
    expect((await newRole({ name: 'default user', isDefault: true })).isDefault).toBe(true);
    expect(
      (await newRole({ name: 'default m2m', type: 'MachineToMachine', isDefault: true })).isDefault,
    ).toBe(true);
    expect(statusAndCode(await post('/api/roles', { name: 'people', description: 'd' }))).toEqual([
      422,
      'role.name_in_use',
    ]);
  });

  it('fact 26: inserts the role before linking scopeIds: a scope failure answers an error and leaves the role', async () => {
    const resource = await newResource('https://roles.example/api');
    const read = await newScope(resource.id, 'read');
    const exists = async (name: string) =>
      ids(await get('/api/roles', { 'search.name': name, 'mode.name': 'exact', isCaseSensitive: 'true' }));
    const failures: Array<[string, Record<string, unknown>, number, Record<string, unknown> | undefined]> = [
      [
        'unknown scope',
        { type: 'MachineToMachine', scopeIds: [read.id, 'nope'] },
        404,
        { code: 'entity.not_exists_with_id', message: 'The scopes with ID `nope` does not exist.' },
      ],
      [
        'empty scopeIds',
        { type: 'MachineToMachine', scopeIds: [] },
        422,
        { code: 'entity.invalid_input', message: 'Invalid input. Value list must not be empty.' },
      ],
      ['same id twice', { type: 'MachineToMachine', scopeIds: [read.id, read.id] }, 500, undefined],
      [
        'Management API scope on a User role',
        { type: 'User', scopeIds: ['management-api-all'] },
        400,
        { code: 'role.management_api_scopes_not_assignable_to_user_role' },
      ],
    ];
    for (const [name, body, status, error] of failures) {
      const response = await post('/api/roles', { name, description: 'd', ...body });
      expect(response.status, name).toBe(status);
      if (error) expect(response.body, name).toMatchObject(error);
      else expect(response.body.code, name).toBeUndefined();
      const [id] = await exists(name);
      expect(id, `${name}: the role remains`).toBeDefined();
      expect((await get(`/api/roles/${id}/scopes`)).body, name).toEqual([]);
      const retry = await post('/api/roles', { name, description: 'd' });
      expect(statusAndCode(retry), name).toEqual([422, 'role.name_in_use']);
    }
    const many = [];
    for (let index = 0; index < 21; index += 1) many.push((await newScope(resource.id, `s${index}`)).id);
    const linked = await m2mRole('many', many);
    expect((await get(`/api/roles/${linked.id}/scopes`)).body).toHaveLength(21);
  });

  it('fact 27: accepts #internal: names, reads and deletes them by id, and never lists them', async () => {
    const hidden = await newRole({ name: '#internal:hidden' });
    for (const query of [
      {},
      { 'search.name': '#internal:hidden', 'mode.name': 'exact', isCaseSensitive: 'true' },
    ] as Query[]) {
      expect(ids(await get('/api/roles', query))).not.toContain(hidden.id);
    }
    expect((await get(`/api/roles/${hidden.id}`)).body).toEqual(hidden);
    expect((await del(`/api/roles/${hidden.id}`)).status).toBe(204);
  });

  it('fact 28: reads a role by id; an unknown id is 404 entity.not_exists_with_id', async () => {
    const role = await newRole({ name: 'read me' });
    expect((await get(`/api/roles/${role.id}`)).body).toEqual(role);
    const unknown = await get('/api/roles/nope');
    expect([unknown.status, unknown.body]).toEqual([
      404,
      { code: 'entity.not_exists_with_id', message: 'The roles with ID `nope` does not exist.' },
    ]);
  });

  it('fact 29: filters by type and excludeApplicationId; name search is case-insensitive unless exact and isCaseSensitive', async () => {
    const user = await newRole({ name: 'rrp-user' });
    const upper = await newRole({ name: 'RRP-USER' });
    const machine = await m2mRole('rrp-machine');
    const listNames = async (query: Query) => names(await get('/api/roles', query)).sort();
    expect(await listNames({ type: 'User' })).toEqual(['RRP-USER', 'rrp-user']);
    expect(await listNames({ type: 'MachineToMachine' })).toEqual([
      'Logto Management API access',
      'rrp-machine',
    ]);
    const bogus = await get('/api/roles', { type: 'Bogus' });
    expect([bogus.status, bogus.body.code, bogus.body.message]).toEqual([
      400,
      'guard.invalid_input',
      'The request query is invalid.',
    ]);
    const app = m2mApp();
    await assign(app, [machine.id]);
    expect(await listNames({ type: 'MachineToMachine', excludeApplicationId: app.id })).toEqual([
      'Logto Management API access',
    ]);
    expect(await listNames({ 'search.name': 'rrp-user' })).toEqual(['RRP-USER', 'rrp-user']);
    expect(await listNames({ 'search.name': '%rrp%' })).toEqual(['RRP-USER', 'rrp-machine', 'rrp-user']);
    expect(await listNames({ 'search.name': 'rrp-user', 'mode.name': 'exact' })).toEqual([
      'RRP-USER',
      'rrp-user',
    ]);
    const exact = await get('/api/roles', {
      'search.name': 'rrp-user',
      'mode.name': 'exact',
      isCaseSensitive: 'true',
    });
    expect(ids(exact)).toEqual([user.id]);
    expect(await listNames({ search: '%machine%' })).toEqual(['rrp-machine']);
    expect(await listNames({ search: '%rrp%', type: 'User' })).toEqual(['RRP-USER', 'rrp-user']);
    expect(upper.id).not.toBe(user.id);
  });

  it('fact 30: patches name, description and isDefault; type is dropped, nothing left is 422, the id is checked before the name', async () => {
    const role = await m2mRole('patched');
    await newRole({ name: 'taken' });
    const route = `/api/roles/${role.id}`;
    const patched = await patch(route, { name: 'renamed', description: 'New', isDefault: true });
    expect([patched.status, patched.body]).toEqual([
      200,
      { ...role, name: 'renamed', description: 'New', isDefault: true },
    ]);
    for (const body of [{ type: 'User' }, {}]) {
      expect(statusAndCode(await patch(route, body)), JSON.stringify(body)).toEqual([
        422,
        'entity.invalid_input',
      ]);
    }
    const withType = await patch(route, { type: 'User', description: 'Still a machine role' });
    expect([withType.status, withType.body.type]).toEqual([200, 'MachineToMachine']);
    expect(statusAndCode(await patch(route, { description: '' }))).toEqual([400, 'guard.invalid_input']);
    expect(statusAndCode(await patch(route, { name: 'taken' }))).toEqual([422, 'role.name_in_use']);
    expect((await patch(route, { name: 'renamed' })).status).toBe(200);
    const unknownKeys = await patch(route, { name: 'renamed again', customData: { a: 1 } });
    expect([unknownKeys.status, unknownKeys.body]).toEqual([
      200,
      { ...role, name: 'renamed again', description: 'Still a machine role', isDefault: true },
    ]);
    expect(statusAndCode(await patch('/api/roles/nope', { name: 'taken' }))).toEqual([
      404,
      'entity.not_exists_with_id',
    ]);
  });

  it('fact 31: deletes a role with 204, removing it from its applications and from new tokens', async () => {
    const { resource, role, app } = await grantedApp();
    expect((await tokenOf(app, resource.indicator, 'read')).body.scope).toBe('read');
    expect((await del(`/api/roles/${role.id}`)).status).toBe(204);
    expect((await api.op('list_application_roles', { id: app.id })).body).toEqual([]);
    expect((await tokenOf(app, resource.indicator, 'read')).body.scope).toBeUndefined();
    for (const id of [role.id, 'nope']) {
      expect(statusAndCode(await del(`/api/roles/${id}`))).toEqual([404, 'entity.not_exists_with_id']);
    }
  });
});

// ../shared/logto/BEHAVIOUR-resources-roles.md, "Role scopes": facts 32–34.
describe('Role scopes', () => {
  it('fact 32: links scopes with 201 and answers all of the role’s scopes; any refusal links nothing', async () => {
    const resource = await newResource('https://links.example/api');
    const [a, b, c] = [
      await newScope(resource.id, 'a'),
      await newScope(resource.id, 'b'),
      await newScope(resource.id, 'c'),
    ];
    const role = await m2mRole('linker', [a.id]);
    const route = `/api/roles/${role.id}/scopes`;
    const linked = await post(route, { scopeIds: [b.id] });
    expect([linked.status, linked.body]).toEqual([201, [a, b]]);
    expect(statusAndCode(await post(route, { scopeIds: [] }))).toEqual([400, 'guard.invalid_input']);
    expect(statusAndCode(await post(route, { scopeIds: [c.id, 'nope'] }))).toEqual([
      404,
      'entity.not_exists_with_id',
    ]);
    const already = await post(route, { scopeIds: [c.id, a.id] });
    expect([already.status, already.body]).toEqual([
      422,
      { code: 'role.scope_exists', message: `The scope id ${a.id} has already been added to this role` },
    ]);
    const twice = await post(route, { scopeIds: [c.id, c.id] });
    expect([twice.status, twice.body.code]).toEqual([500, undefined]);
    expect(ids(await get(route))).toEqual([a.id, b.id]);
    const unknownRole = await post('/api/roles/nope/scopes', { scopeIds: [c.id] });
    expect([unknownRole.status, unknownRole.body.message]).toEqual([
      404,
      'The roles with ID `nope` does not exist.',
    ]);
    expect((await post(route, { scopeIds: ['management-api-all'] })).status).toBe(201);
    const userRole = await newRole({ name: 'people' });
    expect(
      statusAndCode(await post(`/api/roles/${userRole.id}/scopes`, { scopeIds: ['management-api-all'] })),
    ).toEqual([400, 'role.management_api_scopes_not_assignable_to_user_role']);
    expect((await post(`/api/roles/${userRole.id}/scopes`, { scopeIds: [c.id] })).status).toBe(201);
  });

  it('fact 33: lists a role’s scopes with their resource, optionally paged and searchable; unknown role 404', async () => {
    const resource = await newResource('https://held.example/api');
    const read = await newScope(resource.id, 'read');
    const upper = await newScope(resource.id, 'READ');
    const role = await m2mRole('holder', [read.id, upper.id]);
    const listed = await get(`/api/roles/${role.id}/scopes`);
    const { scopes: _, ...plainResource } = resource;
    expect([listed.body, total(listed)]).toEqual([
      [
        { ...read, resource: plainResource },
        { ...upper, resource: plainResource },
      ],
      null,
    ]);
    const exact = await get(`/api/roles/${role.id}/scopes`, {
      'search.name': 'read',
      'mode.name': 'exact',
      isCaseSensitive: 'true',
    });
    expect(ids(exact)).toEqual([read.id]);
    expect(statusAndCode(await get('/api/roles/nope/scopes'))).toEqual([404, 'entity.not_exists_with_id']);
  });

  it('fact 34: unlinks with 204; not linked, unknown scope or unknown role is 404 entity.not_found', async () => {
    const resource = await newResource('https://unlink.example/api');
    const read = await newScope(resource.id, 'read');
    const write = await newScope(resource.id, 'write');
    const role = await m2mRole('unlinker', [read.id]);
    expect((await del(`/api/roles/${role.id}/scopes/${read.id}`)).status).toBe(204);
    for (const route of [
      `/api/roles/${role.id}/scopes/${read.id}`,
      `/api/roles/${role.id}/scopes/${write.id}`,
      `/api/roles/${role.id}/scopes/nope`,
      `/api/roles/nope/scopes/${read.id}`,
    ]) {
      const response = await del(route);
      expect([response.status, response.body], route).toEqual([
        404,
        { code: 'entity.not_found', message: 'The resource does not exist.' },
      ]);
    }
  });
});

// ../shared/logto/BEHAVIOUR-resources-roles.md, "Role ↔ application": facts 35–39.
describe('Role ↔ application', () => {
  it('fact 35: assigns apps with 201 text/plain "Created"; refuses [], unknown ids, apps that have the role, duplicates and User roles', async () => {
    const role = await m2mRole('assigned');
    const [first, second] = [m2mApp('first'), m2mApp('second')];
    const route = `/api/roles/${role.id}/applications`;
    const created = await post(route, { applicationIds: [first.id] });
    expect([created.status, created.headers.get('content-type'), created.body]).toEqual([
      201,
      expect.stringMatching(/^text\/plain/),
      'Created',
    ]);
    expect(statusAndCode(await post(route, { applicationIds: [] }))).toEqual([400, 'guard.invalid_input']);
    const unknownRole = await post('/api/roles/nope/applications', { applicationIds: [second.id] });
    expect([unknownRole.status, unknownRole.body.message]).toEqual([
      404,
      'The roles with ID `nope` does not exist.',
    ]);
    const unknownApp = await post(route, { applicationIds: ['nope'] });
    expect([unknownApp.status, unknownApp.body.message]).toEqual([
      404,
      'The applications with ID `nope` does not exist.',
    ]);
    const again = await post(route, { applicationIds: [second.id, first.id] });
    expect([again.status, again.body]).toEqual([
      422,
      {
        code: 'role.application_exists',
        message: 'The application id {{applicationId}} is already been added to this role',
      },
    ]);
    const twice = await post(route, { applicationIds: [second.id, second.id] });
    expect([twice.status, twice.body.code]).toEqual([500, undefined]);
    expect(ids(await get(route))).toEqual([first.id]);
    const userRole = await newRole({ name: 'people' });
    expect(
      statusAndCode(await post(`/api/roles/${userRole.id}/applications`, { applicationIds: [second.id] })),
    ).toEqual([422, 'entity.db_constraint_violated']);
  });

  it('fact 36: assigns a role to an SPA without checking its type; the role lists hide or count it differently', async () => {
    const role = await m2mRole('spa role');
    const spa = emulator.seed.application({
      name: 'spa',
      type: 'SPA',
      oidcClientMetadata: { redirectUris: ['https://spa.example/callback'], postLogoutRedirectUris: [] },
    });
    expect((await post(`/api/roles/${role.id}/applications`, { applicationIds: [spa.id] })).status).toBe(201);
    const listed = await get(`/api/roles/${role.id}/applications`);
    expect([listed.body, total(listed)]).toEqual([[], '0']);
    const [item] = (await get('/api/roles', { 'search.name': 'spa role', 'mode.name': 'exact' })).body;
    expect(item).toMatchObject({
      applicationsCount: 1,
      featuredApplications: [{ id: spa.id, name: 'spa', type: 'SPA' }],
    });
    expect(statusAndCode(await api.op('list_application_roles', { id: spa.id }))).toEqual([
      422,
      'application.invalid_type',
    ]);
    expect((await del(`/api/roles/${role.id}/applications/${spa.id}`)).status).toBe(204);
    expect(emulator.state.applications.get(spa.id)?.roleIds.has(role.id)).toBe(false);
  });

  it('fact 37: lists a role’s machine-to-machine apps as application objects without secret or isAdmin', async () => {
    const role = await m2mRole('listed');
    const legacy = emulator.seed.application({
      name: 'legacy',
      type: 'MachineToMachine',
      legacySecret: true,
      isAdmin: true,
    });
    emulator.seed.assignRole(legacy.id, role.id);
    const listed = await get(`/api/roles/${role.id}/applications`);
    expect(total(listed)).toBe('1');
    expect(Object.keys(listed.body[0]).sort()).toEqual(
      [
        'tenantId',
        'id',
        'name',
        'description',
        'type',
        'oidcClientMetadata',
        'customClientMetadata',
        'protectedAppMetadata',
        'customData',
        'isThirdParty',
        'appLevelAccessControlEnabled',
        'createdAt',
      ].sort(),
    );
    expect(listed.body[0]).toMatchObject({ id: legacy.id, type: 'MachineToMachine' });
    expect(statusAndCode(await get('/api/roles/nope/applications'))).toEqual([
      404,
      'entity.not_exists_with_id',
    ]);
  });

  it('fact 38: removes an app with 204; not assigned or unknown role is 404 entity.not_found', async () => {
    const role = await m2mRole('removed');
    const app = m2mApp();
    emulator.seed.assignRole(app.id, role.id);
    expect((await del(`/api/roles/${role.id}/applications/${app.id}`)).status).toBe(204);
    for (const route of [
      `/api/roles/${role.id}/applications/${app.id}`,
      `/api/roles/nope/applications/${app.id}`,
    ]) {
      const response = await del(route);
      expect([response.status, response.body], route).toEqual([
        404,
        { code: 'entity.not_found', message: 'The resource does not exist.' },
      ]);
    }
  });

  it('fact 39: shares one relation between /api/applications/{id}/roles and /api/roles/{id}/applications', async () => {
    const [viaApp, viaRole] = [await m2mRole('via app'), await m2mRole('via role')];
    const app = m2mApp();
    const added = await assign(app, [viaApp.id]);
    expect([added.status, added.body]).toEqual([201, { roleIds: [viaApp.id], addedRoleIds: [viaApp.id] }]);
    expect(ids(await get(`/api/roles/${viaApp.id}/applications`))).toEqual([app.id]);
    expect((await post(`/api/roles/${viaRole.id}/applications`, { applicationIds: [app.id] })).status).toBe(
      201,
    );
    expect(ids(await api.op('list_application_roles', { id: app.id })).sort()).toEqual(
      [viaApp.id, viaRole.id].sort(),
    );
  });
});

// ../shared/logto/BEHAVIOUR-resources-roles.md, "Token effects": facts 40–43.
describe('Token effects (client_credentials)', () => {
  it('fact 40: grants the requested names ∩ the resource’s scopes the app holds; none requested or none held: 200 without scope', async () => {
    const { resource, app } = await grantedApp();
    const cases: Array<[string | null, string | undefined]> = [
      ['read nonexistent', 'read'],
      ['read write', 'read'],
      ['write', undefined],
      ['all', undefined],
      [null, undefined],
    ];
    for (const [scope, granted] of cases) {
      const token = await tokenOf(app, resource.indicator, scope);
      expect([token.status, token.body.scope], String(scope)).toEqual([200, granted]);
      expect('scope' in token.body, String(scope)).toBe(granted !== undefined);
      expect(claimsOf(token.body.access_token).scope, String(scope)).toBe(granted);
    }
    const roleless = await tokenOf(m2mApp('roleless'), resource.indicator, 'read');
    expect([roleless.status, roleless.body.scope]).toEqual([200, undefined]);
  });

  it('fact 41: a custom MachineToMachine role holding management-api-all gives Management API access until it is removed', async () => {
    const role = await m2mRole('custom admin', ['management-api-all']);
    const app = m2mApp();
    await assign(app, [role.id]);
    const token = await tokenOf(app, managementIndicator, 'all');
    expect(token.body.scope).toBe('all');
    expect((await api.op('list_applications', {}, { token: token.body.access_token })).status).toBe(200);
    expect((await api.op('delete_application_role', { id: app.id, roleId: role.id })).status).toBe(204);
    expect((await tokenOf(app, managementIndicator, 'all')).body.scope).toBeUndefined();
  });

  it('fact 42: sets aud to the stored indicator and expires_in to accessTokenTtl (0 gives 600, a negative TTL is kept)', async () => {
    const app = m2mApp();
    const cases: Array<[string, number, number]> = [
      ['HTTPS://Case.example/api', 7200, 7200],
      ['https://short.example/api', 600, 600],
      ['https://zero.example/api', 0, 600],
      ['https://negative.example/api', -5, -5],
      [managementIndicator, 3600, 3600],
    ];
    for (const [indicator, accessTokenTtl, expiresIn] of cases) {
      if (indicator !== managementIndicator) await newResource(indicator, { accessTokenTtl });
      const token = await tokenOf(app, indicator, null);
      expect([token.status, token.body.expires_in], indicator).toEqual([200, expiresIn]);
      const claims = claimsOf(token.body.access_token);
      expect([claims.aud, claims.exp - claims.iat], indicator).toEqual([indicator, expiresIn]);
    }
  });

  it('fact 43: every change shows in the next token request', async () => {
    const { resource, read, write, role, app } = await grantedApp();
    const scopeNow = async () => {
      const token = await tokenOf(app, resource.indicator, 'read write');
      return token.status === 200 ? (token.body.scope ?? '') : `${token.status} ${token.body.error}`;
    };
    expect(await scopeNow()).toBe('read');
    // Unlinking a role scope.
    expect((await del(`/api/roles/${role.id}/scopes/${read.id}`)).status).toBe(204);
    expect(await scopeNow()).toBe('');
    // Assigning a role.
    const writer = await m2mRole('writer', [write.id]);
    expect(await scopeNow()).toBe('');
    expect((await assign(app, [writer.id])).status).toBe(201);
    expect(await scopeNow()).toBe('write');
    // Deleting the scope from its resource.
    expect((await del(`/api/resources/${resource.id}/scopes/${write.id}`)).status).toBe(204);
    expect(await scopeNow()).toBe('');
    // Removing the role from the app.
    expect((await post(`/api/roles/${role.id}/scopes`, { scopeIds: [read.id] })).status).toBe(201);
    expect(await scopeNow()).toBe('read');
    expect((await api.op('delete_application_role', { id: app.id, roleId: role.id })).status).toBe(204);
    expect(await scopeNow()).toBe('');
    // Deleting the role.
    expect((await assign(app, [role.id])).status).toBe(201);
    expect(await scopeNow()).toBe('read');
    expect((await del(`/api/roles/${role.id}`)).status).toBe(204);
    expect(await scopeNow()).toBe('');
    // Deleting the resource.
    expect((await del(`/api/resources/${resource.id}`)).status).toBe(204);
    expect(await scopeNow()).toBe('400 invalid_target');
  });
});

/** One answer of each endpoint, checked against the document's schema (undocumented keys refused). */
const documentedAnswers: Array<[string, string, number, () => Promise<ApiResponse>]> = [
  [
    'POST',
    '/api/resources',
    201,
    () => post('/api/resources', { name: 'D', indicator: 'https://d.example' }),
  ],
  ['GET', '/api/resources', 200, () => get('/api/resources', { includeScopes: 'true', page: 1 })],
  ['GET', '/api/resources/{id}', 200, () => get('/api/resources/management-api')],
  [
    'PATCH',
    '/api/resources/{id}',
    200,
    async () => patch(`/api/resources/${(await newResource('https://p.example')).id}`, { name: 'P' }),
  ],
  [
    'PATCH',
    '/api/resources/{id}/is-default',
    200,
    async () =>
      patch(`/api/resources/${(await newResource('https://p.example')).id}/is-default`, { isDefault: true }),
  ],
  ['GET', '/api/resources/{resourceId}/scopes', 200, () => get('/api/resources/management-api/scopes')],
  [
    'POST',
    '/api/resources/{resourceId}/scopes',
    201,
    async () => post(`/api/resources/${(await newResource('https://s.example')).id}/scopes`, { name: 'r' }),
  ],
  [
    'PATCH',
    '/api/resources/{resourceId}/scopes/{scopeId}',
    200,
    async () => {
      const resource = await newResource('https://s.example');
      const scope = await newScope(resource.id, 'r');
      return patch(`/api/resources/${resource.id}/scopes/${scope.id}`, { description: 'R' });
    },
  ],
  [
    'POST',
    '/api/roles',
    200,
    () => post('/api/roles', { name: 'n', description: 'd', type: 'MachineToMachine' }),
  ],
  ['GET', '/api/roles', 200, () => get('/api/roles')],
  ['GET', '/api/roles/{id}', 200, () => get(`/api/roles/${builtInRole().id}`)],
  [
    'PATCH',
    '/api/roles/{id}',
    200,
    async () => patch(`/api/roles/${(await newRole({ name: 'n' })).id}`, { isDefault: true }),
  ],
  ['GET', '/api/roles/{id}/scopes', 200, () => get(`/api/roles/${builtInRole().id}/scopes`)],
  [
    'POST',
    '/api/roles/{id}/scopes',
    201,
    async () => {
      const resource = await newResource('https://s.example');
      const scope = await newScope(resource.id, 'r');
      return post(`/api/roles/${builtInRole().id}/scopes`, { scopeIds: [scope.id] });
    },
  ],
  [
    'GET',
    '/api/roles/{id}/applications',
    200,
    () => get(`/api/roles/${builtInRole().id}/applications`, { page_size: 100 }),
  ],
];

describe.skipIf(!existsSync(openApiFile))(
  existsSync(openApiFile)
    ? 'answers against the OpenAPI document'
    : `answers against the OpenAPI document: SKIPPED, ${openApiFile} is absent on this machine`,
  () => {
    const ajv = createAjv();
    it.each(documentedAnswers)(
      '%s %s answers %i with a body the document describes',
      async (method, route, status, call) => {
        const response = await call();
        expect(response.status, JSON.stringify(response.body)).toBe(status);
        const doc = loadOpenApi();
        const operation = docOperation(doc, method, route);
        const schema = operation && docResponseSchema(doc, operation, status);
        expect(schema, 'documented').toBeDefined();
        const validate = ajv.compile(toJsonSchema(schema ?? {}, true) as object);
        expect(validate(response.body), describeErrors(validate)).toBe(true);
      },
    );
  },
);

const behaviourFile = path.join(sharedDir, 'logto/BEHAVIOUR-resources-roles.md');
describe.skipIf(!existsSync(behaviourFile))(
  existsSync(behaviourFile)
    ? 'the facts file'
    : `the facts file: SKIPPED, ${behaviourFile} is absent on this machine`,
  () => {
    it('names every numbered fact of BEHAVIOUR-resources-roles.md in a test of this file', () => {
      const facts = [...readFileSync(behaviourFile, 'utf8').matchAll(/^(\d+)\. /gm)].map((m) => Number(m[1]));
      expect(facts.length).toBeGreaterThan(0);
      const source = readFileSync(fileURLToPath(import.meta.url), 'utf8');
      const pinned = new Set([...source.matchAll(/'fact (\d+):/g)].map((m) => Number(m[1])));
      expect(facts.filter((fact) => !pinned.has(fact))).toEqual([]);
    });
  },
);
