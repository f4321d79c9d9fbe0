/**
 * Who may scrape /metrics: controller-runtime's `filters.WithAuthenticationAndAuthorization`. The
 * bearer token of each request is authenticated with a TokenReview, and the user it names is
 * authorized with a SubjectAccessReview (the request's verb on the non-resource URL, e.g. `get` on
 * `/metrics`). Decisions are cached for a short while, keyed by a SHA-256 of the token (never the
 * token itself), so that a scrape every 15 s costs the API server two reviews a minute.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../log.js';
import { describeError } from './errors.js';

/** The user a TokenReview found (`status.user`). */
export interface ReviewedUser {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** What a non-resource request asks for, as in a SubjectAccessReview's `nonResourceAttributes`. */
export interface NonResourceRequest {
  verb: string;
  path: string;
}

/** The two API server reviews. Both throw when the API server gives no answer. */
export interface ReviewClient {
  /** The token's user, or undefined when the token is not authenticated. */
  authenticate(token: string): Promise<ReviewedUser | undefined>;
  /** Whether `user` may make `request`. */
  authorize(user: ReviewedUser, request: NonResourceRequest): Promise<boolean>;
}

export type AuthDecision =
  | { status: 200; username: string }
  | { status: 401; reason: string }
  | { status: 403; username: string }
  /** A review could not be made (API server unreachable, refused the review, timed out). */
  | { status: 503 };

export interface MetricsAuthorizerOptions {
  reviews: ReviewClient;
  logger: Logger;
  /** How long an allowed scrape is remembered; default 60 s. */
  allowedTtlMs?: number;
  /** How long a refused one (401, 403) is remembered; default 10 s. */
  deniedTtlMs?: number;
  /** Tokens remembered at most (oldest forgotten first); default 256. */
  maxEntries?: number;
  now?: () => number;
}

interface CacheEntry {
  decision: AuthDecision;
  expiresAt: number;
}

export const DEFAULT_ALLOWED_TTL_MS = 60_000;
export const DEFAULT_DENIED_TTL_MS = 10_000;
export const DEFAULT_MAX_ENTRIES = 256;

/** The token of an `Authorization: Bearer <token>` header; undefined for anything else. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  const token = match?.[1];
  // RFC 6750's token characters, and no longer than any token Kubernetes issues: anything else is
  // refused without costing the API server a review.
  return token && token.length <= MAX_TOKEN_LENGTH && /^[A-Za-z0-9._~+/-]+=*$/.test(token)
    ? token
    : undefined;
}

/** Longest bearer token reviewed (ServiceAccount tokens are about 1 KB). */
export const MAX_TOKEN_LENGTH = 8192;
/** Reviews in flight at most; scrapes beyond are answered 503 (unreviewed tokens cannot queue up). */
export const MAX_PENDING_REVIEWS = 16;

export class MetricsAuthorizer {
  private readonly reviews: ReviewClient;
  private readonly logger: Logger;
  private readonly allowedTtlMs: number;
  private readonly deniedTtlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  /** By token hash and request; Map order is insertion order, so the first entry is the oldest. */
  private readonly cache = new Map<string, CacheEntry>();
  /** Reviews in progress, so that concurrent scrapes with one token share them. */
  private readonly pending = new Map<string, Promise<AuthDecision>>();

  constructor(options: MetricsAuthorizerOptions) {
    this.reviews = options.reviews;
    this.logger = options.logger;
    this.allowedTtlMs = options.allowedTtlMs ?? DEFAULT_ALLOWED_TTL_MS;
    this.deniedTtlMs = options.deniedTtlMs ?? DEFAULT_DENIED_TTL_MS;
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.now = options.now ?? Date.now;
  }

  /** Decides on a request from its Authorization header. */
  async check(authorization: string | undefined, request: NonResourceRequest): Promise<AuthDecision> {
    const token = bearerToken(authorization);
    if (!token) return { status: 401, reason: 'a bearer token is required' };
    const key = `${createHash('sha256').update(token).digest('hex')} ${request.verb} ${request.path}`;
    const cached = this.cache.get(key);
    if (cached && cached.expiresAt > this.now()) return cached.decision;
    if (cached) this.cache.delete(key);

    let pending = this.pending.get(key);
    if (!pending && this.pending.size >= MAX_PENDING_REVIEWS) {
      this.logger.warn('metrics: too many scrapes under review at once; refused one');
      return { status: 503 };
    }
    if (!pending) {
      pending = this.review(token, request).finally(() => this.pending.delete(key));
      this.pending.set(key, pending);
    }
    const decision = await pending;
    if (decision.status !== 503) this.remember(key, decision);
    return decision;
  }

  /** Tokens currently remembered (tests). */
  get size(): number {
    return this.cache.size;
  }

  private async review(token: string, request: NonResourceRequest): Promise<AuthDecision> {
    let user: ReviewedUser | undefined;
    try {
      user = await this.reviews.authenticate(token);
    } catch (err) {
      this.logger.warn({ err: describeError(err) }, 'metrics: TokenReview failed');
      return { status: 503 };
    }
    if (!user) {
      this.logger.debug('metrics: scrape with an unauthenticated token refused');
      return { status: 401, reason: 'the bearer token is not valid' };
    }
    let allowed: boolean;
    try {
      allowed = await this.reviews.authorize(user, request);
    } catch (err) {
      this.logger.warn(
        { err: describeError(err), user: user.username },
        'metrics: SubjectAccessReview failed',
      );
      return { status: 503 };
    }
    if (!allowed) {
      this.logger.info(
        { user: user.username, verb: request.verb, path: request.path },
        'metrics: scrape refused (not authorized)',
      );
      return { status: 403, username: user.username };
    }
    return { status: 200, username: user.username };
  }

  private remember(key: string, decision: AuthDecision): void {
    const ttl = decision.status === 200 ? this.allowedTtlMs : this.deniedTtlMs;
    if (ttl <= 0) return;
    const now = this.now();
    this.cache.delete(key);
    if (this.cache.size >= this.maxEntries) {
      for (const [k, entry] of this.cache) if (entry.expiresAt <= now) this.cache.delete(k);
      while (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    }
    this.cache.set(key, { decision, expiresAt: now + ttl });
  }
}
