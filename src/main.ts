/**
 * Entry point: `npm start` (or `node dist/main.js` in the container). Runs the operator against the
 * cluster of the current kubeconfig, or the in-cluster configuration inside a pod.
 *
 * Exit codes: 0 after a graceful shutdown (SIGTERM/SIGINT), 1 when leadership is lost or on a fatal
 * error (also on a second signal during shutdown), 2 for invalid configuration.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError, loadConfig, type ProcessConfig } from './config.js';
import { describeError } from './runtime/errors.js';
import { createLogger, type Logger } from './log.js';
import { startManager, type Manager } from './runtime/manager.js';

/** Upper bound on waiting for the log destination to flush before exiting. */
const FLUSH_TIMEOUT_MS = 2_000;
/**
 * How long past --shutdown-timeout a shutdown may run (aborted reconciles returning, the Lease release,
 * the last Events) before the process exits anyway.
 */
const SHUTDOWN_OVERRUN_MS = 5_000;

function exitAfterFlush(logger: Logger, code: number): void {
  setTimeout(() => process.exit(code), FLUSH_TIMEOUT_MS).unref();
  logger.flush(() => process.exit(code));
}

async function main(): Promise<void> {
  let config: ProcessConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`logto-operator: ${(error as Error).message}`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();

  // Set once start-up completed; signals may arrive before.
  const running: { manager?: Manager } = {};
  let signalled = false;
  const shutdown = (signal: string) => {
    if (signalled) {
      logger.warn({ signal }, 'second signal during shutdown: exiting at once');
      exitAfterFlush(logger, 1);
      return;
    }
    signalled = true;
    const { manager } = running;
    if (!manager) {
      // Still syncing caches: no reconcile has started and no Lease is held.
      logger.info({ signal }, 'stopping before start-up completed');
      exitAfterFlush(logger, 0);
      return;
    }
    logger.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'shutting down');
    // Whatever hangs (a worker ignoring its abort signal, the apiserver), the process exits.
    setTimeout(() => {
      logger.error('shutdown did not complete in time: exiting');
      exitAfterFlush(logger, 1);
    }, config.shutdownTimeoutMs + SHUTDOWN_OVERRUN_MS).unref();
    manager.stop().then(
      () => {
        logger.info('shutdown complete');
        exitAfterFlush(logger, 0);
      },
      (error: unknown) => {
        logger.error({ err: describeError(error) }, 'shutdown failed');
        exitAfterFlush(logger, 1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  const manager = await startManager({ kubeConfig, config, logger });
  running.manager = manager;
  void manager.leadershipLost.then(() => {
    // As controller-runtime: a replica that lost the Lease exits, and restarts as a candidate.
    logger.error('leader election lost: exiting');
    exitAfterFlush(logger, 1);
  });
}

main().catch((error: unknown) => {
  console.error('logto-operator: fatal:', error instanceof Error ? error.message : String(error));
  process.exit(1);
});
