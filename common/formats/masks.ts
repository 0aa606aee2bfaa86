/**
 * Segmentation PNGs (issue 8): VOC's SegmentationClass / SegmentationObject and the semantic "masks" export
 * (class-index PNGs + classes.txt). Maps here are row-major, one byte per pixel: 0 background, a class's index
 * + 1 (or an object's place in the VOC XML + 1), 255 the ignore class ("void", as VOC's boundaries are).
 *
 * Overlaps: shapes are painted largest first (by area), so a small shape on a large one stays visible rather
 * than being buried by the order it was drawn in; equal areas keep the record's order (later on top). A shape
 * that ends up with no visible pixel is counted in the tally. Boxes are not painted: a box is not a region.
 * Pure.
 */
import { polygonArea, polygonToMask } from '../geometry/polygon.js';
import { encodeLabelRles, rleArea } from '../geometry/rle.js';
import type { Geometry } from '../api/contract.js';
import { boxFromVoc, IGNORE_REGION_HELD, vocObjects, VOC_FLAGS, type VocObject, type VocOptions } from './voc.js';
import { ExportTally, FormatError, type FormatAttributes, type FormatClass, type FormatImage, type FormatObject, type FormatRecord, type Held, type ParsedObject } from './types.js';
import { polygonExtent } from '../geometry/extent.js';

/** 255: VOC's void / the ignore class. Values 1…254 are classes or instances. */
export const IGNORE_VALUE = 255;
/** The most classes (or instances) an 8-bit map can tell apart besides background and void. */
export const MAX_VALUES = 254;

export const MASK_REASONS = {
  hidden: 'polygons or masks hidden entirely under smaller shapes in the segmentation PNGs',
  empty: 'polygons too thin to cover a pixel centre: nothing to paint in the segmentation PNGs',
  tooManyClasses: `shapes of classes past the ${MAX_VALUES}th: an 8-bit segmentation PNG holds ${MAX_VALUES} classes`,
  tooManyObjects: `polygons or masks past the ${MAX_VALUES}th object of an image: SegmentationObject holds ${MAX_VALUES}`,
  maskSize: 'masks whose size differs from the image',
  notRegion: {
    box: 'boxes: a class-index PNG holds regions only',
    keypoints: 'keypoints: a class-index PNG holds regions only',
    caption: 'captions: a class-index PNG holds no text',
    tag: 'image tags: a class-index PNG holds no tags',
  },
  noClass: 'shapes without a class: a class-index PNG paints classes',
} as const;

/**
 * The standard VOC colour map (the devkit's VOClabelcolormap.m): entry i spreads i's bits over the three
 * channels, three bits at a time from the most significant bit down, so 1 = (128, 0, 0), 255 = (224, 224, 192).
 */
export function vocPalette(): Uint8Array {
  const p = new Uint8Array(768);
  for (let i = 0; i < 256; i++) {
    let r = 0, g = 0, b = 0;
    for (let j = 0, c = i; j < 8; j++, c >>= 3) {
      r |= (c & 1) << (7 - j);
      g |= ((c >> 1) & 1) << (7 - j);
      b |= ((c >> 2) & 1) << (7 - j);
    }
    p[i * 3] = r;
    p[i * 3 + 1] = g;
    p[i * 3 + 2] = b;
  }
  return p;
}

export interface MaskMapOptions {
  /** The project's ignore class: its polygons and masks are painted 255. */
  ignoreClass?: string;
  /** Counts what did not reach the map (hidden shapes, classes past 254…). */
  tally?: ExportTally;
}

interface Shape {
  geometry: Extract<Geometry, { type: 'polygon' } | { type: 'mask' }>;
  value: number;
  /** Painting order key. */
  area: number;
  /** The object, for the visible-pixel bookkeeping. */
  key: number;
}

function isRegion(o: FormatObject): o is FormatObject & { geometry: Shape['geometry'] } {
  return o.geometry.type === 'polygon' || o.geometry.type === 'mask';
}

