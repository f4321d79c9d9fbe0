/**
 * The LogtoApplication reconciler, in the shape of Crossplane's managed reconciler: one
 * level-triggered pass observes the resource's external application through the ExternalClient
 * (external-client.ts; Logto's is logto-external.ts), creates it if it does not exist, converges it
 * with update (a no-op when it matches), publishes its connection details in a Secret, and reports
 * the outcome as Synced and Ready. It knows nothing of Logto; its parts, one job each:
 * resource-metadata.ts (finalizer and annotations), status-book.ts (status and conditions),
 * secret-publication.ts (the Secret).
 *
 * Crash safety, step by step: the finalizer and a create-pending annotation are on the resource
 * before anything exists externally (one write); every application the operator creates carries an
 * ownership marker with the resource's UID; the pass publishes the Secret and then records the id in
 * status, which confirms the create. A pass that died between the create and that status write, or
 * lost status later, finds the application again (the id in its Secret, else the marker) instead of
 * creating a second one, and records it in the external-name annotation. Three Kubernetes writes per
 * create: metadata, Secret, status.
 */
import { randomBytes } from 'node:crypto';
import type { LogtoApplication } from '../../crd/logto-application.js';
import type { Logger } from '../../log.js';
import { currentAbortSignal, withAbortSignal, withDeadline } from '../../util/abort-scope.js';
import type {
  ObjectKey,
  ReconcileContext,
  ReconcileResult,
  Reconciler,
  SecretDigest,
} from '../../runtime/index.js';
import { FINALIZER } from './constants.js';
import { CreateRefused, type ExternalClient, type ExternalConnector } from './external-client.js';
import {
  annotationTime,
  CREATE_FAILED_ANNOTATION,
  CREATE_PENDING_ANNOTATION,
  CREATE_TOKEN_ANNOTATION,
  EXTERNAL_NAME_ANNOTATION,
} from './external-name.js';
import { KubernetesOperationError } from './kube-errors.js';
import { PassDeferred, ReconcileStop, toReconcileStop } from './outcome.js';
import type { EventRecorder, KubeOperations } from './ports.js';
import { recordMetadata, type AnnotationChanges } from './resource-metadata.js';
import { SecretPublisher } from './secret-publication.js';
import { StatusBook, SYNCED } from './status-book.js';
import { validateSpec } from './validate-spec.js';

export { READY, SYNCED } from './status-book.js';

/** Stops of a deletion that only a working connection (or giving up the application) gets past. */
const CONNECTION_REASONS: ReadonlySet<string> = new Set([
  'ConnectionNotFound',
  'ConnectionNotReady',
  'Unauthorized',
  'Forbidden',
]);

/** Longest message of an unexpected error kept in status and events. */
const MAX_ERROR_MESSAGE = 1024;

export interface ReconcilerSettings {
  /** Drift check period; each pass is requeued after it, spread by ±resyncJitter. */
  resyncPeriodMs: number;
  resyncJitter: number;
  /** When to look again at a resource stopped by something outside the spec (e.g. a foreign Secret). */
  recheckAfterMs: number;
  /**
   * How long the external calls of one pass may take in all: past it, no call starts and the pass
   * stops (the rest waits for the next one), so that no endpoint holds a worker longer.
   */
  passDeadlineMs: number;
}

export const DEFAULT_RECONCILER_SETTINGS: ReconcilerSettings = {
  resyncPeriodMs: 10 * 60_000,
  resyncJitter: 0.1,
  recheckAfterMs: 5 * 60_000,
  passDeadlineMs: 60_000,
};

export interface ReconcilerDependencies {
  /** The informer caches. */
  resources: { get(namespace: string, name: string): LogtoApplication | undefined };
  ownedSecrets: { get(namespace: string, name: string): SecretDigest | undefined };
  kube: KubeOperations;
  /** Makes the external client of each pass. */
  external: ExternalConnector;
  events: EventRecorder;
  logger: Logger;
  settings: ReconcilerSettings;
  now?: () => Date;
  random?: () => number;
  /** A fresh create token (random, unguessable): injectable for tests. */
  newToken?: () => string;
}

export class LogtoApplicationReconciler implements Reconciler {
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly newToken: () => string;
  private readonly status: StatusBook;
  private readonly secrets: SecretPublisher;

