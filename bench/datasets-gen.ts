/**
 * The two projects of the dataset benchmark, written straight into SQLite and cached: a source of N images with 10
 * labels each (half boxes, half polygons of 6–12 points, 20 classes) for the COCO export, and a target with the same
 * image rows (same folder, same relative paths, same sizes) and classes but no labels, for importing that export.
 * The image files do not exist: a COCO export with `images: 'none'` names the originals without reading them, and
 * a COCO import matches images by path; rows are `missing = 0`, so the export does not skip them.
 */
import Database from 'better-sqlite3';
import { latestVersion, loadMigrations } from '../electron/core/project/migrate.js';
import { ProjectStore } from '../electron/core/project/store.js';
import { cached, log, prng } from './util.js';

/** Bump when the generated rows change shape, so an old cache entry is not reused. */
const GENERATOR_VERSION = 1;
export const OBJECTS_PER_IMAGE = 10;
export const CLASSES = 20;
const BATCH = 20_000; // images per transaction
const SIZES = [[1920, 1080], [1280, 720], [4032, 3024], [3024, 4032], [640, 480], [1024, 768], [2048, 1536]] as const;
const DAY = 86_400_000;
const EPOCH_2021 = Date.UTC(2021, 0, 1);
export const ROOT = '/mnt/datasets/coco-bench';

const r1 = (x: number) => Math.round(x * 10) / 10;

function box(w: number, h: number, rnd: () => number): string {
  const bw = 8 + rnd() * w * 0.3;
  const bh = 8 + rnd() * h * 0.3;
  return `{"type":"box","x":${r1(rnd() * (w - bw))},"y":${r1(rnd() * (h - bh))},"w":${r1(bw)},"h":${r1(bh)}}`;
}

/** A star-shaped polygon of 6–12 points inside the image, one decimal like a person's clicks on a zoomed image. */
function polygon(w: number, h: number, rnd: () => number): string {
  const bw = 16 + rnd() * w * 0.3;
  const bh = 16 + rnd() * h * 0.3;
  const x = rnd() * (w - bw);
  const y = rnd() * (h - bh);
  const n = 6 + ((rnd() * 7) | 0);
  const pts: number[] = [];
  for (let k = 0; k < n; k++) {
    const a = (2 * Math.PI * k) / n;
    const rr = 0.6 + rnd() * 0.4;
    pts.push(r1(x + bw / 2 + (Math.cos(a) * rr * bw) / 2), r1(y + bh / 2 + (Math.sin(a) * rr * bh) / 2));
  }
  return `{"type":"polygon","points":[${pts.join(',')}]}`;
}

function write(file: string, images: number, withLabels: boolean): void {
  ProjectStore.open(file, { create: true }).close();
  const db = new Database(file);
  // Generation only: no journal, no fsync (as bench/bigproject-gen.ts; defensive mode refuses journal_mode=OFF).
  db.unsafeMode(true);
  db.pragma('journal_mode = DELETE');
  if (db.pragma('journal_mode = OFF', { simple: true }) !== 'off') throw new Error(`Cannot turn the journal off for generating ${file}`);
  db.pragma('synchronous = OFF');
  // Same seed for both projects: the image rows (paths, sizes) come out identical; labels use their own stream.
  const rnd = prng(8);
  const labelRnd = prng(80);
  const now = Date.now();
  db.prepare(`UPDATE project_meta SET value = ? WHERE key = 'name'`).run(`Dataset benchmark: ${images} images${withLabels ? ` × ${OBJECTS_PER_IMAGE} labels` : ', no labels'}`);
  db.prepare('INSERT INTO image_roots (id, path, added_at) VALUES (1, ?, ?)').run(ROOT, EPOCH_2021);
  const insClass = db.prepare('INSERT INTO label_classes (name, color, hotkey, position, created_at) VALUES (?, ?, ?, ?, ?)');
  for (let c = 0; c < CLASSES; c++) insClass.run(`class-${c}`, `#${((c * 0x3b5f1d) & 0xffffff).toString(16).padStart(6, '0')}`, c < 9 ? String(c + 1) : null, c, now);
  const insImage = db.prepare(
    `INSERT INTO images (id, root_id, rel_path, width, height, orientation, format, byte_size, mtime_ms, content_hash, status, missing, added_at)
     VALUES (?, 1, ?, ?, ?, 1, 'jpeg', ?, ?, ?, 'new', 0, ?)`,
  );
  const insAnn = db.prepare(
    `INSERT INTO annotations (image_id, class_id, kind, geometry, attributes, origin, created_at, updated_at) VALUES (?, ?, ?, ?, '{}', 'manual', ?, ?)`,
  );
  const hex = () => ((rnd() * 2 ** 32) >>> 0).toString(16).padStart(8, '0');
  let written = 0;
  const batch = db.transaction((from: number, to: number) => {
    for (let id = from; id < to; id++) {
      // Folders of 50 frames: cam-NN/seq-NNNN/frame_NNNNN.jpg.
      const k = id - 1;
      const seq = Math.floor(k / 50);
      const rel = `cam-${String(1 + (seq % 10)).padStart(2, '0')}/seq-${String(seq).padStart(5, '0')}/frame_${String(k % 50).padStart(5, '0')}.jpg`;
      const [w, h] = SIZES[(rnd() * SIZES.length) | 0];
      const added = now - 90 * DAY + id * 5;
      insImage.run(id, rel, w, h, Math.round(40_000 * 150 ** rnd()), EPOCH_2021 + Math.floor(rnd() * 365 * DAY), hex() + hex() + hex() + hex() + hex() + hex() + hex() + hex(), added);
      if (!withLabels) continue;
      for (let n = 0; n < OBJECTS_PER_IMAGE; n++) {
        const isBox = n % 2 === 0;
        insAnn.run(id, 1 + Math.floor(CLASSES * labelRnd()), isBox ? 'box' : 'polygon', isBox ? box(w, h, labelRnd) : polygon(w, h, labelRnd), added, added);
        written++;
      }
    }
  });
  for (let from = 1; from <= images; from += BATCH) {
    batch(from, Math.min(images + 1, from + BATCH));
    const done = Math.min(images, from + BATCH - 1);
    if (((from - 1) / BATCH) % 5 === 4 || done === images) log(`datasets: ${done} images, ${written} labels written`);
  }
  db.pragma('journal_mode = WAL');
  db.unsafeMode(false);
  db.close();
}

/** The cached source (labels) and target (no labels) projects for `images` images. */
export async function datasetProjects(images: number): Promise<{ source: string; target: string; built: boolean; buildMs: number }> {
  const schema = latestVersion(loadMigrations());
  const t0 = performance.now();
  const key = (kind: string) => `datasets-g${GENERATOR_VERSION}-s${schema}-i${images}-o${OBJECTS_PER_IMAGE}-${kind}.sightline`;
  const source = await cached(key('source'), async (tmp) => {
    log(`datasets: generating the source project (${images} images × ${OBJECTS_PER_IMAGE} labels) into ${tmp} (cached for later runs)…`);
    write(tmp, images, true);
  });
  const target = await cached(key('target'), async (tmp) => {
    log(`datasets: generating the target project (${images} images, no labels) into ${tmp}…`);
    write(tmp, images, false);
  });
  return { source: source.path, target: target.path, built: source.built || target.built, buildMs: performance.now() - t0 };
}
