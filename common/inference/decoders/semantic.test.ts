import { describe, expect, it } from 'vitest';
import { decodeRle } from '../../geometry/rle.js';
import { ModelManifest, type ModelManifestInput } from '../manifest.js';
import type { InputTransform, Tensor } from '../types.js';
import { decodeSemanticLogits, SCORE_MAP_SIDE, toBase64, type ScoreMaps } from './semantic.js';
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
