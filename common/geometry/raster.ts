/**
 * Resampling row-major maps (model outputs) onto image pixels. `MapAffine` says where an image point lands on
 * the map: u = x · sx + ox, v = y · sy + oy, both in continuous coordinates where pixel i covers [i, i + 1].
 */

export interface MapAffine {
  sx: number;
  ox: number;
  sy: number;
  oy: number;
}

/**
 * A binary window (row-major winW×winH at image pixel (x0, y0)): 1 where the map, sampled bilinearly at the
 * pixel centre with edge pixels repeated outwards (PyTorch's align_corners=False), is above `threshold`.
 * Separable: each row blends its two map rows once, then each pixel lerps two values of that blend.
 */
export function thresholdWindow(
  map: ArrayLike<number>,
  mapW: number,
  mapH: number,
  t: MapAffine,
  x0: number,
  y0: number,
  winW: number,
  winH: number,
  threshold: number,
): Uint8Array {
  const out = new Uint8Array(winW * winH);
  if (!winW || !winH) return out;
  const c0 = new Int32Array(winW), c1 = new Int32Array(winW), ax = new Float64Array(winW);
  for (let x = 0; x < winW; x++) {
    const f = Math.min(Math.max((x0 + x + 0.5) * t.sx + t.ox - 0.5, 0), mapW - 1);
    c0[x] = Math.floor(f);
    c1[x] = Math.min(c0[x] + 1, mapW - 1);
    ax[x] = f - c0[x];
  }
  const k0 = c0[0], k1 = c1[winW - 1]; // map columns any pixel reads (the affine is increasing)
  const blend = new Float64Array(k1 - k0 + 1);
  for (let y = 0; y < winH; y++) {
    const f = Math.min(Math.max((y0 + y + 0.5) * t.sy + t.oy - 0.5, 0), mapH - 1);
    const r0 = Math.floor(f), r1 = Math.min(r0 + 1, mapH - 1), ay = f - r0;
    for (let k = k0; k <= k1; k++) blend[k - k0] = map[r0 * mapW + k] * (1 - ay) + map[r1 * mapW + k] * ay;
    const row = y * winW;
    for (let x = 0; x < winW; x++) {
      const a = blend[c0[x] - k0];
      if (a + (blend[c1[x] - k0] - a) * ax[x] > threshold) out[row + x] = 1;
    }
  }
  return out;
}

/** Nearest-neighbour resampling of a label map onto a width×height image. */
export function resampleNearest<T extends Uint8Array | Uint16Array | Int32Array>(
  map: T,
  mapW: number,
  mapH: number,
  t: MapAffine,
  width: number,
  height: number,
): T {
  const out = new (map.constructor as new (n: number) => T)(width * height);
  const cols = new Int32Array(width);
  for (let x = 0; x < width; x++) cols[x] = Math.min(mapW - 1, Math.max(0, Math.floor((x + 0.5) * t.sx + t.ox)));
  for (let y = 0; y < height; y++) {
    const row = Math.min(mapH - 1, Math.max(0, Math.floor((y + 0.5) * t.sy + t.oy))) * mapW;
    for (let x = 0; x < width; x++) out[y * width + x] = map[row + cols[x]];
  }
  return out;
}

export interface RgbWindow {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * A copy of a window of an 8-bit RGB image (row-major, 3 channels), optionally turned a quarter anticlockwise
 * (as sharp's `rotate(270)`: the window's top edge becomes the left edge, read bottom to top).
 */
export function cropRgb(
  src: { data: Uint8Array | Uint8ClampedArray; width: number; height: number; channels?: number },
  win: RgbWindow,
  turn: boolean,
): { data: Uint8Array; width: number; height: number; channels: 3 } {
  if ((src.channels ?? 3) !== 3) throw new Error(`cropRgb takes 3-channel pixels, not ${src.channels}`);
  if (win.left < 0 || win.top < 0 || win.left + win.width > src.width || win.top + win.height > src.height || win.width < 1 || win.height < 1) {
    throw new Error(`window ${win.width}×${win.height} at (${win.left}, ${win.top}) is not inside the ${src.width}×${src.height} image`);
  }
  const s = src.data;
  const out = new Uint8Array(win.width * win.height * 3);
  if (!turn) {
    for (let y = 0; y < win.height; y++) {
      const from = ((win.top + y) * src.width + win.left) * 3;
      out.set(s.subarray(from, from + win.width * 3), y * win.width * 3);
    }
    return { data: out, width: win.width, height: win.height, channels: 3 };
  }
  // Turned: output (u, v), u < height, v < width, is window pixel (width - 1 - v, u).
  const outW = win.height;
  for (let v = 0; v < win.width; v++) {
    const x = win.left + win.width - 1 - v;
    for (let u = 0; u < outW; u++) {
      const p = ((win.top + u) * src.width + x) * 3, o = (v * outW + u) * 3;
      out[o] = s[p];
      out[o + 1] = s[p + 1];
      out[o + 2] = s[p + 2];
    }
  }
  return { data: out, width: outW, height: win.width, channels: 3 };
}
