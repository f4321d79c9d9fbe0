/**
 * One HTTP layer under every Kubernetes API client of the operator.
 *
 * `@kubernetes/client-node` 2.0.1 builds a new undici `Agent` for every request
 * (`KubeConfig.applySecurityAuthentication` → `createDispatcher`), so every call opened a new TLS
 * connection to the apiserver. Here the generated clients get their own configuration (the same
 * `KubeConfig` authenticates each request: tokens, exec plugins, impersonation), with:
 * - an `HttpLibrary` that sends through one keep-alive undici `Agent` per apiserver (connections
 *   capped), replacing the per-request dispatcher client-node sets;
 * - a timeout on every request, and the abort signal of the reconcile in progress (see
 *   `util/abort-scope.ts`) besides any signal the caller set on the request.
 *
 * Watches (client-node's `Watch`, which calls `fetch` itself) authenticate through the same layer and
 * get a second, uncapped keep-alive `Agent` with the same TLS settings: over HTTP/1.1 a watch holds
 * its connection for minutes, and sharing the capped pool would let watches starve requests. They have
 * no request timeout (the server ends them after `timeoutSeconds`; the informer's watchdog catches
 * silence).
 *
 * Both pools speak HTTP/1.1 only. undici 8 offers HTTP/2, which the apiserver accepts on TLS; there,
 * aborting requests whose body is still being sent (a reconcile cut short by lost leadership, a
 * timeout, shutdown) sent Node.js 24's HTTP/2 session into a loop inside `nghttp2_session_mem_send`
 * that packed DATA frames without end: the event loop stopped and the process grew by hundreds of
 * megabytes a second until the kernel refused it 32 GiB (`std::bad_alloc`). Sixteen concurrent
 * requests aborted after 0-8 ms reproduce it within seconds over HTTP/2 and never over HTTP/1.1
 * (test/integration/kube-client-aborts.test.ts). HTTP/1.1 also costs both sides less CPU per request.
 */
import {
  ApiException,
  Observable,
  RequestContext,
  ResponseContext,
  ServerConfiguration,
  Watch,
  createConfiguration,
  wrapHttpLibrary,
  type ApiConstructor,
  type ApiType,
  type Configuration,
  type ConfigurationOptions,
  type HttpMethod,
  type KubeConfig,
  type ObservableMiddleware,
  type PromiseHttpLibrary,
  type SecurityAuthentication,
} from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { Agent, ProxyAgent, request, type Dispatcher } from 'undici';
import { currentAbortSignal } from '../util/abort-scope.js';

export interface KubeClientOptions {
  /** Bound on one request, response body included (watches excluded). Default 30 s. */
  requestTimeoutMs?: number;
  /** Connections to the apiserver for requests (not watches). Default 16. */
  maxConnections?: number;
}

export const DEFAULT_KUBE_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_CONNECTIONS = 16;
/** As client-go: TCP keep-alive probes after 30 s idle (below common load-balancer idle timeouts). */
const TCP_KEEPALIVE_DELAY_MS = 30_000;
const USER_AGENT = 'logto-operator';

/** One request of {@link KubeClient.request}. */
export interface KubeRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Below the cluster's URL, each segment already encoded (see {@link kubePath}). */
  path: string;
  query?: Record<string, string | boolean | undefined>;
  /** Sent as JSON. */
  body?: unknown;
  /** The body's media type (a patch's kind); default application/json. */
  contentType?: string;
}

/** An API path from its segments, each encoded (an empty, `.` or `..` segment is refused). */
export function kubePath(...segments: string[]): string {
  for (const segment of segments)
    if (segment === '' || segment === '.' || segment === '..')
      throw new Error(`"${segment}" is not a segment of a Kubernetes API path`);
  return `/${segments.map(encodeURIComponent).join('/')}`;
}

/** A Kubernetes request that got no complete answer within the request timeout. */
export class KubeRequestTimeoutError extends Error {
  constructor(method: string, path: string, timeoutMs: number) {
    super(`Kubernetes ${method} ${path} got no answer within ${timeoutMs} ms`);
    this.name = 'KubeRequestTimeoutError';
  }
}

export class KubeClient {
  readonly kubeConfig: KubeConfig;
  readonly requestTimeoutMs: number;
  private readonly requests: Dispatcher;
  private readonly watches: Dispatcher;
  private readonly configuration: Configuration;
  private readonly http: BoundedHttpLibrary;
  private readonly server: string;
  private readonly requestAuthentication: SecurityAuthentication;
  private closed: Promise<void> | undefined;
  private lastAbandonedWriteAt: number | undefined;

