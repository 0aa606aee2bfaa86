/**
 * Pascal VOC annotations (issue 8): `Annotations/<id>.xml` in the devkit's layout, `ImageSets/Main/*.txt`,
 * `ImageSets/Segmentation/*.txt` and a `labelmap.txt` naming the segmentation PNGs' values (the segmentation
 * PNGs themselves are in masks.ts). Pure.
 *
 * Box mapping. VOC coordinates are 1-based, inclusive pixel indices: a box with xmin = 1, xmax = W covers the
 * whole width. Sightline's boxes are continuous, pixel i covering [i, i + 1]. So, on export,
 *     xmin = round(x) + 1,   ymin = round(y) + 1,   xmax = round(x + w),   ymax = round(y + h)
 * (the pixels whose centres the rounded box covers), after clipping the box to the image; a box under one pixel
 * is widened to one pixel (xmax = xmin), because xmax < xmin is not a VOC box. On import the inverse,
 *     x = xmin - 1,   y = ymin - 1,   w = xmax - xmin + 1,   h = ymax - ymin + 1,
 * which is what detectron2's VOC loader does (it subtracts 1 from xmin/ymin and keeps xmax/ymax) and what the
 * devkit's own evaluation implies (its box area is (xmax - xmin + 1)(ymax - ymin + 1)). An integer box exactly
 * inside the image therefore round-trips unchanged.
 */
import { encodeLabelRles, rleBbox } from '../geometry/rle.js';
import { escapeXml, parseXml, xmlChild, xmlChildren } from './xml.js';
import { ExportTally, FormatError, type AttributeValue, type FormatAttributes, type FormatClass, type FormatImage, type FormatObject, type FormatRecord, type Held, type ParsedImage, type ParsedObject } from './types.js';
import { polygonExtent } from '../geometry/extent.js';

/** The attributes a VOC object holds, as 0/1 elements, in the devkit's order. */
export const VOC_FLAGS = ['truncated', 'difficult', 'occluded'] as const;

/** The 20 VOC classes in the devkit's order: the meaning of SegmentationClass values 1…20 when a dataset has no labelmap. */
export const VOC_CLASSES = [
  'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
  'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor',
];

/** Where the largest value a project stores ends; larger coordinates in a file without a size are refused. */
const MAX_COORD = 1_000_000;

export interface VocBox {
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
}

/** One object as it goes into the XML (and, for polygons and masks, into SegmentationObject as value index + 1). */
export interface VocObject {
  source: FormatObject;
  box: VocBox;
  /** The flags set (value 1); the others are written as 0. */
  flags: Partial<Record<(typeof VOC_FLAGS)[number], true>>;
  /** Whether the segmentation PNGs paint it (polygons and masks). */
  segment: boolean;
}

export interface VocOptions {
  /**
   * The project's ignore class, if it has one: its polygons and masks are painted 255 in the segmentation PNGs
   * (VOC's "void") and are not XML objects, as the devkit's void regions are not; its boxes are not exported.
   */
  ignoreClass?: string;
}

/**
 * A shape attribute as a VOC 0/1 flag: true, a non-zero number, or a string other than '', '0', 'false', 'no'
 * (so a text attribute "false" from another tool does not turn into difficult = 1).
 */
export function vocFlag(v: AttributeValue | undefined): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  return !['', '0', 'false', 'no'].includes(v.trim().toLowerCase());
}

/** What the round-trip check says of an ignore-class polygon or mask: kept only as void pixels (also by masks.ts). */
export const IGNORE_REGION_HELD = 'ignore-class regions: VOC holds them only as void (255) in the segmentation PNGs';

const NOT_EXPORTED = {
  keypoints: 'keypoints: VOC holds boxes and segmentation only',
  caption: 'captions: VOC holds no captions',
  tag: 'image tags: VOC holds no tags',
  noClass: 'shapes without a class: a VOC object needs a class name',
  outside: 'shapes entirely outside the image: VOC boxes lie inside it',
  emptyMask: 'empty masks: no pixel to box',
  ignoreBox: 'boxes of the ignore class: VOC marks ignore regions only in the segmentation PNGs',
  maskSize: 'masks whose size differs from the image',
} as const;

