/**
 * Ultralytics YOLO heads, boxes as cx, cy, w, h in model-input pixels.
 * YOLOv5: `output0` [1, N, 5 + C] (objectness, then class probabilities; score = objectness × class).
 * YOLOv8/11: `output0` [1, 4 + C, N] (class probabilities, no objectness); [1, N, 4 + C] is read too.
 * YOLOv8-seg: `output0` [1, 4 + C + M, N] with M mask coefficients, and `protos` (default `output1`)
 * [1, M, Hp, Wp]: mask = sigmoid(coefficients · prototypes), kept inside the box.
 */
import { encodeRleWindow } from '../../geometry/rle.js';
import { thresholdWindow } from '../../geometry/raster.js';
import type { DecodedPrediction, DecodeResult, Tensor } from '../types.js';
import { boxPrediction, boxToImage, classLabel, nameOf, selectDetections, suppressedPredictions, type Candidate } from './nms.js';
import { outputFor, type DecodeContext } from './types.js';

/** A [1, rows, cols] table read as candidates × values, whichever way round the graph lays it out. */
interface Table {
  data: ArrayLike<number>;
  n: number;
  values: number;
  valuesFirst: boolean;
}

const at = (t: Table, value: number, candidate: number): number => (t.valuesFirst ? t.data[value * t.n + candidate] : t.data[candidate * t.values + value]);

function readTable(t: Tensor, name: string, ctx: DecodeContext, valuesFirst: boolean, what: string): Table {
  const dims = t.dims.length === 3 && t.dims[0] === 1 ? t.dims.slice(1) : t.dims;
  if (dims.length !== 2) throw new Error(`${ctx.manifest.name}: output "${name}" is [${t.dims.join(', ')}]; ${what}`);
  if (t.data instanceof BigInt64Array) throw new Error(`${ctx.manifest.name}: output "${name}" holds integers; ${what}`);
  const [a, b] = dims;
  return { data: t.data as ArrayLike<number>, n: valuesFirst ? b : a, values: valuesFirst ? a : b, valuesFirst };
}

/** Best class per candidate above the score threshold, boxes converted to corners. */
function candidates(tab: Table, firstClass: number, classes: number, objectness: boolean, ctx: DecodeContext, name: string): { list: Candidate[]; rows: number[] } {
  const { data: d, n, values, valuesFirst } = tab;
  const nan = (): Error => new Error(`${ctx.manifest.name}: output "${name}" contains NaN`);
  // Class by class, so a values-first table (the usual YOLOv8 layout) is read in memory order.
  const best = new Int32Array(n);
  const top = new Float64Array(n).fill(-Infinity);
  for (let c = 0; c < classes; c++) {
    const base = valuesFirst ? (firstClass + c) * n : firstClass + c;
    const step = valuesFirst ? 1 : values;
    for (let i = 0, o = base; i < n; i++, o += step) {
      const v = d[o];
      if (v > top[i]) {
        top[i] = v;
        best[i] = c;
      } else if (v !== v) throw nan();
    }
  }
  const thr = ctx.thresholds.score;
  const list: Candidate[] = [];
  const rows: number[] = [];
  for (let i = 0; i < n; i++) {
    const obj = objectness ? at(tab, 4, i) : 1;
    if (obj !== obj) throw nan();
    const score = obj * top[i];
    if (!(score >= thr)) continue;
    const cx = at(tab, 0, i), cy = at(tab, 1, i), w = at(tab, 2, i), h = at(tab, 3, i);
    if (!Number.isFinite(cx + cy + w + h)) throw new Error(`${ctx.manifest.name}: output "${name}" has a box that is not finite (candidate ${i})`);
    list.push({ box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], score, classIndex: best[i] });
    rows.push(i);
  }
  return { list, rows };
}

function classCount(values: number, fixed: number, ctx: DecodeContext, name: string, layout: string): number {
  const c = values - fixed;
  const named = ctx.manifest.classes.length;
  if (c < 1) throw new Error(`${ctx.manifest.name}: output "${name}" has ${values} values per candidate; ${layout} needs more than ${fixed}`);
  if (named && named !== c) {
    throw new Error(`${ctx.manifest.name}: output "${name}" has ${values} values per candidate, i.e. ${c} classes in ${layout}, but the manifest names ${named}`);
  }
  return c;
}

function boxes(tab: Table, fixed: number, objectness: boolean, ctx: DecodeContext, name: string, layout: string): DecodeResult {
  const classes = classCount(tab.values, fixed, ctx, name, layout);
  const { list } = candidates(tab, objectness ? 5 : 4, classes, objectness, ctx, name);
  const sel = selectDetections(list, ctx);
  return { predictions: sel.kept.map((k) => boxPrediction(list[k], ctx)), suppressed: suppressedPredictions(list, sel, ctx) };
}

export function decodeYoloV5(outputs: Record<string, Tensor>, ctx: DecodeContext): DecodeResult {
  const t = outputFor(outputs, ctx, 'predictions', 0, 'output0');
  const name = nameOf(outputs, t);
  const tab = readTable(t, name, ctx, false, 'YOLOv5 emits [1, N, 5 + C]');
  return boxes(tab, 5, true, ctx, name, '[1, N, 5 + C]');
}

