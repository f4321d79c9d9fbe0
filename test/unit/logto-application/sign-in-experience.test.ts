import { describe, expect, it } from 'vitest';
import { signInExperienceBody } from '../../../src/controllers/logto-application/aspects/sign-in-experience.js';

// Logto's PUT is a partial upsert (fields left out keep their values), so the body must name every
// field: what the spec leaves out is cleared explicitly.
describe('signInExperienceBody', () => {
  it('sends every field, clearing those the spec leaves out with null or {}', () => {
    expect(signInExperienceBody({ displayName: 'Portal', color: { primaryColor: '#112233' } })).toEqual({
      displayName: 'Portal',
      color: { primaryColor: '#112233' },
      branding: {},
      customCss: null,
      termsOfUseUrl: null,
      privacyPolicyUrl: null,
    });
  });

  it('clears everything when the spec no longer declares it (never an empty body, which Logto refuses)', () => {
    const body = signInExperienceBody(undefined);
    expect(body).toEqual({
      color: {},
      branding: {},
      customCss: null,
      displayName: null,
      termsOfUseUrl: null,
      privacyPolicyUrl: null,
    });
    expect(Object.keys(body).length).toBeGreaterThan(0);
  });
});
