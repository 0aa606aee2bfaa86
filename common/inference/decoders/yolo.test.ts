import { describe, expect, it } from 'vitest';
import { decodeRle } from '../../geometry/rle.js';
import { ModelManifest, type ModelManifestInput } from '../manifest.js';
import type { InputTransform, Tensor } from '../types.js';
import type { DecodeContext } from './types.js';
import { decodeYoloV5, decodeYoloV8, decodeYoloV8Seg } from './yolo.js';

const identity = (w: number, h: number): InputTransform => ({ srcWidth: w, srcHeight: h, inputWidth: w, inputHeight: h, scaleX: 1, scaleY: 1, padX: 0, padY: 0 });

function ctx(m: Partial<ModelManifestInput>, transform: InputTransform, keepSuppressed = false): DecodeContext {
  const manifest = ModelManifest.parse({ name: 'test', kind: 'detector', decoder: 'yolov8', files: { model: 'm.onnx' }, input: {}, ...m });
  return { manifest, transform, thresholds: manifest.thresholds, keepSuppressed };
}

/** [1, V, N] from per-candidate rows of V values. */
function valuesFirst(rows: number[][]): Tensor {
  const n = rows.length, v = rows[0].length;
  const data = new Float32Array(v * n);
  rows.forEach((r, i) => r.forEach((x, k) => (data[k * n + i] = x)));
  return { data, dims: [1, v, n] };
}
function candidatesFirst(rows: number[][]): Tensor {
  return { data: Float32Array.from(rows.flat()), dims: [1, rows.length, rows[0].length] };
}

// cx, cy, w, h, p(cat), p(dog). 0 and 1 overlap (IoU 0.82) but differ in class; 2 overlaps 0 in class; 3 is too weak.
const rows = [
  [50, 50, 20, 20, 0.9, 0.1],
  [52, 50, 20, 20, 0.1, 0.8],
  [51, 51, 20, 20, 0.7, 0.05],
  [10, 10, 4, 4, 0.2, 0.1],
];
const classes = ['cat', 'dog'];

describe('decodeYoloV8', () => {
  it('keeps the best per class, and reports what NMS removed', () => {
    const r = decodeYoloV8({ output0: valuesFirst(rows) }, ctx({ classes }, identity(100, 100), true));
    expect(r.predictions.map((p) => [p.label, p.score])).toEqual([
      ['cat', expect.closeTo(0.9, 6)],
      ['dog', expect.closeTo(0.8, 6)],
    ]);
    expect(r.predictions[0].geometry).toEqual({ type: 'box', x: 40, y: 40, w: 20, h: 20 });
    expect(r.suppressed!.map((s) => [s.label, s.extras!.suppressedBy])).toEqual([['cat', 0]]);
    expect(r.suppressed![0].geometry).toEqual({ type: 'box', x: 41, y: 41, w: 20, h: 20 });
  });

  it('follows the manifest: agnostic, none, maxDetections, no suppressed unless asked', () => {
    const agnostic = decodeYoloV8({ output0: valuesFirst(rows) }, ctx({ classes, nms: 'agnostic' }, identity(100, 100), true));
    expect(agnostic.predictions.map((p) => p.label)).toEqual(['cat']);
    expect(agnostic.suppressed!.map((s) => [s.label, s.extras!.suppressedBy])).toEqual([['dog', 0], ['cat', 0]]);
    const none = decodeYoloV8({ output0: valuesFirst(rows) }, ctx({ classes, nms: 'none' }, identity(100, 100), true));
    expect(none.predictions.map((p) => p.label)).toEqual(['cat', 'dog', 'cat']);
    expect(none.suppressed).toEqual([]);
    const capped = decodeYoloV8({ output0: valuesFirst(rows) }, ctx({ classes, nms: 'none', thresholds: { maxDetections: 1 } }, identity(100, 100)));
    expect(capped.predictions).toHaveLength(1);
    expect(capped.suppressed).toBeUndefined();
  });

  it('undoes the letterbox and clamps to the image', () => {
    // A 200×100 image letterboxed into 100×100: scale 0.5, 25 px of padding above and below.
    const t: InputTransform = { srcWidth: 200, srcHeight: 100, inputWidth: 100, inputHeight: 100, scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 25 };
    const r = decodeYoloV8({ output0: valuesFirst([[50, 50, 20, 20, 0.9, 0], [95, 30, 20, 20, 0, 0.9]]) }, ctx({ classes }, t));
    expect(r.predictions[0].geometry).toEqual({ type: 'box', x: 80, y: 30, w: 40, h: 40 });
    expect(r.predictions[1].geometry).toEqual({ type: 'box', x: 170, y: 0, w: 30, h: 30 });
  });

  it('reads the transposed layout and names a class-count mismatch', () => {
    const a = decodeYoloV8({ output0: valuesFirst(rows) }, ctx({ classes }, identity(100, 100)));
    const b = decodeYoloV8({ output0: candidatesFirst(rows) }, ctx({ classes }, identity(100, 100)));
    expect(b).toEqual(a);
    expect(() => decodeYoloV8({ output0: valuesFirst(rows) }, ctx({ classes: ['a', 'b', 'c'] }, identity(100, 100)))).toThrow(
      /output "output0" has 6 values per candidate, i.e. 2 classes .* but the manifest names 3/,
    );
    const nan = valuesFirst(rows);
    nan.data[4 * 4] = NaN;
    expect(() => decodeYoloV8({ output0: nan }, ctx({ classes }, identity(100, 100)))).toThrow(/contains NaN/);
  });
});

