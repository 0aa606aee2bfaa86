import { describe, expect, it } from 'vitest';
import { decodeRle } from '../../geometry/rle.js';
import { ModelManifest, type ModelManifestInput } from '../manifest.js';
import type { InputTransform, Tensor } from '../types.js';
import { decodeSemanticLogits, SCORE_MAP_SIDE, toBase64, upsampleArgmax, upsampleAxis, type ScoreMaps } from './semantic.js';
import type { DecodeContext } from './types.js';

function ctx(m: Partial<ModelManifestInput>, transform: InputTransform): DecodeContext {
  const manifest = ModelManifest.parse({ name: 'seg', kind: 'semantic-segmenter', decoder: 'semantic-logits', files: { model: 'm.onnx' }, input: {}, ...m });
  return { manifest, transform, thresholds: manifest.thresholds };
}

// 3 classes on a 3×2 map; per pixel the logits of background, circle, square.
const pixels = [
  [5, 0, 0], [0, 5, 0], [0, 5, 1],
  [5, 0, 0], [0, 0, 5], [0, 1, 5],
];
const logits: Tensor = { data: Float32Array.from([0, 1, 2].flatMap((k) => pixels.map((p) => p[k]))), dims: [1, 3, 2, 3] };
const softmax = (p: number[], k: number): number => Math.exp(p[k]) / p.reduce((s, v) => s + Math.exp(v), 0);

