import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.js';
import { SemanticAccumulator, semanticImageMetrics, semanticMetricsFromConfusion } from './semantic.js';

// A 4x4 image, classes 0..2 (a 4th class, index 3, appears nowhere), 255 = ignore.
//
//   labels          predictions
//   0 0 1 1         0 1 1 1
//   0 0 1 1         0 0 1 0
//   2 2 . .         2 2 0 2      (. = 255: skipped whatever is predicted there)
//   2 2 2 2         1 2 2 2
//
// Counted pixels: 14. Confusion (row = label, column = prediction):
//   label 0: 3 x0, 1 x1        -> G0 = 4
//   label 1: 1 x0, 3 x1        -> G1 = 4
//   label 2: 1 x1, 5 x2        -> G2 = 6
//   predicted: P0 = 4, P1 = 5, P2 = 5
// IoU0 = 3 / (4 + 4 - 3) = 3/5, IoU1 = 3 / (4 + 5 - 3) = 1/2, IoU2 = 5 / (6 + 5 - 5) = 5/6, IoU3 = none.
// mIoU = (3/5 + 1/2 + 5/6) / 3 = 29/45 (class 3 left out, not counted as 0).
// pixelAcc = (3 + 3 + 5) / 14 = 11/14. accuracy = 3/4, 3/4, 5/6 -> meanAcc = 7/9.
// fwIoU = 4/14 * 3/5 + 4/14 * 1/2 + 6/14 * 5/6 = 47/70.
const LABELS = Uint8Array.from([0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 255, 255, 2, 2, 2, 2]);
const PREDS = Uint8Array.from([0, 1, 1, 1, 0, 0, 1, 0, 2, 2, 0, 2, 1, 2, 2, 2]);

describe('SemanticAccumulator, hand-computed 4x4 case', () => {
  const acc = new SemanticAccumulator(4);
  acc.add(LABELS, PREDS);
  const m = acc.result();

  it('builds the confusion matrix (row = label, column = prediction) without the ignored pixels', () => {
    expect(Array.from(acc.confusion)).toEqual([3, 1, 0, 0, 1, 3, 0, 0, 0, 1, 5, 0, 0, 0, 0, 0]);
    expect(m.pixelCount).toBe(14);
  });

  it('gives per-class IoU and accuracy, null for a class seen nowhere', () => {
    expect(m.perClass.map((c) => c.iou)).toEqual([3 / 5, 1 / 2, 5 / 6, null]);
    expect(m.perClass.map((c) => c.accuracy)).toEqual([3 / 4, 3 / 4, 5 / 6, null]);
    expect(m.perClass.map((c) => [c.truePositives, c.labeledPixels, c.predictedPixels])).toEqual([
      [3, 4, 4],
      [3, 4, 5],
      [5, 6, 5],
      [0, 0, 0],
    ]);
  });

  it('gives mIoU, pixel accuracy, mean accuracy and frequency-weighted IoU', () => {
    expect(m.mIoU).toBeCloseTo(29 / 45, 14);
    expect(m.pixelAcc).toBeCloseTo(11 / 14, 14);
    expect(m.meanAcc).toBeCloseTo(7 / 9, 14);
    expect(m.fwIoU).toBeCloseTo(47 / 70, 14);
  });

  it('counts a class only predicted as IoU 0 in the mean', () => {
    // Class 3 predicted on one pixel labeled 2 (was a TP of 2): IoU3 = 0 / (0 + 1 - 0) = 0 now counts, and
    // IoU2 = 4 / (6 + 4 - 4) = 2/3.
    const p = PREDS.slice();
    p[15] = 3;
    const r = semanticImageMetrics(LABELS, p, 4);
    expect(r.perClass[3].iou).toBe(0);
    expect(r.perClass[3].accuracy).toBeNull();
    expect(r.perClass[2].iou).toBeCloseTo(2 / 3, 14);
    expect(r.mIoU).toBeCloseTo((3 / 5 + 1 / 2 + 2 / 3 + 0) / 4, 14);
  });

  it('treats an out-of-range prediction as a miss of the label class and a false positive of none', () => {
    const p = PREDS.slice();
    p[0] = 255; // labeled 0, predicted "void"
    const r = semanticImageMetrics(LABELS, p, 4);
    expect(r.perClass[0]).toMatchObject({ truePositives: 2, labeledPixels: 4, predictedPixels: 3, iou: 2 / 5 });
    expect(r.pixelCount).toBe(14);
    expect(r.pixelAcc).toBeCloseTo(10 / 14, 14);
  });
});

