import { describe, expect, it } from 'vitest';
import { labelComponents, minAreaRect, offsetConvexPolygon, polygonArea, polygonPerimeter, polygonToMask, signedArea } from '../../geometry/polygon.js';
import { mulberry32 } from '../../random.js';
import { ModelManifest, type ModelManifestInput } from '../manifest.js';
import type { DecodedPrediction, InputTransform, Tensor } from '../types.js';
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

describe('decodeDbText in detail', () => {
  const rect = (x0: number, y0: number, x1: number, y1: number, inside: number, border = inside) => (x: number, y: number) =>
    x >= x0 && x <= x1 && y >= y0 && y <= y1 ? (x === x0 || x === x1 || y === y0 || y === y1 ? border : inside) : 0;
  const polygon = (p: DecodedPrediction) => (p.geometry.type === 'polygon' ? p.geometry.points : []);

  it("scores a region by the mean over its own pixels, border included, and nothing around it", () => {
    // 20×6 region: its 48 border pixels at 0.6, the 72 inside at 0.9; the pixels around it at 0.29 (below 0.3).
    const f = rect(5, 10, 24, 15, 0.9, 0.6);
    const r = decodeDbText({ out: map((x, y) => f(x, y) || 0.29) }, ctx({}, identity));
    expect(r.predictions).toHaveLength(1);
    expect(r.predictions[0].score).toBeCloseTo((48 * 0.6 + 72 * 0.9) / 120, 6);
  });

  it('binarises strictly above binaryThreshold and keeps a region scoring exactly the threshold', () => {
    const at = (v: number) => decodeDbText({ out: map(rect(5, 10, 24, 15, v)) }, ctx({ textDetector: { binaryThreshold: 0.5, boxThreshold: 0.5 } }, identity)).predictions;
    expect(at(0.5)).toEqual([]);
    expect(at(0.5000001)).toHaveLength(1);
    const exact = decodeDbText({ out: map(rect(5, 10, 24, 15, 0.75)) }, ctx({ textDetector: { boxThreshold: 0.75 } }, identity)).predictions;
    expect(exact).toHaveLength(1);
  });

  it('drops a region whose short side is under minSize, before and (by minSize + 2) after growing', () => {
    // Pixel centres 3 apart make a short side of exactly 3 = minSize: kept; 2 apart: dropped.
    const keep = decodeDbText({ out: map(rect(5, 10, 24, 13, 0.9)) }, ctx({ textDetector: { unclipRatio: 1.5 } }, identity)).predictions;
    expect(keep).toHaveLength(1);
    expect(decodeDbText({ out: map(rect(5, 10, 24, 12, 0.9)) }, ctx({}, identity)).predictions).toEqual([]);
    // A long side under minSize drops it as well (the shorter side decides).
    expect(decodeDbText({ out: map(rect(5, 10, 7, 24, 0.9)) }, ctx({}, identity)).predictions).toEqual([]);
    // Grown too little to reach minSize + 2: short side 3 + 2d with d = area × ratio / perimeter small.
    const thin = decodeDbText({ out: map(rect(5, 10, 24, 13, 0.9)) }, ctx({ textDetector: { unclipRatio: 0.1 } }, identity)).predictions;
    expect(thin).toEqual([]);
    // Just enough: d = 57 × r / 44 ≥ 1 for r ≥ 44 / 57.
    expect(decodeDbText({ out: map(rect(5, 10, 24, 13, 0.9)) }, ctx({ textDetector: { unclipRatio: 0.78 } }, identity)).predictions).toHaveLength(1);
    expect(decodeDbText({ out: map(rect(5, 10, 24, 13, 0.9)) }, ctx({ textDetector: { unclipRatio: 0.75 } }, identity)).predictions).toEqual([]);
  });

  it('stops at maxDetections and reads maps without the leading axes, even one row high', () => {
    const three = map((x, y) => rect(2, 2, 12, 6, 0.9)(x, y) || rect(2, 12, 12, 16, 0.8)(x, y) || rect(2, 22, 12, 26, 0.7)(x, y));
    expect(decodeDbText({ out: three }, ctx({}, identity)).predictions).toHaveLength(3);
    expect(decodeDbText({ out: three }, ctx({ thresholds: { maxDetections: 2 } }, identity)).predictions.map((p) => p.score)).toEqual([
      expect.closeTo(0.9, 6),
      expect.closeTo(0.8, 6),
    ]);
    expect(decodeDbText({ out: three }, ctx({ thresholds: { maxDetections: 1 } }, identity)).predictions).toHaveLength(1);
    expect(decodeDbText({ out: { ...three, dims: [H, W] } }, ctx({}, identity)).predictions).toHaveLength(3);
    expect(decodeDbText({ out: { ...three, dims: [1, H, W] } }, ctx({}, identity)).predictions).toHaveLength(3);
    expect(decodeDbText({ out: { data: new Float32Array(W), dims: [1, 1, 1, W] } }, ctx({}, { ...identity, inputHeight: 1 })).predictions).toEqual([]);
    expect(() => decodeDbText({ out: { data: new BigInt64Array(W * H), dims: [1, 1, H, W] } }, ctx({}, identity))).toThrow(
      'det: output "out" is [1, 1, 30, 40]; a text probability map is [1, 1, H, W]',
    );
    expect(() => decodeDbText({ out: { data: new Float32Array(W * H * 2), dims: [2, 1, H, W] } }, ctx({}, identity))).toThrow(
      'det: output "out" is [2, 1, 30, 40]; a text probability map is [1, 1, H, W]',
    );
  });

  it('maps map pixels to the image through the input size, each axis on its own', () => {
    // The map is 40×30 for an 80×90 input (kx = 2, ky = 3) that is the image.
    const t: InputTransform = { srcWidth: 80, srcHeight: 90, inputWidth: 80, inputHeight: 90, scaleX: 1, scaleY: 1, padX: 0, padY: 0 };
    const r = decodeDbText({ out: map(rect(5, 10, 24, 15, 0.9)) }, ctx({}, t));
    const d = (95 * 1.5) / 48;
    const expected = [5.5 - d, 10.5 - d, 24.5 + d, 10.5 - d, 24.5 + d, 15.5 + d, 5.5 - d, 15.5 + d].map((v, i) => v * (i % 2 ? 3 : 2));
    polygon(r.predictions[0]).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
  });

  it('agrees with a plain reference (every pixel centre, every pixel tested) on random maps', () => {
    const rand = mulberry32(7);
    let found = 0;
    for (let trial = 0; trial < 10; trial++) {
      // Blobs of random size and tilt, some touching the map edges, one spanning the whole width.
      const data = new Float32Array(W * H);
      // One blob per 20×12 cell (four cells over the top 24 rows), so most stay apart; the ones at the edges touch them.
      for (let k = 0; k < 4; k++) {
        const cx = (k % 2) * 20 + 4 + rand() * 12, cy = Math.floor(k / 2) * 12 + 3 + rand() * 6, a = rand() * Math.PI;
        const hl = 2.5 + rand() * 6, hw = 1.5 + rand() * 2.5, v = 0.65 + rand() * 0.35;
        const band = [[-hl, -hw], [hl, -hw], [hl, hw], [-hl, hw]].flatMap(([s, t]) => [cx + s * Math.cos(a) - t * Math.sin(a), cy + s * Math.sin(a) + t * Math.cos(a)]);
        const m = polygonToMask(band, W, H);
        for (let i = 0; i < m.length; i++) if (m[i]) data[i] = Math.max(data[i], v - rand() * 0.2);
      }
      if (trial % 2) for (let x = 0; x < W; x++) for (let y = 26; y < 30; y++) data[y * W + x] = 0.8;
      const got = decodeDbText({ out: { data, dims: [1, 1, H, W] } }, ctx({}, identity)).predictions;

      const bitmap = Uint8Array.from(data, (p) => (p > 0.3 ? 1 : 0));
      const { labels, count } = labelComponents(bitmap, W, H, 8);
      const expected: { score: number; box: number[] }[] = [];
      for (let l = 1; l <= count; l++) {
        const pts: number[] = [];
        for (let i = 0; i < labels.length; i++) if (labels[i] === l) pts.push((i % W) + 0.5, Math.floor(i / W) + 0.5);
        const r = minAreaRect(pts);
        if (Math.min(r.width, r.height) < 3) continue;
        const ux = Math.cos(r.angle), uy = Math.sin(r.angle);
        const a = r.width / 2 + 0.5, b = r.height / 2 + 0.5;
        const grown = [[-a, -b], [a, -b], [a, b], [-a, b]].flatMap(([s, t]) => [r.cx + s * ux - t * uy, r.cy + s * uy + t * ux]);
        const inside = polygonToMask(grown, W, H);
        let sum = 0, n = 0;
        for (let i = 0; i < inside.length; i++) if (inside[i]) (sum += data[i]), n++;
        const score = n ? sum / n : 0;
        if (score < 0.6) continue;
        const box = minAreaRect(offsetConvexPolygon(r.points, (polygonArea(r.points) * 1.5) / polygonPerimeter(r.points)));
        if (Math.min(box.width, box.height) < 5) continue;
        expected.push({ score, box: box.points });
      }
      expect(got.map((p) => p.score), `trial ${trial}`).toEqual(expected.map((e) => expect.closeTo(e.score, 5)));
      found += got.length;
      // Same corners, whatever their order.
      got.forEach((p, i) => {
        const corners = (q: readonly number[]) => [0, 2, 4, 6].map((k) => [Math.min(W, Math.max(0, q[k])), Math.min(H, Math.max(0, q[k + 1]))]).sort((u, v) => u[0] - v[0] || u[1] - v[1]);
        corners(polygon(p)).forEach((c, k) => {
          expect(c[0]).toBeCloseTo(corners(expected[i].box)[k][0], 5);
          expect(c[1]).toBeCloseTo(corners(expected[i].box)[k][1], 5);
        });
      });
    }
    expect(found).toBeGreaterThan(12);
  });
});

describe('decodeDbText on noise', () => {
  it('traces at most the first 1000 regions of a speckled map, without failing on the rest', () => {
    // 1024 one-pixel specks, none touching another (8-connected), each too small to be text.
    const side = 64;
    const data = new Float32Array(side * side);
    for (let y = 0; y < side; y += 2) for (let x = 0; x < side; x += 2) data[y * side + x] = 0.9;
    const t: InputTransform = { srcWidth: side, srcHeight: side, inputWidth: side, inputHeight: side, scaleX: 1, scaleY: 1, padX: 0, padY: 0 };
    expect(decodeDbText({ out: { data, dims: [1, 1, side, side] } }, ctx({}, t)).predictions).toEqual([]);
  });
});
