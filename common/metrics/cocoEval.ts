/**
 * COCO detection, instance segmentation and keypoint evaluation, number for number as pycocotools' COCOeval
 * (`evaluate()` + `accumulate()` + `summarize()`, cocodataset/cocoapi commit 8c9bcc3), without its costs: no
 * object per (detection, gt) pair, per-(image, category) groups found by one sort, one score sort per category
 * for all area ranges and maxDets, typed arrays throughout.
 *
 * Definitions (each is pycocotools' own; the reference cases in shared/reference/metrics exercise all of them):
 * - Scope: the `images` and `categories` given (ids sorted ascending, duplicates once). Ground truths and
 *   detections of other images or categories are left out (counted in `skipped`).
 * - Per (image, category): detections in descending score, ties in input order (stable), at most the largest
 *   maxDets of them; the smaller maxDets take the first 1 / 10 of those. Matching: see cocoMatch.ts.
 * - A gt is ignored when it is a crowd region (`iscrowd`), when `ignore` is set (a Sightline extension: the COCO
 *   file adapter never sets it, because pycocotools overwrites a file's `ignore` with `iscrowd`), for keypoints
 *   when it has no labelled point (`numKeypoints == 0`), and, per area range, when its `area` field lies outside
 *   the range. Ranges are inclusive at both ends: an area of exactly 1024 is both small and medium.
 * - Detection areas (only used to ignore unmatched detections outside a range): `area` when given, else w*h of
 *   the box (bbox), the mask's pixel count (segm), or the extent of all detected points (keypoints).
 * - Accumulation per (category, area range, maxDets): every image's detections concatenated in ascending image
 *   id, stable-sorted by score again; `recall = tp / npig` (npig = non-ignored gts), `precision =
 *   tp / (tp + fp + 2^-52)`, made non-increasing from the right, read at each recall threshold r at the first
 *   position whose recall >= r, and 0 beyond the highest recall reached.
 * - -1 means undefined: a category (or area range) with no non-ignored gt, or with neither gts nor detections.
 *   It is left out of every mean; a mean of nothing is -1. A category with gts but no detections gives 0.
 * - Means are over all entries > -1 of the selected slice (IoU thresholds × recall thresholds × categories for
 *   AP, IoU thresholds × categories for AR), as `summarize()`; AP50/AP75 select the threshold equal to 0.5 / 0.75.
 *
 * Deliberate difference: pycocotools records a match by the gt's `id` and treats id 0 as "no match" (a
 * detection matched to a gt whose id is 0 counts as a false positive and the gt as missed). Here matches are
 * recorded by position, so a gt with id 0 is an ordinary object.
 */
import { COCO_EPS, COCO_PERSON_SIGMAS, pairwiseSum } from './cocoIou.js';
import { DT_FP, DT_IGNORED, DT_TP, matchAtThreshold, MatchScratch, prepareGeometry, sortByScore } from './cocoMatch.js';
import type { AreaRange, CocoParams, EvalCategory, EvalDt, EvalGt, EvalImage, IouType } from './cocoTypes.js';

export { bboxIou, COCO_PERSON_SIGMAS, maskIou, oks } from './cocoIou.js';
export type { AreaRange, CocoParams, EvalCategory, EvalDt, EvalGt, EvalImage, IouType } from './cocoTypes.js';

export interface CocoEvalInput {
  images: readonly EvalImage[];
  categories: readonly EvalCategory[];
  gts: readonly EvalGt[];
  dts: readonly EvalDt[];
  iouType: IouType;
  params?: CocoParams;
}

export interface ResolvedParams {
  iouType: IouType;
  iouThrs: number[];
  recThrs: number[];
  maxDets: number[];
  areaRanges: AreaRange[];
  /** Sorted, unique. */
  imgIds: number[];
  catIds: number[];
}

export const DETECTION_STAT_NAMES = ['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10', 'AR100', 'ARs', 'ARm', 'ARl'] as const;
export const KEYPOINT_STAT_NAMES = ['AP', 'AP50', 'AP75', 'APm', 'APl', 'AR', 'AR50', 'AR75', 'ARm', 'ARl'] as const;
export type DetectionStatName = (typeof DETECTION_STAT_NAMES)[number];
export type KeypointStatName = (typeof KEYPOINT_STAT_NAMES)[number];
/** The 12 detection numbers (bbox, segm) or the 10 keypoint numbers, by name; -1 where undefined. */
export type CocoStats = Partial<Record<DetectionStatName | KeypointStatName, number>>;

