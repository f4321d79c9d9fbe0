import type { KubernetesObject } from '@kubernetes/client-node';
import { callObserver } from './observers.js';
import type { Logger } from '../log.js';
import { backoffDelay } from '../util/backoff.js';
import { realClock, sleep, type Clock, type TimerHandle } from './clock.js';
import { describeError, httpStatusOf } from './errors.js';
import type { ListWatchSource, WatchEvent, WatchHandle } from './list-watch.js';
import { keyOf, keyToString } from './object-key.js';

export interface DeleteInfo {
  /**
   * True when the deletion was inferred from a relist (the object vanished while the watch was down):
   * the object passed is the last state seen, not the final one (client-go `DeletedFinalStateUnknown`).
   */
  finalStateUnknown: boolean;
}

/** Event handlers; called synchronously in event order. Objects are shared with the cache: never mutate them. */
export interface InformerHandlers<T extends KubernetesObject> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T, info: DeleteInfo): void;
}

/**
 * Why a watch ended: `closed` normally (server timeout, client inactivity timeout), `error` (network,
 * HTTP or ERROR event), `gone` (410: the resource version expired, so the informer relists),
 * `watchdog` (nothing arrived for `watchdogMs`).
 */
export type WatchEndReason = 'closed' | 'error' | 'gone' | 'watchdog';
export type RelistReason = 'initial' | 'gone';

/** Observers for informer metrics. Called synchronously; throws are swallowed. */
export interface InformerMetrics {
  watchEnded?(informer: string, reason: WatchEndReason): void;
  relisted?(informer: string, reason: RelistReason, detail: { durationMs: number; objects: number }): void;
  listFailed?(informer: string): void;
  event?(informer: string, type: string): void;
}

export interface InformerOptions<T extends KubernetesObject> {
  source: ListWatchSource<T>;
  logger: Logger;
  /** For logs and metrics; defaults to the source's description. */
  name?: string;
  handlers?: InformerHandlers<T>;
  /** Restart a watch that delivered no event or bookmark for this long (default 5 min). */
  watchdogMs?: number;
  /** Server-side watch timeout; default random in [5, 10) min like client-go's reflector, to spread reconnects. */
  watchTimeoutSeconds?: number | (() => number);
  /** Backoff between failed lists or watches (default 800 ms doubling to 30 s, as client-go's reflector). */
  backoff?: { baseMs?: number; maxMs?: number };
  /** A LIST taking longer than this fails and is retried (default 60 s). */
  listTimeoutMs?: number;
  metrics?: InformerMetrics;
  /**
   * Applied to every object as it arrives (list items and watch events), before it is cached or handed
   * to handlers, like client-go's SetTransform: drop what nobody reads (e.g. managedFields) to keep the
   * cache small. Must return an object with the same name, namespace and resourceVersion.
   */
  transform?(obj: T): T;
  clock?: Clock;
  random?: () => number;
}

export interface InformerStats {
  watchRestarts: number;
  relists: number;
  objects: number;
  resourceVersion: string;
  /** Clock time of the last successful list, established watch or received event. */
  lastProgressAt: number | undefined;
}

interface WatchEnd {
  reason: WatchEndReason | 'stopped';
  error?: unknown;
  /** The watch was established or delivered something: a later failure starts backoff afresh. */
  progressed: boolean;
}

/** A watch shorter than this that delivered nothing counts as a failure (so a server closing at once cannot spin us). */
const MIN_HEALTHY_WATCH_MS = 1_000;

/**
 * A supervised list+watch cache of one resource type (client-go's reflector + store + informer, without
 * trusting the client library's own restart logic):
 * - LIST, then WATCH from the list's resourceVersion with bookmarks, tracking the latest version seen;
 * - a watch that ends is resumed from that version, after backoff when it failed;
 * - on 410 Gone it relists and reports the difference: adds, updates for changed resourceVersions,
 *   and deletes (`finalStateUnknown`) for objects that vanished while it was not watching;
 * - a watchdog restarts a watch that stays silent longer than `watchdogMs` (streams can die silently).
 */
export class Informer<T extends KubernetesObject> {
  readonly name: string;
  private readonly source: ListWatchSource<T>;
  private readonly log: Logger;
  private readonly metrics: InformerMetrics;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly watchdogMs: number;
  private readonly watchTimeoutSeconds: () => number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly listTimeoutMs: number;
  private readonly handlers = new Set<InformerHandlers<T>>();
  /** Method syntax (bivariant), so that an Informer<Secret> still passes as an Informer<KubernetesObject>. */
  private readonly transformer: Pick<InformerOptions<T>, 'transform'>;

