/**
 * `npm run demo`: the operator's main job on a laptop, with nothing but Node.js and Go. Starts a
 * local kube-apiserver + etcd and the Logto emulator, runs the operator, applies examples/, then shows
 * the resources, their conditions and the Secrets (secret values masked).
 *
 *   npm run demo             run, show, tear everything down
 *   npm run demo -- --keep   leave it running (prints KUBECONFIG and the emulator URL) until Ctrl-C
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { createLogger } from '../src/log.js';
import { startOperator } from '../src/operator.js';
import { exampleTenant } from '../test/support/example-tenant.js';
import { startLogtoEmulator } from '../test/emulator/index.js';
import { startControlPlane } from '../test/support/control-plane/harness.js';
import { eventually } from '../test/support/eventually.js';
import { applyYaml } from '../test/support/kube.js';
import { emulatorSecrets, testOperatorConfig, TestCluster } from '../test/support/operator.js';
import { toolPath } from '../test/support/tools.js';

const run = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const keep = process.argv.includes('--keep');
const NAMESPACE = 'demo';

function section(title: string): void {
  console.log(`\n=== ${title}`);
}

async function main(): Promise<void> {
  section('Starting a local control plane (the first run builds kube-apiserver and etcd with Go)');
  const plane = await startControlPlane();
  const emulator = await startLogtoEmulator(exampleTenant());
  console.log(`kube-apiserver: ${plane.server}\nLogto emulator: ${emulator.endpoint}`);

  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn' });
  const operator = await startOperator(
    plane.kubeConfig,
    testOperatorConfig(emulator, { logLevel: 'warn' }),
    logger,
  );
  const stopAll = async () => {
    await operator.stop(5_000);
    await emulator.close();
    await plane.stop();
  };

  try {
    await plane.kubeConfig
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name: NAMESPACE } } });
    section(`Applying examples/ to namespace ${NAMESPACE}`);
    const files = (await readdir(path.join(repoRoot, 'examples'))).filter((f) => f.endsWith('.yaml')).sort();
    const names: string[] = [];
    for (const file of files) {
      const manifest = parse(await readFile(path.join(repoRoot, 'examples', file), 'utf8')) as {
        metadata: { name: string; namespace?: string };
      };
      manifest.metadata.namespace = NAMESPACE;
      await applyYaml(plane.kubeConfig, [manifest as never], 'logto-operator-demo');
      names.push(manifest.metadata.name);
      console.log(`applied ${file}`);
    }

    const cluster = new TestCluster(plane.kubeConfig);
    await Promise.all(names.map((name) => cluster.waitReady(NAMESPACE, name, 'True', undefined, 60_000)));

    const kubectl = await toolPath('kubectl');
    const kubectlOut = async (...args: string[]) =>
      (await run(kubectl, ['--kubeconfig', plane.kubeconfigPath, '-n', NAMESPACE, ...args])).stdout;
    section('kubectl get logtoapplications -o wide');
    console.log(await kubectlOut('get', 'logtoapplications', '-o', 'wide'));

    section('Ready and Synced conditions');
    for (const name of names) {
      const resource = await cluster.get(NAMESPACE, name);
      const condition = (type: string) => resource?.status?.conditions?.find((c) => c.type === type);
      const [ready, synced] = [condition('Ready'), condition('Synced')];
      console.log(
        `${name}: Ready=${ready?.status} (${ready?.reason}) Synced=${synced?.status} ${synced?.message}`,
      );
    }

    section('Secrets (client secrets masked)');
    const knownSecrets = new Set(emulatorSecrets(emulator));
    for (const name of names) {
      const resource = await cluster.get(NAMESPACE, name);
      const secretName = resource?.status?.secretName ?? name;
      const secret = await eventually(() => cluster.secret(NAMESPACE, secretName), {
        what: `Secret ${secretName}`,
      });
      const shown = Object.entries(secret.data ?? {}).map(([key, value]) => {
        const text = Buffer.from(value, 'base64').toString('utf8');
        const secret = /SECRET/i.test(key) || knownSecrets.has(text);
        return `  ${key}=${secret ? `${'*'.repeat(8)} (${text.length} chars)` : text}`;
      });
      console.log(`${secretName}:\n${shown.join('\n')}`);
    }

    section('Applications in Logto (emulator)');
    for (const app of emulator.state.applications.values())
      console.log(`  ${app.id}  ${app.type.padEnd(16)} ${app.name}`);

    if (keep) {
      section('Running; Ctrl-C stops everything');
      console.log(`export KUBECONFIG=${plane.kubeconfigPath}\nLogto emulator: ${emulator.endpoint}`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    }
  } finally {
    await stopAll();
  }
  console.log('\nDemo finished; control plane and emulator stopped.');
}

main().catch((error: unknown) => {
  console.error('demo failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
