/**
 * Wires the operator together: Logto client, informers on LogtoApplications and on the Secrets the
 * operator owns (one pair per watched namespace, or cluster-wide), the work queue controller and the
 * LogtoApplication reconciler. With leader election, every replica keeps its caches synced, but only
 * the holder of the Lease queues work and reconciles.
 */
import { CoreV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { ClientCredentialsTokenProvider, ClientCredentials } from './api/token-provider.js';
import type { RequestEvent } from './api/transport.js';
import { FLAG_CONNECTION } from './connections/registry.js';
import { ConnectionRuntime } from './connections/runtime.js';
import { setUpConnections } from './connections/setup.js';
import type { OperatorConfig } from './config.js';
import { GROUP, KIND, PLURAL, VERSION, type LogtoApplication } from './crd/logto-application.js';
import { API_RESOURCE_KIND, API_RESOURCE_PLURAL, type LogtoApiResource } from './crd/logto-api-resource.js';
import { GRANT_PLURAL, type LogtoGrant } from './crd/logto-grant.js';
import { ROLE_KIND, ROLE_PLURAL, type LogtoRole } from './crd/logto-role.js';
import { CustomObjectWrites } from './controllers/custom-object-writes.js';
import { Declarations, roleNameOf } from './controllers/declared/declarations.js';
import type { DeclaredStatus } from './controllers/declared/external.js';
import { DeclaredReconciler } from './controllers/declared/reconciler.js';
import { ApiResourceConnector, API_RESOURCE_ID_FIELD } from './controllers/logto-api-resource/external.js';
import { RoleConnector, ROLE_ID_FIELD } from './controllers/logto-role/external.js';
import type { ConnectionDependent } from './connections/setup.js';
import { KubernetesEventRecorder, type EventDropReason } from './controllers/event-recorder.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './controllers/logto-application/credentials-secret.js';
import { FIELD_MANAGER, FINALIZER } from './controllers/logto-application/constants.js';
import { isOwnAnnotation } from './controllers/logto-application/external-name.js';
import { KubernetesOperations } from './controllers/logto-application/kube-operations.js';
import { LogtoConnector } from './controllers/logto-application/logto-external.js';
import { commitWindowMs } from './controllers/logto-application/locate-application.js';
import {
  DEFAULT_RECONCILER_SETTINGS,
  LogtoApplicationReconciler,
} from './controllers/logto-application/reconciler.js';
import { ApplicationSweep, type SweptAction, type SweptKind } from './controllers/logto-application/sweep.js';
import { ConnectionSweeps } from './connections/sweeps.js';
import { CONNECTION_KIND } from './crd/logto-connection.js';
import type { LogtoApplicationsApi } from './controllers/logto-application/ports.js';
import {
  Controller,
  DEFAULT_PAGE_SIZE,
  Informer,
  KubernetesListWatch,
  enqueueHandlers,
  digestAppliedSecret,
  ownerKeys,
  stripWriteBookkeeping,
  type ControllerMetrics,
  type InformerMetrics,
  type SecretDigest,
  type ResourceType,
  type WorkQueueMetrics,
} from './runtime/index.js';
import { KubeClient } from './kube/client.js';
import type { Logger } from './log.js';
import { LeaderElector, type LeaderElectionCallbacks } from './runtime/leader-election.js';
import type { CachedObjects } from './runtime/metrics.js';
import { KubernetesLeaseStore } from './runtime/lease-store.js';
import { shutDown } from './runtime/shutdown.js';
import { observeCalls } from './util/observe-calls.js';
import { isPlainHttpOffCluster } from './util/plain-http.js';

export const CONTROLLER_NAME = 'logtoapplication';
export { FORCE_SYNC_ANNOTATION } from './controllers/logto-application/constants.js';

const LOGTO_APPLICATIONS: ResourceType = { group: GROUP, version: VERSION, plural: PLURAL };
const SECRETS: ResourceType = { group: '', version: 'v1', plural: 'secrets' };
const ROLES: ResourceType = { group: GROUP, version: VERSION, plural: ROLE_PLURAL };
const API_RESOURCES: ResourceType = { group: GROUP, version: VERSION, plural: API_RESOURCE_PLURAL };
const GRANTS: ResourceType = { group: GROUP, version: VERSION, plural: GRANT_PLURAL };
export const ROLE_CONTROLLER_NAME = 'logtorole';
export const API_RESOURCE_CONTROLLER_NAME = 'logtoapiresource';

export interface OperatorHooks {
  onLogtoRequest?: (event: RequestEvent) => void;
  /** Called with the method name of every Kubernetes write or uncached read the reconciler makes. */
  onKubeCall?: (operation: string) => void;
  controllerMetrics?: ControllerMetrics;
  queueMetrics?: WorkQueueMetrics;
  informerMetrics?: InformerMetrics;
  /** Leader election transitions (only with leader election enabled). */
  leaderElection?: LeaderElectionCallbacks;
  /** An Event that was not written (see {@link EventDropReason}). */
  onEventDropped?: (reason: EventDropReason) => void;
  /** An application the sweep deleted or unmarked. */
  onSwept?: (kind: SweptKind, action: SweptAction) => void;
}

export interface StopOptions {
  /**
   * Release the Lease once in-flight reconciles are done, so that a successor starts at once (default
   * true). False leaves it to expire, as a crash would: for tests. Never released when reconciles were
   * still running at the deadline.
   */
  releaseLease?: boolean;
}

export interface Operator {
  controller: Controller;
  tokens: ClientCredentialsTokenProvider;
  /** This replica's identity in the Lease; undefined without leader election. */
  identity: string | undefined;
  /** Caches synced. */
  isReady(): boolean;
  /** Campaigning or leading (or, without leader election, reconciling); false once stopping or lost. */
  isRunning(): boolean;
  /** Every watch alive (per its watchdog). */
  isHealthy(): boolean;
  /** Runs the controller: holds the Lease (always, without leader election). */
  isLeader(): boolean;
  /** The cached LogtoApplications and connection objects (for gauges computed at scrape time). */
  cached: CachedObjects;
  /**
   * Resolves when this replica lost the Lease (no renewal within the renew deadline). It has then
   * stopped reconciling (in-flight reconciles aborted) and will not lead again: the process should exit
   * non-zero, as controller-runtime's manager does. Never resolves otherwise.
   */
  leadershipLost: Promise<void>;
  /**
   * Stops taking work, waits for in-flight reconciles up to the timeout, then releases the Lease and
   * stops the watches. Renewals continue while reconciles finish, so nobody else starts meanwhile. If
   * reconciles were still running at the deadline, they are aborted and the Lease is not released: it
   * expires on its own, after any write they had in flight. Events still unwritten at the deadline are
   * dropped. Takes the timeout plus a few seconds at most, however the apiserver behaves.
   */
  stop(timeoutMs?: number, options?: StopOptions): Promise<void>;
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
  kube: KubeClient,
  config: OperatorConfig,
  logger: Logger,
  resource: ResourceType,
  metrics: InformerMetrics | undefined,
  cache: { transform: (obj: T) => T; labelSelector?: string },
): NamespacedCaches<T> {
  const { transform, labelSelector } = cache;
  const make = (namespace?: string) =>
    new Informer<T>({
      source: new KubernetesListWatch<T>(kube, {
        resource,
        ...(namespace ? { namespace } : {}),
        ...(labelSelector ? { labelSelector } : {}),
        pageSize: config.listPageSize ?? DEFAULT_PAGE_SIZE,
      }),
      logger,
      transform,
      ...(metrics ? { metrics } : {}),
    });
  if (config.watchNamespaces.length === 0) return new NamespacedCaches(new Map(), make());
  return new NamespacedCaches(new Map(config.watchNamespaces.map((ns) => [ns, make(ns)])), undefined);
}

/**
 * Whether an update of a LogtoApplication is worth a reconcile: spec, deletion and finalizer changes,
 * and annotation or label changes (the force-sync annotation), but not the operator's own writes
 * (status, its annotations, its finalizer added), which the pass that made them already acted on.
 */
export function needsReconcile(before: KubernetesObject, after: KubernetesObject): boolean {
  const json = (value: unknown) => JSON.stringify(value ?? {});
  const othersAnnotations = (obj: KubernetesObject) =>
    Object.fromEntries(
      Object.entries(obj.metadata?.annotations ?? {}).filter(([key]) => !isOwnAnnotation(key)),
    );
  const finalizersBefore = before.metadata?.finalizers ?? [];
  const finalizersAfter = after.metadata?.finalizers ?? [];
  const ownFinalizerAdded =
    !finalizersBefore.includes(FINALIZER) && json([...finalizersBefore, FINALIZER]) === json(finalizersAfter);
  return (
    before.metadata?.generation !== after.metadata?.generation ||
    before.metadata?.deletionTimestamp !== after.metadata?.deletionTimestamp ||
    (json(finalizersBefore) !== json(finalizersAfter) && !ownFinalizerAdded) ||
    json(othersAnnotations(before)) !== json(othersAnnotations(after)) ||
    json(before.metadata?.labels) !== json(after.metadata?.labels)
  );
}

type DeclaredEvents = ConstructorParameters<typeof RoleConnector>[0]['events'];

/**
 * The handlers that queue LogtoRoles and LogtoApiResources, and wake what depends on them: an
 * application waiting for a role or an API resource its spec names, a role waiting for the API
 * resource whose scopes it holds, and everything a LogtoGrant's change gives or takes away.
 */
function wireDeclarations(parts: {
  applications: NamespacedCaches<KubernetesObject>;
  roles: NamespacedCaches<KubernetesObject>;
  apiResources: NamespacedCaches<KubernetesObject>;
  grants: NamespacedCaches<KubernetesObject>;
  listed: <T>(caches: NamespacedCaches<KubernetesObject>) => T[];
  applicationController: Controller;
  roleController: Controller;
  apiResourceController: Controller;
  connections: { onApplicationChange(object: ConnectionDependent): void };
}): void {
  const { listed, applicationController, roleController, apiResourceController, connections } = parts;
  const key = (obj: { metadata: { namespace: string; name: string } }) => ({
    namespace: obj.metadata.namespace,
    name: obj.metadata.name,
  });
  const json = (value: unknown) => JSON.stringify(value ?? null);
  const track = (obj: KubernetesObject) =>
    connections.onApplicationChange(obj as unknown as ConnectionDependent);
  const tracking = {
    onAdd: track,
    onUpdate: (_: KubernetesObject, obj: KubernetesObject) => track(obj),
    onDelete: track,
  };

  for (const informer of parts.roles.all()) {
    informer.addHandlers(enqueueHandlers(roleController, { shouldEnqueueUpdate: needsReconcile }));
    informer.addHandlers(tracking);
    // Applications naming the role go on once it exists (or learn it went).
    const wake = (role: LogtoRole) => {
      const name = role.status?.name ?? roleNameOf(role);
      for (const app of listed<LogtoApplication>(parts.applications)) {
        if (app.spec.roles?.includes(name)) applicationController.enqueue(key(app));
      }
    };
    informer.addHandlers({
      onUpdate: (before, after) => {
        const was = (before as unknown as LogtoRole).status;
        const is = (after as unknown as LogtoRole).status;
        if (json([was?.roleId, was?.name]) !== json([is?.roleId, is?.name]))
          wake(after as unknown as LogtoRole);
      },
      onDelete: (obj) => wake(obj as unknown as LogtoRole),
    });
  }
  for (const informer of parts.apiResources.all()) {
    informer.addHandlers(enqueueHandlers(apiResourceController, { shouldEnqueueUpdate: needsReconcile }));
    informer.addHandlers(tracking);
    // Roles holding its scopes and applications asking consent for them go on once they exist.
    const wake = (resource: LogtoApiResource) => {
      const { namespace, name } = resource.metadata;
      for (const role of listed<LogtoRole>(parts.roles)) {
        const refers = role.spec.scopes?.some(
          (entry) =>
            entry.apiResourceRef.name === name &&
            (entry.apiResourceRef.namespace ?? role.metadata.namespace) === namespace,
        );
        if (refers) roleController.enqueue(key(role));
      }
      for (const app of listed<LogtoApplication>(parts.applications)) {
        const consent = app.spec.userConsentScopes;
        const groups = [...(consent?.resourceScopes ?? []), ...(consent?.organizationResourceScopes ?? [])];
        if (groups.some((group) => group.resource === resource.spec.indicator)) {
          applicationController.enqueue(key(app));
        }
      }
    };
    informer.addHandlers({
      onUpdate: (before, after) => {
        const was = (before as unknown as LogtoApiResource).status;
        const is = (after as unknown as LogtoApiResource).status;
        if (json([was?.resourceId, was?.scopes]) !== json([is?.resourceId, is?.scopes])) {
          wake(after as unknown as LogtoApiResource);
        }
      },
      onDelete: (obj) => wake(obj as unknown as LogtoApiResource),
    });
  }
  // A grant given, changed or taken back: the granted namespaces' roles and applications look again.
  const regrant = (...objs: KubernetesObject[]) => {
    const namespaces = new Set(
      objs.flatMap((obj) => (obj as unknown as LogtoGrant).spec?.from?.map((from) => from.namespace) ?? []),
    );
    for (const role of listed<LogtoRole>(parts.roles)) {
      if (namespaces.has(role.metadata.namespace)) roleController.enqueue(key(role));
    }
    for (const app of listed<LogtoApplication>(parts.applications)) {
      if (namespaces.has(app.metadata.namespace)) applicationController.enqueue(key(app));
    }
  };
  for (const informer of parts.grants.all()) {
    informer.addHandlers({
      onAdd: (obj) => regrant(obj),
      onUpdate: (before, after) => {
        if (json((before as unknown as LogtoGrant).spec) !== json((after as unknown as LogtoGrant).spec)) {
          regrant(before, after);
        }
      },
      onDelete: (obj) => regrant(obj),
    });
  }
}

function credentialsSource(kube: KubeClient, config: OperatorConfig): () => Promise<ClientCredentials> {
  const ref = config.credentialsSecret;
  if (!ref) {
    const credentials = { clientId: config.clientId ?? '', clientSecret: config.clientSecret ?? '' };
    return () => Promise.resolve(credentials);
  }
  const core = kube.api(CoreV1Api);
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
  for (const [setting, url] of [
    ['logto endpoint', config.logtoEndpoint],
    ['logto public endpoint', config.logtoPublicEndpoint],
  ] as const) {
    if (isPlainHttpOffCluster(url)) {
      logger.warn(
        { setting, endpoint: url },
        'plain http to a host that is neither loopback nor a cluster Service: credentials and tokens travel unencrypted',
      );
    }
  }
  // One HTTP layer (connection pool, request timeout, abort signal) under every Kubernetes call.
  const kube = new KubeClient(kubeConfig, {
    ...(config.kubeRequestTimeoutMs ? { requestTimeoutMs: config.kubeRequestTimeoutMs } : {}),
  });
  const flagConnection = new ConnectionRuntime(
    {
      key: FLAG_CONNECTION,
      endpoint: config.logtoEndpoint,
      publicEndpoint: config.logtoPublicEndpoint,
      managementApiResource: config.logtoResource,
      requestTimeoutMs: config.requestTimeoutMs,
      credentials: credentialsSource(kube, config),
      policy: config.flagPolicy,
    },
    { logger, ...(hooks.onLogtoRequest ? { onLogtoRequest: hooks.onLogtoRequest } : {}) },
  );
  const { tokens, logto } = flagConnection;

  // Informers hold objects as JSON (timestamps are strings), hence the cast on the way out.
  const applications = informersFor<KubernetesObject>(
    kube,
    config,
    logger,
    LOGTO_APPLICATIONS,
    hooks.informerMetrics,
    // The reconciler writes LogtoApplications by patches only, so the cache may drop what they don't read.
    { transform: stripWriteBookkeeping },
  );
  const secrets = informersFor<SecretDigest>(kube, config, logger, SECRETS, hooks.informerMetrics, {
    labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`,
    // The reconciler compares values (by digest), labels, annotations, type and the keys it applied.
    transform: digestAppliedSecret(FIELD_MANAGER),
  });

  // What namespaces declare beside their applications, and what they grant each other.
  const lean = { transform: stripWriteBookkeeping };
  const roles = informersFor<KubernetesObject>(kube, config, logger, ROLES, hooks.informerMetrics, lean);
  const apiResources = informersFor<KubernetesObject>(
    kube,
    config,
    logger,
    API_RESOURCES,
    hooks.informerMetrics,
    lean,
  );
  const grants = informersFor<KubernetesObject>(kube, config, logger, GRANTS, hooks.informerMetrics, lean);
  const listed = <T>(caches: NamespacedCaches<KubernetesObject>) =>
    caches.all().flatMap((informer) => informer.list()) as unknown as T[];
  const declarations = new Declarations({
    grants: (namespace) =>
      listed<LogtoGrant>(grants).filter((grant) => grant.metadata.namespace === namespace),
    roles: () => listed<LogtoRole>(roles),
    apiResources: () => listed<LogtoApiResource>(apiResources),
    apiResource: (namespace, name) => apiResources.get(namespace, name) as LogtoApiResource | undefined,
  });
  // The token index fills as the caches do: passes may start only once they synced.
  for (const informer of roles.all()) informer.addHandlers(declarations.roleHolders.handlers);
  for (const informer of apiResources.all()) informer.addHandlers(declarations.apiResourceHolders.handlers);

  // The controllers, made below, once the reconcilers have their connections.
  const queue: { controller?: Controller; roles?: Controller; apiResources?: Controller } = {};
  const controllerOf = (kind: string | undefined) =>
    kind === ROLE_KIND ? queue.roles : kind === API_RESOURCE_KIND ? queue.apiResources : queue.controller;
  const enqueueDependent = (object: ConnectionDependent) =>
    controllerOf(object.kind)?.enqueue({ namespace: object.metadata.namespace, name: object.metadata.name });
  const connections = setUpConnections({
    kube,
    logger,
    watchNamespaces: config.watchNamespaces,
    ...(config.clusterConnectionSelector
      ? { clusterConnectionSelector: config.clusterConnectionSelector }
      : {}),
    ...(config.listPageSize ? { listPageSize: config.listPageSize } : {}),
    flagConnection,
    applications: () => [
      ...listed<ConnectionDependent>(applications),
      ...listed<ConnectionDependent>(roles),
      ...listed<ConnectionDependent>(apiResources),
    ],
    enqueueApplication: enqueueDependent,
    defaultRequestTimeoutMs: config.requestTimeoutMs,
    recheckMs: config.resyncPeriodMs,
    applicationWorkers: config.concurrency,
    ...(hooks.informerMetrics ? { informerMetrics: hooks.informerMetrics } : {}),
    ...(hooks.onLogtoRequest ? { onLogtoRequest: hooks.onLogtoRequest } : {}),
  });

  const { onKubeCall } = hooks;
  const recorder = new KubernetesEventRecorder(kube, logger, {
    component: 'logto-operator',
    ...(hooks.onEventDropped ? { onDropped: hooks.onEventDropped } : {}),
  });
  const events = onKubeCall
    ? observeCalls(recorder, (method) => method === 'record' && onKubeCall('recordEvent'))
    : recorder;
  const kubeOperations = new KubernetesOperations(kube);
  const reconciler = new LogtoApplicationReconciler({
    resources: {
      get: (namespace, name) => applications.get(namespace, name) as LogtoApplication | undefined,
    },
    ownedSecrets: secrets,
    kube: onKubeCall ? observeCalls(kubeOperations, onKubeCall) : kubeOperations,
    external: new LogtoConnector({
      logto,
      connections: connections.resolver,
      declarations,
      events,
      settings: {
        publicEndpoint: config.logtoPublicEndpoint,
        clusterName: config.clusterName ?? '',
        commitWindowMs: commitWindowMs(config.requestTimeoutMs),
        // Periodic passes observe their applications from one list per half resync period.
        listMaxAgeMs: config.resyncPeriodMs / 2,
        ...(config.minRotationPeriodMs !== undefined
          ? { minRotationPeriodMs: config.minRotationPeriodMs }
          : {}),
      },
    }),
    events,
    logger: logger.child({ controller: CONTROLLER_NAME }),
    settings: {
      ...DEFAULT_RECONCILER_SETTINGS,
      resyncPeriodMs: config.resyncPeriodMs,
      // Room for a few request timeouts, and never less than the default.
      passDeadlineMs: Math.max(DEFAULT_RECONCILER_SETTINGS.passDeadlineMs, 4 * config.requestTimeoutMs),
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

  // LogtoRoles and LogtoApiResources: the same reconciler shape, each with its Logto side.
  const declaredSettings = {
    resyncPeriodMs: config.resyncPeriodMs,
    resyncJitter: DEFAULT_RECONCILER_SETTINGS.resyncJitter,
    recheckAfterMs: DEFAULT_RECONCILER_SETTINGS.recheckAfterMs,
    passDeadlineMs: Math.max(DEFAULT_RECONCILER_SETTINGS.passDeadlineMs, 4 * config.requestTimeoutMs),
  };
  const declaredDeps = {
    connections: connections.resolver,
    declarations,
    events: events as unknown as DeclaredEvents,
    clusterName: config.clusterName ?? '',
  };
  const declaredWorkers = Math.max(1, Math.ceil(config.concurrency / 2));
  const roleController = new Controller({
    name: ROLE_CONTROLLER_NAME,
    reconciler: new DeclaredReconciler<LogtoRole, object>({
      kind: { idField: ROLE_ID_FIELD, validate: () => [] },
      resources: { get: (namespace, name) => roles.get(namespace, name) as LogtoRole | undefined },
      kube: new CustomObjectWrites<LogtoRole, DeclaredStatus>(kube, {
        group: GROUP,
        version: VERSION,
        plural: ROLE_PLURAL,
        kind: ROLE_KIND,
      }),
      external: new RoleConnector(declaredDeps),
      events: declaredDeps.events,
      logger: logger.child({ controller: ROLE_CONTROLLER_NAME }),
      settings: declaredSettings,
    }),
    logger,
    concurrency: declaredWorkers,
  });
  const apiResourceController = new Controller({
    name: API_RESOURCE_CONTROLLER_NAME,
    reconciler: new DeclaredReconciler<LogtoApiResource, object>({
      kind: { idField: API_RESOURCE_ID_FIELD, validate: () => [] },
      resources: {
        get: (namespace, name) => apiResources.get(namespace, name) as LogtoApiResource | undefined,
      },
      kube: new CustomObjectWrites<LogtoApiResource, DeclaredStatus>(kube, {
        group: GROUP,
        version: VERSION,
        plural: API_RESOURCE_PLURAL,
        kind: API_RESOURCE_KIND,
      }),
      external: new ApiResourceConnector(declaredDeps),
      events: declaredDeps.events,
      logger: logger.child({ controller: API_RESOURCE_CONTROLLER_NAME }),
      settings: declaredSettings,
    }),
    logger,
    concurrency: declaredWorkers,
  });
  queue.roles = roleController;
  queue.apiResources = apiResourceController;

  const sweepPeriodMs = config.sweepPeriodMs ?? config.resyncPeriodMs;
  // One sweep per Logto connection: the flags' tenant, and each connection object in use. Each judges
  // against every watched resource, so connections into one tenant never take each other's for orphans.
  // A LogtoConnection serves its own namespace only: its sweep (through an endpoint a namespace user
  // chose) never acts on, or reports to, another namespace's resources.
  const sweepOf = (logto: LogtoApplicationsApi, connection: string, onlyNamespace?: string) =>
    new ApplicationSweep({
      logto,
      clusterName: config.clusterName ?? '',
      watches: (namespace) =>
        (onlyNamespace === undefined || namespace === onlyNamespace) &&
        (config.watchNamespaces.length === 0 || config.watchNamespaces.includes(namespace)),
      resources: {
        hasSynced: () => applications.all().every((informer) => informer.hasSynced()),
        list: () => applications.all().flatMap((informer) => informer.list()) as LogtoApplication[],
      },
      readResource: (namespace, name) => kubeOperations.readResource(namespace, name),
      events,
      logger: logger.child({ connection }),
      periodMs: sweepPeriodMs,
      ...(hooks.onSwept ? { onSwept: hooks.onSwept } : {}),
    });
  const sweep = sweepPeriodMs > 0 ? sweepOf(logto, 'flags') : undefined;
  const connectionSweeps =
    sweepPeriodMs > 0
      ? new ConnectionSweeps({
          runtimes: () => connections.registry.builtRuntimes(),
          sweepOf: (key, runtime) => {
            const [kind, namespace] = key.split('/');
            return sweepOf(runtime.logto, key, kind === CONNECTION_KIND ? namespace : undefined);
          },
          syncEveryMs: Math.min(sweepPeriodMs, 60_000),
        })
      : undefined;

  queue.controller = controller;
  const applicationController = controller;
  const informers = [
    ...applications.all(),
    ...secrets.all(),
    ...roles.all(),
    ...apiResources.all(),
    ...grants.all(),
    ...connections.informers,
  ];
  const controllers = {
    async stop(options: { timeoutMs: number }) {
      const results = await Promise.all(
        [applicationController, roleController, apiResourceController, connections.controller].map(
          (controller) => controller.stop(options),
        ),
      );
      return {
        timedOut: results.some((result) => result.timedOut),
        inFlight: results.flatMap((result) => result.inFlight),
        workersReturned: results.every((result) => result.workersReturned),
      };
    },
  };
  let reconciling = false;
  let stopping: Promise<void> | undefined;
  // Registered after the caches synced, handlers first receive every cached object: the queue fills
  // only once this replica reconciles (as controller-runtime starts its sources after election).
  const startReconciling = () => {
    if (stopping) return;
    reconciling = true;
    for (const informer of applications.all()) {
      informer.addHandlers(enqueueHandlers(applicationController, { shouldEnqueueUpdate: needsReconcile }));
      const changed = (obj: KubernetesObject) => connections.onApplicationChange(obj as LogtoApplication);
      informer.addHandlers({ onAdd: changed, onUpdate: (_, obj) => changed(obj), onDelete: changed });
    }
    connections.startReconciling();
    // A change to, or the deletion of, a Secret the operator owns brings its LogtoApplication back.
    const owners = ownerKeys({ group: GROUP, kind: KIND, controllerOnly: true });
    // Only changes and deletions: an owned Secret appears because the operator just wrote it (or at
    // start-up, when its LogtoApplication is queued anyway), so its add would only cost a pass.
    const { onUpdate, onDelete } = enqueueHandlers<SecretDigest>(applicationController, { map: owners });
    for (const informer of secrets.all()) informer.addHandlers({ onUpdate, onDelete });
    wireDeclarations({
      applications,
      roles,
      apiResources,
      grants,
      listed,
      applicationController,
      roleController,
      apiResourceController,
      connections,
    });
    applicationController.start();
    roleController.start();
    apiResourceController.start();
    sweep?.start();
    connectionSweeps?.start();
  };

  for (const informer of informers) informer.start();
  await Promise.all(informers.map((informer) => informer.waitForSync()));

  let lost: () => void = () => undefined;
  let leadershipWasLost = false;
  const leadershipLost = new Promise<void>((resolve) => (lost = resolve));
  const election = config.leaderElection?.enabled ? config.leaderElection : undefined;
  const elector =
    election &&
    new LeaderElector({
      store: new KubernetesLeaseStore(kube, election.namespace, election.name),
      identity: election.identity,
      leaseDurationMs: election.leaseDurationMs,
      renewDeadlineMs: election.renewDeadlineMs,
      retryPeriodMs: election.retryPeriodMs,
      logger,
      callbacks: {
        newLeader: (identity) => hooks.leaderElection?.newLeader?.(identity),
        startedLeading: () => {
          hooks.leaderElection?.startedLeading?.();
          startReconciling();
        },
        stoppedLeading: (reason) => {
          hooks.leaderElection?.stoppedLeading?.(reason);
          if (reason !== 'lost') return;
          leadershipWasLost = true;
          // Someone else may take over from now on: abort in-flight reconciles and the sweep at once.
          Promise.all([controllers.stop({ timeoutMs: 0 }), sweep?.stop(), connectionSweeps?.stop()]).then(
            () => lost(),
            () => lost(),
          );
        },
      },
    });
  if (elector) elector.start();
  else startReconciling();
  logger.info(
    {
      namespaces: config.watchNamespaces.length ? config.watchNamespaces : 'all',
      concurrency: config.concurrency,
      ...(election
        ? { leaderElection: { lease: `${election.namespace}/${election.name}`, identity: election.identity } }
        : { leaderElection: false }),
    },
    'operator started',
  );

  return {
    controller: applicationController,
    tokens,
    identity: election?.identity,
    leadershipLost,
    isReady: () => informers.every((informer) => informer.hasSynced()),
    isRunning: () =>
      !stopping && !leadershipWasLost && (elector ? elector.isCampaigningOrLeading() : reconciling),
    isHealthy: () => informers.every((informer) => informer.isHealthy()),
    isLeader: () => (elector ? elector.isLeader() : reconciling),
    cached: {
      applications: () => applications.all().flatMap((informer) => informer.list()),
      declared: () => [...listed<KubernetesObject>(roles), ...listed<KubernetesObject>(apiResources)],
      connections: () => connections.connectionObjects() as unknown as KubernetesObject[],
    },
    stop(timeoutMs = config.shutdownTimeoutMs, options: StopOptions = {}) {
      stopping ??= (async () => {
        // A sweep is recovery work that the next leader repeats: it does not hold up a shutdown.
        await Promise.all([sweep?.stop(), connectionSweeps?.stop()]);
        const result = await shutDown(
          {
            controller: controllers,
            elector: elector || undefined,
            informers: [...informers, connections],
            events: recorder,
            connections: kube,
          },
          timeoutMs,
          {
            releaseLease: options.releaseLease ?? true,
            abandonedWritesWindowMs: election?.leaseDurationMs ?? 0,
          },
        );
        if (result.timedOut) {
          logger.warn(
            { inFlight: result.inFlight, workersReturned: result.workersReturned },
            'shutdown deadline passed with reconciles in flight: they were aborted, the Lease is left to expire',
          );
        }
      })();
      return stopping;
    },
  };
}