  private store = new Map<string, T>();
  private resourceVersion = '';
  private synced = false;
  private syncWaiters: ((synced: boolean) => void)[] = [];
  private state: 'new' | 'running' | 'stopped' = 'new';
  private readonly stopController = new AbortController();
  private loop: Promise<void> | undefined;
  private endCurrentWatch: (() => void) | undefined;
  private lastProgressAt: number | undefined;
  private watchRestarts = 0;
  private relists = 0;

  constructor(options: InformerOptions<T>) {
    this.source = options.source;
    this.name = options.name ?? options.source.description;
    this.log = options.logger.child({ informer: this.name });
    this.metrics = options.metrics ?? {};
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
    this.watchdogMs = options.watchdogMs ?? 5 * 60_000;
    const timeout = options.watchTimeoutSeconds;
    this.watchTimeoutSeconds =
      typeof timeout === 'function'
        ? timeout
        : typeof timeout === 'number'
          ? () => timeout
          : () => 300 + Math.floor(this.random() * 300);
    this.backoffBaseMs = options.backoff?.baseMs ?? 800;
    this.backoffMaxMs = options.backoff?.maxMs ?? 30_000;
    this.listTimeoutMs = options.listTimeoutMs ?? 60_000;
    this.transformer = options.transform ? { transform: options.transform } : {};
    if (options.handlers) this.handlers.add(options.handlers);
  }

  /**
   * Registers handlers; returns a function that removes them. Registered after the initial sync, they
   * first receive `onAdd` for every cached object.
   */
  addHandlers(handlers: InformerHandlers<T>): () => void {
    this.handlers.add(handlers);
    if (this.synced) {
      for (const obj of this.store.values()) this.call(handlers, 'onAdd', obj);
    }
    return () => this.handlers.delete(handlers);
  }

  start(): void {
    if (this.state !== 'new') throw new Error(`informer ${this.name} was already started`);
    this.state = 'running';
    this.loop = this.run().catch((err: unknown) => {
      // run() handles its own errors; reaching this is a bug, but it must not become an unhandled rejection.
      this.log.error({ err: describeError(err) }, 'informer loop crashed');
    });
  }

  /** Stops watching and resolves once the loop has exited. The cache keeps its last contents. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.stopController.abort();
    this.endCurrentWatch?.();
    for (const resolve of this.syncWaiters.splice(0)) resolve(false);
    await this.loop;
  }

  /** True once the first LIST has been stored and its adds delivered. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves true once synced; false if the informer stops or `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (this.state === 'stopped' || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => {
        this.syncWaiters = this.syncWaiters.filter((w) => w !== waiter);
        resolve(false);
      };
      const waiter = (synced: boolean) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(synced);
      };
      this.syncWaiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Synced, running, and the list/watch made progress (list, established watch, event or bookmark)
   * within the watchdog period. False during a prolonged outage of the API server.
   */
  isHealthy(): boolean {
    return (
      this.state === 'running' &&
      this.synced &&
      this.lastProgressAt !== undefined &&
      this.clock.now() - this.lastProgressAt <= this.watchdogMs
    );
  }

  get(namespace: string, name: string): T | undefined {
    return this.store.get(keyToString({ namespace, name }));
  }

  /** Cached objects, optionally of one namespace. */
  list(namespace?: string): T[] {
    const all = [...this.store.values()];
    return namespace === undefined ? all : all.filter((obj) => (obj.metadata?.namespace ?? '') === namespace);
  }

  stats(): InformerStats {
    return {
      watchRestarts: this.watchRestarts,
      relists: this.relists,
      objects: this.store.size,
      resourceVersion: this.resourceVersion,
      lastProgressAt: this.lastProgressAt,
    };
  }

  private get stopping(): boolean {
    return this.state === 'stopped';
  }

