/**
 * The operator as a process runs it (controller-runtime's manager): probe and metrics servers up first,
 * then the operator (caches, leader election, controller), then a token keeper that reports Logto's
 * health in the logs.
 *
 * - /healthz: every watch made progress within its watchdog period (200 while still starting: a
 *   restart would not make the API server answer sooner).
 * - /readyz: caches synced and this replica running its loops, as leader or standby. A standby is
 *   ready too, so that a rollout can replace the leader with it. Logto's health is not part of it: a
 *   Logto outage would otherwise make every replica unready at once and stall rollouts.
 * - /metrics: HTTPS, each scrape authenticated and authorized by the API server (metrics-endpoint.ts);
 *   plain HTTP with `metricsSecure: false`.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { BindAddress, OperatorConfig } from '../config.js';
import type { Logger } from '../log.js';
import {
  CONTROLLER_NAME,
  startOperator,
  type Operator,
  type OperatorHooks,
  type StopOptions,
} from '../operator.js';
import { probe, startHttpServer, type HttpEndpoint, type Routes } from './http-server.js';
import { OperatorMetrics, type OperatorMetricsOptions } from './metrics.js';
import { metricsServing, type MetricsServing, type MetricsServingOptions } from './metrics-endpoint.js';
import { TokenKeeper, type TokenKeeperOptions } from './token-keeper.js';

export interface ManagerConfig extends OperatorConfig {
  metricsBindAddress?: BindAddress | undefined;
  healthProbeBindAddress?: BindAddress | undefined;
  /** /metrics over HTTPS with TokenReview/SubjectAccessReview (default true); false: plain HTTP. */
  metricsSecure?: boolean | undefined;
  /** Directory with the metrics server's tls.crt and tls.key; undefined: self-signed. */
  metricsCertDir?: string | undefined;
}

export interface ManagerOptions {
  kubeConfig: KubeConfig;
  config: ManagerConfig;
  logger: Logger;
  /** More observers, called after the metrics' own (tests). */
  hooks?: OperatorHooks;
  metrics?: OperatorMetricsOptions;
  /** Review client and cache settings of the /metrics authorizer (tests). */
  metricsServing?: Pick<MetricsServingOptions, 'reviews' | 'authorizer'>;
  tokenKeeper?: Pick<TokenKeeperOptions, 'checkIntervalMs' | 'backoff'>;
}

export interface Manager {
  operator: Operator;
  metrics: OperatorMetrics;
  /** `http(s)://host:port` of the servers, when enabled (metrics: https unless metricsSecure is false). */
  metricsUrl: string | undefined;
  healthUrl: string | undefined;
  /** See {@link Operator.leadershipLost}. */
  leadershipLost: Promise<void>;
  /** Undefined when ready, else why not (the /readyz answer). */
  readiness(): string | undefined;
  /** Stops the operator (see {@link Operator.stop}), then the token keeper and the servers. */
  stop(timeoutMs?: number, options?: StopOptions): Promise<void>;
}

export async function startManager(options: ManagerOptions): Promise<Manager> {
  const { config, logger } = options;
  const metrics = new OperatorMetrics(options.metrics);
  const state: { operator?: Operator; stopping: boolean } = { stopping: false };

  const readiness = (): string | undefined => {
    if (state.stopping) return 'shutting down';
    if (!state.operator?.isReady()) return 'caches not synced';
    if (!state.operator.isRunning()) return 'not running (leadership lost)';
    return undefined;
  };
  const liveness = (): string | undefined =>
    state.operator && !state.operator.isHealthy()
      ? 'a watch made no progress within its watchdog period'
      : undefined;

  const health: Routes = { '/healthz': probe(liveness), '/readyz': probe(readiness) };
  const servers: HttpEndpoint[] = [];
  let serving: MetricsServing | undefined;
  const closeServers = async () => {
    await Promise.all(servers.map((server) => server.close()));
    serving?.close();
  };
  let metricsUrl: string | undefined;
  let healthUrl: string | undefined;
  let operator: Operator;
  let keeper: TokenKeeper;
  try {
    const { metricsBindAddress: metricsAt, healthProbeBindAddress: healthAt } = config;
    if (metricsAt) {
      serving = await metricsServing({
        metrics,
        kubeConfig: options.kubeConfig,
        logger,
        secure: config.metricsSecure ?? true,
        certDir: config.metricsCertDir,
        ...options.metricsServing,
      });
    }
    const scrape: Routes = serving?.routes ?? {};
    const tls = serving?.tls;
    if (metricsAt && healthAt && sameAddress(metricsAt, healthAt)) {
      // One server, so one scheme: with secure metrics the probes are served over HTTPS too.
      const server = await startHttpServer({
        address: metricsAt,
        routes: { ...health, ...scrape },
        logger,
        name: 'metrics+probes',
        tls,
      });
      servers.push(server);
      metricsUrl = healthUrl = server.url;
    } else {
      if (healthAt) {
        servers.push(await startHttpServer({ address: healthAt, routes: health, logger, name: 'probes' }));
        healthUrl = servers.at(-1)!.url;
      }
      if (metricsAt) {
        servers.push(
          await startHttpServer({ address: metricsAt, routes: scrape, logger, name: 'metrics', tls }),
        );
        metricsUrl = servers.at(-1)!.url;
      }
    }
    operator = await startOperator(
      options.kubeConfig,
      config,
      logger,
      combineHooks(metricsHooks(metrics, config), options.hooks ?? {}),
    );
    state.operator = operator;
    metrics.observe(operator.cached);
    keeper = new TokenKeeper({
      tokens: operator.tokens,
      logger,
      onCheck: (available) => metrics.logtoToken(available),
      ...options.tokenKeeper,
    });
    keeper.start();
  } catch (err) {
    await closeServers();
    throw err;
  }

  let stopping: Promise<void> | undefined;
  return {
    operator,
    metrics,
    metricsUrl,
    healthUrl,
    leadershipLost: operator.leadershipLost,
    readiness,
    stop(timeoutMs, stopOptions) {
      stopping ??= (async () => {
        state.stopping = true;
        await operator.stop(timeoutMs, stopOptions);
        await keeper.stop();
        await closeServers();
      })();
      return stopping;
    },
  };
}

