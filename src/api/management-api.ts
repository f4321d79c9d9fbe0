// Logto's own Management API, as an API resource of every tenant: what the operator needs to know
// about it, and the guard that keeps it from creating a resource Logto would take for it.

/** The id of the Management API's resource (the same in every OSS tenant). */
export const MANAGEMENT_API_RESOURCE_ID = 'management-api';

/** The id of its one scope, `all`. */
export const MANAGEMENT_API_SCOPE_ID = 'management-api-all';

/** The OSS resource indicator of the Management API; Logto Cloud uses `https://<tenant>.logto.app/api`. */
export const defaultManagementApiIndicator = 'https://default.logto.app/api';

/** The built-in MachineToMachine role that holds the Management API scope `all`. */
export const managementApiAccessRoleName = 'Logto Management API access';

/**
 * The indicators Logto 1.42 takes for a Management API, as a JSON Schema / CEL pattern. Logto refuses
 * to change or delete any resource whose indicator matches (and to touch its scopes), so a resource
 * created with one could never be converged or removed again.
 */
export const RESERVED_MANAGEMENT_INDICATOR_PATTERN = '^https://[^.]+\\.logto\\.app/api$';

const reservedManagementIndicator = new RegExp(RESERVED_MANAGEMENT_INDICATOR_PATTERN);

/** Whether Logto would treat a resource with this indicator as its Management API (see above). */
export const isReservedManagementIndicator = (indicator: string): boolean =>
  reservedManagementIndicator.test(indicator);