describe('decodeSemanticLogits', () => {
  it('makes one mask per present class, scored by mean softmax, skipping the background', () => {
    // Image 6×4 over the 3×2 map: each map pixel becomes a 2×2 block.
    const t: InputTransform = { srcWidth: 6, srcHeight: 4, inputWidth: 3, inputHeight: 2, scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 0 };
    const r = decodeSemanticLogits({ out: logits }, ctx({ classes: ['background', 'circle', 'square'] }, t));
    expect(r.predictions.map((p) => p.label).sort()).toEqual(['circle', 'square']);
    const circle = r.predictions.find((p) => p.label === 'circle')!;
    expect(circle.score).toBeCloseTo((softmax(pixels[1], 1) + softmax(pixels[2], 1)) / 2, 6);
    expect(circle.classIndex).toBe(1);
    const g = circle.geometry;
    if (g.type !== 'mask') throw new Error('not a mask');
    // Map pixels (1,0) and (2,0) → image columns 2..5 of rows 0..1.
    expect([...decodeRle(g)]).toEqual([0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, ...new Array(12).fill(0)]);
  });

  it('keeps class 0 when it is not called background', () => {
    const t: InputTransform = { srcWidth: 3, srcHeight: 2, inputWidth: 3, inputHeight: 2, scaleX: 1, scaleY: 1, padX: 0, padY: 0 };
    const r = decodeSemanticLogits({ out: logits }, ctx({}, t));
    expect(r.predictions.map((p) => p.classIndex).sort()).toEqual([0, 1, 2]);
    expect(r.predictions.map((p) => p.label).sort()).toEqual(['0', '1', '2']);
  });

  it('stores per-class score maps as bytes with where to draw them', () => {
    // Letterboxed: image 6×2 in a 3×3 input (scale 0.5, one padding row on top); the map covers the input.
    const t: InputTransform = { srcWidth: 6, srcHeight: 2, inputWidth: 3, inputHeight: 3, scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 1 };
    const three: Tensor = { data: new Float32Array(3 * 9).map((_, i) => (i < 9 ? 1 : 0)), dims: [1, 3, 3, 3] };
    const r = decodeSemanticLogits({ out: three }, ctx({ classes: ['background', 'a', 'b'] }, t));
    const maps = r.extras!.scoreMaps as ScoreMaps;
    expect([maps.width, maps.height, maps.x, maps.y, maps.w, maps.h]).toEqual([3, 3, 0, -2, 6, 6]);
    const p0 = Math.round((255 * Math.E) / (Math.E + 2));
    const p1 = Math.round(255 / (Math.E + 2));
    expect(maps.maps.map((m) => [m.label, [...Buffer.from(m.data, 'base64')]])).toEqual([
      ['background', new Array(9).fill(p0)],
      ['a', new Array(9).fill(p1)],
      ['b', new Array(9).fill(p1)],
    ]);
    expect(r.predictions).toEqual([]); // all background
  });

  it('shrinks large maps by a whole factor', () => {
    const w = 2 * SCORE_MAP_SIDE + 44, h = 10; // factor 3
    const big: Tensor = { data: new Float32Array(2 * w * h).map((_, i) => (i < w * h && (i % w) % 2 === 0 ? 10 : 0)), dims: [1, 2, h, w] };
    const t: InputTransform = { srcWidth: w, srcHeight: h, inputWidth: w, inputHeight: h, scaleX: 1, scaleY: 1, padX: 0, padY: 0 };
    const maps = decodeSemanticLogits({ out: big }, ctx({}, t)).extras!.scoreMaps as ScoreMaps;
    const sw = Math.ceil(w / 3);
    expect([maps.width, maps.height, maps.w, maps.h]).toEqual([sw, 4, sw * 3, 12]); // the last cells reach past the edge
    // A stored cell averages a 3×3 block: two columns near 1, one at 0.5.
    const bytes = Buffer.from(maps.maps[0].data, 'base64');
    expect(bytes).toHaveLength(sw * 4);
    expect(bytes[0]).toBe(Math.round((255 * (2 / (1 + Math.exp(-10)) + 0.5)) / 3));
    // The bottom cells average the one row they have.
    expect(bytes[3 * sw]).toBe(bytes[0]);
  });

  it('encodes base64 like Node does, and names bad logits', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 10000]) {
      const b = new Uint8Array(n).map((_, i) => (i * 37 + 11) & 255);
      expect(toBase64(b)).toBe(Buffer.from(b).toString('base64'));
    }
    const t: InputTransform = { srcWidth: 3, srcHeight: 2, inputWidth: 3, inputHeight: 2, scaleX: 1, scaleY: 1, padX: 0, padY: 0 };
    expect(() => decodeSemanticLogits({ out: logits }, ctx({ classes: ['a', 'b'] }, t))).toThrow(/output "out" scores 3 classes but the manifest names 2/);
    expect(() => decodeSemanticLogits({ out: { data: new Float32Array(6), dims: [6] } }, ctx({}, t))).toThrow(/is \[6\]; semantic logits are \[1, C, H, W\]/);
    const nan = { data: new Float32Array(18).fill(NaN), dims: [1, 3, 2, 3] };
    expect(() => decodeSemanticLogits({ out: nan }, ctx({}, t))).toThrow(/contains NaN/);
  });
});

