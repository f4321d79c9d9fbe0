import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  isLoopback,
  loadConfig,
  parseBindAddress,
  parseBoolean,
  parseConsentResourceScopes,
  type ConfigSystem,
} from '../../../src/config.js';

const required = {
  LOGTO_ENDPOINT: 'http://logto:3001',
  LOGTO_CLIENT_ID: 'id',
  LOGTO_CLIENT_SECRET: 'secret',
};
const system: ConfigSystem = {
  hostname: () => 'host-1',
  inClusterNamespace: () => undefined,
  randomSuffix: () => 'abcd1234',
};
const load = (argv: string[] = [], env: Record<string, string> = {}, sys: Partial<ConfigSystem> = {}) =>
  loadConfig(argv, { ...required, ...env }, { ...system, ...sys });

describe('production settings', () => {
  it('defaults: leader election on, 15s/10s/2s, metrics on :8443, probes on :8081', () => {
    const config = load();
    expect(config.leaderElection).toEqual({
      enabled: true,
      namespace: 'default',
      name: 'logto-operator-leader',
      identity: 'host-1_abcd1234',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
    });
    expect(config.metricsBindAddress).toEqual({ host: undefined, port: 8443 });
    expect(config.healthProbeBindAddress).toEqual({ host: undefined, port: 8081 });
    expect(config.metricsSecure).toBe(true);
    expect(config.metricsCertDir).toBeUndefined();
  });

  it('reads every leader election flag, and the same settings from the environment', () => {
    const flags = load([
      '--leader-elect=false',
      '--leader-election-namespace=ops',
      '--leader-election-id=my-lock',
      '--lease-duration=3s',
      '--renew-deadline=2s',
      '--retry-period=500ms',
    ]);
    const env = load([], {
      LEADER_ELECT: 'false',
      LEADER_ELECTION_NAMESPACE: 'ops',
      LEADER_ELECTION_ID: 'my-lock',
      LEASE_DURATION: '3s',
      RENEW_DEADLINE: '2s',
      RETRY_PERIOD: '0.5s',
    });
    for (const config of [flags, env]) {
      expect(config.leaderElection).toMatchObject({
        enabled: false,
        namespace: 'ops',
        name: 'my-lock',
        leaseDurationMs: 3_000,
        renewDeadlineMs: 2_000,
        retryPeriodMs: 500,
      });
    }
    // Flags win over the environment.
    expect(load(['--leader-elect'], { LEADER_ELECT: 'false' }).leaderElection.enabled).toBe(true);
  });

  it('takes the namespace from POD_NAMESPACE, else the in-cluster file; the identity from POD_NAME', () => {
    expect(load([], {}, { inClusterNamespace: () => 'from-file' }).leaderElection.namespace).toBe(
      'from-file',
    );
    const config = load(
      [],
      { POD_NAMESPACE: 'from-env', POD_NAME: 'op-7d9-x2' },
      { inClusterNamespace: () => 'f' },
    );
    expect(config.leaderElection).toMatchObject({ namespace: 'from-env', identity: 'op-7d9-x2' });
  });

  it('refuses timings where the leader could outlive its lease', () => {
    expect(() => load(['--renew-deadline=15s'])).toThrow(/renew deadline/);
    expect(() => load(['--retry-period=10s'])).toThrow(/retry period/);
    expect(() => load(['--lease-duration=500ms', '--renew-deadline=400ms', '--retry-period=100ms'])).toThrow(
      /at least 1s/,
    );
    expect(() => load(['--leader-elect=maybe'])).toThrow(ConfigError);
    // A boolean flag takes its value after `=`, as Go's flags do.
    expect(() => load(['--leader-elect', 'false'])).toThrow();
  });

  it('parses bind addresses; 0 disables a server', () => {
    expect(load(['--metrics-bind-address=0']).metricsBindAddress).toBeUndefined();
    expect(load([], { HEALTH_PROBE_BIND_ADDRESS: '127.0.0.1:0' }).healthProbeBindAddress).toEqual({
      host: '127.0.0.1',
      port: 0,
    });
    expect(parseBindAddress('[::1]:9090', 'x')).toEqual({ host: '::1', port: 9090 });
    expect(parseBindAddress('localhost:8081', 'x')).toEqual({ host: 'localhost', port: 8081 });
    for (const bad of ['8080', ':99999', 'host:', 'a:b:1']) {
      expect(() => parseBindAddress(bad, 'x')).toThrow(ConfigError);
    }
  });

  it('serves metrics securely unless told otherwise, and plain HTTP only on loopback', () => {
    expect(load(['--metrics-cert-dir=/certs'])).toMatchObject({
      metricsSecure: true,
      metricsCertDir: '/certs',
    });
    expect(load([], { METRICS_CERT_DIR: '/certs' }).metricsCertDir).toBe('/certs');
    for (const address of ['127.0.0.1:8080', '127.1.2.3:0', '[::1]:8080', 'localhost:8080']) {
      expect(load(['--metrics-secure=false', `--metrics-bind-address=${address}`]).metricsSecure).toBe(false);
    }
    expect(load(['--metrics-secure=false', '--metrics-bind-address=0']).metricsSecure).toBe(false);
    for (const address of [':8080', '0.0.0.0:8080', '10.0.0.1:8080', '[::]:8080', 'example.com:8080']) {
      expect(() => load([], { METRICS_SECURE: 'false', METRICS_BIND_ADDRESS: address })).toThrow(
        /only allowed on a loopback metrics bind address/,
      );
    }
    expect(() =>
      load(['--metrics-secure=false', '--metrics-bind-address=127.0.0.1:8080', '--metrics-cert-dir=/c']),
    ).toThrow(/only used with --metrics-secure=true/);
    expect(() => load(['--metrics-secure=sometimes'])).toThrow(ConfigError);
    expect(isLoopback({ host: '127.0.0.1', port: 1 })).toBe(true);
    expect(isLoopback({ host: '1270.0.0.1', port: 1 })).toBe(false);
    expect(isLoopback({ host: undefined, port: 1 })).toBe(false);
  });

  it('understands Go boolean spellings', () => {
    expect(['1', 't', 'TRUE', 'True'].map((v) => parseBoolean(v, 'x'))).toEqual([true, true, true, true]);
    expect(['0', 'f', 'FALSE', 'false'].map((v) => parseBoolean(v, 'x'))).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});

describe('--list-page-size', () => {
  it('defaults to 500 and is read from the flag or LIST_PAGE_SIZE', () => {
    expect(load().listPageSize).toBe(500);
    expect(load(['--list-page-size', '50']).listPageSize).toBe(50);
    expect(load([], { LIST_PAGE_SIZE: '20' }).listPageSize).toBe(20);
  });

  it.each(['0', '-5', 'ten', '2.5'])('rejects %s', (value) => {
    expect(() => load([`--list-page-size=${value}`])).toThrow(ConfigError);
  });
});

describe('--cluster-name', () => {
  it('is empty unless set, and must be a DNS label', () => {
    expect(load().clusterName).toBe('');
    expect(load(['--cluster-name', 'prod-eu']).clusterName).toBe('prod-eu');
    expect(load([], { CLUSTER_NAME: 'staging' }).clusterName).toBe('staging');
    for (const bad of ['Prod', 'prod_eu', '-prod', 'a'.repeat(64)])
      expect(() => load([`--cluster-name=${bad}`]), bad).toThrow(ConfigError);
  });
});

describe('--sweep-period', () => {
  it('is unset (the resync period) unless given; 0 turns the sweep off', () => {
    expect(load().sweepPeriodMs).toBeUndefined();
    expect(load(['--sweep-period', '30m']).sweepPeriodMs).toBe(30 * 60_000);
    expect(load([], { SWEEP_PERIOD: '45s' }).sweepPeriodMs).toBe(45_000);
    expect(load(['--sweep-period=0']).sweepPeriodMs).toBe(0);
  });

  it.each(['soon', '500ms', '-1s'])('rejects %s', (value) => {
    expect(() => load([`--sweep-period=${value}`])).toThrow(ConfigError);
  });
});

const NOTHING_ADOPTED = { roleNames: [], apiResourceIndicators: [] };
const NO_CONSENT_SCOPES = { resources: [], organizationScopes: [] };

describe("the flag-configured connection's policy", () => {
  it('is secure by default: no Management API roles, no adoption, no undeclared roles or consent scopes', () => {
    expect(load().flagPolicy).toEqual({
      roles: { allowManagementApiRoles: false, allowed: [] },
      consentScopes: NO_CONSENT_SCOPES,
      adoption: {
        applicationIds: [],
        namePatterns: [],
        allowManagementApiApplications: false,
        ...NOTHING_ADOPTED,
      },
    });
  });

  it('is loosened by flags or the environment', () => {
    expect(
      load(['--allow-management-api-roles', '--adoption-name-patterns', 'legacy-*, old-*'], {
        ADOPTION_APPLICATION_IDS: 'a1,a2',
        ALLOW_MANAGEMENT_API_APPLICATION_ADOPTION: 'true',
      }).flagPolicy,
    ).toEqual({
      roles: { allowManagementApiRoles: true, allowed: [] },
      consentScopes: NO_CONSENT_SCOPES,
      adoption: {
        applicationIds: ['a1', 'a2'],
        namePatterns: ['legacy-*', 'old-*'],
        allowManagementApiApplications: true,
        ...NOTHING_ADOPTED,
      },
    });
    expect(() => load(['--allow-management-api-roles=maybe'])).toThrow(ConfigError);
  });

  it('lists undeclared roles and consent scopes, and roles and API resources to adopt, from flags', () => {
    const policy = load([
      '--allowed-roles=orders-reader, Legacy role ,r1a2',
      '--allowed-consent-resource-scopes',
      'https://api.example.com#read:orders,https://api.example.com#write:orders,urn:billing#*',
      '--allowed-consent-organization-scopes=read:members,write:members',
      '--adoption-role-names=legacy-*',
      '--adoption-api-resource-indicators',
      'https://legacy.example.com/*,urn:old:*',
    ]).flagPolicy;
    expect(policy).toEqual({
      roles: { allowManagementApiRoles: false, allowed: ['orders-reader', 'Legacy role', 'r1a2'] },
      consentScopes: {
        resources: [
          { indicator: 'https://api.example.com', scopes: ['read:orders', 'write:orders'] },
          { indicator: 'urn:billing' },
        ],
        organizationScopes: ['read:members', 'write:members'],
      },
      adoption: {
        applicationIds: [],
        namePatterns: [],
        allowManagementApiApplications: false,
        roleNames: ['legacy-*'],
        apiResourceIndicators: ['https://legacy.example.com/*', 'urn:old:*'],
      },
    });
  });

  it('reads the same settings from the environment; flags win', () => {
    const env = {
      ALLOWED_ROLES: 'from-env',
      ALLOWED_CONSENT_RESOURCE_SCOPES: 'https://api.example.com#read',
      ALLOWED_CONSENT_ORGANIZATION_SCOPES: 'read:members',
      ADOPTION_ROLE_NAMES: 'env-*',
      ADOPTION_API_RESOURCE_INDICATORS: 'https://env.example.com',
    };
    expect(load([], env).flagPolicy).toMatchObject({
      roles: { allowed: ['from-env'] },
      consentScopes: {
        resources: [{ indicator: 'https://api.example.com', scopes: ['read'] }],
        organizationScopes: ['read:members'],
      },
      adoption: { roleNames: ['env-*'], apiResourceIndicators: ['https://env.example.com'] },
    });
    expect(load(['--allowed-roles=from-flag'], env).flagPolicy?.roles?.allowed).toEqual(['from-flag']);
  });

  it('refuses a consent resource scope without #, with a message that shows the format', () => {
    for (const bad of [
      'https://api.example.com',
      '#read',
      'https://api.example.com#',
      'https://a#read, urn:x',
    ]) {
      expect(() => load([`--allowed-consent-resource-scopes=${bad}`]), bad).toThrow(ConfigError);
    }
    expect(() => load([], { ALLOWED_CONSENT_RESOURCE_SCOPES: 'https://api.example.com' })).toThrow(
      'allowed consent resource scopes: "https://api.example.com" is not <indicator>#<scope> ' +
        '(e.g. https://api.example.com#read:orders, or https://api.example.com#* for every scope of it)',
    );
  });
});

describe('<indicator>#<scope> entries', () => {
  it('merge per indicator in the order first seen, without duplicates', () => {
    expect(parseConsentResourceScopes('https://a#x, https://b#y ,https://a#z,https://a#x', 'w')).toEqual([
      { indicator: 'https://a', scopes: ['x', 'z'] },
      { indicator: 'https://b', scopes: ['y'] },
    ]);
  });

  it('# followed by * allows every scope, before or after named ones', () => {
    expect(parseConsentResourceScopes('https://a#x,https://a#*,https://b#*,https://b#y', 'w')).toEqual([
      { indicator: 'https://a' },
      { indicator: 'https://b' },
    ]);
  });

  it('split at the first #: indicators never hold one, a scope name may', () => {
    expect(parseConsentResourceScopes('urn:orders#read#all', 'w')).toEqual([
      { indicator: 'urn:orders', scopes: ['read#all'] },
    ]);
  });

  it('are none when empty', () => {
    expect(parseConsentResourceScopes('', 'w')).toEqual([]);
    expect(parseConsentResourceScopes(undefined, 'w')).toEqual([]);
    expect(parseConsentResourceScopes(' , ', 'w')).toEqual([]);
  });
});
