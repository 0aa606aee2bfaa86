/**
 * One exporter per format (issue 8): how the project's records become files, and how the files are read back for
 * the round-trip check. The writing and parsing themselves are the pure modules in common/formats; this file decides
 * the layout (which file holds what) and streams.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AnnotationKind, ExportFormat } from '../../../common/api/contract.js';
import { compareObjects, type Comparable } from '../../../common/formats/compare.js';
import { FormatError, type FormatObject, type Held } from '../../../common/formats/types.js';
import * as coco from '../../../common/formats/coco.js';
import { splitJsonFile } from './importers.js';
import { IdSet } from '../../../common/formats/idSet.js';
import * as yolo from '../../../common/formats/yolo.js';
import * as labelme from '../../../common/formats/labelme.js';
import * as voc from '../../../common/formats/voc.js';
import * as masks from '../../../common/formats/masks.js';
import * as captions from '../../../common/formats/captions.js';
import { decodePng, encodePng } from '../../../common/formats/png.js';
import type { ExportContext, Exporter } from './export.js';
import { throwIfCancelled } from './export.js';
import { cocoImageIdMap, countImages, type ExportRecord } from './project.js';

// ---------------------------------------------------------------- shared pieces

const stem = (file: string) => file.replace(/\.[^./]+$/, '');

/** Apply `hold` to a record: what the format keeps, with the reasons for the rest counted in the tally. */
function heldObjects(rec: ExportRecord, hold: (o: FormatObject) => Held, tally?: ExportContext['tally']): { object: FormatObject; held: Comparable[] }[] {
  const out: { object: FormatObject; held: Comparable[] }[] = [];
  for (const o of rec.objects) {
    const h = hold(o);
    if (typeof h === 'string') tally?.skip(h);
    else out.push({ object: o, held: h });
  }
  return out;
}

/** The path the labels name for an image: a copy inside the export, or the original (relative to `fromDir`). */
async function nameImage(ctx: ExportContext, rec: ExportRecord, imageRel: string, fromDirRel: string, opts?: { jpeg?: boolean }): Promise<string> {
  if (ctx.images !== 'none' || (ctx.upright && rec.image.orientation !== 1) || opts?.jpeg) {
    const placed = await ctx.placeImage(rec, imageRel, opts);
    return path.posix.relative(fromDirRel || '.', placed);
  }
  return ctx.relativeToOriginal(rec, fromDirRel);
}

async function readText(ctx: ExportContext, rel: string): Promise<string | null> {
  try {
    return await readFile(path.join(ctx.dir, ...rel.split('/')), 'utf8');
  } catch {
    return null;
  }
}

const where = (rec: ExportRecord) => rec.image.file;

function formatErrorText(e: unknown): string {
  return e instanceof FormatError ? e.message : `${(e as Error).message}`;
}

// ---------------------------------------------------------------- per-image formats: YOLO, LabelMe, VOC, masks

interface PerImageSpec {
  defaultImages: 'copy' | 'link' | 'none';
  supportsSplit: boolean;
  begin?(ctx: ExportContext): Promise<void>;
  /** Write one image's files; returns how many objects it wrote. */
  writeImage(ctx: ExportContext, rec: ExportRecord, split: string | null): Promise<number>;
  end?(ctx: ExportContext): Promise<void>;
  /** Read one image's files back: the differences from what was meant. */
  verifyImage(ctx: ExportContext, rec: ExportRecord, split: string | null): Promise<string[]>;
  verifyEnd?(ctx: ExportContext): Promise<string[]>;
}

