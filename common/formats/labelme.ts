/**
 * LabelMe JSON (issue 8): one file per image beside a relative `imagePath`, as LabelMe 5 writes it
 * (labelme/label_file.py): `{version, flags, shapes, imagePath, imageData, imageHeight, imageWidth}`, each
 * shape `{label, points, group_id, description, shape_type, flags, mask?}`.
 *
 * How Sightline objects map:
 *   box        → `rectangle`, two corners
 *   polygon    → `polygon` (`linestrip` when its `labelme_shape` attribute says so)
 *   mask       → `mask`: points = the first and last pixel of its bounding box (inclusive, as LabelMe's
 *                shapes_to_label slices `[y1 : y2 + 1, x1 : x2 + 1]`), `mask` = base64 PNG of that crop
 *   keypoints  → one `point` per labeled point: label = the keypoint's name, description = the class,
 *                one group_id per object, flags {occluded: true} for visibility 1
 *   tag        → the image's `flags`: {name: true}
 *   caption    → not exported (LabelMe holds none)
 * Attributes: `group_id` (a whole number) → group_id; `description` (text) → description; true/false ones →
 * the shape's `flags`; the rest → an `attributes` object on the shape (LabelMe keeps keys it does not know,
 * `other_data`, when it saves). A prediction's score → `score` on the shape (as X-AnyLabeling writes it).
 */
import type { Geometry } from '../api/contract.js';
import { encodeRleWindow, rleBbox, type Rle } from '../geometry/rle.js';
import { decodePng, encodePng } from './png.js';
import { FormatError, type ExportTally, type AttributeValue, type FormatAttributes, type FormatImage, type FormatObject, type FormatRecord, type Held, type ParsedImage, type ParsedObject, type Zlib } from './types.js';

/** LabelMe's version written in files: Debian's labelme package (the consumer the tests load exports with). */
export const LABELME_VERSION = '5.1.1';
/**
 * The version written in files that hold a `mask` shape: LabelMe added masks in 5.4 (the "AI mask" mode, late 2023);
 * 5.1's GUI refuses the shape type (its file loader keeps it), so such files say which LabelMe they need.
 */
export const LABELME_MASK_VERSION = '5.4.1';
/** Coordinates are written as they are: only a rectangle's far corner, x + w, rounds (in the last bit). */
export const LABELME_PRECISION_PX = 1e-6;

export interface LabelmeShape {
  label: string;
  points: [number, number][];
  group_id: number | null;
  description: string;
  shape_type: string;
  flags: Record<string, boolean>;
  mask?: string;
  score?: number;
  attributes?: Record<string, AttributeValue>;
}

export interface LabelmeFile {
  version: string;
  flags: Record<string, boolean>;
  shapes: LabelmeShape[];
  imagePath: string;
  imageData: null;
  imageHeight: number;
  imageWidth: number;
}

// ---------------------------------------------------------------- masks: box crops

/** Row-major 0/1 crop of an RLE mask, w×h at (x0, y0); walks the set runs only. */
export function maskCrop(rle: Rle, x0: number, y0: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h);
  const H = rle.height;
  let i = 0;
  for (let k = 0; k < rle.counts.length; k++) {
    const n = rle.counts[k];
    if (k & 1) {
      for (let p = i; p < i + n; p++) {
        const x = Math.floor(p / H) - x0, y = (p % H) - y0;
        if (x >= 0 && y >= 0 && x < w && y < h) out[y * w + x] = 1;
      }
    }
    i += n;
  }
  return out;
}

// ---------------------------------------------------------------- base64 (no atob/Buffer: common/ is pure)

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_INDEX[B64.charCodeAt(i)] = i;

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    s += B64[n >> 18] + B64[(n >> 12) & 63] + (i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=') + (i + 2 < bytes.length ? B64[n & 63] : '=');
  }
  return s;
}

