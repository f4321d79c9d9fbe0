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

  it('refuses CORS entries that are not origins', () => {
    expect(
      validateSpec(resource({ customClientMetadata: { corsAllowedOrigins: ['example.com'] } })),
    ).toHaveLength(1);
  });
});
