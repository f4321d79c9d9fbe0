/**
 * Kubernetes Events for the operator's resources, aggregated like client-go's recorder: a repeat of
 * the same event (object, type, reason, message) within the aggregation window bumps the count of
 * the existing Event instead of creating a new one, and each object has a token bucket so that a
 * resource failing in a loop cannot flood the event log. Recording never fails a reconcile.
 *
 * Events are written off the reconcile's path, a few at once (a burst of a thousand new resources is
 * written in seconds rather than queued past the bound), each object's in the order recorded (a
 * repeat's count patch never overtakes the Event it patches), each write bounded by the Kubernetes
 * request timeout. What cannot be written is dropped and counted (`onDropped`): when too many wait (a
 * hung apiserver; logged once per episode), when the write fails, and at shutdown, when `close()`'s
 * deadline passes: shutdown never waits on the apiserver beyond it.
 *
 * Written by hand: the queue needs per-object order under a global bound, which the promise-pool
 * libraries do not offer.
 */
import { PatchStrategy } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { kubePath, type KubeClient } from '../kube/client.js';
import type { Logger } from '../log.js';
import { withAbortSignal } from '../util/abort-scope.js';
import { describeError } from '../runtime/index.js';

export interface EventTarget {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; uid: string; resourceVersion?: string };
}

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  component: string;
  /** Repeats within this window update the existing Event (default 10 min). */
  aggregationWindowMs?: number;
  /** Events an object may emit in a burst (default 25), refilled one per refillMs (default 5 min). */
  burst?: number;
  refillMs?: number;
  now?: () => number;
  /** Events waiting to be written at most (default 4096); more are dropped (`overflow`). */
  maxPending?: number;
  /** Writes in flight at most (default 8). */
  concurrency?: number;
  /** Called once per event that was not written. */
  onDropped?: (reason: EventDropReason) => void;
}

/**
 * Why an event was not written: `overflow` (too many waiting), `failed` (the apiserver refused it or
 * did not answer in time), `shutdown` (still waiting at the shutdown deadline, or recorded after it).
 */
export type EventDropReason = 'overflow' | 'failed' | 'shutdown';

interface Recent {
  eventName: string;
  count: number;
  firstTimestamp: string;
  lastSeen: number;
}

interface Bucket {
  tokens: number;
  updated: number;
}

const MAX_MESSAGE = 1024;
const MAX_TRACKED = 4096;

export class KubernetesEventRecorder {
  private readonly recent = new Map<string, Recent>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly window: number;
  private readonly burst: number;
  private readonly refillMs: number;
  private readonly now: () => number;
  private readonly maxPending: number;
  private readonly concurrency: number;
  /** Writes waiting, oldest first; those in flight are not among them. */
  private readonly queue: Array<{ uid: string; write: () => Promise<void> }> = [];
  /** Objects with a write in flight: their next write waits for it. */
  private readonly writing = new Set<string>();
  private inFlight = 0;
  /** Resolved each time the last write ends with nothing waiting (flush, close). */
  private idle: Array<() => void> = [];
  /** Set at the first overflow drop, cleared once the queue is empty: one warning per episode. */
  private overflowing = false;
  /** Aborted at the shutdown deadline: cuts the writes in flight. */
  private readonly halt = new AbortController();
  private closed = false;

  constructor(
    private readonly kube: KubeClient,
    private readonly logger: Logger,
    private readonly options: EventRecorderOptions,
  ) {
    this.window = options.aggregationWindowMs ?? 10 * 60_000;
    this.burst = options.burst ?? 25;
    this.refillMs = options.refillMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
    this.maxPending = options.maxPending ?? 4096;
    this.concurrency = options.concurrency ?? 8;
  }