function areaOf(g: Shape['geometry']): number {
  return g.type === 'polygon' ? polygonArea(g.points) : rleArea(g);
}

/**
 * Paint shapes into a width×height map, larger first. Done smallest first without overwriting (the same result,
 * and a shape's newly painted pixels are then exactly its visible ones). Returns the map and, per shape key,
 * the pixels it rasterised to and the pixels left visible.
 */
function paint(shapes: Shape[], width: number, height: number): { map: Uint8Array; covered: Map<number, number>; visible: Map<number, number> } {
  const map = new Uint8Array(width * height);
  const covered = new Map<number, number>();
  const visible = new Map<number, number>();
  // Stable sort: equal areas keep record order, and the later one is on top (painted first in reverse).
  const order = shapes.map((s, i) => ({ s, i })).sort((a, b) => b.s.area - a.s.area || a.i - b.i);
  for (let k = order.length - 1; k >= 0; k--) {
    const { geometry: g, value, key } = order[k].s;
    let cov = 0, vis = 0;
    if (g.type === 'mask') {
      // Walk the column-major runs directly: no whole-image buffer per mask.
      let i = 0;
      for (let r = 0; r < g.counts.length; r++) {
        const end = i + g.counts[r];
        if (r & 1) {
          for (; i < end; i++) {
            const p = (i % height) * width + ((i / height) | 0);
            cov++;
            if (map[p] === 0) {
              map[p] = value;
              vis++;
            }
          }
        } else i = end;
      }
    } else {
      const m = polygonToMask(g.points, width, height);
      // Only the polygon's rows and columns can be set: scan its clipped extent, not the whole image.
      const [x0, y0, w, h] = polygonExtent(g.points);
      const x1 = x0 + w, y1 = y0 + h;
      const cx0 = Math.max(0, Math.floor(x0)), cx1 = Math.min(width, Math.ceil(x1));
      const cy0 = Math.max(0, Math.floor(y0)), cy1 = Math.min(height, Math.ceil(y1));
      for (let y = cy0; y < cy1; y++) {
        for (let x = cx0, p = y * width + cx0; x < cx1; x++, p++) {
          if (!m[p]) continue;
          cov++;
          if (map[p] === 0) {
            map[p] = value;
            vis++;
          }
        }
      }
    }
    covered.set(key, (covered.get(key) ?? 0) + cov);
    visible.set(key, (visible.get(key) ?? 0) + vis);
  }
  return { map, covered, visible };
}

function countLost(shapes: Shape[], covered: Map<number, number>, visible: Map<number, number>, tally: ExportTally | undefined): void {
  if (!tally) return;
  for (const s of shapes) {
    if (covered.get(s.key) === 0) tally.change(MASK_REASONS.empty);
    else if (visible.get(s.key) === 0) tally.skip(MASK_REASONS.hidden);
  }
}

/** Whether a mask's RLE is of the image's size (a mask of another size cannot be painted into it). */
function fits(o: FormatObject, image: FormatImage): boolean {
  const g = o.geometry;
  return g.type !== 'mask' || (g.width === image.width && g.height === image.height);
}

/**
 * The class-index map of one image (SegmentationClass, or the masks export's PNG): 0 background, class index
 * + 1 for a class's polygons and masks, 255 for the ignore class's. Counts hidden and unpaintable shapes in
 * `opts.tally` (for a VOC export, call with the tally here and without it for `instanceMap`, which paints the
 * same shapes in the same order, so nothing is counted twice).
 */
