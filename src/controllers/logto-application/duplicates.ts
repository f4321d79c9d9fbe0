/**
 * Duplicate cleanup: applications carrying this resource's marker besides the one it manages (left
 * by creates whose answer was lost) are never published. They go as the resource's deletionPolicy
 * says, as the sweep treats them: deleted, or with `Orphan` only unmarked and left in place.
 */
import { ignoreNotFound } from '../../api/errors.js';
import type { Application } from '../../api/schemas.js';
import type { LogtoApplication } from '../../crd/logto-application.js';
import { withoutMarker } from './ownership-marker.js';
import type { EventRecorder, LogtoApplicationsApi } from './ports.js';

export async function deleteDuplicates(
  logto: LogtoApplicationsApi,
  events: EventRecorder,
  resource: LogtoApplication,
  duplicates: readonly Application[],
): Promise<void> {
  const orphan = resource.spec.deletionPolicy === 'Orphan';
  for (const duplicate of duplicates) {
    if (orphan) {
      const unmarked = await ignoreNotFound(() =>
        logto.updateApplication(duplicate.id, { customData: withoutMarker(duplicate.customData) }),
      );
      if (unmarked) {
        events.record(
          resource,
          'Warning',
          'DuplicateOrphaned',
          `removed this resource's marker from Logto application ${duplicate.id}, a second copy created ` +
            'by an interrupted attempt, and left it in place (deletionPolicy Orphan)',
        );
      }
    } else if (await ignoreNotFound(() => logto.deleteApplication(duplicate.id))) {
      events.record(
        resource,
        'Warning',
        'DuplicateDeleted',
        `deleted Logto application ${duplicate.id}, a second copy created by an interrupted attempt`,
      );
    }
  }
}