  constructor(kubeConfig: KubeConfig, options: KubeClientOptions = {}) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.kubeConfig = kubeConfig;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_KUBE_REQUEST_TIMEOUT_MS;
    const tls = tlsOptions(kubeConfig);
    this.requests = dispatcher(kubeConfig, tls, options.maxConnections ?? DEFAULT_MAX_CONNECTIONS);
    this.watches = dispatcher(kubeConfig, tls, undefined);
    this.http = new BoundedHttpLibrary(this.requestTimeoutMs, () => (this.lastAbandonedWriteAt = Date.now()));
    this.server = cluster.server.replace(/\/+$/, '');
    this.requestAuthentication = this.authentication(this.requests);
    this.configuration = createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: this.requestAuthentication },
      httpApi: wrapHttpLibrary(this.http),
    });
  }

  /**
   * One request answered with JSON, on the connections, authentication, timeout and abort signal of
   * the generated clients, without their per-call machinery: request factory, middleware chain, and
   * the ObjectSerializer's walk of every answer into model classes (the largest single cost of the
   * operator's own code in a burst's CPU profile). For the calls every reconcile makes. An answer
   * other than 2xx throws client-node's ApiException, as the generated clients do, with the
   * apiserver's Status as its body.
   */
  async request<T>(request: KubeRequest): Promise<T> {
    const context = new RequestContext(`${this.server}${request.path}`, request.method as HttpMethod);
    for (const [name, value] of Object.entries(request.query ?? {}))
      if (value !== undefined) context.setQueryParam(name, String(value));
    context.setHeaderParam('Accept', 'application/json');
    if (request.body !== undefined) {
      context.setHeaderParam('Content-Type', request.contentType ?? 'application/json');
      context.setBody(JSON.stringify(request.body));
    }
    await this.requestAuthentication.applySecurityAuthentication(context);
    const response = await this.http.send(context);
    const text = await response.body.text();
    const { httpStatusCode: code } = response;
    if (code >= 200 && code < 300) {
      try {
        return (text ? JSON.parse(text) : undefined) as T;
      } catch {
        // Not the parser's message: it quotes the text, which may be a Secret's.
        throw new Error(`Kubernetes ${request.method} ${request.path}: the answer is not JSON`);
      }
    }
    let status: unknown = text;
    try {
      status = JSON.parse(text);
    } catch {
      // Not JSON (a proxy's page): kept as text.
    }
    throw new ApiException(code, `${request.method} ${request.path}`, status, response.headers);
  }

  /** A generated API client (CoreV1Api, CustomObjectsApi, ...) on the shared connections. */
  api<T extends ApiType>(type: ApiConstructor<T>): T {
    return new type(this.configuration);
  }

  /**
   * Whether a write got no answer (timed out, aborted, connection lost) within the last `ms`: the
   * apiserver may still apply it, so a successor should not be invited to start at once.
   */
  abandonedWriteWithin(ms: number): boolean {
    return this.lastAbandonedWriteAt !== undefined && Date.now() - this.lastAbandonedWriteAt < ms;
  }

  /** A client-node `Watch` on the watch connections, authenticated as the API clients. */
  watch(): Watch {
    const { kubeConfig } = this;
    const authentication = this.authentication(this.watches);
    // Watch uses only these two methods of its KubeConfig.
    const view: Pick<KubeConfig, 'getCurrentCluster' | 'applySecurityAuthentication'> = {
      getCurrentCluster: () => kubeConfig.getCurrentCluster(),
      applySecurityAuthentication: async (context) => authentication.applySecurityAuthentication(context),
    };
    return new Watch(view as KubeConfig);
  }

  /** Closes every connection, cutting requests still waiting (a hung apiserver) short. */
  close(): Promise<void> {
    this.closed ??= Promise.all([this.requests.destroy(), this.watches.destroy()]).then(
      () => undefined,
      () => undefined,
    );
    return this.closed;
  }

  private authentication(pool: Dispatcher): SecurityAuthentication {
    const { kubeConfig } = this;
    return {
      getName: () => 'kubeconfig authentication on pooled connections',
      async applySecurityAuthentication(context: RequestContext) {
        // Headers (bearer token, exec plugin, basic auth, impersonation) as client-node sets them;
        // the dispatcher it builds for this one request is replaced by the pool.
        await kubeConfig.applySecurityAuthentication(context);
        context.setDispatcher(pool);
        context.setHeaderParam('User-Agent', USER_AGENT);
      },
    };
  }
}

/**
 * client-node's `IsomorphicFetchHttpLibrary`, with a timeout and the reconcile's abort signal, over
 * undici's `request` rather than `fetch`: no WHATWG streams, `Headers` or `Response` objects per call
 * (fetch's cost showed in the operator's CPU profile under a burst), and no `Accept-Encoding`, so the
 * apiserver does not gzip large lists for a client one hop away that would only unzip them again.
 */
