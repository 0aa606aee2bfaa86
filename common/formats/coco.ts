/**
 * COCO (issue 8): instances (boxes, polygons, RLE masks, keypoints), captions, and results files for a run.
 * Pure and streaming-friendly: writers yield the file as text chunks from iterables, one record per line;
 * readers take one record at a time (the caller streams a big file through JsonSplitter) and `parseCocoFile`
 * does the whole job for small files.
 *
 * What pycocotools does decides the details: polygons of several rings become one mask exactly as
 * `merge(frPyObjects(...))` rasterises them, RLE strings are its compressed counts, crowd masks are written
 * with uncompressed counts as in the official files, and numbers are written in full (JSON.stringify's
 * shortest round-trip form), so export then import gives back the same numbers.
 */
import type { Geometry } from '../api/contract.js';
import { rleFromPolygons } from '../geometry/cocoPolygon.js';
import { polygonArea } from '../geometry/polygon.js';
import { keypointExtent, polygonExtent } from '../geometry/extent.js';
import { rleArea, rleBbox, rleFromString, rleToString, type Rle } from '../geometry/rle.js';
import { JsonSplitter } from './jsonStream.js';
import {
  FormatError,
  type ExportTally,
  type AttributeValue,
  type FormatAttributes,
  type FormatClass,
  type FormatImage,
  type FormatObject,
  type Held,
  type ParsedImage,
  type ParsedObject,
} from './types.js';

// ================================================================ types

/** A `categories` entry as written. */
export interface CocoCategoryJson {
  id: number;
  name: string;
  supercategory: string;
  keypoints?: string[];
  /** 1-based pairs of `keypoints` indices, as COCO writes them. */
  skeleton?: [number, number][];
}

/** A category as read. */
export interface CocoCategory {
  id: number;
  name: string;
  supercategory: string;
  /** Keypoint names in order; null when the category has none. */
  keypoints: string[] | null;
  /** 0-based pairs of `keypoints` indices (the project's KeypointTemplate `edges`). */
  skeleton: [number, number][];
}

/** An `images` entry as read. Width and height are null when the file leaves them out. */
export interface CocoImage {
  id: number;
  file: string;
  width: number | null;
  height: number | null;
}

/** What annotation and result records are checked against while reading a file. */
export interface CocoContext {
  file: string;
  categories: Map<number, { name: string; keypoints: readonly string[] | null }>;
  /** Images by id (a Map, or a lookup that reads them on demand: `size` is only used in messages). */
  images: Pick<Map<number, { width: number | null; height: number | null }>, 'get' | 'has'> & { readonly size?: number };
  /** Annotation ids seen so far (duplicates are refused); filled in by the parse functions. */
  seenIds: { has(id: number): boolean; add(id: number): unknown };
}

export interface CocoParsedRecord {
  /** The COCO `image_id`. */
  imageId: number;
  objects: ParsedObject[];
}

type HeldObject = Exclude<Held, string>[number];

/** Coordinates beyond this are refused on import as overflow (no image is a billion pixels wide). */
export const COCO_COORD_LIMIT = 1e9;

// Reasons an object is not written, for the export summary.
export const NOT_IN_INSTANCES = {
  noClass: 'shapes without a class',
  caption: 'captions go to captions.json',
  tag: 'COCO instances hold no image tags',
  noTemplate: 'keypoints of a class without a keypoint template',
  templateMismatch: 'keypoints that do not match their class’s keypoint template',
  maskSize: 'masks whose size differs from their image',
} as const;

// ================================================================ export

/** `categories`, in the project's class order, with COCO's keypoint names and 1-based skeleton. */
export function cocoCategories(classes: readonly FormatClass[]): CocoCategoryJson[] {
  return [...classes]
    .sort((a, b) => a.index - b.index)
    .map((c) => {
      const cat: CocoCategoryJson = { id: c.categoryId, name: c.name, supercategory: '' };
      if (c.keypoints) {
        cat.keypoints = [...c.keypoints.names];
        cat.skeleton = c.keypoints.edges.map(([a, b]) => [a + 1, b + 1]);
      }
      return cat;
    });
}

export function cocoImage(img: FormatImage): { id: number; file_name: string; width: number; height: number } {
  return { id: img.id, file_name: img.file, width: img.width, height: img.height };
}

/** The attributes COCO keeps: `iscrowd` only when true (0 is the default and reads back as absent). */
function heldAttributes(attrs: FormatAttributes): FormatAttributes {
  const out: FormatAttributes = {};
  for (const [k, v] of Object.entries(attrs)) if (k !== 'iscrowd') out[k] = v;
  if (attrs.iscrowd) out.iscrowd = true;
  return out;
}

/**
 * Keypoints as COCO writes them: in the template's order (by name when the points are named), and an absent
 * point (v = 0) as 0, 0, 0, COCO's convention. A string when they cannot be written faithfully.
 */
