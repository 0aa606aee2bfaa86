/**
 * The class-index maps the evaluation and the compare view both build for one image (semanticMaps.ts): the class
 * list without the ignore class, labels (masks and polygons) and predictions (masks only, resampled), and the
 * image's own numbers. Expected maps are drawn by hand below; masks are written row-major and encoded to RLE.
 */
import { describe, expect, it } from 'vitest';
import type { Geometry } from '../api/contract.js';
import { encodeRle } from '../geometry/rle.js';
import { IGNORE_CLASS_NAME, semanticClassList, semanticLabelMap, semanticMapMetrics, semanticPredictionMap, type SemanticObject } from './semanticMaps.js';

/** A row-major 0/1 mask as the mask geometry (RLE, column-major counts). */
function mask(rows: number[][]): Geometry {
  const height = rows.length, width = rows[0].length;
  return { type: 'mask', ...encodeRle(rows.flat(), width, height) };
}

/** An axis-aligned rectangle polygon with integer corners: it covers exactly the pixels inside it. */
function rect(x0: number, y0: number, x1: number, y1: number): Geometry {
  return { type: 'polygon', points: [x0, y0, x1, y0, x1, y1, x0, y1] };
}

const SIZE = { width: 4, height: 3 };
// cat → 1, dog → 2 (places in `names` + 1); "void" is the ignore class: 255.
const LIST = semanticClassList(['cat', 'void', 'dog']);
const N = 255;

describe('IGNORE_CLASS_NAME', () => {
  it('matches ignore, void and __ignore__ in any case', () => {
    for (const n of ['ignore', 'void', '__ignore__', 'Ignore', 'VOID', '__IGNORE__']) expect(IGNORE_CLASS_NAME.test(n), n).toBe(true);
  });

  it('matches the whole name only', () => {
    for (const n of ['ignored', 'voids', 'avoid', 'my void', 'void ', ' ignore', '_ignore_', '__ignore', 'ignore__', 'ignorevoid', '', 'cat']) {
      expect(IGNORE_CLASS_NAME.test(n), JSON.stringify(n)).toBe(false);
    }
  });
});

describe('semanticClassList', () => {
  it('leaves the ignore class out of the names and numbers the rest in project order', () => {
    expect(LIST.ignoreClass).toBe('void');
    expect(LIST.names).toEqual(['cat', 'dog']);
    expect([...LIST.classIndex]).toEqual([
      ['cat', 0],
      ['dog', 1],
    ]);
    // Background + cat + dog.
    expect(LIST.numClasses).toBe(3);
  });

  it('keeps every class when the project has no ignore class', () => {
    const l = semanticClassList(['b', 'a', 'c']);
    expect(l.ignoreClass).toBeUndefined();
    expect(l.names).toEqual(['b', 'a', 'c']);
    expect(l.classIndex.get('b')).toBe(0);
    expect(l.classIndex.get('c')).toBe(2);
    expect(l.numClasses).toBe(4);
  });

  it('finds the ignore class whatever its case and place', () => {
    const l = semanticClassList(['__Ignore__', 'x']);
    expect(l.ignoreClass).toBe('__Ignore__');
    expect(l.names).toEqual(['x']);
    expect(l.classIndex.has('__Ignore__')).toBe(false);
    expect(l.numClasses).toBe(2);
  });

  it('an empty project has only the background', () => {
    const l = semanticClassList([]);
    expect(l).toEqual({ names: [], classIndex: new Map(), ignoreClass: undefined, numClasses: 1 });
  });
});