  private async run(): Promise<void> {
    let listReason: RelistReason | undefined = 'initial';
    let failures = 0;
    let goneStreak = 0;
    while (!this.stopping) {
      if (listReason) {
        try {
          await this.relist(listReason);
          listReason = undefined;
        } catch (err) {
          if (this.stopping) return;
          failures++;
          this.observe('listFailed', this.name);
          const delayMs = this.backoff(failures);
          this.log.warn({ err: describeError(err), failures, delayMs }, 'list failed; retrying');
          await sleep(this.clock, delayMs, this.stopController.signal);
          continue;
        }
      }

      const end = await this.watchOnce();
      if (end.reason === 'stopped' || this.stopping) return;
      this.watchRestarts++;
      this.observe('watchEnded', this.name, end.reason);
      if (end.progressed) {
        failures = 0;
        goneStreak = 0;
      }
      const context = { reason: end.reason, resourceVersion: this.resourceVersion };
      switch (end.reason) {
        case 'closed':
          this.log.debug(context, 'watch closed; resuming');
          if (end.progressed) continue;
          break;
        case 'watchdog':
          this.log.warn({ ...context, watchdogMs: this.watchdogMs }, 'watch silent too long; restarting');
          continue;
        case 'gone':
          this.log.info(context, 'resource version expired; relisting');
          listReason = 'gone';
          // Back off only if relisting keeps ending in 410 without the watch ever working.
          if (++goneStreak <= 1) continue;
          break;
        case 'error':
          this.log.warn({ ...context, err: describeError(end.error) }, 'watch failed');
          break;
      }
      failures++;
      await sleep(this.clock, this.backoff(failures), this.stopController.signal);
    }
  }

  private backoff(failures: number): number {
    return backoffDelay(Math.max(0, failures - 1), {
      baseMs: this.backoffBaseMs,
      maxMs: this.backoffMaxMs,
      random: this.random,
    });
  }

