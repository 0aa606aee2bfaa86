/**
 * Semantic segmentation logits [1, C, H, W] (at input resolution or coarser; role `logits`, else the first
 * output): one mask per class present, from the argmax label map resampled to the image; score = mean softmax
 * probability of the class over its own pixels. `extras.scoreMaps` holds every class's softmax map, to show as a
 * heat-map: bytes (p × 255) in base64 at the model's resolution (at most SCORE_MAP_SIDE a side), with the
 * image rectangle the map covers (it can reach past the image where the input was padded).
 */
import { encodeLabelRles } from '../../geometry/rle.js';
import { resampleNearest } from '../../geometry/raster.js';
import type { DecodedPrediction, DecodeResult, Tensor } from '../types.js';
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

  // Softmax per pixel, in one pass over the logits: the argmax, the winner's probability, and every class's
  // probability summed straight into its score-map cell (maps are box-averaged down to SCORE_MAP_SIDE).
  const f = Math.ceil(Math.max(w, h) / SCORE_MAP_SIDE);
  const sw = Math.ceil(w / f), sh = Math.ceil(h / f);
  const cells = sw * sh;
  const bins = new Float64Array(c * cells);
  const labels = c <= 256 ? new Uint8Array(plane) : new Uint16Array(plane);
  const sum = new Float64Array(c);
  const pixels = new Float64Array(c);
  const e = new Float64Array(c);
  const data = t.data as ArrayLike<number>;
  for (let y = 0, i = 0; y < h; y++) {
    const rowCell = ((y / f) | 0) * sw;
    for (let x = 0; x < w; x++, i++) {
      let best = 0, max = -Infinity;
      for (let k = 0, o = i; k < c; k++, o += plane) {
        const v = data[o];
        if (v > max) {
          max = v;
          best = k;
        } else if (!(v > -Infinity)) throw new Error(`${manifest.name}: output "${name}" contains ${v !== v ? 'NaN' : 'infinite values'}`);
      }
      if (max === Infinity) throw new Error(`${manifest.name}: output "${name}" contains infinite values`);
      let z = 0;
      for (let k = 0, o = i; k < c; k++, o += plane) z += e[k] = Math.exp(data[o] - max);
      const inv = 1 / z;
      const cell = rowCell + ((x / f) | 0);
      for (let k = 0, b = cell; k < c; k++, b += cells) bins[b] += e[k] * inv;
      labels[i] = best;
      sum[best] += e[best] * inv;
      pixels[best]++;
    }
  }

  // Map → image: image x → input x · scale + pad → map x · w / inputWidth.
  const affine = { sx: (tr.scaleX * w) / tr.inputWidth, ox: (tr.padX * w) / tr.inputWidth, sy: (tr.scaleY * h) / tr.inputHeight, oy: (tr.padY * h) / tr.inputHeight };
  const imageLabels = resampleNearest(labels, w, h, affine, tr.srcWidth, tr.srcHeight);
  const background = BACKGROUND.has((manifest.classes[0] ?? '').toLowerCase()) ? 0 : -1;
  const predictions: DecodedPrediction[] = [];
  for (const [k, rle] of [...encodeLabelRles(imageLabels, tr.srcWidth, tr.srcHeight)].sort((a, b) => a[0] - b[0])) {
    if (k === background) continue;
    predictions.push({
      kind: 'mask',
      classIndex: k,
      label: classLabel(manifest, k),
      // A class can win only image pixels whose nearest map pixel it won, so pixels[k] > 0 here.
      score: sum[k] / pixels[k],
      geometry: { type: 'mask', ...rle },
    });
  }
  predictions.sort((a, b) => b.score! - a.score! || a.classIndex! - b.classIndex!);
  return { predictions, extras: { scoreMaps: scoreMaps(bins, c, w, h, f, ctx) } };
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
