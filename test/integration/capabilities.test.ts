/**
 * The capabilities of a LogtoApplication end to end: the published Secret's shape (renamed keys,
 * rendered templates, labels, annotations, a dropped template's key removed) as server-side apply
 * through the real apiserver leaves it. How each capability converges in Logto (roles, consent,
 * sign-in experience, custom data, access control, organizations) is tested against the emulator
 * without a control plane: test/unit/logto-application/capabilities.test.ts (through
 * test/support/reconcile-harness.ts). Admission refusals are in operator-failures.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { LogtoEmulator } from '../emulator/index.js';
import { eventually } from '../support/eventually.js';
import { decodeSecret, operatorEnvironment, type TestCluster } from '../support/operator.js';

describe('capabilities', () => {
  const env = operatorEnvironment('capabilities', {
    emulator: {
      seed: {
        resources: [
          {
            name: 'Orders API',
            indicator: 'https://orders.example/api',
            scopes: ['read:orders', 'write:orders'],
          },
        ],
      },
    },
    // The API is made in the Console: its scopes are asked for consent only as the policy lists them.
    config: { flagPolicy: { consentScopes: { resources: [{ indicator: 'https://orders.example/api' }] } } },
  });
  let emulator: LogtoEmulator, cluster: TestCluster, ns: string;
  beforeAll(() => void ({ emulator, cluster, ns } = env));

  describe('the Secret shape', () => {
    it('renames keys, renders templates, sets labels and annotations', async () => {
      await cluster.create(ns, 'shaped', {
        type: 'Traditional',
        isThirdParty: true,
        userConsentScopes: {
          resourceScopes: [{ resource: 'https://orders.example/api', scopes: ['read:orders'] }],
        },
        secret: {
          name: 'shaped-oidc',
          keys: { appId: 'OIDC_CLIENT_ID', appSecret: 'OIDC_CLIENT_SECRET' },
          templates: {
            OIDC_ISSUER: '{{ issuer }}',
            OIDC_TOKEN_URL: '{{tokenEndpoint}}',
            API_AUDIENCES: '{{ resourceIndicators }}',
          },
          labels: { team: 'partners' },
          annotations: { 'reloader.example/match': 'true' },
        },
      });
      const resource = await cluster.waitReady(ns, 'shaped');
      const secret = await cluster.secret(ns, 'shaped-oidc');
      expect(decodeSecret(secret)).toEqual({
        LOGTO_ENDPOINT: emulator.endpoint,
        OIDC_CLIENT_ID: resource.status!.applicationId,
        OIDC_CLIENT_SECRET: expect.any(String),
        OIDC_ISSUER: `${emulator.endpoint}/oidc`,
        OIDC_TOKEN_URL: `${emulator.endpoint}/oidc/token`,
        API_AUDIENCES: 'https://orders.example/api',
      });
      expect(secret!.metadata!.labels).toMatchObject({ team: 'partners' });
      expect(secret!.metadata!.annotations).toMatchObject({ 'reloader.example/match': 'true' });

      // Dropping a template removes its key.
      await cluster.patch(ns, 'shaped', {
        spec: { secret: { templates: { API_AUDIENCES: null, OIDC_TOKEN_URL: null } } },
      });
      await eventually(
        async () => !('OIDC_TOKEN_URL' in decodeSecret(await cluster.secret(ns, 'shaped-oidc'))),
        {
          what: 'template key removed',
        },
      );
    });
  });
});
