/**
 * The LogtoApplication reconciler: one level-triggered pass reads the desired state from the cached
 * resource and the actual state from Logto and Kubernetes, then makes only the calls that differ.
 *
 * Crash safety, step by step: the finalizer and a create-pending annotation are on the resource
 * before anything exists in Logto; the application id goes into the external-name annotation as soon
 * as the create answers (status keeps a copy for display); every application the operator creates
 * carries an ownership marker with the resource's UID, so a pass that died between the create and
 * recording its id finds the application again instead of creating a second one.
 */
import type { V1Secret } from '@kubernetes/client-node';
import type { Application } from '../../api/schemas.js';
import { LogtoApiError, ignoreNotFound } from '../../api/errors.js';
import type { LogtoApplication, LogtoApplicationStatus } from '../../crd/logto-application.js';
import { TYPES_WITH_SECRETS } from '../../crd/logto-application.js';
import type { Logger } from '../../log.js';
import { deepEqual } from '../../util/json.js';
import { currentAbortSignal, withAbortSignal } from '../../util/abort-scope.js';
import { recordingCalls } from '../../util/observe-calls.js';
import type { ObjectKey, ReconcileContext, ReconcileResult, Reconciler } from '../../runtime/index.js';
import { ASPECTS, removeCustomDomains, type AspectContext } from './aspects/index.js';
import { convergeClientSecrets } from './client-secrets.js';
import { setCondition } from './conditions.js';
import { desiredSecret, isOwnedBy, secretName, secretUpToDate } from './credentials-secret.js';
import { FIELD_MANAGER, FINALIZER } from './constants.js';
import { KubernetesOperationError } from './kube-errors.js';
import { templateReferences } from './secret-template.js';
import {
  applicationPatch,
  createApplicationBody,
  desiredApplication,
  immutableMismatch,
} from './desired-application.js';
import {
  annotationTime,
  CREATE_FAILED_ANNOTATION,
  CREATE_PENDING_ANNOTATION,
  CREATE_SUCCEEDED_ANNOTATION,
  EXTERNAL_NAME_ANNOTATION,
  externalName,
  ownAnnotations,
  CONNECTION_ANNOTATION,
} from './external-name.js';
import {
  findByMarker,
  getOrUndefined,
  locateApplication,
  mayHaveLostCreate,
  mayManage,
  ownership,
} from './locate-application.js';
import { withoutMarker } from './ownership-marker.js';
import { ReconcileStop, stopFromLogtoError, toReconcileStop } from './outcome.js';
import type { EventRecorder, KubeOperations, LogtoApplicationsApi } from './ports.js';
import { checkLocated, checkSpec, type ConnectionResolver, type PassConnection } from './policy.js';
import { validateSpec } from './validate-spec.js';

/** Status fields that describe the converged state (all but ids, generation and conditions). */
const CONVERGED_FIELDS: ReadonlySet<string> = new Set([
  'isAdmin',
  'publishedSecret',
  'managedCustomDataKeys',
  'roles',
  'organizations',
  'customDomains',
  'rotation',
  'managedAspects',
  'managedSecrets',
  'consentOrganizationUsers',
]);
export const READY = 'Ready';
export const SYNCED = 'Synced';
/**
 * Stops after which the Secret cannot be taken to hold this resource's working credentials: the
 * application named by the spec is missing or not ours, or the Secret's name belongs to someone else.
 * Any other stop (Logto down, a refused update, an invalid edit) leaves an available application
 * available: Ready keeps its status, only Synced says the last pass failed.
 */
const UNAVAILABLE_REASONS: ReadonlySet<string> = new Set([
  'ApplicationNotFound',
  'AdoptionRefused',
  'SecretConflict',
  'PolicyDenied',
  'ConnectionNotFound',
  'ConnectionNotReady',
]);
/** Longest message of an unexpected error kept in status and events. */
const MAX_ERROR_MESSAGE = 1024;

