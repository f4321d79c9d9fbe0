// The Logto Management API emulator: an HTTP server on loopback over an in-memory tenant.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { inspect } from 'node:util';

import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

import { defaultManagementApiIndicator } from '../../src/api/schemas.js';
import { authenticate, expireAllTokens } from './auth.js';
import { CallRecorder, type CallRecord } from './calls.js';
import { SystemClock, type Clock } from './clock.js';
import { controlPrefix, handleControl } from './control-routes.js';
import { ApiError } from './errors.js';
import { FaultInjector, mangleReply, type MangleMode } from './faults.js';
import { guard } from './guard.js';
import { errorReply, parseJson, readBody, writeRawReply, writeReply, type Reply } from './http.js';
import { newId, newSecretValue } from './ids.js';
import { defaultSecretName } from './records.js';
import { Router } from './router.js';
import type { EmulatorConfig, EmulatorCore } from './routes/context.js';
import { routes } from './routes/index.js';
import { Seeder, type SeedSpec } from './seed.js';
import { EmulatorState } from './state.js';

export interface OperatorOptions {
  clientId?: string;
  clientSecret?: string;
  name?: string;
  /** Give the operator app the "Logto Management API access" role (default true). */
  withManagementRole?: boolean;
}

export interface LogtoEmulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Default `default` (the OSS tenant). */
  tenantId?: string;
  /** Default `https://default.logto.app/api`. */
  resourceIndicator?: string;
  /** Enables Protected apps and custom domains (otherwise 501): apps get `<subDomain>.<domain>`. */
  protectedApps?: { domain: string };
  /** Default: wall-clock time with an adjustable offset. */
  clock?: Clock;
  /** Source of randomness of fault probabilities (default Math.random). */
  random?: () => number;
  /** Default 3600. */
  tokenTtlSeconds?: number;
  /** The seeded machine-to-machine app the operator authenticates as. */
  operator?: OperatorOptions;
  /** More data, seeded at start and again after every `reset()`. */
  seed?: SeedSpec | ((seeder: Seeder) => void);
}

/** The operator app's client credentials; the secret is left out when printed or serialized. */
export class OperatorCredentials {
  constructor(
    readonly clientId: string,
    readonly clientSecret: string,
  ) {}

  toJSON() {
    return { clientId: this.clientId, clientSecret: '[redacted]' };
  }

  [inspect.custom]() {
    return `OperatorCredentials { clientId: '${this.clientId}', clientSecret: [redacted] }`;
  }
}

export class LogtoEmulator {
  readonly state: EmulatorState;
  readonly clock: Clock;
  readonly faults: FaultInjector;
  readonly calls = new CallRecorder();
  readonly seed: Seeder;
  readonly credentials: OperatorCredentials;
  private readonly core: EmulatorCore;
  private readonly config: EmulatorConfig;
  private readonly router = new Router(routes);
  private readonly server: Server;

