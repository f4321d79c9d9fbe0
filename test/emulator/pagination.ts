import { maxPageSize, totalNumberHeader } from '../../src/api/schemas.js';
import { ApiError } from './errors.js';

export interface Page<T> {
  items: T[];
  headers: Record<string, string>;
}

export interface PageOptions {
  /** Whether a request with neither `page` nor `page_size` gets the whole list (no headers). */
  optional: boolean;
  /**
   * The list's absolute URL for the `Link` header. Logto builds it from the path its API router
   * sees, which lacks the `/api` prefix (BEHAVIOUR-resources-roles.md, fact 6): see `pageLink`.
   */
  link?: string;
}

const invalidPagination = () =>
  new ApiError(400, 'guard.invalid_pagination', 'The request pagination value is invalid.');

const parsePositiveInteger = (raw: string | null, fallback: number, max?: number) => {
  if (raw === null) return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(value) || value < 1 || (max !== undefined && value > max)) throw invalidPagination();
  return value;
};

/** The URL of a list as Logto's `Link` header names it: `<endpoint><path without /api>`. */
export const pageLink = (endpoint: string, apiPath: string): string =>
  `${endpoint}${apiPath.replace(/^\/api(?=\/|$)/, '')}`;

/** `<url?…&page=n>; rel="first"`, … : the request's own query with `page` set. */
const linkHeader = (base: string, query: URLSearchParams, page: number, lastPage: number): string => {
  const at = (target: number) => {
    const params = new URLSearchParams(query);
    params.set('page', String(target));
    return `<${base}?${params.toString()}>`;
  };
  const links: Array<[string, number]> = [
    ['first', 1],
    ...(page > 1 ? [['prev', page - 1] as [string, number]] : []),
    ...(page < lastPage ? [['next', page + 1] as [string, number]] : []),
    ['last', lastPage],
  ];
  return links.map(([rel, target]) => `${at(target)}; rel="${rel}"`).join(', ');
};

/**
 * Logto's pagination: `page` (from 1, default 1) and `page_size` (1–100, default 20), with the total
 * in a `Total-Number` header (and, given `link`, a `Link` header). Where it is optional, a request
 * with neither gets the whole list and no header.
 */
export const paginate = <T>(rows: T[], query: URLSearchParams, { optional, link }: PageOptions): Page<T> => {
  const [rawPage, rawSize] = [query.get('page'), query.get('page_size')];
  if (optional && rawPage === null && rawSize === null) return { items: rows, headers: {} };
  const page = parsePositiveInteger(rawPage, 1);
  const pageSize = parsePositiveInteger(rawSize, 20, maxPageSize);
  const start = (page - 1) * pageSize;
  // One page at least, even for an empty list.
  const lastPage = Math.max(Math.ceil(rows.length / pageSize), 1);
  return {
    items: rows.slice(start, start + pageSize),
    headers: {
      [totalNumberHeader]: String(rows.length),
      ...(link === undefined ? {} : { Link: linkHeader(link, query, page, lastPage) }),
    },
  };
};
