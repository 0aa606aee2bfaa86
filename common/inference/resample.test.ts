import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.js';
import { resizeArea, resizeBilinear, resizeNearest, resizeRgb, roundHalfEven, type Pixels } from './resample.js';

const random = (seed: number, width: number, height: number, channels = 3): Pixels => {
  const rand = mulberry32(seed);
  return { data: Uint8Array.from({ length: width * height * channels }, () => Math.floor(rand() * 256)), width, height, channels };
};
const row = (values: number[]): Pixels => ({ data: Uint8Array.from(values), width: values.length, height: 1, channels: 1 });
const rgbOf = (values: number[][]): Pixels => ({ data: Uint8Array.from(values.flat()), width: values.length, height: 1, channels: 3 });

/**
 * The formula, written out as plainly as possible: per output pixel and channel, in float64,
 * sx = W/w; fx = max((x + 0.5)·sx − 0.5, 0); x0 = ⌊fx⌋; x1 = min(x0 + 1, W − 1); lx = fx − x0 (same in y);
 * v = (1−ly)·((1−lx)·p[y0][x0] + lx·p[y0][x1]) + ly·((1−lx)·p[y1][x0] + lx·p[y1][x1]); stored min(255, ⌊v + 0.5⌋).
 */
function referenceBilinear(src: Pixels, w: number, h: number): Uint8Array {
  const { width: W, height: H, channels: C, data } = src;
  const out = new Uint8Array(w * h * C);
  const sx = W / w;
  const sy = H / h;
  for (let y = 0; y < h; y++) {
    const fy = Math.max((y + 0.5) * sy - 0.5, 0);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, H - 1);
    const ly = fy - y0;
    for (let x = 0; x < w; x++) {
      const fx = Math.max((x + 0.5) * sx - 0.5, 0);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, W - 1);
      const lx = fx - x0;
      for (let c = 0; c < C; c++) {
        const p = (yy: number, xx: number) => data[(yy * W + xx) * C + c];
        const v = (1 - ly) * ((1 - lx) * p(y0, x0) + lx * p(y0, x1)) + ly * ((1 - lx) * p(y1, x0) + lx * p(y1, x1));
        out[(y * w + x) * C + c] = Math.min(255, Math.floor(v + 0.5));
      }
    }
  }
  return out;
}

/** The exact area-weighted mean (overlap of each output cell with each source cell, in float64): INTER_AREA's definition when shrinking. */
function exactArea(src: Pixels, w: number, h: number): Float64Array {
  const { width: W, height: H, channels: C, data } = src;
  const out = new Float64Array(w * h * C);
  const overlap = (a0: number, a1: number, b0: number, b1: number) => Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
  for (let y = 0; y < h; y++) {
    const fy0 = (y * H) / h, fy1 = ((y + 1) * H) / h;
    for (let x = 0; x < w; x++) {
      const fx0 = (x * W) / w, fx1 = ((x + 1) * W) / w;
      for (let c = 0; c < C; c++) {
        let sum = 0;
        for (let sy = Math.floor(fy0); sy < Math.min(H, Math.ceil(fy1)); sy++) {
          const wy = overlap(fy0, fy1, sy, sy + 1);
          for (let sx = Math.floor(fx0); sx < Math.min(W, Math.ceil(fx1)); sx++) sum += wy * overlap(fx0, fx1, sx, sx + 1) * data[(sy * W + sx) * C + c];
        }
        out[(y * w + x) * C + c] = sum / ((fy1 - fy0) * (fx1 - fx0));
      }
    }
  }
  return out;
}

