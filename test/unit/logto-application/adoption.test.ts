/**
 * Taking over existing Logto applications, with the real reconciler and connector against the
 * emulator and an in-memory apiserver (test/support/reconcile-harness.ts): what spec.adoptApplicationId
 * may take (by the flag connection's policy, here allowing adoption by any name), what an annotation
 * alone never takes, even through deletion, and how a resource finds its own application again when
 * the recorded id names none. (Adopting by id end to end stays in test/integration/operator-failures.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FINALIZER } from '../../../src/controllers/logto-application/constants.js';
import {
  CREATE_SUCCEEDED_ANNOTATION,
  CREATE_TOKEN_ANNOTATION,
  EXTERNAL_NAME_ANNOTATION,
} from '../../../src/controllers/logto-application/external-name.js';
import { readMarker } from '../../../src/controllers/logto-application/ownership-marker.js';
import type { LogtoEmulator } from '../../emulator/index.js';
import { syncedMessage } from '../../support/operator.js';
import { useReconcileHarness, type ReconcileHarness } from '../../support/reconcile-harness.js';

describe('adoption', () => {
  const env = useReconcileHarness({
    // As the integration suite's operator: adoption is off by default; these tests adopt
    // applications made in the "Console".
    config: { flagPolicy: { adoption: { namePatterns: ['*'] } } },
  });
  let h: ReconcileHarness, emulator: LogtoEmulator;
  beforeAll(() => {
    h = env.h;
    emulator = h.emulator;
  });

  /** Logto writes (not reads, not tokens) since the call count `since`. */
  const writesSince = (since: number) =>
    emulator.calls
      .list()
      .slice(since)
      .filter((c) => c.method !== 'GET' && c.route !== '/oidc/token');

  it('refuses to adopt an application with isAdmin (Management API access without a role), never setting it', async () => {
    // The flag connection's policy allows adoption by name here, not of applications that hold
    // Management API access, and isAdmin counts as holding it.
    const admin = emulator.seed.application({ name: 'admin tool', type: 'MachineToMachine', isAdmin: true });
    const since = emulator.calls.count();
    h.create('admin-tool', { type: 'MachineToMachine', adoptApplicationId: admin.id });
    const refused = await h.reconcileStopped('admin-tool', 'PolicyDenied');
    expect(syncedMessage(refused)).toContain('isAdmin');
    expect(writesSince(since)).toEqual([]);
    expect(h.secret('admin-tool')).toBeUndefined();

    h.create('plain-m2m', { type: 'MachineToMachine' });
    const created = await h.reconcileReady('plain-m2m');
    expect(created.status!.isAdmin).toBeUndefined();
    expect(emulator.state.applications.get(created.status!.applicationId!)!.isAdmin).toBe(false);
    expect(emulator.state.applications.get(admin.id)!.isAdmin).toBe(true);
  });

  it('never takes an application named only by an annotation: no update, no Secret, no deletion', async () => {
    // Anyone who may edit the resource may set its annotations: the operator's own M2M application
    // or one made in the Console must not be reachable that way.
    const console = emulator.seed.application({ name: 'Console app', type: 'Traditional' });
    const before = structuredClone(emulator.state.applications.get(console.id)!);
    const calls = emulator.calls.count();
    h.create(
      'annotated',
      { type: 'Traditional', oidcClientMetadata: { redirectUris: ['https://evil.example/cb'] } },
      {
        [EXTERNAL_NAME_ANNOTATION]: console.id,
        [CREATE_SUCCEEDED_ANNOTATION]: new Date().toISOString(),
      },
    );
    const refused = await h.reconcileStopped('annotated', 'AdoptionRefused');
    expect(syncedMessage(refused)).toContain('spec.adoptApplicationId');
    // Refused again on later passes: the refusal does not record the id as the resource's own.
    expect(refused.status?.applicationId).toBeUndefined();
    h.forceSync('annotated');
    const again = await h.reconcileStopped('annotated', 'AdoptionRefused');
    expect(again.status?.applicationId).toBeUndefined();
    expect(h.secret('annotated')).toBeUndefined();
    expect(h.events('annotated').map((e) => `${e.type} ${e.reason}`)).toEqual([
      'Warning AdoptionRefused',
      'Warning AdoptionRefused',
    ]);
    const writes = () =>
      emulator.calls
        .list()
        .slice(calls)
        .filter((c) => c.method !== 'GET' && c.path.includes(console.id));
    expect(writes()).toEqual([]);

    // With the operator's finalizer set by hand, deletion still leaves the application alone.
    h.patchMetadata('annotated', { finalizers: [FINALIZER] });
    await h.delete('annotated');
    expect(h.get('annotated')).toBeUndefined();
    expect(writes()).toEqual([]);
    expect(emulator.state.applications.get(console.id)).toEqual(before);
  });

  it("never takes the operator's own application through an annotation that repeats spec.adoptApplicationId", async () => {
    // Both are the user's words: together they are an adoption, judged by the policy (never the
    // connection's own application), not a record of the operator's.
    const own = emulator.credentials.clientId;
    const before = structuredClone(emulator.state.applications.get(own)!);
    const calls = emulator.calls.count();
    h.create(
      'hijack',
      { type: 'MachineToMachine', adoptApplicationId: own },
      { [EXTERNAL_NAME_ANNOTATION]: own },
    );
    const refused = await h.reconcileStopped('hijack', 'PolicyDenied');
    expect(syncedMessage(refused)).toContain('ownApplication');
    expect(refused.status?.applicationId).toBeUndefined();
    expect(h.secret('hijack')).toBeUndefined();

    // A finalizer set by hand, then deletion: the application stays as it was.
    h.patchMetadata('hijack', { finalizers: [FINALIZER] });
    await h.delete('hijack');
    expect(h.get('hijack')).toBeUndefined();
    expect(writesSince(calls)).toEqual([]);
    expect(emulator.state.applications.get(own)).toEqual(before);
  });

  it('refuses an adoption whose type does not fit without recording the application as its own', async () => {
    const other = emulator.seed.application({ name: 'a traditional app', type: 'Traditional' });
    h.create(
      'wrong-type',
      { type: 'SPA', adoptApplicationId: other.id },
      { [EXTERNAL_NAME_ANNOTATION]: other.id },
    );
    const refused = await h.reconcileStopped('wrong-type', 'AdoptionRefused');
    expect(refused.status?.applicationId).toBeUndefined();
    await h.delete('wrong-type');
    expect(h.get('wrong-type')).toBeUndefined();
    expect(emulator.state.applications.has(other.id)).toBe(true);
  });

  it('looks for its own application by marker before creating when the recorded id names none', async () => {
    h.create('misnamed', { type: 'SPA' });
    const id = (await h.reconcileReady('misnamed')).status!.applicationId!;
    const creates = emulator.calls.count({ method: 'POST', route: '/api/applications' });
    for (const bogus of ['doesnotexist-1', 'doesnotexist-2']) {
      h.patchMetadata('misnamed', { annotations: { [EXTERNAL_NAME_ANNOTATION]: bogus } });
      h.forceSync('misnamed');
      const resource = await h.reconcileReady('misnamed');
      expect(resource.status!.applicationId).toBe(id);
      expect(resource.metadata.annotations![EXTERNAL_NAME_ANNOTATION]).toBe(id);
    }
    expect(emulator.calls.count({ method: 'POST', route: '/api/applications' })).toBe(creates);
  });

  it('refuses to adopt an application of another type, or one that does not exist', async () => {
    const m2m = emulator.seed.application({ name: 'robot', type: 'MachineToMachine' });
    h.create('other-type', { type: 'SPA', adoptApplicationId: m2m.id });
    const refused = await h.reconcileStopped('other-type', 'AdoptionRefused');
    expect(syncedMessage(refused)).toContain('type MachineToMachine');

    h.create('missing', { type: 'SPA', adoptApplicationId: 'doesnotexist' });
    await h.reconcileStopped('missing', 'ApplicationNotFound');
  });
});

