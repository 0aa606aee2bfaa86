import { describe, expect, it } from 'vitest';
import type { Geometry, LabelClass, Prediction } from '../../../common/api/contract.js';
import { COMPARE_COLORS, hexToRgb } from '../../canvas/layers/colors.js';
import { prepareSemanticPredictions, semanticCompare, semanticOverlay, type SemanticLabel } from './semantic.js';

// 4 × 2 images throughout. Masks are COCO RLE, column-major: a column is 2 pixels, so [4, 2] skips columns 0-1
// and sets column 2.
const W = 4;
const H = 2;
const IMAGE = { width: W, height: H };
const cls = (id: number, name: string, position = id): LabelClass => ({ id, name, color: '#ff0000', hotkey: null, position, keypoints: null });
const CAT = cls(1, 'cat');
const DOG = cls(2, 'dog');
const mask = (counts: number[], width = W, height = H): Extract<Geometry, { type: 'mask' }> => ({ type: 'mask', width, height, counts });
let nextId = 1;
const pred = (classId: number | null, label: string, geometry: Geometry, extras: Record<string, unknown> = {}): Prediction => ({
  id: nextId++,
  runId: 1,
  imageId: 1,
  classId,
  label,
  kind: geometry.type === 'mask' ? 'mask' : 'polygon',
  geometry,
  score: 0.9,
  extras,
});
const label = (classId: number, geometry: Geometry): SemanticLabel => ({ classId, kind: geometry.type === 'mask' ? 'mask' : 'polygon', geometry });
/** Columns 0-1 as a polygon: pixel centres x 0.5 and 1.5, y 0.5 and 1.5 lie inside. */
const LEFT_HALF: Geometry = { type: 'polygon', points: [0, 0, 2, 0, 2, 2, 0, 2] };

function run(labels: SemanticLabel[], predictions: Prediction[], classes: LabelClass[] = [CAT, DOG]) {
  return semanticCompare(labels, prepareSemanticPredictions(predictions, classes, IMAGE), classes, IMAGE);
}

/** Per pixel (row-major): 't' / 'p' / 'n' for the TP / FP / FN colour, '.' for nothing drawn. */
function drawn(rgba: Uint8ClampedArray): string {
  const tp = hexToRgb(COMPARE_COLORS.tp).join();
  const fp = hexToRgb(COMPARE_COLORS.fp).join();
  const fn = hexToRgb(COMPARE_COLORS.fn).join();
  let s = '';
  for (let y = 0; y < H; y++) {
    if (y) s += '/';
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * 4;
      const c = [rgba[o], rgba[o + 1], rgba[o + 2]].join();
      s += rgba[o + 3] === 0 ? '.' : c === tp ? 't' : c === fp ? 'p' : c === fn ? 'n' : '?';
    }
  }
  return s;
}

