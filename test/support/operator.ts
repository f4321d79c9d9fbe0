/**
 * Runs the real operator in the test process against the shared control plane and a Logto emulator,
 * capturing everything it logs (for assertions, and for the scan that no secret is ever logged).
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Secret,
} from '@kubernetes/client-node';
import type { OperatorConfig } from '../../src/config.js';
import { GROUP, PLURAL, VERSION, type LogtoApplication } from '../../src/crd/logto-application.js';
import { KubeClient } from '../../src/kube/client.js';
import { createLogger } from '../../src/log.js';
import {
  FORCE_SYNC_ANNOTATION,
  startOperator,
  type Operator,
  type OperatorHooks,
} from '../../src/operator.js';
import { afterAll, beforeAll, expect } from 'vitest';
import type { EmulatorApi } from '../emulator/harness.js';
import { startLogtoEmulator, type LogtoEmulator, type LogtoEmulatorOptions } from '../emulator/index.js';
import { createTestNamespace, testKubeConfig } from './kube.js';
import { eventually } from './eventually.js';

export interface TestOperator {
  operator: Operator;
  /** Every JSON line logged so far. */
  logs: string[];
  /** Names of the Kubernetes calls the reconciler made (see OperatorHooks.onKubeCall). */
  kubeCalls: string[];
  reconciles: number;
  /** Finished reconciles of one resource. */
  passes(namespace: string, name: string): number;
  stop(): Promise<void>;
}

/**
 * Operators of different test files share one apiserver: each serves only the ClusterLogtoConnections
 * labelled for its file (--cluster-connection-selector), as operators sharing a cluster should.
 */
export const TEST_CONNECTION_LABEL = 'logto.io/test-file';
export const testFileId = randomUUID().slice(0, 8);
export const testConnectionSelector = `${TEST_CONNECTION_LABEL}=${testFileId}`;

export function testOperatorConfig(
  emulator: LogtoEmulator,
  overrides: Partial<OperatorConfig> = {},
): OperatorConfig {
  return {
    logtoEndpoint: emulator.endpoint,
    logtoPublicEndpoint: emulator.endpoint,
    logtoResource: emulator.resourceIndicator,
    credentialsSecret: undefined,
    credentialsClientIdKey: 'clientId',
    credentialsClientSecretKey: 'clientSecret',
    clientId: emulator.credentials.clientId,
    clientSecret: emulator.credentials.clientSecret,
    watchNamespaces: [],
    concurrency: 2,
    resyncPeriodMs: 10 * 60_000,
    logLevel: 'debug',
    // The emulator answers in milliseconds. A create whose outcome is unknown is looked for after
    // twice this (see ambiguousCreateRecheckMs), which several tests wait out.
    requestTimeoutMs: 2_000,
    shutdownTimeoutMs: 10_000,
    clusterConnectionSelector: testConnectionSelector,
    ...overrides,
  };
}

export async function startTestOperator(
  kc: KubeConfig,
  config: OperatorConfig,
  hooks: OperatorHooks = {},
): Promise<TestOperator> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ level: config.logLevel }, sink);
  const state = { reconciles: 0 };
  const passes = new Map<string, number>();
  const kubeCalls: string[] = [];
  const operator = await startOperator(kc, config, logger, {
    ...hooks,
    onKubeCall: (operation) => {
      kubeCalls.push(operation);
      hooks.onKubeCall?.(operation);
    },
    controllerMetrics: {
      ...hooks.controllerMetrics,
      reconcileFinished: (event) => {
        state.reconciles++;
        const key = `${event.key.namespace}/${event.key.name}`;
        passes.set(key, (passes.get(key) ?? 0) + 1);
        hooks.controllerMetrics?.reconcileFinished?.(event);
      },
    },
  });
  return {
    operator,
    logs,
    kubeCalls,
    get reconciles() {
      return state.reconciles;
    },
    passes: (namespace, name) => passes.get(`${namespace}/${name}`) ?? 0,
    stop: () => operator.stop(5_000),
  };
}

/** What a TestCluster needs of an object of the operator's kinds. */
export interface TestObject {
  metadata: { generation?: number };
  spec: unknown;
  status?: {
    conditions?: Array<{ type: string; status: string; reason: string; observedGeneration?: number }>;
  };
}

/** The kind a TestCluster reads and writes. */
export interface TestKind {
  plural: string;
  kind: string;
}

