// The client-credentials token endpoint and bearer verification of the Management API.
import { randomUUID } from 'node:crypto';

import { ApiError } from './errors.js';
import type { Reply } from './http.js';
import { signJwt, verifyJwt } from './jwt.js';
import type { EmulatorCore, RouteContext } from './routes/context.js';
import type { ApplicationRecord, ResourceRecord, TokenRecord } from './state.js';

/** The Management API scope that grants everything. */
export const managementScope = 'all';

/** Logto's messages for the OIDC errors it passes on (`errors:oidc.<error>`). */
const oidcMessages: Record<string, string> = {
  invalid_request: 'Request is invalid.',
  invalid_client_metadata: 'Invalid client metadata provided.',
  invalid_redirect_uri: "`redirect_uri` did not match any of the client's registered `redirect_uris`.",
  invalid_target: 'Invalid resource indicator.',
  unsupported_grant_type: 'Unsupported `grant_type` requested.',
};

/** A token endpoint error: `{error, error_description, code: 'oidc.<error>', message}` (BEHAVIOUR.md). */
const oauthError = (status: number, error: string, description: string): Reply => ({
  status,
  body: {
    error,
    error_description: description,
    code: `oidc.${error}`,
    message: oidcMessages[error] ?? `An OIDC error occurred: ${error}.`,
  },
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

/** `ok`, `expired` (a secret of the app whose time is over) or `wrong`. `expiresAt` 0 never expires. */
const checkSecret = (app: ApplicationRecord, secret: string, now: number): 'ok' | 'expired' | 'wrong' => {
  if (app.legacySecret !== null && app.legacySecret === secret) return 'ok';
  const match = app.secrets.find(({ value }) => value === secret);
  if (!match) return 'wrong';
  return match.expiresAt && match.expiresAt <= now ? 'expired' : 'ok';
};

/**
 * What the OIDC layer refuses in a client's metadata before it authenticates it (BEHAVIOUR.md,
 * "Authentication"): an SPA without redirect URIs, a custom-scheme redirect URI on a web client.
 */
const metadataError = (app: ApplicationRecord): Reply | undefined => {
  const { redirectUris, postLogoutRedirectUris } = app.oidcClientMetadata;
  if (app.type === 'SPA' && redirectUris.length === 0) {
    return oauthError(400, 'invalid_redirect_uri', 'redirect_uris is mandatory property');
  }
  const web = app.type === 'SPA' || app.type === 'Traditional';
  if (web && [...redirectUris, ...postLogoutRedirectUris].some((uri) => !/^https?:/i.test(uri))) {
    return oauthError(
      400,
      'invalid_client_metadata',
      'redirect_uris for web clients must be using https or http',
    );
  }
  return undefined;
};

/**
 * The scope names of `resource` the app holds: through its roles, or, for the Management API,
 * through `isAdmin` (BEHAVIOUR.md, "Authentication": it grants access without any role).
 */
const grantedScopeNames = (core: EmulatorCore, app: ApplicationRecord, resourceId: string): Set<string> => {
  const granted = core.state.grantedScopeIds(app);
  const names = new Set(
    [...core.state.scopes.values()]
      .filter((scope) => scope.resourceId === resourceId && granted.has(scope.id))
      .map((scope) => scope.name),
  );
  const management = core.state.resourceByIndicator(core.config.resourceIndicator);
  if (app.isAdmin && management?.id === resourceId) names.add(managementScope);
  return names;
};

/** What the token endpoint issues for a resource whose `accessTokenTtl` is 0 (fact 42). */
const zeroTtlFallbackSeconds = 600;

/**
 * The API resource a token is asked for (BEHAVIOUR-resources-roles.md, facts 11, 17, 20): the
 * `resource` parameter must be an absolute URI without fragment and a registered indicator (exact
 * string); without it, the tenant's default resource, if there is one.
 */
const targetResource = (
  core: EmulatorCore,
  indicator: string | null,
): { resource: ResourceRecord } | { error: string } => {
  if (indicator === null) {
    const fallback = core.state.defaultResource();
    return fallback
      ? { resource: fallback }
      : { error: 'both `resource` and `organization_id` are not provided' };
  }
  if (!URL.canParse(indicator)) return { error: 'resource indicator must be an absolute URI' };
  if (indicator.includes('#')) return { error: 'resource indicator must not contain a fragment component' };
  const resource = core.state.resourceByIndicator(indicator);
  return resource ? { resource } : { error: 'resource indicator is missing, or unknown' };
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
  // BEHAVIOUR.md, "Authentication": unknown client 400, then the client's metadata, then its secret.
  if (!app) return oauthError(400, 'invalid_client', 'client is invalid');
  const refusedMetadata = metadataError(app);
  if (refusedMetadata) return refusedMetadata;
  const secret = checkSecret(app, credentials.clientSecret, now);
  if (secret === 'expired') return oauthError(400, 'invalid_request', 'client secret has expired');
  if (secret === 'wrong') return oauthError(401, 'invalid_client', 'client authentication failed');
  // Traditional, SPA and Native clients that authenticate correctly.
  if (app.type !== 'MachineToMachine') {
    return oauthError(400, 'invalid_request', 'requested grant type is not allowed for this client');
  }
  const target = targetResource(core, form.get('resource'));
  if ('error' in target) return oauthError(400, 'invalid_target', target.error);
  const { resource } = target;

  // The requested names ∩ the resource's scopes the app holds; the rest is dropped silently. Without
  // `scope=all`, or without Management API access, or for another API resource, the token is still
  // issued, without Management API scope (BEHAVIOUR-resources-roles.md, facts 40, 41).
  const held = grantedScopeNames(core, app, resource.id);
  const requested = (form.get('scope') ?? '').split(' ').filter(Boolean);
  const scope = requested.filter((name) => held.has(name)).join(' ') || undefined;
  // The resource's TTL; 0 falls back to 600 seconds, a negative one is used as is (fact 42).
  const ttl = resource.accessTokenTtl === 0 ? zeroTtlFallbackSeconds : resource.accessTokenTtl;
  for (const [jti, issued] of core.state.tokens) if (issued.expiresAt <= now) core.state.tokens.delete(jti);
  const record: TokenRecord = {
    jti: randomUUID(),
    clientId: app.id,
    audience: resource.indicator,
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
      aud: resource.indicator,
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

/** The 401 of a token that does not verify: `data` is the jose error (BEHAVIOUR.md, "Errors"). */
const unauthorized = (data: Record<string, string>) =>
  new ApiError(401, 'auth.unauthorized', 'Unauthorized. Please check credentials and its scope.', data);

const joseErrors = {
  malformed: { code: 'ERR_JWS_INVALID', name: 'JWSInvalid' },
  signature: { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED', name: 'JWSSignatureVerificationFailed' },
  expired: { code: 'ERR_JWT_EXPIRED', name: 'JWTExpired', claim: 'exp', reason: 'check_failed' },
  audience: {
    code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
    name: 'JWTClaimValidationFailed',
    claim: 'aud',
    reason: 'check_failed',
  },
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
  const verified = verifyJwt(token, core.signingKey);
  if ('failure' in verified) throw unauthorized(joseErrors[verified.failure]);
  const { jti, aud } = verified.payload;
  const record = typeof jti === 'string' ? core.state.tokens.get(jti) : undefined;
  // A token no longer on record was dropped once it expired.
  if (!record || record.expiresAt <= core.clock.now()) throw unauthorized(joseErrors.expired);
  if (aud !== core.config.resourceIndicator) throw unauthorized(joseErrors.audience);
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
