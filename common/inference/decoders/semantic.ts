/**
 * Semantic segmentation logits [1, C, H, W] (at input resolution or coarser; role `logits`, else the first
 * output): one mask per class present, at the image's size, as torchvision's reference policy makes the label
 * map: the logits cropped to the image's content (letterbox padding left out), resized bilinearly to the image
 * (float, half-pixel centres, edge-clamped, no antialias: `F.interpolate(logits, size=(H, W), mode='bilinear',
 * align_corners=False)`), then the argmax per pixel, ties to the lowest class (`upsampleArgmax`). Score = mean,
 * over the class's image pixels, of its softmax probability at the nearest map pixel. `extras.scoreMaps` holds
 * every class's softmax map, to show as a heat-map: bytes (p × 255) in base64 at the model's resolution (at most
 * SCORE_MAP_SIDE a side), with the image rectangle the map covers (it can reach past the image where the input
 * was padded).
 */
import { encodeLabelRles } from '../../geometry/rle.js';
import type { DecodedPrediction, DecodeResult, InputTransform, Tensor } from '../types.js';
import { classLabel, nameOf } from './nms.js';
import { outputFor, type DecodeContext } from './types.js';

/**
 * Longest side of a stored score map; larger maps are box-averaged down by a whole factor. Maps are kept per
 * image in the run's JSON: at 128 a class costs at most 22 kB of base64, enough for a heat-map drawn smoothed.
 */
export const SCORE_MAP_SIDE = 128;

const BACKGROUND = new Set(['background', '__background__', '_background_']);

export interface ScoreMaps {
  width: number;
  height: number;
  /** The image-pixel rectangle the whole map is drawn into. */
  x: number;
  y: number;
  w: number;
  h: number;
  maps: { classIndex: number; label: string; data: string }[];
}

