/**
 * The Logto side of one LogtoApplication, behind the managed reconciler's ExternalClient
 * (external-client.ts): every Logto call of a pass goes through it. observe locates the application
 * (locate-application.ts); create makes it with its ownership marker; update converges it in
 * observe → plan → act steps (the application's own fields, then each aspect, then the client
 * secrets); delete deletes or orphans it per spec.deletionPolicy. Every LogtoApiError leaves it as a
 * ReconcileStop (logto-errors.ts).
 */
import { LogtoApiError, ignoreNotFound } from '../../api/errors.js';
import type { DirectoryPass } from '../../api/directory.js';
import type { Application, ApplicationDetails } from '../../api/schemas.js';
import type { LogtoApplication, LogtoApplicationStatus } from '../../crd/logto-application.js';
import { TYPES_WITH_SECRETS } from '../../crd/logto-application.js';
import { SharedApplicationList } from '../../api/application-list.js';
import { parseDurationMs } from '../../util/duration.js';
import { recordingCalls } from '../../util/observe-calls.js';
import { planApplication } from './application-plan.js';
import { ASPECTS, convergeAspects, removeCustomDomains } from './aspects/index.js';
import { convergeClientSecrets, observeClientSecrets } from './client-secrets.js';
import type { PublishedCredentials } from './credentials-secret.js';
import { FORCE_SYNC_ANNOTATION } from './constants.js';
import { createApplicationBody, desiredApplication } from './desired-application.js';
import { deleteDuplicates } from './duplicates.js';
import {
  CreateRefused,
  type ExternalClient,
  type ExternalConnector,
  type ExternalCreation,
  type ExternalIntent,
  type ExternalObservation,
  type ExternalUpdate,
  type ObserveHints,
} from './external-client.js';
import { claimOf, CONNECTION_ANNOTATION } from './external-name.js';
import { stillClaimable } from './identity.js';
import { KeyedLock } from '../../util/keyed-lock.js';
import {
  foundOf,
  getOrUndefined,
  locateApplication,
  locateForDeletion,
  type LocateOptions,
  type Located,
} from './locate-application.js';
import { fromLogto, stopFromLogtoError } from './logto-errors.js';
import { ReconcileStop } from './outcome.js';
import { admitPass } from '../pass-admission.js';
import type { Declarations } from '../declared/declarations.js';
import { observesOnly } from '../declared/external.js';
import { MARKER_KEY, markerFor, markerKeys, readMarker, withoutMarker } from './ownership-marker.js';
import { checkLocated, checkSpec, type ConnectionResolver, type PassConnection } from './policy.js';
import type { EventRecorder, LogtoApplicationsApi } from './ports.js';
import type { AnnotationChanges } from './resource-metadata.js';
import { templateReferences } from './secret-template.js';

export interface LogtoConnectorSettings {
  /** Logto's URL as applications reach it: LOGTO_ENDPOINT in the published Secrets. */
  publicEndpoint: string;
  /** This cluster's name in ownership markers (`--cluster-name`); '' when it has none. */
  clusterName?: string;
  /**
   * How long after it was sent a create may still commit in Logto (see commitWindowMs in
   * locate-application.ts): no search for it, on any replica, before then.
   */
  commitWindowMs: number;
  /**
   * How long one list of a connection's applications serves the periodic passes (the resync
   * period); unset: every pass reads its application.
   */
  listMaxAgeMs?: number;
  /** Shortest spec.rotation.every allowed (--min-rotation-period); unset: no minimum. */
  minRotationPeriodMs?: number;
}

export interface LogtoConnectorDependencies {
  /** The client of the flag-configured connection, used when no resolver is given. */
  logto: LogtoApplicationsApi;
  /** Which connection (tenant, credentials, policy) each resource goes through; default: `logto`, no policy. */
  connections?: ConnectionResolver;
  /** What the cluster's LogtoRoles, LogtoApiResources and LogtoGrants declare; none when absent. */
  declarations?: Declarations;
  events: EventRecorder;
  settings: LogtoConnectorSettings;
  now?: () => Date;
}

export class LogtoConnector implements ExternalConnector {
  private readonly now: () => Date;
  /** One shared list per connection (and per Logto client of it: new credentials, new client). */
  private readonly lists = new Map<string, { logto: LogtoApplicationsApi; list: SharedApplicationList }>();
  /** The force-sync annotation each resource (by uid) last had: a new value asks for Logto itself. */
  private readonly forceSyncSeen = new Map<string, string>();
  /** Claims of existing applications, one at a time per application (see LogtoExternal.claim). */
  private readonly claims = new KeyedLock();

