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
