import { describe, expect, it } from 'vitest';
import { validateSpec } from '../../../src/controllers/logto-application/validate-spec.js';
import { resource } from './fixtures.js';

describe('validateSpec', () => {
  it('accepts a plain spec', () => {
    expect(
      validateSpec(resource({ oidcClientMetadata: { redirectUris: ['https://app.example/cb'] } })),
    ).toEqual([]);
  });

  it("refuses the operator's reserved customData key", () => {
    expect(validateSpec(resource({ customData: { 'logto-operator': { uid: 'x' } } }))).toEqual([
      expect.stringContaining('reserved'),
    ]);
  });

  it('allows custom schemes for Native apps only', () => {
    const uris = { redirectUris: ['io.logto.app://callback'] };
    expect(validateSpec(resource({ type: 'Native', oidcClientMetadata: uris }))).toEqual([]);
    expect(validateSpec(resource({ type: 'SPA', oidcClientMetadata: uris }))).toEqual([
      expect.stringContaining('not an http(s) URL'),
    ]);
    expect(
      validateSpec(resource({ type: 'Native', oidcClientMetadata: { redirectUris: ['not a url'] } })),
    ).toHaveLength(1);
  });

  it('refuses an expiry that is no RFC 3339 time, as an object stored before the CRD refused it may hold', () => {
    const spec = {
      type: 'Traditional' as const,
      secrets: [
        { name: 'a', expiresAt: '2030-01-01T00:00:00Z' },
        { name: 'b', expiresAt: ['x'] as unknown as string },
        { name: 'c', expiresAt: 'soon' },
      ],
    };
    expect(validateSpec(resource(spec))).toEqual([
      'secrets[1].expiresAt: ["x"] is not an RFC 3339 time',
      'secrets[2].expiresAt: "soon" is not an RFC 3339 time',
    ]);
  });

  it('refuses CORS entries that are not origins', () => {
    expect(
      validateSpec(resource({ customClientMetadata: { corsAllowedOrigins: ['example.com'] } })),
    ).toHaveLength(1);
  });
});

describe('validateSpec: the Secret shape', () => {
  it('refuses templates naming unknown values, keys used twice, and invalid labels', () => {
    const problems = validateSpec(
      resource({
        secret: {
          keys: { appId: 'CLIENT_ID' },
          templates: { X: '{{ clientSecret }}', CLIENT_ID: '{{ appId }}', LOGTO_ENDPOINT: '{{ issuer }}' },
          labels: { 'bad key!': 'x', ok: 'not a valid value because of spaces' },
          annotations: { 'example.com/fine': 'any value at all' },
        },
      }),
    );
    expect(problems).toEqual([
      expect.stringContaining('unknown value clientSecret'),
      expect.stringContaining('key CLIENT_ID is used twice'),
      expect.stringContaining('key LOGTO_ENDPOINT is used twice'),
      expect.stringContaining('"bad key!" is not a valid label key'),
      expect.stringContaining('is not a valid label value'),
    ]);
  });

  it('refuses rotation durations it cannot read', () => {
    expect(validateSpec(resource({ rotation: { every: '0s' } }))).toEqual([
      expect.stringContaining('rotation.every'),
    ]);
  });

  it('refuses declared secret names reserved for the secrets the operator makes', () => {
    expect(
      validateSpec(
        resource({ secrets: [{ name: 'logto-operator-x' }, { name: '(legacy)' }, { name: 'ci' }] }),
      ),
    ).toEqual([
      expect.stringContaining('"logto-operator-x" is a name reserved'),
      expect.stringContaining('"(legacy)" is a name reserved'),
    ]);
  });

  it('refuses rotation durations too long for a date to represent (stored before the CRD bounded them)', () => {
    expect(
      validateSpec(resource({ rotation: { every: '99999999999999999h', gracePeriod: '3650d' } })),
    ).toEqual([expect.stringContaining('rotation.every: "99999999999999999h" is longer than')]);
  });
});
