import type { Got } from 'got';
import type { ConnectionHealth } from '../connections/health.js';
import { currentDeadline } from '../util/abort-scope.js';
import { LogtoApiError } from './errors.js';
import {
  exchange,
  exchangeErrorCode,
  exchangeFailure,
  healthRefusal,
  MAX_TOKEN_ANSWER_BYTES,
} from './http.js';
import { parseRetryAfter } from './retry-policy.js';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

export interface TokenProviderOptions {
  /** Logto's base URL, e.g. https://logto.example.com (no trailing /api). */
  endpoint: string;
  /** The Management API resource indicator (OSS: https://default.logto.app/api). */
  resource: string;
  /** Read on every token fetch, so that rotated operator credentials are picked up. */
  credentials: () => Promise<ClientCredentials>;
  http: Got;
  /** Whole-exchange timeout of a token request (default 15 s). */
  requestTimeoutMs?: number;
  /** The connection's breaker: token requests wait with the rest, and count as attempts. */
  health?: ConnectionHealth;
  /** Whether the endpoint's error descriptions may reach conditions (see TransportOptions). */
  trustedText?: boolean;
  now?: () => number;
  /**
   * Fetch a new token this long before the current one expires (capped at half its lifetime). Default:
   * {@link refreshMarginMs} of the token's lifetime.
   */
  refreshBeforeExpiryMs?: number;
}

interface CachedToken {
  value: string;
  refreshAt: number;
}

interface TokenResponse {
  access_token?: unknown;
  expires_in?: unknown;
  scope?: unknown;
  error?: unknown;
  error_description?: unknown;
}

/**
 * Client-credentials access tokens for the Management API: cached, refreshed ahead of expiry, one
 * fetch in flight at a time however many callers wait.
 */
