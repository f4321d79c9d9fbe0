// Fault injection: latency, 500/503 errors, 429 with Retry-After, connection resets, answers lost
// or mangled after the commit, commits that land late, per route or for everything (outage). Rules
// match a method and a path pattern.
import type { RawReply, Reply } from './http.js';

/** How a mangled answer replaces the real one (the request was handled, its effect committed). */
export const mangleModes = ['truncate', 'invalid-json', 'wrong-types', 'html-502'] as const;
export type MangleMode = (typeof mangleModes)[number];

export interface FaultRule {
  /** HTTP method; any when absent. */
  method?: string;
  /**
   * A route template (`/api/applications/{id}/secrets`, matching every id) or a glob over the
   * concrete path (`*` one segment, `**` any number). Any path when absent.
   */
  path?: string;
  /** Delay before the request is handled (or failed). */
  latencyMs?: number;
  /** Answer this server error instead of handling the request. */
  status?: 500 | 503;
  /** Answer 429 with this `Retry-After` (seconds). */
  retryAfterSeconds?: number;
  /** Destroy the connection without answering. */
  reset?: boolean;
  /**
   * After the request was handled (its effect committed), hold the answer this long: a client that
   * dies meanwhile never learns the outcome of a call that did happen.
   */
  holdAnswerMs?: number;
  /** Handle the request (commit its effect), then destroy the connection instead of answering. */
  dropAnswer?: boolean;
  /**
   * Accept the request, lose its answer (see `lateAnswer`), and handle it (commit its effect) only
   * this long after: a slow server behind a proxy that gave up. Until then lists and reads do not
   * show its effect. `POST /__emulator/late-commits` commits every waiting request at once.
   */
  commitLateMs?: number;
  /** How a late commit's answer is lost: the connection reset (default) or a proxy's 504. */
  lateAnswer?: 'reset' | 504;
  /**
   * Handle the request (commit its effect), then send a mangled answer instead of the real one:
   * - `truncate`: the real status and headers, the first half of the real JSON body's bytes (with a
   *   `Content-Length` of what is sent);
   * - `invalid-json`: the real status and headers, a body that is not JSON;
   * - `wrong-types`: the real status and headers, the real JSON with every field of an object
   *   answer (every item of an array answer) of a wrong type: strings become numbers, numbers and
   *   booleans strings, null 0, objects their JSON text, arrays objects keyed by index;
   * - `html-502`: a proxy's 502 with an HTML body, whatever the real answer was;
   * - `any` or a list: one mode of the four (of the list) drawn per request from the random source.
   * The first three leave an answer without a JSON body (204, a status text) as it is (`wrong-types`
   * also an empty object or list), and then the call is not recorded as mangled, though the rule was
   * applied (`times`). Ignored when the request fails (status, 429, reset, outage)
   * or its answer is dropped or lost to a late commit; combines with `holdAnswerMs` and latency.
   */
  mangle?: MangleMode | 'any' | readonly MangleMode[];
  /**
   * Chance (0–1, default 1) that the failure (status, 429 or reset), the mangling, or what happens
   * after handling (a held, dropped or late answer) applies to a matching request (one draw per rule
   * and request for all of them).
   */
  probability?: number;
  /**
   * Stop after this many applications of the rule (a request it delayed, failed, mangled or whose
   * answer it held, dropped or lost; not one its probability spared, unless it has latency).
   */
  times?: number;
}

export type Failure =
  | { kind: 'status'; status: 500 | 503 }
  | { kind: 'rate-limit'; retryAfterSeconds: number }
  | { kind: 'reset' };

export type OutageMode = 500 | 503 | 'reset';

export interface FaultDecision {
  latencyMs: number;
  /** Hold the answer after handling (ms). */
  holdAnswerMs?: number;
  /** Handle, then reset the connection instead of answering. */
  dropAnswer?: boolean;
  /** Lose the answer now, handle the request later. */
  commitLate?: { afterMs: number; answer: 'reset' | 504 };
  /** Handle, then send the answer mangled so (unless a failure, drop or late commit prevails). */
  mangle?: MangleMode;
  failure?: Failure;
  /** What produced the decision, for the call record. */
  source?: 'rule' | 'outage';
}

