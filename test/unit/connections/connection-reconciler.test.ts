import { describe, expect, it } from 'vitest';
import { LogtoApiError } from '../../../src/api/errors.js';
import type { ConnectionRuntime } from '../../../src/connections/runtime.js';
import type { LogtoConnectionObject, LogtoConnectionStatus } from '../../../src/crd/logto-connection.js';
import {
  CONNECTION_FINALIZER,
  connectionFinalizer,
  LogtoConnectionReconciler,
} from '../../../src/controllers/logto-connection/reconciler.js';
import { silentLogger } from '../runtime/helpers.js';

const base = (overrides: Partial<LogtoConnectionObject['metadata']> = {}): LogtoConnectionObject => ({
  metadata: { name: 'shared', generation: 3, resourceVersion: '7', ...overrides },
  spec: {
    endpoint: 'https://logto.example.com',
    managementApiResource: 'https://default.logto.app/api',
    requestTimeout: '15s',
    credentialsSecretRef: {
      name: 's',
      namespace: 'ops',
      clientIdKey: 'clientId',
      clientSecretKey: 'clientSecret',
    },
  },
});

function setup(
  object: LogtoConnectionObject | undefined,
  options: { users?: number; failure?: unknown; finalizer?: string } = {},
) {
  const writes: {
    finalizers: string[][];
    statuses: LogtoConnectionStatus[];
    forgotten: string[];
    calls: string[];
  } = { finalizers: [], statuses: [], forgotten: [], calls: [] };
  const runtime = {
    tokens: {
      getToken: () => {
        writes.calls.push('token');
        return options.failure ? Promise.reject(options.failure) : Promise.resolve('t');
      },
    },
    applicationId: () => Promise.resolve('op-app'),
    logto: {
      listApplicationsPage: () => {
        writes.calls.push('list');
        return Promise.resolve({ items: [], total: 0 });
      },
      directory: {
        findResource: () => Promise.resolve({ id: 'r' }),
        findRole: () => Promise.resolve(undefined),
      },
    },
  } as unknown as ConnectionRuntime;
  const reconciler = new LogtoConnectionReconciler({
    connections: { get: () => object },
    registry: {
      runtimeOf: () => Promise.resolve(runtime),
      forget: (key) => {
        writes.forgotten.push(key);
        return Promise.resolve();
      },
    },
    users: () => options.users ?? 0,
    kube: {
      setFinalizers: (_, finalizers) => {
        writes.finalizers.push(finalizers);
        return Promise.resolve();
      },
      writeStatus: (_, status) => {
        writes.statuses.push(status);
        return Promise.resolve();
      },
    },
    logger: silentLogger(),
    recheckMs: 600_000,
    retryMs: 10_000,
    ...(options.finalizer ? { finalizer: options.finalizer } : {}),
    now: () => new Date('2026-11-29T00:00:00Z'),
  });
  return { reconciler, writes };
}