describe('resizeBilinear', () => {
  it('is the formula, hand-computed: 2 → 4 pixels and 4 → 2', () => {
    // sx = 0.5: fx = 0 (clamped), 0.25, 0.75, 1.25 → x0 = 1 = x1 at the edge.
    expect(Array.from(resizeBilinear(row([0, 100]), 4, 1).data)).toEqual([0, 25, 75, 100]);
    // sx = 2: fx = 0.5, 2.5: the mean of each pair, rounded half up (12.5 → 13).
    expect(Array.from(resizeBilinear(row([10, 15, 200, 201]), 2, 1).data)).toEqual([13, 201]);
    // 2 × 2 → 1 × 1: the four pixels' mean, in both axes.
    expect(Array.from(resizeBilinear({ data: Uint8Array.from([0, 10, 20, 31]), width: 2, height: 2, channels: 1 }, 1, 1).data)).toEqual([15]);
  });

  it('equals the plain reference bit for bit on random images: up, down, odd, non-square, 1-pixel edges, mixed', () => {
    const sizes: [number, number, number, number][] = [
      [37, 23, 11, 9], // down, odd
      [11, 9, 37, 23], // up, odd
      [64, 48, 640, 480], // ×10 up: many exact .5 ties
      [640, 480, 64, 48], // ÷10 down
      [451, 300, 256, 170], // a photo to a letterbox content size
      [333, 17, 100, 101], // down in x, up in y
      [1, 1, 5, 3],
      [5, 3, 1, 1],
      [1, 7, 4, 2],
      [7, 1, 3, 5],
      [2, 2, 3, 3],
      [100, 100, 100, 37], // one axis unchanged
      [97, 89, 96, 90], // barely shrinking / growing
    ];
    let seed = 1;
    for (const [W, H, w, h] of sizes) {
      for (const C of [3, 1, 4]) {
        const src = random(seed++, W, H, C);
        const got = resizeBilinear(src, w, h);
        expect([got.width, got.height, got.channels]).toEqual([w, h, C]);
        const want = referenceBilinear(src, w, h);
        const at = got.data.findIndex((v, i) => v !== want[i]);
        expect(at, `${W}×${H} → ${w}×${h}, ${C} channels: first difference at byte ${at}`).toBe(-1);
      }
    }
  });

  it('keeps flat colours and the extremes exact (never 256, never wraps)', () => {
    for (const v of [0, 1, 127, 254, 255]) {
      const flat: Pixels = { data: new Uint8Array(13 * 7 * 3).fill(v), width: 13, height: 7, channels: 3 };
      for (const [w, h] of [[3, 2], [40, 29], [13, 1]]) expect(new Set(resizeBilinear(flat, w, h).data)).toEqual(new Set([v]));
    }
  });

  it('returns a copy at the same size, and refuses empty sizes and short buffers', () => {
    const src = random(9, 4, 3);
    const same = resizeBilinear(src, 4, 3);
    expect(same.data).toEqual(src.data);
    expect(same.data).not.toBe(src.data);
    expect(() => resizeBilinear(src, 0, 3)).toThrow('cannot resize to 0×3 pixels');
    expect(() => resizeBilinear({ ...src, data: src.data.subarray(1) }, 2, 2)).toThrow('the pixel buffer holds 35 bytes');
  });
});

describe('resizeNearest (OpenCV INTER_NEAREST, PyTorch mode="nearest": x0 = min(⌊x·W/w⌋, W − 1))', () => {
  it('takes the pixel under each output top-left corner', () => {
    expect(Array.from(resizeNearest(row([10, 20, 30, 40]), 2, 1).data)).toEqual([10, 30]);
    // W/w = 4/3: ⌊0⌋, ⌊1.33⌋, ⌊2.67⌋.
    expect(Array.from(resizeNearest(row([10, 20, 30, 40]), 3, 1).data)).toEqual([10, 20, 30]);
    // W/w = 0.4: 0, 0.4, 0.8, 1.2, 1.6.
    expect(Array.from(resizeNearest(row([7, 9]), 5, 1).data)).toEqual([7, 7, 7, 9, 9]);
    const two = resizeNearest({ data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), width: 3, height: 3, channels: 1 }, 2, 2);
    expect(Array.from(two.data)).toEqual([1, 2, 4, 5]); // ⌊0⌋, ⌊1.5⌋ in both axes
    expect(Array.from(resizeNearest(rgbOf([[1, 2, 3], [4, 5, 6]]), 3, 1).data)).toEqual([1, 2, 3, 1, 2, 3, 4, 5, 6]);
  });
});

