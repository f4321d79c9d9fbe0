import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Application } from '../../../src/api/schemas.js';
import { LogtoApiError } from '../../../src/api/errors.js';
import { FINALIZER } from '../../../src/controllers/logto-application/constants.js';
import {
  CREATE_SUCCEEDED_ANNOTATION,
  EXTERNAL_NAME_ANNOTATION,
} from '../../../src/controllers/logto-application/external-name.js';
import {
  MARKER_KEY,
  type OwnershipMarker,
} from '../../../src/controllers/logto-application/ownership-marker.js';
import type {
  EventRecorder,
  LogtoApplicationsApi,
} from '../../../src/controllers/logto-application/ports.js';
import {
  ApplicationSweep,
  type SweepDependencies,
} from '../../../src/controllers/logto-application/sweep.js';
import type { LogtoApplication } from '../../../src/crd/logto-application.js';

const CLUSTER = 'east';

function resource(name: string, uid: string, recorded: string): LogtoApplication {
  return {
    apiVersion: 'logto.io/v1alpha1',
    kind: 'LogtoApplication',
    metadata: {
      name,
      namespace: 'team-a',
      uid,
      finalizers: [FINALIZER],
      annotations: {
        [EXTERNAL_NAME_ANNOTATION]: recorded,
        [CREATE_SUCCEEDED_ANNOTATION]: '2026-11-29T10:00:00Z',
      },
    },
    spec: { type: 'Traditional' },
  };
}

function application(
  id: string,
  marker?: Partial<OwnershipMarker>,
  type: Application['type'] = 'Traditional',
) {
  const full = marker && {
    namespace: 'team-a',
    name: 'web',
    cluster: CLUSTER,
    deletionPolicy: 'Delete',
    ...marker,
  };
  return {
    id,
    type,
    customData: full ? { keep: 1, [MARKER_KEY]: full } : { keep: 1 },
  } as unknown as Application;
}

/** A tenant in memory with the calls the sweep makes, recorded. */
class FakeTenant {
  readonly apps = new Map<string, Application>();
  readonly calls: string[] = [];
  readonly domains = new Map<string, string[]>();
  afterList?: () => void;
  /** Deletes that fail (Logto unavailable) before they work again. */
  failDeletes = 0;

  constructor(apps: Application[]) {
    for (const app of apps) this.apps.set(app.id, app);
  }

  api(): LogtoApplicationsApi {
    const notFound = () => new LogtoApiError({ kind: 'NotFound', status: 404, message: 'gone' } as never);
    return {
      listApplicationsPage: async (query: { page: number; page_size: number }, search?: unknown) => {
        this.calls.push(`list ${query.page}${search ? ' search' : ''}${'types' in query ? ' types' : ''}`);
        const all = [...this.apps.values()];
        const start = (query.page - 1) * query.page_size;
        const page = { items: all.slice(start, start + query.page_size), total: all.length };
        this.afterList?.();
        return page;
      },
      getApplication: async (id: string) => {
        this.calls.push(`get ${id}`);
        const app = this.apps.get(id);
        if (!app) throw notFound();
        return structuredClone(app);
      },
      updateApplication: async (id: string, patch: Partial<Application>) => {
        this.calls.push(`update ${id}`);
        const app = { ...this.apps.get(id)!, ...patch };
        this.apps.set(id, app);
        return app;
      },
      deleteApplication: async (id: string) => {
        this.calls.push(`delete ${id}`);
        if (this.failDeletes-- > 0) throw new Error('Logto unavailable');
        if ((this.domains.get(id) ?? []).length) throw new Error('domain still attached');
        if (!this.apps.delete(id)) throw notFound();
      },
      listApplicationProtectedAppMetadataCustomDomains: async (id: string) =>
        (this.domains.get(id) ?? []).map((domain) => ({ domain, status: 'Active', dnsRecords: [] })),
      deleteApplicationProtectedAppMetadataCustomDomain: async (id: string, domain: string) => {
        this.calls.push(`delete domain ${domain}`);
        this.domains.set(
          id,
          (this.domains.get(id) ?? []).filter((d) => d !== domain),
        );
      },
    } as unknown as LogtoApplicationsApi;
  }
}

function sweepOf(
  tenant: FakeTenant,
  cached: LogtoApplication[],
  options: { fresh?: LogtoApplication[]; synced?: boolean } = {},
) {
  const events: string[] = [];
  const swept: string[] = [];
  const recorder: EventRecorder = {
    record: (r, type, reason) => events.push(`${r.metadata.name} ${type} ${reason}`),
  };
  const fresh = options.fresh ?? cached;
  const deps: SweepDependencies = {
    logto: tenant.api(),
    clusterName: CLUSTER,
    watches: () => true,
    resources: { hasSynced: () => options.synced ?? true, list: () => cached },
    readResource: async (namespace, name) =>
      fresh.find((r) => r.metadata.namespace === namespace && r.metadata.name === name),
    events: recorder,
    logger: pino({ level: 'silent' }),
    onSwept: (kind, action) => swept.push(`${kind} ${action}`),
    periodMs: 60_000,
  };
  return { sweep: new ApplicationSweep(deps), events, swept };
}

