/**
 * The real LogtoApplicationReconciler and LogtoConnector against a Logto emulator, with an in-memory
 * apiserver (memory-kube.ts) instead of a control plane: for tests of what a pass does on the Logto
 * side and what it reports (status, conditions, Events, the Secret), without an operator, a work
 * queue or timers. Each pass is run by the test (`reconcile`), so nothing is waited for: "the next
 * pass after a backoff" is the next call.
 *
 * Wired as src/operator.ts wires the operator (from the same OperatorConfig, see testOperatorConfig):
 * the flag-configured connection (a ConnectionRuntime with its token provider and Logto client, and
 * its policy) behind the connection registry and resolver (no connection objects: none exist here),
 * the connector's settings, the Events recorder and the reconciler's settings.
 *
 * Everything logged is captured; `close()` fails if a secret value or access token the emulator
 * handed out appears in the logs, in an Event or in a status message (as operatorEnvironment's scan
 * does for the operator's logs).
 */
import { Writable } from 'node:stream';
import type { V1Secret } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect } from 'vitest';
import type { OperatorConfig } from '../../src/config.js';
import { FLAG_CONNECTION, ConnectionRegistry } from '../../src/connections/registry.js';
import { ConnectionRuntime } from '../../src/connections/runtime.js';
import { connectionResolver } from '../../src/connections/setup.js';
import { FORCE_SYNC_ANNOTATION } from '../../src/controllers/logto-application/constants.js';
import { LogtoConnector } from '../../src/controllers/logto-application/logto-external.js';
import type { EventRecorder, EventType } from '../../src/controllers/logto-application/ports.js';
import {
  DEFAULT_RECONCILER_SETTINGS,
  LogtoApplicationReconciler,
} from '../../src/controllers/logto-application/reconciler.js';
import type {
  LogtoApplication,
  LogtoApplicationSpec,
  LogtoApplicationStatus,
} from '../../src/crd/logto-application.js';
import type { KubeClient } from '../../src/kube/client.js';
import { createLogger } from '../../src/log.js';
import type { ReconcileResult } from '../../src/runtime/index.js';
import { observeCalls } from '../../src/util/observe-calls.js';
import { startLogtoEmulator, type LogtoEmulator, type LogtoEmulatorOptions } from '../emulator/index.js';
import { MemoryKube } from './memory-kube.js';
import { emulatorSecrets, testOperatorConfig } from './operator.js';

export interface ReconcileHarnessOptions {
  emulator?: LogtoEmulatorOptions;
  /** Overrides of the operator's configuration (as operatorEnvironment takes them). */
  config?: Partial<OperatorConfig> | ((emulator: LogtoEmulator) => Partial<OperatorConfig>);
  /** The namespace resources are made in (default `team-a`). */
  namespace?: string;
  /**
   * Called with the name of every Kubernetes call of the reconciler (its KubeOperations methods, and
   * `recordEvent`) before it is made, as OperatorHooks.onKubeCall: throwing fails that call.
   */
  onKubeCall?: (operation: string) => void;
}

export interface RecordedEvent {
  namespace: string;
  name: string;
  uid: string;
  type: EventType;
  reason: string;
  message: string;
}

/** How one pass ended: what reconcile answered, or what it threw. */
export interface PassOutcome {
  result?: ReconcileResult | void;
  error?: unknown;
}

const condition = (resource: LogtoApplication | undefined, type: string) =>
  resource?.status?.conditions?.find((c) => c.type === type);

/** A stand-in for the apiserver client of the connection registry: no call may reach it here. */
const noApiserver = {
  api: () =>
    new Proxy(
      {},
      {
        get: (_target, property) =>
          property === 'then'
            ? undefined
            : () => Promise.reject(new Error(`no apiserver in the reconcile harness (${String(property)})`)),
      },
    ),
} as unknown as KubeClient;

export class ReconcileHarness {
  readonly kube = new MemoryKube();
  /** Every JSON line logged so far (reconciler, connector, Logto transport). */
  readonly logs: string[] = [];
  /** Names of the Kubernetes calls the reconciler made, in order (see ReconcileHarnessOptions.onKubeCall). */
  readonly kubeCalls: string[] = [];
  readonly recorded: RecordedEvent[] = [];
  readonly config: OperatorConfig;
  readonly reconciler: LogtoApplicationReconciler;
  /** The flag-configured connection: its token provider and Logto client. */
  readonly flagConnection: ConnectionRuntime;
  private passCount = 0;
  /** How far the connection's breaker clock is ahead of the real one (see elapse). */
  private elapsed = 0;

