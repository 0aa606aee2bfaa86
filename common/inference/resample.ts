/**
 * Resampling of interleaved 8-bit images (RGB, or any channel count) the way the frameworks models come from do it,
 * so a model sees the pixels its own Python pipeline would have fed it. Pure TypeScript, no platform imports.
 *
 * - `resizeBilinear`: half-pixel centres, edge-clamped, no antialias, per channel in float64, rounded half up.
 *   PyTorch's `interpolate(mode="bilinear", align_corners=False, antialias=False)` on the uint8 image rounded back
 *   to uint8, and OpenCV's `INTER_LINEAR` geometry (OpenCV's fixed-point weights may differ by one level).
 *   Bit-exact to the formula written out at `resizeBilinear`.
 * - `resizeArea`: OpenCV's `INTER_AREA` (its C++ path without IPP, float32 arithmetic as on x86-64).
 * - `resizeNearest`: OpenCV's `INTER_NEAREST` / PyTorch's `mode="nearest"`: the source pixel under the output
 *   pixel's top-left corner.
 *
 * Each samples only the output pixels (area reads every source pixel once, as it must) with per-column and per-row
 * tables, so a 12-megapixel photo goes to 640 px in milliseconds.
 */

/** Interleaved 8-bit pixels. */
export interface Pixels {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: number;
}

export interface ResizedPixels<C extends number = number> {
  data: Uint8Array;
  width: number;
  height: number;
  channels: C;
}

function check(src: Pixels, width: number, height: number): void {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) throw new Error(`cannot resize to ${width}×${height} pixels`);
  if (!(src.width > 0 && src.height > 0)) throw new Error(`cannot resize an image of ${src.width}×${src.height} pixels`);
  if (src.data.length < src.width * src.height * src.channels) {
    throw new Error(`the pixel buffer holds ${src.data.length} bytes, a ${src.width}×${src.height} image of ${src.channels} channels needs ${src.width * src.height * src.channels}`);
  }
}

/**
 * The source's size in its own pixels when it stands for a larger image decoded at a reduced scale: a JPEG decoded
 * at 1/k (libjpeg's DCT scaling) is ⌊W/k⌋ pixels wide, pixel i covering source columns [k·i, k·i + k), and stands
 * for the W/k pixels of the whole photo. The resamplers then map the output onto the whole photo, as they would
 * from the full decode (`s = (W/k)/w` instead of ⌊W/k⌋/w), reading the edge pixel for what lies beyond it.
 * Missing: the source's own width and height.
 */
export interface Extent {
  width: number;
  height: number;
}

function extentOf(src: Pixels, extent: Extent | undefined): { width: number; height: number; scaled: boolean } {
  if (!extent || (extent.width === src.width && extent.height === src.height)) return { width: src.width, height: src.height, scaled: false };
  if (!(extent.width >= src.width && extent.height >= src.height && extent.width < src.width + 1 && extent.height < src.height + 1)) {
    throw new Error(`an extent of ${extent.width}×${extent.height} does not fit a ${src.width}×${src.height} image decoded at a reduced scale`);
  }
  return { ...extent, scaled: true };
}

function copyOf<C extends number>(src: Pixels & { channels: C }): ResizedPixels<C> {
  const n = src.width * src.height * src.channels;
  return { data: Uint8Array.from(src.data.subarray(0, n)), width: src.width, height: src.height, channels: src.channels };
}

// ---------------------------------------------------------------- bilinear

/** One axis of the bilinear formula: for each output index, the two source indices and the weight of the second. */
export interface BilinearAxis {
  i0: Int32Array;
  i1: Int32Array;
  /** l = f − i0, and 1 − l computed once (the formula's `1 − lx`). */
  l: Float64Array;
  m: Float64Array;
}

/**
 * `s = in/out; f = max((o + 0.5)·s − 0.5, 0); i0 = ⌊f⌋; i1 = min(i0 + 1, in − 1); l = f − i0`. With `extent`
 * (see `Extent`), `s = extent/out` and f is also clamped to in − 1, the edge value beyond the last pixel.
 */
