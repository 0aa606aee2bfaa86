/**
 * Ultralytics YOLO labels (issue 8): one `labels/<image>.txt` per image, one line per object, coordinates
 * normalised to [0, 1] by the image size, and a `data.yaml` naming the classes in the project's class order.
 *
 *   detect   `c cx cy w h`
 *   segment  `c x1 y1 x2 y2 …`                      (one ring; Ultralytics makes the box from it)
 *   pose     `c cx cy w h px1 py1 [v1] px2 py2 [v2] …` (kpt_shape [n, 2|3] in data.yaml)
 *   predictions (`withScore`): the score appended last, as Ultralytics' `save_conf` writes it.
 *
 * A dataset is written in one of these layouts (`YoloTask`), because Ultralytics' loader mixes them badly:
 * in a file that has a polygon line, a 5-value box line is read as a 2-point polygon; a segment dataset where
 * some objects are bare boxes has all its polygons dropped ("Box and segment counts should be equal"); a pose
 * dataset needs every line to carry kpt_shape's points. So `segment` writes boxes as 4-corner polygons,
 * `detect` writes polygons and masks as their boxes, and `pose` holds keypoints only. Each such change is
 * counted in the export's tally; `yoloTask` picks the layout that keeps the most. Without a layout, a
 * dataset with kpt_shape is a pose dataset (as `parseYoloLabel` reads it), and otherwise each object is
 * written in its own form (boxes as boxes, polygons and masks as polygons), which Ultralytics reads right only
 * when no image mixes boxes with polygons.
 */
import type { AnnotationKind, Geometry } from '../api/contract.js';
import { maskToPolygons, polygonArea } from '../geometry/polygon.js';
import { rleBbox, type Rle } from '../geometry/rle.js';
import { maskCrop } from './labelme.js';
import { FormatError, type ExportTally, type FormatAttributes, type FormatImage, type FormatObject, type FormatRecord, type Held, type ParsedObject } from './types.js';
import { parseYaml, YamlError, yamlString, type YamlMap, type YamlValue } from './yaml.js';
import { keypointExtent, polygonExtent } from '../geometry/extent.js';

export type YoloTask = 'detect' | 'segment' | 'pose';

/** Decimals of the normalised coordinates (and scores) written. */
export const YOLO_DECIMALS = 6;
/**
 * Precision of a read-back coordinate, as a fraction of the image's larger side: 6 decimals round by at most
 * 5e-7, and a box corner (cx - w/2) adds up two roundings. In pixels: `yoloPrecisionPx(image)`,
 * 0.004 px for a 4000 px image.
 */
export const YOLO_PRECISION = 1e-6;
export const YOLO_SCORE_PRECISION = 5e-7;
/** How far outside [0, 1] a read value may be (other writers round 1 up to 1.0000001) before it is an error. */
export const YOLO_RANGE_TOLERANCE = 1e-4;

/** The precision of read-back coordinates in pixels for an image of this size. */
export function yoloPrecisionPx(image: { width: number; height: number }): number {
  return YOLO_PRECISION * Math.max(image.width, image.height);
}
/** The same, under the name the exporter uses. */
export const YOLO_PRECISION_PX = yoloPrecisionPx;

/** The layout that keeps the most of an export holding these kinds: pose with keypoints, else segment with polygons or masks. */
export function yoloTask(kinds: Iterable<AnnotationKind>, kptShape: [number, number] | null): YoloTask {
  const set = new Set(kinds);
  if (kptShape && set.has('keypoints')) return 'pose';
  if (set.has('polygon') || set.has('mask')) return 'segment';
  return 'detect';
}

export interface YoloOptions {
  /** The layout; left out: pose when kptShape is set, otherwise each object in its own form. */
  task?: YoloTask;
  /** data.yaml's kpt_shape: [points per object, 2 (x y) or 3 (x y visibility)]; needed by the pose layout. */
  kptShape: [number, number] | null;
  /** A predictions run: append each object's score. */
  withScore?: boolean;
}

