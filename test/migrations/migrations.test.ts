import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProjectStore } from '../../electron/core/project/store.js';
import { loadMigrations, type Migration } from '../../electron/core/project/migrate.js';
import { ApiError } from '../../common/api/contract.js';

const FIXTURE = path.resolve(__dirname, '../fixtures/db/v1.sightline');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-mig-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

function expectApiError(fn: () => unknown, code: string, text: RegExp) {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).code).toBe(code);
    expect((e as ApiError).message).toMatch(text);
    return;
  }
  throw new Error('expected an ApiError');
}

describe('migration files', () => {
  it('are numbered from 0001 without gaps and the runner reaches the latest', () => {
    const ms = loadMigrations();
    expect(ms.length).toBeGreaterThanOrEqual(1);
    ms.forEach((m, i) => expect(m.version).toBe(i + 1));
  });

  it('a gap in the numbering is refused, naming the folder', () => {
    const mdir = path.join(dir, 'migrations');
    mkdirSync(mdir);
    writeFileSync(path.join(mdir, '0001_init.sql'), 'CREATE TABLE a (x);');
    writeFileSync(path.join(mdir, '0003_more.sql'), 'CREATE TABLE b (x);');
    expect(() => loadMigrations(mdir)).toThrow(/not numbered without gaps: expected 0002, found 0003_more\.sql/);
  });
});

describe('upgrading the v1 fixture', () => {
  it('opens with the current code and keeps every row', () => {
    const file = path.join(dir, 'p.sightline');
    copyFileSync(FIXTURE, file);
    const store = ProjectStore.open(file);
    expect(store.schemaVersion).toBe(loadMigrations().length);
    const s = store.summary();
    expect(s).toMatchObject({ images: 2, annotations: 2, classes: 2, runs: 1 });
    const anns = store.annotations.listForImage(2);
    expect(anns[0].geometry).toEqual({ type: 'mask', width: 4, height: 2, counts: [3, 2, 3] });
    expect(store.annotations.listForImage(1)[0]).toMatchObject({ origin: 'model', derivedFrom: 1 });
    store.close();
  });

  it('applies a pending migration in one transaction after backing the file up', () => {
    const file = path.join(dir, 'p.sightline');
    copyFileSync(FIXTURE, file);
    const next: Migration = { version: 2, name: 'review_note', sql: `ALTER TABLE images ADD COLUMN review_note TEXT NOT NULL DEFAULT '';` };
    const store = ProjectStore.open(file, { migrations: [...loadMigrations().slice(0, 1), next] });
    expect(store.schemaVersion).toBe(2);
    expect(store.db.prepare('SELECT review_note FROM images WHERE id = 1').pluck().get()).toBe('');
    expect(store.backupFile).toMatch(/\.v1-.*\.bak$/);
    const backup = new Database(store.backupFile!, { readonly: true });
    expect(backup.pragma('user_version', { simple: true })).toBe(1);
    expect(backup.prepare('SELECT count(*) FROM annotations').pluck().get()).toBe(2);
    backup.close();
    store.close();
  });

  it('rolls a failing migration back completely and names it', () => {
    const file = path.join(dir, 'p.sightline');
    copyFileSync(FIXTURE, file);
    const bad: Migration[] = [
      ...loadMigrations().slice(0, 1),
      { version: 2, name: 'ok_part', sql: 'CREATE TABLE extra (x INTEGER);' },
      { version: 3, name: 'broken', sql: 'ALTER TABLE no_such_table ADD COLUMN y;' },
    ];
    expect(() => ProjectStore.open(file, { migrations: bad })).toThrow(/0003_broken\.sql failed/);
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(db.prepare(`SELECT count(*) FROM sqlite_schema WHERE name = 'extra'`).pluck().get()).toBe(0);
    db.close();
  });
});

