/**
 * Migration 0003 (which file on disk an image row is: images.file_id, image_roots.follow_links) upgrading the
 * committed v1 fixture, and a rescan filling file_id into rows scanned before it without reading them again.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importFolder, rescanProject } from '../../electron/core/library/scan.js';
import { loadMigrations } from '../../electron/core/project/migrate.js';
import { ProjectStore } from '../../electron/core/project/store.js';

const FIXTURE = path.resolve(__dirname, '../fixtures/db/v1.sightline');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-mig3-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('0003_file_identity', () => {
  it('is the third migration file', () => {
    expect(loadMigrations()[2]).toMatchObject({ version: 3, name: 'file_identity' });
  });

  it('upgrades a v1 project keeping every row, with no file identity yet and links not followed', () => {
    const file = path.join(dir, 'p.sightline');
    copyFileSync(FIXTURE, file);
    const v1 = new Database(FIXTURE, { readonly: true });
    const images = v1.prepare('SELECT * FROM images ORDER BY id').all() as Record<string, unknown>[];
    const roots = v1.prepare('SELECT * FROM image_roots ORDER BY id').all() as Record<string, unknown>[];
    v1.close();
    const store = ProjectStore.open(file, { migrations: loadMigrations().slice(0, 3) });
    expect(store.schemaVersion).toBe(3);
    expect(store.db.prepare('SELECT * FROM images ORDER BY id').all()).toEqual(images.map((r) => ({ ...r, file_id: null })));
    expect(store.db.prepare('SELECT * FROM image_roots ORDER BY id').all()).toEqual(roots.map((r) => ({ ...r, follow_links: 0 })));
    expect(() => store.db.prepare('UPDATE image_roots SET follow_links = 2').run()).toThrow(/CHECK/);
    store.close();
  });

  it('gets file_id filled in by the next rescan without the file being read or counted as changed', async () => {
    const photos = path.join(dir, 'photos');
    mkdirSync(photos);
    await sharp({ create: { width: 4, height: 4, channels: 3, background: '#abcdef' } }).png().toFile(path.join(photos, 'a.png'));
    const store = ProjectStore.open(path.join(dir, 'q.sightline'), { create: true });
    await importFolder(store.db, photos);
    const st = statSync(path.join(photos, 'a.png'), { bigint: true });
    expect(store.db.prepare('SELECT file_id FROM images').pluck().get()).toBe(`${st.dev}:${st.ino}`);
    store.db.prepare('UPDATE images SET file_id = NULL').run(); // as a row from before schema v3
    expect(await rescanProject(store.db)).toMatchObject({ unchanged: 1, updated: 0 });
    expect(store.db.prepare('SELECT file_id FROM images').pluck().get()).toBe(`${st.dev}:${st.ino}`);
    store.close();
  });
});