function heldKeypoints(g: Extract<Geometry, { type: 'keypoints' }>, template: readonly string[] | null): Extract<Geometry, { type: 'keypoints' }> | string {
  const src = g.points;
  let points: number[];
  if (template && g.names) {
    if (g.names.some((n) => !template.includes(n)) || new Set(g.names).size !== g.names.length || g.names.length * 3 !== src.length) {
      return NOT_IN_INSTANCES.templateMismatch;
    }
    points = new Array<number>(template.length * 3).fill(0);
    g.names.forEach((n, i) => {
      const at = template.indexOf(n) * 3;
      points[at] = src[3 * i];
      points[at + 1] = src[3 * i + 1];
      points[at + 2] = src[3 * i + 2];
    });
  } else {
    if (template && src.length !== template.length * 3) return NOT_IN_INSTANCES.templateMismatch;
    points = [...src];
  }
  for (let i = 0; i < points.length; i += 3) if (points[i + 2] === 0) points[i] = points[i + 1] = 0;
  const names = template ?? g.names;
  return names ? { type: 'keypoints', points, names: [...names] } : { type: 'keypoints', points };
}

/**
 * What a COCO instances file keeps of an object, as it reads back. `keypointNames` is the class's template
 * (pass it for keypoint classes: points are written in its order, and without one they cannot be written).
 */
export function holdCocoInstance(obj: FormatObject, keypointNames: readonly string[] | null = null): Held {
  const g = obj.geometry;
  if (g.type === 'caption') return NOT_IN_INSTANCES.caption;
  if (g.type === 'tag') return NOT_IN_INSTANCES.tag;
  if (obj.class === null) return NOT_IN_INSTANCES.noClass;
  let geometry: Geometry = g;
  if (g.type === 'keypoints') {
    if (!keypointNames && !g.names) return NOT_IN_INSTANCES.noTemplate;
    const k = heldKeypoints(g, keypointNames);
    if (typeof k === 'string') return k;
    geometry = k;
  }
  const attributes = heldAttributes(obj.attributes);
  // `area` is the file's own area when it differs from the shape's (a COCO import keeps it: evaluation's area ranges
  // and OKS read it); equal to the shape's, it is not written apart and reads back as absent.
  if (typeof attributes.area === 'number' && attributes.area === cocoShape(geometry, attributes.iscrowd === true).area) delete attributes.area;
  return [{ class: obj.class, kind: geometry.type, geometry, attributes, score: obj.score }];
}

/**
 * What a COCO results file keeps: the shape and its score (1 when the object has none: results need one),
 * but no attributes, which the results format has no place for.
 */
export function holdCocoResult(obj: FormatObject, keypointNames: readonly string[] | null = null): Held {
  const h = holdCocoInstance(obj, keypointNames);
  if (typeof h === 'string') return h;
  return h.map((o) => ({ ...o, attributes: {}, score: obj.score ?? 1 }));
}

/** What a captions file keeps: the caption's text (and nothing of other objects, which go elsewhere). */
export function holdCocoCaption(obj: FormatObject): Held {
  if (obj.geometry.type !== 'caption') return 'only captions go to captions.json';
  return [{ class: null, kind: 'caption', geometry: obj.geometry, attributes: {}, score: obj.score }];
}


/** The geometric part of an annotation or result: segmentation, area, bbox, keypoints. */
function cocoShape(g: Geometry, crowd: boolean): {
  segmentation: unknown;
  area: number;
  bbox: number[];
  keypoints?: number[];
  num_keypoints?: number;
} {
  switch (g.type) {
    case 'box':
      return { segmentation: [], area: g.w * g.h, bbox: [g.x, g.y, g.w, g.h] };
    case 'polygon':
      return { segmentation: [[...g.points]], area: polygonArea(g.points), bbox: polygonExtent(g.points) };
    case 'mask': {
      const rle: Rle = g;
      // Crowd regions are written with uncompressed counts, as in the official COCO files.
      const counts = crowd ? [...g.counts] : rleToString(g.counts);
      return { segmentation: { size: [g.height, g.width], counts }, area: rleArea(rle), bbox: rleBbox(rle) };
    }
    case 'keypoints': {
      const bbox = keypointExtent(g.points);
      let n = 0;
      for (let i = 2; i < g.points.length; i += 3) if (g.points[i] > 0) n++;
      return { segmentation: [], area: bbox[2] * bbox[3], bbox, keypoints: [...g.points], num_keypoints: n };
    }
    default:
      throw new Error(`COCO has no shape for a ${g.type}`);
  }
}

function firstHeld(held: Held): HeldObject {
  if (typeof held === 'string' || held.length === 0) throw new Error(`nothing to write: ${typeof held === 'string' ? held : 'no object held'}`);
  return held[0];
}

/**
 * One `annotations` entry for an object, from what `holdCocoInstance` kept of it. Key order follows the
 * official files; `attributes` (CVAT's place for free attributes) and `score` only when there are any.
 */