// Reasons (tally keys): one sentence each, the same for every object, so the summary can count them.
const R = {
  caption: 'captions (YOLO labels hold none)',
  tag: 'image tags (YOLO labels hold none)',
  noClass: 'shapes without a class (YOLO needs a class id on every line)',
  unknownClass: "shapes whose class is not in the export's class list",
  keypointsNotPose: 'keypoints (only the YOLO pose layout, with kpt_shape, holds them)',
  keypointsNoShape: 'keypoints (data.yaml has no kpt_shape)',
  notKeypointsInPose: 'boxes, polygons and masks in a YOLO pose dataset (every line there needs kpt_shape points)',
  tooManyPoints: "keypoints with more points than data.yaml's kpt_shape",
  noLabeledPoint: 'keypoints with no labeled point (a YOLO pose line needs their box)',
  emptyMask: 'empty masks',
  outside: 'shapes entirely outside the image',
  // changes
  attributes: 'attributes not kept (YOLO labels hold none)',
  scoreDropped: 'scores not kept (labels without the score column)',
  scoreMissing: 'predictions without a score, written with score 1',
  clipped: 'coordinates clipped to the image (YOLO coordinates are 0…1)',
  boxAsPolygon: 'boxes written as 4-corner polygons (YOLO segment layout)',
  polygonAsBox: 'polygons written as their bounding box (YOLO detect layout)',
  maskAsBox: 'masks written as their bounding box (YOLO detect layout)',
  maskAsOutline: 'masks written as their largest outer outline (other parts and holes dropped)',
  visibility: 'occluded keypoints written as visible (kpt_shape [n, 2] has no visibility)',
  originPoint: 'keypoints at exactly (0, 0) read back as absent (kpt_shape [n, 2])',
} as const;

const clamp = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);

/**
 * What YOLO keeps of one object in the given layout, as `parseYoloLabel` reads it back (within
 * `yoloPrecisionPx`), or why it is not exported. `tally`, when given, counts what was changed.
 */
