/**
 * The operator end to end: real kube-apiserver, real controller, Logto emulator over HTTP.
 * Create → Ready with a Secret; edits followed; drift reverted; deletion by policy.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { FORCE_SYNC_ANNOTATION } from '../../src/operator.js';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { createTestNamespace } from '../support/kube.js';
import { MARKER_KEY } from '../../src/controllers/logto-application/ownership-marker.js';
import type { LogtoEmulator } from '../emulator/index.js';
import { eventually } from '../support/eventually.js';
import {
  decodeSecret,
  emulatorSecrets,
  operatorEnvironment,
  syncNow,
  type TestCluster,
  type TestOperator,
} from '../support/operator.js';
import { toolPath } from '../support/tools.js';

const run = promisify(execFile);

describe('LogtoApplication lifecycle', () => {
  const env = operatorEnvironment('lifecycle');
  let emulator: LogtoEmulator, operator: TestOperator, cluster: TestCluster, ns: string;
  beforeAll(() => void ({ emulator, operator, cluster, ns } = env));

  const app = (id: string) => emulator.state.applications.get(id);
  const writes = () =>
    emulator.calls.list().filter((c) => c.method !== 'GET' && c.route !== '/oidc/token').length;

  it('creates the application, publishes its credentials and reports Ready (kubectl wait works)', async () => {
    await cluster.create(ns, 'web', {
      type: 'Traditional',
      name: 'Web portal',
      oidcClientMetadata: { redirectUris: ['https://web.example/callback'], postLogoutRedirectUris: [] },
      customClientMetadata: { corsAllowedOrigins: ['https://web.example'], idTokenTtl: 900 },
      customData: { team: 'a' },
    });
    const kubectl = await toolPath('kubectl');
    await run(kubectl, [
      '--kubeconfig',
      inject('kubeconfigPath'),
      'wait',
      '-n',
      ns,
      '--for=condition=Ready',
      'logtoapplication/web',
      '--timeout=60s',
    ]);

    const resource = await cluster.waitReady(ns, 'web');
    const id = resource.status!.applicationId!;
    expect(resource.status).toMatchObject({
      observedGeneration: 1,
      secretName: 'web',
      publishedSecret: 'Default secret',
    });
    expect(resource.metadata.finalizers).toContain('logto.io/finalizer');

    const created = app(id)!;
    expect(created).toMatchObject({
      name: 'Web portal',
      type: 'Traditional',
      oidcClientMetadata: { redirectUris: ['https://web.example/callback'], postLogoutRedirectUris: [] },
      customClientMetadata: { corsAllowedOrigins: ['https://web.example'], idTokenTtl: 900 },
    });
    expect(created.customData).toEqual({
      team: 'a',
      [MARKER_KEY]: {
        uid: resource.metadata.uid,
        namespace: ns,
        name: 'web',
        deletionPolicy: 'Delete',
        // The create token, also on the resource: what proves a restore of it later.
        token: resource.metadata.annotations!['logto.io/create-token'],
      },
    });

    const secret = await cluster.secret(ns, 'web');
    expect(decodeSecret(secret)).toEqual({
      LOGTO_ENDPOINT: emulator.endpoint,
      LOGTO_APP_ID: id,
      LOGTO_APP_SECRET: created.secrets.find((s) => s.name === 'Default secret')!.value,
    });
    expect(secret!.metadata!.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'LogtoApplication',
        name: 'web',
        uid: resource.metadata.uid,
        controller: true,
      }),
    ]);
    // Status, conditions and events carry no secret value.
    const events = await cluster.core.listNamespacedEvent({ namespace: ns });
    const visible = JSON.stringify(resource.status) + JSON.stringify(events.items.map((e) => e.message));
    for (const value of emulatorSecrets(emulator)) expect(visible).not.toContain(value);
  });

  it('publishes no secret for an SPA', async () => {
    await cluster.create(ns, 'spa', {
      type: 'SPA',
      oidcClientMetadata: { redirectUris: ['https://spa.example/cb'] },
    });
    const resource = await cluster.waitReady(ns, 'spa');
    expect(Object.keys(decodeSecret(await cluster.secret(ns, 'spa'))).sort()).toEqual([
      'LOGTO_APP_ID',
      'LOGTO_ENDPOINT',
    ]);
    expect(resource.status!.publishedSecret).toBeUndefined();
    expect(app(resource.status!.applicationId!)!.name).toBe('spa');
  });

  it('follows spec edits, sending each changed field whole', async () => {
    const before = await cluster.waitReady(ns, 'web');
    const id = before.status!.applicationId!;
    await cluster.patch(ns, 'web', {
      spec: {
        customClientMetadata: {
          corsAllowedOrigins: ['https://web.example', 'https://admin.example'],
          idTokenTtl: null,
        },
        customData: null,
      },
    });
    await cluster.waitReady(ns, 'web');
    await eventually(() => app(id)!.customClientMetadata.corsAllowedOrigins?.length === 2, {
      what: 'CORS update',
    });
    // idTokenTtl was dropped from the spec, so it is gone from Logto too (whole-field replacement).
    expect(app(id)!.customClientMetadata).toEqual({
      corsAllowedOrigins: ['https://web.example', 'https://admin.example'],
    });
    // customData removed from the spec: the key the spec set goes, the ownership marker stays.
    expect(app(id)!.customData).toEqual({ [MARKER_KEY]: expect.objectContaining({ name: 'web' }) });
  });

  it('a no-op pass makes no write to Logto and none to Kubernetes', async () => {
    const resource = await cluster.waitReady(ns, 'web');
    const logtoWrites = writes();
    const kubeWrites = operator.kubeCalls.length;
    const reconciles = operator.reconciles;
    await syncNow(env, ns, 'web');
    expect(operator.reconciles).toBeGreaterThan(reconciles);
    expect(writes()).toBe(logtoWrites);
    expect(operator.kubeCalls.slice(kubeWrites)).toEqual([]);
    const after = await cluster.get(ns, 'web');
    expect(after!.status).toEqual(resource.status);
  });

  it('reverts a change made in Logto behind its back on the force-sync annotation', async () => {
    const id = (await cluster.waitReady(ns, 'web')).status!.applicationId!;
    app(id)!.name = 'renamed in the console';
    app(id)!.oidcClientMetadata = { redirectUris: [], postLogoutRedirectUris: [] };
    await cluster.patch(ns, 'web', { metadata: { annotations: { [FORCE_SYNC_ANNOTATION]: 'drift-1' } } });
    await eventually(() => app(id)!.name === 'Web portal', { what: 'drift reverted' });
    expect(app(id)!.oidcClientMetadata.redirectUris).toEqual(['https://web.example/callback']);
  });

  it('restores a Secret edited by hand', async () => {
    const before = decodeSecret(await cluster.secret(ns, 'web'));
    await cluster.core.patchNamespacedSecret(
      { namespace: ns, name: 'web', body: { stringData: { LOGTO_APP_SECRET: 'tampered' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await eventually(
      async () => decodeSecret(await cluster.secret(ns, 'web')).LOGTO_APP_SECRET === before.LOGTO_APP_SECRET,
      {
        what: 'Secret restored',
      },
    );
    expect(decodeSecret(await cluster.secret(ns, 'web'))).toEqual(before);
  });

  it('ignores LogtoApplications in namespaces it does not watch', async () => {
    const other = await createTestNamespace(cluster.kc, 'unwatched');
    await cluster.create(other, 'stranger', { type: 'SPA' });
    const calls = emulator.calls.count();
    await syncNow(env, ns, 'web'); // a pass of a watched resource, to let any wrongly queued work run
    const stranger = await cluster.get(other, 'stranger');
    expect(stranger!.metadata.finalizers ?? []).toEqual([]);
    expect(stranger!.status).toBeUndefined();
    expect(
      emulator.calls
        .list()
        .slice(calls)
        .filter((c) => c.method !== 'GET'),
    ).toEqual([]);
  });

  it('restores a deleted Secret with the same secret value', async () => {
    const before = decodeSecret(await cluster.secret(ns, 'web'));
    await cluster.core.deleteNamespacedSecret({ namespace: ns, name: 'web' });
    const restored = await eventually(
      async () => {
        const secret = await cluster.secret(ns, 'web');
        return secret?.data ? decodeSecret(secret) : undefined;
      },
      { what: 'Secret restored' },
    );
    expect(restored).toEqual(before);
  });

  it('deletes the Logto application with deletionPolicy Delete', async () => {
    await cluster.create(ns, 'm2m', { type: 'MachineToMachine' });
    const id = (await cluster.waitReady(ns, 'm2m')).status!.applicationId!;
    expect(app(id)).toBeDefined();
    await cluster.delete(ns, 'm2m');
    await eventually(async () => (await cluster.get(ns, 'm2m')) === undefined, { what: 'resource gone' });
    expect(app(id)).toBeUndefined();
  });

  it('keeps the Logto application with deletionPolicy Orphan, without the ownership marker', async () => {
    await cluster.create(ns, 'kept', {
      type: 'SPA',
      deletionPolicy: 'Orphan',
      customData: { owner: 'team-a' },
    });
    const id = (await cluster.waitReady(ns, 'kept')).status!.applicationId!;
    await cluster.delete(ns, 'kept');
    await eventually(async () => (await cluster.get(ns, 'kept')) === undefined, { what: 'resource gone' });
    expect(app(id)!.customData).toEqual({ owner: 'team-a' });
  });

  it('treats an application already gone from Logto as deleted', async () => {
    await cluster.create(ns, 'gone', { type: 'Native' });
    const id = (await cluster.waitReady(ns, 'gone')).status!.applicationId!;
    emulator.state.applications.delete(id);
    await cluster.delete(ns, 'gone');
    await eventually(async () => (await cluster.get(ns, 'gone')) === undefined, { what: 'resource gone' });
  });
});

describe('periodic resync', () => {
  const env = operatorEnvironment('resync', { config: { resyncPeriodMs: 1500 } });

  it('reverts drift in Logto without any prompt from Kubernetes', async () => {
    await env.cluster.create(env.ns, 'drifting', { type: 'SPA', name: 'Declared name' });
    const resource = await env.cluster.waitReady(env.ns, 'drifting');
    const app = env.emulator.state.applications.get(resource.status!.applicationId!)!;
    app.name = 'renamed in the console';
    await eventually(() => app.name === 'Declared name', { what: 'drift reverted by the resync' });
  });
});
