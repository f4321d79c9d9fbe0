/**
 * What the operator must remember of a resource's Logto application, kept in the resource's own
 * annotations (as Crossplane's managed resources do) rather than only in status, which a backup
 * restore, a re-apply or a lost status write does not bring back:
 *
 * - `logto.io/external-name`: the Logto application id, where a pass had to find the application (an
 *   adoption, or a search after a lost create or a lost status) rather than create it;
 * - `logto.io/connection`: the connection a resource without `spec.connectionRef` was first
 *   reconciled through, so that a later default connection does not move it to another tenant;
 * - `logto.io/external-create-pending`: written with the finalizer before a create is sent. The pass
 *   that created the application records its id in status (with the Secret it publishes); that
 *   confirms the create, so the annotation stays, and a later pass, or a restart, learns the id from
 *   status. Only while no application id is in status (the pass died, or status was lost) may the
 *   create have reached Logto without the operator learning its id: only then (or when the recorded
 *   application is gone) does a pass look for it, first through the id published in its Secret, then
 *   by its ownership marker (a list of the tenant's applications). `-failed` replaces it when Logto
 *   refused the create for sure; `-succeeded` is what earlier versions wrote once a create answered.
 *
 * So a plain create costs one metadata write (finalizer and create-pending together) besides the
 * Secret and the status it needs anyway, and one Logto call.
 */
import type { LogtoApplication } from '../../crd/logto-application.js';
import { FINALIZER } from './constants.js';
import type { Claim } from './identity.js';
import { CREATE_TOKEN_ANNOTATION } from './ownership-marker.js';

export const EXTERNAL_NAME_ANNOTATION = 'logto.io/external-name';
export const CREATE_PENDING_ANNOTATION = 'logto.io/external-create-pending';
export const CREATE_SUCCEEDED_ANNOTATION = 'logto.io/external-create-succeeded';
export const CREATE_FAILED_ANNOTATION = 'logto.io/external-create-failed';
/** The connection a resource without spec.connectionRef was first reconciled through (see src/connections). */
export const CONNECTION_ANNOTATION = 'logto.io/connection';
export { CREATE_TOKEN_ANNOTATION };

/** The annotations the operator owns on a LogtoApplication (applied together, see ownAnnotations). */
const OWN_ANNOTATIONS = [
  EXTERNAL_NAME_ANNOTATION,
  CREATE_PENDING_ANNOTATION,
  CREATE_SUCCEEDED_ANNOTATION,
  CREATE_FAILED_ANNOTATION,
  CREATE_TOKEN_ANNOTATION,
  CONNECTION_ANNOTATION,
] as const;

type Annotated = { metadata: { annotations?: Record<string, string> } };

export function isOwnAnnotation(key: string): boolean {
  return (OWN_ANNOTATIONS as readonly string[]).includes(key);
}

/**
 * What any resource managed through an external name says about its Logto object, for the one
 * decision of identity.ts: the id it recorded (status), its annotations and this cluster's name.
 * The kinds add what only they have (claimOf below, declared/identity.ts).
 */
export function recordedClaim(
  metadata: {
    uid?: string;
    namespace: string;
    name: string;
    annotations?: Record<string, string>;
  },
  recorded: string | undefined,
  cluster: string,
): Claim {
  const annotations = metadata.annotations ?? {};
  const sentAt = annotations[CREATE_PENDING_ANNOTATION];
  const externalName = annotations[EXTERNAL_NAME_ANNOTATION] || undefined;
  return {
    uid: metadata.uid ?? '',
    namespace: metadata.namespace,
    name: metadata.name,
    cluster,
    ...(recorded ? { recorded } : {}),
    ...(externalName ? { externalName } : {}),
    // An unreadable time still says a create was sent: searched for at once.
    ...(sentAt ? { createSentAt: Number.isNaN(Date.parse(sentAt)) ? 0 : Date.parse(sentAt) } : {}),
    ...(annotations[CREATE_TOKEN_ANNOTATION] ? { token: annotations[CREATE_TOKEN_ANNOTATION] } : {}),
  };
}

/** What a LogtoApplication says about its application: recordedClaim, its adoption, a legacy record. */
export function claimOf(resource: LogtoApplication, cluster: string): Claim {
  const annotations = resource.metadata.annotations ?? {};
  const created = [CREATE_PENDING_ANNOTATION, CREATE_SUCCEEDED_ANNOTATION, CREATE_FAILED_ANNOTATION].some(
    (key) => Boolean(annotations[key]),
  );
  const claim = recordedClaim(resource.metadata, resource.status?.applicationId || undefined, cluster);
  return {
    ...claim,
    ...(resource.spec.adoptApplicationId ? { adopt: resource.spec.adoptApplicationId } : {}),
    // Earlier versions kept the id in status only: the finalizer with no record of anything is one.
    ...(resource.metadata.finalizers?.includes(FINALIZER) &&
    !claim.recorded &&
    !claim.externalName &&
    !created
      ? { legacyUnrecorded: true }
      : {}),
  };
}

/**
 * The operator's annotations after `changes` (undefined removes one): the complete set, as a
 * server-side apply must carry it, since an owned field left out of an apply is removed.
 */
export function ownAnnotations(
  resource: Annotated,
  changes: Partial<Record<(typeof OWN_ANNOTATIONS)[number], string | undefined>> = {},
): Record<string, string> {
  const current = resource.metadata.annotations ?? {};
  const result: Record<string, string> = {};
  for (const key of OWN_ANNOTATIONS) {
    const value = key in changes ? changes[key] : current[key];
    if (value) result[key] = value;
  }
  return result;
}

/** RFC 3339, as Kubernetes writes times (informational: nothing compares them). */
export function annotationTime(now: Date): string {
  return now.toISOString().replace(/\.\d+Z$/, 'Z');
}