export function bilinearAxis(inSize: number, outSize: number, extent = inSize): BilinearAxis {
  const s = extent / outSize;
  const last = extent === inSize ? Infinity : inSize - 1;
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const l = new Float64Array(outSize);
  const m = new Float64Array(outSize);
  for (let o = 0; o < outSize; o++) {
    let f = (o + 0.5) * s - 0.5;
    if (f < 0) f = 0;
    if (f > last) f = last;
    const a = Math.floor(f);
    i0[o] = a;
    i1[o] = Math.min(a + 1, inSize - 1);
    l[o] = f - a;
    m[o] = 1 - l[o];
  }
  return { i0, i1, l, m };
}

/**
 * Bilinear resize, half-pixel centres, edge-clamped, no antialias, in float64 per channel:
 * `v = (1−ly)·((1−lx)·p[y0][x0] + lx·p[y0][x1]) + ly·((1−lx)·p[y1][x0] + lx·p[y1][x1])`, stored as `min(255, ⌊v + 0.5⌋)`.
 * The horizontal terms of a source row are computed once and shared by the output rows that read it: the same
 * operations in the same order, so the bytes are the formula's.
 */
export function resizeBilinear<C extends number>(src: Pixels & { channels: C }, width: number, height: number, extent?: Extent): ResizedPixels<C> {
  check(src, width, height);
  const ex = extentOf(src, extent);
  if (width === src.width && height === src.height && !ex.scaled) return copyOf(src);
  const C = src.channels;
  const p = src.data;
  const sw = src.width;
  const xs = bilinearAxis(sw, width, ex.width);
  const ys = bilinearAxis(src.height, height, ex.height);
  const out = new Uint8Array(width * height * C);
  const rowLen = width * C;
  // Source columns and weights per output column, in channel units.
  const a0 = new Int32Array(width);
  const a1 = new Int32Array(width);
  for (let x = 0; x < width; x++) {
    a0[x] = xs.i0[x] * C;
    a1[x] = xs.i1[x] * C;
  }
  const { l: lx, m: mx } = xs;
  // Two horizontally interpolated source rows, cached by source row index.
  const slots = [new Float64Array(rowLen), new Float64Array(rowLen)];
  const held = [-1, -1];
  const horizontal = (dst: Float64Array, sy: number) => {
    const base = sy * sw * C;
    if (C === 3) {
      for (let x = 0, o = 0; x < width; x++, o += 3) {
        const i = base + a0[x];
        const j = base + a1[x];
        const w0 = mx[x];
        const w1 = lx[x];
        dst[o] = w0 * p[i] + w1 * p[j];
        dst[o + 1] = w0 * p[i + 1] + w1 * p[j + 1];
        dst[o + 2] = w0 * p[i + 2] + w1 * p[j + 2];
      }
    } else {
      for (let x = 0, o = 0; x < width; x++, o += C) {
        const i = base + a0[x];
        const j = base + a1[x];
        for (let c = 0; c < C; c++) dst[o + c] = mx[x] * p[i + c] + lx[x] * p[j + c];
      }
    }
  };
  /** Source row `sy` interpolated horizontally, computed into the slot that does not hold `keep`. */
  const rowFor = (sy: number, keep: number): Float64Array => {
    if (held[0] === sy) return slots[0];
    if (held[1] === sy) return slots[1];
    const k = held[0] === keep ? 1 : 0;
    horizontal(slots[k], sy);
    held[k] = sy;
    return slots[k];
  };
  for (let y = 0; y < height; y++) {
    const sy0 = ys.i0[y];
    const sy1 = ys.i1[y];
    const top = rowFor(sy0, sy1);
    const bottom = rowFor(sy1, sy0);
    const wy0 = ys.m[y];
    const wy1 = ys.l[y];
    let o = y * rowLen;
    for (let k = 0; k < rowLen; k++, o++) {
      // v ≥ 0, so truncation is ⌊v + 0.5⌋.
      const v = (wy0 * top[k] + wy1 * bottom[k] + 0.5) | 0;
      out[o] = v > 255 ? 255 : v;
    }
  }
  return { data: out, width, height, channels: C };
}