export function semanticMap(record: FormatRecord, classIndex: Map<string, number>, opts: MaskMapOptions = {}): Uint8Array {
  const { width, height } = record.image;
  const shapes: Shape[] = [];
  record.objects.forEach((o, key) => {
    if (!isRegion(o) || o.class === null) return;
    if (!fits(o, record.image)) {
      opts.tally?.skip(MASK_REASONS.maskSize);
      return;
    }
    let value: number;
    if (opts.ignoreClass !== undefined && o.class === opts.ignoreClass) value = IGNORE_VALUE;
    else {
      const idx = classIndex.get(o.class);
      if (idx === undefined) throw new Error(`class ${JSON.stringify(o.class)} is not in the class list`);
      if (idx + 1 > MAX_VALUES) {
        opts.tally?.skip(MASK_REASONS.tooManyClasses);
        return;
      }
      value = idx + 1;
    }
    shapes.push({ geometry: o.geometry, value, area: areaOf(o.geometry), key });
  });
  const { map, covered, visible } = paint(shapes, width, height);
  countLost(shapes, covered, visible, opts.tally);
  return map;
}

/**
 * The instance map of one image (SegmentationObject): the polygons and masks the VOC XML lists, each painted
 * as its place among the XML objects + 1 (so value v is the XML's object[v - 1], as the devkit pairs them), and
 * the ignore class's shapes as 255. Objects past the 254th cannot be told apart: counted in `opts.tally`. Give
 * `classIndex` (as semanticMap gets it) so that shapes of classes semanticMap cannot paint (past the 254th) are
 * left out here too, and every instance lies on its class.
 */
export function instanceMap(record: FormatRecord, opts: MaskMapOptions & { classIndex?: Map<string, number> } = {}): Uint8Array {
  const { width, height } = record.image;
  const shapes: Shape[] = [];
  // The keys are record indices so that the painting order (record order on ties) matches semanticMap's.
  const keyOf = new Map<FormatObject, number>(record.objects.map((o, i) => [o, i]));
  vocObjects(record, { ignoreClass: opts.ignoreClass }).forEach((v, i) => {
    const o = v.source;
    if (!v.segment || !isRegion(o) || !fits(o, record.image)) return;
    const ci = opts.classIndex?.get(o.class!);
    if (ci !== undefined && ci + 1 > MAX_VALUES) return;
    if (i + 1 > MAX_VALUES) {
      opts.tally?.skip(MASK_REASONS.tooManyObjects);
      return;
    }
    shapes.push({ geometry: o.geometry, value: i + 1, area: areaOf(o.geometry), key: keyOf.get(o)! });
  });
  if (opts.ignoreClass !== undefined) {
    record.objects.forEach((o, key) => {
      if (o.class === opts.ignoreClass && isRegion(o) && fits(o, record.image)) shapes.push({ geometry: o.geometry, value: IGNORE_VALUE, area: areaOf(o.geometry), key });
    });
  }
  // Same shapes as semanticMap, so the same order: sort by record index before painting's stable area sort.
  shapes.sort((a, b) => a.key - b.key);
  return paint(shapes, width, height).map;
}

/**
 * Why the masks export leaves an object out (null when it paints it): boxes, keypoints, captions and tags are
 * not regions; a shape needs a class.
 */
export function semanticSkipReason(obj: FormatObject, image: FormatImage): string | null {
  const g = obj.geometry;
  if (g.type === 'box' || g.type === 'keypoints' || g.type === 'caption' || g.type === 'tag') return MASK_REASONS.notRegion[g.type];
  if (obj.class === null) return MASK_REASONS.noClass;
  if (!fits(obj, image)) return MASK_REASONS.maskSize;
  return null;
}

// ---------------------------------------------------------------- classes.txt

const BACKGROUND = '_background_';

/**
 * classes.txt: one name per line, line k naming map value k, so line 0 is the background (`_background_`, as
 * labelme's labelme2voc writes it) and then the project's classes in order. The ignore class keeps its line
 * (its shapes are painted 255, which has no line).
 */
export function classesTxt(classes: readonly (FormatClass | string)[]): string {
  const names = classes.map((c) => (typeof c === 'string' ? c : c.name));
  for (const n of names) {
    if (/[\r\n]/.test(n) || n.trim() !== n || n === '') throw new Error(`class name ${JSON.stringify(n)} cannot be a line of classes.txt`);
  }
  return [BACKGROUND, ...names].join('\n') + '\n';
}

