/**
 * Prometheus metrics of the operator, named as controller-runtime and client-go name theirs (so that
 * existing dashboards and alerts apply), plus Logto API and informer metrics of our own. Each instance
 * has its own registry: several operators can run in one process (tests).
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, exponentialBuckets } from 'prom-client';
import type { RequestEvent } from '../api/transport.js';
import type { ControllerMetrics, InformerMetrics, ReconcileOutcome, WorkQueueMetrics } from './index.js';
import type { LeaderElectionCallbacks } from './leader-election.js';

/** The `connection` label of requests made through the connection the flags configure. */
export const DEFAULT_CONNECTION_LABEL = 'flags';

/** controller-runtime's buckets for controller_runtime_reconcile_time_seconds. */
const RECONCILE_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25,
  1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];
/** client-go's workqueue buckets: 10ns to 1000s. */
const WORKQUEUE_BUCKETS = exponentialBuckets(10e-9, 10, 12);
const LOGTO_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30];
const RESULTS: ReconcileOutcome[] = ['success', 'error', 'requeue', 'requeue_after'];
const WATCH_END_REASONS = ['closed', 'error', 'gone', 'watchdog'] as const;
const RELIST_REASONS = ['initial', 'gone'] as const;
const EVENT_DROP_REASONS = ['overflow', 'failed', 'shutdown'] as const;
const SWEPT_KINDS = ['duplicate', 'orphan'] as const;
const SWEPT_ACTIONS = ['deleted', 'unmarked'] as const;

/** Kinds and the condition types each always reports (a missing one counts as status Unknown). */
const APPLICATION_KIND = 'LogtoApplication';
const APPLICATION_CONDITIONS = ['Ready', 'Synced'];
const CONNECTION_CONDITIONS = ['Ready'];
const CONNECTION_KINDS = ['ClusterLogtoConnection', 'LogtoConnection'] as const;

/**
 * The objects of the informer caches, read at scrape time for the gauges of conditions: every
 * replica reports them, standbys included (their caches are synced too).
 */
export interface CachedObjects {
  /** Every cached LogtoApplication. */
  applications(): readonly KubernetesObject[];
  /** Every cached LogtoRole and LogtoApiResource (counted under their own kind). */
  declared?(): readonly KubernetesObject[];
  /** Every cached LogtoConnection and ClusterLogtoConnection (other objects are skipped). */
  connections(): readonly KubernetesObject[];
}

interface ConditionLike {
  type?: string;
  status?: string;
  reason?: string;
}

const conditionsOf = (obj: KubernetesObject): ConditionLike[] => {
  const conditions = (obj as { status?: { conditions?: unknown } }).status?.conditions;
  return Array.isArray(conditions) ? (conditions as ConditionLike[]) : [];
};

/**
 * A connection object's kind, or undefined for any other object the connections' informers hold
 * (the namespaces their selectors read).
 */
const connectionKind = (obj: KubernetesObject) =>
  CONNECTION_KINDS.find((kind) => kind === obj.kind && obj.apiVersion?.startsWith('logto.io/'));

/** The `connection` label of a connection object, as logto_api_requests_total has it. */
export function connectionLabel(obj: KubernetesObject): string {
  const { name = '', namespace } = obj.metadata ?? {};
  return namespace ? `LogtoConnection/${namespace}/${name}` : `ClusterLogtoConnection/${name}`;
}

export interface OperatorMetricsOptions {
  /** Node.js process metrics (process_*, nodejs_*); default true. */
  defaultMetrics?: boolean;
  now?: () => number;
}

export class OperatorMetrics {
  readonly registry = new Registry();
  private readonly now: () => number;

