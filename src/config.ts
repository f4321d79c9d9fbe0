/**
 * Operator settings from command-line flags and environment variables (flags win). Every setting is
 * listed in SETTINGS with its flag, variable, default and description; README's table mirrors it.
 */
import { parseArgs } from 'node:util';

export interface OperatorConfig {
  logtoEndpoint: string;
  logtoPublicEndpoint: string;
  logtoResource: string;
  /** `namespace/name` of the Secret holding the operator's M2M credentials. */
  credentialsSecret: { namespace: string; name: string } | undefined;
  credentialsClientIdKey: string;
  credentialsClientSecretKey: string;
  /** Direct credentials (development); used when no credentials Secret is configured. */
  clientId: string | undefined;
  clientSecret: string | undefined;
  /** Empty: all namespaces. */
  watchNamespaces: string[];
  concurrency: number;
  resyncPeriodMs: number;
  logLevel: string;
  requestTimeoutMs: number;
  shutdownTimeoutMs: number;
}

interface Setting {
  flag: string;
  env: string;
  default?: string;
  description: string;
}

export const SETTINGS = {
  logtoEndpoint: {
    flag: 'logto-endpoint',
    env: 'LOGTO_ENDPOINT',
    description: 'Base URL of Logto as the operator reaches it, e.g. https://logto.example.com (required).',
  },
  logtoPublicEndpoint: {
    flag: 'logto-public-endpoint',
    env: 'LOGTO_PUBLIC_ENDPOINT',
    description:
      'Base URL of Logto as applications reach it, written to LOGTO_ENDPOINT in Secrets. Default: --logto-endpoint.',
  },
  logtoResource: {
    flag: 'logto-resource',
    env: 'LOGTO_RESOURCE',
    default: 'https://default.logto.app/api',
    description: 'Management API resource indicator. Logto Cloud: https://<tenant-id>.logto.app/api.',
  },
  credentialsSecret: {
    flag: 'credentials-secret',
    env: 'LOGTO_CREDENTIALS_SECRET',
    description: 'namespace/name of the Secret with the M2M app credentials (read at every token fetch).',
  },
  credentialsClientIdKey: {
    flag: 'credentials-client-id-key',
    env: 'LOGTO_CREDENTIALS_CLIENT_ID_KEY',
    default: 'clientId',
    description: 'Key of the client id in the credentials Secret.',
  },
  credentialsClientSecretKey: {
    flag: 'credentials-client-secret-key',
    env: 'LOGTO_CREDENTIALS_CLIENT_SECRET_KEY',
    default: 'clientSecret',
    description: 'Key of the client secret in the credentials Secret.',
  },
  clientId: {
    flag: 'client-id',
    env: 'LOGTO_CLIENT_ID',
    description: 'M2M app id, when no credentials Secret is given (development).',
  },
  clientSecret: {
    flag: 'client-secret',
    env: 'LOGTO_CLIENT_SECRET',
    description: 'M2M app secret, when no credentials Secret is given (prefer the environment to the flag).',
  },
  watchNamespaces: {
    flag: 'watch-namespaces',
    env: 'WATCH_NAMESPACES',
    default: '',
    description: 'Comma-separated namespaces to watch; empty watches all namespaces.',
  },
  concurrency: {
    flag: 'concurrency',
    env: 'CONCURRENCY',
    default: '4',
    description: 'LogtoApplications reconciled at once.',
  },
  resyncPeriod: {
    flag: 'resync-period',
    env: 'RESYNC_PERIOD',
    default: '10m',
    description:
      'How often each resource is compared with Logto to revert drift (±10% jitter), e.g. 30s, 10m, 1h.',
  },
  logLevel: {
    flag: 'log-level',
    env: 'LOG_LEVEL',
    default: 'info',
    description: 'trace, debug, info, warn, error or fatal.',
  },
  requestTimeout: {
    flag: 'request-timeout',
    env: 'LOGTO_REQUEST_TIMEOUT',
    default: '15s',
    description: 'Timeout of one Logto HTTP request.',
  },
  shutdownTimeout: {
    flag: 'shutdown-timeout',
    env: 'SHUTDOWN_TIMEOUT',
    default: '30s',
    description: 'On SIGTERM, how long in-flight reconciles may take to finish.',
  },
} satisfies Record<string, Setting>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Parses `30s`, `10m`, `1h`, `500ms` or a plain number of seconds into milliseconds. */
export function parseDuration(value: string, what: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!match) throw new ConfigError(`${what}: "${value}" is not a duration (e.g. 30s, 10m, 1h)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'] ?? 1000;
  return Math.round(Number(match[1]) * unit);
}

function positiveInteger(value: string, what: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${what}: "${value}" is not a positive integer`);
  return n;
}

export function loadConfig(
  argv: string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): OperatorConfig {
  const options = Object.fromEntries(
    Object.values(SETTINGS).map((s) => [s.flag, { type: 'string' as const }]),
  );
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  const get = (key: keyof typeof SETTINGS): string | undefined => {
    const setting: Setting = SETTINGS[key];
    const value = (values[setting.flag] as string | undefined) ?? env[setting.env] ?? setting.default;
    return value === '' && setting.default === undefined ? undefined : value;
  };

  const endpoint = get('logtoEndpoint');
  if (!endpoint)
    throw new ConfigError(`--${SETTINGS.logtoEndpoint.flag} (or ${SETTINGS.logtoEndpoint.env}) is required`);
  for (const [what, url] of [
    ['logto endpoint', endpoint],
    ['logto public endpoint', get('logtoPublicEndpoint')],
  ] as const) {
    if (url !== undefined && !/^https?:\/\//.test(url))
      throw new ConfigError(`${what}: "${url}" is not an http(s) URL`);
  }
  const secretRef = get('credentialsSecret');
  let credentialsSecret: OperatorConfig['credentialsSecret'];
  if (secretRef) {
    const [namespace, name, ...rest] = secretRef.split('/');
    if (!namespace || !name || rest.length)
      throw new ConfigError(`credentials secret: "${secretRef}" is not namespace/name`);
    credentialsSecret = { namespace, name };
  }
  const clientId = get('clientId');
  const clientSecret = get('clientSecret');
  if (!credentialsSecret && !(clientId && clientSecret)) {
    throw new ConfigError(
      `Logto credentials are required: --${SETTINGS.credentialsSecret.flag} namespace/name, or ` +
        `${SETTINGS.clientId.env} and ${SETTINGS.clientSecret.env}`,
    );
  }
  return {
    logtoEndpoint: endpoint.replace(/\/+$/, ''),
    logtoPublicEndpoint: (get('logtoPublicEndpoint') ?? endpoint).replace(/\/+$/, ''),
    logtoResource: get('logtoResource')!,
    credentialsSecret,
    credentialsClientIdKey: get('credentialsClientIdKey')!,
    credentialsClientSecretKey: get('credentialsClientSecretKey')!,
    clientId,
    clientSecret,
    watchNamespaces: (get('watchNamespaces') ?? '')
      .split(',')
      .map((ns) => ns.trim())
      .filter(Boolean),
    concurrency: positiveInteger(get('concurrency')!, 'concurrency'),
    resyncPeriodMs: parseDuration(get('resyncPeriod')!, 'resync period'),
    logLevel: get('logLevel')!,
    requestTimeoutMs: parseDuration(get('requestTimeout')!, 'request timeout'),
    shutdownTimeoutMs: parseDuration(get('shutdownTimeout')!, 'shutdown timeout'),
  };
}