const CHANGED = {
  rounded: 'boxes rounded to whole pixels (VOC coordinates are integer pixel indices)',
  clipped: 'boxes clipped to the image',
  widened: 'boxes under a pixel wide or tall widened to one pixel',
  score: 'scores dropped: VOC annotations hold none',
  attributes: 'object attributes other than truncated, difficult, occluded dropped: VOC holds only those',
} as const;

type BoxResult = { box: VocBox; clipped: boolean; widened: boolean; rounded: boolean } | string;

/** The VOC box of one object, or why it has none. */
function vocBoxOf(obj: FormatObject, image: FormatImage, opts: VocOptions): BoxResult {
  const g = obj.geometry;
  if (g.type === 'keypoints') return NOT_EXPORTED.keypoints;
  if (g.type === 'caption') return NOT_EXPORTED.caption;
  if (g.type === 'tag') return NOT_EXPORTED.tag;
  if (obj.class === null) return NOT_EXPORTED.noClass;
  if (g.type === 'box' && opts.ignoreClass !== undefined && obj.class === opts.ignoreClass) return NOT_EXPORTED.ignoreBox;
  let x0: number, y0: number, x1: number, y1: number;
  if (g.type === 'box') {
    [x0, y0, x1, y1] = [g.x, g.y, g.x + g.w, g.y + g.h];
  } else if (g.type === 'polygon') {
    // The polygon's own extent, rounded like a box (as COCO's bbox of a polygon is its extent).
    const [ex, ey, ew, eh] = polygonExtent(g.points);
    [x0, y0, x1, y1] = [ex, ey, ex + ew, ey + eh];
  } else {
    if (g.width !== image.width || g.height !== image.height) return NOT_EXPORTED.maskSize;
    const [bx, by, bw, bh] = rleBbox(g);
    if (bw === 0) return NOT_EXPORTED.emptyMask;
    // Whole pixels already: the box of the pixels set, exactly.
    return { box: { xmin: bx + 1, ymin: by + 1, xmax: bx + bw, ymax: by + bh }, clipped: false, widened: false, rounded: false };
  }
  const W = image.width, H = image.height;
  const c0 = Math.max(0, x0), c1 = Math.min(W, x1), d0 = Math.max(0, y0), d1 = Math.min(H, y1);
  // Entirely outside (a box touching the image only along an edge is outside too: it covers no pixel area).
  if (c0 > c1 || d0 > d1 || c0 >= W || d0 >= H || c1 <= 0 || d1 <= 0) return NOT_EXPORTED.outside;
  const clipped = c0 !== x0 || c1 !== x1 || d0 !== y0 || d1 !== y1;
  const xmin = Math.min(Math.round(c0), W - 1) + 1, ymin = Math.min(Math.round(d0), H - 1) + 1;
  let xmax = Math.round(c1), ymax = Math.round(d1);
  const widened = xmax < xmin || ymax < ymin;
  xmax = Math.max(xmax, xmin);
  ymax = Math.max(ymax, ymin);
  const rounded = xmin - 1 !== c0 || ymin - 1 !== d0 || xmax !== c1 || ymax !== d1;
  return { box: { xmin, ymin, xmax, ymax }, clipped, widened, rounded: rounded && !widened };
}

function flagsOf(obj: FormatObject): VocObject['flags'] {
  const flags: VocObject['flags'] = {};
  for (const f of VOC_FLAGS) if (vocFlag(obj.attributes[f])) flags[f] = true;
  return flags;
}

/**
 * The objects of one image as the XML lists them, in the record's order; `segment` ones are painted into
 * SegmentationObject as their place in this list + 1, so the PNG and the XML agree (as the devkit's do).
 * What is left out or changed is counted in `tally` when one is given.
 */
export function vocObjects(record: FormatRecord, opts: VocOptions = {}, tally?: ExportTally): VocObject[] {
  const out: VocObject[] = [];
  for (const obj of record.objects) {
    const isIgnore = opts.ignoreClass !== undefined && obj.class === opts.ignoreClass;
    const r = vocBoxOf(obj, record.image, opts);
    if (typeof r === 'string') {
      tally?.skip(r);
      continue;
    }
    // Ignore-class regions are painted 255 by masks.ts; they are not objects (the devkit's void is not either).
    if (isIgnore) continue;
    if (tally) {
      // Only boxes count as changed by the mapping: a polygon's or mask's XML box is derived, and the shape
      // itself goes to the segmentation PNGs.
      if (obj.geometry.type === 'box') {
        if (r.clipped) tally.change(CHANGED.clipped);
        else if (r.widened) tally.change(CHANGED.widened);
        else if (r.rounded) tally.change(CHANGED.rounded);
      }
      if (obj.score !== null) tally.change(CHANGED.score);
      if (Object.keys(obj.attributes).some((k) => !(VOC_FLAGS as readonly string[]).includes(k))) tally.change(CHANGED.attributes);
    }
    out.push({ source: obj, box: r.box, flags: flagsOf(obj), segment: obj.geometry.type === 'polygon' || obj.geometry.type === 'mask' });
  }
  return out;
}