  private constructor(
    readonly emulator: LogtoEmulator,
    readonly ns: string,
    options: ReconcileHarnessOptions,
  ) {
    const overrides = typeof options.config === 'function' ? options.config(emulator) : options.config;
    const config = (this.config = testOperatorConfig(emulator, overrides));
    // The operator would read these from the apiserver (credentialsSource in src/operator.ts).
    if (config.credentialsSecret) throw new Error('the reconcile harness takes clientId/clientSecret only');
    const logs = this.logs;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const logger = createLogger({ level: config.logLevel }, sink);
    const credentials = { clientId: config.clientId ?? '', clientSecret: config.clientSecret ?? '' };
    this.flagConnection = new ConnectionRuntime(
      {
        key: FLAG_CONNECTION,
        endpoint: config.logtoEndpoint,
        publicEndpoint: config.logtoPublicEndpoint,
        managementApiResource: config.logtoResource,
        requestTimeoutMs: config.requestTimeoutMs,
        credentials: () => Promise.resolve(credentials),
        policy: config.flagPolicy,
      },
      { logger, healthClock: () => Date.now() + this.elapsed },
    );
    // The registry with no connection objects (their caches are empty): resources without
    // connectionRef go through the flags' connection, one naming a connection finds none.
    const registry = new ConnectionRegistry({
      kube: noApiserver,
      logger,
      caches: { cluster: { get: () => undefined, list: () => [] }, namespaced: { get: () => undefined } },
      flagConnection: this.flagConnection,
      defaultRequestTimeoutMs: config.requestTimeoutMs,
    });
    const connections = connectionResolver(registry);
    const onKubeCall = (operation: string) => {
      this.kubeCalls.push(operation);
      options.onKubeCall?.(operation);
    };
    const recorder: EventRecorder = {
      record: (resource, type, reason, message) => {
        const { namespace, name, uid } = resource.metadata;
        this.recorded.push({ namespace, name, uid, type, reason, message });
      },
    };
    const events = observeCalls(recorder, (method) => method === 'record' && onKubeCall('recordEvent'));
    this.reconciler = new LogtoApplicationReconciler({
      resources: this.kube.resourceCache,
      ownedSecrets: this.kube.ownedSecretCache,
      kube: observeCalls(this.kube, onKubeCall),
      external: new LogtoConnector({
        logto: this.flagConnection.logto,
        connections,
        events,
        settings: {
          publicEndpoint: config.logtoPublicEndpoint,
          clusterName: config.clusterName ?? '',
          commitWindowMs: 2 * config.requestTimeoutMs,
          listMaxAgeMs: config.resyncPeriodMs / 2,
          ...(config.minRotationPeriodMs !== undefined
            ? { minRotationPeriodMs: config.minRotationPeriodMs }
            : {}),
        },
      }),
      events,
      logger: logger.child({ controller: 'logtoapplication' }),
      settings: { ...DEFAULT_RECONCILER_SETTINGS, resyncPeriodMs: config.resyncPeriodMs },
    });
  }

  /**
   * Moves the flag connection's breaker clock on by `ms`, as if that much time had passed: a pass
   * that waited for the breaker's next probe (after an outage) can then be the probe.
   */
  elapse(ms: number): void {
    this.elapsed += ms;
  }

  static async start(options: ReconcileHarnessOptions = {}): Promise<ReconcileHarness> {
    const emulator = await startLogtoEmulator(options.emulator);
    return new ReconcileHarness(emulator, options.namespace ?? 'team-a', options);
  }

  /** Passes run so far. */
  get passes(): number {
    return this.passCount;
  }

  create(name: string, spec: LogtoApplicationSpec, annotations?: Record<string, string>): LogtoApplication {
    return this.kube.create(this.ns, name, spec, annotations);
  }

  /** The resource as the apiserver holds it; undefined once it is gone. */
  get(name: string): LogtoApplication | undefined {
    return this.kube.get(this.ns, name);
  }

  status(name: string): LogtoApplicationStatus | undefined {
    return this.get(name)?.status;
  }

  secret(name: string): V1Secret | undefined {
    return this.kube.secret(this.ns, name);
  }

  /** The Events recorded on the resource of that name (any uid), oldest first. */
  events(name: string): RecordedEvent[] {
    return this.recorded.filter((e) => e.namespace === this.ns && e.name === name);
  }

  /** A JSON merge patch of the spec, as `kubectl patch --type merge -p '{"spec": …}'`. */
  patchSpec(name: string, patch: Record<string, unknown>): LogtoApplication {
    return this.kube.patchSpec(this.ns, name, patch);
  }

  /** A user's merge patch of annotations and/or the finalizer list. */
  patchMetadata(
    name: string,
    patch: { annotations?: Record<string, string | null>; finalizers?: string[] },
  ): LogtoApplication {
    return this.kube.patchMetadata(this.ns, name, patch);
  }

  /** One pass of the resource, as the controller runs it. */
  async reconcile(name: string): Promise<PassOutcome> {
    this.passCount++;
    try {
      return { result: await this.reconciler.reconcile({ namespace: this.ns, name }) };
    } catch (error) {
      return { error };
    }
  }

  /**
   * Sets the force-sync annotation to a new value (as syncNow does with the operator): the next pass
   * reads the application from Logto, not from the shared list.
   */
  forceSync(name: string): void {
    this.patchMetadata(name, {
      annotations: { [FORCE_SYNC_ANNOTATION]: `${Date.now()}-${Math.random()}` },
    });
  }

