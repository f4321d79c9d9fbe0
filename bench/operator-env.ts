import type { LogtoEmulator } from '../test/emulator/index.js';

/**
 * The environment of an operator process a bench starts, as a Deployment configures it: the
 * kubeconfig, the emulator as its Logto tenant, and the bench's own settings (flags' env names).
 * MALLOC_ARENA_MAX is passed through when the bench has it, to compare the allocator's settings.
 */
export function operatorProcessEnv(
  kubeconfigPath: string,
  logto: LogtoEmulator,
  settings: Record<string, string>,
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ...(process.env.MALLOC_ARENA_MAX ? { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX } : {}),
    KUBECONFIG: kubeconfigPath,
    LOGTO_ENDPOINT: logto.endpoint,
    LOGTO_RESOURCE: logto.resourceIndicator,
    LOGTO_CLIENT_ID: logto.credentials.clientId,
    LOGTO_CLIENT_SECRET: logto.credentials.clientSecret,
    ...settings,
  };
}