function perImage(spec: PerImageSpec): Exporter {
  return {
    defaultImages: spec.defaultImages,
    supportsSplit: spec.supportsSplit,
    async write(ctx) {
      await spec.begin?.(ctx);
      let images = 0;
      let annotations = 0;
      for (const rec of ctx.records()) {
        throwIfCancelled(ctx.signal);
        if (rec.image.missing) {
          ctx.tally.skip('images missing on disk (rescan or relink their folder)');
          continue;
        }
        annotations += await spec.writeImage(ctx, rec, ctx.splitOf?.(rec.image.id) ?? null);
        images++;
        if (images % 50 === 0) ctx.progress(images, `Writing ${images} of ${ctx.total} images`);
      }
      await spec.end?.(ctx);
      return { images, annotations };
    },
    async verify(ctx) {
      const diffs: string[] = [];
      let n = 0;
      for (const rec of ctx.records()) {
        if (ctx.signal.aborted || diffs.length >= 100) break;
        if (rec.image.missing) continue;
        diffs.push(...(await spec.verifyImage(ctx, rec, ctx.splitOf?.(rec.image.id) ?? null)));
        if (++n % 50 === 0) ctx.progress(ctx.total + n, `Reading back ${n} of ${ctx.total} images`);
      }
      if (spec.verifyEnd) diffs.push(...(await spec.verifyEnd(ctx)));
      return diffs;
    },
  };
}

// ---------------------------------------------------------------- YOLO

/** Kinds present in the export (one query): YOLO's layout depends on them. */
function kindsOf(ctx: ExportContext): AnnotationKind[] {
  const sql =
    ctx.source.kind === 'labels'
      ? `SELECT DISTINCT a.kind FROM annotations a WHERE a.class_id IS NOT NULL`
      : `SELECT DISTINCT kind FROM predictions WHERE run_id = ${ctx.source.runId} AND (label IS NOT NULL OR class_id IS NOT NULL)`;
  return ctx.db.prepare(sql).pluck().all() as AnnotationKind[];
}

/**
 * One layout for the whole dataset (Ultralytics misreads mixed files): detect, segment (boxes as 4-corner
 * polygons) or pose, chosen by what the export holds; every change is counted in the summary. kpt_shape only when the
 * export has keypoints: [the longest template, 3 (x y visibility)].
 */
function yoloOptions(ctx: ExportContext): { task: yolo.YoloTask; kptShape: [number, number] | null; withScore: boolean } {
  const kinds = kindsOf(ctx);
  const counts = ctx.classes.filter((c) => c.keypoints).map((c) => c.keypoints!.names.length);
  const kptShape: [number, number] | null = kinds.includes('keypoints') && counts.length ? [Math.max(...counts), 3] : null;
  return { task: yolo.yoloTask(kinds, kptShape), kptShape, withScore: ctx.source.kind === 'run' };
}

function yoloExporter(): Exporter {
  let opts: ReturnType<typeof yoloOptions>;
  let names: string[];
  const labelFile = (rec: ExportRecord, split: string | null) => `labels/${split ? `${split}/` : ''}${stem(rec.image.file)}.txt`;
  return perImage({
    defaultImages: 'copy',
    supportsSplit: true,
    async begin(ctx) {
      opts = yoloOptions(ctx);
      names = ctx.classes.map((c) => c.name);
    },
    async writeImage(ctx, rec, split) {
      const sub = split ? `${split}/` : '';
      await nameImage(ctx, rec, `images/${sub}${rec.image.file}`, `images/${sub}`);
      const text = yolo.yoloLabelText(rec, ctx.classIndex, ctx.tally, opts);
      await ctx.writeFile(labelFile(rec, split), text);
      return text === '' ? 0 : text.trimEnd().split('\n').length;
    },
    async end(ctx) {
      const splits = ctx.splits.length ? Object.fromEntries(ctx.splits.map((s) => [s, `images/${s}`])) : { train: 'images', val: 'images' };
      await ctx.writeFile('data.yaml', yolo.yoloDataYaml({ names, kptShape: opts.kptShape, splits }));
    },
    async verifyImage(ctx, rec, split) {
      const file = labelFile(rec, split);
      const text = await readText(ctx, file);
      if (text === null) return [`${file} was not written`];
      const expected = heldObjects(rec, (x) => yolo.holdYolo(x, rec.image, { ...opts, classIndex: ctx.classIndex })).flatMap((h) => h.held);
      try {
        const parsed = yolo.parseYoloLabel(text, file, { names, width: rec.image.width, height: rec.image.height, kptShape: opts.kptShape, task: opts.task, withScore: opts.withScore });
        return compareObjects(where(rec), expected, parsed, yolo.YOLO_PRECISION_PX(rec.image), 1e-6);
      } catch (e) {
        return [formatErrorText(e)];
      }
    },
    async verifyEnd(ctx) {
      const text = await readText(ctx, 'data.yaml');
      if (text === null) return ['data.yaml was not written'];
      const y = yolo.parseYoloDataYaml(text, 'data.yaml');
      return JSON.stringify(y.names) === JSON.stringify(names) ? [] : [`data.yaml names ${JSON.stringify(y.names)} are not the project's classes ${JSON.stringify(names)}`];
    },
  });
}