/** The same named numbers as `stats` (AP, AP50, …), restricted to one class. */
export interface PerClassMetrics extends CocoStats {
  categoryId: number;
  name?: string;
  /** Non-ignored gts (area range `all`). */
  numGt: number;
  /** Detections of this class in scope (before the maxDets cut). */
  numDt: number;
}

export interface PrCurve {
  categoryId: number;
  name?: string;
  /** The IoU threshold of `precision` and `scores`: 0.5 when among the thresholds, else the first one. */
  iouThreshold: number;
  /** The recall thresholds (x axis), 101 by default. */
  recall: number[];
  /** Interpolated precision at each recall threshold (area `all`, largest maxDets); -1 for a class without gts. */
  precision: number[];
  /** Precision averaged over the IoU thresholds at each recall threshold (-1 where all are -1). */
  precisionMean: number[];
  /** Score of the detection where each recall threshold is reached (0 past the last reached, -1 undefined). */
  scores: number[];
}

/** Per image, over all categories, at the `iouThreshold` (area `all`, largest maxDets): for error ranking. */
export interface PerImageCounts {
  imageId: number;
  tp: number;
  fp: number;
  /** Non-ignored gts not matched. */
  fn: number;
  /** Mean IoU (OKS for keypoints) of the true positives, or -1 without any. */
  meanIou: number;
}

export interface CocoEvalResult {
  params: ResolvedParams;
  stats: CocoStats;
  /** `stats` in pycocotools' order (`E.stats`). */
  statsArray: number[];
  /** T×R×K×A×M, C order like `E.eval['precision']`; read it with `precisionAt`. -1 where undefined. */
  precision: Float64Array;
  /** T×K×A×M like `E.eval['recall']`. */
  recall: Float64Array;
  /** T×R×K×A×M like `E.eval['scores']`. */
  scores: Float64Array;
  shape: { T: number; R: number; K: number; A: number; M: number };
  perClass: PerClassMetrics[];
  prCurves: PrCurve[];
  perImage: PerImageCounts[];
  /** IoU threshold `perImage` was counted at. */
  perImageIouThreshold: number;
  /** Inputs left out because their image or category is not in scope. */
  skipped: { gts: number; dts: number };
}

/** numpy's `linspace(start, stop, num)`: `i * step + start`, the last value set to `stop`. */
export function linspace(start: number, stop: number, num: number): number[] {
  const div = num - 1;
  const delta = stop - start;
  const step = delta / div;
  const out: number[] = [];
  // numpy: no step for one value (div 0), which is start.
  for (let i = 0; i < num; i++) out.push(div <= 0 ? start : step === 0 ? (i / div) * delta + start : i * step + start);
  if (num > 1) out[num - 1] = stop;
  return out;
}

/** pycocotools' default Params for an IoU type. */
export function defaultCocoParams(iouType: IouType): Required<Omit<CocoParams, 'sigmas'>> & { sigmas: readonly number[] } {
  const iouThrs = linspace(0.5, 0.95, Math.round((0.95 - 0.5) / 0.05) + 1);
  const recThrs = linspace(0.0, 1.0, Math.round((1.0 - 0.0) / 0.01) + 1);
  if (iouType === 'keypoints') {
    return {
      iouThrs,
      recThrs,
      maxDets: [20],
      areaRanges: [
        { label: 'all', range: [0, 1e5 ** 2] },
        { label: 'medium', range: [32 ** 2, 96 ** 2] },
        { label: 'large', range: [96 ** 2, 1e5 ** 2] },
      ],
      sigmas: COCO_PERSON_SIGMAS,
    };
  }
  return {
    iouThrs,
    recThrs,
    maxDets: [1, 10, 100],
    areaRanges: [
      { label: 'all', range: [0, 1e5 ** 2] },
      { label: 'small', range: [0, 32 ** 2] },
      { label: 'medium', range: [32 ** 2, 96 ** 2] },
      { label: 'large', range: [96 ** 2, 1e5 ** 2] },
    ],
    sigmas: COCO_PERSON_SIGMAS,
  };
}

