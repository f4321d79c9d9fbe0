// docs/coverage.md against the Applications API: every operation is either used by the operator
// (through a client method the controllers call) or listed as deliberately unused, with a reason.
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { LogtoClient } from '../../src/api/client.js';
import { operationNames } from '../../src/api/operations.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const seedDocument = path.resolve(repoRoot, '../shared/seed/ApplicationsApi.md');

interface Row {
  operation: string;
  method: string | undefined;
  usage: string;
}

async function coverageRows(): Promise<Row[]> {
  const text = await readFile(path.join(repoRoot, 'docs/coverage.md'), 'utf8');
  return [...text.matchAll(/^\|\s*`([a-z_]+)`\s*\|\s*(?:`(\w+)`|—)\s*\|\s*(.+?)\s*\|$/gm)].map((m) => ({
    operation: m[1]!,
    method: m[2],
    usage: m[3]!,
  }));
}

async function controllerSources(): Promise<string> {
  const dir = path.join(repoRoot, 'src/controllers');
  const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.ts'));
  return (await Promise.all(files.map((f) => readFile(path.join(dir, f), 'utf8')))).join('\n');
}

describe('docs/coverage.md', () => {
  it('lists every operation of our operations table once', async () => {
    const rows = await coverageRows();
    expect(rows.map((r) => r.operation).sort()).toEqual([...operationNames].sort());
  });

  it('names, for each used operation, a client method that the controllers call', async () => {
    const sources = await controllerSources();
    const problems: string[] = [];
    for (const row of await coverageRows()) {
      if (!row.method) continue;
      if (typeof (LogtoClient.prototype as unknown as Record<string, unknown>)[row.method] !== 'function') {
        problems.push(`${row.operation}: LogtoClient has no method ${row.method}`);
      } else if (!new RegExp(`\\.${row.method}\\(`).test(sources)) {
        problems.push(`${row.operation}: src/controllers never calls ${row.method}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('gives a reason for every unused operation', async () => {
    const unexplained = (await coverageRows()).filter((r) => !r.method && !/^unused: .{10,}/.test(r.usage));
    expect(unexplained).toEqual([]);
  });

  describe.skipIf(!existsSync(seedDocument))(
    existsSync(seedDocument)
      ? 'against the seed document'
      : `against the seed document: SKIPPED, ${seedDocument} is absent on this machine`,
    () => {
      it('covers every operation the seed document lists', async () => {
        const seed = await readFile(seedDocument, 'utf8');
        const seedOperations = [...seed.matchAll(/^\[\*\*(\w+)\*\*\]\(ApplicationsApi\.md#\w+\)/gm)].map(
          (m) => m[1]!,
        );
        expect(seedOperations).toHaveLength(28);
        const covered = new Set((await coverageRows()).map((r) => r.operation));
        expect(seedOperations.filter((op) => !covered.has(op))).toEqual([]);
      });
    },
  );
});
