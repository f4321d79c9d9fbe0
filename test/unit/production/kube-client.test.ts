/**
 * The shared Kubernetes HTTP layer against a local stand-in apiserver (plain HTTP on 127.0.0.1): one
 * keep-alive pool, a bound on every request, the reconcile's abort signal, and watches alongside.
 */
import { CoreV1Api } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KubeClient, KubeRequestTimeoutError, kubePath } from '../../../src/kube/client.js';
import { describeError, httpStatusOf } from '../../../src/runtime/index.js';
import { withAbortSignal } from '../../../src/util/abort-scope.js';
import { kubeConfigFor, startFakeApiServer, type FakeApiServer } from './fake-apiserver.js';

let fake: FakeApiServer;
let client: KubeClient | undefined;

beforeEach(async () => {
  fake = await startFakeApiServer();
});
afterEach(async () => {
  await client?.close();
  client = undefined;
  fake.server.closeAllConnections();
  await new Promise((resolve) => fake.server.close(resolve));
});

describe('KubeClient', () => {
  it('sends the requests of every API client over the same keep-alive connections, authenticated', async () => {
    client = new KubeClient(kubeConfigFor(fake.url));
    const core = client.api(CoreV1Api);
    const other = client.api(CoreV1Api);
    for (let i = 0; i < 10; i++) {
      await core.readNamespacedSecret({ name: 's', namespace: 'ns' });
      await other.readNamespacedSecret({ name: 's', namespace: 'ns' });
    }
    expect(fake.requests).toHaveLength(20);
    // client-node alone opens one connection per request. undici may open a second while the first
    // finishes its previous response, and then alternates between the two.
    expect(fake.connections.length).toBeLessThanOrEqual(2);
    expect(fake.requests.every((r) => r.headers.authorization === 'Bearer test-token')).toBe(true);
  });

  it('caps the connections of a burst', async () => {
    client = new KubeClient(kubeConfigFor(fake.url), { maxConnections: 3 });
    const core = client.api(CoreV1Api);
    await Promise.all(
      Array.from({ length: 30 }, () => core.readNamespacedSecret({ name: 's', namespace: 'ns' })),
    );
    expect(fake.requests).toHaveLength(30);
    expect(fake.connections.length).toBeLessThanOrEqual(3);
  });

  it('gives up on a request that gets no answer within the timeout, and frees its connection', async () => {
    client = new KubeClient(kubeConfigFor(fake.url), { requestTimeoutMs: 300, maxConnections: 1 });
    const core = client.api(CoreV1Api);
    fake.hang.add('/api/v1/namespaces/ns/secrets/hung');
    const hung = core.readNamespacedSecret({ name: 'hung', namespace: 'ns' });
    await expect(hung).rejects.toBeInstanceOf(KubeRequestTimeoutError);
    await expect(hung).rejects.toThrow(
      /GET \/api\/v1\/namespaces\/ns\/secrets\/hung got no answer within 300 ms/,
    );
    // The only connection was given up with the request: the next one is answered.
    await expect(core.readNamespacedSecret({ name: 's', namespace: 'ns' })).resolves.toMatchObject({
      metadata: { name: 's' },
    });
  });

  it('stops a request when the abort signal of the work in progress fires', async () => {
    client = new KubeClient(kubeConfigFor(fake.url), { requestTimeoutMs: 60_000 });
    const core = client.api(CoreV1Api);
    fake.hang.add('/api/v1/namespaces/ns/secrets/hung');
    const reconcile = new AbortController();
    const call = withAbortSignal(reconcile.signal, () =>
      core.readNamespacedSecret({ name: 'hung', namespace: 'ns' }),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    reconcile.abort(new Error('controller stopped'));
    await expect(call).rejects.toThrow('controller stopped');
  });

  it('serves watches on their own connections, without the request timeout', async () => {
    client = new KubeClient(kubeConfigFor(fake.url), { requestTimeoutMs: 200, maxConnections: 1 });
    const core = client.api(CoreV1Api);
    fake.hang.add('/api/v1/namespaces/ns/secrets/hung');
    // The request pool's only connection is busy: a watch must not wait for it.
    const hung = core.readNamespacedSecret({ name: 'hung', namespace: 'ns' }).catch(() => undefined);
    const events: string[] = [];
    const ended = new Promise<unknown>((resolve) => {
      void client!
        .watch()
        .watch(
          '/api/v1/namespaces/ns/secrets',
          { resourceVersion: '1' },
          (type, object: { metadata: { name: string } }) => events.push(`${type} ${object.metadata.name}`),
          resolve,
        );
    });
    expect(await ended).toBeNull();
    expect(events).toEqual(['ADDED s']);
    const watchRequest = fake.requests.find((r) => r.url?.includes('watch=true'));
    expect(watchRequest?.headers.authorization).toBe('Bearer test-token');
    await hung;
  });
});

describe('KubeClient abandoned writes', () => {
  it('remembers a write that got no answer, not a read', async () => {
    client = new KubeClient(kubeConfigFor(fake.url), { requestTimeoutMs: 100 });
    const core = client.api(CoreV1Api);
    fake.hang.add('/api/v1/namespaces/ns/secrets/hung');
    await expect(core.readNamespacedSecret({ name: 'hung', namespace: 'ns' })).rejects.toThrow();
    expect(client.abandonedWriteWithin(60_000)).toBe(false);
    await expect(core.deleteNamespacedSecret({ name: 'hung', namespace: 'ns' })).rejects.toThrow();
    expect(client.abandonedWriteWithin(60_000)).toBe(true);
    expect(client.abandonedWriteWithin(0)).toBe(false);
  });
});

describe('KubeClient.request', () => {
  it('sends JSON with the content type asked for, authenticated, and answers the parsed object', async () => {
    client = new KubeClient(kubeConfigFor(fake.url));
    const path = kubePath('api', 'v1', 'namespaces', 'ns', 'secrets', 'a b');
    fake.answers.set('/api/v1/namespaces/ns/secrets/a%20b', {
      status: 200,
      body: { metadata: { name: 'a b' } },
    });
    const answer = await client.request<{ metadata: { name: string } }>({
      method: 'PATCH',
      path,
      query: { fieldManager: 'logto-operator', force: true, dryRun: undefined },
      body: { data: { K: 'dg==' } },
      contentType: 'application/apply-patch+yaml',
    });
    expect(answer.metadata.name).toBe('a b');
    const [request] = fake.requests;
    expect(request!.url).toBe('/api/v1/namespaces/ns/secrets/a%20b?fieldManager=logto-operator&force=true');
    expect(request!.headers['content-type']).toBe('application/apply-patch+yaml');
    expect(request!.headers.authorization).toBe('Bearer test-token');
    await new Promise((resolve) => setImmediate(resolve));
    expect(JSON.parse(fake.bodies[0]!)).toEqual({ data: { K: 'dg==' } });
  });

  it("fails as the generated clients do, with the apiserver's Status as the error's body", async () => {
    client = new KubeClient(kubeConfigFor(fake.url));
    fake.answers.set('/api/v1/namespaces/ns/secrets/gone', {
      status: 404,
      body: { kind: 'Status', reason: 'NotFound', message: 'secrets "gone" not found', code: 404 },
    });
    const error = await client
      .request({ method: 'GET', path: kubePath('api', 'v1', 'namespaces', 'ns', 'secrets', 'gone') })
      .catch((e: unknown) => e);
    expect(httpStatusOf(error)).toBe(404);
    expect(describeError(error)).toMatchObject({
      status: 404,
      reason: 'NotFound',
      message: 'secrets "gone" not found',
    });
  });

  it('refuses a path segment that would climb out of its place, and quotes no answer that is not JSON', async () => {
    expect(() => kubePath('api', 'v1', 'namespaces', '..', 'secrets')).toThrow(/not a segment/);
    client = new KubeClient(kubeConfigFor(fake.url));
    fake.raw.set('/api/v1/namespaces/ns/secrets/odd', 'c2VjcmV0 not json');
    const error = await client
      .request({ method: 'GET', path: kubePath('api', 'v1', 'namespaces', 'ns', 'secrets', 'odd') })
      .catch((e: unknown) => e as Error);
    expect((error as Error).message).toMatch(/the answer is not JSON/);
    expect((error as Error).message).not.toContain('c2VjcmV0');
  });

  it('stops when the abort signal of the work in progress fires', async () => {
    client = new KubeClient(kubeConfigFor(fake.url));
    fake.hang.add('/api/v1/namespaces/ns/secrets/hung');
    const controller = new AbortController();
    const pending = withAbortSignal(controller.signal, () =>
      client!.request({ method: 'GET', path: kubePath('api', 'v1', 'namespaces', 'ns', 'secrets', 'hung') }),
    );
    setTimeout(() => controller.abort(new Error('shutting down')), 20);
    await expect(pending).rejects.toThrow('shutting down');
  });
});
