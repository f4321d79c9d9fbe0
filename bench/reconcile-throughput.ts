/**
 * `npm run bench`: what converging a batch of LogtoApplications costs, against a local control plane
 * and the Logto emulator (every Logto call delayed by --latency, like a remote server). Prints figures,
 * and fails (exit 1) if creating cost more than O(1) per application: one reconcile, one create and
 * no list of applications, and three Kubernetes writes (metadata, Secret, status), an Event and one
 * read each (what test/integration/create-burst.test.ts asserts on a small burst, here at any --count).
 * docs/performance.md records a run and explains the figures.
 *
 *   npm run bench -- --count 1000 --latency 20 --concurrency 4
 *
 * 1. The operator runs in this process (hooks count its Logto calls by operation, its Kubernetes calls
 *    by method and its reconciles): create N resources, wait until all are Ready; then force a sync of
 *    all (a no-op pass) and count again.
 * 2. The operator runs as its own process (as in a pod), started on the N converged resources: time to
 *    ready (/readyz), time until every resource was reconciled once (its log), and its resident memory
 *    once idle. With --baseline-root, the same for another checkout of the operator (e.g. an older
 *    commit, `git archive <commit> | tar -x -C <dir>`; node_modules is linked from here). With --built
 *    the process runs the built `dist/main.js` with source maps (`npm run build` first, in each
 *    checkout), as the image does; otherwise `src/main.ts` through tsx, whose compiler adds to the memory figure.
 *    --node-options is passed to those processes as NODE_OPTIONS (e.g. a heap limit); each
 *    --restart-env NAME=VALUE[,NAME=VALUE] measures one more restart of this checkout with those set.
 */
import { existsSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { FIELD_MANAGER } from '../src/controllers/logto-application/constants.js';
import { readMarker } from '../src/controllers/logto-application/ownership-marker.js';
import { KubernetesListWatch, digestAppliedSecret, stripWriteBookkeeping } from '../src/runtime/index.js';
import {
  GROUP,
  PLURAL,
  TYPES_WITH_SECRETS,
  VERSION,
  type ApplicationType,
  type LogtoApplication,
} from '../src/crd/logto-application.js';
import { createLogger } from '../src/log.js';
import { startOperator } from '../src/operator.js';
import { startLogtoEmulator, type LogtoEmulator } from '../test/emulator/index.js';
import { startBenchOperator } from './operator-process.js';
import { anonymousByMapping, residentMb } from './proc.js';
import { startControlPlane } from '../test/support/control-plane/harness.js';
import { eventually } from '../test/support/eventually.js';
import { createTestNamespace } from '../test/support/kube.js';
import { testOperatorConfig, TestCluster } from '../test/support/operator.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '100' },
    latency: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '4' },
    'page-size': { type: 'string', default: '500' },
    'baseline-root': { type: 'string' },
    built: { type: 'boolean', default: false },
    // e.g. "MALLOC_ARENA_MAX=2,MALLOC_MMAP_THRESHOLD_=131072": one more restart of this checkout with
    // those variables set (NODE_OPTIONS among them replaces --node-options).
    'restart-env': { type: 'string', multiple: true, default: [] },
    // e.g. "--max-old-space-size=128", to tell live heap from garbage not yet collected.
    'node-options': { type: 'string', default: '' },
  },
});
const positive = (name: string, value: string | undefined) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name}: "${value}" is not a non-negative integer`);
  return n;
};
const count = positive('count', values.count);
const latencyMs = positive('latency', values.latency);
const concurrency = positive('concurrency', values.concurrency);
const pageSize = positive('page-size', values['page-size']);
const repoRoot = path.resolve(import.meta.dirname, '..');

const tally = () => new Map<string, number>();
const add = (map: Map<string, number>, key: string, n = 1) => map.set(key, (map.get(key) ?? 0) + n);
const perApp = (n: number) => (n / count).toFixed(2);
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const table = (map: Map<string, number>) =>
  [...map.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, n]) => `    ${key.padEnd(40)} ${perApp(n)}`)
    .join('\n') || '    (none)';

/** Kubernetes writes by the reconciler's method, named after the kind they write. */
const KUBE_WRITES: Record<string, string> = {
  applyMetadata: 'LogtoApplication (finalizer, annotations)',
  removeFinalizer: 'LogtoApplication (finalizer)',
  applyStatus: 'LogtoApplication/status',
  applySecret: 'Secret',
  deleteSecret: 'Secret',
  recordEvent: 'Event',
};

const plane = await startControlPlane({ log: () => {} });
const emulator = await startLogtoEmulator();
emulator.faults.inject({ path: '/api/**', latencyMs });
const ns = await createTestNamespace(plane.kubeConfig, 'bench');
const cluster = new TestCluster(plane.kubeConfig);
const names = Array.from({ length: count }, (_, i) => `app-${i}`);
const types: ApplicationType[] = ['Traditional', 'SPA', 'MachineToMachine', 'Native'];
const typeOf = (i: number) => types[i % types.length]!;

let phase = { logto: tally(), kube: tally(), kubeReads: 0, reconciles: 0 };
/** When the last reconcile finished: all Ready is timed to it, not to the poll that saw it. */
let lastReconcileEnd = 0;
const operator = await startOperator(
  plane.kubeConfig,
  testOperatorConfig(emulator, {
    watchNamespaces: [ns],
    concurrency,
    logLevel: 'warn',
    listPageSize: pageSize,
    // The sweep's paged list of the whole tenant (shortly after start, then every resync period) is
    // not a cost per application; off, the counts below are the reconciles' own.
    sweepPeriodMs: 0,
  }),
  createLogger({ level: 'warn' }),
  {
    onLogtoRequest: (event) => add(phase.logto, event.operation),
    onKubeCall: (method) => {
      const kind = KUBE_WRITES[method];
      if (kind) add(phase.kube, kind);
      else phase.kubeReads++;
    },
    controllerMetrics: {
      reconcileFinished: () => {
        phase.reconciles++;
        lastReconcileEnd = performance.now();
      },
    },
  },
);
const tokenRequests = () => emulator.calls.list({ route: '/oidc/token' }).length;

async function readyCount(): Promise<number> {
  const list = (await cluster.custom.listNamespacedCustomObject({
    group: 'logto.io',
    version: 'v1alpha1',
    namespace: ns,
    plural: 'logtoapplications',
  })) as {
    items: {
      metadata: { generation: number };
      status?: { conditions?: { type: string; status: string; observedGeneration?: number }[] };
    }[];
  };
  return list.items.filter((r) =>
    r.status?.conditions?.some(
      (c) => c.type === 'Ready' && c.status === 'True' && c.observedGeneration === r.metadata.generation,
    ),
  ).length;
}
const idle = () => operator.controller.activeWorkers() === 0 && operator.controller.queue.len() === 0;

async function listResources(): Promise<LogtoApplication[]> {
  const list = (await cluster.custom.listNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: ns,
    plural: PLURAL,
  })) as { items: LogtoApplication[] };
  return list.items;
}

/**
 * What the create phase did beyond one reconcile, one create and three writes per application (the
 * finalizer with create-pending, the Secret, status; the Created Event is written off the pass; the
 * one read is of its Secret, not yet cached), with no list of applications; and whether each
 * application carries the marker of the resource that records it.
 */
function createCostViolations(create: typeof phase, resources: LogtoApplication[]): string[] {
  const violations: string[] = [];
  const expect = (what: string, actual: number | undefined, wanted: number) => {
    if ((actual ?? 0) !== wanted) violations.push(`${what}: ${actual ?? 0}, expected ${wanted}`);
  };
  expect('reconciles', create.reconciles, count);
  expect('create_application calls', create.logto.get('create_application'), count);
  expect('list_applications calls', create.logto.get('list_applications'), 0);
  for (const kind of [
    'LogtoApplication (finalizer, annotations)',
    'Secret',
    'LogtoApplication/status',
    'Event',
  ])
    expect(`${kind} writes`, create.kube.get(kind), count);
  expect('kinds of Kubernetes objects written', create.kube.size, 4);
  expect('uncached Kubernetes reads', create.kubeReads, count);
  const byUid = new Map(resources.map((r) => [r.metadata.uid, r]));
  const marked = [...emulator.state.applications.values()].filter((app) => readMarker(app.customData));
  expect('applications carrying a marker', marked.length, count);
  for (const app of marked) {
    const owner = byUid.get(readMarker(app.customData)!.uid);
    if (owner?.status?.applicationId !== app.id)
      violations.push(`application ${app.id} is not the one its marker's resource records`);
  }
  return violations;
}

/** The operator's own account of its memory (prom-client's default metrics), in MiB. */
async function reportedMemoryMb(metricsPort: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const sample = (name: string) =>
    Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20;
  return {
    'V8 heap used': sample('nodejs_heap_size_used_bytes'),
    'V8 heap total': sample('nodejs_heap_size_total_bytes'),
    'external (buffers)': sample('nodejs_external_memory_bytes'),
  };
}

interface ProcessFigures {
  readyMs: number;
  /** Until every resource was reconciled once; undefined if not all were within the wait. */
  allObservedMs: number | undefined;
  observed: number;
  resident: { rss: number; anon: number; file: number };
  /** Anonymous resident memory by kind of mapping (bench/proc.ts). */
  anonymous: Record<string, number>;
  reported: Record<string, number>;
}

