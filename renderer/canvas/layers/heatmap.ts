/**
 * Heat-maps drawn over the image: per-class score maps of semantic segmenters and per-word attention of
 * captioners. Pure pixel math; the layer puts the result on a canvas and lets the browser upsample it smoothly.
 */
import { InputPolicy } from '../../../common/inference/manifest.js';
import { planInput } from '../../../common/inference/preprocess.js';
import type { InputTransform } from '../../../common/inference/types.js';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** How model-input pixels map to image pixels (image = (input - pad) / scale); the source size is not needed here. */
export type InputPlacement = Omit<InputTransform, 'srcWidth' | 'srcHeight'>;

/**
 * Where the whole model input lands in image pixels. A map that spans the model input (a score map at any
 * resolution, an encoder's feature grid) is drawn over this rect; with letterboxing it reaches into the padding,
 * outside the image, which is where the model saw padding.
 */
export function inputRectInImage(t: InputPlacement): Rect {
  return { x: (0 - t.padX) / t.scaleX, y: (0 - t.padY) / t.scaleY, width: t.inputWidth / t.scaleX, height: t.inputHeight / t.scaleY };
}

/**
 * Where a model's input lands on an image of width × height, planned exactly as the runtime plans it (so an
 * encoder's feature grid lines up with what the encoder saw). Without a readable input policy: the whole image.
 */
export function inputRectForPolicy(policy: unknown, width: number, height: number): Rect {
  const parsed = InputPolicy.safeParse(policy);
  if (parsed.success) {
    try {
      return inputRectInImage(planInput(parsed.data, width, height).transform);
    } catch {
      // A policy missing its sizes cannot be planned; the whole image is the honest fallback.
    }
  }
  return { x: 0, y: 0, width, height };
}

/** Index of the largest weight: the cell the model attended to most. */
export function peakIndex(weights: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < weights.length; i++) if (weights[i] > weights[best]) best = i;
  return best;
}

/** The image-space rect of cell (row, col) of a rows × cols grid spread over `rect`. */
export function gridCellRect(rect: Rect, rows: number, cols: number, row: number, col: number): Rect {
  const w = rect.width / cols;
  const h = rect.height / rows;
  return { x: rect.x + col * w, y: rect.y + row * h, width: w, height: h };
}

/** Base64 (as JSON carries score maps) to bytes. */
export function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Attention weights (a softmax over the L = rows × cols cells) stretched so the weakest cell is 0 and the strongest
 * 255, as the "Show, Attend and Tell" figures show them: what matters is where the model looked for this word
 * compared with elsewhere. A flat map stays 0 everywhere rather than lighting up the whole image.
 */
export function attentionToBytes(weights: readonly number[], rows: number, cols: number): Uint8Array {
  if (weights.length !== rows * cols) {
    throw new Error(`attention has ${weights.length} weights, expected ${rows}×${cols} = ${rows * cols}`);
  }
  let min = Infinity;
  let max = -Infinity;
  for (const w of weights) {
    if (w < min) min = w;
    if (w > max) max = w;
  }
  const out = new Uint8Array(weights.length);
  // Float noise in a uniform softmax is not a place the model looked.
  if (!(max - min > 1e-6)) return out;
  for (let i = 0; i < weights.length; i++) out[i] = Math.round(((weights[i] - min) / (max - min)) * 255);
  return out;
}

// Turbo (Google, Apache-2.0): a perceptually smooth rainbow whose polynomial fit needs no table in the source.
const TURBO = [
  [0.13572138, 4.6153926, -42.66032258, 132.13108234, -152.94239396, 59.28637943],
  [0.09140261, 2.19418839, 4.84296658, -14.18503333, 4.27729857, 2.82956604],
  [0.1066733, 12.64194608, -60.58204836, 110.36276771, -89.90310912, 27.34824973],
] as const;

let lut: Uint8Array | null = null;

/** 256 RGB triples of the Turbo colour map. */
export function turboLut(): Uint8Array {
  if (lut) return lut;
  lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const x = i / 255;
    for (let c = 0; c < 3; c++) {
      const k = TURBO[c];
      const v = k[0] + x * (k[1] + x * (k[2] + x * (k[3] + x * (k[4] + x * k[5]))));
      lut[i * 3 + c] = Math.round(Math.min(1, Math.max(0, v)) * 255);
    }
  }
  return lut;
}

/**
 * RGBA pixels for 0..255 values through Turbo; alpha rises from `minAlpha` to `maxAlpha` with the value so that
 * low scores let the image show through.
 */
export function heatmapRgba(values: Uint8Array, minAlpha: number, maxAlpha: number): Uint8ClampedArray {
  const map = turboLut();
  const out = new Uint8ClampedArray(values.length * 4);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i * 4] = map[v * 3];
    out[i * 4 + 1] = map[v * 3 + 1];
    out[i * 4 + 2] = map[v * 3 + 2];
    out[i * 4 + 3] = minAlpha + ((maxAlpha - minAlpha) * v) / 255;
  }
  return out;
}
