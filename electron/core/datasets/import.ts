/**
 * Dataset imports (issue 8). A format's reader streams the dataset as classes and images with their objects; each
 * image is matched to a project image, each class name to a project class, and the objects are staged in a private
 * temporary SQLite file. Only when the whole dataset has been read without an error are they copied into the
 * project, in one transaction; any error, a dry run or a cancel leaves the project untouched.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ApiError, type DatasetProblem, type ImportFormat, type ImportSummary } from '../../../common/api/contract.js';
import { FormatError, type ParsedObject } from '../../../common/formats/types.js';
import type { JobContext } from '../jobs.js';
import { encodeGeometry } from '../project/annotations.js';
import type { ProjectStore } from '../project/store.js';
import { IdCounters } from '../project/ids.js';
import { IMPORTERS } from './importers.js';
import { createPrivateFileSync } from '../privateFiles.js';
import { cocoImageIdMap, exportClasses } from './project.js';

export interface ImportArgs {
  format: ImportFormat;
  from: string;
  as: 'labels' | 'predictions';
  dryRun: boolean;
}

/** What a format reader hands over. */
export type ImportItem =
  | { type: 'class'; name: string; keypoints?: string[] | null; edges?: [number, number][]; cocoId?: number }
  | {
      type: 'image';
      /** The image's path as the dataset names it, '/'-separated (relative to the dataset's image folder when it can be). */
      file: string;
      width: number | null;
      height: number | null;
      objects: ParsedObject[];
      cocoId?: number;
    }
  /** Objects of an image met earlier (COCO lists annotations apart from images), by its COCO id. */
  | { type: 'objects'; cocoImageId: number; objects: ParsedObject[] }
  /** Objects of a project image named by its id (COCO results against our own export). */
  | { type: 'project-image'; imageId: number; objects: ParsedObject[] };

export interface ReaderContext {
  from: string;
  as: 'labels' | 'predictions';
  signal: AbortSignal;
  /**
   * The COCO ids the project answers to, as its own COCO export writes them: categories (the ids a COCO import
   * brought in, else the class ids), images (likewise, `toProject`), which images a COCO import brought in, and
   * whether one did.
   */
  coco(): { categories: Map<number, { name: string; keypoints: string[] | null }>; toProject(cocoImageId: number): number; importedImages: number[]; imported: boolean };
  /** Project class names (for formats that name keypoints by class). */
  classes(): { id: number; name: string; keypoints: { names: string[]; edges: [number, number][] } | null }[];
  /** The project's image ids (COCO results from our own export name them directly). */
  hasImage(id: number): boolean;
  imageSize(id: number): { width: number; height: number } | null;
  progress(done: number, total: number | null, message: string): void;
  warn(message: string): void;
  /** The project image a dataset path names (see ImageMatcher), or why none; `abs` is tried first when given. */
  match(file: string, abs?: string): { id: number; width: number; height: number } | { reason: string };
  /** An image of the dataset that is not in the project. */
  unmatched(file: string, reason: string): void;
  /** Report bad input and go on reading (up to a limit), so one run lists the problems. */
  error(e: FormatError): void;
}

export type DatasetReader = (ctx: ReaderContext) => AsyncGenerator<ImportItem>;

const MAX_ERRORS = 100;

/**
 * Project images by the paths a dataset may use for them. Exact paths are looked up in the (root_id, rel_path) index,
 * so nothing per image is held in memory; only when a path matches no image that way are file-name indexes built.
 */
class ImageMatcher {
  private readonly roots: { id: number; path: string; name: string }[];
  private readonly exact: Database.Statement;
  private byName: Map<string, number[]> | null = null;
  private byStem: Map<string, number[]> | null = null;
  constructor(private readonly db: Database.Database) {
    this.roots = (db.prepare('SELECT id, path FROM image_roots ORDER BY id').all() as { id: number; path: string }[]).map((r) => ({ ...r, name: path.basename(r.path) }));
    this.exact = db.prepare('SELECT id FROM images WHERE root_id = ? AND rel_path = ?').pluck();
  }