interface ActiveRule extends FaultRule {
  id: string;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const globToRegExp = (glob: string) =>
  new RegExp(
    `^${glob
      .split('/')
      .map((segment) => (segment === '**' ? '.*' : segment === '*' ? '[^/]+' : escapeRegExp(segment)))
      .join('/')}$`,
  );

const failureOf = (rule: FaultRule): Failure | undefined => {
  if (rule.reset) return { kind: 'reset' };
  if (rule.retryAfterSeconds !== undefined)
    return { kind: 'rate-limit', retryAfterSeconds: rule.retryAfterSeconds };
  if (rule.status !== undefined) return { kind: 'status', status: rule.status };
  return undefined;
};

const isMangleMode = (value: unknown): value is MangleMode =>
  typeof value === 'string' && (mangleModes as readonly string[]).includes(value);

const checkMangle = (mangle: unknown): void => {
  if (mangle === undefined || mangle === 'any' || isMangleMode(mangle)) return;
  if (Array.isArray(mangle) && mangle.length > 0 && mangle.every(isMangleMode)) return;
  throw new RangeError(
    `mangle must be "any", one of ${mangleModes.map((mode) => `"${mode}"`).join(', ')} or a non-empty list of them`,
  );
};

/** A body a client cannot parse as JSON, though it starts like it. */
export const invalidJsonBody = '{"id": <<garbage>>';

/** What a reverse proxy (nginx) answers when it lost the upstream's answer. */
export const badGatewayHtml =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

const jsonType = 'application/json; charset=utf-8';

/** A value of another JSON type than `value`; an array keeps its place as an object keyed by index. */
const wrongType = (value: unknown): unknown => {
  if (typeof value === 'string') return value.length;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 0;
  if (Array.isArray(value)) return Object.fromEntries(value.map((item, index) => [String(index), item]));
  return JSON.stringify(value);
};

/** The real JSON body with wrong types one level down (the fields of an object, the items of an array). */
const wrongTypes = (body: unknown): unknown => {
  if (Array.isArray(body)) return body.map(wrongType);
  if (body !== null && typeof body === 'object')
    return Object.fromEntries(Object.entries(body).map(([key, value]) => [key, wrongType(value)]));
  return wrongType(body);
};

/**
 * The answer sent instead of `reply` (as `writeReply` would send it: its headers, a JSON body), or
 * undefined when the mode leaves it as it is (a reply without a JSON body, except for `html-502`;
 * an empty object or list under `wrong-types`).
 */
export const mangleReply = (reply: Reply, mode: MangleMode): RawReply | undefined => {
  if (mode === 'html-502') {
    return {
      status: 502,
      headers: { 'Content-Type': 'text/html; charset=utf-8' },
      body: Buffer.from(badGatewayHtml),
    };
  }
  if (reply.body === undefined) return undefined;
  const headers = { ...reply.headers, 'Content-Type': jsonType };
  const real = Buffer.from(JSON.stringify(reply.body));
  switch (mode) {
    case 'truncate':
      return { status: reply.status, headers, body: real.subarray(0, Math.floor(real.length / 2)) };
    case 'invalid-json':
      return { status: reply.status, headers, body: Buffer.from(invalidJsonBody) };
    case 'wrong-types': {
      const body = Buffer.from(JSON.stringify(wrongTypes(reply.body)));
      return body.equals(real) ? undefined : { status: reply.status, headers, body };
    }
  }
};

/** Requests accepted under a `commitLateMs` rule, waiting to be handled. */
export class LateCommits {
  private readonly waiting = new Map<ReturnType<typeof setTimeout>, () => void>();

  /** Runs `commit` after `ms` (or at commitNow()); never keeps the process alive on its own. */
  schedule(commit: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.waiting.delete(timer);
      commit();
    }, ms);
    timer.unref();
    this.waiting.set(timer, commit);
  }

  get pending(): number {
    return this.waiting.size;
  }

  /** Commits every waiting request now, in arrival order; returns how many. */
  commitNow(): number {
    const commits = [...this.waiting];
    this.cancel();
    for (const [, commit] of commits) commit();
    return commits.length;
  }

  /** Forgets every waiting request: they never commit. */
  cancel(): void {
    for (const timer of this.waiting.keys()) clearTimeout(timer);
    this.waiting.clear();
  }
}

export class FaultInjector {
  readonly lateCommits = new LateCommits();
  private rules: ActiveRule[] = [];
  private outageMode: OutageMode | undefined;
  private nextId = 1;

  constructor(private readonly random: () => number = Math.random) {}

