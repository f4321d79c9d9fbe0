// The README documents what the code does: every setting, every npm script it names.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/config.js';
import { OperatorMetrics } from '../../src/runtime/metrics.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
const packageJson = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};

describe('README.md', () => {
  it('documents every setting with its flag and environment variable', () => {
    const missing = Object.values(SETTINGS).filter(
      (s) => !readme.includes(`\`--${s.flag}\``) || !readme.includes(`\`${s.env}\``),
    );
    expect(missing.map((s) => s.flag)).toEqual([]);
  });

  it('documents every metric the operator exports (besides the Node.js defaults)', async () => {
    const metrics = new OperatorMetrics({ defaultMetrics: false });
    const names = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names.length).toBeGreaterThan(10);
    expect(names.filter((name) => !readme.includes(`\`${name}{`) && !readme.includes(`\`${name}\``))).toEqual(
      [],
    );
  });

  it('names only npm scripts that exist', () => {
    const named = [...readme.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!);
    expect(named.filter((script) => !(script in packageJson.scripts))).toEqual([]);
  });

  it('gives the test command that CI runs', async () => {
    const ci = await readFile(path.join(repoRoot, '.ci/run'), 'utf8');
    expect(readme).toMatch(/^npm test\b/m);
    expect(ci).toMatch(/^npm test$/m);
  });
});
