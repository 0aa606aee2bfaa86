/**
 * One reader per import format (issue 8): where the dataset's files are, in what order they are read, and how each
 * record becomes classes, images and objects. Parsing itself is the pure modules in common/formats. Big files are
 * read in chunks (COCO through JsonSplitter), so memory holds one record at a time.
 */
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { isAscii } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ImportFormat } from '../../../common/api/contract.js';
import { FormatError, type ParsedObject } from '../../../common/formats/types.js';
import { JsonSplitter } from '../../../common/formats/jsonStream.js';
import { IdSet } from '../../../common/formats/idSet.js';
import * as coco from '../../../common/formats/coco.js';
import * as yolo from '../../../common/formats/yolo.js';
import * as labelme from '../../../common/formats/labelme.js';
import * as voc from '../../../common/formats/voc.js';
import * as masks from '../../../common/formats/masks.js';
import { decodePng } from '../../../common/formats/png.js';
import { nodeZlib } from './zlib.js';
import type { DatasetReader, ImportItem, ReaderContext } from './import.js';

const IMAGE_EXT = /\.(jpe?g|png|webp|gif|bmp|tiff?|avif)$/i;

/** Text of a file, refusing bytes that are not UTF-8 (named, with the byte offset) instead of replacing them. */
export async function readUtf8(file: string, display = file): Promise<string> {
  const bytes = await readFile(file);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new FormatError(display, null, 'is not UTF-8 text; save it as UTF-8 and import again');
  }
}

/** Whether a chunk ends after a whole UTF-8 character (so the decoder holds nothing over). */
function endsOnCharBoundary(b: Buffer): boolean {
  // Look back over at most 3 continuation bytes to the lead byte of the last character.
  let i = b.length - 1;
  let cont = 0;
  while (i >= 0 && cont < 4 && (b[i] & 0xc0) === 0x80) {
    i--;
    cont++;
  }
  if (i < 0) return false;
  const lead = b[i];
  const need = lead < 0x80 ? 0 : lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : lead >= 0xc0 ? 1 : -1;
  return need === cont;
}

type JsonPiece =
  | { key: string | null; index: number; text: string; line: number }
  | { key: string; value: string; line: number }
  | { key: string | null; ended: number };

/** Stream a big JSON file through a splitter: decoded as strict UTF-8 in chunks. */
export async function* splitJsonFile(
  file: string,
  display: string,
  signal: AbortSignal,
  wanted: (key: string | null) => boolean,
): AsyncGenerator<JsonPiece> {
  const queue: JsonPiece[] = [];
  const splitter = new JsonSplitter({
    file: display,
    onElement: (key, index, text, line) => {
      if (wanted(key)) queue.push({ key, index, text, line });
    },
    onValue: (key, value, line) => {
      if (wanted(key)) queue.push({ key, value, line });
    },
    onArrayEnd: (key, count) => {
      if (wanted(key)) queue.push({ key, ended: count });
    },
  });
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let offset = 0;
  // Most dataset files are ASCII: such chunks are decoded as latin1 (a plain copy), the strict decoder only runs on
  // the others, and only while it holds no bytes of a character split across chunks does the fast path apply.
  let pending = false;
  for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
    if (signal.aborted) return;
    let text: string;
    if (!pending && isAscii(chunk)) text = chunk.toString('latin1');
    else {
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        throw new FormatError(display, `near byte ${offset}`, 'is not UTF-8 text; save it as UTF-8 and import again');
      }
      pending = !endsOnCharBoundary(chunk);
    }
    offset += chunk.length;
    splitter.push(text);
    while (queue.length) yield queue.shift()!;
  }
  try {
    splitter.push(decoder.decode());
  } catch {
    throw new FormatError(display, 'at the end', 'is not UTF-8 text (it ends inside a character)');
  }
  splitter.end();
  while (queue.length) yield queue.shift()!;
}

function parseRecord(text: string, file: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new FormatError(file, where, `is not valid JSON: ${(e as Error).message}`);
  }
}

function walk(dir: string, keep: (name: string) => boolean, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, keep, out);
    else if (e.isFile() && keep(e.name)) out.push(p);
  }
  return out;
}

const rel = (root: string, p: string) => path.relative(root, p).split(path.sep).join('/');

