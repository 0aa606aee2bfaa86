import { describe, expect, it } from 'vitest';
import { thresholdWindow } from '../../geometry/raster.js';
import { decodeRle, encodeRleWindow } from '../../geometry/rle.js';
import { mulberry32 } from '../../random.js';
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

describe('YOLO tables: layouts, thresholds and what is refused', () => {
  const c = (m: Partial<ModelManifestInput> = {}) => ctx({ classes, thresholds: { score: 0.5 }, nms: 'none', ...m }, identity(100, 100));

  it('keeps a score equal to the threshold and reads [N, V] without the batch axis', () => {
    const r = decodeYoloV8({ output0: valuesFirst([[50, 50, 20, 20, 0.5, 0.1], [50, 50, 10, 10, 0.2, 0.49]]) }, c());
    expect(r.predictions.map((p) => [p.label, p.score])).toEqual([['cat', 0.5]]);
    const flat = valuesFirst([[50, 50, 20, 20, 0.5, 0.1]]);
    expect(decodeYoloV8({ output0: { ...flat, dims: [6, 1] } }, c()).predictions).toHaveLength(1);
    // A batch of two is not a table.
    expect(() => decodeYoloV8({ output0: { data: new Float32Array(12), dims: [2, 6, 1] } }, c())).toThrow(
      'test: output "output0" is [2, 6, 1]; YOLOv8 emits [1, 4 + C, N]',
    );
    expect(() => decodeYoloV8({ output0: { data: new Float32Array(6), dims: [6] } }, c())).toThrow('test: output "output0" is [6]; YOLOv8 emits [1, 4 + C, N]');
    expect(() => decodeYoloV5({ output0: { data: new Float32Array(7), dims: [7] } }, c({ decoder: 'yolov5' }))).toThrow('test: output "output0" is [7]; YOLOv5 emits [1, N, 5 + C]');
    expect(() => decodeYoloV8({ output0: { data: new BigInt64Array(6), dims: [1, 6, 1] } }, c())).toThrow('test: output "output0" holds integers; YOLOv8 emits [1, 4 + C, N]');
    expect(() => decodeYoloV8Seg({ output0: { data: new Float32Array(7), dims: [7] }, output1: { data: new Float32Array(1), dims: [1, 1, 1, 1] } }, c({ decoder: 'yolov8-seg' }))).toThrow(
      'test: output "output0" is [7]; YOLOv8 emits [1, 4 + C + M, N]',
    );
  });

  it('finds the output by role mapping, default name or position', () => {
    const t = valuesFirst([[50, 50, 20, 20, 0.9, 0.1]]);
    expect(decodeYoloV8({ other: t }, c()).predictions).toHaveLength(1);
    expect(decodeYoloV8({ junk: { data: new Float32Array(1), dims: [1] }, output0: t }, c()).predictions).toHaveLength(1);
    expect(decodeYoloV8({ dets: t, output0: { data: new Float32Array(1), dims: [1] } }, c({ outputs: { predictions: 'dets' } })).predictions).toHaveLength(1);
    const v5 = candidatesFirst([[50, 50, 20, 20, 0.9, 0.9, 0.1]]);
    expect(decodeYoloV5({ junk: { data: new Float32Array(1), dims: [1] }, output0: v5 }, c({ decoder: 'yolov5' })).predictions).toHaveLength(1);
  });

  it('reads the layout the manifest classes fit; without classes, the longer axis is the candidates', () => {
    // Six candidates of six values: square, so the named classes cannot tell; values first.
    const sq = Array.from({ length: 6 }, (_, i) => [10 + i * 10, 50, 4, 4, i === 2 ? 0.9 : 0.1, 0.2]);
    expect(decodeYoloV8({ output0: valuesFirst(sq) }, c()).predictions.map((p) => p.geometry.type === 'box' && p.geometry.x)).toEqual([28]);
    // Two candidates of six values laid out [1, N, V]: [1, 2, 6]. With two classes named, 6 = 4 + 2 values: flipped.
    const two = [[50, 50, 20, 20, 0.9, 0.1], [20, 20, 10, 10, 0.1, 0.8]];
    expect(decodeYoloV8({ output0: candidatesFirst(two) }, c()).predictions.map((p) => p.label)).toEqual(['cat', 'dog']);
    // Without classes: [1, 2, 6] has fewer rows than columns, so it is read values first: 2 values is not enough.
    expect(() => decodeYoloV8({ output0: candidatesFirst(two) }, c({ classes: [] }))).toThrow(
      'test: output "output0" has 2 values per candidate; [1, 4 + C, N] needs more than 4',
    );
    // Without classes, a tall [1, N, V] is flipped: 6 values, 2 classes, labelled by index.
    const tall = Array.from({ length: 7 }, (_, i) => [10 + i * 10, 50, 4, 4, i === 3 ? 0.9 : 0.1, 0.2]);
    expect(decodeYoloV8({ output0: candidatesFirst(tall) }, c({ classes: [] })).predictions.map((p) => [p.label, p.classIndex])).toEqual([['0', 0]]);
    expect(() => decodeYoloV8({ output0: valuesFirst(Array.from({ length: 5 }, () => [1, 2, 3, 4])) }, c({ classes: [] }))).toThrow(
      'test: output "output0" has 4 values per candidate; [1, 4 + C, N] needs more than 4',
    );
    expect(() => decodeYoloV5({ output0: candidatesFirst([[1, 2, 3, 4, 5]]) }, c({ decoder: 'yolov5', classes: [] }))).toThrow(
      'test: output "output0" has 5 values per candidate; [1, N, 5 + C] needs more than 5',
    );
    expect(() => decodeYoloV5({ output0: candidatesFirst([[1, 2, 3, 4, 5, 6]]) }, c({ decoder: 'yolov5' }))).toThrow(
      'test: output "output0" has 6 values per candidate, i.e. 1 classes in [1, N, 5 + C], but the manifest names 2',
    );
  });

  it('refuses NaN objectness or class scores and a box that is not finite, naming the candidate', () => {
    expect(() => decodeYoloV5({ output0: candidatesFirst([[50, 50, 20, 20, NaN, 0.9, 0.1]]) }, c({ decoder: 'yolov5' }))).toThrow('test: output "output0" contains NaN');
    expect(() => decodeYoloV8({ output0: valuesFirst([[50, 50, 20, 20, 0.9, NaN]]) }, c())).toThrow('test: output "output0" contains NaN');
    expect(() => decodeYoloV8({ output0: valuesFirst([[50, 50, 20, 20, NaN, 0.9]]) }, c())).toThrow('test: output "output0" contains NaN');
    for (const k of [0, 1, 2, 3]) {
      const row = [50, 50, 20, 20, 0.9, 0.1];
      row[k] = k % 2 ? -Infinity : Infinity;
      expect(() => decodeYoloV8({ output0: valuesFirst([[50, 50, 20, 20, 0.1, 0.1], row]) }, c())).toThrow(
        'test: output "output0" has a box that is not finite (candidate 1)',
      );
    }
    // A weak candidate is not looked at.
    expect(decodeYoloV8({ output0: valuesFirst([[NaN, 50, 20, 20, 0.1, 0.1]]) }, c()).predictions).toEqual([]);
  });
});

