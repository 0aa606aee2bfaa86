/**
 * A project of 1,000,000 images and 10,000,000 annotations written straight into SQLite, cached by row counts and
 * schema version. Rows look like a real labelling project: 5 roots of year/camera/sequence folders walked in a
 * shuffled order (so path order is not rowid order), skewed statuses and classes, box and polygon geometry in pixels.
 */
import { statfsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { latestVersion, loadMigrations } from '../electron/core/project/migrate.js';
import { ProjectStore } from '../electron/core/project/store.js';
import { CACHE_DIR, cached, log, prng } from './util.js';

/** Bump when the generated rows change shape, so an old cache entry is not reused. */
const GENERATOR_VERSION = 2;
const ROOTS = 5;
const CLASSES = 20;
const BATCH = 200_000;
const SIZES = [[1920, 1080], [1280, 720], [4032, 3024], [3024, 4032], [640, 480], [1024, 768], [2048, 1536]] as const;
const DAY = 86_400_000;
const EPOCH_2021 = Date.UTC(2021, 0, 1);

function pick<T>(rnd: () => number, weighted: [T, number][]): T {
  let u = rnd();
  for (const [v, w] of weighted) if ((u -= w) < 0) return v;
  return weighted[weighted.length - 1][0];
}

const STATUS: [string, number][] = [['new', 0.5], ['in_progress', 0.1], ['done', 0.3], ['review', 0.07], ['rejected', 0.03]];
const FORMAT: [[string, string], number][] = [[['jpeg', 'jpg'], 0.8], [['png', 'png'], 0.15], [['webp', 'webp'], 0.05]];
const ORIGIN: [string, number][] = [['manual', 0.8], ['model', 0.12], ['model-edited', 0.08]];
const ATTRS: [string, number][] = [['{}', 0.85], ['{"occluded":true}', 0.1], ['{"truncated":false,"note":"check"}', 0.05]];

/** Annotations per image: 15 % none, the rest a geometric-like spread, then nudged so the total is exact. */
function annotationCounts(images: number, total: number, rnd: () => number): Uint16Array {
  const counts = new Uint16Array(images);
  const labeled: number[] = [];
  for (let i = 0; i < images; i++) if (rnd() >= 0.15) labeled.push(i);
  if (!labeled.length) return counts;
  const mean = total / labeled.length;
  let sum = 0;
  for (const i of labeled) sum += counts[i] = Math.min(400, 1 + Math.floor(-Math.log(1 - rnd()) * (mean - 1)));
  while (sum !== total) {
    const i = labeled[(rnd() * labeled.length) | 0];
    if (sum < total) (counts[i]++, sum++);
    else if (counts[i] > 1) (counts[i]--, sum--);
  }
  return counts;
}

const r1 = (x: number) => Math.round(x * 10) / 10;

function geometry(kind: 'box' | 'polygon', w: number, h: number, rnd: () => number): string {
  const bw = 8 + rnd() * w * 0.3;
  const bh = 8 + rnd() * h * 0.3;
  const x = rnd() * (w - bw);
  const y = rnd() * (h - bh);
  if (kind === 'box') return `{"type":"box","x":${r1(x)},"y":${r1(y)},"w":${r1(bw)},"h":${r1(bh)}}`;
  const n = 3 + ((rnd() * 8) | 0);
  const pts: number[] = [];
  for (let k = 0; k < n; k++) {
    const a = (2 * Math.PI * k) / n;
    const rr = 0.6 + rnd() * 0.4;
    pts.push(r1(x + bw / 2 + (Math.cos(a) * rr * bw) / 2), r1(y + bh / 2 + (Math.sin(a) * rr * bh) / 2));
  }
  return `{"type":"polygon","points":[${pts.join(',')}]}`;
}

function write(file: string, images: number, annotations: number): void {
  ProjectStore.open(file, { create: true }).close();
  const db = new Database(file);
  // Generation only: no journal, no fsync, a big page cache for the random-order content_hash index.
  // better-sqlite3 opens in SQLite's defensive mode, which silently refuses journal_mode=OFF; the returned mode is
  // the only sign, hence the check.
  db.unsafeMode(true);
  db.pragma('journal_mode = DELETE');
  if (db.pragma('journal_mode = OFF', { simple: true }) !== 'off') throw new Error(`Cannot turn the journal off for generating ${file}`);
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -1048576');
  const rnd = prng(42);
  const now = Date.now();
  db.prepare(`UPDATE project_meta SET value = ? WHERE key = 'name'`).run(`Benchmark: ${images} images, ${annotations} annotations`);
  const insRoot = db.prepare('INSERT INTO image_roots (id, path, added_at) VALUES (?, ?, ?)');
  for (let r = 1; r <= ROOTS; r++) insRoot.run(r, `/mnt/datasets/site-${String.fromCharCode(96 + r)}`, EPOCH_2021 + r * DAY);
  const insClass = db.prepare('INSERT INTO label_classes (name, color, hotkey, position, created_at) VALUES (?, ?, ?, ?, ?)');
  for (let c = 0; c < CLASSES; c++) insClass.run(`class-${c}`, `#${((c * 0x3b5f1d) & 0xffffff).toString(16).padStart(6, '0')}`, c < 9 ? String(c + 1) : null, c, now);

  const insImage = db.prepare(
    `INSERT INTO images (id, root_id, rel_path, width, height, orientation, format, byte_size, mtime_ms, content_hash, status, missing, added_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insAnn = db.prepare(
    'INSERT INTO annotations (image_id, class_id, kind, geometry, attributes, origin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const counts = annotationCounts(images, annotations, rnd);
  const perRoot = Math.ceil(images / ROOTS);
  // Folders of 50 frames, visited in a shuffled order as a directory walk would.
  const folders = Array.from({ length: Math.ceil(perRoot / 50) }, (_, k) => k);
  const dims = new Uint16Array(images * 2);
  let id = 0;
  const hex = () => ((rnd() * 2 ** 32) >>> 0).toString(16).padStart(8, '0');
  const imageBatch = db.transaction((rootId: number, from: number, to: number) => {
    for (let k = from; k < to && id < images; k++) {
      const f = folders[k];
      const dir = `${2021 + (f % 4)}/cam-${String(1 + (Math.floor(f / 4) % 10)).padStart(2, '0')}/seq-${String(Math.floor(f / 40)).padStart(4, '0')}`;
      for (let frame = 0; frame < 50 && id < images && id < rootId * perRoot; frame++) {
        id++;
        const [w0, h0] = SIZES[(rnd() * SIZES.length) | 0];
        const orientation = rnd() < 0.05 ? 6 : 1;
        const [w, h] = orientation === 6 ? [h0, w0] : [w0, h0];
        dims[(id - 1) * 2] = w;
        dims[(id - 1) * 2 + 1] = h;
        const [format, ext] = pick(rnd, FORMAT);
        insImage.run(
          id, rootId, `${dir}/frame_${String(frame).padStart(5, '0')}.${ext}`, w, h, orientation, format,
          Math.round(40_000 * 150 ** rnd()), EPOCH_2021 + (f % 4) * 365 * DAY + Math.floor(rnd() * 365 * DAY),
          hex() + hex() + hex() + hex() + hex() + hex() + hex() + hex(), pick(rnd, STATUS), rnd() < 0.005 ? 1 : 0, now - 90 * DAY + id * 5,
        );
      }
    }
  });
  for (let rootId = 1; rootId <= ROOTS; rootId++) {
    for (let k = folders.length - 1; k > 0; k--) {
      const j = (rnd() * (k + 1)) | 0;
      [folders[k], folders[j]] = [folders[j], folders[k]];
    }
    for (let k = 0; k < folders.length; k += BATCH / 50) imageBatch(rootId, k, k + BATCH / 50);
    log(`bigproject: ${id} images written`);
  }

  let written = 0;
  const annBatch = db.transaction((from: number, to: number) => {
    for (let imageId = from; imageId < to; imageId++) {
      const w = dims[(imageId - 1) * 2];
      const h = dims[(imageId - 1) * 2 + 1];
      const base = now - 90 * DAY + imageId * 5;
      for (let n = counts[imageId - 1]; n > 0; n--) {
        const kind = rnd() < 0.7 ? 'box' : 'polygon';
        const created = base + Math.floor(rnd() * 30 * DAY);
        insAnn.run(imageId, 1 + Math.floor(CLASSES * rnd() ** 2), kind, geometry(kind, w, h, rnd), pick(rnd, ATTRS), pick(rnd, ORIGIN), created, rnd() < 0.3 ? created + Math.floor(rnd() * DAY) : created);
        written++;
      }
    }
  });
  const step = Math.max(1, Math.floor(BATCH / Math.max(1, annotations / images)));
  for (let from = 1; from <= images; from += step) {
    annBatch(from, Math.min(images + 1, from + step));
    if (Math.floor((from - 1) / step) % 10 === 0) log(`bigproject: ${written} annotations written`);
  }
  db.pragma('journal_mode = WAL');
  db.unsafeMode(false);
  db.close();
}

/** Bytes the generated file takes, with room for the -wal file opening it creates. */
const bytesNeeded = (images: number, annotations: number) => images * 600 + annotations * 300;

/** The cached project file of `images` × `annotations` rows, generated on first use (minutes for 1M × 10M). */
export async function bigProject(images: number, annotations: number): Promise<{ file: string; built: boolean; buildMs: number }> {
  const schema = latestVersion(loadMigrations());
  const key = `bigproject-g${GENERATOR_VERSION}-s${schema}-i${images}-a${annotations}.sightline`;
  const t0 = performance.now();
  const { path: file, built } = await cached(key, async (tmp) => {
    const fs = statfsSync(CACHE_DIR);
    const free = fs.bavail * fs.bsize;
    const need = bytesNeeded(images, annotations);
    if (free < need) {
      throw new Error(`Generating the big project needs about ${(need / 2 ** 30).toFixed(1)} GiB in ${CACHE_DIR}, but only ${(free / 2 ** 30).toFixed(1)} GiB is free. Free some space and rerun.`);
    }
    log(`bigproject: generating ${images} images and ${annotations} annotations into ${tmp} (cached for later runs)…`);
    write(tmp, images, annotations);
  });
  return { file, built, buildMs: performance.now() - t0 };
}
