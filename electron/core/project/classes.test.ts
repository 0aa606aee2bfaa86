import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IdCounters } from './ids.js';
import { ProjectStore } from './store.js';
import { thrownApiError } from '../../../test/expect-api-error.js';

let dir: string;
let store: ProjectStore;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-classes-'));
  store = ProjectStore.open(path.join(dir, 'p.sightline'), { create: true });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ClassesRepo', () => {
  it('creates classes in order with palette colours, and keeps what an update does not name', () => {
    const cat = store.classes.upsert({ name: 'cat', hotkey: '1', keypoints: { names: ['nose', 'tail'], edges: [[0, 1]] } });
    const dog = store.classes.upsert({ name: 'dog', color: '#123456' });
    expect(cat).toEqual({ id: cat.id, name: 'cat', color: '#4e79a7', hotkey: '1', position: 0, keypoints: { names: ['nose', 'tail'], edges: [[0, 1]] } });
    expect(dog).toMatchObject({ name: 'dog', color: '#123456', hotkey: null, position: 1, keypoints: null });
    // An update keeps colour, hotkey and template unless given; null clears them.
    expect(store.classes.upsert({ id: cat.id, name: 'kitty' })).toEqual({ ...cat, name: 'kitty' });
    expect(store.classes.upsert({ id: cat.id, name: 'kitty', hotkey: null, keypoints: null })).toEqual({ ...cat, name: 'kitty', hotkey: null, keypoints: null });
    expect(store.classes.upsert({ id: cat.id, name: 'kitty', hotkey: '7', color: '#abcdef' })).toMatchObject({ hotkey: '7', color: '#abcdef' });
    expect(store.classes.list().map((c) => c.name)).toEqual(['kitty', 'dog']);
    // The third class takes the third palette colour.
    expect(store.classes.upsert({ name: 'bird' }).color).toBe('#e15759');
  });

  it('refuses a taken name or hotkey, and an unknown id', () => {
    const cat = store.classes.upsert({ name: 'cat', hotkey: '1' });
    store.classes.upsert({ name: 'dog', hotkey: '2' });
    expect([thrownApiError(() => store.classes.upsert({ name: 'cat' })).code, thrownApiError(() => store.classes.upsert({ name: 'cat' })).message]).toEqual([
      'conflict',
      'A class named "cat" already exists.',
    ]);
    expect(thrownApiError(() => store.classes.upsert({ name: 'cow', hotkey: '2' })).message).toBe('Hotkey "2" is already used by class "dog".');
    expect(thrownApiError(() => store.classes.upsert({ id: cat.id, name: 'dog' })).message).toBe('A class named "dog" already exists.');
    // Its own name and hotkey are not a clash.
    expect(store.classes.upsert({ id: cat.id, name: 'cat', hotkey: '1' }).name).toBe('cat');
    const missing = thrownApiError(() => store.classes.upsert({ id: 999, name: 'ghost' }));
    expect([missing.code, missing.message]).toEqual(['not_found', 'Class 999 does not exist in this project.']);
    expect(thrownApiError(() => store.classes.delete(999)).code).toBe('not_found');
    expect(thrownApiError(() => store.classes.usage(999)).code).toBe('not_found');
  });

  it('deletes a class, leaving its annotations unclassified, and reports its usage first', () => {
    const cat = store.classes.upsert({ name: 'cat' });
    const root = Number(store.db.prepare('INSERT INTO image_roots (path, added_at) VALUES (?, 0)').run(dir).lastInsertRowid);
    const insert = store.db.prepare(`INSERT INTO images (id, root_id, rel_path, width, height, format, byte_size, mtime_ms, content_hash, added_at) VALUES (?, ?, ?, 4, 4, 'png', 1, 0, 'h', 0)`);
    insert.run(1, root, 'a.png');
    insert.run(2, root, 'b.png');
    const tag = (imageId: number) => ({ imageId, classId: cat.id, kind: 'tag' as const, geometry: { type: 'tag' as const }, attributes: {}, origin: 'manual' as const, derivedFrom: null });
    const { created } = store.annotations.batch({ create: [tag(1), tag(1), tag(2)], update: [], delete: [] });
    expect(store.classes.usage(cat.id)).toEqual({ annotations: 3, images: 2, ids: created.map((a) => a.id) });
    store.classes.delete(cat.id);
    expect(store.classes.list()).toEqual([]);
    expect(store.annotations.listForImage(1).map((a) => a.classId)).toEqual([null, null]);
  });

  it('reorders with every id exactly once', () => {
    const [a, b, c] = ['a', 'b', 'c'].map((name) => store.classes.upsert({ name }));
    expect(store.classes.reorder([c.id, a.id, b.id]).map((x) => [x.name, x.position])).toEqual([['c', 0], ['a', 1], ['b', 2]]);
    for (const ids of [[a.id, b.id], [a.id, a.id, b.id], [a.id, b.id, c.id, 999], [a.id, b.id, 999]]) {
      const e = thrownApiError(() => store.classes.reorder(ids));
      expect([e.code, e.message]).toEqual(['bad_request', `Reorder needs every class id exactly once (3 classes, got ${ids.length} ids).`]);
    }
    expect(store.classes.list().map((x) => x.name)).toEqual(['c', 'a', 'b']);
  });
});

describe('IdCounters', () => {
  it('hands out consecutive ids above max(id), never twice, and keeps above ids written explicitly', () => {
    const ids = new IdCounters(store.db);
    const first = ids.reserve('annotations', 3);
    expect(first.count).toBe(3);
    expect(ids.reserve('annotations', 1).first).toBe(first.first + 3);
    ids.noteUsed('annotations', first.first + 10);
    expect(ids.reserve('annotations', 1).first).toBe(first.first + 11);
    // Noting a lower id does not move the counter back.
    ids.noteUsed('annotations', first.first);
    expect(ids.reserve('annotations', 1).first).toBe(first.first + 12);
    // A class row written by another tool: the next id is above it.
    store.db.prepare(`INSERT INTO label_classes (id, name, color, position, created_at) VALUES (500, 'x', '#000000', 0, 0)`).run();
    expect(ids.reserve('label_classes', 2)).toEqual({ first: 501, count: 2 });
  });

  it('refuses a count that is not a positive whole number, and a project without counters', () => {
    const ids = new IdCounters(store.db);
    for (const n of [0, -1, 1.5]) {
      const e = thrownApiError(() => ids.reserve('annotations', n));
      expect([e.code, e.message]).toEqual(['bad_request', `Cannot reserve ${n} ids: give a positive whole number.`]);
    }
    store.db.prepare(`DELETE FROM id_counters WHERE name = 'label_classes'`).run();
    const e = thrownApiError(() => ids.reserve('label_classes', 1));
    expect([e.code, e.message]).toEqual(['internal', 'The project has no id counter for label_classes; it was not upgraded correctly.']);
  });
});
