/**
 * The in-memory apiserver of the reconcile harness (test/support/memory-kube.ts) behaves like the
 * apiserver where the reconciler relies on it, and the harness's scan catches a leaked secret.
 */
import { describe, expect, it } from 'vitest';
import { FINALIZER } from '../../../src/controllers/logto-application/constants.js';
import {
  desiredSecret,
  secretUpToDate,
} from '../../../src/controllers/logto-application/credentials-secret.js';
import { KubernetesOperationError } from '../../../src/controllers/logto-application/kube-errors.js';
import { MemoryKube, mergePatch } from '../../support/memory-kube.js';
import { withReconcileHarness } from '../../support/reconcile-harness.js';

const decoded = (data: Record<string, string> | undefined) =>
  Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));

describe('MemoryKube', () => {
  it('merge patches as RFC 7386: null removes, objects merge, lists are replaced', () => {
    expect(mergePatch({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { b: null, c: [3] }, e: 2 })).toEqual({
      a: { c: [3] },
      d: 1,
      e: 2,
    });
  });

  it("applies the finalizer and annotations as server-side apply: others' stay, those it left out go", async () => {
    const kube = new MemoryKube();
    kube.create('ns', 'app', { type: 'SPA' }, { mine: 'no', 'someone/else': 'x' });
    kube.patchMetadata('ns', 'app', { finalizers: ['example.com/first'] });
    await kube.applyMetadata(kube.get('ns', 'app')!, { 'logto.io/a': '1', 'logto.io/b': '2' });
    let app = kube.get('ns', 'app')!;
    expect(app.metadata.finalizers).toEqual(['example.com/first', FINALIZER]);
    expect(app.metadata.annotations).toEqual({
      mine: 'no',
      'someone/else': 'x',
      'logto.io/a': '1',
      'logto.io/b': '2',
    });
    // A user's edit takes an annotation over: leaving it out of the next apply keeps it.
    kube.patchMetadata('ns', 'app', { annotations: { 'logto.io/b': 'edited' } });
    await kube.applyMetadata(kube.get('ns', 'app')!, { 'logto.io/c': '3' });
    app = kube.get('ns', 'app')!;
    expect(app.metadata.annotations).toEqual({
      mine: 'no',
      'someone/else': 'x',
      'logto.io/b': 'edited',
      'logto.io/c': '3',
    });
    expect(app.metadata.generation).toBe(1);
    kube.patchSpec('ns', 'app', { description: 'x' });
    expect(kube.get('ns', 'app')!.metadata.generation).toBe(2);
    kube.patchSpec('ns', 'app', { description: 'x' });
    expect(kube.get('ns', 'app')!.metadata.generation).toBe(2);
  });

  it('answers 409 to a write of a stale copy', async () => {
    const kube = new MemoryKube();
    const stale = kube.create('ns', 'app', { type: 'SPA' });
    kube.patchSpec('ns', 'app', { description: 'edited meanwhile' });
    const error = await kube.applyStatus(stale, { applicationId: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubernetesOperationError);
    expect((error as KubernetesOperationError).status).toBe(409);
    await expect(kube.applyStatus(kube.get('ns', 'app')!, { applicationId: 'x' })).resolves.toBeDefined();
    expect(kube.get('ns', 'app')!.status).toEqual({ applicationId: 'x' });
  });

  it('deletes at once without finalizers, else once the last one goes (generation moves)', async () => {
    const kube = new MemoryKube();
    kube.create('ns', 'plain', { type: 'SPA' });
    kube.delete('ns', 'plain');
    expect(kube.get('ns', 'plain')).toBeUndefined();

    kube.create('ns', 'held', { type: 'SPA' });
    kube.patchMetadata('ns', 'held', { finalizers: [FINALIZER, 'example.com/other'] });
    const seen = kube.get('ns', 'held')!;
    kube.delete('ns', 'held');
    const deleting = kube.get('ns', 'held')!;
    expect(deleting.metadata.deletionTimestamp).toBeDefined();
    expect(deleting.metadata.generation).toBe(2);
    // Another controller reordered the list since the pass read it: only the operator's goes.
    kube.patchMetadata('ns', 'held', { finalizers: ['example.com/other', FINALIZER] });
    await kube.removeFinalizer(seen);
    expect(kube.get('ns', 'held')!.metadata.finalizers).toEqual(['example.com/other']);
    kube.patchMetadata('ns', 'held', { finalizers: [] });
    expect(kube.get('ns', 'held')).toBeUndefined();
  });

  it("applies Secrets as server-side apply, and caches only the operator's", async () => {
    const kube = new MemoryKube();
    const resource = kube.create('ns', 'app', {
      type: 'SPA',
      secret: { templates: { EXTRA: '{{ appId }}' } },
    });
    expect(await kube.readSecret('ns', 'app')).toBeUndefined();
    const credentials = { endpoint: 'http://logto', appId: 'id-1' };
    await kube.applySecret(desiredSecret(resource, credentials));
    const cached = kube.ownedSecretCache.get('ns', 'app')!;
    expect(cached.appliedKeys.data?.sort()).toEqual(['EXTRA', 'LOGTO_APP_ID', 'LOGTO_ENDPOINT']);
    const withoutTemplate = { ...resource, spec: { type: 'SPA' as const } };
    // A key the operator applied and no longer wants makes the Secret out of date, and goes.
    expect(secretUpToDate(cached, desiredSecret(withoutTemplate, credentials))).toBe(false);
    await kube.applySecret(desiredSecret(withoutTemplate, credentials));
    expect(decoded(kube.secret('ns', 'app')!.data)).toEqual({
      LOGTO_ENDPOINT: 'http://logto',
      LOGTO_APP_ID: 'id-1',
    });

    kube.putSecret({ metadata: { name: 'foreign', namespace: 'ns' }, stringData: { K: 'v' } });
    expect(kube.ownedSecretCache.get('ns', 'foreign')).toBeUndefined();
    expect(decoded((await kube.readSecret('ns', 'foreign'))!.data)).toEqual({ K: 'v' });
  });
});

describe('ReconcileHarness', () => {
  it('finds a secret value that reached the logs', async () => {
    await withReconcileHarness({}, async (h) => {
      h.create('app', { type: 'Traditional' });
      const resource = await h.reconcileReady('app');
      expect(h.leaks()).toEqual([]);
      const value = h.emulator.state.applications.get(resource.status!.applicationId!)!.secrets[0]!.value;
      h.logs.push(JSON.stringify({ msg: `oops ${value}` }));
      expect(h.leaks()).toEqual([value]);
      h.logs.pop();
    });
  });
});