export function holdYolo(obj: FormatObject, image: FormatImage, opts: YoloOptions & { classIndex?: Map<string, number> }, tally?: ExportTally): Held {
  const { kptShape, withScore = false } = opts;
  // null: each object in its own form.
  const task: YoloTask | null = opts.task ?? (kptShape ? 'pose' : null);
  const W = image.width, H = image.height;
  const g = obj.geometry;
  if (g.type === 'caption') return R.caption;
  if (g.type === 'tag') return R.tag;
  if (obj.class === null) return R.noClass;
  if (opts.classIndex && !opts.classIndex.has(obj.class)) return R.unknownClass;
  if (task === 'pose' && !kptShape) throw new Error('the YOLO pose layout needs kpt_shape');
  if (g.type === 'keypoints' && task !== 'pose') return task === null ? R.keypointsNoShape : R.keypointsNotPose;
  if (g.type !== 'keypoints' && task === 'pose') return R.notKeypointsInPose;

  // A set: a reason counts once per object, however many of its points it touched.
  const changes = new Set<string>();
  const held = (geometry: Geometry, kind: AnnotationKind): Held => {
    if (Object.keys(obj.attributes).length) changes.add(R.attributes);
    let score: number | null = null;
    if (withScore) {
      if (obj.score === null) changes.add(R.scoreMissing);
      score = roundTo(obj.score ?? 1);
    } else if (obj.score !== null) changes.add(R.scoreDropped);
    if (tally) for (const c of changes) tally.change(c);
    return [{ class: obj.class, kind, geometry, attributes: {} as FormatAttributes, score }];
  };

  // Boxes and box-like extents, clipped to the image.
  const clipBox = (x0: number, y0: number, x1: number, y1: number): [number, number, number, number] | null => {
    const cx0 = clamp(x0, 0, W), cy0 = clamp(y0, 0, H), cx1 = clamp(x1, 0, W), cy1 = clamp(y1, 0, H);
    if (cx0 !== x0 || cy0 !== y0 || cx1 !== x1 || cy1 !== y1) {
      // A box with an area that clipping empties was entirely outside.
      if ((x1 > x0 && cx1 <= cx0) || (y1 > y0 && cy1 <= cy0)) return null;
      changes.add(R.clipped);
    }
    return [cx0, cy0, cx1, cy1];
  };

  switch (g.type) {
    case 'box': {
      const b = clipBox(g.x, g.y, g.x + g.w, g.y + g.h);
      if (!b) return R.outside;
      const [x0, y0, x1, y1] = b;
      if (task !== 'segment') return held({ type: 'box', x: x0, y: y0, w: x1 - x0, h: y1 - y0 }, 'box');
      changes.add(R.boxAsPolygon);
      return held({ type: 'polygon', points: [x0, y0, x1, y0, x1, y1, x0, y1] }, 'polygon');
    }
    case 'polygon': {
      if (task === 'detect') {
        const [x0, y0, w, h] = polygonExtent(g.points);
        const b = clipBox(x0, y0, x0 + w, y0 + h);
        if (!b) return R.outside;
        changes.add(R.polygonAsBox);
        return held({ type: 'box', x: b[0], y: b[1], w: b[2] - b[0], h: b[3] - b[1] }, 'box');
      }
      const points = g.points.map((v, i) => clamp(v, 0, i % 2 ? H : W));
      if (points.some((v, i) => v !== g.points[i])) {
        if (polygonArea(points) === 0 && polygonArea(g.points) > 0) return R.outside;
        changes.add(R.clipped);
      }
      return held({ type: 'polygon', points }, 'polygon');
    }
    case 'mask': {
      const rle: Rle = { width: g.width, height: g.height, counts: g.counts };
      const [bx, by, bw, bh] = rleBbox(rle);
      if (bw === 0) return R.emptyMask;
      // Masks are stored at the image's size; one of another size is scaled to it.
      const sx = W / g.width, sy = H / g.height;
      if (task === 'detect') {
        changes.add(R.maskAsBox);
        return held({ type: 'box', x: bx * sx, y: by * sy, w: bw * sx, h: bh * sy }, 'box');
      }
      // Trace the bounding-box crop only: a whole-image decode costs width × height per mask.
      const crop = maskCrop(rle, bx, by, bw, bh);
      let best: number[] = [];
      let bestArea = -1;
      for (const ring of maskToPolygons(crop, bw, bh)) {
        const a = polygonArea(ring);
        if (a > bestArea) {
          bestArea = a;
          best = ring;
        }
      }
      changes.add(R.maskAsOutline);
      return held({ type: 'polygon', points: best.map((v, i) => (i % 2 ? (v + by) * sy : (v + bx) * sx)) }, 'polygon');
    }
    case 'keypoints': {
      const [n, dims] = kptShape!;
      const m = g.points.length / 3;
      if (m > n) {
        // Points past kpt_shape that are not labeled cost nothing; labeled ones cannot be written.
        for (let i = n; i < m; i++) if (g.points[3 * i + 2] > 0) return R.tooManyPoints;
      }
      const points = new Array<number>(n * 3).fill(0);
      let labeled = 0;
      for (let i = 0; i < Math.min(m, n); i++) {
        const v = g.points[3 * i + 2];
        if (!(v > 0)) continue; // absent: written 0 0 0, its position carries nothing
        const x = clamp(g.points[3 * i], 0, W), y = clamp(g.points[3 * i + 1], 0, H);
        if (x !== g.points[3 * i] || y !== g.points[3 * i + 1]) changes.add(R.clipped);
        let vis = v >= 2 ? 2 : 1;
        if (dims === 2) {
          if (vis === 1) changes.add(R.visibility);
          vis = 2;
          if (x === 0 && y === 0) {
            changes.add(R.originPoint);
            continue;
          }
        }
        points[3 * i] = x;
        points[3 * i + 1] = y;
        points[3 * i + 2] = vis;
        labeled++;
      }
      if (labeled === 0) return R.noLabeledPoint;
      return held({ type: 'keypoints', points: points }, 'keypoints');
    }
  }
}

/** Rounds as the file does, so a held score compares exactly. */
function roundTo(v: number): number {
  return Number(v.toFixed(YOLO_DECIMALS));
}

/** A normalised value with 6 decimals, trailing zeros trimmed ("0.5", "1", "0.000123"). */
export function formatYoloNumber(v: number): string {
  const s = v.toFixed(YOLO_DECIMALS).replace(/\.?0+$/, '');
  return s === '-0' ? '0' : s;
}