// ---------------------------------------------------------------- COCO (instances + captions, results)

type Rec = ExportRecord;

/** COCO image ids (`cocoImageIdMap`), read once per export. */
const cocoIdsCache = new WeakMap<ExportContext, { toCoco: (id: number) => number; toProject: (id: number) => number }>();
function cocoImageIds(ctx: ExportContext): { toCoco: (id: number) => number; toProject: (id: number) => number } {
  let ids = cocoIdsCache.get(ctx);
  if (!ids) cocoIdsCache.set(ctx, (ids = cocoImageIdMap(ctx.db)));
  return ids;
}

function* imagesOf(ctx: ExportContext, split: string | null, names: Map<number, string>, counter?: { n: number }): Generator<Rec['image'] & { file: string }> {
  const ids = cocoImageIds(ctx);
  for (const image of ctx.imagesOnly()) {
    if (image.missing || (split !== null && ctx.splitOf?.(image.id) !== split)) continue;
    if (counter) counter.n++;
    yield { ...image, id: ids.toCoco(image.id), file: names.get(image.id) ?? image.file };
  }
}

function* objectsOf(ctx: ExportContext, split: string | null, names: Map<number, string>, keep: (o: FormatObject) => boolean, counter?: { n: number }) {
  const ids = cocoImageIds(ctx);
  let done = 0;
  for (const rec of ctx.records()) {
    if (++done % 1000 === 0) ctx.progress(done, `Writing annotations: ${done} of ${ctx.total} images`);
    if (rec.image.missing || (split !== null && ctx.splitOf?.(rec.image.id) !== split)) continue;
    const image = { ...rec.image, id: ids.toCoco(rec.image.id), file: names.get(rec.image.id) ?? rec.image.file };
    for (const object of rec.objects) {
      if (!keep(object)) continue;
      if (counter) counter.n++;
      yield { image, object, categoryId: object.class === null ? 0 : (ctx.classByName.get(object.class)?.categoryId ?? 0) };
    }
  }
}

/** Write a generator's chunks to a file. */
async function writeChunks(ctx: ExportContext, rel: string, chunks: Iterable<string>): Promise<void> {
  const sink = ctx.openText(rel);
  for (const c of chunks) {
    throwIfCancelled(ctx.signal);
    const wait = sink.write(c);
    if (wait) await wait;
  }
  await sink.close();
}

/** Place the images (when copied) and decide the file_name of each: relative to the images folder, or the original. */
async function cocoImageNames(ctx: ExportContext, split: string | null): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  // Nothing is copied: file_name is the original's path, and no pass over the images is needed.
  if (ctx.images === 'none' && !(ctx.upright && ctx.rotated > 0)) return names;
  let done = 0;
  for (const image of ctx.imagesOnly()) {
    throwIfCancelled(ctx.signal);
    if (image.missing || (split !== null && ctx.splitOf?.(image.id) !== split)) continue;
    // With images 'none', only the rotated ones get (upright) copies.
    if (ctx.images === 'none' && image.orientation === 1) continue;
    const dir = split ? `images/${split}` : 'images';
    names.set(image.id, path.posix.relative(dir, await ctx.placeImage({ image, objects: [] }, `${dir}/${image.file}`)));
    if (++done % 200 === 0) ctx.progress(done, `Placing images: ${done}`);
  }
  return names;
}

const cocoSplits = (ctx: ExportContext): (string | null)[] => (ctx.splits.length ? ctx.splits : [null]);
const cocoFile = (kind: string, split: string | null) => `annotations/${kind}${split ? `_${split}` : ''}.json`;

const cocoInfo = (ctx: ExportContext) => ({
  description: `Exported by Sightline from ${ctx.source.kind === 'labels' ? 'the labels' : `model run ${ctx.source.runId}`}`,
  date_created: new Date().toISOString(),
  version: '1.0',
});

