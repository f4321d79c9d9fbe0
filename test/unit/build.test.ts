/**
 * `npm run build` (scripts/build.ts): one bundle whose source map maps the operator's own code, and
 * only that (a map of every dependency cost 69 MB of heap once Node.js parsed it for a stack trace).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode } from '@jridgewell/sourcemap-codec';
import { buildOperatorBundle, ownCodeOnly } from '../../scripts/build.js';

describe('ownCodeOnly', () => {
  it("drops the dependencies' mappings and keeps the operator's, sources and names renumbered", () => {
    const map = {
      version: 3 as const,
      sources: ['../node_modules/dep/index.js', '../src/main.ts', '../src/config.ts'],
      names: ['dependencyName', 'loadConfig'],
      mappings: encode([
        [
          [0, 0, 0, 0, 0],
          [10, 1, 4, 2],
          [20, 2, 7, 0, 1],
        ],
        [[0], [5, 0, 1, 1]],
      ]),
    };
    const own = ownCodeOnly(map);
    expect(own.sources).toEqual(['../src/main.ts', '../src/config.ts']);
    expect(own.names).toEqual(['loadConfig']);
    expect(own.mappings).toBe(
      encode([
        [
          [10, 0, 4, 2],
          [20, 1, 7, 0, 0],
        ],
        [],
      ]),
    );
  });
});

describe('the bundle', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'operator-bundle-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("maps a position in the operator's code back to its source file, and names no dependency", async () => {
    const entry = await buildOperatorBundle(dir);
    const code = await readFile(entry, 'utf8');
    expect(code).toMatch(/\n\/\/# sourceMappingURL=main\.js\.map\n?$/);
    const payload = JSON.parse(await readFile(`${entry}.map`, 'utf8')) as { sources: string[] };
    expect(payload.sources.length).toBeGreaterThan(50);
    expect(payload.sources.filter((source) => !/(^|\/)src\/.+\.ts$/.test(source))).toEqual([]);
    // A string only src/config.ts holds, found in the bundle and mapped back.
    const offset = code.indexOf(' is required`');
    expect(offset).toBeGreaterThan(0);
    const line = code.slice(0, offset).split('\n').length - 1;
    const column = offset - (code.lastIndexOf('\n', offset) + 1);
    const found = new SourceMap(payload as never).findOrigin(line + 1, column + 1);
    expect('fileName' in found && found.fileName).toMatch(/src\/config\.ts$/);
  });
});