export function cocoAnnotation(obj: FormatObject, held: Held, image: FormatImage, annId: number, categoryId: number): Record<string, unknown> {
  const h = firstHeld(held);
  const crowd = h.attributes.iscrowd === true;
  const shape = cocoShape(h.geometry, crowd);
  const ann: Record<string, unknown> = {
    id: annId,
    image_id: image.id,
    category_id: categoryId,
    segmentation: shape.segmentation,
    area: typeof h.attributes.area === 'number' ? h.attributes.area : shape.area,
    bbox: shape.bbox,
    iscrowd: crowd ? 1 : 0,
  };
  if (shape.keypoints) {
    ann.keypoints = shape.keypoints;
    ann.num_keypoints = shape.num_keypoints;
  }
  const free: Record<string, AttributeValue> = {};
  let any = false;
  for (const [k, v] of Object.entries(h.attributes)) {
    if (k === 'iscrowd' || (k === 'area' && typeof v === 'number')) continue;
    free[k] = v;
    any = true;
  }
  if (any) ann.attributes = free;
  if (obj.score !== null) ann.score = obj.score;
  return ann;
}

/** One results entry: `{image_id, category_id, bbox, score, segmentation?, keypoints?}`. */
export function cocoResult(held: Held, image: FormatImage, categoryId: number): Record<string, unknown> {
  const h = firstHeld(held);
  const shape = cocoShape(h.geometry, false);
  const res: Record<string, unknown> = { image_id: image.id, category_id: categoryId, bbox: shape.bbox, score: h.score ?? 1 };
  if (h.geometry.type === 'polygon' || h.geometry.type === 'mask') res.segmentation = shape.segmentation;
  if (shape.keypoints) res.keypoints = shape.keypoints;
  return res;
}

/** Joins small pieces into chunks of about 64 KiB, so a writer makes few large writes. */
class Chunker {
  private parts: string[] = [];
  private size = 0;
  add(s: string): string | null {
    this.parts.push(s);
    this.size += s.length;
    return this.size >= 65536 ? this.take() : null;
  }
  take(): string {
    const s = this.parts.join('');
    this.parts = [];
    this.size = 0;
    return s;
  }
}

/** `"key":[` then one JSON value per line then `]`. */
function* arraySection<T>(chunker: Chunker, head: string, items: Iterable<T>, write: (item: T) => string | null): Generator<string> {
  let c = chunker.add(head + '[');
  if (c) yield c;
  let first = true;
  for (const item of items) {
    const text = write(item);
    if (text === null) continue;
    c = chunker.add((first ? '\n' : ',\n') + text);
    first = false;
    if (c) yield c;
  }
  c = chunker.add('\n]');
  if (c) yield c;
}

function keypointNamesOf(categories: readonly object[]): Map<number, string[] | null> {
  const out = new Map<number, string[] | null>();
  for (const c of categories as { id?: unknown; keypoints?: unknown }[]) {
    if (typeof c.id === 'number') out.set(c.id, Array.isArray(c.keypoints) ? (c.keypoints as string[]) : null);
  }
  return out;
}

export interface CocoObjectRef {
  image: FormatImage;
  object: FormatObject;
  categoryId: number;
}

/**
 * The instances file as text chunks: info, categories, images, then annotations (one per line, annotation
 * id = the object's id). What it cannot hold is counted in `tally`.
 */
export function* cocoInstancesChunks(
  info: object,
  categories: object[],
  images: Iterable<FormatImage>,
  objects: Iterable<CocoObjectRef>,
  tally: ExportTally,
): Generator<string> {
  const chunker = new Chunker();
  const names = keypointNamesOf(categories);
  // An info of 64 KiB or more fills a chunk on its own: yield it, not drop it.
  const head = chunker.add(`{"info":${JSON.stringify(info)},\n`);
  if (head) yield head;
  yield* arraySection(chunker, '"categories":', categories, (c) => JSON.stringify(c));
  yield* arraySection(chunker, ',\n"images":', images, (img) => JSON.stringify(cocoImage(img)));
  yield* arraySection(chunker, ',\n"annotations":', objects, ({ image, object, categoryId }) => {
    const template = object.geometry.type === 'keypoints' ? (names.get(categoryId) ?? null) : null;
    let held = object.geometry.type === 'keypoints' && !template && object.class !== null ? NOT_IN_INSTANCES.noTemplate : holdCocoInstance(object, template);
    if (typeof held !== 'string' && object.geometry.type === 'mask' && (object.geometry.width !== image.width || object.geometry.height !== image.height)) {
      held = NOT_IN_INSTANCES.maskSize;
    }
    if (typeof held === 'string') {
      tally.skip(held);
      return null;
    }
    return JSON.stringify(cocoAnnotation(object, held, image, object.id, categoryId));
  });
  chunker.add('}\n');
  yield chunker.take();
}

