/**
 * Wires the connections into the operator: informers on both connection kinds, the registry of
 * per-connection runtimes (with the flag-configured connection), the resolver the LogtoApplication
 * reconciler asks at the start of each pass, and the connection controller. Changes flow both ways:
 * an application added, changed or deleted brings its connection back (its count, a deletion that
 * waits), and a connection whose Ready condition changes brings back the applications using it.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { RequestEvent } from '../api/transport.js';
import { GROUP, VERSION } from '../crd/logto-application.js';
import {
  CLUSTER_CONNECTION_KIND,
  CLUSTER_CONNECTION_PLURAL,
  CONNECTION_KIND,
  CONNECTION_PLURAL,
  type LogtoConnectionObject,
} from '../crd/logto-connection.js';
import type { KubeClient } from '../kube/client.js';
import type { Logger } from '../log.js';
import {
  Controller,
  DEFAULT_PAGE_SIZE,
  Informer,
  KubernetesListWatch,
  enqueueHandlers,
  stripWriteBookkeeping,
  type InformerMetrics,
  type ObjectKey,
} from '../runtime/index.js';
import { KubernetesConnectionOperations } from '../controllers/logto-connection/kube-operations.js';
import {
  connectionFinalizer,
  LogtoConnectionReconciler,
} from '../controllers/logto-connection/reconciler.js';
import type { ConnectionResolver, PassConnection } from '../controllers/logto-application/policy.js';
import { PassPool } from './health.js';
import {
  ConnectionRegistry,
  FLAG_CONNECTION,
  keyOfObject,
  type ConnectionKey,
  type ConnectionUser,
} from './registry.js';
import type { ConnectionRuntime } from './runtime.js';

export const CONNECTION_CONTROLLER_NAME = 'logtoconnection';
const CONNECTION_WORKERS = 4;

/** An object that goes through a connection, as the connections' side sees it. */
export type ConnectionDependent = ConnectionUser & { kind?: string; metadata: { name: string } };

export interface ConnectionsOptions {
  kube: KubeClient;
  logger: Logger;
  /** Namespaces whose LogtoConnections are watched; empty: all. */
  watchNamespaces: readonly string[];
  /** Label selector of the ClusterLogtoConnections this operator serves; empty: all. */
  clusterConnectionSelector?: string;
  listPageSize?: number;
  flagConnection: ConnectionRuntime | undefined;
  /**
   * Every object in the caches that goes through a connection: LogtoApplications, LogtoRoles and
   * LogtoApiResources.
   */
  applications: () => ConnectionDependent[];
  /** Queues one of them with its own controller. */
  enqueueApplication: (object: ConnectionDependent) => void;
  defaultRequestTimeoutMs: number;
  recheckMs: number;
  /**
   * The LogtoApplication workers. Passes through LogtoConnections (endpoints namespace users chose)
   * take at most a quarter of them per connection and half of them together, so that however those
   * endpoints answer, the other half serves everyone else.
   */
  applicationWorkers: number;
  informerMetrics?: InformerMetrics;
  onLogtoRequest?: (event: RequestEvent) => void;
}

export interface Connections {
  registry: ConnectionRegistry;
  resolver: ConnectionResolver;
  controller: Controller;
  /** Every informer of the connections (the connection kinds and the namespaces), to start and sync. */
  informers: Informer<KubernetesObject>[];
  /** The connection objects of both kinds in the caches. */
  connectionObjects(): LogtoConnectionObject[];
  /** Handlers for the informers of the dependents: each change brings its connection back. */
  onApplicationChange(application: ConnectionDependent): void;
  /** Registers the handlers that queue work (once this replica reconciles) and starts the controller. */
  startReconciling(): void;
  stop(): Promise<void>;
}

function toObjectKey(key: ConnectionKey): ObjectKey | undefined {
  const [kind, a = '', b] = key.split('/');
  if (kind === CLUSTER_CONNECTION_KIND) return { namespace: '', name: a };
  if (kind === CONNECTION_KIND && b) return { namespace: a, name: b };
  return undefined;
}