export function decodeSemanticLogits(outputs: Record<string, Tensor>, ctx: DecodeContext): DecodeResult {
  const { manifest, transform: tr } = ctx;
  const t = outputFor(outputs, ctx, 'logits', 0);
  const name = nameOf(outputs, t);
  const dims = t.dims.length === 4 && t.dims[0] === 1 ? t.dims.slice(1) : t.dims;
  if (dims.length !== 3 || t.data instanceof BigInt64Array) throw new Error(`${manifest.name}: output "${name}" is [${t.dims.join(', ')}]; semantic logits are [1, C, H, W] floats`);
  const [c, h, w] = dims;
  if (manifest.classes.length && manifest.classes.length !== c) {
    throw new Error(`${manifest.name}: output "${name}" scores ${c} classes but the manifest names ${manifest.classes.length}`);
  }
  if (c > 65535) throw new Error(`${manifest.name}: output "${name}" has ${c} classes; at most 65535 are supported`);
  const plane = w * h;

  // Softmax per pixel, a class plane at a time (contiguous reads): the argmax (the coarse label map the upsampling
  // starts from, ties to the lowest class) and every class's probability summed into its score-map cell (maps are
  // box-averaged down to SCORE_MAP_SIDE), the same sums in the same order as one pixel at a time.
  const data = t.data as ArrayLike<number>;
  let finite = 0; // v − v is 0 for a finite v, NaN for NaN and ±Infinity
  for (let i = 0, n = c * plane; i < n; i++) finite += data[i] - data[i];
  if (finite !== 0) {
    let nan = false;
    for (let i = 0, n = c * plane; i < n && !nan; i++) nan = data[i] !== data[i];
    throw new Error(`${manifest.name}: output "${name}" contains ${nan ? 'NaN' : 'infinite values'}`);
  }
  const f = Math.ceil(Math.max(w, h) / SCORE_MAP_SIDE);
  const sw = Math.ceil(w / f), sh = Math.ceil(h / f);
  const cells = sw * sh;
  const cellOf = new Int32Array(plane);
  for (let y = 0, i = 0; y < h; y++) for (let x = 0, rowCell = ((y / f) | 0) * sw; x < w; x++, i++) cellOf[i] = rowCell + ((x / f) | 0);
  const labels = c <= 256 ? new Uint8Array(plane) : new Uint16Array(plane);
  const max = new Float64Array(plane);
  for (let i = 0; i < plane; i++) max[i] = data[i];
  for (let k = 1, o = plane; k < c; k++) {
    for (let i = 0; i < plane; i++, o++) {
      const v = data[o];
      if (v > max[i]) (max[i] = v), (labels[i] = k);
    }
  }
  // A block of map pixels at a time, so that the exponentials need no plane per class: a pixel's probability of
  // class k is exp(v − max) · inv, recomputed where a score needs it.
  const inv = new Float64Array(plane);
  const bins = new Float64Array(c * cells);
  const block = Math.min(plane, 4096);
  const e = new Float64Array(c * block);
  for (let start = 0; start < plane; start += block) {
    const n = Math.min(block, plane - start);
    for (let k = 0, b = 0; k < c; k++, b += n) {
      for (let i = start, o = k * plane + start, end = start + n, q = b; i < end; i++, o++, q++) inv[i] += e[q] = Math.exp(data[o] - max[i]);
    }
    for (let i = start; i < start + n; i++) inv[i] = 1 / inv[i];
    for (let k = 0, b = 0; k < c; k++, b += n) {
      const base = k * cells;
      for (let i = start, end = start + n, q = b; i < end; i++, q++) bins[base + cellOf[i]] += e[q] * inv[i];
    }
  }

  // The label map at the image's size; each class's score: its probability at the nearest map pixel, averaged
  // over the image pixels it won.
  const { labels: imageLabels, sum, pixels } = upsample(data, c, w, h, tr, { coarse: labels }, { max, inv });
  const background = BACKGROUND.has((manifest.classes[0] ?? '').toLowerCase()) ? 0 : -1;
  const predictions: DecodedPrediction[] = [];
  for (const [k, rle] of [...encodeLabelRles(imageLabels, tr.srcWidth, tr.srcHeight)].sort((a, b) => a[0] - b[0])) {
    if (k === background) continue;
    predictions.push({
      kind: 'mask',
      classIndex: k,
      label: classLabel(manifest, k),
      // Every class with a mask won pixels, so pixels[k] > 0 here.
      score: sum[k] / pixels[k],
      geometry: { type: 'mask', ...rle },
    });
  }
  predictions.sort((a, b) => b.score! - a.score! || a.classIndex! - b.classIndex!);
  return { predictions, extras: { scoreMaps: scoreMaps(bins, c, w, h, f, ctx) } };
}

/** For each output pixel along one axis: the two map cells it reads (`i0`, `i1`) and the second one's weight. */
export interface UpsampleAxis {
  i0: Int32Array;
  i1: Int32Array;
  l: Float64Array;
}

/**
 * PyTorch's bilinear source coordinates (align_corners=False) for `n` output pixels along one axis of a map of
 * `mapSize` cells covering a model input of `inputSize` pixels, where the image's `n` pixels sit at input
 * `pad + x · scale`: the image's content on the map is [left, left + size), left = pad · mapSize / inputSize,
 * size = n · scale · mapSize / inputSize.
 *
 * - Content on whole map cells (no padding, or padding the map's stride divides; the usual case): PyTorch's
 *   formula on the cropped logits `logits[…, L:L+S]` resized to `n` (in float64, where PyTorch's CPU kernel uses
 *   float32): s = S / n, real = max((x + 0.5)·s − 0.5, 0), i = floor(real), l = real − i, cells L + i and
 *   L + i + 1 (L + i at the crop's last cell).
 * - Content starting or ending inside a cell (a coarse map under odd padding): the same sampling of the map in
 *   continuous coordinates, f = left + (x + 0.5)·s − 0.5 with s = size / n, clamped to the content's first and
 *   last cell centres [left, left + size − 1] (and the map), i0 = floor(f), l = f − i0.
 *
 * Where l = 0 the second cell is the first (same value, one cell fewer to look at).
 */
