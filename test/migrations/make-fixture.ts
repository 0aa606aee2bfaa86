/**
 * Writes test/fixtures/db/v1.sightline: a project at schema v1 with a few rows of every kind.
 * Committed once; later migrations must upgrade it without losing anything. Run: npx tsx test/migrations/make-fixture.ts
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProjectStore } from '../../electron/core/project/store.js';
import { loadMigrations } from '../../electron/core/project/migrate.js';
import { encodeGeometry } from '../../electron/core/project/annotations.js';

const out = process.argv[2] ? path.resolve(process.argv[2]) : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/db/v1.sightline');
rmSync(out, { force: true });
const store = ProjectStore.open(out, { create: true, migrations: loadMigrations().slice(0, 1) });
const db = store.db;
const now = 1_750_000_000_000;
db.prepare(`INSERT INTO image_roots (id, path, added_at) VALUES (1, '/data/photos', ?)`).run(now);
const img = db.prepare(
  `INSERT INTO images (root_id, rel_path, width, height, orientation, format, byte_size, mtime_ms, content_hash, status, added_at)
   VALUES (1, ?, ?, ?, ?, 'jpeg', ?, ?, ?, ?, ?)`,
);
img.run('a.jpg', 640, 480, 1, 1000, now, 'a'.repeat(64), 'done', now);
img.run('sub/b.jpg', 480, 640, 6, 2000, now, 'b'.repeat(64), 'new', now);
// Rows are written with SQL, not the repositories: those follow the latest schema, this file must stay v1.
const cls = db.prepare('INSERT INTO label_classes (name, color, hotkey, position, created_at) VALUES (?, ?, ?, ?, ?)');
const cat = { id: Number(cls.run('cat', '#4e79a7', '1', 0, now).lastInsertRowid) };
cls.run('dog', '#f28e2b', null, 1, now);
db.prepare(`INSERT INTO models (id, name, kind, file, sha256, added_at) VALUES (1, 'm', 'detector', 'm.onnx', ?, ?)`).run('c'.repeat(64), now);
db.prepare(`INSERT INTO model_runs (id, model_id, provider, status, started_at, finished_at) VALUES (1, 1, 'cpu', 'done', ?, ?)`).run(now, now);
db.prepare(`INSERT INTO predictions (id, run_id, image_id, class_id, label, kind, geometry, score) VALUES (1, 1, 1, ?, 'cat', 'box', ?, 0.9)`).run(
  cat.id,
  JSON.stringify({ type: 'box', x: 1, y: 2, w: 3, h: 4 }),
);
const ann = db.prepare(
  `INSERT INTO annotations (image_id, class_id, kind, geometry, mask, attributes, origin, derived_from, created_at, updated_at)
   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
);
const boxGeometry = encodeGeometry({ type: 'box', x: 1, y: 2, w: 3, h: 4 });
ann.run(1, cat.id, 'box', boxGeometry.json, null, '{}', 'model', 1, now, now);
const maskGeometry = encodeGeometry({ type: 'mask', width: 4, height: 2, counts: [3, 2, 3] });
ann.run(2, null, 'mask', maskGeometry.json, maskGeometry.mask, JSON.stringify({ note: 'x' }), 'manual', null, now, now);
store.close();
console.log(`wrote ${out}`);