describe('refusals leave the file unchanged', () => {
  it('a project from a newer Sightline', () => {
    const file = path.join(dir, 'new.sightline');
    copyFileSync(FIXTURE, file);
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    const before = sha(file);
    expectApiError(() => ProjectStore.open(file), 'newer_version', /newer version of Sightline \(project schema v99; this version reads up to v\d+\)\. Update Sightline/);
    expect(sha(file)).toBe(before);
    expect(readdirSync(dir)).toEqual(['new.sightline']);
  });

  it('a file that is not SQLite', () => {
    const file = path.join(dir, 'notes.sightline');
    writeFileSync(file, 'just some text, long enough to have a header');
    const before = sha(file);
    expectApiError(() => ProjectStore.open(file), 'invalid_file', /notes\.sightline is not a Sightline project \(it is not an SQLite database\)/);
    expect(sha(file)).toBe(before);
  });

  it("another application's SQLite database", () => {
    const file = path.join(dir, 'other.db');
    const db = new Database(file);
    db.exec('CREATE TABLE contacts (name TEXT)');
    db.close();
    const before = sha(file);
    expectApiError(() => ProjectStore.open(file), 'invalid_file', /other\.db is an SQLite database of another application/);
    expect(sha(file)).toBe(before);
  });

  it('a missing file, an empty file and a folder', () => {
    expectApiError(() => ProjectStore.open(path.join(dir, 'nope.sightline')), 'not_found', /nope\.sightline does not exist/);
    writeFileSync(path.join(dir, 'empty.sightline'), '');
    expectApiError(() => ProjectStore.open(path.join(dir, 'empty.sightline')), 'invalid_file', /empty \(0 bytes\)/);
    expectApiError(() => ProjectStore.open(dir), 'invalid_file', /is a folder, not a project file/);
    expect(existsSync(path.join(dir, 'nope.sightline'))).toBe(false);
  });
});

describe('a new project', () => {
  it('is WAL with foreign keys, marked as ours, at the latest schema', () => {
    const file = path.join(dir, 'fresh.sightline');
    const store = ProjectStore.open(file, { create: true });
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.schemaVersion).toBe(loadMigrations().length);
    expect(store.backupFile).toBeNull();
    expect(store.name).toBe('fresh');
    store.close();
    const again = ProjectStore.open(file);
    expect(again.summary()).toMatchObject({ images: 0, annotations: 0, name: 'fresh' });
    again.close();
  });
});

describe('per-image annotation counts kept by triggers', () => {
  it('follow inserts, deletes, moves and cascades', () => {
    const file = path.join(dir, 'p.sightline');
    copyFileSync(FIXTURE, file);
    const store = ProjectStore.open(file);
    const counts = () => store.db.prepare('SELECT id, annotation_count FROM images ORDER BY id').all();
    expect(counts()).toEqual([
      { id: 1, annotation_count: 1 },
      { id: 2, annotation_count: 1 },
    ]);
    const { created } = store.annotations.batch({
      create: [{ imageId: 1, classId: null, kind: 'tag', geometry: { type: 'tag' }, attributes: {}, origin: 'manual', derivedFrom: null }],
      update: [],
      delete: [],
    });
    expect(store.images.get(1).annotationCount).toBe(2);
    store.db.prepare('UPDATE annotations SET image_id = 2 WHERE id = ?').run(created[0].id);
    expect(counts()).toEqual([
      { id: 1, annotation_count: 1 },
      { id: 2, annotation_count: 2 },
    ]);
    store.annotations.batch({ create: [], update: [], delete: [created[0].id] });
    expect(store.images.get(2).annotationCount).toBe(1);
    expect(store.images.list({ offset: 0, limit: 10, filter: { labeled: false }, sort: { by: 'path', dir: 'asc' } }).total).toBe(0);
    store.annotations.batch({ create: [], update: [], delete: store.annotations.listForImage(1).map((a) => a.id) });
    expect(store.images.list({ offset: 0, limit: 10, filter: { labeled: false }, sort: { by: 'path', dir: 'asc' } }).items.map((i) => i.id)).toEqual([1]);
    store.close();
  });
});