const captionsCache = new WeakMap<ExportContext, boolean>();
function hasCaptions(ctx: ExportContext): boolean {
  const known = captionsCache.get(ctx);
  if (known !== undefined) return known;
  const has = (ctx.db.prepare(ctx.source.kind === 'labels' ? `SELECT 1 FROM annotations WHERE kind = 'caption' LIMIT 1` : `SELECT 1 FROM predictions WHERE run_id = ? AND kind = 'caption' LIMIT 1`).get(
    ...(ctx.source.kind === 'labels' ? [] : [ctx.source.runId]),
  )) !== undefined;
  captionsCache.set(ctx, has);
  return has;
}

/** What the instances writer keeps of an object (cocoInstancesChunks decides the same way). */
function holdInstance(ctx: ExportContext, rec: ExportRecord, o: FormatObject): Held {
  const template = o.class === null ? null : (ctx.classByName.get(o.class)?.keypoints?.names ?? null);
  if (o.geometry.type === 'keypoints' && !template && o.class !== null) return coco.NOT_IN_INSTANCES.noTemplate;
  if (o.geometry.type === 'mask' && (o.geometry.width !== rec.image.width || o.geometry.height !== rec.image.height)) return coco.NOT_IN_INSTANCES.maskSize;
  return coco.holdCocoInstance(o, template);
}

/** What the results writer keeps of an object (cocoResultsChunks / cocoCaptionResultsChunks decide the same way). */
function holdResult(ctx: ExportContext, rec: ExportRecord, o: FormatObject): Held {
  if (o.kind === 'caption') return coco.holdCocoCaption(o);
  const cls = o.class === null ? undefined : ctx.classByName.get(o.class);
  if (o.class !== null && !cls) return 'predictions whose label is not a project class (no category id)';
  if (o.geometry.type === 'mask' && (o.geometry.width !== rec.image.width || o.geometry.height !== rec.image.height)) return coco.NOT_IN_INSTANCES.maskSize;
  return coco.holdCocoResult(o, cls?.keypoints?.names ?? null);
}

type CocoFileKind = 'instances' | 'captions' | 'results' | 'caption-results';

/** The export's image sizes by COCO id, read from the project as records ask for them (the last one kept). */
function exportImageSizes(ctx: ExportContext, ids: { toProject: (id: number) => number }) {
  const get = ctx.db.prepare('SELECT width, height FROM images WHERE id = ?');
  let last: { id: number; size: { width: number; height: number } | undefined } | null = null;
  const lookup = (id: number) => {
    if (last?.id !== id) last = { id, size: get.get(ids.toProject(id)) as { width: number; height: number } | undefined };
    return last.size;
  };
  return { get: lookup, has: (id: number) => lookup(id) !== undefined };
}

/**
 * Lockstep read-back of a COCO file written in image id order (instances, captions, a results list): each image's
 * records are compared as they come with a second pass over the project, so neither side is held in memory.
 */
