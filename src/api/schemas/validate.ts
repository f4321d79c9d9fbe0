import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
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

/**
 * Checkers compiled once per schema object (TypeBox's `Value.Check` walks the schema on every call,
 * which showed up as several percent of CPU when every page of applications was validated).
 */
const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

/** The compiled checker of `schema`, compiled on first use. */
export function compiledValidator<T extends TSchema>(schema: T): TypeCheck<T> {
  let check = compiled.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    compiled.set(schema, check);
  }
  return check as TypeCheck<T>;
}

export const isValid = <T extends TSchema>(schema: T, value: unknown): value is Static<T> =>
  compiledValidator(schema).Check(value);

/** The first `limit` reasons why `value` does not match `schema` (empty when it does). */
export const schemaIssues = (schema: TSchema, value: unknown, limit = 10): SchemaIssue[] => {
  const check = compiledValidator(schema);
  if (check.Check(value)) return [];
  const issues: SchemaIssue[] = [];
  for (const { path, message } of check.Errors(value)) {
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
  if (!isValid(schema, value)) throw new SchemaValidationError(schemaIssues(schema, value));
  return (dropUnknown ? Value.Clean(schema, Value.Clone(value)) : value) as Static<T>;
};
