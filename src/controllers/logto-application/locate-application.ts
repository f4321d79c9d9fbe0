/**
 * Finds the Logto application a resource manages, asking identity.ts what to read and what it means:
 * the application the resource names (its record, its annotation, the id to adopt), and, only where a
 * create may have reached Logto unrecorded, the applications carrying its marker. Never writes.
 */
import type { Application } from '../../api/schemas.js';
import { isNotFound } from '../../api/errors.js';
import { listAll } from '../../api/client.js';
import type { LogtoApplication } from '../../crd/logto-application.js';
import { claimOf } from './external-name.js';
import {
  identify,
  identifyForDeletion,
  namedId,
  type Claim,
  type Context,
  type Findings,
  type Found,
  type Identity,
} from './identity.js';
import { markerKeys, readMarker } from './ownership-marker.js';
import { ReconcileStop } from './outcome.js';
import type { LogtoApplicationsApi } from './ports.js';

/** What observe learned: the application to use (or to claim first), or that one is to be created. */
export type Located =
  | { decision: 'use'; application: Application; record: boolean; duplicates: Application[] }
  | { decision: 'take-back'; application: Application; as: 'restore' | 'adoption' }
  | { decision: 'create'; replacing?: string };

const PAGE_SIZE = 100;

/**
 * How long after it was sent a create may still commit in Logto, so that a search before then could
 * miss it and a second create follow: twice the request timeout (the client gave up after one), on
 * every replica alike (the create-pending time is on the resource; clocks are assumed to agree within
 * seconds). A create committed later still is a duplicate, which the sweep removes.
 */
export function commitWindowMs(requestTimeoutMs: number): number {
  return 2 * requestTimeoutMs;
}

export interface LocateOptions {
  /** The cluster's name in markers (--cluster-name); '' when it has none. */
  cluster: string;
  commitWindowMs: number;
  now?: () => number;
  /**
   * A copy of a named application from a recent list of the tenant, when the pass may trust one
   * (see SharedApplicationList); undefined sends the pass to Logto for it.
   */
  listed?: (id: string) => Promise<Application | undefined>;
  /** The id the resource's own Secret publishes (read when asked): looked at before a search of the tenant. */
  publishedId?: () => Promise<string | undefined>;
  /**
   * The applications that may carry this resource's marker (or its predecessor's), from a shared list
   * of the tenant whose read began at or after `since`, if there is one (see sharedListSince).
   */
  listedSince?: (since: number) => Promise<Application[] | undefined>;
}

export const foundOf = (application: Application): Found => {
  const marker = readMarker(application.customData);
  return { id: application.id, createdAt: application.createdAt, ...(marker ? { marker } : {}) };
};

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
 * A pass that must wait before it searches: a create sent at `createSentAt` may still commit. The
 * key comes back when the window is over; meanwhile nothing is created.
 */
function waitForPendingCreate(claim: Claim, notBefore: number, now: number): ReconcileStop {
  return new ReconcileStop(
    'CreatePending',
    `a create sent at ${new Date(claim.createSentAt ?? now).toISOString()} may still be committing in Logto; ` +
      `the operator looks for it at ${new Date(notBefore).toISOString()} before it creates another`,
    { retryAfterMs: Math.max(notBefore - now, 1_000) },
  );
}

