import { describe, expect, it } from 'vitest';
import { polygonToMask, signedArea } from '../../geometry/polygon.js';
import { ModelManifest, type ModelManifestInput } from '../manifest.js';
import type { InputTransform, Tensor } from '../types.js';
import { decodeDbText } from './dbText.js';
import type { DecodeContext } from './types.js';

function ctx(m: Partial<ModelManifestInput>, transform: InputTransform): DecodeContext {
  const manifest = ModelManifest.parse({ name: 'det', kind: 'text-detector', decoder: 'db-text', files: { model: 'm.onnx' }, input: {}, ...m });
  return { manifest, transform, thresholds: manifest.thresholds };
}

const W = 40, H = 30;
function map(fill: (x: number, y: number) => number): Tensor {
  const data = new Float32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data[y * W + x] = fill(x, y);
  return { data, dims: [1, 1, H, W] };
}
const identity: InputTransform = { srcWidth: W, srcHeight: H, inputWidth: W, inputHeight: H, scaleX: 1, scaleY: 1, padX: 0, padY: 0 };

describe('decodeDbText', () => {
  it('boxes a region, grows it by area × ratio / perimeter and drops weak or tiny ones', () => {
    const prob = map((x, y) => {
      if (x >= 5 && x <= 24 && y >= 10 && y <= 15) return 0.9; // 20×6 pixels of text
      if (x >= 30 && x <= 31 && y >= 2 && y <= 3) return 0.95; // 2×2: short side 1 < minSize 3
      if (x >= 28 && x <= 38 && y >= 20 && y <= 27) return 0.4; // above binaryThreshold, below boxThreshold
      return 0.01;
    });
    const r = decodeDbText({ sigmoid_0: prob }, ctx({}, identity));
    expect(r.predictions).toHaveLength(1);
    const p = r.predictions[0];
    expect([p.kind, p.label, p.classIndex]).toEqual(['polygon', 'text', null]);
    expect(p.score).toBeCloseTo(0.9, 6);
    // Pixel centres span x 5.5..24.5, y 10.5..15.5: 19 × 5, d = 95 × 1.5 / 48.
    const d = (95 * 1.5) / 48;
    const g = p.geometry;
    if (g.type !== 'polygon') throw new Error('not a polygon');
    const expected = [5.5 - d, 10.5 - d, 24.5 + d, 10.5 - d, 24.5 + d, 15.5 + d, 5.5 - d, 15.5 + d];
    g.points.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
    // A run asking for more confidence than the region has gets nothing.
    const strict = ctx({}, identity);
    expect(decodeDbText({ sigmoid_0: prob }, { ...strict, thresholds: { ...strict.thresholds, score: 0.95 } }).predictions).toEqual([]);
  });

  it('maps to the image and keeps tilted text tilted, clockwise from the top-left', () => {
    // A band tilted by atan(0.25), on a map at half the resolution of a 80×60 image.
    const band = [4, 10, 36, 18, 34.5, 24, 2.5, 16];
    const mask = polygonToMask(band, W, H);
    const r = decodeDbText(
      { out: map((x, y) => (mask[y * W + x] ? 0.8 : 0)) },
      ctx({ textDetector: { unclipRatio: 1 } }, { srcWidth: 80, srcHeight: 60, inputWidth: W, inputHeight: H, scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 0 }),
    );
    expect(r.predictions).toHaveLength(1);
    const g = r.predictions[0].geometry;
    if (g.type !== 'polygon') throw new Error('not a polygon');
    const [x0, y0, x1, y1, x2, y2, x3, y3] = g.points;
    expect(Math.atan2(y1 - y0, x1 - x0)).toBeCloseTo(Math.atan(0.25), 1);
    expect(x0).toBeLessThan(x1);
    expect(y3).toBeGreaterThan(y0);
    expect(signedArea(g.points)).toBeGreaterThan(0); // clockwise on screen
    // The band doubled (66 × 12.4 around (38.5, 34)), grown by 2 × d ≈ 2 × 2 × 2.2 image pixels a side; the
    // bottom-left corner, past the image's left edge, is clamped to it.
    expect((x0 + x2) / 2).toBeCloseTo(38.5, 0);
    expect((y0 + y2) / 2).toBeCloseTo(34, 0);
    const long = Math.hypot(x1 - x0, y1 - y0), short = Math.hypot(x2 - x1, y2 - y1);
    expect(long).toBeGreaterThan(70);
    expect(long).toBeLessThan(80);
    expect(short).toBeGreaterThan(18);
    expect(short).toBeLessThan(25);
    expect(Math.min(x0, x1, x2, x3)).toBe(0);
  });

  it('names a map of the wrong shape', () => {
    expect(() => decodeDbText({ out: { data: new Float32Array(12), dims: [1, 2, 2, 3] } }, ctx({}, identity))).toThrow(/is \[1, 2, 2, 3\]; a text probability map is \[1, 1, H, W\]/);
    expect(() => decodeDbText({ out: map(() => NaN) }, ctx({}, identity))).toThrow(/contains NaN/);
  });
});
