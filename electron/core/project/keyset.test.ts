/**
 * Keyset paging (issue 10): pages after / before a cursor, pages by offset from the sampled keys, and neighbours
 * with their position, all equal to plain OFFSET paging, for every sort both ways and with filters, on a real
 * project file whose sort keys tie a lot. The caches behind them (counts, sampled keys) follow every kind of write.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCallArgs, type ImageFilter, type ImageRow, type ImageSort } from '../../../common/api/contract.js';
import { thrownApiError } from '../../../test/expect-api-error.js';
import { ImagesRepo } from './images.js';
import { ChangeCounter, compareValues, decodeCursor, encodeCursor } from './keyset.js';
import { ProjectStore } from './store.js';

const N = 240;
const STATUSES = ['new', 'in_progress', 'done', 'review', 'rejected'] as const;
const FOLDERS = ['a', 'a/b', 'b', 'café', '日本', 'x%y'];
let dir: string;
let store: ProjectStore;
let runId: number;
let classId: number;

/** The name of image i: scrambled against the id, some with characters where UTF-16 and UTF-8 order differ. */
function relPath(i: number): string {
  const j = (i * 7919) % N;
  const name = j % 50 === 0 ? `😀${j}.jpg` : j % 50 === 1 ? `！${j}.jpg` : j % 50 === 2 ? `Zebra_${j}.PNG` : j % 50 === 3 ? `\u{e000}${j}.jpg` : `IMG_${String(j).padStart(4, '0')}.jpg`;
  return `${FOLDERS[j % FOLDERS.length]}/${name}`;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-keyset-'));
  store = ProjectStore.open(path.join(dir, 'keyset.sightline'), { create: true });
  const db = store.db;
  db.prepare(`INSERT INTO image_roots (id, path, added_at) VALUES (1, '/r1', 0), (2, '/r2', 0), (3, '/r3', 0)`).run();
  classId = store.classes.upsert({ name: 'cat' }).id;
  const other = store.classes.upsert({ name: 'dog' }).id;
  const model = Number(db.prepare(`INSERT INTO models (name, kind, file, sha256, added_at) VALUES ('m', 'detector', 'm.onnx', 'x', 0)`).run().lastInsertRowid);
  runId = Number(db.prepare('INSERT INTO model_runs (model_id, started_at) VALUES (?, 0)').run(model).lastInsertRowid);
  const image = db.prepare(
    `INSERT INTO images (id, root_id, rel_path, width, height, format, byte_size, mtime_ms, content_hash, status, missing, added_at)
     VALUES (?, ?, ?, 4, 3, 'jpeg', ?, ?, ?, ?, ?, 0)`,
  );
  const ann = db.prepare(`INSERT INTO annotations (image_id, class_id, kind, geometry, created_at, updated_at) VALUES (?, ?, 'tag', '{"type":"tag"}', 0, 0)`);
  const pred = db.prepare(`INSERT INTO predictions (run_id, image_id, class_id, kind, geometry) VALUES (?, ?, ?, 'tag', '{"type":"tag"}')`);
  const errors = db.prepare('INSERT INTO image_errors (run_id, image_id, errors, mean_iou, miou, caption_score) VALUES (?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= N; i++) {
      // Heavy ties: 13 sizes, 5 mtimes, 5 statuses.
      image.run(i, 1 + (i % 3), relPath(i), ((i * 7) % 13) * 100, (i % 5) * 1000, `h${i}`, STATUSES[(i * 3) % 5], i % 11 === 0 ? 1 : 0);
      for (let k = 0; k < i % 4; k++) ann.run(i, k === 1 ? classId : other);
      if (i % 5 === 0) pred.run(runId, i, classId);
      // Images without a row, and rows with NULLs, sort last either way.
      if (i % 3 !== 0) errors.run(runId, i, i % 4, i % 5 === 0 ? null : (i % 7) / 7, i % 6 === 1 ? null : (i % 3) / 3, i % 2 ? 0.5 : null);
    }
  })();
});
afterAll(() => {
  store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const SORTS: ImageSort['by'][] = ['path', 'mtime', 'size', 'added', 'status', 'errors', 'meanIou', 'mIoU', 'captionScore'];
const sortOf = (by: ImageSort['by'], dir: 'asc' | 'desc'): ImageSort => (SORTS.indexOf(by) >= 5 ? { by, dir, runId } : { by, dir });
const FILTERS = (): ImageFilter[] => [
  {},
  { status: ['new'] },
  { status: ['new', 'done'] },
  { labeled: true },
  { labeled: false },
  { missing: false },
  { folder: { rootId: 1, path: 'a' } },
  { rootId: 2, status: ['done'] },
  { text: 'img_00' },
  { status: ['review'], labeled: true, text: 'IMG' },
  { predictedNotLabeled: { runId, classId } },
];

/** The whole list in one OFFSET 0 page: plain ORDER BY, nothing sampled or cached. */
function reference(filter: ImageFilter, sort: ImageSort): number[] {
  return new ImagesRepo(store.db).list({ offset: 0, limit: 1000, filter, sort }).items.map((r) => r.id);
}

const ids = (rows: ImageRow[]) => rows.map((r) => r.id);

describe('sort order', () => {
  /** Each sort by its definition, computed here from the rows: unique tail, NULL / missing numbers last. */
  function expected(by: ImageSort['by'], dir: 'asc' | 'desc'): number[] {
    const rows = reference({}, { by: 'added', dir: 'asc' }).map((id) => store.images.get(id));
    const ev = new Map(
      (store.db.prepare('SELECT image_id, errors, mean_iou, miou, caption_score FROM image_errors WHERE run_id = ?').raw().all(runId) as [number, ...(number | null)[]][]).map(
        ([id, ...v]) => [id, v],
      ),
    );
    const s = dir === 'asc' ? 1 : -1;
    const num = (a: number, b: number) => (a < b ? -1 : a > b ? 1 : 0);
    const evalKey = (r: ImageRow, k: number) => ev.get(r.id)?.[k] ?? (dir === 'asc' ? Infinity : -Infinity);
    const cmp: Record<ImageSort['by'], (a: ImageRow, b: ImageRow) => number> = {
      path: (a, b) => num(a.rootId, b.rootId) || compareValues(a.relPath, b.relPath),
      mtime: (a, b) => num(a.mtimeMs, b.mtimeMs) || num(a.id, b.id),
      size: (a, b) => num(a.byteSize, b.byteSize) || num(a.id, b.id),
      added: (a, b) => num(a.id, b.id),
      status: (a, b) => compareValues(a.status, b.status) || num(a.rootId, b.rootId) || compareValues(a.relPath, b.relPath),
      errors: (a, b) => num(evalKey(a, 0), evalKey(b, 0)) || num(a.id, b.id),
      meanIou: (a, b) => num(evalKey(a, 1), evalKey(b, 1)) || num(a.id, b.id),
      mIoU: (a, b) => num(evalKey(a, 2), evalKey(b, 2)) || num(a.id, b.id),
      captionScore: (a, b) => num(evalKey(a, 3), evalKey(b, 3)) || num(a.id, b.id),
    };
    return rows.sort((a, b) => s * cmp[by](a, b)).map((r) => r.id);
  }

  it.each(SORTS)('%s is a total order, the same as defined here, both ways', (by) => {
    for (const dir of ['asc', 'desc'] as const) expect(reference({}, sortOf(by, dir)), `${by} ${dir}`).toEqual(expected(by, dir));
  });

  it('compares text as SQLite does (UTF-8 bytes), not as JavaScript does (UTF-16 units)', () => {
    const words = ['', 'a', 'A', 'ab', 'é', '！', '\u{e000}', '\u{ffff}', '😀', '😀a', '𝄞', 'Z', '~', 'a/b', 'a0', 'a\u{10ffff}'];
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (s TEXT)');
    const ins = db.prepare('INSERT INTO t VALUES (?)');
    for (const w of words) ins.run(w);
    const bySqlite = db.prepare('SELECT s FROM t ORDER BY s').pluck().all();
    db.close();
    expect([...words].sort(compareValues)).toEqual(bySqlite);
    expect(['😀', '！'].sort()).toEqual(['😀', '！']); // JavaScript's own order differs
    expect(['😀', '！'].sort(compareValues)).toEqual(['！', '😀']);
  });
});

describe.each([
  [7, 'every 7th key sampled', SORTS],
  [1, 'every key sampled', ['path', 'status', 'errors'] as ImageSort['by'][]],
])('keyset paging equals OFFSET paging (%i: %s)', (every, _, sorts) => {
  const PAGE = 13;
  for (const by of sorts) {
    for (const dir of ['asc', 'desc'] as const) {
      it(`${by} ${dir}, with each filter`, () => {
        const sort = sortOf(by, dir);
        const repo = new ImagesRepo(store.db, { sampleEvery: every });
        const full = reference({}, sort);
        for (const filter of FILTERS()) {
          const want = reference(filter, sort);
          const what = `${JSON.stringify(filter)} ${by} ${dir}`;
          // Every page by offset, at and between page boundaries.
          for (let offset = 0; offset <= want.length + PAGE; offset += offset % PAGE ? PAGE - 3 : 3) {
            const page = repo.list({ offset, limit: PAGE, filter, sort });
            expect(ids(page.items), `${what} @${offset}`).toEqual(want.slice(offset, offset + PAGE));
            expect(page.total, what).toBe(want.length);
          }
          // Forward by endCursor from the first page to the end.
          let page = repo.list({ offset: 0, limit: PAGE, filter, sort });
          const forward = [...ids(page.items)];
          while (page.endCursor) {
            const next = repo.list({ offset: 0, limit: PAGE, filter, sort, after: page.endCursor });
            expect(next.offset, what).toBe(forward.length);
            forward.push(...ids(next.items));
            page = next;
          }
          expect(forward, what).toEqual(want);
          expect(page.items, what).toEqual([]);
          // Backward by startCursor from the last page to the first.
          page = repo.list({ offset: Math.max(0, want.length - PAGE), limit: PAGE, filter, sort });
          const backward = [...ids(page.items)];
          while (page.startCursor && page.offset > 0) {
            const prev = repo.list({ offset: 0, limit: PAGE, filter, sort, before: page.startCursor });
            expect(prev.offset, what).toBe(want.length - backward.length - prev.items.length);
            backward.unshift(...ids(prev.items));
            page = prev;
          }
          expect(backward, what).toEqual(want);
          // Neighbours and position of images in the list and not in it, as the OFFSET list has them.
          const inList = new Set(want);
          for (let k = 0; k < full.length; k += 13) {
            const id = full[k];
            const before = full.slice(0, k).filter((x) => inList.has(x));
            const after = full.slice(k + 1).filter((x) => inList.has(x));
            expect(repo.neighbors(id, filter, sort), `${what} #${id}`).toEqual({ prev: before.at(-1) ?? null, next: after[0] ?? null, index: before.length, total: want.length });
          }
        }
      });
    }
  }
});

describe('cached counts and sampled keys follow writes', () => {
  const path: ImageSort = { by: 'path', dir: 'asc' };
  /** Deep reads on `repo` that fill its caches, compared with a repo that caches nothing yet. */
  function same(repo: ImagesRepo, filter: ImageFilter, sort: ImageSort = path): void {
    const fresh = new ImagesRepo(store.db, { sampleEvery: 5 });
    const want = reference(filter, sort);
    for (const offset of [0, 37, want.length - 3]) {
      expect(repo.list({ offset, limit: 4, filter, sort }), `${JSON.stringify(filter)} @${offset}`).toEqual(fresh.list({ offset, limit: 4, filter, sort }));
    }
    for (const id of [want[0], want[41], want.at(-1)!, 17]) {
      if (id !== undefined) expect(repo.neighbors(id, filter, sort)).toEqual(fresh.neighbors(id, filter, sort));
    }
  }

  it('after status changes, labels, renames, inserts, deletes, evaluation numbers and another connection', () => {
    const repo = new ImagesRepo(store.db, { sampleEvery: 5 });
    const lists: [ImageFilter, ImageSort][] = [
      [{}, path],
      [{ status: ['new'] }, path],
      [{}, { by: 'status', dir: 'desc' }],
      [{ labeled: false }, { by: 'size', dir: 'asc' }],
      [{ missing: false }, { by: 'mtime', dir: 'desc' }],
      [{}, { by: 'errors', dir: 'desc', runId }],
    ];
    const check = () => lists.forEach(([f, s]) => same(repo, f, s));
    const db = store.db;
    check();
    const first = reference({}, path)[0];
    const newOnes = reference({ status: ['new'] }, path);
    repo.setStatus([newOnes[0], newOnes[1]], 'done');
    check();
    const unlabeled = reference({ labeled: false }, path);
    db.prepare(`INSERT INTO annotations (image_id, kind, geometry, created_at, updated_at) VALUES (?, 'tag', '{"type":"tag"}', 0, 0)`).run(unlabeled[2]);
    check();
    db.prepare('UPDATE images SET rel_path = ? WHERE id = ?').run('zz/moved.jpg', first);
    check();
    db.prepare('UPDATE images SET byte_size = 50, mtime_ms = 99999 WHERE id = ?').run(unlabeled[5]);
    check();
    db.prepare(`INSERT INTO images (id, root_id, rel_path, width, height, format, byte_size, mtime_ms, content_hash, added_at) VALUES (900, 1, 'a/0000.jpg', 1, 1, 'png', 1, 1, 'x', 0)`).run();
    check();
    db.prepare('DELETE FROM images WHERE id = ?').run(reference({}, path)[60]);
    check();
    db.prepare('UPDATE images SET missing = 1 WHERE id = ?').run(reference({ missing: false }, path)[3]);
    check();
    db.prepare('UPDATE image_errors SET errors = 100 WHERE run_id = ? AND image_id = ?').run(runId, reference({}, { by: 'errors', dir: 'asc', runId })[0]);
    check();
    // A write that is rolled back leaves the list as it was.
    const gone = reference({}, path)[1];
    expect(() =>
      db.transaction(() => {
        db.prepare('DELETE FROM images WHERE id = ?').run(gone);
        expect(ids(repo.list({ offset: 0, limit: 1000, filter: {}, sort: path }).items)).not.toContain(gone);
        throw new Error('roll back');
      })(),
    ).toThrow('roll back');
    expect(reference({}, path)).toContain(gone);
    check();
    // Another connection's commit (the CLI, say) is seen through data_version.
    const other = new Database(store.file);
    other.prepare(`INSERT INTO images (id, root_id, rel_path, width, height, format, byte_size, mtime_ms, content_hash, added_at) VALUES (901, 1, 'a/0001.jpg', 1, 1, 'png', 1, 1, 'y', 0)`).run();
    other.prepare('UPDATE images SET status = ? WHERE id = ?').run('rejected', reference({ status: ['new'] }, path)[4]);
    other.close();
    check();
    db.prepare('DELETE FROM images WHERE id IN (900, 901)').run();
  });

  it('on a read-only connection, which installs no triggers, follow the commits of the writing one', () => {
    const ro = ProjectStore.open(store.file, { readonly: true });
    try {
      const repo = new ImagesRepo(ro.db, { sampleEvery: 5 });
      const deep = () => repo.list({ offset: 100, limit: 5, filter: {}, sort: path });
      const before = deep();
      const id = before.items[2].id;
      expect(repo.neighbors(id, {}, path).index).toBe(102);
      const moved = store.images.get(reference({}, path)[0]);
      store.db.prepare('UPDATE images SET root_id = 3, rel_path = ? WHERE id = ?').run('zzz/last.jpg', moved.id);
      expect(ids(deep().items)).toEqual(reference({}, path).slice(100, 105));
      expect(repo.neighbors(id, {}, path).index).toBe(101);
      store.db.prepare('UPDATE images SET root_id = ?, rel_path = ? WHERE id = ?').run(moved.rootId, moved.relPath, moved.id);
    } finally {
      ro.close();
    }
  });

  it('a cursor from before a change still gives the rows after its row, at their position now', () => {
    const repo = new ImagesRepo(store.db, { sampleEvery: 5 });
    const filter: ImageFilter = { status: ['new', 'done', 'review'] };
    const page = repo.list({ offset: 100, limit: 10, filter, sort: path });
    const last = page.items.at(-1)!.id;
    // Two rows before the page leave the list, one after it too.
    const before = reference(filter, path).slice(0, 2);
    repo.setStatus([...before, reference(filter, path)[130]], 'rejected');
    const next = repo.list({ offset: 0, limit: 10, filter, sort: path, after: page.endCursor! });
    const now = reference(filter, path);
    expect(next.offset).toBe(now.indexOf(last) + 1);
    expect(ids(next.items)).toEqual(now.slice(next.offset, next.offset + 10));
    // Its own row gone from the list: the rows after where it was.
    repo.setStatus([last], 'rejected');
    const again = repo.list({ offset: 0, limit: 10, filter, sort: path, after: page.endCursor! });
    const later = reference(filter, path);
    expect(ids(again.items)).toEqual(later.slice(again.offset, again.offset + 10));
    expect(later[again.offset - 1]).toBe(page.items.at(-2)!.id);
    const prev = repo.list({ offset: 0, limit: 10, filter, sort: path, before: page.endCursor! });
    expect(ids(prev.items)).toEqual(later.slice(prev.offset, prev.offset + 10));
    expect(prev.offset + prev.items.length).toBe(again.offset);
    repo.setStatus([...before, last], 'new');
  });

  it('counts labels and status apart, so labeling does not forget a path list, and a write in a transaction caches nothing', () => {
    const changes = ChangeCounter.for(store.db);
    const deps = { status: false, labeled: false, errors: false };
    const pathStamp = changes.stamp(deps);
    const labeledStamp = changes.stamp({ ...deps, labeled: true });
    const statusStamp = changes.stamp({ ...deps, status: true });
    const labeled = reference({ labeled: true }, path)[0];
    const ann = store.db.prepare(`INSERT INTO annotations (image_id, kind, geometry, created_at, updated_at) VALUES (?, 'tag', '{"type":"tag"}', 0, 0)`).run(labeled);
    expect(changes.stamp(deps)).toBe(pathStamp);
    expect(changes.stamp({ ...deps, labeled: true })).toBe(labeledStamp); // still labeled: no list changed
    const unlabeled = reference({ labeled: false }, path)[0];
    store.db.prepare(`INSERT INTO annotations (image_id, kind, geometry, created_at, updated_at) VALUES (?, 'tag', '{"type":"tag"}', 0, 0)`).run(unlabeled);
    expect(changes.stamp(deps)).toBe(pathStamp);
    expect(changes.stamp({ ...deps, labeled: true })).not.toBe(labeledStamp);
    store.images.setStatus([labeled], store.images.get(labeled).status); // no change
    expect(changes.stamp({ ...deps, status: true })).toBe(statusStamp);
    store.images.setStatus([labeled], store.images.get(labeled).status === 'done' ? 'new' : 'done');
    expect(changes.stamp({ ...deps, status: true })).not.toBe(statusStamp);
    expect(changes.stamp(deps)).toBe(pathStamp);
    store.db.transaction(() => expect(changes.stamp(deps)).toBeNull())();
    store.db.prepare('DELETE FROM annotations WHERE id >= ?').run(ann.lastInsertRowid);
  });
});

describe('cursors', () => {
  const sort: ImageSort = { by: 'size', dir: 'desc' };

  it('are refused when made up, damaged, or from another filter or sort', () => {
    const page = store.images.list({ offset: 0, limit: 5, filter: {}, sort });
    for (const bad of ['x', Buffer.from('[1,"a",null,0,[1]]').toString('base64url'), page.endCursor!.slice(0, -4)]) {
      const e = thrownApiError(() => store.images.list({ offset: 0, limit: 5, filter: {}, sort, after: bad }));
      expect([e.code, e.message]).toEqual(['bad_request', 'This page cursor is not one images.list gave out. Ask for the page by offset instead.']);
    }
    for (const [filter, other] of [[{ labeled: true }, sort], [{}, { by: 'size', dir: 'asc' }]] as [ImageFilter, ImageSort][]) {
      const e = thrownApiError(() => store.images.list({ offset: 0, limit: 5, filter, sort: other, before: page.startCursor! }));
      expect(e.code).toBe('bad_request');
      expect(e.message).toMatch(/another filter or sort/);
    }
    expect(() => parseCallArgs('images.list', { after: page.endCursor, before: page.startCursor })).toThrow(/after or before, not both/);
    expect(parseCallArgs('images.list', { after: page.endCursor }).after).toBe(page.endCursor);
  });

  it('carry infinities, which JSON cannot', () => {
    const c = { sig: 's', stamp: null, pos: 3, key: [Infinity, -Infinity, 'a', 2.5] };
    expect(decodeCursor(encodeCursor(c), 's', 4)).toEqual(c);
  });

  it('are null on an empty page', () => {
    expect(store.images.list({ offset: 5000, limit: 5, filter: {}, sort })).toMatchObject({ items: [], startCursor: null, endCursor: null });
    expect(store.images.list({ offset: 0, limit: 5, filter: { text: 'no such name' }, sort })).toMatchObject({ total: 0, items: [], startCursor: null, endCursor: null });
  });
});
