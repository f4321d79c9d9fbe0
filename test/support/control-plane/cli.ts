// `npm run control-plane [-- --crds <dir>]`: a control plane to poke at by hand (kubectl, the operator,
// the demo). CRDs come from the repository's crds/ unless --crds names another directory.
import { resolve } from 'node:path';
import { startControlPlane } from './harness.js';

const log = (message: string): void => console.error(`[control-plane] ${message}`);
const crdsFlag = process.argv.indexOf('--crds');
const crdDirectory = crdsFlag > 0 ? resolve(process.argv[crdsFlag + 1] ?? '') : undefined;

const controlPlane = await startControlPlane({ log, crdDirectory });
console.log(`kubeconfig: ${controlPlane.kubeconfigPath}`);
console.log(`export KUBECONFIG=${controlPlane.kubeconfigPath}`);
log('running; Ctrl-C stops it and removes everything');

const keepAlive = setInterval(() => {}, 1 << 30); // the children are unref'd; this keeps Node up
let stopping = false;
const shutdown = (signal: NodeJS.Signals): void => {
  if (stopping) return process.exit(130); // second Ctrl-C: the exit hook SIGKILLs the rest
  stopping = true;
  log(`${signal}: stopping`);
  controlPlane.stop().then(
    () => {
      clearInterval(keepAlive);
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, shutdown);
