/**
 * Writes crds/*.yaml from the TypeBox schemas in src/crd. `--check` exits 1 when the files on disk
 * differ from what would be generated (used by the test suite to catch a stale crds/).
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCrdFiles } from '../src/crd/render.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
let stale = 0;
for (const { file, content } of renderCrdFiles()) {
  const target = path.join(repoRoot, 'crds', file);
  if (check) {
    const current = await readFile(target, 'utf8').catch(() => '');
    if (current !== content) {
      console.error(`stale: crds/${file} (run npm run generate:crds)`);
      stale++;
    }
  } else {
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
    console.log(`wrote crds/${file}`);
  }
}
process.exit(stale ? 1 : 0);