describe('decodeYoloV5', () => {
  it('multiplies objectness by the class probability', () => {
    const out = candidatesFirst([
      [50, 50, 20, 20, 0.5, 0.9, 0.1], // 0.45 cat
      [80, 80, 10, 10, 0.2, 0.1, 1.0], // objectness below the threshold
      [20, 20, 10, 10, 0.9, 0.2, 0.6], // 0.54 dog
    ]);
    const r = decodeYoloV5({ output0: out }, ctx({ decoder: 'yolov5', classes }, identity(100, 100)));
    expect(r.predictions.map((p) => [p.label, p.score])).toEqual([
      ['dog', expect.closeTo(0.54, 6)],
      ['cat', expect.closeTo(0.45, 6)],
    ]);
    expect(r.predictions[0].geometry).toEqual({ type: 'box', x: 15, y: 15, w: 10, h: 10 });
  });
});

describe('decodeYoloV8Seg', () => {
  // One prototype on a 4×4 grid (stride 2 over an 8×8 input): +10 in the left two columns, −10 in the right two.
  const protos: Tensor = { data: Float32Array.from({ length: 16 }, (_, i) => (i % 4 < 2 ? 10 : -10)), dims: [1, 1, 4, 4] };

  it('multiplies coefficients with prototypes, crops to the box and maps to the image', () => {
    // Image 16×16 → input 8×8 (scale 0.5). Rows: cx, cy, w, h, p(cat), p(dog), coefficient.
    const out = valuesFirst([
      [1.5, 4, 3, 8, 0.9, 0, 1], // input x 0..3 → image 0..6: the left half, cropped at 6 columns
      [5, 4, 6, 8, 0, 0.8, -1], // input x 2..8 → image 4..16, coefficient −1 selects the right half
    ]);
    const t: InputTransform = { srcWidth: 16, srcHeight: 16, inputWidth: 8, inputHeight: 8, scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 0 };
    const r = decodeYoloV8Seg({ output0: out, output1: protos }, ctx({ decoder: 'yolov8-seg', kind: 'instance-segmenter', classes }, t, true));
    expect(r.predictions.map((p) => p.kind)).toEqual(['mask', 'mask']);
    const cols = (i: number): number[] => {
      const g = r.predictions[i].geometry;
      if (g.type !== 'mask') throw new Error('not a mask');
      const m = decodeRle(g);
      return [...new Set([...m.keys()].filter((k) => m[k]).map((k) => k % 16))].sort((a, b) => a - b);
    };
    expect(cols(0)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(cols(1)).toEqual([8, 9, 10, 11, 12, 13, 14, 15]);
    expect(r.predictions[1].extras).toEqual({ box: [4, 0, 12, 16] });
    const g = r.predictions[1].geometry;
    expect(g.type === 'mask' && decodeRle(g).reduce((a, b) => a + b, 0)).toBe(8 * 16);
  });

  it('undoes letterbox padding', () => {
    // Image 16×8 → input 8×8: scale 0.5, 2 rows of padding on top. Prototype rows 0–1 are +10 now.
    const rowsProto: Tensor = { data: Float32Array.from({ length: 16 }, (_, i) => (i < 8 ? 10 : -10)), dims: [1, 1, 4, 4] };
    const t: InputTransform = { srcWidth: 16, srcHeight: 8, inputWidth: 8, inputHeight: 8, scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 2 };
    const r = decodeYoloV8Seg({ output0: valuesFirst([[4, 4, 8, 8, 0.9, 0, 1]]), output1: rowsProto }, ctx({ decoder: 'yolov8-seg', classes }, t));
    const g = r.predictions[0].geometry;
    if (g.type !== 'mask') throw new Error('not a mask');
    expect([g.width, g.height]).toEqual([16, 8]);
    const m = decodeRle(g);
    // input rows 0..4 are image rows −4..4: the top four image rows.
    for (let y = 0; y < 8; y++) expect(m.slice(y * 16, y * 16 + 16).every((v) => v === (y < 4 ? 1 : 0))).toBe(true);
  });

  it('names a prototype tensor of the wrong rank', () => {
    expect(() => decodeYoloV8Seg({ output0: valuesFirst([[4, 4, 8, 8, 0.9, 0, 1]]), output1: { data: new Float32Array(16), dims: [16] } }, ctx({ decoder: 'yolov8-seg', classes }, identity(8, 8)))).toThrow(
      /prototype output "output1" is \[16\]/,
    );
  });
});
