/**
 * The reconciler of the kinds a namespace declares beside its applications (LogtoRole,
 * LogtoApiResource), in the shape of Crossplane's managed reconciler: observe the Logto object
 * through the pass's external client (external.ts), create it if it does not exist, converge it with
 * update (a no-op when it matches), and report Synced and Ready with observedGeneration. The same
 * crash-safety order as LogtoApplication's: the finalizer, create-pending and the create token go on
 * the resource in one write before the create; the id goes into status after it, and an id the pass
 * had to find (a lost answer, lost status, a take-over) into logto.io/external-name before anything
 * more is written. An object that only observes is never written in Logto and holds no finalizer.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../log.js';
import type { ObjectKey, ReconcileContext, ReconcileResult, Reconciler } from '../../runtime/index.js';
import { currentAbortSignal, withAbortSignal, withDeadline } from '../../util/abort-scope.js';
import { deepEqual } from '../../util/json.js';
import { setCondition } from '../logto-application/conditions.js';
import { FINALIZER } from '../logto-application/constants.js';
import {
  annotationTime,
  CREATE_FAILED_ANNOTATION,
  CREATE_PENDING_ANNOTATION,
  CREATE_TOKEN_ANNOTATION,
  EXTERNAL_NAME_ANNOTATION,
} from '../logto-application/external-name.js';
import { CreateRefused } from '../logto-application/external-client.js';
import { KubernetesOperationError } from '../logto-application/kube-errors.js';
import { PassDeferred, ReconcileStop, toReconcileStop } from '../logto-application/outcome.js';
import type { EventType } from '../logto-application/ports.js';
import { recordMetadata, type AnnotationChanges } from '../logto-application/resource-metadata.js';
import { READY, SYNCED, UNAVAILABLE_REASONS } from '../logto-application/status-book.js';
import {
  observesOnly,
  type DeclaredConnector,
  type DeclaredExternal,
  type DeclaredObject,
  type DeclaredStatus,
} from './external.js';

/** Longest message of an unexpected error kept in status and events. */
const MAX_ERROR_MESSAGE = 1024;

/** Stops after which the object cannot be taken to exist as declared. */
const NOT_AVAILABLE: ReadonlySet<string> = new Set([
  ...UNAVAILABLE_REASONS,
  'DeclarationConflict',
  'NotFound',
]);

export interface DeclaredKind<T extends DeclaredObject> {
  /** The status field holding the Logto id: `roleId`, `resourceId`. */
  idField: string;
  /** Problems of the spec that its schema cannot catch (InvalidSpec). */
  validate(resource: T): string[];
}

export interface DeclaredWrites<T> {
  applyMetadata(resource: T, annotations: Record<string, string>): Promise<string | undefined>;
  removeFinalizer(resource: T): Promise<void>;
  applyStatus(resource: T, status: DeclaredStatus): Promise<string | undefined>;
}

export interface DeclaredReconcilerDependencies<T extends DeclaredObject, S> {
  kind: DeclaredKind<T>;
  /** The informer cache. */
  resources: { get(namespace: string, name: string): T | undefined };
  kube: DeclaredWrites<T>;
  external: DeclaredConnector<T, S>;
  events: { record(resource: T, type: EventType, reason: string, message: string): void };
  logger: Logger;
  settings: {
    resyncPeriodMs: number;
    resyncJitter: number;
    recheckAfterMs: number;
    passDeadlineMs: number;
  };
  now?: () => Date;
  random?: () => number;
  newToken?: () => string;
}

interface Outcome {
  status: 'True' | 'False';
  reason: string;
  message: string;
}

export class DeclaredReconciler<T extends DeclaredObject, S extends object> implements Reconciler {
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly newToken: () => string;

  constructor(private readonly deps: DeclaredReconcilerDependencies<T, S>) {
    this.now = deps.now ?? (() => new Date());
    this.random = deps.random ?? Math.random;
    this.newToken = deps.newToken ?? (() => randomBytes(12).toString('base64url'));
  }

  reconcile(key: ObjectKey, context?: ReconcileContext): Promise<ReconcileResult | void> {
    const pass = () => withDeadline(this.deps.settings.passDeadlineMs, () => this.reconcileKey(key));
    return context ? withAbortSignal(context.signal, pass) : pass();
  }