export interface ReconcilerSettings {
  /** Logto's URL as applications reach it: LOGTO_ENDPOINT in the published Secrets. */
  publicEndpoint: string;
  /** This cluster's name in ownership markers (`--cluster-name`); '' when it has none. */
  clusterName?: string;
  /** Drift check period; each pass is requeued after it, spread by ±resyncJitter. */
  resyncPeriodMs: number;
  resyncJitter: number;
  /** When to look again at a resource stopped by something outside the spec (e.g. a foreign Secret). */
  recheckAfterMs: number;
  /** After a create whose outcome is unknown: long enough for a pending create to have finished. */
  ambiguousCreateRecheckMs: number;
}

export const DEFAULT_RECONCILER_SETTINGS: Omit<ReconcilerSettings, 'publicEndpoint'> = {
  resyncPeriodMs: 10 * 60_000,
  resyncJitter: 0.1,
  recheckAfterMs: 5 * 60_000,
  ambiguousCreateRecheckMs: 30_000,
};

export interface ReconcilerDependencies {
  /** The informer caches. */
  resources: { get(namespace: string, name: string): LogtoApplication | undefined };
  ownedSecrets: { get(namespace: string, name: string): V1Secret | undefined };
  kube: KubeOperations;
  logto: LogtoApplicationsApi;
  /** Which connection (tenant, credentials, policy) each resource goes through; default: `logto`, no policy. */
  connections?: ConnectionResolver;
  events: EventRecorder;
  logger: Logger;
  settings: ReconcilerSettings;
  now?: () => Date;
  random?: () => number;
}

interface PassResult {
  application: Application;
  secretName: string;
  /** Status fields describing the converged state. */
  status: Partial<LogtoApplicationStatus>;
  /** A rotation or retirement due before the next resync. */
  dueInMs?: number;
}

export class LogtoApplicationReconciler implements Reconciler {
  private readonly now: () => Date;
  private readonly random: () => number;
  /** The application id each pass's working copy was verified to manage (created or located). */
  private readonly verifiedIds = new WeakMap<LogtoApplication, string>();
  /** The connection each pass's working copy goes through. */
  private readonly passConnections = new WeakMap<LogtoApplication, PassConnection>();

  constructor(private readonly deps: ReconcilerDependencies) {
    this.now = deps.now ?? (() => new Date());
    this.random = deps.random ?? Math.random;
  }

  reconcile(key: ObjectKey, context?: ReconcileContext): Promise<ReconcileResult | void> {
    return context ? withAbortSignal(context.signal, () => this.reconcileKey(key)) : this.reconcileKey(key);
  }

  private async reconcileKey(key: ObjectKey): Promise<ReconcileResult | void> {
    const fromCache = this.deps.resources.get(key.namespace ?? '', key.name);
    if (!fromCache) return;
    // The cache's objects are shared: work on a copy.
    const cached = structuredClone(fromCache);
    const started = performance.now();
    const calls: string[] = [];
    const log = this.deps.logger.child({
      resource: `${key.namespace}/${key.name}`,
      generation: cached.metadata.generation,
    });
    let result: ReconcileResult | void;
    let outcome = 'synced';
    try {
      // The one place the pass learns its connection: its Logto client, endpoint and policy.
      const connection = await this.connectionOf(cached);
      const logto = recordingCalls(connection.logto, calls);
      if (cached.metadata.deletionTimestamp) {
        outcome = 'finalized';
        await this.finalize(cached, logto);
        return;
      }
      result = await this.sync(cached, logto);
      return result;
    } catch (error) {
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
      log.info(
        { logtoCalls: calls, durationMs: Math.round(performance.now() - started), result: outcome },
        'reconciled',
      );
    }
  }

