/**
 * Wires the operator together: Logto client, informers on LogtoApplications and on the Secrets the
 * operator owns (one pair per watched namespace, or cluster-wide), the work queue controller and the
 * LogtoApplication reconciler.
 */
import { CoreV1Api, type KubeConfig, type KubernetesObject, type V1Secret } from '@kubernetes/client-node';
import { LogtoClient } from './api/client.js';
import { ClientCredentialsTokenProvider, type ClientCredentials } from './api/token-provider.js';
import { createHttpClient, LogtoTransport, type RequestEvent } from './api/transport.js';
import type { OperatorConfig } from './config.js';
import { GROUP, KIND, PLURAL, VERSION, type LogtoApplication } from './crd/logto-application.js';
import { KubernetesEventRecorder } from './controllers/event-recorder.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './controllers/logto-application/credentials-secret.js';
import { KubernetesOperations } from './controllers/logto-application/kube-operations.js';
import {
  DEFAULT_RECONCILER_SETTINGS,
  LogtoApplicationReconciler,
} from './controllers/logto-application/reconciler.js';
import {
  Controller,
  Informer,
  KubernetesListWatch,
  enqueueHandlers,
  generationOrDeletionChanged,
  ownerKeys,
  type ControllerMetrics,
  type InformerMetrics,
  type ResourceType,
  type WorkQueueMetrics,
} from './controllers/runtime/index.js';
import type { Logger } from './log.js';
import { observeCalls } from './util/observe-calls.js';

export const CONTROLLER_NAME = 'logtoapplication';
/** Changing this annotation (any value, e.g. a timestamp) makes the operator sync the resource at once. */
export const FORCE_SYNC_ANNOTATION = 'logto.io/force-sync';

const LOGTO_APPLICATIONS: ResourceType = { group: GROUP, version: VERSION, plural: PLURAL };
const SECRETS: ResourceType = { group: '', version: 'v1', plural: 'secrets' };

export interface OperatorHooks {
  onLogtoRequest?: (event: RequestEvent) => void;
  /** Called with the method name of every Kubernetes write or uncached read the reconciler makes. */
  onKubeCall?: (operation: string) => void;
  controllerMetrics?: ControllerMetrics;
  queueMetrics?: WorkQueueMetrics;
  informerMetrics?: InformerMetrics;
}

export interface Operator {
  controller: Controller;
  tokens: ClientCredentialsTokenProvider;
  /** Caches synced. */
  isReady(): boolean;
  /** Every watch alive (per its watchdog). */
  isHealthy(): boolean;
  /** Stops taking work, waits for in-flight reconciles up to the timeout, stops the watches. */
  stop(timeoutMs?: number): Promise<void>;
}

/** A cache lookup over several namespace-scoped informers. */
class NamespacedCaches<T extends KubernetesObject> {
  constructor(
    private readonly informers: Map<string, Informer<T>>,
    private readonly clusterWide: Informer<T> | undefined,
  ) {}

  get(namespace: string, name: string): T | undefined {
    return (this.clusterWide ?? this.informers.get(namespace))?.get(namespace, name);
  }

  all(): Informer<T>[] {
    return this.clusterWide ? [this.clusterWide] : [...this.informers.values()];
  }
}

function informersFor<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  config: OperatorConfig,
  logger: Logger,
  resource: ResourceType,
  metrics: InformerMetrics | undefined,
  labelSelector?: string,
): NamespacedCaches<T> {
  const make = (namespace?: string) =>
    new Informer<T>({
      source: new KubernetesListWatch<T>(kubeConfig, {
        resource,
        ...(namespace ? { namespace } : {}),
        ...(labelSelector ? { labelSelector } : {}),
      }),
      logger,
      ...(metrics ? { metrics } : {}),
    });
  if (config.watchNamespaces.length === 0) return new NamespacedCaches(new Map(), make());
  return new NamespacedCaches(new Map(config.watchNamespaces.map((ns) => [ns, make(ns)])), undefined);
}

/**
 * Whether an update of a LogtoApplication is worth a reconcile: spec, deletion and finalizer changes,
 * and annotation or label changes (the force-sync annotation), but not status writes.
 */
export function needsReconcile(before: KubernetesObject, after: KubernetesObject): boolean {
  return (
    generationOrDeletionChanged(before, after) ||
    JSON.stringify(before.metadata?.annotations ?? {}) !==
      JSON.stringify(after.metadata?.annotations ?? {}) ||
    JSON.stringify(before.metadata?.labels ?? {}) !== JSON.stringify(after.metadata?.labels ?? {})
  );
}

