/**
 * `npm run demo`: the operator's main job on a laptop, with nothing but Node.js and Go. Starts a
 * local kube-apiserver + etcd and the Logto emulator, runs the operator, applies examples/ (to one
 * namespace) and examples/teams/ (three teams: one owns an API and a role, one is granted the role,
 * one is refused), then shows the resources, their conditions, the Secrets (secret values masked)
 * and what the tenant holds.
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
import { parseAllDocuments } from 'yaml';
import type { ConnectionPolicy } from '../src/crd/logto-connection.js';
import { createLogger } from '../src/log.js';
import { startOperator } from '../src/operator.js';
import { exampleTenant } from '../test/support/example-tenant.js';
import { startLogtoEmulator } from '../test/emulator/index.js';
import { startControlPlane } from '../test/support/control-plane/harness.js';
import { eventually } from '../test/support/eventually.js';
import { applyYaml } from '../test/support/kube.js';
import {
  emulatorSecrets,
  testOperatorConfig,
  TestCluster,
  type TestKind,
  type TestObject,
} from '../test/support/operator.js';
import { toolPath } from '../test/support/tools.js';

const run = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const keep = process.argv.includes('--keep');
const NAMESPACE = 'demo';
/** examples/teams/: the team that no LogtoGrant lets use the role, refused. */
const REFUSED_TEAM = 'marketing';
/**
 * The flag-configured connection's policy, as third-party-consent.yaml says
 * (--allowed-consent-organization-scopes=read:members): its organization scope is made in the Console.
 */
const DEMO_POLICY: ConnectionPolicy = { consentScopes: { organizationScopes: ['read:members'] } };

const KINDS: Record<string, TestKind> = {
  LogtoApplication: { plural: 'logtoapplications', kind: 'LogtoApplication' },
  LogtoRole: { plural: 'logtoroles', kind: 'LogtoRole' },
  LogtoApiResource: { plural: 'logtoapiresources', kind: 'LogtoApiResource' },
};

interface Manifest {
  kind: string;
  metadata: { name: string; namespace: string };
}

interface Reported extends TestObject {
  status?: {
    conditions?: Array<{ type: string; status: string; reason: string; message?: string }>;
  };
}

function section(title: string): void {
  console.log(`\n=== ${title}`);
}

async function manifestsOf(dir: string): Promise<Array<{ file: string; objects: Manifest[] }>> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
  return Promise.all(
    files.map(async (file) => ({
      file,
      objects: parseAllDocuments(await readFile(path.join(dir, file), 'utf8')).map(
        (doc) => doc.toJS() as Manifest,
      ),
    })),
  );
}

