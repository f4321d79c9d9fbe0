import { describe, expect, it } from 'vitest';
import { SharedApplicationList } from '../../../src/api/application-list.js';
import type { Application } from '../../../src/api/schemas.js';

const app = (id: string, name = id) => ({ id, name }) as unknown as Application;

/** A tenant of `count` applications, newest first, read page by page; counts page reads. */
function tenant(count: number) {
  const apps = Array.from({ length: count }, (_, i) => app(`a${i}`));
  const reads: number[] = [];
  let beforePage: ((page: number) => void) | undefined;
  const clock = { now: 0 };
  const list = (maxAgeMs = 60_000, indexKeys?: (application: Application) => string[]) =>
    new SharedApplicationList({
      maxAgeMs,
      ...(indexKeys ? { indexKeys } : {}),
      pageSize: 10,
      now: () => clock.now,
      readPage: async (page, pageSize) => {
        beforePage?.(page);
        reads.push(page);
        return { items: apps.slice((page - 1) * pageSize, page * pageSize), total: apps.length };
      },
    });
  return { apps, reads, clock, list, onPage: (f: (page: number) => void) => (beforePage = f) };
}

describe('SharedApplicationList', () => {
  it('answers every lookup of a period from one paged list, following every page', async () => {
    const t = tenant(35);
    const list = t.list();
    const found = await Promise.all(t.apps.map((a) => list.lookup(a.id)));
    expect(found.map((a) => a?.id)).toEqual(t.apps.map((a) => a.id));
    expect(t.reads).toEqual([1, 2, 3, 4]);
    expect(await list.lookup('unknown')).toBeUndefined();
    expect(t.reads).toHaveLength(4);
  });

  it('reads the list again once it is older than maxAgeMs', async () => {
    const t = tenant(5);
    const list = t.list(1_000);
    await list.lookup('a1');
    t.clock.now = 999;
    await list.lookup('a2');
    expect(t.reads).toEqual([1]);
    t.clock.now = 1_000;
    t.apps[2] = app('a2', 'renamed');
    expect((await list.lookup('a2'))?.name).toBe('renamed');
    expect(t.reads).toEqual([1, 1]);
  });

  it('distrusts the listed copy of an application the operator wrote after its page was read', async () => {
    const t = tenant(5);
    const list = t.list();
    await list.lookup('a1');
    list.invalidate('a1');
    expect(await list.lookup('a1')).toBeUndefined();
    expect((await list.lookup('a2'))?.id).toBe('a2');
  });

  it('trusts a copy read after the write, and distrusts one whose page was read before it', async () => {
    const t = tenant(25);
    const list = t.list(1_000);
    // During the next read: a1 (page 1) is written after its page, a20 (page 3) before its page.
    t.onPage((page) => {
      if (page === 2) {
        list.invalidate('a1');
        list.invalidate('a20');
      }
    });
    await list.lookup('a0');
    expect(await list.lookup('a1')).toBeUndefined();
    expect((await list.lookup('a20'))?.id).toBe('a20');
    // The next list, read after both writes, trusts both.
    t.onPage(() => {});
    t.clock.now = 5_000;
    expect((await list.lookup('a1'))?.id).toBe('a1');
  });

  it('finds applications by index key in a list read late enough, without another read', async () => {
    const t = tenant(12);
    const list = t.list(60_000, (application) => [`n:${Number(application.id.slice(1)) % 3}`]);
    await list.lookup('a0');
    const found = await list.indexedReadAfter(0, ['n:1', 'n:2', 'n:9']);
    expect(found!.map((a) => a.id).sort()).toEqual(
      t.apps
        .filter((_, i) => i % 3 !== 0)
        .map((a) => a.id)
        .sort(),
    );
    // A list read before `since` does not count; nor is another read begun for it while it is young.
    expect(await list.indexedReadAfter(t.clock.now + 1, ['n:1'])).toBeUndefined();
    expect(t.reads).toEqual([1, 2]);
  });

  it('hands out copies: a caller changing one does not change the list', async () => {
    const t = tenant(2);
    const list = t.list();
    const copy = (await list.lookup('a0'))!;
    copy.name = 'changed';
    expect((await list.lookup('a0'))!.name).not.toBe('changed');
  });

  it('lets a failed read fail its lookups and tries again on the next one', async () => {
    const t = tenant(3);
    const list = t.list();
    let fail = true;
    t.onPage(() => {
      if (fail) throw new Error('Logto down');
    });
    await expect(list.lookup('a0')).rejects.toThrow('Logto down');
    fail = false;
    expect((await list.lookup('a0'))?.id).toBe('a0');
  });
});
