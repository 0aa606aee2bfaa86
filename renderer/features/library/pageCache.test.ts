import { describe, expect, it } from 'vitest';
import { PageCache, type FetchPage, type PageResult } from './pageCache.js';

/** A fake server list of `total` numbers whose answers the test releases by hand. */
function fakeServer(total: number) {
  const requests: { offset: number; limit: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  let tag = '';
  const fetchPage = (offset: number, limit: number) =>
    new Promise<PageResult<string>>((resolve, reject) => {
      const at = tag;
      requests.push({
        offset,
        limit,
        resolve: () => {
          const items: string[] = [];
          for (let i = offset; i < Math.min(total, offset + limit); i++) items.push(`${at}${i}`);
          resolve({ total, items });
        },
        reject,
      });
    });
  return {
    fetchPage,
    requests,
    setTag: (t: string) => (tag = t),
    offsets: () => requests.map((r) => r.offset),
  };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('PageCache', () => {
  it('fetches only the pages covering the range, once each', async () => {
    const server = fakeServer(100_000);
    const cache = new PageCache(server.fetchPage, 200);
    cache.ensureRange(0, 30);
    cache.ensureRange(0, 30);
    expect(server.offsets()).toEqual([0]);
    server.requests[0].resolve();
    await flush();
    expect(cache.total).toBe(100_000);
    expect(cache.get(29)).toBe('29');
    expect(cache.get(200)).toBeUndefined();

    cache.ensureRange(50_150, 50_450);
    expect(server.offsets()).toEqual([0, 50_000, 50_200, 50_400]);
    cache.ensureRange(50_150, 50_450);
    expect(server.requests).toHaveLength(4);
  });

  it('does not ask past the end of the list once the total is known', async () => {
    const server = fakeServer(450);
    const cache = new PageCache(server.fetchPage, 200);
    cache.ensureRange(0, 1);
    server.requests[0].resolve();
    await flush();
    cache.ensureRange(300, 10_000);
    expect(server.offsets()).toEqual([0, 200, 400]);
  });

  it('evicts the pages farthest from where the grid looks', async () => {
    const server = fakeServer(100_000);
    const cache = new PageCache(server.fetchPage, 100, 3);
    for (const start of [0, 100, 200, 300]) {
      cache.ensureRange(start, start + 100);
      server.requests.at(-1)!.resolve();
      await flush();
    }
    expect(cache.get(0)).toBeUndefined();
    expect(cache.get(150)).toBe('150');
    expect(cache.get(350)).toBe('350');
  });

  it('refresh keeps showing old items until new ones arrive, and drops answers from before it', async () => {
    const server = fakeServer(1000);
    const cache = new PageCache(server.fetchPage, 200);
    cache.ensureRange(0, 10);
    server.requests[0].resolve();
    await flush();
    cache.ensureRange(200, 210);
    const beforeRefresh = server.requests[1];

    server.setTag('new-');
    const generation = cache.currentGeneration;
    cache.refresh();
    expect(cache.currentGeneration).toBe(generation + 1);
    expect(cache.get(5)).toBe('5');

    cache.ensureRange(0, 210);
    expect(server.offsets()).toEqual([0, 200, 0, 200]);
    beforeRefresh.resolve();
    await flush();
    expect(cache.get(205)).toBeUndefined();

    server.requests[2].resolve();
    server.requests[3].resolve();
    await flush();
    expect(cache.get(5)).toBe('new-5');
    expect(cache.get(205)).toBe('new-205');
  });

  it('reports a failed page and retries it on the next request', async () => {
    const server = fakeServer(1000);
    const cache = new PageCache(server.fetchPage, 200);
    let changes = 0;
    cache.subscribe(() => changes++);
    cache.ensureRange(0, 10);
    server.requests[0].reject(new Error('No project is open.'));
    await flush();
    expect(cache.error).toBe('No project is open.');
    expect(changes).toBe(1);
    cache.ensureRange(0, 10);
    server.requests[1].resolve();
    await flush();
    expect(cache.error).toBeNull();
    expect(cache.get(0)).toBe('0');
  });
});

/**
 * A server list of the numbers in `list` that also answers cursors (a cursor is the row's value): it says where an
 * answer starts, as `images.list` does. Answers come at once.
 */
function cursorServer(list: number[]) {
  const calls: string[] = [];
  const fetchPage: FetchPage<number> = async (offset, limit, cursor) => {
    let start = offset;
    let end = offset + limit;
    if (cursor && 'after' in cursor) {
      calls.push(`after ${cursor.after}`);
      start = list.filter((v) => v <= Number(cursor.after)).length;
      end = start + limit;
    } else if (cursor) {
      calls.push(`before ${cursor.before}`);
      end = list.filter((v) => v < Number(cursor.before)).length;
      start = Math.max(0, end - limit);
    } else calls.push(`offset ${offset}`);
    const items = list.slice(start, Math.min(end, list.length));
    return { total: list.length, offset: start, items, startCursor: items.length ? String(items[0]) : null, endCursor: items.length ? String(items.at(-1)) : null };
  };
  return { fetchPage, calls };
}

describe('PageCache with cursors', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i * 10);

  it('asks for the page after or before a cached one by cursor, and for a far page by offset', async () => {
    const server = cursorServer(hundred);
    const cache = new PageCache(server.fetchPage, 10);
    cache.ensureRange(0, 5);
    await flush();
    cache.ensureRange(10, 15);
    await flush();
    cache.ensureRange(60, 65);
    await flush();
    cache.ensureRange(50, 55);
    await flush();
    expect(server.calls).toEqual(['offset 0', 'after 90', 'offset 60', 'before 600']);
    for (const i of [0, 9, 10, 19, 50, 59, 60, 69]) expect(cache.get(i)).toBe(i * 10);
  });

  it('asks by offset again when the list moved under the neighbouring row', async () => {
    const list = [...hundred];
    const server = cursorServer(list);
    const cache = new PageCache(server.fetchPage, 10);
    cache.ensureRange(0, 5);
    await flush();
    list.splice(3, 2); // two rows of the first page leave the list, unrefreshed
    cache.ensureRange(10, 15);
    await flush();
    expect(server.calls).toEqual(['offset 0', 'after 90', 'offset 10']);
    expect(cache.get(10)).toBe(120);
  });

  it('does not use a page from before a refresh as a neighbour', async () => {
    const server = cursorServer(hundred.slice(0, 25));
    const cache = new PageCache(server.fetchPage, 10);
    cache.ensureRange(0, 30);
    await flush();
    expect(server.calls).toEqual(['offset 0', 'offset 10', 'offset 20']);
    cache.refresh();
    cache.ensureRange(10, 15);
    await flush();
    expect(server.calls.at(-1)).toBe('offset 10');
    cache.ensureRange(20, 25);
    await flush();
    expect(server.calls.at(-1)).toBe('after 190');
    expect(cache.get(24)).toBe(240);
  });
});
