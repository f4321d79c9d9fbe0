// The fixed sequence of Management API calls a recording is made of: the Applications operations,
// access control and the token endpoint, on applications and roles it creates and deletes again.
// Only shapes are kept (recording.ts); secrets and ids stay in memory.
import { randomBytes } from 'node:crypto';

import { shapeOf, type RecordedCall, type Recording } from './recording.js';

export interface RecordTarget {
  /** The Logto endpoint (`/oidc/token` and `/api/…` below it). */
  endpoint: string;
  /** A machine-to-machine app with Management API access. */
  clientId: string;
  clientSecret: string;
  /** Default: the OSS indicator `https://default.logto.app/api`. */
  resource?: string;
}

interface Answer {
  status: number;
  // Answers are arbitrary JSON.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

interface CallInit {
  body?: unknown;
  rawBody?: string;
  query?: Record<string, string>;
  /** Default: the recording app's token; `null` sends none. */
  token?: string | null;
}

const defaultResource = 'https://default.logto.app/api';

const readAnswer = async (response: Response): Promise<{ answer: Answer; shape: RecordedCall['shape'] }> => {
  const text = await response.text();
  if (!response.headers.get('content-type')?.includes('application/json')) {
    return { answer: { status: response.status, body: text }, shape: text === '' ? 'empty' : 'text' };
  }
  const body = JSON.parse(text) as unknown;
  return { answer: { status: response.status, body }, shape: shapeOf(body) };
};

class Session {
  readonly calls: RecordedCall[] = [];
  private accessToken: string | null = null;

  constructor(private readonly target: RecordTarget) {}

  get resource() {
    return this.target.resource ?? defaultResource;
  }

  private push(step: string, method: string, path: string, answer: Answer, shape: RecordedCall['shape']) {
    const code = (answer.body as { code?: unknown } | null)?.code;
    this.calls.push({
      step,
      method,
      path,
      status: answer.status,
      ...(typeof code === 'string' ? { code } : {}),
      shape,
    });
  }

  async token(
    step: string,
    {
      clientId = this.target.clientId,
      clientSecret = this.target.clientSecret,
      resource = this.resource as string | null,
    } = {},
  ): Promise<Answer> {
    const form = new URLSearchParams({ grant_type: 'client_credentials', scope: 'all' });
    if (resource !== null) form.set('resource', resource);
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString(
      'base64',
    );
    const response = await fetch(`${this.target.endpoint}/oidc/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${basic}` },
      body: form.toString(),
    });
    const { answer, shape } = await readAnswer(response);
    this.push(step, 'POST', '/oidc/token', answer, shape);
    return answer;
  }

  async signIn(): Promise<void> {
    const answer = await this.token('token.operator');
    if (answer.status !== 200) throw new Error(`The recording app got no token (status ${answer.status}).`);
    this.accessToken = (answer.body as { access_token: string }).access_token;
  }

  /** Calls `template` with its `{name}` placeholders filled from `params`. */
  async call(
    step: string,
    method: string,
    template: string,
    params: Record<string, string> = {},
    init: CallInit = {},
  ): Promise<Answer> {
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
    const query = new URLSearchParams(init.query).toString();
    const token = init.token === undefined ? this.accessToken : init.token;
    const headers: Record<string, string> = {};
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    const body = init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(`${this.target.endpoint}${path}${query ? `?${query}` : ''}`, {
      method,
      headers,
      body,
    });
    const { answer, shape } = await readAnswer(response);
    this.push(step, method, template, answer, shape);
    return answer;
  }
}

const app = '/api/applications/{id}';
const web = { redirectUris: ['https://record.example.com/callback'], postLogoutRedirectUris: [] };