const readyOf = (obj: KubernetesObject) =>
  JSON.stringify((obj as LogtoConnectionObject).status?.conditions?.find((c) => c.type === 'Ready') ?? null);

/** What the LogtoApplication reconciler asks at the start of each pass: the registry's answer. */
export function connectionResolver(registry: Pick<ConnectionRegistry, 'resolve'>): ConnectionResolver {
  return {
    async resolve(resource): Promise<PassConnection> {
      const { key, runtime, pin } = await registry.resolve(resource);
      return {
        key,
        logto: runtime.logto,
        publicEndpoint: runtime.settings.publicEndpoint,
        managementApiResource: runtime.settings.managementApiResource,
        policy: runtime.policy,
        applicationId: () => runtime.applicationId(),
        health: runtime.health,
        ...(pin ? { pin } : {}),
      };
    },
  };
}

export function setUpConnections(options: ConnectionsOptions): Connections {
  const { kube, logger } = options;
  const informer = (plural: string, namespace?: string, labelSelector?: string) =>
    new Informer<KubernetesObject>({
      source: new KubernetesListWatch<KubernetesObject>(kube, {
        resource: { group: GROUP, version: VERSION, plural },
        ...(namespace ? { namespace } : {}),
        ...(labelSelector ? { labelSelector } : {}),
        pageSize: options.listPageSize ?? DEFAULT_PAGE_SIZE,
      }),
      logger,
      transform: stripWriteBookkeeping,
      ...(options.informerMetrics ? { metrics: options.informerMetrics } : {}),
    });
  // Operators sharing a cluster each serve their own ClusterLogtoConnections (as ingress controllers
  // serve their own class): one that saw them all would check and report every one of them.
  const cluster = informer(CLUSTER_CONNECTION_PLURAL, undefined, options.clusterConnectionSelector);
  const namespaced = options.watchNamespaces.length
    ? new Map(options.watchNamespaces.map((ns) => [ns, informer(CONNECTION_PLURAL, ns)]))
    : new Map([['', informer(CONNECTION_PLURAL)]]);
  const namespacedGet = (namespace: string, name: string) =>
    (namespaced.get(namespace) ?? namespaced.get(''))?.get(namespace, name) as
      LogtoConnectionObject | undefined;
  // The watched namespaces themselves, for the labels a ClusterLogtoConnection's namespaceSelector
  // reads: a label change takes effect at once, and wakes the namespace's resources (below).
  const namespaceInformer = (name?: string) =>
    new Informer<KubernetesObject>({
      source: new KubernetesListWatch<KubernetesObject>(kube, {
        resource: { group: '', version: 'v1', plural: 'namespaces' },
        ...(name ? { fieldSelector: `metadata.name=${name}` } : {}),
      }),
      logger,
      // Only the labels are read: keep nothing else.
      transform: (ns) => ({ metadata: { name: ns.metadata?.name, labels: ns.metadata?.labels } }),
      ...(options.informerMetrics ? { metrics: options.informerMetrics } : {}),
    });
  const namespaceInformers = options.watchNamespaces.length
    ? new Map(options.watchNamespaces.map((ns) => [ns, namespaceInformer(ns)]))
    : new Map([['', namespaceInformer()]]);
  const namespaceCache = {
    get: (_: string, name: string) =>
      (namespaceInformers.get(name) ?? namespaceInformers.get(''))?.get('', name),
    hasSynced: () => [...namespaceInformers.values()].every((informer) => informer.hasSynced()),
  };

  const queue: { controller?: Controller; reconciler?: LogtoConnectionReconciler } = {};
  const registry: ConnectionRegistry = new ConnectionRegistry({
    kube,
    logger,
    caches: {
      cluster: {
        get: (_, name) => cluster.get('', name) as LogtoConnectionObject | undefined,
        list: () => cluster.list() as unknown as LogtoConnectionObject[],
      },
      namespaced: { get: namespacedGet },
      namespaces: namespaceCache,
    },
    flagConnection: options.flagConnection,
    defaultRequestTimeoutMs: options.defaultRequestTimeoutMs,
    namespaceConnectionPasses: {
      perConnection: Math.max(1, Math.floor(options.applicationWorkers / 4)),
      pool: new PassPool(Math.max(1, Math.floor(options.applicationWorkers / 2))),
    },
    // Every resource that waited for the endpoint goes on at once.
    onRecovered: (key) => wake(key),
    onCredentialsChanged: (key) => {
      const objectKey = toObjectKey(key);
      queue.reconciler?.invalidate(key);
      if (objectKey) queue.controller?.enqueue(objectKey);
    },
    ...(options.onLogtoRequest ? { onLogtoRequest: options.onLogtoRequest } : {}),
  });
  // Every LogtoApplication that goes through the connection: woken when it turns Ready or goes.
  const dependentsOf = (key: ConnectionKey) =>
    options.applications().filter((app) => registry.keyOf(app).key === key);
  const wake = (key: ConnectionKey) => dependentsOf(key).forEach((app) => options.enqueueApplication(app));
  options.flagConnection?.health.onRecovered(() => wake(FLAG_CONNECTION));
  // Users hold the connection: those with an application in Logto through it (status, written only
  // by the operator). A resource that was refused, or merely names the connection, holds nothing.
  const usersOf = (key: ConnectionKey) =>
    dependentsOf(key).filter(({ status }) => status?.applicationId || status?.resourceId || status?.roleId);

  const reconciler = new LogtoConnectionReconciler({
    connections: { get: (key) => registry.lookup(key) },
    registry,
    users: (key) => usersOf(key).length,
    kube: new KubernetesConnectionOperations(kube),
    logger: logger.child({ controller: CONNECTION_CONTROLLER_NAME }),
    recheckMs: options.recheckMs,
    retryMs: 10_000,
    finalizer: connectionFinalizer(options.watchNamespaces),
  });
  queue.reconciler = reconciler;
  // Connections are checked side by side: one whose endpoint hangs (for up to its check's time) does
  // not keep the others from being checked.
  const controller = new Controller({
    name: CONNECTION_CONTROLLER_NAME,
    logger,
    concurrency: CONNECTION_WORKERS,
    reconciler,
  });

  queue.controller = controller;

  const resolver = connectionResolver(registry);

  const connectionInformers = [cluster, ...namespaced.values()];
  const labelsOf = (obj: KubernetesObject) => JSON.stringify(obj.metadata?.labels ?? {});
  let reconciling = false;
  return {
    registry,
    resolver,
    controller,
    informers: [...connectionInformers, ...namespaceInformers.values()],
    connectionObjects: () =>
      connectionInformers.flatMap((informer) => informer.list() as unknown as LogtoConnectionObject[]),
    onApplicationChange(application) {
      if (!reconciling) return;
      const key = toObjectKey(registry.keyOf(application).key);
      if (key) controller.enqueue(key);
    },
    startReconciling() {
      reconciling = true;
      const applicationsOf = (obj: KubernetesObject) => dependentsOf(keyOfObject(obj));
      for (const source of connectionInformers) {
        source.addHandlers(enqueueHandlers(controller, {}));
        // Applications wait for their connection to be Ready, see it go, and follow its policy.
        source.addHandlers({
          onUpdate: (before, after) => {
            if (
              readyOf(before) !== readyOf(after) ||
              before.metadata?.generation !== after.metadata?.generation
            )
              applicationsOf(after).forEach(options.enqueueApplication);
          },
          onDelete: (obj) => applicationsOf(obj).forEach(options.enqueueApplication),
        });
      }
      // A namespace labelled into (or out of) a selector: its resources are looked at again at once.
      for (const source of namespaceInformers.values()) {
        source.addHandlers({
          onUpdate: (before, after) => {
            if (labelsOf(before) === labelsOf(after)) return;
            const namespace = after.metadata?.name ?? '';
            for (const app of options.applications()) {
              if (app.metadata.namespace === namespace) options.enqueueApplication(app);
            }
          },
        });
      }
      controller.start();
    },
    async stop() {
      await registry.stop();
    },
  };
}
