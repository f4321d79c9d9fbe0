/**
 * Which connection each LogtoApplication goes through, and one runtime per connection. An
 * application names its connection (`spec.connectionRef`); without one it was pinned at its first
 * pass (the `logto.io/connection` annotation) to the default ClusterLogtoConnection, else to the
 * connection the flags configure. A runtime is built from the connection's spec and its Secrets, and
 * built again when the spec changes; a watch on its credentials Secret drops the cached token when the
 * Secret changes, so that rotated credentials apply at once.
 */
import { CoreV1Api, type V1Secret } from '@kubernetes/client-node';
import type { ClientCredentials } from '../api/token-provider.js';
import type { RequestEvent } from '../api/transport.js';
import {
  CLUSTER_CONNECTION_KIND,
  CONNECTION_KIND,
  DEFAULT_CONNECTION_ANNOTATION,
  type LogtoConnectionObject,
} from '../crd/logto-connection.js';
import type { KubeClient } from '../kube/client.js';
import type { Logger } from '../log.js';
import { Informer, KubernetesListWatch } from '../runtime/index.js';
import { CONNECTION_ANNOTATION } from '../controllers/logto-application/external-name.js';
import { ReconcileStop } from '../controllers/logto-application/outcome.js';
import { parseDurationMs } from '../util/duration.js';
import { isPlainHttpOffCluster } from '../util/plain-http.js';
import { checkNamespace } from './policy.js';
import type { PassPool } from './health.js';
import { ConnectionRuntime, type ConnectionSettings } from './runtime.js';

/**
 * What the registry reads of a resource of any kind that goes through a connection: its reference,
 * its pin, and what status (written by the operator only) records.
 */
export interface ConnectionUser {
  metadata: { namespace: string; annotations?: Record<string, string>; deletionTimestamp?: string | Date };
  spec: { connectionRef?: { kind: string; name: string } | undefined };
  status?: { connection?: string; applicationId?: string; resourceId?: string; roleId?: string } | undefined;
}

/** The key of the connection the flags configure. */
export const FLAG_CONNECTION = 'flags';
/** The key of a pin that names no connection kind (never resolved, never counted as a user). */
const UNKNOWN_PIN = 'unknown-pin';

/** A connection's identity: `flags`, `ClusterLogtoConnection/<name>` or `LogtoConnection/<namespace>/<name>`. */
export type ConnectionKey = string;

export function connectionKey(kind: string, name: string, namespace?: string): ConnectionKey {
  return kind === CONNECTION_KIND ? `${kind}/${namespace ?? ''}/${name}` : `${kind}/${name}`;
}

/** How messages name a connection. */
export function describeConnection(key: ConnectionKey): string {
  if (key === FLAG_CONNECTION) return "the operator's flag-configured connection";
  const [kind, ...rest] = key.split('/');
  return `${kind} ${rest.join('/')}`;
}

interface Lookup<T> {
  get(namespace: string, name: string): T | undefined;
}

export interface ConnectionCaches {
  cluster: Lookup<LogtoConnectionObject> & { list(): LogtoConnectionObject[] };
  namespaced: Lookup<LogtoConnectionObject>;
  /**
   * The watched namespaces (their labels, for a cluster connection's namespaceSelector), kept current
   * by a watch; without it, labels are read from the apiserver (cached briefly).
   */
  namespaces?: Lookup<{ metadata?: { labels?: Record<string, string> } }> & { hasSynced(): boolean };
}

export interface ResolvedConnection {
  key: ConnectionKey;
  runtime: ConnectionRuntime;
  /** Set when the resource has no connectionRef and is not yet pinned: the value to record. */
  pin?: string;
}

interface Entry {
  uid: string | undefined;
  generation: number | undefined;
  runtime: Promise<ConnectionRuntime>;
  /** Set once the runtime was built. */
  built?: ConnectionRuntime;
  secretWatch?: Informer<V1Secret>;
}

