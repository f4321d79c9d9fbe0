/**
 * Finds the Logto application a resource manages: by the id recorded on it (the external-name
 * annotation), by the id it asks to adopt, or, only where a create may have been lost, by the
 * ownership marker that attempt left on the application. Never creates anything.
 */
import type { Application } from '../../api/schemas.js';
import { isNotFound } from '../../api/errors.js';
import type { LogtoApplication } from '../../crd/logto-application.js';
import { FINALIZER } from './constants.js';
import {
  CREATE_PENDING_ANNOTATION,
  createPendingUnconfirmed,
  createRecorded,
  EXTERNAL_NAME_ANNOTATION,
  externalName,
} from './external-name.js';
import { readMarker } from './ownership-marker.js';
import { ReconcileStop } from './outcome.js';
import type { LogtoApplicationsApi } from './ports.js';
import { listAll } from '../../api/client.js';

export type Located =
  | { found: 'recorded'; application: Application }
  | { found: 'adopted'; application: Application }
  /** Recorded on a resource that replaced the one in the marker (a restore or a re-apply). */
  | { found: 'restored'; application: Application }
  /** `duplicates`: more applications with this resource's marker, from creates whose answer was lost. */
  | { found: 'marker'; application: Application; duplicates: Application[] }
  | { found: 'none'; lostApplicationId?: string };

const PAGE_SIZE = 100;

/**
 * Whose an application is, by its marker. `replaced`: the marker names this cluster and this
 * resource's namespace and name under another UID. One namespace/name of a cluster holds one object at
 * a time, so the object in the marker is gone and this one replaced it (a backup restore, or a delete
 * whose finalizer never ran followed by a re-apply). Markers of another cluster name are foreign.
 */
export function ownership(
  application: Application,
  resource: LogtoApplication,
  cluster = '',
): 'ours' | 'replaced' | 'foreign' | 'unmarked' {
  const marker = readMarker(application.customData);
  if (!marker) return 'unmarked';
  if (marker.uid === resource.metadata.uid) return 'ours';
  const { namespace, name } = resource.metadata;
  const sameObject =
    marker.namespace === namespace && marker.name === name && (marker.cluster ?? '') === cluster;
  return sameObject ? 'replaced' : 'foreign';
}

/** Refuses an application that carries another resource's marker. */
export function assertNotForeign(application: Application, resource: LogtoApplication): void {
  const marker = readMarker(application.customData);
  if (marker && marker.uid !== resource.metadata.uid) {
    throw new ReconcileStop(
      'AdoptionRefused',
      // Another namespace's resources are not this namespace's business: named only within it.
      marker.namespace === resource.metadata.namespace
        ? `Logto application ${application.id} is managed by LogtoApplication ${marker.namespace}/${marker.name} ` +
            `(uid ${marker.uid}); one application cannot be managed by two resources`
        : `Logto application ${application.id} is managed by another LogtoApplication; one application cannot ` +
            'be managed by two resources',
    );
  }
}

/**
 * Whether the operator itself recorded `id` for this resource: the id it wrote to status after
 * checking it (users cannot write status). Annotations and spec.adoptApplicationId are the user's
 * words: an id found only there must be backed by the application's ownership marker, or be adopted
 * (and so pass the connection's adoption policy) before the resource may manage it.
 */
export function operatorRecorded(resource: LogtoApplication, id: string): boolean {
  return id === resource.status?.applicationId;
}

/** Whether the resource may manage (update, delete, orphan) the application recorded under `id`. */
export function mayManage(
  application: Application,
  resource: LogtoApplication,
  id: string,
  cluster = '',
): boolean {
  const owner = ownership(application, resource, cluster);
  return owner === 'ours' || owner === 'replaced' || (owner === 'unmarked' && operatorRecorded(resource, id));
}

/**
 * Whether a create may have reached Logto without its id being recorded: a create-pending annotation
 * that nothing confirmed, or a resource from an operator version that kept the id only in status
 * (the finalizer is there, yet neither an id nor a create was ever recorded in annotations).
 */
export function mayHaveLostCreate(resource: LogtoApplication): boolean {
  if (createPendingUnconfirmed(resource)) return true;
  return (
    Boolean(resource.metadata.finalizers?.includes(FINALIZER)) &&
    !externalName(resource) &&
    !createRecorded(resource)
  );
}

