/**
 * Export jobs (issue 8): stream the project through a format's writer into a temporary folder beside the target,
 * read the result back with our own parsers and compare it with what was meant, and only then move it into place.
 * An existing target is replaced only after the new export is complete and verified, so it is never half-written.
 */
import { constants as fsc, createWriteStream, existsSync, mkdirSync, readdirSync, statSync, type WriteStream } from 'node:fs';
import { copyFile, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { nodeZlib } from './zlib.js';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { ApiError, type ExportFormat, type ExportSummary } from '../../../common/api/contract.js';
import { ExportTally, type FormatClass, type Zlib } from '../../../common/formats/types.js';
import { splitImages } from '../../../common/formats/split.js';
import type { JobContext } from '../jobs.js';
import { checkSource, classesPerImage, countImages, exportClasses, iterateImages, iterateRecords, parseSource, type ExportRecord, type ExportSource } from './project.js';
import { EXPORTERS } from './exporters.js';
import { IGNORE_CLASS_NAME } from '../../../common/metrics/semanticMaps.js';


export interface ExportArgs {
  format: ExportFormat;
  out: string;
  source: string;
  split?: Partial<Record<'train' | 'val' | 'test', number>>;
  seed: number;
  images?: 'copy' | 'link' | 'none';
  upright: boolean;
  overwrite: boolean;
}

/** What a format's exporter is given. Paths in `files` are relative to the export folder, '/'-separated. */
export interface ExportContext {
  /** The folder being written (a temporary one beside the target until the export is verified). */
  dir: string;
  /** The target folder, where the export will be. */
  out: string;
  db: Database.Database;
  source: ExportSource;
  classes: FormatClass[];
  classByName: Map<string, FormatClass>;
  /** Class name → its 0-based place in the class order (YOLO ids, mask values - 1). */
  classIndex: Map<string, number>;
  /** Keypoint names of each class that has a template. */
  keypointNames: Map<string, string[]>;
  /** The class whose regions are "void" (255) in segmentation PNGs: one named ignore, void or __ignore__. */
  ignoreClass: string | undefined;
  tally: ExportTally;
  warnings: string[];
  files: Set<string>;
  zlib: Zlib;
  signal: AbortSignal;
  images: 'copy' | 'link' | 'none';
  upright: boolean;
  /** The split of each image id, when a split was asked for. */
  splitOf: ((imageId: number) => string) | null;
  splits: string[];
  total: number;
  progress(done: number, message: string): void;
  /** A fresh pass over the export's records (id order). */
  records(): Generator<ExportRecord>;
  /** A fresh pass over the export's images alone (id order), without reading objects. */
  imagesOnly(): Generator<ExportRecord['image']>;
  /** Images whose EXIF orientation rotates them (upright copies are written for them when asked). */
  rotated: number;
  /** The path placeImage gives an image asked to go to `rel` (re-encoded copies change the extension). */
  placedName(rec: ExportRecord, rel: string, opts?: { jpeg?: boolean }): string;
  /** Put an image's file at `rel` (copy, link, or upright copy); returns the path the labels should name. */
  placeImage(rec: ExportRecord, rel: string, opts?: { jpeg?: boolean }): Promise<string>;
  /** Where the original is, relative to `fromDir` inside the export (for paths that point at originals). */
  relativeToOriginal(rec: ExportRecord, fromDirRel: string): string;
  /** Open a text file for streaming writes. */
  openText(rel: string): TextSink;
  writeFile(rel: string, data: string | Uint8Array): Promise<void>;
}

export interface Exporter {
  /** Images copied by default ('none' where the format names the originals). */
  defaultImages: 'copy' | 'link' | 'none';
  supportsSplit: boolean;
  write(ctx: ExportContext): Promise<{ images: number; annotations: number }>;
  /** Read the written files back with our parsers; the differences from what was meant (empty: equal). */
  verify(ctx: ExportContext): Promise<string[]>;
}

/** Buffered text output with back-pressure: writers push small strings, the sink writes ~1 MiB blocks. */
export class TextSink {
  private parts: string[] = [];
  private size = 0;
  private readonly stream: WriteStream;
  private failed: Error | null = null;
  constructor(file: string) {
    this.stream = createWriteStream(file, { mode: 0o644 });
    this.stream.on('error', (e) => (this.failed = e));
  }
  /** Returns a promise only when the caller should wait (a block was handed to the stream and it is full). */
  write(s: string): Promise<void> | null {
    this.parts.push(s);
    this.size += s.length;
    if (this.size < 1 << 20) return null;
    return this.flush();
  }
  async flush(): Promise<void> {
    if (this.failed) throw this.failed;
    const block = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (!this.stream.write(block)) await new Promise<void>((r) => this.stream.once('drain', () => r()));
  }
  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) => this.stream.end((e?: Error | null) => (e ? reject(e) : resolve())));
    if (this.failed) throw this.failed;
  }
}

