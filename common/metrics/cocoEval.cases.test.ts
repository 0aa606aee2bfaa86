/**
 * More hand-worked cocoEvaluate cases (pycocotools semantics: COCOeval evaluate / accumulate / summarize), for
 * the parts the reference cases leave alone: custom params (maxDets, iouThrs, area ranges), scope, error paths,
 * large groups, the PR curves and per-image counts, and numpy's linspace edge cases.
 */
import { describe, expect, it } from 'vitest';
import {
  categoriesWithoutCounterpart,
  cocoEvaluate,
  cocoSummaryLines,
  linspace,
  precisionAt,
  pyFixed,
  recallAt,
  type EvalDt,
  type EvalGt,
} from './cocoEval.js';
import { bboxEval, box, det } from './test-helpers.js';

/** Precision of a lone true positive: 1 / (1 + 2^-52), the double just below 1. */
const ONE = 0.9999999999999998;
const rep = <T>(n: number, v: T): T[] => new Array(n).fill(v);

describe('linspace and pyFixed edge cases (numpy / Python semantics)', () => {
  it('the last value is stop itself, not start + (num-1)·step', () => {
    // numpy.linspace(0.3, 0.9, 4) == [0.3, 0.5, 0.7000000000000001, 0.9]; 3 · 0.2 + 0.3 is 0.9000000000000001.
    expect(linspace(0.3, 0.9, 4)).toEqual([0.3, 0.5, 0.7000000000000001, 0.9]);
  });

  it('one value is start, none is empty (numpy: linspace(0, 1, 1) == [0.])', () => {
    expect(linspace(0, 1, 1)).toEqual([0]);
    expect(linspace(2, 7, 1)).toEqual([2]);
    expect(linspace(0, 1, 0)).toEqual([]);
  });

  it('a step that underflows to 0 uses i / div · delta (numpy: linspace(-5e-324, 0, 4))', () => {
    // step = 5e-324 / 3 rounds to 0; numpy then computes (i / 3) · 5e-324 - 5e-324: 2/3 of the smallest
    // subnormal rounds up to it, 1/3 rounds down to 0.
    expect(linspace(-5e-324, 0, 4)).toEqual([-5e-324, -5e-324, 0, 0]);
    expect(linspace(2, 2, 3)).toEqual([2, 2, 2]);
  });

  it("pyFixed rounds a negative exact tie half to even, keeping the sign ('{:0.3f}'.format(-0.0625) == '-0.062')", () => {
    expect(pyFixed(-0.0625, 3)).toBe('-0.062');
    expect(pyFixed(-0.125, 2)).toBe('-0.12');
  });
});