describe('ApplicationSweep', () => {
  it('follows every page of one unfiltered list, without search parameters', async () => {
    const apps = Array.from({ length: 250 }, (_, i) => application(`app-${i}`));
    const tenant = new FakeTenant(apps);
    const report = await sweepOf(tenant, []).sweep.sweep();
    expect(report).toMatchObject({ listed: 250, pages: 3, swept: [] });
    expect(tenant.calls).toEqual(['list 1', 'list 2', 'list 3']);
  });

  it('deletes a duplicate and says so on the live resource', async () => {
    const tenant = new FakeTenant([application('app-1', { uid: 'u1' }), application('app-2', { uid: 'u1' })]);
    const { sweep, events, swept } = sweepOf(tenant, [resource('web', 'u1', 'app-1')]);
    await sweep.sweep();
    expect([...tenant.apps.keys()]).toEqual(['app-1']);
    expect(events).toEqual(['web Warning DuplicateDeleted']);
    expect(swept).toEqual(['duplicate deleted']);
  });

  it('only removes the marker of a duplicate whose marker says Orphan', async () => {
    const tenant = new FakeTenant([
      application('app-1', { uid: 'u1', deletionPolicy: 'Orphan' }),
      application('app-2', { uid: 'u1', deletionPolicy: 'Orphan' }),
    ]);
    const { sweep, events, swept } = sweepOf(tenant, [resource('web', 'u1', 'app-1')]);
    await sweep.sweep();
    expect(tenant.apps.get('app-2')!.customData).toEqual({ keep: 1 });
    expect(events).toEqual(['web Warning DuplicateOrphaned']);
    expect(swept).toEqual(['duplicate unmarked']);
  });

  it('acts on nothing that a fresh read of the resource no longer confirms (a cache behind the reconciler)', async () => {
    const tenant = new FakeTenant([application('app-1', { uid: 'u1' }), application('app-2', { uid: 'u1' })]);
    // The cache still shows app-1 recorded; the apiserver already has app-2.
    const { sweep, swept } = sweepOf(tenant, [resource('web', 'u1', 'app-1')], {
      fresh: [resource('web', 'u1', 'app-2')],
    });
    await sweep.sweep();
    expect([...tenant.apps.keys()]).toEqual(['app-1', 'app-2']);
    expect(swept).toEqual([]);
  });

  it('acts on nothing whose marker changed since the list', async () => {
    const tenant = new FakeTenant([application('app-1', { uid: 'u1' }), application('app-2', { uid: 'u1' })]);
    // Someone re-marks app-2 right after it was listed.
    tenant.afterList = () => tenant.apps.set('app-2', application('app-2', { uid: 'u2', name: 'other' }));
    const { sweep, swept } = sweepOf(tenant, [resource('web', 'u1', 'app-1')]);
    await sweep.sweep();
    expect(tenant.apps.has('app-2')).toBe(true);
    expect(swept).toEqual([]);
  });

  it('sweeps an orphan at the second sweep that finds it, and removes custom domains before deleting a Protected app', async () => {
    const tenant = new FakeTenant([application('gone', { uid: 'dead', name: 'gone' }, 'Protected')]);
    tenant.domains.set('gone', ['auth.example.com']);
    const { sweep, swept } = sweepOf(tenant, []);
    expect((await sweep.sweep())!.suspected).toBe(1);
    expect(tenant.apps.has('gone')).toBe(true);
    await sweep.sweep();
    expect(tenant.apps.has('gone')).toBe(false);
    expect(tenant.calls.filter((c) => !c.startsWith('list'))).toEqual([
      'get gone',
      'delete domain auth.example.com',
      'delete gone',
    ]);
    expect(swept).toEqual(['orphan deleted']);
  });

  it('tries a confirmed orphan again at the next sweep when removing it failed', async () => {
    const tenant = new FakeTenant([application('gone', { uid: 'dead', name: 'gone' })]);
    const { sweep, swept } = sweepOf(tenant, []);
    await sweep.sweep();
    tenant.failDeletes = 1;
    await sweep.sweep();
    expect(tenant.apps.has('gone')).toBe(true);
    await sweep.sweep();
    expect(tenant.apps.has('gone')).toBe(false);
    expect(swept).toEqual(['orphan deleted']);
  });

  it('does not trust a cache that has not synced', async () => {
    const tenant = new FakeTenant([application('gone', { uid: 'dead' })]);
    const { sweep } = sweepOf(tenant, [], { synced: false });
    expect(await sweep.sweep()).toBeUndefined();
    expect(tenant.calls).toEqual([]);
  });
});
