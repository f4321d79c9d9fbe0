/**
 * `npm run bench:stream`: does the operator keep up with a steady stream of new LogtoApplications?
 * Creates --rate resources per second for --duration seconds against a local control plane and the
 * Logto emulator (--latency ms per Logto call), and measures for each the time from its create being
 * answered by the apiserver to its Secret appearing in a watch. Prints figures; asserts nothing.
 *
 *   npm run bench:stream -- --rate 50 --duration 60 --latency 0 --concurrency 4
 *
 * --apiserver-profile FILE writes a 15 s CPU profile of the kube-apiserver, taken from the fifth second
 * of the stream (`go tool pprof -top FILE` reads it): where the control plane's time goes.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { Watch, type V1Secret } from '@kubernetes/client-node';
import type { ApplicationType } from '../src/crd/logto-application.js';
import { createLogger } from '../src/log.js';
import { startOperator } from '../src/operator.js';
import { startLogtoEmulator } from '../test/emulator/index.js';
import { startControlPlane } from '../test/support/control-plane/harness.js';
import { eventually } from '../test/support/eventually.js';
import { createTestNamespace } from '../test/support/kube.js';
import { testOperatorConfig, TestCluster } from '../test/support/operator.js';
import { toolPath } from '../test/support/tools.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '50' },
    duration: { type: 'string', default: '60' },
    latency: { type: 'string', default: '0' },
    concurrency: { type: 'string', default: '4' },
    'apiserver-profile': { type: 'string' },
  },
});
const positive = (name: string, value: string | undefined) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name}: "${value}" is not a non-negative integer`);
  return n;
};
const rate = positive('rate', values.rate);
const durationS = positive('duration', values.duration);
const latencyMs = positive('latency', values.latency);
const concurrency = positive('concurrency', values.concurrency);
const total = rate * durationS;

const plane = await startControlPlane({ log: () => {} });
const emulator = await startLogtoEmulator();
if (latencyMs > 0) emulator.faults.inject({ path: '/api/**', latencyMs });
const ns = await createTestNamespace(plane.kubeConfig, 'stream');
const cluster = new TestCluster(plane.kubeConfig);
const types: ApplicationType[] = ['Traditional', 'SPA', 'MachineToMachine', 'Native'];

let reconciles = 0;
let logtoCalls = 0;
const operator = await startOperator(
  plane.kubeConfig,
  testOperatorConfig(emulator, { watchNamespaces: [ns], concurrency, logLevel: 'warn' }),
  createLogger({ level: 'warn' }),
  {
    onLogtoRequest: () => void logtoCalls++,
    controllerMetrics: { reconcileFinished: () => void reconciles++ },
  },
);

/** When each resource's create was answered, and when its Secret was first seen. */
const applied = new Map<string, number>();
const secretSeen = new Map<string, number>();
const watch = await new Watch(plane.kubeConfig).watch(
  `/api/v1/namespaces/${ns}/secrets`,
  {},
  (type: string, secret: V1Secret) => {
    const name = secret.metadata?.name;
    if (type === 'ADDED' && name && !secretSeen.has(name)) secretSeen.set(name, performance.now());
  },
  () => {},
);

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN;
const ms = (n: number) => `${Math.round(n)} ms`;

/** A CPU profile of the apiserver from 5 s into the stream, for 15 s. */
async function profileApiserver(file: string): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const { stdout } = await promisify(execFile)(
    await toolPath('kubectl'),
    ['--kubeconfig', plane.kubeconfigPath, 'get', '--raw', '/debug/pprof/profile?seconds=15'],
    { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 },
  );
  await writeFile(file, stdout);
  console.log(`apiserver CPU profile written to ${file}`);
}

try {
  const started = performance.now();
  const profiling = values['apiserver-profile'] ? profileApiserver(values['apiserver-profile']) : undefined;
  const creates: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    // Paced against the start, so that a slow create does not slow the stream down.
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const name = `app-${i}`;
    creates.push(
      cluster
        .create(ns, name, { type: types[i % types.length]! })
        .then(() => applied.set(name, performance.now())),
    );
  }
  await Promise.all(creates);
  await profiling;
  const streamS = (performance.now() - started) / 1000;
  const lastApplied = performance.now();
  // The Secret is named after the resource by default.
  await eventually(() => secretSeen.size >= total || performance.now() - lastApplied > 300_000, {
    timeoutMs: 310_000,
    intervalMs: 250,
    what: 'every Secret',
  }).catch(() => undefined);

  const latencies = [...applied].flatMap(([name, at]) => {
    const seen = secretSeen.get(name);
    return seen === undefined ? [] : [Math.max(0, seen - at)];
  });
  latencies.sort((a, b) => a - b);
  console.log(
    `stream: ${total} LogtoApplications at ${rate}/s for ${durationS} s (applied in ${streamS.toFixed(1)} s), ` +
      `${latencyMs} ms per Logto call, concurrency ${concurrency}`,
  );
  console.log(`  apply → Secret p50:                  ${ms(percentile(latencies, 50))}`);
  console.log(`  apply → Secret p90:                  ${ms(percentile(latencies, 90))}`);
  console.log(`  apply → Secret p99:                  ${ms(percentile(latencies, 99))}`);
  console.log(`  apply → Secret max:                  ${ms(latencies.at(-1) ?? NaN)}`);
  console.log(`  without a Secret 5 min after the last apply: ${total - latencies.length}`);
  console.log(`  reconciles per app:                  ${(reconciles / total).toFixed(2)}`);
  console.log(`  Logto calls per app:                 ${(logtoCalls / total).toFixed(2)}`);
} finally {
  watch.abort();
  await operator.stop(5_000);
  await emulator.close();
  await plane.stop();
}