  private async sync(resource: LogtoApplication, logto: LogtoApplicationsApi): Promise<ReconcileResult> {
    // The finalizer is applied with the first annotation the pass records, before any Logto write.
    const problems = validateSpec(resource);
    if (problems.length > 0) throw new ReconcileStop('InvalidSpec', problems.join('; '));
    await checkSpec(resource, this.passConnections.get(resource)!, logto);
    const existingSecret = await this.checkSecretOwnership(resource);
    await this.recordIntent(resource);

    const pass = await this.syncApplication(resource, logto, existingSecret);
    await this.writeStatus(resource, {
      applicationId: pass.application.id,
      secretName: pass.secretName,
      converged: pass.status,
      synced: {
        status: 'True',
        reason: 'ReconcileSuccess',
        message: `Logto application ${pass.application.id} matches the spec`,
      },
      ready: {
        status: 'True',
        reason: 'Available',
        message: `credentials of Logto application ${pass.application.id} are in Secret ${pass.secretName}`,
      },
    });
    const resync = this.jitteredResync();
    return { requeueAfterMs: pass.dueInMs !== undefined ? Math.min(resync, pass.dueInMs) : resync };
  }

  private async syncApplication(
    resource: LogtoApplication,
    logto: LogtoApplicationsApi,
    existingSecret: V1Secret | undefined,
  ): Promise<PassResult> {
    const { clusterName } = this.deps.settings;
    const located = await locateApplication(logto, resource, clusterName);
    await checkLocated(located, this.passConnections.get(resource)!, logto);
    let application: Application;
    if (located.found === 'none') {
      application = await this.createApplication(resource, logto);
      this.verifiedIds.set(resource, application.id);
      this.deps.events.record(
        resource,
        'Normal',
        'Created',
        located.lostApplicationId
          ? `Logto application ${located.lostApplicationId} was gone; created ${application.id}`
          : `created Logto application ${application.id}`,
      );
    } else {
      application = located.application;
      this.verifiedIds.set(resource, application.id);
      // The id is on the resource before the pass writes anything to the application.
      await this.recordMetadata(resource, { [EXTERNAL_NAME_ANNOTATION]: application.id });
      if (located.found === 'marker') await this.deleteDuplicates(resource, logto, located.duplicates);
    }

    const adopting = located.found !== 'none' && located.found !== 'recorded';
    const desired = desiredApplication(
      resource,
      application.customData,
      resource.status?.managedCustomDataKeys,
      clusterName,
    );
    const mismatch = immutableMismatch(desired, application);
    if (mismatch) {
      throw adopting
        ? new ReconcileStop('AdoptionRefused', `cannot adopt: ${mismatch}`)
        : new ReconcileStop(
            'ImmutableFieldConflict',
            `${mismatch}; Logto cannot change this after creation. Recreate the resource to get a new application.`,
          );
    }
    if (adopting) {
      this.deps.events.record(
        resource,
        'Normal',
        'Adopted',
        located.found === 'adopted'
          ? `adopted Logto application ${application.id}`
          : located.found === 'restored'
            ? `took back Logto application ${application.id}, recorded on this resource and marked for ` +
              'this namespace and name by the object it replaced'
            : `found Logto application ${application.id} created by an earlier, interrupted attempt`,
      );
    }
    // isAdmin is shown only by a read of the application (not by a create or a list).
    const status: Partial<LogtoApplicationStatus> =
      'isAdmin' in application && application.isAdmin === true ? { isAdmin: true } : {};
    const changes: string[] = [];
    const patch = applicationPatch(desired, application);
    if (Object.keys(patch).length > 0) {
      application = await logto.updateApplication(application.id, patch);
      changes.push(...Object.keys(patch));
    }

    const context: AspectContext = {
      resource,
      application,
      logto,
      directory: logto.directory.forPass(),
      events: this.deps.events,
      now: this.now(),
    };
    const previouslyManaged = new Set(resource.status?.managedAspects ?? []);
    const managed: string[] = [];
    for (const aspect of ASPECTS) {
      const declared = aspect.declared(resource);
      if (!declared && !(aspect.reset && previouslyManaged.has(aspect.name))) continue;
      const result = declared ? await aspect.sync(context) : await aspect.reset!(context);
      Object.assign(status, result.status);
      changes.push(...(result.changes ?? []));
      if (declared && aspect.reset) managed.push(aspect.name);
    }
    application = context.application;
    status.managedAspects = managed.length ? managed.sort() : undefined;

    const hasSecret = TYPES_WITH_SECRETS.includes(resource.spec.type);
    const secrets = hasSecret
      ? await convergeClientSecrets(logto, resource, application, this.now())
      : undefined;
    if (secrets) {
      Object.assign(status, secrets.status);
      changes.push(...secrets.changes);
    }
    const manifest = desiredSecret(resource, {
      endpoint: this.passConnections.get(resource)?.publicEndpoint ?? this.deps.settings.publicEndpoint,
      appId: application.id,
      ...(secrets ? { appSecret: secrets.published.value } : {}),
      ...(await this.resourceIndicators(resource, context.directory)),
    });
    if (!existingSecret || !secretUpToDate(existingSecret, manifest, FIELD_MANAGER)) {
      await this.deps.kube.applySecret(manifest);
      if (existingSecret) {
        this.deps.events.record(
          resource,
          'Normal',
          'SecretUpdated',
          `rewrote Secret ${manifest.metadata.name}`,
        );
      }
    }
    if (secrets?.rotation) {
      const { from, to, reasons } = secrets.rotation;
      this.deps.events.record(
        resource,
        'Normal',
        'Rotated',
        `published client secret "${to}" in place of "${from}" (${reasons.join(', ')})`,
      );
    }
    // Only now that the Secret holds the new value may replaced secrets go.
    for (const retire of secrets?.afterPublish ?? []) await retire();
    await this.removeStaleSecret(resource, manifest.metadata.name);

    if (changes.length > 0) {
      this.deps.events.record(
        resource,
        'Normal',
        'Updated',
        `Logto application ${application.id}: ${changes.join(', ')}`,
      );
    }
    return {
      application,
      secretName: manifest.metadata.name,
      status,
      ...(secrets?.dueInMs !== undefined ? { dueInMs: secrets.dueInMs } : {}),
    };
  }

