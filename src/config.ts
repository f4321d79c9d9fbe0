/**
 * Operator settings from command-line flags and environment variables (flags win). Every setting is
 * listed in SETTINGS with its flag, variable, default and description; README's table mirrors it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import type { ConnectionPolicy, ConsentScopesPolicy } from './crd/logto-connection.js';
import { parseDurationMs } from './util/duration.js';

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
  /**
   * The policy of the connection these flags configure. Absent: the secure default (no Management
   * API roles, no adoption).
   */
  flagPolicy?: ConnectionPolicy;
  /** Empty: all namespaces. */
  watchNamespaces: string[];
  /** Label selector of the ClusterLogtoConnections this operator serves; empty: all. */
  clusterConnectionSelector?: string;
  concurrency: number;
  resyncPeriodMs: number;
  /**
   * How often the sweep lists the tenant's applications for duplicates and orphans; undefined: the
   * resync period; 0: no sweep.
   */
  sweepPeriodMs?: number;
  /** Shortest spec.rotation.every a resource may ask for (a rotation writes to Logto and Kubernetes). */
  minRotationPeriodMs?: number;
  logLevel: string;
  requestTimeoutMs: number;
  /** Bound on one Kubernetes request (watches excluded); default 30 s. */
  kubeRequestTimeoutMs?: number;
  shutdownTimeoutMs: number;
  /** Objects per page when the informers list LogtoApplications and Secrets (default 500). */
  listPageSize?: number;
  /** This cluster's name in the ownership markers; empty by default. */
  clusterName?: string;
  /**
   * Leader election. Optional so that in-process use (tests, the demo) runs without it; `loadConfig`
   * always sets it, enabled unless `--leader-elect=false`.
   */
  leaderElection?: LeaderElectionConfig;
}

/** Settings only the process entry point uses (servers); `loadConfig` returns them too. */
export interface ProcessConfig extends OperatorConfig {
  leaderElection: LeaderElectionConfig;
  /** Where /metrics is served; undefined when disabled (`0`). */
  metricsBindAddress: BindAddress | undefined;
  /** HTTPS with authentication and authorization for /metrics; false only on a loopback address. */
  metricsSecure: boolean;
  /** Directory with tls.crt and tls.key for /metrics; undefined: a self-signed certificate. */
  metricsCertDir: string | undefined;
  /** Where /healthz and /readyz are served; undefined when disabled (`0`). */
  healthProbeBindAddress: BindAddress | undefined;
}