// ---------------------------------------------------------------- nearest

/**
 * OpenCV's `INTER_NEAREST` (and PyTorch's `mode="nearest"`): `x0 = min(⌊x · W/w⌋, W − 1)`, with W/w = 1/(w/W) as
 * OpenCV computes it; W is `extent` when given (see `Extent`).
 */
export function nearestAxis(inSize: number, outSize: number, extent = inSize): Int32Array {
  const s = 1 / (outSize / extent);
  const idx = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) idx[o] = Math.min(Math.floor(o * s), inSize - 1);
  return idx;
}

export function resizeNearest<C extends number>(src: Pixels & { channels: C }, width: number, height: number, extent?: Extent): ResizedPixels<C> {
  check(src, width, height);
  const ex = extentOf(src, extent);
  if (width === src.width && height === src.height && !ex.scaled) return copyOf(src);
  const C = src.channels;
  const xs = nearestAxis(src.width, width, ex.width);
  const ys = nearestAxis(src.height, height, ex.height);
  const out = new Uint8Array(width * height * C);
  const p = src.data;
  let o = 0;
  for (let y = 0; y < height; y++) {
    const base = ys[y] * src.width * C;
    for (let x = 0; x < width; x++) {
      const i = base + xs[x] * C;
      for (let c = 0; c < C; c++) out[o++] = p[i + c];
    }
  }
  return { data: out, width, height, channels: C };
}

// ---------------------------------------------------------------- area (OpenCV INTER_AREA)

const f32 = Math.fround;
const DBL_EPSILON = 2.220446049250313e-16;

/** cvRound and Python's round(): to nearest, ties to even (lrint in the default rounding mode); never −0. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return (r - v === 0.5 && r % 2 !== 0 ? r - 1 : r) + 0;
}

const sat8 = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

interface AreaTab {
  di: Int32Array;
  si: Int32Array;
  alpha: Float32Array;
  length: number;
}

/** OpenCV's computeResizeAreaTab: the source cells each output cell overlaps, with their share of it (float). */
function areaTab(inSize: number, outSize: number, scale: number): AreaTab {
  const di = new Int32Array(inSize * 2 + 2);
  const si = new Int32Array(inSize * 2 + 2);
  const alpha = new Float32Array(inSize * 2 + 2);
  let k = 0;
  for (let dx = 0; dx < outSize; dx++) {
    const fsx1 = dx * scale;
    const fsx2 = fsx1 + scale;
    const cellWidth = Math.min(scale, inSize - fsx1);
    let sx1 = Math.ceil(fsx1);
    let sx2 = Math.floor(fsx2);
    sx2 = Math.min(sx2, inSize - 1);
    sx1 = Math.min(sx1, sx2);
    if (sx1 - fsx1 > 1e-3) {
      di[k] = dx;
      si[k] = sx1 - 1;
      alpha[k++] = (sx1 - fsx1) / cellWidth;
    }
    for (let sx = sx1; sx < sx2; sx++) {
      di[k] = dx;
      si[k] = sx;
      alpha[k++] = 1.0 / cellWidth;
    }
    if (fsx2 - sx2 > 1e-3) {
      di[k] = dx;
      si[k] = sx2;
      alpha[k++] = Math.min(Math.min(fsx2 - sx2, 1), cellWidth) / cellWidth;
    }
  }
  return { di, si, alpha, length: k };
}

