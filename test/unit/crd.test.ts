import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderCrdFiles } from '../../src/crd/render.js';
import { Ajv } from 'ajv';
import {
  API_RESOURCE_KIND,
  API_RESOURCE_PLURAL,
  INDICATOR_PATTERN,
} from '../../src/crd/logto-api-resource.js';
import { MANAGEMENT_POLICIES } from '../../src/crd/logto-application.js';
import { GRANT_KIND, GRANT_PLURAL } from '../../src/crd/logto-grant.js';
import { ROLE_KIND, ROLE_PLURAL } from '../../src/crd/logto-role.js';
import {
  clusterLogtoConnectionCrd,
  logtoApiResourceCrd,
  logtoApplicationCrd,
  logtoConnectionCrd,
  logtoGrantCrd,
  logtoRoleCrd,
} from '../../src/crd/manifest.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');

type Node = Record<string, unknown>;
function walk(node: Node, at: string, visit: (node: Node, at: string) => void): void {
  visit(node, at);
  for (const [name, child] of Object.entries((node.properties as Record<string, Node>) ?? {})) {
    walk(child, `${at}.${name}`, visit);
  }
  if (node.items) walk(node.items as Node, `${at}[]`, visit);
}

const schemaOf = (crd: Record<string, unknown>) => {
  const versions = (crd.spec as { versions: { schema: { openAPIV3Schema: Node } }[] }).versions;
  return versions[0]!.schema.openAPIV3Schema;
};
const schema = () => schemaOf(logtoApplicationCrd());
const CRDS = {
  LogtoApplication: logtoApplicationCrd,
  ClusterLogtoConnection: clusterLogtoConnectionCrd,
  LogtoConnection: logtoConnectionCrd,
  LogtoApiResource: logtoApiResourceCrd,
  LogtoRole: logtoRoleCrd,
  LogtoGrant: logtoGrantCrd,
};

describe('crds/', () => {
  it('is current with the TypeBox schemas (run `npm run generate:crds` after changing src/crd)', async () => {
    const rendered = renderCrdFiles();
    expect(rendered.map((f) => f.file)).toEqual(
      expect.arrayContaining([
        `${API_RESOURCE_PLURAL}.logto.io.yaml`,
        `${ROLE_PLURAL}.logto.io.yaml`,
        `${GRANT_PLURAL}.logto.io.yaml`,
      ]),
    );
    const onDisk = (await readdir(path.join(repoRoot, 'crds'))).filter((f) => f.endsWith('.yaml')).sort();
    expect(onDisk).toEqual(rendered.map((f) => f.file).sort());
    for (const { file, content } of rendered) {
      expect(await readFile(path.join(repoRoot, 'crds', file), 'utf8'), `crds/${file} is stale`).toBe(
        content,
      );
    }
  });

  it.each(Object.entries(CRDS))('%s documents every field for kubectl explain', (_, crd) => {
    const undocumented: string[] = [];
    walk(schemaOf(crd()), '', (node, at) => {
      const isListItem = at.endsWith('[]');
      if (!isListItem && at !== '.metadata' && typeof node.description !== 'string')
        undocumented.push(at || '<root>');
    });
    expect(undocumented).toEqual([]);
  });

  it.each(Object.entries(CRDS))(
    '%s is a structural schema: every node has a type, no TypeBox leftovers',
    (_, crd) => {
      const problems: string[] = [];
      walk(schemaOf(crd()), '', (node, at) => {
        if (typeof node.type !== 'string') problems.push(`${at}: no type`);
        for (const key of ['anyOf', 'oneOf', 'allOf', 'const', '$id', 'patternProperties']) {
          if (key in node) problems.push(`${at}: ${key}`);
        }
        if (node.properties && node.additionalProperties !== undefined)
          problems.push(`${at}: additionalProperties`);
      });
      expect(problems).toEqual([]);
    },
  );

  it('bounds every list and string that a CEL rule iterates, so the apiserver can estimate its cost', () => {
    const uris = (schema().properties as Record<string, Node>).spec!.properties as Record<string, Node>;
    const redirect = (uris.oidcClientMetadata!.properties as Record<string, Node>).redirectUris!;
    expect(redirect.maxItems).toBeTypeOf('number');
    expect((redirect.items as Node).maxLength).toBeTypeOf('number');
  });
});