/** Report a FormatError and go on; anything else is a bug and stops the import. */
function report(ctx: ReaderContext, e: unknown): void {
  if (e instanceof FormatError) ctx.error(e);
  else throw e;
}

// ---------------------------------------------------------------- COCO

/** The COCO files to read: the file given, or the JSON files under a folder's annotations/ (or the folder). */
function cocoFiles(from: string): string[] {
  if (!statSync(from).isDirectory()) return [from];
  const dir = statSync(path.join(from, 'annotations'), { throwIfNoEntry: false })?.isDirectory() ? path.join(from, 'annotations') : from;
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 0) throw new FormatError(from, null, 'holds no COCO .json file (looked in it and in its annotations/ folder)');
  return files.map((f) => path.join(dir, f));
}

const readCoco: DatasetReader = async function* (ctx) {
  for (const file of cocoFiles(ctx.from)) {
    const display = file;
    const categories = new Map<number, { name: string; keypoints: string[] | null }>();
    const images = new Map<number, { width: number | null; height: number | null }>();
    // Pass 1: categories and images (COCO files put them before or after the annotations; reading twice keeps
    // memory to the images, not the annotations).
    try {
      let ended = 0;
      for await (const el of splitJsonFile(file, display, ctx.signal, (k) => k === 'categories' || k === 'images')) {
        // Both sections read (they come before the annotations in most files): the rest is pass 2's.
        if ('ended' in el && ++ended === 2) break;
        if (!('index' in el)) continue;
        const where = `${el.key}[${el.index}] (line ${el.line})`;
        try {
          const raw = parseRecord(el.text, display, where);
          if (el.key === 'categories') {
            const c = coco.parseCocoCategory(raw, where, display);
            if (categories.has(c.id)) throw new FormatError(display, where, `duplicate category id ${c.id}`);
            categories.set(c.id, { name: c.name, keypoints: c.keypoints });
            yield { type: 'class', name: c.name, keypoints: c.keypoints, edges: c.skeleton, cocoId: c.id } satisfies ImportItem;
          } else {
            const im = coco.parseCocoImage(raw, where, display);
            if (images.has(im.id)) throw new FormatError(display, where, `duplicate image id ${im.id}`);
            images.set(im.id, { width: im.width, height: im.height });
            yield { type: 'image', file: im.file, width: im.width, height: im.height, objects: [], cocoId: im.id } satisfies ImportItem;
          }
        } catch (e) {
          report(ctx, e);
        }
      }
    } catch (e) {
      report(ctx, e);
      continue;
    }
    // Pass 2: annotations, one at a time.
    const c = { file: display, categories, images, seenIds: new IdSet() };
    try {
      for await (const el of splitJsonFile(file, display, ctx.signal, (k) => k === 'annotations')) {
        if (!('index' in el)) continue;
        const where = `annotations[${el.index}] (line ${el.line})`;
        try {
          const raw = parseRecord(el.text, display, where);
          const r = (raw as { caption?: unknown }).caption !== undefined ? coco.parseCocoCaption(raw, where, c) : coco.parseCocoAnnotation(raw, where, c);
          yield { type: 'objects', cocoImageId: r.imageId, objects: r.objects } satisfies ImportItem;
        } catch (e) {
          report(ctx, e);
        }
        if (el.index % 5000 === 0) ctx.progress(el.index, null, `Reading ${path.basename(file)}: ${el.index} annotations`);
      }
    } catch (e) {
      report(ctx, e);
    }
  }
};

/**
 * A COCO results list. Its ids are read as the project's own COCO export writes them: those a COCO import brought in
 * (results made against that dataset), else the project's class and image ids (results of Sightline's own export).
 */