  private async relist(reason: RelistReason): Promise<void> {
    const started = this.clock.now();
    const result = await this.withListTimeout(Promise.resolve().then(() => this.source.list()));
    if (this.stopping) return;
    const previous = this.store;
    const next = new Map<string, T>();
    for (const item of result.items) {
      const obj = this.transform(item);
      const key = keyOf(obj);
      if (key) next.set(keyToString(key), obj);
    }
    // Swap first so that handlers reading the cache see the new state.
    this.store = next;
    this.resourceVersion = result.resourceVersion;
    this.lastProgressAt = this.clock.now();
    for (const [key, obj] of next) {
      const old = previous.get(key);
      if (!old) this.emit('onAdd', obj);
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion)
        this.emit('onUpdate', old, obj);
    }
    for (const [key, old] of previous) {
      if (!next.has(key)) this.emit('onDelete', old, { finalStateUnknown: true });
    }
    this.relists++;
    const durationMs = this.clock.now() - started;
    this.observe('relisted', this.name, reason, { durationMs, objects: next.size });
    this.log.debug(
      { reason, objects: next.size, resourceVersion: this.resourceVersion, durationMs },
      'listed',
    );
    if (!this.synced) {
      this.synced = true;
      for (const resolve of this.syncWaiters.splice(0)) resolve(true);
    }
  }

  /**
   * Bounds a LIST by `listTimeoutMs` and by `stop()`. The client call itself cannot be cancelled; its
   * late result is dropped.
   */
  private withListTimeout<R>(promise: Promise<R>): Promise<R> {
    let timer: TimerHandle;
    let onStop: (() => void) | undefined;
    const signal = this.stopController.signal;
    const bounded = new Promise<never>((_, reject) => {
      timer = this.clock.setTimeout(
        () => reject(new Error(`list timed out after ${this.listTimeoutMs} ms`)),
        this.listTimeoutMs,
      );
      onStop = () => reject(new Error('informer stopped'));
      signal.addEventListener('abort', onStop, { once: true });
    });
    // The losing side must not become an unhandled rejection.
    promise.catch(() => {});
    return Promise.race([promise, bounded]).finally(() => {
      this.clock.clearTimeout(timer);
      if (onStop) signal.removeEventListener('abort', onStop);
    });
  }

  /** Runs one watch from the current resourceVersion until it ends, fails, goes silent or is stopped. */
  private watchOnce(): Promise<WatchEnd> {
    return new Promise<WatchEnd>((resolve) => {
      const startedAt = this.clock.now();
      let settled = false;
      let established = false;
      let delivered = false;
      let handle: WatchHandle | undefined;
      let watchdog: TimerHandle | undefined;

      const finish = (reason: WatchEnd['reason'], error?: unknown) => {
        if (settled) return;
        settled = true;
        this.endCurrentWatch = undefined;
        if (watchdog !== undefined) this.clock.clearTimeout(watchdog);
        handle?.abort();
        const progressed = delivered || (established && this.clock.now() - startedAt >= MIN_HEALTHY_WATCH_MS);
        resolve({ reason, error, progressed });
      };
      const armWatchdog = () => {
        if (watchdog !== undefined) this.clock.clearTimeout(watchdog);
        watchdog = this.clock.setTimeout(() => finish('watchdog'), this.watchdogMs);
      };
      const onEvent = (event: WatchEvent<T>) => {
        if (settled) return;
        delivered = true;
        this.lastProgressAt = this.clock.now();
        armWatchdog();
        const end = this.handleEvent(event);
        if (end) finish(end.reason, end.error);
      };
      const onDone = (err?: unknown) => {
        if (err === undefined || err === null) finish('closed');
        else if (httpStatusOf(err) === 410) finish('gone', err);
        // The client's own inactivity timeout: the stream was quiet, not broken.
        else if (err instanceof Error && err.name === 'TimeoutError' && established) finish('closed');
        else finish('error', err);
      };

      this.endCurrentWatch = () => finish('stopped');
      if (this.stopping) return finish('stopped');
      armWatchdog();
      const request = { resourceVersion: this.resourceVersion, timeoutSeconds: this.watchTimeoutSeconds() };
      // Through a promise so that a source throwing synchronously is handled like one that rejects.
      Promise.resolve()
        .then(() => this.source.watch(request, onEvent, onDone))
        .then(
          (h) => {
            handle = h;
            if (settled) return h.abort();
            established = true;
            this.lastProgressAt = this.clock.now();
          },
          (err: unknown) => finish('error', err),
        );
    });
  }

  /** Applies one watch event to the cache; returns how the watch must end, if it must. */
  private handleEvent(event: WatchEvent<T>): { reason: WatchEndReason; error?: unknown } | undefined {
    this.observe('event', this.name, event.type);
    const obj = event.object;
    if (event.type === 'ERROR') {
      const status = obj as { code?: unknown; reason?: unknown; message?: unknown };
      const error = Object.assign(
        new Error(typeof status.message === 'string' ? status.message : 'watch ERROR event'),
        {
          code: status.code,
          reason: status.reason,
        },
      );
      return { reason: status.code === 410 ? 'gone' : 'error', error };
    }
    const resourceVersion = obj?.metadata?.resourceVersion;
    if (event.type === 'BOOKMARK') {
      if (resourceVersion) this.resourceVersion = resourceVersion;
      return undefined;
    }
    const received = obj ? keyOf(obj) : undefined;
    if (!received) {
      this.log.warn({ type: event.type }, 'ignoring watch event without an object name');
      return undefined;
    }
    if (resourceVersion) this.resourceVersion = resourceVersion;
    const id = keyToString(received);
    const old = this.store.get(id);
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED': {
        const cached = this.transform(obj);
        this.store.set(id, cached);
        if (old) this.emit('onUpdate', old, cached);
        else this.emit('onAdd', cached);
        break;
      }
      case 'DELETED':
        this.store.delete(id);
        this.emit('onDelete', this.transform(obj), { finalStateUnknown: false });
        break;
      default:
        this.log.warn({ type: event.type }, 'ignoring watch event of unknown type');
    }
    return undefined;
  }

  private transform(obj: T): T {
    return this.transformer.transform ? this.transformer.transform(obj) : obj;
  }

  private emit<E extends keyof InformerHandlers<T>>(
    event: E,
    ...args: Parameters<NonNullable<InformerHandlers<T>[E]>>
  ): void {
    for (const handlers of this.handlers) this.call(handlers, event, ...args);
  }

  private call<E extends keyof InformerHandlers<T>>(
    handlers: InformerHandlers<T>,
    event: E,
    ...args: Parameters<NonNullable<InformerHandlers<T>[E]>>
  ): void {
    const handler = handlers[event] as ((...a: typeof args) => void) | undefined;
    if (!handler) return;
    try {
      handler.apply(handlers, args);
    } catch (err) {
      this.log.error({ err: describeError(err), event }, 'informer handler threw');
    }
  }

  private observe<E extends keyof InformerMetrics>(
    event: E,
    ...args: Parameters<NonNullable<InformerMetrics[E]>>
  ): void {
    callObserver(this.metrics, event, args);
  }
}