export interface ConnectionRegistryOptions {
  kube: KubeClient;
  caches: ConnectionCaches;
  /** The connection of the flags; undefined when the operator runs with connections only. */
  flagConnection: ConnectionRuntime | undefined;
  logger: Logger;
  onLogtoRequest?: (event: RequestEvent) => void;
  /** Called when a connection's credentials Secret changed. */
  onCredentialsChanged?: (key: ConnectionKey) => void;
  /** Called when a connection answers again after its breaker opened (see ConnectionHealth). */
  onRecovered?: (key: ConnectionKey) => void;
  /**
   * Limits of the passes through LogtoConnections (endpoints namespace users chose): per connection,
   * and all of them together. Unlimited when undefined.
   */
  namespaceConnectionPasses?: { perConnection: number; pool: PassPool };
  defaultRequestTimeoutMs: number;
  now?: () => number;
}

/** How long a namespace's labels are trusted for a cluster connection's namespaceSelector. */
const NAMESPACE_LABELS_TTL_MS = 30_000;

export class ConnectionRegistry {
  private readonly entries = new Map<ConnectionKey, Entry>();
  private readonly namespaces = new Map<
    string,
    { labels: Promise<Record<string, string>>; expiresAt: number }
  >();

  constructor(private readonly options: ConnectionRegistryOptions) {}