const readCocoResults: DatasetReader = async function* (ctx) {
  const file = ctx.from;
  const ids = ctx.coco();
  if (!ids.imported) {
    ctx.warn('No COCO instances file was imported into this project before, so the results are read with the ids Sightline exports (image id = project image id, category id = class id).');
  }
  const sizes = new Map<number, { width: number; height: number } | null>();
  /** A results record's image: its project image's size, by COCO id (undefined: not in the project). */
  const imageOf = (cocoId: number) => {
    const local = ids.toProject(cocoId);
    if (!sizes.has(local)) sizes.set(local, ctx.imageSize(local));
    return sizes.get(local) ?? undefined;
  };
  const c = { file, categories: ids.categories, images: { get: imageOf, has: (id: number) => imageOf(id) !== undefined }, seenIds: new IdSet() };
  try {
    for await (const el of splitJsonFile(file, file, ctx.signal, () => true)) {
      if (!('index' in el)) continue;
      const where = `[${el.index}] (line ${el.line})`;
      try {
        const raw = parseRecord(el.text, file, where);
        const r = (raw as { caption?: unknown })?.caption !== undefined ? coco.parseCocoCaption(raw, where, c) : coco.parseCocoResult(raw, where, c);
        yield { type: 'project-image', imageId: ids.toProject(r.imageId), objects: r.objects } satisfies ImportItem;
      } catch (e) {
        report(ctx, e);
      }
    }
  } catch (e) {
    report(ctx, e);
  }
  // Results made against an imported COCO dataset cover all of its images, also those where the model found nothing
  // (pycocotools evaluates every image of the ground truth): each gets the run's "ran here" row.
  for (const local of ids.importedImages) if (ctx.hasImage(local)) yield { type: 'project-image', imageId: local, objects: [] } satisfies ImportItem;
};

// ---------------------------------------------------------------- YOLO

const readYolo: DatasetReader = async function* (ctx) {
  const yamlFile = statSync(ctx.from).isDirectory()
    ? ['data.yaml', 'dataset.yaml', 'data.yml'].map((f) => path.join(ctx.from, f)).find((f) => statSync(f, { throwIfNoEntry: false })?.isFile())
    : ctx.from;
  if (!yamlFile) throw new FormatError(ctx.from, null, 'holds no data.yaml: a YOLO dataset needs one with the class names');
  const root = path.dirname(yamlFile);
  const y = yolo.parseYoloDataYaml(await readUtf8(yamlFile), yamlFile);
  const templates = new Map(ctx.classes().map((k) => [k.name, k.keypoints?.names ?? null]));
  for (const name of y.names) yield { type: 'class', name, keypoints: templates.get(name) ?? null } satisfies ImportItem;
  const base = y.path ? path.resolve(root, y.path) : root;
  const dirs = [...new Set(Object.values(y.splits ?? {}).flatMap((v) => (Array.isArray(v) ? v : v ? [v] : [])).map((d) => path.resolve(base, d)))];
  if (dirs.length === 0) dirs.push(path.join(base, 'images'));
  const seen = new Set<string>();
  for (const dir of dirs) {
    const st = statSync(dir, { throwIfNoEntry: false });
    let list: string[];
    if (st?.isDirectory()) list = walk(dir, (n) => IMAGE_EXT.test(n));
    else if (st?.isFile() && dir.endsWith('.txt')) {
      // A list of images, one per line, relative to the dataset root (Ultralytics' train.txt).
      list = (await readUtf8(dir, rel(root, dir))).split(/\r?\n/).map((l) => l.trim()).filter(Boolean).map((l) => path.resolve(base, l));
    } else {
      ctx.warn(`${dir} (named in ${path.basename(yamlFile)}) is neither a folder nor a .txt list of images; skipped.`);
      continue;
    }
    for (const image of list) {
      if (ctx.signal.aborted) return;
      if (seen.has(image)) continue;
      seen.add(image);
      // Ultralytics: the label of …/images/…/x.jpg is …/labels/…/x.txt (the last "images" folder becomes "labels").
      const parts = image.split(path.sep);
      const at = parts.lastIndexOf('images');
      if (at >= 0) parts[at] = 'labels';
      const labelFile = parts.join(path.sep).replace(/\.[^./\\]+$/, '.txt');
      const name = rel(base, image);
      const m = ctx.match(name, image);
      if ('reason' in m) {
        ctx.unmatched(name, m.reason);
        continue;
      }
      let objects: ParsedObject[] = [];
      const text = statSync(labelFile, { throwIfNoEntry: false })?.isFile() ? await readUtf8(labelFile, rel(root, labelFile)).catch((e) => (report(ctx, e), null)) : '';
      if (text === null) continue;
      try {
        objects = yolo.parseYoloLabel(text, rel(root, labelFile), { names: y.names, width: m.width, height: m.height, kptShape: y.kptShape, withScore: ctx.as === 'predictions' && hasScores(text, y.kptShape) });
      } catch (e) {
        report(ctx, e);
        continue;
      }
      yield { type: 'project-image', imageId: m.id, objects } satisfies ImportItem;
    }
  }
};