  constructor(private readonly deps: ReconcilerDependencies) {
    this.now = deps.now ?? (() => new Date());
    this.random = deps.random ?? Math.random;
    this.newToken = deps.newToken ?? (() => randomBytes(12).toString('base64url'));
    this.status = new StatusBook(deps.kube, this.now);
    this.secrets = new SecretPublisher(deps);
  }

  reconcile(key: ObjectKey, context?: ReconcileContext): Promise<ReconcileResult | void> {
    const pass = () => withDeadline(this.deps.settings.passDeadlineMs, () => this.reconcileKey(key));
    return context ? withAbortSignal(context.signal, pass) : pass();
  }

  private async reconcileKey(key: ObjectKey): Promise<ReconcileResult | void> {
    const fromCache = this.deps.resources.get(key.namespace ?? '', key.name);
    if (!fromCache) return;
    // The cache's objects are shared: work on a copy.
    const cached = structuredClone(fromCache);
    const started = performance.now();
    const pass: { external?: ExternalClient } = {};
    const log = this.deps.logger.child({
      resource: `${key.namespace}/${key.name}`,
      generation: cached.metadata.generation,
    });
    let result: ReconcileResult | void;
    let outcome = 'synced';
    try {
      if (cached.metadata.deletionTimestamp) {
        outcome = 'finalized';
        await this.finalize(cached, pass);
        return;
      }
      result = await this.sync(cached, pass);
      return result;
    } catch (error) {
      if (error instanceof PassDeferred) {
        outcome = 'deferred';
        return { requeueAfterMs: error.retryInMs };
      }
      const stop = toReconcileStop(error);
      if (!stop) {
        outcome = 'error';
        // A write on a stale copy: retried with backoff on a fresh one, nothing to report.
        if (error instanceof KubernetesOperationError && error.status === 409) throw error;
        return await this.failed(cached, error);
      }
      outcome = stop.reason;
      return await this.stopped(cached, stop);
    } finally {
      pass.external?.release?.();
      log.info(
        {
          logtoCalls: pass.external?.calls ?? [],
          durationMs: Math.round(performance.now() - started),
          result: outcome,
        },
        'reconciled',
      );
    }
  }

  private async sync(
    resource: LogtoApplication,
    pass: { external?: ExternalClient },
  ): Promise<ReconcileResult> {
    // The finalizer is applied with the first annotation the pass records, before any external write.
    const problems = validateSpec(resource);
    if (problems.length > 0) throw new ReconcileStop('InvalidSpec', problems.join('; '));
    const existingSecret = await this.secrets.ownedSecret(resource);
    const external = (pass.external = await this.deps.external.connect(resource));
    await this.status.recordIntent(resource, external.intent());

    const observation = await external.observe({
      ...(existingSecret ? { publishedId: () => this.secrets.publishedApplicationId(resource) } : {}),
    });
    if (observation.exists) {
      this.status.verified(resource, observation.id);
      // An id the pass had to find (adopted, searched for, taken back) is on the resource before the
      // pass writes anything more to the external resource.
      if (observation.record) {
        await this.record(resource, { [EXTERNAL_NAME_ANNOTATION]: observation.id }, external);
      }
    } else {
      await this.create(resource, external);
    }
    const update = await external.update();
    const secretName = await this.secrets.publish(resource, update.credentials, existingSecret);
    await update.afterPublish();
    await this.secrets.removeStale(resource, secretName);
    if (update.changes) this.deps.events.record(resource, 'Normal', 'Updated', update.changes);

    await this.status.write(resource, {
      applicationId: update.credentials.appId,
      secretName,
      converged: update.status,
      synced: { status: 'True', reason: 'ReconcileSuccess', message: `${update.title} matches the spec` },
      ready: {
        status: 'True',
        reason: 'Available',
        message: `credentials of ${update.title} are in Secret ${secretName}`,
      },
    });
    const resync = this.jitteredResync();
    return { requeueAfterMs: update.dueInMs !== undefined ? Math.min(resync, update.dueInMs) : resync };
  }

