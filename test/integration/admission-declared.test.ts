/**
 * Admission of LogtoApiResources, LogtoRoles, LogtoGrants, LogtoApplication.spec.managementPolicies
 * and the connection policy additions: the apiserver alone (no operator) applies the CRDs' schemas,
 * defaults and CEL rules, creates and transitions alike.
 */
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_RESOURCE_KIND, API_RESOURCE_PLURAL } from '../../src/crd/logto-api-resource.js';
import { GROUP, KIND, PLURAL, VERSION } from '../../src/crd/logto-application.js';
import { CONNECTION_KIND, CONNECTION_PLURAL } from '../../src/crd/logto-connection.js';
import { GRANT_KIND, GRANT_PLURAL } from '../../src/crd/logto-grant.js';
import { ROLE_KIND, ROLE_PLURAL } from '../../src/crd/logto-role.js';
import { apiStatus, createTestNamespace, testKubeConfig } from '../support/kube.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const KINDS = {
  [API_RESOURCE_KIND]: API_RESOURCE_PLURAL,
  [ROLE_KIND]: ROLE_PLURAL,
  [GRANT_KIND]: GRANT_PLURAL,
  [KIND]: PLURAL,
  [CONNECTION_KIND]: CONNECTION_PLURAL,
} as const;
type Kind = keyof typeof KINDS;