/** Standard base64 (whitespace and missing padding tolerated, as Python's b64decode is not but writers vary); null when invalid. */
export function fromBase64(s: string): Uint8Array | null {
  const clean = s.replace(/[\s]/g, '').replace(/=+$/, '');
  if (clean.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let o = 0, acc = 0, bits = 0;
  for (let i = 0; i < clean.length; i++) {
    const c = clean.charCodeAt(i);
    const v = c < 128 ? B64_INDEX[c] : -1;
    if (v < 0) return null;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, o);
}

// ---------------------------------------------------------------- what LabelMe holds

const R = {
  caption: 'captions (LabelMe holds none)',
  noClass: 'shapes without a class (a LabelMe shape needs a label)',
  tagNoClass: 'tags without a class',
  duplicateTag: 'repeated tags of one class (LabelMe image flags hold each name once)',
  emptyMask: 'empty masks (no box to crop)',
  maskSize: 'masks of another size than their image',
  noTemplate: 'keypoints of several points whose class has no keypoint template (LabelMe names each point)',
  noLabeledPoint: 'keypoints with no labeled point',
  repeatedNames: 'keypoints whose class template gives two points one name (LabelMe finds points by name)',
  // changes
  tagDetails: 'tag attributes and scores not kept (LabelMe image flags are true or false)',
  pastTemplate: "keypoints past their class template's points dropped",
  groupAssigned: "keypoints given a group_id (LabelMe groups an object's points by it)",
  groupChanged: 'keypoint group_id changed (two keypoint objects of one class shared it)',
  visibility: 'keypoint visibility other than 0, 1, 2 written as visible',
} as const;

/** Per image: the keypoint names of each class, and the group_id each keypoints object gets. */
export interface LabelmeContext {
  keypointNames: ReadonlyMap<string, readonly string[]>;
  /** Keypoints objects (by id) that are written with a group_id they did not have, or another one. */
  groupIds: Map<number, number>;
  /** Tags (by id) that repeat an earlier tag's class. */
  duplicateTags: Set<number>;
}

const isGroupId = (v: AttributeValue | undefined): v is number => typeof v === 'number' && Number.isInteger(v);

/**
 * What `holdLabelme` needs to know about the rest of the image. An object's points are grouped by
 * (class, group_id); two keypoints objects of one class without a group_id would merge, so each of them gets a
 * number no other shape of the image uses.
 */
export function labelmeContext(record: FormatRecord, keypointNames: ReadonlyMap<string, readonly string[]>): LabelmeContext {
  const groupIds = new Map<number, number>();
  const duplicateTags = new Set<number>();
  let next = 1;
  for (const o of record.objects) {
    const g = o.attributes.group_id;
    if (isGroupId(g)) next = Math.max(next, g + 1);
  }
  const kp = record.objects.filter((o) => o.kind === 'keypoints' && o.class !== null);
  const withoutGroup = new Map<string, number>();
  for (const o of kp) if (!isGroupId(o.attributes.group_id)) withoutGroup.set(o.class!, (withoutGroup.get(o.class!) ?? 0) + 1);
  const taken = new Set<string>();
  for (const o of kp) {
    const g = o.attributes.group_id;
    if (isGroupId(g)) {
      const key = `${o.class}\u0000${g}`;
      if (taken.has(key)) groupIds.set(o.id, next++);
      else taken.add(key);
    } else if (withoutGroup.get(o.class!)! > 1) groupIds.set(o.id, next++);
  }
  const tags = new Set<string>();
  for (const o of record.objects) {
    if (o.kind !== 'tag' || o.class === null) continue;
    if (tags.has(o.class)) duplicateTags.add(o.id);
    tags.add(o.class);
  }
  return { keypointNames, groupIds, duplicateTags };
}

/**
 * What LabelMe keeps of one object (as `parseLabelme` reads it back, within LABELME_PRECISION_PX), or why it
 * is not exported. `ctx` from `labelmeContext(record, …)`; `tally`, when given, counts what was changed.
 */
export function holdLabelme(obj: FormatObject, image: FormatImage, ctx: LabelmeContext, tally?: ExportTally): Held {
  const g = obj.geometry;
  const changes = new Set<string>();
  const done = (held: Held): Held => {
    if (tally) for (const c of changes) tally.change(c);
    return held;
  };
  if (g.type === 'caption') return R.caption;
  if (g.type === 'tag') {
    if (obj.class === null) return R.tagNoClass;
    if (ctx.duplicateTags.has(obj.id)) return R.duplicateTag;
    if (Object.keys(obj.attributes).length || obj.score !== null) changes.add(R.tagDetails);
    return done([{ class: obj.class, kind: 'tag', geometry: { type: 'tag' }, attributes: {}, score: null }]);
  }
  if (obj.class === null) return R.noClass;
  const base = { class: obj.class, kind: obj.kind, attributes: { ...obj.attributes }, score: obj.score };
  switch (g.type) {
    case 'box':
    case 'polygon':
      return done([{ ...base, geometry: g }]);
    case 'mask': {
      if (rleBbox(g)[2] === 0) return R.emptyMask;
      // The crop is placed in imageWidth × imageHeight when read.
      if (g.width !== image.width || g.height !== image.height) return R.maskSize;
      return done([{ ...base, geometry: g }]);
    }
    case 'keypoints': {
      const names = ctx.keypointNames.get(obj.class);
      const n = g.points.length / 3;
      let labeled = 0;
      for (let i = 0; i < n; i++) if (g.points[3 * i + 2] > 0) labeled++;
      if (labeled === 0) return R.noLabeledPoint;
      if (!names) {
        // A lone point of a class without a template is a plain LabelMe point labeled with the class.
        if (n !== 1) return R.noTemplate;
        return done([{ ...base, geometry: { type: 'keypoints', points: visiblePoint(g.points, 0, changes) } }]);
      }
      // Points are found again by name: a template naming two points alike cannot be read back.
      if (new Set(names).size !== names.length) return R.repeatedNames;
      const points = new Array<number>(names.length * 3).fill(0);
      for (let i = 0; i < n; i++) {
        if (!(g.points[3 * i + 2] > 0)) continue;
        if (i >= names.length) {
          changes.add(R.pastTemplate);
          continue;
        }
        points.splice(3 * i, 3, ...visiblePoint(g.points, i, changes));
      }
      const assigned = ctx.groupIds.get(obj.id);
      if (assigned !== undefined) {
        changes.add(isGroupId(obj.attributes.group_id) ? R.groupChanged : R.groupAssigned);
        base.attributes.group_id = assigned;
      }
      if (!points.some((v, i) => i % 3 === 2 && v > 0)) return R.noLabeledPoint;
      return done([{ ...base, geometry: { type: 'keypoints', points, names: [...names] } }]);
    }
  }
}

/** Point i as LabelMe keeps it: visibility 1 (occluded) or 2. */
function visiblePoint(p: readonly number[], i: number, changes: Set<string>): number[] {
  const v = p[3 * i + 2];
  if (v !== 1 && v !== 2) changes.add(R.visibility);
  return [p[3 * i], p[3 * i + 1], v === 1 ? 1 : 2];
}

// ---------------------------------------------------------------- writer

/** Attributes onto a shape: group_id, description, true/false flags, and the rest in `attributes`. */
function putAttributes(shape: LabelmeShape, attrs: FormatAttributes, flagsFor: 'flags' | 'attributes', describe = true): void {
  const rest: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'group_id' && isGroupId(v)) shape.group_id = v;
    else if (k === 'description' && describe && typeof v === 'string' && v !== '' && shape.description === '') shape.description = v;
    else if (typeof v === 'boolean' && flagsFor === 'flags') shape.flags[k] = v;
    else rest[k] = v;
  }
  if (Object.keys(rest).length) shape.attributes = rest;
}