/** Whether the image gets segmentation PNGs (and `<segmented>1`): it has a polygon or mask that VOC keeps. */
export function vocSegmented(record: FormatRecord, opts: VocOptions = {}): boolean {
  return record.objects.some((o) => {
    if (o.class === null || (o.geometry.type !== 'polygon' && o.geometry.type !== 'mask')) return false;
    return typeof vocBoxOf(o, record.image, opts) !== 'string';
  });
}

/** One `Annotations/*.xml` in the devkit's layout (tab-indented, as the VOC2007/2012 files are). */
export function vocAnnotationXml(
  record: FormatRecord,
  opts: { folder: string; filename: string; depth: number } & VocOptions,
  tally: ExportTally,
): string {
  const objects = vocObjects(record, opts, tally);
  const lines = [
    '<annotation>',
    `\t<folder>${escapeXml(opts.folder)}</folder>`,
    `\t<filename>${escapeXml(opts.filename)}</filename>`,
    '\t<size>',
    `\t\t<width>${record.image.width}</width>`,
    `\t\t<height>${record.image.height}</height>`,
    `\t\t<depth>${opts.depth}</depth>`,
    '\t</size>',
    `\t<segmented>${vocSegmented(record, opts) ? 1 : 0}</segmented>`,
  ];
  for (const o of objects) {
    lines.push(
      '\t<object>',
      `\t\t<name>${escapeXml(o.source.class!)}</name>`,
      '\t\t<pose>Unspecified</pose>',
      `\t\t<truncated>${o.flags.truncated ? 1 : 0}</truncated>`,
      `\t\t<difficult>${o.flags.difficult ? 1 : 0}</difficult>`,
      `\t\t<occluded>${o.flags.occluded ? 1 : 0}</occluded>`,
      '\t\t<bndbox>',
      `\t\t\t<xmin>${o.box.xmin}</xmin>`,
      `\t\t\t<ymin>${o.box.ymin}</ymin>`,
      `\t\t\t<xmax>${o.box.xmax}</xmax>`,
      `\t\t\t<ymax>${o.box.ymax}</ymax>`,
      '\t\t</bndbox>',
      '\t</object>',
    );
  }
  lines.push('</annotation>', '');
  return lines.join('\n');
}

/** The box a VOC box stands for (the inverse of the export mapping; see the top of this file). */
export function boxFromVoc(b: VocBox): { type: 'box'; x: number; y: number; w: number; h: number } {
  return { type: 'box', x: b.xmin - 1, y: b.ymin - 1, w: b.xmax - b.xmin + 1, h: b.ymax - b.ymin + 1 };
}

/** Attributes as parseVocXml gives them: only the flags that are 1, as `true`. */
function heldAttributes(flags: VocObject['flags']): FormatAttributes {
  const a: FormatAttributes = {};
  for (const f of VOC_FLAGS) if (flags[f]) a[f] = true;
  return a;
}

/**
 * What the XML keeps of one object: a box (rounded as the mapping does; a polygon's or mask's bounding box)
 * with its class and the truncated/difficult/occluded flags that are set; or why it is not exported. Polygons
 * and masks are also kept by the segmentation PNGs: see masks.ts `holdSemantic` / `holdInstances`.
 */
export function holdVoc(obj: FormatObject, image: FormatImage, opts: VocOptions = {}): Held {
  const r = vocBoxOf(obj, image, opts);
  if (typeof r === 'string') return r;
  if (opts.ignoreClass !== undefined && obj.class === opts.ignoreClass) {
    return IGNORE_REGION_HELD;
  }
  return [{ class: obj.class, kind: 'box', geometry: boxFromVoc(r.box), attributes: heldAttributes(flagsOf(obj)), score: null }];
}

