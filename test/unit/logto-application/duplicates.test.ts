import { describe, expect, it } from 'vitest';
import type { Application } from '../../../src/api/schemas.js';
import { deleteDuplicates } from '../../../src/controllers/logto-application/duplicates.js';
import { MARKER_KEY } from '../../../src/controllers/logto-application/ownership-marker.js';
import type { LogtoApplicationsApi } from '../../../src/controllers/logto-application/ports.js';
import { resource } from './fixtures.js';

const duplicate = {
  id: 'dup',
  customData: { [MARKER_KEY]: { uid: 'uid-1', namespace: 'team-a', name: 'web' }, keep: 1 },
} as unknown as Application;

function fakes() {
  const calls: string[] = [];
  const events: string[] = [];
  const logto = {
    deleteApplication: async (id: string) => void calls.push(`delete ${id}`),
    listApplicationProtectedAppMetadataCustomDomains: async () => [{ domain: 'app.example.com' }],
    deleteApplicationProtectedAppMetadataCustomDomain: async (id: string, domain: string) =>
      void calls.push(`delete domain ${domain} of ${id}`),
    updateApplication: async (id: string, body: object) => {
      calls.push(`update ${id} ${JSON.stringify(body)}`);
      return {} as Application;
    },
  } as unknown as LogtoApplicationsApi;
  return {
    calls,
    events,
    logto,
    recorder: { record: (_: unknown, type: string, reason: string) => void events.push(`${type} ${reason}`) },
  };
}

describe('deleteDuplicates', () => {
  it('deletes the copies a lost create left, with a Warning event', async () => {
    const f = fakes();
    await deleteDuplicates(f.logto, f.recorder, resource(), [duplicate]);
    expect(f.calls).toEqual(['delete dup']);
    expect(f.events).toEqual(['Warning DuplicateDeleted']);
  });

  it('with deletionPolicy Orphan only removes the marker, as the sweep does', async () => {
    const f = fakes();
    await deleteDuplicates(f.logto, f.recorder, resource({ deletionPolicy: 'Orphan' }), [duplicate]);
    expect(f.calls).toEqual(['update dup {"customData":{"keep":1}}']);
    expect(f.events).toEqual(['Warning DuplicateOrphaned']);
  });

  it('removes the custom domains of a Protected duplicate first, which Logto requires, as the sweep does', async () => {
    const f = fakes();
    const protectedDuplicate = { ...duplicate, type: 'Protected' } as Application;
    await deleteDuplicates(f.logto, f.recorder, resource({ type: 'Protected' }), [protectedDuplicate]);
    expect(f.calls).toEqual(['delete domain app.example.com of dup', 'delete dup']);
  });
});