  constructor(private readonly deps: LogtoConnectorDependencies) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * The client of one pass. Runs before any Logto call of the pass: resolves which Logto the resource
   * uses (ConnectionNotFound / ConnectionNotReady otherwise) and, for a resource that is not being
   * deleted, checks its spec against that connection's policy (PolicyDenied), reading only.
   */
  connect(resource: LogtoApplication): Promise<ExternalClient> {
    return mapped(async () => {
      const connection = await this.connectionOf(resource);
      const release = admitPass(connection);
      try {
        const list = this.forcedSync(resource) ? undefined : this.listOf(connection);
        const client = new LogtoExternal(
          resource,
          this.deps,
          connection,
          list,
          this.now,
          this.claims,
          release,
        );
        // An observed application is only read: nothing of the spec is applied to it.
        if (!resource.metadata.deletionTimestamp && !observesOnly(resource)) {
          this.checkRotationPeriod(resource);
          await checkSpec(resource, connection, client.api, this.deps.declarations);
        }
        return client;
      } catch (error) {
        release();
        throw error;
      }
    });
  }

  /** Whether the force-sync annotation changed since this resource's last pass. */
  private forcedSync(resource: LogtoApplication): boolean {
    const uid = resource.metadata.uid ?? '';
    const value = resource.metadata.annotations?.[FORCE_SYNC_ANNOTATION];
    if (resource.metadata.deletionTimestamp || value === undefined) {
      this.forceSyncSeen.delete(uid);
      return false;
    }
    const changed = this.forceSyncSeen.get(uid) !== value;
    this.forceSyncSeen.set(uid, value);
    return changed;
  }

  /** Each rotation writes to Logto and Kubernetes: no resource may ask for them in a tight loop. */
  private checkRotationPeriod(resource: LogtoApplication): void {
    const minimum = this.deps.settings.minRotationPeriodMs;
    const every = resource.spec.rotation?.every;
    if (!minimum || !every) return;
    const ms = parseDurationMs(every);
    if (ms !== undefined && ms < minimum) {
      throw new ReconcileStop(
        'InvalidSpec',
        `rotation.every: "${every}" is shorter than this operator's minimum of ${Math.round(minimum / 1000)}s (--min-rotation-period)`,
      );
    }
  }

  private listOf(connection: PassConnection): SharedApplicationList | undefined {
    const maxAgeMs = this.deps.settings.listMaxAgeMs;
    if (!maxAgeMs) return undefined;
    const known = this.lists.get(connection.key);
    if (known?.logto === connection.logto) return known.list;
    const { logto } = connection;
    const list = new SharedApplicationList({
      maxAgeMs,
      readPage: (page, pageSize) => logto.listApplicationsPage({ page, page_size: pageSize }),
      indexKeys: (application) => {
        const marker = readMarker(application.customData);
        return marker ? markerKeys(marker) : [];
      },
    });
    this.lists.set(connection.key, { logto, list });
    return list;
  }

  private async connectionOf(resource: LogtoApplication): Promise<PassConnection> {
    const { connections, logto, settings } = this.deps;
    if (connections) return connections.resolve(resource);
    return {
      key: 'flags',
      logto,
      publicEndpoint: settings.publicEndpoint,
      managementApiResource: '',
      policy: undefined,
      applicationId: () => Promise.resolve(''),
      unrestricted: true,
    };
  }
}

/** Codes of calls the transport refused to send (see LogtoTransport): nothing reached Logto. */
const NEVER_SENT: ReadonlySet<string> = new Set([
  'operator.connection_unavailable',
  'operator.throttled',
  'operator.pass_deadline',
]);

/**
 * Whether a create that failed so may have made the application: no answer, a timeout, a 5xx (a proxy
 * may have lost a committed answer), or a 2xx whose body could not be read. Not a 429, a refusal, or
 * a call that never left.
 */
export function mayHaveCreated(error: LogtoApiError): boolean {
  if (NEVER_SENT.has(error.code ?? '')) return false;
  if (error.kind === 'UnexpectedResponse') return error.status === undefined || error.status < 300;
  return error.kind === 'Unavailable' && error.status !== 429;
}

class LogtoExternal implements ExternalClient {
  readonly calls: readonly string[];
  readonly annotations: AnnotationChanges;
  /** The pass's Logto client (the connection's, recording the calls). */
  readonly api: LogtoApplicationsApi;
  private readonly logto: LogtoApplicationsApi;
  private readonly cluster: string;
  /** What observe found (or create made); update works on it. */
  private located: Located | undefined;
  private application: Application | undefined;
  /** The application was observed from the shared list, not read from Logto in this pass. */
  private fromList = false;