// ---------------------------------------------------------------- reading

/**
 * One annotation file. `file` names it in errors; the result's `file` is its `<filename>` (the image in
 * JPEGImages/). Objects are boxes with the flags that are 1 as `true` attributes. xmin or ymin 0 (written by
 * tools that count from 0) is read as the first pixel rather than refused, since it loses nothing visible.
 */
export function parseVocXml(text: string, file: string): ParsedImage {
  const root = parseXml(text, file);
  if (root.name !== 'annotation') throw new FormatError(file, `line ${root.line}`, `the root element is <${root.name}>, expected <annotation>`);
  const filenameEl = xmlChild(root, 'filename');
  const filename = filenameEl?.text.trim() ?? '';
  if (!filename) throw new FormatError(file, `line ${filenameEl?.line ?? root.line}`, 'no <filename>: the image this file annotates is not named');

  let width: number | null = null, height: number | null = null;
  const size = xmlChild(root, 'size');
  if (size) {
    const dim = (name: 'width' | 'height'): number | null => {
      const el = xmlChild(size, name);
      if (!el || el.text.trim() === '') return null;
      const v = Number(el.text.trim());
      if (v === 0 && /^\+?0+$/.test(el.text.trim())) return null; // unknown, as the devkit writes for a few images
      if (!/^\+?\d+$/.test(el.text.trim()) || v < 1 || v > MAX_COORD) {
        throw new FormatError(file, `line ${el.line}`, `<size><${name}> is ${JSON.stringify(el.text.trim())}, expected a whole number from 1 to ${MAX_COORD}`);
      }
      return v;
    };
    width = dim('width');
    height = dim('height');
    // A half-given size is as good as none: the pair is what images are checked against.
    if (width === null || height === null) width = height = null;
  }

  const objects: ParsedObject[] = [];
  xmlChildren(root, 'object').forEach((el, i) => {
    const where = `object[${i}], line ${el.line}`;
    const fail = (problem: string, line = el.line): never => {
      throw new FormatError(file, `object[${i}], line ${line}`, problem);
    };
    const nameEl = xmlChild(el, 'name');
    const name = nameEl?.text.trim() ?? '';
    if (!name) fail('has no <name> (its class)', nameEl?.line);
    const bb = xmlChild(el, 'bndbox');
    if (!bb) fail(`"${name}" has no <bndbox>`);
    const coord = (k: keyof VocBox): number => {
      const c = xmlChild(bb!, k);
      if (!c) return fail(`<bndbox> has no <${k}>`, bb!.line);
      const t = c.text.trim();
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) fail(`<${k}> is ${JSON.stringify(t)}, not a number`, c.line);
      const v = Number(t);
      if (!Number.isFinite(v)) fail(`<${k}> is ${t}, not a finite number`, c.line);
      if (v < 0) fail(`<${k}> is ${t}: VOC coordinates count pixels from 1`, c.line);
      const limit = k === 'xmin' || k === 'xmax' ? width : height;
      if (limit !== null && v > limit) fail(`<${k}> is ${t}, past the image's ${k[0] === 'x' ? 'width' : 'height'} ${limit}`, c.line);
      if (v > MAX_COORD) fail(`<${k}> is ${t}, larger than any image Sightline opens`, c.line);
      return v;
    };
    const b: VocBox = { xmin: Math.max(1, coord('xmin')), ymin: Math.max(1, coord('ymin')), xmax: coord('xmax'), ymax: coord('ymax') };
    if (b.xmax < b.xmin) fail(`xmax ${b.xmax} is less than xmin ${b.xmin}`, xmlChild(bb!, 'xmax')!.line);
    if (b.ymax < b.ymin) fail(`ymax ${b.ymax} is less than ymin ${b.ymin}`, xmlChild(bb!, 'ymax')!.line);
    const attributes: FormatAttributes = {};
    for (const f of VOC_FLAGS) {
      const fe = xmlChild(el, f);
      if (!fe) continue;
      const t = fe.text.trim();
      if (t === '') continue;
      if (!/^[+-]?\d+$/.test(t)) fail(`<${f}> is ${JSON.stringify(t)}, expected 0 or 1`, fe.line);
      if (Number(t) !== 0) attributes[f] = true;
    }
    objects.push({ class: name, kind: 'box', geometry: boxFromVoc(b), attributes, score: null, where });
  });
  return { file: filename, width, height, objects };
}