describe('connections', () => {
  it('a requestTimeout is at most a minute, in any unit', () => {
    for (const crd of [clusterLogtoConnectionCrd(), logtoConnectionCrd()]) {
      const spec = (schemaOf(crd).properties as Record<string, Node>).spec!.properties as Record<
        string,
        Node
      >;
      const pattern = new RegExp(spec.requestTimeout!.pattern as string);
      for (const ok of ['1ms', '500ms', '9999ms', '59999ms', '60000ms', '1s', '15s', '60s', '1m']) {
        expect(pattern.test(ok), ok).toBe(true);
      }
      for (const refused of ['0ms', '60001ms', '99999ms', '61s', '2m', '0s', '15']) {
        expect(pattern.test(refused), refused).toBe(false);
      }
    }
  });

  it('the cluster kind is cluster-scoped and names the namespaces of its Secrets; the namespaced kind does not', () => {
    const cluster = clusterLogtoConnectionCrd().spec as { scope: string };
    const namespaced = logtoConnectionCrd().spec as { scope: string };
    expect(cluster.scope).toBe('Cluster');
    expect(namespaced.scope).toBe('Namespaced');
    const ref = (crd: Record<string, unknown>) =>
      ((schemaOf(crd).properties as Record<string, Node>).spec!.properties as Record<string, Node>)
        .credentialsSecretRef!.properties as Record<string, Node>;
    expect(Object.keys(ref(clusterLogtoConnectionCrd()))).toContain('namespace');
    expect(Object.keys(ref(logtoConnectionCrd()))).not.toContain('namespace');
    const policy = (crd: Record<string, unknown>) =>
      ((schemaOf(crd).properties as Record<string, Node>).spec!.properties as Record<string, Node>).policy!
        .properties as Record<string, Node>;
    expect(Object.keys(policy(clusterLogtoConnectionCrd()))).toContain('namespaceSelector');
    expect(Object.keys(policy(logtoConnectionCrd()))).not.toContain('namespaceSelector');
  });

  it("LogtoApplication's connectionRef is fixed once the resource exists (a transition rule)", () => {
    const spec = (schema().properties as Record<string, Node>).spec!;
    const rules = spec['x-kubernetes-validations'] as { rule: string; fieldPath?: string }[];
    const rule = rules.find((r) => r.fieldPath === '.connectionRef');
    expect(rule?.rule).toContain('oldSelf.connectionRef');
  });
});

type Crd = Record<string, unknown>;
const specOf = (crd: Crd) => (schemaOf(crd).properties as Record<string, Node>).spec!;
const specFields = (crd: Crd) => specOf(crd).properties as Record<string, Node>;
const versionOf = (crd: Crd) =>
  (crd.spec as { versions: Record<string, unknown>[] }).versions[0] as {
    subresources?: unknown;
    additionalPrinterColumns: { name: string; jsonPath: string; priority?: number }[];
  };
/** A validator of the CRD's spec schema (what the apiserver checks besides CEL and list types). */
const specValidator = (crd: Crd) => {
  const validate = new Ajv({ strict: false, validateFormats: false }).compile(specOf(crd));
  return (spec: unknown) => validate(spec);
};
const apiResourceSpec = specValidator(logtoApiResourceCrd());
const roleSpec = specValidator(logtoRoleCrd());
const grantSpec = specValidator(logtoGrantCrd());
const applicationSpec = specValidator(logtoApplicationCrd());
const rulesOf = (node: Node) =>
  (node['x-kubernetes-validations'] ?? []) as { rule: string; message: string }[];