describe('resizeArea (OpenCV INTER_AREA)', () => {
  it('integer factors: the block mean; 2×2 rounds half up ((sum + 2) >> 2), other blocks half to even (sum · 1/area in float32)', () => {
    // OpenCV's resizeAreaFast: 2×2 blocks take ResizeAreaFastVec's (sum + 2) >> 2: 10/4 = 2.5 → 3, 5/4 → 1.
    const square = { data: Uint8Array.from([1, 2, 1, 1, 3, 4, 1, 2]), width: 4, height: 2, channels: 1 };
    expect(Array.from(resizeArea(square, 2, 1).data)).toEqual([3, 1]);
    // 4×1 blocks go through saturate_cast(sum · 0.25f), cvRound: 10/4 = 2.5 → 2 (even), 14/4 = 3.5 → 4.
    expect(Array.from(resizeArea(row([1, 2, 3, 4, 2, 3, 4, 5]), 2, 1).data)).toEqual([2, 4]);
    // 3×3 → 1: 45/9 = 5.
    expect(Array.from(resizeArea({ data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), width: 3, height: 3, channels: 1 }, 1, 1).data)).toEqual([5]);
    // RGB: channels averaged apart.
    expect(Array.from(resizeArea(rgbOf([[0, 100, 255], [2, 101, 255]]), 1, 1).data)).toEqual([1, 100, 255]); // 100.5 → 100 (even)
  });

  it('fractional factors: each output cell the area-weighted mean of the cells it covers (computeResizeAreaTab)', () => {
    // W/w = 1.5: cell 0 covers [0, 1.5): (2·p0 + p1)/3; cell 1 covers [1.5, 3): (p1 + 2·p2)/3.
    expect(Array.from(resizeArea(row([0, 90, 180]), 2, 1).data)).toEqual([30, 150]);
    expect(Array.from(resizeArea(row([100, 101, 0]), 2, 1).data)).toEqual([100, 34]); // 100.33, 33.67
    // W/w = 2.5: 0.4·p0 + 0.4·p1 + 0.2·p2 and 0.2·p2 + 0.4·p3 + 0.4·p4.
    expect(Array.from(resizeArea(row([10, 20, 30, 40, 50]), 2, 1).data)).toEqual([18, 42]);
    // Both axes: 3×3 → 2×2 weights (2/3, 1/3) ⊗ (2/3, 1/3) at the top left: (4·9 + 2·0 + 2·0 + 1·0)/9 = 4.
    const grid = { data: Uint8Array.from([9, 0, 0, 0, 0, 0, 0, 0, 9]), width: 3, height: 3, channels: 1 };
    expect(Array.from(resizeArea(grid, 2, 2).data)).toEqual([4, 0, 0, 4]);
  });

  it('shrinking random images: within one level of the exact area mean, and equal where it is not near a half', () => {
    let seed = 100;
    for (const [W, H, w, h] of [[37, 23, 11, 9], [640, 480, 100, 75], [451, 300, 256, 170], [50, 50, 49, 7], [12, 8, 6, 4], [12, 9, 4, 3]] as const) {
      const src = random(seed++, W, H);
      const got = resizeArea(src, w, h).data;
      const exact = exactArea(src, w, h);
      const off: string[] = [];
      for (let i = 0; i < got.length; i++) {
        const nearHalf = Math.abs(exact[i] - Math.floor(exact[i]) - 0.5) <= 1e-3;
        if (nearHalf ? Math.abs(got[i] - exact[i]) > 0.5 + 1e-3 : got[i] !== Math.round(exact[i])) off.push(`${W}×${H} → ${w}×${h} at ${i}: ${got[i]} vs ${exact[i]}`);
      }
      expect(off).toEqual([]);
    }
  });

  it('enlarging: OpenCV area-mode weights; integer factors repeat pixels, 2 → 3 averages the middle (rounded half up)', () => {
    expect(Array.from(resizeArea(row([10, 200]), 4, 1).data)).toEqual([10, 10, 200, 200]);
    // x = 1: sx = ⌊2/3⌋ = 0, weight of the next pixel (1 + 1) − 1·1.5 = 0.5 → (10 + 21)/2 = 15.5 → 16.
    expect(Array.from(resizeArea(row([10, 21]), 3, 1).data)).toEqual([10, 16, 21]);
    const col = { data: Uint8Array.from([0, 100]), width: 1, height: 2, channels: 1 };
    expect(Array.from(resizeArea(col, 1, 4).data)).toEqual([0, 0, 100, 100]);
  });
});

describe('helpers', () => {
  it('roundHalfEven is Python round() and cvRound', () => {
    expect([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, 2.4999, 2.5001, -0.1, 139.9, 139.4].map(roundHalfEven)).toEqual([0, 2, 2, 4, 0, -2, 2, 3, 0, 140, 139]);
    expect(Object.is(roundHalfEven(-0.1), 0)).toBe(true);
  });

  it('resizeRgb dispatches by the manifest name', () => {
    const src = random(3, 9, 7);
    expect(resizeRgb('bilinear', src, 4, 3)).toEqual(resizeBilinear(src, 4, 3));
    expect(resizeRgb('area', src, 4, 3)).toEqual(resizeArea(src, 4, 3));
    expect(resizeRgb('nearest', src, 4, 3)).toEqual(resizeNearest(src, 4, 3));
  });
});