async function verifyCocoFile(ctx: ExportContext, rel: string, split: string | null, names: Map<number, string>, kind: CocoFileKind): Promise<string[]> {
  const diffs: string[] = [];
  const file = path.join(ctx.dir, ...rel.split('/'));
  const hasImages = kind === 'instances' || kind === 'captions';
  const expectedImages = imagesOf(ctx, split, names);
  const ids = cocoImageIds(ctx);
  const records = ctx.records();
  // A results list names categories and images by id only: they are the export's own.
  const categories = new Map<number, { name: string; keypoints: readonly string[] | null }>(
    hasImages ? [] : ctx.classes.map((c) => [c.categoryId, { name: c.name, keypoints: c.keypoints?.names ?? null }]),
  );
  const imageSizes = hasImages ? new Map<number, { width: number | null; height: number | null }>() : exportImageSizes(ctx, ids);
  const seenIds = new IdSet();
  const parse = kind === 'instances' ? coco.parseCocoAnnotation : kind === 'results' ? coco.parseCocoResult : coco.parseCocoCaption;
  const keep = (o: FormatObject) => (kind === 'captions' || kind === 'caption-results') === (o.kind === 'caption');
  const hold = (rec: ExportRecord, o: FormatObject): Held =>
    !keep(o) ? 'elsewhere' : kind === 'instances' ? holdInstance(ctx, rec, o) : kind === 'results' || kind === 'caption-results' ? holdResult(ctx, rec, o) : coco.holdCocoCaption(o);
  let group: { imageId: number; objects: Comparable[] } | null = null;
  const expectedFor = (rec: ExportRecord): Comparable[] => heldObjects(rec, (o) => hold(rec, o)).flatMap((h) => h.held);
  let read = 0;
  const nextRecord = (): ExportRecord | null => {
    for (let r = records.next(); !r.done; r = records.next()) {
      if (++read % 1000 === 0) ctx.progress(ctx.total + read, `Reading ${rel} back: ${read} of ${ctx.total} images`);
      if (r.value.image.missing || (split !== null && ctx.splitOf?.(r.value.image.id) !== split)) continue;
      return r.value;
    }
    return null;
  };
  const close = (upTo: number) => {
    // Every image before `upTo` must have nothing left to compare.
    for (;;) {
      const rec = pendingRecord ?? nextRecord();
      pendingRecord = null;
      if (!rec) return;
      if (rec.image.id > upTo) {
        pendingRecord = rec;
        return;
      }
      const got = group && group.imageId === rec.image.id ? group.objects : [];
      if (diffs.length < 100) diffs.push(...compareObjects(`${rel}, image ${rec.image.id} (${rec.image.file})`, expectedFor(rec), got, 0, 0));
    }
  };
  let pendingRecord: ExportRecord | null = null;
  try {
    for await (const el of splitJsonFile(file, rel, ctx.signal, (k) => k === null || k === 'images' || k === 'annotations' || k === 'categories')) {
      if (!('index' in el)) continue;
      const where = `${el.key ?? ''}[${el.index}] (line ${el.line})`;
      const raw = JSON.parse(el.text);
      if (el.key === 'categories') {
        const c = coco.parseCocoCategory(raw, where, rel);
        categories.set(c.id, { name: c.name, keypoints: c.keypoints });
      } else if (el.key === 'images') {
        const im = coco.parseCocoImage(raw, where, rel);
        (imageSizes as Map<number, { width: number | null; height: number | null }>).set(im.id, { width: im.width, height: im.height });
        const want = expectedImages.next();
        if (want.done || want.value.id !== im.id || want.value.file !== im.file || want.value.width !== im.width || want.value.height !== im.height) {
          diffs.push(`${rel}: ${where} is ${JSON.stringify({ id: im.id, file_name: im.file, width: im.width, height: im.height })}, expected ${want.done ? 'no more images' : JSON.stringify({ id: want.value.id, file_name: want.value.file, width: want.value.width, height: want.value.height })}`);
        }
      } else {
        const parsed = parse(raw, where, { file: rel, categories, images: imageSizes, seenIds });
        const r = { ...parsed, imageId: ids.toProject(parsed.imageId) };
        if (!group || group.imageId !== r.imageId) {
          if (group) close(group.imageId);
          if (group && r.imageId < group.imageId) diffs.push(`${rel}: ${where} is out of image order`);
          group = { imageId: r.imageId, objects: [] };
        }
        group.objects.push(...r.objects);
      }
      if (diffs.length >= 100) break;
    }
    if (hasImages && !expectedImages.next().done) diffs.push(`${rel}: fewer images than exported`);
    close(Number.MAX_SAFE_INTEGER);
  } catch (e) {
    diffs.push(formatErrorText(e));
  }
  return diffs;
}