/**
 * The label file of one image: one line per object that YOLO holds, "\n" after each; "" when there is none
 * (Ultralytics reads an empty or missing file as an image with no objects). What is not exported or is changed
 * is counted in `tally`.
 */
export function yoloLabelText(record: FormatRecord, classIndex: Map<string, number>, tally: ExportTally, opts: YoloOptions): string {
  const { width: W, height: H } = record.image;
  const f = formatYoloNumber;
  let out = '';
  for (const obj of record.objects) {
    const held = holdYolo(obj, record.image, { ...opts, classIndex }, tally);
    if (typeof held === 'string') {
      tally.skip(held);
      continue;
    }
    for (const h of held) {
      const values: string[] = [String(classIndex.get(h.class!))];
      const g = h.geometry;
      if (g.type === 'box') values.push(f((g.x + g.w / 2) / W), f((g.y + g.h / 2) / H), f(g.w / W), f(g.h / H));
      else if (g.type === 'polygon') g.points.forEach((v, i) => values.push(f(v / (i % 2 ? H : W))));
      else if (g.type === 'keypoints') {
        // The box is the labeled points' extent: Sightline's keypoints carry no box of their own.
        const [x0, y0, w, h] = keypointExtent(g.points);
        values.push(f((x0 + w / 2) / W), f((y0 + h / 2) / H), f(w / W), f(h / H));
        const dims = opts.kptShape![1];
        for (let i = 0; i < g.points.length; i += 3) {
          values.push(f(g.points[i] / W), f(g.points[i + 1] / H));
          if (dims === 3) values.push(String(g.points[i + 2]));
        }
      }
      if (opts.withScore) values.push(f(h.score!));
      out += values.join(' ') + '\n';
    }
  }
  return out;
}

// ---------------------------------------------------------------- reading label files

export interface YoloLabelContext {
  /** data.yaml's names: the class of id i is names[i]. */
  names: readonly string[];
  /** The image's displayed size, to turn normalised values into pixels. */
  width: number;
  height: number;
  kptShape: [number, number] | null;
  /** 'pose' (the default when kptShape is set) reads every line as a pose line. */
  task?: YoloTask;
  /** A predictions file: each line ends with a score. */
  withScore?: boolean;
}

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/**
 * Objects of one label file. Lines with 5 values (6 with a score) are boxes, longer ones polygons, unless the
 * dataset is a pose dataset, where each line is a box followed by kpt_shape's points. Errors name `line N`.
 */
