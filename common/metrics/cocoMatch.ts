/**
 * The greedy matching of pycocotools' `evaluateImg`, for one image and one category (or one image, class
 * agnostic), shared by the evaluation and by the per-image matching of the compare view so both always agree.
 *
 * Definitions (cocoeval.py, commit 8c9bcc3):
 * - Detections are visited in descending score, ties in input order (a stable sort), at most maxDets of them.
 * - Ground truths are visited non-ignored first, each group in input order (a stable sort on the ignore flag).
 * - A detection takes the gt with the highest IoU >= the threshold; on equal IoU the later gt in that visiting
 *   order wins (the comparison is `iou < best` → skip). The threshold is capped at 1 - 1e-10 so a threshold of
 *   1 still matches identical boxes.
 * - A non-crowd gt already taken at this threshold is skipped; a crowd gt can absorb any number of detections.
 * - Once a detection holds a non-ignored gt it stops at the first ignored one: it never trades a real match for
 *   an ignored region, however much better the overlap.
 * - A detection matched to an ignored gt is ignored; an unmatched detection whose own area lies outside the
 *   area range is ignored too (it could have been a match for an out-of-range object); everything else
 *   unmatched is a false positive.
 */

import { boxIouAt, COCO_PERSON_SIGMAS, keypointResultBox, maskIou, oks, prepareMask, type PreparedKeypointsGt, type PreparedMask } from './cocoIou.js';
import type { EvalCategory, EvalDt, EvalGt, IouType } from './cocoTypes.js';

/** What one detection is at one threshold. */
export const DT_FP = 0;
export const DT_TP = 1;
export const DT_IGNORED = 2;

/** Reusable buffers, so matching thousands of images allocates nothing per image. */
export class MatchScratch {
  order = new Int32Array(64);
  taken = new Uint8Array(64);

  ensure(g: number): void {
    if (this.order.length < g) {
      const n = Math.max(g, this.order.length * 2);
      this.order = new Int32Array(n);
      this.taken = new Uint8Array(n);
    }
  }
}

/**
 * Match `nd` detections (rows of `iou`, already in score order and cut to maxDets) with `ng` ground truths
 * (columns of `iou`, in input order) at one threshold.
 *
 * @param iou row-major nd × ng; values < 0 never match
 * @param gtIgnore 1 where the gt is ignored in this area range (crowd, `ignore`, out of range, ...)
 * @param gtCrowd 1 where the gt is a crowd region (can be matched many times)
 * @param dtMatch out: per detection, the gt column it matched, or -1
 */
export function matchAtThreshold(
  iou: ArrayLike<number>,
  nd: number,
  ng: number,
  gtIgnore: ArrayLike<number>,
  gtCrowd: ArrayLike<number>,
  threshold: number,
  dtMatch: Int32Array,
  scratch: MatchScratch,
): void {
  scratch.ensure(ng);
  const order = scratch.order, taken = scratch.taken;
  // Stable: non-ignored gts first, each group in input order.
  let p = 0;
  for (let g = 0; g < ng; g++) if (!gtIgnore[g]) order[p++] = g;
  for (let g = 0; g < ng; g++) if (gtIgnore[g]) order[p++] = g;
  taken.fill(0, 0, ng);
  const start = Math.min(threshold, 1 - 1e-10);
  for (let d = 0; d < nd; d++) {
    let best = start;
    let m = -1;
    const row = d * ng;
    for (let j = 0; j < ng; j++) {
      const g = order[j];
      if (taken[g] && !gtCrowd[g]) continue;
      if (m > -1 && !gtIgnore[m] && gtIgnore[g]) break;
      const v = iou[row + g];
      if (v < best || v !== v) continue;
      best = v;
      m = g;
    }
    dtMatch[d] = m;
    if (m >= 0) taken[m] = 1;
  }
}

/**
 * Indices of `scores` (restricted to `idx[0..n)`) in descending score, ties in the order given: numpy's
 * `argsort(-scores, kind='mergesort')`. Written into `out`; returns it.
 */
export function sortByScore(idx: ArrayLike<number>, n: number, scores: ArrayLike<number>, out: Int32Array): Int32Array {
  if (n <= 24) {
    // Insertion sort: stable and the fastest for the few detections one image holds per class.
    for (let i = 0; i < n; i++) {
      const v = idx[i];
      const s = scores[v];
      let j = i - 1;
      while (j >= 0 && scores[out[j]] < s) {
        out[j + 1] = out[j];
        j--;
      }
      out[j + 1] = v;
    }
    return out;
  }
  const tmp = Array.from({ length: n }, (_, i) => i);
  tmp.sort((a, b) => scores[idx[b]] - scores[idx[a]] || a - b);
  for (let i = 0; i < n; i++) out[i] = idx[tmp[i]];
  return out;
}

// ================================================================ geometry sources

/** Fills `out` (nd × ng, row-major) with the overlap of detections `dt[ds..)` and gts `gt[gs..)`, by input index. */
export type IouFill = (dt: Int32Array, nd: number, gt: Int32Array, gs: number, ng: number, out: Float64Array) => void;

/** The box, checked: 4 finite numbers. `what` names the item in the error (built only on failure). */
function finiteBox(b: readonly number[] | undefined, what: () => string): readonly number[] {
  // Each coordinate on its own: their sum overflows to Infinity for finite boxes near 1e308.
  if (!b || b.length !== 4 || !Number.isFinite(b[0]) || !Number.isFinite(b[1]) || !Number.isFinite(b[2]) || !Number.isFinite(b[3])) throw new Error(`${what()}: bbox must be 4 finite numbers [x, y, w, h]`);
  return b;
}