  /**
   * Creates the application between two records on the resource: create-pending before (with the
   * finalizer), then its id with create-succeeded. A create whose outcome is unknown stays pending,
   * so that the next pass looks for it by marker instead of creating another.
   */
  private async createApplication(
    resource: LogtoApplication,
    logto: LogtoApplicationsApi,
  ): Promise<Application> {
    // A create still pending from an earlier attempt (searched for, not found) stays recorded as is.
    await this.recordMetadata(resource, {
      [CREATE_PENDING_ANNOTATION]:
        resource.metadata.annotations?.[CREATE_PENDING_ANNOTATION] || annotationTime(this.now()),
    });
    let application: Application;
    try {
      application = await logto.createApplication(
        createApplicationBody(desiredApplication(resource, undefined, [], this.deps.settings.clusterName)),
      );
    } catch (error) {
      // Only a 429 says for sure that nothing happened. After a timeout, a reset or a 5xx the create
      // may still be committing: looking for it by marker at once could miss it and create another.
      const ambiguous =
        error instanceof LogtoApiError && error.kind === 'Unavailable' && error.status !== 429;
      if (!ambiguous && error instanceof LogtoApiError) {
        await this.recordMetadata(resource, {
          [CREATE_PENDING_ANNOTATION]: undefined,
          [CREATE_FAILED_ANNOTATION]: annotationTime(this.now()),
        });
      }
      if (ambiguous) {
        throw new ReconcileStop(
          'LogtoUnavailable',
          `${stopFromLogtoError(error).message}. The application may have been created; the operator looks ` +
            'for it again once any pending create has finished, rather than risk a duplicate.',
          { recheckAfterMs: this.deps.settings.ambiguousCreateRecheckMs },
        );
      }
      throw error;
    }
    await this.recordMetadata(resource, {
      [EXTERNAL_NAME_ANNOTATION]: application.id,
      [CREATE_PENDING_ANNOTATION]: undefined,
      [CREATE_FAILED_ANNOTATION]: undefined,
      [CREATE_SUCCEEDED_ANNOTATION]: annotationTime(this.now()),
    });
    return application;
  }