  /** The default ClusterLogtoConnection (annotated), if any; the oldest by name when several are. */
  defaultConnection(): LogtoConnectionObject | undefined {
    return this.options.caches.cluster
      .list()
      .filter((c) => c.metadata.annotations?.[DEFAULT_CONNECTION_ANNOTATION] === 'true')
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))[0];
  }

  /**
   * The connection a resource uses, without reading anything but the caches: its reference, its pin,
   * or (neither) the default. A resource that records an application but no pin predates connections
   * and was made through the flags.
   */
  keyOf(resource: ConnectionUser): { key: ConnectionKey; pinned: boolean } {
    const { namespace } = resource.metadata;
    const ref = resource.spec.connectionRef;
    if (ref) return { key: connectionKey(ref.kind, ref.name, namespace), pinned: true };
    const pin = resource.metadata.annotations?.[CONNECTION_ANNOTATION];
    // The connection the operator recorded in status (users cannot write status) wins over the pin
    // annotation, which anyone who may edit the resource can remove or change; a pin left missing is
    // written again.
    const recorded = resource.status?.connection;
    if (recorded) return { key: fromRecorded(recorded, namespace), pinned: Boolean(pin) };
    if (pin) return { key: fromPin(pin, namespace), pinned: true };
    // Status, which only the operator writes (not the external-name annotation, which anyone who may
    // edit the resource can set), says the resource predates connections.
    if (resource.status?.applicationId) return { key: FLAG_CONNECTION, pinned: false };
    const fallback = this.defaultConnection();
    return {
      key: fallback ? connectionKey(CLUSTER_CONNECTION_KIND, fallback.metadata.name) : FLAG_CONNECTION,
      pinned: false,
    };
  }

  /**
   * The connection of a resource, ready for use, or a stop: the connection does not exist, is not
   * Ready, or does not serve the resource's namespace.
   */
  async resolve(resource: ConnectionUser): Promise<ResolvedConnection> {
    const { key, pinned } = this.keyOf(resource);
    // The flags' connection needs no pin: a resource that records an application and no pin uses it.
    const pin = pinned || key === FLAG_CONNECTION ? undefined : toPin(key);
    if (key === UNKNOWN_PIN) {
      throw new ReconcileStop(
        'ConnectionNotFound',
        `annotation ${CONNECTION_ANNOTATION} names no connection the operator pins resources to; remove it`,
        { recheckAfterMs: 60_000 },
      );
    }
    const what = describeConnection(key);
    if (key === FLAG_CONNECTION) {
      const runtime = this.options.flagConnection;
      if (!runtime) {
        throw new ReconcileStop(
          'ConnectionNotFound',
          'no connection: spec.connectionRef is not set, no ClusterLogtoConnection is annotated ' +
            `${DEFAULT_CONNECTION_ANNOTATION}: "true", and the operator was started without a Logto endpoint`,
          { recheckAfterMs: 60_000 },
        );
      }
      return { key, runtime, ...(pin ? { pin } : {}) };
    }
    const connection = this.lookup(key);
    if (!connection) {
      throw new ReconcileStop('ConnectionNotFound', `${what} does not exist`, { recheckAfterMs: 60_000 });
    }
    const ready = connection.status?.conditions?.find((c) => c.type === 'Ready');
    const deleting = Boolean(connection.metadata.deletionTimestamp);
    // A deletion moves the generation without changing the spec: the last check still holds.
    const current = deleting || ready?.observedGeneration === connection.metadata.generation;
    if (ready?.status !== 'True' || !current) {
      throw new ReconcileStop(
        'ConnectionNotReady',
        `${what} is not Ready${ready && ready.status !== 'True' ? `: ${ready.message}` : ''}`,
        { recheckAfterMs: 30_000 },
      );
    }
    // A connection being deleted serves only the applications it already holds, to clean them up.
    const { applicationId, resourceId, roleId } = resource.status ?? {};
    const holds = resource.metadata.deletionTimestamp || applicationId || resourceId || roleId;
    if (deleting && !holds) {
      throw new ReconcileStop('ConnectionNotReady', `${what} is being deleted`, { recheckAfterMs: 30_000 });
    }
    // A deletion is never refused by the rule its create was checked against: a namespace that left
    // the selector can still remove what it made.
    if (
      !connection.metadata.namespace &&
      connection.spec.policy?.namespaceSelector &&
      !resource.metadata.deletionTimestamp
    ) {
      const { namespace } = resource.metadata;
      const labels = await this.namespaceLabels(namespace);
      const denial = checkNamespace(connection.spec.policy, namespace, labels);
      if (denial) throw policyDenied(key, denial);
    }
    return { key, runtime: await this.runtimeOf(connection), ...(pin ? { pin } : {}) };
  }

  /**
   * A namespace's labels: from the watch of namespaces, current to within its latency (a label change
   * also wakes the namespace's resources, see setUpConnections). Without the watch (or for a namespace
   * it does not hold yet), read at most once per NAMESPACE_LABELS_TTL_MS.
   */
  private namespaceLabels(namespace: string): Promise<Record<string, string>> {
    const watched = this.options.caches.namespaces;
    if (watched?.hasSynced()) {
      const cached = watched.get('', namespace);
      if (cached) return Promise.resolve(cached.metadata?.labels ?? {});
    }
    const now = (this.options.now ?? Date.now)();
    const hit = this.namespaces.get(namespace);
    if (hit && hit.expiresAt > now) return hit.labels;
    const labels = this.options.kube
      .api(CoreV1Api)
      .readNamespace({ name: namespace })
      .then((ns) => ns.metadata?.labels ?? {});
    const entry = { labels, expiresAt: now + NAMESPACE_LABELS_TTL_MS };
    this.namespaces.set(namespace, entry);
    labels.catch(() => {
      if (this.namespaces.get(namespace) === entry) this.namespaces.delete(namespace);
    });
    return labels;
  }

  /** The connection object of a key, from the caches. */
  lookup(key: ConnectionKey): LogtoConnectionObject | undefined {
    const [kind, a, b] = key.split('/');
    if (kind === CLUSTER_CONNECTION_KIND && a) return this.options.caches.cluster.get('', a);
    if (kind === CONNECTION_KIND && a && b) return this.options.caches.namespaced.get(a, b);
    return undefined;
  }

  /** The runtime of a connection object, built (again) when its uid or generation changed. */
  runtimeOf(connection: LogtoConnectionObject): Promise<ConnectionRuntime> {
    const key = keyOfObject(connection);
    const current = this.entries.get(key);
    const { uid, generation } = connection.metadata;
    if (current && current.uid === uid && current.generation === generation) return current.runtime;
    if (current) void this.forget(key);
    const entry: Entry = { uid, generation, runtime: this.build(key, connection) };
    entry.runtime.then(
      (runtime) => {
        if (this.entries.get(key) !== entry) return;
        entry.built = runtime;
        entry.secretWatch = this.watchCredentials(key, connection);
      },
      () => {
        // Built again at the next use (the CA bundle may appear).
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    this.entries.set(key, entry);
    return entry.runtime;
  }

  /** The runtimes of the connection objects in use (built by a pass or a check), by key. */
  builtRuntimes(): Array<{ key: ConnectionKey; runtime: ConnectionRuntime }> {
    return [...this.entries].flatMap(([key, entry]) => (entry.built ? [{ key, runtime: entry.built }] : []));
  }

  /** Drops a connection's runtime and its Secret watch (the connection was deleted or changed). */
  async forget(key: ConnectionKey): Promise<void> {
    const entry = this.entries.get(key);
    this.entries.delete(key);
    await entry?.secretWatch?.stop();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((key) => this.forget(key)));
  }

  private async build(key: ConnectionKey, connection: LogtoConnectionObject): Promise<ConnectionRuntime> {
    const { spec } = connection;
    const settings: ConnectionSettings = {
      key,
      endpoint: spec.endpoint.replace(/\/+$/, ''),
      publicEndpoint: (spec.publicEndpoint ?? spec.endpoint).replace(/\/+$/, ''),
      managementApiResource: spec.managementApiResource,
      requestTimeoutMs: parseDurationMs(spec.requestTimeout) ?? this.options.defaultRequestTimeoutMs,
      credentials: this.credentialsReader(connection),
      policy: spec.policy,
    };
    if (connection.metadata.namespace) {
      settings.namespaceChosen = true;
      const limits = this.options.namespaceConnectionPasses;
      if (limits) settings.passLimits = limits;
    }
    for (const url of new Set([settings.endpoint, settings.publicEndpoint])) {
      if (isPlainHttpOffCluster(url)) {
        this.options.logger.warn(
          { connection: key, endpoint: url },
          'plain http to a host that is neither loopback nor a cluster Service: credentials and tokens travel unencrypted',
        );
      }
    }
    const caBundle = await this.readCaBundle(connection);
    const runtime = new ConnectionRuntime(caBundle ? { ...settings, caBundle } : settings, {
      logger: this.options.logger,
      ...(this.options.onLogtoRequest ? { onLogtoRequest: this.options.onLogtoRequest } : {}),
    });
    runtime.health.onRecovered(() => this.options.onRecovered?.(key));
    return runtime;
  }

  private secretNamespace(connection: LogtoConnectionObject, namespace: string | undefined): string {
    return connection.metadata.namespace ?? namespace ?? '';
  }

  private credentialsReader(connection: LogtoConnectionObject): () => Promise<ClientCredentials> {
    const ref = connection.spec.credentialsSecretRef;
    const namespace = this.secretNamespace(connection, ref.namespace);
    const core = this.options.kube.api(CoreV1Api);
    return async () => {
      const secret = await core.readNamespacedSecret({ namespace, name: ref.name });
      const read = (key: string) => {
        const value = secret.data?.[key];
        if (!value) throw new Error(`credentials Secret ${namespace}/${ref.name} has no key "${key}"`);
        return Buffer.from(value, 'base64').toString('utf8').trim();
      };
      return { clientId: read(ref.clientIdKey), clientSecret: read(ref.clientSecretKey) };
    };
  }

  private async readCaBundle(connection: LogtoConnectionObject): Promise<string | undefined> {
    const bundle = connection.spec.caBundle;
    if (!bundle) return undefined;
    const core = this.options.kube.api(CoreV1Api);
    if (bundle.secretRef) {
      const { name, key } = bundle.secretRef;
      const namespace = this.secretNamespace(connection, bundle.secretRef.namespace);
      const secret = await core.readNamespacedSecret({ namespace, name });
      const value = secret.data?.[key];
      if (!value) throw new Error(`CA bundle Secret ${namespace}/${name} has no key "${key}"`);
      return Buffer.from(value, 'base64').toString('utf8');
    }
    const ref = bundle.configMapRef!;
    const namespace = this.secretNamespace(connection, ref.namespace);
    const map = await core.readNamespacedConfigMap({ namespace, name: ref.name });
    const value = map.data?.[ref.key];
    if (!value) throw new Error(`CA bundle ConfigMap ${namespace}/${ref.name} has no key "${ref.key}"`);
    return value;
  }

  private watchCredentials(key: ConnectionKey, connection: LogtoConnectionObject): Informer<V1Secret> {
    const ref = connection.spec.credentialsSecretRef;
    const informer = new Informer<V1Secret>({
      source: new KubernetesListWatch<V1Secret>(this.options.kube, {
        resource: { group: '', version: 'v1', plural: 'secrets' },
        namespace: this.secretNamespace(connection, ref.namespace),
        fieldSelector: `metadata.name=${ref.name}`,
      }),
      logger: this.options.logger,
      // Only the fact of a change matters: keep nothing of the Secret, least of all its data.
      transform: (secret) => ({ metadata: secret.metadata }) as V1Secret,
    });
    let synced = false;
    const changed = () => {
      if (!synced) return;
      this.options.logger.info(
        { connection: key },
        'credentials Secret changed; the next call fetches a new token',
      );
      void this.entries.get(key)?.runtime.then((runtime) => runtime.credentialsChanged());
      this.options.onCredentialsChanged?.(key);
    };
    informer.addHandlers({ onAdd: changed, onUpdate: changed, onDelete: changed });
    informer.start();
    void informer.waitForSync().then(() => (synced = true));
    return informer;
  }
}

