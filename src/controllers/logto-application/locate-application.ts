/**
 * Finds the Logto application a resource manages: by the id recorded in status, by the id it asks
 * to adopt, or by the ownership marker an earlier, interrupted attempt left on an application it
 * created. Never creates anything.
 */
import type { Application } from '../../api/schemas.js';
import { isNotFound } from '../../api/errors.js';
import type { LogtoApplication } from '../../crd/logto-application.js';
import { readMarker } from './ownership-marker.js';
import { ReconcileStop } from './outcome.js';
import type { LogtoApplicationsApi } from './ports.js';

export type Located =
  | { found: 'recorded'; application: Application }
  | { found: 'adopted'; application: Application }
  /** `duplicates`: more applications with this resource's marker, from creates whose answer was lost. */
  | { found: 'marker'; application: Application; duplicates: Application[] }
  | { found: 'none'; lostApplicationId?: string };

const PAGE_SIZE = 100;

/** Refuses an application that carries another resource's marker. */
export function assertNotForeign(application: Application, resource: LogtoApplication): void {
  const marker = readMarker(application.customData);
  if (marker && marker.uid !== resource.metadata.uid) {
    throw new ReconcileStop(
      'AdoptionRefused',
      `Logto application ${application.id} is managed by LogtoApplication ${marker.namespace}/${marker.name} ` +
        `(uid ${marker.uid}); one application cannot be managed by two resources`,
    );
  }
}

async function getOrUndefined(logto: LogtoApplicationsApi, id: string): Promise<Application | undefined> {
  try {
    return await logto.getApplication(id);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Scans the applications of the resource's type for its ownership marker; oldest first. */
export async function findByMarker(
  logto: LogtoApplicationsApi,
  resource: LogtoApplication,
): Promise<Application[]> {
  const matches: Application[] = [];
  for (let page = 1; ; page++) {
    const { items, total } = await logto.listApplicationsPage({
      types: [resource.spec.type],
      page,
      page_size: PAGE_SIZE,
    });
    matches.push(...items.filter((app) => readMarker(app.customData)?.uid === resource.metadata.uid));
    if (items.length < PAGE_SIZE || page * PAGE_SIZE >= total) break;
  }
  return matches.sort((a, b) => a.createdAt - b.createdAt);
}

async function locateByMarker(
  logto: LogtoApplicationsApi,
  resource: LogtoApplication,
  lostApplicationId?: string,
): Promise<Located> {
  const [application, ...duplicates] = await findByMarker(logto, resource);
  if (application) return { found: 'marker', application, duplicates };
  return lostApplicationId ? { found: 'none', lostApplicationId } : { found: 'none' };
}

export async function locateApplication(
  logto: LogtoApplicationsApi,
  resource: LogtoApplication,
): Promise<Located> {
  const recordedId = resource.status?.applicationId;
  const adoptId = resource.spec.adoptApplicationId;
  if (recordedId) {
    const application = await getOrUndefined(logto, recordedId);
    if (application) {
      assertNotForeign(application, resource);
      return { found: 'recorded', application };
    }
    if (adoptId) {
      throw new ReconcileStop(
        'ApplicationNotFound',
        `the adopted Logto application ${adoptId} no longer exists; the operator does not recreate adopted applications`,
      );
    }
    return locateByMarker(logto, resource, recordedId);
  }
  if (adoptId) {
    const application = await getOrUndefined(logto, adoptId);
    if (!application) {
      throw new ReconcileStop(
        'ApplicationNotFound',
        `spec.adoptApplicationId: no Logto application has id ${adoptId}`,
      );
    }
    assertNotForeign(application, resource);
    return { found: 'adopted', application };
  }
  return locateByMarker(logto, resource);
}
