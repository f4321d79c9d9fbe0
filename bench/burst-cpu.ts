/**
 * `npm run bench:cpu`: what one created LogtoApplication costs in CPU, per process, when many arrive at
 * once. The operator runs as the image runs it (the bundle, `node --enable-source-maps main.js`,
 * built here with scripts/build.ts), against a local control plane and the Logto emulator.
 *
 *   npm run bench:cpu -- --count 1000 --concurrency 16 [--latency 0] [--node-options=...] [--cpu-prof DIR]
 *
 * 1. Apply only: --count LogtoApplications applied to a namespace no operator watches. The CPU the
 *    kube-apiserver and etcd spend on that is the bench's own share (its creates, the watch fan-out).
 * 2. Burst: the operator process started (ready, idle) on another namespace, the same applies; when
 *    every resource was reconciled and is Ready, the CPU each process spent since the first apply.
 *    The apiserver's and etcd's figures are given with the apply-only share taken out.
 *
 * CPU is read from /proc/<pid>/stat (user + system) of each process. Also printed: the Created
 * Events written and the operator's count of dropped Events (logto_operator_events_dropped_total).
 * Figures depend on the machine; docs/performance.md records runs.
 */
import { readdirSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import { buildOperatorBundle } from '../scripts/build.js';
import { startLogtoEmulator } from '../test/emulator/index.js';
import { startControlPlane } from '../test/support/control-plane/harness.js';
import { eventually } from '../test/support/eventually.js';
import { createTestNamespace } from '../test/support/kube.js';
import { buildOperator, type OperatorBuild } from '../test/support/operator-build.js';
import { TestCluster } from '../test/support/operator.js';
import { startBenchOperator } from './operator-process.js';
import { cpuMs } from './proc.js';
import { summarizeProfile } from './profile-summary.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '16' },
    latency: { type: 'string', default: '0' },
    'node-options': { type: 'string', default: '' },
    // A directory for the operator's CPU profile (node --cpu-prof), summarized by origin at the end.
    'cpu-prof': { type: 'string' },
  },
});
const count = Number(values.count);
const concurrency = Number(values.concurrency);
const latencyMs = Number(values.latency);
for (const [name, n] of Object.entries({ count, concurrency, latency: latencyMs }))
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
const repoRoot = path.resolve(import.meta.dirname, '..');

const plane = await startControlPlane({ log: () => {} });
const emulator = await startLogtoEmulator();
emulator.faults.inject({ path: '/api/**', latencyMs });
const cluster = new TestCluster(plane.kubeConfig);
const core = plane.kubeConfig.makeApiClient(CoreV1Api);
const profileDir = values['cpu-prof'] ? path.resolve(values['cpu-prof']) : undefined;
const types = ['Traditional', 'SPA', 'MachineToMachine', 'Native'] as const;
const pids = { apiserver: plane.pids.kubeApiserver, etcd: plane.pids.etcd };

async function applyAll(namespace: string): Promise<void> {
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, (_, j) =>
        cluster.create(namespace, `app-${i + j}`, { type: types[(i + j) % types.length]! }),
      ),
    );
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 3_000));
let build: OperatorBuild | undefined;