  private readonly reconcileTotal = new Counter({
    name: 'controller_runtime_reconcile_total',
    help: 'Total number of reconciliations per controller',
    labelNames: ['controller', 'result'] as const,
    registers: [this.registry],
  });
  private readonly reconcileErrors = new Counter({
    name: 'controller_runtime_reconcile_errors_total',
    help: 'Total number of reconciliation errors per controller',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  private readonly reconcileTime = new Histogram({
    name: 'controller_runtime_reconcile_time_seconds',
    help: 'Length of time per reconciliation per controller',
    labelNames: ['controller'] as const,
    buckets: RECONCILE_BUCKETS,
    registers: [this.registry],
  });
  private readonly maxConcurrent = new Gauge({
    name: 'controller_runtime_max_concurrent_reconciles',
    help: 'Maximum number of concurrent reconciles per controller',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  private readonly activeWorkers = new Gauge({
    name: 'controller_runtime_active_workers',
    help: 'Number of currently used workers per controller',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });

  private readonly queueDepth = new Gauge({
    name: 'workqueue_depth',
    help: 'Current depth of workqueue',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });
  private readonly queueAdds = new Counter({
    name: 'workqueue_adds_total',
    help: 'Total number of adds handled by workqueue',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });
  private readonly queueRetries = new Counter({
    name: 'workqueue_retries_total',
    help: 'Total number of retries handled by workqueue',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });
  private readonly queueLatency = new Histogram({
    name: 'workqueue_queue_duration_seconds',
    help: 'How long in seconds an item stays in workqueue before being requested',
    labelNames: ['name'] as const,
    buckets: WORKQUEUE_BUCKETS,
    registers: [this.registry],
  });
  private readonly workDuration = new Histogram({
    name: 'workqueue_work_duration_seconds',
    help: 'How long in seconds processing an item from workqueue takes',
    labelNames: ['name'] as const,
    buckets: WORKQUEUE_BUCKETS,
    registers: [this.registry],
  });
  /** Start times of the items each queue's workers hold, for the two unfinished-work gauges. */
  private readonly processing = new Map<string, Map<string, number>>();

  private readonly leaderStatus = new Gauge({
    name: 'leader_election_master_status',
    help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });

  private readonly logtoRequests = new Counter({
    name: 'logto_api_requests_total',
    help: 'Logto Management API requests (each attempt), by operation, method and HTTP status ("error": no answer)',
    labelNames: ['operation', 'method', 'code', 'connection'] as const,
    registers: [this.registry],
  });
  private readonly logtoDuration = new Histogram({
    name: 'logto_api_request_duration_seconds',
    help: 'Duration of Logto Management API requests (each attempt)',
    labelNames: ['operation', 'method', 'connection'] as const,
    buckets: LOGTO_BUCKETS,
    registers: [this.registry],
  });

  private readonly watchRestarts = new Counter({
    name: 'logto_operator_watch_restarts_total',
    help: 'Watches that ended and were restarted, by informer and reason (closed, error, gone, watchdog)',
    labelNames: ['informer', 'reason'] as const,
    registers: [this.registry],
  });
  private readonly relists = new Counter({
    name: 'logto_operator_relists_total',
    help: 'Full LISTs by informer and reason (initial, gone)',
    labelNames: ['informer', 'reason'] as const,
    registers: [this.registry],
  });
  private readonly listFailures = new Counter({
    name: 'logto_operator_list_failures_total',
    help: 'Failed LISTs by informer',
    labelNames: ['informer'] as const,
    registers: [this.registry],
  });
  private readonly watchEvents = new Counter({
    name: 'logto_operator_watch_events_total',
    help: 'Watch events received by informer and type',
    labelNames: ['informer', 'type'] as const,
    registers: [this.registry],
  });
  private readonly logtoTokenAvailable = new Gauge({
    name: 'logto_operator_logto_token_available',
    help: 'Whether this replica holds a Logto access token (0 while Logto or the credentials fail)',
    registers: [this.registry],
  });
  private readonly eventsDropped = new Counter({
    name: 'logto_operator_events_dropped_total',
    help: 'Kubernetes Events not written, by reason (overflow, failed, shutdown)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  private readonly sweptApplications = new Counter({
    name: 'logto_operator_swept_applications_total',
    help: 'Logto applications the sweep deleted or unmarked, by kind (duplicate, orphan) and action (deleted, unmarked)',
    labelNames: ['kind', 'action'] as const,
    registers: [this.registry],
  });

  /** Where the condition gauges read the cached objects from; unset until the operator runs. */
  private cached: CachedObjects | undefined;
  /** Informers seen so far, whose counters were made to exist at 0. */
  private readonly informers = new Set<string>();

  constructor(options: OperatorMetricsOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    this.unfinishedGauge(
      'workqueue_unfinished_work_seconds',
      'How many seconds of work has been done that is in progress and has not been observed by work_duration',
      false,
    );
    this.unfinishedGauge(
      'workqueue_longest_running_processor_seconds',
      'How many seconds has the longest running processor for workqueue been running',
      true,
    );
    this.conditionGauges();
    // Every series exists from the start, so that rate() and increase() see the first one.
    for (const reason of EVENT_DROP_REASONS) this.eventsDropped.inc({ reason }, 0);
    for (const kind of SWEPT_KINDS)
      for (const action of SWEPT_ACTIONS) this.sweptApplications.inc({ kind, action }, 0);
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Reads the cached LogtoApplications and connections at each scrape for
   * logto_operator_resource_conditions and logto_operator_connection_ready.
   */
  observe(cached: CachedObjects): void {
    this.cached = cached;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  controller(): ControllerMetrics {
    return {
      maxConcurrentReconciles: (controller, workers) => {
        this.maxConcurrent.set({ controller }, workers);
        // Every series exists from the start, as in controller-runtime, so that rate() works at once.
        for (const result of RESULTS) this.reconcileTotal.inc({ controller, result }, 0);
        this.reconcileErrors.inc({ controller }, 0);
      },
      activeWorkers: (controller, active) => this.activeWorkers.set({ controller }, active),
      reconcileFinished: (event) => {
        this.reconcileTotal.inc({ controller: event.controller, result: event.outcome });
        if (event.outcome === 'error') this.reconcileErrors.inc({ controller: event.controller });
        this.reconcileTime.observe({ controller: event.controller }, event.durationMs / 1000);
      },
    };
  }

  queue(name: string): WorkQueueMetrics {
    const items = new Map<string, number>();
    this.processing.set(name, items);
    this.queueDepth.set({ name }, 0);
    this.queueAdds.inc({ name }, 0);
    this.queueRetries.inc({ name }, 0);
    return {
      add: () => this.queueAdds.inc({ name }),
      depth: (depth) => this.queueDepth.set({ name }, depth),
      get: (key, queuedMs) => {
        items.set(key, this.now());
        this.queueLatency.observe({ name }, queuedMs / 1000);
      },
      done: (key, workMs) => {
        items.delete(key);
        this.workDuration.observe({ name }, workMs / 1000);
      },
      retry: () => this.queueRetries.inc({ name }),
    };
  }

  informer(): InformerMetrics {
    return {
      watchEnded: (informer, reason) => {
        this.seen(informer);
        this.watchRestarts.inc({ informer, reason });
      },
      relisted: (informer, reason) => {
        this.seen(informer);
        this.relists.inc({ informer, reason });
      },
      listFailed: (informer) => {
        this.seen(informer);
        this.listFailures.inc({ informer });
      },
      event: (informer, type) => this.watchEvents.inc({ informer, type }),
    };
  }

  /** The first sign of an informer makes its restart, relist and failure counters exist at 0. */
  private seen(informer: string): void {
    if (this.informers.has(informer)) return;
    this.informers.add(informer);
    for (const reason of WATCH_END_REASONS) this.watchRestarts.inc({ informer, reason }, 0);
    for (const reason of RELIST_REASONS) this.relists.inc({ informer, reason }, 0);
    this.listFailures.inc({ informer }, 0);
  }

  /** For the transport's `onRequest`. */
  logtoRequest(event: RequestEvent): void {
    const { operation, method } = event;
    const connection = event.connection ?? DEFAULT_CONNECTION_LABEL;
    const code = event.status === undefined ? 'error' : event.status;
    this.logtoRequests.inc({ operation, method, code, connection });
    this.logtoDuration.observe({ operation, method, connection }, event.durationMs / 1000);
  }

  /** For the token keeper's `onCheck`. */
  logtoToken(available: boolean): void {
    this.logtoTokenAvailable.set(available ? 1 : 0);
  }

  /** For the event recorder's `onDropped`. */
  eventDropped(reason: string): void {
    this.eventsDropped.inc({ reason });
  }

  /** For the sweep's `onSwept`. */
  swept(kind: string, action: string): void {
    this.sweptApplications.inc({ kind, action });
  }

  /** leader_election_master_status for the Lease `name`: 0 until this replica leads. */
  leaderElection(name: string): LeaderElectionCallbacks {
    this.leaderStatus.set({ name }, 0);
    return {
      startedLeading: () => this.leaderStatus.set({ name }, 1),
      stoppedLeading: () => this.leaderStatus.set({ name }, 0),
    };
  }

  /** The gauges computed at scrape time from the cached objects' conditions. */
  private conditionGauges(): void {
    const conditions: Gauge<'kind' | 'type' | 'status' | 'reason'> = new Gauge({
      name: 'logto_operator_resource_conditions',
      help: 'Cached LogtoApplications, LogtoRoles, LogtoApiResources and connections by kind and condition type, status and reason (a missing condition counts as Unknown)',
      labelNames: ['kind', 'type', 'status', 'reason'] as const,
      registers: [this.registry],
      collect: () => {
        conditions.reset();
        if (!this.cached) return;
        const counts = new Map<string, { labels: Record<string, string>; count: number }>();
        const add = (kind: string, type: string, status: string, reason: string, n: number) => {
          const labels = { kind, type, status, reason };
          const key = JSON.stringify(labels);
          const entry = counts.get(key) ?? { labels, count: 0 };
          entry.count += n;
          counts.set(key, entry);
        };
        // Each kind's condition types always have a series per status, at 0 when no object is there
        // (reason empty, which Prometheus drops), so that sums and ratios have something to add to.
        for (const status of ['True', 'False']) {
          for (const type of APPLICATION_CONDITIONS) add(APPLICATION_KIND, type, status, '', 0);
          for (const kind of CONNECTION_KINDS)
            for (const type of CONNECTION_CONDITIONS) add(kind, type, status, '', 0);
        }
        const count = (kind: string, obj: KubernetesObject, types: string[]) => {
          const present = conditionsOf(obj);
          for (const type of new Set([...types, ...present.flatMap((c) => (c.type ? [c.type] : []))])) {
            const condition = present.find((c) => c.type === type);
            add(kind, type, condition?.status ?? 'Unknown', condition?.reason ?? '', 1);
          }
        };
        for (const obj of this.cached.applications()) count(APPLICATION_KIND, obj, APPLICATION_CONDITIONS);
        for (const obj of this.cached.declared?.() ?? []) {
          if (obj.kind) count(obj.kind, obj, APPLICATION_CONDITIONS);
        }
        for (const obj of this.cached.connections()) {
          const kind = connectionKind(obj);
          if (kind) count(kind, obj, CONNECTION_CONDITIONS);
        }
        for (const { labels, count: value } of counts.values()) conditions.set(labels, value);
      },
    });
    const ready: Gauge<'connection' | 'reason'> = new Gauge({
      name: 'logto_operator_connection_ready',
      help: 'Whether each LogtoConnection and ClusterLogtoConnection this operator serves is Ready (1) or not (0), with the reason of its Ready condition',
      labelNames: ['connection', 'reason'] as const,
      registers: [this.registry],
      collect: () => {
        ready.reset();
        for (const obj of this.cached?.connections() ?? []) {
          if (!connectionKind(obj)) continue;
          const condition = conditionsOf(obj).find((c) => c.type === 'Ready');
          ready.set(
            { connection: connectionLabel(obj), reason: condition?.reason ?? '' },
            condition?.status === 'True' ? 1 : 0,
          );
        }
      },
    });
  }

  /** A gauge computed at scrape time from the items the queues' workers hold. */
  private unfinishedGauge(name: string, help: string, longest: boolean): void {
    const gauge: Gauge<'name'> = new Gauge({
      name,
      help,
      labelNames: ['name'] as const,
      registers: [this.registry],
      collect: () => {
        gauge.reset();
        for (const [queue, items] of this.processing)
          gauge.set({ name: queue }, this.unfinished(items, longest));
      },
    });
  }

  private unfinished(items: Map<string, number>, longest: boolean): number {
    const now = this.now();
    let total = 0;
    let max = 0;
    for (const startedAt of items.values()) {
      total += now - startedAt;
      max = Math.max(max, now - startedAt);
    }
    return (longest ? max : total) / 1000;
  }
}