const pt = (x: number, y: number): [number, number] => [x, y];

/**
 * One image's LabelMe file (an object, for JSON.stringify(…, null, 2) as LabelMe writes). `imagePath` is the
 * image's path relative to the JSON file. `keypointNames`: each keypoints class's template names, in order.
 */
export function labelmeJson(
  record: FormatRecord,
  imagePath: string,
  tally: ExportTally,
  zlib: Zlib,
  keypointNames: ReadonlyMap<string, readonly string[]> = new Map(),
): LabelmeFile {
  const ctx = labelmeContext(record, keypointNames);
  const { width: W, height: H } = record.image;
  const shapes: LabelmeShape[] = [];
  const flags: Record<string, boolean> = {};
  for (const obj of record.objects) {
    const held = holdLabelme(obj, record.image, ctx, tally);
    if (typeof held === 'string') {
      tally.skip(held);
      continue;
    }
    for (const h of held) {
      const g = h.geometry;
      const cls = h.class!;
      const shape = (shape_type: string, points: [number, number][]): LabelmeShape => {
        const s: LabelmeShape = { label: cls, points, group_id: null, description: '', shape_type, flags: {} };
        return s;
      };
      const finish = (s: LabelmeShape, attrs: FormatAttributes, flagsFor: 'flags' | 'attributes', describe = true) => {
        putAttributes(s, attrs, flagsFor, describe);
        if (h.score !== null) s.score = h.score;
        shapes.push(s);
      };
      switch (g.type) {
        case 'tag':
          flags[cls] = true;
          break;
        case 'box':
          finish(shape('rectangle', [pt(g.x, g.y), pt(g.x + g.w, g.y + g.h)]), h.attributes, 'flags');
          break;
        case 'polygon': {
          const pts: [number, number][] = [];
          for (let i = 0; i < g.points.length; i += 2) pts.push(pt(g.points[i], g.points[i + 1]));
          const { labelme_shape, ...attrs } = h.attributes;
          const linestrip = labelme_shape === 'linestrip';
          finish(shape(linestrip ? 'linestrip' : 'polygon', pts), linestrip || labelme_shape === undefined ? attrs : h.attributes, 'flags');
          break;
        }
        case 'mask': {
          const [bx, by, bw, bh] = rleBbox(g);
          // 0/1 bytes in an 8-bit grey PNG: what LabelMe itself saves (mask.astype(np.uint8)), which every
          // LabelMe 5 that has masks reads, whether or not it casts to bool.
          const crop = maskCrop(g, bx, by, bw, bh);
          const png = encodePng({ width: bw, height: bh, channels: 1, data: crop }, zlib);
          const s = shape('mask', [pt(bx, by), pt(bx + bw - 1, by + bh - 1)]);
          s.mask = toBase64(png);
          finish(s, h.attributes, 'flags');
          break;
        }
        case 'keypoints': {
          const names = keypointNames.get(cls);
          if (!names) {
            // A lone point of a class without a template: label = the class.
            const s = shape('point', [pt(g.points[0], g.points[1])]);
            if (g.points[2] === 1) s.flags.occluded = true;
            // A description naming a keypoints class would make the point read back as that class's keypoint.
            const d = h.attributes.description;
            finish(s, h.attributes, 'attributes', !(typeof d === 'string' && keypointNames.has(d)));
            break;
          }
          const { group_id, ...attrs } = h.attributes;
          let first = true;
          for (let i = 0; i < g.points.length / 3; i++) {
            const v = g.points[3 * i + 2];
            if (v === 0) continue;
            const s: LabelmeShape = { label: names[i], points: [pt(g.points[3 * i], g.points[3 * i + 1])], group_id: isGroupId(group_id) ? group_id : null, description: cls, shape_type: 'point', flags: {} };
            if (v === 1) s.flags.occluded = true;
            // The object's other attributes ride on its first point; its score on every point.
            if (first) putAttributes(s, { ...attrs, ...(group_id !== undefined && !isGroupId(group_id) ? { group_id } : {}) }, 'attributes');
            if (h.score !== null) s.score = h.score;
            shapes.push(s);
            first = false;
          }
          break;
        }
        case 'caption':
          break;
      }
    }
  }
  const version = shapes.some((sh) => sh.shape_type === 'mask') ? LABELME_MASK_VERSION : LABELME_VERSION;
  return { version, flags, shapes, imagePath, imageData: null, imageHeight: H, imageWidth: W };
}

