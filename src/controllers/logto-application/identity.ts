/**
 * Which Logto application is a resource's: one decision, pure, for every pass (reconcile and
 * deletion) and for the sweep. From what the operator recorded (status, which users cannot write),
 * what the annotations say (written by the operator, restored with the object, or by a user), what
 * the spec asks to adopt, and what the ownership marker of each application found says, to one of:
 *
 * - `use`: the application is this resource's (`record`: its id is not yet in the operator's record);
 * - `take-back`: an application to claim (a restored object's, or one to adopt): its marker is
 *   written for this resource before anything else is done with it;
 * - `refuse`: never touch it (another resource's, a stranger's, or gone and not to be recreated);
 * - `search`: a create may have reached Logto unrecorded; look for its marker, not before `notBefore`
 *   (the create-pending time plus the commit window, the same on every replica);
 * - `create`: nothing exists that this resource may manage;
 * - `none` (deletion only): nothing in Logto to delete or orphan.
 *
 * locate-application.ts reads and searches what it asks for; identity.test.ts has the table.
 */
import type { OwnershipMarker } from './ownership-marker.js';

/** What a resource says about its application. */
export interface Claim {
  uid: string;
  namespace: string;
  name: string;
  /** This cluster's name (--cluster-name); '' when it has none. */
  cluster: string;
  /** status.applicationId: the id the operator recorded once it had checked it. */
  recorded?: string;
  /** logto.io/external-name: written when a pass found (not created) its application; or restored, or forged. */
  externalName?: string;
  /** spec.adoptApplicationId. */
  adopt?: string;
  /** When a create was sent (logto.io/external-create-pending, epoch ms); 0 when its time is unreadable. */
  createSentAt?: number;
  /** The random token of this object's creates (logto.io/create-token), also in their markers. */
  token?: string;
  /** Earlier versions recorded an application in status only: a finalizer without any record is one. */
  legacyUnrecorded?: boolean;
}

/** An application that exists, as far as the decision goes. */
export interface Found {
  id: string;
  marker?: OwnershipMarker;
  /** For choosing among several found by marker: the oldest is kept. */
  createdAt?: number;
}

export interface Findings {
  /** The application at namedId(claim): found, or gone (Logto has no application of that id). */
  named?: Found | 'gone';
  /**
   * What a search by marker found: every application carrying this resource's marker or its
   * predecessor's (complete: a list of the tenant), or only what a hint named (incomplete).
   */
  searched?: { complete: boolean; found: Found[] };
}

export type Identity =
  | { decision: 'use'; id: string; record: boolean; duplicates: string[] }
  | { decision: 'take-back'; id: string; as: 'restore' | 'adoption' }
  | { decision: 'refuse'; reason: 'AdoptionRefused' | 'ApplicationNotFound'; message: string }
  | { decision: 'search'; notBefore: number }
  | { decision: 'create'; replacing?: string }
  | { decision: 'none' };

export interface Context {
  now: number;
  /** How long after it was sent a create may still commit in Logto (see commitWindowMs). */
  commitWindowMs: number;
}

/** How an application's marker relates to a resource. */
export type Relation = 'ours' | 'predecessor' | 'foreign' | 'unmarked';

/**
 * `predecessor`: the marker names this cluster and this resource's namespace and name under another
 * UID. One namespace/name of a cluster holds one object at a time, so that object is gone and this one
 * replaced it (a backup restore, or a delete whose finalizer never ran followed by a re-apply).
 */
export function relation(marker: OwnershipMarker | undefined, claim: Claim): Relation {
  if (!marker) return 'unmarked';
  if (marker.uid === claim.uid) return 'ours';
  const sameObject =
    marker.namespace === claim.namespace &&
    marker.name === claim.name &&
    (marker.cluster ?? '') === claim.cluster;
  return sameObject ? 'predecessor' : 'foreign';
}

/**
 * Whether this object may take its predecessor's application back: it holds the create token the
 * predecessor wrote into the marker (a restore brings the annotations back; someone who merely reuses
 * the namespace and name does not have it). A marker of an older version has no token: then only in a
 * named cluster, since every unnamed cluster sharing a tenant writes the same namespace and name.
 */
