/**
 * The project file's own code: opening and creating it, the migration runner, and the image queries the grid and
 * the viewer page through. Each test works on a project created from the shipped migrations in a temp folder.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ImageFilter, ImageSort } from '../../../common/api/contract.js';
import { assertNotNewer, defaultMigrationsDir, latestVersion, loadMigrations, migrate, type Migration } from './migrate.js';
import { APPLICATION_ID, ProjectStore } from './store.js';
import { thrownApiError } from '../../../test/expect-api-error.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-store-'));
});
afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

describe('ProjectStore.open', () => {
  it('creates a project named after its file, marked as ours, and reopens it without a backup', () => {
    const file = path.join(dir, 'Cats.Sightline');
    const store = ProjectStore.open(file, { create: true });
    expect(store.file).toBe(file);
    expect(store.name).toBe('Cats');
    expect(store.db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(store.db.pragma('busy_timeout', { simple: true })).toBe(5000);
    const created = Number(store.db.prepare(`SELECT value FROM project_meta WHERE key = 'created_at'`).pluck().get());
    expect(Math.abs(created - Date.now())).toBeLessThan(60_000);
    store.close();
    store.close(); // a second close is harmless
    const again = ProjectStore.open(path.relative(process.cwd(), file));
    expect(again.file).toBe(file);
    expect(again.backupFile).toBeNull();
    expect(again.name).toBe('Cats');
    again.close();
    expect(readdirSync(dir)).toEqual(['Cats.Sightline']);
  });

  it('creates the project file readable by its owner only, and names it without only its last .sightline', () => {
    const file = path.join(dir, 'my.sightline-data.sightline');
    const store = ProjectStore.open(file, { create: true });
    expect(store.name).toBe('my.sightline-data');
    store.db.prepare(`DELETE FROM project_meta WHERE key = 'name'`).run();
    expect(store.name).toBe('my.sightline-data');
    store.close();
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses with the file named in the details', () => {
    const missing = path.join(dir, 'nope.sightline');
    expect(thrownApiError(() => ProjectStore.open(missing)).details).toEqual({ file: missing });
    expect(thrownApiError(() => ProjectStore.open(dir)).details).toEqual({ file: dir });
    const text = path.join(dir, 'notes.sightline');
    writeFileSync(text, 'not a database, just text');
    expect(thrownApiError(() => ProjectStore.open(text)).details).toEqual({ file: text });
    const empty = path.join(dir, 'empty.sightline');
    writeFileSync(empty, '');
    expect(thrownApiError(() => ProjectStore.open(empty)).details).toEqual({ file: empty });
    const orphan = path.join(dir, 'no', 'p.sightline');
    expect(thrownApiError(() => ProjectStore.open(orphan, { create: true })).details).toEqual({ file: orphan });
    const other = path.join(dir, 'other.db');
    const db = new Database(other);
    db.exec('CREATE TABLE t (x)');
    db.close();
    expect(thrownApiError(() => ProjectStore.open(other)).details).toEqual({ file: other });
  });

  it('names a project without a name row after its file', () => {
    const store = ProjectStore.open(path.join(dir, 'dogs.sightline'), { create: true });
    store.db.prepare(`DELETE FROM project_meta WHERE key = 'name'`).run();
    expect(store.name).toBe('dogs');
    store.db.prepare(`INSERT INTO project_meta (key, value) VALUES ('name', 'Renamed')`).run();
    expect(store.name).toBe('Renamed');
    store.close();
  });

  it('leaves a project one file when closed (the WAL is folded back)', () => {
    const file = path.join(dir, 'p.sightline');
    const store = ProjectStore.open(file, { create: true });
    store.db.prepare(`INSERT INTO project_meta (key, value) VALUES ('k', ?)`).run('x'.repeat(100_000));
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(0);
    store.close();
    expect(existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0).toBe(0);
  });

  it('turns an empty file into a project when asked to create, and refuses it otherwise', () => {
    const file = path.join(dir, 'empty.sightline');
    writeFileSync(file, '');
    expect(thrownApiError(() => ProjectStore.open(file)).code).toBe('invalid_file');
    const store = ProjectStore.open(file, { create: true });
    expect(store.schemaVersion).toBe(latestVersion(loadMigrations()));
    store.close();
  });

  it('refuses to create a project in a folder that does not exist, naming both', () => {
    const file = path.join(dir, 'nope', 'p.sightline');
    const e = thrownApiError(() => ProjectStore.open(file, { create: true }));
    expect(e.code).toBe('not_found');
    expect(e.message).toBe(`Cannot create project ${file}: folder ${path.join(dir, 'nope')} does not exist.`);
    expect(existsSync(path.join(dir, 'nope'))).toBe(false);
  });

  it("refuses another app's SQLite file by its header, even an empty one with a user_version", () => {
    const other = path.join(dir, 'other.db');
    const db = new Database(other);
    db.pragma('user_version = 3');
    db.close();
    expect(thrownApiError(() => ProjectStore.open(other)).message).toMatch(/is an SQLite database of another application/);
    // Another application's mark on an otherwise empty one-page file.
    const marked = path.join(dir, 'marked.db');
    const m = new Database(marked);
    m.pragma('journal_mode = DELETE');
    m.pragma('application_id = 1234');
    m.close();
    expect(statSync(marked).size).toBe(4096);
    expect(thrownApiError(() => ProjectStore.open(marked)).message).toMatch(/marked\.db is an SQLite database of another application/);
    // A one-page SQLite file with neither mark nor version is what a fresh `new Database()` leaves: it is taken.
    const blank = path.join(dir, 'blank.sightline');
    const b = new Database(blank);
    b.pragma('journal_mode = DELETE');
    b.exec('VACUUM');
    b.close();
    expect(statSync(blank).size).toBe(4096);
    const store = ProjectStore.open(blank);
    expect(store.schemaVersion).toBe(latestVersion(loadMigrations()));
    expect(store.db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    store.close();
  });

  it('opens read-only without migrating or marking the file', () => {
    const file = path.join(dir, 'old.sightline');
    const v1 = loadMigrations().slice(0, 1);
    ProjectStore.open(file, { create: true, migrations: v1 }).close();
    const ro = ProjectStore.open(file, { readonly: true });
    expect(ro.schemaVersion).toBe(1);
    expect(ro.backupFile).toBeNull();
    expect(() => ro.db.prepare(`INSERT INTO project_meta (key, value) VALUES ('x', 'y')`).run()).toThrow(/readonly/);
    ro.close();
    expect(readdirSync(dir).filter((f) => f.endsWith('.bak'))).toEqual([]);
  });

  it('backs an older project up as name.sightline.v<from>-<time>.bak before upgrading it', () => {
    const file = path.join(dir, 'old.sightline');
    const all = loadMigrations();
    if (all.length < 2) return; // nothing to upgrade to yet
    ProjectStore.open(file, { create: true, migrations: all.slice(0, 1) }).close();
    const store = ProjectStore.open(file);
    expect(store.schemaVersion).toBe(all.length);
    expect(path.basename(store.backupFile!)).toMatch(/^old\.sightline\.v1-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z\.bak$/);
    const backup = new Database(store.backupFile!, { readonly: true });
    expect(backup.pragma('user_version', { simple: true })).toBe(1);
    backup.close();
    store.close();
  });

  it('summarises counts, missing images and whether each root folder is there', () => {
    const store = ProjectStore.open(path.join(dir, 'p.sightline'), { create: true });
    const photos = path.join(dir, 'photos');
    mkdirSync(photos);
    const db = store.db;
    const root = (p: string) => Number(db.prepare('INSERT INTO image_roots (path, added_at) VALUES (?, 0)').run(p).lastInsertRowid);
    const here = root(photos);
    const gone = root(path.join(dir, 'gone'));
    const file = root(path.join(dir, 'p.sightline')); // a file is not a folder
    const image = db.prepare(
      `INSERT INTO images (root_id, rel_path, width, height, format, byte_size, mtime_ms, content_hash, added_at, missing) VALUES (?, ?, 1, 1, 'png', 1, 0, 'h', 0, ?)`,
    );
    image.run(here, 'a.png', 0);
    image.run(here, 'b.png', 1);
    image.run(gone, 'c.png', 1);
    store.classes.upsert({ name: 'cat' });
    expect(store.summary()).toEqual({
      path: store.file,
      name: 'p',
      schemaVersion: store.schemaVersion,
      images: 3,
      missingImages: 2,
      pendingIndex: 0,
      annotations: 0,
      classes: 1,
      runs: 0,
      roots: [
        { id: here, path: photos, images: 2, available: true },
        { id: gone, path: path.join(dir, 'gone'), images: 1, available: false },
        { id: file, path: path.join(dir, 'p.sightline'), images: 0, available: false },
      ],
    });
    store.close();
  });
});

describe('the migration runner', () => {
  const m = (version: number, name: string, sql: string): Migration => ({ version, name, sql });

  it('loads the repo migrations, or those of SIGHTLINE_MIGRATIONS_DIR, in order, ignoring other files', () => {
    expect(defaultMigrationsDir()).toBe(path.resolve(__dirname, '../../../migrations'));
    const mdir = path.join(dir, 'migrations');
    mkdirSync(mdir);
    writeFileSync(path.join(mdir, '0002_second_one.sql'), 'CREATE TABLE b (x);');
    writeFileSync(path.join(mdir, '0001_init.sql'), 'CREATE TABLE a (x);');
    writeFileSync(path.join(mdir, 'README.md'), 'not a migration');
    vi.stubEnv('SIGHTLINE_MIGRATIONS_DIR', mdir);
    expect(defaultMigrationsDir()).toBe(mdir);
    expect(loadMigrations()).toEqual([m(1, 'init', 'CREATE TABLE a (x);'), m(2, 'second_one', 'CREATE TABLE b (x);')]);
    expect(latestVersion(loadMigrations())).toBe(2);
  });

  it('refuses a file not named NNNN_name.sql, and a folder not starting at 0001', () => {
    const mdir = path.join(dir, 'migrations');
    mkdirSync(mdir);
    writeFileSync(path.join(mdir, '0001_Init.sql'), '');
    expect(() => loadMigrations(mdir)).toThrow(`Migration file ${path.join(mdir, '0001_Init.sql')} is not named NNNN_name.sql`);
    rmSync(path.join(mdir, '0001_Init.sql'));
    writeFileSync(path.join(mdir, '0002_b.sql'), '');
    expect(() => loadMigrations(mdir)).toThrow(`Migrations in ${mdir} are not numbered without gaps: expected 0001, found 0002_b.sql`);
  });

  it('applies only pending files, backs up only a project that had a schema, and records the version', () => {
    const db = new Database(':memory:');
    const backup = vi.fn();
    const list = [m(1, 'a', 'CREATE TABLE a (x);'), m(2, 'b', 'CREATE TABLE b (x);'), m(3, 'c', 'CREATE TABLE c (x);')];
    expect(migrate(db, 'mem', list.slice(0, 1), backup)).toEqual({ from: 0, to: 1 });
    expect(backup).not.toHaveBeenCalled();
    expect(migrate(db, 'mem', list, backup)).toEqual({ from: 1, to: 3 });
    expect(backup).toHaveBeenCalledExactlyOnceWith(1);
    expect(db.pragma('user_version', { simple: true })).toBe(3);
    expect(migrate(db, 'mem', list, backup)).toEqual({ from: 3, to: 3 });
    expect(backup).toHaveBeenCalledTimes(1);
    expect(migrate(db, 'mem', list)).toEqual({ from: 3, to: 3 });
    db.close();
  });

  it('rolls a failing upgrade back, naming the file and the project', () => {
    const db = new Database(':memory:');
    const list = [m(1, 'a', 'CREATE TABLE a (x);'), m(2, 'b', 'CREATE TABLE b (x);'), m(12, 'bad_one', 'CREATE TABLE nope (')];
    expect(() => migrate(db, '/p/x.sightline', list)).toThrow(/^Migration 0012_bad_one\.sql failed on \/p\/x\.sightline: /);
    expect(db.pragma('user_version', { simple: true })).toBe(0);
    expect(db.prepare(`SELECT count(*) FROM sqlite_schema`).pluck().get()).toBe(0);
    db.close();
  });

  it('refuses a newer project with what to do, and takes an equal one', () => {
    expect(() => assertNotNewer('f', 2, 2)).not.toThrow();
    expect(() => assertNotNewer('f', 1, 2)).not.toThrow();
    const e = thrownApiError(() => assertNotNewer('/p/f.sightline', 3, 2));
    expect(e.code).toBe('newer_version');
    expect(e.message).toBe(
      '/p/f.sightline was written by a newer version of Sightline (project schema v3; this version reads up to v2). Update Sightline to open it. The file was not changed.',
    );
    expect(e.details).toEqual({ file: '/p/f.sightline', version: 3, latest: 2 });
    const db = new Database(':memory:');
    db.pragma('user_version = 5');
    expect(() => migrate(db, 'f', [m(1, 'a', 'CREATE TABLE a (x);')])).toThrow(/newer version/);
    db.close();
  });
});

describe('ImagesRepo', () => {
  let store: ProjectStore;
  /** id → [root, rel_path, status, missing, annotations, byte_size, mtime] */
  const rows: Record<number, [number, string, string, number, number, number, number]> = {
    1: [1, 'b/cat.png', 'done', 0, 2, 300, 30],
    2: [1, 'a_1.png', 'new', 0, 0, 100, 50],
    3: [1, 'a%1.png', 'review', 1, 1, 200, 10],
    4: [2, 'Z.png', 'new', 0, 0, 100, 40],
    5: [1, 'c\\x.png', 'rejected', 0, 0, 500, 20],
  };
  beforeEach(() => {
    store = ProjectStore.open(path.join(dir, 'p.sightline'), { create: true });
    const db = store.db;
    db.prepare(`INSERT INTO image_roots (id, path, added_at) VALUES (1, '/r1', 0), (2, '/r2', 0)`).run();
    const insert = db.prepare(
      `INSERT INTO images (id, root_id, rel_path, width, height, orientation, format, byte_size, mtime_ms, content_hash, status, missing, added_at)
       VALUES (?, ?, ?, 4, 3, 6, 'jpeg', ?, ?, ?, ?, ?, ?)`,
    );
    const ann = db.prepare(`INSERT INTO annotations (id, image_id, kind, geometry, created_at, updated_at) VALUES (?, ?, 'tag', '{"type":"tag"}', 0, 0)`);
    let annId = 100;
    for (const [id, [root, rel, status, missing, anns, size, mtime]] of Object.entries(rows)) {
      insert.run(Number(id), root, rel, size, mtime, `h${id}`, status, missing, 1000 + Number(id));
      for (let k = 0; k < anns; k++) ann.run(annId++, Number(id));
    }
  });
  afterEach(() => store.close());

  const ids = (filter: ImageFilter = {}, sort: ImageSort = { by: 'path', dir: 'asc' }, offset = 0, limit = 100) =>
    store.images.list({ offset, limit, filter, sort }).items.map((i) => i.id);

  it('maps every column of a row', () => {
    expect(store.images.get(3)).toEqual({
      id: 3,
      rootId: 1,
      relPath: 'a%1.png',
      width: 4,
      height: 3,
      orientation: 6,
      format: 'jpeg',
      byteSize: 200,
      mtimeMs: 10,
      contentHash: 'h3',
      status: 'review',
      missing: true,
      annotationCount: 1,
      addedAt: 1003,
      indexed: 2,
    });
    expect(store.images.get(2).missing).toBe(false);
    const e = thrownApiError(() => store.images.get(99));
    expect([e.code, e.message]).toEqual(['not_found', 'Image 99 is not in this project.']);
  });

  it('sorts by each key both ways, ties broken by a unique column', () => {
    expect(ids()).toEqual([3, 2, 1, 5, 4]);
    expect(ids({}, { by: 'path', dir: 'desc' })).toEqual([4, 5, 1, 2, 3]);
    expect(ids({}, { by: 'mtime', dir: 'asc' })).toEqual([3, 5, 1, 4, 2]);
    expect(ids({}, { by: 'size', dir: 'asc' })).toEqual([2, 4, 3, 1, 5]);
    expect(ids({}, { by: 'size', dir: 'desc' })).toEqual([5, 1, 3, 4, 2]);
    expect(ids({}, { by: 'added', dir: 'desc' })).toEqual([5, 4, 3, 2, 1]);
    expect(ids({}, { by: 'status', dir: 'asc' })).toEqual([1, 2, 4, 5, 3]);
  });

  it('filters by status, text (wildcards taken literally), missing, labeled and root, together', () => {
    expect(ids({ status: ['new'] })).toEqual([2, 4]);
    expect(ids({ status: ['new', 'review'] })).toEqual([3, 2, 4]);
    expect(ids({ status: [] })).toEqual([3, 2, 1, 5, 4]);
    expect(ids({ text: 'CAT' })).toEqual([1]);
    expect(ids({ text: '%' })).toEqual([3]);
    expect(ids({ text: '_' })).toEqual([2]);
    expect(ids({ text: '\\' })).toEqual([5]);
    expect(ids({ text: '' })).toEqual([3, 2, 1, 5, 4]);
    expect(ids({ missing: true })).toEqual([3]);
    expect(ids({ missing: false })).toEqual([2, 1, 5, 4]);
    expect(ids({ labeled: true })).toEqual([3, 1]);
    expect(ids({ labeled: false })).toEqual([2, 5, 4]);
    expect(ids({ rootId: 2 })).toEqual([4]);
    expect(ids({ status: ['new'], rootId: 1, labeled: false, missing: false, text: 'a' })).toEqual([2]);
  });

  it('pages with a total that counts the whole filtered list', () => {
    expect(store.images.list({ offset: 1, limit: 2, filter: {}, sort: { by: 'path', dir: 'asc' } })).toMatchObject({ total: 5, offset: 1 });
    expect(ids({}, { by: 'path', dir: 'asc' }, 1, 2)).toEqual([2, 1]);
    expect(store.images.list({ offset: 0, limit: 1, filter: { status: ['new'] }, sort: { by: 'path', dir: 'asc' } }).total).toBe(2);
  });

  it('finds neighbours, index and total in the same order and filter as the list', () => {
    const asc: ImageSort = { by: 'path', dir: 'asc' };
    expect(store.images.neighbors(3, {}, asc)).toEqual({ prev: null, next: 2, index: 0, total: 5 });
    expect(store.images.neighbors(1, {}, asc)).toEqual({ prev: 2, next: 5, index: 2, total: 5 });
    expect(store.images.neighbors(4, {}, asc)).toEqual({ prev: 5, next: null, index: 4, total: 5 });
    expect(store.images.neighbors(1, {}, { by: 'path', dir: 'desc' })).toEqual({ prev: 5, next: 2, index: 2, total: 5 });
    expect(store.images.neighbors(4, { status: ['new'] }, asc)).toEqual({ prev: 2, next: null, index: 1, total: 2 });
    // Ties on the sort key (two 100-byte files) still give one order: by id.
    expect(store.images.neighbors(2, {}, { by: 'size', dir: 'asc' })).toEqual({ prev: null, next: 4, index: 0, total: 5 });
    expect(store.images.neighbors(4, {}, { by: 'size', dir: 'asc' })).toEqual({ prev: 2, next: 3, index: 1, total: 5 });
    expect(store.images.neighbors(4, {}, { by: 'size', dir: 'desc' })).toEqual({ prev: 3, next: 2, index: 3, total: 5 });
    const e = thrownApiError(() => store.images.neighbors(99, {}, asc));
    expect([e.code, e.message]).toEqual(['not_found', 'Image 99 is not in this project.']);
  });

  it('sets review status on the ids that exist and counts them', () => {
    expect(store.images.setStatus([1, 2, 99], 'in_progress')).toBe(2);
    expect(ids({ status: ['in_progress'] })).toEqual([2, 1]);
    expect(store.images.setStatus([], 'done')).toBe(0);
  });
});
