/**
 * Builds the operator once per test run, as the image's build stage does (`tsc -p
 * tsconfig.build.json`), into a directory of its own under the repository's `.tmp/` (so that Node.js
 * finds the repository's node_modules and its `"type": "module"`). Tests start it as
 * `node <dir>/main.js`, the image's entry point, instead of transpiling src/ again in every process.
 * Type errors are `npm run typecheck`'s job; this build only emits (`--noCheck`).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
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
  const tsc = path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
  try {
    await exec(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--noCheck', '--outDir', dir], {
      cwd: REPO_ROOT,
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`building the operator failed:\n${stdout}${stderr}`);
  }
  return { entry: path.join(dir, 'main.js'), remove: () => rm(dir, { recursive: true, force: true }) };
}
