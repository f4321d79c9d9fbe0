import { describe, expect, it } from 'vitest';
import {
  applicationPatch,
  createApplicationBody,
  desiredApplication,
  immutableMismatch,
  type ObservedApplication,
} from '../../../src/controllers/logto-application/desired-application.js';
import { MARKER_KEY } from '../../../src/controllers/logto-application/ownership-marker.js';
import { resource } from './fixtures.js';

const marker = { uid: 'uid-1', namespace: 'team-a', name: 'web', deletionPolicy: 'Delete' };

function observedFrom(body: Record<string, unknown>): ObservedApplication {
  return {
    id: 'app1',
    name: body.name as string,
    description: (body.description as string | undefined) ?? null,
    type: body.type as string,
    isThirdParty: body.isThirdParty as boolean,
    oidcClientMetadata: body.oidcClientMetadata as ObservedApplication['oidcClientMetadata'],
    customClientMetadata: { ...(body.customClientMetadata as object), tenantId: 'default' },
    customData: body.customData as Record<string, unknown>,
  };
}

describe('desiredApplication', () => {
  it("defaults the name to the resource's name and marks the app with the owner's UID", () => {
    const desired = desiredApplication(resource());
    expect(desired.name).toBe('web');
    expect(desired.customData).toEqual({ [MARKER_KEY]: marker });
    expect(desired.oidcClientMetadata).toEqual({ redirectUris: [], postLogoutRedirectUris: [] });
  });

  it('keeps customData keys written by others, drops keys the spec no longer declares', () => {
    const r = resource({ customData: { team: 'a' } });
    const observed = { team: 'old', removed: 1, foreign: true, [MARKER_KEY]: marker };
    expect(desiredApplication(r, observed, ['team', 'removed']).customData).toEqual({
      team: 'a',
      foreign: true,
      [MARKER_KEY]: marker,
    });
  });
});

describe('applicationPatch', () => {
  const spec = {
    name: 'Web',
    oidcClientMetadata: { redirectUris: ['https://a/cb', 'https://b/cb'], postLogoutRedirectUris: [] },
    customClientMetadata: { corsAllowedOrigins: ['https://a'], idTokenTtl: 600 },
  };

  it('is empty when Logto matches, ignoring list order and server-managed keys', () => {
    const desired = desiredApplication(resource(spec));
    const observed = observedFrom(createApplicationBody(desired));
    observed.oidcClientMetadata.redirectUris.reverse();
    expect(applicationPatch(desired, observed)).toEqual({});
  });

  it('never sends isAdmin, not even to an application that has it', () => {
    const desired = desiredApplication(resource(spec));
    const observed = { ...observedFrom(createApplicationBody(desired)), isAdmin: true, name: 'other' };
    const patch = applicationPatch(desired, observed);
    expect(patch).toEqual({ name: 'Web' });
    expect(createApplicationBody(desired)).not.toHaveProperty('isAdmin');
  });

  it('sends each changed field whole, and only changed fields', () => {
    const desired = desiredApplication(resource(spec));
    const observed = observedFrom(createApplicationBody(desired));
    observed.customClientMetadata = { idTokenTtl: 600, tenantId: 'default' };
    observed.name = 'renamed in the console';
    expect(applicationPatch(desired, observed)).toEqual({
      name: 'Web',
      customClientMetadata: { corsAllowedOrigins: ['https://a'], idTokenTtl: 600 },
    });
  });

  it('resets a description removed from the spec', () => {
    const desired = desiredApplication(resource());
    const observed = observedFrom(createApplicationBody(desired));
    observed.description = 'set in the console';
    expect(applicationPatch(desired, observed)).toEqual({ description: null });
  });

  it("echoes Logto's fixed isDeviceFlow when patching client metadata", () => {
    const desired = desiredApplication(resource({ customClientMetadata: { idTokenTtl: 60 } }));
    const observed = observedFrom(createApplicationBody(desired));
    observed.customClientMetadata = { isDeviceFlow: false };
    expect(applicationPatch(desired, observed).customClientMetadata).toEqual({
      idTokenTtl: 60,
      isDeviceFlow: false,
    });
  });
});

describe('immutableMismatch', () => {
  it('names a type or third-party difference that PATCH cannot fix', () => {
    const desired = desiredApplication(resource({ type: 'SPA' }));
    const observed = observedFrom(createApplicationBody(desired));
    expect(immutableMismatch(desired, observed)).toBeUndefined();
    expect(immutableMismatch(desired, { ...observed, type: 'Native' })).toMatch(/type Native/);
    expect(immutableMismatch(desired, { ...observed, isThirdParty: true })).toMatch(/isThirdParty=true/);
  });
});