  constructor(private readonly options: LogtoEmulatorOptions = {}) {
    this.clock = options.clock ?? new SystemClock();
    this.state = new EmulatorState(options.tenantId ?? 'default');
    this.faults = new FaultInjector(options.random);
    this.config = {
      tenantId: this.state.tenantId,
      resourceIndicator: options.resourceIndicator ?? defaultManagementApiIndicator,
      protectedAppDomain: options.protectedApps?.domain,
      tokenTtlSeconds: options.tokenTtlSeconds ?? 3600,
      endpoint: '',
    };
    this.core = { state: this.state, clock: this.clock, config: this.config, signingKey: randomBytes(32) };
    this.seed = new Seeder(this.core);
    this.credentials = new OperatorCredentials(
      options.operator?.clientId ?? newId(),
      options.operator?.clientSecret ?? newSecretValue(),
    );
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        console.error('[logto-emulator] unexpected failure', error);
        if (!res.headersSent) writeReply(res, { status: 500, body: { message: 'Internal server error.' } });
        else res.destroy();
      });
    });
    this.bootstrap();
  }

  /** `http://127.0.0.1:<port>`: the Logto endpoint (`/oidc/token`, `/api/...`). */
  get endpoint(): string {
    return this.config.endpoint;
  }

  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? 0;
  }

  get resourceIndicator(): string {
    return this.config.resourceIndicator;
  }

  async listen(): Promise<this> {
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.config.endpoint = `http://${host}:${this.port}`;
    return this;
  }

  async close(): Promise<void> {
    this.faults.lateCommits.cancel();
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve, reject) =>
      this.server.close((error) => (error ? reject(error) : resolve())),
    );
    this.server.closeAllConnections();
    await closed;
  }

  /** Every access token issued so far is expired from now on (API calls with it answer 401). */
  expireTokens(): void {
    expireAllTokens(this.core);
  }

  /** Back to the seeded tenant: data, faults and call records; issued tokens stay valid. */
  reset(): void {
    this.state.clear();
    this.faults.clear();
    this.calls.clear();
    this.bootstrap();
  }

  private bootstrap(): void {
    const { role } = this.seed.managementApi();
    const operator = this.options.operator ?? {};
    this.seed.application({
      id: this.credentials.clientId,
      name: operator.name ?? 'Logto operator',
      type: 'MachineToMachine',
      description: 'Machine-to-machine app of the logto-operator (emulator seed)',
      secrets: [{ name: defaultSecretName, value: this.credentials.clientSecret }],
      roleIds: operator.withManagementRole === false ? [] : [role.id],
    });
    const { seed } = this.options;
    if (typeof seed === 'function') seed(this.seed);
    else if (seed) this.seed.apply(seed);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const timestamp = this.clock.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const path = url.pathname;

    if (path.startsWith(controlPrefix)) {
      const raw = await readBody(req).catch((error: unknown) => error);
      writeReply(
        res,
        this.guard(() => {
          if (!Buffer.isBuffer(raw)) throw raw;
          return handleControl(this, method, path, url.searchParams, raw);
        }),
      );
      return;
    }

    const match = this.router.match(method, path);
    const route = match?.route.path ?? path;
    const decision = this.faults.decide(method, route, path);
    const fault: CallRecord['fault'] =
      decision.source === 'outage'
        ? 'outage'
        : (decision.failure?.kind ??
          (decision.commitLate ? 'late-commit' : decision.latencyMs > 0 ? 'latency' : undefined));
    // Set once a mangled answer replaces the real one.
    let mangled: MangleMode | undefined;
    const record = (status: number) =>
      this.calls.record({
        method,
        route,
        ...(match?.route.operation ? { operation: match.route.operation } : {}),
        path,
        status,
        timestamp,
        durationMs: performance.now() - started,
        ...(mangled ? { fault: 'mangled' as const, mangled } : fault ? { fault } : {}),
      });

    if (decision.latencyMs > 0) await sleep(decision.latencyMs);
    if (decision.failure?.kind === 'reset') {
      record(0);
      req.socket.destroy();
      return;
    }
    res.once('finish', () => record(res.statusCode));
    const raw = await readBody(req).catch((error: unknown) => error);
    if (decision.failure?.kind === 'rate-limit') {
      const retryAfter = String(decision.failure.retryAfterSeconds);
      writeReply(res, {
        status: 429,
        body: { code: 'request.too_many_requests', message: 'Too many requests.' },
        headers: { 'Retry-After': retryAfter },
      });
      return;
    }
    if (decision.failure?.kind === 'status') {
      const { status } = decision.failure;
      writeReply(res, {
        status,
        body: {
          code: status === 503 ? 'request.service_unavailable' : 'unknown',
          message: 'Injected failure.',
        },
      });
      return;
    }

    const produce = () =>
      this.guard(() => {
        if (!Buffer.isBuffer(raw)) throw raw;
        // Like Logto, authentication comes before routing and validation under /api.
        if (match?.route.auth ?? path.startsWith('/api/')) authenticate(this.core, req.headers.authorization);
        if (!match) throw new ApiError(404, 'route.not_found', `No route for ${method} ${path}.`);
        const context = {
          core: this.core,
          params: match.params,
          query: url.searchParams,
          body: undefined as unknown,
          rawBody: raw,
          headers: req.headers,
        };
        match.route.precheck?.(context);
        if (match.route.request) context.body = validated(match.route.request, parseJson(raw));
        return match.route.handle(context);
      });
    if (decision.commitLate) {
      const { afterMs, answer } = decision.commitLate;
      this.faults.lateCommits.schedule(() => {
        rememberCredentials(produce().body, this.state.credentialsAnswered);
      }, afterMs);
      if (answer === 504) return writeReply(res, { status: 504 });
      res.removeAllListeners('finish');
      record(0);
      req.socket.destroy();
      return;
    }
    const reply = produce();
    // The effect is committed by now; these faults only keep the outcome from the client.
    if (decision.holdAnswerMs) await sleep(decision.holdAnswerMs);
    if (decision.dropAnswer) {
      res.removeAllListeners('finish');
      record(0);
      req.socket.destroy();
      return;
    }
    // Whatever reaches the client, the real answer's credentials count as answered (for leak scans).
    rememberCredentials(reply.body, this.state.credentialsAnswered);
    const mangledReply = decision.mangle && mangleReply(reply, decision.mangle);
    if (mangledReply) {
      mangled = decision.mangle;
      writeRawReply(res, mangledReply);
      return;
    }
    writeReply(res, reply);
  }

  private guard(produce: () => Reply): Reply {
    try {
      return produce();
    } catch (error) {
      if (error instanceof ApiError) return errorReply(error);
      console.error('[logto-emulator] handler failure', error);
      return { status: 500, body: { message: 'Internal server error.' } };
    }
  }
}

/** Checks a JSON body (absent = `{}`, like koa-body) and drops the fields the schema does not know. */
const validated = (schema: TSchema, value: unknown): unknown => {
  const body = value ?? {};
  guard('body', schema, body);
  return Value.Clean(schema, Value.Clone(body));
};

/** Collects credential values from an answer: secrets (`value` of a secret), `secret`, `access_token`. */
const rememberCredentials = (body: unknown, into: Set<string>): void => {
  if (Array.isArray(body)) {
    for (const item of body) rememberCredentials(item, into);
    return;
  }
  if (!body || typeof body !== 'object') return;
  const record = body as Record<string, unknown>;
  const isSecret = typeof record.applicationId === 'string' && typeof record.name === 'string';
  for (const [key, value] of Object.entries(record)) {
    if (
      typeof value === 'string' &&
      (key === 'secret' || key === 'access_token' || (isSecret && key === 'value'))
    ) {
      into.add(value);
    } else if (value && typeof value === 'object') {
      rememberCredentials(value, into);
    }
  }
};

export const startLogtoEmulator = async (options: LogtoEmulatorOptions = {}): Promise<LogtoEmulator> =>
  new LogtoEmulator(options).listen();