export function upsampleAxis(n: number, mapSize: number, inputSize: number, scale: number, pad: number): UpsampleAxis {
  const i0 = new Int32Array(n), i1 = new Int32Array(n), l = new Float64Array(n);
  const left = (pad * mapSize) / inputSize, size = (n * scale * mapSize) / inputSize;
  const L = Math.round(left), S = Math.round(size);
  if (Math.abs(left - L) < 1e-6 && Math.abs(size - S) < 1e-6 && S >= 1 && L >= 0 && L + S <= mapSize) {
    const s = S / n;
    for (let x = 0; x < n; x++) {
      let real = (x + 0.5) * s - 0.5;
      if (real < 0) real = 0;
      const i = Math.min(Math.floor(real), S - 1);
      i0[x] = L + i;
      l[x] = real - i;
      i1[x] = l[x] > 0 && i < S - 1 ? L + i + 1 : L + i;
    }
  } else {
    const s = size / n;
    const lo = Math.min(Math.max(left, 0), mapSize - 1);
    const hi = Math.max(lo, Math.min(left + size - 1, mapSize - 1));
    for (let x = 0; x < n; x++) {
      const f = Math.min(Math.max(left + (x + 0.5) * s - 0.5, lo), hi);
      const i = Math.floor(f);
      i0[x] = i;
      l[x] = f - i;
      i1[x] = l[x] > 0 ? Math.min(i + 1, mapSize - 1) : i;
    }
  }
  return { i0, i1, l };
}

export interface UpsampleOptions {
  /** The argmax of each map pixel (ties to the lowest class), when the caller has it already. */
  coarse?: Uint8Array | Uint16Array;
  /** Interpolate every class at every pixel, without the shortcut (tests and benchmarks compare the two). */
  exhaustive?: boolean;
}

/**
 * The label map at the image's size (tr.srcWidth × tr.srcHeight): each class's logits `data` ([C, h, w], planar)
 * resized bilinearly onto the image's pixels (`upsampleAxis` in x and y), then the argmax per pixel, ties to the
 * lowest class. Interpolated in float64 as v = (1 − ly)·((1 − lx)·p00 + lx·p01) + ly·((1 − lx)·p10 + lx·p11).
 *
 * Shortcut, exact: a pixel whose four map cells all have the same argmax c is labelled c without interpolating.
 * Each class's value is the same non-negative weighting of the four cells. Against a class k > c, c is ≥ k in
 * every cell, and IEEE rounding is monotonic (w·a ≥ w·b for w ≥ 0, a ≥ b; sums likewise), so c's computed value
 * is ≥ k's and a tie goes to c anyway. Against a class k < c, c is strictly above k in every cell (a tie there
 * would have gone to k); two different float32 (or integer) logits differ by more than 2⁻²⁵ of the larger
 * magnitude, so c's exact value, under the weights as rounded, beats k's by more than 2⁻²⁵ of Σ w·max(|p_c|,
 * |p_k|), while evaluating it in float64 errs by at most about 3·2⁻⁵³ of that sum per class (no underflow: a
 * non-zero weight is a difference of coordinates below 2¹⁶, so above 2⁻⁶⁰, and its products with float32
 * logits stay far above float64's 2⁻¹⁰²²): c stays strictly ahead. float64 logits have no such gap, so they
 * take the exhaustive path. Whole image rows whose map rows agree on one class at every column are filled at once.
 */
export function upsampleArgmax(data: ArrayLike<number>, c: number, w: number, h: number, tr: InputTransform, options: UpsampleOptions = {}): Uint8Array | Uint16Array {
  return upsample(data, c, w, h, tr, options).labels;
}

/**
 * upsampleArgmax, and with `softmax` (each map pixel's largest logit and 1 / Σ exp(v − max)) the sum of
 * the winner's probability at each image pixel's nearest map pixel (the nearer of its two cells on each axis),
 * and the pixel count, per class.
 */