describe('admission of the declared kinds (the apiserver alone)', () => {
  const kc = testKubeConfig();
  const custom = kc.makeApiClient(CustomObjectsApi);
  let ns: string;
  let counter = 0;

  beforeAll(async () => {
    ns = await createTestNamespace(kc, 'admission-declared');
  });

  const create = async (kind: Kind, spec: unknown, name = `obj-${++counter}`): Promise<Obj> =>
    (await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: ns,
      plural: KINDS[kind],
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind,
        metadata: { name },
        ...(spec === undefined ? {} : { spec }),
      },
    })) as Obj;

  const patch = async (kind: Kind, name: string, body: Obj): Promise<Obj> =>
    (await custom.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace: ns, plural: KINDS[kind], name, body },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as Obj;

  /** The apiserver's message for a refused request; fails the test when it is accepted. */
  const refusal = async (request: Promise<unknown>): Promise<string> => {
    const error = await request.then(
      () => undefined,
      (e: unknown) => e,
    );
    const status = apiStatus(error);
    if (!status) throw new Error(`expected a refusal, got ${String(error)}`);
    expect(status.code).toBe(422);
    return status.message ?? '';
  };

  describe('LogtoApiResource', () => {
    it('fills in the defaults: accessTokenTtl 3600, deletionPolicy Delete, managementPolicies [*]', async () => {
      const created = await create(API_RESOURCE_KIND, { indicator: 'https://orders.example.com' });
      expect(created.spec).toEqual({
        indicator: 'https://orders.example.com',
        accessTokenTtl: 3600,
        deletionPolicy: 'Delete',
        managementPolicies: ['*'],
      });
      expect(created.spec.name).toBeUndefined();
    });

    it.each([
      [{}, 'spec.indicator: Required value'],
      [{ indicator: 'orders.example.com' }, 'spec.indicator'],
      [{ indicator: 'https://orders.example.com#v1' }, 'spec.indicator'],
      [{ indicator: 'https://orders example.com' }, 'spec.indicator'],
      [{ indicator: 'https://default.logto.app/api' }, "reserved for Logto's Management API"],
      [{ indicator: 'https://t3nant.logto.app/api' }, "reserved for Logto's Management API"],
      [{ indicator: 'https://a.example.com', name: '  ' }, 'spec.name'],
      [{ indicator: 'https://a.example.com', accessTokenTtl: 0 }, 'spec.accessTokenTtl'],
      [{ indicator: 'https://a.example.com', accessTokenTtl: 2_592_001 }, 'spec.accessTokenTtl'],
      [{ indicator: 'https://a.example.com', scopes: [{ name: 'read orders' }] }, 'spec.scopes[0].name'],
      [
        { indicator: 'https://a.example.com', scopes: [{ name: 'read' }, { name: 'read' }] },
        'Duplicate value',
      ],
      [{ indicator: 'https://a.example.com', deletionPolicy: 'Keep' }, 'spec.deletionPolicy'],
      [{ indicator: 'https://a.example.com', managementPolicies: [] }, 'spec.managementPolicies'],
      [
        { indicator: 'https://a.example.com', managementPolicies: ['*', 'Observe'] },
        'spec.managementPolicies',
      ],
      [{ indicator: 'https://a.example.com', managementPolicies: ['Create'] }, 'spec.managementPolicies[0]'],
    ])('refuses %j', async (spec, expected) => {
      expect(await refusal(create(API_RESOURCE_KIND, spec))).toContain(expected);
    });

    it('accepts urn: and query indicators, scopes with descriptions, Observe', async () => {
      await create(API_RESOURCE_KIND, {
        indicator: 'urn:example:billing?v=2',
        name: 'Billing',
        accessTokenTtl: 2_592_000,
        scopes: [{ name: 'read:invoices', description: 'Read invoices' }, { name: 'pay' }],
        deletionPolicy: 'Orphan',
        managementPolicies: ['Observe'],
      });
    });

    it('keeps the indicator and connectionRef; everything else may change', async () => {
      const name = 'fixed-indicator';
      await create(API_RESOURCE_KIND, { indicator: 'https://fixed.example.com' }, name);
      expect(
        await refusal(patch(API_RESOURCE_KIND, name, { spec: { indicator: 'https://other.example.com' } })),
      ).toContain("indicator cannot be changed: Logto keeps an API resource's indicator");
      expect(
        await refusal(
          patch(API_RESOURCE_KIND, name, {
            spec: { connectionRef: { kind: 'ClusterLogtoConnection', name: 'other' } },
          }),
        ),
      ).toContain('connectionRef cannot be added, changed or removed after creation');
      const changed = await patch(API_RESOURCE_KIND, name, {
        spec: {
          name: 'Renamed',
          accessTokenTtl: 60,
          scopes: [{ name: 'read' }],
          managementPolicies: ['Observe'],
        },
      });
      expect(changed.spec).toMatchObject({ indicator: 'https://fixed.example.com', accessTokenTtl: 60 });
    });
  });

  describe('LogtoRole', () => {
    it('needs no spec: the apiserver fills in {} and its defaults', async () => {
      const created = await create(ROLE_KIND, undefined);
      expect(created.spec).toEqual({ deletionPolicy: 'Delete', managementPolicies: ['*'] });
    });

    it('accepts scopes of resources of this and other namespaces', async () => {
      const created = await create(ROLE_KIND, {
        name: 'orders reader',
        description: 'Reads orders',
        scopes: [
          { apiResourceRef: { name: 'orders' }, scopes: ['read:orders'] },
          { apiResourceRef: { name: 'billing', namespace: 'team-billing' }, scopes: ['read', 'pay'] },
        ],
      });
      expect(created.spec.scopes).toHaveLength(2);
    });

    it.each([
      [{ name: '#internal:admin' }, 'names starting with "#internal:" are reserved'],
      [{ name: 'v2x9k3m7q1w8e5r4t6y0u' }, 'the form of a Logto id'],
      [{ name: '' }, 'spec.name'],
      [{ name: 'x'.repeat(129) }, 'spec.name'],
      [{ description: 'x'.repeat(91) }, 'spec.description'],
      [{ scopes: [{ apiResourceRef: { name: 'orders' }, scopes: [] }] }, 'spec.scopes[0].scopes'],
      [{ scopes: [{ apiResourceRef: { name: 'orders' }, scopes: ['a', 'a'] }] }, 'Duplicate value'],
      [
        { scopes: [{ apiResourceRef: { name: 'Orders' }, scopes: ['read'] }] },
        'spec.scopes[0].apiResourceRef.name',
      ],
      [
        { scopes: [{ apiResourceRef: { name: 'orders', namespace: 'a.b' }, scopes: ['read'] }] },
        'spec.scopes[0].apiResourceRef.namespace',
      ],
      [{ scopes: [{ scopes: ['read'] }] }, 'spec.scopes[0].apiResourceRef: Required value'],
      [{ managementPolicies: ['Observe', 'Observe'] }, 'spec.managementPolicies'],
    ])('refuses %j', async (spec, expected) => {
      expect(await refusal(create(ROLE_KIND, spec))).toContain(expected);
    });

    it('keeps connectionRef as created', async () => {
      const name = 'pinned-role';
      await create(ROLE_KIND, { connectionRef: { kind: 'LogtoConnection', name: 'team' } }, name);
      expect(await refusal(patch(ROLE_KIND, name, { spec: { connectionRef: null } }))).toContain(
        'connectionRef cannot be added, changed or removed after creation',
      );
      await patch(ROLE_KIND, name, { spec: { name: 'renamed', managementPolicies: ['Observe'] } });
    });
  });

  describe('LogtoGrant', () => {
    const to = [
      { kind: 'LogtoRole', name: 'orders-reader' },
      { kind: 'LogtoApiResource', name: 'orders', scopes: ['read:orders'] },
      { kind: 'LogtoApiResource', name: 'billing' },
    ];

    it('accepts namespaces and roles or API resources (with or without scopes)', async () => {
      const created = await create(GRANT_KIND, {
        from: [{ namespace: 'team-a' }, { namespace: 'team-b' }],
        to,
      });
      expect(created.spec.to).toEqual(to);
      expect(created.status).toBeUndefined();
    });

    it.each([
      [{ to }, 'spec.from: Required value'],
      [{ from: [{ namespace: 'team-a' }] }, 'spec.to: Required value'],
      [{ from: [], to }, 'spec.from'],
      [{ from: [{ namespace: 'team-a' }], to: [] }, 'spec.to'],
      [{ from: [{ namespace: '*' }], to }, 'spec.from[0].namespace'],
      [{ from: [{ namespace: 'team-a' }, { namespace: 'team-a' }], to }, 'Duplicate value'],
      [
        { from: [{ namespace: 'team-a' }], to: [{ kind: 'LogtoRole', name: 'r', scopes: ['read'] }] },
        'scopes are only allowed for kind LogtoApiResource',
      ],
      [
        { from: [{ namespace: 'team-a' }], to: [{ kind: 'LogtoApplication', name: 'web' }] },
        'spec.to[0].kind',
      ],
      [
        { from: [{ namespace: 'team-a' }], to: [{ kind: 'LogtoApiResource', name: 'orders', scopes: [] }] },
        'spec.to[0].scopes',
      ],
    ])('refuses %j', async (spec, expected) => {
      expect(await refusal(create(GRANT_KIND, spec))).toContain(expected);
    });
  });

  describe('LogtoApplication.spec.managementPolicies', () => {
    it('defaults to [*]', async () => {
      const created = await create(KIND, { type: 'SPA' });
      expect(created.spec.managementPolicies).toEqual(['*']);
    });

    it('refuses Observe without adoptApplicationId, on create and on update', async () => {
      expect(await refusal(create(KIND, { type: 'Traditional', managementPolicies: ['Observe'] }))).toContain(
        'managementPolicies [Observe] needs spec.adoptApplicationId: the application to observe',
      );
      const name = 'observe-later';
      await create(KIND, { type: 'Traditional' }, name);
      expect(await refusal(patch(KIND, name, { spec: { managementPolicies: ['Observe'] } }))).toContain(
        'needs spec.adoptApplicationId',
      );
    });

    it('accepts Observe of an application to adopt, and switching back to *', async () => {
      const name = 'observed';
      await create(
        KIND,
        { type: 'Traditional', adoptApplicationId: 'abc123', managementPolicies: ['Observe'] },
        name,
      );
      const changed = await patch(KIND, name, { spec: { managementPolicies: ['*'] } });
      expect(changed.spec.managementPolicies).toEqual(['*']);
    });
  });

  describe('connection policy', () => {
    const connection = (policy: Obj) => ({
      endpoint: 'https://logto.example.com',
      credentialsSecretRef: { name: 'credentials' },
      policy,
    });

    it('accepts consent scopes, allowed roles and adoption of roles and API resources', async () => {
      const created = await create(
        CONNECTION_KIND,
        connection({
          roles: { allowed: ['Legacy role'] },
          consentScopes: {
            resources: [
              { indicator: 'https://orders.example.com', scopes: ['read'] },
              { indicator: 'urn:billing' },
            ],
            organizationScopes: ['read:members'],
          },
          adoption: { roleNames: ['legacy-*'], apiResourceIndicators: ['https://legacy.example.com/*'] },
        }),
      );
      expect(created.spec.policy.consentScopes.resources).toHaveLength(2);
    });

    it.each([
      [{ consentScopes: { resources: [{ indicator: 'urn:a' }, { indicator: 'urn:a' }] } }, 'Duplicate value'],
      [{ consentScopes: { resources: [{ indicator: 'urn:a', scopes: [] }] } }, 'scopes'],
      [{ consentScopes: { resources: [{ scopes: ['read'] }] } }, 'indicator: Required value'],
      [{ consentScopes: { organizationScopes: ['a', 'a'] } }, 'Duplicate value'],
      [{ adoption: { roleNames: [''] } }, 'roleNames[0]'],
    ])('refuses %j', async (policy, expected) => {
      expect(await refusal(create(CONNECTION_KIND, connection(policy)))).toContain(expected);
    });
  });
});