/** One of `summarize()`'s lines: AP or AR, at one IoU threshold or all, one area label, one maxDets value. */
interface StatSpec {
  name: DetectionStatName | KeypointStatName;
  ap: boolean;
  iouThr?: number;
  area: string;
  maxDets: number;
}

function statSpecs(iouType: IouType, maxDets: readonly number[]): StatSpec[] {
  if (iouType === 'keypoints') {
    return [
      { name: 'AP', ap: true, area: 'all', maxDets: 20 },
      { name: 'AP50', ap: true, iouThr: 0.5, area: 'all', maxDets: 20 },
      { name: 'AP75', ap: true, iouThr: 0.75, area: 'all', maxDets: 20 },
      { name: 'APm', ap: true, area: 'medium', maxDets: 20 },
      { name: 'APl', ap: true, area: 'large', maxDets: 20 },
      { name: 'AR', ap: false, area: 'all', maxDets: 20 },
      { name: 'AR50', ap: false, iouThr: 0.5, area: 'all', maxDets: 20 },
      { name: 'AR75', ap: false, iouThr: 0.75, area: 'all', maxDets: 20 },
      { name: 'ARm', ap: false, area: 'medium', maxDets: 20 },
      { name: 'ARl', ap: false, area: 'large', maxDets: 20 },
    ];
  }
  // As summarize(): the first line asks for 100 literally, the others for maxDets[0..2].
  const md = (i: number) => maxDets[Math.min(i, maxDets.length - 1)];
  return [
    { name: 'AP', ap: true, area: 'all', maxDets: 100 },
    { name: 'AP50', ap: true, iouThr: 0.5, area: 'all', maxDets: md(2) },
    { name: 'AP75', ap: true, iouThr: 0.75, area: 'all', maxDets: md(2) },
    { name: 'APs', ap: true, area: 'small', maxDets: md(2) },
    { name: 'APm', ap: true, area: 'medium', maxDets: md(2) },
    { name: 'APl', ap: true, area: 'large', maxDets: md(2) },
    { name: 'AR1', ap: false, area: 'all', maxDets: md(0) },
    { name: 'AR10', ap: false, area: 'all', maxDets: md(1) },
    { name: 'AR100', ap: false, area: 'all', maxDets: md(2) },
    { name: 'ARs', ap: false, area: 'small', maxDets: md(2) },
    { name: 'ARm', ap: false, area: 'medium', maxDets: md(2) },
    { name: 'ARl', ap: false, area: 'large', maxDets: md(2) },
  ];
}

/** `E.eval['precision'][t, r, k, a, m]`. */
export function precisionAt(res: CocoEvalResult, t: number, r: number, k: number, a: number, m: number): number {
  const { R, K, A, M } = res.shape;
  return res.precision[(((t * R + r) * K + k) * A + a) * M + m];
}

/** `E.eval['recall'][t, k, a, m]`. */
export function recallAt(res: CocoEvalResult, t: number, k: number, a: number, m: number): number {
  const { K, A, M } = res.shape;
  return res.recall[((t * K + k) * A + a) * M + m];
}

/**
 * Input indices of the in-scope items sorted by (category index, image index, input index), and the key of each:
 * one numeric sort of `key * n + i` gives the groups in the order pycocotools visits them.
 */
function groupByKey(
  items: readonly { imageId: number; categoryId: number }[],
  imgIndex: Map<number, number>,
  catIndex: Map<number, number>,
): { idx: Int32Array; key: Float64Array; skipped: number } {
  const n = items.length;
  const nImg = imgIndex.size;
  if (catIndex.size * nImg * n > Number.MAX_SAFE_INTEGER) {
    throw new Error(`too many images × categories × items to group (${nImg} × ${catIndex.size} × ${n})`);
  }
  const packed = new Float64Array(n);
  let p = 0;
  for (let i = 0; i < n; i++) {
    const it = items[i];
    const ii = imgIndex.get(it.imageId), ci = catIndex.get(it.categoryId);
    if (ii === undefined || ci === undefined) continue;
    packed[p++] = (ci * nImg + ii) * n + i;
  }
  const sorted = packed.subarray(0, p).sort();
  const idx = new Int32Array(p), key = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    const v = sorted[j];
    const i = v % n;
    idx[j] = i;
    key[j] = (v - i) / n;
  }
  return { idx, key, skipped: n - p };
}

