/** The compare view's per-image matching: statuses, the slider, classes, crowd, area range, keypoints. */
import { describe, expect, it } from 'vitest';
import { COCO_PERSON_SIGMAS } from './cocoIou.js';
import type { EvalDt, EvalGt } from './cocoTypes.js';
import { matchImage } from './matchImage.js';

const gt = (id: number, categoryId: number, bbox: number[], extra: Partial<EvalGt> = {}): EvalGt => ({ id, imageId: 1, categoryId, bbox, area: bbox[2] * bbox[3], ...extra });
const dt = (id: number, categoryId: number, bbox: number[], score: number): EvalDt => ({ id, imageId: 1, categoryId, bbox, score });

describe('matchImage', () => {
  const gts = [gt(1, 1, [0, 0, 10, 10]), gt(2, 1, [100, 0, 10, 10]), gt(3, 2, [200, 0, 10, 10]), gt(4, 1, [300, 0, 100, 100], { iscrowd: 1 })];
  const dts = [
    dt(11, 1, [0, 0, 10, 8], 0.9), // IoU 0.8 with gt 1
    dt(12, 1, [0, 0, 10, 9], 0.5), // duplicate on gt 1: false positive
    dt(13, 2, [100, 0, 10, 10], 0.8), // wrong class on gt 2: false positive, gt 2 missed
    dt(14, 1, [310, 10, 20, 20], 0.7), // inside the crowd: ignored
    dt(15, 2, [200, 0, 10, 4], 0.6), // IoU 0.4 with gt 3: false positive at 0.5
  ];

  it('colours every label and prediction', () => {
    const m = matchImage(gts, dts);
    expect(m.dts.map((d) => d.status)).toEqual(['tp', 'fp', 'fp', 'ignored', 'fp']);
    expect(m.dts[0]).toEqual({ status: 'tp', gt: 0, gtId: 1, iou: 0.8, bestIou: 0.8 });
    expect(m.dts[1].bestIou).toBe(0.9); // how close the duplicate came (to the taken label)
    expect(m.dts[3]).toMatchObject({ gt: 3, gtId: 4, iou: 1 });
    expect(m.dts[4]).toMatchObject({ gt: -1, gtId: null, iou: 0, bestIou: 0.4 });
    expect(m.gts.map((g) => g.status)).toEqual(['tp', 'fn', 'fn', 'ignored']);
    expect(m.gts[0]).toEqual({ status: 'tp', dt: 0, dtId: 11, iou: 0.8 });
    expect(m.gts[3]).toMatchObject({ dt: 3, dtId: 14 });
    expect({ tp: m.tp, fp: m.fp, fn: m.fn }).toEqual({ tp: 1, fp: 3, fn: 2 });
  });

  it('follows the IoU threshold and the confidence slider', () => {
    expect(matchImage(gts, dts, { iouThreshold: 0.35 }).dts[4].status).toBe('tp');
    expect(matchImage(gts, dts, { iouThreshold: 0.85 }).dts.map((d) => d.status)).toEqual(['fp', 'tp', 'fp', 'ignored', 'fp']);
    const slid = matchImage(gts, dts, { scoreThreshold: 0.65 });
    expect(slid.dts.map((d) => d.status)).toEqual(['tp', 'belowScore', 'fp', 'ignored', 'belowScore']);
    expect({ tp: slid.tp, fp: slid.fp, fn: slid.fn }).toEqual({ tp: 1, fp: 1, fn: 2 });
    // Below the score of the only true positive, the label becomes a miss.
    expect(matchImage(gts, dts, { scoreThreshold: 0.95 }).gts[0].status).toBe('fn');
  });

  it('maxDets per class and the area range', () => {
    const m = matchImage(gts, dts, { maxDets: 1 });
    expect(m.dts.map((d) => d.status)).toEqual(['tp', 'overMaxDets', 'fp', 'overMaxDets', 'overMaxDets']);
    // Only objects of area <= 50 count: every label is out of range, unmatched small-enough predictions stay false positives.
    const small = matchImage(gts, dts, { areaRange: [0, 50] });
    expect(small.gts.map((g) => g.status)).toEqual(['ignored', 'ignored', 'ignored', 'ignored']);
    expect(small.dts.map((d) => d.status)).toEqual(['ignored', 'ignored', 'ignored', 'ignored', 'fp']);
  });

  it('keypoints, with per-class sigmas', () => {
    const pts = Array.from({ length: 17 }, (_, i) => [50 + i, 60 + 3 * i, 2]).flat();
    const g: EvalGt = { id: 1, imageId: 1, categoryId: 1, area: 3000, bbox: [50, 60, 16, 48], keypoints: pts, numKeypoints: 17 };
    const d: EvalDt = { id: 9, imageId: 1, categoryId: 1, score: 0.9, keypoints: pts.map((v, i) => (i % 3 === 1 ? v + 2 : v)) };
    const m = matchImage([g], [d], { iouType: 'keypoints', iouThreshold: 0.5 });
    expect(m.dts[0].status).toBe('tp');
    expect(m.dts[0].iou).toBeGreaterThan(0.5);
    expect(m.dts[0].iou).toBeLessThan(1);
    const tight = matchImage([g], [d], { iouType: 'keypoints', categories: [{ id: 1, sigmas: COCO_PERSON_SIGMAS.map((s) => s / 10) }] });
    expect(tight.dts[0].iou).toBeLessThan(m.dts[0].iou);
  });

  it('empty inputs', () => {
    expect(matchImage([], [])).toEqual({ dts: [], gts: [], tp: 0, fp: 0, fn: 0 });
    expect(matchImage([gts[0]], []).fn).toBe(1);
    expect(matchImage([], [dts[0]]).fp).toBe(1);
  });
  it('the area range is inclusive at both ends, for labels and for unmatched predictions', () => {
    // Areas 100 (= lo), 400 (= hi), 99 and 420: the last two are out of range.
    const g = [gt(1, 1, [0, 0, 10, 10]), gt(2, 1, [100, 0, 20, 20]), gt(3, 1, [200, 0, 9, 11]), gt(4, 1, [300, 0, 20, 21])];
    const d = [dt(11, 1, [1000, 0, 10, 10], 0.9), dt(12, 1, [1100, 0, 20, 20], 0.8), dt(13, 1, [1200, 0, 9, 11], 0.7), dt(14, 1, [1300, 0, 20, 21], 0.6)];
    const m = matchImage(g, d, { areaRange: [100, 400] });
    expect(m.gts.map((x) => x.status)).toEqual(['fn', 'fn', 'ignored', 'ignored']);
    expect(m.dts.map((x) => x.status)).toEqual(['fp', 'fp', 'ignored', 'ignored']);
    expect({ tp: m.tp, fp: m.fp, fn: m.fn }).toEqual({ tp: 0, fp: 2, fn: 2 });
  });

  it("the default area range is COCO's all, [0, 1e10]", () => {
    // The gt `area` field decides, not the box; a prediction's own `area` likewise.
    const g = [gt(1, 1, [0, 0, 10, 10], { area: 1e10 }), gt(2, 1, [100, 0, 10, 10], { area: 2e10 })];
    const d: EvalDt[] = [{ ...dt(11, 1, [500, 0, 10, 10], 0.9), area: 2e10 }, { ...dt(12, 1, [600, 0, 10, 10], 0.8), area: 1e10 }];
    const m = matchImage(g, d);
    expect(m.gts.map((x) => x.status)).toEqual(['fn', 'ignored']);
    expect(m.dts.map((x) => x.status)).toEqual(['ignored', 'fp']);
  });

  it('a prediction scoring exactly the confidence threshold takes part', () => {
    const g = [gt(1, 1, [0, 0, 10, 10])];
    const d = [dt(11, 1, [0, 0, 10, 10], 0.5), dt(12, 1, [0, 0, 10, 10], 0.4999)];
    expect(matchImage(g, d, { scoreThreshold: 0.5 }).dts.map((x) => x.status)).toEqual(['tp', 'belowScore']);
  });

  it('bestIou is the highest overlap with any label of the class, whichever label it is', () => {
    const g = [gt(1, 1, [0, 0, 10, 10]), gt(2, 1, [100, 0, 10, 10])];
    // d0 covers half of gt 2 (IoU 0.5) and nothing of gt 1; d1 covers 90 % of gt 1.
    const d = [dt(11, 1, [100, 0, 10, 5], 0.9), dt(12, 1, [0, 0, 10, 9], 0.8)];
    const m = matchImage(g, d);
    expect(m.dts[0]).toEqual({ status: 'tp', gt: 1, gtId: 2, iou: 0.5, bestIou: 0.5 });
    expect(m.dts[1]).toEqual({ status: 'tp', gt: 0, gtId: 1, iou: 0.9, bestIou: 0.9 });
    expect(m.gts).toEqual([
      { status: 'tp', dt: 1, dtId: 12, iou: 0.9 },
      { status: 'tp', dt: 0, dtId: 11, iou: 0.5 },
    ]);
  });

  it('a crowd absorbing several predictions reports the highest-scoring one', () => {
    const crowd = [gt(1, 1, [0, 0, 100, 100], { iscrowd: 1 })];
    // Crowd IoU = intersection / prediction area: 1 for both boxes inside it.
    const first = [dt(11, 1, [0, 0, 10, 10], 0.9), dt(12, 1, [50, 50, 10, 10], 0.8)];
    const a = matchImage(crowd, first);
    expect(a.dts.map((x) => [x.status, x.gt, x.iou])).toEqual([
      ['ignored', 0, 1],
      ['ignored', 0, 1],
    ]);
    expect(a.gts[0]).toEqual({ status: 'ignored', dt: 0, dtId: 11, iou: 1 });
    expect({ tp: a.tp, fp: a.fp, fn: a.fn }).toEqual({ tp: 0, fp: 0, fn: 0 });
    // The same with the higher score given second.
    const b = matchImage(crowd, [dt(12, 1, [50, 50, 10, 10], 0.8), dt(11, 1, [0, 0, 10, 10], 0.9)]);
    expect(b.gts[0]).toEqual({ status: 'ignored', dt: 1, dtId: 11, iou: 1 });
  });

  it('keypoints: a label without labelled points is ignored (num_keypoints, else counted from v > 0)', () => {
    const pts = (v: number) => Array.from({ length: 17 }, (_, i) => [10 + i, 20 + i, v]).flat();
    const kg = (id: number, keypoints: number[], numKeypoints?: number): EvalGt => ({ id, imageId: 1, categoryId: 1, area: 400, bbox: [10, 20, 16, 16], keypoints, numKeypoints });
    const oneLabelled = pts(0);
    oneLabelled[5] = 1;
    const g = [kg(1, pts(2), 0), kg(2, pts(0)), kg(3, oneLabelled), kg(4, pts(0), 5)];
    const m = matchImage(g, [], { iouType: 'keypoints' });
    // gt 1: num_keypoints 0; gt 2: no point with v > 0; gt 3: one; gt 4: num_keypoints says 5 (it wins over v).
    expect(m.gts.map((x) => x.status)).toEqual(['ignored', 'ignored', 'fn', 'fn']);
    expect(m.fn).toBe(2);
    // For boxes the keypoint count does not matter.
    expect(matchImage([gt(1, 1, [0, 0, 10, 10], { numKeypoints: 0, keypoints: pts(0) })], []).gts[0].status).toBe('fn');
  });
});