export function restores(marker: OwnershipMarker, claim: Claim): boolean {
  if (marker.token) return marker.token === claim.token;
  return claim.cluster !== '';
}

/** The application id the resource names: the operator's record, else the annotation, else the spec. */
export function namedId(claim: Claim): string | undefined {
  return claim.recorded ?? claim.externalName ?? claim.adopt;
}

/**
 * Whether an application this resource made may exist unrecorded: a create was sent and the
 * operator's record holds no id (the pass died, its answer was lost or unreadable, status was lost),
 * or the resource comes from a version that kept the id in status only.
 */
export function mayHoldUnrecorded(claim: Claim): boolean {
  return (claim.createSentAt !== undefined && !claim.recorded) || Boolean(claim.legacyUnrecorded);
}

/** When a search for an unrecorded create may start: once that create can no longer be committing. */
function searchFrom(claim: Claim, context: Context): number {
  return claim.createSentAt ? claim.createSentAt + context.commitWindowMs : context.now;
}

/**
 * Whether an application is still this resource's to claim, read again just before its marker is
 * written: already this resource's, its predecessor's with the proof, or unmarked to adopt.
 */
export function stillClaimable(current: Found, claim: Claim, as: 'restore' | 'adoption'): boolean {
  const rel = relation(current.marker, claim);
  if (rel === 'ours') return true;
  if (as === 'restore') return rel === 'predecessor' && restores(current.marker!, claim);
  return rel === 'unmarked' && current.id === claim.adopt;
}

/** The decision of a reconcile pass. */
export function identify(claim: Claim, findings: Findings, context: Context): Identity {
  const id = namedId(claim);
  if (id && findings.named && findings.named !== 'gone') return judgeNamed(claim, findings.named);
  if (id && findings.named === 'gone' && id === claim.adopt) {
    return {
      decision: 'refuse',
      reason: 'ApplicationNotFound',
      message:
        claim.recorded === id || claim.externalName === id
          ? `the adopted Logto application ${id} no longer exists; the operator does not recreate adopted applications`
          : `spec.adoptApplicationId: no Logto application has id ${id}`,
    };
  }
  // Nothing named, or what was named is gone: look for an unrecorded create first, if one may exist.
  const replacing = id && findings.named === 'gone' ? id : undefined;
  if (!replacing && !mayHoldUnrecorded(claim)) return { decision: 'create' };
  const searched = findings.searched;
  if (searched) {
    const found = fromSearch(claim, searched.found);
    if (found) return found;
    if (searched.complete) return { decision: 'create', ...(replacing ? { replacing } : {}) };
  }
  return { decision: 'search', notBefore: searchFrom(claim, context) };
}

function judgeNamed(claim: Claim, named: Found): Identity {
  const rel = relation(named.marker, claim);
  const byOperator = claim.recorded === named.id;
  if (rel === 'foreign') {
    const marker = named.marker!;
    return {
      decision: 'refuse',
      reason: 'AdoptionRefused',
      // Another namespace's resources are not this namespace's business: named only within it.
      message:
        marker.namespace === claim.namespace
          ? `Logto application ${named.id} is managed by LogtoApplication ${marker.namespace}/${marker.name} ` +
            `(uid ${marker.uid}); one application cannot be managed by two resources`
          : `Logto application ${named.id} is managed by another LogtoApplication; one application cannot ` +
            'be managed by two resources',
    };
  }
  // The operator's own record: it checked this application when it recorded it. The annotation is
  // written where it is missing for an application found, or says something else.
  if (byOperator || rel === 'ours') {
    const record = claim.externalName !== named.id && (!byOperator || claim.externalName !== undefined);
    return { decision: 'use', id: named.id, record, duplicates: [] };
  }
  // Named only by the user's words (an annotation, the spec): they must be backed by a marker, a
  // token, or an adoption the connection's policy allows.
  if (rel === 'predecessor') {
    if (restores(named.marker!, claim)) return { decision: 'take-back', id: named.id, as: 'restore' };
    return {
      decision: 'refuse',
      reason: 'AdoptionRefused',
      message:
        `Logto application ${named.id} was made for an earlier LogtoApplication ${claim.namespace}/${claim.name}, ` +
        'and this resource does not hold the create token that would prove it restores that one ' +
        '(restore it with its annotations, or set spec.adoptApplicationId to adopt the application)',
    };
  }
  if (named.id === claim.adopt) return { decision: 'take-back', id: named.id, as: 'adoption' };
  return {
    decision: 'refuse',
    reason: 'AdoptionRefused',
    message:
      `annotation logto.io/external-name names Logto application ${named.id}, which carries no ` +
      'ownership marker of this resource; set spec.adoptApplicationId to manage an existing application',
  };
}

