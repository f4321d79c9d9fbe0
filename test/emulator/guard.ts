// Logto's request guard (koa-guard over Zod): a body or query that does not match answers
// 400 `guard.invalid_input` with the ZodError as `data` and the issues in a `details` string
// (BEHAVIOUR.md, "Errors"). The emulator validates with the TypeBox schemas of src/api and
// translates TypeBox's errors into the Zod issues the server would answer.
import { Kind, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';

import { ApiError } from './errors.js';

interface IssueBody {
  code: string;
  message: string;
  [detail: string]: unknown;
}

export interface ZodIssue extends IssueBody {
  path: Array<string | number>;
}

/** Zod's name for the type of a value (`getParsedType`). */
const zodType = (value: unknown): string => {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isNaN(value) ? 'nan' : 'number';
  return typeof value;
};

/** The enum values of a union of literals, or undefined for other unions. */
const enumOptions = (schema: TSchema): unknown[] | undefined => {
  const members = schema.anyOf as TSchema[] | undefined;
  if (!members?.every((member) => member[Kind] === 'Literal')) return undefined;
  return members.map((member) => member.const as unknown);
};

const expectedType = (schema: TSchema): string => {
  const kind = schema[Kind] as string | undefined;
  const options = kind === 'Union' ? enumOptions(schema) : undefined;
  if (options) return options.map((option) => `'${String(option)}'`).join(' | ');
  if (kind === 'Union') {
    const members = (schema.anyOf as TSchema[]).filter((member) => member[Kind] !== 'Null');
    return members.length === 1 && members[0] ? expectedType(members[0]) : 'union';
  }
  if (kind === 'Record') return 'object';
  return (kind ?? 'unknown').toLowerCase();
};

const toPath = (pointer: string): Array<string | number> =>
  pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));

const sizeIssue = (
  code: 'too_small' | 'too_big',
  type: 'string' | 'array' | 'number',
  bound: number,
): IssueBody => {
  const text = {
    string: code === 'too_small' ? `at least ${bound} character(s)` : `at most ${bound} character(s)`,
    array: code === 'too_small' ? `at least ${bound} element(s)` : `at most ${bound} element(s)`,
    number: code === 'too_small' ? `greater than or equal to ${bound}` : `less than or equal to ${bound}`,
  }[type];
  return {
    code,
    [code === 'too_small' ? 'minimum' : 'maximum']: bound,
    type,
    inclusive: true,
    exact: false,
    message:
      type === 'number'
        ? `Number must be ${text}`
        : `${type === 'string' ? 'String' : 'Array'} must contain ${text}`,
  };
};

const invalidType = (expected: string, value: unknown): IssueBody => {
  const received = zodType(value);
  return {
    code: 'invalid_type',
    expected,
    received,
    message: received === 'undefined' ? 'Required' : `Expected ${expected}, received ${received}`,
  };
};

const toIssue = (error: ValueError): IssueBody => {
  const { schema, value } = error;
  switch (error.type) {
    case ValueErrorType.StringMinLength:
      return sizeIssue('too_small', 'string', schema.minLength as number);
    case ValueErrorType.StringMaxLength:
      return sizeIssue('too_big', 'string', schema.maxLength as number);
    case ValueErrorType.ArrayMinItems:
      return sizeIssue('too_small', 'array', schema.minItems as number);
    case ValueErrorType.ArrayMaxItems:
      return sizeIssue('too_big', 'array', schema.maxItems as number);
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
      return sizeIssue('too_small', 'number', schema.minimum as number);
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
      return sizeIssue('too_big', 'number', schema.maximum as number);
    case ValueErrorType.StringFormat:
      return { code: 'invalid_string', validation: schema.format, message: `Invalid ${schema.format}` };
    case ValueErrorType.StringPattern:
      return { code: 'invalid_string', validation: 'regex', message: 'Invalid' };
    case ValueErrorType.Union: {
      const options = enumOptions(schema);
      if (options && typeof value === 'string') {
        const expected = expectedType(schema);
        return {
          code: 'invalid_enum_value',
          received: value,
          options,
          message: `Invalid enum value. Expected ${expected}, received '${value}'`,
        };
      }
      const expected = expectedType(schema);
      if (expected !== 'union' || value === undefined) return invalidType(expected, value);
      // Zod lists each member's own failure as a ZodError.
      const unionErrors = error.errors.map((member) => ({ issues: issuesOf(member), name: 'ZodError' }));
      return { code: 'invalid_union', unionErrors, message: 'Invalid input' };
    }
    case ValueErrorType.Literal:
      return {
        code: 'invalid_literal',
        expected: schema.const as unknown,
        received: value,
        message: `Invalid literal value, expected ${JSON.stringify(schema.const)}`,
      };
    case ValueErrorType.Integer:
      return typeof value === 'number'
        ? {
            code: 'invalid_type',
            expected: 'integer',
            received: 'float',
            message: 'Expected integer, received float',
          }
        : invalidType('number', value);
    default:
      return invalidType(expectedType(schema), value);
  }
};

/** The Zod issues of TypeBox's errors: one per offending path, like Zod. */
const issuesOf = (errors: Iterable<ValueError>): ZodIssue[] => {
  const byPath = new Map<string, ZodIssue>();
  for (const error of errors) {
    // A missing property also fails its own schema: the first error of a path is the one Zod gives.
    if (byPath.has(error.path)) continue;
    byPath.set(error.path, { ...toIssue(error), path: toPath(error.path) });
  }
  return [...byPath.values()];
};

/** Where a path comes in the schema's own property order (Zod checks properties in that order). */
const rankOf = (schema: TSchema, path: ReadonlyArray<string | number>): number[] => {
  const rank: number[] = [];
  let current: TSchema | undefined = schema;
  for (const segment of path) {
    if (typeof segment === 'number') {
      rank.push(segment);
      current = current?.items as TSchema | undefined;
      continue;
    }
    const properties = (current?.properties ?? {}) as Record<string, TSchema>;
    const keys = Object.keys(properties);
    rank.push(keys.includes(segment) ? keys.indexOf(segment) : keys.length);
    current = properties[segment];
  }
  return rank;
};

const compareRanks = (a: number[], b: number[]): number => {
  for (let index = 0; index < Math.min(a.length, b.length); index += 1) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
};

/** The Zod issues the server would list for `value`, in Zod's order. */
export const zodIssues = (schema: TSchema, value: unknown): ZodIssue[] =>
  issuesOf(Value.Errors(schema, value)).sort((a, b) =>
    compareRanks(rankOf(schema, a.path), rankOf(schema, b.path)),
  );

/** Logto's `formatZodError`: one line per issue. */
const details = (issues: readonly ZodIssue[]): string =>
  issues
    .map((issue) => {
      const base = `Error in key path "${issue.path.map(String).join('.')}": (${issue.code}) `;
      return issue.code === 'invalid_type'
        ? `${base}Expected ${String(issue.expected)} but received ${String(issue.received)}.`
        : base + issue.message;
    })
    .join('\n');

/** What the guard checks; the message names it ("The request params is invalid."). */
type GuardedPart = 'body' | 'query' | 'params';

export const guardError = (type: GuardedPart, issues: ZodIssue[]): ApiError =>
  new ApiError(
    400,
    'guard.invalid_input',
    `The request ${type} is invalid.`,
    { issues, name: 'ZodError' },
    details(issues),
  );

/** Throws the server's guard error when `value` does not match `schema`. */
export const guard = (type: GuardedPart, schema: TSchema, value: unknown): void => {
  if (Value.Check(schema, value)) return;
  throw guardError(type, zodIssues(schema, value));
};