/**
 * Typed access to LogtoApplications (or, through `of`, another of the operator's kinds: the type
 * parameter then says its shape) and Secrets for assertions.
 */
export class TestCluster<T extends TestObject = LogtoApplication> {
  readonly custom: CustomObjectsApi;
  readonly core: CoreV1Api;

  constructor(
    readonly kc: KubeConfig,
    private readonly type: TestKind = { plural: PLURAL, kind: 'LogtoApplication' },
  ) {
    // Through the operator's keep-alive pool: client-node's own clients open a TLS connection per
    // request, which would load the apiserver (and benchmarks' figures) with handshakes.
    const kube = new KubeClient(kc);
    this.custom = kube.api(CustomObjectsApi);
    this.core = kube.api(CoreV1Api);
  }

  /** The same access to another kind of the operator (LogtoRole, LogtoApiResource, LogtoGrant). */
  of<K extends TestObject>(type: TestKind): TestCluster<K> {
    return new TestCluster<K>(this.kc, type);
  }

  async create(
    namespace: string,
    name: string,
    spec: T['spec'],
    annotations?: Record<string, string>,
  ): Promise<T> {
    return (await this.custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: this.type.plural,
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: this.type.kind,
        metadata: { name, namespace, ...(annotations ? { annotations } : {}) },
        spec,
      },
    })) as T;
  }

  async get(namespace: string, name: string): Promise<T | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: this.type.plural,
        name,
      })) as T;
    } catch (error) {
      if ((error as { code?: number }).code === 404) return undefined;
      throw error;
    }
  }

  /** JSON merge patch of the resource (spec, metadata.annotations, …). */
  async patch(namespace: string, name: string, body: Record<string, unknown>): Promise<T> {
    return (await this.custom.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace, plural: this.type.plural, name, body },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as T;
  }

  /** Removes the whole status, as a backup restore or a lost status write leaves a resource. */
  async wipeStatus(namespace: string, name: string): Promise<void> {
    await this.custom.patchNamespacedCustomObjectStatus(
      { group: GROUP, version: VERSION, namespace, plural: this.type.plural, name, body: { status: null } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  async delete(namespace: string, name: string): Promise<void> {
    await this.custom.deleteNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: this.type.plural,
      name,
    });
  }

  async secret(namespace: string, name: string): Promise<V1Secret | undefined> {
    try {
      return await this.core.readNamespacedSecret({ namespace, name });
    } catch (error) {
      if ((error as { code?: number }).code === 404) return undefined;
      throw error;
    }
  }

  /**
   * 'True': the current generation converged (Synced=True) and is available (Ready=True). 'False':
   * the last pass of the current generation failed (Synced=False, with `reason` if given).
   */
  async waitReady(
    namespace: string,
    name: string,
    status: 'True' | 'False' = 'True',
    reason?: string,
    timeoutMs = 30_000,
  ): Promise<T> {
    const matches = (resource: T | undefined, type: string, wanted: string, why?: string) => {
      const condition = resource?.status?.conditions?.find((c) => c.type === type);
      return (
        condition?.observedGeneration === resource?.metadata.generation &&
        condition?.status === wanted &&
        (!why || condition?.reason === why)
      );
    };
    return eventually(
      async () => {
        const resource = await this.get(namespace, name);
        const ok =
          status === 'True'
            ? matches(resource, 'Synced', 'True') && matches(resource, 'Ready', 'True')
            : matches(resource, 'Synced', 'False', reason);
        return ok ? resource : undefined;
      },
      {
        timeoutMs,
        what: `${namespace}/${name} ${status === 'True' ? 'Synced=True, Ready=True' : `Synced=False${reason ? ` (${reason})` : ''}`}`,
      },
    );
  }
}

