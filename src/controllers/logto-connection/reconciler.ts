/**
 * The connection reconciler, for both kinds (a key with a namespace is a LogtoConnection, one without
 * a ClusterLogtoConnection): it checks that the connection works (a token is obtained and the
 * Management API answers), reports it in the Ready condition with what it learned of the server and
 * how many applications use it, and holds the connection's deletion with a finalizer while any
 * application still uses it (they need it to delete their Logto applications).
 */
import { createHash } from 'node:crypto';
import { LogtoApiError } from '../../api/errors.js';
import { managementApiAccessRoleName } from '../../api/schemas.js';
import {
  CLUSTER_CONNECTION_KIND,
  CONNECTION_KIND,
  type LogtoConnectionObject,
  type LogtoConnectionStatus,
} from '../../crd/logto-connection.js';
import { connectionKey, type ConnectionKey, type ConnectionRegistry } from '../../connections/registry.js';
import type { Logger } from '../../log.js';
import type { ObjectKey, ReconcileResult, Reconciler } from '../../runtime/index.js';
import { withDeadline } from '../../util/abort-scope.js';
import { deepEqual } from '../../util/json.js';
import { setCondition } from '../logto-application/conditions.js';
import { stopFromLogtoError } from '../logto-application/logto-errors.js';

/** Held on a connection while LogtoApplications use it (by an operator that watches every namespace). */
export const CONNECTION_FINALIZER = 'logto.io/connection-in-use';

/**
 * The finalizer this operator holds on the connections its applications use. An operator watching
 * only some namespaces sees only their applications, so it holds a finalizer of its own (named after
 * those namespaces): two such operators sharing a ClusterLogtoConnection never release each other's
 * hold.
 */
export function connectionFinalizer(watchNamespaces: readonly string[]): string {
  if (watchNamespaces.length === 0) return CONNECTION_FINALIZER;
  const scope = [...new Set(watchNamespaces)].sort().join(',');
  return `${CONNECTION_FINALIZER}-${createHash('sha256').update(scope).digest('hex').slice(0, 10)}`;
}

/** The Kubernetes writes of the connection reconciler. */
export interface ConnectionKubeOperations {
  /** Sets the finalizers (optimistically: a stale resourceVersion fails with a conflict). */
  setFinalizers(connection: LogtoConnectionObject, finalizers: string[]): Promise<void>;
  writeStatus(connection: LogtoConnectionObject, status: LogtoConnectionStatus): Promise<void>;
}

export interface ConnectionReconcilerDependencies {
  connections: { get(key: ConnectionKey): LogtoConnectionObject | undefined };
  registry: Pick<ConnectionRegistry, 'runtimeOf' | 'forget'>;
  /** How many LogtoApplications use the connection. */
  users(key: ConnectionKey): number;
  kube: ConnectionKubeOperations;
  logger: Logger;
  /** How often a Ready connection is checked again. */
  recheckMs: number;
  /** How soon a connection that is not Ready (or waits for its applications) is looked at again. */
  retryMs: number;
  /**
   * How long one check of a connection may take in all (its token request and reads): an endpoint
   * that answers slowly fails its check rather than hold a worker of the connection controller.
   */
  checkTimeoutMs?: number;
  /** This operator's hold on connections in use (connectionFinalizer); default CONNECTION_FINALIZER. */
  finalizer?: string;
  now?: () => Date;
}

const DEFAULT_CHECK_TIMEOUT_MS = 30_000;

interface Probe {
  ready: { status: 'True' | 'False'; reason: string; message: string };
  applicationId?: string;
  serverFeatures?: LogtoConnectionStatus['serverFeatures'];
}

export class LogtoConnectionReconciler implements Reconciler {
  private readonly now: () => Date;
  /**
   * The last check of each connection: a pass that only updates the count (an application came or
   * went) reuses it while it is fresh, so that applications do not cost their connection Logto calls.
   */
  private readonly probes = new Map<ConnectionKey, { generation: number; at: number; probe: Probe }>();

  constructor(private readonly deps: ConnectionReconcilerDependencies) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Checks the connection again at its next pass (its credentials changed). */
  invalidate(key: ConnectionKey): void {
    this.probes.delete(key);
  }

