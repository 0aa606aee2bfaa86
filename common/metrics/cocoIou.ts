/**
 * Overlap measures as pycocotools computes them, to the last bit where that matters (a threshold compares with
 * `>=`, and 0.9 on paper is 0.8999999999999999 in doubles on both sides only if the arithmetic is the same):
 *
 * - boxes: maskApi.c `bbIou`, in its order of operations;
 * - masks: maskApi.c `rleIou`, on the run lengths (never decoded to pixels), with its box pre-check;
 * - keypoints: cocoeval.py `computeOks` (object keypoint similarity).
 *
 * For a crowd ground truth the union is replaced by the detection's own area (a crowd region is a set of many
 * objects: a detection inside it is "covered", however small it is).
 */
import { rleArea, rleBbox, rleIntersection, type Rle } from '../geometry/rle.js';

/** numpy's `np.spacing(1)`, the epsilon pycocotools adds in OKS and precision. */
export const COCO_EPS = 2.220446049250313e-16;

/**
 * The 17 COCO person keypoint sigmas (nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles), as
 * cocoeval.py builds them: `np.array([.26, .25, ...]) / 10.0`. Dividing gives different doubles from writing
 * 0.026 etc., so the division is kept.
 */
export const COCO_PERSON_SIGMAS: readonly number[] = Object.freeze(
  [0.26, 0.25, 0.25, 0.35, 0.35, 0.79, 0.79, 0.72, 0.72, 0.62, 0.62, 1.07, 1.07, 0.87, 0.87, 0.89, 0.89].map((s) => s / 10),
);

/**
 * IoU of two [x, y, w, h] boxes (maskApi.c `bbIou`): 0 when the overlap's width or height is <= 0, else
 * `i / u` with `u = dw*dh + gw*gh - i`, or `u = dw*dh` (the detection's area) when the gt is a crowd region.
 */
export function bboxIou(dt: ArrayLike<number>, gt: ArrayLike<number>, crowd = false): number {
  return boxIouAt(dt, 0, gt, 0, crowd);
}

/** `bboxIou` on boxes stored flat (4 numbers each) at offsets `d` and `g`: no arrays made per pair. */
export function boxIouAt(D: ArrayLike<number>, d: number, G: ArrayLike<number>, g: number, crowd: boolean): number {
  const dx = D[d], dy = D[d + 1], dw = D[d + 2], dh = D[d + 3];
  const gx = G[g], gy = G[g + 1], gw = G[g + 2], gh = G[g + 3];
  const w = Math.min(dw + dx, gw + gx) - Math.max(dx, gx);
  if (!(w > 0)) return 0;
  const h = Math.min(dh + dy, gh + gy) - Math.max(dy, gy);
  if (!(h > 0)) return 0;
  const i = w * h;
  const da = dw * dh;
  const u = crowd ? da : da + gw * gh - i;
  return i / u;
}

/** A mask with what `rleIou` needs precomputed once: its area and its pycocotools box. */
export interface PreparedMask {
  rle: Rle;
  area: number;
  /** [x, y, w, h] in whole pixels (pycocotools `toBbox`). */
  box: [number, number, number, number];
}

export function prepareMask(rle: Rle): PreparedMask {
  return { rle, area: rleArea(rle), box: rleBbox(rle) };
}

/**
 * Mask IoU (maskApi.c `rleIou`): first the IoU of the two masks' boxes; where that is 0 the answer is 0 without
 * walking the runs. Masks of different image sizes give -1 (never a match) when their boxes overlap, as in
 * pycocotools. Otherwise intersection / union in pixel counts, with union = the detection's area for a crowd gt.
 */
export function maskIou(dt: PreparedMask, gt: PreparedMask, crowd = false): number {
  if (boxIouAt(dt.box, 0, gt.box, 0, crowd) <= 0) return 0;
  if (dt.rle.width !== gt.rle.width || dt.rle.height !== gt.rle.height) return -1;
  const i = rleIntersection(dt.rle, gt.rle);
  if (i === 0) return 0;
  return i / (crowd ? dt.area : dt.area + gt.area - i);
}

/** A ground-truth skeleton with what OKS needs: points (x, y, v triples), box, area and per-point 1/(2σ)². */
export interface PreparedKeypointsGt {
  keypoints: ArrayLike<number>;
  bbox: ArrayLike<number>;
  area: number;
  sigmas: readonly number[];
}