  /**
   * Creates the external resource after recording create-pending (with the finalizer). Its id goes
   * into status with the pass's outcome, after the Secret: no metadata write in between. A pass that
   * dies before that status write leaves the create unconfirmed, so the next pass looks for the
   * application (the id in the Secret, else the marker) instead of creating another.
   */
  private async create(resource: LogtoApplication, external: ExternalClient): Promise<void> {
    // A create still unconfirmed from an earlier attempt (searched for, not found) stays recorded as
    // is, time and token; one that status confirmed is history, and this create gets its own. An
    // external name left from an application that is gone no longer names anything.
    const annotations = resource.metadata.annotations ?? {};
    const unconfirmed = annotations[CREATE_PENDING_ANNOTATION] && !resource.status?.applicationId;
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
    let created;
    try {
      created = await external.create();
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
    this.status.verified(resource, created.id);
    this.deps.events.record(resource, 'Normal', 'Created', created.message);
  }

  private record(
    resource: LogtoApplication,
    changes: AnnotationChanges,
    external: ExternalClient,
  ): Promise<void> {
    const present = resource.metadata.annotations ?? {};
    const needed = Object.entries(external.annotations ?? {}).filter(([key]) => !present[key]);
    return recordMetadata(this.deps.kube, resource, { ...Object.fromEntries(needed), ...changes });
  }

  private async finalize(resource: LogtoApplication, pass: { external?: ExternalClient }): Promise<void> {
    if (!resource.metadata.finalizers?.includes(FINALIZER)) return;
    const external = (pass.external = await this.deps.external.connect(resource));
    await external.delete();
    await this.deps.kube.removeFinalizer(resource);
  }

  /**
   * Reports a stopped pass (event, Synced=False) and fails the reconcile with it, so that it counts
   * as an error. Transient causes go back through the rate limiter's backoff; a Retry-After is
   * honoured; the rest (it would fail the same way at once) are looked at again after a while, since
   * the cause may lie outside the spec (credentials, server features, someone else's Secret).
   */
  private async stopped(resource: LogtoApplication, stop: ReconcileStop): Promise<never> {
    const deleting = Boolean(resource.metadata.deletionTimestamp);
    const reason = deleting ? 'DeletionFailed' : stop.reason;
    if (deleting && CONNECTION_REASONS.has(stop.reason)) {
      // What the user can do about a deletion that waits for its connection.
      stop = new ReconcileStop(
        stop.reason,
        `${stop.reason}: ${stop.message}. The finalizer ${FINALIZER} keeps the resource until its Logto ` +
          'application can be deleted: make the connection work again (e.g. restore its credentials), or ' +
          `remove the finalizer to leave the application in Logto (README, "Deletion")`,
        stop.options,
      );
    }
    const synced = resource.status?.conditions?.find((c) => c.type === SYNCED);
    const saidAlready =
      synced?.status === 'False' &&
      synced.reason === reason &&
      synced.message === stop.message &&
      synced.observedGeneration === resource.metadata.generation;
    if (!(stop.options.quiet && saidAlready))
      this.deps.events.record(resource, 'Warning', reason, stop.message);
    await this.status.write(resource, this.status.failureConditions(resource, reason, stop.message));
    if (stop.options.retryAfterMs !== undefined) stop.requeueAfterMs = stop.options.retryAfterMs;
    else if (!stop.options.retry)
      stop.requeueAfterMs = stop.options.recheckAfterMs ?? this.deps.settings.recheckAfterMs;
    throw stop;
  }

  /**
   * Reports an error that is not a planned stop (a bug, an unexpected answer, a conflicting write):
   * Synced=False ReconcileError with the error's message, then fails the reconcile with the error
   * itself so that it is retried with backoff. Should the status write fail too, that error wins.
   */
  private async failed(resource: LogtoApplication, error: unknown): Promise<never> {
    // An abandoned pass (shutdown, lost leadership) says nothing about the resource.
    if (currentAbortSignal()?.aborted) throw error;
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const message = text.length > MAX_ERROR_MESSAGE ? `${text.slice(0, MAX_ERROR_MESSAGE)}…` : text;
    this.deps.events.record(resource, 'Warning', 'ReconcileError', message);
    await this.status.write(resource, this.status.failureConditions(resource, 'ReconcileError', message));
    throw error;
  }

  private jitteredResync(): number {
    const { resyncPeriodMs, resyncJitter } = this.deps.settings;
    return Math.round(resyncPeriodMs * (1 + resyncJitter * (2 * this.random() - 1)));
  }
}