function credentialsSource(kubeConfig: KubeConfig, config: OperatorConfig): () => Promise<ClientCredentials> {
  const ref = config.credentialsSecret;
  if (!ref) {
    const credentials = { clientId: config.clientId ?? '', clientSecret: config.clientSecret ?? '' };
    return () => Promise.resolve(credentials);
  }
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return async () => {
    const secret = await core.readNamespacedSecret(ref);
    const read = (key: string) => {
      const value = secret.data?.[key];
      if (!value) throw new Error(`credentials Secret ${ref.namespace}/${ref.name} has no key "${key}"`);
      return Buffer.from(value, 'base64').toString('utf8').trim();
    };
    return {
      clientId: read(config.credentialsClientIdKey),
      clientSecret: read(config.credentialsClientSecretKey),
    };
  };
}

export async function startOperator(
  kubeConfig: KubeConfig,
  config: OperatorConfig,
  logger: Logger,
  hooks: OperatorHooks = {},
): Promise<Operator> {
  const http = createHttpClient({ requestTimeoutMs: config.requestTimeoutMs });
  const tokens = new ClientCredentialsTokenProvider({
    endpoint: config.logtoEndpoint,
    resource: config.logtoResource,
    credentials: credentialsSource(kubeConfig, config),
    http,
  });
  const transport = new LogtoTransport({
    endpoint: config.logtoEndpoint,
    tokens,
    http,
    logger: logger.child({ component: 'logto' }),
    ...(hooks.onLogtoRequest ? { onRequest: hooks.onLogtoRequest } : {}),
  });
  const logto = new LogtoClient(transport);

  // Informers hold objects as JSON (timestamps are strings), hence the cast on the way out.
  const applications = informersFor<KubernetesObject>(
    kubeConfig,
    config,
    logger,
    LOGTO_APPLICATIONS,
    hooks.informerMetrics,
  );
  const secrets = informersFor<V1Secret>(
    kubeConfig,
    config,
    logger,
    SECRETS,
    hooks.informerMetrics,
    `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`,
  );

  const { onKubeCall } = hooks;
  const recorder = new KubernetesEventRecorder(kubeConfig, logger, { component: 'logto-operator' });
  const events = onKubeCall
    ? observeCalls(recorder, (method) => method === 'record' && onKubeCall('recordEvent'))
    : recorder;
  const reconciler = new LogtoApplicationReconciler({
    resources: {
      get: (namespace, name) => applications.get(namespace, name) as LogtoApplication | undefined,
    },
    ownedSecrets: secrets,
    kube: onKubeCall
      ? observeCalls(new KubernetesOperations(kubeConfig), onKubeCall)
      : new KubernetesOperations(kubeConfig),
    logto,
    events,
    logger: logger.child({ controller: CONTROLLER_NAME }),
    settings: {
      ...DEFAULT_RECONCILER_SETTINGS,
      publicEndpoint: config.logtoPublicEndpoint,
      resyncPeriodMs: config.resyncPeriodMs,
    },
  });
  const controller = new Controller({
    name: CONTROLLER_NAME,
    reconciler,
    logger,
    concurrency: config.concurrency,
    ...(hooks.controllerMetrics ? { metrics: hooks.controllerMetrics } : {}),
    ...(hooks.queueMetrics ? { queueMetrics: hooks.queueMetrics } : {}),
  });

  for (const informer of applications.all()) {
    informer.addHandlers(enqueueHandlers(controller, { shouldEnqueueUpdate: needsReconcile }));
  }
  // A change to, or the deletion of, a Secret the operator owns brings its LogtoApplication back.
  const owners = ownerKeys({ group: GROUP, kind: KIND, controllerOnly: true });
  for (const informer of secrets.all()) informer.addHandlers(enqueueHandlers(controller, { map: owners }));

  const informers = [...applications.all(), ...secrets.all()];
  for (const informer of informers) informer.start();
  await Promise.all(informers.map((informer) => informer.waitForSync()));
  controller.start();
  logger.info(
    {
      namespaces: config.watchNamespaces.length ? config.watchNamespaces : 'all',
      concurrency: config.concurrency,
    },
    'operator started',
  );

  return {
    controller,
    tokens,
    isReady: () => informers.every((informer) => informer.hasSynced()),
    isHealthy: () => informers.every((informer) => informer.isHealthy()),
    async stop(timeoutMs = config.shutdownTimeoutMs) {
      const result = await controller.stop({ timeoutMs });
      if (result.timedOut)
        logger.warn({ inFlight: result.inFlight }, 'shutdown deadline passed with reconciles in flight');
      await Promise.all(informers.map((informer) => informer.stop()));
      await recorder.flush();
    },
  };
}