/**
 * Object keypoint similarity of a detection's points with a ground truth's (cocoeval.py `computeOks`):
 * `e_i = (dx_i² + dy_i²) / (2σ_i)² / (area + eps) / 2`, OKS = mean of `exp(-e_i)` over the gt's labelled
 * (v > 0) points. A gt without labelled points (crowd, `num_keypoints: 0`) measures instead how far each
 * detected point lies outside the gt box grown by its width and height on every side, averaged over all k
 * points. `area` is the gt's `area` field (not its box). The sum is numpy's pairwise sum, so the result is
 * bit-identical to pycocotools' up to `exp`'s last bit.
 */
export function oks(dtKeypoints: ArrayLike<number>, gt: PreparedKeypointsGt, scratch?: Float64Array): number {
  const sigmas = gt.sigmas;
  const k = sigmas.length;
  const g = gt.keypoints;
  if (g.length !== 3 * k) throw new Error(`ground-truth keypoints hold ${g.length} numbers; ${k} sigmas need ${3 * k}`);
  if (dtKeypoints.length !== 3 * k) throw new Error(`detected keypoints hold ${dtKeypoints.length} numbers; ${k} sigmas need ${3 * k}`);
  const terms = scratch && scratch.length >= k ? scratch : new Float64Array(k);
  const area = gt.area + COCO_EPS;
  let labelled = 0;
  for (let j = 0; j < k; j++) if (g[3 * j + 2] > 0) labelled++;
  let n = 0;
  if (labelled > 0) {
    for (let j = 0; j < k; j++) {
      if (!(g[3 * j + 2] > 0)) continue;
      const dx = dtKeypoints[3 * j] - g[3 * j];
      const dy = dtKeypoints[3 * j + 1] - g[3 * j + 1];
      const s2 = sigmas[j] * 2;
      terms[n++] = Math.exp(-((dx * dx + dy * dy) / (s2 * s2) / area / 2));
    }
  } else {
    const bb = gt.bbox;
    const x0 = bb[0] - bb[2], x1 = bb[0] + bb[2] * 2;
    const y0 = bb[1] - bb[3], y1 = bb[1] + bb[3] * 2;
    for (let j = 0; j < k; j++) {
      const xd = dtKeypoints[3 * j], yd = dtKeypoints[3 * j + 1];
      const dx = Math.max(0, x0 - xd) + Math.max(0, xd - x1);
      const dy = Math.max(0, y0 - yd) + Math.max(0, yd - y1);
      const s2 = sigmas[j] * 2;
      terms[n++] = Math.exp(-((dx * dx + dy * dy) / (s2 * s2) / area / 2));
    }
  }
  return pairwiseSum(terms, n) / n;
}

/**
 * numpy's `pairwise_sum` for n <= 128 (one block): plain loop under 8 terms, else eight running sums combined
 * as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)) and the tail added in order.
 */
export function pairwiseSum(a: ArrayLike<number>, n: number, from = 0): number {
  if (n < 8) {
    let s = 0;
    for (let i = from; i < from + n; i++) s += a[i];
    return s;
  }
  if (n > 128) {
    // numpy splits larger arrays in two (the first part a multiple of 8 long) and recurses.
    let n2 = n >> 1;
    n2 -= n2 & 7;
    return pairwiseSum(a, n2, from) + pairwiseSum(a, n - n2, from + n2);
  }
  let r0 = a[from], r1 = a[from + 1], r2 = a[from + 2], r3 = a[from + 3];
  let r4 = a[from + 4], r5 = a[from + 5], r6 = a[from + 6], r7 = a[from + 7];
  let i = 8;
  for (; i < n - (n % 8); i += 8) {
    const j = from + i;
    r0 += a[j];
    r1 += a[j + 1];
    r2 += a[j + 2];
    r3 += a[j + 3];
    r4 += a[j + 4];
    r5 += a[j + 5];
    r6 += a[j + 6];
    r7 += a[j + 7];
  }
  let res = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
  for (; i < n; i++) res += a[from + i];
  return res;
}

/** Extent of all points of a detected skeleton, as `loadRes` sets a keypoint result's box (v is not looked at). */
export function keypointResultBox(points: ArrayLike<number>): [number, number, number, number] {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i + 1 < points.length; i += 3) {
    const x = points[i], y = points[i + 1];
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  if (x0 === Infinity) return [0, 0, 0, 0];
  return [x0, y0, x1 - x0, y1 - y0];
}