  private lookup(rel: string): number[] {
    const ids: number[] = [];
    for (const r of this.roots) {
      const id = this.exact.get(r.id, rel) as number | undefined;
      if (id !== undefined) ids.push(id);
      // "<folder name>/<path>": how an export of a project with several folders names its images.
      if (rel.startsWith(`${r.name}/`)) {
        const inner = this.exact.get(r.id, rel.slice(r.name.length + 1)) as number | undefined;
        if (inner !== undefined && !ids.includes(inner)) ids.push(inner);
      }
    }
    return ids;
  }

  /** File-name indexes (name, and name without extension plus Sightline's VOC ids), built on first need. */
  private indexes(): { byName: Map<string, number[]>; byStem: Map<string, number[]> } {
    if (!this.byName || !this.byStem) {
      const byName = new Map<string, number[]>();
      const byStem = new Map<string, number[]>();
      const add = (map: Map<string, number[]>, key: string, id: number) => {
        const list = map.get(key);
        if (!list) map.set(key, [id]);
        else if (!list.includes(id)) list.push(id);
      };
      for (const r of this.db.prepare('SELECT id, rel_path AS rel FROM images').iterate() as IterableIterator<{ id: number; rel: string }>) {
        const name = r.rel.slice(r.rel.lastIndexOf('/') + 1);
        add(byName, name, r.id);
        add(byStem, name.replace(/\.[^.]+$/, ''), r.id);
        const stem = r.rel.replace(/\.[^./]+$/, '');
        if (stem.includes('/') || /\s/.test(stem)) add(byStem, stem.replace(/[/\s]/g, '_'), r.id);
      }
      this.byName = byName;
      this.byStem = byStem;
    }
    return { byName: this.byName, byStem: this.byStem };
  }

  /**
   * The absolute path when it is inside a project folder; else the longest suffix of the dataset's path that names
   * exactly one project image; else the file name, then the name without its extension (converted copies such as
   * VOC's JPEGImages/<id>.jpg of a PNG); else why not.
   */
  match(file: string, abs?: string): { id: number } | { reason: string } {
    if (abs !== undefined) {
      const a = path.resolve(abs);
      for (const r of this.roots) {
        const rel = path.relative(r.path, a);
        if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) {
          const id = this.exact.get(r.id, rel.split(path.sep).join('/')) as number | undefined;
          if (id !== undefined) return { id };
        }
      }
    }
    const parts = file.replace(/\\/g, '/').split('/').filter((p) => p && p !== '.' && p !== '..');
    if (parts.length === 0) return { reason: 'no file name' };
    // Down to the bare name, which finds a file at the top of a folder without building the name indexes.
    for (let i = 0; i < parts.length; i++) {
      const ids = this.lookup(parts.slice(i).join('/'));
      if (ids.length === 1) return { id: ids[0] };
      if (ids.length > 1) return { reason: `${ids.length} project images are at ${parts.slice(i).join('/')} (in different folders)` };
    }
    const name = parts[parts.length - 1];
    const { byName, byStem } = this.indexes();
    const named = byName.get(name);
    if (named?.length === 1) return { id: named[0] };
    if (named) return { reason: `${named.length} project images are named ${name}; give the path relative to the image folder` };
    const stem = name.replace(/\.[^.]+$/, '');
    const stems = byStem.get(stem);
    if (stems?.length === 1) return { id: stems[0] };
    if (stems) return { reason: `${stems.length} project images are named ${stem}.*; give the path relative to the image folder` };
    return { reason: 'not in the project' };
  }
}

