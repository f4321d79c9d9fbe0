import { describe, expect, it } from 'vitest';
import { listAll, type Page } from '../../../src/api/client.js';
import { LogtoApiError } from '../../../src/api/errors.js';

/** A paged list of `count` numbers as Logto serves it, recording the pages asked for. */
function pagedList(count: number, options: { total?: (page: number) => number; bare?: boolean } = {}) {
  const asked: Array<[number, number]> = [];
  const readPage = (page: number, pageSize: number): Promise<Page<number> | number[]> => {
    asked.push([page, pageSize]);
    const items = Array.from({ length: count }, (_, i) => i).slice((page - 1) * pageSize, page * pageSize);
    return Promise.resolve(options.bare ? items : { items, total: options.total?.(page) ?? count });
  };
  return { readPage, asked };
}

describe('listAll', () => {
  it('follows the pages to a short page, with the page size asked for', async () => {
    const { readPage, asked } = pagedList(45);
    expect(await listAll('list_things', readPage, { pageSize: 20 })).toEqual(
      Array.from({ length: 45 }, (_, i) => i),
    );
    expect(asked).toEqual([
      [1, 20],
      [2, 20],
      [3, 20],
    ]);
  });

  it('stops at the total without asking for an empty page, and pages lists that carry no total', async () => {
    const full = pagedList(40);
    expect(await listAll('list_things', full.readPage, { pageSize: 20 })).toHaveLength(40);
    expect(full.asked).toHaveLength(2);
    const bare = pagedList(40, { bare: true });
    expect(await listAll('list_things', bare.readPage, { pageSize: 20 })).toHaveLength(40);
    expect(bare.asked).toHaveLength(3);
  });

  it('fails, naming the limit, on a list that does not end within the page limit', async () => {
    // A server whose total keeps growing.
    const { readPage, asked } = pagedList(1_000_000, { total: (page) => (page + 1) * 100 });
    const error = await listAll('list_things', readPage, { pageSize: 100, maxPages: 5 }).catch((e) => e);
    expect(error).toBeInstanceOf(LogtoApiError);
    expect(error).toMatchObject({ operation: 'list_things', code: 'operator.unexpected_response' });
    expect((error as Error).message).toContain('did not end within 5 pages of 100');
    expect(asked).toHaveLength(5);
  });
});