const README = (format: string, source: string, rotated: number, upright: boolean, images: string, roots: string[]) =>
  [
    `Exported by Sightline (${new Date().toISOString()}): format ${format}, source ${source}.`,
    '',
    images === 'none'
      ? `Images are not in this folder. The project's image folder${roots.length > 1 ? 's' : ''}:\n${roots.map((r) => `  ${r}`).join('\n')}\n` +
        `Image paths in the labels (COCO file_name, captions' "image") are relative to ${roots.length > 1 ? 'the folder that holds those folders, starting with the folder name' : 'it'}; ` +
        "LabelMe's imagePath is relative to each JSON file."
      : images === 'link'
        ? 'Images are symbolic links to the originals.'
        : 'Images are copied into this folder.',
    '',
    'Coordinates are in the image as displayed: the EXIF orientation of each file has been applied.',
    rotated === 0
      ? 'None of the exported images carries an EXIF rotation.'
      : upright
        ? `${rotated} image(s) carry an EXIF rotation; upright copies of them were written, so every loader sees them as labeled.`
        : `${rotated} image(s) carry an EXIF rotation. Loaders that ignore EXIF (OpenCV with IMREAD_IGNORE_ORIENTATION, ` +
          'raw decoders, some training pipelines) will see them rotated and the labels misplaced: re-export with "upright copies".',
    '',
  ].join('\n');

function emptyOrAbsent(dir: string): boolean {
  if (!existsSync(dir)) return true;
  if (!statSync(dir).isDirectory()) throw new ApiError('conflict', `${dir} is a file. Choose a folder for the export.`, { file: dir });
  return readdirSync(dir).length === 0;
}