/** The captions file as text chunks: `{info, images, annotations: [{id, image_id, caption}]}`. Other objects are left out (the instances file counts them). */
export function* cocoCaptionsChunks(
  info: object,
  images: Iterable<FormatImage>,
  objects: Iterable<{ image: FormatImage; object: FormatObject }>,
  tally: ExportTally,
): Generator<string> {
  void tally; // captions always fit; the parameter keeps the writers' shape
  const chunker = new Chunker();
  // An info of 64 KiB or more fills a chunk on its own: yield it, not drop it.
  const head = chunker.add(`{"info":${JSON.stringify(info)},\n`);
  if (head) yield head;
  yield* arraySection(chunker, '"images":', images, (img) => JSON.stringify(cocoImage(img)));
  yield* arraySection(chunker, ',\n"annotations":', objects, ({ image, object }) => {
    if (object.geometry.type !== 'caption') return null;
    const ann: Record<string, unknown> = { id: object.id, image_id: image.id, caption: object.geometry.text };
    if (object.score !== null) ann.score = object.score;
    return JSON.stringify(ann);
  });
  chunker.add('}\n');
  yield chunker.take();
}

/**
 * A run's results list as text chunks: `[{image_id, category_id, bbox, score, segmentation?, keypoints?}]`.
 * Captions do not belong in it (pycocotools decides the list's kind from its first entry): they go to
 * `cocoCaptionResultsChunks`. `categories` gives keypoint classes their templates.
 */
export function* cocoResultsChunks(objects: Iterable<CocoObjectRef>, tally: ExportTally, categories: readonly object[] = []): Generator<string> {
  const chunker = new Chunker();
  const names = keypointNamesOf(categories);
  yield* arraySection(chunker, '', objects, ({ image, object, categoryId }) => {
    if (object.geometry.type === 'caption') return null; // written by cocoCaptionResultsChunks
    const template = object.geometry.type === 'keypoints' ? (names.get(categoryId) ?? null) : null;
    let held = holdCocoResult(object, template);
    if (typeof held !== 'string' && object.geometry.type === 'mask' && (object.geometry.width !== image.width || object.geometry.height !== image.height)) {
      held = NOT_IN_INSTANCES.maskSize;
    }
    if (typeof held === 'string') {
      tally.skip(held);
      return null;
    }
    if (Object.keys(object.attributes).length > 0) tally.change('attributes dropped: COCO results hold none');
    if (object.score === null) tally.change('results without a score written with score 1');
    return JSON.stringify(cocoResult(held, image, categoryId));
  });
  chunker.add('\n');
  yield chunker.take();
}

/** Caption results as text chunks: `[{image_id, caption}]` (plus `score` when the caption has one). */
export function* cocoCaptionResultsChunks(objects: Iterable<{ image: FormatImage; object: FormatObject }>, tally: ExportTally): Generator<string> {
  void tally;
  const chunker = new Chunker();
  yield* arraySection(chunker, '', objects, ({ image, object }) => {
    if (object.geometry.type !== 'caption') return null;
    const r: Record<string, unknown> = { image_id: image.id, caption: object.geometry.text };
    if (object.score !== null) r.score = object.score;
    return JSON.stringify(r);
  });
  chunker.add('\n');
  yield chunker.take();
}

// ================================================================ import