/** The bundle with every dependency's mappings, in `dir` (an ES module wherever `dir` is). */
async function buildProfiledBundle(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const entry = await buildOperatorBundle(dir, { fullSourceMap: true });
  await writeFile(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  return entry;
}

try {
  // The bundle as the tests build it; profiled, it stays beside the profile (its source map resolves
  // the profile's frames) and keeps its dependencies' mappings too (the summary names their packages).
  const entry = profileDir ? await buildProfiledBundle(profileDir) : (build = await buildOperator()).entry;

  // 1. Apply only.
  const quiet = await createTestNamespace(plane.kubeConfig, 'apply-only');
  await settle();
  const applyBefore = { apiserver: cpuMs(pids.apiserver), etcd: cpuMs(pids.etcd) };
  await applyAll(quiet);
  await settle();
  const applyOnly = {
    apiserver: cpuMs(pids.apiserver) - applyBefore.apiserver,
    etcd: cpuMs(pids.etcd) - applyBefore.etcd,
  };

  // 2. Burst on a watched namespace.
  const ns = await createTestNamespace(plane.kubeConfig, 'burst');
  const profileFlags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const { child, exited, healthPort, metricsPort, reconciled } = await startBenchOperator({
    args: [...profileFlags, '--enable-source-maps', entry],
    cwd: repoRoot,
    kubeconfigPath: plane.kubeconfigPath,
    logto: emulator,
    settings: {
      ...(values['node-options'] ? { NODE_OPTIONS: values['node-options'] } : {}),
      WATCH_NAMESPACES: ns,
      CONCURRENCY: String(concurrency),
    },
  });
  try {
    await eventually(
      async () => (await fetch(`http://127.0.0.1:${healthPort}/readyz`).catch(() => undefined))?.ok,
      { timeoutMs: 120_000, intervalMs: 100, what: 'operator ready' },
    );
    await settle();
    const before = {
      operator: cpuMs(child.pid!),
      apiserver: cpuMs(pids.apiserver),
      etcd: cpuMs(pids.etcd),
      bench: process.cpuUsage(),
    };
    const started = performance.now();
    await applyAll(ns);
    await eventually(() => reconciled.size === count, {
      timeoutMs: 1_800_000,
      intervalMs: 100,
      what: 'every resource reconciled',
    });
    const convergedMs = performance.now() - started;
    // The Events written after the last pass are part of the cost: give the recorder's queue time
    // to drain (the count below shows whether it did).
    await settle();
    const spent = {
      operator: cpuMs(child.pid!) - before.operator,
      apiserver: cpuMs(pids.apiserver) - before.apiserver,
      etcd: cpuMs(pids.etcd) - before.etcd,
      bench: process.cpuUsage(before.bench),
    };
    const ready = (
      (await cluster.custom.listNamespacedCustomObject({
        group: 'logto.io',
        version: 'v1alpha1',
        namespace: ns,
        plural: 'logtoapplications',
      })) as { items: { status?: { conditions?: { type: string; status: string }[] } }[] }
    ).items.filter((r) =>
      r.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    ).length;
    const created = (
      await core.listNamespacedEvent({ namespace: ns, fieldSelector: 'reason=Created' })
    ).items.reduce((sum, event) => sum + (event.count ?? 1), 0);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const dropped = metrics
      .split('\n')
      .filter((line) => line.startsWith('logto_operator_events_dropped_total'))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);

    const per = (ms: number) => (ms / count).toFixed(2);
    console.log(
      `${count} LogtoApplications at once, concurrency ${concurrency}, ${latencyMs} ms per Logto call`,
    );
    console.log(
      `all reconciled:                         ${(convergedMs / 1000).toFixed(2)} s; ${ready} Ready`,
    );
    console.log('CPU per created application (ms):');
    console.log(`  operator process                      ${per(spent.operator)}`);
    console.log(
      `  kube-apiserver, less the apply alone  ${per(spent.apiserver - applyOnly.apiserver)} ` +
        `(${per(spent.apiserver)} in all, ${per(applyOnly.apiserver)} for the apply alone)`,
    );
    console.log(
      `  etcd, less the apply alone            ${per(spent.etcd - applyOnly.etcd)} ` +
        `(${per(spent.etcd)} in all, ${per(applyOnly.etcd)} for the apply alone)`,
    );
    console.log(
      `  bench process (emulator, applies)     ${per((spent.bench.user + spent.bench.system) / 1000)}`,
    );
    console.log(`Created Events: ${created} of ${count} written, ${dropped} Events dropped`);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  if (profileDir) {
    const newest = readdirSync(profileDir)
      .filter((file) => file.endsWith('.cpuprofile'))
      .map((file) => path.join(profileDir, file))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
    if (newest) {
      const summary = summarizeProfile(newest, entry).filter(([what]) => what !== '(v8) (idle)');
      const busy = summary.reduce((sum, [, ms]) => sum + ms, 0);
      console.log(
        `operator CPU profile (${newest}), whole run: ${(busy / 1000).toFixed(2)} s busy, by origin:`,
      );
      for (const [what, ms] of summary.slice(0, 25))
        console.log(`  ${what.padEnd(40)} ${(ms / 1000).toFixed(2)} s  ${(ms / count).toFixed(2)} ms/app`);
    }
  }
} finally {
  await build?.remove();
  await emulator.close();
  await plane.stop();
}
