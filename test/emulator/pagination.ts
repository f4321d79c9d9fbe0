import { maxPageSize, totalNumberHeader } from '../../src/api/schemas.js';
import { ApiError } from './errors.js';

export interface Page<T> {
  items: T[];
  headers: Record<string, string>;
}

const parsePositiveInteger = (raw: string | null, fallback: number, name: string, max?: number) => {
  if (raw === null) return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(value) || value < 1 || (max !== undefined && value > max)) {
    throw new ApiError(400, 'guard.invalid_pagination', `Invalid pagination value \`${name}=${raw}\`.`);
  }
  return value;
};

/**
 * Logto's pagination: `page` (from 1, default 1) and `page_size` (1–100, default 20), with the total
 * in a `Total-Number` header. Where it is optional, a request with neither gets the whole list and
 * no header.
 */
export const paginate = <T>(
  rows: T[],
  query: URLSearchParams,
  { optional }: { optional: boolean },
): Page<T> => {
  const [rawPage, rawSize] = [query.get('page'), query.get('page_size')];
  if (optional && rawPage === null && rawSize === null) return { items: rows, headers: {} };
  const page = parsePositiveInteger(rawPage, 1, 'page');
  const pageSize = parsePositiveInteger(rawSize, 20, 'page_size', maxPageSize);
  const start = (page - 1) * pageSize;
  return {
    items: rows.slice(start, start + pageSize),
    headers: { [totalNumberHeader]: String(rows.length) },
  };
};