/** The class names of classes.txt (line 0, the background, dropped): names[v - 1] is map value v. */
export function parseClassesTxt(text: string, file: string): string[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  if (!lines.length) throw new FormatError(file, null, 'is empty: expected the background on line 1, then one class per line');
  if (!/^_*background_*$/i.test(lines[0].trim())) {
    throw new FormatError(file, 'line 1', `is ${JSON.stringify(lines[0])}: line 1 names map value 0, the background (e.g. ${BACKGROUND})`);
  }
  const names = lines.slice(1);
  const seen = new Map<string, number>();
  names.forEach((n, i) => {
    if (n.trim() === '') throw new FormatError(file, `line ${i + 2}`, 'is empty: every line names the class of one map value');
    if (seen.has(n)) throw new FormatError(file, `line ${i + 2}`, `class ${JSON.stringify(n)} is also on line ${seen.get(n)}`);
    seen.set(n, i + 2);
  });
  return names;
}

// ---------------------------------------------------------------- reading maps back

/**
 * One mask per class present in a class-index map, in value order (255, the ignore class, last). `names[v - 1]`
 * is value v's class. 255 is read as `opts.ignoreClass`, or skipped without one (VOC's boundaries are not
 * objects). A value with no name is an error naming `opts.file` and the first pixel that has it.
 */
export function masksFromSemanticMap(map: Uint8Array, width: number, height: number, names: readonly string[], opts: { ignoreClass?: string; file?: string } = {}): ParsedObject[] {
  const file = opts.file ?? 'class map';
  if (map.length !== width * height) throw new FormatError(file, null, `has ${map.length} pixels, expected ${width}×${height}`);
  const rles = encodeLabelRles(map, width, height);
  const values = [...rles.keys()].filter((v) => v !== 0).sort((a, b) => a - b);
  const out: ParsedObject[] = [];
  for (const v of values) {
    let cls: string;
    if (v === IGNORE_VALUE) {
      if (opts.ignoreClass === undefined) continue;
      cls = opts.ignoreClass;
    } else {
      if (v > names.length) {
        const p = map.indexOf(v);
        throw new FormatError(file, `pixel (${p % width}, ${(p / width) | 0})`, `value ${v} has no class: the class list names values 1 to ${names.length}`);
      }
      cls = names[v - 1];
    }
    out.push({ class: cls, kind: 'mask', geometry: { type: 'mask', width, height, counts: rles.get(v)!.counts }, attributes: {}, score: null, where: `value ${v}` });
  }
  return out;
}

/**
 * One mask per instance of an instance map (values 1…254; 0 and 255 are not instances), in value order, with
 * its class from the class map (`names[c - 1]` for class value c; every pixel of an instance must have the
 * same one). `instance` is the value, which for VOC is the XML's object[instance - 1].
 */
export function masksFromInstanceMap(
  instances: Uint8Array,
  classMap: Uint8Array,
  width: number,
  height: number,
  names: readonly string[],
  opts: { file?: string } = {},
): (ParsedObject & { instance: number })[] {
  const file = opts.file ?? 'instance map';
  if (instances.length !== width * height || classMap.length !== width * height) {
    throw new FormatError(file, null, `maps have ${instances.length} and ${classMap.length} pixels, expected ${width}×${height}`);
  }
  const classOf = new Int16Array(256).fill(-1);
  for (let i = 0; i < instances.length; i++) {
    const v = instances[i];
    if (v === 0 || v === IGNORE_VALUE) continue;
    const c = classMap[i];
    const at = `pixel (${i % width}, ${(i / width) | 0})`;
    if (classOf[v] === -1) {
      if (c === 0 || c === IGNORE_VALUE) throw new FormatError(file, at, `instance ${v} lies on class value ${c} (${c === 0 ? 'background' : 'void'})`);
      if (c > names.length) throw new FormatError(file, at, `instance ${v} has class value ${c}, which has no name (the class list names 1 to ${names.length})`);
      classOf[v] = c;
    } else if (classOf[v] !== c) {
      throw new FormatError(file, at, `instance ${v} covers class values ${classOf[v]} and ${c}; an instance has one class`);
    }
  }
  const rles = encodeLabelRles(instances, width, height);
  const values = [...rles.keys()].filter((v) => v !== 0 && v !== IGNORE_VALUE).sort((a, b) => a - b);
  return values.map((v) => ({
    class: names[classOf[v] - 1],
    kind: 'mask' as const,
    geometry: { type: 'mask' as const, width, height, counts: rles.get(v)!.counts },
    attributes: {},
    score: null,
    where: `instance ${v}`,
    instance: v,
  }));
}