describe('YOLOv8-seg masks against a plain reference', () => {
  /**
   * The reference: every prototype cell's sigmoid(coefficients · prototypes), then the image pixels of the box
   * sampled bilinearly from that full map. The decoder computes only the cells its boxes read.
   */
  function reference(rowsIn: number[][], protos: Float32Array, m: number, hp: number, wp: number, tr: InputTransform, thr: number, nc: number) {
    return rowsIn.map((r) => {
      const coeff = r.slice(4 + nc, 4 + nc + m);
      const prob = new Float32Array(wp * hp);
      for (let i = 0; i < wp * hp; i++) {
        let s = 0;
        for (let j = 0; j < m; j++) s += coeff[j] * protos[j * wp * hp + i];
        prob[i] = 1 / (1 + Math.exp(-s));
      }
      const [cx, cy, w, h] = r;
      const bx = Math.min(tr.srcWidth, Math.max(0, (cx - w / 2 - tr.padX) / tr.scaleX));
      const by = Math.min(tr.srcHeight, Math.max(0, (cy - h / 2 - tr.padY) / tr.scaleY));
      const bx2 = Math.min(tr.srcWidth, Math.max(0, (cx + w / 2 - tr.padX) / tr.scaleX));
      const by2 = Math.min(tr.srcHeight, Math.max(0, (cy + h / 2 - tr.padY) / tr.scaleY));
      const x0 = Math.max(0, Math.ceil(bx - 0.5)), x1 = Math.min(tr.srcWidth - 1, Math.floor(bx2 - 0.5));
      const y0 = Math.max(0, Math.ceil(by - 0.5)), y1 = Math.min(tr.srcHeight - 1, Math.floor(by2 - 0.5));
      const ww = Math.max(0, x1 - x0 + 1), hh = Math.max(0, y1 - y0 + 1);
      const affine = { sx: (tr.scaleX * wp) / tr.inputWidth, ox: (tr.padX * wp) / tr.inputWidth, sy: (tr.scaleY * hp) / tr.inputHeight, oy: (tr.padY * hp) / tr.inputHeight };
      const win = ww && hh ? thresholdWindow(prob, wp, hp, affine, x0, y0, ww, hh, thr) : new Uint8Array(0);
      return encodeRleWindow(win, ww && hh ? x0 : 0, ww && hh ? y0 : 0, ww, hh, tr.srcWidth, tr.srcHeight);
    });
  }

  it('matches it on random prototypes, coefficients, boxes and letterboxes', () => {
    const rand = mulberry32(13);
    for (let trial = 0; trial < 12; trial++) {
      const m = 1 + (trial % 3), hp = 6 + (trial % 4), wp = 5 + ((trial * 3) % 5);
      const inputW = wp * 4, inputH = hp * 4;
      // An image letterboxed into the input: scaled to fit, padding on one axis.
      const srcW = 10 + Math.floor(rand() * 30), srcH = 10 + Math.floor(rand() * 30);
      const scale = Math.min(inputW / srcW, inputH / srcH);
      const tr: InputTransform = { srcWidth: srcW, srcHeight: srcH, inputWidth: inputW, inputHeight: inputH, scaleX: scale, scaleY: scale, padX: (inputW - srcW * scale) / 2, padY: (inputH - srcH * scale) / 2 };
      const protos = Float32Array.from({ length: m * hp * wp }, () => rand() * 8 - 4);
      const nc = 2;
      const rowsIn = Array.from({ length: 4 }, (_, i) => {
        const w = 2 + rand() * inputW * 0.6, h = 2 + rand() * inputH * 0.6;
        return [rand() * inputW, rand() * inputH, w, h, i === 3 ? 0.55 : 0.9 - i * 0.1, 0.05, ...Array.from({ length: m }, () => rand() * 2 - 1)];
      });
      const r = decodeYoloV8Seg(
        { output0: valuesFirst(rowsIn), output1: { data: protos, dims: [1, m, hp, wp] } },
        ctx({ decoder: 'yolov8-seg', kind: 'instance-segmenter', classes, nms: 'none', thresholds: { score: 0.5, mask: 0.5 } }, tr),
      );
      const expected = reference(rowsIn, protos, m, hp, wp, tr, 0.5, nc);
      expect(r.predictions.map((p) => p.geometry), `trial ${trial}`).toEqual(expected.map((e) => ({ type: 'mask', ...e })));
      expect(r.predictions.map((p) => p.score)).toEqual(rowsIn.map((row) => Math.fround(row[4])));
    }
  });

  it('names the prototype output by rank and batch, and reads it by its role', () => {
    const out = valuesFirst([[4, 4, 8, 8, 0.9, 0, 1]]);
    const c = ctx({ decoder: 'yolov8-seg', classes }, identity(8, 8));
    expect(() => decodeYoloV8Seg({ output0: out, output1: { data: new Float32Array(32), dims: [2, 1, 4, 4] } }, c)).toThrow(
      'test: prototype output "output1" is [2, 1, 4, 4]; expected [1, M, Hp, Wp]',
    );
    expect(() => decodeYoloV8Seg({ output0: out, output1: { data: new Float32Array(16), dims: [1, 4, 4] } }, c)).toThrow(
      'test: prototype output "output1" is [1, 4, 4]; expected [1, M, Hp, Wp]',
    );
    const protos = { data: new Float32Array(16).fill(5), dims: [1, 1, 4, 4] };
    const byRole = decodeYoloV8Seg({ p: protos, o: out }, ctx({ decoder: 'yolov8-seg', classes, outputs: { predictions: 'o', protos: 'p' } }, identity(8, 8)));
    expect(byRole.predictions[0].geometry).toEqual({ type: 'mask', width: 8, height: 8, counts: [0, 64] });
    // Suppressed candidates come back as boxes only when asked.
    expect(decodeYoloV8Seg({ output0: out, output1: protos }, c).suppressed).toBeUndefined();
  });
});
