/**
 * How a pass finds the application of a resource whose create status has not confirmed: the id its
 * own Secret publishes (checked against the marker), a shared list read late enough, else a scan.
 */
import { describe, expect, it } from 'vitest';
import type { Application } from '../../../src/api/schemas.js';
import { LogtoApiError } from '../../../src/api/errors.js';
import { FINALIZER } from '../../../src/controllers/logto-application/constants.js';
import {
  CREATE_PENDING_ANNOTATION,
  CREATE_TOKEN_ANNOTATION,
} from '../../../src/controllers/logto-application/external-name.js';
import {
  locateApplication,
  type LocateOptions,
} from '../../../src/controllers/logto-application/locate-application.js';
import { MARKER_KEY, markerFor } from '../../../src/controllers/logto-application/ownership-marker.js';
import type { LogtoApplicationsApi } from '../../../src/controllers/logto-application/ports.js';
import type { LogtoApplication } from '../../../src/crd/logto-application.js';
import { resource as fixture } from './fixtures.js';

const CLUSTER = 'east';
const HOUR = 3_600_000;

/** A resource whose create was sent `agoMs` ago and whose status is lost. */
function pending(agoMs: number, uid = 'uid-1', token = 'tok-1'): LogtoApplication {
  const r = fixture();
  r.metadata.uid = uid;
  r.metadata.finalizers = [FINALIZER];
  r.metadata.annotations = {
    [CREATE_PENDING_ANNOTATION]: new Date(Date.now() - agoMs).toISOString(),
    [CREATE_TOKEN_ANNOTATION]: token,
  };
  return r;
}

/** The window after a create in which no search starts; these tests' creates are older. */
const WINDOW_MS = 500;
const locate = (
  api: LogtoApplicationsApi,
  resource: LogtoApplication,
  cluster: string,
  options: Partial<LocateOptions> = {},
) => locateApplication(api, resource, { cluster, commitWindowMs: WINDOW_MS, ...options });

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
    const located = await locate(api, resource, CLUSTER, { publishedId: () => Promise.resolve('a1') });
    expect(located).toMatchObject({ decision: 'use', record: true, application: { id: 'a1' } });
    expect(counts).toEqual({ get: 1, pages: 0 });
  });

  it('ignores a published id whose application is unmarked or marked by another resource', async () => {
    const resource = pending(1000);
    const other = pending(1000, 'uid-2');
    other.metadata.name = 'other';
    const { api, counts } = logto([app('mine', resource), app('theirs', other), app('loose')]);
    for (const publishedId of ['theirs', 'loose', 'missing']) {
      const located = await locate(api, resource, CLUSTER, {
        publishedId: () => Promise.resolve(publishedId),
      });
      expect(located, publishedId).toMatchObject({ decision: 'use', application: { id: 'mine' } });
    }
    expect(counts.pages).toBe(3);
  });

  it('waits out the commit window of its create before it searches, on any replica', async () => {
    const resource = pending(1000);
    const { api, counts } = logto([app('a1', resource)]);
    const stop = await locate(api, resource, CLUSTER, { commitWindowMs: 30_000 }).catch((e: unknown) => e);
    expect(stop).toMatchObject({ reason: 'CreatePending' });
    expect((stop as { options: { retryAfterMs: number } }).options.retryAfterMs).toBeGreaterThan(28_000);
    expect(counts).toEqual({ get: 0, pages: 0 });
  });

  it('takes back the application of the object it replaced (a restore: same name, new UID, its token)', async () => {
    const before = pending(1000, 'uid-old');
    const restored = pending(1000, 'uid-new');
    const { api } = logto([app('a1', before)]);
    expect(await locate(api, restored, CLUSTER)).toMatchObject({
      decision: 'take-back',
      as: 'restore',
      application: { id: 'a1' },
    });
    // Not in another cluster.
    expect(await locate(api, restored, 'west')).toEqual({ decision: 'create' });
    // In an unnamed cluster too, since the token proves it; but not a stranger without the token.
    const unnamed = logto([{ ...app('a1'), customData: { [MARKER_KEY]: markerFor(before) } }]);
    expect(await locate(unnamed.api, restored, '')).toMatchObject({ decision: 'take-back' });
    const stranger = pending(1000, 'uid-new', 'another-token');
    expect(await locate(unnamed.api, stranger, '')).toEqual({ decision: 'create' });
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
    const located = await locate(api, restored, CLUSTER, { listedSince });
    expect(located).toMatchObject({ decision: 'take-back', application: { id: 'a1' } });
    // The listed copy is read again before it is trusted; no scan of its own.
    expect(counts).toEqual({ get: 1, pages: 0 });
    expect(asked).toHaveLength(1);

    // A create sent a second ago cannot be in any list read yet: scanned at once.
    const recent = pending(1000);
    const fresh = logto([app('a2', recent)]);
    await locate(fresh.api, recent, CLUSTER, { listedSince });
    expect(asked).toHaveLength(1);
    expect(fresh.counts.pages).toBe(1);
  });

  it('scans afresh when a shared list does not show the application: absence in a list proves nothing', async () => {
    const resource = pending(HOUR);
    const { api, counts } = logto([app('a1', resource)]);
    const located = await locate(api, resource, CLUSTER, { listedSince: () => Promise.resolve([]) });
    expect(located).toMatchObject({ decision: 'use', application: { id: 'a1' } });
    expect(counts.pages).toBe(1);
  });

  it('scans afresh when the listed copy is no longer marked for it', async () => {
    const resource = pending(HOUR);
    const { api, counts } = logto([app('a1')]);
    const listedSince = () => Promise.resolve([app('a1', resource)]);
    expect(await locate(api, resource, CLUSTER, { listedSince })).toEqual({ decision: 'create' });
    expect(counts).toEqual({ get: 1, pages: 1 });
  });

  it('needs no search once status confirmed the create', async () => {
    const resource = { ...pending(1000), status: { applicationId: 'a1' } };
    const { api, counts } = logto([app('a1', resource), app('a2', resource, 2)]);
    expect(await locate(api, resource, CLUSTER)).toMatchObject({
      decision: 'use',
      record: false,
      application: { id: 'a1' },
    });
    expect(counts).toEqual({ get: 1, pages: 0 });
  });
});