async function main(): Promise<void> {
  section('Starting a local control plane (the first run builds kube-apiserver and etcd with Go)');
  const plane = await startControlPlane();
  const emulator = await startLogtoEmulator(exampleTenant());
  console.log(`kube-apiserver: ${plane.server}\nLogto emulator: ${emulator.endpoint}`);

  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn' });
  const operator = await startOperator(
    plane.kubeConfig,
    testOperatorConfig(emulator, { logLevel: 'warn', flagPolicy: DEMO_POLICY }),
    logger,
  );
  const stopAll = async () => {
    await operator.stop(5_000);
    await emulator.close();
    await plane.stop();
  };

  try {
    const core = plane.kubeConfig.makeApiClient(CoreV1Api);
    const apply = async (dir: string, namespace?: string) => {
      const applied: Manifest[] = [];
      for (const { file, objects } of await manifestsOf(dir)) {
        for (const object of objects) if (namespace) object.metadata.namespace = namespace;
        await applyYaml(plane.kubeConfig, objects as never, 'logto-operator-demo');
        applied.push(...objects);
        const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ');
        console.log(`applied ${path.relative(repoRoot, path.join(dir, file))}: ${kinds}`);
      }
      return applied;
    };

    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
    section(`Applying examples/ to namespace ${NAMESPACE}`);
    console.log('(the flag-configured connection lists the organization scope read:members, as');
    console.log(' third-party-consent.yaml asks: --allowed-consent-organization-scopes=read:members)');
    const objects = await apply(path.join(repoRoot, 'examples'), NAMESPACE);

    const teamsDir = path.join(repoRoot, 'examples', 'teams');
    const teams = [
      ...new Set((await manifestsOf(teamsDir)).flatMap((f) => f.objects.map((o) => o.metadata.namespace))),
    ];
    section(`Applying examples/teams/ to namespaces ${teams.join(', ')}`);
    for (const team of teams) await core.createNamespace({ body: { metadata: { name: team } } });
    objects.push(...(await apply(teamsDir)));

    // Everything converges but the team without a grant, which is refused.
    const cluster = new TestCluster(plane.kubeConfig);
    const reported = objects.filter((o) => o.kind in KINDS);
    const refused = (o: Manifest) => o.metadata.namespace === REFUSED_TEAM;
    await Promise.all(
      reported.map(({ kind, metadata: { namespace, name } }) =>
        refused({ kind, metadata: { namespace, name } })
          ? cluster.of<Reported>(KINDS[kind]!).waitReady(namespace, name, 'False', 'PolicyDenied', 60_000)
          : cluster.of<Reported>(KINDS[kind]!).waitReady(namespace, name, 'True', undefined, 60_000),
      ),
    );

    const kubectl = await toolPath('kubectl');
    const kubectlOut = async (...args: string[]) =>
      (await run(kubectl, ['--kubeconfig', plane.kubeconfigPath, ...args])).stdout;
    for (const kinds of ['logtoapiresources,logtoroles,logtogrants', 'logtoapplications']) {
      section(`kubectl get ${kinds} -A -o wide`);
      console.log(await kubectlOut('get', kinds, '-A', '-o', 'wide'));
    }

    section('Ready and Synced conditions');
    for (const { kind, metadata } of reported) {
      const resource = await cluster.of<Reported>(KINDS[kind]!).get(metadata.namespace, metadata.name);
      const condition = (type: string) => resource?.status?.conditions?.find((c) => c.type === type);
      const [ready, synced] = [condition('Ready'), condition('Synced')];
      console.log(
        `${metadata.namespace}/${kind}/${metadata.name}: Ready=${ready?.status} (${ready?.reason}) ` +
          `Synced=${synced?.status} ${synced?.status === 'True' ? '' : `(${synced?.reason}) `}${synced?.message}`,
      );
    }

    section('Secrets (client secrets masked)');
    const knownSecrets = new Set(emulatorSecrets(emulator));
    for (const { metadata } of reported.filter((o) => o.kind === 'LogtoApplication' && !refused(o))) {
      const resource = await cluster.get(metadata.namespace, metadata.name);
      const secretName = resource?.status?.secretName ?? metadata.name;
      const secret = await eventually(() => cluster.secret(metadata.namespace, secretName), {
        what: `Secret ${metadata.namespace}/${secretName}`,
      });
      const shown = Object.entries(secret.data ?? {}).map(([key, value]) => {
        const text = Buffer.from(value, 'base64').toString('utf8');
        const secret = /SECRET/i.test(key) || knownSecrets.has(text);
        return `  ${key}=${secret ? `${'*'.repeat(8)} (${text.length} chars)` : text}`;
      });
      console.log(`${metadata.namespace}/${secretName}:\n${shown.join('\n')}`);
    }

    section('In Logto (emulator); the operator marks what it declares with " [logto-operator:<seal>]"');
    const { state } = emulator;
    const scopeNames = (ids: Iterable<string>) =>
      [...ids].map((id) => state.scopes.get(id)?.name ?? id).join(', ') || '-';
    console.log('API resources:');
    for (const resource of state.resources.values()) {
      const scopes = [...state.scopes.values()].filter((s) => s.resourceId === resource.id).map((s) => s.id);
      console.log(
        `  ${resource.id}  ${resource.indicator}  "${resource.name}"  scopes: ${scopeNames(scopes)}`,
      );
    }
    console.log('Roles:');
    for (const role of state.roles.values())
      console.log(
        `  ${role.id}  ${role.type.padEnd(16)} ${role.name}  "${role.description}"  scopes: ${scopeNames(role.scopeIds)}`,
      );
    console.log('Applications:');
    for (const app of state.applications.values()) {
      const roles = [...app.roleIds].map((id) => state.roles.get(id)?.name ?? id);
      console.log(
        `  ${app.id}  ${app.type.padEnd(16)} ${app.name}${roles.length ? `  roles: ${roles.join(', ')}` : ''}`,
      );
    }

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