export function decodeSecret(secret: V1Secret | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(secret?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
}

/** Every secret value and access token the emulator holds or ever answered with: none may be logged. */
export function emulatorSecrets(emulator: LogtoEmulator): string[] {
  const values = new Set<string>([emulator.credentials.clientSecret, ...emulator.state.credentialsAnswered]);
  for (const app of emulator.state.applications.values()) {
    for (const secret of app.secrets) values.add(secret.value);
    if (app.legacySecret) values.add(app.legacySecret);
  }
  return [...values].filter((v) => v.length >= 8);
}

export interface OperatorEnvironment {
  emulator: LogtoEmulator;
  operator: TestOperator;
  cluster: TestCluster;
  /** A fresh namespace, the only one the operator watches. */
  ns: string;
}

/**
 * Registers beforeAll/afterAll hooks that run a Logto emulator and the operator on a fresh namespace
 * of the shared control plane, and that fail the file if any secret value or access token the
 * emulator handed out shows up in what the operator logged. The returned object is filled in by the
 * time tests run.
 */
export function operatorEnvironment(
  prefix: string,
  options: { emulator?: LogtoEmulatorOptions; config?: Partial<OperatorConfig> } = {},
): OperatorEnvironment {
  const env = {} as OperatorEnvironment;
  beforeAll(async () => {
    const kc = testKubeConfig();
    env.cluster = new TestCluster(kc);
    env.ns = await createTestNamespace(kc, prefix);
    env.emulator = await startLogtoEmulator(options.emulator);
    env.operator = await startTestOperator(
      kc,
      testOperatorConfig(env.emulator, { watchNamespaces: [env.ns], ...options.config }),
    );
  });
  afterAll(async () => {
    const secrets = await stopAndScanLogs(env.operator, env.emulator);
    // The scan covers the access tokens the operator used (JWTs), not only application secrets.
    if (env.operator) expect(secrets.some((s) => s.split('.').length === 3)).toBe(true);
  });
  return env;
}

/**
 * Stops the operator and the emulator, and fails if any secret value or access token the emulator
 * handed out shows up in what the operator logged. Answers the values scanned for.
 */
export async function stopAndScanLogs(
  operator: TestOperator | undefined,
  emulator: LogtoEmulator | undefined,
): Promise<string[]> {
  await operator?.stop();
  const secrets = emulator ? emulatorSecrets(emulator) : [];
  await emulator?.close();
  const leaked = secrets.filter((s) => operator?.logs.some((line) => line.includes(s)));
  expect(leaked, 'secret values or tokens in the operator logs').toEqual([]);
  return secrets;
}

/**
 * A client-credentials token of the application's own credentials (from its Secret) for
 * `indicator`: the scopes it carries (sorted) and its lifetime.
 */
export async function clientToken(
  cluster: TestCluster,
  api: EmulatorApi,
  at: { namespace: string; name: string },
  indicator: string,
  scope: string,
): Promise<{ scopes: string[]; expiresIn: number }> {
  const app = await cluster.get(at.namespace, at.name);
  const secret = decodeSecret(await cluster.secret(at.namespace, app?.status?.secretName ?? ''));
  const token = await api.requestToken({
    clientId: secret['LOGTO_APP_ID'],
    clientSecret: secret['LOGTO_APP_SECRET'],
    resource: indicator,
    scope,
  });
  expect(token.status).toBe(200);
  const body = token.body as { scope?: string; expires_in: number };
  return { scopes: (body.scope ?? '').split(' ').filter(Boolean).sort(), expiresIn: body.expires_in };
}

/**
 * Makes the operator look at a resource now (the force-sync annotation) and waits until it has: an
 * annotation does not move metadata.generation, so waiting for Ready would not wait for the pass.
 */
export async function syncNow(
  env: Pick<OperatorEnvironment, 'operator' | 'cluster'>,
  namespace: string,
  name: string,
) {
  const before = env.operator.passes(namespace, name);
  const value = `${Date.now()}-${Math.random()}`;
  await env.cluster.patch(namespace, name, { metadata: { annotations: { [FORCE_SYNC_ANNOTATION]: value } } });
  const { controller, cached } = env.operator.operator;
  // Once the operator's cache holds the new value, its key was queued: the controller idle after
  // that means the pass that saw it is done (a pass in flight before it does not count alone).
  const seen = () =>
    cached
      .applications()
      .some(
        (o) =>
          o.metadata?.namespace === namespace &&
          o.metadata.name === name &&
          o.metadata.annotations?.[FORCE_SYNC_ANNOTATION] === value,
      );
  await eventually(
    () =>
      seen() &&
      env.operator.passes(namespace, name) > before &&
      controller.activeWorkers() === 0 &&
      controller.queue.len() === 0,
    { what: `a pass of ${namespace}/${name}` },
  );
}

/** The Synced condition's message: why the last pass of the resource stopped. */
export function syncedMessage(resource: {
  status?: { conditions?: ReadonlyArray<{ type: string; message?: string }> };
}): string {
  return resource.status?.conditions?.find((c) => c.type === 'Synced')?.message ?? '';
}
