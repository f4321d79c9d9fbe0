/** Every manifest in examples/ is accepted by the apiserver and converges to Ready. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { exampleTenant } from '../support/example-tenant.js';
import type { LogtoEmulator } from '../emulator/index.js';
import { applyYaml } from '../support/kube.js';
import { operatorEnvironment, type TestCluster } from '../support/operator.js';

const examplesDir = path.resolve(import.meta.dirname, '../../examples');
const files = (await readdir(examplesDir)).filter((f) => f.endsWith('.yaml')).sort();

describe('examples/', () => {
  const env = operatorEnvironment('examples', { emulator: exampleTenant() });
  let emulator: LogtoEmulator, cluster: TestCluster, ns: string;
  beforeAll(() => void ({ emulator, cluster, ns } = env));

  it('has one example per application type', async () => {
    const types = new Set<string>();
    for (const file of files) {
      types.add(
        (parse(await readFile(path.join(examplesDir, file), 'utf8')) as { spec: { type: string } }).spec.type,
      );
    }
    expect([...types].sort()).toEqual(['MachineToMachine', 'Native', 'Protected', 'SPA', 'Traditional']);
  });

  it('has one example per capability', async () => {
    const fields = new Set<string>();
    for (const file of files) {
      const manifest = parse(await readFile(path.join(examplesDir, file), 'utf8')) as {
        spec: Record<string, unknown>;
      };
      for (const key of Object.keys(manifest.spec)) fields.add(key);
      for (const key of Object.keys((manifest.spec.secret as object | undefined) ?? {}))
        fields.add(`secret.${key}`);
    }
    const capabilities = [
      'roles',
      'userConsentScopes',
      'userConsentOrganizations',
      'signInExperience',
      'customData',
      'secrets',
      'rotation',
      'protectedAppMetadata',
      'customDomains',
      'accessControl',
      'deletionPolicy',
      'secret.keys',
      'secret.templates',
      'secret.labels',
    ];
    expect(capabilities.filter((capability) => !fields.has(capability))).toEqual([]);
  });

  it.each(files)('%s becomes Ready', async (file) => {
    const manifest = parse(await readFile(path.join(examplesDir, file), 'utf8')) as {
      metadata: { name: string; namespace?: string };
    };
    manifest.metadata.namespace = ns;
    await applyYaml(cluster.kc, [manifest as never]);
    const resource = await cluster.waitReady(ns, manifest.metadata.name);
    expect(emulator.state.applications.get(resource.status!.applicationId!)).toBeDefined();
  });
});