/**
 * OpenCV's `INTER_AREA` on 8-bit images, as its C++ code computes it (cv::resize without IPP):
 * - shrinking both axes by integer factors (W/w and H/h integers): the mean of each block, rounded half up for
 *   2×2 blocks (`(sum + 2) >> 2`) and otherwise as `sum · (1/area)` in float32 rounded half to even;
 * - shrinking both axes by other factors: each output cell is the area-weighted mean of the source cells it covers
 *   (computeResizeAreaTab), accumulated in float32 row by row in OpenCV's order, rounded half to even;
 * - enlarging either axis: OpenCV's area-mode linear weights (`sx = ⌊x·W/w⌋`, weight of the next pixel
 *   `(x + 1) − (sx + 1)·w/W` wrapped to [0, 1)), in its 11-bit fixed point, rounded half up (the scalar path;
 *   OpenCV's SIMD path truncates intermediate products and can differ by one level).
 * With an `extent` (a reduced-scale decode, see `Extent`) that differs from the source's size, a shrink takes the
 * general path with the scale extent/size, the cells at the far edge covering only what was decoded.
 */
export function resizeArea<C extends number>(src: Pixels & { channels: C }, width: number, height: number, extent?: Extent): ResizedPixels<C> {
  check(src, width, height);
  const ex = extentOf(src, extent);
  if (ex.scaled) {
    const scaleX = ex.width / width;
    const scaleY = ex.height / height;
    if (scaleX >= 1 && scaleY >= 1) return areaGeneral(src, width, height, scaleX, scaleY);
    throw new Error(`a reduced-scale decode (${src.width}×${src.height}) is never enlarged to ${width}×${height}: decode at a larger scale`);
  }
  if (width === src.width && height === src.height) return copyOf(src);
  const invX = width / src.width;
  const invY = height / src.height;
  const scaleX = 1 / invX;
  const scaleY = 1 / invY;
  if (scaleX >= 1 && scaleY >= 1) {
    const ix = roundHalfEven(scaleX);
    const iy = roundHalfEven(scaleY);
    if (Math.abs(scaleX - ix) < DBL_EPSILON && Math.abs(scaleY - iy) < DBL_EPSILON) return areaFast(src, width, height, ix, iy);
    return areaGeneral(src, width, height, scaleX, scaleY);
  }
  return areaUpscale(src, width, height, scaleX, scaleY, invX, invY);
}

function areaFast<C extends number>(src: Pixels & { channels: C }, width: number, height: number, sx: number, sy: number): ResizedPixels<C> {
  const C = src.channels;
  const p = src.data;
  const stride = src.width * C;
  const out = new Uint8Array(width * height * C);
  const area = sx * sy;
  const scale = f32(1 / area);
  const half = sx === 2 && sy === 2 && (C === 1 || C === 3 || C === 4);
  let o = 0;
  for (let y = 0; y < height; y++) {
    const row = y * sy * stride;
    for (let x = 0; x < width; x++) {
      const col = row + x * sx * C;
      for (let c = 0; c < C; c++) {
        let sum = 0;
        for (let dy = 0; dy < sy; dy++) for (let dx = 0; dx < sx; dx++) sum += p[col + dy * stride + dx * C + c];
        out[o++] = half ? (sum + 2) >> 2 : sat8(roundHalfEven(f32(sum * scale)));
      }
    }
  }
  return { data: out, width, height, channels: C };
}

function areaGeneral<C extends number>(src: Pixels & { channels: C }, width: number, height: number, scaleX: number, scaleY: number): ResizedPixels<C> {
  const C = src.channels;
  const p = src.data;
  const xt = areaTab(src.width, width, scaleX);
  const yt = areaTab(src.height, height, scaleY);
  const rowLen = width * C;
  const buf = new Float32Array(rowLen);
  const sum = new Float32Array(rowLen);
  const out = new Uint8Array(height * rowLen);
  const flush = (dy: number) => {
    const o = dy * rowLen;
    for (let k = 0; k < rowLen; k++) out[o + k] = sat8(roundHalfEven(sum[k]));
  };
  let prev = yt.di[0];
  for (let j = 0; j < yt.length; j++) {
    const beta = yt.alpha[j];
    const dy = yt.di[j];
    const base = yt.si[j] * src.width * C;
    buf.fill(0);
    for (let k = 0; k < xt.length; k++) {
      const d = xt.di[k] * C;
      const s = base + xt.si[k] * C;
      const a = xt.alpha[k];
      // Float32Array stores round each sum to float32; the products are rounded first, as in C++.
      for (let c = 0; c < C; c++) buf[d + c] = buf[d + c] + f32(p[s + c] * a);
    }
    if (dy !== prev) {
      flush(prev);
      for (let k = 0; k < rowLen; k++) sum[k] = beta * buf[k];
      prev = dy;
    } else {
      for (let k = 0; k < rowLen; k++) sum[k] = sum[k] + f32(beta * buf[k]);
    }
  }
  flush(prev);
  return { data: out, width, height, channels: C };
}