/** "annotations[12] (id 40), line 33". */
function place(where: string, id: unknown, line?: number): string {
  let s = where;
  if (typeof id === 'number' || typeof id === 'string') s += ` (id ${id})`;
  if (line !== undefined) s += `, line ${line}`;
  return s;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const show = (v: unknown): string => {
  if (typeof v === 'number') return String(v); // NaN and Infinity by name, not as JSON's null
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + '...' : s;
};

/** Reads one record, throwing FormatErrors that name it. */
class Reader {
  constructor(
    readonly file: string,
    readonly where: string,
  ) {}
  fail(problem: string): never {
    throw new FormatError(this.file, this.where, problem);
  }
  int(raw: Record<string, unknown>, key: string, opts: { min?: number; optional?: boolean } = {}): number {
    const v = raw[key];
    if ((v === undefined || v === null) && opts.optional) return NaN;
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(`${key} must be an integer, found ${show(v)}`);
    if (opts.min !== undefined && v < opts.min) this.fail(`${key} must be at least ${opts.min}, found ${v}`);
    return v;
  }
  /** Finite numbers within ±COCO_COORD_LIMIT. */
  coords(v: unknown, what: string): number[] {
    if (!Array.isArray(v)) this.fail(`${what} must be a list of numbers, found ${show(v)}`);
    for (const x of v) {
      if (!isFiniteNumber(x)) this.fail(`${what} holds ${show(x)}, which is not a finite number`);
      if (Math.abs(x) > COCO_COORD_LIMIT) this.fail(`${what} holds ${x}, beyond ±${COCO_COORD_LIMIT} (overflow?)`);
    }
    return v as number[];
  }
}

/** One `categories` entry. */
export function parseCocoCategory(raw: unknown, where: string, file: string, line?: number): CocoCategory {
  const r: Reader = new Reader(file, place(where, isObject(raw) ? raw.id : undefined, line));
  if (!isObject(raw)) r.fail(`a category must be a JSON object, found ${show(raw)}`);
  const id = r.int(raw, 'id');
  if (typeof raw.name !== 'string' || raw.name.trim() === '') r.fail(`name must be a non-empty string, found ${show(raw.name)}`);
  const supercategory = typeof raw.supercategory === 'string' ? raw.supercategory : '';
  let keypoints: string[] | null = null;
  const skeleton: [number, number][] = [];
  if (raw.keypoints !== undefined && raw.keypoints !== null) {
    if (!Array.isArray(raw.keypoints) || raw.keypoints.some((k) => typeof k !== 'string' || k.trim() === '')) {
      r.fail(`keypoints must be a list of non-empty names, found ${show(raw.keypoints)}`);
    }
    if (new Set(raw.keypoints).size !== raw.keypoints.length) r.fail('keypoints names a point twice');
    keypoints = raw.keypoints.length ? [...(raw.keypoints as string[])] : null;
  }
  if (raw.skeleton !== undefined && raw.skeleton !== null) {
    if (!Array.isArray(raw.skeleton)) r.fail(`skeleton must be a list of [a, b] pairs, found ${show(raw.skeleton)}`);
    const n = keypoints?.length ?? 0;
    for (const e of raw.skeleton) {
      // COCO's skeleton is 1-based.
      if (!Array.isArray(e) || e.length !== 2 || !e.every((k) => Number.isInteger(k) && k >= 1 && k <= n) || e[0] === e[1]) {
        r.fail(`skeleton edge ${show(e)} must join two different points numbered 1 to ${n}`);
      }
      skeleton.push([e[0] - 1, e[1] - 1]);
    }
  }
  return { id, name: raw.name, supercategory, keypoints, skeleton };
}

/** One `images` entry: its id, `file_name` ('/'-separated) and size. */
export function parseCocoImage(raw: unknown, where: string, file: string, line?: number): CocoImage {
  const r: Reader = new Reader(file, place(where, isObject(raw) ? raw.id : undefined, line));
  if (!isObject(raw)) r.fail(`an image must be a JSON object, found ${show(raw)}`);
  const id = r.int(raw, 'id');
  if (typeof raw.file_name !== 'string' || raw.file_name === '') r.fail(`file_name must be a non-empty string, found ${show(raw.file_name)}`);
  const width = r.int(raw, 'width', { min: 1, optional: true });
  const height = r.int(raw, 'height', { min: 1, optional: true });
  return { id, file: raw.file_name.replace(/\\/g, '/'), width: Number.isNaN(width) ? null : width, height: Number.isNaN(height) ? null : height };
}

/** The record's image, checked against the file's images. */
function imageOf(r: Reader, raw: Record<string, unknown>, ctx: CocoContext): { id: number; width: number | null; height: number | null } {
  const id = r.int(raw, 'image_id');
  const img = ctx.images.get(id);
  if (!img) r.fail(`image_id ${id} is not among the ${ctx.images.size ?? ''}${ctx.images.size === undefined ? '' : ' '}images of the dataset`);
  return { id, ...img };
}

function categoryOf(r: Reader, raw: Record<string, unknown>, ctx: CocoContext): { name: string; keypoints: readonly string[] | null } {
  const id = r.int(raw, 'category_id');
  const cat = ctx.categories.get(id);
  if (!cat) r.fail(`category_id ${id} is not among the categories (${[...ctx.categories.keys()].slice(0, 20).join(', ') || 'none'})`);
  return cat;
}

function readBbox(r: Reader, v: unknown): [number, number, number, number] {
  if (!Array.isArray(v) || v.length !== 4) r.fail(`bbox must be [x, y, width, height], found ${show(v)}`);
  const b = r.coords(v, 'bbox');
  if (b[2] < 0 || b[3] < 0) r.fail(`bbox ${show(b)} has a negative width or height`);
  return [b[0], b[1], b[2], b[3]];
}

/**
 * A `segmentation` as our geometry: one ring → polygon; several → one mask rasterised as pycocotools does;
 * an RLE (compressed string or counts list) → mask. Null when there is none (absent or empty).
 */
function readSegmentation(r: Reader, seg: unknown, img: { width: number | null; height: number | null }): Geometry | null {
  if (seg === undefined || seg === null) return null;
  if (Array.isArray(seg)) {
    // Some tools write `[[]]` for "no polygon": empty rings carry nothing.
    const kept = seg.filter((ring) => !(Array.isArray(ring) && ring.length === 0));
    if (kept.length === 0) return null;
    const rings = kept.map((ring, k) => {
      const p = r.coords(ring, `segmentation polygon ${k}`);
      if (p.length % 2) r.fail(`segmentation polygon ${k} has an odd number of coordinates (${p.length})`);
      if (p.length < 6) r.fail(`segmentation polygon ${k} has ${p.length / 2} points; a polygon needs at least 3`);
      return p;
    });
    if (rings.length === 1) return { type: 'polygon', points: [...rings[0]] };
    if (img.width === null || img.height === null) r.fail('a polygon of several parts becomes a mask, which needs the image’s width and height; the image has none');
    try {
      const m = rleFromPolygons(rings, img.height, img.width);
      return { type: 'mask', width: m.width, height: m.height, counts: m.counts };
    } catch (e) {
      r.fail(`segmentation: ${(e as Error).message}`);
    }
  }
  if (!isObject(seg)) r.fail(`segmentation must be a list of polygons or an RLE object {size, counts}, found ${show(seg)}`);
  const size = seg.size;
  if (!Array.isArray(size) || size.length !== 2 || !size.every((s) => Number.isInteger(s) && s > 0)) {
    r.fail(`segmentation size must be [height, width], found ${show(size)}`);
  }
  const [h, w] = size as [number, number];
  if (img.width !== null && img.height !== null && (h !== img.height || w !== img.width)) {
    r.fail(`segmentation size [${h}, ${w}] differs from the image's [height, width] [${img.height}, ${img.width}]`);
  }
  let counts: number[];
  if (typeof seg.counts === 'string') {
    try {
      counts = rleFromString(seg.counts);
    } catch (e) {
      r.fail(`segmentation counts: ${(e as Error).message}`);
    }
  } else if (Array.isArray(seg.counts)) {
    if (!seg.counts.every((c) => Number.isInteger(c) && c >= 0)) r.fail('segmentation counts must be non-negative integers');
    counts = [...(seg.counts as number[])];
  } else r.fail(`segmentation counts must be a string or a list of run lengths, found ${show(seg.counts)}`);
  let total = 0;
  for (const c of counts) total += c;
  if (total !== h * w) r.fail(`segmentation RLE counts add up to ${total} pixels, not height × width = ${h} × ${w} = ${h * w}`);
  return { type: 'mask', width: w, height: h, counts };
}

/** Keypoints checked against the category's names. `lenient` (results) maps any visibility > 0 to 2. */
function readKeypoints(r: Reader, v: unknown, cat: { name: string; keypoints: readonly string[] | null }, lenient: boolean): Geometry | null {
  if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) return null;
  const p = [...r.coords(v, 'keypoints')];
  if (p.length % 3) r.fail(`keypoints has ${p.length} numbers, not x, y, v triples`);
  if (!cat.keypoints) r.fail(`keypoints given, but category "${cat.name}" names no keypoints`);
  if (p.length !== cat.keypoints.length * 3) {
    r.fail(`keypoints has ${p.length / 3} points, but category "${cat.name}" names ${cat.keypoints.length}`);
  }
  for (let i = 2; i < p.length; i += 3) {
    const vis = p[i];
    if (vis === 0 || vis === 1 || vis === 2) continue;
    // Results often carry a confidence in place of v; anything positive means "there".
    if (lenient) p[i] = vis > 0 ? 2 : 0;
    else r.fail(`keypoint ${(i - 2) / 3} has visibility ${vis}; COCO's are 0 (absent), 1 (occluded) and 2 (visible)`);
  }
  return { type: 'keypoints', points: p, names: [...cat.keypoints] };
}

