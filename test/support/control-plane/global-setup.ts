import type { TestProject } from 'vitest/node';
import { startControlPlane } from './harness.js';

// Tests read this with `inject('kubeconfigPath')` (see test/support/kube.ts), not from KUBECONFIG:
// the developer's own cluster is never touched.
declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfigPath: string;
  }
}

const log = (message: string): void => console.error(`[control-plane] ${message}`);

/** One etcd + kube-apiserver for the whole `integration` project; each test file works in its own namespaces. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // vitest puts no time limit on global setup; the harness limits each phase, the build script its build.
  log(
    'starting etcd + kube-apiserver; their first use builds them with Go (several minutes, progress below)',
  );
  const started = performance.now();
  const controlPlane = await startControlPlane({ log });
  log(
    `ready in ${((performance.now() - started) / 1000).toFixed(1)}s; kubeconfig: ${controlPlane.kubeconfigPath}`,
  );
  project.provide('kubeconfigPath', controlPlane.kubeconfigPath);
  return () => controlPlane.stop();
}