  async reconcile(key: ObjectKey): Promise<ReconcileResult | void> {
    const connectionKeyOf = key.namespace
      ? connectionKey(CONNECTION_KIND, key.name, key.namespace)
      : connectionKey(CLUSTER_CONNECTION_KIND, key.name);
    const cached = this.deps.connections.get(connectionKeyOf);
    if (!cached) {
      this.probes.delete(connectionKeyOf);
      await this.deps.registry.forget(connectionKeyOf);
      return;
    }
    const connection = structuredClone(cached);
    const users = this.deps.users(connectionKeyOf);
    const finalizers = connection.metadata.finalizers ?? [];
    const hold = this.deps.finalizer ?? CONNECTION_FINALIZER;
    if (connection.metadata.deletionTimestamp) {
      if (!finalizers.includes(hold)) return;
      if (users > 0) {
        await this.writeStatus(connection, { ...connection.status, applicationCount: users });
        this.deps.logger.info(
          { connection: connectionKeyOf, applications: users },
          'connection deletion waits until no LogtoApplication, LogtoRole or LogtoApiResource uses it',
        );
        return { requeueAfterMs: this.deps.retryMs };
      }
      await this.deps.kube.setFinalizers(
        connection,
        finalizers.filter((f) => f !== hold),
      );
      this.probes.delete(connectionKeyOf);
      await this.deps.registry.forget(connectionKeyOf);
      return;
    }
    // Held only while in use, so that an unused connection (or one used only through other operators)
    // can go at once.
    if (users > 0 && !finalizers.includes(hold)) {
      await this.deps.kube.setFinalizers(connection, [...finalizers, hold]);
    } else if (users === 0 && finalizers.includes(hold)) {
      await this.deps.kube.setFinalizers(
        connection,
        finalizers.filter((f) => f !== hold),
      );
    }
    const generation = connection.metadata.generation ?? 0;
    const { probe, dueInMs } = await this.freshProbe(connectionKeyOf, connection, generation);
    await this.writeStatus(connection, {
      observedGeneration: generation,
      conditions: setCondition(
        connection.status?.conditions,
        { type: 'Ready', ...probe.ready, observedGeneration: generation },
        this.now(),
      ),
      ...(probe.applicationId ? { applicationId: probe.applicationId } : {}),
      ...(probe.serverFeatures ? { serverFeatures: probe.serverFeatures } : {}),
      applicationCount: users,
    });
    return { requeueAfterMs: dueInMs };
  }

  private async freshProbe(
    key: ConnectionKey,
    connection: LogtoConnectionObject,
    generation: number,
  ): Promise<{ probe: Probe; dueInMs: number }> {
    const now = this.now().getTime();
    const validFor = (probe: Probe) =>
      probe.ready.status === 'True' ? this.deps.recheckMs : this.deps.retryMs;
    const last = this.probes.get(key);
    if (last && last.generation === generation && now - last.at < validFor(last.probe)) {
      return { probe: last.probe, dueInMs: validFor(last.probe) - (now - last.at) };
    }
    const probe = await withDeadline(this.deps.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS, () =>
      this.probe(connection),
    );
    this.probes.set(key, { generation, at: now, probe });
    return { probe, dueInMs: validFor(probe) };
  }

  /** A token, then one Management API read; what the server has of the Management API. */
  private async probe(connection: LogtoConnectionObject): Promise<Probe> {
    try {
      const runtime = await this.deps.registry.runtimeOf(connection);
      await runtime.tokens.getToken();
      const applicationId = await runtime.applicationId();
      await runtime.logto.listApplicationsPage({ page: 1, page_size: 1 });
      const { directory } = runtime.logto;
      const resource = await directory.findResource(connection.spec.managementApiResource);
      const role = await directory.findRole(managementApiAccessRoleName);
      return {
        ready: {
          status: 'True',
          reason: 'Connected',
          message: `a token was obtained and the Management API at ${connection.spec.endpoint} answered`,
        },
        applicationId,
        serverFeatures: { managementApiResource: Boolean(resource), managementApiAccessRole: Boolean(role) },
      };
    } catch (error) {
      if (error instanceof LogtoApiError) {
        const stop = stopFromLogtoError(error);
        return { ready: { status: 'False', reason: stop.reason, message: stop.message } };
      }
      // Reading the credentials or the CA bundle failed (a missing Secret, key or ConfigMap).
      const message = error instanceof Error ? error.message : String(error);
      return { ready: { status: 'False', reason: 'ConfigurationError', message: message.slice(0, 1024) } };
    }
  }

  private async writeStatus(connection: LogtoConnectionObject, status: LogtoConnectionStatus): Promise<void> {
    if (deepEqual(status, connection.status ?? {})) return;
    await this.deps.kube.writeStatus(connection, status);
  }
}
