import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import {
  bearerToken,
  MetricsAuthorizer,
  type MetricsAuthorizerOptions,
  type NonResourceRequest,
  type ReviewClient,
  type ReviewedUser,
} from '../../../src/runtime/metrics-auth.js';

const GET_METRICS: NonResourceRequest = { verb: 'get', path: '/metrics' };
const PROMETHEUS: ReviewedUser = {
  username: 'system:serviceaccount:monitoring:prometheus',
  uid: 'uid-1',
  groups: ['system:serviceaccounts', 'system:authenticated'],
  extra: { 'authentication.kubernetes.io/pod-name': ['prometheus-0'] },
};

/** Reviews as the API server would answer them, counted. */
class FakeReviews implements ReviewClient {
  users = new Map<string, ReviewedUser>();
  allowed = new Set<string>();
  failing: 'authenticate' | 'authorize' | undefined;
  tokenReviews: string[] = [];
  accessReviews: [ReviewedUser, NonResourceRequest][] = [];
  /** Resolves pending reviews (for concurrency tests); undefined answers at once. */
  gate: Promise<void> | undefined;

  async authenticate(token: string): Promise<ReviewedUser | undefined> {
    this.tokenReviews.push(token);
    await this.gate;
    if (this.failing === 'authenticate')
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'x' });
    return this.users.get(token);
  }

  async authorize(user: ReviewedUser, request: NonResourceRequest): Promise<boolean> {
    this.accessReviews.push([user, request]);
    if (this.failing === 'authorize') throw Object.assign(new Error('HTTP 500'), { code: 500 });
    return this.allowed.has(user.username);
  }

  get calls(): number {
    return this.tokenReviews.length + this.accessReviews.length;
  }
}

function setup(options: Partial<MetricsAuthorizerOptions> = {}) {
  const reviews = new FakeReviews();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const clock = { now: 0 };
  const authorizer = new MetricsAuthorizer({
    reviews,
    logger: createLogger({ level: 'debug' }, sink),
    now: () => clock.now,
    ...options,
  });
  const check = (token?: string) =>
    authorizer.check(token === undefined ? undefined : `Bearer ${token}`, GET_METRICS);
  return { reviews, logs, clock, authorizer, check };
}

describe('bearerToken', () => {
  it('takes the token of a Bearer authorization header only', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('bearer  abc')).toBe('abc');
    for (const header of [undefined, '', 'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Bearer a b', 'abc'])
      expect(bearerToken(header), String(header)).toBeUndefined();
  });

  it('refuses tokens no Kubernetes issuer makes: oversized, or with characters outside RFC 6750', () => {
    expect(bearerToken(`Bearer ${'a'.repeat(8192)}`)).toHaveLength(8192);
    expect(bearerToken(`Bearer ${'a'.repeat(8193)}`)).toBeUndefined();
    expect(bearerToken('Bearer abc"def')).toBeUndefined();
    expect(bearerToken('Bearer eyJ.a-b_c.d+e/f==')).toBe('eyJ.a-b_c.d+e/f==');
  });
});

