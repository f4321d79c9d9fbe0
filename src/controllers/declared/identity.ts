/**
 * Which Logto role or API resource is a declared object's: identity.ts's decision (the one every
 * LogtoApplication pass, deletion and sweep asks), fed with what these kinds have instead of an
 * ownership marker in customData. Their natural key (role name, indicator) is unique per tenant, so
 * one read finds every candidate (a complete search), and a lost create is found by it at once:
 * Logto refuses a second create with the same key, whenever the first commits. Whose an object is
 * comes from the seal marked in its text (marker.ts) and the object of the cluster holding that
 * seal (holders.ts).
 */
import type { OwnershipMarker } from '../logto-application/ownership-marker.js';
import {
  identify,
  identifyForDeletion,
  relation,
  type Claim,
  type Findings,
  type Found,
} from '../logto-application/identity.js';
import { EXTERNAL_NAME_ANNOTATION, recordedClaim } from '../logto-application/external-name.js';
import type { DeclaredObject } from './external.js';
import type { Holder, SealHolders } from './holders.js';
import { sealOf } from './marker.js';

/** A Logto object as the decision sees it: its id and the token its text is marked with. */
export interface Candidate {
  id: string;
  token?: string;
}

export type DeclaredIdentity =
  | { decision: 'use'; id: string; record: boolean }
  /** An unmarked object with this key that the connection's policy lets this object take over. */
  | { decision: 'adopt'; id: string }
  | { decision: 'create'; replacing?: string }
  | { decision: 'refuse'; reason: 'DeclarationConflict' | 'AdoptionRefused'; message: string };

export interface Describe {
  /** How messages name the Logto object: `role "billing-admin"`, `API resource https://…`. */
  byKey: string;
  /** The kind in messages: `LogtoRole`. */
  kind: string;
  /** The noun: `role`, `API resource`. */
  noun: string;
}

/** What the object says about its Logto object; its markers carry the seal, not the bare token. */
export function claimOfDeclared(resource: DeclaredObject, idField: string, cluster: string): Claim {
  const { metadata } = resource;
  const recorded =
    ((resource.status as Record<string, unknown> | undefined)?.[idField] as string) || undefined;
  const { token, ...claim } = recordedClaim(metadata, recorded, cluster);
  return { ...claim, ...(token ? { token: sealOf(metadata.namespace, metadata.name, token) } : {}) };
}

/**
 * The marker a token stands for: the object of the cluster holding it (this one, should the index not
 * have seen its annotation yet); a token nobody here holds is another's (a deleted object's whose
 * finalizer was skipped, another cluster's).
 */
function markerOf(
  token: string | undefined,
  holders: SealHolders,
  claim: Claim,
): OwnershipMarker | undefined {
  if (!token) return undefined;
  const self: Holder | undefined =
    token === claim.token ? { uid: claim.uid, namespace: claim.namespace, name: claim.name } : undefined;
  const holder = holders.holder(token) ?? self;
  const cluster = claim.cluster ? { cluster: claim.cluster } : {};
  return holder ? { ...holder, ...cluster, token } : { uid: '', namespace: '', name: '', token };
}

function found(candidate: Candidate, holders: SealHolders, claim: Claim): Found {
  const marker = markerOf(candidate.token, holders, claim);
  return { id: candidate.id, ...(marker ? { marker } : {}) };
}

function findings(
  claim: Claim,
  holders: SealHolders,
  named: Candidate | 'gone' | undefined,
  byKey: Candidate | undefined,
): Findings {
  return {
    ...(named ? { named: named === 'gone' ? 'gone' : found(named, holders, claim) } : {}),
    searched: { complete: true, found: byKey ? [found(byKey, holders, claim)] : [] },
  };
}

/**
 * The decision of a pass. `named` is the object at the id the resource records (status, else
 * logto.io/external-name), `byKey` the one with its natural key; `mayAdopt` whether the connection's
 * policy lets this object take over an unmarked one with that key.
 */
export function identifyDeclared(
  claim: Claim,
  holders: SealHolders,
  named: Candidate | 'gone' | undefined,
  byKey: Candidate | undefined,
  mayAdopt: boolean,
  describe: Describe,
): DeclaredIdentity {
  // No commit window: the key is unique, so a search at once cannot make a duplicate.
  const identity = identify(claim, findings(claim, holders, named, byKey), { now: 0, commitWindowMs: 0 });
  switch (identity.decision) {
    case 'use':
      return { decision: 'use', id: identity.id, record: identity.record };
    case 'take-back':
      // Only a restore gets here (these kinds adopt by key, below): the token is this object's.
      return { decision: 'use', id: identity.id, record: true };
    case 'refuse':
      // A take-over recorded (its id in the annotation) but not yet marked: it goes on.
      if (mayAdopt && byKey && named !== 'gone' && named?.id === byKey.id && !byKey.token) {
        return { decision: 'adopt', id: byKey.id };
      }
      return {
        decision: 'refuse',
        reason: 'AdoptionRefused',
        message:
          `annotation ${EXTERNAL_NAME_ANNOTATION} names a Logto ${describe.noun} that this ${describe.kind} ` +
          'did not create; remove the annotation',
      };
    case 'create':
    case 'search':
    case 'none':
      break;
  }
  const replacing = identity.decision === 'create' ? identity.replacing : undefined;
  if (!byKey) return { decision: 'create', ...(replacing ? { replacing } : {}) };
  const holder = found(byKey, holders, claim).marker;
  if (!holder && mayAdopt) return { decision: 'adopt', id: byKey.id };
  return {
    decision: 'refuse',
    reason: 'DeclarationConflict',
    message: holder
      ? `the tenant already has ${describe.byKey}, declared by another ${describe.kind}; two declarations ` +
        `cannot share one ${describe.noun}`
      : `the tenant already has ${describe.byKey}, made outside this cluster; the connection's policy does ` +
        `not let a ${describe.kind} take it over`,
  };
}

/** The object a deletion deletes or orphans: only one this object created, found or took over. */
export function identifyDeclaredForDeletion(
  claim: Claim,
  holders: SealHolders,
  named: Candidate | 'gone' | undefined,
  byKey: Candidate | undefined,
): string | undefined {
  const identity = identifyForDeletion(claim, findings(claim, holders, named, byKey), {
    now: 0,
    commitWindowMs: 0,
  });
  if (identity.decision === 'use') return identity.id;
  // A create that committed after its answer was lost, never recorded: found by its key and token.
  if (byKey && relation(found(byKey, holders, claim).marker, claim) === 'ours') return byKey.id;
  return undefined;
}