/** The application of that id; undefined when Logto has none. */
export async function getOrUndefined(
  logto: LogtoApplicationsApi,
  id: string,
): Promise<Application | undefined> {
  try {
    return await logto.getApplication(id);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Scans the applications of the resource's type for markers: its own (`ours`), and those of the
 * object it replaced in this cluster (`replaced`, see ownership); each oldest first. A search takes
 * back the application of a replaced object only in a named cluster (--cluster-name): unnamed
 * clusters sharing a tenant write the same markers, so one cluster's resource could otherwise take
 * an application of another's just by its namespace and name. (An id recorded in external-name is
 * judged by ownership alone, as before: it had to be known.)
 */
async function scanMarkers(
  logto: LogtoApplicationsApi,
  resource: LogtoApplication,
  cluster: string,
): Promise<MarkedApplications> {
  const items = await listAll(
    'list_applications',
    (page, pageSize) =>
      logto.listApplicationsPage({ types: [resource.spec.type], page, page_size: pageSize }),
    { pageSize: PAGE_SIZE },
  );
  return marked(items, resource, cluster);
}

interface MarkedApplications {
  ours: Application[];
  replaced: Application[];
}

/** The applications marked by this resource, or by the object it replaced; each oldest first. */
function marked(
  applications: Application[],
  resource: LogtoApplication,
  cluster: string,
): MarkedApplications {
  const ours: Application[] = [];
  const replaced: Application[] = [];
  const seen = new Set<string>();
  for (const app of applications) {
    // Pages of a list that changes while it is read may repeat an application.
    if (seen.has(app.id)) continue;
    seen.add(app.id);
    const owner = ownership(app, resource, cluster);
    if (owner === 'ours') ours.push(app);
    else if (owner === 'replaced' && cluster) replaced.push(app);
  }
  const oldestFirst = (a: Application, b: Application) => a.createdAt - b.createdAt;
  return { ours: ours.sort(oldestFirst), replaced: replaced.sort(oldestFirst) };
}

/**
 * The marker search through a shared list, when one read late enough exists. A listed copy may
 * predate a write since, so the application chosen is read again and must still be marked as it
 * was; duplicates are left to the sweep, which checks each before acting. Undefined: scan afresh.
 */
async function locateThroughSharedList(
  logto: LogtoApplicationsApi,
  resource: LogtoApplication,
  cluster: string,
  listedSince: LocateOptions['listedSince'],
): Promise<Located | undefined> {
  const since = sharedScanSince(resource);
  // No list read yet can be late enough: scan at once rather than read one in vain.
  if (!listedSince || since === undefined || since > Date.now()) return undefined;
  const listed = await listedSince(since);
  if (!listed) return undefined;
  const { ours, replaced } = marked(listed, resource, cluster);
  const choice = ours[0] ?? replaced[0];
  // Absence in a list proves nothing (a retried create is newer than its create-pending time, and a
  // deletion between pages shifts applications past the reader): only a find is taken from it.
  return choice && takeBack(logto, resource, cluster, choice.id);
}

/**
 * The application of `id`, read afresh, if it carries this resource's marker (or, in a named cluster,
 * that of the object this one replaced); undefined otherwise.
 */
async function takeBack(
  logto: LogtoApplicationsApi,
  resource: LogtoApplication,
  cluster: string,
  id: string,
): Promise<Located | undefined> {
  const application = await getOrUndefined(logto, id);
  if (!application) return undefined;
  const owner = ownership(application, resource, cluster);
  if (owner === 'ours') return { found: 'marker', application, duplicates: [] };
  if (owner === 'replaced' && cluster) return { found: 'restored', application };
  return undefined;
}

/** The applications carrying this resource's ownership marker; oldest first. */
export async function findByMarker(
  logto: LogtoApplicationsApi,
  resource: LogtoApplication,
): Promise<Application[]> {
  return (await scanMarkers(logto, resource, '')).ours;
}

/**
 * Looks for the application by marker where a create may have been lost, or where the recorded one
 * is gone (deleted in the Console, or a wrong id in the annotation): before creating another, an
 * application this resource made must be found. A plain create costs no list.
 */
async function locateByMarker(
  logto: LogtoApplicationsApi,
  resource: LogtoApplication,
  cluster: string,
  listedSince: LocateOptions['listedSince'],
  lostApplicationId?: string,
): Promise<Located> {
  const search = lostApplicationId !== undefined || mayHaveLostCreate(resource);
  if (!search) return lostApplicationId ? { found: 'none', lostApplicationId } : { found: 'none' };
  const shared = await locateThroughSharedList(logto, resource, cluster, listedSince);
  if (shared) return shared;
  const { ours, replaced } = await scanMarkers(logto, resource, cluster);
  const [application, ...duplicates] = ours;
  if (application) return { found: 'marker', application, duplicates };
  // Only the object this one replaced made one (a restore without the recorded id): taken back.
  if (replaced[0]) return { found: 'restored', application: replaced[0] };
  return lostApplicationId ? { found: 'none', lostApplicationId } : { found: 'none' };
}

export interface LocateOptions {
  /**
   * A copy of a recorded application from a recent list of the tenant, when the pass may trust one
   * (see SharedApplicationList); undefined sends the pass to Logto for it.
   */
  listed?: (id: string) => Promise<Application | undefined>;
  /** The id the resource's own Secret publishes: tried before a marker search (see locateByHint). */
  publishedId?: string;
  /**
   * The applications that may carry this resource's marker (or its predecessor's), from a shared list
   * of the tenant whose read began at or after `since`, if there is one; a marker search uses them
   * instead of a scan of its own (see sharedScanSince).
   */
  listedSince?: (since: number) => Promise<Application[] | undefined>;
}

/**
 * A create that has had this long to commit is in any list read since: its request timeout (at most
 * 60 s) and the clock skew between the replica that wrote the create-pending time and this one.
 */
const COMMIT_MARGIN_MS = 5 * 60_000;

/**
 * From when a shared list holds every application this resource may have created: the create-pending
 * time plus COMMIT_MARGIN_MS. Undefined (scan afresh) without a readable time. So after a backup
 * restore, which brings back old create-pending times, a thousand resources cost one list of the
 * tenant instead of a scan each, while a search right after a lost create still scans.
 */
function sharedScanSince(resource: LogtoApplication): number | undefined {
  const time = Date.parse(resource.metadata.annotations?.[CREATE_PENDING_ANNOTATION] ?? '');
  return Number.isNaN(time) ? undefined : time + COMMIT_MARGIN_MS;
}

/**
 * Where a create may have been lost and nothing is recorded, the id the resource's Secret publishes
 * saves the search: the Secret is written before status in every pass, so after a lost status it
 * names the application. Users may edit Secrets, so it counts only if the application carries this
 * resource's marker (or, in a named cluster, that of the object this one replaced, as a hand-made
 * Secret might name); anything else falls back to the search.
 */
async function locateByHint(
  logto: LogtoApplicationsApi,
  resource: LogtoApplication,
  cluster: string,
  publishedId: string | undefined,
): Promise<Located | undefined> {
  if (!publishedId || !mayHaveLostCreate(resource)) return undefined;
  return takeBack(logto, resource, cluster, publishedId);
}

export async function locateApplication(
  logto: LogtoApplicationsApi,
  resource: LogtoApplication,
  cluster = '',
  { listed, publishedId, listedSince }: LocateOptions = {},
): Promise<Located> {
  const recordedId = externalName(resource);
  const adoptId = resource.spec.adoptApplicationId;
  if (recordedId) {
    const application = (await listed?.(recordedId)) ?? (await getOrUndefined(logto, recordedId));
    if (application) {
      const owner = ownership(application, resource, cluster);
      if (owner === 'replaced') return { found: 'restored', application };
      if (owner === 'unmarked' && !operatorRecorded(resource, recordedId)) {
        // Recorded but never confirmed: an adoption interrupted before the marker was written, or a
        // forged annotation; either way it is an adoption, judged as one.
        if (recordedId === adoptId) return { found: 'adopted', application };
        throw new ReconcileStop(
          'AdoptionRefused',
          `annotation ${EXTERNAL_NAME_ANNOTATION} names Logto application ${recordedId}, which carries no ` +
            'ownership marker of this resource; set spec.adoptApplicationId to manage an existing application',
        );
      }
      assertNotForeign(application, resource);
      return { found: 'recorded', application };
    }
    if (adoptId) {
      throw new ReconcileStop(
        'ApplicationNotFound',
        `the adopted Logto application ${adoptId} no longer exists; the operator does not recreate adopted applications`,
      );
    }
    return locateByMarker(logto, resource, cluster, listedSince, recordedId);
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
  return (
    (await locateByHint(logto, resource, cluster, publishedId)) ??
    locateByMarker(logto, resource, cluster, listedSince)
  );
}