export function parseYoloLabel(text: string, file: string, ctx: YoloLabelContext): ParsedObject[] {
  const { names, width: W, height: H, withScore = false } = ctx;
  if (!(W > 0 && H > 0)) throw new Error(`parseYoloLabel needs the image size, got ${W}×${H}`);
  const pose = ctx.task === 'pose' || (ctx.task === undefined && ctx.kptShape !== null);
  if (pose && !ctx.kptShape) throw new FormatError(file, null, 'a pose dataset needs kpt_shape in data.yaml');
  const out: ParsedObject[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const where = `line ${i + 1}`;
    const fail = (problem: string): never => {
      throw new FormatError(file, where, problem);
    };
    const tokens = line.split(/\s+/);
    const values = tokens.map((t, k) => {
      if (!NUMBER.test(t)) fail(`value ${k + 1} "${t.length > 20 ? t.slice(0, 20) + '…' : t}" is not a number`);
      return Number(t);
    });
    const cls = values[0];
    if (!Number.isInteger(cls) || cls < 0) fail(`class id "${tokens[0]}" is not a whole number from 0`);
    if (cls >= names.length) fail(`class id ${cls} is out of range: data.yaml names ${names.length} class${names.length === 1 ? '' : 'es'} (0 to ${names.length - 1})`);
    let score: number | null = null;
    if (withScore) {
      if (values.length < 2) fail('no score at the end of the line');
      score = values.pop()!;
    }
    const coords = values.slice(1);
    const inRange = (from: number, to: number, what: (k: number) => string) => {
      for (let k = from; k < to; k++) {
        const v = coords[k];
        if (v < -YOLO_RANGE_TOLERANCE || v > 1 + YOLO_RANGE_TOLERANCE) fail(`${what(k)} is ${tokens[k + 1]}, outside 0…1 (YOLO coordinates are normalised by the image size)`);
      }
    };
    const boxNames = ['x centre', 'y centre', 'width', 'height'];
    const base = { class: names[cls], attributes: {} as FormatAttributes, score, where };

    if (pose) {
      const [n, dims] = ctx.kptShape!;
      const expected = 4 + n * dims;
      if (coords.length !== expected) {
        fail(`a pose line has the class, 4 box values and ${n} points × ${dims} = ${expected} values${withScore ? ' and a score' : ''}; got ${coords.length} values after the class (kpt_shape [${n}, ${dims}])`);
      }
      inRange(0, 4, (k) => boxNames[k]);
      const points: number[] = [];
      for (let p = 0; p < n; p++) {
        const at = 4 + p * dims;
        const px = coords[at], py = coords[at + 1];
        let v: number;
        if (dims === 3) {
          v = coords[at + 2];
          if (v !== 0 && v !== 1 && v !== 2) fail(`keypoint ${p + 1}'s visibility is ${tokens[at + 3]}; it must be 0 (absent), 1 (occluded) or 2 (visible)`);
        } else {
          // Without a visibility column, (0, 0) marks an absent point (the COCO convention Ultralytics follows).
          v = px === 0 && py === 0 ? 0 : 2;
        }
        if (v === 0) {
          points.push(0, 0, 0);
          continue;
        }
        inRange(at, at + 2, (k) => `keypoint ${p + 1}'s ${k === at ? 'x' : 'y'}`);
        points.push(px * W, py * H, v);
      }
      out.push({ ...base, kind: 'keypoints', geometry: { type: 'keypoints', points } });
      return;
    }

    if (coords.length === 4) {
      inRange(0, 4, (k) => boxNames[k]);
      const [cx, cy, w, h] = coords;
      if (w < 0 || h < 0) fail(`the box's ${w < 0 ? 'width' : 'height'} is negative`);
      out.push({ ...base, kind: 'box', geometry: { type: 'box', x: (cx - w / 2) * W, y: (cy - h / 2) * H, w: w * W, h: h * H } });
      return;
    }
    if (coords.length % 2) fail(`a polygon needs x y pairs: ${coords.length} coordinates is an odd count`);
    if (coords.length < 6) fail(`a polygon needs at least 3 points, got ${coords.length / 2} (a box line has 4 values after the class)`);
    inRange(0, coords.length, (k) => `point ${(k >> 1) + 1}'s ${k % 2 ? 'y' : 'x'}`);
    out.push({ ...base, kind: 'polygon', geometry: { type: 'polygon', points: coords.map((v, k) => v * (k % 2 ? H : W)) } });
  });
  return out;
}

// ---------------------------------------------------------------- data.yaml

export type YoloSplitPaths = { train?: string | string[]; val?: string | string[]; test?: string | string[] };

export interface YoloDataYamlOptions {
  /** Class names in the project's class order: names[FormatClass.index]. */
  names: readonly string[];
  kptShape: [number, number] | null;
  /** Image folders (or .txt lists) relative to `path`; Ultralytics needs train and val (val defaults to train). */
  splits: YoloSplitPaths;
  /** For each keypoint, the one it becomes in a left-right flip (Ultralytics turns off fliplr without it). */
  flipIdx?: readonly number[] | null;
  /**
   * The dataset root. Leave it out to let Ultralytics use the folder of data.yaml: a relative `path` is taken
   * relative to Ultralytics' own datasets folder, not to this file.
   */
  path?: string | null;
}