// ================================================================ evaluation

export function cocoEvaluate(input: CocoEvalInput): CocoEvalResult {
  const { iouType, gts, dts } = input;
  const defaults = defaultCocoParams(iouType);
  const ps = input.params ?? {};
  const iouThrs = [...(ps.iouThrs ?? defaults.iouThrs)];
  const recThrs = [...(ps.recThrs ?? defaults.recThrs)];
  const maxDets = [...(ps.maxDets ?? defaults.maxDets)].sort((a, b) => a - b);
  const areaRanges = (ps.areaRanges ?? defaults.areaRanges).map((a) => ({ label: a.label, range: [a.range[0], a.range[1]] as const }));
  const imgIds = [...new Set(input.images.map((i) => i.id))].sort((a, b) => a - b);
  const catIds = [...new Set(input.categories.map((c) => c.id))].sort((a, b) => a - b);
  const params: ResolvedParams = { iouType, iouThrs, recThrs, maxDets, areaRanges, imgIds, catIds };
  if (maxDets.length === 0) throw new Error('maxDets is empty');

  const T = iouThrs.length, R = recThrs.length, K = catIds.length, A = areaRanges.length, M = maxDets.length;
  const nImg = imgIds.length;
  const imgIndex = new Map(imgIds.map((id, i) => [id, i]));
  const catIndex = new Map(catIds.map((id, i) => [id, i]));
  const cats = new Map(input.categories.map((c) => [c.id, c]));

  for (let i = 0; i < dts.length; i++) {
    if (!Number.isFinite(dts[i].score)) throw new Error(`detection ${dts[i].id ?? i}: score must be a finite number`);
  }
  const G = groupByKey(gts, imgIndex, catIndex);
  const D = groupByKey(dts, imgIndex, catIndex);
  const geo = prepareGeometry(iouType, gts, G.idx, dts, D.idx, cats, ps);
  const dtArea = geo.dtArea;

  // Base ignore flag and area of each gt in scope (input-indexed).
  const gtBaseIgnore = new Uint8Array(gts.length), gtCrowd = new Uint8Array(gts.length), gtAreaArr = new Float64Array(gts.length);
  for (let j = 0; j < G.idx.length; j++) {
    const i = G.idx[j], g = gts[i];
    let ig = !!g.iscrowd || !!g.ignore;
    if (iouType === 'keypoints') {
      let nk = g.numKeypoints;
      if (nk === undefined) {
        nk = 0;
        const kp = g.keypoints ?? [];
        for (let v = 2; v < kp.length; v += 3) if (kp[v] > 0) nk++;
      }
      ig = ig || nk === 0;
    }
    gtBaseIgnore[i] = ig ? 1 : 0;
    gtCrowd[i] = g.iscrowd ? 1 : 0;
    gtAreaArr[i] = g.area;
  }

  const maxDet = maxDets[M - 1];
  const nDtScope = D.idx.length;
  // Kept detections (score order within each group, cut to maxDet), laid out category by category, images
  // ascending: the concatenation order of accumulate().
  const keptScore = new Float64Array(nDtScope);
  const keptRank = new Int32Array(nDtScope);
  const flags = new Uint8Array(nDtScope * A * T);
  const catStart = new Int32Array(K + 1);
  const catNonEmpty = new Uint8Array(K);
  const catDtCount = new Int32Array(K);
  const npig = new Float64Array(K * A);
  let nKept = 0;

  const t50 = Math.max(0, iouThrs.indexOf(0.5));
  // The area range per-image counts and per-class numbers are taken at: the one labelled 'all', else the first.
  const aAll = Math.max(0, areaRanges.findIndex((a) => a.label === 'all'));
  const imgTp = new Int32Array(nImg), imgFp = new Int32Array(nImg), imgFn = new Int32Array(nImg), imgIouSum = new Float64Array(nImg);

  let iou = new Float64Array(1024);
  let sorted = new Int32Array(256);
  let gtIg = new Uint8Array(64), gCrowd = new Uint8Array(64);
  let dtMatch = new Int32Array(256);
  const scratch = new MatchScratch();
  const nG = G.idx.length;

  const dtScore = new Float64Array(dts.length);
  for (let i = 0; i < dts.length; i++) dtScore[i] = dts[i].score;
  let curK = -1; // categories up to curK have their start in catStart
  let gi = 0, di = 0;
  while (gi < nG || di < nDtScope) {
    const key = Math.min(gi < nG ? G.key[gi] : Infinity, di < nDtScope ? D.key[di] : Infinity);
    const gs = gi;
    while (gi < nG && G.key[gi] === key) gi++;
    const ds = di;
    while (di < nDtScope && D.key[di] === key) di++;
    const ng = gi - gs, nAll = di - ds;
    const k = Math.floor(key / nImg), img = key - k * nImg;
    for (; curK < k; curK++) catStart[curK + 1] = nKept;
    catNonEmpty[k] = 1;
    catDtCount[k] += nAll;

    if (sorted.length < nAll) sorted = new Int32Array(nAll * 2);
    sortByScore(D.idx.subarray(ds, di), nAll, dtScore, sorted);
    const nd = Math.min(nAll, maxDet);
    if (dtMatch.length < nd) dtMatch = new Int32Array(nd * 2);
    if (gtIg.length < ng) {
      gtIg = new Uint8Array(ng * 2);
      gCrowd = new Uint8Array(ng * 2);
    }
    for (let g = 0; g < ng; g++) gCrowd[g] = gtCrowd[G.idx[gs + g]];
    if (nd > 0 && ng > 0) {
      if (iou.length < nd * ng) iou = new Float64Array(nd * ng * 2);
      geo.fill(sorted, nd, G.idx, gs, ng, iou);
    }
    for (let d = 0; d < nd; d++) {
      keptScore[nKept + d] = dts[sorted[d]].score;
      keptRank[nKept + d] = d;
    }

    for (let a = 0; a < A; a++) {
      const [lo, hi] = areaRanges[a].range;
      let nonIgnored = 0;
      for (let g = 0; g < ng; g++) {
        const i = G.idx[gs + g];
        const ar = gtAreaArr[i];
        const ig = gtBaseIgnore[i] === 1 || ar < lo || ar > hi;
        gtIg[g] = ig ? 1 : 0;
        if (!ig) nonIgnored++;
      }
      npig[k * A + a] += nonIgnored;
      for (let t = 0; t < T; t++) {
        if (nd > 0 && ng > 0) matchAtThreshold(iou, nd, ng, gtIg, gCrowd, iouThrs[t], dtMatch, scratch);
        else dtMatch.fill(-1, 0, nd);
        let tp = 0, fp = 0, iouSum = 0;
        for (let d = 0; d < nd; d++) {
          const m = dtMatch[d];
          let f: number;
          if (m >= 0) f = gtIg[m] ? DT_IGNORED : DT_TP;
          else {
            const ar = dtArea[sorted[d]];
            f = ar < lo || ar > hi ? DT_IGNORED : DT_FP;
          }
          flags[((nKept + d) * A + a) * T + t] = f;
          if (f === DT_TP) {
            tp++;
            iouSum += iou[d * ng + m];
          } else if (f === DT_FP) fp++;
        }
        if (a === aAll && t === t50) {
          imgTp[img] += tp;
          imgFp[img] += fp;
          imgFn[img] += nonIgnored - tp;
          imgIouSum[img] += iouSum;
        }
      }
    }
    nKept += nd;
  }
  for (; curK < K; curK++) catStart[curK + 1] = nKept;

  // ---------------------------------------------------------------- accumulate
  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const scores = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  // Recall only rises at a true positive and precision only peaks there, so only true positives are stored:
  // the first position whose recall reaches a threshold is a true positive (for thresholds > 0; position 0
  // otherwise), and the precision made non-increasing from the right equals, there, the largest precision
  // at a true positive at or after it. The values are the same doubles as numpy's full arrays give.
  let rc = new Float64Array(256), pr = new Float64Array(256), tpAt = new Int32Array(256);
  let list = new Int32Array(256);
  for (let k = 0; k < K; k++) {
    if (!catNonEmpty[k]) continue;
    const s = catStart[k], e = catStart[k + 1], n = e - s;
    // Stable sort of the concatenation by score: ties keep (image ascending, rank) order.
    const order = Array.from({ length: n }, (_, i) => s + i);
    order.sort((x, y) => keptScore[y] - keptScore[x] || x - y);
    if (rc.length < n) {
      rc = new Float64Array(n);
      pr = new Float64Array(n);
      tpAt = new Int32Array(n);
      list = new Int32Array(n);
    }
    for (let m = 0; m < M; m++) {
      const md = maxDets[m];
      let nd = 0;
      for (let i = 0; i < n; i++) if (keptRank[order[i]] < md) list[nd++] = order[i];
      for (let a = 0; a < A; a++) {
        const np = npig[k * A + a];
        if (np === 0) continue;
        for (let t = 0; t < T; t++) {
          let tp = 0, fp = 0, nt = 0;
          const off = a * T + t, stride = A * T;
          for (let i = 0; i < nd; i++) {
            const f = flags[list[i] * stride + off];
            if (f === DT_TP) {
              tp++;
              tpAt[nt] = i;
              rc[nt] = tp / np;
              pr[nt] = tp / (fp + tp + COCO_EPS);
              nt++;
            } else if (f === DT_FP) fp++;
          }
          recall[((t * K + k) * A + a) * M + m] = nd ? tp / np : 0;
          for (let j = nt - 1; j > 0; j--) if (pr[j] > pr[j - 1]) pr[j - 1] = pr[j];
          let j = 0;
          for (let r = 0; r < R; r++) {
            const at = (((t * R + r) * K + k) * A + a) * M + m;
            const thr = recThrs[r];
            if (nd > 0 && thr <= 0) {
              precision[at] = nt ? pr[0] : 0;
              scores[at] = keptScore[list[0]];
              continue;
            }
            while (j < nt && rc[j] < thr) j++;
            if (j < nt) {
              precision[at] = pr[j];
              scores[at] = keptScore[list[tpAt[j]]];
            } else {
              precision[at] = 0;
              scores[at] = 0;
            }
          }
        }
      }
    }
  }

  const shape = { T, R, K, A, M };
  const specs = statSpecs(iouType, maxDets);
  const all = Array.from({ length: K }, (_, k) => k);
  const stats: CocoStats = {};
  const statsArray: number[] = [];
  for (const spec of specs) {
    const v = summarizeStat(spec, all, params, shape, precision, recall);
    stats[spec.name] = v;
    statsArray.push(v);
  }

  const perClass: PerClassMetrics[] = [];
  const prCurves: PrCurve[] = [];
  for (let k = 0; k < K; k++) {
    const cat = cats.get(catIds[k]);
    const cs: CocoStats = {};
    for (const spec of specs) cs[spec.name] = summarizeStat(spec, [k], params, shape, precision, recall);
    perClass.push({ categoryId: catIds[k], name: cat?.name, numGt: npig[k * A + aAll], numDt: catDtCount[k], ...cs });
    const m = M - 1;
    const p50: number[] = [], pMean: number[] = [], s50: number[] = [];
    for (let r = 0; r < R; r++) {
      const at = (t: number) => (((t * R + r) * K + k) * A + aAll) * M + m;
      p50.push(precision[at(t50)]);
      s50.push(scores[at(t50)]);
      let sum = 0, cnt = 0;
      for (let t = 0; t < T; t++) {
        const v = precision[at(t)];
        if (v > -1) {
          sum += v;
          cnt++;
        }
      }
      pMean.push(cnt ? sum / cnt : -1);
    }
    prCurves.push({ categoryId: catIds[k], name: cat?.name, iouThreshold: iouThrs[t50], recall: [...recThrs], precision: p50, precisionMean: pMean, scores: s50 });
  }

  const perImage: PerImageCounts[] = imgIds.map((imageId, i) => ({
    imageId,
    tp: imgTp[i],
    fp: imgFp[i],
    fn: imgFn[i],
    meanIou: imgTp[i] ? imgIouSum[i] / imgTp[i] : -1,
  }));

  return {
    params,
    stats,
    statsArray,
    precision,
    recall,
    scores,
    shape,
    perClass,
    prCurves,
    perImage,
    perImageIouThreshold: iouThrs[t50],
    skipped: { gts: G.skipped, dts: D.skipped },
  };
}