/** What a search found: this resource's own (the oldest; the rest are duplicates), else its predecessor's. */
function fromSearch(claim: Claim, found: readonly Found[]): Identity | undefined {
  const oldestFirst = (a: Found, b: Found) => (a.createdAt ?? 0) - (b.createdAt ?? 0);
  const unique = [...new Map(found.map((f) => [f.id, f])).values()];
  const ours = unique.filter((f) => relation(f.marker, claim) === 'ours').sort(oldestFirst);
  const [first, ...duplicates] = ours;
  if (first) return { decision: 'use', id: first.id, record: true, duplicates: duplicates.map((d) => d.id) };
  const predecessor = unique
    .filter((f) => relation(f.marker, claim) === 'predecessor' && restores(f.marker!, claim))
    .sort(oldestFirst)[0];
  return predecessor ? { decision: 'take-back', id: predecessor.id, as: 'restore' } : undefined;
}

/**
 * The decision of a deletion pass: which applications to delete or orphan (`use`, with the others a
 * search found), `search` first where a create may have reached Logto unrecorded, else `none`. Never
 * an application the resource could not manage.
 */
export function identifyForDeletion(claim: Claim, findings: Findings, context: Context): Identity {
  const id = namedId(claim);
  if (id && findings.named && findings.named !== 'gone') {
    const decision = judgeNamed(claim, findings.named);
    if (decision.decision === 'use') return { ...decision, record: false };
    // A restore not yet taken back is still this object's (it proved it with the token); an adoption
    // never completed was never this resource's.
    if (decision.decision === 'take-back' && decision.as === 'restore') {
      return { decision: 'use', id, record: false, duplicates: [] };
    }
    return { decision: 'none' };
  }
  // Gone, or nothing named: only a create that may have reached Logto unrecorded is worth a search.
  if (!mayHoldUnrecorded(claim)) return { decision: 'none' };
  if (!findings.searched?.complete) return { decision: 'search', notBefore: searchFrom(claim, context) };
  const ours = findings.searched.found.filter((f) => relation(f.marker, claim) === 'ours').map((f) => f.id);
  const [first, ...rest] = [...new Set(ours)];
  return first ? { decision: 'use', id: first, record: false, duplicates: rest } : { decision: 'none' };
}

export type SweepVerdict = 'keep' | 'duplicate' | 'orphan';

/**
 * The sweep's decision on an application carrying this cluster's marker, given the resource now at
 * the marker's namespace and name (undefined: none) and the ids of the applications the sweep's list
 * showed: keep it (the resource uses it, or is about to search or take it back), or remove it as a
 * duplicate (the resource records another application, which exists) or an orphan (no resource
 * accounts for it).
 */
export function judgeForSweep(
  application: Found & { marker: OwnershipMarker },
  claim: Claim | undefined,
  listedIds: ReadonlySet<string>,
): SweepVerdict {
  if (!claim) return 'orphan';
  const id = namedId(claim);
  if (id === application.id) return 'keep';
  // A create sent and nothing recorded (status lost, a restore): the resource is about to search for
  // its application, which may be this one (its own, or its predecessor's).
  if (!id && mayHoldUnrecorded(claim)) return 'keep';
  if (relation(application.marker, claim) !== 'ours') return 'orphan';
  if (!id || mayHoldUnrecorded(claim) || !listedIds.has(id)) return 'keep';
  return 'duplicate';
}
