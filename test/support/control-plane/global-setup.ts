import type { TestProject } from 'vitest/node';
import { buildOperator, type OperatorBuild } from '../operator-build.js';
import { startControlPlane, type ControlPlane } from './harness.js';

// Tests read these with `inject(...)` (see test/support/kube.ts and operator-process.ts), not from
// KUBECONFIG: the developer's own cluster is never touched.
declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfigPath: string;
    /** The operator built once for the run: `node <operatorEntry>` runs it as the image does. */
    operatorEntry: string;
  }
}

const log = (message: string): void => console.error(`[control-plane] ${message}`);

interface Shared {
  controlPlane: ControlPlane;
  build: OperatorBuild;
  users: number;
}

// Every project that lists this file shares one control plane and one build: vitest runs each
// project's global setup before any test and every teardown after the last one.
const SHARED = Symbol.for('logto-operator.integration');
type WithShared = typeof globalThis & { [SHARED]?: Promise<Shared> };

async function start(): Promise<Shared> {
  // vitest puts no time limit on global setup; the harness limits each phase, the build script its build.
  log(
    'starting etcd + kube-apiserver; their first use builds them with Go (several minutes, progress below)',
  );
  const started = performance.now();
  const [plane, built] = await Promise.allSettled([startControlPlane({ log }), buildOperator()]);
  if (plane.status === 'rejected' || built.status === 'rejected') {
    if (plane.status === 'fulfilled') await plane.value.stop();
    if (built.status === 'fulfilled') await built.value.remove();
    throw plane.status === 'rejected' ? plane.reason : (built as PromiseRejectedResult).reason;
  }
  const [controlPlane, build] = [plane.value, built.value];
  log(
    `ready in ${((performance.now() - started) / 1000).toFixed(1)}s (operator built too); kubeconfig: ${controlPlane.kubeconfigPath}`,
  );
  return { controlPlane, build, users: 0 };
}

/** One etcd + kube-apiserver for every integration test file; each works in its own namespaces. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const global = globalThis as WithShared;
  const shared = await (global[SHARED] ??= start());
  shared.users++;
  project.provide('kubeconfigPath', shared.controlPlane.kubeconfigPath);
  project.provide('operatorEntry', shared.build.entry);
  return async () => {
    if (--shared.users > 0) return;
    delete global[SHARED];
    await Promise.all([shared.controlPlane.stop(), shared.build.remove()]);
  };
}