/** Runs the sequence against `target` and returns what it answered. */
export const recordLogto = async (target: RecordTarget): Promise<Recording> => {
  const s = new Session(target);
  const run = randomBytes(6).toString('hex');
  const name = `logto-recording-${run}`;
  const ids: Record<string, string> = {};
  const roles: Record<string, string> = {};
  const created = async (step: string, key: string, body: Record<string, unknown>) => {
    const answer = await s.call(step, 'POST', '/api/applications', {}, { body: { name, ...body } });
    if (answer.status === 200) ids[key] = (answer.body as { id: string }).id;
  };
  const secretOf = async (step: string, key: string) => {
    const answer = await s.call(step, 'GET', `${app}/secrets`, { id: ids[key] ?? '' });
    return ((answer.body as Array<{ value: string }>)[0]?.value as string | undefined) ?? '';
  };

  await s.signIn();
  try {
    // Token endpoint: the operator's own credentials going wrong.
    await s.token('token.wrong-secret', { clientSecret: 'wrong-secret' });
    await s.token('token.unknown-client', { clientId: `unknown${run}` });
    await s.token('token.unknown-resource', { resource: 'https://unknown.record.invalid/api' });
    await s.token('token.no-resource', { resource: null });

    // Errors every endpoint shares.
    await s.call('errors.no-token', 'GET', '/api/applications', {}, { token: null });
    await s.call('errors.malformed-token', 'GET', '/api/applications', {}, { token: 'not-a-jwt' });
    await s.call(
      'errors.unsupported-search',
      'GET',
      '/api/applications',
      {},
      { query: { 'search.unknownField': 'x' } },
    );

    // Applications.
    await created('applications.create-m2m', 'm2m', { type: 'MachineToMachine' });
    await created('applications.create-traditional', 'traditional', {
      type: 'Traditional',
      oidcClientMetadata: web,
    });
    await created('applications.create-spa-without-redirects', 'spa', { type: 'SPA' });
    await created('applications.create-native', 'native', {
      type: 'Native',
      oidcClientMetadata: { redirectUris: ['myapp://callback'], postLogoutRedirectUris: [] },
    });
    await created('applications.create-third-party', 'third', {
      type: 'Traditional',
      isThirdParty: true,
      oidcClientMetadata: web,
    });
    await created('applications.create-custom-scheme-traditional', 'customScheme', {
      type: 'Traditional',
      oidcClientMetadata: { redirectUris: ['myapp://callback'], postLogoutRedirectUris: [] },
    });
    await s.call(
      'applications.create-saml',
      'POST',
      '/api/applications',
      {},
      { body: { name, type: 'SAML' } },
    );
    await s.call(
      'applications.create-invalid-name',
      'POST',
      '/api/applications',
      {},
      { body: { name: 42, type: 'SPA' } },
    );
    await s.call(
      'applications.create-device-flow-spa',
      'POST',
      '/api/applications',
      {},
      {
        body: { name, type: 'SPA', customClientMetadata: { isDeviceFlow: true } },
      },
    );
    await s.call(
      'applications.create-refresh-ttl-0',
      'POST',
      '/api/applications',
      {},
      {
        body: { name, type: 'Traditional', customClientMetadata: { refreshTokenTtlInDays: 0 } },
      },
    );
    await s.call(
      'applications.create-third-party-token-exchange',
      'POST',
      '/api/applications',
      {},
      {
        body: {
          name,
          type: 'Traditional',
          isThirdParty: true,
          customClientMetadata: { allowTokenExchange: true },
        },
      },
    );
    const m2m = { id: ids.m2m ?? '' };
    await s.call('applications.get', 'GET', app, m2m);
    await s.call('applications.get-unknown', 'GET', app, { id: `unknown${run}` });
    await s.call(
      'applications.list-by-exact-name',
      'GET',
      '/api/applications',
      {},
      {
        query: {
          'search.name': name,
          'mode.name': 'exact',
          isCaseSensitive: 'true',
          types: 'MachineToMachine',
          page: '1',
          page_size: '5',
        },
      },
    );
    await s.call('applications.patch', 'PATCH', app, m2m, {
      body: { description: 'recorded', customData: { a: 1 } },
    });
    await s.call('applications.custom-data', 'PATCH', `${app}/custom-data`, m2m, { body: { b: 2 } });
    await s.call(
      'applications.custom-data-unknown',
      'PATCH',
      `${app}/custom-data`,
      { id: `unknown${run}` },
      { body: { b: 2 } },
    );
    await s.call('applications.custom-data-not-json', 'PATCH', `${app}/custom-data`, m2m, {
      rawBody: '{not json',
    });

    // Secrets.
    const m2mSecret = await secretOf('secrets.list', 'm2m');
    const day = Date.now() + 86_400_000;
    await s.call('secrets.create', 'POST', `${app}/secrets`, m2m, {
      body: { name: 'recorded', expiresAt: day },
    });
    await s.call('secrets.create-duplicate', 'POST', `${app}/secrets`, m2m, { body: { name: 'recorded' } });
    await s.call('secrets.create-in-the-past', 'POST', `${app}/secrets`, m2m, {
      body: { name: 'past', expiresAt: 1000 },
    });
    await s.call('secrets.create-expires-0', 'POST', `${app}/secrets`, m2m, {
      body: { name: 'zero', expiresAt: 0 },
    });
    await s.call(
      'secrets.rename',
      'PATCH',
      `${app}/secrets/{name}`,
      { ...m2m, name: 'recorded' },
      { body: { name: 'renamed' } },
    );
    await s.call(
      'secrets.rename-unknown',
      'PATCH',
      `${app}/secrets/{name}`,
      { ...m2m, name: 'nope' },
      { body: { name: 'x' } },
    );
    await s.call('secrets.delete', 'DELETE', `${app}/secrets/{name}`, { ...m2m, name: 'renamed' });
    await s.call('secrets.delete-unknown', 'DELETE', `${app}/secrets/{name}`, { ...m2m, name: 'renamed' });
    const spa = { id: ids.spa ?? '' };
    await s.call('secrets.spa-create', 'POST', `${app}/secrets`, spa, { body: { name: 'spa' } });
    await s.call('secrets.spa-list', 'GET', `${app}/secrets`, spa);
    await s.call('secrets.spa-delete', 'DELETE', `${app}/secrets/{name}`, { ...spa, name: 'spa' });

    // Token endpoint for the apps just made.
    await s.token('token.m2m-without-role', { clientId: m2m.id, clientSecret: m2mSecret });
    const traditionalSecret = await secretOf('secrets.list-traditional', 'traditional');
    await s.token('token.traditional', { clientId: ids.traditional ?? '', clientSecret: traditionalSecret });
    await s.token('token.spa-without-redirects', { clientId: spa.id, clientSecret: 'none' });
    const customSecret = await secretOf('secrets.list-custom-scheme', 'customScheme');
    await s.token('token.custom-scheme-traditional', {
      clientId: ids.customScheme ?? '',
      clientSecret: customSecret,
    });

    // isAdmin grants Management API access without a role.
    await s.call('applications.patch-is-admin', 'PATCH', app, m2m, { body: { isAdmin: true } });
    await s.call('roles.list-of-admin', 'GET', `${app}/roles`, m2m);
    const admin = await s.token('token.m2m-is-admin', { clientId: m2m.id, clientSecret: m2mSecret });
    const adminToken = (admin.body as { access_token?: string }).access_token ?? null;
    await s.call('applications.get-with-admin-token', 'GET', app, m2m, { token: adminToken });
    await s.call('applications.patch-is-admin-off', 'PATCH', app, m2m, { body: { isAdmin: false } });

    // Roles of machine-to-machine apps.
    for (const type of ['MachineToMachine', 'User']) {
      const answer = await s.call(
        `roles.create-${type}`,
        'POST',
        '/api/roles',
        {},
        {
          body: { name: `${name}-${type}`, description: 'logto-recording', type },
        },
      );
      if (answer.status === 200) roles[type] = (answer.body as { id: string }).id;
    }
    const roleIds = [roles.MachineToMachine ?? ''];
    await s.call('roles.assign', 'POST', `${app}/roles`, m2m, { body: { roleIds } });
    await s.call('roles.assign-user-role', 'POST', `${app}/roles`, m2m, {
      body: { roleIds: [roles.User ?? ''] },
    });
    await s.call('roles.list', 'GET', `${app}/roles`, m2m);
    await s.call('roles.replace-with-current', 'PUT', `${app}/roles`, m2m, { body: { roleIds } });
    await s.call('roles.replace-with-user-role', 'PUT', `${app}/roles`, m2m, {
      body: { roleIds: [roles.User ?? ''] },
    });
    await s.call('roles.delete-unassigned', 'DELETE', `${app}/roles/{roleId}`, {
      ...m2m,
      roleId: roleIds[0] ?? '',
    });
    await s.call('roles.on-spa', 'GET', `${app}/roles`, spa);

    // User consent of a third-party app.
    const third = { id: ids.third ?? '' };
    await s.call('consent.create', 'POST', `${app}/user-consent-scopes`, third, {
      body: { userScopes: ['profile', 'email'] },
    });
    await s.call('consent.create-trusted-devices', 'POST', `${app}/user-consent-scopes`, third, {
      body: { userScopes: ['urn:logto:scope:trusted_devices'] },
    });
    await s.call('consent.create-on-m2m', 'POST', `${app}/user-consent-scopes`, m2m, {
      body: { userScopes: ['email'] },
    });
    await s.call('consent.list', 'GET', `${app}/user-consent-scopes`, third);
    await s.call('consent.organizations-unknown-user', 'GET', `${app}/users/{userId}/consent-organizations`, {
      ...third,
      userId: `unknown${run}`,
    });

    // Application sign-in experience.
    const sie = `${app}/sign-in-experience`;
    await s.call('sign-in-experience.get-unset', 'GET', sie, m2m);
    await s.call('sign-in-experience.put-empty-first', 'PUT', sie, m2m, { body: {} });
    await s.call('sign-in-experience.put-empty-again', 'PUT', sie, m2m, { body: {} });
    await s.call('sign-in-experience.put-partial', 'PUT', sie, m2m, { body: { displayName: 'Recorded' } });
    await s.call('sign-in-experience.get', 'GET', sie, m2m);

    // Access control.
    const none = { userIds: [], userRoleIds: [], organizationIds: [], organizationRoleRules: [] };
    const access = `${app}/access-control`;
    await s.call('access-control.get', 'GET', access, m2m);
    await s.call('access-control.put-empty', 'PUT', access, m2m, { body: none });
    await s.call('access-control.put-unknown-user', 'PUT', access, m2m, {
      body: { ...none, userIds: [`unknown${run}`] },
    });
    await s.call('access-control.put-m2m-role-as-user-role', 'PUT', access, m2m, {
      body: { ...none, userRoleIds: roleIds },
    });

    // Custom domains are for Protected apps only, checked before the body.
    await s.call('custom-domains.on-m2m', 'POST', `${app}/protected-app-metadata/custom-domains`, m2m, {
      body: {},
    });
  } finally {
    for (const [type, id] of Object.entries(roles))
      await s.call(`cleanup.delete-role-${type}`, 'DELETE', '/api/roles/{id}', { id });
    for (const [key, id] of Object.entries(ids)) await s.call(`cleanup.delete-${key}`, 'DELETE', app, { id });
    await s.call('applications.delete-unknown', 'DELETE', app, { id: `unknown${run}` });
  }
  return { version: 1, calls: s.calls };
};