export function keyOfObject(connection: { metadata?: { name?: string; namespace?: string } }): ConnectionKey {
  const { name = '', namespace } = connection.metadata ?? {};
  return namespace
    ? connectionKey(CONNECTION_KIND, name, namespace)
    : connectionKey(CLUSTER_CONNECTION_KIND, name);
}

/** The pin recorded on a resource: the key without the namespace (always the resource's own). */
function toPin(key: ConnectionKey): string {
  if (!key.startsWith(`${CONNECTION_KIND}/`)) return key;
  const [kind, , name] = key.split('/');
  return `${kind}/${name}`;
}

/** The connection status records: the flags, or a key of a connection object in its namespace. */
function fromRecorded(recorded: string, namespace: string): ConnectionKey {
  if (recorded === FLAG_CONNECTION) return FLAG_CONNECTION;
  const [kind, first = '', second] = recorded.split('/');
  if (kind === CONNECTION_KIND && second !== undefined && first === namespace) return recorded;
  if (kind === CLUSTER_CONNECTION_KIND && first && second === undefined) return recorded;
  return UNKNOWN_PIN;
}

/**
 * The connection a pin names. The operator pins only to connection objects, never to the flags'
 * connection: anything else is a hand-made pin, which must not open a way around the default
 * connection's policy.
 */
function fromPin(pin: string, namespace: string): ConnectionKey {
  const [kind, name = '', ...rest] = pin.split('/');
  if (!name || rest.length > 0) return UNKNOWN_PIN;
  if (kind === CONNECTION_KIND) return connectionKey(CONNECTION_KIND, name, namespace);
  if (kind === CLUSTER_CONNECTION_KIND) return connectionKey(CLUSTER_CONNECTION_KIND, name);
  return UNKNOWN_PIN;
}

/** A refusal by a connection's policy: Ready=False, reason PolicyDenied, naming the rule and the connection. */
export function policyDenied(key: ConnectionKey, denial: { rule: string; message: string }): ReconcileStop {
  return new ReconcileStop(
    'PolicyDenied',
    `refused by policy rule ${denial.rule} of ${describeConnection(key)}: ${denial.message}`,
  );
}
