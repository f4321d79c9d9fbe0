// The client-credentials token endpoint and bearer verification of the Management API.
import { randomUUID } from 'node:crypto';

import { ApiError } from './errors.js';
import type { Reply } from './http.js';
import { signJwt, verifyJwt } from './jwt.js';
import type { EmulatorCore, RouteContext } from './routes/context.js';
import type { ApplicationRecord, TokenRecord } from './state.js';

/** The Management API scope that grants everything. */
export const managementScope = 'all';

const oauthError = (status: number, error: string, description: string): Reply => ({
  status,
  body: { error, error_description: description },
  headers: { 'Cache-Control': 'no-store' },
});

interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

const decodeFormComponent = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '));

const basicCredentials = (authorization: string | undefined): ClientCredentials | undefined | 'invalid' => {
  const encoded = /^Basic\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (encoded === undefined) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator < 0) return 'invalid';
  try {
    return {
      clientId: decodeFormComponent(decoded.slice(0, separator)),
      clientSecret: decodeFormComponent(decoded.slice(separator + 1)),
    };
  } catch {
    return 'invalid';
  }
};

/** True when `secret` is an unexpired secret, or the legacy secret, of the app. */
const acceptsSecret = (app: ApplicationRecord, secret: string, now: number) =>
  app.secrets.some(({ value, expiresAt }) => value === secret && (expiresAt === null || expiresAt > now)) ||
  (app.legacySecret !== null && app.legacySecret === secret);

/** Whether the app holds the Management API `all` scope through one of its roles. */
const holdsManagementScope = (core: EmulatorCore, app: ApplicationRecord) => {
  const resource = core.state.resourceByIndicator(core.config.resourceIndicator);
  if (!resource) return false;
  const granted = core.state.grantedScopeIds(app);
  return [...core.state.scopes.values()].some(
    (scope) => scope.resourceId === resource.id && scope.name === managementScope && granted.has(scope.id),
  );
};

/** `POST /oidc/token`, client credentials grant only. */
export const tokenEndpoint = ({ core, rawBody, headers }: RouteContext): Reply => {
  if (!/^application\/x-www-form-urlencoded\b/i.test(headers['content-type'] ?? '')) {
    return oauthError(
      400,
      'invalid_request',
      'only application/x-www-form-urlencoded content-type bodies are supported',
    );
  }
  const form = new URLSearchParams(rawBody.toString('utf8'));
  const grantType = form.get('grant_type');
  if (!grantType) return oauthError(400, 'invalid_request', "missing required parameter 'grant_type'");
  if (grantType !== 'client_credentials') {
    return oauthError(400, 'unsupported_grant_type', `unsupported grant_type requested (${grantType})`);
  }

  const basic = basicCredentials(headers.authorization);
  const posted = form.has('client_id') || form.has('client_secret');
  if (basic === 'invalid')
    return oauthError(400, 'invalid_request', 'invalid Authorization header value format');
  if (basic && posted) {
    return oauthError(
      400,
      'invalid_request',
      'client authentication must only be provided using one mechanism',
    );
  }
  const credentials: ClientCredentials | undefined =
    basic ??
    (posted
      ? { clientId: form.get('client_id') ?? '', clientSecret: form.get('client_secret') ?? '' }
      : undefined);
  if (!credentials) return oauthError(400, 'invalid_request', 'no client authentication mechanism provided');

  const now = core.clock.now();
  const app = core.state.applications.get(credentials.clientId);
  if (!app || !acceptsSecret(app, credentials.clientSecret, now)) {
    return oauthError(401, 'invalid_client', 'client authentication failed');
  }
  // Traditional, SPA and Native clients that authenticate correctly (BEHAVIOUR.md, "Authentication").
  if (app.type !== 'MachineToMachine') {
    return oauthError(400, 'invalid_request', 'requested grant type is not allowed for this client');
  }
  const resource = form.get('resource');
  if (resource !== core.config.resourceIndicator) {
    return oauthError(400, 'invalid_target', 'resource indicator is missing, or unknown');
  }

  // Without `scope=all`, or without the role, the token is still issued, with no scope.
  const requested = (form.get('scope') ?? '').split(' ').filter(Boolean);
  const scope =
    requested.includes(managementScope) && holdsManagementScope(core, app) ? managementScope : undefined;
  const ttl = core.config.tokenTtlSeconds;
  for (const [jti, issued] of core.state.tokens) if (issued.expiresAt <= now) core.state.tokens.delete(jti);
  const record: TokenRecord = {
    jti: randomUUID(),
    clientId: app.id,
    scope,
    issuedAt: now,
    expiresAt: now + ttl * 1000,
  };
  core.state.tokens.set(record.jti, record);
  const accessToken = signJwt(
    {
      jti: record.jti,
      sub: app.id,
      client_id: app.id,
      iss: `${core.config.endpoint}/oidc`,
      aud: core.config.resourceIndicator,
      iat: Math.floor(now / 1000),
      exp: Math.floor(now / 1000) + ttl,
      ...(scope ? { scope } : {}),
    },
    core.signingKey,
    'emulator',
  );
  return {
    status: 200,
    body: { access_token: accessToken, expires_in: ttl, token_type: 'Bearer', ...(scope ? { scope } : {}) },
    headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' },
  };
};

/** Checks the bearer token of a Management API request: 401 without a valid one, 403 without scope. */
export const authenticate = (core: EmulatorCore, authorization: string | undefined): TokenRecord => {
  if (!authorization)
    throw new ApiError(401, 'auth.authorization_header_missing', 'Authorization header is missing.');
  const token = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
  if (!token) {
    throw new ApiError(
      401,
      'auth.authorization_token_type_not_supported',
      'Authorization type is not supported.',
    );
  }
  const payload = verifyJwt(token, core.signingKey);
  const record = typeof payload?.jti === 'string' ? core.state.tokens.get(payload.jti) : undefined;
  if (!record || payload?.aud !== core.config.resourceIndicator || record.expiresAt <= core.clock.now()) {
    throw new ApiError(401, 'auth.unauthorized', 'Unauthorized. Please check credentials and its scope.');
  }
  if (record.scope?.split(' ').includes(managementScope) !== true) {
    throw new ApiError(403, 'auth.forbidden', 'Forbidden. Please check your permissions.');
  }
  return record;
};

/** Makes every issued token expired (the next API call with one answers 401). */
export const expireAllTokens = (core: EmulatorCore): void => {
  const now = core.clock.now();
  for (const record of core.state.tokens.values()) record.expiresAt = Math.min(record.expiresAt, now);
};
