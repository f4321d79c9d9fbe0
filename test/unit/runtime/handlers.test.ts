import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { enqueueHandlers, ownerKeys } from '../../../src/runtime/handlers.js';
import type { ObjectKey } from '../../../src/runtime/object-key.js';

const obj = (meta: NonNullable<KubernetesObject['metadata']>): KubernetesObject => ({
  metadata: { namespace: 'ns', name: 'x', ...meta },
});

describe('enqueueHandlers', () => {
  it('queues the object key on add, update and delete', () => {
    const keys: ObjectKey[] = [];
    const handlers = enqueueHandlers({ enqueue: (k) => keys.push(k) });
    handlers.onAdd?.(obj({ name: 'a' }));
    handlers.onUpdate?.(obj({ name: 'b' }), obj({ name: 'b' }));
    handlers.onDelete?.(obj({ name: 'c' }), { finalStateUnknown: true });
    expect(keys.map((k) => k.name)).toEqual(['a', 'b', 'c']);
  });

  it('maps owned objects to their owners and filters updates', () => {
    const keys: ObjectKey[] = [];
    const handlers = enqueueHandlers(
      { enqueue: (k) => keys.push(k) },
      {
        map: ownerKeys({ group: 'logto.io', kind: 'LogtoApplication', controllerOnly: true }),
        shouldEnqueueUpdate: (before, after) => before.metadata?.generation !== after.metadata?.generation,
      },
    );
    const secret = obj({
      name: 'app-credentials',
      ownerReferences: [
        {
          apiVersion: 'logto.io/v1alpha1',
          kind: 'LogtoApplication',
          name: 'app',
          uid: '1',
          controller: true,
        },
        { apiVersion: 'logto.io/v1alpha1', kind: 'LogtoApplication', name: 'not-controller', uid: '2' },
        { apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', uid: '3', controller: true },
      ],
    });
    handlers.onAdd?.(secret);
    handlers.onUpdate?.(secret, secret); // same generation: filtered
    handlers.onAdd?.(obj({ name: 'orphan' }));
    expect(keys).toEqual([{ namespace: 'ns', name: 'app' }]);
  });
});