describe('semanticCompare, hand-computed 4 × 2 cases', () => {
  // Labels: cat (polygon) on columns 0-1, dog (mask) on column 3. Prediction: cat on columns 0-2, nothing else.
  //   labels  1 1 0 2      predictions  1 1 1 0
  //           1 1 0 2                   1 1 1 0
  // G = [2, 4, 2], P = [2, 6, 0], TP = [0, 4, 0] → IoU bg 0 / 4, cat 4 / 6, dog 0 / 2; mIoU 2 / 9; pixel acc 4 / 8.
  // FP: cat 2 (column 2). FN: dog 2 (column 3). The background's own errors (2 and 2) are the others' FN and FP.
  const c = run([label(1, LEFT_HALF), label(2, mask([6, 2]))], [pred(1, 'cat', mask([0, 6, 2]))]);

  it('gives per-class IoU, mIoU, pixel accuracy and FP / FN pixels', () => {
    expect(c.classes.map((k) => [k.name, k.classId, k.iou, k.fp, k.fn])).toEqual([
      ['background', null, 0, 2, 2],
      ['cat', 1, 4 / 6, 2, 0],
      ['dog', 2, 0, 0, 2],
    ]);
    expect(c.metrics.mIoU).toBeCloseTo(2 / 9, 15);
    expect(c.metrics.pixelAcc).toBe(0.5);
    expect([c.fp, c.fn]).toEqual([2, 2]);
    expect(Array.from(c.labels)).toEqual([1, 1, 0, 2, 1, 1, 0, 2]);
    expect(Array.from(c.predictions)).toEqual([1, 1, 1, 0, 1, 1, 1, 0]);
  });

  it('draws FP and FN pixels in their colours, true positives faint', () => {
    const o = semanticOverlay(c);
    expect(drawn(o.rgba)).toBe('ttpn/ttpn');
    expect(o.counts).toEqual({ tp: 4, fp: 2, fn: 2 });
    expect(o.rgba[3]).toBeLessThan(o.rgba[2 * 4 + 3]); // a TP's alpha is below an FP's
  });

  it('leaves a hidden class out of the overlay, not out of the numbers', () => {
    expect(drawn(semanticOverlay(c, new Set([2])).rgba)).toBe('ttp./ttp.');
    expect(drawn(semanticOverlay(c, new Set([1])).rgba)).toBe('...n/...n');
    expect(semanticOverlay(c, new Set([1, 2])).counts).toEqual({ tp: 0, fp: 0, fn: 0 });
  });

  it("draws a confusion as the prediction's FP, as the label's FN once the predicted class is hidden", () => {
    // Column 2 labeled dog, predicted cat: FP of cat and FN of dog at once.
    const k = run([label(1, LEFT_HALF), label(2, mask([4, 2, 2]))], [pred(1, 'cat', mask([0, 6, 2]))]);
    expect([k.fp, k.fn]).toEqual([2, 2]);
    expect(k.classes.map((x) => [x.name, x.fp, x.fn])).toEqual([
      ['background', 0, 0],
      ['cat', 2, 0],
      ['dog', 0, 2],
    ]);
    expect(drawn(semanticOverlay(k).rgba)).toBe('ttp./ttp.');
    expect(drawn(semanticOverlay(k, new Set([1])).rgba)).toBe('..n./..n.');
  });

  it('leaves the ignore class out: its pixels count nowhere and it is no class of the maps', () => {
    const VOID = cls(3, 'void');
    // void labels column 3, where the prediction says cat: that pixel is neither an FP nor counted at all.
    const k = run([label(1, LEFT_HALF), label(3, mask([6, 2]))], [pred(1, 'cat', mask([0, 8]))], [CAT, VOID]);
    expect(k.classes.map((x) => x.name)).toEqual(['background', 'cat']);
    expect(Array.from(k.labels)).toEqual([1, 1, 0, 255, 1, 1, 0, 255]);
    expect(k.metrics.pixelCount).toBe(6);
    // G = [2, 4], P = [0, 6] (the void column is not counted), TP = [0, 4]: IoU bg 0, cat 4 / 6.
    expect(k.classes.map((x) => [x.iou, x.fp, x.fn])).toEqual([
      [0, 0, 2],
      [4 / 6, 2, 0],
    ]);
    expect(drawn(semanticOverlay(k).rgba)).toBe('ttp./ttp.');
  });

  it('resamples a prediction mask given at the model resolution to the image', () => {
    // A 2 × 1 mask whose left pixel is set: columns 0-1 of the 4 × 2 image.
    const k = run([label(1, LEFT_HALF)], [pred(1, 'cat', mask([0, 1, 1], 2, 1))]);
    expect(Array.from(k.predictions)).toEqual([1, 1, 0, 0, 1, 1, 0, 0]);
    expect(k.metrics.mIoU).toBe(1);
    expect([k.fp, k.fn]).toEqual([0, 0]);
    expect(drawn(semanticOverlay(k).rgba)).toBe('tt../tt..');
  });

  it('reads a model label the project has no class for as no class (a miss), and skips rejected and NMS candidates', () => {
    const k = run(
      [label(1, LEFT_HALF)],
      [pred(1, 'cat', mask([0, 4, 4])), pred(null, 'bird', mask([6, 2])), pred(1, 'cat', mask([4, 2, 2]), { rejected: true }), pred(1, 'cat', mask([4, 2, 2]), { suppressed: true })],
    );
    expect(k.unknownLabels).toEqual(['bird']);
    expect(Array.from(k.predictions)).toEqual([1, 1, 0, 255, 1, 1, 0, 255]);
    // The background's column 3 is predicted as no class: labeled 4, predicted 2, shared 2 → IoU 1 / 2.
    expect(k.classes[0]).toMatchObject({ iou: 0.5, fn: 2, fp: 0 });
    expect(drawn(semanticOverlay(k).rgba)).toBe('tt../tt..');
  });

  it('has no numbers without any labeled pixel, and nothing to draw for an empty image', () => {
    const k = run([], []);
    expect(k.metrics.mIoU).toBe(1); // every pixel is background, predicted background
    expect(semanticOverlay(k).counts).toEqual({ tp: 0, fp: 0, fn: 0 });
  });
});