describe('LogtoConnectionReconciler', () => {
  it('adds its finalizer, checks the connection and reports Ready, the app id, features and the count', async () => {
    const { reconciler, writes } = setup(base({ finalizers: ['other'] }), { users: 2 });
    expect(await reconciler.reconcile({ namespace: '', name: 'shared' })).toEqual({
      requeueAfterMs: 600_000,
    });
    expect(writes.finalizers).toEqual([['other', CONNECTION_FINALIZER]]);
    expect(writes.calls).toEqual(['token', 'list']);
    expect(writes.statuses).toHaveLength(1);
    expect(writes.statuses[0]).toMatchObject({
      observedGeneration: 3,
      applicationId: 'op-app',
      applicationCount: 2,
      serverFeatures: { managementApiResource: true, managementApiAccessRole: false },
      conditions: [{ type: 'Ready', status: 'True', reason: 'Connected', observedGeneration: 3 }],
    });
  });

  it('reports why it is not Ready and looks again soon', async () => {
    const failure = new LogtoApiError({
      operation: 'fetch_access_token',
      status: 401,
      detail: 'invalid client',
    });
    const { reconciler, writes } = setup(base({ finalizers: [CONNECTION_FINALIZER] }), { failure, users: 1 });
    expect(await reconciler.reconcile({ namespace: '', name: 'shared' })).toEqual({ requeueAfterMs: 10_000 });
    expect(writes.finalizers).toEqual([]);
    expect(writes.statuses[0]!.conditions![0]).toMatchObject({ status: 'False', reason: 'Unauthorized' });
    const missing = setup(base(), { failure: new Error('credentials Secret ops/s has no key "clientId"') });
    await missing.reconciler.reconcile({ namespace: '', name: 'shared' });
    expect(missing.writes.statuses[0]!.conditions![0]).toMatchObject({
      status: 'False',
      reason: 'ConfigurationError',
      message: 'credentials Secret ops/s has no key "clientId"',
    });
  });

  it('holds the connection only while its applications use it', async () => {
    const unused = setup(base({ finalizers: ['other', CONNECTION_FINALIZER] }), { users: 0 });
    await unused.reconciler.reconcile({ namespace: '', name: 'shared' });
    expect(unused.writes.finalizers).toEqual([['other']]);
    const never = setup(base({ finalizers: ['other'] }), { users: 0 });
    await never.reconciler.reconcile({ namespace: '', name: 'shared' });
    expect(never.writes.finalizers).toEqual([]);
  });

  it("holds its own finalizer per watched scope, and never releases another operator's", async () => {
    const mine = connectionFinalizer(['team-b', 'team-a']);
    expect(mine).toBe(connectionFinalizer(['team-a', 'team-b']));
    expect(mine).not.toBe(connectionFinalizer(['team-c']));
    expect(mine).toMatch(/^logto\.io\/connection-in-use-[0-9a-f]{10}$/);
    expect(connectionFinalizer([])).toBe(CONNECTION_FINALIZER);
    const deleting = base({
      finalizers: [CONNECTION_FINALIZER, mine],
      deletionTimestamp: '2026-11-29T00:00:00Z',
    });
    const other = setup(deleting, { users: 0, finalizer: connectionFinalizer(['team-c']) });
    await other.reconciler.reconcile({ namespace: '', name: 'shared' });
    expect(other.writes.finalizers).toEqual([]);
  });

  it('holds a deletion while applications use the connection, then lets it go', async () => {
    const deleting = base({
      finalizers: [CONNECTION_FINALIZER, 'other'],
      deletionTimestamp: '2026-11-29T00:00:00Z',
    });
    const held = setup(deleting, { users: 1 });
    expect(await held.reconciler.reconcile({ namespace: '', name: 'shared' })).toEqual({
      requeueAfterMs: 10_000,
    });
    expect(held.writes.finalizers).toEqual([]);
    expect(held.writes.statuses[0]).toMatchObject({ applicationCount: 1 });
    expect(held.writes.calls).toEqual([]);

    const released = setup(deleting, { users: 0 });
    await released.reconciler.reconcile({ namespace: '', name: 'shared' });
    expect(released.writes.finalizers).toEqual([['other']]);
    expect(released.writes.forgotten).toEqual(['ClusterLogtoConnection/shared']);
  });

  it('reuses a fresh check when only the count changed; checks again after invalidate or a new generation', async () => {
    const object = base({ finalizers: [CONNECTION_FINALIZER] });
    const { reconciler, writes } = setup(object, { users: 1 });
    await reconciler.reconcile({ namespace: '', name: 'shared' });
    await reconciler.reconcile({ namespace: '', name: 'shared' });
    expect(writes.calls).toEqual(['token', 'list']);
    reconciler.invalidate('ClusterLogtoConnection/shared');
    await reconciler.reconcile({ namespace: '', name: 'shared' });
    expect(writes.calls).toHaveLength(4);
    object.metadata.generation = 4;
    await reconciler.reconcile({ namespace: '', name: 'shared' });
    expect(writes.calls).toHaveLength(6);
  });

  it('forgets the runtime of a connection that is gone; a key with a namespace is a LogtoConnection', async () => {
    const { reconciler, writes } = setup(undefined);
    await reconciler.reconcile({ namespace: 'team-a', name: 'own' });
    expect(writes.forgotten).toEqual(['LogtoConnection/team-a/own']);
  });
});
