// Logto's list search parameters: `search` / `search.<field>` values, `mode` / `mode.<field>` in
// like (default; SQL LIKE, `%` and `_` wildcards) | exact | similar_to | posix, `joint` = or
// (default) | and, and `isCaseSensitive` (default false).
import { ApiError, internalError } from './errors.js';

type MatchMode = 'like' | 'exact' | 'similar_to' | 'posix';
const matchModes: readonly MatchMode[] = ['like', 'exact', 'similar_to', 'posix'];

interface SearchItem {
  /** undefined: any searchable field. */
  field: string | undefined;
  mode: MatchMode;
  values: string[];
}

export interface Search {
  items: SearchItem[];
  joint: 'or' | 'and';
  isCaseSensitive: boolean;
}

const invalidSearch = (message: string) => new ApiError(400, 'request.invalid_input', message);

// An unknown `search.<field>` or `mode.<field>` reaches the database and crashes the query: the
// server answers 500 without a code (BEHAVIOUR.md, "Errors"). So does a match mode it does not know.
const fieldOf = (key: string, fields: readonly string[]): string | undefined => {
  const field = key.includes('.') ? key.slice(key.indexOf('.') + 1) : undefined;
  if (field !== undefined && !fields.includes(field)) throw internalError();
  return field;
};

/** Parses the search parameters of a list request; throws a 400 or 500 for invalid ones. */
export const parseSearch = (query: URLSearchParams, fields: readonly string[]): Search => {
  const modes = new Map<string | undefined, MatchMode>();
  const values = new Map<string | undefined, string[]>();
  const joint = query.get('joint') ?? query.get('jointMode') ?? 'or';
  if (joint !== 'or' && joint !== 'and') throw invalidSearch(`Search joint mode \`${joint}\` is not valid.`);
  for (const [key, value] of query.entries()) {
    if (key === 'mode' || key.startsWith('mode.')) {
      const field = fieldOf(key, fields);
      if (!matchModes.includes(value as MatchMode)) throw internalError();
      modes.set(field, value as MatchMode);
    } else if (key === 'search' || key.startsWith('search.')) {
      const field = fieldOf(key, fields);
      values.set(field, [...(values.get(field) ?? []), value]);
    }
  }
  const items = [...values].map(([field, fieldValues]): SearchItem => {
    const mode = modes.get(field) ?? modes.get(undefined) ?? 'like';
    if (fieldValues.some((value) => value === '')) throw invalidSearch('Search value cannot be empty.');
    // Two values for a non-exact field crash the query too (500, BEHAVIOUR.md "Errors").
    if (mode !== 'exact' && fieldValues.length > 1) throw internalError();
    return { field, mode, values: fieldValues };
  });
  return { items, joint, isCaseSensitive: query.get('isCaseSensitive') === 'true' };
};

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// SQL LIKE: `%` any run, `_` one character, `\` escapes.
const likeToRegExp = (pattern: string, flags: string) => {
  let source = '';
  for (let index = 0; index < pattern.length; index += 1) {
    const char = pattern[index] ?? '';
    if (char === '\\' && index + 1 < pattern.length) source += escapeRegExp(pattern[(index += 1)] ?? '');
    else if (char === '%') source += '.*';
    else if (char === '_') source += '.';
    else source += escapeRegExp(char);
  }
  return new RegExp(`^${source}$`, `s${flags}`);
};

// SIMILAR TO: LIKE wildcards plus regex alternation/grouping/quantifiers.
const similarToRegExp = (pattern: string) =>
  new RegExp(`^${pattern.replace(/%/g, '.*').replace(/_/g, '.')}$`, 's');

const matches = (item: SearchItem, candidate: string, isCaseSensitive: boolean): boolean =>
  item.values.some((value) => {
    switch (item.mode) {
      case 'exact':
        return isCaseSensitive ? candidate === value : candidate.toLowerCase() === value.toLowerCase();
      case 'like':
        return likeToRegExp(value, isCaseSensitive ? '' : 'i').test(candidate);
      case 'similar_to':
        if (!isCaseSensitive) throw invalidSearch('Cannot use case-insensitive match for `similar to`.');
        return similarToRegExp(value).test(candidate);
      case 'posix':
        try {
          return new RegExp(value, isCaseSensitive ? '' : 'i').test(candidate);
        } catch {
          throw invalidSearch(`Invalid regular expression \`${value}\`.`);
        }
    }
  });

/** Keeps the rows that match; `fieldsOf` gives each row's searchable field values. */
export const applySearch = <T>(
  rows: T[],
  search: Search,
  fieldsOf: (row: T) => Record<string, string | null>,
): T[] => {
  if (search.items.length === 0) return rows;
  return rows.filter((row) => {
    const fields = fieldsOf(row);
    const results = search.items.map((item) => {
      const candidates = item.field === undefined ? Object.values(fields) : [fields[item.field] ?? null];
      return candidates.some(
        (candidate) => candidate !== null && matches(item, candidate, search.isCaseSensitive),
      );
    });
    return search.joint === 'and' ? results.every(Boolean) : results.some(Boolean);
  });
};
