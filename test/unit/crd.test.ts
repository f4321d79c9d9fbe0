import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderCrdFiles } from '../../src/crd/render.js';
import { logtoApplicationCrd } from '../../src/crd/manifest.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');

type Node = Record<string, unknown>;
function walk(node: Node, at: string, visit: (node: Node, at: string) => void): void {
  visit(node, at);
  for (const [name, child] of Object.entries((node.properties as Record<string, Node>) ?? {})) {
    walk(child, `${at}.${name}`, visit);
  }
  if (node.items) walk(node.items as Node, `${at}[]`, visit);
}

const schema = () => {
  const versions = (logtoApplicationCrd().spec as { versions: { schema: { openAPIV3Schema: Node } }[] })
    .versions;
  return versions[0]!.schema.openAPIV3Schema;
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

  it('documents every field for kubectl explain', () => {
    const undocumented: string[] = [];
    walk(schema(), '', (node, at) => {
      const isListItem = at.endsWith('[]');
      if (!isListItem && at !== '.metadata' && typeof node.description !== 'string')
        undocumented.push(at || '<root>');
    });
    expect(undocumented).toEqual([]);
  });

  it('is a structural schema: every node has a type, no TypeBox leftovers', () => {
    const problems: string[] = [];
    walk(schema(), '', (node, at) => {
      if (typeof node.type !== 'string') problems.push(`${at}: no type`);
      for (const key of ['anyOf', 'oneOf', 'allOf', 'const', '$id', 'patternProperties']) {
        if (key in node) problems.push(`${at}: ${key}`);
      }
      if (node.properties && node.additionalProperties !== undefined)
        problems.push(`${at}: additionalProperties`);
    });
    expect(problems).toEqual([]);
  });

  it('bounds every list and string that a CEL rule iterates, so the apiserver can estimate its cost', () => {
    const uris = (schema().properties as Record<string, Node>).spec!.properties as Record<string, Node>;
    const redirect = (uris.oidcClientMetadata!.properties as Record<string, Node>).redirectUris!;
    expect(redirect.maxItems).toBeTypeOf('number');
    expect((redirect.items as Node).maxLength).toBeTypeOf('number');
  });
});