const cocoExporter = (): Exporter => ({
  defaultImages: 'none',
  supportsSplit: true,
  async write(ctx) {
    let images = 0;
    let annotations = 0;
    const categories = coco.cocoCategories(ctx.classes);
    const captions = hasCaptions(ctx);
    for (const split of cocoSplits(ctx)) {
      const names = await cocoImageNames(ctx, split);
      const counter = { n: 0 };
      const imageCount = { n: 0 };
      const objects = objectsOf(ctx, split, names, (o) => o.kind !== 'caption', counter);
      await writeChunks(ctx, cocoFile('instances', split), coco.cocoInstancesChunks(cocoInfo(ctx), categories, imagesOf(ctx, split, names, imageCount), objects, ctx.tally));
      if (captions) {
        const caps = objectsOf(ctx, split, names, (o) => o.kind === 'caption');
        await writeChunks(ctx, cocoFile('captions', split), coco.cocoCaptionsChunks(cocoInfo(ctx), imagesOf(ctx, split, names), caps, ctx.tally));
      }
      images += imageCount.n;
      annotations += counter.n;
    }
    return { images, annotations };
  },
  async verify(ctx) {
    const diffs: string[] = [];
    const captions = hasCaptions(ctx);
    for (const split of cocoSplits(ctx)) {
      const names = new Map<number, string>();
      if (ctx.images !== 'none' || ctx.upright) {
        // The names the write pass gave (copies): the same rule, without copying again.
        const dir = split ? `images/${split}` : 'images';
        for (const image of ctx.imagesOnly()) {
          if (image.missing || (split !== null && ctx.splitOf?.(image.id) !== split)) continue;
          if (ctx.images !== 'none' || (ctx.upright && image.orientation !== 1)) names.set(image.id, path.posix.relative(dir, ctx.placedName({ image, objects: [] }, `${dir}/${image.file}`)));
        }
      }
      diffs.push(...(await verifyCocoFile(ctx, cocoFile('instances', split), split, names, 'instances')));
      if (captions) diffs.push(...(await verifyCocoFile(ctx, cocoFile('captions', split), split, names, 'captions')));
    }
    return diffs;
  },
});


// ---------------------------------------------------------------- Pascal VOC

/** VOC ids must be unique file stems: the path with "/" as "_", made unique by the image id when two collide. */
function vocIds(ctx: ExportContext): Map<number, string> {
  const ids = new Map<number, string>();
  const taken = new Set<string>();
  for (const image of ctx.imagesOnly()) {
    let id = stem(image.file).replace(/[/\\]/g, '_').replace(/\s/g, '_');
    if (taken.has(id)) id = `${id}_${image.id}`;
    taken.add(id);
    ids.set(image.id, id);
  }
  return ids;
}

function vocExporter(): Exporter {
  let ids = new Map<number, string>();
  const sets: voc.VocSetEntry[] = [];
  return perImage({
    defaultImages: 'copy',
    supportsSplit: true,
    async begin(ctx) {
      ids = vocIds(ctx);
      if (ctx.images === 'none') ctx.warnings.push('VOC loaders read JPEGImages/<id>.jpg: this export has no images (--images none).');
    },
    async writeImage(ctx, rec, split) {
      const id = ids.get(rec.image.id)!;
      const ignoreClass = ctx.ignoreClass;
      let filename = `${id}.jpg`;
      if (ctx.images !== 'none') filename = path.posix.basename(await ctx.placeImage(rec, `JPEGImages/${id}.jpg`, { jpeg: true }));
      const xml = voc.vocAnnotationXml(rec, { folder: 'JPEGImages', filename, depth: 3, ignoreClass }, ctx.tally);
      await ctx.writeFile(`Annotations/${id}.xml`, xml);
      const segmented = voc.vocSegmented(rec, { ignoreClass });
      if (segmented) {
        const ci = ctx.classIndex;
        const palette = masks.vocPalette();
        const cls = masks.semanticMap(rec, ci, { ignoreClass, tally: ctx.tally });
        const inst = masks.instanceMap(rec, { ignoreClass, classIndex: ci });
        const png = (data: Uint8Array) => encodePng({ width: rec.image.width, height: rec.image.height, channels: 1, data, palette }, ctx.zlib);
        await ctx.writeFile(`SegmentationClass/${id}.png`, png(cls));
        await ctx.writeFile(`SegmentationObject/${id}.png`, png(inst));
      }
      const objects = voc.vocObjects(rec, { ignoreClass });
      sets.push({ id, split: (split as 'train' | 'val' | 'test' | null) ?? null, objects: objects.map((o) => ({ class: o.source.class!, difficult: o.flags.difficult === true })), segmented });
      return objects.length;
    },
    async end(ctx) {
      for (const f of voc.vocImageSets(sets, ctx.classes.map((c) => c.name))) await ctx.writeFile(f.path, f.text);
      await ctx.writeFile('labelmap.txt', voc.vocLabelmap(ctx.classes, masks.vocPalette()));
    },
    async verifyImage(ctx, rec) {
      const id = ids.get(rec.image.id)!;
      const file = `Annotations/${id}.xml`;
      const text = await readText(ctx, file);
      if (text === null) return [`${file} was not written`];
      const ignoreClass = ctx.ignoreClass;
      const expected = masks
        .holdVocImage(rec, { ignoreClass, classIndex: ctx.classIndex })
        .flatMap((h) => (typeof h.held === 'string' ? [] : h.held));
      try {
        let objects = voc.parseVocXml(text, file).objects;
        const clsFile = path.join(ctx.dir, 'SegmentationClass', `${id}.png`);
        const objFile = path.join(ctx.dir, 'SegmentationObject', `${id}.png`);
        const clsBytes = await readFile(clsFile).catch(() => null);
        const objBytes = await readFile(objFile).catch(() => null);
        if (clsBytes && objBytes) {
          objects = voc.mergeVocSegmentation(objects, decodePng(objBytes, ctx.zlib, objFile), decodePng(clsBytes, ctx.zlib, clsFile), file);
        }
        return compareObjects(where(rec), expected, objects, 0, 0);
      } catch (e) {
        return [formatErrorText(e)];
      }
    },
  });
}

