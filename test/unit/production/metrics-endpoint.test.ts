/**
 * /metrics as served (on 127.0.0.1, reviews faked): HTTPS with each answer the authorizer gives, the
 * self-signed certificate, certificate files swapped while serving, and the plain HTTP fallback.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { startHttpServer, type HttpEndpoint } from '../../../src/runtime/http-server.js';
import type { NonResourceRequest, ReviewClient, ReviewedUser } from '../../../src/runtime/metrics-auth.js';
import { metricsServing, type MetricsServing } from '../../../src/runtime/metrics-endpoint.js';
import {
  checkKeyPair,
  selfSignedCertificate,
  watchCertificateDir,
} from '../../../src/runtime/metrics-tls.js';
import { OperatorMetrics } from '../../../src/runtime/metrics.js';
import { eventually } from '../../support/eventually.js';
import { scrape } from '../../support/scrape.js';

const logger = createLogger({ level: 'silent' });
const LOOPBACK = { host: '127.0.0.1', port: 0 };

const reviews: ReviewClient & { calls: number; down: boolean } = {
  calls: 0,
  down: false,
  async authenticate(token: string): Promise<ReviewedUser | undefined> {
    this.calls++;
    if (this.down) throw new Error('connect ECONNREFUSED');
    return token === 'reader' || token === 'stranger' ? { username: token } : undefined;
  },
  async authorize(user: ReviewedUser, request: NonResourceRequest): Promise<boolean> {
    this.calls++;
    return user.username === 'reader' && request.verb === 'get' && request.path === '/metrics';
  },
};

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(secure: boolean, certDir?: string): Promise<{ url: string; serving: MetricsServing }> {
  const metrics = new OperatorMetrics({ defaultMetrics: false });
  metrics.leaderElection('lock').startedLeading!();
  const serving = await metricsServing({
    metrics,
    kubeConfig: new KubeConfig(),
    logger,
    secure,
    certDir,
    reviews,
  });
  const server: HttpEndpoint = await startHttpServer({
    address: LOOPBACK,
    routes: serving.routes,
    logger,
    name: 'metrics',
    tls: serving.tls,
  });
  cleanups.push(
    () => server.close(),
    () => serving.close(),
  );
  return { url: `${server.url}/metrics`, serving };
}

describe('the metrics endpoint', () => {
  it('over HTTPS: 401 without or with a bad token, 403 unauthorized, 200 authorized, 503 when reviews fail', async () => {
    const { url, serving } = await serve(true);
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const ca = serving.tls!.current().cert;

    const anonymous = await scrape(url, { ca });
    expect(anonymous).toMatchObject({ status: 401, body: 'Unauthorized' });
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    expect(await scrape(url, { ca, token: 'forged' })).toMatchObject({ status: 401 });
    expect(await scrape(url, { ca, token: 'stranger' })).toMatchObject({ status: 403, body: 'Forbidden' });
    const allowed = await scrape(url, { ca, token: 'reader' });
    expect(allowed.status).toBe(200);
    expect(allowed.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(allowed.body).toContain('leader_election_master_status{name="lock"} 1');
    expect((await scrape(url, { ca, token: 'reader', method: 'HEAD' })).status).toBe(200);

    reviews.down = true;
    // A new token: the one above is remembered, and stays allowed.
    expect(await scrape(url, { ca, token: 'unknown' })).toMatchObject({ status: 503 });
    expect((await scrape(url, { ca, token: 'reader' })).status).toBe(200);
    reviews.down = false;
  });

  it('makes a self-signed certificate valid for localhost and the loopback addresses', async () => {
    const certificate = new X509Certificate((await selfSignedCertificate()).current().cert);
    expect(certificate.checkHost('localhost')).toBe('localhost');
    expect(certificate.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(certificate.checkIP('::1')).toBe('::1');
    expect(certificate.ca).toBe(false);
    const days = (Date.parse(certificate.validTo) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(360);
  });

  it('serves the certificate files of a directory, and the new ones once they change', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'metrics-certs-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const [first, second] = [await selfSignedCertificate(), await selfSignedCertificate()];
    const write = async (pair: { cert: string; key: string }) => {
      await writeFile(path.join(dir, 'tls.crt'), pair.cert);
      await writeFile(path.join(dir, 'tls.key'), pair.key);
    };
    await write(first.current());
    const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

    const watcher = await watchCertificateDir(dir, { logger, intervalMs: 50 });
    cleanups.push(() => watcher.close());
    const server = await startHttpServer({
      address: LOOPBACK,
      routes: { '/metrics': () => ({ status: 200, body: 'ok' }) },
      logger,
      name: 'metrics',
      tls: watcher,
    });
    cleanups.push(() => server.close());
    const url = `${server.url}/metrics`;
    expect((await scrape(url)).fingerprint).toBe(fingerprint(first.current().cert));

    // A key that does not match: ignored, the current pair stays.
    await writeFile(path.join(dir, 'tls.key'), second.current().key);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await scrape(url)).fingerprint).toBe(fingerprint(first.current().cert));

    await write(second.current());
    await eventually(async () => (await scrape(url)).fingerprint === fingerprint(second.current().cert), {
      what: 'the new certificate served',
    });
    expect(watcher.current()).toEqual(second.current());
  });

  it('refuses to start on missing or mismatched certificate files', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'metrics-certs-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    // Both files are read at once: whichever is reported missing first.
    await expect(watchCertificateDir(dir, { logger })).rejects.toThrow(
      /tls\.(crt|key): cannot read it \(ENOENT\)/,
    );
    const [a, b] = [(await selfSignedCertificate()).current(), (await selfSignedCertificate()).current()];
    await writeFile(path.join(dir, 'tls.crt'), a.cert);
    await writeFile(path.join(dir, 'tls.key'), b.key);
    await expect(watchCertificateDir(dir, { logger })).rejects.toThrow(/tls\.key is not the key of tls\.crt/);
    expect(() => checkKeyPair({ cert: 'nope', key: a.key }, dir)).toThrow(
      /tls\.crt is not a PEM certificate/,
    );
  });

  it('plain HTTP when not secure: anyone may scrape, no review is made', async () => {
    const before = reviews.calls;
    const { url, serving } = await serve(false);
    expect(serving.tls).toBeUndefined();
    expect(url).toMatch(/^http:\/\//);
    expect((await scrape(url)).status).toBe(200);
    expect(reviews.calls).toBe(before);
  });
});
