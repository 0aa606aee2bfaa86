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
  // Computed inside each test (not at collection time), so that what is tested runs under the test.
  const handCase = () => {
    const acc = new SemanticAccumulator(4);
    acc.add(LABELS, PREDS);
    return { acc, m: acc.result() };
  };

  it('builds the confusion matrix (row = label, column = prediction) without the ignored pixels', () => {
    const { acc, m } = handCase();
    expect(Array.from(acc.confusion)).toEqual([3, 1, 0, 0, 1, 3, 0, 0, 0, 1, 5, 0, 0, 0, 0, 0]);
    expect(m.pixelCount).toBe(14);
  });

  it('gives per-class IoU and accuracy, null for a class seen nowhere', () => {
    const { m } = handCase();
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
    const { m } = handCase();
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

describe('SemanticAccumulator, edges of the counting rules', () => {
  it('says which label value at which pixel is wrong, the class range and the ignore values', () => {
    const tail = 'check numClasses or the ignore option';
    // A label equal to numClasses is one past the last class.
    expect(() => new SemanticAccumulator(3).add(Uint8Array.from([0, 3]), Uint8Array.from([0, 0]))).toThrow(
      `label value 3 at pixel 1 is not a class index (0..2) nor an ignore value (255); ${tail}`,
    );
    expect(() => new SemanticAccumulator(2, { ignore: [254, 255] }).add([1, 0, 7], [0, 0, 0], 'b.png')).toThrow(
      `label value 7 at pixel 2 in b.png is not a class index (0..1) nor an ignore value (254, 255); ${tail}`,
    );
    expect(() => new SemanticAccumulator(2, { ignore: null }).add([255], [0])).toThrow(`label value 255 at pixel 0 is not a class index (0..1) nor an ignore value (none); ${tail}`);
    // Negative labels are no class either.
    expect(() => new SemanticAccumulator(2).add(Int32Array.from([0, -1]), Int32Array.from([0, 0]))).toThrow('label value -1 at pixel 1 is not a class index (0..1)');
  });

  it('needs a positive integer number of classes; one class (background only) is fine', () => {
    expect(() => new SemanticAccumulator(0)).toThrow('numClasses must be a positive integer, got 0');
    expect(() => new SemanticAccumulator(2.5)).toThrow('numClasses must be a positive integer, got 2.5');
    const one = new SemanticAccumulator(1);
    one.add([0, 0, 255], [0, 1, 0]);
    expect(one.result().perClass).toEqual([{ classIndex: 0, truePositives: 1, labeledPixels: 2, predictedPixels: 1, iou: 1 / 2, accuracy: 1 / 2 }]);
  });

  it('accepts an ignore value of numClasses or a negative one, refuses one that is a class index', () => {
    expect(() => new SemanticAccumulator(3, { ignore: 0 })).toThrow('ignore value 0 is also class index 0 of 3');
    expect(() => new SemanticAccumulator(3, { ignore: [7, 2] })).toThrow('ignore value 2 is also class index 2 of 3');
    const atK = new SemanticAccumulator(3, { ignore: 3 });
    atK.add([3, 1, 3], [0, 1, 2]);
    expect(atK.result().pixelCount).toBe(1);
    const negative = new SemanticAccumulator(3, { ignore: -1 });
    negative.add(Int32Array.from([-1, 2]), Int32Array.from([0, 2]));
    expect(negative.result()).toMatchObject({ pixelCount: 1, pixelAcc: 1 });
  });

  it('a prediction outside [0, numClasses) or not an integer is a miss, in no confusion cell', () => {
    // Label 1 everywhere; predictions -1, 3 (= numClasses), 2 and 0.5.
    const a = new SemanticAccumulator(3);
    a.add(Int32Array.from([1, 1, 1]), Int32Array.from([-1, 3, 2]));
    expect(Array.from(a.confusion)).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0]);
    expect(Array.from(a.unpredicted)).toEqual([0, 2, 0]);
    a.add([1], [0.5]);
    expect(Array.from(a.confusion)).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0]);
    expect(Array.from(a.unpredicted)).toEqual([0, 3, 0]);
    const r = a.result();
    expect(r.perClass[1]).toMatchObject({ truePositives: 0, labeledPixels: 4, predictedPixels: 0, iou: 0, accuracy: 0 });
    expect(r.perClass[2]).toMatchObject({ truePositives: 0, labeledPixels: 0, predictedPixels: 1, iou: 0, accuracy: null });
  });

  it('merge adds the confusion matrices and the misses; refuses another class count', () => {
    const a = new SemanticAccumulator(2);
    a.add([0, 1], [255, 1]);
    const b = new SemanticAccumulator(2);
    b.add([1, 0, 1], [255, 0, 0]);
    a.merge(b);
    expect(Array.from(a.confusion)).toEqual([1, 0, 1, 1]);
    expect(Array.from(a.unpredicted)).toEqual([1, 1]);
    // b is left as it was.
    expect(Array.from(b.unpredicted)).toEqual([0, 1]);
    const r = a.result();
    expect(r.perClass.map((c) => c.labeledPixels)).toEqual([2, 3]);
    expect(r.pixelCount).toBe(5);
    expect(r.pixelAcc).toBeCloseTo(2 / 5, 14);
    expect(() => a.merge(new SemanticAccumulator(3))).toThrow('cannot merge 3 classes into 2');
    a.reset();
    expect(Array.from(a.unpredicted)).toEqual([0, 0]);
    expect(Array.from(a.confusion)).toEqual([0, 0, 0, 0]);
  });

  it('frequency-weighted IoU weighs each labeled class IoU by its share of the labels', () => {
    // Labels 0,0,0,1; predictions 0,1,1,1: IoU0 = 1/3, IoU1 = 1/3; fwIoU = 3/4 * 1/3 + 1/4 * 1/3 = 1/3.
    // Labels 0,0,0,1; predictions 0,0,1,1: IoU0 = 2/3, IoU1 = 1/2; fwIoU = 3/4 * 2/3 + 1/4 * 1/2 = 5/8.
    expect(semanticImageMetrics([0, 0, 0, 1], [0, 1, 1, 1], 2).fwIoU).toBeCloseTo(1 / 3, 14);
    expect(semanticImageMetrics([0, 0, 0, 1], [0, 0, 1, 1], 2).fwIoU).toBeCloseTo(5 / 8, 14);
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
