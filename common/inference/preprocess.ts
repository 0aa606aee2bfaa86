/**
 * Pre-processing plans: how an image of a given size becomes a model input, and how input coordinates map back
 * to image pixels. Pure: the caller resamples to `resizeWidth × resizeHeight` as the policy's `resample` says
 * (`resizeRgb` in resample.ts; sharp in the core for `antialias`), then `toInputTensor` pads, normalises and lays out
 * the tensor in one pass.
 */
import type { InputPolicy } from './manifest.js';
import type { InputTransform, RawImage } from './types.js';
import { roundHalfEven } from './resample.js';

export interface InputPlan {
  /** Size the caller resizes the image to (the content area inside the input). */
  resizeWidth: number;
  resizeHeight: number;
  /** Size of the tensor's spatial dimensions. */
  inputWidth: number;
  inputHeight: number;
  /** Where the resized image sits inside the input; the rest is `padValue`. */
  padLeft: number;
  padTop: number;
  transform: InputTransform;
}

export interface InputTensor {
  data: Float32Array | Uint8Array;
  dims: [number, number, number, number];
}

const roundUp = (v: number, m: number) => Math.ceil(v / m) * m;
const roundNearest = (v: number, m: number) => Math.max(m, Math.round(v / m) * m);

function need(value: number | undefined, field: string, resize: string): number {
  if (value === undefined) throw new Error(`input policy "${resize}" needs input.${field}`);
  return value;
}

/**
 * letterbox: scale to fit width×height keeping aspect, centred with padding, the odd pixel of padding right/bottom.
 * With `letterbox: "ultralytics"` exactly Ultralytics' LetterBox and scale_boxes: r = min(h/H, w/W), content
 * round(W·r) × round(H·r) with Python's round (half to even), padding round(d/2 − 0.1) before and the rest after,
 * predictions mapped back with the one gain r. Otherwise (per-axis) the content is rounded half up, the padding
 * before is ⌊d/2⌋ (the same split for whole d) and predictions map back per axis by content/size.
 * stretch: resize to width×height.
 * fit-max: PaddleOCR's DetResizeForTest (limit_type "max"): shrink so the longest side ≤ maxSide (never enlarge),
 * then resize each side to the nearest multiple of `multiple`; no padding.
 * height: PaddleOCR's resize_norm_img: scale to `height` keeping aspect (width rounded up), pad right to at least
 * `width` and to a multiple of `multiple`; `maxSide` caps the content width (longer lines are squeezed), for
 * graphs whose width is fixed.
 */
export function planInput(policy: InputPolicy, srcWidth: number, srcHeight: number): InputPlan {
  if (!(srcWidth > 0 && srcHeight > 0)) throw new Error(`cannot plan the input for an image of ${srcWidth}×${srcHeight} pixels`);
  const multiple = policy.multiple ?? 1;
  let resizeWidth: number;
  let resizeHeight: number;
  let inputWidth: number;
  let inputHeight: number;
  let padLeft = 0;
  let padTop = 0;
  /** One scale for both axes where the framework maps predictions back with one (Ultralytics' gain). */
  let gain: number | undefined;
  switch (policy.resize) {
    case 'letterbox': {
      inputWidth = need(policy.width, 'width', 'letterbox');
      inputHeight = need(policy.height, 'height', 'letterbox');
      if (policy.letterbox === 'ultralytics') {
        // The operations of Ultralytics' LetterBox, in its order, so float rounding agrees too.
        gain = Math.min(inputHeight / srcHeight, inputWidth / srcWidth);
        resizeWidth = Math.max(1, Math.min(inputWidth, roundHalfEven(srcWidth * gain)));
        resizeHeight = Math.max(1, Math.min(inputHeight, roundHalfEven(srcHeight * gain)));
        padLeft = roundHalfEven((inputWidth - resizeWidth) / 2 - 0.1);
        padTop = roundHalfEven((inputHeight - resizeHeight) / 2 - 0.1);
        break;
      }
      const r = Math.min(inputWidth / srcWidth, inputHeight / srcHeight);
      resizeWidth = Math.max(1, Math.min(inputWidth, Math.round(srcWidth * r)));
      resizeHeight = Math.max(1, Math.min(inputHeight, Math.round(srcHeight * r)));
      padLeft = Math.floor((inputWidth - resizeWidth) / 2);
      padTop = Math.floor((inputHeight - resizeHeight) / 2);
      break;
    }
    case 'stretch':
      inputWidth = resizeWidth = need(policy.width, 'width', 'stretch');
      inputHeight = resizeHeight = need(policy.height, 'height', 'stretch');
      break;
    case 'fit-max': {
      const maxSide = need(policy.maxSide, 'maxSide', 'fit-max');
      const r = Math.max(srcWidth, srcHeight) > maxSide ? maxSide / Math.max(srcWidth, srcHeight) : 1;
      inputWidth = resizeWidth = roundNearest(Math.trunc(srcWidth * r), multiple);
      inputHeight = resizeHeight = roundNearest(Math.trunc(srcHeight * r), multiple);
      break;
    }
    case 'height': {
      inputHeight = resizeHeight = need(policy.height, 'height', 'height');
      resizeWidth = Math.max(1, Math.ceil((resizeHeight * srcWidth) / srcHeight - 1e-9));
      if (policy.maxSide !== undefined) resizeWidth = Math.min(resizeWidth, policy.maxSide);
      inputWidth = roundUp(Math.max(resizeWidth, policy.width ?? 1), multiple);
      break;
    }
  }
  return {
    resizeWidth,
    resizeHeight,
    inputWidth,
    inputHeight,
    padLeft,
    padTop,
    transform: {
      srcWidth,
      srcHeight,
      inputWidth,
      inputHeight,
      scaleX: gain ?? resizeWidth / srcWidth,
      scaleY: gain ?? resizeHeight / srcHeight,
      padX: padLeft,
      padY: padTop,
    },
  };
}