/** Predictions files end each line with a score (Ultralytics' save_conf): one value more than the layout has. */
function hasScores(text: string, kptShape: [number, number] | null): boolean {
  const first = text.split('\n').find((l) => l.trim());
  if (!first) return false;
  const n = first.trim().split(/\s+/).length;
  return kptShape ? n === 5 + kptShape[0] * kptShape[1] + 1 : n === 6 || (n > 6 && n % 2 === 0);
}

// ---------------------------------------------------------------- LabelMe

const readLabelme: DatasetReader = async function* (ctx) {
  const files = statSync(ctx.from).isDirectory() ? walk(ctx.from, (n) => n.endsWith('.json')) : [ctx.from];
  const root = statSync(ctx.from).isDirectory() ? ctx.from : path.dirname(ctx.from);
  const templates = new Map(ctx.classes().filter((k) => k.keypoints).map((k) => [k.name, k.keypoints!.names]));
  for (const file of files) {
    if (ctx.signal.aborted) return;
    const display = rel(root, file) || path.basename(file);
    try {
      const parsed = labelme.parseLabelme(await readUtf8(file, display), display, nodeZlib, templates);
      const abs = path.resolve(path.dirname(file), parsed.file);
      const name = rel(root, abs).startsWith('..') ? parsed.file : rel(root, abs);
      const m = ctx.match(name, abs);
      if ('reason' in m) {
        ctx.unmatched(name, m.reason);
        continue;
      }
      if (parsed.width !== null && parsed.height !== null && (parsed.width !== m.width || parsed.height !== m.height)) {
        throw new FormatError(display, null, `imageWidth × imageHeight ${parsed.width}×${parsed.height} differ from the project's image (${m.width}×${m.height} as displayed)`);
      }
      yield { type: 'project-image', imageId: m.id, objects: parsed.objects } satisfies ImportItem;
    } catch (e) {
      report(ctx, e);
    }
  }
};

// ---------------------------------------------------------------- Pascal VOC

const readVoc: DatasetReader = async function* (ctx) {
  const root = ctx.from;
  const annDir = path.join(root, 'Annotations');
  if (!statSync(annDir, { throwIfNoEntry: false })?.isDirectory()) throw new FormatError(root, null, 'has no Annotations/ folder: give the VOC dataset folder (VOCdevkit/VOC2012 or the export folder)');
  const names = new Set<string>();
  const files = walk(annDir, (n) => n.endsWith('.xml'));
  for (const file of files) {
    if (ctx.signal.aborted) return;
    const display = rel(root, file);
    try {
      const parsed = voc.parseVocXml(await readUtf8(file, display), display);
      const id = path.basename(file, '.xml');
      const imageRel = `JPEGImages/${parsed.file}`;
      const m = ctx.match(parsed.file, path.join(root, imageRel));
      if ('reason' in m) {
        ctx.unmatched(parsed.file, m.reason);
        continue;
      }
      let objects = parsed.objects;
      const objPng = path.join(root, 'SegmentationObject', `${id}.png`);
      const clsPng = path.join(root, 'SegmentationClass', `${id}.png`);
      if (statSync(objPng, { throwIfNoEntry: false })?.isFile() && statSync(clsPng, { throwIfNoEntry: false })?.isFile()) {
        const inst = decodePng(await readFile(objPng), nodeZlib, rel(root, objPng));
        const cls = decodePng(await readFile(clsPng), nodeZlib, rel(root, clsPng));
        objects = voc.mergeVocSegmentation(objects, inst, cls, display);
      }
      for (const o of objects) if (o.class !== null && !names.has(o.class)) {
        names.add(o.class);
        yield { type: 'class', name: o.class } satisfies ImportItem;
      }
      yield { type: 'project-image', imageId: m.id, objects } satisfies ImportItem;
    } catch (e) {
      report(ctx, e);
    }
  }
};

export const IMPORTERS: Record<ImportFormat, DatasetReader> = {
  coco: readCoco,
  'coco-results': readCocoResults,
  yolo: readYolo,
  voc: readVoc,
  labelme: readLabelme,
};
void masks;