describe('decodeSemanticLogits in detail', () => {
  const id = (w: number, h: number): InputTransform => ({ srcWidth: w, srcHeight: h, inputWidth: w, inputHeight: h, scaleX: 1, scaleY: 1, padX: 0, padY: 0 });
  /** [1, C, H, W] from per-pixel logit lists (row-major pixels). */
  const fromPixels = (px: number[][], w: number, h: number): Tensor => ({ data: Float32Array.from(px[0].flatMap((_, k) => px.map((p) => p[k]))), dims: [1, px[0].length, h, w] });

  it('orders masks by score, then class, and scores each by its mean softmax over its own pixels', () => {
    // Class 2 wins two pixels very surely, class 1 one pixel less surely, class 0 (no background name) one pixel.
    const px = [[0, 0, 9], [0, 0, 9], [0, 2, 0], [1, 0, 0]];
    const r = decodeSemanticLogits({ out: fromPixels(px, 4, 1) }, ctx({ classes: ['sky', 'road', 'car'] }, id(4, 1)));
    expect(r.predictions.map((p) => [p.label, p.classIndex])).toEqual([['car', 2], ['road', 1], ['sky', 0]]);
    expect(r.predictions[0].score).toBeCloseTo(softmax([0, 0, 9], 2), 9);
    expect(r.predictions[2].score).toBeCloseTo(softmax([1, 0, 0], 0), 9);
    expect(r.predictions.map((p) => p.kind)).toEqual(['mask', 'mask', 'mask']);
    // Equal scores: the lower class first, whichever pixel comes first.
    const tie = decodeSemanticLogits({ out: fromPixels([[0, 3], [3, 0]], 2, 1) }, ctx({}, id(2, 1)));
    expect(tie.predictions.map((p) => [p.classIndex, p.geometry.type === 'mask' && decodeRle(p.geometry).join('')])).toEqual([
      [0, '01'],
      [1, '10'],
    ]);
    // A tie within a pixel goes to the lower class.
    expect(decodeSemanticLogits({ out: fromPixels([[2, 2]], 1, 1) }, ctx({}, id(1, 1))).predictions.map((p) => [p.classIndex, p.score])).toEqual([[0, 0.5]]);
    // Background under its other spellings is left out too.
    for (const bg of ['__background__', '_background_', 'Background']) {
      expect(decodeSemanticLogits({ out: fromPixels(px, 4, 1) }, ctx({ classes: [bg, 'road', 'car'] }, id(4, 1))).predictions.map((p) => p.classIndex)).toEqual([2, 1]);
    }
  });

  it('is not thrown off by large logits, and names infinite ones', () => {
    const big = decodeSemanticLogits({ out: fromPixels([[1000, 1002], [1003, 1000]], 2, 1) }, ctx({}, id(2, 1)));
    expect(big.predictions.map((p) => p.score)).toEqual([expect.closeTo(softmax([3, 0], 0), 9), expect.closeTo(softmax([0, 2], 1), 9)]);
    expect(() => decodeSemanticLogits({ out: fromPixels([[0, Infinity]], 1, 1) }, ctx({}, id(1, 1)))).toThrow('seg: output "out" contains infinite values');
    expect(() => decodeSemanticLogits({ out: fromPixels([[0, -Infinity]], 1, 1) }, ctx({}, id(1, 1)))).toThrow('seg: output "out" contains infinite values');
    expect(() => decodeSemanticLogits({ out: fromPixels([[0, NaN]], 1, 1) }, ctx({}, id(1, 1)))).toThrow('seg: output "out" contains NaN');
    // A NaN in first place is caught too.
    expect(() => decodeSemanticLogits({ out: fromPixels([[NaN, 0]], 1, 1) }, ctx({}, id(1, 1)))).toThrow('seg: output "out" contains NaN');
  });

  it('reads [C, H, W] without the batch axis, refuses integers, a batch of two and too many classes', () => {
    const t = fromPixels([[0, 1], [1, 0]], 2, 1);
    expect(decodeSemanticLogits({ out: { ...t, dims: [2, 1, 2] } }, ctx({}, id(2, 1))).predictions).toHaveLength(2);
    expect(() => decodeSemanticLogits({ out: { data: new BigInt64Array(4), dims: [1, 2, 1, 2] } }, ctx({}, id(2, 1)))).toThrow(
      'seg: output "out" is [1, 2, 1, 2]; semantic logits are [1, C, H, W] floats',
    );
    expect(() => decodeSemanticLogits({ out: { data: new Float32Array(8), dims: [2, 2, 1, 2] } }, ctx({}, id(2, 1)))).toThrow('is [2, 2, 1, 2]; semantic logits');
    expect(() => decodeSemanticLogits({ out: { data: new Float32Array(65536), dims: [1, 65536, 1, 1] } }, ctx({}, id(1, 1)))).toThrow(
      'seg: output "out" has 65536 classes; at most 65535 are supported',
    );
  });

  it('labels more than 256 classes', () => {
    // 300 classes on a 2×1 map: pixel 0 is class 299, pixel 1 class 257.
    const c = 300;
    const data = new Float32Array(c * 2);
    data[299 * 2] = 5;
    data[257 * 2 + 1] = 5;
    const r = decodeSemanticLogits({ out: { data, dims: [1, c, 1, 2] } }, ctx({}, id(2, 1)));
    expect(r.predictions.map((p) => p.classIndex).sort()).toEqual([257, 299]);
    const at256 = new Float32Array(256 * 2);
    at256[255 * 2] = 5;
    expect(decodeSemanticLogits({ out: { data: at256, dims: [1, 256, 1, 2] } }, ctx({}, id(2, 1))).predictions.map((p) => p.classIndex).sort((a, b) => a! - b!)).toEqual([0, 255]);
  });

  it('maps a letterboxed map into the image, padding on either axis', () => {
    // Input 4×4, image 4×2 with one padding row above: map rows 1..2 are the image.
    const px = Array.from({ length: 16 }, (_, i) => (Math.floor(i / 4) === 1 ? [0, 5] : [5, 0]));
    const r = decodeSemanticLogits({ out: fromPixels(px, 4, 4) }, ctx({}, { srcWidth: 4, srcHeight: 2, inputWidth: 4, inputHeight: 4, scaleX: 1, scaleY: 1, padX: 0, padY: 1 }));
    const one = r.predictions.find((p) => p.classIndex === 1)!.geometry;
    expect(one.type === 'mask' && [...decodeRle(one)]).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
    const cols = Array.from({ length: 16 }, (_, i) => (i % 4 === 1 ? [0, 5] : [5, 0]));
    const rx = decodeSemanticLogits({ out: fromPixels(cols, 4, 4) }, ctx({}, { srcWidth: 2, srcHeight: 4, inputWidth: 4, inputHeight: 4, scaleX: 1, scaleY: 1, padX: 1, padY: 0 }));
    const g = rx.predictions.find((p) => p.classIndex === 1)!.geometry;
    expect(g.type === 'mask' && [...decodeRle(g)]).toEqual([1, 0, 1, 0, 1, 0, 1, 0]);
    const maps = rx.extras!.scoreMaps as ScoreMaps;
    expect([maps.x, maps.y, maps.w, maps.h]).toEqual([-1, 0, 4, 4]);
  });

  it('averages a map whose sides are not multiples of the factor over the pixels each cell has', () => {
    // 260×3, factor 3: 87 cells a row, the last one two columns wide (258, 259); 3 rows = one row of cells.
    const w = 2 * SCORE_MAP_SIDE + 4, h = 3;
    const data = new Float32Array(2 * w * h);
    for (let y = 0; y < h; y++) data[y * w + (w - 1)] = 20; // class 0 sure in the last column only
    const maps = decodeSemanticLogits({ out: { data, dims: [1, 2, h, w] } }, ctx({}, id(w, h))).extras!.scoreMaps as ScoreMaps;
    const bytes = Buffer.from(maps.maps[0].data, 'base64');
    expect(maps.width).toBe(87);
    // Column 259 sure (≈ 1), column 258 undecided (0.5): their mean, not a mean over three columns.
    expect(bytes[86]).toBe(191);
    expect(bytes[85]).toBe(128);
  });
});