  record(target: EventTarget, type: EventType, reason: string, message: string): void {
    const text = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 3)}...` : message;
    const key = [target.metadata.uid, type, reason, text].join('\u0000');
    const now = this.now();
    const recent = this.recent.get(key);
    const repeat = recent !== undefined && now - recent.lastSeen < this.window ? recent : undefined;
    if (!repeat && !this.takeToken(target.metadata.uid, now)) return;
    if (this.closed) return this.dropped('shutdown');
    if (this.queue.length >= this.maxPending) return this.overflow();
    this.queue.push({
      uid: target.metadata.uid,
      write: async () => {
        try {
          // Looked up again: the Event a repeat aggregates into may have been written meanwhile.
          const recent = this.recent.get(key);
          const aggregate = recent !== undefined && now - recent.lastSeen < this.window ? recent : undefined;
          await (aggregate
            ? this.bump(target, aggregate, now)
            : this.create(target, key, type, reason, text, now));
        } catch (error) {
          if (this.halt.signal.aborted) return this.dropped('shutdown');
          this.logger.debug({ err: describeError(error), reason }, 'could not record event');
          this.dropped('failed');
        }
      },
    });
    this.pump();
  }

  /** Resolves when the events recorded so far have been written or dropped (tests). */
  flush(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /**
   * Takes no more events and waits up to `timeoutMs` for those recorded to be written; then cuts the
   * writes in flight and drops the rest.
   */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([this.flush(), deadline]);
    clearTimeout(timer);
    if (this.inFlight === 0 && this.queue.length === 0) return;
    const abandoned = this.queue.splice(0).length;
    for (let i = 0; i < abandoned; i++) this.dropped('shutdown');
    if (abandoned > 0) this.logger.warn({ events: abandoned }, 'shutdown deadline passed: events dropped');
    // The writes in flight fail at once (their requests are aborted); waiting for them is bounded anyway.
    this.halt.abort(new Error('event recorder closed'));
    await Promise.race([this.flush(), new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
  }

  /** Starts waiting writes while there is room, the oldest of each object not already writing. */
  private pump(): void {
    while (this.inFlight < this.concurrency) {
      const next = this.queue.findIndex((entry) => !this.writing.has(entry.uid));
      if (next < 0) break;
      const [{ uid, write }] = this.queue.splice(next, 1) as [(typeof this.queue)[number]];
      this.inFlight++;
      this.writing.add(uid);
      // The writes run under the recorder's own signal, not that of the reconcile that recorded them.
      void withAbortSignal(this.halt.signal, write).finally(() => {
        this.inFlight--;
        this.writing.delete(uid);
        this.pump();
        if (this.queue.length === 0) this.overflowing = false;
        if (this.inFlight === 0 && this.queue.length === 0)
          for (const resolve of this.idle.splice(0)) resolve();
      });
    }
  }

  private overflow(): void {
    if (!this.overflowing) {
      this.overflowing = true;
      this.logger.warn(
        { pending: this.queue.length },
        'too many events waiting to be written: dropping new ones (counted in logto_operator_events_dropped_total)',
      );
    }
    this.dropped('overflow');
  }

  private dropped(reason: EventDropReason): void {
    try {
      this.options.onDropped?.(reason);
    } catch (error) {
      this.logger.warn({ err: describeError(error) }, 'event drop observer threw');
    }
  }

  private takeToken(uid: string, now: number): boolean {
    // Forget objects whose bucket has been full for a while (deleted resources, mostly).
    if (this.buckets.size > MAX_TRACKED) {
      for (const [key, bucket] of this.buckets) {
        if (now - bucket.updated > this.refillMs * this.burst) this.buckets.delete(key);
      }
    }
    const bucket = this.buckets.get(uid) ?? { tokens: this.burst, updated: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.updated) / this.refillMs);
    bucket.updated = now;
    this.buckets.set(uid, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private async create(
    target: EventTarget,
    key: string,
    type: EventType,
    reason: string,
    message: string,
    now: number,
  ): Promise<void> {
    const timestamp = new Date(now).toISOString();
    // Event names are DNS subdomains (253 characters): a long resource name is cut to fit.
    const eventName = `${target.metadata.name.slice(0, 236).replace(/[.-]+$/, '')}.${randomBytes(8).toString('hex')}`;
    const { namespace } = target.metadata;
    const event = {
      metadata: { name: eventName, namespace },
      involvedObject: {
        apiVersion: target.apiVersion,
        kind: target.kind,
        name: target.metadata.name,
        namespace,
        uid: target.metadata.uid,
        ...(target.metadata.resourceVersion ? { resourceVersion: target.metadata.resourceVersion } : {}),
      },
      type,
      reason,
      message,
      count: 1,
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      source: { component: this.options.component },
      reportingComponent: this.options.component,
      reportingInstance: this.options.component,
    };
    await this.kube.request({
      method: 'POST',
      path: kubePath('api', 'v1', 'namespaces', namespace, 'events'),
      body: event,
    });
    if (this.recent.size >= MAX_TRACKED) this.recent.delete(this.recent.keys().next().value as string);
    this.recent.set(key, { eventName, count: 1, firstTimestamp: timestamp, lastSeen: now });
  }

  private async bump(target: EventTarget, recent: Recent, now: number): Promise<void> {
    recent.count += 1;
    recent.lastSeen = now;
    await this.kube.request({
      method: 'PATCH',
      path: kubePath('api', 'v1', 'namespaces', target.metadata.namespace, 'events', recent.eventName),
      body: { count: recent.count, lastTimestamp: new Date(now).toISOString() },
      contentType: PatchStrategy.MergePatch,
    });
  }
}
