import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export interface SchemaIssue {
  /** JSON pointer of the offending value (`''` for the root). */
  readonly path: string;
  readonly message: string;
}

export class SchemaValidationError extends Error {
  constructor(readonly issues: readonly SchemaIssue[]) {
    super(`Invalid value: ${issues.map(({ path, message }) => `${path || '/'} ${message}`).join('; ')}`);
    this.name = 'SchemaValidationError';
  }
}

export const isValid = <T extends TSchema>(schema: T, value: unknown): value is Static<T> =>
  Value.Check(schema, value);

/** The first `limit` reasons why `value` does not match `schema` (empty when it does). */
export const schemaIssues = (schema: TSchema, value: unknown, limit = 10): SchemaIssue[] => {
  const issues: SchemaIssue[] = [];
  for (const { path, message } of Value.Errors(schema, value)) {
    if (issues.length >= limit) break;
    issues.push({ path, message });
  }
  return issues;
};

/**
 * Checks `value` against `schema` and returns it typed. With `dropUnknown`, properties the schema
 * does not declare are removed from a copy first, the way the server drops unknown request fields.
 */
export const parseAs = <T extends TSchema>(
  schema: T,
  value: unknown,
  { dropUnknown = false }: { dropUnknown?: boolean } = {},
): Static<T> => {
  if (!Value.Check(schema, value)) throw new SchemaValidationError(schemaIssues(schema, value));
  return (dropUnknown ? Value.Clean(schema, Value.Clone(value)) : value) as Static<T>;
};