// ---------------------------------------------------------------- semantic masks

function masksExporter(): Exporter {
  let names: string[] | null = null;
  return perImage({
    defaultImages: 'none',
    supportsSplit: false,
    async writeImage(ctx, rec) {
      const ignoreClass = ctx.ignoreClass;
      const map = masks.semanticMap(rec, ctx.classIndex, { ignoreClass, tally: ctx.tally });
      await ctx.writeFile(`masks/${stem(rec.image.file)}.png`, encodePng({ width: rec.image.width, height: rec.image.height, channels: 1, data: map, palette: masks.vocPalette() }, ctx.zlib));
      if (ctx.images !== 'none' || (ctx.upright && rec.image.orientation !== 1)) await ctx.placeImage(rec, `images/${rec.image.file}`);
      const held = masks.holdSemantic(rec, ctx.classIndex, { ignoreClass });
      return typeof held === 'string' ? 0 : held.length;
    },
    async end(ctx) {
      await ctx.writeFile('classes.txt', masks.classesTxt(ctx.classes));
    },
    async verifyImage(ctx, rec) {
      const file = `masks/${stem(rec.image.file)}.png`;
      try {
        const bytes = await readFile(path.join(ctx.dir, ...file.split('/')));
        const png = decodePng(bytes, ctx.zlib, file);
        if (png.width !== rec.image.width || png.height !== rec.image.height) return [`${file} is ${png.width}×${png.height}, not ${rec.image.width}×${rec.image.height}`];
        names ??= masks.parseClassesTxt((await readText(ctx, 'classes.txt')) ?? '', 'classes.txt');
        const ignoreClass = ctx.ignoreClass;
        const got = masks.masksFromSemanticMap(png.data, png.width, png.height, names, { ignoreClass, file });
        const held = masks.holdSemantic(rec, ctx.classIndex, { ignoreClass });
        return compareObjects(where(rec), typeof held === 'string' ? [] : held, got, 0, 0);
      } catch (e) {
        return [formatErrorText(e)];
      }
    },
  });
}

// ---------------------------------------------------------------- LabelMe

const labelmeExporter = () => perImage({
  defaultImages: 'none',
  supportsSplit: false,
  async writeImage(ctx, rec) {
    const jsonRel = `${stem(rec.image.file)}.json`;
    const dirRel = path.posix.dirname(jsonRel) === '.' ? '' : path.posix.dirname(jsonRel);
    const imagePath = await nameImage(ctx, rec, rec.image.file, dirRel);
    const doc = labelme.labelmeJson(rec, imagePath, ctx.tally, ctx.zlib, ctx.keypointNames);
    await ctx.writeFile(jsonRel, JSON.stringify(doc, null, 2) + '\n');
    return doc.shapes.length;
  },
  async verifyImage(ctx, rec) {
    const file = `${stem(rec.image.file)}.json`;
    const text = await readText(ctx, file);
    if (text === null) return [`${file} was not written`];
    const names = ctx.keypointNames;
    const lctx = labelme.labelmeContext(rec, names);
    const expected = heldObjects(rec, (o) => labelme.holdLabelme(o, rec.image, lctx)).flatMap((h) => h.held);
    try {
      const parsed = labelme.parseLabelme(text, file, ctx.zlib, names);
      const diffs = compareObjects(where(rec), expected, parsed.objects, labelme.LABELME_PRECISION_PX, 0);
      if (parsed.width !== rec.image.width || parsed.height !== rec.image.height) diffs.push(`${file}: imageWidth × imageHeight ${parsed.width}×${parsed.height} ≠ ${rec.image.width}×${rec.image.height}`);
      return diffs;
    } catch (e) {
      return [formatErrorText(e)];
    }
  },
});

