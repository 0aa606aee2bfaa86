/**
 * Detection confusion matrix with a background row and column, and for every cell the images behind it.
 *
 * The rule (per image; the same one Ultralytics' ConfusionMatrix approximates, done as an exact greedy):
 * 1. Predictions scoring below `scoreThreshold` are left out; of the rest, at most `maxDets` per image are kept,
 *    highest score first (ties in input order).
 * 2. Labels that are crowd regions or flagged `ignore` are not objects: they get no row. Every other label is
 *    paired with every prediction, whatever their classes, by IoU (boxes or masks, as pycocotools computes it).
 * 3. Pairs with IoU >= `iouThreshold` (and > 0) are taken greedily, highest IoU first, each label and each
 *    prediction at most once. Ties: the higher-scoring prediction, then the earlier prediction, then the earlier
 *    label. A taken pair counts in cell (label's class, prediction's class): the diagonal is correct, the rest are
 *    class confusions.
 * 4. A label left over is a miss: cell (its class, background).
 * 5. A prediction left over is a false alarm: cell (background, its class), unless it lies on an ignored label
 *    of its own class (IoU >= threshold, over the prediction's own area for a crowd region), which COCO would
 *    not count either.
 * Rows are the labelled class, columns the predicted class; categories in ascending id, background last. The
 * (background, background) cell is always 0. Keypoint runs are compared by their boxes.
 */
import { prepareGeometry, sortByScore } from './cocoMatch.js';
import type { EvalCategory, EvalDt, EvalGt, EvalImage } from './cocoTypes.js';

export interface ConfusionInput {
  images: readonly EvalImage[];
  categories: readonly EvalCategory[];
  gts: readonly EvalGt[];
  dts: readonly EvalDt[];
  /** Default 'bbox'. */
  iouType?: 'bbox' | 'segm';
  /** Default 0.5. */
  iouThreshold?: number;
  /** Default 0: every prediction. */
  scoreThreshold?: number;
  /** Predictions kept per image, best first; default all. */
  maxDets?: number;
}

export interface ConfusionMatrix {
  /** Row and column order; index `categoryIds.length` is background. */
  categoryIds: number[];
  /** Category names (the id as text when unnamed), then 'background'. */
  names: string[];
  /** counts[labelled][predicted], (K + 1) × (K + 1). */
  counts: number[][];
  /** images[labelled][predicted]: ids of the images contributing to the cell, ascending, each once. */
  images: number[][][];
  iouThreshold: number;
  scoreThreshold: number;
}

export function confusionMatrix(input: ConfusionInput): ConfusionMatrix {
  const iouType = input.iouType ?? 'bbox';
  const thr = input.iouThreshold ?? 0.5;
  const minScore = input.scoreThreshold ?? 0;
  const maxDets = input.maxDets ?? Infinity;
  const catIds = [...new Set(input.categories.map((c) => c.id))].sort((a, b) => a - b);
  const K = catIds.length, BG = K;
  const catIndex = new Map(catIds.map((id, i) => [id, i]));
  const names = catIds.map((id) => input.categories.find((c) => c.id === id)?.name ?? String(id));
  names.push('background');
  const counts = Array.from({ length: K + 1 }, () => new Array<number>(K + 1).fill(0));
  const cellImages = Array.from({ length: K + 1 }, () => Array.from({ length: K + 1 }, () => new Set<number>()));

  // Per image, the in-scope items in input order.
  const perImage = new Map<number, { g: number[]; d: number[] }>();
  for (const im of input.images) perImage.set(im.id, { g: [], d: [] });
  const { gts, dts } = input;
  for (let i = 0; i < gts.length; i++) {
    const e = perImage.get(gts[i].imageId);
    if (e && catIndex.has(gts[i].categoryId)) e.g.push(i);
  }
  for (let i = 0; i < dts.length; i++) {
    const e = perImage.get(dts[i].imageId);
    if (e && catIndex.has(dts[i].categoryId) && dts[i].score >= minScore) e.d.push(i);
  }
  const entries = [...perImage.entries()];
  const geo = prepareGeometry(
    iouType,
    gts,
    Int32Array.from(entries.flatMap(([, e]) => e.g)),
    dts,
    Int32Array.from(entries.flatMap(([, e]) => e.d)),
    new Map(),
    undefined,
  );
  const scores = Float64Array.from(dts, (d) => d.score);
  const add = (row: number, col: number, imageId: number) => {
    counts[row][col]++;
    cellImages[row][col].add(imageId);
  };

  for (const [imageId, { g, d }] of entries) {
    if (g.length === 0 && d.length === 0) continue;
    const sorted = sortByScore(d, d.length, scores, new Int32Array(d.length));
    const nd = Math.min(d.length, maxDets);
    const gIdx = Int32Array.from(g);
    const ng = g.length;
    const iou = new Float64Array(nd * ng);
    if (nd > 0 && ng > 0) geo.fill(sorted, nd, gIdx, 0, ng, iou);
    const isRegion = g.map((i) => !!gts[i].iscrowd || !!gts[i].ignore);

    // Candidate pairs among regular labels, best IoU first (sort is stable: ties stay in (prediction rank,
    // label order), i.e. higher score first, then earlier label).
    const pairs: number[] = [];
    for (let k = 0; k < nd; k++) {
      for (let j = 0; j < ng; j++) {
        const v = iou[k * ng + j];
        if (!isRegion[j] && v >= thr && v > 0) pairs.push(k * ng + j);
      }
    }
    pairs.sort((a, b) => iou[b] - iou[a] || a - b);
    const dtTaken = new Uint8Array(nd), gtTaken = new Uint8Array(ng);
    for (const p of pairs) {
      const k = Math.floor(p / ng), j = p - k * ng;
      if (dtTaken[k] || gtTaken[j]) continue;
      dtTaken[k] = 1;
      gtTaken[j] = 1;
      add(catIndex.get(gts[g[j]].categoryId)!, catIndex.get(dts[sorted[k]].categoryId)!, imageId);
    }
    for (let j = 0; j < ng; j++) if (!isRegion[j] && !gtTaken[j]) add(catIndex.get(gts[g[j]].categoryId)!, BG, imageId);
    for (let k = 0; k < nd; k++) {
      if (dtTaken[k]) continue;
      const c = dts[sorted[k]].categoryId;
      let onRegion = false;
      for (let j = 0; j < ng && !onRegion; j++) onRegion = isRegion[j] && gts[g[j]].categoryId === c && iou[k * ng + j] >= thr && iou[k * ng + j] > 0;
      if (!onRegion) add(BG, catIndex.get(c)!, imageId);
    }
  }

  return {
    categoryIds: catIds,
    names,
    counts,
    images: cellImages.map((row) => row.map((s) => [...s].sort((a, b) => a - b))),
    iouThreshold: thr,
    scoreThreshold: minScore,
  };
}