/**
 * Per-channel lookup tables (output channel order) from a byte to its normalised value: one table read per
 * element instead of a multiply-add with a per-channel branch, and exactly `(v·scale − mean) / std` in float32.
 */
function lookupTables(policy: InputPolicy): Float32Array {
  const lut = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    const a = policy.scale / policy.std[c];
    const b = policy.mean[c] / policy.std[c];
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = v * a - b;
  }
  return lut;
}

/** Where the resized image goes inside the tensor, and how its channels are read. */
interface Layout {
  rw: number;
  rh: number;
  iw: number;
  padLeft: number;
  padTop: number;
  plane: number;
  srcC: number;
  /** Source channel for output channels 0 and 2 (RGB: 0, 2; BGR: 2, 0). */
  s0: number;
  s2: number;
}

function writeFloatNchw(out: Float32Array, src: ArrayLike<number>, lut: Float32Array, l: Layout): void {
  const { rw, rh, iw, padLeft, padTop, plane, srcC, s0, s2 } = l;
  for (let y = 0; y < rh; y++) {
    let si = y * rw * srcC;
    let o = (y + padTop) * iw + padLeft;
    for (const end = o + rw; o < end; o++, si += srcC) {
      out[o] = lut[src[si + s0]];
      out[o + plane] = lut[256 + src[si + 1]];
      out[o + 2 * plane] = lut[512 + src[si + s2]];
    }
  }
}

function writeFloatNhwc(out: Float32Array, src: ArrayLike<number>, lut: Float32Array, l: Layout): void {
  const { rw, rh, iw, padLeft, padTop, srcC, s0, s2 } = l;
  for (let y = 0; y < rh; y++) {
    let si = y * rw * srcC;
    let o = ((y + padTop) * iw + padLeft) * 3;
    for (const end = o + rw * 3; o < end; o += 3, si += srcC) {
      out[o] = lut[src[si + s0]];
      out[o + 1] = lut[256 + src[si + 1]];
      out[o + 2] = lut[512 + src[si + s2]];
    }
  }
}

function writeBytes(out: Uint8Array, src: ArrayLike<number>, nchw: boolean, l: Layout): void {
  const { rw, rh, iw, padLeft, padTop, plane, srcC, s0, s2 } = l;
  const step = nchw ? 1 : 3;
  const c1 = nchw ? plane : 1;
  const c2 = nchw ? 2 * plane : 2;
  for (let y = 0; y < rh; y++) {
    let si = y * rw * srcC;
    let o = ((y + padTop) * iw + padLeft) * step;
    for (const end = o + rw * step; o < end; o += step, si += srcC) {
      out[o] = src[si + s0];
      out[o + c1] = src[si + 1];
      out[o + c2] = src[si + s2];
    }
  }
}

/**
 * Pad, normalise, reorder channels and lay out `rgb` (already resized to the plan's resize size) as the model's
 * input tensor, in one pass over the pixels.
 */
export function toInputTensor(rgb: RawImage, plan: InputPlan, policy: InputPolicy): InputTensor {
  const { resizeWidth: rw, resizeHeight: rh, inputWidth: iw, inputHeight: ih, padLeft, padTop } = plan;
  if (rgb.width !== rw || rgb.height !== rh) {
    throw new Error(`the resized image is ${rgb.width}×${rgb.height}, the plan expects ${rw}×${rh}`);
  }
  const nchw = policy.layout === 'NCHW';
  const bgr = policy.channels === 'BGR';
  const plane = iw * ih;
  const dims: InputTensor['dims'] = nchw ? [1, 3, ih, iw] : [1, ih, iw, 3];
  const layout: Layout = { rw, rh, iw, padLeft, padTop, plane, srcC: rgb.channels, s0: bgr ? 2 : 0, s2: bgr ? 0 : 2 };
  const padded = rw !== iw || rh !== ih;

  if (policy.dtype === 'uint8') {
    const out = new Uint8Array(plane * 3);
    if (padded) out.fill(Math.round(policy.padValue));
    writeBytes(out, rgb.data, nchw, layout);
    return { data: out, dims };
  }
  const out = new Float32Array(plane * 3);
  if (padded) {
    const pads = [0, 1, 2].map((c) => (policy.padValue * policy.scale - policy.mean[c]) / policy.std[c]);
    if (nchw) {
      for (let c = 0; c < 3; c++) out.fill(pads[c], c * plane, (c + 1) * plane);
    } else {
      for (let i = 0; i < plane * 3; i += 3) {
        out[i] = pads[0];
        out[i + 1] = pads[1];
        out[i + 2] = pads[2];
      }
    }
  }
  const lut = lookupTables(policy);
  if (nchw) writeFloatNchw(out, rgb.data, lut, layout);
  else writeFloatNhwc(out, rgb.data, lut, layout);
  return { data: out, dims };
}
