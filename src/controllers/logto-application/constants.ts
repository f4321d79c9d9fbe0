/** The one field manager under which the operator server-side applies everything it owns. */
export const FIELD_MANAGER = 'logto-operator';

/** Holds a LogtoApplication until its Logto application is deleted (or orphaned). */
export const FINALIZER = 'logto.io/finalizer';
