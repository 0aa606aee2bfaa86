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
