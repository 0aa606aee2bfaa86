/**
 * Reading a project for an export, one image at a time: images in id order, each with its labels or one run's
 * predictions, so a project of any size streams through the writers without being held in memory (issue 8).
 */
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { ApiError, type AnnotationKind, type KeypointTemplate } from '../../../common/api/contract.js';
import type { FormatClass, FormatObject, FormatRecord } from '../../../common/formats/types.js';
import { decodeGeometry } from '../project/annotations.js';
import { IMAGE_EXTRAS } from '../inference/runs.js';

/** Where the objects come from: the labels, or one model run's predictions. */
export type ExportSource = { kind: 'labels' } | { kind: 'run'; runId: number };

export function parseSource(text: string): ExportSource {
  if (text === 'labels') return { kind: 'labels' };
  const m = /^run:([1-9][0-9]*)$/.exec(text);
  if (!m) throw new ApiError('bad_request', `Unknown source "${text}": give "labels" or "run:<id>".`);
  return { kind: 'run', runId: Number(m[1]) };
}

/** An image of the export, with what the export needs beyond the formats' view of it. */
export interface ExportImage {
  id: number;
  /** Path inside the dataset ('/'-separated): the path in its folder, under the folder's name when the project has several. */
  file: string;
  width: number;
  height: number;
  orientation: number;
  format: string;
  /** The original on disk. */
  absPath: string;
  missing: boolean;
}

export interface ExportRecord extends FormatRecord {
  image: ExportImage;
}

interface ClassRow {
  id: number;
  name: string;
  position: number;
  keypoints: string | null;
}

/**
 * The project's classes in its class order. COCO category ids: the id a COCO import gave the class, else the
 * class's own id (stable: renaming or reordering classes never moves it), else the next id no other class uses.
 */
export function exportClasses(db: Database): FormatClass[] {
  const rows = db.prepare('SELECT id, name, position, keypoints FROM label_classes ORDER BY position, id').all() as ClassRow[];
  const cocoOf = new Map<number, number>();
  for (const r of db.prepare(`SELECT coco_id AS cocoId, local_id AS localId FROM coco_ids WHERE kind = 'category' ORDER BY coco_id`).all() as {
    cocoId: number;
    localId: number;
  }[]) {
    if (!cocoOf.has(r.localId)) cocoOf.set(r.localId, r.cocoId);
  }
  const used = new Set<number>();
  const wanted = rows.map((r) => cocoOf.get(r.id));
  for (const w of wanted) if (w !== undefined) used.add(w);
  let next = Math.max(0, ...rows.map((r) => r.id), ...used) + 1;
  return rows.map((r, index) => {
    let categoryId = wanted[index];
    if (categoryId === undefined) {
      categoryId = used.has(r.id) ? next++ : r.id;
      used.add(categoryId);
    }
    return { name: r.name, index, categoryId, keypoints: r.keypoints === null ? null : (JSON.parse(r.keypoints) as KeypointTemplate) };
  });
}

/**
 * COCO image ids: the id a COCO import gave the image (so results made against that COCO file match it, and images
 * keep their order), else the project's image id, else (taken by a COCO id) the next free id. Both directions.
 */
export function cocoImageIdMap(db: Database): { toCoco: (id: number) => number; toProject: (id: number) => number } {
  const mapped = new Map<number, number>();
  for (const r of db.prepare(`SELECT coco_id AS c, local_id AS l FROM coco_ids WHERE kind = 'image' ORDER BY coco_id`).all() as { c: number; l: number }[]) {
    if (!mapped.has(r.l)) mapped.set(r.l, r.c);
  }
  if (mapped.size === 0) return { toCoco: (id) => id, toProject: (id) => id };
  const used = new Set(mapped.values());
  let next = 1;
  for (const c of used) if (c >= next) next = c + 1; // a loop: spreading 100k ids into Math.max overflows the stack
  const toCoco = new Map<number, number>();
  for (const id of db.prepare('SELECT id FROM images ORDER BY id').pluck().iterate() as IterableIterator<number>) {
    toCoco.set(id, mapped.get(id) ?? (used.has(id) ? next++ : id));
  }
  const toProject = new Map([...toCoco].map(([p, c]) => [c, p]));
  return { toCoco: (id) => toCoco.get(id) ?? id, toProject: (id) => toProject.get(id) ?? id };
}