describe('params', () => {
  // Two large objects (area 10000), both found.
  const gts = [box(1, 1, 1, [0, 0, 100, 100]), box(2, 1, 1, [200, 0, 100, 100])];
  const dts = [det(1, 1, 1, [0, 0, 100, 100], 0.9), det(2, 1, 1, [200, 0, 100, 100], 0.8)];

  it('maxDets are sorted ascending before use', () => {
    const sorted = bboxEval(gts, dts);
    const given = bboxEval(gts, dts, [1], [1], { maxDets: [100, 1, 10] });
    expect(given.params.maxDets).toEqual([1, 10, 100]);
    expect(given.stats).toEqual(sorted.stats);
    expect(given.stats.AR1).toBe(0.5);
    expect(given.stats.AR10).toBe(1);
  });

  it('an empty maxDets is refused', () => {
    expect(() => bboxEval(gts, dts, [1], [1], { maxDets: [] })).toThrow('maxDets is empty');
  });

  it('fewer than 3 maxDets: the later summary lines take the last one; AP (asks for 100) is -1 without 100', () => {
    const res = bboxEval(gts, dts, [1], [1], { maxDets: [1, 10] });
    expect(res.stats.AP).toBe(-1);
    expect(res.stats.AR1).toBe(0.5);
    expect(res.stats.AR10).toBe(1);
    expect(res.stats.AR100).toBe(1); // maxDets 10
    expect(res.stats.AP50).toBeCloseTo(ONE, 15);
    expect(res.stats.APl).toBeCloseTo(ONE, 15); // maxDets 10
    const lines = cocoSummaryLines(res);
    expect(lines[0]).toBe(' Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = -1.000');
    expect(lines[8]).toBe(' Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets= 10 ] = 1.000');
  });

  it('per-image counts and PR curves are at IoU 0.5 wherever it is among the thresholds, else at the first', () => {
    // IoU of [0,0,10,4] with [0,0,10,10] is 0.4: a match at 0.3, a false positive (and a missed object) at 0.5 and 0.7.
    const g = [box(1, 1, 1, [0, 0, 10, 10])];
    const d = [det(1, 1, 1, [0, 0, 10, 4], 0.6)];
    const res = bboxEval(g, d, [1], [1], { iouThrs: [0.3, 0.5, 0.7] });
    expect(res.perImageIouThreshold).toBe(0.5);
    expect(res.perImage).toEqual([{ imageId: 1, tp: 0, fp: 1, fn: 1, meanIou: -1 }]);
    const c = res.prCurves[0];
    expect(c.iouThreshold).toBe(0.5);
    expect(c.precision).toEqual(rep(101, 0));
    // Recall threshold 0 is reached at the first detection whatever it is; nothing else is reached at 0.5.
    expect(c.scores).toEqual([0.6, ...rep(100, 0)]);
    // Mean over the 3 thresholds: precision 1 / (1 + eps) at 0.3 for every recall threshold, 0 at 0.5 and 0.7.
    expect(c.precisionMean).toEqual(rep(101, ONE / 3));
    expect(res.stats.AP).toBeCloseTo(1 / 3, 15);
    expect(res.stats.AP50).toBe(0);

    // Without 0.5 the first threshold counts: 0.3, where the detection matches with IoU 0.4.
    const no50 = bboxEval(g, d, [1], [1], { iouThrs: [0.3, 0.7] });
    expect(no50.perImageIouThreshold).toBe(0.3);
    expect(no50.perImage).toEqual([{ imageId: 1, tp: 1, fp: 0, fn: 0, meanIou: 0.4 }]);
    expect(no50.prCurves[0].iouThreshold).toBe(0.3);
    expect(no50.prCurves[0].precision).toEqual(rep(101, ONE));
    expect(no50.stats.AP50).toBe(-1); // no threshold equal to 0.5 selects nothing
  });

  it('custom area ranges: per-class gt counts and PR curves use the range labelled "all", wherever it is', () => {
    // A (area 25) is tiny, B (area 100) is not; only B is detected.
    const g = [box(1, 1, 1, [0, 0, 5, 5]), box(2, 1, 1, [50, 50, 10, 10])];
    const d = [det(1, 1, 1, [50, 50, 10, 10], 0.9)];
    const areaRanges = [
      { label: 'tiny', range: [0, 50] as const },
      { label: 'all', range: [0, 1e10] as const },
    ];
    const res = bboxEval(g, d, [1], [1], { areaRanges });
    expect(res.perClass[0]).toMatchObject({ categoryId: 1, numGt: 2, numDt: 1 });
    // 'all': recall 1/2 with precision 1; 'tiny': the detection sits on B, ignored there, so recall 0.
    const c = res.prCurves[0];
    expect(c.recall).toEqual(res.params.recThrs);
    expect(c.precision).toEqual([...rep(51, ONE), ...rep(50, 0)]);
    expect(c.scores).toEqual([...rep(51, 0.9), ...rep(50, 0)]);
    expect(recallAt(res, 0, 0, 1, 2)).toBe(0.5);
    expect(recallAt(res, 0, 0, 0, 2)).toBe(0);
    expect(precisionAt(res, 0, 0, 0, 1, 2)).toBe(ONE);
    expect(precisionAt(res, 0, 0, 0, 0, 2)).toBe(0);
    expect(res.perImage).toEqual([{ imageId: 1, tp: 1, fp: 0, fn: 1, meanIou: 1 }]);
    // The summary asks for small / medium / large, which these params do not have: -1, as pycocotools.
    for (const name of ['APs', 'APm', 'APl', 'ARs', 'ARm', 'ARl'] as const) expect(res.stats[name], name).toBe(-1);
    expect(res.stats.AP).toBeCloseTo((51 * ONE) / 101, 15);
    expect(res.stats.AR100).toBe(0.5);
  });
});

