/**
 * Everything the operator holds for one Logto tenant: the HTTP client (with its CA bundle and
 * timeout), the token provider over the connection's credentials, the Logto client with its
 * directory cache and retry state, and the policy. One per connection, so that tenants never share
 * a token, a cache or a backoff.
 */
import { LogtoClient } from '../api/client.js';
import { ClientCredentialsTokenProvider, type ClientCredentials } from '../api/token-provider.js';
import { createHttpClient, LogtoTransport, type RequestEvent } from '../api/transport.js';
import { ConnectionHealth, type PassPool } from './health.js';
import type { ConnectionPolicy } from '../crd/logto-connection.js';
import type { Logger } from '../log.js';

export interface ConnectionSettings {
  /** `ClusterLogtoConnection/<name>`, `LogtoConnection/<namespace>/<name>` or `flags`. */
  key: string;
  endpoint: string;
  publicEndpoint: string;
  managementApiResource: string;
  requestTimeoutMs: number;
  caBundle?: string;
  credentials: () => Promise<ClientCredentials>;
  policy: ConnectionPolicy | undefined;
  /**
   * The endpoint was chosen by a namespace user (a LogtoConnection), not by a cluster administrator:
   * its answers' own text stays out of conditions and events.
   */
  namespaceChosen?: boolean;
  /** At most `perConnection` passes at once, taken also from the shared `pool`; unlimited if unset. */
  passLimits?: { perConnection: number; pool: PassPool };
}

export interface ConnectionRuntimeOptions {
  logger: Logger;
  onLogtoRequest?: (event: RequestEvent) => void;
  /** The clock of the connection's breaker (tests move it on instead of waiting). */
  healthClock?: () => number;
}

export class ConnectionRuntime {
  readonly tokens: ClientCredentialsTokenProvider;
  readonly logto: LogtoClient;
  /** How the endpoint has been answering: breaker, Retry-After, pass slots. */
  readonly health: ConnectionHealth;
  private lastClientId: string | undefined;

  constructor(
    readonly settings: ConnectionSettings,
    options: ConnectionRuntimeOptions,
  ) {
    const http = createHttpClient({
      requestTimeoutMs: settings.requestTimeoutMs,
      ...(settings.caBundle ? { caBundle: settings.caBundle } : {}),
    });
    const limits = settings.passLimits;
    this.health = new ConnectionHealth({
      ...(limits ? { maxPasses: limits.perConnection, pool: limits.pool } : {}),
      ...(options.healthClock ? { now: options.healthClock } : {}),
    });
    const bounds = {
      requestTimeoutMs: settings.requestTimeoutMs,
      health: this.health,
      trustedText: !settings.namespaceChosen,
    };
    this.tokens = new ClientCredentialsTokenProvider({
      ...bounds,
      endpoint: settings.endpoint,
      resource: settings.managementApiResource,
      credentials: async () => {
        const credentials = await settings.credentials();
        this.lastClientId = credentials.clientId;
        return credentials;
      },
      http,
    });
    const { onLogtoRequest } = options;
    const transport = new LogtoTransport({
      ...bounds,
      endpoint: settings.endpoint,
      tokens: this.tokens,
      http,
      logger: options.logger.child({ component: 'logto', connection: settings.key }),
      ...(onLogtoRequest
        ? { onRequest: (event) => onLogtoRequest({ ...event, connection: settings.key }) }
        : {}),
    });
    this.logto = new LogtoClient(transport);
  }

  get key(): string {
    return this.settings.key;
  }

  get policy(): ConnectionPolicy | undefined {
    return this.settings.policy;
  }

  /** The id of the machine-to-machine application the connection acts as (its client id). */
  async applicationId(): Promise<string> {
    return this.lastClientId ?? (await this.settings.credentials()).clientId;
  }

  /** The credentials changed: the next call fetches a token with the new ones. */
  credentialsChanged(): void {
    this.lastClientId = undefined;
    this.tokens.forget();
  }
}