export class ClientCredentialsTokenProvider {
  private cached: CachedToken | undefined;
  private inFlight: Promise<string> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: TokenProviderOptions) {
    this.now = options.now ?? Date.now;
  }

  async getToken(): Promise<string> {
    if (this.cached && this.now() < this.cached.refreshAt) return this.cached.value;
    this.inFlight ??= this.fetchToken().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** Drops `token` if it is the cached one (the API answered 401 to it). */
  invalidate(token: string): void {
    if (this.cached?.value === token) this.cached = undefined;
  }

  /** Drops the cached token whatever it is (the credentials changed): the next call fetches anew. */
  forget(): void {
    this.cached = undefined;
  }

  /** Whether a token has been obtained and is still considered fresh. */
  hasValidToken(): boolean {
    return this.cached !== undefined && this.now() < this.cached.refreshAt;
  }

  private async fetchToken(): Promise<string> {
    const operation = 'fetch_access_token';
    const { health } = this.options;
    const refusal = healthRefusal(operation, health);
    if (refusal) throw refusal;
    const { clientId, clientSecret } = await this.options.credentials();
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString(
      'base64',
    );
    const deadline = currentDeadline();
    const timeoutMs = Math.min(
      this.options.requestTimeoutMs ?? 15_000,
      deadline === undefined ? Infinity : Math.max(deadline - this.now(), 1),
    );
    let response;
    try {
      response = await exchange(
        this.options.http,
        new URL('oidc/token', withSlash(this.options.endpoint)),
        {
          method: 'POST',
          headers: { authorization: `Basic ${basic}` },
          form: { grant_type: 'client_credentials', resource: this.options.resource, scope: 'all' },
        },
        { maxAnswerBytes: MAX_TOKEN_ANSWER_BYTES, timeoutMs },
      );
    } catch (error) {
      const errorCode = exchangeErrorCode(error);
      health?.record({ answered: false, failure: errorCode ?? 'no answer' });
      throw new LogtoApiError({
        operation,
        ...(errorCode === 'ERR_ANSWER_TOO_LARGE' ? { code: 'operator.answer_too_large' } : {}),
        detail: exchangeFailure(error, timeoutMs),
        kind: 'Unavailable',
      });
    }
    const retryAfter = response.headers['retry-after'];
    const retryAfterMs = parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
    health?.record({
      answered: true,
      status: response.statusCode,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
    const body = parseJson(response.body) as TokenResponse;
    if (response.statusCode !== 200) {
      const trusted = this.options.trustedText ?? true;
      const rawCode = typeof body.error === 'string' ? body.error : undefined;
      const code = rawCode && (trusted || /^[a-z_]{1,40}$/.test(rawCode)) ? rawCode : undefined;
      const description = typeof body.error_description === 'string' ? body.error_description : undefined;
      // Our own words for what the refusal says about the credentials; Logto's only when trusted.
      const refusal = credentialRefusal(response.statusCode, code, description, clientId);
      throw new LogtoApiError({
        operation,
        status: response.statusCode,
        ...(code ? { code } : {}),
        detail:
          refusal ??
          (trusted ? description : undefined) ??
          `token request refused (HTTP ${response.statusCode})`,
        ...(refusal ? { kind: 'Unauthorized' as const } : {}),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    }
    if (typeof body.access_token !== 'string' || typeof body.expires_in !== 'number') {
      throw new LogtoApiError({
        operation,
        code: 'operator.unexpected_response',
        detail: 'no access_token/expires_in',
      });
    }
    const scopes = typeof body.scope === 'string' ? body.scope.split(' ') : [];
    if (!scopes.includes('all')) {
      // Logto still issues the token, but every API call would answer 403.
      throw new LogtoApiError({
        operation,
        status: 403,
        code: 'operator.missing_management_scope',
        detail:
          "the token has no 'all' scope: assign the \"Logto Management API access\" role to the operator's " +
          'machine-to-machine application',
      });
    }
    const lifetimeMs = body.expires_in * 1000;
    const margin = Math.min(
      this.options.refreshBeforeExpiryMs ?? refreshMarginMs(lifetimeMs),
      lifetimeMs / 2,
    );
    this.cached = { value: body.access_token, refreshAt: this.now() + lifetimeMs - margin };
    return body.access_token;
  }
}

/**
 * What the token endpoint's refusal says about the operator's own credentials, in words that say
 * which of them to fix; undefined for refusals of anything else (e.g. `invalid_target`, a wrong
 * resource indicator). Logto answers an unknown client id with 400 and a wrong secret with 401, both
 * `invalid_client`; an expired secret and a client type without `client_credentials` with 400
 * `invalid_request`. The description is Logto's own text, which never contains the secret.
 */
export function credentialRefusal(
  status: number,
  error: string | undefined,
  description: string | undefined,
  clientId: string,
): string | undefined {
  if (error === 'invalid_client') {
    return status === 401
      ? `Logto refused the client secret of application ${clientId}: it is wrong`
      : `Logto knows no application with the client id ${clientId}`;
  }
  if (error !== 'invalid_request') return undefined;
  if (/expired/i.test(description ?? '')) {
    return `the client secret of application ${clientId} has expired; create a new secret and update the credentials`;
  }
  if (/grant type/i.test(description ?? '')) {
    return `application ${clientId} may not use client credentials: the operator needs a MachineToMachine application`;
  }
  return undefined;
}

/** Bounds of the default refresh margin: enough for one token request, at most a few minutes. */
const MIN_REFRESH_MARGIN_MS = 1_000;
const MAX_REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * How long before expiry a token is replaced: 10% of its lifetime, within [1 s, 5 min] and never more
 * than half of it. A token then serves nine tenths of its lifetime: about one token request per
 * lifetime, where a fixed minute (or half, for short lifetimes) would make up to two.
 */
export function refreshMarginMs(lifetimeMs: number): number {
  const margin = Math.min(Math.max(lifetimeMs / 10, MIN_REFRESH_MARGIN_MS), MAX_REFRESH_MARGIN_MS);
  return Math.min(margin, lifetimeMs / 2);
}

export function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return {};
  }
}