describe('scope and input errors', () => {
  it('labels and predictions of images or categories not in scope are counted in skipped and change nothing', () => {
    const g = [box(1, 1, 1, [0, 0, 10, 10])];
    const d = [det(1, 1, 1, [0, 0, 10, 10], 0.5)];
    const base = bboxEval(g, d);
    // One in a known image but an unknown category, one in an unknown image of a known category, one unknown in both.
    const outG = [box(2, 1, 9, [0, 0, 10, 10]), box(3, 99, 1, [0, 0, 10, 10]), box(4, 99, 9, [0, 0, 10, 10])];
    const outD = [det(2, 1, 9, [30, 30, 10, 10], 0.9), det(3, 99, 1, [30, 30, 10, 10], 0.9)];
    const res = bboxEval([...outG, ...g], [...outD, ...d]);
    expect(res.skipped).toEqual({ gts: 3, dts: 2 });
    expect(base.skipped).toEqual({ gts: 0, dts: 0 });
    expect(res.stats).toEqual(base.stats);
    expect(res.stats.AP).toBeCloseTo(ONE, 15);
    expect(res.perImage).toEqual([{ imageId: 1, tp: 1, fp: 0, fn: 0, meanIou: 1 }]);
    expect(res.perClass).toEqual(base.perClass);
  });

  it('a score that is not a finite number is refused, naming the detection by id or else by position', () => {
    const ok = det(1, 1, 1, [0, 0, 10, 10], 0.5);
    expect(() => bboxEval([], [ok, det(7, 1, 1, [0, 0, 10, 10], Number.NaN)])).toThrow('detection 7: score must be a finite number');
    const noId: EvalDt = { imageId: 1, categoryId: 1, bbox: [0, 0, 10, 10], score: Number.POSITIVE_INFINITY };
    expect(() => bboxEval([], [ok, noId])).toThrow('detection 1: score must be a finite number');
    // Checked for every detection, also those out of scope.
    expect(() => bboxEval([], [{ ...noId, imageId: 99, score: Number.NaN }])).toThrow('detection 0: score must be a finite number');
  });

  it('too many images × categories × items to sort by one numeric key is refused, not silently wrong', () => {
    const images = Array.from({ length: 2 ** 16 }, (_, i) => ({ id: i }));
    const categories = Array.from({ length: 2 ** 16 }, (_, i) => ({ id: i }));
    const gts = rep(2 ** 21, box(1, -1, -1, [0, 0, 1, 1]));
    // 2^16 · 2^16 · 2^21 = 2^53 keys: past Number.MAX_SAFE_INTEGER.
    expect(() => cocoEvaluate({ images, categories, gts, dts: [], iouType: 'bbox' })).toThrow('too many images × categories × items to group (65536 × 65536 × 2097152)');
  });
});

