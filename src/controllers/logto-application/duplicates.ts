/**
 * Removing an application the operator made but no resource should keep (a duplicate left by a create
 * whose answer was lost, or the application of a resource that no longer exists), as the deletion
 * policy says: deleted (custom domains first), or with `Orphan` only unmarked and left in place. The
 * reconciler (duplicates found by marker) and the sweep share it.
 */
import { ignoreNotFound } from '../../api/errors.js';
import type { Application } from '../../api/schemas.js';
import type { LogtoApplication } from '../../crd/logto-application.js';
import { removeCustomDomains } from './aspects/custom-domains.js';
import { withoutMarker, type DeletionPolicy } from './ownership-marker.js';
import type { EventRecorder, LogtoApplicationsApi } from './ports.js';

export type Removal = 'deleted' | 'unmarked';

/** Removes `application` per `policy`; undefined when it was already gone. */
export async function removeApplication(
  logto: LogtoApplicationsApi,
  application: Application,
  policy: DeletionPolicy,
): Promise<Removal | undefined> {
  if (policy === 'Delete') {
    // Logto refuses to delete a Protected app that still has a custom domain.
    if (application.type === 'Protected') await removeCustomDomains({ logto, application });
    return (await ignoreNotFound(() => logto.deleteApplication(application.id))) ? 'deleted' : undefined;
  }
  const unmarked = await ignoreNotFound(() =>
    logto.updateApplication(application.id, { customData: withoutMarker(application.customData) }),
  );
  return unmarked ? 'unmarked' : undefined;
}

/** The Warning event on a resource one of whose duplicates was removed. */
export function recordDuplicateRemoved(
  events: EventRecorder,
  resource: LogtoApplication,
  applicationId: string,
  removal: Removal,
): void {
  if (removal === 'deleted') {
    events.record(
      resource,
      'Warning',
      'DuplicateDeleted',
      `deleted Logto application ${applicationId}, a second copy created by an interrupted attempt`,
    );
  } else {
    events.record(
      resource,
      'Warning',
      'DuplicateOrphaned',
      `removed this resource's marker from Logto application ${applicationId}, a second copy created ` +
        'by an interrupted attempt, and left it in place (deletionPolicy Orphan)',
    );
  }
}

/** Removes the duplicates a marker search found beside the application the resource manages. */
export async function deleteDuplicates(
  logto: LogtoApplicationsApi,
  events: EventRecorder,
  resource: LogtoApplication,
  duplicates: readonly Application[],
): Promise<void> {
  const policy = resource.spec.deletionPolicy ?? 'Delete';
  for (const duplicate of duplicates) {
    const removal = await removeApplication(logto, duplicate, policy);
    if (removal) recordDuplicateRemoved(events, resource, duplicate.id, removal);
  }
}