// ---------------------------------------------------------------- captions (JSON Lines)

const captionsExporter = (): Exporter => ({
  defaultImages: 'none',
  supportsSplit: false,
  async write(ctx) {
    let images = 0;
    let annotations = 0;
    const sink = ctx.openText('captions.jsonl');
    for (const rec of ctx.records()) {
      throwIfCancelled(ctx.signal);
      if (rec.image.missing) continue;
      images++;
      for (const line of captions.captionsJsonlLines([rec], ctx.tally)) {
        annotations++;
        const w = sink.write(line);
        if (w) await w;
      }
    }
    await sink.close();
    return { images, annotations };
  },
  async verify(ctx) {
    const text = await readText(ctx, 'captions.jsonl');
    if (text === null) return ['captions.jsonl was not written'];
    try {
      const byFile = new Map(captions.parseCaptionsJsonl(text, 'captions.jsonl').map((p) => [p.file, p.objects]));
      const diffs: string[] = [];
      for (const rec of ctx.records()) {
        if (rec.image.missing) continue;
        const expected = heldObjects(rec, (o) => captions.holdCaption(o, rec.image)).flatMap((h) => h.held);
        diffs.push(...compareObjects(where(rec), expected, byFile.get(rec.image.file) ?? [], 0, 0));
        byFile.delete(rec.image.file);
      }
      for (const f of byFile.keys()) diffs.push(`captions.jsonl names ${f}, which was not exported`);
      return diffs;
    } catch (e) {
      return [formatErrorText(e)];
    }
  },
});

// ---------------------------------------------------------------- COCO results (one run)

const cocoResultsExporter = (): Exporter => ({
  defaultImages: 'none',
  supportsSplit: false,
  async write(ctx) {
    const categories = coco.cocoCategories(ctx.classes);
    const names = new Map<number, string>();
    let n = 0;
    const counted = (function* () {
      for (const o of objectsOf(ctx, null, names, (x) => x.kind !== 'caption')) {
        if (o.categoryId === 0 && o.object.class !== null) {
          ctx.tally.skip('predictions whose label is not a project class (no category id)');
          continue;
        }
        n++;
        yield o;
      }
    })();
    await writeChunks(ctx, 'results.json', coco.cocoResultsChunks(counted, ctx.tally, categories));
    if (hasCaptions(ctx)) await writeChunks(ctx, 'captions_results.json', coco.cocoCaptionResultsChunks(objectsOf(ctx, null, names, (x) => x.kind === 'caption'), ctx.tally));
    const images = countImages(ctx.db, ctx.source) - countImages(ctx.db, ctx.source, { missing: true });
    return { images, annotations: n };
  },
  async verify(ctx) {
    const diffs = await verifyCocoFile(ctx, 'results.json', null, new Map(), 'results');
    if (hasCaptions(ctx)) diffs.push(...(await verifyCocoFile(ctx, 'captions_results.json', null, new Map(), 'caption-results')));
    return diffs;
  },
});

// ---------------------------------------------------------------- exporters by format

/** A fresh exporter per export: they keep per-run state (layout, ids, image lists) between writing and verifying. */
export const EXPORTERS: Record<ExportFormat, () => Exporter> = {
  coco: cocoExporter,
  'coco-results': cocoResultsExporter,
  yolo: yoloExporter,
  voc: vocExporter,
  labelme: labelmeExporter,
  masks: masksExporter,
  captions: captionsExporter,
};