describe('accumulation', () => {
  it('score ties across images keep ascending image id order (mergesort over the concatenation)', () => {
    // One object; the two detections tie at 0.5: one on the object, one far away in the other image.
    const far = [300, 300, 10, 10], on = [0, 0, 10, 10];
    // Object in image 20: the false positive of image 10 comes first, precision 1/2 at recall 1.
    const fpFirst = bboxEval([box(1, 20, 1, on)], [det(1, 20, 1, on, 0.5), det(2, 10, 1, far, 0.5)], [20, 10]);
    expect(fpFirst.stats.AP50).toBe(0.5);
    expect(fpFirst.prCurves[0].scores).toEqual(rep(101, 0.5));
    // Object in image 10: its true positive comes first, precision 1.
    const tpFirst = bboxEval([box(1, 10, 1, on)], [det(2, 20, 1, far, 0.5), det(1, 10, 1, on, 0.5)], [20, 10]);
    expect(tpFirst.stats.AP50).toBeCloseTo(ONE, 15);
  });

  it('PR curve: the score and precision where each recall threshold is reached; -1 for a class without labels', () => {
    // Class 1: objects A and B; a false positive (0.9) above a detection of A (0.8) with IoU 0.72; B missed.
    // Class 2: an object, no detection. Class 3: a detection, no object.
    const gts = [box(1, 1, 1, [0, 0, 10, 10]), box(2, 1, 1, [50, 0, 10, 10]), box(3, 1, 2, [0, 50, 10, 10])];
    const dts = [det(1, 1, 1, [200, 200, 10, 10], 0.9), det(2, 1, 1, [0, 0, 10, 7.2], 0.8), det(3, 1, 3, [0, 90, 10, 10], 0.7)];
    const res = bboxEval(gts, dts, [1], [1, 2, 3]);
    expect(res.perClass.map((c) => [c.categoryId, c.name, c.numGt, c.numDt])).toEqual([
      [1, 'c1', 2, 2],
      [2, 'c2', 1, 0],
      [3, 'c3', 0, 1],
    ]);
    expect(res.prCurves.map((c) => c.categoryId)).toEqual([1, 2, 3]);
    const [c1, c2, c3] = res.prCurves;
    // Class 1 at IoU 0.5: sorted [FP 0.9, TP 0.8]: recall 1/2 at precision 1/2 (1 / (2 + 2^-52) is 0.5).
    expect(c1.precision).toEqual([...rep(51, 0.5), ...rep(50, 0)]);
    // Recall 0 is reached at the first detection (the false positive), the others at the true positive.
    expect(c1.scores).toEqual([0.9, ...rep(50, 0.8), ...rep(50, 0)]);
    // The match holds at IoU 0.50 … 0.70 (5 of 10 thresholds), none above.
    expect(c1.precisionMean).toEqual([...rep(51, 0.25), ...rep(50, 0)]);
    expect(c2).toMatchObject({ iouThreshold: 0.5, name: 'c2', precision: rep(101, 0), scores: rep(101, 0), precisionMean: rep(101, 0) });
    expect(c3).toMatchObject({ iouThreshold: 0.5, name: 'c3', precision: rep(101, -1), scores: rep(101, -1), precisionMean: rep(101, -1) });
    const { T, R, K, A, M } = res.shape;
    expect([T, R, K, A, M]).toEqual([10, 101, 3, 4, 3]);
    expect(res.scores.length).toBe(T * R * K * A * M);
    expect(res.precision.length).toBe(T * R * K * A * M);
    expect(res.recall.length).toBe(T * K * A * M);

    // recall[t, k, a, m] by hand: the boxes are all small (area 100), so medium and large have no objects (-1);
    // class 3 has none anywhere (-1); maxDets 1 keeps only the false positive (0); class 1 reaches 1/2 where
    // the IoU 0.72 match holds (t <= 4, IoU 0.70); class 2 stays at 0.
    const expected = (t: number, k: number, a: number, m: number) => {
      if (k === 2 || a >= 2) return -1;
      if (k === 1 || m === 0) return 0;
      return t <= 4 ? 0.5 : 0;
    };
    for (let t = 0; t < T; t++)
      for (let k = 0; k < K; k++) for (let a = 0; a < A; a++) for (let m = 0; m < M; m++) expect(recallAt(res, t, k, a, m), `recall[${t},${k},${a},${m}]`).toBe(expected(t, k, a, m));
    expect(precisionAt(res, 0, 50, 0, 1, 2)).toBe(0.5); // small, recall 0.5
    expect(precisionAt(res, 4, 0, 0, 1, 1)).toBe(0.5); // IoU 0.7, maxDets 10
    expect(precisionAt(res, 5, 0, 0, 1, 2)).toBe(0); // IoU 0.75: no true positive
    expect(precisionAt(res, 0, 0, 0, 2, 2)).toBe(-1); // medium: no object
    expect(precisionAt(res, 0, 0, 1, 1, 2)).toBe(0); // class 2
    expect(precisionAt(res, 0, 0, 2, 0, 2)).toBe(-1); // class 3
    // AP: class 1 at 5 thresholds 51 · 0.5 / 101, 0 at the others; class 2 0; class 3 left out.
    expect(res.perClass[0].AP).toBeCloseTo((5 * 51 * 0.5) / 101 / 10, 15);
    expect(res.stats.AP).toBeCloseTo((5 * 51 * 0.5) / 101 / 20, 15);
    expect(res.stats.AR100).toBeCloseTo((5 * 0.5) / 20, 15);
    expect(res.perImage).toEqual([{ imageId: 1, tp: 1, fp: 2, fn: 2, meanIou: 0.72 }]);
  });

  it('area ranges are inclusive for unmatched detections too, and per-image counts use the range "all" only', () => {
    // A (area 100, small) in image 1, B (area 2000, medium) in image 2, both detected; a false positive of area
    // exactly 1024 = 32² in image 3 scores highest: it counts in small and in medium.
    const gts = [box(1, 1, 1, [0, 0, 10, 10]), box(2, 2, 1, [0, 0, 40, 50])];
    const dts = [det(1, 1, 1, [0, 0, 10, 10], 0.8), det(2, 2, 1, [0, 0, 40, 50], 0.7), det(3, 3, 1, [0, 0, 32, 32], 0.9)];
    const res = bboxEval(gts, dts, [1, 2, 3]);
    expect(res.stats.APs).toBe(0.5);
    expect(res.stats.APm).toBe(0.5);
    expect(res.stats.APl).toBe(-1);
    expect(res.perImage.map((p) => [p.tp, p.fp, p.fn])).toEqual([
      [1, 0, 0],
      [1, 0, 0],
      [0, 1, 0],
    ]);
    // An object of area exactly 1024 is small and medium, but one object of the image.
    const edge = bboxEval([box(1, 1, 1, [0, 0, 32, 32]), box(2, 1, 1, [100, 100, 32, 32])], [det(1, 1, 1, [0, 0, 32, 32], 0.9)]);
    expect(edge.perImage).toEqual([{ imageId: 1, tp: 1, fp: 0, fn: 1, meanIou: 1 }]);
    expect(edge.stats.ARs).toBe(0.5);
    expect(edge.stats.ARm).toBe(0.5);
  });

  it('more than 256 detections in one image, and in one class (maxDets 300)', () => {
    // One object; 299 false positives on a grid far away score above its one true positive.
    const gt = box(1, 1, 1, [0, 0, 10, 10]);
    const fps = Array.from({ length: 299 }, (_, i) => det(i + 2, 1, 1, [1000 + (i % 20) * 20, 1000 + Math.floor(i / 20) * 20, 10, 10], 0.5 + i / 1000));
    const tp = det(1, 1, 1, [0, 0, 10, 10], 0.1);
    const res = bboxEval([gt], [...fps, tp], [1], [1], { maxDets: [300] });
    expect(res.perImage).toEqual([{ imageId: 1, tp: 1, fp: 299, fn: 0, meanIou: 1 }]);
    // Recall 1 reached at the 300th detection: precision 1/300 at every recall threshold.
    expect(res.stats.AP50).toBeCloseTo(1 / 300, 15);
    expect(res.prCurves[0].precision).toEqual(rep(101, 1 / 300));
    expect(res.prCurves[0].scores).toEqual([0.5 + 298 / 1000, ...rep(100, 0.1)]);
    expect(res.stats.AR100).toBe(1);
    expect(res.stats.AP).toBe(-1); // the AP line asks for maxDets 100

    // The same 300 spread over 3 images of 100 each (default maxDets): 300 kept in the class.
    const spread = [...fps, tp].map((d, i) => ({ ...d, imageId: 1 + (i % 3) }));
    const r3 = bboxEval([{ ...gt, imageId: spread[299].imageId }], spread, [1, 2, 3]);
    expect(r3.stats.AR100).toBe(1);
    expect(r3.stats.AP50).toBeCloseTo(1 / 300, 15);
  });

  it('more than 64 objects in one image: the ignore flag of each one holds', () => {
    // 64 objects and one ignored region, all detected exactly; the region's detection scores highest.
    const gts = Array.from({ length: 65 }, (_, i) => box(i + 1, 1, 1, [(i % 10) * 50, Math.floor(i / 10) * 50, 10, 10], i === 64 ? { ignore: true } : {}));
    const dts = gts.map((g, i) => det(i + 1, 1, 1, [...g.bbox!], i === 64 ? 0.99 : 0.5 + i / 1000));
    const res = bboxEval(gts, dts);
    expect(res.perClass[0].numGt).toBe(64);
    expect(res.perImage).toEqual([{ imageId: 1, tp: 64, fp: 0, fn: 0, meanIou: 1 }]);
    expect(res.stats.AR100).toBe(1);
    expect(res.stats.AP).toBeCloseTo(1, 12);
    // The same with a crowd region last: it takes any number of detections, all ignored.
    const crowd = gts.map((g, i) => (i === 64 ? { ...g, ignore: undefined, iscrowd: 1 } : g));
    const r2 = bboxEval(crowd, [det(100, 1, 1, [...gts[64].bbox!], 0.98), ...dts]);
    expect(r2.perImage).toEqual([{ imageId: 1, tp: 64, fp: 0, fn: 0, meanIou: 1 }]);
    expect(r2.stats.AP).toBeCloseTo(1, 12);
  });
});