function sameAddress(a: BindAddress, b: BindAddress): boolean {
  return a.port !== 0 && a.port === b.port && (a.host ?? '') === (b.host ?? '');
}

function metricsHooks(metrics: OperatorMetrics, config: OperatorConfig): OperatorHooks {
  return {
    onLogtoRequest: (event) => metrics.logtoRequest(event),
    onEventDropped: (reason) => metrics.eventDropped(reason),
    onSwept: (kind, action) => metrics.swept(kind, action),
    controllerMetrics: metrics.controller(),
    queueMetrics: metrics.queue(CONTROLLER_NAME),
    informerMetrics: metrics.informer(),
    ...(config.leaderElection?.enabled
      ? { leaderElection: metrics.leaderElection(config.leaderElection.name) }
      : {}),
  };
}

/** Observers that call each of `observers`' methods in turn. */
function fanOut<T extends object>(...observers: (T | undefined)[]): T | undefined {
  const present = observers.filter((o): o is T => o !== undefined);
  if (present.length <= 1) return present[0];
  const methods = new Set(present.flatMap((o) => Object.keys(o)));
  return Object.fromEntries(
    [...methods].map((method) => [
      method,
      (...args: unknown[]) => {
        for (const observer of present) {
          const fn = (observer as Record<string, unknown>)[method];
          if (typeof fn === 'function') (fn as (...a: unknown[]) => unknown).apply(observer, args);
        }
      },
    ]),
  ) as T;
}

function chain<A extends unknown[]>(
  a: ((...args: A) => void) | undefined,
  b: ((...args: A) => void) | undefined,
): ((...args: A) => void) | undefined {
  if (!a || !b) return a ?? b;
  return (...args: A) => {
    a(...args);
    b(...args);
  };
}

function combineHooks(first: OperatorHooks, second: OperatorHooks): OperatorHooks {
  const combined: OperatorHooks = {};
  const onLogtoRequest = chain(first.onLogtoRequest, second.onLogtoRequest);
  const onKubeCall = chain(first.onKubeCall, second.onKubeCall);
  const onEventDropped = chain(first.onEventDropped, second.onEventDropped);
  const onSwept = chain(first.onSwept, second.onSwept);
  const controllerMetrics = fanOut(first.controllerMetrics, second.controllerMetrics);
  const queueMetrics = fanOut(first.queueMetrics, second.queueMetrics);
  const informerMetrics = fanOut(first.informerMetrics, second.informerMetrics);
  const leaderElection = fanOut(first.leaderElection, second.leaderElection);
  if (onLogtoRequest) combined.onLogtoRequest = onLogtoRequest;
  if (onKubeCall) combined.onKubeCall = onKubeCall;
  if (onEventDropped) combined.onEventDropped = onEventDropped;
  if (onSwept) combined.onSwept = onSwept;
  if (controllerMetrics) combined.controllerMetrics = controllerMetrics;
  if (queueMetrics) combined.queueMetrics = queueMetrics;
  if (informerMetrics) combined.informerMetrics = informerMetrics;
  if (leaderElection) combined.leaderElection = leaderElection;
  return combined;
}
