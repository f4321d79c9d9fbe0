/**
 * Entry point: `npm start` (or `node dist/main.js` in the container). Runs the operator against the
 * cluster of the current kubeconfig, or the in-cluster configuration inside a pod.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './log.js';
import { startOperator } from './operator.js';

async function main(): Promise<void> {
  let config;
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
  const operator = await startOperator(kubeConfig, config, logger);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    operator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('logto-operator: fatal:', error instanceof Error ? error.message : String(error));
  process.exit(1);
});
