/**
 * The generic managed reconciler against a fake ExternalClient, without Logto: the order of the
 * records a crash must not lose around a create, and what reaches the Secret and status.
 */
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { V1Secret } from '@kubernetes/client-node';
import {
  CreateRefused,
  type ExternalClient,
  type ExternalObservation,
} from '../../../src/controllers/logto-application/external-client.js';
import {
  CREATE_FAILED_ANNOTATION,
  CREATE_PENDING_ANNOTATION,
  CREATE_TOKEN_ANNOTATION,
  EXTERNAL_NAME_ANNOTATION,
} from '../../../src/controllers/logto-application/external-name.js';
import { ReconcileStop } from '../../../src/controllers/logto-application/outcome.js';
import type { KubeOperations } from '../../../src/controllers/logto-application/ports.js';
import { LogtoApplicationReconciler } from '../../../src/controllers/logto-application/reconciler.js';
import type { LogtoApplication, LogtoApplicationStatus } from '../../../src/crd/logto-application.js';
import { FIELD_MANAGER } from '../../../src/controllers/logto-application/constants.js';
import { digestAppliedSecret } from '../../../src/runtime/index.js';
import { resource as fixture } from './fixtures.js';

interface Fake {
  observation: ExternalObservation;
  create?: () => Promise<{ id: string; message: string }>;
}

/** A Secret as the operator publishes it for `resource`, owned by `ownerUid`. */
function secretOf(resource: LogtoApplication, ownerUid: string | undefined): V1Secret {
  return {
    metadata: {
      name: resource.metadata.name,
      namespace: resource.metadata.namespace,
      ownerReferences: [
        {
          apiVersion: 'logto.io/v1alpha1',
          kind: 'LogtoApplication',
          name: 'web',
          uid: ownerUid!,
          controller: true,
        },
      ],
    },
    data: { LOGTO_APP_ID: Buffer.from('app-published').toString('base64') },
  };
}

function setup(
  fake: Fake,
  options: {
    foreignSecret?: boolean;
    /** The resource's Secret, as the apiserver and the operator's cache hold it. */
    cachedSecret?: (resource: LogtoApplication) => V1Secret;
  } = {},
) {
  const object: LogtoApplication = fixture({ type: 'Traditional' });
  const log: string[] = [];
  const statuses: LogtoApplicationStatus[] = [];
  const kube: KubeOperations = {
    applyMetadata: (_resource, annotations) => {
      log.push(`metadata ${JSON.stringify(annotations)}`);
      return Promise.resolve(undefined);
    },
    removeFinalizer: () => Promise.resolve(),
    applyStatus: (_resource, next) => {
      log.push(`status ${next.applicationId ?? '-'}`);
      statuses.push(structuredClone(next));
      return Promise.resolve(undefined);
    },
    readSecret: () =>
      Promise.resolve(
        options.foreignSecret
          ? ({ metadata: { name: 'web', namespace: 'team-a' } } as V1Secret)
          : options.cachedSecret?.(object),
      ),
    applySecret: (secret) => {
      log.push(`secret ${Buffer.from(secret.data.LOGTO_APP_SECRET ?? '', 'base64').toString()}`);
      return Promise.resolve();
    },
    deleteSecret: () => Promise.resolve(),
  };
  const external: ExternalClient = {
    calls: [],
    intent: () => ({ managedSecrets: [] }),
    observe: () => {
      log.push('observe');
      return Promise.resolve(fake.observation);
    },
    create: () => {
      log.push('create');
      return fake.create ? fake.create() : Promise.resolve({ id: 'app-new', message: 'created app-new' });
    },
    update: () => {
      log.push('update');
      return Promise.resolve({
        title: 'app app-new',
        credentials: { endpoint: 'https://logto.test', appId: 'app-new', appSecret: 's3cret' },
        status: { publishedSecret: 'Default secret' },
        afterPublish: () => {
          log.push('afterPublish');
          return Promise.resolve();
        },
      });
    },
    delete: () => Promise.resolve(),
  };
  let connected = 0;
  const reconciler = new LogtoApplicationReconciler({
    resources: { get: () => object },
    ownedSecrets: {
      get: () => {
        const secret = options.cachedSecret?.(object);
        return secret && digestAppliedSecret(FIELD_MANAGER)(secret);
      },
    },
    kube,
    external: {
      connect: () => {
        connected++;
        return Promise.resolve(external);
      },
    },
    events: { record: (_r, type, reason) => void log.push(`event ${type} ${reason}`) },
    logger: pino({ level: 'silent' }),
    now: () => new Date('2026-11-29T10:00:00Z'),
    newToken: () => 'tok-1',
    settings: { resyncPeriodMs: 600_000, resyncJitter: 0, recheckAfterMs: 300_000, passDeadlineMs: 60_000 },
  });
  const key = { namespace: object.metadata.namespace, name: object.metadata.name };
  return { reconciler, key, log, statuses, object, external, connections: () => connected };
}

const pending = { [CREATE_PENDING_ANNOTATION]: '2026-11-29T10:00:00Z', [CREATE_TOKEN_ANNOTATION]: 'tok-1' };
const condition = (status: LogtoApplicationStatus | undefined, type: string) =>
  status?.conditions?.find((c) => c.type === type);