/**
 * Sigma lookup per category: the category's own, else the params', else COCO's person sigmas for a 17-point
 * skeleton. A category whose points have no sigmas cannot be scored by OKS: say so rather than invent them.
 */
export function sigmasFor(cat: EvalCategory | undefined, params: { sigmas?: readonly number[] } | undefined, points: number): readonly number[] {
  const s = cat?.sigmas ?? params?.sigmas ?? (points === COCO_PERSON_SIGMAS.length * 3 ? COCO_PERSON_SIGMAS : undefined);
  if (!s) {
    throw new Error(`category ${cat?.id} has ${points / 3} keypoints and no OKS sigmas: give its template per-keypoint sigmas (EvalCategory.sigmas)`);
  }
  return s;
}

export interface PreparedGeometry {
  fill: IouFill;
  dtArea: Float64Array;
}

/** Extracts what the overlap measure needs from the in-scope items, once, into flat arrays. */
export function prepareGeometry(
  iouType: IouType,
  gts: readonly EvalGt[],
  gtIn: Int32Array,
  dts: readonly EvalDt[],
  dtIn: Int32Array,
  cats: Map<number, EvalCategory>,
  params: { sigmas?: readonly number[] } | undefined,
): PreparedGeometry {
  const nG = gts.length, nD = dts.length;
  const dtArea = new Float64Array(nD);
  const crowd = new Uint8Array(nG);
  for (let i = 0; i < gtIn.length; i++) crowd[gtIn[i]] = gts[gtIn[i]].iscrowd ? 1 : 0;

  if (iouType === 'bbox') {
    const G = new Float64Array(4 * nG), D = new Float64Array(4 * nD);
    const put = (to: Float64Array, at: number, b: readonly number[]) => {
      to[at] = b[0];
      to[at + 1] = b[1];
      to[at + 2] = b[2];
      to[at + 3] = b[3];
    };
    for (let i = 0; i < gtIn.length; i++) {
      const j = gtIn[i];
      put(G, 4 * j, finiteBox(gts[j].bbox, () => `ground truth ${gts[j].id}`));
    }
    for (let i = 0; i < dtIn.length; i++) {
      const j = dtIn[i], d = dts[j];
      const b = finiteBox(d.bbox, () => `detection ${d.id ?? j}`);
      put(D, 4 * j, b);
      dtArea[j] = d.area ?? b[2] * b[3];
    }
    return {
      dtArea,
      fill: (dt, nd, gt, gs, ng, out) => {
        for (let d = 0; d < nd; d++) {
          const db = 4 * dt[d];
          for (let g = 0; g < ng; g++) {
            const gi = gt[gs + g];
            out[d * ng + g] = boxIouAt(D, db, G, 4 * gi, crowd[gi] === 1);
          }
        }
      },
    };
  }

  if (iouType === 'segm') {
    const G: PreparedMask[] = new Array(nG), D: PreparedMask[] = new Array(nD);
    for (let i = 0; i < gtIn.length; i++) {
      const g = gts[gtIn[i]];
      if (!g.segm) throw new Error(`ground truth ${g.id}: segm evaluation needs its mask (segm)`);
      G[gtIn[i]] = prepareMask(g.segm);
    }
    for (let i = 0; i < dtIn.length; i++) {
      const j = dtIn[i], d = dts[j];
      if (!d.segm) throw new Error(`detection ${d.id ?? j}: segm evaluation needs its mask (segm)`);
      D[j] = prepareMask(d.segm);
      dtArea[j] = d.area ?? D[j].area;
    }
    return {
      dtArea,
      fill: (dt, nd, gt, gs, ng, out) => {
        for (let d = 0; d < nd; d++) {
          const dm = D[dt[d]];
          for (let g = 0; g < ng; g++) {
            const gi = gt[gs + g];
            out[d * ng + g] = maskIou(dm, G[gi], crowd[gi] === 1);
          }
        }
      },
    };
  }

  // keypoints
  const G: PreparedKeypointsGt[] = new Array(nG);
  const D: (readonly number[])[] = new Array(nD);
  for (let i = 0; i < gtIn.length; i++) {
    const g = gts[gtIn[i]];
    if (!g.keypoints) throw new Error(`ground truth ${g.id}: keypoint evaluation needs its keypoints`);
    G[gtIn[i]] = {
      keypoints: g.keypoints,
      bbox: finiteBox(g.bbox, () => `ground truth ${g.id}`),
      area: g.area,
      sigmas: sigmasFor(cats.get(g.categoryId), params, g.keypoints.length),
    };
  }
  for (let i = 0; i < dtIn.length; i++) {
    const j = dtIn[i], d = dts[j];
    if (!d.keypoints) throw new Error(`detection ${d.id ?? j}: keypoint evaluation needs its keypoints`);
    D[j] = d.keypoints;
    if (d.area !== undefined) dtArea[j] = d.area;
    else {
      const b = keypointResultBox(d.keypoints);
      dtArea[j] = b[2] * b[3];
    }
  }
  const scratch = new Float64Array(64);
  return {
    dtArea,
    fill: (dt, nd, gt, gs, ng, out) => {
      for (let d = 0; d < nd; d++) {
        const dk = D[dt[d]];
        for (let g = 0; g < ng; g++) out[d * ng + g] = oks(dk, G[gt[gs + g]], scratch);
      }
    },
  };
}
