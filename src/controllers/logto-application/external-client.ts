/**
 * The external system as the managed reconciler sees it, in the shape of Crossplane's
 * ExternalClient: one client per pass and resource, with four verbs (observe, create, update,
 * delete). The reconciler (reconciler.ts) does the generic part around them: finalizer,
 * external-name and create-pending annotations, Synced and Ready, events, the published Secret.
 * logto-external.ts implements it for Logto.
 */
import type { LogtoApplication, LogtoApplicationStatus } from '../../crd/logto-application.js';
import type { PublishedCredentials } from './credentials-secret.js';
import type { ReconcileStop } from './outcome.js';
import type { AnnotationChanges } from './resource-metadata.js';

/**
 * Whether an external resource exists that this resource may manage, and its id (the external name);
 * `record`: the pass found it (adopted, searched for, took it back), so the id goes on the resource
 * before anything more is written to it.
 */
export type ExternalObservation = { exists: true; id: string; record: boolean } | { exists: false };

export interface ExternalCreation {
  id: string;
  /** For the Created event. */
  message: string;
}

export interface ExternalUpdate {
  /** The external resource as messages name it. */
  title: string;
  /** The connection details to publish in the Secret. */
  credentials: PublishedCredentials;
  /** Status fields describing the converged state. */
  status: Partial<LogtoApplicationStatus>;
  /** When the resource needs a pass again (e.g. a rotation) before the next resync. */
  dueInMs?: number;
  /** What changed in the external system, for the Updated event; undefined when nothing did. */
  changes?: string;
  /** Runs once the Secret holds `credentials`: the deletions of the credentials they replaced. */
  afterPublish(): Promise<void>;
}

/**
 * What the reconciler knows besides the resource that may name its external resource. A hint only:
 * the client checks that the resource may manage what it names before using it.
 */
export interface ObserveHints {
  /**
   * The external id published in the resource's own Secret (see SecretPublisher), read when asked:
   * only a pass that has to search for its application needs it.
   */
  publishedId?: () => Promise<string | undefined>;
}

/** Status lists of what a pass is about to manage, recorded (as a union) before any external write. */
export type ExternalIntent = Partial<
  Pick<
    LogtoApplicationStatus,
    'managedAspects' | 'managedSecrets' | 'managedCustomDataKeys' | 'consentOrganizationUsers'
  >
>;

export interface ExternalClient {
  /** The external calls made so far, by operation, for the pass's log line. */
  readonly calls: readonly string[];
  /**
   * Annotations the client needs on the resource (e.g. the connection it was pinned to), recorded
   * with the pass's first metadata write where the resource does not carry them yet.
   */
  readonly annotations?: AnnotationChanges;
  /** Pure: see ExternalIntent. */
  intent(): ExternalIntent;
  /** Finds the external resource; never writes. */
  observe(hints?: ObserveHints): Promise<ExternalObservation>;
  /**
   * Creates it. Throws CreateRefused when the external system refused for sure (nothing was made);
   * any other failure leaves the outcome unknown.
   */
  create(): Promise<ExternalCreation>;
  /** Converges the observed or created resource to the spec: a no-op when it matches. */
  update(): Promise<ExternalUpdate>;
  /** Deletes the resource, or releases it when the spec's deletion policy keeps it. */
  delete(): Promise<void>;
  /** The pass is over (whatever its outcome): gives back what connect took. */
  release?(): void;
}

/**
 * Makes the client of one pass for one resource. Where the connection is resolved and checked for
 * this resource: before any external call is made.
 */
export interface ExternalConnector {
  connect(resource: LogtoApplication): Promise<ExternalClient>;
}

/** A create the external system refused: it made nothing, so no search for it is needed. */
export class CreateRefused extends Error {
  constructor(readonly stop: ReconcileStop) {
    super(stop.message);
    this.name = 'CreateRefused';
  }
}