/**
 * One `summarize()` number over the categories `ks`: the mean of the selected precision (or recall) entries that
 * are > -1, or -1 when there are none (also when the IoU threshold, area label or maxDets value is not in the
 * params, which selects nothing, as in pycocotools).
 */
function summarizeStat(
  spec: StatSpec,
  ks: readonly number[],
  params: ResolvedParams,
  shape: { T: number; R: number; K: number; A: number; M: number },
  precision: Float64Array,
  recall: Float64Array,
): number {
  const { T, R, K, A, M } = shape;
  const a = params.areaRanges.findIndex((x) => x.label === spec.area);
  const m = params.maxDets.indexOf(spec.maxDets);
  if (a < 0 || m < 0) return -1;
  const ts: number[] = [];
  for (let t = 0; t < T; t++) if (spec.iouThr === undefined || params.iouThrs[t] === spec.iouThr) ts.push(t);
  // `np.mean(s[s > -1])`: the kept values in C order (t, r, k for precision; t, k for recall), summed
  // pairwise as numpy does, so the mean is pycocotools' to the last bit or nearly.
  const kept = new Float64Array(ts.length * (spec.ap ? R : 1) * ks.length);
  let n = 0;
  for (const t of ts) {
    if (spec.ap) {
      for (let r = 0; r < R; r++) {
        for (const k of ks) {
          const v = precision[(((t * R + r) * K + k) * A + a) * M + m];
          if (v > -1) kept[n++] = v;
        }
      }
    } else {
      for (const k of ks) {
        const v = recall[((t * K + k) * A + a) * M + m];
        if (v > -1) kept[n++] = v;
      }
    }
  }
  return n ? pairwiseSum(kept, n) / n : -1;
}

