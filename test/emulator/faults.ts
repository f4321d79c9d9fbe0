// Fault injection: latency, 500/503 errors, 429 with Retry-After, connection resets, answers lost
// after the commit, commits that land late, per route or for everything (outage). Rules match a
// method and a path pattern.

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
  /** Chance (0–1, default 1) that the failure (status, 429 or reset) applies to a matching request. */
  probability?: number;
  /** Stop after this many applications of the rule. */
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
    const { probability = 1, times, latencyMs, status, retryAfterSeconds, commitLateMs, lateAnswer } = rule;
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
    const id = `fault-${this.nextId++}`;
    this.rules.push({ ...rule, id });
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
    return this.rules.map((rule) => ({ ...rule }));
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
      // Latency always applies; the failure, if any, with the rule's probability.
      const failure = failureOf(rule);
      const fails = failure !== undefined && this.random() < (rule.probability ?? 1);
      const latencyMs = rule.latencyMs ?? 0;
      const afterHandling =
        Boolean(rule.holdAnswerMs) || rule.dropAnswer === true || rule.commitLateMs !== undefined;
      if (!fails && latencyMs === 0 && !afterHandling) continue;
      decision.latencyMs += latencyMs;
      if (rule.holdAnswerMs) decision.holdAnswerMs = (decision.holdAnswerMs ?? 0) + rule.holdAnswerMs;
      if (rule.dropAnswer) decision.dropAnswer = true;
      if (rule.commitLateMs !== undefined && !decision.commitLate) {
        decision.commitLate = { afterMs: rule.commitLateMs, answer: rule.lateAnswer ?? 'reset' };
      }
      decision.source = 'rule';
      if (fails && !decision.failure) decision.failure = failure;
      if (rule.times !== undefined) {
        rule.times -= 1;
        if (rule.times <= 0) this.remove(rule.id);
      }
    }
    return decision;
  }
}