// ---------------------------------------------------------------- reader

const KNOWN_TYPES = ['polygon', 'rectangle', 'linestrip', 'point', 'mask', 'circle', 'line'];

/**
 * Where the first JSON syntax error in `text` is, with what is wrong there; null when it is valid JSON.
 * JSON.parse's messages name a position only sometimes (V8 11: "Unexpected token ','" and no place), and a
 * person fixing a file needs the line.
 */
export function locateJsonError(text: string): { line: number; column: number; problem: string } | null {
  let p = 0;
  const stop = (problem: string, at = p): never => {
    throw new JsonStop(at, problem);
  };
  const here = () => (p >= text.length ? 'the end of the file' : JSON.stringify(text[p]));
  const ws = () => {
    while (p < text.length && (text[p] === ' ' || text[p] === '\t' || text[p] === '\n' || text[p] === '\r')) p++;
  };
  const string = () => {
    const start = p++;
    for (;;) {
      if (p >= text.length) stop('a string is not closed', start);
      const c = text.charCodeAt(p);
      if (c === 34) {
        p++;
        return;
      }
      if (c === 92) {
        const e = text[p + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(p + 2, p + 6))) stop('"\\u" needs 4 hexadecimal digits');
          p += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) p += 2;
        else stop(`unknown escape "\\${e ?? ''}" in a string`);
        continue;
      }
      if (c < 0x20) stop('a control character (a line break or tab) inside a string; write it as \\n or \\t');
      p++;
    }
  };
  const NUM = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y;
  const value = (): void => {
    ws();
    const c = text[p];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      p++;
      ws();
      if (text[p] === close) {
        p++;
        return;
      }
      for (;;) {
        ws();
        if (c === '{') {
          if (text[p] !== '"') stop(`expected a "quoted" key, got ${here()}`);
          string();
          ws();
          if (text[p] !== ':') stop(`expected ":" after the key, got ${here()}`);
          p++;
        }
        value();
        ws();
        if (text[p] === ',') {
          const comma = p++;
          ws();
          if (text[p] === close) stop(`a "," before "${close}" (JSON has no trailing commas)`, comma);
          continue;
        }
        if (text[p] === close) {
          p++;
          return;
        }
        stop(`expected "," or "${close}", got ${here()}`);
      }
    }
    if (c === '"') return string();
    NUM.lastIndex = p;
    if (NUM.test(text)) {
      p = NUM.lastIndex;
      return;
    }
    for (const lit of ['true', 'false', 'null']) {
      if (text.startsWith(lit, p)) {
        p += lit.length;
        return;
      }
    }
    stop(`unexpected ${here()}`);
  };
  try {
    value();
    ws();
    if (p < text.length) stop(`unexpected ${here()} after the end of the JSON value`);
    return null;
  } catch (e) {
    if (!(e instanceof JsonStop)) return null; // e.g. nesting too deep to walk: no place to give
    let line = 1, col = 1;
    for (let i = 0; i < e.at && i < text.length; i++) {
      if (text.charCodeAt(i) === 10) {
        line++;
        col = 1;
      } else col++;
    }
    return { line, column: col, problem: e.problem };
  }
}