/** data.yaml for Ultralytics: names as `index: name`, the form of Ultralytics' own dataset files. */
export function yoloDataYaml(opts: YoloDataYamlOptions): string {
  const { names, kptShape, splits } = opts;
  const flipIdx = opts.flipIdx ?? null;
  if (!splits.train || (Array.isArray(splits.train) && splits.train.length === 0)) throw new Error('data.yaml needs a train split');
  if (kptShape) checkKptShape(kptShape);
  if (flipIdx) {
    if (!kptShape) throw new Error('flip_idx needs kpt_shape');
    if (flipIdx.length !== kptShape[0] || flipIdx.some((v) => !Number.isInteger(v) || v < 0 || v >= kptShape[0])) {
      throw new Error(`flip_idx must list ${kptShape[0]} keypoint indices from 0 to ${kptShape[0] - 1}`);
    }
  }
  const paths = (v: string | string[]) => (Array.isArray(v) ? `[${v.map(yamlString).join(', ')}]` : yamlString(v));
  const lines = [
    '# Ultralytics YOLO dataset written by Sightline.',
    '# Coordinates are normalised to each image as displayed (EXIF orientation applied).',
  ];
  if (opts.path) lines.push(`path: ${yamlString(opts.path)}`);
  lines.push(`train: ${paths(splits.train)}`);
  if (splits.val && splits.val.length) lines.push(`val: ${paths(splits.val)}`);
  else lines.push(`val: ${paths(splits.train)} # no validation split: Ultralytics needs one, so it is the train set`);
  if (splits.test && splits.test.length) lines.push(`test: ${paths(splits.test)}`);
  if (kptShape) {
    lines.push(`kpt_shape: [${kptShape[0]}, ${kptShape[1]}] # keypoints per object, values per keypoint (x, y${kptShape[1] === 3 ? ', visibility' : ''})`);
    if (flipIdx) lines.push(`flip_idx: [${flipIdx.join(', ')}]`);
  }
  lines.push(`nc: ${names.length}`);
  if (names.length === 0) lines.push('names: {}');
  else {
    lines.push('names:');
    names.forEach((n, i) => lines.push(`  ${i}: ${yamlString(n)}`));
  }
  return lines.join('\n') + '\n';
}

function checkKptShape(k: readonly number[]): void {
  if (k.length !== 2 || !Number.isInteger(k[0]) || k[0] < 1 || (k[1] !== 2 && k[1] !== 3)) {
    throw new Error(`kpt_shape must be [points ≥ 1, 2 or 3], got [${k.join(', ')}]`);
  }
}

/**
 * flip_idx from keypoint names: a name with "left" in it swaps with the same name with "right" (any case:
 * left_eye ↔ right_eye, LeftHand ↔ RightHand); others map to themselves.
 */
export function flipIdxFromNames(names: readonly string[]): number[] {
  const at = new Map(names.map((n, i) => [n, i]));
  const swap = (n: string) =>
    n.replace(/left|right/gi, (w) => {
      const to = w.toLowerCase() === 'left' ? 'right' : 'left';
      if (w === w.toUpperCase()) return to.toUpperCase();
      if (w[0] === w[0].toUpperCase()) return to[0].toUpperCase() + to.slice(1);
      return to;
    });
  return names.map((n, i) => at.get(swap(n)) ?? i);
}

export interface YoloDataset {
  names: string[];
  kptShape: [number, number] | null;
  flipIdx: number[] | null;
  /** The dataset root as written (null: the folder of data.yaml). */
  path: string | null;
  /** Image folders, image files or .txt lists of images, as written (relative to `path`); splits not named are left out. */
  splits: { train?: string[]; val?: string[]; test?: string[] };
}

/**
 * Read a data.yaml as Ultralytics does (PyYAML's meanings; `names` as a list or as `{index: name}`; `nc`
 * alone gives class_0…; `validation` for `val`). Errors name the line.
 */
