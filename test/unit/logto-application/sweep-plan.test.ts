import { describe, expect, it } from 'vitest';
import { FINALIZER } from '../../../src/controllers/logto-application/constants.js';
import {
  CREATE_PENDING_ANNOTATION,
  CREATE_SUCCEEDED_ANNOTATION,
  EXTERNAL_NAME_ANNOTATION,
} from '../../../src/controllers/logto-application/external-name.js';
import {
  MARKER_KEY,
  markerFor,
  readMarker,
  type OwnershipMarker,
} from '../../../src/controllers/logto-application/ownership-marker.js';
import {
  planSweep,
  type SweepApplication,
  type SweepPlan,
  type SweepScope,
} from '../../../src/controllers/logto-application/sweep-plan.js';
import type { LogtoApplication } from '../../../src/crd/logto-application.js';

const CLUSTER = 'east';
const scope: SweepScope = { clusterName: CLUSTER, watches: (ns) => ns !== 'unwatched' };

interface Live {
  name?: string;
  namespace?: string;
  uid: string;
  recorded?: string;
  pending?: boolean;
  deletionPolicy?: 'Delete' | 'Orphan';
}

function live({ name = 'web', namespace = 'team-a', uid, recorded, pending, deletionPolicy }: Live) {
  const annotations: Record<string, string> = {};
  if (recorded) annotations[EXTERNAL_NAME_ANNOTATION] = recorded;
  if (recorded) annotations[CREATE_SUCCEEDED_ANNOTATION] = '2026-11-29T10:00:00Z';
  if (pending) annotations[CREATE_PENDING_ANNOTATION] = '2026-11-29T10:00:00Z';
  return {
    apiVersion: 'logto.io/v1alpha1',
    kind: 'LogtoApplication',
    metadata: { name, namespace, uid, annotations, finalizers: [FINALIZER] },
    spec: { type: 'Traditional', ...(deletionPolicy ? { deletionPolicy } : {}) },
  } satisfies LogtoApplication;
}

function app(id: string, marker?: Partial<OwnershipMarker> & { uid: string }): SweepApplication {
  const full = marker && {
    namespace: 'team-a',
    name: 'web',
    cluster: CLUSTER,
    deletionPolicy: 'Delete',
    ...marker,
  };
  return { id, type: 'Traditional', customData: full ? { team: 'a', [MARKER_KEY]: full } : { team: 'a' } };
}

/** The plan as `kind:id:policy` strings, for readable expectations. */
function summary(plan: SweepPlan) {
  const line = (c: SweepPlan['duplicates'][number]) => `${c.kind}:${c.application.id}:${c.policy}`;
  return {
    duplicates: plan.duplicates.map(line),
    orphans: plan.orphans.map(line),
    suspectedOrphans: plan.suspectedOrphans.map(line),
  };
}

describe('ownership marker', () => {
  it("records the resource's deletion policy, Delete by default, and reads markers without one", () => {
    const resource = live({ uid: 'u1' });
    expect(markerFor(resource, CLUSTER)).toEqual({
      uid: 'u1',
      namespace: 'team-a',
      name: 'web',
      cluster: CLUSTER,
      deletionPolicy: 'Delete',
    });
    expect(markerFor(live({ uid: 'u1', deletionPolicy: 'Orphan' })).deletionPolicy).toBe('Orphan');
    expect(readMarker({ [MARKER_KEY]: { uid: 'u', namespace: 'n', name: 'x' } })).toEqual({
      uid: 'u',
      namespace: 'n',
      name: 'x',
    });
    expect(
      readMarker({ [MARKER_KEY]: { uid: 'u', namespace: 'n', name: 'x', deletionPolicy: 'Eh' } }),
    ).toEqual({ uid: 'u', namespace: 'n', name: 'x' });
  });
});