function upsample(data: ArrayLike<number>, c: number, w: number, h: number, tr: InputTransform, options: UpsampleOptions, softmax?: { max: Float64Array; inv: Float64Array }) {
  const W = tr.srcWidth, H = tr.srcHeight, plane = w * h;
  const X = upsampleAxis(W, w, tr.inputWidth, tr.scaleX, tr.padX);
  const Y = upsampleAxis(H, h, tr.inputHeight, tr.scaleY, tr.padY);
  const labels = c <= 256 ? new Uint8Array(W * H) : new Uint16Array(W * H);
  const sum = new Float64Array(c), pixels = new Float64Array(c);
  const shortcut = !options.exhaustive && !(data instanceof Float64Array);
  let coarse = options.coarse;
  if (shortcut && !coarse) {
    coarse = c <= 256 ? new Uint8Array(plane) : new Uint16Array(plane);
    for (let i = 0; i < plane; i++) {
      let best = 0, max = data[i];
      for (let k = 1, o = i + plane; k < c; k++, o += plane) if (data[o] > max) (max = data[o]), (best = k);
      coarse[i] = best;
    }
  }

  // Runs of output columns that read the same two map columns, and how many of each run lie nearer the first.
  const runStart: number[] = [], runNear0: number[] = [];
  for (let x = 0; x < W; x++) {
    if (x === 0 || X.i0[x] !== X.i0[x - 1] || X.i1[x] !== X.i1[x - 1]) runStart.push(x), runNear0.push(0);
    if (X.l[x] < 0.5) runNear0[runNear0.length - 1]++;
  }
  runStart.push(W);
  const runs = runNear0.length;

  // Class k's probability at map pixel (near row, column col), cached per column for the last label asked there.
  const cacheAt = new Int32Array(w).fill(-1), cacheVal = new Float64Array(w);
  let cacheRow = -1;
  const prob = (k: number, near: number, col: number): number => {
    if (near !== cacheRow) cacheAt.fill(-1), (cacheRow = near);
    if (cacheAt[col] === k) return cacheVal[col];
    const i = near + col;
    cacheAt[col] = k;
    return (cacheVal[col] = Math.exp(data[k * plane + i] - softmax!.max[i]) * softmax!.inv[i]);
  };

  // Per pair of map rows: the label both rows agree on at each map column, else -1, and the label of the whole
  // image row when it is the same at every column the row reads, else -1.
  const agree = new Int32Array(w);
  const cFirst = X.i0[0], cLast = X.i1[W - 1];
  let pair0 = -1, pair1 = -1, whole = -1;
  // The probability sum of a whole row of one label, for the last (nearest map row, label) it was needed for.
  let wholeAt = -1, wholeSum = 0;
  for (let y = 0; y < H; y++) {
    const r0 = Y.i0[y], r1 = Y.i1[y], ly = Y.l[y], my = 1 - ly, row = y * W;
    const near = (ly < 0.5 ? r0 : r1) * w; // the nearest map row, for the scores
    if (shortcut && (r0 !== pair0 || r1 !== pair1)) {
      const a = r0 * w, b = r1 * w;
      for (let k = 0; k < w; k++) agree[k] = coarse![a + k] === coarse![b + k] ? coarse![a + k] : -1;
      whole = agree[cFirst];
      for (let k = cFirst + 1; k <= cLast && whole >= 0; k++) if (agree[k] !== whole) whole = -1;
      pair0 = r0;
      pair1 = r1;
    }
    if (whole >= 0) {
      labels.fill(whole, row, row + W);
      pixels[whole] += W;
      if (softmax) {
        const at = near * c + whole;
        if (at !== wholeAt) {
          wholeSum = 0;
          for (let j = 0; j < runs; j++) wholeSum += runNear0[j] * prob(whole, near, X.i0[runStart[j]]) + (runStart[j + 1] - runStart[j] - runNear0[j]) * prob(whole, near, X.i1[runStart[j]]);
          wholeAt = at;
        }
        sum[whole] += wholeSum;
      }
      continue;
    }
    for (let j = 0; j < runs; j++) {
      const x0 = runStart[j], x1 = runStart[j + 1], c0 = X.i0[x0], c1 = X.i1[x0];
      if (shortcut) {
        const lab = agree[c0];
        if (lab >= 0 && lab === agree[c1]) {
          for (let x = row + x0, end = row + x1; x < end; x++) labels[x] = lab;
          if (softmax) {
            const n0 = runNear0[j];
            sum[lab] += n0 * prob(lab, near, c0) + (x1 - x0 - n0) * prob(lab, near, c1);
          }
          pixels[lab] += x1 - x0;
          continue;
        }
      }
      // Every class interpolated, straight from the planar logits.
      const p00 = r0 * w + c0, p01 = r0 * w + c1, p10 = r1 * w + c0, p11 = r1 * w + c1;
      for (let x = x0; x < x1; x++) {
        const lx = X.l[x], mx = 1 - lx;
        let best = 0, max = -Infinity;
        for (let k = 0, o = 0; k < c; k++, o += plane) {
          const v = my * (mx * data[o + p00] + lx * data[o + p01]) + ly * (mx * data[o + p10] + lx * data[o + p11]);
          if (v > max) (max = v), (best = k);
        }
        labels[row + x] = best;
        if (softmax) sum[best] += prob(best, near, X.l[x] < 0.5 ? c0 : c1);
        pixels[best]++;
      }
    }
  }
  return { labels, sum, pixels };
}