describe('LogtoApiResource, LogtoRole and LogtoGrant', () => {
  it.each([
    [logtoApiResourceCrd, API_RESOURCE_KIND, API_RESOURCE_PLURAL, 'logtoapi', true],
    [logtoRoleCrd, ROLE_KIND, ROLE_PLURAL, 'logtorole', true],
    [logtoGrantCrd, GRANT_KIND, GRANT_PLURAL, 'logtogrant', false],
  ] as const)(
    '%o: namespaced, in the logto category, status subresource only with a status',
    (crd, kind, plural, short, hasStatus) => {
      const spec = crd().spec as { scope: string; names: Record<string, unknown> };
      expect(spec.scope).toBe('Namespaced');
      expect(spec.names).toEqual({
        kind,
        listKind: `${kind}List`,
        plural,
        singular: kind.toLowerCase(),
        shortNames: [short],
        categories: ['logto'],
      });
      expect(versionOf(crd()).subresources !== undefined).toBe(hasStatus);
      expect('status' in (schemaOf(crd()).properties as object)).toBe(hasStatus);
    },
  );

  it('prints Ready, Synced, the indicator / the Logto role name, and the ids with -o wide', () => {
    const columns = (crd: Crd) =>
      versionOf(crd).additionalPrinterColumns.map(
        (c) => `${c.name}${c.priority ? ' (wide)' : ''}=${c.jsonPath}`,
      );
    expect(columns(logtoApiResourceCrd())).toEqual([
      'Ready=.status.conditions[?(@.type=="Ready")].status',
      'Synced=.status.conditions[?(@.type=="Synced")].status',
      'Reason (wide)=.status.conditions[?(@.type=="Synced")].reason',
      'Indicator=.spec.indicator',
      'Resource ID (wide)=.status.resourceId',
      'Age=.metadata.creationTimestamp',
    ]);
    expect(columns(logtoRoleCrd()).slice(3)).toEqual([
      'Role=.status.name',
      'Role ID (wide)=.status.roleId',
      'Age=.metadata.creationTimestamp',
    ]);
    expect(columns(logtoGrantCrd())).toEqual(['Age=.metadata.creationTimestamp']);
  });

  it('shares one managementPolicies schema across the four kinds: [*] by default, one item, * or Observe', () => {
    const crds = [logtoApplicationCrd(), logtoApiResourceCrd(), logtoRoleCrd()];
    const shapes = crds.map((crd) => {
      const { description, ...rest } = specFields(crd).managementPolicies!;
      expect(description).toMatch(/\["Observe"\]: /);
      return rest;
    });
    expect(shapes[0]).toMatchObject({
      type: 'array',
      default: ['*'],
      minItems: 1,
      maxItems: 1,
      'x-kubernetes-list-type': 'atomic',
      items: { type: 'string', enum: [...MANAGEMENT_POLICIES] },
    });
    expect(shapes[1]).toEqual(shapes[0]);
    expect(shapes[2]).toEqual(shapes[0]);
  });

  it('defaults: deletionPolicy Delete, accessTokenTtl 3600; names and descriptions are left to the operator', () => {
    for (const crd of [logtoApplicationCrd(), logtoApiResourceCrd(), logtoRoleCrd()]) {
      expect(specFields(crd).deletionPolicy).toMatchObject({ default: 'Delete', enum: ['Delete', 'Orphan'] });
    }
    const resource = specFields(logtoApiResourceCrd());
    expect(resource.accessTokenTtl).toMatchObject({ default: 3600, minimum: 1, maximum: 2_592_000 });
    expect(resource.name!.default).toBeUndefined();
    expect(resource.name!.description).toContain('applied by the operator');
    const role = specFields(logtoRoleCrd());
    expect(role.name!.default).toBeUndefined();
    expect(role.description!.default).toBeUndefined();
    // A LogtoRole needs no spec at all: the apiserver fills in {} and the defaults below it.
    expect(specOf(logtoRoleCrd()).default).toEqual({});
    expect((schemaOf(logtoRoleCrd()).required as string[] | undefined) ?? []).not.toContain('spec');
    expect(schemaOf(logtoApiResourceCrd()).required).toContain('spec');
    expect(schemaOf(logtoGrantCrd()).required).toContain('spec');
  });

  it('keeps connectionRef fixed on both kinds living in a tenant, and the indicator fixed (transition rules)', () => {
    const { description: _, ...applicationRef } = specFields(logtoApplicationCrd()).connectionRef!;
    const immutable = rulesOf(specOf(logtoApplicationCrd())).find((r) =>
      r.rule.includes('oldSelf.connectionRef'),
    );
    for (const crd of [logtoApiResourceCrd(), logtoRoleCrd()]) {
      const { description, ...ref } = specFields(crd).connectionRef!;
      expect(ref).toEqual(applicationRef);
      expect(description).toContain('Fixed once the resource exists');
      expect(rulesOf(specOf(crd))).toContainEqual(immutable);
    }
    expect(rulesOf(specOf(logtoApiResourceCrd()))).toContainEqual(
      expect.objectContaining({
        rule: 'self.indicator == oldSelf.indicator',
        message: expect.stringContaining('indicator cannot be changed'),
      }),
    );
  });

  it('accepts absolute indicators only: no relative URI, no fragment, no whitespace', () => {
    const pattern = new RegExp(INDICATOR_PATTERN);
    for (const ok of [
      'https://api.example.com',
      'https://api.example.com/v1?x=1',
      'urn:example:orders',
      'http://a',
    ])
      expect(pattern.test(ok), ok).toBe(true);
    for (const refused of [
      'api.example.com',
      '/orders',
      'https://api.example.com#x',
      'https://a b',
      '1http://a',
      'https:',
    ])
      expect(pattern.test(refused), refused).toBe(false);
    const reserved = specFields(logtoApiResourceCrd()).indicator!;
    const rule = rulesOf(reserved)[0]!.rule;
    const regex = new RegExp(/matches\('(.*)'\)/.exec(rule)![1]!);
    for (const management of ['https://default.logto.app/api', 'https://abc123.logto.app/api'])
      expect(regex.test(management), management).toBe(true);
    for (const other of [
      'https://api.logto.app.example.com/api',
      'https://default.logto.app/api/v2',
      'https://a.b.logto.app/api',
    ])
      expect(regex.test(other), other).toBe(false);
  });

  it('validates specs with the patterns and bounds of the schemas', () => {
    expect(apiResourceSpec({ indicator: 'https://api.example.com' })).toBe(true);
    expect(
      apiResourceSpec({
        indicator: 'https://api.example.com',
        scopes: [{ name: 'read:orders', description: 'Read orders' }],
        accessTokenTtl: 60,
      }),
    ).toBe(true);
    for (const bad of [
      { indicator: 'https://api.example.com', scopes: [{ name: 'read orders' }] },
      { indicator: 'https://api.example.com', accessTokenTtl: 0 },
      { indicator: 'https://api.example.com', accessTokenTtl: 2_592_001 },
      { indicator: 'https://api.example.com', name: '   ' },
      { indicator: 'https://api.example.com', managementPolicies: ['*', 'Observe'] },
      { indicator: 'https://api.example.com', managementPolicies: [] },
      { indicator: 'https://api.example.com', deletionPolicy: 'Keep' },
    ])
      expect(apiResourceSpec(bad), JSON.stringify(bad)).toBe(false);

    expect(roleSpec({})).toBe(true);
    expect(
      roleSpec({
        name: 'orders reader',
        description: 'Reads orders',
        scopes: [{ apiResourceRef: { name: 'orders', namespace: 'shop' }, scopes: ['read:orders'] }],
        managementPolicies: ['Observe'],
      }),
    ).toBe(true);
    for (const bad of [
      { description: 'x'.repeat(91) },
      { name: 'x'.repeat(129) },
      { scopes: [{ apiResourceRef: { name: 'Orders' }, scopes: ['read'] }] },
      { scopes: [{ apiResourceRef: { name: 'orders' }, scopes: [] }] },
      { scopes: [{ apiResourceRef: { name: 'orders', namespace: 'a.b' }, scopes: ['read'] }] },
    ])
      expect(roleSpec(bad), JSON.stringify(bad)).toBe(false);

    const to = [{ kind: 'LogtoApiResource', name: 'orders', scopes: ['read:orders'] }];
    expect(grantSpec({ from: [{ namespace: 'team-a' }], to })).toBe(true);
    for (const bad of [
      { from: [], to },
      { from: [{ namespace: '*' }], to },
      { from: [{ namespace: 'team-a' }], to: [] },
      { from: [{ namespace: 'team-a' }], to: [{ kind: 'LogtoApplication', name: 'web' }] },
    ])
      expect(grantSpec(bad), JSON.stringify(bad)).toBe(false);
  });

  it("refuses internal role names, a grant's scopes on a LogtoRole, and Observe without adoptApplicationId (CEL)", () => {
    expect(rulesOf(specFields(logtoRoleCrd()).name!)[0]!.rule).toBe("!self.startsWith('#internal:')");
    const to = specFields(logtoGrantCrd()).to!.items as Node;
    expect(rulesOf(to)).toEqual([
      expect.objectContaining({ rule: "!has(self.scopes) || self.kind == 'LogtoApiResource'" }),
    ]);
    expect(specFields(logtoGrantCrd()).from).toMatchObject({
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['namespace'],
    });
    expect(rulesOf(specOf(logtoApplicationCrd()))).toContainEqual({
      rule: "!has(self.managementPolicies) || !('Observe' in self.managementPolicies) || has(self.adoptApplicationId)",
      message: 'managementPolicies [Observe] needs spec.adoptApplicationId: the application to observe',
      fieldPath: '.managementPolicies',
    });
    expect(applicationSpec({ type: 'SPA', managementPolicies: ['Observe'] })).toBe(true);
  });
});