function readAttributes(r: Reader, raw: Record<string, unknown>): FormatAttributes {
  const out: FormatAttributes = {};
  if (raw.attributes !== undefined && raw.attributes !== null) {
    if (!isObject(raw.attributes)) r.fail(`attributes must be an object, found ${show(raw.attributes)}`);
    for (const [k, v] of Object.entries(raw.attributes)) {
      if (v !== null && typeof v !== 'string' && typeof v !== 'boolean' && !isFiniteNumber(v)) {
        r.fail(`attribute "${k}" must be a string, number, boolean or null, found ${show(v)}`);
      }
      out[k] = v as AttributeValue;
    }
  }
  return out;
}

function readScore(r: Reader, raw: Record<string, unknown>, required: boolean): number | null {
  if (raw.score === undefined || raw.score === null) {
    if (required) r.fail('a result needs a numeric score');
    return null;
  }
  if (!isFiniteNumber(raw.score)) r.fail(`score must be a finite number, found ${show(raw.score)}`);
  return raw.score;
}

/**
 * The objects one annotation or result stands for: its segmentation's shape, its keypoints, and its box when
 * nothing else carries it (a bare box, or keypoints whose box is not just their extent, as a person's box).
 */
function objectsOf(
  r: Reader,
  raw: Record<string, unknown>,
  cat: { name: string; keypoints: readonly string[] | null },
  img: { width: number | null; height: number | null },
  attributes: FormatAttributes,
  score: number | null,
  lenient: boolean,
  group: number | null,
): ParsedObject[] {
  // An empty bbox stands for none (pycocotools' loadRes knows `bbox: []` too).
  const bbox = raw.bbox === undefined || raw.bbox === null || (Array.isArray(raw.bbox) && raw.bbox.length === 0) ? null : readBbox(r, raw.bbox);
  const shape = readSegmentation(r, raw.segmentation, img);
  const kps = readKeypoints(r, raw.keypoints, cat, lenient);
  const geometries: Geometry[] = [];
  if (shape) geometries.push(shape);
  if (kps) geometries.push(kps);
  if (bbox && !shape) {
    const extent = kps ? keypointExtent((kps as { points: number[] }).points) : null;
    const same = extent !== null && extent.every((v, i) => v === bbox[i]);
    if (!same) geometries.push({ type: 'box', x: bbox[0], y: bbox[1], w: bbox[2], h: bbox[3] });
  }
  if (geometries.length === 0) r.fail('has no bbox, segmentation or keypoints');
  // Keypoints and the person's box, one COCO annotation, become two objects linked by a `group_id` (as Datumaro and
  // LabelMe link the parts of one instance): the file's own group_id, else the annotation's id. Evaluation reads the
  // box back for OKS where no point is labeled, as pycocotools does.
  if (group !== null && geometries.length > 1 && attributes.group_id === undefined) attributes.group_id = group;
  return geometries.map((geometry, i) => ({
    class: cat.name,
    kind: geometry.type,
    geometry,
    attributes: i === 0 ? attributes : { ...attributes },
    score,
    where: r.where,
  }));
}

