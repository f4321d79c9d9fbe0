/**
 * The finalizer and the operator's annotations on the resource (external name, create-pending and
 * its outcome), applied together: the records a crash must not lose, written before anything depends
 * on them.
 */
import { deepEqual } from '../../util/json.js';
import { FINALIZER } from './constants.js';
import { ownAnnotations } from './external-name.js';

export type AnnotationChanges = Parameters<typeof ownAnnotations>[1];

/** Any of the operator's kinds: only the metadata is written here. */
export interface AnnotatedResource {
  metadata: { annotations?: Record<string, string>; finalizers?: string[]; resourceVersion?: string };
}

/**
 * Applies the finalizer and the operator's annotations with `changes`, unless the resource already
 * carries exactly that; keeps the working copy in step.
 */
export async function recordMetadata<T extends AnnotatedResource>(
  kube: { applyMetadata(resource: T, annotations: Record<string, string>): Promise<string | undefined> },
  resource: T,
  changes: AnnotationChanges,
): Promise<void> {
  const annotations = ownAnnotations(resource, changes);
  const current = ownAnnotations(resource);
  const hasFinalizer = resource.metadata.finalizers?.includes(FINALIZER) ?? false;
  if (hasFinalizer && deepEqual(annotations, current)) return;
  const version = await kube.applyMetadata(resource, annotations);
  if (version) resource.metadata.resourceVersion = version;
  const others = Object.fromEntries(
    Object.entries(resource.metadata.annotations ?? {}).filter(([key]) => !(key in current)),
  );
  resource.metadata.annotations = { ...others, ...annotations };
  if (!hasFinalizer) resource.metadata.finalizers = [...(resource.metadata.finalizers ?? []), FINALIZER];
}