describe('connection policy additions', () => {
  it.each([
    ['ClusterLogtoConnection', clusterLogtoConnectionCrd],
    ['LogtoConnection', logtoConnectionCrd],
  ] as const)(
    '%s: consentScopes, adoption of roles and API resources, and roles.allowed meaning none by default',
    (_, crd) => {
      const policy = specFields(crd()).policy!.properties as Record<string, Node>;
      const consent = policy.consentScopes!.properties as Record<string, Node>;
      expect(Object.keys(consent)).toEqual(['resources', 'organizationScopes']);
      expect(consent.resources).toMatchObject({
        maxItems: 100,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['indicator'],
      });
      expect(Object.keys((consent.resources!.items as Node).properties as object)).toEqual([
        'indicator',
        'scopes',
      ]);
      expect(consent.organizationScopes).toMatchObject({ maxItems: 100, 'x-kubernetes-list-type': 'set' });
      const adoption = policy.adoption!.properties as Record<string, Node>;
      expect(adoption.roleNames).toMatchObject({ 'x-kubernetes-list-type': 'set' });
      expect(adoption.apiResourceIndicators).toMatchObject({ 'x-kubernetes-list-type': 'set' });
      const allowed = (policy.roles!.properties as Record<string, Node>).allowed!;
      expect(allowed.description).toContain('Omitted or empty: none');
      expect(allowed.description).toContain('list them here');
    },
  );
});
