/**
 * How a pass fails and recovers against Logto (the emulator), with the real reconciler and
 * connector and an in-memory apiserver (test/support/reconcile-harness.ts): specs only the
 * controller can judge, Logto outages, rate limits and expired tokens, a Management API client
 * without permission or with refused credentials, an unexpected error in a pass, and a deletion
 * during an outage. Each pass is run explicitly: "after the backoff" is the next pass.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FINALIZER } from '../../../src/controllers/logto-application/constants.js';
import { MARKER_KEY } from '../../../src/controllers/logto-application/ownership-marker.js';
import type { LogtoEmulator } from '../../emulator/index.js';
import { syncedMessage } from '../../support/operator.js';
import {
  useReconcileHarness,
  withReconcileHarness,
  type ReconcileHarness,
} from '../../support/reconcile-harness.js';

/** Type and reason of the resource's Events, oldest first. */
const eventsOf = (h: ReconcileHarness, name: string) => h.events(name).map((e) => `${e.type} ${e.reason}`);

describe('failures a pass reports', () => {
  const env = useReconcileHarness({
    // As the integration suite's operator: adoption is allowed by name.
    config: { flagPolicy: { adoption: { namePatterns: ['*'] } } },
  });
  let h: ReconcileHarness, emulator: LogtoEmulator;
  beforeAll(() => {
    h = env.h;
    emulator = h.emulator;
  });

  it('an invalid spec the schema cannot catch: Ready=False InvalidSpec and no Logto call', async () => {
    const calls = emulator.calls.count();
    h.create('reserved', { type: 'SPA', customData: { [MARKER_KEY]: { uid: 'forged' } } });
    const resource = await h.reconcileStopped('reserved', 'InvalidSpec');
    expect(syncedMessage(resource)).toContain('reserved');
    expect(resource.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'InvalidSpec',
    });
    expect(eventsOf(h, 'reserved')).toEqual(['Warning InvalidSpec']);
    expect(
      emulator.calls
        .list()
        .slice(calls)
        .filter((c) => c.route !== '/oidc/token'),
    ).toEqual([]);
  });

  it('names the access-control ids Logto does not know: an unknown user id', async () => {
    const apps = emulator.state.applications.size;
    h.create('gated', { type: 'Traditional', accessControl: { userIds: ['no-such-user'] } });
    const resource = await h.reconcileStopped('gated', 'LogtoNotFound');
    expect(syncedMessage(resource)).toContain(
      'spec.accessControl.userIds names ids that do not exist in Logto: no-such-user',
    );
    // The application itself is kept; fixing the rule converges it.
    expect(emulator.state.applications.size).toBe(apps + 1);
    const user = emulator.seed.user({ name: 'Ada' });
    h.patchSpec('gated', { accessControl: { userIds: [user.id] } });
    const converged = await h.reconcileReady('gated');
    expect(converged.status!.applicationId).toBe(resource.status!.applicationId);
    expect(emulator.state.applications.size).toBe(apps + 1);
  });

  it('keeps an available application Ready through an outage: only Synced turns False', async () => {
    h.create('steady', { type: 'Traditional' });
    await h.reconcileReady('steady');
    emulator.faults.startOutage(503);
    try {
      h.patchSpec('steady', { description: 'changed during the outage' });
      const down = await h.reconcileStopped('steady', 'LogtoUnavailable');
      const ready = down.status!.conditions!.find((c) => c.type === 'Ready')!;
      expect(ready).toMatchObject({ status: 'True', reason: 'Available' });
      expect(ready.observedGeneration).toBe(down.metadata.generation);
      expect(syncedMessage(down)).toMatch(/HTTP 503/);
    } finally {
      emulator.faults.endOutage();
    }
    // The pass that probes, once the breaker's backoff has passed and Logto is back.
    h.elapse(60_000);
    const up = await h.reconcileReady('steady');
    expect(emulator.state.applications.get(up.status!.applicationId!)?.description).toBe(
      'changed during the outage',
    );
  });

  it('waits out 429 Retry-After and 5xx answers within a call', async () => {
    emulator.faults.inject({ method: 'POST', path: '/api/applications', retryAfterSeconds: 1, times: 1 });
    emulator.faults.inject({ method: 'GET', path: '/api/applications/{id}/secrets', status: 500, times: 2 });
    h.create('throttled', { type: 'Traditional' });
    // One pass: the transport waits the answers out within its calls.
    await h.reconcileReady('throttled');
    expect(emulator.calls.count({ method: 'POST', route: '/api/applications', status: 429 })).toBe(1);
    expect(emulator.calls.count({ route: '/api/applications/{id}/secrets', status: 500 })).toBe(2);
  });

  it('converges after the access token expires early (one refresh on 401)', async () => {
    // A token in the cache, as a running operator has one.
    h.create('before-expiry', { type: 'SPA' });
    await h.reconcileReady('before-expiry');
    const tokens = emulator.calls.count({ route: '/oidc/token' });
    const refusals = emulator.calls.count({ status: 401 });
    emulator.expireTokens();
    h.create('after-expiry', { type: 'SPA' });
    await h.reconcileReady('after-expiry');
    expect(emulator.calls.count({ status: 401 }) - refusals).toBeGreaterThanOrEqual(1);
    expect(emulator.calls.count({ route: '/oidc/token' }) - tokens).toBe(1);
  });

  it('keeps the finalizer through an outage during deletion, then deletes the app', async () => {
    h.create('delete-in-outage', { type: 'SPA' });
    const id = (await h.reconcileReady('delete-in-outage')).status!.applicationId!;
    emulator.faults.startOutage(503);
    try {
      const pass = await h.delete('delete-in-outage');
      const stuck = h.assertStopped('delete-in-outage', 'DeletionFailed', pass);
      expect(stuck.metadata.finalizers).toContain(FINALIZER);
      expect(syncedMessage(stuck)).toMatch(/HTTP 503/);
      expect(eventsOf(h, 'delete-in-outage')).toContain('Warning DeletionFailed');
    } finally {
      emulator.faults.endOutage();
    }
    // The pass after the backoff (the breaker's probe), once Logto is back.
    h.elapse(60_000);
    await h.reconcile('delete-in-outage');
    expect(h.get('delete-in-outage')).toBeUndefined();
    expect(emulator.state.applications.get(id)).toBeUndefined();
    expect(eventsOf(h, 'delete-in-outage').at(-1)).toBe('Normal Deleted');
  });
});

