/**
 * How many TCP connections the operator process holds to the apiserver during a burst: starts a
 * local control plane, the Logto emulator and the operator as a process (`src/main.ts` of `--root`,
 * default this checkout), creates `--count` LogtoApplications, and samples `ss -tnp` every 100 ms
 * until they are all Ready. Prints the most connections open at once and how many were opened in all.
 *
 *   npx tsx bench/kube-connections.ts --count 40 [--root /path/to/another/checkout]
 */
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { operatorProcessEnv } from './operator-process.js';
import { startLogtoEmulator } from '../test/emulator/index.js';
import { startControlPlane } from '../test/support/control-plane/harness.js';
import { createTestNamespace } from '../test/support/kube.js';
import { TestCluster } from '../test/support/operator.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '40' },
    root: { type: 'string', default: path.resolve(import.meta.dirname, '..') },
  },
});
const count = Number(values.count);

const plane = await startControlPlane({ log: () => {} });
const emulator = await startLogtoEmulator();
emulator.faults.inject({ path: '/api/**', latencyMs: 20 });
const ns = await createTestNamespace(plane.kubeConfig, 'conns');
const apiPort = new URL(plane.server).port;
const child = spawn(process.execPath, ['--import', 'tsx', path.join(values.root!, 'src/main.ts')], {
  cwd: values.root!,
  env: operatorProcessEnv(plane.kubeconfigPath, emulator, {
    WATCH_NAMESPACES: ns,
    LEADER_ELECTION_NAMESPACE: ns,
    LOG_LEVEL: 'warn',
    METRICS_BIND_ADDRESS: '0',
    HEALTH_PROBE_BIND_ADDRESS: '0',
  }),
  stdio: ['ignore', 'ignore', 'inherit'],
});

/** Local ports of the child's established connections to the apiserver. */
function connections(): string[] {
  const out = execFileSync('ss', ['-tnpH', 'state', 'established', `dport = :${apiPort}`], {
    encoding: 'utf8',
  });
  return out
    .split('\n')
    .filter((line) => line.includes(`pid=${child.pid},`))
    .map((line) => line.trim().split(/\s+/)[2] ?? '');
}

const seen = new Set<string>();
let peak = 0;
const sample = () => {
  const open = connections();
  for (const port of open) seen.add(port);
  peak = Math.max(peak, open.length);
};
const sampler = setInterval(sample, 100);

const cluster = new TestCluster(plane.kubeConfig);
// Idle: caches synced, the Lease held.
await new Promise((resolve) => setTimeout(resolve, 8_000));
sample();
const idle = connections().length;
const started = Date.now();
const names = Array.from({ length: count }, (_, i) => `app-${i}`);
await Promise.all(
  names.map((name) =>
    cluster.create(ns, name, {
      type: 'Traditional',
      oidcClientMetadata: { redirectUris: [`https://${name}.example/cb`] },
    }),
  ),
);
for (const name of names) await cluster.waitReady(ns, name, 'True', undefined, 180_000);
clearInterval(sampler);
console.log(
  JSON.stringify({
    root: values.root,
    resources: count,
    convergedMs: Date.now() - started,
    idleConnections: idle,
    peakOpenConnections: peak,
    connectionsOpenedDuringRun: seen.size,
  }),
);
child.kill('SIGTERM');
await new Promise((resolve) => child.once('exit', resolve));
await emulator.close();
await plane.stop();