describe('managed reconciler', () => {
  it('a create: create-pending (with the finalizer) before it, then the Secret, then its id in status', async () => {
    const { reconciler, key, log, statuses } = setup({ observation: { exists: false } });
    await expect(reconciler.reconcile(key)).resolves.toEqual({ requeueAfterMs: 600_000 });
    // Three Kubernetes writes: no metadata write between the create and the status that records it.
    expect(log).toEqual([
      'observe',
      `metadata ${JSON.stringify(pending)}`,
      'create',
      'event Normal Created',
      'update',
      'secret s3cret',
      'afterPublish',
      'status app-new',
    ]);
    const last = statuses.at(-1);
    expect(last).toMatchObject({
      applicationId: 'app-new',
      secretName: 'web',
      publishedSecret: 'Default secret',
    });
    expect(condition(last, 'Synced')).toMatchObject({
      status: 'True',
      reason: 'ReconcileSuccess',
      message: 'app app-new matches the spec',
    });
    expect(condition(last, 'Ready')).toMatchObject({
      status: 'True',
      reason: 'Available',
      message: 'credentials of app app-new are in Secret web',
    });
  });

  it('records the external name of an observed resource before updating it', async () => {
    const { reconciler, key, log } = setup({ observation: { exists: true, id: 'app-1', record: true } });
    await reconciler.reconcile(key);
    expect(log.slice(0, 3)).toEqual([
      'observe',
      `metadata ${JSON.stringify({ [EXTERNAL_NAME_ANNOTATION]: 'app-1' })}`,
      'update',
    ]);
  });

  it('an application whose id status already records is not recorded again', async () => {
    const { reconciler, key, log, object } = setup({
      observation: { exists: true, id: 'app-1', record: false },
    });
    object.status = { applicationId: 'app-1' };
    await reconciler.reconcile(key);
    expect(log.filter((line) => line.startsWith('metadata'))).toEqual([]);
  });

  it('an external name that disagrees with status is corrected (identity.ts says record)', async () => {
    const { reconciler, key, log, object } = setup({
      observation: { exists: true, id: 'app-1', record: true },
    });
    object.status = { applicationId: 'app-1' };
    object.metadata.annotations = { [EXTERNAL_NAME_ANNOTATION]: 'app-0' };
    await reconciler.reconcile(key);
    expect(log).toContain(`metadata ${JSON.stringify({ [EXTERNAL_NAME_ANNOTATION]: 'app-1' })}`);
  });

  it("hands observe the id published in the resource's own Secret, read when asked", async () => {
    const seen: unknown[] = [];
    const { reconciler, key, external } = setup(
      { observation: { exists: false } },
      { cachedSecret: (r) => secretOf(r, r.metadata.uid) },
    );
    external.observe = async (hints) => {
      seen.push(await hints?.publishedId?.());
      return { exists: true, id: 'app-1', record: false };
    };
    await reconciler.reconcile(key);
    expect(seen).toEqual(['app-published']);
  });

  it("never hands observe the id in another's Secret: the pass stops at the Secret", async () => {
    const { reconciler, key, external } = setup(
      { observation: { exists: false } },
      { cachedSecret: (r) => secretOf(r, 'someone-else') },
    );
    let observed = false;
    external.observe = () => {
      observed = true;
      return Promise.resolve({ exists: true, id: 'app-1', record: false });
    };
    await expect(reconciler.reconcile(key)).rejects.toMatchObject({ reason: 'SecretConflict' });
    expect(observed).toBe(false);
  });

  it('a refused create is recorded as failed: the next pass creates without searching', async () => {
    const refused = new ReconcileStop('LogtoRejected', 'bad request');
    const { reconciler, key, log, statuses } = setup({
      observation: { exists: false },
      create: () => Promise.reject(new CreateRefused(refused)),
    });
    await expect(reconciler.reconcile(key)).rejects.toBe(refused);
    expect(log).toContain(
      `metadata ${JSON.stringify({ [CREATE_FAILED_ANNOTATION]: '2026-11-29T10:00:00Z' })}`,
    );
    expect(condition(statuses.at(-1), 'Synced')).toMatchObject({ status: 'False', reason: 'LogtoRejected' });
  });

  it('a create of unknown outcome stays pending, so that the next pass looks for it', async () => {
    const unknown = new ReconcileStop('LogtoUnavailable', 'no answer', { recheckAfterMs: 30_000 });
    const { reconciler, key, log, statuses } = setup({
      observation: { exists: false },
      create: () => Promise.reject(unknown),
    });
    await expect(reconciler.reconcile(key)).rejects.toMatchObject({ requeueAfterMs: 30_000 });
    expect(log.filter((line) => line.startsWith('metadata'))).toEqual([
      `metadata ${JSON.stringify(pending)}`,
    ]);
    expect(statuses.at(-1)?.applicationId).toBeUndefined();
  });

  it("stops on someone else's Secret before connecting to the external system", async () => {
    const { reconciler, key, log, statuses, connections } = setup(
      { observation: { exists: true, id: 'app-1', record: false } },
      { foreignSecret: true },
    );
    await expect(reconciler.reconcile(key)).rejects.toMatchObject({ reason: 'SecretConflict' });
    expect(connections()).toBe(0);
    expect(log).toEqual(['event Warning SecretConflict', 'status -']);
    expect(condition(statuses.at(-1), 'Ready')).toMatchObject({ status: 'False', reason: 'SecretConflict' });
  });
});