export async function runImport(store: ProjectStore, args: ImportArgs, job: JobContext): Promise<ImportSummary> {
  const reader = IMPORTERS[args.format];
  const from = path.resolve(args.from);
  if (!existsSync(from)) throw new ApiError('not_found', `Cannot import ${from}: it does not exist. Check the path. Nothing was changed.`, { file: from });
  const db = store.db;
  const errors: DatasetProblem[] = [];
  const warnings: string[] = [];
  const unmatched: ImportSummary['unmatched'] = [];

  const projectClasses = () =>
    (db.prepare('SELECT id, name, keypoints FROM label_classes ORDER BY position, id').all() as { id: number; name: string; keypoints: string | null }[]).map((c) => ({
      id: c.id,
      name: c.name,
      keypoints: c.keypoints === null ? null : (JSON.parse(c.keypoints) as { names: string[]; edges: [number, number][] }),
    }));
  const existing = projectClasses();
  const exact = new Map(existing.map((c) => [c.name, c.name]));
  const folded = new Map<string, string[]>();
  for (const c of existing) {
    const k = c.name.trim().toLowerCase();
    folded.set(k, [...(folded.get(k) ?? []), c.name]);
  }
  const added = new Map<string, { keypoints: string[] | null; edges: [number, number][] }>();
  const mapped = new Map<string, string>();
  const cocoCategory = new Map<number, string>(); // COCO category id → project class name
  const cocoImage = new Map<number, number>(); // COCO image id → project image id
  /** A dataset's class name → the project's: the same name, else the one class spelled alike but for case, else a new class. */
  const resolveClass = (name: string): string => {
    if (exact.has(name) || added.has(name)) return name;
    const hit = mapped.get(name);
    if (hit) return hit;
    const same = folded.get(name.trim().toLowerCase());
    if (same && same.length === 1) {
      mapped.set(name, same[0]);
      return same[0];
    }
    added.set(name, { keypoints: null, edges: [] });
    return name;
  };

  const staging = path.join(os.tmpdir(), `sightline-import-${process.pid}-${randomBytes(6).toString('hex')}.db`);
  createPrivateFileSync(staging); // the dataset's labels: private to the user, as every file Sightline writes
  const stage = new Database(staging);
  stage.pragma('journal_mode = OFF');
  stage.pragma('synchronous = OFF');
  stage.exec(`CREATE TABLE staged (image_id INTEGER NOT NULL, class_name TEXT, kind TEXT NOT NULL, geometry TEXT NOT NULL, mask BLOB,
                attributes TEXT NOT NULL, score REAL) STRICT;
              CREATE TABLE covered (image_id INTEGER PRIMARY KEY) STRICT;`);
  const insertStaged = stage.prepare('INSERT INTO staged VALUES (?, ?, ?, ?, ?, ?, ?)');
  const insertCovered = stage.prepare('INSERT OR IGNORE INTO covered VALUES (?)');
  let annotations = 0;
  let images = 0;
  // Rows wait in plain arrays (no closure per row) and go to the staging file a few thousand at a time.
  let staged: unknown[][] = [];
  let covered: number[] = [];
  const flush = () => {
    if (staged.length === 0 && covered.length === 0) return;
    const rows = staged;
    const ids = covered;
    staged = [];
    covered = [];
    stage.transaction(() => {
      for (const r of rows) insertStaged.run(r);
      for (const id of ids) insertCovered.run(id);
    })();
  };
  const imageSize = db.prepare('SELECT width, height FROM images WHERE id = ?');

  const stageObjects = (imageId: number, objects: ParsedObject[]) => {
    for (const o of objects) {
      const cls = o.class === null ? null : resolveClass(o.class);
      const g = encodeGeometry(o.geometry);
      const attrs = JSON.stringify(o.attributes);
      staged.push([imageId, cls, o.kind, g.json, g.mask, attrs, o.score]);
      annotations++;
    }
    if (staged.length >= 2000) flush();
  };

  let matcher: ImageMatcher | null = null;
  const ctx: ReaderContext = {
    from,
    as: args.as,
    signal: job.signal,
    coco: () => ({
      categories: new Map(exportClasses(db).map((c) => [c.categoryId, { name: c.name, keypoints: c.keypoints?.names ?? null }])),
      toProject: cocoImageIdMap(db).toProject,
      importedImages: db.prepare(`SELECT DISTINCT local_id FROM coco_ids WHERE kind = 'image'`).pluck().all() as number[],
      imported: db.prepare(`SELECT 1 FROM coco_ids WHERE kind = 'category' LIMIT 1`).get() !== undefined,
    }),
    classes: projectClasses,
    hasImage: (id) => imageSize.get(id) !== undefined,
    imageSize: (id) => (imageSize.get(id) as { width: number; height: number } | undefined) ?? null,
    progress: (done, total, message) => job.progress(done, total, message),
    warn: (m) => warnings.push(m),
    match: (file, abs) => {
      matcher ??= new ImageMatcher(db);
      const m = matcher.match(file, abs);
      if ('reason' in m) return m;
      return { id: m.id, ...(imageSize.get(m.id) as { width: number; height: number }) };
    },
    unmatched: (file, reason) => {
      if (unmatched.length < 10_000) unmatched.push({ file, reason });
    },
    error: (e) => {
      if (errors.length < MAX_ERRORS) errors.push({ file: e.file, where: e.where, problem: e.problem });
    },
  };

  const coveredIds = new Set<number>();
  /** An image the dataset covers (counted once, whichever way the dataset names it). */
  const cover = (id: number) => {
    if (coveredIds.has(id)) return;
    coveredIds.add(id);
    images++;
    covered.push(id);
  };
  try {
    for await (const item of reader(ctx)) {
      if (job.signal.aborted) break;
      if (errors.length >= MAX_ERRORS) break;
      if (item.type === 'class') {
        const name = resolveClass(item.name);
        if (item.cocoId !== undefined) cocoCategory.set(item.cocoId, name);
        const a = added.get(name);
        if (a && item.keypoints) {
          a.keypoints = item.keypoints;
          a.edges = item.edges ?? [];
        }
        continue;
      }
      if (item.type === 'objects') {
        const id = cocoImage.get(item.cocoImageId);
        if (id !== undefined) stageObjects(id, item.objects);
        continue;
      }
      if (item.type === 'project-image') {
        cover(item.imageId);
        stageObjects(item.imageId, item.objects);
        continue;
      }
      const m = ctx.match(item.file);
      if ('reason' in m) {
        ctx.unmatched(item.file, m.reason);
        continue;
      }
      if (item.width !== null && item.height !== null && (item.width !== m.width || item.height !== m.height)) {
        ctx.error(
          new FormatError(item.file, null, `the dataset says ${item.width}×${item.height} but the project's image is ${m.width}×${m.height} (as displayed); is it the same image, or was it rotated?`),
        );
        continue;
      }
      if (item.cocoId !== undefined) cocoImage.set(item.cocoId, m.id);
      cover(m.id);
      stageObjects(m.id, item.objects);
    }
    flush();
  } catch (e) {
    stage.close();
    rmSync(staging, { force: true });
    if (e instanceof FormatError) errors.push({ file: e.file, where: e.where, problem: e.problem });
    else throw e;
  }

  const summaryBase = {
    images,
    annotations,
    classesAdded: [...added.keys()],
    classesMapped: [...mapped].map(([f, t]) => ({ from: f, to: t })),
    unmatched,
    errors,
    warnings,
    dryRun: args.dryRun,
    cancelled: job.signal.aborted,
  };
  if (!stage.open || errors.length > 0 || args.dryRun || job.signal.aborted) {
    if (stage.open) stage.close();
    rmSync(staging, { force: true });
    return { ...summaryBase, run: null, written: false };
  }
  stage.close();

  // Everything read without an error: one transaction puts it in the project.
  job.progress(annotations, annotations, `Writing ${annotations} annotations into the project…`);
  let run: number | null = null;
  try {
    db.prepare('ATTACH DATABASE ? AS staging').run(staging);
    try {
      const already = db.prepare('SELECT count(*) FROM staging.covered c JOIN images i ON i.id = c.image_id WHERE i.annotation_count > 0').pluck().get() as number;
      if (args.as === 'labels' && already > 0) warnings.push(`${already} image(s) already had labels: the imported ones were added beside them.`);
      db.transaction(() => {
        for (const [name, t] of added) {
          store.classes.upsert({ name, ...(t.keypoints ? { keypoints: { names: t.keypoints, edges: t.edges } } : {}) });
        }
        const classId = db.prepare('SELECT id FROM label_classes WHERE name = ?').pluck();
        const putCoco = db.prepare('INSERT OR REPLACE INTO coco_ids (kind, coco_id, local_id) VALUES (?, ?, ?)');
        if (args.as === 'labels') {
          for (const [coco, name] of cocoCategory) putCoco.run('category', coco, classId.get(name));
          for (const [coco, id] of cocoImage) putCoco.run('image', coco, id);
        }
        const now = Date.now();
        if (args.as === 'labels') {
          if (annotations > 0) {
            const { first } = new IdCounters(db).reserve('annotations', annotations);
            // The per-row count trigger took 40 % of this copy (measured, 1M rows): lift it for the copy and count once
            // per image instead. Its own SQL is put back, inside the same transaction, so nothing can miss it.
            const trigger = db.prepare(`SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = 'annotations_count_insert'`).pluck().get() as string | undefined;
            if (trigger) db.exec('DROP TRIGGER annotations_count_insert');
            db.prepare(
              `INSERT INTO annotations (id, image_id, class_id, kind, geometry, mask, attributes, origin, derived_from, created_at, updated_at)
               SELECT @first + s.rowid - 1, s.image_id, (SELECT id FROM label_classes c WHERE c.name = s.class_name), s.kind, s.geometry, s.mask,
                      s.attributes, 'manual', NULL, @now, @now
                 FROM staging.staged s ORDER BY s.rowid`,
            ).run({ first, now });
            if (trigger) {
              db.exec(`UPDATE images SET annotation_count = annotation_count + c.n
                         FROM (SELECT image_id, count(*) AS n FROM staging.staged GROUP BY image_id) AS c WHERE images.id = c.image_id`);
              db.exec(trigger);
            }
          }
        } else {
          const name = uniqueModelName(db, `imported: ${path.basename(from)} (${args.format})`);
          const modelId = Number(
            db.prepare(`INSERT INTO models (name, kind, file, sha256, manifest, added_at) VALUES (?, 'imported', ?, '', '{}', ?)`).run(name, from, now).lastInsertRowid,
          );
          run = Number(
            db
              .prepare(`INSERT INTO model_runs (model_id, parameters, provider, status, started_at, finished_at) VALUES (?, ?, NULL, 'done', ?, ?)`)
              .run(modelId, JSON.stringify({ imported: { format: args.format, from } }), now, now).lastInsertRowid,
          );
          db.prepare(
            `INSERT INTO predictions (run_id, image_id, class_id, label, kind, geometry, mask, score, extras)
             SELECT @run, s.image_id, (SELECT id FROM label_classes c WHERE c.name = s.class_name), s.class_name, s.kind, s.geometry, s.mask, s.score,
                    CASE WHEN s.attributes = '{}' THEN '{}' ELSE json_object('attributes', json(s.attributes)) END
               FROM staging.staged s ORDER BY s.rowid`,
          ).run({ run });
          // One image row per image the dataset covers: "the model found nothing here" is not "never ran here".
          db.prepare(
            `INSERT INTO predictions (run_id, image_id, class_id, label, kind, geometry, mask, score, extras)
             SELECT @run, c.image_id, NULL, NULL, 'tag', '{"type":"tag"}', NULL, NULL, '{"kind":"image-extras"}' FROM staging.covered c ORDER BY c.image_id`,
          ).run({ run });
        }
      }).immediate();
    } finally {
      db.exec('DETACH DATABASE staging');
    }
  } finally {
    rmSync(staging, { force: true });
  }
  return { ...summaryBase, warnings, run, written: true };
}

function uniqueModelName(db: Database.Database, base: string): string {
  let name = base;
  for (let i = 2; db.prepare('SELECT 1 FROM models WHERE name = ?').get(name); i++) name = `${base} #${i}`;
  return name;
}