// ---------------------------------------------------------------- what the PNGs hold

const strip = ({ where: _where, ...rest }: ParsedObject): Omit<ParsedObject, 'where'> => rest;

/**
 * What the class-index PNG keeps of a record: one mask per class present, the union of that class's polygons
 * and masks as painted (smaller shapes of other classes on top), in value order, plus the ignore class's 255
 * region when it has one. Exactly what masksFromSemanticMap reads back from semanticMap's map.
 */
export function holdSemantic(record: FormatRecord, classIndex: Map<string, number>, opts: { ignoreClass?: string } = {}): Held {
  const names: string[] = [];
  for (const [name, idx] of classIndex) names[idx] = name;
  const { width, height } = record.image;
  const map = semanticMap(record, classIndex, { ignoreClass: opts.ignoreClass });
  return masksFromSemanticMap(map, width, height, names, { ignoreClass: opts.ignoreClass }).map(strip);
}

function flagAttributes(flags: VocObject['flags']): FormatAttributes {
  const a: FormatAttributes = {};
  for (const f of VOC_FLAGS) if (flags[f]) a[f] = true;
  return a;
}

/**
 * What a VOC export keeps of each object of a record once the XML and SegmentationObject are read back
 * together (voc.ts `parseVocXml` then `mergeVocSegmentation`): a polygon or mask with visible pixels comes back
 * as a mask of those pixels; any other exported object as its XML box (voc.ts `holdVoc`); the rest give the
 * reason they are not exported. In record order; the objects that are not strings appear in XML order.
 */
export function holdVocImage(record: FormatRecord, opts: VocOptions & { classIndex?: Map<string, number> } = {}): { object: FormatObject; held: Held }[] {
  const { width, height } = record.image;
  const inst = instanceMap(record, { ignoreClass: opts.ignoreClass, classIndex: opts.classIndex });
  const rles = encodeLabelRles(inst, width, height);
  const listed = vocObjects(record, opts);
  const place = new Map<FormatObject, number>(listed.map((v, i) => [v.source, i]));
  return record.objects.map((o) => {
    const i = place.get(o);
    if (i === undefined) {
      if (opts.ignoreClass !== undefined && o.class === opts.ignoreClass) {
        return { object: o, held: IGNORE_REGION_HELD };
      }
      // Not listed: vocObjects skipped it; say why as the XML writer does.
      return { object: o, held: skipReason(record, o, opts) };
    }
    const v = listed[i];
    const rle = i + 1 <= MAX_VALUES && v.segment ? rles.get(i + 1) : undefined;
    if (rle) {
      return { object: o, held: [{ class: o.class, kind: 'mask', geometry: { type: 'mask', width, height, counts: rle.counts }, attributes: flagAttributes(v.flags), score: null }] };
    }
    return { object: o, held: [{ class: o.class, kind: 'box', geometry: boxFromVoc(v.box), attributes: flagAttributes(v.flags), score: null }] };
  });
}

function skipReason(record: FormatRecord, o: FormatObject, opts: VocOptions): string {
  const t = new ExportTally();
  vocObjects({ image: record.image, objects: [o] }, opts, t);
  return [...t.notExported.keys()][0] ?? 'not exported';
}