/** Area-mode linear coefficients of one axis in OpenCV's 11-bit fixed point; `single` marks clamped-edge entries. */
function areaLinearAxis(inSize: number, outSize: number, scale: number, inv: number): { s: Int32Array; a0: Int32Array; a1: Int32Array; single: Uint8Array } {
  const s = new Int32Array(outSize);
  const a0 = new Int32Array(outSize);
  const a1 = new Int32Array(outSize);
  const single = new Uint8Array(outSize);
  for (let d = 0; d < outSize; d++) {
    let sx = Math.floor(d * scale);
    let fx = f32(d + 1 - (sx + 1) * inv);
    fx = fx <= 0 ? 0 : f32(fx - Math.floor(fx));
    if (sx + 1 >= inSize) {
      single[d] = 1;
      if (sx >= inSize - 1) {
        fx = 0;
        sx = inSize - 1;
      }
    }
    s[d] = sx;
    a0[d] = roundHalfEven(f32(f32(1 - fx) * 2048));
    a1[d] = roundHalfEven(f32(fx * 2048));
  }
  return { s, a0, a1, single };
}

function areaUpscale<C extends number>(src: Pixels & { channels: C }, width: number, height: number, scaleX: number, scaleY: number, invX: number, invY: number): ResizedPixels<C> {
  const C = src.channels;
  const p = src.data;
  const xs = areaLinearAxis(src.width, width, scaleX, invX);
  const ys = areaLinearAxis(src.height, height, scaleY, invY);
  const rowLen = width * C;
  const hrow = (sy: number) => {
    const r = new Int32Array(rowLen);
    const base = sy * src.width * C;
    for (let x = 0; x < width; x++) {
      const i = base + xs.s[x] * C;
      for (let c = 0; c < C; c++) r[x * C + c] = xs.single[x] ? p[i + c] * 2048 : p[i + c] * xs.a0[x] + p[i + C + c] * xs.a1[x];
    }
    return r;
  };
  const cache = new Map<number, Int32Array>();
  const row = (sy: number) => {
    let r = cache.get(sy);
    if (!r) {
      if (cache.size > 2) cache.delete(cache.keys().next().value!);
      cache.set(sy, (r = hrow(sy)));
    }
    return r;
  };
  const out = new Uint8Array(height * rowLen);
  for (let y = 0; y < height; y++) {
    const sy = ys.s[y];
    const r0 = row(sy);
    const r1 = row(Math.min(sy + 1, src.height - 1));
    const b0 = ys.a0[y];
    const b1 = ys.a1[y];
    const o = y * rowLen;
    for (let k = 0; k < rowLen; k++) out[o + k] = sat8((r0[k] * b0 + r1[k] * b1 + (1 << 21)) >> 22);
  }
  return { data: out, width, height, channels: C };
}

/** The resamplers computed here, by the manifest's name (`antialias` is sharp's, in the core). */
export type PureResample = 'bilinear' | 'area' | 'nearest';

/** `extent`: the source stands for a larger image decoded at a reduced scale (see `Extent`). */
export function resizeRgb<C extends number>(kind: PureResample, src: Pixels & { channels: C }, width: number, height: number, extent?: Extent): ResizedPixels<C> {
  switch (kind) {
    case 'bilinear':
      return resizeBilinear(src, width, height, extent);
    case 'area':
      return resizeArea(src, width, height, extent);
    case 'nearest':
      return resizeNearest(src, width, height, extent);
  }
}
