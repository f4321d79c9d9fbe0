/**
 * The /metrics route and how it is served: by default over HTTPS, each scrape authenticated and
 * authorized by the API server (see metrics-auth.ts); plain HTTP only when asked for, on loopback.
 */
import type { IncomingMessage } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../log.js';
import type { Response, Routes } from './http-server.js';
import { MetricsAuthorizer, type MetricsAuthorizerOptions, type ReviewClient } from './metrics-auth.js';
import type { OperatorMetrics } from './metrics.js';
import { KubernetesReviewClient } from './metrics-reviews.js';
import { selfSignedCertificate, watchCertificateDir, type ServingCertificate } from './metrics-tls.js';

export const METRICS_PATH = '/metrics';

export interface MetricsServingOptions {
  metrics: OperatorMetrics;
  kubeConfig: KubeConfig;
  logger: Logger;
  /** HTTPS with authentication and authorization (default); false: plain HTTP, open to anyone. */
  secure: boolean;
  /** Directory with tls.crt and tls.key; undefined: a self-signed certificate. */
  certDir?: string | undefined;
  /** Replaces the API server reviews (tests). */
  reviews?: ReviewClient;
  /** Cache settings of the authorizer (tests). */
  authorizer?: Pick<MetricsAuthorizerOptions, 'allowedTtlMs' | 'deniedTtlMs' | 'maxEntries' | 'now'>;
}

export interface MetricsServing {
  routes: Routes;
  /** The certificate to serve with; undefined for plain HTTP. */
  tls: ServingCertificate | undefined;
  /** Stops watching the certificate files. */
  close(): void;
}

const REFUSALS: Record<401 | 403 | 503, Response> = {
  401: { status: 401, body: 'Unauthorized', headers: { 'www-authenticate': 'Bearer realm="metrics"' } },
  403: { status: 403, body: 'Forbidden' },
  503: { status: 503, body: 'cannot review the request with the API server; try again' },
};

export async function metricsServing(options: MetricsServingOptions): Promise<MetricsServing> {
  const { metrics, logger } = options;
  const scrape = async (): Promise<Response> => ({
    status: 200,
    body: await metrics.render(),
    contentType: metrics.contentType,
  });
  if (!options.secure) {
    logger.warn('metrics: served over plain HTTP without authentication (--metrics-secure=false)');
    return { routes: { [METRICS_PATH]: scrape }, tls: undefined, close: () => {} };
  }
  const tls = options.certDir
    ? await watchCertificateDir(options.certDir, { logger })
    : await selfSignedCertificate();
  const authorizer = new MetricsAuthorizer({
    reviews: options.reviews ?? new KubernetesReviewClient(options.kubeConfig),
    logger,
    ...options.authorizer,
  });
  const route = async (request: IncomingMessage): Promise<Response> => {
    // HEAD tells no more than GET: both are `get`.
    const decision = await authorizer.check(request.headers.authorization, {
      verb: 'get',
      path: METRICS_PATH,
    });
    return decision.status === 200 ? scrape() : REFUSALS[decision.status];
  };
  return { routes: { [METRICS_PATH]: route }, tls, close: () => tls.close() };
}