  /** The resource's connection, kept for the rest of the pass; without a resolver, `deps.logto`. */
  private async connectionOf(resource: LogtoApplication): Promise<PassConnection> {
    const { connections, logto, settings } = this.deps;
    const connection = connections
      ? await connections.resolve(resource)
      : {
          key: 'flags',
          logto,
          publicEndpoint: settings.publicEndpoint,
          managementApiResource: '',
          policy: undefined,
          applicationId: () => Promise.resolve(''),
          unrestricted: true,
        };
    this.passConnections.set(resource, connection);
    return connection;
  }

  /**
   * Applies the finalizer and the operator's annotations with `changes`, unless the resource already
   * carries exactly that; keeps the working copy in step.
   */
  private async recordMetadata(
    resource: LogtoApplication,
    changes: Parameters<typeof ownAnnotations>[1],
  ): Promise<void> {
    // A resource without connectionRef is pinned to its connection with its first record.
    const pin = this.passConnections.get(resource)?.pin;
    const annotations = ownAnnotations(
      resource,
      pin && !resource.metadata.annotations?.[CONNECTION_ANNOTATION]
        ? { [CONNECTION_ANNOTATION]: pin, ...changes }
        : changes,
    );
    const current = ownAnnotations(resource);
    const hasFinalizer = resource.metadata.finalizers?.includes(FINALIZER) ?? false;
    if (hasFinalizer && deepEqual(annotations, current)) return;
    const version = await this.deps.kube.applyMetadata(resource, annotations);
    if (version) resource.metadata.resourceVersion = version;
    const others = Object.fromEntries(
      Object.entries(resource.metadata.annotations ?? {}).filter(([key]) => !(key in current)),
    );
    resource.metadata.annotations = { ...others, ...annotations };
    if (!hasFinalizer) resource.metadata.finalizers = [...(resource.metadata.finalizers ?? []), FINALIZER];
  }

  /** Applications carrying this resource's marker besides the one it manages: never published, removed. */
  private async deleteDuplicates(
    resource: LogtoApplication,
    logto: LogtoApplicationsApi,
    duplicates: readonly Application[],
  ): Promise<void> {
    for (const duplicate of duplicates) {
      if (await ignoreNotFound(() => logto.deleteApplication(duplicate.id))) {
        this.deps.events.record(
          resource,
          'Warning',
          'DuplicateDeleted',
          `deleted Logto application ${duplicate.id}, a second copy created by an interrupted attempt`,
        );
      }
    }
  }

  /** `resourceIndicators` for Secret templates, looked up (through the pass's reads) only when used. */
  private async resourceIndicators(
    resource: LogtoApplication,
    directory: AspectContext['directory'],
  ): Promise<{ resourceIndicators?: string }> {
    const templates = Object.values(resource.spec.secret?.templates ?? {});
    if (!templates.some((t) => templateReferences(t).includes('resourceIndicators'))) return {};
    const consent = resource.spec.userConsentScopes;
    const refs = [...(consent?.resourceScopes ?? []), ...(consent?.organizationResourceScopes ?? [])].map(
      (g) => g.resource,
    );
    const indicators = new Set<string>();
    for (const ref of refs) {
      const found = (await directory.findResourceScopes(ref)).resource;
      if (found) indicators.add(found.indicator);
    }
    return { resourceIndicators: [...indicators].join(',') };
  }