/** Starts `root`'s operator as a process on the converged namespace and measures it. */
async function measureProcess(
  root: string,
  logto: LogtoEmulator,
  extraEnv: Record<string, string> = {},
): Promise<ProcessFigures> {
  const entry = values.built
    ? ['--enable-source-maps', path.join(root, 'dist/main.js')]
    : ['--import', 'tsx', path.join(root, 'src/main.ts')];
  if (!existsSync(entry.at(-1)!))
    throw new Error(`${entry.at(-1)} is missing (--built: npm run build first)`);
  let allObservedMs: number | undefined;
  const started = performance.now();
  const {
    child,
    exited,
    healthPort,
    metricsPort,
    reconciled: observed,
  } = await startBenchOperator({
    args: entry,
    cwd: root,
    kubeconfigPath: plane.kubeconfigPath,
    logto,
    settings: {
      ...(values['node-options'] ? { NODE_OPTIONS: values['node-options'] } : {}),
      ...extraEnv,
      WATCH_NAMESPACES: ns,
      CONCURRENCY: String(concurrency),
      LIST_PAGE_SIZE: String(pageSize),
    },
    onReconciled: (_, seen) => {
      if (seen.size === count && allObservedMs === undefined) allObservedMs = performance.now() - started;
    },
  });
  try {
    await eventually(
      async () => (await fetch(`http://127.0.0.1:${healthPort}/readyz`).catch(() => undefined))?.ok,
      { timeoutMs: 300_000, intervalMs: 50, what: 'operator process ready' },
    );
    const readyMs = performance.now() - started;
    // Every resource once, or (a version that does not see them all) no new one for 10 s.
    let last = { size: -1, at: performance.now() };
    await eventually(
      () => {
        if (observed.size !== last.size) last = { size: observed.size, at: performance.now() };
        return observed.size === count || performance.now() - last.at > 10_000;
      },
      { timeoutMs: 900_000, intervalMs: 200, what: 'every resource reconciled' },
    );
    // Idle: let the last writes and garbage settle, then sample.
    await new Promise((resolve) => setTimeout(resolve, 30_000));
    return {
      readyMs,
      allObservedMs,
      observed: observed.size,
      resident: residentMb(child.pid!),
      anonymous: anonymousByMapping(child.pid!),
      reported: await reportedMemoryMb(metricsPort),
    };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/** JSON bytes of the objects as listed, and as the operator's caches keep them. */
async function cachePayload<T extends KubernetesObject>(
  resource: { group: string; version: string; plural: string },
  transform: (obj: T) => T,
): Promise<{ objects: number; listedMb: number; cachedMb: number }> {
  const { items } = await new KubernetesListWatch<T>(plane.kubeConfig, { resource, namespace: ns }).list();
  const mb = (objects: unknown[]) => Buffer.byteLength(JSON.stringify(objects)) / 2 ** 20;
  return { objects: items.length, listedMb: mb(items), cachedMb: mb(items.map(transform)) };
}

function printProcess(label: string, figures: ProcessFigures) {
  console.log(`${label}`);
  console.log(`  start → ready (caches synced):       ${seconds(figures.readyMs)}`);
  console.log(
    `  start → all observed (reconciled):   ${
      figures.allObservedMs === undefined
        ? `never: ${figures.observed} of ${count} reconciled`
        : seconds(figures.allObservedMs)
    }`,
  );
  const { rss, anon, file } = figures.resident;
  console.log(
    `  RSS idle with ${count} resources cached: ${rss.toFixed(0)} MiB ` +
      `(anonymous ${anon.toFixed(0)}, file-backed ${file.toFixed(0)})`,
  );
  console.log(
    `    anonymous, by mapping:             ${Object.entries(figures.anonymous)
      .map(([what, mb]) => `${what} ${mb.toFixed(0)}`)
      .join(', ')}`,
  );
  console.log(
    `    of which, as the process reports:  ${Object.entries(figures.reported)
      .map(([what, mb]) => `${what} ${mb.toFixed(0)}`)
      .join(', ')}`,
  );
}

try {
  // 1. Create → all Ready.
  const tokensBefore = tokenRequests();
  const started = performance.now();
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      names.slice(i, i + 50).map((name, j) => cluster.create(ns, name, { type: typeOf(i + j) })),
    );
  }
  // Waits on the operator's own counts (a list of N objects each second would load the apiserver
  // the bench measures), then checks once that every resource is Ready.
  await eventually(() => phase.reconciles >= count && idle(), {
    timeoutMs: 3_600_000,
    intervalMs: 250,
    what: 'a reconcile of each resource',
  });
  await eventually(async () => (await readyCount()) === count, {
    timeoutMs: 600_000,
    intervalMs: 5_000,
    what: 'all Ready',
  });
  await eventually(idle, { timeoutMs: 60_000, what: 'an idle controller' });
  const convergeMs = lastReconcileEnd - started;
  const create = phase;
  const createTokens = tokenRequests() - tokensBefore;
  // k: a create needs at least the create call, plus one secrets read for types with secrets.
  const minimalCalls = names.reduce((sum, _, i) => sum + (TYPES_WITH_SECRETS.includes(typeOf(i)) ? 2 : 1), 0);
  const boundMs = (minimalCalls * latencyMs) / concurrency;

  const violations = createCostViolations(create, await listResources());

  // 2. No-op resync of all: every key queued at once, as the resync period does (no annotation change,
  //    which would ask for a check against Logto itself).
  phase = { logto: tally(), kube: tally(), kubeReads: 0, reconciles: 0 };
  const resyncStarted = performance.now();
  for (const name of names) operator.controller.enqueue({ namespace: ns, name });
  await eventually(() => phase.reconciles >= count && idle(), {
    timeoutMs: 3_600_000,
    intervalMs: 250,
    what: 'resync of all',
  });
  const resyncMs = performance.now() - resyncStarted;
  const resync = phase;
  await operator.stop(5_000);

  const sum = (map: Map<string, number>) => [...map.values()].reduce((a, b) => a + b, 0);
  console.log(
    `LogtoApplications: ${count} (types cycling ${types.join(', ')}), concurrency ${concurrency}, ` +
      `${latencyMs} ms per Logto call, list page size ${pageSize}`,
  );
  console.log(`create → all Ready:                    ${seconds(convergeMs)}`);
  console.log(
    `  bound N·k·L/C:                       ${seconds(boundMs)} (k = ${(minimalCalls / count).toFixed(2)} on average)`,
  );
  console.log(
    `  ratio bound/time:                    ${(boundMs / convergeMs).toFixed(2)} (1 would be the bound itself)`,
  );
  console.log(`  reconciles per app:                  ${perApp(create.reconciles)}`);
  console.log(`  Logto calls per app:                 ${perApp(sum(create.logto))}, by operation:`);
  console.log(table(create.logto));
  console.log(`  token requests:                      ${createTokens}`);
  console.log(`  Kubernetes writes per app:           ${perApp(sum(create.kube))}, by kind:`);
  console.log(table(create.kube));
  console.log(`  uncached Kubernetes reads per app:   ${perApp(create.kubeReads)}`);
  console.log(`no-op resync of all:                   ${seconds(resyncMs)}`);
  console.log(`  reconciles per app:                  ${perApp(resync.reconciles)}`);
  console.log(`  Logto reads per app:                 ${perApp(sum(resync.logto))}, by operation:`);
  console.log(table(resync.logto));
  console.log(`  Kubernetes writes per app:           ${perApp(sum(resync.kube))}`);
  console.log(table(resync.kube));
  console.log(`  uncached Kubernetes reads per app:   ${perApp(resync.kubeReads)}`);

  for (const [what, payload] of [
    [
      'LogtoApplications',
      await cachePayload({ group: GROUP, version: VERSION, plural: PLURAL }, stripWriteBookkeeping),
    ],
    [
      'Secrets',
      await cachePayload<V1Secret>(
        { group: '', version: 'v1', plural: 'secrets' },
        digestAppliedSecret(FIELD_MANAGER),
      ),
    ],
  ] as const) {
    console.log(
      `cache payload, ${payload.objects} ${what}:`.padEnd(39) +
        `${payload.listedMb.toFixed(2)} MB of JSON as listed, ${payload.cachedMb.toFixed(2)} MB as cached`,
    );
  }

  if (violations.length > 0) {
    console.error(`creating cost more than O(1) per application:\n  ${violations.join('\n  ')}`);
    process.exitCode = 1;
  } else {
    console.log('create path: one reconcile, one create, no list, 3 writes + 1 Event + 1 read per app');
  }

  // 3. Restart: the operator as a process on the converged resources (the baseline first, so that
  //    this checkout is not the one measured on a cold machine).
  const baseline = values['baseline-root'];
  if (baseline) {
    const root = path.resolve(baseline);
    if (!existsSync(path.join(root, 'node_modules')))
      symlinkSync(path.join(repoRoot, 'node_modules'), path.join(root, 'node_modules'));
    printProcess(`restart (operator process, ${root}):`, await measureProcess(root, emulator));
  }
  printProcess('restart (operator process, this checkout):', await measureProcess(repoRoot, emulator));
  for (const setting of values['restart-env']) {
    const env: Record<string, string> = {};
    for (const pair of setting.split(',')) {
      const [name, ...value] = pair.split('=');
      if (!name || value.length === 0) throw new Error(`--restart-env: "${pair}" is not NAME=VALUE`);
      env[name] = value.join('=');
    }
    printProcess(
      `restart (operator process, this checkout, ${setting}):`,
      await measureProcess(repoRoot, emulator, env),
    );
  }
} finally {
  await operator.stop(5_000);
  await emulator.close();
  await plane.stop();
}
