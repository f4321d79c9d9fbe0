/**
 * An aspect is one optional part of the spec converged by its own Logto calls after the core
 * application fields (roles, consent, sign-in experience, …). Each pass: an aspect the spec declares
 * is converged; one the operator managed before (status.managedAspects) but the spec no longer
 * declares is reset once; any other is left alone, so that adopting an application does not wipe
 * what the spec does not mention.
 */
import type { LogtoClient } from '../../../api/client.js';
import type { DirectoryPass } from '../../../api/directory.js';
import type { Application } from '../../../api/schemas.js';
import type { LogtoApplication, LogtoApplicationStatus } from '../../../crd/logto-application.js';
import type { EventRecorder } from '../ports.js';

export interface AspectContext {
  resource: LogtoApplication;
  application: Application;
  logto: LogtoClient;
  /** Name lookups of this pass: a name missing from the cache is read again before it counts as missing. */
  directory: DirectoryPass;
  events: EventRecorder;
  now: Date;
}

export interface AspectResult {
  /** Status fields this aspect reports (merged into the status write). */
  status?: Partial<LogtoApplicationStatus>;
  /** What changed in Logto, for the Updated event; empty when nothing did. */
  changes?: string[];
}

export interface Aspect {
  /** Name recorded in status.managedAspects. */
  name: string;
  declared(resource: LogtoApplication): boolean;
  /** Converges Logto to the declared state. */
  sync(context: AspectContext): Promise<AspectResult>;
  /** Undoes what the operator set, after the spec stopped declaring it. */
  reset?(context: AspectContext): Promise<AspectResult>;
}