  /**
   * Adds to status what this pass is about to manage (aspects, declared secrets, customData keys,
   * consent users) before any Logto write, so that a pass failing or dying half-way still leaves a
   * record, and a later rollback of the spec undoes what it did. A no-op once recorded.
   */
  private async recordIntent(resource: LogtoApplication): Promise<void> {
    const { spec } = resource;
    const current = resource.status ?? {};
    const union = (before: string[] | undefined, now: string[]) => {
      const all = [...new Set([...(before ?? []), ...now])].sort();
      return all.length ? all : undefined;
    };
    const next = withoutUndefined<LogtoApplicationStatus>({
      ...current,
      managedAspects: union(
        current.managedAspects,
        ASPECTS.filter((a) => a.reset && a.declared(resource)).map((a) => a.name),
      ),
      managedSecrets: union(
        current.managedSecrets,
        (spec.secrets ?? []).map((s) => s.name),
      ),
      managedCustomDataKeys: union(current.managedCustomDataKeys, Object.keys(spec.customData ?? {})),
      consentOrganizationUsers: union(
        current.consentOrganizationUsers,
        (spec.userConsentOrganizations ?? []).map((u) => u.userId),
      ),
    });
    if (deepEqual(next, current)) return;
    const version = await this.deps.kube.applyStatus(resource, next);
    if (version) resource.metadata.resourceVersion = version;
    resource.status = next;
  }

  /** The target Secret, if it exists and this resource owns it; stops on a Secret owned by others. */
  private async checkSecretOwnership(resource: LogtoApplication): Promise<V1Secret | undefined> {
    const name = secretName(resource);
    const { namespace } = resource.metadata;
    const cached = this.deps.ownedSecrets.get(namespace, name);
    const existing =
      cached && isOwnedBy(cached, resource) ? cached : await this.deps.kube.readSecret(namespace, name);
    if (existing && !isOwnedBy(existing, resource)) {
      throw new ReconcileStop(
        'SecretConflict',
        `Secret ${namespace}/${name} exists and is not owned by this LogtoApplication; it is left untouched. ` +
          'Set spec.secret.name to another name, or delete that Secret.',
        { recheckAfterMs: 60_000 },
      );
    }
    return existing;
  }

  /** After spec.secret.name changed, the Secret published under the old name goes. */
  private async removeStaleSecret(resource: LogtoApplication, currentName: string): Promise<void> {
    const previous = resource.status?.secretName;
    if (!previous || previous === currentName) return;
    const { namespace } = resource.metadata;
    const old =
      this.deps.ownedSecrets.get(namespace, previous) ??
      (await this.deps.kube.readSecret(namespace, previous));
    if (old && isOwnedBy(old, resource)) await this.deps.kube.deleteSecret(namespace, previous);
  }

  private async finalize(resource: LogtoApplication, logto: LogtoApplicationsApi): Promise<void> {
    if (!resource.metadata.finalizers?.includes(FINALIZER)) return;
    const policy = resource.spec.deletionPolicy ?? 'Delete';
    for (const application of await this.managedApplications(resource, logto)) {
      if (policy === 'Delete') {
        // Logto refuses to delete a Protected app that still has a custom domain.
        if (application.type === 'Protected') await removeCustomDomains({ logto, application });
        if (await ignoreNotFound(() => logto.deleteApplication(application.id))) {
          this.deps.events.record(
            resource,
            'Normal',
            'Deleted',
            `deleted Logto application ${application.id}`,
          );
        }
      } else if (
        ['ours', 'replaced'].includes(ownership(application, resource, this.deps.settings.clusterName))
      ) {
        await logto.updateApplication(application.id, { customData: withoutMarker(application.customData) });
        this.deps.events.record(
          resource,
          'Normal',
          'Orphaned',
          `left Logto application ${application.id} in place`,
        );
      }
    }
    await this.deps.kube.removeFinalizer(resource);
  }