  /** Adds a rule; returns its id. */
  inject(rule: FaultRule): string {
    const {
      probability = 1,
      times,
      latencyMs,
      status,
      retryAfterSeconds,
      commitLateMs,
      lateAnswer,
      mangle,
    } = rule;
    if (probability < 0 || probability > 1) throw new RangeError('probability must be within 0..1');
    if (times !== undefined && (!Number.isInteger(times) || times < 1))
      throw new RangeError('times must be >= 1');
    if (latencyMs !== undefined && latencyMs < 0) throw new RangeError('latencyMs must be >= 0');
    if (status !== undefined && status !== 500 && status !== 503)
      throw new RangeError('status must be 500 or 503');
    if (retryAfterSeconds !== undefined && retryAfterSeconds < 0)
      throw new RangeError('retryAfterSeconds must be >= 0');
    if (commitLateMs !== undefined && !(commitLateMs >= 0)) throw new RangeError('commitLateMs must be >= 0');
    if (lateAnswer !== undefined && lateAnswer !== 'reset' && lateAnswer !== 504)
      throw new RangeError('lateAnswer must be "reset" or 504');
    checkMangle(mangle);
    const id = `fault-${this.nextId++}`;
    this.rules.push({ ...rule, ...(Array.isArray(mangle) ? { mangle: [...mangle] } : {}), id });
    return id;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((rule) => rule.id !== id);
    return this.rules.length < before;
  }

  /** Removes every rule and ends an outage; requests waiting for a late commit never commit. */
  clear(): void {
    this.rules = [];
    this.outageMode = undefined;
    this.lateCommits.cancel();
  }

  list(): ReadonlyArray<FaultRule & { id: string }> {
    return this.rules.map((rule) => ({
      ...rule,
      ...(Array.isArray(rule.mangle) ? { mangle: [...rule.mangle] } : {}),
    }));
  }

  /** Every route (except the `/__emulator/` controls) fails until `endOutage()`. */
  startOutage(mode: OutageMode = 503): void {
    this.outageMode = mode;
  }

  endOutage(): void {
    this.outageMode = undefined;
  }

  get outage(): OutageMode | undefined {
    return this.outageMode;
  }

  /** Decides the fate of one request; consumes `times` of the rules that apply. */
  decide(method: string, route: string, path: string): FaultDecision {
    if (this.outageMode !== undefined) {
      const failure: Failure =
        this.outageMode === 'reset' ? { kind: 'reset' } : { kind: 'status', status: this.outageMode };
      return { latencyMs: 0, failure, source: 'outage' };
    }
    const decision: FaultDecision = { latencyMs: 0 };
    for (const rule of [...this.rules]) {
      if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (rule.path && rule.path !== route && !globToRegExp(rule.path).test(path)) continue;
      // Latency always applies; the failure, the mangling and what happens after handling (a held,
      // dropped or late answer), if any, with the rule's probability.
      const failure = failureOf(rule);
      const afterHandling =
        Boolean(rule.holdAnswerMs) || rule.dropAnswer === true || rule.commitLateMs !== undefined;
      const strikes =
        (failure !== undefined || rule.mangle !== undefined || afterHandling) &&
        this.random() < (rule.probability ?? 1);
      const fails = failure !== undefined && strikes;
      const latencyMs = rule.latencyMs ?? 0;
      if (!strikes && latencyMs === 0) continue;
      decision.latencyMs += latencyMs;
      if (strikes && rule.holdAnswerMs)
        decision.holdAnswerMs = (decision.holdAnswerMs ?? 0) + rule.holdAnswerMs;
      if (strikes && rule.dropAnswer) decision.dropAnswer = true;
      if (strikes && rule.commitLateMs !== undefined && !decision.commitLate) {
        decision.commitLate = { afterMs: rule.commitLateMs, answer: rule.lateAnswer ?? 'reset' };
      }
      if (strikes && rule.mangle !== undefined && !decision.mangle) decision.mangle = this.pick(rule.mangle);
      decision.source = 'rule';
      if (fails && !decision.failure) decision.failure = failure;
      if (rule.times !== undefined) {
        rule.times -= 1;
        if (rule.times <= 0) this.remove(rule.id);
      }
    }
    return decision;
  }

  /** The mode itself, or one drawn from the random source. */
  private pick(mangle: NonNullable<FaultRule['mangle']>): MangleMode {
    if (typeof mangle === 'string' && mangle !== 'any') return mangle;
    const modes = mangle === 'any' ? mangleModes : mangle;
    if (modes.length === 1) return modes[0]!;
    return modes[Math.min(modes.length - 1, Math.floor(this.random() * modes.length))]!;
  }
}
