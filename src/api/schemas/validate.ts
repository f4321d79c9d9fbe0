import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';

export interface SchemaIssue {
  /** JSON pointer of the offending value (`''` for the root). */
  readonly path: string;
  readonly message: string;
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
