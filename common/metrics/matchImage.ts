/**
 * One image's labels against one run's predictions, matched exactly as the COCO evaluation matches them (the
 * same code: cocoMatch.ts), at one IoU threshold, one area range and one confidence threshold: what the compare
 * view colours as true positive, false positive and miss, and shows on hover. Matching is per category, as in
 * COCO: a prediction of the wrong class is a false positive and the object it covers a miss.
 *
 * Cost: one overlap matrix per category and one greedy pass; 20 labels × 50 predictions take a few
 * microseconds for boxes, so it can follow a slider.
 */
import { matchAtThreshold, MatchScratch, prepareGeometry, sortByScore } from './cocoMatch.js';
import type { EvalCategory, EvalDt, EvalGt, IouType } from './cocoTypes.js';

export interface MatchImageOptions {
  /** Default 'bbox'. */
  iouType?: IouType;
  /** IoU (OKS for keypoints) a match needs, `>=`; default 0.5. */
  iouThreshold?: number;
  /** Inclusive range of the gt `area` that counts; default [0, 1e10] (COCO's `all`). */
  areaRange?: readonly [number, number];
  /** Highest-scoring predictions per category that take part, as COCO's maxDets; default 100. */
  maxDets?: number;
  /** Predictions scoring below this are left out before matching (the confidence slider); default none. */
  scoreThreshold?: number;
  /** For keypoints: per-class OKS sigmas (`EvalCategory.sigmas`). */
  categories?: readonly EvalCategory[];
  /** For keypoints: sigmas of classes without their own. */
  sigmas?: readonly number[];
}

/**
 * - `tp`: matched a label; `fp`: matched nothing; `ignored`: matched a crowd/ignored label, or matched nothing
 *   but its own area is outside the area range (COCO counts it neither way);
 * - `belowScore`: under `scoreThreshold`; `overMaxDets`: beyond the maxDets best of its class. Neither took part.
 */
export type DtStatus = 'tp' | 'fp' | 'ignored' | 'belowScore' | 'overMaxDets';
/** `tp`: found; `fn`: missed; `ignored`: crowd, `ignore`, no labelled keypoint, or area outside the range. */
export type GtStatus = 'tp' | 'fn' | 'ignored';

export interface DtMatch {
  status: DtStatus;
  /** Index in the `gts` given of the label it matched, or -1. */
  gt: number;
  gtId: number | null;
  /** IoU with the matched label, or 0. */
  iou: number;
  /** Highest IoU with any label of its class (for a false positive: how close it came). */
  bestIou: number;
}

export interface GtMatch {
  status: GtStatus;
  /** Index in the `dts` given of the (highest-scoring) prediction matched to it, or -1. */
  dt: number;
  dtId: number | null;
  iou: number;
}

export interface ImageMatch {
  /** One entry per prediction, in the order given. */
  dts: DtMatch[];
  /** One entry per label, in the order given. */
  gts: GtMatch[];
  tp: number;
  fp: number;
  fn: number;
}

/** Match one image's labels `gts` with predictions `dts` (see the module comment). */
export function matchImage(gts: readonly EvalGt[], dts: readonly EvalDt[], options: MatchImageOptions = {}): ImageMatch {
  const iouType = options.iouType ?? 'bbox';
  const thr = options.iouThreshold ?? 0.5;
  const [lo, hi] = options.areaRange ?? [0, 1e10];
  const maxDets = options.maxDets ?? 100;
  const minScore = options.scoreThreshold ?? -Infinity;
  const cats = new Map((options.categories ?? []).map((c) => [c.id, c]));

  const dtOut: DtMatch[] = dts.map(() => ({ status: 'belowScore', gt: -1, gtId: null, iou: 0, bestIou: 0 }));
  const gtOut: GtMatch[] = gts.map(() => ({ status: 'fn', dt: -1, dtId: null, iou: 0 }));

  // Groups by category, items in input order.
  const groups = new Map<number, { g: number[]; d: number[] }>();
  const group = (c: number) => {
    let e = groups.get(c);
    if (!e) groups.set(c, (e = { g: [], d: [] }));
    return e;
  };
  for (let i = 0; i < gts.length; i++) group(gts[i].categoryId).g.push(i);
  for (let i = 0; i < dts.length; i++) if (dts[i].score >= minScore) group(dts[i].categoryId).d.push(i);

  const all = [...groups.values()];
  const gtIn = Int32Array.from(all.flatMap((e) => e.g));
  const dtIn = Int32Array.from(all.flatMap((e) => e.d));
  const geo = prepareGeometry(iouType, gts, gtIn, dts, dtIn, cats, options);
  const scores = Float64Array.from(dts, (d) => d.score);
  const scratch = new MatchScratch();
  let tp = 0, fp = 0, fn = 0;

  for (const { g, d } of all) {
    const ng = g.length, nAll = d.length;
    const sorted = sortByScore(d, nAll, scores, new Int32Array(nAll));
    const nd = Math.min(nAll, maxDets);
    for (let i = nd; i < nAll; i++) dtOut[sorted[i]].status = 'overMaxDets';
    const gIdx = Int32Array.from(g);
    const ignore = new Uint8Array(ng), crowd = new Uint8Array(ng);
    for (let j = 0; j < ng; j++) {
      const x = gts[g[j]];
      crowd[j] = x.iscrowd ? 1 : 0;
      let ig = !!x.iscrowd || !!x.ignore || x.area < lo || x.area > hi;
      if (iouType === 'keypoints') ig ||= (x.numKeypoints ?? countLabelled(x.keypoints)) === 0;
      ignore[j] = ig ? 1 : 0;
    }
    const iou = new Float64Array(nd * ng);
    if (nd > 0 && ng > 0) geo.fill(sorted, nd, gIdx, 0, ng, iou);
    const match = new Int32Array(nd).fill(-1);
    if (nd > 0 && ng > 0) matchAtThreshold(iou, nd, ng, ignore, crowd, thr, match, scratch);

    for (let k = 0; k < nd; k++) {
      const di = sorted[k];
      const out = dtOut[di];
      let best = 0;
      for (let j = 0; j < ng; j++) if (iou[k * ng + j] > best) best = iou[k * ng + j];
      out.bestIou = best;
      const m = match[k];
      if (m >= 0) {
        out.gt = g[m];
        out.gtId = gts[g[m]].id;
        out.iou = iou[k * ng + m];
        out.status = ignore[m] ? 'ignored' : 'tp';
        const go = gtOut[g[m]];
        if (go.dt < 0) {
          go.dt = di;
          go.dtId = dts[di].id ?? null;
          go.iou = out.iou;
        }
      } else {
        const a = geo.dtArea[di];
        out.status = a < lo || a > hi ? 'ignored' : 'fp';
      }
      if (out.status === 'tp') tp++;
      else if (out.status === 'fp') fp++;
    }
    for (let j = 0; j < ng; j++) {
      const go = gtOut[g[j]];
      if (ignore[j]) go.status = 'ignored';
      else if (go.dt >= 0) go.status = 'tp';
      else {
        go.status = 'fn';
        fn++;
      }
    }
  }
  return { dts: dtOut, gts: gtOut, tp, fp, fn };
}

function countLabelled(kp: readonly number[] | undefined): number {
  let n = 0;
  if (kp) for (let v = 2; v < kp.length; v += 3) if (kp[v] > 0) n++;
  return n;
}
