/**
 * pycocotools' greedy matching (cocoMatch.ts) on hand-made overlap matrices, the score order, the sigma lookup and
 * the geometry sources' checks. The rules are cocoeval.py `evaluateImg`'s, as listed in the module comment.
 */
import { describe, expect, it } from 'vitest';
import { encodeRle } from '../geometry/rle.js';
import { COCO_PERSON_SIGMAS } from './cocoIou.js';
import { matchAtThreshold, MatchScratch, prepareGeometry, sigmasFor, sortByScore } from './cocoMatch.js';
import type { EvalDt, EvalGt } from './cocoTypes.js';

/** Runs matchAtThreshold on a row-major nd × ng matrix; returns the gt column per detection (-1: none). */
function match(iou: number[][], thr: number, ignore?: number[], crowd?: number[], scratch = new MatchScratch()): number[] {
  const nd = iou.length, ng = nd > 0 ? iou[0].length : 0;
  const out = new Int32Array(nd);
  matchAtThreshold(iou.flat(), nd, ng, ignore ?? new Array(ng).fill(0), crowd ?? new Array(ng).fill(0), thr, out, scratch);
  return Array.from(out);
}

describe('matchAtThreshold', () => {
  it('each detection, in order, takes the free gt of highest IoU >= the threshold', () => {
    // d0 prefers g1; d1 would too but it is taken, so g0; d2 finds nothing left above 0.5.
    expect(
      match(
        [
          [0.6, 0.8, 0.1],
          [0.7, 0.9, 0.2],
          [0.9, 0.95, 0.4],
        ],
        0.5,
      ),
    ).toEqual([1, 0, -1]);
  });

  it('an IoU equal to the threshold matches; on equal IoU the later gt wins', () => {
    expect(match([[0.5, 0.2]], 0.5)).toEqual([0]);
    expect(match([[0.49, 0.2]], 0.5)).toEqual([-1]);
    expect(match([[0.7, 0.7, 0.3]], 0.5)).toEqual([1]);
  });

  it('a threshold of 1 still matches an overlap within 1e-10 of 1 (pycocotools caps it at 1 - 1e-10)', () => {
    expect(match([[1 - 1e-11]], 1)).toEqual([0]);
    expect(match([[1]], 1)).toEqual([0]);
    expect(match([[1 - 1e-9]], 1)).toEqual([-1]);
  });

  it('never matches a NaN or negative overlap (masks of other sizes give -1)', () => {
    expect(match([[Number.NaN, 0.6]], 0.5)).toEqual([1]);
    expect(match([[0.6, Number.NaN]], 0.5)).toEqual([0]);
    expect(match([[Number.NaN]], 0)).toEqual([-1]);
    expect(match([[-1]], 0)).toEqual([-1]);
    expect(match([[0]], 0)).toEqual([0]);
  });

  it('a crowd gt absorbs any number of detections; a regular one only the first', () => {
    expect(
      match(
        [
          [0.9, 0.6],
          [0.9, 0.6],
          [0.9, 0.6],
        ],
        0.5,
        [1, 0],
        [1, 0],
      ),
    ).toEqual([1, 0, 0]);
  });

  it('regular gts are visited first; a detection holding one never trades it for an ignored gt', () => {
    // g0 ignored with IoU 0.95, g1 regular with 0.6: the regular one wins although the ignored overlaps more.
    expect(match([[0.95, 0.6]], 0.5, [1, 0])).toEqual([1]);
    // Nothing regular above the threshold: the ignored one is taken.
    expect(match([[0.95, 0.3]], 0.5, [1, 0])).toEqual([0]);
    // Among ignored gts the better one, as among regular ones.
    expect(match([[0.7, 0.9, 0.1]], 0.5, [1, 1, 0])).toEqual([1]);
  });

  it('handles more gts than the scratch buffers start with', () => {
    const ng = 70;
    const row = new Array(ng).fill(0.1);
    row[68] = 0.7;
    row[69] = 0.8;
    const scratch = new MatchScratch();
    expect(match([row, row, row], 0.5, undefined, undefined, scratch)).toEqual([69, 68, -1]);
    expect(scratch.order.length).toBeGreaterThanOrEqual(ng);
    expect(scratch.taken.length).toBeGreaterThanOrEqual(ng);
    // The same scratch serves a later, smaller image from a clean state.
    expect(match([[0.9, 0.1]], 0.5, undefined, undefined, scratch)).toEqual([0]);
  });
});

