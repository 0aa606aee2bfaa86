/**
 * Migration 0004 (coco_ids: the COCO ids of imported images and categories) upgrading the committed v1 fixture through
 * every migration: rows kept, the new table empty and constrained, and an export of the upgraded project giving its
 * classes their own ids.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportClasses } from '../../electron/core/datasets/project.js';
import { loadMigrations } from '../../electron/core/project/migrate.js';
import { ProjectStore } from '../../electron/core/project/store.js';

const FIXTURE = path.resolve(__dirname, '../fixtures/db/v1.sightline');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-mig4-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('0004_datasets', () => {
  it('is the fourth migration file', () => {
    expect(loadMigrations()[3]).toMatchObject({ version: 4, name: 'datasets' });
  });

  it('upgrades a v1 project keeping every row, with an empty coco_ids table that refuses unknown kinds', () => {
    const file = path.join(dir, 'p.sightline');
    copyFileSync(FIXTURE, file);
    const v1 = new Database(file, { readonly: true });
    const annotations = v1.prepare('SELECT * FROM annotations ORDER BY id').all();
    const classes = v1.prepare('SELECT id, name FROM label_classes ORDER BY id').all() as { id: number; name: string }[];
    v1.close();
    const store = ProjectStore.open(file, { migrations: loadMigrations().slice(0, 4) });
    expect(store.schemaVersion).toBe(4);
    expect(store.db.prepare('SELECT * FROM annotations ORDER BY id').all()).toEqual(annotations);
    expect(store.db.prepare('SELECT count(*) FROM coco_ids').pluck().get()).toBe(0);
    expect(() => store.db.prepare(`INSERT INTO coco_ids VALUES ('annotation', 1, 1)`).run()).toThrow(/CHECK/);
    store.db.prepare(`INSERT INTO coco_ids VALUES ('category', 7, ?)`).run(classes[1].id);
    expect(() => store.db.prepare(`INSERT INTO coco_ids VALUES ('category', 7, ?)`).run(classes[0].id)).toThrow(/UNIQUE|PRIMARY/);
    // Category ids: the COCO id a class was imported with, else its own id.
    expect(exportClasses(store.db).map((c) => [c.name, c.categoryId])).toEqual([
      [classes[0].name, classes[0].id],
      [classes[1].name, 7],
    ]);
    store.close();
  });
});