  private async reconcileKey(key: ObjectKey): Promise<ReconcileResult | void> {
    const fromCache = this.deps.resources.get(key.namespace ?? '', key.name);
    if (!fromCache) return;
    // The cache's objects are shared: work on a copy.
    const resource = structuredClone(fromCache);
    const started = performance.now();
    const pass: { external?: DeclaredExternal<S> } = {};
    let outcome = 'synced';
    try {
      if (resource.metadata.deletionTimestamp) {
        outcome = 'finalized';
        await this.finalize(resource, pass);
        return;
      }
      return await this.sync(resource, pass);
    } catch (error) {
      if (error instanceof PassDeferred) {
        outcome = 'deferred';
        return { requeueAfterMs: error.retryInMs };
      }
      const stop = toReconcileStop(error);
      if (!stop) {
        outcome = 'error';
        if (error instanceof KubernetesOperationError && error.status === 409) throw error;
        return await this.failed(resource, error);
      }
      outcome = stop.reason;
      return await this.stopped(resource, stop);
    } finally {
      pass.external?.release();
      this.deps.logger.info(
        {
          resource: `${key.namespace}/${key.name}`,
          generation: resource.metadata.generation,
          logtoCalls: pass.external?.calls ?? [],
          durationMs: Math.round(performance.now() - started),
          result: outcome,
        },
        'reconciled',
      );
    }
  }

  private async sync(resource: T, pass: { external?: DeclaredExternal<S> }): Promise<ReconcileResult> {
    const problems = this.deps.kind.validate(resource);
    if (problems.length > 0) throw new ReconcileStop('InvalidSpec', problems.join('; '));
    const external = (pass.external = await this.deps.external.connect(resource));
    const observing = observesOnly(resource);
    const observation = await external.observe();
    let id: string;
    if (observation.exists) {
      id = observation.id;
      // The id it had to find, and the token its marker carries (one taken over has none yet), are
      // on the resource before the pass writes anything to the object.
      const token = resource.metadata.annotations?.[CREATE_TOKEN_ANNOTATION];
      if (!observing && (observation.record || !token)) {
        await this.record(
          resource,
          {
            ...(observation.record ? { [EXTERNAL_NAME_ANNOTATION]: id } : {}),
            ...(token ? {} : { [CREATE_TOKEN_ANNOTATION]: this.newToken() }),
          },
          external,
        );
      }
      if (observation.found) this.deps.events.record(resource, 'Normal', 'Found', observation.found);
    } else {
      id = await this.create(resource, external);
    }
    const update = await external.update();
    if (update.changes) this.deps.events.record(resource, 'Normal', 'Updated', update.changes);
    await this.writeStatus(resource, {
      id,
      converged: update.status,
      synced: {
        status: 'True',
        reason: 'ReconcileSuccess',
        message: observing ? `${update.title} observed` : `${update.title} matches the spec`,
      },
      ready: { status: 'True', reason: 'Available', message: `${update.title} exists` },
    });
    const { resyncPeriodMs, resyncJitter } = this.deps.settings;
    return { requeueAfterMs: Math.round(resyncPeriodMs * (1 + resyncJitter * (2 * this.random() - 1))) };
  }

  /**
   * Records create-pending and a create token with the finalizer, then creates. A create still
   * unconfirmed (no id in status) keeps its time and token: the object it may have made carries that
   * token, and the next attempt finds it by its natural key (indicator, role name) instead.
   */
  private async create(resource: T, external: DeclaredExternal<S>): Promise<string> {
    const annotations = resource.metadata.annotations ?? {};
    const recorded = (resource.status as Record<string, unknown> | undefined)?.[this.deps.kind.idField];
    const unconfirmed = annotations[CREATE_PENDING_ANNOTATION] && !recorded;
    await this.record(
      resource,
      {
        [CREATE_PENDING_ANNOTATION]:
          (unconfirmed && annotations[CREATE_PENDING_ANNOTATION]) || annotationTime(this.now()),
        [CREATE_TOKEN_ANNOTATION]: (unconfirmed && annotations[CREATE_TOKEN_ANNOTATION]) || this.newToken(),
        [EXTERNAL_NAME_ANNOTATION]: undefined,
      },
      external,
    );
    try {
      const created = await external.create();
      this.deps.events.record(resource, 'Normal', 'Created', created.message);
      return created.id;
    } catch (error) {
      if (!(error instanceof CreateRefused)) throw error;
      await this.record(
        resource,
        {
          [CREATE_PENDING_ANNOTATION]: undefined,
          [CREATE_TOKEN_ANNOTATION]: undefined,
          [CREATE_FAILED_ANNOTATION]: annotationTime(this.now()),
        },
        external,
      );
      throw error.stop;
    }
  }