export function parseYoloDataYaml(text: string, file: string): YoloDataset {
  let doc;
  try {
    doc = parseYaml(text);
  } catch (e) {
    if (e instanceof YamlError) throw new FormatError(file, `line ${e.line}`, e.problem);
    throw e;
  }
  const top = doc.value;
  if (top === null || typeof top !== 'object' || Array.isArray(top)) {
    throw new FormatError(file, null, 'data.yaml must be a mapping of keys (train, val, names, …)');
  }
  const map = top as YamlMap;
  const where = (...path: (string | number)[]) => {
    const line = doc.lineOf(path);
    return line === null ? path.join('.') : `line ${line}`;
  };
  const fail = (path: (string | number)[], problem: string): never => {
    throw new FormatError(file, where(...path), problem);
  };
  const has = (k: string) => Object.prototype.hasOwnProperty.call(map, k);

  // names
  let names: string[] | null = null;
  if (has('names') && map.names !== null) {
    const v = map.names;
    if (Array.isArray(v)) {
      names = v.map((n, i) => className(n, () => fail(['names', i], `names[${i}] is not a class name`)));
    } else if (typeof v === 'object') {
      const m = v as YamlMap;
      const keys = Object.keys(m);
      const byIndex: string[] = [];
      for (const k of keys) {
        if (!/^(?:0|[1-9][0-9]*)$/.test(k)) fail(['names', k], `names key "${k}" is not a class index (0, 1, 2, …)`);
        const idx = Number(k);
        if (idx >= keys.length) fail(['names', k], `names has ${keys.length} classes, so its keys must be 0 to ${keys.length - 1}; got ${idx}`);
        byIndex[idx] = className(m[k], () => fail(['names', k], `names ${k} is not a class name`));
      }
      names = byIndex;
    } else fail(['names'], 'names must be a list of class names or a mapping {0: name, 1: name, …}');
    names!.forEach((n, i) => {
      if (n.trim() === '') fail(['names', Array.isArray(v) ? i : String(i)], `class ${i} has an empty name`);
    });
  }
  if (has('nc') && map.nc !== null) {
    const nc = map.nc;
    if (typeof nc !== 'number' || !Number.isInteger(nc) || nc < 0) fail(['nc'], 'nc must be a whole number of classes');
    if (names && names.length !== nc) fail(['nc'], `nc is ${nc} but names lists ${names.length} classes`);
    if (!names) names = Array.from({ length: nc as number }, (_, i) => `class_${i}`);
  }
  if (!names) throw new FormatError(file, null, 'data.yaml has neither names nor nc: Ultralytics needs the class names');

  // kpt_shape, flip_idx
  let kptShape: [number, number] | null = null;
  if (has('kpt_shape') && map.kpt_shape !== null) {
    const k = map.kpt_shape;
    const ints = Array.isArray(k) && k.length === 2 && k.every((x) => typeof x === 'number' && Number.isInteger(x)) ? (k as number[]) : null;
    if (!ints || ints[0] < 1 || (ints[1] !== 2 && ints[1] !== 3)) fail(['kpt_shape'], 'kpt_shape must be [number of keypoints, 2 or 3], e.g. [17, 3]');
    kptShape = [ints![0], ints![1]];
  }
  let flipIdx: number[] | null = null;
  if (has('flip_idx') && map.flip_idx !== null) {
    const f = map.flip_idx;
    if (!kptShape) fail(['flip_idx'], 'flip_idx without kpt_shape');
    const n = kptShape![0];
    if (!Array.isArray(f) || f.length !== n || !f.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < n)) {
      fail(['flip_idx'], `flip_idx must list ${n} keypoint indices from 0 to ${n - 1}`);
    }
    flipIdx = f as number[];
  }

  const pathList = (key: string): string[] => {
    if (!has(key) || map[key] === null) return [];
    const v = map[key];
    const one = (x: YamlValue, path: (string | number)[]): string => {
      if (x === null || typeof x === 'object' || typeof x === 'boolean') fail(path, `${key} must be a path or a list of paths`);
      return String(x);
    };
    return Array.isArray(v) ? v.map((x, i) => one(x, [key, i])) : [one(v, [key])];
  };
  let path: string | null = null;
  if (has('path') && map.path !== null) {
    if (typeof map.path !== 'string') fail(['path'], 'path must be a folder');
    path = map.path as string;
  }
  const splits: YoloDataset['splits'] = {};
  const train = pathList('train'), val = pathList('val').length ? pathList('val') : pathList('validation'), test = pathList('test');
  if (train.length) splits.train = train;
  if (val.length) splits.val = val;
  if (test.length) splits.test = test;
  return { names, kptShape, flipIdx, path, splits };
}

/** A YAML scalar as the class name Ultralytics makes of it (Python's str(): True, None, 1.5). */
function className(v: YamlValue, bad: () => never): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v === null) return 'None';
  if (typeof v === 'number') return String(v);
  return bad();
}
