/** Migration 0005 (image_errors: per-image numbers of a run's last evaluation) upgrading the committed v1 fixture. */
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
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-mig5-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('0005_image_errors', () => {
  it('is the fifth migration file', () => {
    expect(loadMigrations()[4]).toMatchObject({ version: 5, name: 'image_errors' });
  });

  it('upgrades a v1 project keeping every row; the numbers go with their run and image', () => {
    const file = path.join(dir, 'p.sightline');
    copyFileSync(FIXTURE, file);
    const v1 = new Database(file, { readonly: true });
    const predictions = v1.prepare('SELECT * FROM predictions ORDER BY id').all() as { run_id: number; image_id: number }[];
    v1.close();
    expect(predictions.length).toBeGreaterThan(0);
    const store = ProjectStore.open(file, { migrations: loadMigrations().slice(0, 5) });
    expect(store.schemaVersion).toBe(5);
    expect(store.db.prepare('SELECT * FROM predictions ORDER BY id').all()).toEqual(predictions);
    const { run_id, image_id } = predictions[0];
    store.db.prepare('INSERT INTO image_errors (run_id, image_id, errors) VALUES (?, ?, 3)').run(run_id, image_id);
    expect(() => store.db.prepare('INSERT INTO image_errors (run_id, image_id, errors) VALUES (?, ?, 1)').run(run_id, image_id)).toThrow(/UNIQUE|PRIMARY/);
    store.db.prepare('DELETE FROM model_runs WHERE id = ?').run(run_id);
    expect(store.db.prepare('SELECT count(*) FROM image_errors').pluck().get()).toBe(0); // gone with its run
    store.close();
  });
});
