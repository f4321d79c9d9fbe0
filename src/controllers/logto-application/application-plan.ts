/**
 * The plan for the application's own fields, from one observation: refuse what Logto cannot change
 * after creation, else the smallest PATCH (desired-application.ts). Pure.
 */
import type { Application } from '../../api/schemas.js';
import type { LogtoApplication } from '../../crd/logto-application.js';
import {
  applicationPatch,
  desiredApplication,
  immutableMismatch,
  type ApplicationPatch,
} from './desired-application.js';

export type ApplicationPlan =
  | { patch: ApplicationPatch }
  | { refusal: { reason: 'AdoptionRefused' | 'ImmutableFieldConflict'; message: string } };

/**
 * @param adopting the application was not created or recorded by this resource: a mismatch refuses
 *   the adoption instead of reporting a conflict
 */
export function planApplication(
  resource: LogtoApplication,
  observed: Application,
  adopting: boolean,
  cluster = '',
): ApplicationPlan {
  const desired = desiredApplication(
    resource,
    observed.customData,
    resource.status?.managedCustomDataKeys,
    cluster,
  );
  const mismatch = immutableMismatch(desired, observed);
  if (mismatch) {
    return {
      refusal: adopting
        ? { reason: 'AdoptionRefused', message: `cannot adopt: ${mismatch}` }
        : {
            reason: 'ImmutableFieldConflict',
            message: `${mismatch}; Logto cannot change this after creation. Recreate the resource to get a new application.`,
          },
    };
  }
  return { patch: applicationPatch(desired, observed) };
}
