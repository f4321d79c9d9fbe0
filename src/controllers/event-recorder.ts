/**
 * Kubernetes Events for the operator's resources, aggregated like client-go's recorder: a repeat of
 * the same event (object, type, reason, message) within the aggregation window bumps the count of
 * the existing Event instead of creating a new one, and each object has a token bucket so that a
 * resource failing in a loop cannot flood the event log. Recording never fails a reconcile.
 */
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../log.js';
import { describeError } from './runtime/index.js';

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
}

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
  private readonly core: CoreV1Api;
  private readonly recent = new Map<string, Recent>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly window: number;
  private readonly burst: number;
  private readonly refillMs: number;
  private readonly now: () => number;
  private pending = Promise.resolve();

  constructor(
    kubeConfig: KubeConfig,
    private readonly logger: Logger,
    private readonly options: EventRecorderOptions,
  ) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.window = options.aggregationWindowMs ?? 10 * 60_000;
    this.burst = options.burst ?? 25;
    this.refillMs = options.refillMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
  }

  record(target: EventTarget, type: EventType, reason: string, message: string): void {
    const text = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 3)}...` : message;
    const key = [target.metadata.uid, type, reason, text].join('\u0000');
    const now = this.now();
    const recent = this.recent.get(key);
    const repeat = recent !== undefined && now - recent.lastSeen < this.window ? recent : undefined;
    if (!repeat && !this.takeToken(target.metadata.uid, now)) return;
    // Events are written one at a time, in order, off the reconcile's path.
    this.pending = this.pending
      .then(() =>
        repeat ? this.bump(target, repeat, now) : this.create(target, key, type, reason, text, now),
      )
      .catch((error: unknown) => {
        this.logger.debug({ err: describeError(error), reason }, 'could not record event');
      });
  }

  /** Resolves when the events recorded so far have been written (for tests and shutdown). */
  flush(): Promise<void> {
    return this.pending;
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
    await this.core.createNamespacedEvent({
      namespace: target.metadata.namespace,
      body: {
        metadata: { name: eventName, namespace: target.metadata.namespace },
        involvedObject: {
          apiVersion: target.apiVersion,
          kind: target.kind,
          name: target.metadata.name,
          namespace: target.metadata.namespace,
          uid: target.metadata.uid,
          ...(target.metadata.resourceVersion ? { resourceVersion: target.metadata.resourceVersion } : {}),
        },
        type,
        reason,
        message,
        count: 1,
        firstTimestamp: new Date(now),
        lastTimestamp: new Date(now),
        source: { component: this.options.component },
        reportingComponent: this.options.component,
        reportingInstance: this.options.component,
      },
    });
    if (this.recent.size >= MAX_TRACKED) this.recent.delete(this.recent.keys().next().value as string);
    this.recent.set(key, { eventName, count: 1, firstTimestamp: timestamp, lastSeen: now });
  }

  private async bump(target: EventTarget, recent: Recent, now: number): Promise<void> {
    recent.count += 1;
    recent.lastSeen = now;
    await this.core.patchNamespacedEvent(
      {
        name: recent.eventName,
        namespace: target.metadata.namespace,
        body: { count: recent.count, lastTimestamp: new Date(now).toISOString() },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }
}
