/**
 * `npm run bench`: how fast the operator converges a batch of LogtoApplications, and what a no-op
 * resync costs, against a local control plane and the Logto emulator (with injected latency on every
 * Logto call, like a remote server). Prints figures; asserts nothing.
 *
 *   npm run bench -- --count 100 --latency 20 --concurrency 4
 */
import { parseArgs } from 'node:util';
import { createLogger } from '../src/log.js';
import { startOperator } from '../src/operator.js';
import { FORCE_SYNC_ANNOTATION } from '../src/operator.js';
import { startLogtoEmulator } from '../test/emulator/index.js';
import { startControlPlane } from '../test/support/control-plane/harness.js';
import { eventually } from '../test/support/eventually.js';
import { createTestNamespace } from '../test/support/kube.js';
import { testOperatorConfig, TestCluster } from '../test/support/operator.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '50' },
    latency: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '4' },
  },
});
const count = Number(values.count);
const latencyMs = Number(values.latency);
const concurrency = Number(values.concurrency);

const plane = await startControlPlane({ log: () => {} });
const emulator = await startLogtoEmulator();
emulator.faults.inject({ path: '/api/**', latencyMs });
const ns = await createTestNamespace(plane.kubeConfig, 'bench');
let reconciles = 0;
const operator = await startOperator(
  plane.kubeConfig,
  testOperatorConfig(emulator, { watchNamespaces: [ns], concurrency, logLevel: 'warn' }),
  createLogger({ level: 'warn' }),
  { controllerMetrics: { reconcileFinished: () => void reconciles++ } },
);
const cluster = new TestCluster(plane.kubeConfig);
const names = Array.from({ length: count }, (_, i) => `app-${i}`);
const types = ['Traditional', 'SPA', 'MachineToMachine', 'Native'] as const;

const logtoCalls = (writesOnly: boolean) =>
  emulator.calls.list().filter((c) => c.route.startsWith('/api/') && (!writesOnly || c.method !== 'GET'))
    .length;
const allReady = async () => {
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
  return (
    list.items.filter((r) =>
      r.status?.conditions?.some(
        (c) => c.type === 'Ready' && c.status === 'True' && c.observedGeneration === r.metadata.generation,
      ),
    ).length === count
  );
};

try {
  const started = performance.now();
  await Promise.all(names.map((name, i) => cluster.create(ns, name, { type: types[i % types.length]! })));
  await eventually(allReady, { timeoutMs: 600_000, intervalMs: 250, what: 'all Ready' });
  const convergeMs = performance.now() - started;
  const createCalls = logtoCalls(false);
  const createReconciles = reconciles;

  const readsBefore = logtoCalls(false);
  const writesBefore = logtoCalls(true);
  const reconcilesBefore = reconciles;
  const resyncStarted = performance.now();
  await Promise.all(
    names.map((name) =>
      cluster.patch(ns, name, { metadata: { annotations: { [FORCE_SYNC_ANNOTATION]: 'bench' } } }),
    ),
  );
  await eventually(() => reconciles - reconcilesBefore >= count, {
    timeoutMs: 600_000,
    what: 'resync of all',
  });
  const resyncMs = performance.now() - resyncStarted;

  console.log(
    `LogtoApplications:                ${count} (concurrency ${concurrency}, ${latencyMs} ms per Logto call)`,
  );
  console.log(
    `create → all Ready:               ${(convergeMs / 1000).toFixed(2)} s (${(count / (convergeMs / 1000)).toFixed(1)} resources/s)`,
  );
  console.log(`Logto calls per created resource: ${(createCalls / count).toFixed(1)}`);
  console.log(`reconciles per created resource:  ${(createReconciles / count).toFixed(1)}`);
  console.log(`no-op resync of all:              ${(resyncMs / 1000).toFixed(2)} s`);
  console.log(`  Logto reads per resource:       ${((logtoCalls(false) - readsBefore) / count).toFixed(1)}`);
  console.log(`  Logto writes:                   ${logtoCalls(true) - writesBefore}`);
} finally {
  await operator.stop(5_000);
  await emulator.close();
  await plane.stop();
}