class JsonStop {
  constructor(
    readonly at: number,
    readonly problem: string,
  ) {}
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface ParsedLabelme extends ParsedImage {
  /** True when the file carried an embedded image (`imageData`), which Sightline does not read. */
  imageDataIgnored: boolean;
}

/**
 * One LabelMe file. `file` names it in errors; the returned `file` is `imagePath` as written (resolving it
 * against the JSON's folder is the caller's business). Point shapes whose description names a class of
 * `classesWithTemplates` are that class's keypoints, grouped into objects by group_id; other points are
 * one-point keypoints of their label's class.
 */
export function parseLabelme(text: string, file: string, zlib: Zlib, classesWithTemplates: ReadonlyMap<string, readonly string[]>): ParsedLabelme {
  let data: unknown;
  const body = text.replace(/^\uFEFF/, '');
  try {
    data = JSON.parse(body);
  } catch (e) {
    const at = locateJsonError(body);
    throw new FormatError(file, at ? `line ${at.line}, column ${at.column}` : null, `not valid JSON: ${at ? at.problem : (e as Error).message}`);
  }
  if (!isObject(data)) throw new FormatError(file, null, 'a LabelMe file is a JSON object with "shapes" and "imagePath"');
  const fail = (where: string | null, problem: string): never => {
    throw new FormatError(file, where, problem);
  };

  const hasData = typeof data.imageData === 'string' && data.imageData !== '';
  const imagePath = data.imagePath;
  if (typeof imagePath !== 'string' || imagePath === '') {
    fail(
      'imagePath',
      hasData
        ? 'the image is embedded (imageData) but imagePath is empty; Sightline finds images by path and does not read imageData: set imagePath to the image file'
        : 'imagePath is missing: it names the image file, relative to this JSON file',
    );
  }
  const size = (key: 'imageWidth' | 'imageHeight'): number | null => {
    const v = data[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(key, `${key} must be a whole number of pixels`);
    return v as number;
  };
  const width = size('imageWidth'), height = size('imageHeight');
  if (!Array.isArray(data.shapes)) fail('shapes', data.shapes === undefined ? 'no "shapes" list' : '"shapes" must be a list');

  const objects: ParsedObject[] = [];
  // Keypoints objects being assembled, by class and group_id.
  /** One keypoints object per class and group_id; `at[i]` is where its point i was read. */
  const groups = new Map<string, { obj: ParsedObject; names: readonly string[]; at: string[] }>();

  (data.shapes as unknown[]).forEach((raw, i) => {
    const where = `shapes[${i}]`;
    const bad = (problem: string): never => fail(where, problem);
    if (!isObject(raw)) bad('a shape must be a JSON object');
    const s = raw as Record<string, unknown>;
    if (typeof s.label !== 'string' || s.label === '') bad('"label" must be a non-empty string');
    const label = s.label as string;
    const type = s.shape_type === undefined || s.shape_type === null ? 'polygon' : s.shape_type;
    if (typeof type !== 'string' || !KNOWN_TYPES.includes(type)) bad(`unknown shape_type ${JSON.stringify(type)} (known: ${KNOWN_TYPES.join(', ')})`);
    if (!Array.isArray(s.points)) bad('"points" must be a list of [x, y] pairs');
    const points: number[] = [];
    (s.points as unknown[]).forEach((p, k) => {
      if (!Array.isArray(p) || p.length !== 2 || !p.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        bad(`points[${k}] must be [x, y] with two finite numbers`);
      }
      points.push((p as number[])[0], (p as number[])[1]);
    });
    const count = points.length / 2;
    const needs = (n: number, exact: boolean) => {
      if (exact ? count !== n : count < n) bad(`a ${type} has ${exact ? '' : 'at least '}${n} point${n === 1 ? '' : 's'}, got ${count}`);
    };

    // Attributes from group_id, description, flags and the `attributes` object.
    const attributes: FormatAttributes = {};
    let groupId: number | null = null;
    if (s.group_id !== undefined && s.group_id !== null) {
      if (typeof s.group_id !== 'number' || !Number.isInteger(s.group_id)) bad('"group_id" must be a whole number or null');
      groupId = s.group_id as number;
    }
    const description = s.description === undefined || s.description === null ? '' : s.description;
    if (typeof description !== 'string') bad('"description" must be a string');
    const flags = s.flags === undefined || s.flags === null ? {} : s.flags;
    if (!isObject(flags)) bad('"flags" must be an object of true/false values');
    for (const [k, v] of Object.entries(flags as Record<string, unknown>)) {
      if (typeof v !== 'boolean') bad(`flags.${k} must be true or false`);
    }
    const extra: FormatAttributes = {};
    if (s.attributes !== undefined && s.attributes !== null) {
      if (!isObject(s.attributes)) bad('"attributes" must be an object');
      for (const [k, v] of Object.entries(s.attributes as Record<string, unknown>)) {
        if (!(v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)))) {
          bad(`attributes.${k} must be text, a number, true/false or null`);
        }
        extra[k] = v as AttributeValue;
      }
    }
    let score: number | null = null;
    if (s.score !== undefined && s.score !== null) {
      if (typeof s.score !== 'number' || !Number.isFinite(s.score)) bad('"score" must be a number');
      score = s.score as number;
    }

    const shapeAttributes = (): FormatAttributes => {
      const a: FormatAttributes = { ...attributes };
      if (groupId !== null) a.group_id = groupId;
      if (description !== '') a.description = description as string;
      Object.assign(a, flags as Record<string, boolean>, extra);
      return a;
    };
    const push = (geometry: Geometry, attrs: FormatAttributes) =>
      objects.push({ class: label, kind: geometry.type as ParsedObject['kind'], geometry, attributes: attrs, score, where });

    switch (type) {
      case 'rectangle': {
        needs(2, true);
        const [x1, y1, x2, y2] = points;
        push({ type: 'box', x: Math.min(x1, x2), y: Math.min(y1, y2), w: Math.abs(x2 - x1), h: Math.abs(y2 - y1) }, shapeAttributes());
        break;
      }
      case 'polygon':
        needs(3, false);
        push({ type: 'polygon', points }, shapeAttributes());
        break;
      case 'linestrip': {
        if (count < 3) bad(`a linestrip of ${count} points cannot be imported: Sightline polygons need at least 3 points`);
        push({ type: 'polygon', points }, { ...shapeAttributes(), labelme_shape: 'linestrip' });
        break;
      }
      case 'line':
        bad('a 2-point line cannot be imported: Sightline polygons need at least 3 points');
        break;
      case 'circle': {
        needs(2, true);
        push({ type: 'polygon', points: circlePolygon(points) }, { ...shapeAttributes(), labelme_shape: 'circle' });
        break;
      }
      case 'mask': {
        needs(2, true);
        if (typeof s.mask !== 'string' || s.mask === '') bad('a mask shape needs "mask": a base64 PNG of its box');
        if (width === null || height === null) bad('a mask needs imageWidth and imageHeight to place it');
        // LabelMe casts the corners to int (truncating) and includes both: x1 … x2, y1 … y2.
        const [x1, y1, x2, y2] = points.map(Math.trunc);
        const bw = x2 - x1 + 1, bh = y2 - y1 + 1;
        if (bw < 1 || bh < 1) bad(`the mask's corners (${x1}, ${y1}) and (${x2}, ${y2}) are not top-left then bottom-right`);
        if (x1 < 0 || y1 < 0 || x2 >= width! || y2 >= height!) bad(`the mask's box (${x1}, ${y1})–(${x2}, ${y2}) is outside the ${width}×${height} image`);
        const bytes = fromBase64(s.mask as string);
        if (!bytes) bad('"mask" is not valid base64');
        let png;
        try {
          png = decodePng(bytes!, zlib, `${file} ${where}.mask`);
        } catch (e) {
          bad(`"mask" is not a PNG that can be read: ${e instanceof FormatError ? e.problem : (e as Error).message}`);
        }
        if (png!.channels !== 1) bad(`the mask PNG has ${png!.channels} channels; a LabelMe mask has one (0 outside, non-zero inside)`);
        if (png!.width !== bw || png!.height !== bh) bad(`the mask PNG is ${png!.width}×${png!.height} but its box (${x1}, ${y1})–(${x2}, ${y2}) is ${bw}×${bh}`);
        const rle = encodeRleWindow(png!.data, x1, y1, bw, bh, width!, height!);
        push({ type: 'mask', width: rle.width, height: rle.height, counts: rle.counts }, shapeAttributes());
        break;
      }
      case 'point': {
        needs(1, true);
        const occluded = (flags as Record<string, boolean>).occluded === true;
        // On points, flags.occluded is the keypoint's visibility; other flags stay attributes.
        const { occluded: _o, ...otherFlags } = flags as Record<string, boolean>;
        void _o;
        const names = description !== '' ? classesWithTemplates.get(description as string) : undefined;
        if (!names) {
          const a: FormatAttributes = {};
          if (groupId !== null) a.group_id = groupId;
          if (description !== '') a.description = description as string;
          Object.assign(a, otherFlags, extra);
          push({ type: 'keypoints', points: [points[0], points[1], occluded ? 1 : 2] }, a);
          break;
        }
        const idx = names.indexOf(label);
        if (idx < 0) bad(`"${label}" is not a keypoint of class "${description}" (its keypoints: ${names.join(', ')})`);
        const key = `${description}\u0000${groupId ?? ''}`;
        let group = groups.get(key);
        if (!group) {
          const obj: ParsedObject = {
            class: description as string,
            kind: 'keypoints',
            // Named from the class's template, as the editor names the points it places.
            geometry: { type: 'keypoints', points: new Array<number>(names.length * 3).fill(0), names: [...names] },
            attributes: groupId !== null ? { group_id: groupId } : {},
            score: null,
            where,
          };
          group = { obj, names, at: [] };
          groups.set(key, group);
          objects.push(obj);
        }
        const g = group.obj.geometry as Extract<Geometry, { type: 'keypoints' }>;
        if (g.points[3 * idx + 2] !== 0) {
          bad(`a second "${label}" point for one "${description}" (the first is ${group.at[idx]}); give each object's points their own group_id`);
        }
        group.at[idx] = where;
        g.points[3 * idx] = points[0];
        g.points[3 * idx + 1] = points[1];
        g.points[3 * idx + 2] = occluded ? 1 : 2;
        Object.assign(group.obj.attributes, otherFlags, extra);
        if (group.obj.score === null) group.obj.score = score;
        break;
      }
    }
  });

