/**
 * Migration 0002 (the editor's history, keypoint templates, id counters) upgrading the committed v1 fixture:
 * backup first, every row kept, the new tables usable, and ids handed out above everything the v1 file held.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProjectStore } from '../../electron/core/project/store.js';
import { loadMigrations } from '../../electron/core/project/migrate.js';

const FIXTURE = path.resolve(__dirname, '../fixtures/db/v1.sightline');
let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-mig2-'));
  file = path.join(dir, 'p.sightline');
  copyFileSync(FIXTURE, file);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('0002_editor upgrades a v1 project', () => {
  it('is the second migration file', () => {
    expect(loadMigrations()[1]).toMatchObject({ version: 2, name: 'editor' });
  });

  it('writes a v1 backup, keeps every row and adds the editor tables', () => {
    // Read the copy, never the committed fixture: even a read-only connection leaves -wal/-shm files beside it.
    const v1 = new Database(file, { readonly: true });
    const before = {
      images: v1.prepare('SELECT * FROM images ORDER BY id').all(),
      annotations: v1.prepare('SELECT * FROM annotations ORDER BY id').all(),
      classes: v1.prepare('SELECT * FROM label_classes ORDER BY id').all() as Record<string, unknown>[],
      predictions: v1.prepare('SELECT * FROM predictions ORDER BY id').all(),
    };
    v1.close();

    const store = ProjectStore.open(file, { migrations: loadMigrations().slice(0, 2) });
    expect(store.schemaVersion).toBe(2);
    expect(store.backupFile).toMatch(/p\.sightline\.v1-.*\.bak$/);
    const backup = new Database(store.backupFile!, { readonly: true });
    expect(backup.pragma('user_version', { simple: true })).toBe(1);
    expect(backup.prepare(`SELECT count(*) FROM sqlite_schema WHERE name = 'edit_history'`).pluck().get()).toBe(0);
    backup.close();

    expect(store.db.prepare('SELECT * FROM images ORDER BY id').all()).toEqual(before.images);
    expect(store.db.prepare('SELECT * FROM annotations ORDER BY id').all()).toEqual(before.annotations);
    expect(store.db.prepare('SELECT * FROM predictions ORDER BY id').all()).toEqual(before.predictions);
    expect(store.db.prepare('SELECT * FROM label_classes ORDER BY id').all()).toEqual(before.classes.map((c) => ({ ...c, keypoints: null })));
    expect(store.classes.list().map((c) => [c.name, c.keypoints])).toEqual([
      ['cat', null],
      ['dog', null],
    ]);
    expect(store.db.prepare('SELECT name, next FROM id_counters ORDER BY name').all()).toEqual([
      { name: 'annotations', next: 3 },
      { name: 'label_classes', next: 3 },
    ]);
    store.close();
  });

  it('the upgraded project takes edits: history, counters above the old ids, keypoint templates', () => {
    const store = ProjectStore.open(file, { migrations: loadMigrations().slice(0, 2) });
    const { first } = store.edits.reserveIds('annotations', 2);
    expect(first).toBe(3);
    const [oldBox] = store.annotations.listForImage(1);
    const { id: _id, createdAt: _c, updatedAt: _u, ...oldState } = oldBox;
    const moved = { ...oldState, geometry: { type: 'box' as const, x: 10, y: 20, w: 3, h: 4 } };
    const r = store.edits.apply(1, {
      key: 'first-step-after-upgrade',
      label: 'move and add',
      changes: [
        { t: 'annotation', id: oldBox.id, before: oldState, after: moved },
        { t: 'annotation', id: first, before: null, after: { ...oldState, derivedFrom: null, origin: 'manual', kind: 'tag', geometry: { type: 'tag' } } },
      ],
    });
    expect(r).toMatchObject({ applied: true, status: 'done' });
    expect(store.annotations.listForImage(1).map((a) => a.id)).toEqual([oldBox.id, first]);
    // The v1 annotation still points at its prediction and class.
    expect(store.annotations.listForImage(1)[0]).toMatchObject({ origin: 'model', derivedFrom: 1, classId: oldBox.classId });
    store.edits.undo(1, 'first-step-after-upgrade');
    expect(store.annotations.listForImage(1)).toEqual([expect.objectContaining({ id: oldBox.id, geometry: oldBox.geometry })]);

    const face = store.classes.upsert({ name: 'face', keypoints: { names: ['l_eye', 'r_eye'], edges: [[0, 1]] } });
    expect(face.id).toBe(3);
    expect(store.summary()).toMatchObject({ images: 2, annotations: 2, classes: 3, schemaVersion: 2 });
    store.close();

    const again = ProjectStore.open(file, { migrations: loadMigrations().slice(0, 2) });
    expect(again.backupFile).toBeNull();
    expect(again.edits.history(1).redo.map((e) => e.key)).toEqual(['first-step-after-upgrade']);
    expect(again.classes.list().find((c) => c.name === 'face')?.keypoints).toEqual({ names: ['l_eye', 'r_eye'], edges: [[0, 1]] });
    again.close();
  });

  it("an image's history goes with the image (ON DELETE CASCADE)", () => {
    const store = ProjectStore.open(file, { migrations: loadMigrations().slice(0, 2) });
    store.edits.apply(2, { key: 'tag-image-two', label: 'tag', changes: [{ t: 'annotation', id: store.edits.reserveIds('annotations', 1).first, before: null, after: { imageId: 2, classId: null, kind: 'tag', geometry: { type: 'tag' }, attributes: {}, origin: 'manual', derivedFrom: null } }] });
    expect(store.db.prepare('SELECT count(*) FROM edit_history WHERE image_id = 2').pluck().get()).toBe(1);
    store.db.prepare('DELETE FROM images WHERE id = 2').run();
    expect(store.db.prepare('SELECT count(*) FROM edit_history').pluck().get()).toBe(0);
    store.close();
  });
});
