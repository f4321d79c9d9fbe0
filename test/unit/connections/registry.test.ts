import { describe, expect, it } from 'vitest';
import {
  ConnectionRegistry,
  describeConnection,
  FLAG_CONNECTION,
} from '../../../src/connections/registry.js';
import { ConnectionRuntime } from '../../../src/connections/runtime.js';
import type { LogtoApplication } from '../../../src/crd/logto-application.js';
import type { LogtoConnectionObject } from '../../../src/crd/logto-connection.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { ReconcileStop } from '../../../src/controllers/logto-application/outcome.js';
import { silentLogger } from '../runtime/helpers.js';

const app = (
  spec: Partial<LogtoApplication['spec']> = {},
  annotations: Record<string, string> = {},
  namespace = 'team-a',
): LogtoApplication =>
  ({
    metadata: { name: 'web', namespace, uid: 'u1', annotations },
    spec: { type: 'SPA', ...spec },
  }) as LogtoApplication;

/** The resource as the operator leaves it once it recorded an application (status is operator-only). */
const recorded = (resource: LogtoApplication): LogtoApplication => ({
  ...resource,
  status: { applicationId: 'app1' },
});

const connection = (
  name: string,
  options: {
    namespace?: string;
    ready?: 'True' | 'False';
    generation?: number;
    observed?: number;
    isDefault?: boolean;
    deleting?: boolean;
    policy?: LogtoConnectionObject['spec']['policy'];
  } = {},
): LogtoConnectionObject => ({
  metadata: {
    name,
    ...(options.namespace ? { namespace: options.namespace } : {}),
    generation: options.generation ?? 1,
    ...(options.isDefault ? { annotations: { 'logto.io/is-default-connection': 'true' } } : {}),
    ...(options.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
  },
  spec: {
    endpoint: 'https://logto.example.com',
    managementApiResource: 'https://default.logto.app/api',
    requestTimeout: '15s',
    credentialsSecretRef: {
      name: 's',
      namespace: 'ops',
      clientIdKey: 'clientId',
      clientSecretKey: 'clientSecret',
    },
    ...(options.policy ? { policy: options.policy } : {}),
  },
  status: {
    conditions: [
      {
        type: 'Ready',
        status: options.ready ?? 'True',
        reason: options.ready === 'False' ? 'Unauthorized' : 'Connected',
        message: options.ready === 'False' ? 'credentials refused' : 'ok',
        lastTransitionTime: '2026-01-01T00:00:00Z',
        observedGeneration: options.observed ?? options.generation ?? 1,
      },
    ],
  },
});

function registry(
  objects: LogtoConnectionObject[],
  options: { flags?: boolean; namespaceLabels?: Record<string, string>; now?: () => number } = {},
) {
  const flagConnection = new ConnectionRuntime(
    {
      key: FLAG_CONNECTION,
      endpoint: 'https://flags.example.com',
      publicEndpoint: 'https://flags.example.com',
      managementApiResource: 'https://default.logto.app/api',
      requestTimeoutMs: 1000,
      credentials: () => Promise.resolve({ clientId: 'op', clientSecret: 'x' }),
      policy: undefined,
    },
    { logger: silentLogger() },
  );
  const namespaceReads: string[] = [];
  const kube = {
    api: () => ({
      readNamespace: ({ name }: { name: string }) => {
        namespaceReads.push(name);
        return Promise.resolve({ metadata: { name, labels: options.namespaceLabels ?? {} } });
      },
    }),
  } as unknown as KubeClient;
  const cluster = objects.filter((o) => !o.metadata.namespace);
  const result = new ConnectionRegistry({
    kube,
    logger: silentLogger(),
    defaultRequestTimeoutMs: 1000,
    ...(options.now ? { now: options.now } : {}),
    flagConnection: options.flags === false ? undefined : flagConnection,
    caches: {
      cluster: { get: (_, name) => cluster.find((o) => o.metadata.name === name), list: () => cluster },
      namespaced: {
        get: (namespace, name) =>
          objects.find((o) => o.metadata.namespace === namespace && o.metadata.name === name),
      },
    },
  });
  // Resolving a cluster connection builds its runtime and watches its Secret: not in these tests.
  result.runtimeOf = () => Promise.resolve(flagConnection);
  return { registry: result, namespaceReads };
}

async function stopOf(promise: Promise<unknown>): Promise<ReconcileStop> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ReconcileStop);
  return error as ReconcileStop;
}

