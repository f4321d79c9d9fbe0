/**
 * An aspect is one optional part of the spec converged by its own Logto calls after the core
 * application fields (roles, consent, sign-in experience, …). Each pass: an aspect the spec declares
 * is converged; one the operator managed before (status.managedAspects) but the spec no longer
 * declares is reset once; any other is left alone, so that adopting an application does not wipe
 * what the spec does not mention.
 *
 * Each aspect converges in three steps: observe (the reads: the current state, and the desired one
 * resolved against Logto's names), plan (pure: the writes that differ, and the status to report) and
 * apply (the writes).
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
  /** This pass created the application: Logto holds nothing for it yet but what the create set. */
  created?: boolean;
}

export interface AspectResult {
  /** Status fields this aspect reports (merged into the status write). */
  status?: Partial<LogtoApplicationStatus>;
  /** What changed in Logto, for the Updated event; empty when nothing did. */
  changes?: string[];
}

/**
 * `declared` false: the aspect is being reset (the desired state is the operator's default).
 */
export interface AspectDefinition<Observed, Plan> {
  /** Name recorded in status.managedAspects. */
  name: string;
  declared(resource: LogtoApplication): boolean;
  /** Whether the operator undoes it once the spec stops declaring it; false: it is only reported. */
  resettable: boolean;
  observe(context: AspectContext, declared: boolean): Promise<Observed>;
  plan(observed: Observed, declared: boolean): Plan;
  apply(context: AspectContext, plan: Plan): Promise<AspectResult>;
}

export interface Aspect {
  name: string;
  declared(resource: LogtoApplication): boolean;
  resettable: boolean;
  /** observe → plan → apply. */
  converge(context: AspectContext, declared: boolean): Promise<AspectResult>;
}

export function aspect<Observed, Plan>(definition: AspectDefinition<Observed, Plan>): Aspect {
  const { name, declared, resettable } = definition;
  return {
    name,
    declared,
    resettable,
    async converge(context, isDeclared) {
      const observed = await definition.observe(context, isDeclared);
      return definition.apply(context, definition.plan(observed, isDeclared));
    },
  };
}