/** bins: per class, the sum of its probability over each f × f cell of the map (edge cells hold fewer pixels). */
function scoreMaps(bins: Float64Array, c: number, w: number, h: number, f: number, ctx: DecodeContext): ScoreMaps {
  const tr = ctx.transform;
  const sw = Math.ceil(w / f), sh = Math.ceil(h / f);
  const maps: ScoreMaps['maps'] = [];
  const bytes = new Uint8Array(sw * sh);
  for (let k = 0; k < c; k++) {
    const base = k * sw * sh;
    for (let y = 0; y < sh; y++) {
      const rows = Math.min(h, (y + 1) * f) - y * f;
      for (let x = 0; x < sw; x++) {
        const n = rows * (Math.min(w, (x + 1) * f) - x * f);
        bytes[y * sw + x] = Math.round((255 * bins[base + y * sw + x]) / n);
      }
    }
    maps.push({ classIndex: k, label: classLabel(ctx.manifest, k), data: toBase64(bytes) });
  }
  // Map pixel (u, v) covers input [u·f·inputWidth/w, …]; the last stored cell may reach past the input edge.
  const ix = (tr.inputWidth / w) * f, iy = (tr.inputHeight / h) * f;
  return { width: sw, height: sh, x: (0 - tr.padX) / tr.scaleX, y: (0 - tr.padY) / tr.scaleY, w: (sw * ix) / tr.scaleX, h: (sh * iy) / tr.scaleY, maps };
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 with padding; `common` has no Buffer, and btoa wants a binary string first. */
export function toBase64(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let o = 0;
  for (let i = 0; i < bytes.length; i += 3) {
    const rest = bytes.length - i;
    const n = (bytes[i] << 16) | (rest > 1 ? bytes[i + 1] << 8 : 0) | (rest > 2 ? bytes[i + 2] : 0);
    out[o++] = B64.charCodeAt(n >> 18);
    out[o++] = B64.charCodeAt((n >> 12) & 63);
    out[o++] = rest > 1 ? B64.charCodeAt((n >> 6) & 63) : 61; // '='
    out[o++] = rest > 2 ? B64.charCodeAt(n & 63) : 61;
  }
  // Base64 is ASCII: decoding it as UTF-8 is the fastest way from bytes to a string in Node and browsers alike.
  return ASCII.decode(out);
}

const ASCII = new TextDecoder();