  /** forceSync, then a pass. */
  syncNow(name: string): Promise<PassOutcome> {
    this.forceSync(name);
    return this.reconcile(name);
  }

  /**
   * Deletes the resource (deletionTimestamp while finalizers hold it) and runs the finalizer pass,
   * if the object is still there.
   */
  async delete(name: string): Promise<PassOutcome | undefined> {
    this.kube.delete(this.ns, name);
    return this.get(name) ? this.reconcile(name) : undefined;
  }

  /**
   * The resource, which must have converged its current generation: Synced=True and Ready=True, both
   * for it (what waitReady(ns, name) waits for).
   */
  assertReady(name: string, pass?: PassOutcome): LogtoApplication {
    const resource = this.get(name);
    const synced = condition(resource, 'Synced');
    const ready = condition(resource, 'Ready');
    const generation = resource?.metadata.generation;
    const error = pass?.error;
    if (
      error !== undefined ||
      synced?.status !== 'True' ||
      ready?.status !== 'True' ||
      synced.observedGeneration !== generation ||
      ready.observedGeneration !== generation
    ) {
      throw new Error(
        `${this.ns}/${name}: expected Synced=True, Ready=True for generation ${generation}; got ` +
          `${JSON.stringify({ synced, ready })}${error !== undefined ? `; the pass failed: ${String(error)}` : ''}`,
      );
    }
    return resource!;
  }

  /**
   * The resource, whose last pass must have stopped: Synced=False for the current generation, with
   * `reason` if given (what waitReady(ns, name, 'False', reason) waits for).
   */
  assertStopped(name: string, reason?: string, pass?: PassOutcome): LogtoApplication {
    const resource = this.get(name);
    const synced = condition(resource, 'Synced');
    if (
      (pass && pass.error === undefined) ||
      synced?.status !== 'False' ||
      synced.observedGeneration !== resource?.metadata.generation ||
      (reason !== undefined && synced.reason !== reason)
    ) {
      throw new Error(
        `${this.ns}/${name}: expected Synced=False${reason ? ` (${reason})` : ''} for generation ` +
          `${resource?.metadata.generation}; got ${JSON.stringify(synced)}` +
          (pass && pass.error === undefined ? ' from a pass that succeeded' : ''),
      );
    }
    return resource!;
  }

  /** One pass, which must converge the resource (see assertReady); the resource after it. */
  async reconcileReady(name: string): Promise<LogtoApplication> {
    return this.assertReady(name, await this.reconcile(name));
  }

  /** One pass, which must stop (see assertStopped); the resource after it. */
  async reconcileStopped(name: string, reason?: string): Promise<LogtoApplication> {
    return this.assertStopped(name, reason, await this.reconcile(name));
  }

  /**
   * The secret values and access tokens of the emulator found in the logs, in Events or in status
   * messages: none may be.
   */
  leaks(): string[] {
    const secrets = emulatorSecrets(this.emulator);
    const texts = [
      ...this.logs,
      ...this.recorded.map((e) => e.message),
      ...this.kube.allResources().flatMap((r) => (r.status?.conditions ?? []).map((c) => c.message)),
    ];
    return secrets.filter((s) => texts.some((text) => text.includes(s)));
  }

  /** Closes the emulator; fails if anything leaked (see leaks()). */
  async close(): Promise<void> {
    const leaked = this.leaks();
    const tokensIssued = this.emulator.calls.count({ route: '/oidc/token', status: 200 }) > 0;
    const secrets = emulatorSecrets(this.emulator);
    await this.emulator.close();
    // The scan covers the access tokens the passes used (JWTs), not only application secrets.
    if (tokensIssued) expect(secrets.some((s) => s.split('.').length === 3)).toBe(true);
    expect(leaked, 'secret values or tokens in the logs, Events or status messages').toEqual([]);
  }
}

/**
 * Registers beforeAll/afterAll hooks that start a harness (and its emulator) and close it, failing
 * the file on a leaked secret. The returned object is filled in by the time tests run.
 */
export function useReconcileHarness(options: ReconcileHarnessOptions = {}): { h: ReconcileHarness } {
  const env = {} as { h: ReconcileHarness };
  beforeAll(async () => {
    env.h = await ReconcileHarness.start(options);
  });
  afterAll(async () => {
    await env.h?.close();
  });
  return env;
}

/** Runs `test` with a harness of its own, closed afterwards (and scanned for leaks when the test passed). */
export async function withReconcileHarness<T>(
  options: ReconcileHarnessOptions,
  test: (h: ReconcileHarness) => Promise<T>,
): Promise<T> {
  const h = await ReconcileHarness.start(options);
  let failed = true;
  try {
    const result = await test(h);
    failed = false;
    return result;
  } finally {
    if (failed) await h.emulator.close();
    else await h.close();
  }
}
