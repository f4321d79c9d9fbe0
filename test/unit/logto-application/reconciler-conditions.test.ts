/**
 * How a pass reports itself in Synced and Ready, with the Logto client and the Kubernetes writes
 * faked: an unexpected error becomes Synced=False ReconcileError, an available application stays
 * Ready through a failed pass, and an abandoned pass writes nothing.
 */
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { FINALIZER } from '../../../src/controllers/logto-application/constants.js';
import type {
  EventRecorder,
  KubeOperations,
  LogtoApplicationsApi,
} from '../../../src/controllers/logto-application/ports.js';
import { LogtoConnector } from '../../../src/controllers/logto-application/logto-external.js';
import { LogtoApplicationReconciler } from '../../../src/controllers/logto-application/reconciler.js';
import type { LogtoApplication, LogtoApplicationStatus } from '../../../src/crd/logto-application.js';
import { LogtoApiError } from '../../../src/api/errors.js';
import { resource as fixture } from './fixtures.js';

/** A Logto client whose every call throws `error`. */
function failingLogto(error: unknown): LogtoApplicationsApi {
  return new Proxy({} as LogtoApplicationsApi, {
    get: (_target, property) => (property === 'then' ? undefined : () => Promise.reject(error)),
  });
}

function setup(error: unknown, status?: LogtoApplicationStatus) {
  const object: LogtoApplication = {
    ...fixture(),
    metadata: { ...fixture().metadata, generation: 2, finalizers: [FINALIZER] },
    ...(status ? { status } : {}),
  };
  const statuses: LogtoApplicationStatus[] = [];
  const events: string[] = [];
  const kube: KubeOperations = {
    applyMetadata: () => Promise.resolve(undefined),
    removeFinalizer: () => Promise.resolve(),
    applyStatus: (_resource, next) => {
      statuses.push(structuredClone(next));
      return Promise.resolve(undefined);
    },
    readSecret: () => Promise.resolve(undefined),
    applySecret: () => Promise.resolve(),
    deleteSecret: () => Promise.resolve(),
  };
  const recorder: EventRecorder = {
    record: (_r, type, reason, message) => void events.push(`${type} ${reason} ${message}`),
  };
  const reconciler = new LogtoApplicationReconciler({
    resources: { get: () => object },
    ownedSecrets: { get: () => undefined },
    kube,
    external: new LogtoConnector({
      logto: failingLogto(error),
      events: recorder,
      settings: { publicEndpoint: 'https://logto.test', commitWindowMs: 30_000 },
    }),
    events: recorder,
    logger: pino({ level: 'silent' }),
    settings: { resyncPeriodMs: 600_000, resyncJitter: 0, recheckAfterMs: 300_000, passDeadlineMs: 60_000 },
  });
  const key = { namespace: object.metadata.namespace, name: object.metadata.name };
  return { reconciler, key, statuses, events };
}

const condition = (status: LogtoApplicationStatus | undefined, type: string) =>
  status?.conditions?.find((c) => c.type === type);

const available: LogtoApplicationStatus = {
  applicationId: 'app-1',
  observedGeneration: 1,
  conditions: [
    {
      type: 'Synced',
      status: 'True',
      reason: 'ReconcileSuccess',
      message: '',
      observedGeneration: 1,
      lastTransitionTime: '2026-01-01T00:00:00Z',
    },
    {
      type: 'Ready',
      status: 'True',
      reason: 'Available',
      message: 'ok',
      observedGeneration: 1,
      lastTransitionTime: '2026-01-01T00:00:00Z',
    },
  ],
};

describe('LogtoApplicationReconciler conditions', () => {
  it('reports an unexpected error as Synced=False ReconcileError and still fails the pass with it', async () => {
    const boom = new RangeError('Invalid time value');
    const { reconciler, key, statuses, events } = setup(boom);
    await expect(reconciler.reconcile(key)).rejects.toBe(boom);
    const last = statuses.at(-1);
    expect(condition(last, 'Synced')).toMatchObject({
      status: 'False',
      reason: 'ReconcileError',
      message: 'RangeError: Invalid time value',
      observedGeneration: 2,
    });
    // Never available: Ready says why too.
    expect(condition(last, 'Ready')).toMatchObject({ status: 'False', reason: 'ReconcileError' });
    expect(events).toEqual(['Warning ReconcileError RangeError: Invalid time value']);
  });

  it('keeps an available application Ready when a pass fails, with the current generation', async () => {
    const outage = new LogtoApiError({ operation: 'get_application', status: 503, detail: 'down' });
    const { reconciler, key, statuses } = setup(outage, available);
    await expect(reconciler.reconcile(key)).rejects.toMatchObject({ reason: 'LogtoUnavailable' });
    const last = statuses.at(-1);
    expect(condition(last, 'Synced')).toMatchObject({
      status: 'False',
      reason: 'LogtoUnavailable',
      observedGeneration: 2,
    });
    expect(condition(last, 'Ready')).toMatchObject({
      status: 'True',
      reason: 'Available',
      observedGeneration: 2,
      lastTransitionTime: '2026-01-01T00:00:00Z',
    });
  });

  it('turns Ready False when the application it names is not available any more', async () => {
    const gone = new LogtoApiError({ operation: 'get_application', status: 404, detail: 'gone' });
    const { reconciler, key, statuses } = setup(gone, { ...available, applicationId: undefined });
    const object = (
      reconciler as unknown as { deps: { resources: { get(): LogtoApplication } } }
    ).deps.resources.get();
    object.spec.adoptApplicationId = 'missing-app';
    await expect(reconciler.reconcile(key)).rejects.toMatchObject({ reason: 'ApplicationNotFound' });
    expect(condition(statuses.at(-1), 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ApplicationNotFound',
    });
  });

  it('writes nothing for a pass abandoned through its abort signal', async () => {
    const controller = new AbortController();
    controller.abort(new Error('shutting down'));
    const { reconciler, key, statuses, events } = setup(new Error('aborted'));
    await expect(reconciler.reconcile(key, { signal: controller.signal, retries: 0 })).rejects.toThrow(
      'aborted',
    );
    expect(statuses).toEqual([]);
    expect(events).toEqual([]);
  });
});