/** One `annotations` entry of an instances (or keypoints) file. */
export function parseCocoAnnotation(raw: unknown, where: string, ctx: CocoContext, line?: number): CocoParsedRecord {
  const r: Reader = new Reader(ctx.file, place(where, isObject(raw) ? raw.id : undefined, line));
  if (!isObject(raw)) r.fail(`an annotation must be a JSON object, found ${show(raw)}`);
  const id = r.int(raw, 'id');
  if (ctx.seenIds.has(id)) r.fail(`duplicate annotation id ${id}`);
  ctx.seenIds.add(id);
  const img = imageOf(r, raw, ctx);
  const cat = categoryOf(r, raw, ctx);
  const attributes = readAttributes(r, raw);
  if (raw.iscrowd !== undefined && raw.iscrowd !== null) {
    if (raw.iscrowd !== 0 && raw.iscrowd !== 1 && typeof raw.iscrowd !== 'boolean') r.fail(`iscrowd must be 0 or 1, found ${show(raw.iscrowd)}`);
    if (raw.iscrowd) attributes.iscrowd = true;
    else delete attributes.iscrowd;
  }
  const score = readScore(r, raw, false);
  const objects = objectsOf(r, raw, cat, img, attributes, score, false, id);
  // The file's area, where it is not what the shape gives (COCO's areas are mask areas): kept, for evaluation.
  if (raw.area !== undefined && raw.area !== null) {
    if (typeof raw.area !== 'number' || !Number.isFinite(raw.area) || raw.area < 0) r.fail(`area must be a number ≥ 0, found ${show(raw.area)}`);
    for (const o of objects) {
      if (o.geometry.type === 'box' && objects.length > 1) continue; // a person's box beside its keypoints: the area is the person's
      if (raw.area !== cocoShape(o.geometry, o.attributes.iscrowd === true).area) o.attributes = { ...o.attributes, area: raw.area };
    }
  }
  return { imageId: img.id, objects };
}

/** One entry of a results list (a run's detections): needs a score; attributes are not part of results. */
export function parseCocoResult(raw: unknown, where: string, ctx: CocoContext, line?: number): CocoParsedRecord {
  const r: Reader = new Reader(ctx.file, place(where, isObject(raw) ? raw.id : undefined, line));
  if (!isObject(raw)) r.fail(`a result must be a JSON object, found ${show(raw)}`);
  const img = imageOf(r, raw, ctx);
  const cat = categoryOf(r, raw, ctx);
  const score = readScore(r, raw, true);
  return { imageId: img.id, objects: objectsOf(r, raw, cat, img, {}, score, true, null) };
}

/** One caption: a captions file's annotation `{id, image_id, caption}` or a caption result `{image_id, caption}`. */
export function parseCocoCaption(raw: unknown, where: string, ctx: CocoContext, line?: number): CocoParsedRecord {
  const r: Reader = new Reader(ctx.file, place(where, isObject(raw) ? raw.id : undefined, line));
  if (!isObject(raw)) r.fail(`a caption must be a JSON object, found ${show(raw)}`);
  if (raw.id !== undefined) {
    const id = r.int(raw, 'id');
    if (ctx.seenIds.has(id)) r.fail(`duplicate annotation id ${id}`);
    ctx.seenIds.add(id);
  }
  const img = imageOf(r, raw, ctx);
  if (typeof raw.caption !== 'string') r.fail(`caption must be a string, found ${show(raw.caption)}`);
  const score = readScore(r, raw, false);
  return {
    imageId: img.id,
    objects: [{ class: null, kind: 'caption', geometry: { type: 'caption', text: raw.caption }, attributes: {}, score, where: r.where }],
  };
}

// ================================================================ whole files

export type CocoFileKind = 'instances' | 'captions' | 'results' | 'caption-results';

export interface CocoFileContents {
  kind: CocoFileKind;
  /** The file's `info`, or null. */
  info: unknown;
  categories: CocoCategory[];
  /** With the COCO image ids; for a results file, the known images its results refer to, in first-use order. */
  images: (ParsedImage & { id: number })[];
  /** How many annotation or result records were read. */
  records: number;
}

