/** The one field manager under which the operator server-side applies everything it owns. */
export const FIELD_MANAGER = 'logto-operator';