describe('MetricsAuthorizer', () => {
  it('refuses a scrape without a bearer token (401) without asking the API server', async () => {
    const { reviews, authorizer } = setup();
    expect(await authorizer.check(undefined, GET_METRICS)).toEqual({
      status: 401,
      reason: 'a bearer token is required',
    });
    expect(await authorizer.check('Basic dXNlcjpwYXNz', GET_METRICS)).toMatchObject({ status: 401 });
    expect(reviews.calls).toBe(0);
  });

  it('refuses a token the TokenReview does not authenticate (401), and asks no SubjectAccessReview', async () => {
    const { reviews, check } = setup();
    expect(await check('forged')).toEqual({ status: 401, reason: 'the bearer token is not valid' });
    expect(reviews.tokenReviews).toEqual(['forged']);
    expect(reviews.accessReviews).toEqual([]);
  });

  it('refuses an authenticated user without the right (403), reviewing get on /metrics for that user', async () => {
    const { reviews, check } = setup();
    reviews.users.set('token-a', PROMETHEUS);
    expect(await check('token-a')).toEqual({ status: 403, username: PROMETHEUS.username });
    expect(reviews.accessReviews).toEqual([[PROMETHEUS, GET_METRICS]]);
  });

  it('allows an authorized user (200)', async () => {
    const { reviews, check } = setup();
    reviews.users.set('token-a', PROMETHEUS);
    reviews.allowed.add(PROMETHEUS.username);
    expect(await check('token-a')).toEqual({ status: 200, username: PROMETHEUS.username });
    expect(reviews.calls).toBe(2);
  });

  it('answers 503 when a review fails, and remembers nothing of it', async () => {
    const { reviews, check, logs } = setup();
    reviews.users.set('token-a', PROMETHEUS);
    reviews.allowed.add(PROMETHEUS.username);
    reviews.failing = 'authenticate';
    expect(await check('token-a')).toEqual({ status: 503 });
    reviews.failing = 'authorize';
    expect(await check('token-a')).toEqual({ status: 503 });
    reviews.failing = undefined;
    expect(await check('token-a')).toMatchObject({ status: 200 });
    expect(reviews.tokenReviews).toHaveLength(3);
    expect(logs.filter((l) => /Review failed/.test(l))).toHaveLength(2);
  });

  it('a scrape every 15 s costs one TokenReview and one SubjectAccessReview a minute', async () => {
    const { reviews, check, clock } = setup();
    reviews.users.set('token-a', PROMETHEUS);
    reviews.allowed.add(PROMETHEUS.username);
    for (clock.now = 0; clock.now < 10 * 60_000; clock.now += 15_000) {
      expect((await check('token-a')).status).toBe(200);
    }
    expect(reviews.tokenReviews).toHaveLength(10);
    expect(reviews.accessReviews).toHaveLength(10);
  });

  it('remembers refusals for a shorter while (10 s) than grants (60 s)', async () => {
    const { reviews, check, clock } = setup();
    reviews.users.set('token-a', PROMETHEUS);
    expect((await check('token-a')).status).toBe(403);
    expect((await check('forged')).status).toBe(401);
    clock.now = 9_999;
    expect((await check('token-a')).status).toBe(403);
    expect((await check('forged')).status).toBe(401);
    expect(reviews.tokenReviews).toHaveLength(2);
    // The role is granted: seen once the refusal has expired.
    reviews.allowed.add(PROMETHEUS.username);
    clock.now = 10_000;
    expect((await check('token-a')).status).toBe(200);
    expect((await check('forged')).status).toBe(401);
    expect(reviews.tokenReviews).toHaveLength(4);
    // And revoked: still allowed from the cache until the grant expires.
    reviews.allowed.clear();
    clock.now = 69_999;
    expect((await check('token-a')).status).toBe(200);
    clock.now = 70_000;
    expect((await check('token-a')).status).toBe(403);
  });

  it('shares one review between concurrent scrapes with the same token', async () => {
    const { reviews, check } = setup();
    reviews.users.set('token-a', PROMETHEUS);
    reviews.allowed.add(PROMETHEUS.username);
    let open!: () => void;
    reviews.gate = new Promise((resolve) => (open = resolve));
    const scrapes = Promise.all([check('token-a'), check('token-a'), check('token-a')]);
    open();
    expect((await scrapes).map((d) => d.status)).toEqual([200, 200, 200]);
    expect(reviews.tokenReviews).toEqual(['token-a']);
  });

  it('reviews at most 16 tokens at once and answers 503 to the rest, without reviewing them', async () => {
    const { reviews, check } = setup();
    let open!: () => void;
    reviews.gate = new Promise((resolve) => (open = resolve));
    const flood = Array.from({ length: 20 }, (_, i) => check(`random-${i}`));
    const refused = await Promise.all(flood.slice(16));
    expect(refused.map((d) => d.status)).toEqual([503, 503, 503, 503]);
    open();
    expect((await Promise.all(flood.slice(0, 16))).every((d) => d.status === 401)).toBe(true);
    expect(reviews.tokenReviews).toHaveLength(16);
  });

  it('keeps at most maxEntries tokens, forgetting the oldest first', async () => {
    const { reviews, check, authorizer } = setup({ maxEntries: 3 });
    for (const token of ['t1', 't2', 't3', 't4', 't5']) expect((await check(token)).status).toBe(401);
    expect(authorizer.size).toBe(3);
    expect(reviews.tokenReviews).toHaveLength(5);
    await check('t5');
    await check('t3');
    expect(reviews.tokenReviews).toHaveLength(5);
    await check('t1');
    expect(reviews.tokenReviews).toHaveLength(6);
    expect(authorizer.size).toBe(3);
  });

  it('never logs a token', async () => {
    const { reviews, check, logs } = setup();
    const token = 'eyJhbGciOiJSUzI1NiJ9.secret-payload.signature';
    reviews.users.set(token, PROMETHEUS);
    await check(token);
    reviews.failing = 'authenticate';
    await check('another.secret.token');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.filter((l) => l.includes('secret-payload') || l.includes('another.secret'))).toEqual([]);
  });
});