/** Dataset paths: one folder keeps its own relative paths; several get their folder's name (made unique) in front. */
function rootPrefixes(db: Database): Map<number, { prefix: string; path: string }> {
  const roots = db.prepare('SELECT id, path FROM image_roots ORDER BY id').all() as { id: number; path: string }[];
  const out = new Map<number, { prefix: string; path: string }>();
  const taken = new Set<string>();
  for (const r of roots) {
    let prefix = '';
    if (roots.length > 1) {
      const base = path.basename(r.path) || 'images';
      prefix = base;
      for (let i = 2; taken.has(prefix); i++) prefix = `${base}-${i}`;
      taken.add(prefix);
      prefix += '/';
    }
    out.set(r.id, { prefix, path: r.path });
  }
  return out;
}

interface ImageRowLite {
  id: number;
  root_id: number;
  rel_path: string;
  width: number;
  height: number;
  orientation: number;
  format: string;
  missing: number;
}

/** id, image_id, class_id, label, kind, geometry, mask, attributes, score */
type ObjectRow = [number, number, number | null, string | null, AnnotationKind, string, Buffer | null, string | null, number | null];

/** The images an export covers: every image for labels; the images a run processed for a run. */
function imageQuery(source: ExportSource): string {
  const cols = 'i.id, i.root_id, i.rel_path, i.width, i.height, i.orientation, i.format, i.missing';
  if (source.kind === 'labels') return `SELECT ${cols} FROM images i ORDER BY i.id`;
  return `SELECT ${cols} FROM images i WHERE i.id IN (
            SELECT p.image_id FROM predictions p WHERE p.run_id = @runId AND p.kind = 'tag' AND p.label IS NULL
              AND json_extract(p.extras, '$.kind') = '${IMAGE_EXTRAS}' AND json_extract(p.extras, '$.error') IS NULL)
          ORDER BY i.id`;
}

/** Columns in this order (rows are read raw, as arrays: measurably faster than objects over a million rows). */
function objectQuery(source: ExportSource): string {
  if (source.kind === 'labels') {
    return `SELECT a.id, a.image_id, a.class_id, NULL AS label, a.kind, a.geometry, a.mask, a.attributes, NULL AS score
              FROM annotations a ORDER BY a.image_id, a.id`;
  }
  return `SELECT p.id, p.image_id, p.class_id, p.label, p.kind, p.geometry, p.mask, NULL AS attributes, p.score
            FROM predictions p
           WHERE p.run_id = @runId
             AND NOT (p.kind = 'tag' AND p.label IS NULL AND coalesce(json_extract(p.extras, '$.kind') = '${IMAGE_EXTRAS}', 0))
             AND json_extract(p.extras, '$.suppressed') IS NULL
           ORDER BY p.image_id, p.id`;
}

export function checkSource(db: Database, source: ExportSource): void {
  if (source.kind === 'run' && !db.prepare('SELECT 1 FROM model_runs WHERE id = ?').get(source.runId)) {
    throw new ApiError('not_found', `There is no model run ${source.runId} in this project. \`sightline models runs\` lists them.`);
  }
}

function toObject(r: ObjectRow, classNames: Map<number, string>): FormatObject {
  const [id, , classId, label, kind, geometry, mask, attributes, score] = r;
  return {
    id,
    // A prediction whose class is not (or no longer) a project class keeps the model's label.
    class: (classId === null ? undefined : classNames.get(classId)) ?? label,
    kind,
    geometry: decodeGeometry(geometry, mask),
    attributes: attributes === null || attributes === '{}' ? {} : JSON.parse(attributes),
    score,
  };
}

/**
 * Each image of the export with the class names of its objects (what a stratified split needs), from the class
 * columns alone: no geometry is read.
 */
