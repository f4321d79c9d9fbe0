/**
 * What the operator must remember of a resource's Logto application, kept in the resource's own
 * annotations (as Crossplane's managed resources do) rather than only in status, which a backup
 * restore, a re-apply or a lost status write does not bring back:
 *
 * - `logto.io/external-name`: the Logto application id, written as soon as a create answers;
 * - `logto.io/connection`: the connection a resource without `spec.connectionRef` was first
 *   reconciled through, so that a later default connection does not move it to another tenant;
 * - `logto.io/external-create-pending`: written before a create is sent, and replaced by
 *   `-succeeded` or `-failed` once it answered. A pending create may have reached Logto without the
 *   operator learning its id; only then (or when the recorded application is gone) does a pass look
 *   for the application by its ownership marker (a list of the tenant's applications). Every other
 *   create costs one Logto call.
 */
import type { LogtoApplication } from '../../crd/logto-application.js';

export const EXTERNAL_NAME_ANNOTATION = 'logto.io/external-name';
export const CREATE_PENDING_ANNOTATION = 'logto.io/external-create-pending';
export const CREATE_SUCCEEDED_ANNOTATION = 'logto.io/external-create-succeeded';
export const CREATE_FAILED_ANNOTATION = 'logto.io/external-create-failed';
/** The connection a resource without spec.connectionRef was first reconciled through (see src/connections). */
export const CONNECTION_ANNOTATION = 'logto.io/connection';

/** The annotations the operator owns on a LogtoApplication (applied together, see ownAnnotations). */
const OWN_ANNOTATIONS = [
  EXTERNAL_NAME_ANNOTATION,
  CREATE_PENDING_ANNOTATION,
  CREATE_SUCCEEDED_ANNOTATION,
  CREATE_FAILED_ANNOTATION,
  CONNECTION_ANNOTATION,
] as const;

type Annotated = Pick<LogtoApplication, 'metadata'>;

export function isOwnAnnotation(key: string): boolean {
  return (OWN_ANNOTATIONS as readonly string[]).includes(key);
}

/** The Logto application id recorded on the resource: the annotation, else (older versions) status. */
export function externalName(resource: LogtoApplication): string | undefined {
  return (
    resource.metadata.annotations?.[EXTERNAL_NAME_ANNOTATION] || resource.status?.applicationId || undefined
  );
}

/**
 * A create was sent and neither its success nor a definite failure was recorded: the application
 * may exist in Logto without its id being known. Confirming a create removes the pending annotation,
 * so no clock of one replica is compared with another's.
 */
export function createPendingUnconfirmed(resource: Annotated): boolean {
  return Boolean(resource.metadata.annotations?.[CREATE_PENDING_ANNOTATION]);
}

/** Whether any create was ever recorded on the resource (pending, succeeded or failed). */
export function createRecorded(resource: Annotated): boolean {
  const annotations = resource.metadata.annotations ?? {};
  return [CREATE_PENDING_ANNOTATION, CREATE_SUCCEEDED_ANNOTATION, CREATE_FAILED_ANNOTATION].some((key) =>
    Boolean(annotations[key]),
  );
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
