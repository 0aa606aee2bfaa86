import { describe, expect, it } from 'vitest';
import { cropRgb, resampleNearest, thresholdWindow, type MapAffine } from './raster.js';

/** Reference bilinear sample at continuous map point (u, v), edges repeated (PyTorch's align_corners=False). */
function bilinear(map: ArrayLike<number>, w: number, h: number, u: number, v: number): number {
  const fx = Math.min(Math.max(u - 0.5, 0), w - 1), fy = Math.min(Math.max(v - 0.5, 0), h - 1);
  const x0 = Math.floor(fx), y0 = Math.floor(fy), x1 = Math.min(x0 + 1, w - 1), y1 = Math.min(y0 + 1, h - 1);
  const ax = fx - x0, ay = fy - y0;
  const top = map[y0 * w + x0] * (1 - ax) + map[y0 * w + x1] * ax;
  const bottom = map[y1 * w + x0] * (1 - ax) + map[y1 * w + x1] * ax;
  return top * (1 - ay) + bottom * ay;
}

describe('raster resampling', () => {
  const map = [0, 1, 2, 3, 4, 5]; // 3×2

  it('thresholds a window of the image, upsampled 2×', () => {
    // image 6×4 over the 3×2 map: u = x / 2
    const win = thresholdWindow(map, 3, 2, { sx: 0.5, ox: 0, sy: 0.5, oy: 0 }, 2, 1, 3, 2, 2.4);
    // centres x = 2.5, 3.5, 4.5 → u = 1.25, 1.75, 2.25; y = 1.5, 2.5 → v = 0.75, 1.25;
    // values 1.5, 2.0, 2.5 on the first row, 3.0, 3.5, 4.0 on the second
    expect([...win]).toEqual([0, 0, 1, 1, 1, 1]);
    // Past the map's edges the edge values repeat: 3 × 2 pixels of a 6×4 window beyond the far corner read 5.
    expect([...thresholdWindow(map, 3, 2, { sx: 1, ox: -1, sy: 1, oy: -1 }, 0, 0, 6, 4, 4.9)].filter(Boolean)).toHaveLength(6);
  });

  it('agrees with a per-pixel bilinear sample for random maps and affines', () => {
    let s = 7;
    const rnd = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    for (let k = 0; k < 20; k++) {
      const w = 2 + Math.floor(rnd() * 9), h = 2 + Math.floor(rnd() * 9);
      const m = Array.from({ length: w * h }, rnd);
      const t: MapAffine = { sx: 0.1 + rnd(), ox: rnd() * 2 - 1, sy: 0.1 + rnd(), oy: rnd() * 2 - 1 };
      const [x0, y0, ww, hh] = [Math.floor(rnd() * 5), Math.floor(rnd() * 5), 1 + Math.floor(rnd() * 30), 1 + Math.floor(rnd() * 30)];
      const win = thresholdWindow(m, w, h, t, x0, y0, ww, hh, 0.5);
      for (let y = 0; y < hh; y++) {
        for (let x = 0; x < ww; x++) {
          const v = bilinear(m, w, h, (x0 + x + 0.5) * t.sx + t.ox, (y0 + y + 0.5) * t.sy + t.oy);
          if (Math.abs(v - 0.5) > 1e-9) expect(win[y * ww + x]).toBe(v > 0.5 ? 1 : 0);
        }
      }
    }
  });

  it('resamples labels by nearest neighbour, undoing a pad', () => {
    const labels = new Uint8Array([1, 2, 3, 4]); // 2×2 map over a 4×4 input whose first row is padding
    // image 4×3 sits at input rows 1..3: input y = image y + 1, map v = input y / 2
    const out = resampleNearest(labels, 2, 2, { sx: 0.5, ox: 0, sy: 0.5, oy: 0.5 }, 4, 3);
    expect(out).toBeInstanceOf(Uint8Array);
    expect([...out]).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });
});

describe('cropRgb', () => {
  // A 5×4 image whose every byte differs; the window (1, 1) 3×2.
  const W = 5, H = 4;
  const data = Uint8Array.from({ length: W * H * 3 }, (_, i) => (i * 37) % 251);
  const img = { data, width: W, height: H };
  const win = { left: 1, top: 1, width: 3, height: 2 };

  it('copies the window, or turns it a quarter anticlockwise as sharp.rotate(270) does', () => {
    const rows = [1, 2].map((y) => [...data.subarray((y * W + 1) * 3, (y * W + 4) * 3)]);
    expect(cropRgb(img, win, false)).toMatchObject({ width: 3, height: 2 });
    expect([...cropRgb(img, win, false).data]).toEqual(rows.flat());
    // Checked once against sharp(raw).extract(win).rotate(270): the window's top row becomes the left column,
    // read bottom to top.
    expect(cropRgb(img, win, true)).toMatchObject({ width: 2, height: 3 });
    expect([...cropRgb(img, win, true).data]).toEqual([135, 172, 209, 188, 225, 11, 24, 61, 98, 77, 114, 151, 164, 201, 238, 217, 3, 40]);
  });

  it('refuses a window outside the image', () => {
    expect(() => cropRgb(img, { left: 3, top: 0, width: 3, height: 1 }, false)).toThrow('window 3×1 at (3, 0) is not inside the 5×4 image');
  });
});
