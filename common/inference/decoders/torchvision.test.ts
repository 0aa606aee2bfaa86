import { describe, expect, it } from 'vitest';
import { decodeRle } from '../../geometry/rle.js';
import { ModelManifest, type ModelManifestInput } from '../manifest.js';
import type { InputTransform, Tensor } from '../types.js';
import { decodeTorchvisionDetection, decodeTorchvisionMaskRcnn } from './torchvision.js';
import type { DecodeContext } from './types.js';

const identity = (w: number, h: number): InputTransform => ({ srcWidth: w, srcHeight: h, inputWidth: w, inputHeight: h, scaleX: 1, scaleY: 1, padX: 0, padY: 0 });

function ctx(m: Partial<ModelManifestInput>, transform: InputTransform): DecodeContext {
  const manifest = ModelManifest.parse({ name: 'tv', kind: 'detector', decoder: 'torchvision-detection', files: { model: 'm.onnx' }, input: {}, nms: 'none', labelOffset: 1, classes: ['cat', 'dog'], ...m });
  return { manifest, transform, thresholds: manifest.thresholds };
}

const boxes: Tensor = { data: Float32Array.from([10, 20, 30, 40, 0, 0, 5, 5, 50, 50, 100, 90]), dims: [3, 4] };
const labels: Tensor = { data: BigInt64Array.from([2n, 1n, 1n]), dims: [3] };
const scores: Tensor = { data: Float32Array.from([0.9, 0.1, 0.6]), dims: [3] };

