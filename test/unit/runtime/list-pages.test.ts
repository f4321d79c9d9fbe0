import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import {
  KubernetesListWatch,
  listAllPages,
  type FetchListPage,
  type RawList,
} from '../../../src/runtime/list-watch.js';

const item = (i: number): KubernetesObject => ({ metadata: { name: `o-${i}`, namespace: 'ns' } });

/** A server-side list of `total` items served in pages, like the API server's `limit`/`continue`. */
function pagedServer(total: number, options: { expireTokenAt?: number } = {}) {
  const requests: { limit?: number; continue?: string }[] = [];
  const fetch: FetchListPage<KubernetesObject> = async (page) => {
    requests.push(page);
    const start = page.continue ? Number(page.continue.slice('token-'.length)) : 0;
    if (page.continue && start === options.expireTokenAt) {
      throw Object.assign(new Error('The provided continue parameter is too old'), { code: 410 });
    }
    const end = page.limit === undefined ? total : Math.min(total, start + page.limit);
    const items = Array.from({ length: end - start }, (_, i) => item(start + i));
    return {
      items,
      // Every page of one paginated list answers with the resourceVersion of the list's snapshot.
      metadata: { resourceVersion: '77', ...(end < total ? { continue: `token-${end}` } : {}) },
    };
  };
  return { fetch, requests };
}

describe('listAllPages', () => {
  it('follows continue tokens until the last page and returns every item with the snapshot version', async () => {
    const { fetch, requests } = pagedServer(23);
    const result = await listAllPages(fetch, 5);
    expect(result.items.map((o) => o.metadata?.name)).toEqual(Array.from({ length: 23 }, (_, i) => `o-${i}`));
    expect(result.resourceVersion).toBe('77');
    expect(requests).toEqual([
      { limit: 5 },
      { limit: 5, continue: 'token-5' },
      { limit: 5, continue: 'token-10' },
      { limit: 5, continue: 'token-15' },
      { limit: 5, continue: 'token-20' },
    ]);
  });

  it('takes the resourceVersion of the last page', async () => {
    const pages: RawList<KubernetesObject>[] = [
      { items: [item(0)], metadata: { resourceVersion: '10', continue: 'c1' } },
      { items: [item(1)], metadata: { resourceVersion: '12' } },
    ];
    const result = await listAllPages<KubernetesObject>(async () => pages.shift()!, 1);
    expect(result).toEqual({ items: [item(0), item(1)], resourceVersion: '12' });
  });

  it('falls back to one unpaginated list when a continue token expires (410), like client-go', async () => {
    const { fetch, requests } = pagedServer(12, { expireTokenAt: 10 });
    const result = await listAllPages(fetch, 5);
    expect(result.items).toHaveLength(12);
    expect(requests).toEqual([
      { limit: 5 },
      { limit: 5, continue: 'token-5' },
      { limit: 5, continue: 'token-10' },
      {},
    ]);
  });

  it('passes a 410 on the first page to the caller, and any other error', async () => {
    const gone = Object.assign(new Error('gone'), { code: 410 });
    await expect(listAllPages(() => Promise.reject(gone), 5)).rejects.toBe(gone);
    const { fetch } = pagedServer(12);
    const failing: FetchListPage<KubernetesObject> = (page) =>
      page.continue ? Promise.reject(Object.assign(new Error('boom'), { code: 500 })) : fetch(page);
    await expect(listAllPages(failing, 5)).rejects.toThrow('boom');
  });

  it('accepts a page without items (the API server sends "items": null for none)', async () => {
    const result = await listAllPages<KubernetesObject>(
      async () => ({ items: null, metadata: { resourceVersion: '5' } }),
      5,
    );
    expect(result).toEqual({ items: [], resourceVersion: '5' });
  });
});

/** Starts `server` on loopback and returns a kubeconfig pointing at it (plain HTTP, as a test API server). */
async function listen(server: Server): Promise<KubeConfig> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'c',
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        skipTLSVerify: true,
      },
    ],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

describe('KubernetesListWatch.list over HTTP', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  /** Serves a SecretList of `total` items in pages; records the query of every request. */
  async function apiServer(total: number) {
    const queries: URLSearchParams[] = [];
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      queries.push(url.searchParams);
      const limit = Number(url.searchParams.get('limit'));
      const start = Number(url.searchParams.get('continue') ?? 0);
      const end = Math.min(total, start + limit);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'SecretList',
          apiVersion: 'v1',
          metadata: {
            resourceVersion: '900',
            ...(end < total ? { continue: String(end), remainingItemCount: total - end } : {}),
          },
          items: Array.from({ length: end - start }, (_, i) => ({
            metadata: { name: `s-${start + i}`, namespace: 'ns', creationTimestamp: '2026-01-01T00:00:00Z' },
          })),
        }),
      );
    });
    return { kc: await listen(server), queries };
  }

  it('keeps the continue token of the list metadata (client-node would drop it) and reads every page', async () => {
    const { kc, queries } = await apiServer(12);
    const source = new KubernetesListWatch(kc, {
      resource: { group: '', version: 'v1', plural: 'secrets' },
      namespace: 'ns',
      labelSelector: 'a=b',
      pageSize: 5,
    });
    const result = await source.list();
    expect(result.items.map((o) => o.metadata?.name)).toEqual(Array.from({ length: 12 }, (_, i) => `s-${i}`));
    expect(result.resourceVersion).toBe('900');
    expect(queries.map((q) => [q.get('limit'), q.get('continue'), q.get('labelSelector')])).toEqual([
      ['5', null, 'a=b'],
      ['5', '5', 'a=b'],
      ['5', '10', 'a=b'],
    ]);
    // Plain JSON as on the watch stream: timestamps stay strings.
    expect(result.items[0]?.metadata?.creationTimestamp).toBe('2026-01-01T00:00:00Z');
  });

  it('rejects with the HTTP status as code on an error answer', async () => {
    server = createServer((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', code: 403, reason: 'Forbidden', message: 'no' }));
    });
    const kc = await listen(server);
    const source = new KubernetesListWatch(kc, { resource: { group: '', version: 'v1', plural: 'secrets' } });
    await expect(source.list()).rejects.toMatchObject({ code: 403, body: { reason: 'Forbidden' } });
  });
});