/** Values-first unless only the other way round matches the manifest's classes (or, without classes, N < values). */
function v8Table(t: Tensor, name: string, fixed: number, ctx: DecodeContext): Table {
  const what = `YOLOv8 emits [1, ${fixed === 4 ? '4 + C' : '4 + C + M'}, N]`;
  const tab = readTable(t, name, ctx, true, what);
  const named = ctx.manifest.classes.length;
  const flip = named ? tab.values !== fixed + named && tab.n === fixed + named : tab.values > tab.n;
  return flip ? readTable(t, name, ctx, false, what) : tab;
}

export function decodeYoloV8(outputs: Record<string, Tensor>, ctx: DecodeContext): DecodeResult {
  const t = outputFor(outputs, ctx, 'predictions', 0, 'output0');
  const name = nameOf(outputs, t);
  return boxes(v8Table(t, name, 4, ctx), 4, false, ctx, name, '[1, 4 + C, N]');
}

/**
 * Masks are sampled straight from the prototype grid at each image pixel inside the box (input ← image through
 * the letterbox, prototype ← input by the grid's stride), one interpolation instead of Ultralytics' two (up to
 * the input size, then to the image), and cropped to the box in image pixels. Suppressed candidates come back
 * as boxes: their masks would cost a matrix product each and show nothing the box does not.
 */
export function decodeYoloV8Seg(outputs: Record<string, Tensor>, ctx: DecodeContext): DecodeResult {
  const { manifest, transform: tr } = ctx;
  const t = outputFor(outputs, ctx, 'predictions', 0, 'output0');
  const p = outputFor(outputs, ctx, 'protos', 1, 'output1');
  const name = nameOf(outputs, t);
  if (p.dims.length !== 4 || p.dims[0] !== 1) throw new Error(`${manifest.name}: prototype output "${nameOf(outputs, p)}" is [${p.dims.join(', ')}]; expected [1, M, Hp, Wp]`);
  const [, m, hp, wp] = p.dims;
  const protos = p.data as ArrayLike<number>;
  const tab = v8Table(t, name, 4 + m, ctx);
  const classes = classCount(tab.values, 4 + m, ctx, name, `[1, 4 + C + ${m}, N]`);
  const { list, rows } = candidates(tab, 4, classes, false, ctx, name);
  const sel = selectDetections(list, ctx);

  const affine = { sx: (tr.scaleX * wp) / tr.inputWidth, ox: (tr.padX * wp) / tr.inputWidth, sy: (tr.scaleY * hp) / tr.inputHeight, oy: (tr.padY * hp) / tr.inputHeight };
  const prob = new Float32Array(wp * hp);
  const coeff = new Float64Array(m);
  const predictions: DecodedPrediction[] = sel.kept.map((k) => {
    const c = list[k];
    const box = boxToImage(c.box, tr);
    for (let j = 0; j < m; j++) coeff[j] = at(tab, 4 + classes + j, rows[k]);
    // Image pixels whose centre lies in the box.
    const x0 = Math.max(0, Math.ceil(box.x - 0.5)), x1 = Math.min(tr.srcWidth - 1, Math.floor(box.x + box.w - 0.5));
    const y0 = Math.max(0, Math.ceil(box.y - 0.5)), y1 = Math.min(tr.srcHeight - 1, Math.floor(box.y + box.h - 0.5));
    const winW = Math.max(0, x1 - x0 + 1), winH = Math.max(0, y1 - y0 + 1);
    let window: Uint8Array = new Uint8Array(0);
    if (winW && winH) {
      // Prototype cells the bilinear samples read: one more on each side of the window's footprint.
      const fx0 = Math.max(0, Math.floor((x0 + 0.5) * affine.sx + affine.ox - 0.5));
      const fx1 = Math.min(wp - 1, Math.floor((x1 + 0.5) * affine.sx + affine.ox - 0.5) + 1);
      const fy0 = Math.max(0, Math.floor((y0 + 0.5) * affine.sy + affine.oy - 0.5));
      const fy1 = Math.min(hp - 1, Math.floor((y1 + 0.5) * affine.sy + affine.oy - 0.5) + 1);
      for (let py = fy0; py <= fy1; py++) {
        for (let px = fx0; px <= fx1; px++) {
          let s = 0;
          for (let j = 0, o = py * wp + px; j < m; j++, o += wp * hp) s += coeff[j] * protos[o];
          prob[py * wp + px] = 1 / (1 + Math.exp(-s));
        }
      }
      window = thresholdWindow(prob, wp, hp, affine, x0, y0, winW, winH, ctx.thresholds.mask);
    }
    const rle = encodeRleWindow(window, x0, y0, winW, winH, tr.srcWidth, tr.srcHeight);
    return {
      kind: 'mask',
      classIndex: c.classIndex,
      label: classLabel(manifest, c.classIndex),
      score: c.score,
      geometry: { type: 'mask', ...rle },
      extras: { box: [box.x, box.y, box.w, box.h] },
    };
  });
  return { predictions, suppressed: suppressedPredictions(list, sel, ctx) };
}