  constructor(
    /** The pass's working copy: the reconciler keeps its annotations and status current. */
    private readonly resource: LogtoApplication,
    private readonly deps: LogtoConnectorDependencies,
    private readonly connection: PassConnection,
    /** The connection's shared list of applications, which periodic passes observe from. */
    private readonly list: SharedApplicationList | undefined,
    private readonly now: () => Date,
    /** Claims of applications (see claim), one at a time per application, shared by every pass. */
    private readonly claims: KeyedLock,
    /** Gives back the pass's slot of its connection. */
    readonly release: () => void = () => {},
  ) {
    const { api, calls } = recordingCalls(connection.logto);
    this.api = this.logto = api;
    this.calls = calls;
    // A resource without connectionRef is pinned to its connection with its first record.
    this.annotations = connection.pin ? { [CONNECTION_ANNOTATION]: connection.pin } : {};
    this.cluster = deps.settings.clusterName ?? '';
  }

  intent(): ExternalIntent {
    const { spec } = this.resource;
    if (observesOnly(this.resource)) return {};
    return {
      managedAspects: ASPECTS.filter((a) => a.resettable && a.declared(this.resource)).map((a) => a.name),
      managedSecrets: (spec.secrets ?? []).map((s) => s.name),
      managedCustomDataKeys: Object.keys(spec.customData ?? {}),
      consentOrganizationUsers: (spec.userConsentOrganizations ?? []).map((u) => u.userId),
    };
  }

  observe(hints: ObserveHints = {}): Promise<ExternalObservation> {
    return mapped(async () => {
      const { list } = this;
      const listed =
        list && isPeriodicPass(this.resource)
          ? async (id: string) => {
              const copy = await list.lookup(id);
              this.fromList = copy !== undefined;
              return copy;
            }
          : undefined;
      const located = await locateApplication(this.logto, this.resource, this.locateOptions(hints, listed));
      this.located = located;
      await checkLocated(located, this.connection, this.logto);
      if (located.decision === 'create' && observesOnly(this.resource)) {
        throw new ReconcileStop('ApplicationNotFound', 'no Logto application to observe');
      }
      if (located.decision === 'create') return { exists: false };
      this.application = located.application;
      const takingOver = located.decision === 'take-back' || located.record;
      if (takingOver) {
        // An application to take over must fit the spec before the pass records it as this
        // resource's (the recorded id is what later passes, and deletion, trust).
        const plan = planApplication(this.resource, this.application, true, this.cluster);
        if ('refusal' in plan) throw new ReconcileStop(plan.refusal.reason, plan.refusal.message);
      }
      if (observesOnly(this.resource)) {
        // Observed, not managed: no marker is written and nothing is recorded on the resource.
        return { exists: true, id: this.application.id, record: false };
      }
      if (located.decision === 'take-back') {
        this.application = await this.claim(located.application, located.as);
      }
      return { exists: true, id: this.application.id, record: takingOver };
    });
  }

  private locateOptions(
    hints: ObserveHints,
    listed?: (id: string) => Promise<Application | undefined>,
  ): LocateOptions {
    const { list, cluster } = this;
    const claim = { ...this.resource.metadata, cluster };
    return {
      cluster,
      commitWindowMs: this.deps.settings.commitWindowMs,
      now: () => this.now().getTime(),
      ...(listed ? { listed } : {}),
      ...(hints.publishedId ? { publishedId: hints.publishedId } : {}),
      ...(list ? { listedSince: (since: number) => list.indexedReadAfter(since, markerKeys(claim)) } : {}),
    };
  }

  /**
   * Writes this resource's marker into an application it takes back or adopts, before anything else
   * is done with it, and reads it again: of two resources claiming one application, exactly one wins
   * (claims of one application run one at a time in this operator, and each checks, under that
   * lock, that nobody else's marker is there).
   */
  private async claim(application: Application, as: 'restore' | 'adoption'): Promise<Application> {
    return this.claims.run(`${this.connection.key}/${application.id}`, async () => {
      const current = await getOrUndefined(this.logto, application.id);
      if (!current || !stillClaimable(foundOf(current), claimOf(this.resource, this.cluster), as)) {
        throw new ReconcileStop(
          'AdoptionRefused',
          `Logto application ${application.id} was claimed by another LogtoApplication meanwhile; one ` +
            'application cannot be managed by two resources',
        );
      }
      const customData = {
        ...(current.customData ?? {}),
        [MARKER_KEY]: markerFor(this.resource, this.cluster),
      };
      await this.logto.updateApplication(current.id, { customData });
      const claimed = await this.logto.getApplication(current.id);
      if (readMarker(claimed.customData)?.uid !== this.resource.metadata.uid) {
        throw new ReconcileStop(
          'AdoptionRefused',
          `Logto application ${application.id} was claimed by another LogtoApplication meanwhile`,
        );
      }
      this.list?.invalidate(current.id);
      return claimed;
    });
  }