describe('the label map at the image size (torchvision\'s policy: logits resized bilinearly, then the argmax)', () => {
  /** Seeded uniform [0, 1). */
  const rng = (seed: number) => () => ((seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0), seed / 2 ** 32);

  /**
   * A letterboxed plan in map cells: the map (w × h, `stride` input pixels a cell) holds the image's content in
   * columns [left, left + cw) and rows [top, top + ch); the image is W × H.
   */
  const plan = (w: number, h: number, left: number, top: number, cw: number, ch: number, W: number, H: number, stride = 1): InputTransform => ({
    srcWidth: W,
    srcHeight: H,
    inputWidth: w * stride,
    inputHeight: h * stride,
    scaleX: (cw * stride) / W,
    scaleY: (ch * stride) / H,
    padX: left * stride,
    padY: top * stride,
  });

  /**
   * Straight from the definition: crop the logits to the content (whole cells), then PyTorch's
   * F.interpolate(crop, size=(H, W), mode='bilinear', align_corners=False) for every class at every pixel, in
   * float64 as v = (1 − ly)·((1 − lx)·p00 + lx·p01) + ly·((1 − lx)·p10 + lx·p11), then the argmax, ties to the
   * lowest class.
   */
  function reference(data: ArrayLike<number>, c: number, w: number, h: number, left: number, top: number, cw: number, ch: number, W: number, H: number): Int32Array {
    const src = (n: number, size: number, o: number) => {
      let real = (o + 0.5) * (size / n) - 0.5;
      if (real < 0) real = 0;
      const i0 = Math.floor(real);
      return { i0, i1: i0 < size - 1 ? i0 + 1 : i0, l: real - i0 };
    };
    const out = new Int32Array(W * H);
    for (let y = 0; y < H; y++) {
      const sy = src(H, ch, y);
      for (let x = 0; x < W; x++) {
        const sx = src(W, cw, x);
        let best = 0, max = -Infinity;
        for (let k = 0; k < c; k++) {
          const p = (yy: number, xx: number) => data[k * w * h + (top + yy) * w + left + xx];
          const v = (1 - sy.l) * ((1 - sx.l) * p(sy.i0, sx.i0) + sx.l * p(sy.i0, sx.i1)) + sy.l * ((1 - sx.l) * p(sy.i1, sx.i0) + sx.l * p(sy.i1, sx.i1));
          if (v > max) (max = v), (best = k);
        }
        out[y * W + x] = best;
      }
    }
    return out;
  }

  const randomLogits = (c: number, w: number, h: number, seed: number) => {
    const r = rng(seed);
    return new Float32Array(c * w * h).map(() => (r() - 0.5) * 8);
  };
  /** Gaussian blobs of a few classes over a background that leads elsewhere, plus a little noise. */
  const blobbyLogits = (c: number, w: number, h: number, seed: number) => {
    const r = rng(seed);
    const blobs = Array.from({ length: 5 }, () => ({ k: 1 + Math.floor(r() * (c - 1)), x: r() * w, y: r() * h, s: 1 + r() * (w / 4), a: 3 + r() * 5 }));
    const data = new Float32Array(c * w * h);
    for (let k = 0, i = 0; k < c; k++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++, i++) {
          let v = (k === 0 ? 1 : -1) + (r() - 0.5) * 0.5;
          for (const b of blobs) if (b.k === k) v += b.a * Math.exp(-((x - b.x) ** 2 + (y - b.y) ** 2) / (2 * b.s * b.s));
          data[i] = v;
        }
      }
    }
    return data;
  };
  /** Small whole numbers: at factors of 2 the blends are exact, so different classes tie at many pixels. */
  const integerLogits = (c: number, w: number, h: number, seed: number) => {
    const r = rng(seed);
    return new Float32Array(c * w * h).map(() => Math.floor(r() * 3));
  };
  /** Class 2 a copy of class 1 everywhere, class 3 of class 0 on the left half: ties of the whole field. */
  const withCopies = (data: Float32Array, w: number, h: number) => {
    const plane = w * h;
    data.copyWithin(2 * plane, plane, 2 * plane);
    for (let i = 0; i < plane; i++) if (i % w < w / 2) data[3 * plane + i] = data[i];
    return data;
  };

  // [map w, h], content [left, top, cw, ch] on it, image [W, H]: up by non-integer factors, down, by 2, odd
  // sizes, letterboxed on either axis.
  const cases: [string, number, number, number, number, number, number, number, number][] = [
    ['7×5 → 17×13', 7, 5, 0, 0, 7, 5, 17, 13],
    ['9×6 → 23×11 (x 2.56, y 1.83)', 9, 6, 0, 0, 9, 6, 23, 11],
    ['8×8 → 16×16 (by 2: exact blends)', 8, 8, 0, 0, 8, 8, 16, 16],
    ['11×9 → 6×5 (down)', 11, 9, 0, 0, 11, 9, 6, 5],
    ['letterboxed rows: 10×10, content 10×6 at row 2 → 31×19', 10, 10, 0, 2, 10, 6, 31, 19],
    ['letterboxed columns: 12×9, content 7×9 at column 3 → 15×20', 12, 9, 3, 0, 7, 9, 15, 20],
    ['1×1 content → 5×3', 3, 3, 1, 1, 1, 1, 5, 3],
    ['same size', 6, 4, 0, 0, 6, 4, 6, 4],
  ];
  const fields: [string, (c: number, w: number, h: number, seed: number) => Float32Array][] = [
    ['random', randomLogits],
    ['blobby', blobbyLogits],
    ['integer (ties)', integerLogits],
    ['copied classes (ties)', (c, w, h, seed) => withCopies(randomLogits(c, w, h, seed), w, h)],
  ];

  for (const [what, w, h, left, top, cw, ch, W, H] of cases) {
    it(`equals the definition bit for bit: ${what}`, () => {
      const c = 5;
      const tr = plan(w, h, left, top, cw, ch, W, H);
      fields.forEach(([, field], f) => {
        for (let seed = 1; seed <= 4; seed++) {
          const data = field(c, w, h, seed * 31 + f);
          const want = reference(data, c, w, h, left, top, cw, ch, W, H);
          expect([...upsampleArgmax(data, c, w, h, tr)], `${fields[f][0]} seed ${seed}`).toEqual([...want]);
          expect([...upsampleArgmax(data, c, w, h, tr, { exhaustive: true })], `${fields[f][0]} seed ${seed}, exhaustive`).toEqual([...want]);
          expect([...upsampleArgmax(Float64Array.from(data), c, w, h, tr)], `${fields[f][0]} seed ${seed}, float64`).toEqual([...want]);
        }
      });
    });
  }

  it('ties go to the lowest class, at the map pixels and between them', () => {
    // Two classes equal everywhere: class 0.
    const tr = plan(4, 4, 0, 0, 4, 4, 8, 8);
    expect(new Set(upsampleArgmax(new Float32Array(2 * 16).fill(1.5), 2, 4, 4, tr))).toEqual(new Set([0]));
    // Whole-number logits at factor 2: blends are exact, so different classes tie for the lead at many pixels.
    const ax = upsampleAxis(8, 4, 4, 0.5, 0);
    let ties = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const data = integerLogits(3, 4, 4, seed);
      expect([...upsampleArgmax(data, 3, 4, 4, tr)]).toEqual([...reference(data, 3, 4, 4, 0, 0, 4, 4, 8, 8)]);
      const p = (k: number, yy: number, xx: number) => data[k * 16 + yy * 4 + xx];
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 8; x++) {
          const [i0, i1, lx, j0, j1, ly] = [ax.i0[x], ax.i1[x], ax.l[x], ax.i0[y], ax.i1[y], ax.l[y]];
          const v = [0, 1, 2].map((k) => (1 - ly) * ((1 - lx) * p(k, j0, i0) + lx * p(k, j0, i1)) + ly * ((1 - lx) * p(k, j1, i0) + lx * p(k, j1, i1)));
          if (v.filter((u) => u === Math.max(...v)).length > 1) ties++;
        }
      }
    }
    expect(ties).toBeGreaterThan(50);
  });

  it("samples where PyTorch's bilinear (align_corners=False) does", () => {
    // Up by 2: source x = (x + 0.5) / 2 − 0.5, clamped at 0; the last cell repeats outwards.
    const up = upsampleAxis(4, 2, 2, 0.5, 0);
    expect([[...up.i0], [...up.i1], [...up.l]]).toEqual([[0, 0, 0, 1], [0, 1, 1, 1], [0, 0.25, 0.75, 0.25]]);
    // A map at 1/8 of a 64-px input with the image 40 px tall centred (12 px of padding above): content on
    // map rows 1.5 to 6.5, so sampled in continuous coordinates, clamped to its first and last cell centres.
    const half = upsampleAxis(40, 8, 64, 1, 12);
    expect(half.i0[0]).toBe(1);
    expect(half.l[0]).toBe(0.5); // 1.5 + 0.5·(5/40) − 0.5 = 1.0625, clamped up to the content's first centre, 1.5
    expect(half.i0[39] + half.l[39]).toBe(5.5); // the last centre
    expect(half.i0[20] + half.l[20]).toBeCloseTo(1.5 + 20.5 / 8 - 0.5, 12); // in between: unclamped
  });

  it('takes the shortcut only where it cannot change a label: equal to interpolating everything', () => {
    for (const [what, w, h, left, top, cw, ch, W, H] of [
      ['1/8 map of a 1000×750 photo', 25, 19, 0, 0, 25, 19, 200, 150],
      ['letterboxed 1/8 map with odd padding', 16, 16, 0, 2.375, 16, 11.25, 160, 112],
      ['1/8 map of a 1000×750 photo, 12 classes', 25, 19, 0, 0, 25, 19, 200, 150],
    ] as const) {
      const c = what.includes('12 classes') ? 12 : 6;
      const tr = plan(w, h, left, top, cw, ch, W, H, 8);
      fields.forEach(([name, field], f) => {
        for (let seed = 1; seed <= 3; seed++) {
          const data = field(c, w, h, seed * 7 + f);
          expect([...upsampleArgmax(data, c, w, h, tr)], `${what}, ${name}, seed ${seed}`).toEqual([...upsampleArgmax(data, c, w, h, tr, { exhaustive: true })]);
        }
      });
    }
    // More than 256 classes: 16-bit labels.
    const c = 300, tr = plan(5, 4, 0, 0, 5, 4, 13, 9);
    const data = randomLogits(c, 5, 4, 99);
    const fast = upsampleArgmax(data, c, 5, 4, tr);
    expect(fast).toBeInstanceOf(Uint16Array);
    expect([...fast]).toEqual([...reference(data, c, 5, 4, 0, 0, 5, 4, 13, 9)]);
  });

  it('decodes to masks at the image size from the upsampled labels, scored at the nearest map pixel', () => {
    const c = 4, w = 9, h = 7, W = 40, H = 29;
    const data = blobbyLogits(c, w, h, 5);
    const tr = plan(w, h, 0, 1, w, 5, W, H); // letterboxed: rows 1..5 of the map are the image
    const r = decodeSemanticLogits({ out: { data, dims: [1, c, h, w] } }, ctx({ classes: ['background', 'a', 'b', 'c'] }, tr));
    const want = reference(data, c, w, h, 0, 1, w, 5, W, H);
    const got = new Int32Array(W * H);
    for (const p of r.predictions) {
      if (p.geometry.type !== 'mask') throw new Error('not a mask');
      expect([p.geometry.width, p.geometry.height]).toEqual([W, H]);
      decodeRle(p.geometry).forEach((v, i) => v && (got[i] = p.classIndex!));
    }
    expect([...got]).toEqual([...want]);
    expect(r.predictions.length).toBeGreaterThan(0);
    // Score: the class's softmax at the nearest map pixel (the nearer of the two cells it is blended from).
    const ax = upsampleAxis(W, w, tr.inputWidth, tr.scaleX, tr.padX), ay = upsampleAxis(H, h, tr.inputHeight, tr.scaleY, tr.padY);
    for (const p of r.predictions) {
      let sum = 0, n = 0;
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          if (want[y * W + x] !== p.classIndex) continue;
          const at = (ay.l[y] < 0.5 ? ay.i0[y] : ay.i1[y]) * w + (ax.l[x] < 0.5 ? ax.i0[x] : ax.i1[x]);
          const logits = Array.from({ length: c }, (_, k) => data[k * w * h + at]);
          sum += softmax(logits, p.classIndex!);
          n++;
        }
      }
      expect(p.score).toBeCloseTo(sum / n, 9);
    }
  });
});