  private record(resource: T, changes: AnnotationChanges, external: DeclaredExternal<S>): Promise<void> {
    const present = resource.metadata.annotations ?? {};
    const needed = Object.entries(external.annotations ?? {}).filter(([key]) => !present[key]);
    return recordMetadata(this.deps.kube, resource, { ...Object.fromEntries(needed), ...changes });
  }

  private async finalize(resource: T, pass: { external?: DeclaredExternal<S> }): Promise<void> {
    if (!resource.metadata.finalizers?.includes(FINALIZER)) return;
    // An object that observes only never owned anything in Logto.
    if (!observesOnly(resource)) {
      const external = (pass.external = await this.deps.external.connect(resource));
      await external.delete();
    }
    await this.deps.kube.removeFinalizer(resource);
  }

  private async writeStatus(
    resource: T,
    update: { id?: string; converged?: S; synced: Outcome; ready?: Outcome },
  ): Promise<void> {
    const current = (resource.status ?? {}) as DeclaredStatus & Record<string, unknown>;
    const generation = resource.metadata.generation ?? 0;
    const { idField } = this.deps.kind;
    // A failed pass keeps the last converged description; a successful one replaces it.
    const kept = update.converged
      ? (update.converged as Record<string, unknown>)
      : Object.fromEntries(
          Object.entries(current).filter(
            ([key]) => !['observedGeneration', 'conditions', idField].includes(key),
          ),
        );
    let conditions = current.conditions ?? [];
    for (const [type, condition] of [
      [SYNCED, update.synced],
      [READY, update.ready],
    ] as const) {
      const previous = conditions.find((c) => c.type === type);
      const next = condition ?? previous;
      if (next)
        conditions = setCondition(conditions, { ...next, type, observedGeneration: generation }, this.now());
    }
    const next = Object.fromEntries(
      Object.entries({
        observedGeneration: generation,
        [idField]: update.id ?? current[idField],
        ...kept,
        conditions,
      }).filter(([, value]) => value !== undefined),
    ) as DeclaredStatus;
    if (deepEqual(next, current)) return;
    const version = await this.deps.kube.applyStatus(resource, next);
    if (version) resource.metadata.resourceVersion = version;
    resource.status = next;
  }

  /** Reports a stopped pass (event, Synced=False, Ready=False when it no longer holds) and fails it. */
  private async stopped(resource: T, stop: ReconcileStop): Promise<never> {
    const deleting = Boolean(resource.metadata.deletionTimestamp);
    const reason = deleting ? 'DeletionFailed' : stop.reason;
    const synced = resource.status?.conditions?.find((c) => c.type === SYNCED);
    const saidAlready =
      synced?.status === 'False' &&
      synced.reason === reason &&
      synced.message === stop.message &&
      synced.observedGeneration === resource.metadata.generation;
    if (!(stop.options.quiet && saidAlready))
      this.deps.events.record(resource, 'Warning', reason, stop.message);
    const ready = resource.status?.conditions?.find((c) => c.type === READY);
    const stillAvailable = ready?.status === 'True' && !NOT_AVAILABLE.has(reason);
    const failure = { status: 'False' as const, reason, message: stop.message };
    await this.writeStatus(resource, { synced: failure, ...(stillAvailable ? {} : { ready: failure }) });
    if (stop.options.retryAfterMs !== undefined) stop.requeueAfterMs = stop.options.retryAfterMs;
    else if (!stop.options.retry)
      stop.requeueAfterMs = stop.options.recheckAfterMs ?? this.deps.settings.recheckAfterMs;
    throw stop;
  }

  /** An error that is not a planned stop: Synced=False ReconcileError, retried with backoff. */
  private async failed(resource: T, error: unknown): Promise<never> {
    if (currentAbortSignal()?.aborted) throw error;
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const message = text.length > MAX_ERROR_MESSAGE ? `${text.slice(0, MAX_ERROR_MESSAGE)}…` : text;
    this.deps.events.record(resource, 'Warning', 'ReconcileError', message);
    await this.writeStatus(resource, { synced: { status: 'False', reason: 'ReconcileError', message } });
    throw error;
  }
}