describe('decodeTorchvisionDetection', () => {
  it('reads boxes, labels and scores by name and maps labels through labelOffset', () => {
    const r = decodeTorchvisionDetection({ boxes, labels, scores }, ctx({}, identity(100, 100)));
    expect(r.predictions).toEqual([
      { kind: 'box', classIndex: 1, label: 'dog', score: expect.closeTo(0.9, 6), geometry: { type: 'box', x: 10, y: 20, w: 20, h: 20 } },
      { kind: 'box', classIndex: 0, label: 'cat', score: expect.closeTo(0.6, 6), geometry: { type: 'box', x: 50, y: 50, w: 50, h: 40 } },
    ]);
  });

  it('tells labels from scores by dtype whatever the order (SSD: boxes, scores, labels)', () => {
    const c = ctx({}, { srcWidth: 200, srcHeight: 200, inputWidth: 100, inputHeight: 100, scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 0 });
    const rcnn = decodeTorchvisionDetection({ '3510': boxes, '3508': labels, '3509': scores }, c);
    const ssd = decodeTorchvisionDetection({ a: boxes, b: scores, c: labels }, c);
    const batched = decodeTorchvisionDetection({ a: { ...boxes, dims: [1, 3, 4] }, b: { ...scores, dims: [1, 3] }, c: { ...labels, dims: [1, 3] } }, c);
    expect(ssd).toEqual(rcnn);
    expect(batched).toEqual(rcnn);
    expect(rcnn.predictions.map((p) => p.label)).toEqual(['dog', 'cat']);
    expect(rcnn.predictions[0].geometry).toEqual({ type: 'box', x: 20, y: 40, w: 40, h: 40 });
  });

  it('follows the manifest mapping and names what is wrong', () => {
    const r = decodeTorchvisionDetection({ dets: boxes, cls: labels, conf: scores }, ctx({ outputs: { boxes: 'dets', labels: 'cls', scores: 'conf' }, thresholds: { score: 0.05, maxDetections: 2 } }, identity(100, 100)));
    expect(r.predictions.map((p) => p.score)).toEqual([expect.closeTo(0.9, 6), expect.closeTo(0.6, 6)]);
    expect(() => decodeTorchvisionDetection({ boxes, labels, scores: { data: new Float32Array(2), dims: [2] } }, ctx({}, identity(100, 100)))).toThrow(
      /outputs disagree: "boxes" \[3, 4\], "labels" \[3\], "scores" \[2\]/,
    );
    expect(() => decodeTorchvisionDetection({ a: boxes, b: scores }, ctx({}, identity(100, 100)))).toThrow(/no output looks like torchvision's "labels"/);
    const nan = { data: Float32Array.from([NaN, 0.1, 0.6]), dims: [3] };
    expect(() => decodeTorchvisionDetection({ boxes, labels, scores: nan }, ctx({}, identity(100, 100)))).toThrow(/"scores" contains NaN/);
  });
});

describe('decodeTorchvisionMaskRcnn', () => {
  // Two detections on a 4×4 input; mask 0 is a 2×2 block at (1..2, 1..2), mask 1 a soft column below threshold.
  const mBoxes: Tensor = { data: Float32Array.from([1, 1, 3, 3, 0, 0, 4, 4]), dims: [2, 4] };
  const mLabels: Tensor = { data: BigInt64Array.from([1n, 2n]), dims: [2] };
  const mScores: Tensor = { data: Float32Array.from([0.95, 0.5]), dims: [2] };
  const masks = new Float32Array(2 * 16);
  for (const [x, y] of [[1, 1], [2, 1], [1, 2], [2, 2]]) masks[y * 4 + x] = 1;
  for (let y = 0; y < 4; y++) masks[16 + y * 4 + 3] = 0.4;
  const outputs = { boxes: mBoxes, labels: mLabels, scores: mScores, masks: { data: masks, dims: [2, 1, 4, 4] } };

  it('thresholds masks at input size when the image is the input', () => {
    const r = decodeTorchvisionMaskRcnn(outputs, ctx({ decoder: 'torchvision-maskrcnn', kind: 'instance-segmenter' }, identity(4, 4)));
    expect(r.predictions.map((p) => p.kind)).toEqual(['mask', 'mask']);
    const g0 = r.predictions[0].geometry;
    expect(g0).toEqual({ type: 'mask', width: 4, height: 4, counts: [5, 2, 2, 2, 5] });
    expect(r.predictions[0].extras).toEqual({ box: [1, 1, 2, 2] });
    const g1 = r.predictions[1].geometry;
    expect(g1).toEqual({ type: 'mask', width: 4, height: 4, counts: [16] });
    expect(r.extras).toBeUndefined();
  });

  it("keeps mask cells strictly above the default threshold of 0.5 (manifest without thresholds, or with others only)", () => {
    // Values each side of 0.5, close enough that a default of 0.45 or 0.55 (or >= for >) would classify one differently.
    const values = [0.45, 0.49, 0.5, 0.51, 0.55, 0.499, 0.501];
    const w = values.length;
    const map = new Float32Array(w * 2);
    map.set(values);
    const one = (m: Partial<ModelManifestInput>) => {
      const c = ctx({ decoder: 'torchvision-maskrcnn', kind: 'instance-segmenter', ...m }, identity(w, 2));
      const r = decodeTorchvisionMaskRcnn(
        { boxes: { data: Float32Array.from([0, 0, w, 1]), dims: [1, 4] }, labels: { data: BigInt64Array.from([1n]), dims: [1] }, scores: { data: Float32Array.from([0.9]), dims: [1] }, masks: { data: map, dims: [1, 1, 2, w] } },
        c,
      );
      const g = r.predictions[0].geometry;
      if (g.type !== 'mask') throw new Error('not a mask');
      return { threshold: c.thresholds.mask, row: Array.from(decodeRle(g).subarray(0, w)), rest: decodeRle(g).subarray(w).reduce((a, b) => a + b, 0) };
    };
    for (const m of [{}, { thresholds: { score: 0.3 } }, { thresholds: { iou: 0.7, maxDetections: 5 } }]) {
      expect(one(m), JSON.stringify(m)).toEqual({ threshold: 0.5, row: [0, 0, 0, 1, 1, 0, 1], rest: 0 });
    }
    // A manifest's own threshold is followed.
    expect(one({ thresholds: { mask: 0.46 } }).row).toEqual([0, 1, 1, 1, 1, 1, 1]);
  });

  it('upsamples into a larger image and returns the proposals in image pixels', () => {
    const t: InputTransform = { srcWidth: 8, srcHeight: 8, inputWidth: 4, inputHeight: 4, scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 0 };
    const proposals: Tensor = { data: Float32Array.from([0, 0, 1, 1, 0.5, 1, 4, 3.333333]), dims: [2, 4] };
    const r = decodeTorchvisionMaskRcnn({ ...outputs, proposals }, ctx({ decoder: 'torchvision-maskrcnn', thresholds: { mask: 0.5, score: 0.9 } }, t));
    expect(r.predictions).toHaveLength(1);
    const g = r.predictions[0].geometry;
    if (g.type !== 'mask') throw new Error('not a mask');
    const m = decodeRle(g);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) expect(m[y * 8 + x]).toBe(x >= 2 && x <= 5 && y >= 2 && y <= 5 ? 1 : 0);
    expect(r.extras).toEqual({ proposals: [[0, 0, 2, 2], [1, 2, 7, 4.67]] });
  });

  it('follows a mask that spreads beyond its box', () => {
    // 20×20 input, box (0,0)–(2,2), mask cells 3..15 in both axes: the search around the box meets its edge.
    const big = new Float32Array(400);
    for (let y = 3; y <= 15; y++) for (let x = 3; x <= 15; x++) big[y * 20 + x] = 0.9;
    const r = decodeTorchvisionMaskRcnn(
      { boxes: { data: Float32Array.from([0, 0, 2, 2]), dims: [1, 4] }, labels: { data: BigInt64Array.from([1n]), dims: [1] }, scores: { data: Float32Array.from([0.9]), dims: [1] }, masks: { data: big, dims: [1, 1, 20, 20] } },
      ctx({ decoder: 'torchvision-maskrcnn' }, identity(20, 20)),
    );
    const g = r.predictions[0].geometry;
    expect(g.type === 'mask' && decodeRle(g).reduce((a, b) => a + b, 0)).toBe(13 * 13);
  });

  it('drops mask pixels that fall in the padding', () => {
    // Input 4×4, image 4×2 letterboxed with one padding row above and below; mask only in the bottom pad row.
    const pad = new Float32Array(16);
    pad.fill(1, 12, 16);
    const t: InputTransform = { srcWidth: 4, srcHeight: 2, inputWidth: 4, inputHeight: 4, scaleX: 1, scaleY: 1, padX: 0, padY: 1 };
    const r = decodeTorchvisionMaskRcnn(
      { boxes: { data: Float32Array.from([0, 3, 4, 4]), dims: [1, 4] }, labels: { data: BigInt64Array.from([1n]), dims: [1] }, scores: { data: Float32Array.from([0.9]), dims: [1] }, masks: { data: pad, dims: [1, 1, 4, 4] } },
      ctx({ decoder: 'torchvision-maskrcnn' }, t),
    );
    expect(r.predictions[0].geometry).toEqual({ type: 'mask', width: 4, height: 2, counts: [8] });
  });

  it('names a masks tensor that does not match the detections', () => {
    expect(() => decodeTorchvisionMaskRcnn({ ...outputs, masks: { data: masks, dims: [1, 2, 4, 4] } }, ctx({ decoder: 'torchvision-maskrcnn' }, identity(4, 4)))).toThrow(
      /output "masks" is \[1, 2, 4, 4\]; Mask R-CNN masks are \[2, 1, H, W\]/,
    );
  });
});
