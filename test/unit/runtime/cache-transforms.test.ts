import type { KubernetesObject, V1ManagedFieldsEntry, V1Secret } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  LAST_APPLIED_ANNOTATION,
  digestAppliedSecret,
  MAX_DIGESTED_KEYS,
  valueDigest,
  stripManagedFields,
  stripWriteBookkeeping,
} from '../../../src/runtime/cache-transforms.js';
import { Informer } from '../../../src/runtime/informer.js';
import { FakeSource } from './fake-source.js';
import { silentLogger } from './helpers.js';

const managedFields: V1ManagedFieldsEntry[] = [
  { manager: 'kubectl', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:x': {} } } },
  {
    manager: 'logto-operator',
    operation: 'Apply',
    apiVersion: 'v1',
    time: new Date(0),
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:data': { 'f:LOGTO_APP_ID': {} } },
  },
];

describe('stripManagedFields', () => {
  it('drops managedFields and keeps everything else, without touching the original', () => {
    const obj = {
      apiVersion: 'v1',
      kind: 'X',
      metadata: { name: 'a', resourceVersion: '3', managedFields },
      spec: { k: 1 },
    };
    expect(stripManagedFields(obj)).toEqual({
      apiVersion: 'v1',
      kind: 'X',
      metadata: { name: 'a', resourceVersion: '3' },
      spec: { k: 1 },
    });
    expect(obj.metadata.managedFields).toBe(managedFields);
  });
});

describe('stripWriteBookkeeping', () => {
  it("drops managedFields and kubectl's last-applied copy, keeping other annotations", () => {
    const obj = {
      metadata: {
        name: 'a',
        managedFields,
        annotations: { [LAST_APPLIED_ANNOTATION]: '{"spec":{}}', 'logto.io/force-sync': '1' },
      },
    };
    expect(stripWriteBookkeeping(obj)).toEqual({
      metadata: { name: 'a', annotations: { 'logto.io/force-sync': '1' } },
    });
    expect(obj.metadata.annotations).toHaveProperty(LAST_APPLIED_ANNOTATION);
    const plain = { metadata: { name: 'b' } };
    expect(stripWriteBookkeeping(plain)).toBe(plain);
  });
});

describe('digestAppliedSecret', () => {
  it('keeps what drift detection compares: digests for values, the keys the manager applied', () => {
    const secret: V1Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 's',
        namespace: 'ns',
        uid: 'u',
        resourceVersion: '7',
        creationTimestamp: new Date(0),
        labels: { l: '1' },
        annotations: { a: '2' },
        ownerReferences: [
          {
            apiVersion: 'logto.io/v1alpha1',
            kind: 'LogtoApplication',
            name: 'app',
            uid: 'o',
            controller: true,
          },
        ],
        managedFields,
      },
      type: 'Opaque',
      data: { LOGTO_APP_ID: 'aWQ=', x: 'eA==' },
    };
    const digest = digestAppliedSecret('logto-operator')(secret);
    expect(digest).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 's',
        namespace: 'ns',
        uid: 'u',
        resourceVersion: '7',
        labels: { l: '1' },
        annotations: { a: '2' },
        ownerReferences: secret.metadata!.ownerReferences,
      },
      type: 'Opaque',
      // Only what the manager applied: x is kubectl's.
      dataDigests: { LOGTO_APP_ID: valueDigest('aWQ=') },
      appliedKeys: { data: ['LOGTO_APP_ID'] },
    });
    expect(JSON.stringify(digest)).not.toContain('aWQ=');
  });

  it('knows no applied keys when the manager never applied the Secret', () => {
    const digest = digestAppliedSecret('someone-else')({
      metadata: { name: 's', managedFields: managedFields.slice(1) },
    });
    expect(digest.metadata).toEqual({ name: 's' });
    expect(digest.appliedKeys).toEqual({});
  });

  it('digests every key when the applied ones are unknown, and nothing past the bound', () => {
    const digest = digestAppliedSecret('logto-operator');
    expect(digest({ metadata: { name: 's' }, data: { a: 'YQ==', b: 'Yg==' } }).dataDigests).toEqual({
      a: valueDigest('YQ=='),
      b: valueDigest('Yg=='),
    });
    // Anyone who may edit a Secret may label it as the operator's and fill it with keys.
    const many = Object.fromEntries(
      Array.from({ length: MAX_DIGESTED_KEYS + 1 }, (_, i) => [`k${i}`, 'eA==']),
    );
    const flooded = digest({
      metadata: {
        name: 's',
        managedFields: [
          {
            manager: 'logto-operator',
            operation: 'Apply',
            fieldsV1: { 'f:data': Object.fromEntries(Object.keys(many).map((k) => [`f:${k}`, {}])) },
          },
        ],
      },
      data: many,
    });
    expect(flooded.dataDigests).toBeUndefined();
    expect(flooded.appliedKeys).toEqual({});
  });

  it('tells values apart', () => {
    expect(valueDigest('YQ==')).toBe(valueDigest('YQ=='));
    expect(valueDigest('YQ==')).not.toBe(valueDigest('Yg=='));
    expect(valueDigest('YQ==')).toHaveLength(22);
  });
});

describe('Informer with a transform', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  const withManagedFields = (obj: KubernetesObject): KubernetesObject => ({
    ...obj,
    metadata: {
      ...obj.metadata,
      managedFields: [{ manager: 'm', operation: 'Update', fieldsV1: { 'f:data': {} } }],
    },
  });

  it('caches and hands out listed and watched objects without managedFields', async () => {
    const source = new FakeSource();
    source.objects.set('ns/a', withManagedFields(source.put('a')));
    const seen: KubernetesObject[] = [];
    const informer = new Informer<KubernetesObject>({
      source,
      logger: silentLogger(),
      watchTimeoutSeconds: 300,
      transform: stripManagedFields,
      handlers: {
        onAdd: (obj) => seen.push(obj),
        onUpdate: (_old, obj) => seen.push(obj),
        onDelete: (obj) => seen.push(obj),
      },
    });
    informer.start();
    await informer.waitForSync();
    await vi.advanceTimersByTimeAsync(0);
    source.current.emit('ADDED', withManagedFields(source.put('b')));
    source.current.emit('MODIFIED', withManagedFields(source.put('a', { k: 'v' })));
    source.current.emit('DELETED', withManagedFields(source.remove('b')));

    expect(seen.map((o) => o.metadata?.name)).toEqual(['a', 'b', 'a', 'b']);
    for (const obj of [...seen, ...informer.list()]) expect(obj.metadata).not.toHaveProperty('managedFields');
    expect(informer.list().map((o) => o.metadata?.name)).toEqual(['a']);
    expect(informer.get('ns', 'a')).toMatchObject({ data: { k: 'v' } });
    await informer.stop();
  });
});
