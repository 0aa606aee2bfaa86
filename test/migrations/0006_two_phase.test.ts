/**
 * Migration 0006 (images.indexed: two-phase import, issue 12) upgrading the committed v1 fixture and a project made
 * from the shipped migrations 0001–0005: every existing row is fully indexed, the column refuses other values, and the
 * partial indexes are the ones the queries use.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadMigrations } from '../../electron/core/project/migrate.js';
import { ProjectStore } from '../../electron/core/project/store.js';

const FIXTURE = path.resolve(__dirname, '../fixtures/db/v1.sightline');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-mig6-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const plan = (db: Database.Database, sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join('; ');

describe('0006_two_phase', () => {
  it('is the sixth migration file', () => {
    expect(loadMigrations()[5]).toMatchObject({ version: 6, name: 'two_phase' });
  });

  it('upgrades a v1 project keeping every row, each fully indexed', () => {
    const file = path.join(dir, 'p.sightline');
    copyFileSync(FIXTURE, file);
    const v1 = new Database(file, { readonly: true });
    const images = v1.prepare('SELECT * FROM images ORDER BY id').all() as Record<string, unknown>[];
    v1.close();
    expect(images.length).toBeGreaterThan(0);
    const store = ProjectStore.open(file, { migrations: loadMigrations().slice(0, 6) });
    try {
      expect(store.schemaVersion).toBe(6);
      const after = store.db.prepare('SELECT * FROM images ORDER BY id').all() as Record<string, unknown>[];
      expect(after.map(({ indexed, file_id: _f, ...rest }) => ({ ...rest, indexed }))).toEqual(images.map((r) => ({ ...r, indexed: 2 })));
      expect(store.summary().pendingIndex).toBe(0);
      expect(store.images.get(Number(images[0].id)).indexed).toBe(2);
      expect(() => store.db.prepare('UPDATE images SET indexed = 3').run()).toThrow(/CHECK/);
      expect(() => store.db.prepare('UPDATE images SET indexed = NULL').run()).toThrow(/NOT NULL/);
    } finally {
      store.close();
    }
  });

  it('applies to a project made by the shipped migrations 0001–0005; pending rows and missing hashes are found by their partial indexes', () => {
    const file = path.join(dir, 'v5.sightline');
    const v5 = ProjectStore.open(file, { create: true, migrations: loadMigrations().slice(0, 5) });
    const root = Number(v5.db.prepare('INSERT INTO image_roots (path, added_at) VALUES (?, 0)').run(dir).lastInsertRowid);
    const insert = v5.db.prepare(
      `INSERT INTO images (root_id, rel_path, width, height, format, byte_size, mtime_ms, content_hash, added_at, missing)
       VALUES (?, ?, 10, 10, 'png', 1, 0, ?, 0, ?)`,
    );
    insert.run(root, 'a.png', 'a'.repeat(64), 0);
    insert.run(root, 'b.png', 'b'.repeat(64), 1);
    expect(v5.schemaVersion).toBe(5);
    v5.close();

    const store = ProjectStore.open(file);
    try {
      expect(store.schemaVersion).toBe(loadMigrations().length);
      expect(store.backupFile).toMatch(/\.v5-.*\.bak$/);
      expect(store.db.prepare('SELECT rel_path, indexed FROM images ORDER BY rel_path').all()).toEqual([
        { rel_path: 'a.png', indexed: 2 },
        { rel_path: 'b.png', indexed: 2 },
      ]);
      // A listed row as phase 1 writes it.
      store.db
        .prepare(`INSERT INTO images (root_id, rel_path, width, height, format, byte_size, mtime_ms, content_hash, added_at, indexed) VALUES (?, 'c.png', 0, 0, 'png', 5, 0, '', 0, 0)`)
        .run(root);
      expect(store.summary()).toMatchObject({ images: 3, missingImages: 1, pendingIndex: 1 });
      expect(plan(store.db, 'SELECT id FROM images WHERE indexed < 2 ORDER BY root_id, rel_path')).toMatch(/images_pending/);
      expect(plan(store.db, `SELECT id FROM images WHERE missing = 1 AND content_hash = 'x' ORDER BY id`)).toMatch(/images_missing_hash/);
    } finally {
      store.close();
    }
  });

  it('a project of a later schema is refused by a Sightline that knows only 0001–0005', () => {
    const file = path.join(dir, 'new.sightline');
    ProjectStore.open(file, { create: true }).close();
    expect(() => ProjectStore.open(file, { migrations: loadMigrations().slice(0, 5) })).toThrow(/newer version of Sightline \(project schema v6; this version reads up to v5\)/);
  });
});
