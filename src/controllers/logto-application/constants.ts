/** The one field manager under which the operator server-side applies everything it owns. */
export const FIELD_MANAGER = 'logto-operator';

/** Holds a LogtoApplication until its Logto application is deleted (or orphaned). */
export const FINALIZER = 'logto.io/finalizer';

/**
 * Changing this annotation (any value, e.g. a timestamp) makes the operator sync the resource at once,
 * against Logto itself (not a shared list of its applications).
 */
export const FORCE_SYNC_ANNOTATION = 'logto.io/force-sync';