describe('ConnectionRegistry.keyOf', () => {
  it('takes the reference; a LogtoConnection always in the resource namespace', () => {
    const { registry: r } = registry([]);
    expect(r.keyOf(app({ connectionRef: { kind: 'ClusterLogtoConnection', name: 'shared' } })).key).toBe(
      'ClusterLogtoConnection/shared',
    );
    expect(r.keyOf(app({ connectionRef: { kind: 'LogtoConnection', name: 'own' } })).key).toBe(
      'LogtoConnection/team-a/own',
    );
  });

  it('without a reference: the pin, else flags for a resource that records an application, else the default', () => {
    const { registry: r } = registry([connection('b'), connection('a', { isDefault: true })]);
    expect(r.keyOf(app({}, { 'logto.io/connection': 'ClusterLogtoConnection/b' }))).toEqual({
      key: 'ClusterLogtoConnection/b',
      pinned: true,
    });
    // A pin cannot reach into another namespace.
    expect(r.keyOf(app({}, { 'logto.io/connection': 'LogtoConnection/own' })).key).toBe(
      'LogtoConnection/team-a/own',
    );
    // Only status (the operator's) says a resource predates connections; an annotation anyone can set
    // does not take it past the default connection's policy to the flags.
    expect(r.keyOf(recorded(app())).key).toBe(FLAG_CONNECTION);
    expect(r.keyOf(app({}, { 'logto.io/external-name': 'app1' })).key).toBe('ClusterLogtoConnection/a');
    expect(r.keyOf(app())).toEqual({ key: 'ClusterLogtoConnection/a', pinned: false });
    expect(registry([connection('b')]).registry.keyOf(app()).key).toBe(FLAG_CONNECTION);
  });
});

describe('the connection recorded in status', () => {
  const withStatus = (resource: LogtoApplication, connection: string): LogtoApplication => ({
    ...resource,
    status: { applicationId: 'app1', connection },
  });

  it('wins over the pin annotation, which a user may remove or change; a missing pin is written again', async () => {
    const { registry: r } = registry([connection('a', { isDefault: true }), connection('b')]);
    const pinned = withStatus(
      app({}, { 'logto.io/connection': 'ClusterLogtoConnection/b' }),
      'ClusterLogtoConnection/a',
    );
    expect(r.keyOf(pinned)).toEqual({ key: 'ClusterLogtoConnection/a', pinned: true });
    // Pin removed: neither the flags nor another default, but the recorded connection, pinned again.
    const unpinned = withStatus(app(), 'ClusterLogtoConnection/b');
    expect(r.keyOf(unpinned)).toEqual({ key: 'ClusterLogtoConnection/b', pinned: false });
    expect((await r.resolve(unpinned)).pin).toBe('ClusterLogtoConnection/b');
    expect(r.keyOf(withStatus(app(), 'flags')).key).toBe(FLAG_CONNECTION);
  });

  it('names a LogtoConnection only of the resource namespace', async () => {
    const { registry: r } = registry([connection('own', { namespace: 'team-b' })]);
    expect(r.keyOf(withStatus(app(), 'LogtoConnection/team-a/own')).key).toBe('LogtoConnection/team-a/own');
    const stop = await stopOf(r.resolve(withStatus(app(), 'LogtoConnection/team-b/own')));
    expect(stop.reason).toBe('ConnectionNotFound');
  });
});