  // Image flags: the ones set are tags.
  const imageFlags = data.flags === undefined || data.flags === null ? {} : data.flags;
  if (!isObject(imageFlags)) fail('flags', '"flags" must be an object of true/false values');
  for (const [k, v] of Object.entries(imageFlags as Record<string, unknown>)) {
    if (typeof v !== 'boolean') fail(`flags.${k}`, 'image flags must be true or false');
    if (v) objects.push({ class: k, kind: 'tag', geometry: { type: 'tag' }, attributes: {}, score: null, where: `flags.${k}` });
  }
  // LabelMe on Windows writes imagePath with backslashes; Sightline's paths are '/'-separated.
  return { file: (imagePath as string).replace(/\\/g, '/'), width, height, objects, imageDataIgnored: hasData };
}

/** A circle (centre, a point on it) as a polygon whose edges stray at most 0.25 px from the circle. */
function circlePolygon(p: number[]): number[] {
  const [cx, cy, px, py] = p;
  const r = Math.hypot(px - cx, py - cy);
  const n = r <= 0.25 ? 8 : Math.min(720, Math.max(8, Math.ceil(Math.PI / Math.acos(1 - 0.25 / r))));
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = (2 * Math.PI * i) / n;
    out.push(cx + r * Math.cos(a), cy + r * Math.sin(a));
  }
  return out;
}