describe('planSweep', () => {
  it('finds the duplicate of a live resource: its marker, not the application it records', () => {
    const resource = live({ uid: 'u1', recorded: 'app-1' });
    const plan = planSweep([app('app-2', { uid: 'u1' }), app('app-1', { uid: 'u1' })], [resource], scope);
    expect(summary(plan)).toEqual({
      duplicates: ['duplicate:app-2:Delete'],
      orphans: [],
      suspectedOrphans: [],
    });
    expect(plan.duplicates[0]!.resource).toBe(resource);
  });

  it('deals with a duplicate per the policy in its marker', () => {
    const resource = live({ uid: 'u1', recorded: 'app-1', deletionPolicy: 'Orphan' });
    const plan = planSweep(
      [
        app('app-1', { uid: 'u1', deletionPolicy: 'Orphan' }),
        app('app-2', { uid: 'u1', deletionPolicy: 'Orphan' }),
      ],
      [resource],
      scope,
    );
    expect(summary(plan).duplicates).toEqual(['duplicate:app-2:Orphan']);
  });

  it('leaves the marked applications of a resource alone while its create is pending or nothing is recorded', () => {
    const apps = [app('app-1', { uid: 'u1' }), app('app-2', { uid: 'u1' })];
    expect(summary(planSweep(apps, [live({ uid: 'u1', pending: true })], scope)).duplicates).toEqual([]);
    expect(
      summary(planSweep(apps, [live({ uid: 'u1', recorded: 'app-1', pending: true })], scope)).duplicates,
    ).toEqual([]);
    expect(summary(planSweep(apps, [live({ uid: 'u1' })], scope)).duplicates).toEqual([]);
  });

  it('finds duplicates of a resource whose create status confirmed (create-pending stays, no external name)', () => {
    const apps = [app('app-1', { uid: 'u1' }), app('app-2', { uid: 'u1' })];
    const resource = { ...live({ uid: 'u1', pending: true }), status: { applicationId: 'app-1' } };
    expect(summary(planSweep(apps, [resource], scope)).duplicates).toEqual(['duplicate:app-2:Delete']);
  });

  it('leaves the application of a replaced object alone while the new object, recording nothing, will search', () => {
    const apps = [app('app-1', { uid: 'u-old' })];
    const restored = live({ uid: 'u-new', pending: true });
    expect(summary(planSweep(apps, [restored], scope))).toEqual({
      duplicates: [],
      orphans: [],
      suspectedOrphans: [],
    });
    // Once it records another application, the old one is an orphan.
    const settled = { ...restored, status: { applicationId: 'app-2' } };
    expect(summary(planSweep(apps, [settled], scope)).suspectedOrphans).toEqual(['orphan:app-1:Delete']);
  });

  it('leaves them alone while the recorded application is not in the list (the resource is recovering it)', () => {
    const apps = [app('app-2', { uid: 'u1' })];
    expect(summary(planSweep(apps, [live({ uid: 'u1', recorded: 'app-gone' })], scope))).toEqual({
      duplicates: [],
      orphans: [],
      suspectedOrphans: [],
    });
  });

  it('suspects an orphan first and sweeps it when the next sweep finds it again', () => {
    const apps = [app('app-1', { uid: 'dead' }), app('app-2', { uid: 'dead-too', deletionPolicy: 'Orphan' })];
    const first = planSweep(apps, [], scope);
    expect(summary(first)).toEqual({
      duplicates: [],
      orphans: [],
      suspectedOrphans: ['orphan:app-1:Delete', 'orphan:app-2:Orphan'],
    });
    const second = planSweep(apps, [], scope, new Set(first.suspectedOrphans.map((c) => c.application.id)));
    expect(summary(second)).toEqual({
      duplicates: [],
      orphans: ['orphan:app-1:Delete', 'orphan:app-2:Orphan'],
      suspectedOrphans: [],
    });
  });

  it('treats a restored resource (new UID) that records the application as its owner, not as an orphan', () => {
    const restored = live({ uid: 'new', recorded: 'app-1' });
    const plan = planSweep(
      [app('app-1', { uid: 'old' }), app('app-2', { uid: 'old' })],
      [restored],
      scope,
      new Set(['app-1', 'app-2']),
    );
    // app-2, a second application of the object that was replaced, is an orphan; app-1 is taken back.
    expect(summary(plan)).toEqual({ duplicates: [], orphans: ['orphan:app-2:Delete'], suspectedOrphans: [] });
  });

  it('sweeps the application of a replaced object that the new one does not record', () => {
    const plan = planSweep([app('app-1', { uid: 'old' })], [live({ uid: 'new', recorded: 'app-9' })], scope);
    expect(summary(plan).suspectedOrphans).toEqual(['orphan:app-1:Delete']);
  });

  it('never touches unmarked applications, other clusters, or namespaces it does not watch', () => {
    const apps = [
      app('unmarked'),
      app('west', { uid: 'dead', cluster: 'west' }),
      app('unnamed', { uid: 'dead', cluster: undefined }),
      app('unwatched', { uid: 'dead', namespace: 'unwatched' }),
    ];
    expect(summary(planSweep(apps, [], scope, new Set(apps.map((a) => a.id))))).toEqual({
      duplicates: [],
      orphans: [],
      suspectedOrphans: [],
    });
  });

  it('without a cluster name, sweeps duplicates (UIDs are unique) but never orphans', () => {
    const unnamed: SweepScope = { clusterName: '', watches: () => true };
    const apps = [
      app('app-1', { uid: 'u1', cluster: undefined }),
      app('app-2', { uid: 'u1', cluster: undefined }),
      app('app-3', { uid: 'dead', cluster: undefined }),
    ];
    const plan = planSweep(apps, [live({ uid: 'u1', recorded: 'app-1' })], unnamed, new Set(['app-3']));
    expect(summary(plan)).toEqual({
      duplicates: ['duplicate:app-2:Delete'],
      orphans: [],
      suspectedOrphans: [],
    });
  });

  it('unmarks rather than deletes an application whose marker records no policy (older versions)', () => {
    const old: SweepApplication = {
      id: 'old',
      type: 'SPA',
      customData: { [MARKER_KEY]: { uid: 'dead', namespace: 'team-a', name: 'web', cluster: CLUSTER } },
    };
    expect(summary(planSweep([old], [], scope, new Set(['old']))).orphans).toEqual(['orphan:old:Orphan']);
  });

  it('counts an application repeated by shifting pages once', () => {
    const duplicate = app('app-2', { uid: 'u1' });
    const plan = planSweep(
      [duplicate, app('app-1', { uid: 'u1' }), duplicate],
      [live({ uid: 'u1', recorded: 'app-1' })],
      scope,
    );
    expect(summary(plan).duplicates).toEqual(['duplicate:app-2:Delete']);
  });
});