describe('MatchScratch', () => {
  it('grows to at least the size asked for, at least doubling', () => {
    const s = new MatchScratch();
    s.ensure(10);
    expect(s.order.length).toBe(64);
    s.ensure(65);
    expect(s.order.length).toBe(128);
    expect(s.taken.length).toBe(128);
    s.ensure(1000);
    expect(s.order.length).toBe(1000);
    expect(s.taken.length).toBe(1000);
  });
});

describe('sortByScore', () => {
  it('descending score, ties in the order given, few detections', () => {
    const scores = [0.5, 0.9, 0.5, 0.7, 0.9];
    expect(Array.from(sortByScore([0, 1, 2, 3, 4], 5, scores, new Int32Array(5)))).toEqual([1, 4, 3, 0, 2]);
    // A subset of indices, in a given order: ties keep that order.
    expect(Array.from(sortByScore([4, 2, 0, 1], 4, scores, new Int32Array(4)))).toEqual([4, 1, 2, 0]);
  });

  it('sorts only the first n indices', () => {
    expect(Array.from(sortByScore([0, 1, 2, 3], 3, [0.1, 0.2, 0.3, 0.99], new Int32Array(3)))).toEqual([2, 1, 0]);
  });

  it('many detections: the same order (numpy argsort(-scores, kind="mergesort"))', () => {
    // 40 detections, given as indices 100..139 in reverse; scores repeat every 5: 0.0, 0.2, 0.4, 0.6, 0.8.
    const scores = new Array<number>(140).fill(-1);
    for (let i = 100; i < 140; i++) scores[i] = (i % 5) / 5;
    const idx = Array.from({ length: 40 }, (_, i) => 139 - i);
    const out = sortByScore(idx, 40, scores, new Int32Array(40));
    const expected = [4, 3, 2, 1, 0].flatMap((r) => idx.filter((i) => i % 5 === r));
    expect(Array.from(out)).toEqual(expected);
    expect(expected.slice(0, 3)).toEqual([139, 134, 129]);
  });
});

describe('sigmasFor', () => {
  it("the category's own sigmas, else the params', else COCO's for a 17-point skeleton", () => {
    expect(sigmasFor({ id: 1, sigmas: [0.1, 0.2] }, { sigmas: [0.3, 0.4] }, 6)).toEqual([0.1, 0.2]);
    expect(sigmasFor({ id: 1 }, { sigmas: [0.3, 0.4] }, 6)).toEqual([0.3, 0.4]);
    expect(sigmasFor(undefined, undefined, 51)).toBe(COCO_PERSON_SIGMAS);
    expect(sigmasFor({ id: 1 }, {}, 51)).toBe(COCO_PERSON_SIGMAS);
  });

  it('refuses to invent sigmas for another skeleton, naming the category and its point count', () => {
    expect(() => sigmasFor({ id: 3 }, undefined, 12)).toThrow('category 3 has 4 keypoints and no OKS sigmas');
    expect(() => sigmasFor(undefined, undefined, 15)).toThrow('category undefined has 5 keypoints and no OKS sigmas');
  });
});