  /** Only a 429 says for sure that nothing was created. */
  create(): Promise<ExternalCreation> {
    return this.writing(async () => {
      let application: Application;
      try {
        application = await this.logto.createApplication(
          createApplicationBody(desiredApplication(this.resource, undefined, [], this.cluster)),
        );
      } catch (error) {
        if (!(error instanceof LogtoApiError)) throw error;
        // After a timeout, a reset or a 5xx the create may still be committing, and an answer of
        // 2xx that cannot be read means it was made: looking for it by marker at once could miss it
        // and create another. The next pass looks for it once the commit window is over. A 429, a
        // refusal, or a create that never left (its connection waits, the pass ran out of time)
        // made nothing for sure.
        if (mayHaveCreated(error)) {
          const stop = stopFromLogtoError(error);
          throw new ReconcileStop(
            stop.reason,
            `${stop.message}. The application may have been created; the operator looks for it once any ` +
              'pending create has finished, rather than risk a duplicate.',
            { retryAfterMs: this.deps.settings.commitWindowMs },
          );
        }
        throw new CreateRefused(stopFromLogtoError(error));
      }
      const lost = this.located?.decision === 'create' ? this.located.replacing : undefined;
      this.application = application;
      return {
        id: application.id,
        message: lost
          ? `Logto application ${lost} was gone; created ${application.id}`
          : `created Logto application ${application.id}`,
      };
    });
  }

  update(): Promise<ExternalUpdate> {
    if (observesOnly(this.resource)) return mapped(() => this.observed());
    return this.writing(async () => {
      const { resource, located } = this;
      if (!this.application || !located) throw new Error('update before observe or create');
      if (located.decision === 'use' && located.duplicates.length > 0) {
        await deleteDuplicates(this.logto, this.deps.events, resource, located.duplicates);
      }
      // isAdmin (Management API access without a role) shows only in a read of the application, not
      // in a create's answer or a list (a list copy keeps what status says); the operator never sets it.
      const isAdmin =
        'isAdmin' in this.application
          ? this.application.isAdmin === true
          : this.resource.status?.isAdmin === true;
      const changes: string[] = [];
      const adopting = located.decision === 'take-back' || (located.decision === 'use' && located.record);
      let plan = planApplication(resource, this.application, adopting, this.cluster);
      if (this.fromList && !('refusal' in plan) && Object.keys(plan.patch).length > 0) {
        // Drift seen in a listed copy: patch what Logto holds now (whole fields are replaced, e.g.
        // customData with keys others wrote since the list), not the copy.
        this.application = await this.logto.getApplication(this.application.id);
        this.fromList = false;
        plan = planApplication(resource, this.application, adopting, this.cluster);
      }
      if ('refusal' in plan) throw new ReconcileStop(plan.refusal.reason, plan.refusal.message);
      if (adopting) this.deps.events.record(resource, 'Normal', 'Adopted', adoptedMessage(located));
      if (Object.keys(plan.patch).length > 0) {
        this.application = await this.logto.updateApplication(this.application.id, plan.patch);
        changes.push(...Object.keys(plan.patch));
      }

      const directory = this.logto.directory.forPass();
      const aspects = await convergeAspects({
        resource,
        application: this.application,
        logto: this.logto,
        directory,
        events: this.deps.events,
        now: this.now(),
        created: located.decision === 'create',
      });
      this.application = aspects.application;
      changes.push(...aspects.changes);
      const status: Partial<LogtoApplicationStatus> = {
        ...aspects.status,
        connection: this.connection.key,
        ...(isAdmin ? { isAdmin: true } : {}),
      };

      const application = this.application;
      const secrets = TYPES_WITH_SECRETS.includes(resource.spec.type)
        ? await convergeClientSecrets(this.logto, resource, application, this.now())
        : undefined;
      if (secrets) {
        Object.assign(status, secrets.status);
        changes.push(...secrets.changes);
      }
      const managedKeys = Object.keys(resource.spec.customData ?? {}).sort();
      status.managedCustomDataKeys = managedKeys.length ? managedKeys : undefined;
      const credentials: PublishedCredentials = {
        endpoint: this.connection.publicEndpoint,
        appId: application.id,
        ...(secrets ? { appSecret: secrets.published.value } : {}),
        ...(await resourceIndicators(resource, directory)),
      };
      return {
        title: `Logto application ${application.id}`,
        credentials,
        status,
        ...(secrets?.dueInMs !== undefined ? { dueInMs: secrets.dueInMs } : {}),
        ...(changes.length > 0
          ? { changes: `Logto application ${application.id}: ${changes.join(', ')}` }
          : {}),
        afterPublish: () =>
          mapped(async () => {
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
          }),
      };
    });
  }

