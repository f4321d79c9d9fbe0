import type { LogtoError } from '../../src/api/schemas.js';

/** A Management API error: answered as `{code, message, data?}` with `status`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toBody(): LogtoError {
    return {
      code: this.code,
      message: this.message,
      ...(this.data === undefined ? {} : { data: this.data }),
    };
  }
}

export const invalidInput = (message: string, data?: unknown) =>
  new ApiError(400, 'guard.invalid_input', message, data);

export const entityNotFound = (entity: string, id: string) =>
  new ApiError(404, 'entity.not_exists_with_id', `The ${entity} with ID \`${id}\` does not exist.`, {
    name: entity,
    id,
  });

export const relationNotFound = (message: string) => new ApiError(404, 'entity.not_found', message);

/** Logto's answer to a database insert of zero rows (BEHAVIOUR.md, "Errors": empty inserts are refused). */
export const emptyInsert = () =>
  new ApiError(422, 'entity.invalid_input', 'Invalid input. Value list must not be empty.');