describe('keypoints: labelled points', () => {
  it('num_keypoints decides when given; without it the points with v > 0 are counted', () => {
    const pts = Array.from({ length: 17 }, (_, i) => [100 + i, 200 + 2 * i, 2]).flat();
    const bare = new Array(51).fill(0);
    const gts: EvalGt[] = [
      // class 1: labelled points, no num_keypoints: counted (17), an object
      { id: 1, imageId: 1, categoryId: 1, area: 5000, bbox: [100, 200, 17, 34], keypoints: pts },
      // class 2: no labelled point, no num_keypoints: counted (0), ignored
      { id: 2, imageId: 1, categoryId: 2, area: 5000, bbox: [100, 200, 17, 34], keypoints: bare },
      // class 3: num_keypoints 0 although points are labelled: the field wins, ignored (pycocotools reads it)
      { id: 3, imageId: 1, categoryId: 3, area: 5000, bbox: [100, 200, 17, 34], keypoints: pts, numKeypoints: 0 },
      // class 4: only one point labelled (v = 1), no num_keypoints: an object
      { id: 4, imageId: 1, categoryId: 4, area: 5000, bbox: [100, 200, 17, 34], keypoints: pts.map((v, i) => (i % 3 === 2 ? (i === 5 ? 1 : 0) : v)) },
    ];
    const dts: EvalDt[] = [{ imageId: 1, categoryId: 1, score: 0.9, keypoints: pts }];
    const res = cocoEvaluate({ images: [{ id: 1 }], categories: [1, 2, 3, 4].map((id) => ({ id })), gts, dts, iouType: 'keypoints' });
    expect(res.perClass.map((c) => c.numGt)).toEqual([1, 0, 0, 1]);
    expect(res.perClass.map((c) => c.AP)).toEqual([ONE, -1, -1, 0]);
  });
});

describe('categoriesWithoutCounterpart', () => {
  it('classes without labels (AP -1) and classes with labels but no predictions (AP 0)', () => {
    const gts = [
      box(1, 1, 1, [0, 0, 10, 10]), // class 1: labelled and predicted
      box(2, 1, 3, [0, 0, 10, 10]), // class 3: labelled only
      box(3, 1, 5, [0, 0, 10, 10], { iscrowd: 1 }), // class 5: a crowd region only, predicted
    ];
    const dts = [det(1, 1, 1, [0, 0, 10, 10], 0.9), det(2, 1, 2, [0, 0, 10, 10], 0.9), det(3, 1, 5, [0, 0, 10, 10], 0.9)];
    // class 2: predicted only; class 4: neither
    const res = bboxEval(gts, dts, [1], [1, 2, 3, 4, 5]);
    expect(res.perClass.map((c) => c.AP)).toEqual([ONE, -1, 0, -1, -1]);
    expect(categoriesWithoutCounterpart(res)).toEqual({ noGt: [2, 4, 5], noDt: [3] });
  });
});