  /** The applications this resource manages that still exist; never one owned by another resource. */
  private async managedApplications(
    resource: LogtoApplication,
    logto: LogtoApplicationsApi,
  ): Promise<Application[]> {
    const id = externalName(resource);
    if (id) {
      const application = await getOrUndefined(logto, id);
      return application && mayManage(application, resource, id, this.deps.settings.clusterName)
        ? [application]
        : [];
    }
    // No id recorded: an app created just before a crash still carries our marker. An app named in
    // adoptApplicationId but never recorded was never adopted, so it is not touched.
    return mayHaveLostCreate(resource) ? findByMarker(logto, resource) : [];
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
    this.deps.events.record(resource, 'Warning', reason, stop.message);
    await this.writeStatus(resource, this.failureConditions(resource, reason, stop.message));
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
    await this.writeStatus(resource, this.failureConditions(resource, 'ReconcileError', message));
    throw error;
  }

  /** Synced=False with the failure; Ready=False only if the application was not available before. */
  private failureConditions(resource: LogtoApplication, reason: string, message: string): StatusUpdate {
    const ready = resource.status?.conditions?.find((c) => c.type === READY);
    const stillAvailable = ready?.status === 'True' && !UNAVAILABLE_REASONS.has(reason);
    return {
      synced: { status: 'False', reason, message },
      ...(stillAvailable ? {} : { ready: { status: 'False', reason, message } }),
    };
  }

  private async writeStatus(resource: LogtoApplication, update: StatusUpdate): Promise<void> {
    const current = resource.status ?? {};
    const generation = resource.metadata.generation ?? 0;
    const managedKeys = Object.keys(resource.spec.customData ?? {}).sort();
    // A successful pass describes the converged state afresh; a failed one keeps the last description.
    const convergedFields: Partial<LogtoApplicationStatus> = update.converged
      ? { ...update.converged, managedCustomDataKeys: managedKeys.length ? managedKeys : undefined }
      : Object.fromEntries(Object.entries(current).filter(([key]) => CONVERGED_FIELDS.has(key)));
    const next = withoutUndefined<LogtoApplicationStatus>({
      observedGeneration: generation,
      // A copy of the id for display, also after a pass that stopped, but only once this pass found
      // the application to be this resource's: status is what the operator trusts (users cannot
      // write it), the annotation is not.
      applicationId: update.applicationId ?? this.verifiedIds.get(resource) ?? current.applicationId,
      secretName: update.secretName ?? current.secretName,
      ...convergedFields,
      conditions: [SYNCED, READY].reduce((conditions, type) => {
        const condition = type === SYNCED ? update.synced : update.ready;
        if (!condition) {
          // A condition this pass says nothing about is still current for this generation.
          const kept = conditions.find((c) => c.type === type);
          return kept
            ? setCondition(conditions, { ...kept, observedGeneration: generation }, this.now())
            : conditions;
        }
        return setCondition(conditions, { type, ...condition, observedGeneration: generation }, this.now());
      }, current.conditions ?? []),
    });
    if (deepEqual(next, current)) return;
    const version = await this.deps.kube.applyStatus(resource, next);
    if (version) resource.metadata.resourceVersion = version;
    resource.status = next;
  }

  private jitteredResync(): number {
    const { resyncPeriodMs, resyncJitter } = this.deps.settings;
    return Math.round(resyncPeriodMs * (1 + resyncJitter * (2 * this.random() - 1)));
  }
}

interface ConditionText {
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

interface StatusUpdate {
  applicationId?: string;
  secretName?: string;
  /** Status fields of a converged state: replace the previous ones on success. */
  converged?: Partial<LogtoApplicationStatus>;
  /** The last pass: did it converge the spec? */
  synced?: ConditionText;
  /** The application: does the Secret hold its working credentials? */
  ready?: ConditionText;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