class BoundedHttpLibrary implements PromiseHttpLibrary {
  constructor(
    private readonly timeoutMs: number,
    private readonly onAbandonedWrite: () => void,
  ) {}

  async send(context: RequestContext): Promise<ResponseContext> {
    const method = context.getHttpMethod().toString() as Dispatcher.HttpMethod;
    const url = context.getUrl();
    const timeout = new AbortController();
    const timer = setTimeout(
      () => timeout.abort(new KubeRequestTimeoutError(method, new URL(url).pathname, this.timeoutMs)),
      this.timeoutMs,
    );
    const signals = [timeout.signal, context.getSignal(), currentAbortSignal()].filter(
      (signal): signal is AbortSignal => signal !== undefined,
    );
    const signal = signals.length === 1 ? signals[0]! : AbortSignal.any(signals);
    try {
      const response = await request(url, {
        method,
        body: context.getBody() as string | undefined,
        headers: context.getHeaders(),
        signal,
        dispatcher: context.getDispatcher() as Dispatcher | undefined,
      }).catch((error: unknown) => {
        // No answer: the apiserver may have the request and still apply it.
        if (method !== 'GET') this.onAbandonedWrite();
        throw error;
      });
      // Read the body under the same bound: a server can stall after the headers too.
      const body = Buffer.from(await response.body.arrayBuffer());
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      return new ResponseContext(response.statusCode, headers, {
        text: () => Promise.resolve(body.toString('utf8')),
        binary: () => Promise.resolve(body),
        stream: () => null,
      });
    } catch (error) {
      throw signal.aborted ? (signal.reason as Error) : error;
    } finally {
      clearTimeout(timer);
    }
  }
}

type TlsOptions = Pick<
  RequestOptions,
  'ca' | 'cert' | 'key' | 'pfx' | 'passphrase' | 'rejectUnauthorized' | 'servername'
>;

/** The TLS settings of the current cluster and user, read once (as client-go's rest.Config). */
function tlsOptions(kubeConfig: KubeConfig): TlsOptions {
  const cluster = kubeConfig.getCurrentCluster();
  const user = kubeConfig.getCurrentUser();
  const read = (file: string | undefined, data: string | undefined): Buffer | undefined =>
    file ? readFileSync(file) : data ? Buffer.from(data, 'base64') : undefined;
  const options: TlsOptions = {};
  const ca = read(cluster?.caFile, cluster?.caData);
  const cert = read(user?.certFile, user?.certData);
  const key = read(user?.keyFile, user?.keyData);
  if (ca) options.ca = ca;
  if (cert) options.cert = cert;
  if (key) options.key = key;
  if (cluster?.skipTLSVerify) options.rejectUnauthorized = false;
  if (cluster?.tlsServerName) options.servername = cluster.tlsServerName;
  return options;
}

/**
 * A keep-alive pool to the current cluster: direct, or through its proxy (client-node's own proxy
 * dispatcher for SOCKS, built once).
 */
function dispatcher(kubeConfig: KubeConfig, tls: TlsOptions, connections: number | undefined): Dispatcher {
  const cluster = kubeConfig.getCurrentCluster();
  const pool = {
    ...(connections === undefined ? {} : { connections }),
    allowH2: false, // see the module comment
  };
  const options = kubeConfig.createDispatcherOptions(cluster, tls);
  switch (options.type) {
    case 'proxy':
      return new ProxyAgent({
        uri: options.uri,
        requestTls: options.requestTls,
        connect: options.connect,
        ...pool,
      });
    case 'socks':
      throw new Error('a SOCKS proxy for the apiserver is not supported');
    case 'agent':
      return new Agent({ connect: options.connect, ...pool });
    case 'none':
      return new Agent({
        connect: { keepAlive: true, keepAliveInitialDelay: TCP_KEEPALIVE_DELAY_MS },
        ...pool,
      });
  }
}

/** Per-call options of a generated API method that cancel its HTTP request when `signal` aborts. */
export function withRequestSignal(signal: AbortSignal): ConfigurationOptions {
  const middleware: ObservableMiddleware = {
    pre: (context) => {
      context.setSignal(signal);
      return new Observable(Promise.resolve(context));
    },
    post: (context) => new Observable(Promise.resolve(context)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}

/** `kube` itself, or a client with default settings over a bare KubeConfig (tests, tools). */
export function toKubeClient(kube: KubeConfig | KubeClient): KubeClient {
  return kube instanceof KubeClient ? kube : new KubeClient(kube);
}
