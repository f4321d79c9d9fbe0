import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { needsReconcile } from '../../../src/operator.js';

const object = (metadata: KubernetesObject['metadata']): KubernetesObject => ({
  metadata: { name: 'a', ...metadata },
});

describe('needsReconcile', () => {
  const base = object({ generation: 1, annotations: { team: 'a' }, finalizers: ['example.com/x'] });

  it("skips the operator's own writes: status, its annotations, its finalizer added", () => {
    expect(needsReconcile(base, object({ ...base.metadata, resourceVersion: '9' }))).toBe(false);
    const annotated = object({
      ...base.metadata,
      annotations: { team: 'a', 'logto.io/external-name': 'app-1', 'logto.io/external-create-pending': 't' },
    });
    expect(needsReconcile(base, annotated)).toBe(false);
    expect(
      needsReconcile(base, object({ ...base.metadata, finalizers: ['example.com/x', 'logto.io/finalizer'] })),
    ).toBe(false);
  });

  it('acts on spec, deletion, finalizers of others, its finalizer removed, and annotations or labels of others', () => {
    expect(needsReconcile(base, object({ ...base.metadata, generation: 2 }))).toBe(true);
    expect(
      needsReconcile(base, object({ ...base.metadata, deletionTimestamp: new Date('2026-11-29T10:00:00Z') })),
    ).toBe(true);
    expect(needsReconcile(base, object({ ...base.metadata, finalizers: [] }))).toBe(true);
    const withOurs = object({ ...base.metadata, finalizers: ['example.com/x', 'logto.io/finalizer'] });
    expect(needsReconcile(withOurs, base)).toBe(true);
    expect(needsReconcile(base, object({ ...base.metadata, annotations: { team: 'b' } }))).toBe(true);
    expect(needsReconcile(base, object({ ...base.metadata, labels: { tier: 'web' } }))).toBe(true);
  });
});
