import { describe, expect, it } from 'vitest';
import { ClientCredentialsTokenProvider, refreshMarginMs } from '../../src/api/token-provider.js';
import { fakeGot } from '../support/fake-got.js';

/** A token endpoint stand-in counting requests; every token lives `lifetimeSeconds`. */
function provider(lifetimeSeconds: number) {
  const clock = { now: 0 };
  let requests = 0;
  const http = fakeGot(() => {
    requests++;
    return {
      statusCode: 200,
      body: JSON.stringify({ access_token: `t${requests}`, expires_in: lifetimeSeconds, scope: 'all' }),
    };
  });
  const tokens = new ClientCredentialsTokenProvider({
    endpoint: 'http://127.0.0.1:1',
    resource: 'https://default.logto.app/api',
    credentials: async () => ({ clientId: 'id', clientSecret: 'secret' }),
    http,
    now: () => clock.now,
  });
  return { tokens, clock, requests: () => requests };
}

/** Calls getToken every second for `seconds` of simulated time. */
async function useFor(p: ReturnType<typeof provider>, seconds: number): Promise<void> {
  for (let s = 0; s < seconds; s++) {
    await p.tokens.getToken();
    p.clock.now += 1000;
  }
}

describe('ClientCredentialsTokenProvider refresh', () => {
  it.each([60, 120, 3600])(
    'one token request per lifetime of %i s, with a margin of 10%% before expiry',
    async (lifetime) => {
      const p = provider(lifetime);
      const margin = Math.min(lifetime * 100, 300_000) / 1000;
      // The first token serves until 10% (at most 5 min) of its lifetime is left.
      await useFor(p, lifetime - margin);
      expect(p.requests()).toBe(1);
      await useFor(p, 1);
      expect(p.requests()).toBe(2);
      // Over ten lifetimes: one request per (lifetime - margin), not two per lifetime.
      const q = provider(lifetime);
      await useFor(q, 10 * lifetime);
      expect(q.requests()).toBe(Math.ceil((10 * lifetime) / (lifetime - margin)));
    },
  );

  it('keeps the margin within [1 s, 5 min] and under half the lifetime', () => {
    expect(refreshMarginMs(60_000)).toBe(6_000);
    expect(refreshMarginMs(5_000)).toBe(1_000);
    expect(refreshMarginMs(1_000)).toBe(500);
    expect(refreshMarginMs(86_400_000)).toBe(300_000);
  });
});

describe('the token endpoint refusing the operator its credentials', () => {
  function refusing(statusCode: number, error: string, description: string) {
    const http = fakeGot(() => ({
      statusCode,
      body: JSON.stringify({ error, error_description: description, code: `oidc.${error}` }),
    }));
    return new ClientCredentialsTokenProvider({
      endpoint: 'http://127.0.0.1:1',
      resource: 'https://default.logto.app/api',
      credentials: async () => ({ clientId: 'op-app', clientSecret: 'sUp3rS3cret' }),
      http,
    });
  }

  it.each([
    [400, 'invalid_client', 'client authentication failed', /no application with the client id op-app/],
    [
      401,
      'invalid_client',
      'client authentication failed',
      /client secret of application op-app: it is wrong/,
    ],
    [400, 'invalid_request', 'client secret has expired', /client secret of application op-app has expired/],
    [
      400,
      'invalid_request',
      'requested grant type is not allowed for this client',
      /needs a MachineToMachine/,
    ],
  ])(
    '%i %s (%s) is Unauthorized, saying which credential is wrong',
    async (status, error, description, says) => {
      const failure = await refusing(status, error, description)
        .getToken()
        .catch((e: unknown) => e);
      expect(failure).toMatchObject({ kind: 'Unauthorized', status, code: error });
      expect((failure as Error).message).toMatch(says);
      expect((failure as Error).message).not.toContain('sUp3rS3cret');
    },
  );

  it('keeps other refusals as they are (a wrong resource indicator is not a credential problem)', async () => {
    const failure = await refusing(400, 'invalid_target', 'resource indicator is missing, or unknown')
      .getToken()
      .catch((e: unknown) => e);
    expect(failure).toMatchObject({ kind: 'Rejected', code: 'invalid_target' });
  });
});