/** The decision for one resource, with every read and search it asks for done. */
async function decide(
  logto: LogtoApplicationsApi,
  resource: LogtoApplication,
  options: LocateOptions,
  judge: (claim: Claim, findings: Findings, context: Context) => Identity,
): Promise<{ identity: Identity; applications: Map<string, Application> }> {
  const claim = claimOf(resource, options.cluster);
  const now = options.now ?? Date.now;
  const context = (): Context => ({ now: now(), commitWindowMs: options.commitWindowMs });
  const applications = new Map<string, Application>();
  const keep = (application: Application | undefined) => {
    if (application) applications.set(application.id, application);
    return application;
  };
  const findings: Findings = {};
  const id = namedId(claim);
  if (id) {
    const named = keep((await options.listed?.(id)) ?? (await getOrUndefined(logto, id)));
    findings.named = named ? foundOf(named) : 'gone';
  }
  let identity = judge(claim, findings, context());
  if (identity.decision !== 'search') return { identity, applications };

  // Cheapest first: the id the resource's Secret publishes (written before status in every pass,
  // so after a create answered: no pending create to wait for when it names ours), then a shared
  // list of the tenant read late enough, and only then a scan of its own. What the first two find is
  // read afresh; their absence proves nothing (a partial look).
  const partial = async (candidates: Array<Application | undefined>) => {
    const fresh = [];
    for (const candidate of candidates) {
      const read = candidate && keep(await getOrUndefined(logto, candidate.id));
      if (read) fresh.push(foundOf(read));
    }
    findings.searched = { complete: false, found: fresh };
    return judge(claim, findings, context());
  };
  const publishedId = await options.publishedId?.();
  if (publishedId) {
    identity = await partial([{ id: publishedId } as Application]);
    if (identity.decision !== 'search') return { identity, applications };
  }
  if (identity.notBefore > now()) throw waitForPendingCreate(claim, identity.notBefore, now());
  const since = sharedListSince(claim);
  if (options.listedSince && since !== undefined && since <= now()) {
    const listed = await options.listedSince(since);
    if (listed?.length) {
      identity = await partial(listed);
      if (identity.decision !== 'search') return { identity, applications };
    }
  }
  const scanned = await scan(logto, claim, resource.spec.type);
  for (const application of scanned) keep(application);
  findings.searched = { complete: true, found: scanned.map(foundOf) };
  return { identity: judge(claim, findings, context()), applications };
}

/**
 * The applications of the resource's type that carry its marker or its predecessor's (a list of the
 * tenant's applications, filtered by type, followed to its end).
 */
async function scan(
  logto: LogtoApplicationsApi,
  claim: Claim,
  type: LogtoApplication['spec']['type'],
): Promise<Application[]> {
  const items = await listAll(
    'list_applications',
    (page, pageSize) => logto.listApplicationsPage({ types: [type], page, page_size: pageSize }),
    { pageSize: PAGE_SIZE },
  );
  const keys = new Set(markerKeys(claim));
  return items.filter((application) => {
    const marker = readMarker(application.customData);
    return marker !== undefined && markerKeys(marker).some((key) => keys.has(key));
  });
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
function sharedListSince(claim: Claim): number | undefined {
  return claim.createSentAt ? claim.createSentAt + COMMIT_MARGIN_MS : undefined;
}

/** What a reconcile pass manages: the application to use or claim, or one to create. */
export async function locateApplication(
  logto: LogtoApplicationsApi,
  resource: LogtoApplication,
  options: LocateOptions,
): Promise<Located> {
  const { identity, applications } = await decide(logto, resource, options, identify);
  switch (identity.decision) {
    case 'refuse':
      throw new ReconcileStop(identity.reason, identity.message);
    case 'use':
      return {
        decision: 'use',
        application: applications.get(identity.id)!,
        record: identity.record,
        duplicates: identity.duplicates.flatMap((id) => applications.get(id) ?? []),
      };
    case 'take-back':
      return { decision: 'take-back', application: applications.get(identity.id)!, as: identity.as };
    case 'create':
      return { decision: 'create', ...(identity.replacing ? { replacing: identity.replacing } : {}) };
    default:
      // identify answers none and search only for deletions and before a search.
      throw new Error(`unexpected decision ${identity.decision}`);
  }
}

/** The applications a deletion pass deletes or orphans; never one the resource could not manage. */
export async function locateForDeletion(
  logto: LogtoApplicationsApi,
  resource: LogtoApplication,
  options: LocateOptions,
): Promise<Application[]> {
  const { identity, applications } = await decide(logto, resource, options, identifyForDeletion);
  if (identity.decision !== 'use') return [];
  return [identity.id, ...identity.duplicates].flatMap((id) => applications.get(id) ?? []);
}