describe('the schema that ships (a project created from migrations/, not the prebuilt fixture)', () => {
  /** Two images under one root, written as the scan writes them. */
  function freshProject(): ProjectStore {
    const store = ProjectStore.open(path.join(dir, 'fresh.sightline'), { create: true });
    const root = Number(store.db.prepare('INSERT INTO image_roots (path, added_at) VALUES (?, 0)').run(dir).lastInsertRowid);
    const insert = store.db.prepare(
      `INSERT INTO images (id, root_id, rel_path, width, height, format, byte_size, mtime_ms, content_hash, added_at)
       VALUES (?, ?, ?, 10, 10, 'png', 1, 0, ?, 0)`,
    );
    insert.run(1, root, 'a.png', 'a'.repeat(64));
    insert.run(2, root, 'b.png', 'b'.repeat(64));
    return store;
  }
  const tag = (imageId: number) => ({ imageId, classId: null, kind: 'tag' as const, geometry: { type: 'tag' as const }, attributes: {}, origin: 'manual' as const, derivedFrom: null });
  const unlabeled = (store: ProjectStore) =>
    store.images.list({ offset: 0, limit: 10, filter: { labeled: false }, sort: { by: 'path', dir: 'asc' } }).items.map((i) => i.id);

  it('keeps annotation_count through inserts, deletes (one and many), moves and cascades', () => {
    const store = freshProject();
    try {
      const counts = () => store.db.prepare('SELECT annotation_count FROM images ORDER BY id').pluck().all();
      const { created } = store.annotations.batch({ create: [tag(1), tag(1), tag(1), tag(2)], update: [], delete: [] });
      expect(counts()).toEqual([3, 1]);
      expect(unlabeled(store)).toEqual([]);

      // A delete must take the count down: the grid's badge and the labeled filter read only this column.
      expect(store.annotations.batch({ create: [], update: [], delete: [created[0].id] }).deleted).toBe(1);
      expect(counts()).toEqual([2, 1]);
      expect(store.images.get(1).annotationCount).toBe(2);
      store.annotations.batch({ create: [], update: [], delete: [created[3].id] });
      expect(counts()).toEqual([2, 0]);
      expect(unlabeled(store)).toEqual([2]);

      store.db.prepare('UPDATE annotations SET image_id = 2 WHERE id = ?').run(created[1].id);
      expect(counts()).toEqual([1, 1]);
      // Deleting what is already gone changes nothing.
      expect(store.annotations.batch({ create: [], update: [], delete: [created[0].id, created[2].id] }).deleted).toBe(1);
      expect(counts()).toEqual([0, 1]);
      expect(unlabeled(store)).toEqual([1]);

      // The count equals a real count after all of that, and a deleted image takes its annotations with it.
      const real = store.db.prepare('SELECT i.annotation_count AS kept, (SELECT count(*) FROM annotations a WHERE a.image_id = i.id) AS n FROM images i').all() as { kept: number; n: number }[];
      for (const r of real) expect(r.kept).toBe(r.n);
      store.db.prepare('DELETE FROM images WHERE id = 2').run();
      expect(store.db.prepare('SELECT count(*) FROM annotations').pluck().get()).toBe(0);
    } finally {
      store.close();
    }
  });

  it('is, for version 1, exactly the schema baked into the v1 fixture: a landed migration file is never edited', () => {
    // The fixture was made from 0001_init.sql when it landed. Any later edit to that file (a trigger, an index, a
    // CHECK) would reach new projects only, and the old projects the fixture stands for would silently differ.
    const schema = (db: Database.Database) => db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name').all();
    const fresh = new Database(':memory:');
    fresh.exec(loadMigrations()[0].sql);
    // A copy: even a read-only connection leaves -wal and -shm files beside a WAL database.
    const copy = path.join(dir, 'v1.sightline');
    copyFileSync(FIXTURE, copy);
    const fixture = new Database(copy, { readonly: true });
    try {
      expect(schema(fresh)).toEqual(schema(fixture));
    } finally {
      fresh.close();
      fixture.close();
    }
  });
});