/**
 * Join the segmentation PNGs of one image to its XML objects, as the devkit pairs them: SegmentationObject value
 * v is the XML's object[v - 1]. Each object with pixels becomes a mask (class and flags from the XML; its box
 * was only the mask's extent); objects without pixels stay boxes. 0 is background and 255 void (boundaries,
 * ignore regions), which are not objects. SegmentationClass is checked, not read for names: every pixel of an
 * instance must carry one class value (the XML names it), and never background. `file` names the XML.
 */
export function mergeVocSegmentation(
  objects: ParsedObject[],
  inst: { width: number; height: number; channels: number; data: Uint8Array },
  cls: { width: number; height: number; channels: number; data: Uint8Array },
  file: string,
): ParsedObject[] {
  const fail = (problem: string): never => {
    throw new FormatError(file, null, problem);
  };
  if (inst.channels !== 1) fail(`its SegmentationObject PNG has ${inst.channels} channels; expected an indexed (palette) or grey PNG of instance values`);
  if (cls.channels !== 1) fail(`its SegmentationClass PNG has ${cls.channels} channels; expected an indexed (palette) or grey PNG of class values`);
  if (inst.width !== cls.width || inst.height !== cls.height) {
    fail(`its SegmentationObject PNG is ${inst.width}×${inst.height} but its SegmentationClass PNG is ${cls.width}×${cls.height}`);
  }
  const { width, height } = inst;
  // One pass: the class value under each instance, checked to be the same everywhere.
  const classOf = new Int16Array(256).fill(-1);
  for (let i = 0; i < inst.data.length; i++) {
    const v = inst.data[i];
    if (v === 0 || v === 255) continue;
    const c = cls.data[i];
    if (c === 0) fail(`SegmentationObject value ${v} covers pixel (${i % width}, ${(i / width) | 0}), which SegmentationClass marks as background`);
    if (classOf[v] === -1) classOf[v] = c;
    else if (classOf[v] !== c) fail(`SegmentationObject value ${v} covers pixels of SegmentationClass values ${classOf[v]} and ${c} (at (${i % width}, ${(i / width) | 0})); an instance has one class`);
  }
  const out = objects.slice();
  for (const [v, rle] of encodeLabelRles(inst.data, width, height)) {
    if (v === 0 || v === 255) continue;
    if (v > objects.length) fail(`SegmentationObject has value ${v}, but the XML lists ${objects.length} object(s): value v is object[v - 1]`);
    const o = objects[v - 1];
    out[v - 1] = { ...o, kind: 'mask', geometry: { type: 'mask', width, height, counts: rle.counts }, where: `${o.where}, SegmentationObject value ${v}` };
  }
  return out;
}

// ---------------------------------------------------------------- image sets

export type VocSplit = 'train' | 'val' | 'test';

export interface VocSetEntry {
  /** The image's id: its Annotations/<id>.xml and JPEGImages/<id>.<ext> stem. */
  id: string;
  /** null when the export has no split (every image then goes to train and trainval). */
  split: VocSplit | null;
  /** The classes of its XML objects, with their difficult flags (for the per-class files' 0 lines). */
  objects: readonly { class: string; difficult: boolean }[];
  /** Whether it has segmentation PNGs (listed in ImageSets/Segmentation). */
  segmented: boolean;
}

/**
 * `ImageSets/Main/{train,val,test,trainval}.txt`, the per-class `<class>_<split>.txt` files (" 1" the image
 * has the class, " 0" only as difficult objects, "-1" not at all, as the devkit writes them) and
 * `ImageSets/Segmentation/*.txt` for the segmented images. Paths are relative to the VOC root. trainval is
 * train ∪ val; an export without a split puts every image in train (so loaders that default to it find them)
 * and trainval. A split with no images is still written (empty) only when some image has that split.
 */