describe('prepareGeometry', () => {
  const gt = (id: number, extra: Partial<EvalGt> = {}): EvalGt => ({ id, imageId: 1, categoryId: 1, area: 100, ...extra });
  const dt = (id: number | undefined, extra: Partial<EvalDt> = {}): EvalDt => ({ id, imageId: 1, categoryId: 1, score: 0.5, ...extra });
  const prep = (iouType: 'bbox' | 'segm' | 'keypoints', gts: EvalGt[], dts: EvalDt[]) =>
    prepareGeometry(iouType, gts, Int32Array.from(gts.keys()), dts, Int32Array.from(dts.keys()), new Map(), { sigmas: [0.1, 0.1] });

  it('bbox: refuses a missing, short or non-finite box, naming the item', () => {
    const msg = 'bbox must be 4 finite numbers [x, y, w, h]';
    expect(() => prep('bbox', [gt(5)], [])).toThrow(`ground truth 5: ${msg}`);
    expect(() => prep('bbox', [gt(5, { bbox: [0, 0, 1] })], [])).toThrow(`ground truth 5: ${msg}`);
    expect(() => prep('bbox', [gt(5, { bbox: [0, 0, 1, Number.NaN] })], [])).toThrow(`ground truth 5: ${msg}`);
    expect(() => prep('bbox', [gt(5, { bbox: [Number.POSITIVE_INFINITY, 0, 1, 1] })], [])).toThrow(`ground truth 5: ${msg}`);
    expect(() => prep('bbox', [], [dt(7, { bbox: [0, 0, 1, 1, 1] })])).toThrow(`detection 7: ${msg}`);
    // Without an id, its place in the list.
    expect(() => prep('bbox', [], [dt(9, { bbox: [0, 0, 1, 1] }), dt(undefined)])).toThrow(`detection 1: ${msg}`);
    expect(() => prep('bbox', [], [dt(9, { bbox: [0, 0, 1, 1] }), dt(undefined, { bbox: [0, 0, 1, Number.NEGATIVE_INFINITY] })])).toThrow(`detection 1: ${msg}`);
  });

  it('bbox: a finite box far out is a box, even where its coordinates sum past the largest double', () => {
    const far = 1e308, msg = 'bbox must be 4 finite numbers [x, y, w, h]';
    const g = prep('bbox', [gt(1, { bbox: [far, far, 10, 10] })], [dt(1, { bbox: [far, far, 10, 10] }), dt(2, { bbox: [0, 0, 10, 10] })]);
    expect(Array.from(g.dtArea)).toEqual([100, 100]);
    for (const bad of [[far, Number.NaN, 1, 1], [far, far, Number.POSITIVE_INFINITY, 1], [0, far, far, Number.NaN]]) {
      expect(() => prep('bbox', [gt(3, { bbox: bad })], [])).toThrow(`ground truth 3: ${msg}`);
    }
  });

  it('bbox: a detection area is its own `area`, else w × h; the fill gives box IoUs, crowd-aware', () => {
    const g = prep('bbox', [gt(1, { bbox: [0, 0, 10, 10] }), gt(2, { bbox: [5, 0, 10, 10], iscrowd: 1 })], [dt(1, { bbox: [0, 0, 10, 10] }), dt(2, { bbox: [0, 0, 4, 2], area: 3 })]);
    expect(Array.from(g.dtArea)).toEqual([100, 3]);
    const out = new Float64Array(4);
    g.fill(Int32Array.from([0, 1]), 2, Int32Array.from([0, 1]), 0, 2, out);
    // d0: g0 identical (1), crowd g1: 50 / d0's 100. d1 (0,0,4,2) inside g0: 8 / 100; apart from g1 (x 5..15).
    expect(Array.from(out)).toEqual([1, 0.5, 0.08, 0]);
  });

  it('segm: needs every mask; area from the mask unless given', () => {
    const m = encodeRle([1, 1, 0, 0, 1, 0], 3, 2);
    expect(() => prep('segm', [gt(4)], [])).toThrow('ground truth 4: segm evaluation needs its mask (segm)');
    expect(() => prep('segm', [gt(4, { segm: m })], [dt(6)])).toThrow('detection 6: segm evaluation needs its mask (segm)');
    expect(() => prep('segm', [], [dt(6, { segm: m }), dt(undefined)])).toThrow('detection 1: segm evaluation needs its mask (segm)');
    const g = prep('segm', [gt(4, { segm: m })], [dt(6, { segm: m }), dt(7, { segm: m, area: 10 })]);
    expect(Array.from(g.dtArea)).toEqual([3, 10]);
  });

  it('keypoints: needs points and a box; a detection area is its own, else its points extent', () => {
    const kp = [0, 0, 2, 4, 3, 2];
    expect(() => prep('keypoints', [gt(4, { bbox: [0, 0, 1, 1] })], [])).toThrow('ground truth 4: keypoint evaluation needs its keypoints');
    expect(() => prep('keypoints', [gt(4, { keypoints: kp })], [])).toThrow('ground truth 4: bbox must be 4 finite numbers');
    expect(() => prep('keypoints', [], [dt(8)])).toThrow('detection 8: keypoint evaluation needs its keypoints');
    expect(() => prep('keypoints', [], [dt(8, { keypoints: kp }), dt(undefined)])).toThrow('detection 1: keypoint evaluation needs its keypoints');
    // Points (1, 2) and (7, 5), v not looked at: extent 6 × 3 = 18.
    const g = prep('keypoints', [gt(4, { keypoints: kp, bbox: [0, 0, 4, 3] })], [dt(8, { keypoints: [1, 2, 0, 7, 5, 1] }), dt(9, { keypoints: kp, area: 2 })]);
    expect(Array.from(g.dtArea)).toEqual([18, 2]);
    const out = new Float64Array(2);
    g.fill(Int32Array.from([0, 1]), 2, Int32Array.from([0]), 0, 1, out);
    // dt 9 has the gt's own points: OKS 1.
    expect(out[1]).toBe(1);
    expect(out[0]).toBeLessThan(1);
  });
});