  /** An observed application's credentials and state, read only: no write, rotation or deletion. */
  private async observed(): Promise<ExternalUpdate> {
    const application = this.application;
    if (!application) throw new Error('update before observe');
    const secrets = TYPES_WITH_SECRETS.includes(this.resource.spec.type)
      ? await observeClientSecrets(this.logto, this.resource, application, this.now())
      : undefined;
    const isAdmin = (application as Partial<ApplicationDetails>).isAdmin === true;
    return {
      title: `Logto application ${application.id} (observed)`,
      credentials: {
        endpoint: this.connection.publicEndpoint,
        appId: application.id,
        ...(secrets ? { appSecret: secrets.value } : {}),
      },
      status: {
        connection: this.connection.key,
        ...(secrets ? { publishedSecret: secrets.name } : {}),
        ...(isAdmin ? { isAdmin: true } : {}),
      },
      afterPublish: () => Promise.resolve(),
    };
  }

  delete(): Promise<void> {
    // An observed application was never the resource's to delete or unmark.
    if (observesOnly(this.resource)) return Promise.resolve();
    return this.writing(async () => {
      const { resource, logto } = this;
      const policy = resource.spec.deletionPolicy ?? 'Delete';
      for (const application of await this.managedApplications()) {
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
        } else if (readMarker(application.customData)) {
          await logto.updateApplication(application.id, {
            customData: withoutMarker(application.customData),
          });
          this.deps.events.record(
            resource,
            'Normal',
            'Orphaned',
            `left Logto application ${application.id} in place`,
          );
        }
      }
    });
  }

  /** The applications this resource manages that still exist; never one owned by another resource. */
  private managedApplications(): Promise<Application[]> {
    return locateForDeletion(this.logto, this.resource, this.locateOptions({}));
  }

  /**
   * Runs a step that may write to Logto, answering Logto's failures as stops. Once it wrote (even if
   * it then failed), the application's copy in the shared list no longer counts.
   */
  private async writing<T>(action: () => Promise<T>): Promise<T> {
    try {
      return await mapped(action);
    } finally {
      const id = this.application?.id;
      if (id && this.list && wroteToLogto(this.calls)) this.list.invalidate(id);
    }
  }
}

/**
 * Lets a pass through its connection's health (see ConnectionHealth), or stops it: a connection
 * without a free slot defers it silently; one whose breaker is open, or that asked to wait
 * (Retry-After), stops it as LogtoUnavailable until the next probe or the end of the wait. Returns
 * what gives the slot back.
 */
/** Runs `action`, answering Logto's failures as stops. */
export async function mapped<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw fromLogto(error);
  }
}

function adoptedMessage(located: Located): string {
  if (located.decision === 'create') return '';
  const id = located.application.id;
  if (located.decision === 'take-back' && located.as === 'adoption') return `adopted Logto application ${id}`;
  if (located.decision === 'take-back') {
    return (
      `took back Logto application ${id}, recorded on this resource and marked for ` +
      'this namespace and name by the object it replaced'
    );
  }
  return `found Logto application ${id} created by an earlier, interrupted attempt`;
}

/** `resourceIndicators` for Secret templates, looked up (through the pass's reads) only when used. */
async function resourceIndicators(
  resource: LogtoApplication,
  directory: DirectoryPass,
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
 * A pass that only checks for drift: the last pass converged this very generation. It may observe
 * its application from the shared list; any other pass (a spec change, a failure, a first pass)
 * reads it from Logto.
 */
export function isPeriodicPass(resource: LogtoApplication): boolean {
  const synced = resource.status?.conditions?.find((c) => c.type === 'Synced');
  return synced?.status === 'True' && synced.observedGeneration === resource.metadata.generation;
}

const WRITE_CALL = /^(create|update|delete|replace|assign)/;

/** Whether the pass wrote to Logto (its listed copies of the application are then stale). */
export function wroteToLogto(calls: readonly string[]): boolean {
  return calls.some((call) => WRITE_CALL.test(call));
}