describe('a Logto client that lacks the Management API role', () => {
  it('reports Forbidden with a clear message and creates nothing', async () => {
    await withReconcileHarness({ emulator: { operator: { withManagementRole: false } } }, async (h) => {
      h.create('app', { type: 'SPA' });
      const resource = await h.reconcileStopped('app', 'Forbidden');
      expect(syncedMessage(resource)).toContain('Logto Management API access');
      expect(h.emulator.state.applications.size).toBe(1); // only the operator's own app
      expect(eventsOf(h, 'app')).toEqual(['Warning Forbidden']);
    });
  });
});

describe('own credentials that Logto refuses', () => {
  async function refusedWith(
    prepare: (emulator: LogtoEmulator) => { clientId?: string },
  ): Promise<{ message: string; secret: string }> {
    return withReconcileHarness({ config: prepare }, async (h) => {
      h.create('app', { type: 'SPA' });
      const resource = await h.reconcileStopped('app', 'Unauthorized');
      expect(h.emulator.state.applications.size).toBe(1); // only the operator's own app
      expect(h.logs.join('\n')).not.toContain(h.emulator.credentials.clientSecret);
      return { message: syncedMessage(resource), secret: h.emulator.credentials.clientSecret };
    });
  }

  it('an unknown client id: Unauthorized, saying Logto knows no such application', async () => {
    const { message, secret } = await refusedWith(() => ({ clientId: 'no-such-client' }));
    expect(message).toContain('Logto knows no application with the client id no-such-client');
    expect(message).not.toContain(secret);
  });

  it('an expired client secret: Unauthorized, saying it has expired', async () => {
    const { message, secret } = await refusedWith((emulator) => {
      const own = emulator.state.applications.get(emulator.credentials.clientId)!;
      for (const s of own.secrets) s.expiresAt = Date.now() - 60_000;
      return {};
    });
    expect(message).toMatch(/client secret of application \S+ has expired/);
    expect(message).not.toContain(secret);
  });
});

describe('an unexpected error in a pass', () => {
  it('shows as Synced=False ReconcileError with its message, and the pass is retried until it converges', async () => {
    let failing = true;
    await withReconcileHarness(
      {
        // Not a planned stop: a bug-like error thrown in the middle of the pass.
        onKubeCall: (operation) => {
          if (failing && operation === 'applySecret')
            throw new TypeError('injected failure before the Secret');
        },
      },
      async (h) => {
        h.create('app', { type: 'SPA' });
        const failed = await h.reconcileStopped('app', 'ReconcileError');
        expect(syncedMessage(failed)).toBe('TypeError: injected failure before the Secret');
        expect(eventsOf(h, 'app')).toEqual(['Normal Created', 'Warning ReconcileError']);
        failing = false;
        // The retry.
        const converged = await h.reconcileReady('app');
        // The same application: the failed pass had recorded it.
        expect(converged.status!.applicationId).toBe(failed.status!.applicationId);
        expect(h.emulator.state.applications.size).toBe(2); // the operator's own and this one
      },
    );
  });
});
