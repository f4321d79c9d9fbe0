/**
 * The pure part of the sweep: given one list of a tenant's applications and the LogtoApplications
 * this operator watches, which applications carrying this cluster's ownership marker no resource
 * accounts for. No I/O; src/controllers/logto-application/sweep.ts acts on the result.
 *
 * - A **duplicate** carries the marker (same UID) of a live resource that records another
 *   application, one that the list shows: a create whose answer was lost and that Logto committed
 *   after the resource had created a second one.
 * - An **orphan** carries the marker of a resource that no longer exists: nothing of that namespace
 *   and name, or an object with another UID that does not record this application (the one in the
 *   marker is then gone; one namespace/name holds one object at a time).
 *
 * Everything else is kept: unmarked applications, markers of other clusters or of namespaces this
 * operator does not watch, resources whose create is pending (their own pass searches by marker),
 * resources whose recorded application is not in the list (they are recovering it), and a restored
 * resource that records the application under its new UID.
 */
import type { Application } from '../../api/schemas.js';
import type { LogtoApplication } from '../../crd/logto-application.js';
import { claimOf } from './external-name.js';
import { judgeForSweep } from './identity.js';
import { readMarker, sweepPolicy, type DeletionPolicy, type OwnershipMarker } from './ownership-marker.js';

export type SweepApplication = Pick<Application, 'id' | 'type' | 'customData'>;

/**
 * The verdict on one marked application, given the resource now at the marker's namespace/name
 * (undefined: none) and the ids of the applications the list showed: identity.ts decides.
 */
export function judge(
  application: SweepApplication,
  marker: OwnershipMarker,
  resource: LogtoApplication | undefined,
  listedIds: ReadonlySet<string>,
  clusterName: string,
): 'keep' | 'duplicate' | 'orphan' {
  return judgeForSweep({ id: application.id, marker }, resource && claimOf(resource, clusterName), listedIds);
}

export interface SweepCandidate {
  kind: 'duplicate' | 'orphan';
  application: SweepApplication;
  marker: OwnershipMarker;
  /** What to do with it, per the policy in its marker: delete it, or only remove the marker. */
  policy: DeletionPolicy;
  /** Duplicates only: the live resource whose marker the application carries. */
  resource?: LogtoApplication;
}

export interface SweepScope {
  /** This cluster's name (`--cluster-name`); '' when it has none. */
  clusterName: string;
  /** Whether this operator watches the namespace (only then does its cache speak for it). */
  watches(namespace: string): boolean;
}

export interface SweepPlan {
  duplicates: SweepCandidate[];
  /** Orphans also seen by the previous sweep: acted on now. */
  orphans: SweepCandidate[];
  /** Orphans seen for the first time: acted on if the next sweep still finds them. */
  suspectedOrphans: SweepCandidate[];
}

/** The marker of `application` if it is this cluster's and within this operator's namespaces. */
export function markerInScope(application: SweepApplication, scope: SweepScope): OwnershipMarker | undefined {
  const marker = readMarker(application.customData);
  if (!marker || (marker.cluster ?? '') !== scope.clusterName || !scope.watches(marker.namespace)) {
    return undefined;
  }
  return marker;
}

/**
 * Classifies every application of one list against a snapshot of the watched resources.
 * `previousOrphans`: ids of the orphans the previous sweep suspected. An orphan is acted on only when
 * two consecutive sweeps find it, so that a resource being restored (a backup applied after the
 * operator started) has one sweep period to take its application back. Orphans are looked for only
 * when the cluster has a name: without one, the markers of every unnamed cluster sharing the tenant
 * look alike, and an absence in this cluster says nothing about the others.
 */
export function planSweep(
  applications: readonly SweepApplication[],
  resources: readonly LogtoApplication[],
  scope: SweepScope,
  previousOrphans: ReadonlySet<string> = new Set(),
): SweepPlan {
  const byKey = new Map(resources.map((r) => [`${r.metadata.namespace}/${r.metadata.name}`, r]));
  const listedIds = new Set(applications.map((a) => a.id));
  const plan: SweepPlan = { duplicates: [], orphans: [], suspectedOrphans: [] };
  const seen = new Set<string>();
  for (const application of applications) {
    // Pages of a list that changes while it is read may repeat an application.
    if (seen.has(application.id)) continue;
    seen.add(application.id);
    const marker = markerInScope(application, scope);
    if (!marker) continue;
    const resource = byKey.get(`${marker.namespace}/${marker.name}`);
    const verdict = judge(application, marker, resource, listedIds, scope.clusterName);
    if (verdict === 'keep') continue;
    const candidate: SweepCandidate = { kind: verdict, application, marker, policy: sweepPolicy(marker) };
    if (verdict === 'duplicate') plan.duplicates.push({ ...candidate, resource: resource! });
    else if (!scope.clusterName) continue;
    else if (previousOrphans.has(application.id)) plan.orphans.push(candidate);
    else plan.suspectedOrphans.push(candidate);
  }
  return plan;
}
