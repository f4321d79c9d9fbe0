/**
 * Duplicate cleanup: applications carrying this resource's marker besides the one it manages (left
 * by creates whose answer was lost) are never published and are deleted.
 */
import { ignoreNotFound } from '../../api/errors.js';
import type { Application } from '../../api/schemas.js';
import type { LogtoApplication } from '../../crd/logto-application.js';
import type { EventRecorder, LogtoApplicationsApi } from './ports.js';

export async function deleteDuplicates(
  logto: LogtoApplicationsApi,
  events: EventRecorder,
  resource: LogtoApplication,
  duplicates: readonly Application[],
): Promise<void> {
  for (const duplicate of duplicates) {
    if (await ignoreNotFound(() => logto.deleteApplication(duplicate.id))) {
      events.record(
        resource,
        'Warning',
        'DuplicateDeleted',
        `deleted Logto application ${duplicate.id}, a second copy created by an interrupted attempt`,
      );
    }
  }
}