describe('ConnectionRegistry.resolve', () => {
  it('pins a resource that goes through the default, never one on the flags', async () => {
    const { registry: r } = registry([connection('a', { isDefault: true })]);
    expect((await r.resolve(app())).pin).toBe('ClusterLogtoConnection/a');
    expect((await registry([]).registry.resolve(app())).pin).toBeUndefined();
    expect(
      (await r.resolve(app({ connectionRef: { kind: 'ClusterLogtoConnection', name: 'a' } }))).pin,
    ).toBeUndefined();
  });

  it('ConnectionNotFound for a missing connection, or a LogtoConnection of another namespace', async () => {
    const { registry: r } = registry([connection('own', { namespace: 'team-b' })]);
    const missing = await stopOf(
      r.resolve(app({ connectionRef: { kind: 'ClusterLogtoConnection', name: 'x' } })),
    );
    expect(missing.reason).toBe('ConnectionNotFound');
    expect(missing.message).toContain('ClusterLogtoConnection x');
    const foreign = await stopOf(r.resolve(app({ connectionRef: { kind: 'LogtoConnection', name: 'own' } })));
    expect(foreign.reason).toBe('ConnectionNotFound');
    expect(foreign.message).toContain('LogtoConnection team-a/own');
    const own = await r.resolve(
      app({ connectionRef: { kind: 'LogtoConnection', name: 'own' } }, {}, 'team-b'),
    );
    expect(own.key).toBe('LogtoConnection/team-b/own');
  });

  it('ConnectionNotFound for a hand-made pin that names no connection kind (never the flags)', async () => {
    const { registry: r } = registry([connection('a', { isDefault: true })]);
    for (const pin of ['flags', 'x', 'ClusterLogtoConnection', 'ClusterLogtoConnection/a/b']) {
      const stop = await stopOf(r.resolve(app({}, { 'logto.io/connection': pin })));
      expect(stop.reason, pin).toBe('ConnectionNotFound');
    }
  });

  it('ConnectionNotFound without flags and without a default', async () => {
    const stop = await stopOf(registry([], { flags: false }).registry.resolve(app()));
    expect(stop.reason).toBe('ConnectionNotFound');
  });

  it('ConnectionNotReady while not Ready, or Ready for an older generation, with the reason why', async () => {
    const ref = { connectionRef: { kind: 'ClusterLogtoConnection' as const, name: 'c' } };
    const failing = await stopOf(registry([connection('c', { ready: 'False' })]).registry.resolve(app(ref)));
    expect(failing.reason).toBe('ConnectionNotReady');
    expect(failing.message).toContain('credentials refused');
    const stale = await stopOf(
      registry([connection('c', { generation: 2, observed: 1 })]).registry.resolve(app(ref)),
    );
    expect(stale.reason).toBe('ConnectionNotReady');
  });

  it('a connection being deleted serves only the resources that hold an application', async () => {
    const ref = { connectionRef: { kind: 'ClusterLogtoConnection' as const, name: 'c' } };
    // The deletion moved the generation; the last check still counts.
    const { registry: r } = registry([connection('c', { deleting: true, generation: 2, observed: 1 })]);
    expect((await stopOf(r.resolve(app(ref)))).message).toContain('being deleted');
    expect((await r.resolve(recorded(app(ref)))).key).toBe('ClusterLogtoConnection/c');
    // An annotation anyone can set does not count as holding an application.
    expect((await stopOf(r.resolve(app(ref, { 'logto.io/external-name': 'app1' })))).message).toContain(
      'being deleted',
    );
  });

  it("checks the namespace's labels against a cluster connection's selector (PolicyDenied)", async () => {
    const ref = { connectionRef: { kind: 'ClusterLogtoConnection' as const, name: 'c' } };
    const policy = { namespaceSelector: { matchLabels: { tenant: 'shared' } } };
    const outside = registry([connection('c', { policy })], { namespaceLabels: { tenant: 'other' } });
    const stop = await stopOf(outside.registry.resolve(app(ref)));
    expect(stop.reason).toBe('PolicyDenied');
    expect(stop.message).toContain('namespaceSelector');
    expect(stop.message).toContain('ClusterLogtoConnection c');
    expect(outside.namespaceReads).toEqual(['team-a']);
    const inside = registry([connection('c', { policy })], { namespaceLabels: { tenant: 'shared' } });
    expect((await inside.registry.resolve(app(ref))).key).toBe('ClusterLogtoConnection/c');
    // Without a selector, no namespace is read.
    const open = registry([connection('c')]);
    await open.registry.resolve(app(ref));
    expect(open.namespaceReads).toEqual([]);
  });
});

describe('namespace labels for a selector', () => {
  it('are read once per namespace for a while, not once per pass', async () => {
    const ref = { connectionRef: { kind: 'ClusterLogtoConnection' as const, name: 'c' } };
    const policy = { namespaceSelector: { matchLabels: { tenant: 'shared' } } };
    const clock = { now: 0 };
    const { registry: r, namespaceReads } = registry([connection('c', { policy })], {
      namespaceLabels: { tenant: 'shared' },
      now: () => clock.now,
    });
    for (let pass = 0; pass < 5; pass++) await r.resolve(app(ref));
    await r.resolve(app(ref, {}, 'team-b'));
    expect(namespaceReads).toEqual(['team-a', 'team-b']);
    clock.now = 30_000;
    await r.resolve(app(ref));
    expect(namespaceReads).toEqual(['team-a', 'team-b', 'team-a']);
  });
});

describe('describeConnection', () => {
  it('names each kind of key', () => {
    expect(describeConnection(FLAG_CONNECTION)).toContain('flag-configured');
    expect(describeConnection('LogtoConnection/ns/own')).toBe('LogtoConnection ns/own');
  });
});