describe('semanticLabelMap', () => {
  it('paints polygons and masks with class index + 1, the ignore class 255, and leaves the rest background', () => {
    const labels: SemanticObject[] = [
      { class: 'cat', kind: 'polygon', geometry: rect(0, 0, 2, 2) },
      { class: 'dog', kind: 'mask', geometry: mask([[0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 1]]) },
      { class: 'void', kind: 'polygon', geometry: rect(2, 2, 4, 3) },
    ];
    // prettier-ignore
    expect(Array.from(semanticLabelMap(SIZE, labels, LIST))).toEqual([
      1, 1, 0, 2,
      1, 1, 0, 2,
      0, 0, N, N,
    ]);
  });

  it('is all background without labels', () => {
    expect(Array.from(semanticLabelMap(SIZE, [], LIST))).toEqual(new Array(12).fill(0));
  });

  it('skips labels without a class and labels of a class the project does not have (no 255, no error)', () => {
    const labels: SemanticObject[] = [
      { class: null, kind: 'polygon', geometry: rect(0, 0, 4, 3) },
      { class: 'bird', kind: 'polygon', geometry: rect(0, 0, 4, 3) },
      { class: 'bird', kind: 'mask', geometry: mask([[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]) },
      { class: 'dog', kind: 'polygon', geometry: rect(1, 1, 2, 2) },
    ];
    expect(Array.from(semanticLabelMap(SIZE, labels, LIST))).toEqual([0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0]);
  });

  it('leaves out boxes, keypoints, captions and tags', () => {
    const labels: SemanticObject[] = [
      { class: 'cat', kind: 'box', geometry: { type: 'box', x: 0, y: 0, w: 4, h: 3 } },
      { class: 'cat', kind: 'keypoints', geometry: { type: 'keypoints', points: [1, 1, 2] } },
      { class: 'cat', kind: 'tag', geometry: { type: 'tag' } },
    ];
    expect(Array.from(semanticLabelMap(SIZE, labels, LIST))).toEqual(new Array(12).fill(0));
  });

  it('resamples a mask of another size to the image (nearest neighbour)', () => {
    // 2x1 → 4x3: each source pixel becomes a 2-wide column band.
    expect(Array.from(semanticLabelMap(SIZE, [{ class: 'cat', kind: 'mask', geometry: mask([[0, 1]]) }], LIST))).toEqual([0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1]);
  });

  it('resamples a mask whose width only differs', () => {
    // 2x3 → 4x3: source column 0 → image columns 0-1, column 1 → 2-3.
    const g = mask([[1, 0], [0, 0], [0, 1]]);
    expect(Array.from(semanticLabelMap(SIZE, [{ class: 'dog', kind: 'mask', geometry: g }], LIST))).toEqual([2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2]);
  });

  it('resamples a mask whose height only differs', () => {
    // 4x1 → 4x3: the one row repeats on every image row.
    const g = mask([[1, 0, 0, 1]]);
    expect(Array.from(semanticLabelMap(SIZE, [{ class: 'cat', kind: 'mask', geometry: g }], LIST))).toEqual([1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1]);
  });

  it('an ignore-class label over a class label takes the pixels it covers when smaller (painting order is by area)', () => {
    const labels: SemanticObject[] = [
      { class: 'cat', kind: 'polygon', geometry: rect(0, 0, 4, 3) },
      { class: 'void', kind: 'mask', geometry: mask([[0, 0, 0, 0], [0, 1, 1, 0], [0, 0, 0, 0]]) },
    ];
    expect(Array.from(semanticLabelMap(SIZE, labels, LIST))).toEqual([1, 1, 1, 1, 1, N, N, 1, 1, 1, 1, 1]);
  });
});

describe('semanticPredictionMap', () => {
  it('paints predicted masks with class index + 1', () => {
    const preds: SemanticObject[] = [
      { class: 'dog', kind: 'mask', geometry: mask([[1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]) },
      { class: 'cat', kind: 'mask', geometry: mask([[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 1]]) },
    ];
    expect(Array.from(semanticPredictionMap(SIZE, preds, LIST))).toEqual([2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
  });

  it('leaves out predicted polygons and boxes: masks only', () => {
    const preds: SemanticObject[] = [
      { class: 'cat', kind: 'polygon', geometry: rect(0, 0, 4, 3) },
      { class: 'cat', kind: 'box', geometry: { type: 'box', x: 0, y: 0, w: 4, h: 3 } },
      { class: 'dog', kind: 'mask', geometry: mask([[0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]]) },
    ];
    expect(Array.from(semanticPredictionMap(SIZE, preds, LIST))).toEqual([0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0]);
  });

  it('a region of the ignore class or of an unknown label predicts no class (255)', () => {
    const preds: SemanticObject[] = [
      { class: 'void', kind: 'mask', geometry: mask([[1, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]]) },
      { class: 'person', kind: 'mask', geometry: mask([[0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]]) },
    ];
    expect(Array.from(semanticPredictionMap(SIZE, preds, LIST))).toEqual([N, 0, 0, N, N, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('a prediction without a class paints nothing', () => {
    const preds: SemanticObject[] = [{ class: null, kind: 'mask', geometry: mask([[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]) }];
    expect(Array.from(semanticPredictionMap(SIZE, preds, LIST))).toEqual(new Array(12).fill(0));
  });

  it('resamples masks given at the model resolution', () => {
    // 8x6 → 4x3: image pixel (x, y) reads source (2x + 1, 2y + 1).
    const rows = Array.from({ length: 6 }, (_, y) => Array.from({ length: 8 }, (_, x) => (x === 3 && y === 1 ? 1 : x >= 6 && y >= 4 ? 1 : 0)));
    expect(Array.from(semanticPredictionMap(SIZE, [{ class: 'cat', kind: 'mask', geometry: mask(rows) }], LIST))).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  });

  it('resamples masks whose width or height only differs', () => {
    const wide = mask([[0, 1], [0, 0], [0, 0]]);
    expect(Array.from(semanticPredictionMap(SIZE, [{ class: 'cat', kind: 'mask', geometry: wide }], LIST))).toEqual([0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    const tall = mask([[0, 0, 1, 0]]);
    expect(Array.from(semanticPredictionMap(SIZE, [{ class: 'dog', kind: 'mask', geometry: tall }], LIST))).toEqual([0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0]);
  });
});

describe('semanticMapMetrics', () => {
  it("counts the image as the evaluation does: label 255 skipped, prediction 255 a miss of the label's class", () => {
    // labels      predictions
    //   1 1 0 0     1 N 0 0
    //   2 2 N N     2 1 2 0      (N label pixels: skipped whatever is predicted there)
    //   0 0 0 0     0 0 0 N
    // Counted: 10 pixels. Label 0: 6 pixels, predicted 0 on 5, N on 1 → TP0 = 5, G0 = 6, P0 = 5.
    // Label 1: 2 pixels, predicted 1 and N → TP1 = 1, G1 = 2, P1 = 1 + 1 (the label-2 pixel predicted 1) = 2.
    // Label 2: 2 pixels, predicted 2 and 1 → TP2 = 1, G2 = 2, P2 = 1.
    // IoU0 = 5 / (6 + 5 - 5) = 5/6, IoU1 = 1 / (2 + 2 - 1) = 1/3, IoU2 = 1 / (2 + 1 - 1) = 1/2.
    const labels = Uint8Array.from([1, 1, 0, 0, 2, 2, N, N, 0, 0, 0, 0]);
    const preds = Uint8Array.from([1, N, 0, 0, 2, 1, 2, 0, 0, 0, 0, N]);
    const m = semanticMapMetrics(labels, preds, LIST);
    expect(m.numClasses).toBe(3);
    expect(m.pixelCount).toBe(10);
    expect(m.perClass.map((c) => [c.truePositives, c.labeledPixels, c.predictedPixels])).toEqual([
      [5, 6, 5],
      [1, 2, 2],
      [1, 2, 1],
    ]);
    expect(m.perClass[0].iou).toBeCloseTo(5 / 6, 14);
    expect(m.perClass[1].iou).toBeCloseTo(1 / 3, 14);
    expect(m.perClass[2].iou).toBeCloseTo(1 / 2, 14);
    expect(m.mIoU).toBeCloseTo((5 / 6 + 1 / 3 + 1 / 2) / 3, 14);
    expect(m.pixelAcc).toBeCloseTo(7 / 10, 14);
  });

  it('the maps built from labels and predictions give the numbers worked out by hand', () => {
    // Label: cat on the left 2x2, void bottom-right 2x1, background elsewhere.
    //   1 1 0 0
    //   1 1 0 0
    //   0 0 N N
    const labels: SemanticObject[] = [
      { class: 'cat', kind: 'polygon', geometry: rect(0, 0, 2, 2) },
      { class: 'void', kind: 'polygon', geometry: rect(2, 2, 4, 3) },
    ];
    // Prediction: cat on the top row's left 3 pixels, an unknown label on (0, 1).
    //   1 1 1 0
    //   N 0 0 0
    //   0 0 1 1   (cat again, on the void pixels: not counted)
    const preds: SemanticObject[] = [
      { class: 'cat', kind: 'mask', geometry: mask([[1, 1, 1, 0], [0, 0, 0, 0], [0, 0, 1, 1]]) },
      { class: 'zebra', kind: 'mask', geometry: mask([[0, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]]) },
    ];
    const l = semanticLabelMap(SIZE, labels, LIST);
    const p = semanticPredictionMap(SIZE, preds, LIST);
    const m = semanticMapMetrics(l, p, LIST);
    // Counted: 10. Background: G0 = 6 (pixels (2,0),(3,0),(2,1),(3,1),(0,2),(1,2)), predicted 0 on 5 of them →
    // TP0 = 5; P0 = 5 + 1 (cat pixel (1,1)) = 6. Cat: G1 = 4, TP1 = 2, P1 = 2 + 1 ((2,0)) = 3. Dog: nothing.
    expect(m.pixelCount).toBe(10);
    expect(m.perClass.map((c) => [c.truePositives, c.labeledPixels, c.predictedPixels])).toEqual([
      [5, 6, 6],
      [2, 4, 3],
      [0, 0, 0],
    ]);
    // IoU0 = 5 / (6 + 6 - 5) = 5/7, IoU1 = 2 / (4 + 3 - 2) = 2/5, dog none.
    expect(m.perClass[2].iou).toBeNull();
    expect(m.mIoU).toBeCloseTo((5 / 7 + 2 / 5) / 2, 14);
    expect(m.pixelAcc).toBeCloseTo(7 / 10, 14);
  });
});