/** Run an export. Returns the summary; the target is replaced only when `verified` is true. */
export async function runExport(
  projectFile: string,
  args: ExportArgs,
  job: JobContext,
  /** For tests: change the written files before they are read back (the check must then fail). */
  hooks: { afterWrite?(dir: string): Promise<void> } = {},
): Promise<ExportSummary> {
  const exporter = EXPORTERS[args.format](); // per run: exporters keep state between write and verify
  const out = path.resolve(args.out);
  const source = parseSource(args.source);
  if (!emptyOrAbsent(out) && !args.overwrite) {
    throw new ApiError('conflict', `${out} already exists and is not empty. Choose an empty folder, or allow replacing it (--overwrite).`, { file: out });
  }
  const parent = path.dirname(out);
  await mkdir(parent, { recursive: true });
  const dir = path.join(parent, `.${path.basename(out)}.sightline-${randomBytes(4).toString('hex')}.tmp`);
  await mkdir(dir, { recursive: false, mode: 0o755 });

  // Its own read-only connection in one read transaction: a consistent snapshot, and the app's connection stays free
  // for edits while the export streams (an open cursor would block writes on it).
  const db = new Database(projectFile, { readonly: true, fileMustExist: true });
  let summary: ExportSummary | null = null;
  try {
    db.exec('BEGIN');
    checkSource(db, source);
    const classes = exportClasses(db);
    const total = countImages(db, source);
    const images = args.images ?? exporter.defaultImages;
    let splitOf: ExportContext['splitOf'] = null;
    let splits: string[] = [];
    const warnings: string[] = [];
    if (args.split && Object.keys(args.split).length > 0) {
      if (!exporter.supportsSplit) warnings.push(`${args.format} exports have no train/val/test layout: the split was not applied.`);
      else {
        const items = classesPerImage(db, source);
        const fractions = Object.fromEntries(Object.entries(args.split).filter(([, v]) => (v ?? 0) > 0)) as Record<string, number>;
        const map = splitImages(items, fractions, args.seed);
        splitOf = (id) => map.get(id) ?? Object.keys(fractions)[0];
        splits = Object.keys(fractions);
      }
    }
    const rotated = countImages(db, source, { rotated: true });
    /** Re-encoded copies: JPEG stays JPEG (and VOC's JPEGImages gets JPEG); anything else rotated becomes PNG. */
    const encoding = (rec: ExportRecord, opts: { jpeg?: boolean }): 'jpeg' | 'png' | null => {
      const needsUpright = args.upright && rec.image.orientation !== 1;
      const needsJpeg = opts.jpeg === true && rec.image.format !== 'jpeg';
      return needsJpeg || (needsUpright && rec.image.format === 'jpeg') ? 'jpeg' : needsUpright ? 'png' : null;
    };
    const ctx: ExportContext = {
      dir,
      out,
      db,
      source,
      classes,
      classByName: new Map(classes.map((c) => [c.name, c])),
      classIndex: new Map(classes.map((c) => [c.name, c.index])),
      keypointNames: new Map(classes.filter((c) => c.keypoints).map((c) => [c.name, c.keypoints!.names])),
      ignoreClass: classes.find((c) => IGNORE_CLASS_NAME.test(c.name))?.name,
      tally: new ExportTally(),
      warnings,
      files: new Set(),
      zlib: nodeZlib,
      signal: job.signal,
      images,
      upright: args.upright,
      splitOf,
      splits,
      total,
      progress: (done, message) => job.progress(done, total * 2, message),
      records: () => iterateRecords(db, source),
      imagesOnly: () => iterateImages(db, source),
      rotated,
      placedName: (rec, rel, opts = {}) => {
        const encodeAs = encoding(rec, opts);
        if (encodeAs === 'jpeg' && !/\.jpe?g$/i.test(rel)) return rel.replace(/\.[^./]+$/, '') + '.jpg';
        if (encodeAs === 'png' && !/\.png$/i.test(rel)) return rel.replace(/\.[^./]+$/, '') + '.png';
        return rel;
      },
      placeImage: async (rec, wanted, opts = {}) => {
        if (rec.image.missing) throw new ApiError('not_found', `${rec.image.absPath} is missing on disk: rescan the project or relink its folder.`);
        const encodeAs = encoding(rec, opts);
        const rel = ctx.placedName(rec, wanted, opts);
        const dest = path.join(dir, ...rel.split('/'));
        await mkdir(path.dirname(dest), { recursive: true });
        if (encodeAs) {
          // rotate() with no angle applies the EXIF orientation (and drops the tag), so the copy is upright.
          const img = sharp(rec.image.absPath, { failOn: 'error' }).rotate();
          await (encodeAs === 'jpeg' ? img.jpeg({ quality: 95 }) : img.png()).toFile(dest);
        } else if (images === 'link') {
          await symlink(rec.image.absPath, dest);
        } else {
          // A real copy (a reflink where the file system has them), never a hard link: editing the export's
          // image must not change the original.
          await copyFile(rec.image.absPath, dest, fsc.COPYFILE_FICLONE);
        }
        ctx.files.add(rel);
        return rel;
      },
      relativeToOriginal: (rec, fromDirRel) => {
        // The export is moved to `out` afterwards, so paths are made from there, not from the temporary folder.
        const from = path.join(out, ...fromDirRel.split('/').filter(Boolean));
        return path.relative(from, rec.image.absPath).split(path.sep).join('/');
      },
      openText: (rel) => {
        ctx.files.add(rel);
        const dest = path.join(dir, ...rel.split('/'));
        mkdirSync(path.dirname(dest), { recursive: true });
        return new TextSink(dest);
      },
      writeFile: async (rel, data) => {
        ctx.files.add(rel);
        const dest = path.join(dir, ...rel.split('/'));
        await mkdir(path.dirname(dest), { recursive: true });
        await writeFile(dest, data);
      },
    };
    if (rotated > 0 && !args.upright) {
      warnings.push(
        `${rotated} image(s) carry an EXIF rotation: the labels are for the upright image, which loaders that ignore EXIF will not see. Export with upright copies (--upright) to be safe.`,
      );
    }
    if (rotated > 0 && args.upright && images === 'none') {
      warnings.push(`${rotated} image(s) carry an EXIF rotation: upright copies were written for them, and the labels name those copies.`);
    }
    const counts = await exporter.write(ctx);
    if (job.signal.aborted) throw new ApiError('conflict', 'Cancelled');
    const roots = (db.prepare('SELECT path FROM image_roots ORDER BY id').pluck().all() as string[]);
    await ctx.writeFile('README.txt', README(args.format, args.source, rotated, args.upright, images, roots));
    await hooks.afterWrite?.(dir);
    job.progress(total, total * 2, 'Reading the export back…');
    const differences = await exporter.verify(ctx);
    const verified = differences.length === 0 && !job.signal.aborted;
    summary = {
      format: args.format,
      out,
      images: counts.images,
      annotations: counts.annotations,
      files: listFiles(ctx.files),
      warnings: [...warnings, ...ctx.tally.lines()],
      notExported: [...ctx.tally.notExported].map(([reason, count]) => ({ reason, count })),
      verified,
      differences: differences.slice(0, 100),
      cancelled: job.signal.aborted,
    };
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  } finally {
    if (db.inTransaction) db.exec('COMMIT');
    db.close();
  }
  if (!summary.verified) {
    // Not equal (or cancelled): nothing is kept, and an existing target is untouched.
    await rm(dir, { recursive: true, force: true });
    return { ...summary, files: [] };
  }
  // Move into place: the old folder (if any) is set aside first and removed only after the new one is there.
  let old: string | null = null;
  if (existsSync(out)) {
    old = `${dir}.old`;
    await rename(out, old);
  }
  try {
    await rename(dir, out);
  } catch (e) {
    if (old) await rename(old, out);
    throw e;
  }
  if (old) await rm(old, { recursive: true, force: true });
  return summary;
}

/** The files written: all of them for a small export; for a big one, the label files and a count per folder. */
function listFiles(files: Set<string>): string[] {
  const all = [...files].sort();
  if (all.length <= 1000) return all;
  const perDir = new Map<string, number>();
  const top: string[] = [];
  for (const f of all) {
    const d = f.includes('/') ? f.slice(0, f.lastIndexOf('/') + 1) : '';
    if (d === '' || d === 'annotations/') top.push(f);
    else perDir.set(d, (perDir.get(d) ?? 0) + 1);
  }
  return [...top, ...[...perDir].map(([d, n]) => `${d} (${n} files)`)];
}

/** Cancellation check for the writers' loops. */
export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new ApiError('conflict', 'Cancelled');
}
