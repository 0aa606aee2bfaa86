/**
 * The library's folder view (issue 12): the `folder` filter of images.list and images.neighbors, and the folder
 * counts and repeated file names of images.folders, on a real project file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCallArgs, type ImageFilter } from '../../../common/api/contract.js';
import { whereClause } from './images.js';
import { ProjectStore } from './store.js';

let dir: string;
let store: ProjectStore;

/** Two roots: names that repeat across folders, folder names that are prefixes of others or hold LIKE wildcards. */
const ROOT_1 = [
  'IMG_0001.jpg',
  'roll-07/IMG_0001.jpg',
  'roll-07/IMG_0002.jpg',
  'roll-07/sub/IMG_0003.jpg',
  'roll-070/IMG_0001.jpg',
  'roll-07-b/IMG_0004.jpg',
  'roll-07.x/IMG_0005.jpg',
  'roll-0%/IMG_0006.jpg',
  'roll-0_/IMG_0007.jpg',
  'café 日本/IMG_0008.jpg',
];
const ROOT_2 = ['roll-07/IMG_0001.jpg', 'other.png'];

function insert(rootId: number, rels: string[]): void {
  const now = Date.now();
  const stmt = store.db.prepare(
    `INSERT INTO images (root_id, rel_path, width, height, format, byte_size, mtime_ms, content_hash, added_at)
     VALUES (?, ?, 640, 480, 'jpeg', 1000, ?, ?, ?)`,
  );
  store.db.transaction(() => rels.forEach((rel) => stmt.run(rootId, rel, now, `${rootId}:${rel}`, now)))();
}

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-folders-'));
  store = ProjectStore.open(path.join(dir, 'folders.sightline'), { create: true });
  const now = Date.now();
  store.db.prepare('INSERT INTO image_roots (id, path, added_at) VALUES (1, ?, ?), (2, ?, ?)').run('/photos/a', now, '/photos/b', now);
  insert(1, ROOT_1);
  insert(2, ROOT_2);
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const listed = (filter: ImageFilter) =>
  store.images.list({ offset: 0, limit: 1000, filter, sort: { by: 'path', dir: 'asc' } }).items.map((r) => `${r.rootId}:${r.relPath}`);

describe('images.list with a folder filter', () => {
  it('lists the folder and its subfolders in that root, and no folder whose name merely starts the same', () => {
    expect(listed({ folder: { rootId: 1, path: 'roll-07' } })).toEqual(['1:roll-07/IMG_0001.jpg', '1:roll-07/IMG_0002.jpg', '1:roll-07/sub/IMG_0003.jpg']);
    expect(listed({ folder: { rootId: 1, path: 'roll-07/sub' } })).toEqual(['1:roll-07/sub/IMG_0003.jpg']);
    expect(listed({ folder: { rootId: 2, path: 'roll-07' } })).toEqual(['2:roll-07/IMG_0001.jpg']);
    expect(listed({ folder: { rootId: 1, path: 'café 日本' } })).toEqual(['1:café 日本/IMG_0008.jpg']);
    expect(listed({ folder: { rootId: 1, path: 'nowhere' } })).toEqual([]);
  });

  it('takes % and _ in a folder name literally', () => {
    expect(listed({ folder: { rootId: 1, path: 'roll-0%' } })).toEqual(['1:roll-0%/IMG_0006.jpg']);
    expect(listed({ folder: { rootId: 1, path: 'roll-0_' } })).toEqual(['1:roll-0_/IMG_0007.jpg']);
  });

  it("takes '' as the whole root, and combines with the other filters and the viewer's neighbours", () => {
    expect(listed({ folder: { rootId: 2, path: '' } })).toEqual(['2:other.png', '2:roll-07/IMG_0001.jpg']);
    expect(listed({ folder: { rootId: 1, path: 'roll-07' }, text: 'IMG_0002' })).toEqual(['1:roll-07/IMG_0002.jpg']);
    const id = (rel: string) => (store.db.prepare('SELECT id FROM images WHERE root_id = 1 AND rel_path = ?').pluck().get(rel) as number);
    const n = store.images.neighbors(id('roll-07/IMG_0002.jpg'), { folder: { rootId: 1, path: 'roll-07' } }, { by: 'path', dir: 'asc' });
    expect(n).toEqual({ prev: id('roll-07/IMG_0001.jpg'), next: id('roll-07/sub/IMG_0003.jpg'), index: 1, total: 3 });
  });

  it('reads a range of the (root_id, rel_path) index, in path order without sorting', () => {
    const { sql, params } = whereClause({ folder: { rootId: 1, path: 'roll-07' } });
    const plan = store.db.prepare(`EXPLAIN QUERY PLAN SELECT i.id FROM images i ${sql} ORDER BY i.root_id, i.rel_path`).all(...params) as { detail: string }[];
    const details = plan.map((p) => p.detail).join(' | ');
    expect(details).toMatch(/USING (COVERING )?INDEX sqlite_autoindex_images_1 \(root_id=\? AND rel_path>\? AND rel_path<\?\)/);
    expect(details).not.toContain('TEMP B-TREE');
  });

  it('refuses folder paths that are not relative folder names', () => {
    for (const bad of ['../etc', 'roll-07/', '/roll-07', 'a//b', 'a/./b', 'a\0b']) {
      expect(() => parseCallArgs('images.list', { filter: { folder: { rootId: 1, path: bad } } }), bad).toThrow(/Invalid arguments/);
    }
    expect(() => parseCallArgs('images.list', { filter: { folder: { path: 'roll-07' } } })).toThrow(/rootId/);
    expect(parseCallArgs('images.list', { filter: { folder: { rootId: 1, path: '2024/roll-07 (copy)' } } }).filter.folder).toEqual({ rootId: 1, path: '2024/roll-07 (copy)' });
  });
});