export function vocImageSets(entries: Iterable<VocSetEntry>, classes: readonly string[]): { path: string; text: string }[] {
  const bySplit = new Map<string, VocSetEntry[]>();
  const add = (s: string, e: VocSetEntry) => {
    let l = bySplit.get(s);
    if (!l) bySplit.set(s, (l = []));
    l.push(e);
  };
  for (const e of entries) {
    if (/[\s]/.test(e.id) || e.id === '') throw new Error(`a VOC image id cannot be empty or hold whitespace: ${JSON.stringify(e.id)}`);
    const s = e.split ?? 'train';
    add(s, e);
    if (s !== 'test') add('trainval', e);
  }
  const out: { path: string; text: string }[] = [];
  const order = ['train', 'val', 'trainval', 'test'].filter((s) => bySplit.has(s));
  for (const s of order) {
    const list = bySplit.get(s)!;
    out.push({ path: `ImageSets/Main/${s}.txt`, text: lines(list.map((e) => e.id)) });
    for (const c of classes) {
      const rows = list.map((e) => {
        let flag = -1;
        for (const o of e.objects) if (o.class === c) flag = Math.max(flag, o.difficult ? 0 : 1);
        return `${e.id} ${String(flag).padStart(2)}`;
      });
      out.push({ path: `ImageSets/Main/${classFileName(c)}_${s}.txt`, text: lines(rows) });
    }
  }
  // Once any image is segmented, every split gets its segmentation list, empty or not: VOCSegmentation(image_set=…)
  // opens the file and fails on a missing one instead of giving an empty set.
  if ([...bySplit.values()].some((l) => l.some((e) => e.segmented))) {
    for (const s of order) {
      const seg = bySplit.get(s)!.filter((e) => e.segmented);
      out.push({ path: `ImageSets/Segmentation/${s}.txt`, text: lines(seg.map((e) => e.id)) });
    }
  }
  return out;
}

/** A class name as a file name: '/' and characters Windows refuses would make another path. */
export function classFileName(c: string): string {
  return c.replace(/[\\/:*?"<>|\u0000-\u001f]/g, '_');
}

function lines(l: string[]): string {
  return l.length ? l.join('\n') + '\n' : '';
}

/** One ImageSets file: the image ids, in order (a per-class file's flag column is accepted and dropped). */
export function parseVocImageSet(text: string, file: string): string[] {
  const ids: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (!t) return;
    const m = /^(\S+)(?:\s+(-1|0|1))?$/.exec(t);
    if (!m) throw new FormatError(file, `line ${i + 1}`, `expected an image id, optionally followed by -1, 0 or 1; got ${JSON.stringify(t)}`);
    ids.push(m[1]);
  });
  return ids;
}

// ---------------------------------------------------------------- labelmap.txt

/**
 * `labelmap.txt` as CVAT and Datumaro write it for VOC ("# label:color_rgb:parts:actions", then one
 * `name:r,g,b::` line per segmentation value from 0, background first), so that a VOC export's PNG values keep
 * their class names: a project's classes are not VOC's twenty. `palette` gives the colours (vocPalette()).
 */
export function vocLabelmap(classes: readonly (FormatClass | string)[], palette: Uint8Array): string {
  const names = ['background', ...classes.map((c) => (typeof c === 'string' ? c : c.name))];
  const out = ['# label:color_rgb:parts:actions'];
  names.forEach((n, v) => {
    if (/[:\n\r]/.test(n)) throw new Error(`class name ${JSON.stringify(n)} cannot be written in labelmap.txt (it holds ':' or a line break)`);
    const c = v < 256 ? `${palette[v * 3]},${palette[v * 3 + 1]},${palette[v * 3 + 2]}` : '';
    out.push(`${n}:${c}::`);
  });
  return out.join('\n') + '\n';
}

/** The names of labelmap.txt's lines in order: the name at place v is the class of segmentation value v. */
export function parseVocLabelmap(text: string, file: string): string[] {
  const names: string[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (!t || t.startsWith('#')) return;
    const parts = t.split(':');
    if (parts.length !== 4 || !parts[0]) throw new FormatError(file, `line ${i + 1}`, `expected name:r,g,b:parts:actions, got ${JSON.stringify(t)}`);
    if (parts[1] && !/^\d{1,3},\d{1,3},\d{1,3}$/.test(parts[1])) throw new FormatError(file, `line ${i + 1}`, `colour ${JSON.stringify(parts[1])} is not r,g,b`);
    if (seen.has(parts[0])) throw new FormatError(file, `line ${i + 1}`, `class ${JSON.stringify(parts[0])} is listed twice (also line ${seen.get(parts[0])})`);
    seen.set(parts[0], i + 1);
    names.push(parts[0]);
  });
  if (!names.length) throw new FormatError(file, null, 'no labels');
  return names;
}
