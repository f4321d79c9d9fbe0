/**
 * Keeps a Logto access token at hand from start-up on, and says in the logs when it cannot get one
 * (Logto down, wrong credentials): every replica, standbys included, reports Logto's health this way.
 * It does not affect readiness: a Logto outage must not make every replica unready and stall rollouts.
 */
import type { Logger } from '../log.js';
import { realClock, sleep, type Clock } from './clock.js';
import { describeError } from './errors.js';
import { backoffDelay } from '../util/backoff.js';

export interface TokenSource {
  /** Cached while fresh; fetches a new token otherwise. */
  getToken(): Promise<string>;
  hasValidToken(): boolean;
}

export interface TokenKeeperOptions {
  tokens: TokenSource;
  logger: Logger;
  /** How often a fresh token is checked for (cheap: a cached token costs no request). Default 5 s. */
  checkIntervalMs?: number;
  /** Backoff after failures (default 1 s doubling to 30 s). */
  backoff?: { baseMs: number; maxMs: number };
  clock?: Clock;
  /** Called after every check: whether a token is at hand (for a metric). */
  onCheck?: (tokenAvailable: boolean) => void;
}

export class TokenKeeper {
  private readonly halt = new AbortController();
  private loop: Promise<void> | undefined;
  private failures = 0;
  private obtained = false;

  constructor(private readonly options: TokenKeeperOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.halt.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const clock = this.options.clock ?? realClock;
    const { baseMs, maxMs } = this.options.backoff ?? { baseMs: 1_000, maxMs: 30_000 };
    while (!this.halt.signal.aborted) {
      let delay = this.options.checkIntervalMs ?? 5_000;
      try {
        await this.options.tokens.getToken();
        if (!this.obtained) this.options.logger.info('obtained a Logto access token');
        this.obtained = true;
        this.failures = 0;
        this.options.onCheck?.(true);
      } catch (err) {
        delay = backoffDelay(this.failures, { baseMs, maxMs });
        // LogtoApiError names the operation and status, never the credentials.
        this.options.logger.warn(
          { err: describeError(err), retryInMs: delay },
          'cannot obtain a Logto access token',
        );
        this.failures++;
        this.obtained = false;
        this.options.onCheck?.(false);
      }
      await sleep(clock, delay, this.halt.signal);
    }
  }
}