/**
 * Python's `'{:0.Nf}'.format(x)`: like `toFixed`, except that an exact binary tie (0.0625 at 3 digits) rounds
 * half to even, where `toFixed` rounds it up.
 */
export function pyFixed(x: number, digits: number): string {
  const t = Math.abs(x) * 2 ** (digits + 1);
  if (Number.isInteger(t) && t % 2 === 1) {
    // |x| = odd / 2^(digits+1) = (n + 0.5) / 10^digits exactly: round n + 0.5 to the even neighbour.
    const n = (t * 5 ** digits - 1) / 2;
    const q = n % 2 === 0 ? n : n + 1;
    const s = (q / 10 ** digits).toFixed(digits);
    return x < 0 ? `-${s}` : s;
  }
  return x.toFixed(digits);
}

/** `summarize()`'s printed lines, character for character. */
export function cocoSummaryLines(res: CocoEvalResult): string[] {
  const p = res.params;
  return statSpecs(p.iouType, p.maxDets).map((spec) => {
    const title = spec.ap ? 'Average Precision' : 'Average Recall';
    const type = spec.ap ? '(AP)' : '(AR)';
    const iou = spec.iouThr === undefined ? `${pyFixed(p.iouThrs[0], 2)}:${pyFixed(p.iouThrs[p.iouThrs.length - 1], 2)}` : pyFixed(spec.iouThr, 2);
    const v = res.stats[spec.name] ?? -1;
    return ` ${title.padEnd(18)} ${type} @[ IoU=${iou.padEnd(9)} | area=${spec.area.padStart(6)} | maxDets=${String(spec.maxDets).padStart(3)} ] = ${pyFixed(v, 3)}`;
  });
}

/** Categories in scope that have detections but no non-ignored gt (AP -1), and the reverse (AP 0): for the UI. */
export function categoriesWithoutCounterpart(res: CocoEvalResult): { noGt: number[]; noDt: number[] } {
  return {
    noGt: res.perClass.filter((c) => c.numGt === 0).map((c) => c.categoryId),
    noDt: res.perClass.filter((c) => c.numGt > 0 && c.numDt === 0).map((c) => c.categoryId),
  };
}
