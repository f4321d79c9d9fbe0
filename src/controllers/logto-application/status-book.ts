/**
 * Status bookkeeping of a pass: what it is about to manage (before any external write), then the
 * outcome as Synced and Ready with observedGeneration, and the converged state. Each write is skipped
 * when it would change nothing, and carries the resource's resourceVersion (see KubeOperations).
 */
import type { LogtoApplication, LogtoApplicationStatus } from '../../crd/logto-application.js';
import { deepEqual } from '../../util/json.js';
import { setCondition } from './conditions.js';
import type { ExternalIntent } from './external-client.js';
import type { KubeOperations } from './ports.js';

export const READY = 'Ready';
export const SYNCED = 'Synced';
/** Status fields that are not part of the converged state a successful pass describes. */
const BOOKKEEPING_FIELDS: ReadonlySet<string> = new Set([
  'observedGeneration',
  'applicationId',
  'secretName',
  'conditions',
]);
/**
 * Stops after which the Secret cannot be taken to hold this resource's working credentials: the
 * application named by the spec is missing or not ours, or the Secret's name belongs to someone else.
 * Any other stop (Logto down, a refused update, an invalid edit) leaves an available application
 * available: Ready keeps its status, only Synced says the last pass failed.
 */
export const UNAVAILABLE_REASONS: ReadonlySet<string> = new Set([
  'ApplicationNotFound',
  'AdoptionRefused',
  'SecretConflict',
  'PolicyDenied',
  'ConnectionNotFound',
  'ConnectionNotReady',
]);

export interface ConditionText {
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

export interface StatusUpdate {
  applicationId?: string;
  secretName?: string;
  /** Status fields of a converged state: replace the previous ones on success. */
  converged?: Partial<LogtoApplicationStatus>;
  /** The last pass: did it converge the spec? */
  synced?: ConditionText;
  /** The application: does the Secret hold its working credentials? */
  ready?: ConditionText;
}

export class StatusBook {
  /** The external id each pass's working copy was verified to manage (created or observed). */
  private readonly verifiedIds = new WeakMap<LogtoApplication, string>();

  constructor(
    private readonly kube: Pick<KubeOperations, 'applyStatus'>,
    private readonly now: () => Date,
  ) {}

  verified(resource: LogtoApplication, id: string): void {
    this.verifiedIds.set(resource, id);
  }

  /**
   * Adds to status what this pass is about to manage before any external write, so that a pass
   * failing or dying half-way still leaves a record, and a later rollback of the spec undoes what it
   * did. A no-op once recorded.
   */
  async recordIntent(resource: LogtoApplication, intent: ExternalIntent): Promise<void> {
    const current = resource.status ?? {};
    const unions = Object.fromEntries(
      Object.entries(intent).map(([key, now]) => {
        const before = current[key as keyof ExternalIntent];
        const all = [...new Set([...(before ?? []), ...(now ?? [])])].sort();
        return [key, all.length ? all : undefined];
      }),
    );
    const next = withoutUndefined<LogtoApplicationStatus>({ ...current, ...unions });
    await this.apply(resource, current, next);
  }

  async write(resource: LogtoApplication, update: StatusUpdate): Promise<void> {
    const current = resource.status ?? {};
    const generation = resource.metadata.generation ?? 0;
    // A successful pass describes the converged state afresh; a failed one keeps the last description.
    const convergedFields: Partial<LogtoApplicationStatus> =
      update.converged ??
      Object.fromEntries(Object.entries(current).filter(([key]) => !BOOKKEEPING_FIELDS.has(key)));
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
    await this.apply(resource, current, next);
  }

  /** Synced=False with the failure; Ready=False only if the application was not available before. */
  failureConditions(resource: LogtoApplication, reason: string, message: string): StatusUpdate {
    const ready = resource.status?.conditions?.find((c) => c.type === READY);
    const stillAvailable = ready?.status === 'True' && !UNAVAILABLE_REASONS.has(reason);
    return {
      synced: { status: 'False', reason, message },
      ...(stillAvailable ? {} : { ready: { status: 'False', reason, message } }),
    };
  }

  private async apply(
    resource: LogtoApplication,
    current: LogtoApplicationStatus,
    next: LogtoApplicationStatus,
  ): Promise<void> {
    if (deepEqual(next, current)) return;
    const version = await this.kube.applyStatus(resource, next);
    if (version) resource.metadata.resourceVersion = version;
    resource.status = next;
  }
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
