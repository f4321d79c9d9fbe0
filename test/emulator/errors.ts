import type { LogtoError } from '../../src/api/schemas.js';

/**
 * A Management API error: answered as `{code, message, data?, details?}` with `status`. Without a
 * `code` it is an answer that did not come from Logto's error codes (a body that is not JSON, a
 * crash): `{message}` only (BEHAVIOUR.md, "Errors").
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
    readonly data?: unknown,
    readonly details?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toBody(): LogtoError | { message: string } {
    if (this.code === undefined) return { message: this.message };
    return {
      code: this.code,
      message: this.message,
      ...(this.data === undefined ? {} : { data: this.data }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

export const invalidInput = (message: string, data?: unknown) =>
  new ApiError(400, 'guard.invalid_input', message, data);

/** Logto names the entity by its table (`applications`, `roles`, …); the answer has no `data`. */
export const entityNotFound = (table: string, id: string) =>
  new ApiError(404, 'entity.not_exists_with_id', `The ${table} with ID \`${id}\` does not exist.`);

export const relationNotFound = (message: string) => new ApiError(404, 'entity.not_found', message);

/**
 * `entity.not_found` of a delete that removed no row: Logto's generic wording, whatever the table
 * (BEHAVIOUR-resources-roles.md, facts 24, 34, 38).
 */
export const nothingDeleted = () => relationNotFound('The resource does not exist.');

/** `entity.not_exists`: an update or lookup that found no row, with the entity's singular name. */
export const entityNotExists = (entity: string) =>
  new ApiError(404, 'entity.not_exists', `The ${entity} does not exist.`);

/** Logto's answer to a database insert of zero rows (BEHAVIOUR.md, "Errors": empty inserts are refused). */
export const emptyInsert = () =>
  new ApiError(422, 'entity.invalid_input', 'Invalid input. Value list must not be empty.');

/** A database constraint the route does not check itself (BEHAVIOUR.md: PUT roles, secrets, access control). */
export const constraintViolated = () =>
  new ApiError(422, 'entity.db_constraint_violated', 'Database constraint violated.');

/** What the server answers when a query crashes it (BEHAVIOUR.md, "Errors": unsupported search forms). */
export const internalError = () => new ApiError(500, undefined, 'Internal server error.');