export interface LeaderElectionConfig {
  enabled: boolean;
  /** Namespace and name of the coordination.k8s.io/v1 Lease. */
  namespace: string;
  name: string;
  /** This replica's identity in the Lease (`holderIdentity`). */
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** A TCP address to listen on; `host` undefined listens on every interface. */
export interface BindAddress {
  host: string | undefined;
  port: number;
}

interface Setting {
  flag: string;
  env: string;
  default?: string;
  description: string;
  /** A boolean flag: `--flag` alone means `--flag=true`. */
  boolean?: true;
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
  allowManagementApiRoles: {
    flag: 'allow-management-api-roles',
    env: 'ALLOW_MANAGEMENT_API_ROLES',
    default: 'false',
    boolean: true,
    description:
      'Let applications of the flag-configured connection request roles that carry Management API scopes (they administer the whole tenant).',
  },
  adoptionApplicationIds: {
    flag: 'adoption-application-ids',
    env: 'ADOPTION_APPLICATION_IDS',
    default: '',
    description:
      'Comma-separated ids of existing Logto applications that spec.adoptApplicationId may adopt through the flag-configured connection. Default: none.',
  },
  adoptionNamePatterns: {
    flag: 'adoption-name-patterns',
    env: 'ADOPTION_NAME_PATTERNS',
    default: '',
    description:
      'Comma-separated name patterns (* matches any text) of existing Logto applications that may be adopted through the flag-configured connection. Default: none.',
  },
  allowManagementApiApplicationAdoption: {
    flag: 'allow-management-api-application-adoption',
    env: 'ALLOW_MANAGEMENT_API_APPLICATION_ADOPTION',
    default: 'false',
    boolean: true,
    description:
      'Let the flag-configured connection adopt applications that hold Management API roles or isAdmin. Never its own application.',
  },
  adoptionRoleNames: {
    flag: 'adoption-role-names',
    env: 'ADOPTION_ROLE_NAMES',
    default: '',
    description:
      'Comma-separated name patterns (* matches any text) of existing roles, not declared by a LogtoRole of this cluster, that a LogtoRole may take over or observe through the flag-configured connection. Default: none.',
  },
  adoptionApiResourceIndicators: {
    flag: 'adoption-api-resource-indicators',
    env: 'ADOPTION_API_RESOURCE_INDICATORS',
    default: '',
    description:
      'Comma-separated indicator patterns (* matches any text) of existing API resources, not declared by a LogtoApiResource of this cluster, that a LogtoApiResource may take over or observe through the flag-configured connection. Default: none.',
  },
  allowedRoles: {
    flag: 'allowed-roles',
    env: 'ALLOWED_ROLES',
    default: '',
    description:
      'Comma-separated names or ids of roles no LogtoRole of this cluster declares (made in the Console or by another cluster) that applications of the flag-configured connection may hold. Default: none; list the roles applications used before LogtoRoles existed to keep them.',
  },
  allowedConsentResourceScopes: {
    flag: 'allowed-consent-resource-scopes',
    env: 'ALLOWED_CONSENT_RESOURCE_SCOPES',
    default: '',
    description:
      'Comma-separated <indicator>#<scope> entries (<indicator>#* for every scope of it): API resource scopes no LogtoApiResource of this cluster declares that third-party applications of the flag-configured connection may ask consent for. Default: none.',
  },
  allowedConsentOrganizationScopes: {
    flag: 'allowed-consent-organization-scopes',
    env: 'ALLOWED_CONSENT_ORGANIZATION_SCOPES',
    default: '',
    description:
      'Comma-separated organization scope names that third-party applications of the flag-configured connection may ask consent for. Default: none.',
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
  sweepPeriod: {
    flag: 'sweep-period',
    env: 'SWEEP_PERIOD',
    default: '',
    description:
      "How often one list of all the tenant's applications finds duplicates and applications of deleted resources (also once shortly after leadership is taken). Default: --resync-period; 0 turns the sweep off.",
  },
  clusterConnectionSelector: {
    flag: 'cluster-connection-selector',
    env: 'CLUSTER_CONNECTION_SELECTOR',
    default: '',
    description:
      'Label selector of the ClusterLogtoConnections this operator serves (checks, reports, holds), e.g. operator=team-x; empty: all. Give each operator sharing a cluster its own.',
  },
  minRotationPeriod: {
    flag: 'min-rotation-period',
    env: 'MIN_ROTATION_PERIOD',
    default: '1h',
    description:
      'Shortest spec.rotation.every a LogtoApplication may ask for; shorter ones are refused (InvalidSpec), so that no resource can rotate its secret in a loop against a shared tenant.',
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
  kubeRequestTimeout: {
    flag: 'kube-request-timeout',
    env: 'KUBE_REQUEST_TIMEOUT',
    default: '30s',
    description: 'Timeout of one Kubernetes API request (watches excluded: the API server ends them).',
  },
  shutdownTimeout: {
    flag: 'shutdown-timeout',
    env: 'SHUTDOWN_TIMEOUT',
    default: '30s',
    description: 'On SIGTERM, how long in-flight reconciles may take to finish.',
  },
  clusterName: {
    flag: 'cluster-name',
    env: 'CLUSTER_NAME',
    default: '',
    description:
      "Name of this cluster in the ownership markers of the applications it creates. Give each cluster that shares a Logto tenant its own name; a cluster restoring another one's resources uses that one's name.",
  },
  listPageSize: {
    flag: 'list-page-size',
    env: 'LIST_PAGE_SIZE',
    default: '500',
    description:
      'Objects per page when listing LogtoApplications and Secrets at start-up and after a watch expired.',
  },
  leaderElect: {
    flag: 'leader-elect',
    env: 'LEADER_ELECT',
    default: 'true',
    boolean: true,
    description: 'Elect a leader through a Lease, so that only one replica reconciles at a time.',
  },
  leaderElectionNamespace: {
    flag: 'leader-election-namespace',
    env: 'LEADER_ELECTION_NAMESPACE',
    description:
      "Namespace of the leader election Lease. Default: POD_NAMESPACE, else the pod's own namespace, else default.",
  },
  leaderElectionId: {
    flag: 'leader-election-id',
    env: 'LEADER_ELECTION_ID',
    default: 'logto-operator-leader',
    description: 'Name of the leader election Lease.',
  },
  leaseDuration: {
    flag: 'lease-duration',
    env: 'LEASE_DURATION',
    default: '15s',
    description:
      'How long candidates wait after the last renewal before taking the Lease over (whole seconds).',
  },
  renewDeadline: {
    flag: 'renew-deadline',
    env: 'RENEW_DEADLINE',
    default: '10s',
    description: 'How long the leader keeps retrying a renewal before it gives up leadership (and exits).',
  },
  retryPeriod: {
    flag: 'retry-period',
    env: 'RETRY_PERIOD',
    default: '2s',
    description: 'Interval between attempts to acquire or renew the Lease.',
  },
  metricsBindAddress: {
    flag: 'metrics-bind-address',
    env: 'METRICS_BIND_ADDRESS',
    default: ':8443',
    description: 'host:port serving Prometheus /metrics (":8443" is every interface); "0" disables it.',
  },
  metricsSecure: {
    flag: 'metrics-secure',
    env: 'METRICS_SECURE',
    default: 'true',
    boolean: true,
    description:
      'Serve /metrics over HTTPS, each scrape authenticated (TokenReview) and authorized (SubjectAccessReview: get on /metrics). false: plain HTTP, only on a loopback address.',
  },
  metricsCertDir: {
    flag: 'metrics-cert-dir',
    env: 'METRICS_CERT_DIR',
    description:
      'Directory with tls.crt and tls.key for /metrics (reloaded when they change). Default: a self-signed certificate made at start.',
  },
  healthProbeBindAddress: {
    flag: 'health-probe-bind-address',
    env: 'HEALTH_PROBE_BIND_ADDRESS',
    default: ':8081',
    description: 'host:port serving /healthz and /readyz; "0" disables them.',
  },
} satisfies Record<string, Setting>;

/** Where the in-cluster service account's namespace is mounted. */
export const IN_CLUSTER_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** What `loadConfig` reads from the machine; injectable for tests. */
export interface ConfigSystem {
  hostname(): string;
  /** The pod's namespace when running in a cluster. */
  inClusterNamespace(): string | undefined;
  randomSuffix(): string;
}

export const defaultConfigSystem: ConfigSystem = {
  hostname,
  inClusterNamespace() {
    try {
      return readFileSync(IN_CLUSTER_NAMESPACE_FILE, 'utf8').trim() || undefined;
    } catch {
      return undefined;
    }
  },
  randomSuffix: () => randomBytes(4).toString('hex'),
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Parses a duration setting (`30s`, `10m`, `1h`, `500ms`, a number of seconds) into milliseconds. */
export function parseDuration(value: string, what: string): number {
  const ms = parseDurationMs(value);
  if (ms === undefined) throw new ConfigError(`${what}: "${value}" is not a duration (e.g. 30s, 10m, 1h)`);
  return ms;
}

/** Go's strconv.ParseBool spellings (what controller-runtime's flags accept), and yes/no, case-insensitively. */
export function parseBoolean(value: string, what: string): boolean {
  const normalized = value.trim().toLowerCase();
  if (['1', 't', 'true', 'yes', 'y'].includes(normalized)) return true;
  if (['0', 'f', 'false', 'no', 'n'].includes(normalized)) return false;
  throw new ConfigError(`${what}: "${value}" is not a boolean (true or false)`);
}

/**
 * Parses a Go-style listen address: `:8080` (every interface), `127.0.0.1:0`, `[::1]:8080`,
 * `localhost:8081`. `0` disables the server (undefined).
 */
export function parseBindAddress(value: string, what: string): BindAddress | undefined {
  const text = value.trim();
  if (text === '0') return undefined;
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port > 65_535)
    throw new ConfigError(`${what}: "${value}" is not host:port (e.g. :8080, 127.0.0.1:8080) or 0`);
  return { host: match[1] ?? (match[2] || undefined), port };
}

/** Whether `address` listens on the loopback interface only (127.0.0.0/8, ::1 or localhost). */
export function isLoopback(address: BindAddress): boolean {
  const host = address.host?.toLowerCase();
  if (host === undefined) return false;
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

function metricsServing(
  get: (key: keyof typeof SETTINGS) => string | undefined,
  address: BindAddress | undefined,
): Pick<ProcessConfig, 'metricsSecure' | 'metricsCertDir'> {
  const secure = parseBoolean(get('metricsSecure')!, 'metrics secure');
  const certDir = get('metricsCertDir');
  if (!secure && address && !isLoopback(address))
    throw new ConfigError(
      'metrics secure: plain HTTP (false) is only allowed on a loopback metrics bind address, e.g. 127.0.0.1:8080',
    );
  if (!secure && certDir) throw new ConfigError('metrics cert dir: only used with --metrics-secure=true');
  return { metricsSecure: secure, metricsCertDir: certDir };
}

function atLeast(ms: number, minimum: number, what: string): number {
  if (ms < minimum) throw new ConfigError(`${what}: must be at least ${minimum / 1000}s`);
  return ms;
}

function sweepPeriod(value: string | undefined): { sweepPeriodMs?: number } {
  if (!value) return {};
  const ms = parseDuration(value, 'sweep period');
  return { sweepPeriodMs: ms === 0 ? 0 : atLeast(ms, 1000, 'sweep period') };
}

function positiveInteger(value: string, what: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${what}: "${value}" is not a positive integer`);
  return n;
}

function leaderElectionConfig(
  get: (key: keyof typeof SETTINGS) => string | undefined,
  env: NodeJS.ProcessEnv,
  system: ConfigSystem,
): LeaderElectionConfig {
  const leaseDurationMs = parseDuration(get('leaseDuration')!, 'lease duration');
  const renewDeadlineMs = parseDuration(get('renewDeadline')!, 'renew deadline');
  const retryPeriodMs = parseDuration(get('retryPeriod')!, 'retry period');
  // The Lease stores whole seconds; the leader must give up before anyone else may take over.
  if (leaseDurationMs < 1000) throw new ConfigError('lease duration: must be at least 1s');
  if (renewDeadlineMs >= leaseDurationMs)
    throw new ConfigError('renew deadline: must be shorter than the lease duration');
  if (retryPeriodMs <= 0 || retryPeriodMs >= renewDeadlineMs)
    throw new ConfigError('retry period: must be positive and shorter than the renew deadline');
  return {
    enabled: parseBoolean(get('leaderElect')!, 'leader elect'),
    namespace:
      get('leaderElectionNamespace') || env.POD_NAMESPACE || system.inClusterNamespace() || 'default',
    name: get('leaderElectionId')!,
    // Like controller-runtime: the pod name, else the host name made unique per process.
    identity: env.POD_NAME || `${system.hostname()}_${system.randomSuffix()}`,
    leaseDurationMs,
    renewDeadlineMs,
    retryPeriodMs,
  };
}

/** A cluster name: what a DNS label allows, so that it reads the same in every marker. */
function clusterName(value: string): string {
  const name = value.trim();
  if (name && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name))
    throw new ConfigError(`cluster name "${name}" must be a DNS label (lower-case letters, digits, '-')`);
  return name;
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/**
 * Parses comma-separated `<indicator>#<scope>` entries (indicators never contain '#'; a scope name may):
 * the entries of one indicator merge, and `<indicator>#*` allows every scope of it (no `scopes`).
 */
export function parseConsentResourceScopes(
  value: string | undefined,
  what: string,
): NonNullable<ConsentScopesPolicy['resources']> {
  const scopes = new Map<string, Set<string> | 'all'>();
  for (const entry of list(value)) {
    const at = entry.indexOf('#');
    const indicator = entry.slice(0, at).trim();
    const scope = entry.slice(at + 1).trim();
    if (at < 0 || !indicator || !scope)
      throw new ConfigError(
        `${what}: "${entry}" is not <indicator>#<scope> (e.g. https://api.example.com#read:orders, or ` +
          'https://api.example.com#* for every scope of it)',
      );
    const known = scopes.get(indicator) ?? new Set<string>();
    scopes.set(indicator, scope === '*' || known === 'all' ? 'all' : known.add(scope));
  }
  return [...scopes].map(([indicator, names]) =>
    names === 'all' ? { indicator } : { indicator, scopes: [...names] },
  );
}

/** The flag-configured connection's policy; secure unless flags loosen it. */
function flagPolicy(get: (key: keyof typeof SETTINGS) => string | undefined): ConnectionPolicy {
  return {
    roles: {
      allowManagementApiRoles: parseBoolean(get('allowManagementApiRoles')!, 'allow management api roles'),
      allowed: list(get('allowedRoles')),
    },
    consentScopes: {
      resources: parseConsentResourceScopes(
        get('allowedConsentResourceScopes'),
        'allowed consent resource scopes',
      ),
      organizationScopes: list(get('allowedConsentOrganizationScopes')),
    },
    adoption: {
      applicationIds: list(get('adoptionApplicationIds')),
      namePatterns: list(get('adoptionNamePatterns')),
      allowManagementApiApplications: parseBoolean(
        get('allowManagementApiApplicationAdoption')!,
        'allow management api application adoption',
      ),
      roleNames: list(get('adoptionRoleNames')),
      apiResourceIndicators: list(get('adoptionApiResourceIndicators')),
    },
  };
}

export function loadConfig(
  argv: string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
  system: ConfigSystem = defaultConfigSystem,
): ProcessConfig {
  const options = Object.fromEntries(
    Object.values(SETTINGS).map((s) => [s.flag, { type: 'string' as const }]),
  );
  const booleanFlags = new Set(
    Object.values(SETTINGS as Record<string, Setting>)
      .filter((s) => s.boolean)
      .map((s) => `--${s.flag}`),
  );
  const args = argv.map((arg) => (booleanFlags.has(arg) ? `${arg}=true` : arg));
  const { values } = parseArgs({ args, options, strict: true, allowPositionals: false });
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
  const metricsBindAddress = parseBindAddress(get('metricsBindAddress')!, 'metrics bind address');
  return {
    logtoEndpoint: endpoint.replace(/\/+$/, ''),
    logtoPublicEndpoint: (get('logtoPublicEndpoint') ?? endpoint).replace(/\/+$/, ''),
    logtoResource: get('logtoResource')!,
    credentialsSecret,
    credentialsClientIdKey: get('credentialsClientIdKey')!,
    credentialsClientSecretKey: get('credentialsClientSecretKey')!,
    clientId,
    clientSecret,
    flagPolicy: flagPolicy(get),
    watchNamespaces: (get('watchNamespaces') ?? '')
      .split(',')
      .map((ns) => ns.trim())
      .filter(Boolean),
    concurrency: positiveInteger(get('concurrency')!, 'concurrency'),
    resyncPeriodMs: atLeast(parseDuration(get('resyncPeriod')!, 'resync period'), 1000, 'resync period'),
    ...sweepPeriod(get('sweepPeriod')),
    ...(get('clusterConnectionSelector')
      ? { clusterConnectionSelector: get('clusterConnectionSelector')! }
      : {}),
    minRotationPeriodMs: atLeast(
      parseDuration(get('minRotationPeriod')!, 'minimum rotation period'),
      1000,
      'minimum rotation period',
    ),
    logLevel: get('logLevel')!,
    requestTimeoutMs: parseDuration(get('requestTimeout')!, 'request timeout'),
    kubeRequestTimeoutMs: atLeast(
      parseDuration(get('kubeRequestTimeout')!, 'kube request timeout'),
      1000,
      'kube request timeout',
    ),
    shutdownTimeoutMs: parseDuration(get('shutdownTimeout')!, 'shutdown timeout'),
    listPageSize: positiveInteger(get('listPageSize')!, 'list page size'),
    clusterName: clusterName(get('clusterName') ?? ''),
    leaderElection: leaderElectionConfig(get, env, system),
    metricsBindAddress,
    ...metricsServing(get, metricsBindAddress),
    healthProbeBindAddress: parseBindAddress(get('healthProbeBindAddress')!, 'health probe bind address'),
  };
}