describe('images.folders', () => {
  it('counts the images of each folder and names the files found in more than one folder', async () => {
    const { folders, repeatedNames } = await store.images.folders();
    expect(folders).toEqual([
      { rootId: 1, path: '', count: 1 },
      { rootId: 1, path: 'café 日本', count: 1 },
      { rootId: 1, path: 'roll-0%', count: 1 },
      { rootId: 1, path: 'roll-07', count: 2 },
      { rootId: 1, path: 'roll-07-b', count: 1 },
      { rootId: 1, path: 'roll-07.x', count: 1 },
      { rootId: 1, path: 'roll-07/sub', count: 1 },
      { rootId: 1, path: 'roll-070', count: 1 },
      { rootId: 1, path: 'roll-0_', count: 1 },
      { rootId: 2, path: '', count: 1 },
      { rootId: 2, path: 'roll-07', count: 1 },
    ]);
    // IMG_0001.jpg is at root 1's top, in roll-07, in roll-070 and in root 2's roll-07; the rest are once each.
    expect(repeatedNames).toEqual(['IMG_0001.jpg']);
    expect(parseCallArgs('images.folders', {})).toEqual({});
  });

  it('answers from its last count until the images change', async () => {
    const first = await store.images.folders();
    expect(await store.images.folders()).toBe(first);
    insert(1, ['roll-08/IMG_0002.jpg']);
    const second = await store.images.folders();
    expect(second).not.toBe(first);
    expect(second.folders).toContainEqual({ rootId: 1, path: 'roll-08', count: 1 });
    expect(second.repeatedNames).toEqual(['IMG_0001.jpg', 'IMG_0002.jpg']);
  });

  it('counts a project larger than one chunk, and shares one count between concurrent calls', async () => {
    const rels = Array.from({ length: 12_000 }, (_, i) => `batch-${i % 3}/frame-${String(Math.floor(i / 3)).padStart(5, '0')}.png`);
    insert(2, rels);
    const [a, b] = await Promise.all([store.images.folders(), store.images.folders()]);
    expect(a).toBe(b);
    for (const k of [0, 1, 2]) expect(a.folders).toContainEqual({ rootId: 2, path: `batch-${k}`, count: 4_000 });
    expect(a.folders.reduce((n, f) => n + f.count, 0)).toBe(ROOT_1.length + ROOT_2.length + 12_000);
    expect(a.repeatedNames).toHaveLength(4_001); // every frame is in three folders, and IMG_0001.jpg
  });
});