export function classesPerImage(db: Database, source: ExportSource): { id: number; classes: string[] }[] {
  const params = source.kind === 'run' ? { runId: source.runId } : {};
  const classOf =
    source.kind === 'labels'
      ? `SELECT a.image_id AS imageId, c.name AS name FROM annotations a JOIN label_classes c ON c.id = a.class_id`
      : `SELECT p.image_id AS imageId, coalesce(c.name, p.label) AS name FROM predictions p LEFT JOIN label_classes c ON c.id = p.class_id
           WHERE p.run_id = @runId AND coalesce(c.name, p.label) IS NOT NULL AND json_extract(p.extras, '$.suppressed') IS NULL`;
  const byImage = new Map<number, Set<string>>();
  for (const r of db.prepare(classOf).iterate(params) as IterableIterator<{ imageId: number; name: string }>) {
    const set = byImage.get(r.imageId);
    if (set) set.add(r.name);
    else byImage.set(r.imageId, new Set([r.name]));
  }
  return (db.prepare(`SELECT id FROM (${imageQuery(source)})`).pluck().all(params) as number[]).map((id) => ({ id, classes: [...(byImage.get(id) ?? [])] }));
}

/** Counts for progress, without reading the rows. */
export function countImages(db: Database, source: ExportSource, opts: { rotated?: boolean; missing?: boolean } = {}): number {
  const where = [opts.rotated ? 'orientation != 1' : '', opts.missing ? 'missing = 1' : ''].filter(Boolean).join(' AND ');
  return db.prepare(`SELECT count(*) FROM (${imageQuery(source)})${where ? ` WHERE ${where}` : ''}`).pluck().get(source.kind === 'run' ? { runId: source.runId } : {}) as number;
}

/** The export's images alone, in id order, without reading their objects (COCO's images section). */
export function* iterateImages(db: Database, source: ExportSource): Generator<ExportImage> {
  const params = source.kind === 'run' ? { runId: source.runId } : {};
  const roots = rootPrefixes(db);
  for (const row of db.prepare(imageQuery(source)).iterate(params) as IterableIterator<ImageRowLite>) yield toExportImage(row, roots);
}

function toExportImage(row: ImageRowLite, roots: Map<number, { prefix: string; path: string }>): ExportImage {
  const root = roots.get(row.root_id)!;
  return {
    id: row.id,
    file: root.prefix + row.rel_path,
    width: row.width,
    height: row.height,
    orientation: row.orientation,
    format: row.format,
    absPath: path.join(root.path, ...row.rel_path.split('/')),
    missing: row.missing === 1,
  };
}

/**
 * Every image of the export with its objects, in image id order: a merge of two ordered cursors, so memory holds
 * one image's objects at a time. The two statements read one snapshot (one read transaction is not possible across
 * awaits, so callers do not await between records; writers that need to await collect a batch first).
 */
export function* iterateRecords(db: Database, source: ExportSource): Generator<ExportRecord> {
  const params = source.kind === 'run' ? { runId: source.runId } : {};
  const roots = rootPrefixes(db);
  // Iterating two statements at once needs two connections' worth of cursors: better-sqlite3 allows several
  // iterators on one connection as long as nothing writes meanwhile.
  const classNames = new Map((db.prepare('SELECT id, name FROM label_classes').raw().all() as [number, string][]).map(([id, name]) => [id, name]));
  const objects = db.prepare(objectQuery(source)).raw().iterate(params) as IterableIterator<ObjectRow>;
  let pending = objects.next();
  try {
    for (const row of db.prepare(imageQuery(source)).iterate(params) as IterableIterator<ImageRowLite>) {
      const list: FormatObject[] = [];
      while (!pending.done && pending.value[1] < row.id) pending = objects.next();
      while (!pending.done && pending.value[1] === row.id) {
        list.push(toObject(pending.value, classNames));
        pending = objects.next();
      }
      yield { image: toExportImage(row, roots), objects: list };
    }
  } finally {
    objects.return?.();
  }
}