/** What a results file refers to: the dataset's categories and images, by COCO id. */
export interface CocoKnown {
  categories: Map<number, { name: string; keypoints: readonly string[] | null }>;
  images: Map<number, { file: string; width: number | null; height: number | null }>;
}

/**
 * A whole COCO file held in memory (fine for small files; stream big ones through JsonSplitter and the
 * record parsers). Tells instances, captions, results and caption results apart: a top-level list is
 * results (captions when its entries have `caption`), an object whose annotations have `caption` is captions.
 * A results file needs `known`, since it names categories and images only by id.
 */
export function parseCocoFile(text: string, file: string, known?: CocoKnown): CocoFileContents {
  const sections = new Map<string | null, { text: string; line: number }[]>();
  let infoText: { text: string; line: number } | null = null;
  let topIsArray = false;
  const splitter = new JsonSplitter({
    file,
    onElement(key, _index, t, line) {
      if (key === null) topIsArray = true;
      let list = sections.get(key);
      if (!list) sections.set(key, (list = []));
      list.push({ text: t, line });
    },
    onValue(key, t, line) {
      if (key === 'info') infoText = { text: t, line };
    },
    onArrayEnd(key) {
      if (key === null) topIsArray = true;
      if (!sections.has(key)) sections.set(key, []);
    },
  });
  splitter.push(text);
  splitter.end();

  const parse = (key: string | null, index: number, e: { text: string; line: number }): unknown => {
    try {
      return JSON.parse(e.text);
    } catch (err) {
      throw new FormatError(file, `${key ?? ''}[${index}], line ${e.line}`, `malformed JSON: ${(err as Error).message}`);
    }
  };
  let info: unknown = null;
  if (infoText) {
    const { text: t, line } = infoText;
    try {
      info = JSON.parse(t);
    } catch (err) {
      throw new FormatError(file, `info, line ${line}`, `malformed JSON: ${(err as Error).message}`);
    }
  }

  const categories: CocoCategory[] = [];
  const images: (ParsedImage & { id: number })[] = [];
  const imageById = new Map<number, ParsedImage & { id: number }>();
  const imageSizes = new Map<number, { width: number | null; height: number | null }>();
  const ctx: CocoContext = { file, categories: new Map(), images: imageSizes, seenIds: new Set() };

  if (topIsArray) {
    if (!known) throw new FormatError(file, null, 'a COCO results file names categories and images only by id: import the dataset’s instances file first');
    const entries = sections.get(null) ?? [];
    const raws = entries.map((e, i) => parse(null, i, e));
    const captions = raws.length > 0 && isObject(raws[0]) && 'caption' in raws[0];
    for (const [id, c] of known.categories) ctx.categories.set(id, c);
    for (const [id, im] of known.images) imageSizes.set(id, im);
    raws.forEach((raw, i) => {
      const rec = captions ? parseCocoCaption(raw, `[${i}]`, ctx, entries[i].line) : parseCocoResult(raw, `[${i}]`, ctx, entries[i].line);
      let img = imageById.get(rec.imageId);
      if (!img) {
        const k = known.images.get(rec.imageId)!;
        img = { id: rec.imageId, file: k.file, width: k.width, height: k.height, objects: [] };
        imageById.set(rec.imageId, img);
        images.push(img);
      }
      for (const o of rec.objects) img.objects.push(o);
    });
    return { kind: captions ? 'caption-results' : 'results', info: null, categories: [], images, records: raws.length };
  }

  (sections.get('categories') ?? []).forEach((e, i) => {
    const c = parseCocoCategory(parse('categories', i, e), `categories[${i}]`, file, e.line);
    if (ctx.categories.has(c.id)) throw new FormatError(file, place(`categories[${i}]`, c.id, e.line), `duplicate category id ${c.id}`);
    ctx.categories.set(c.id, c);
    categories.push(c);
  });
  (sections.get('images') ?? []).forEach((e, i) => {
    const im = parseCocoImage(parse('images', i, e), `images[${i}]`, file, e.line);
    if (imageById.has(im.id)) throw new FormatError(file, place(`images[${i}]`, im.id, e.line), `duplicate image id ${im.id}`);
    const img = { ...im, objects: [] as ParsedObject[] };
    imageById.set(im.id, img);
    images.push(img);
    imageSizes.set(im.id, im);
  });
  const entries = sections.get('annotations') ?? [];
  const raws = entries.map((e, i) => parse('annotations', i, e));
  const captions = raws.length > 0 && isObject(raws[0]) && 'caption' in raws[0];
  raws.forEach((raw, i) => {
    const rec = captions ? parseCocoCaption(raw, `annotations[${i}]`, ctx, entries[i].line) : parseCocoAnnotation(raw, `annotations[${i}]`, ctx, entries[i].line);
    const img = imageById.get(rec.imageId)!;
    for (const o of rec.objects) img.objects.push(o);
  });
  return { kind: captions ? 'captions' : 'instances', info, categories, images, records: raws.length };
}
