import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderCrdFiles } from '../../src/crd/render.js';
import {
  clusterLogtoConnectionCrd,
  logtoApplicationCrd,
  logtoConnectionCrd,
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
};

describe('crds/', () => {
  it('is current with the TypeBox schemas (run `npm run generate:crds` after changing src/crd)', async () => {
    const rendered = renderCrdFiles();
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
