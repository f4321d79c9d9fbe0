/**
 * A status the apiserver cannot server-side apply: kube-apiserver 1.34 admits an array where the
 * schema declares a date-time string (the CRD now refuses it; objects stored before may hold one),
 * and every server-side apply of such an object then fails with 500 while converting it to its
 * schema's types. The status, and so the pass's reason, still reaches the resource: through a JSON
 * patch, which converts nothing (seen on kube-apiserver 1.34).
 */
import { describe, expect, it } from 'vitest';
import { KubernetesOperations } from '../../../src/controllers/logto-application/kube-operations.js';
import type { LogtoApplication } from '../../../src/crd/logto-application.js';
import type { KubeClient, KubeRequest } from '../../../src/kube/client.js';
import { resource } from './fixtures.js';

function operationsAgainst(patchStatus: (args: { body: unknown }, contentType: string) => Promise<unknown>) {
  const calls: string[] = [];
  const kube = {
    request: (request: KubeRequest) => {
      expect(request.path).toMatch(/\/logtoapplications\/[^/]+\/status$/);
      const contentType = request.contentType ?? '?';
      calls.push(contentType);
      return patchStatus({ body: request.body }, contentType);
    },
  } as unknown as KubeClient;
  return { operations: new KubernetesOperations(kube), calls };
}

const failed = (code: number) =>
  Object.assign(new Error(`HTTP ${code}`), {
    code,
    body: { message: 'failed to convert new object to smd typed' },
  });

describe('writing status', () => {
  const object: LogtoApplication = {
    ...resource({ type: 'Traditional' }),
    status: { observedGeneration: 1 },
  };
  const status = {
    observedGeneration: 2,
    conditions: [
      {
        type: 'Synced',
        status: 'False' as const,
        reason: 'InvalidSpec',
        message: 'secrets[1].expiresAt: ["x"] is not an RFC 3339 time',
        lastTransitionTime: '2026-12-07T00:00:00Z',
        observedGeneration: 2,
      },
    ],
  };

  it('falls back to a JSON patch of the whole status when server-side apply fails with 500', async () => {
    let written: unknown;
    const { operations, calls } = operationsAgainst(async (args, contentType) => {
      if (contentType === 'application/apply-patch+yaml') throw failed(500);
      written = args.body;
      return { metadata: { resourceVersion: '7' } };
    });
    expect(await operations.applyStatus(object, status)).toBe('7');
    expect(calls).toEqual(['application/apply-patch+yaml', 'application/json-patch+json']);
    expect(written).toEqual([{ op: 'add', path: '/status', value: status }]);
  });

  it('passes any other refusal on as it was', async () => {
    const { operations, calls } = operationsAgainst(async () => {
      throw failed(422);
    });
    await expect(operations.applyStatus(object, status)).rejects.toMatchObject({ status: 422 });
    expect(calls).toEqual(['application/apply-patch+yaml']);
  });
});