describe('resampling a reduced-scale decode (extent)', () => {
  /** The bilinear formula with the photo's extent: sx = E/w, f clamped to [0, W − 1] (the edge beyond the last decoded pixel). */
  function referenceExtent(src: Pixels, w: number, h: number, ew: number, eh: number): Uint8Array {
    const { width: W, height: H, channels: C, data } = src;
    const out = new Uint8Array(w * h * C);
    for (let y = 0; y < h; y++) {
      const fy = Math.min(Math.max((y + 0.5) * (eh / h) - 0.5, 0), H - 1);
      const y0 = Math.floor(fy), y1 = Math.min(y0 + 1, H - 1), ly = fy - y0;
      for (let x = 0; x < w; x++) {
        const fx = Math.min(Math.max((x + 0.5) * (ew / w) - 0.5, 0), W - 1);
        const x0 = Math.floor(fx), x1 = Math.min(x0 + 1, W - 1), lx = fx - x0;
        for (let c = 0; c < C; c++) {
          const p = (yy: number, xx: number) => data[(yy * W + xx) * C + c];
          const v = (1 - ly) * ((1 - lx) * p(y0, x0) + lx * p(y0, x1)) + ly * ((1 - lx) * p(y1, x0) + lx * p(y1, x1));
          out[(y * w + x) * C + c] = Math.min(255, Math.floor(v + 0.5));
        }
      }
    }
    return out;
  }

  it('bilinear maps the output onto the whole photo: a 4001×2999 photo at 1/4 is 1000×749 standing for 1000.25×749.75', () => {
    for (const [W, H, k, w, h] of [[4001, 2999, 4, 640, 480], [1003, 517, 2, 300, 200], [999, 777, 8, 97, 61]]) {
      const src = random(W + H, Math.floor(W / k), Math.floor(H / k));
      const got = resizeBilinear(src, w, h, { width: W / k, height: H / k });
      expect(Buffer.compare(Buffer.from(got.data), Buffer.from(referenceExtent(src, w, h, W / k, H / k))), `${W}×${H} at 1/${k}`).toBe(0);
    }
  });

  it('an extent equal to the size changes nothing; one that is not a reduced decode of it is refused', () => {
    const src = random(5, 37, 23);
    expect(resizeRgb('bilinear', src, 11, 7, { width: 37, height: 23 }).data).toEqual(resizeBilinear(src, 11, 7).data);
    expect(resizeRgb('nearest', src, 11, 7, { width: 37, height: 23 }).data).toEqual(resizeNearest(src, 11, 7).data);
    expect(resizeRgb('area', src, 11, 7, { width: 37, height: 23 }).data).toEqual(resizeArea(src, 11, 7).data);
    expect(() => resizeBilinear(src, 11, 7, { width: 39, height: 23 })).toThrow(/does not fit/);
    expect(() => resizeBilinear(src, 11, 7, { width: 36, height: 23 })).toThrow(/does not fit/);
  });

  it('nearest reads ⌊x·E/w⌋, clamped to the last decoded pixel', () => {
    const src = row([10, 20, 30, 40, 50]);
    // E = 5.75 (a 23-pixel row at 1/4): x·E/w for w = 3 is 0, 1.92, 3.83.
    expect(Array.from(resizeNearest(src, 3, 1, { width: 5.75, height: 1 }).data)).toEqual([10, 20, 40]);
    expect(Array.from(resizeNearest(src, 1, 1, { width: 5.75, height: 1 }).data)).toEqual([10]);
  });

  it('area over an extent: each cell the area-weighted mean of what was decoded of it (a flat image stays flat)', () => {
    const flat: Pixels = { data: new Uint8Array(50 * 30 * 3).fill(77), width: 50, height: 30, channels: 3 };
    expect(new Set(resizeArea(flat, 13, 7, { width: 50.75, height: 30.5 }).data)).toEqual(new Set([77]));
    // One row 0..9 standing for 10.5 pixels, shrunk to 3 cells of 3.5: [0,3.5) [3.5,7) [7,10.5) → the last cell
    // covers 7, 8, 9 only.
    const r = resizeArea(row([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]), 3, 1, { width: 10.5, height: 1 });
    expect(Array.from(r.data)).toEqual([roundHalfEven((0 + 10 + 20 + 0.5 * 30) / 3.5), roundHalfEven((0.5 * 30 + 40 + 50 + 60) / 3.5), 80]);
    expect(() => resizeArea(row([1, 2, 3]), 5, 1, { width: 3.5, height: 1 })).toThrow(/never enlarged/);
  });
});