describe('one application, two claimants', () => {
  const env = useReconcileHarness({ config: { flagPolicy: { adoption: { namePatterns: ['*'] } } } });

  it('two resources adopting the same application at once: exactly one wins, one Secret holds it', async () => {
    const { h } = env;
    const shared = h.emulator.seed.application({ name: 'shared', type: 'Traditional' });
    // Slow Logto: both passes read the application before either writes to it.
    h.emulator.faults.inject({ path: '/api/**', latencyMs: 100 });
    try {
      h.create('first', { type: 'Traditional', adoptApplicationId: shared.id });
      h.create('second', { type: 'Traditional', adoptApplicationId: shared.id });
      await Promise.all([h.reconcile('first'), h.reconcile('second')]);
    } finally {
      h.emulator.faults.clear();
    }
    const ready = ['first', 'second'].filter(
      (name) => h.status(name)?.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
    );
    expect(ready).toHaveLength(1);
    const loser = ready[0] === 'first' ? 'second' : 'first';
    expect(h.status(loser)?.conditions?.find((c) => c.type === 'Synced')).toMatchObject({
      reason: 'AdoptionRefused',
    });
    // The application carries the winner's marker, and only the winner published its credentials.
    const winner = h.get(ready[0]!)!;
    expect(readMarker(h.emulator.state.applications.get(shared.id)!.customData)?.uid).toBe(
      winner.metadata.uid,
    );
    expect(h.secret(ready[0]!)).toBeDefined();
    expect(h.secret(loser)).toBeUndefined();
  });
});

describe('a restore through the external-name annotation in a cluster without --cluster-name', () => {
  const env = useReconcileHarness();

  it('is taken back with the create token of the object it replaces; a stranger reusing the name is refused', async () => {
    const { h } = env;
    h.create('web', { type: 'SPA' });
    const original = await h.reconcileReady('web');
    const id = original.status!.applicationId!;
    const annotations = { ...original.metadata.annotations! };
    expect(annotations[CREATE_TOKEN_ANNOTATION]).toBeDefined();
    // The original goes without its finalizer running (a lost cluster).
    h.kube.lose(h.ns, 'web');

    // Someone who knows the application id (client ids are not secret) but not the token.
    h.create('web', { type: 'SPA' }, { [EXTERNAL_NAME_ANNOTATION]: id });
    const refused = await h.reconcileStopped('web', 'AdoptionRefused');
    expect(syncedMessage(refused)).toContain('create token');
    expect(readMarker(h.emulator.state.applications.get(id)!.customData)?.uid).toBe(original.metadata.uid);
    h.kube.lose(h.ns, 'web');

    // A restore brings the annotations back, token included: the application is taken back.
    h.create('web', { type: 'SPA' }, { ...annotations, [EXTERNAL_NAME_ANNOTATION]: id });
    const restored = await h.reconcileReady('web');
    expect(restored.status!.applicationId).toBe(id);
    expect(readMarker(h.emulator.state.applications.get(id)!.customData)?.uid).toBe(restored.metadata.uid);
  });
});