describe('SemanticAccumulator, rules and errors', () => {
  it('skips several ignore values, or none', () => {
    const labels = Uint16Array.from([0, 1, 254, 255]);
    const preds = Uint16Array.from([0, 1, 1, 1]);
    const a = new SemanticAccumulator(2, { ignore: [254, 255] });
    a.add(labels, preds);
    expect(a.result().pixelAcc).toBe(1);
    const b = new SemanticAccumulator(2, { ignore: null });
    expect(() => b.add(labels, preds, 'img.png')).toThrow(/label value 254 at pixel 2 in img\.png/);
  });

  it('refuses an ignore value that is also a class index, and maps of different sizes', () => {
    expect(() => new SemanticAccumulator(300)).toThrow(/ignore value 255 is also class index 255/);
    expect(() => new SemanticAccumulator(300, { ignore: 65535 })).not.toThrow();
    expect(() => new SemanticAccumulator(3).add(new Uint8Array(4), new Uint8Array(5))).toThrow(/same size/);
    expect(() => new SemanticAccumulator(0)).toThrow(RangeError);
  });

  it('returns null aggregates when nothing was counted', () => {
    const a = new SemanticAccumulator(3);
    a.add(Uint8Array.from([255, 255]), Uint8Array.from([0, 1]));
    const r = a.result();
    expect(r).toMatchObject({ pixelCount: 0, mIoU: null, pixelAcc: null, meanAcc: null, fwIoU: null });
  });

  it('accepts plain number arrays and rejects non-integer labels in them', () => {
    expect(semanticImageMetrics([0, 1, 1], [0, 1, 0], 2).pixelAcc).toBeCloseTo(2 / 3, 14);
    expect(() => semanticImageMetrics([0, 0.5], [0, 0], 2)).toThrow(/label value 0.5/);
  });

  it('recomputes the same numbers from the confusion matrix alone', () => {
    const a = new SemanticAccumulator(4);
    a.add(LABELS, PREDS);
    expect(semanticMetricsFromConfusion(a.confusion, 4)).toEqual(a.result());
    expect(() => semanticMetricsFromConfusion([1, 2, 3], 2)).toThrow(/2x2/);
  });
});

describe('SemanticAccumulator, properties', () => {
  const rand = mulberry32(9);
  const numClasses = 6;
  const images = Array.from({ length: 12 }, () => {
    const n = 50 + Math.floor(rand() * 200);
    const labels = new Uint8Array(n);
    const preds = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = rand() < 0.1 ? 255 : Math.floor(rand() * numClasses);
      preds[i] = rand() < 0.6 ? labels[i] % numClasses : Math.floor(rand() * numClasses);
    }
    return { labels, preds };
  });

  it('perfect predictions give 1 everywhere it is defined', () => {
    const a = new SemanticAccumulator(numClasses + 1);
    for (const im of images) a.add(im.labels, im.labels.map((v) => (v === 255 ? 0 : v)));
    const r = a.result();
    expect(r.mIoU).toBe(1);
    expect(r.pixelAcc).toBe(1);
    expect(r.meanAcc).toBe(1);
    expect(r.fwIoU).toBeCloseTo(1, 14);
    expect(r.perClass[numClasses].iou).toBeNull(); // the extra class appears nowhere
  });

  it('the order of images does not change anything, and merging accumulators equals one accumulator', () => {
    const forward = new SemanticAccumulator(numClasses);
    for (const im of images) forward.add(im.labels, im.preds);
    const shuffled = [...images];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    const backward = new SemanticAccumulator(numClasses);
    for (const im of shuffled) backward.add(im.labels, im.preds);
    expect(backward.result()).toEqual(forward.result());

    const left = new SemanticAccumulator(numClasses);
    const right = new SemanticAccumulator(numClasses);
    images.forEach((im, i) => (i % 2 ? left : right).add(im.labels, im.preds));
    left.merge(right);
    expect(left.result()).toEqual(forward.result());
    left.reset();
    expect(left.result().pixelCount).toBe(0);
  });

  it('pools pixels: the corpus mIoU is not the mean of per-image mIoUs', () => {
    const all = new SemanticAccumulator(numClasses);
    for (const im of images) all.add(im.labels, im.preds);
    const perImage = images.map((im) => semanticImageMetrics(im.labels, im.preds, numClasses).mIoU as number);
    const meanOfImages = perImage.reduce((s, v) => s + v, 0) / perImage.length;
    expect(Math.abs((all.result().mIoU as number) - meanOfImages)).toBeGreaterThan(1e-6);
  });
});
