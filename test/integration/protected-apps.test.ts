/** Protected applications and their custom domains; and a server without protected-app support. */
import { beforeAll, describe, expect, it } from 'vitest';
import { startLogtoEmulator, type LogtoEmulator } from '../emulator/index.js';
import { eventually } from '../support/eventually.js';
import { apiStatus, createTestNamespace, testKubeConfig } from '../support/kube.js';
import {
  operatorEnvironment,
  syncedMessage,
  syncNow,
  startTestOperator,
  testOperatorConfig,
  TestCluster,
} from '../support/operator.js';

const protectedSpec = {
  type: 'Protected' as const,
  protectedAppMetadata: { subDomain: 'shop', origin: 'https://shop.internal.example' },
  customDomains: ['shop.example.com'],
};

describe('Protected applications', () => {
  const env = operatorEnvironment('protected', {
    emulator: { protectedApps: { domain: 'protected.example' } },
  });
  let emulator: LogtoEmulator, cluster: TestCluster, ns: string;
  beforeAll(() => void ({ emulator, cluster, ns } = env));

  it('creates the app with its custom domain, follows origin and page-rule edits, and deletes domain then app', async () => {
    await cluster.create(ns, 'shop', protectedSpec);
    let resource = await cluster.waitReady(ns, 'shop');
    const id = resource.status!.applicationId!;
    const app = () => emulator.state.applications.get(id);
    expect(app()!.protectedAppMetadata).toMatchObject({
      host: 'shop.protected.example',
      origin: 'https://shop.internal.example',
    });
    expect(resource.status!.customDomains).toEqual([expect.objectContaining({ domain: 'shop.example.com' })]);
    // The callback URIs Logto derives for a Protected app are left to it.
    app()!.oidcClientMetadata = {
      redirectUris: ['https://shop.protected.example/callback'],
      postLogoutRedirectUris: ['https://shop.protected.example'],
    };
    await syncNow(env, ns, 'shop');
    expect(emulator.calls.count({ method: 'PATCH', route: '/api/applications/{id}' })).toBe(0);
    expect(app()!.oidcClientMetadata.redirectUris).toEqual(['https://shop.protected.example/callback']);
    expect(Object.keys(await cluster.secret(ns, 'shop').then((s) => s!.data!)).sort()).toEqual([
      'LOGTO_APP_ID',
      'LOGTO_APP_SECRET',
      'LOGTO_ENDPOINT',
    ]);

    await cluster.patch(ns, 'shop', {
      spec: {
        protectedAppMetadata: {
          origin: 'https://shop-v2.internal.example',
          pageRules: [{ path: '^/admin' }],
        },
      },
    });
    resource = await cluster.waitReady(ns, 'shop');
    expect(app()!.protectedAppMetadata).toMatchObject({
      origin: 'https://shop-v2.internal.example',
      pageRules: [{ path: '^/admin' }],
    });

    await cluster.delete(ns, 'shop');
    await eventually(async () => (await cluster.get(ns, 'shop')) === undefined, { what: 'resource gone' });
    expect(app()).toBeUndefined();
    expect(
      emulator.calls.count({
        method: 'DELETE',
        route: '/api/applications/{id}/protected-app-metadata/custom-domains/{domain}',
      }),
    ).toBe(1);
  });

  it('refuses a changed subdomain, and Protected without its metadata, at admission', async () => {
    await cluster.create(ns, 'fixed', {
      ...protectedSpec,
      protectedAppMetadata: { subDomain: 'fixed', origin: 'https://f.example' },
      customDomains: [],
    });
    const changed = await cluster
      .patch(ns, 'fixed', { spec: { protectedAppMetadata: { subDomain: 'other' } } })
      .catch(apiStatus);
    expect(JSON.stringify(changed)).toContain('subDomain is immutable');
    const missing = await cluster.create(ns, 'bare', { type: 'Protected' }).catch(apiStatus);
    expect(JSON.stringify(missing)).toContain('protectedAppMetadata is required');
  });
});

describe('a Logto server without protected-app support', () => {
  it('reports NotSupportedByServer without a retry storm', async () => {
    const kc = testKubeConfig();
    const cluster = new TestCluster(kc);
    const ns = await createTestNamespace(kc, 'no-protected');
    const emulator = await startLogtoEmulator();
    let operator: Awaited<ReturnType<typeof startTestOperator>> | undefined;
    try {
      operator = await startTestOperator(kc, testOperatorConfig(emulator, { watchNamespaces: [ns] }));
      await cluster.create(ns, 'shop', { ...protectedSpec, customDomains: [] });
      const resource = await cluster.waitReady(ns, 'shop', 'False', 'NotSupportedByServer');
      expect(syncedMessage(resource)).toMatch(/HTTP 501/);
      const attempts = emulator.calls.count({ method: 'POST', route: '/api/applications' });
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(emulator.calls.count({ method: 'POST', route: '/api/applications' })).toBe(attempts);
      expect(attempts).toBe(1);
    } finally {
      await operator?.stop();
      await emulator.close();
    }
  });
});
