/**
 * How a pass finds the application of a resource whose create status has not confirmed: the id its
 * own Secret publishes (checked against the marker), a shared list read late enough, else a scan.
 */
import { describe, expect, it } from 'vitest';
import type { Application } from '../../../src/api/schemas.js';
import { LogtoApiError } from '../../../src/api/errors.js';
import { FINALIZER } from '../../../src/controllers/logto-application/constants.js';
import { CREATE_PENDING_ANNOTATION } from '../../../src/controllers/logto-application/external-name.js';
import { locateApplication } from '../../../src/controllers/logto-application/locate-application.js';
import { MARKER_KEY, markerFor } from '../../../src/controllers/logto-application/ownership-marker.js';
import type { LogtoApplicationsApi } from '../../../src/controllers/logto-application/ports.js';
import type { LogtoApplication } from '../../../src/crd/logto-application.js';
import { resource as fixture } from './fixtures.js';

const CLUSTER = 'east';
const HOUR = 3_600_000;

/** A resource whose create was sent `agoMs` ago and whose status is lost. */
function pending(agoMs: number, uid = 'uid-1'): LogtoApplication {
  const r = fixture();
  r.metadata.uid = uid;
  r.metadata.finalizers = [FINALIZER];
  r.metadata.annotations = { [CREATE_PENDING_ANNOTATION]: new Date(Date.now() - agoMs).toISOString() };
  return r;
}

function app(id: string, owner?: LogtoApplication, createdAt = 1): Application {
  const customData = owner ? { [MARKER_KEY]: markerFor(owner, CLUSTER) } : {};
  return { id, name: id, type: 'Traditional', customData, createdAt } as unknown as Application;
}

/** Logto with these applications: counts reads and list pages. */
function logto(applications: Application[]) {
  const counts = { get: 0, pages: 0 };
  const api = {
    getApplication: (id: string) => {
      counts.get++;
      const found = applications.find((a) => a.id === id);
      return found
        ? Promise.resolve(found)
        : Promise.reject(
            new LogtoApiError({
              operation: 'get_application',
              status: 404,
              code: 'entity.not_exists_with_id',
              detail: 'gone',
            }),
          );
    },
    listApplicationsPage: () => {
      counts.pages++;
      return Promise.resolve({ items: applications, total: applications.length });
    },
  } as unknown as LogtoApplicationsApi;
  return { api, counts };
}

describe('locating the application of an unconfirmed create', () => {
  it('takes the id its own Secret publishes when the application carries its marker: no scan', async () => {
    const resource = pending(1000);
    const { api, counts } = logto([app('a1', resource)]);
    const located = await locateApplication(api, resource, CLUSTER, { publishedId: 'a1' });
    expect(located).toMatchObject({ found: 'marker', application: { id: 'a1' } });
    expect(counts).toEqual({ get: 1, pages: 0 });
  });

  it('ignores a published id whose application is unmarked or marked by another resource', async () => {
    const resource = pending(1000);
    const other = pending(1000, 'uid-2');
    other.metadata.name = 'other';
    const { api, counts } = logto([app('mine', resource), app('theirs', other), app('loose')]);
    for (const publishedId of ['theirs', 'loose', 'missing']) {
      const located = await locateApplication(api, resource, CLUSTER, { publishedId });
      expect(located, publishedId).toMatchObject({ found: 'marker', application: { id: 'mine' } });
    }
    expect(counts.pages).toBe(3);
  });

  it('takes back the application of the object it replaced (a restore: same name, new UID)', async () => {
    const before = pending(1000, 'uid-old');
    const restored = pending(1000, 'uid-new');
    const { api } = logto([app('a1', before)]);
    expect(await locateApplication(api, restored, CLUSTER)).toMatchObject({
      found: 'restored',
      application: { id: 'a1' },
    });
    // Not in another cluster, and not without a cluster name: unnamed clusters sharing a tenant
    // write the same markers.
    expect(await locateApplication(api, restored, 'west')).toEqual({ found: 'none' });
    const unnamed = logto([{ ...app('a1'), customData: { [MARKER_KEY]: markerFor(before) } }]);
    expect(await locateApplication(unnamed.api, restored, '')).toEqual({ found: 'none' });
  });

  it('searches a shared list only when it was read long enough after the create was sent', async () => {
    const restored = pending(HOUR, 'uid-new');
    const before = pending(HOUR, 'uid-old');
    const { api, counts } = logto([app('a1', before)]);
    const asked: number[] = [];
    const listedSince = (since: number) => {
      asked.push(since);
      return Promise.resolve([app('a1', before)]);
    };
    const located = await locateApplication(api, restored, CLUSTER, { listedSince });
    expect(located).toMatchObject({ found: 'restored', application: { id: 'a1' } });
    // The listed copy is read again before it is trusted; no scan of its own.
    expect(counts).toEqual({ get: 1, pages: 0 });
    expect(asked).toHaveLength(1);

    // A create sent a second ago cannot be in any list read yet: scanned at once.
    const recent = pending(1000);
    const fresh = logto([app('a2', recent)]);
    await locateApplication(fresh.api, recent, CLUSTER, { listedSince });
    expect(asked).toHaveLength(1);
    expect(fresh.counts.pages).toBe(1);
  });

  it('scans afresh when a shared list does not show the application: absence in a list proves nothing', async () => {
    const resource = pending(HOUR);
    const { api, counts } = logto([app('a1', resource)]);
    const located = await locateApplication(api, resource, CLUSTER, {
      listedSince: () => Promise.resolve([]),
    });
    expect(located).toMatchObject({ found: 'marker', application: { id: 'a1' } });
    expect(counts.pages).toBe(1);
  });

  it('scans afresh when the listed copy is no longer marked for it', async () => {
    const resource = pending(HOUR);
    const { api, counts } = logto([app('a1')]);
    const listedSince = () => Promise.resolve([app('a1', resource)]);
    expect(await locateApplication(api, resource, CLUSTER, { listedSince })).toEqual({ found: 'none' });
    expect(counts).toEqual({ get: 1, pages: 1 });
  });

  it('needs no search once status confirmed the create', async () => {
    const resource = { ...pending(1000), status: { applicationId: 'a1' } };
    const { api, counts } = logto([app('a1', resource), app('a2', resource, 2)]);
    expect(await locateApplication(api, resource, CLUSTER)).toMatchObject({
      found: 'recorded',
      application: { id: 'a1' },
    });
    expect(counts).toEqual({ get: 1, pages: 0 });
  });
});
