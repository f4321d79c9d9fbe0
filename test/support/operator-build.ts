/**
 * Builds the operator once per test run as the image's build stage does (`npm run build`: one bundled
 * ES module with its source map, see scripts/build.ts), into a directory of its own under the
 * repository's `.tmp/` (where Node.js finds the repository's `"type": "module"`). Tests start it as
 * `node --enable-source-maps <dir>/main.js`, the image's entry point.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { buildOperatorBundle } from '../../scripts/build.js';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

export interface OperatorBuild {
  /** `<dir>/main.js`. */
  entry: string;
  remove(): Promise<void>;
}

export async function buildOperator(): Promise<OperatorBuild> {
  const parent = path.join(REPO_ROOT, '.tmp');
  await mkdir(parent, { recursive: true });
  const dir = await mkdtemp(path.join(parent, 'operator-build-'));
  try {
    const entry = await buildOperatorBundle(dir);
    return { entry, remove: () => rm(dir, { recursive: true, force: true }) };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`building the operator failed: ${(error as Error).message}`);
  }
}
