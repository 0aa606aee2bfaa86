/**
 * The compare view's model, as pure functions: one image's labels against one run's predictions, matched exactly as
 * the evaluation matches them (`common/metrics/matchImage.ts`, COCO's greedy per-class match), with the shapes
 * turned into the metrics' inputs the way the core's evaluation does (`electron/core/evaluation/evaluate.ts`
 * `shapeOf`): boxes as [x, y, w, h], polygons filled into RLE, masks as they are, keypoints by OKS.
 *
 * Two stages, so the sliders stay cheap: `prepareCompare` converts the shapes once per image / run / labels change
 * (polygon → RLE is the costly part), `matchCompare` re-runs only the matching at the chosen IoU threshold and
 * confidence (a few microseconds for a few dozen boxes).
 */
import type { AnnotationKind, Geometry, LabelClass, Prediction } from '../../../common/api/contract.js';
import type { Rle } from '../../../common/geometry/rle.js';
import { resampleRle, shapeOf } from '../../../common/metrics/cocoShape.js';
import { COCO_PERSON_SIGMAS } from '../../../common/metrics/cocoEval.js';
import type { EvalCategory, EvalDt, EvalGt, IouType } from '../../../common/metrics/cocoTypes.js';
import { matchImage } from '../../../common/metrics/matchImage.js';

export { resampleRle, shapeOf };
import type { AnnotationState } from '../../../common/api/contract.js';

/** A label as the editor holds it. */
export type CompareLabel = AnnotationState & { id: number };

export interface CompareInput {
  labels: readonly CompareLabel[];
  predictions: readonly Prediction[];
  classes: readonly LabelClass[];
  image: { width: number; height: number };
  /** Taken-back rejections and new ones not yet in `predictions` (optimistic): prediction id → rejected. */
  rejected?: ReadonlyMap<number, boolean>;
  /** Default: from what the run predicted (keypoints, else masks/polygons → segm, else bbox), as the evaluation does. */
  iouType?: IouType;
}

/** A class of the comparison: a project class, or (negative id) a model label the project has no class for. */
export interface CompareClass {
  id: number;
  name: string;
  /** The project class, or null for a model label with no project class. */
  classId: number | null;
}

export interface PreparedPrediction {
  prediction: Prediction;
  /** Category of the match: the project class, else a negative id per unknown label. */
  category: number;
  bbox: [number, number, number, number];
  rejected: boolean;
  /** A label was made from it (a label's derivedFrom is its id). */
  accepted: boolean;
}

export interface PreparedCompare {
  iouType: IouType;
  classes: CompareClass[];
  /** Labels that take part (of a class and of the kind the iouType measures), in `labelIds` order. */
  gts: EvalGt[];
  labelIds: number[];
  labelBoxes: [number, number, number, number][];
  /** Shape predictions that take part (rejected ones included; matching leaves them out). */
  predictions: PreparedPrediction[];
  dts: EvalDt[];
  categories: EvalCategory[];
}

export interface CompareOptions {
  /** IoU (OKS for keypoints) a match needs, `>=`. */
  iouThreshold: number;
  /** Predictions scoring below this take no part (unscored ones always do). */
  minScore: number;
  /** Categories (CompareClass ids) switched off: neither matched nor counted nor drawn. */
  hiddenClasses?: ReadonlySet<number>;
}

export type PredictionStatus = 'tp' | 'fp' | 'ignored' | 'belowScore' | 'overMaxDets' | 'rejected' | 'hidden';
export type LabelStatus = 'tp' | 'fn' | 'ignored' | 'hidden';

export interface PredictionResult extends PreparedPrediction {
  status: PredictionStatus;
  /** IoU with the label it matched (0 when none). */
  iou: number;
  /** Best IoU with any label of its class. */
  bestIou: number;
  /** The label it matched, or null. */
  labelId: number | null;
}

export interface LabelResult {
  id: number;
  status: LabelStatus;
  bbox: [number, number, number, number];
  /** The prediction that found it, or null. */
  predictionId: number | null;
  iou: number;
}

export interface ClassCounts {
  tp: number;
  fp: number;
  fn: number;
}

export interface CompareResult {
  iouType: IouType;
  predictions: PredictionResult[];
  labels: LabelResult[];
  counts: ClassCounts;
  /** Per CompareClass id (every class that has a label or a prediction here). */
  perClass: Map<number, ClassCounts>;
  /** Rejected predictions (of shown classes). */
  rejected: number;
}

/** The evaluation's default, from what the run predicted. */
export function compareIouType(predictions: readonly Prediction[]): IouType {
  const kinds = new Set(predictions.map((p) => p.kind));
  if (kinds.has('keypoints')) return 'keypoints';
  if (kinds.has('mask') || kinds.has('polygon')) return 'segm';
  return 'bbox';
}

/** The kinds a comparison of this type measures (as the evaluation's `wanted`). */
export function measuredKinds(iouType: IouType): ReadonlySet<AnnotationKind> {
  return new Set<AnnotationKind>(iouType === 'keypoints' ? ['keypoints'] : iouType === 'segm' ? ['mask', 'polygon'] : ['box', 'mask', 'polygon']);
}

export const isRejected = (p: Prediction, overrides?: ReadonlyMap<number, boolean>): boolean => overrides?.get(p.id) ?? p.extras.rejected === true;

const truthy = (v: unknown) => v === true || v === 1 || v === '1' || v === 'true';

/** Convert labels and predictions once (see the module comment). */
export function prepareCompare(input: CompareInput): PreparedCompare {
  const { image, classes } = input;
  const shapes = input.predictions.filter((p) => p.kind === 'box' || p.kind === 'polygon' || p.kind === 'mask' || p.kind === 'keypoints').filter((p) => p.extras.suppressed !== true);
  const iouType = input.iouType ?? compareIouType(shapes);
  const wanted = measuredKinds(iouType);
  const needMask = iouType === 'segm';
  const byId = new Map(classes.map((c) => [c.id, c]));
  const byName = new Map(classes.map((c) => [c.name, c.id]));
  const out: CompareClass[] = classes.map((c) => ({ id: c.id, name: c.name, classId: c.id }));
  const unknown = new Map<string, number>();
  const categoryOf = (p: Prediction): number => {
    if (p.classId !== null && byId.has(p.classId)) return p.classId;
    const name = p.label ?? p.kind;
    const known = byName.get(name);
    if (known !== undefined) return known;
    let id = unknown.get(name);
    if (id === undefined) {
      id = -(unknown.size + 1);
      unknown.set(name, id);
      out.push({ id, name, classId: null });
    }
    return id;
  };
  const accepted = new Set<number>();
  for (const l of input.labels) if (l.derivedFrom !== null) accepted.add(l.derivedFrom);

  const gts: EvalGt[] = [];
  const labelIds: number[] = [];
  const labelBoxes: [number, number, number, number][] = [];
  for (const l of input.labels) {
    if (l.classId === null || !byId.has(l.classId) || !wanted.has(l.kind)) continue;
    const s = shapeOf(l.geometry, image, needMask);
    if (!s) continue;
    const area = typeof l.attributes.area === 'number' ? l.attributes.area : s.area;
    gts.push({
      id: l.id,
      imageId: 0,
      categoryId: l.classId,
      area,
      iscrowd: truthy(l.attributes.iscrowd) ? 1 : 0,
      bbox: s.bbox,
      ...(s.segm ? { segm: s.segm } : {}),
      ...(l.geometry.type === 'keypoints' ? { keypoints: l.geometry.points } : {}),
    });
    labelIds.push(l.id);
    labelBoxes.push(s.bbox);
  }
  const predictions: PreparedPrediction[] = [];
  const dts: EvalDt[] = [];
  for (const p of shapes) {
    if (!wanted.has(p.kind)) continue;
    const s = shapeOf(p.geometry, image, needMask);
    if (!s) continue;
    const category = categoryOf(p);
    predictions.push({ prediction: p, category, bbox: s.bbox, rejected: isRejected(p, input.rejected), accepted: accepted.has(p.id) });
    dts.push({
      id: p.id,
      imageId: 0,
      categoryId: category,
      score: p.score ?? 1,
      bbox: s.bbox,
      ...(s.segm ? { segm: s.segm } : {}),
      ...(p.geometry.type === 'keypoints' ? { keypoints: p.geometry.points } : {}),
    });
  }
  const categories: EvalCategory[] = classes.map((c) => ({
    id: c.id,
    name: c.name,
    ...(iouType === 'keypoints' && c.keypoints ? { sigmas: c.keypoints.names.length === 17 ? COCO_PERSON_SIGMAS : c.keypoints.names.map(() => 0.05) } : {}),
  }));
  // Only classes that appear here are offered as toggles.
  const present = new Set<number>([...gts.map((g) => g.categoryId), ...predictions.map((p) => p.category)]);
  return { iouType, classes: out.filter((c) => present.has(c.id)), gts, labelIds, labelBoxes, predictions, dts, categories };
}

/** Match at one IoU threshold and confidence (see the module comment). */
export function matchCompare(prep: PreparedCompare, opts: CompareOptions): CompareResult {
  const hidden = opts.hiddenClasses;
  const shownGt: number[] = [];
  for (let i = 0; i < prep.gts.length; i++) if (!hidden?.has(prep.gts[i].categoryId)) shownGt.push(i);
  const shownDt: number[] = [];
  for (let i = 0; i < prep.dts.length; i++) {
    const p = prep.predictions[i];
    if (!hidden?.has(p.category) && !p.rejected) shownDt.push(i);
  }
  const m = matchImage(
    shownGt.map((i) => prep.gts[i]),
    shownDt.map((i) => prep.dts[i]),
    { iouType: prep.iouType, iouThreshold: opts.iouThreshold, scoreThreshold: opts.minScore, categories: prep.categories },
  );
  const perClass = new Map<number, ClassCounts>(prep.classes.map((c) => [c.id, { tp: 0, fp: 0, fn: 0 }]));
  const predictions: PredictionResult[] = prep.predictions.map((p) => ({
    ...p,
    status: hidden?.has(p.category) ? 'hidden' : 'rejected',
    iou: 0,
    bestIou: 0,
    labelId: null,
  }));
  shownDt.forEach((i, k) => {
    const d = m.dts[k];
    const r = predictions[i];
    r.status = d.status;
    r.iou = d.iou;
    r.bestIou = d.bestIou;
    r.labelId = d.gtId;
    if (d.status === 'tp') perClass.get(r.category)!.tp++;
    else if (d.status === 'fp') perClass.get(r.category)!.fp++;
  });
  const labels: LabelResult[] = prep.labelIds.map((id, i) => ({ id, status: 'hidden', bbox: prep.labelBoxes[i], predictionId: null, iou: 0 }));
  shownGt.forEach((i, k) => {
    const g = m.gts[k];
    const r = labels[i];
    r.status = g.status;
    r.predictionId = g.dtId;
    r.iou = g.iou;
    if (g.status === 'fn') perClass.get(prep.gts[i].categoryId)!.fn++;
  });
  const rejected = predictions.filter((p) => p.rejected && p.status !== 'hidden').length;
  return { iouType: prep.iouType, predictions, labels, counts: { tp: m.tp, fp: m.fp, fn: m.fn }, perClass, rejected };
}

/** Whether a prediction is drawn in compare mode (passes the classes, the confidence and the rejections shown). */
export function isShown(p: PredictionResult, showRejected: boolean): boolean {
  if (p.status === 'hidden' || p.status === 'belowScore' || p.status === 'overMaxDets') return false;
  if (p.status === 'rejected') return showRejected;
  return true;
}

/**
 * The shown prediction under an image point: the smallest whose box (widened by `tolerance` image pixels) holds
 * it, so a prediction inside another can still be pointed at. Null when none.
 */
export function predictionAt(result: CompareResult, x: number, y: number, tolerance: number, showRejected: boolean): PredictionResult | null {
  let best: PredictionResult | null = null;
  let bestArea = Infinity;
  for (const p of result.predictions) {
    if (!isShown(p, showRejected)) continue;
    const [bx, by, bw, bh] = p.bbox;
    if (x < bx - tolerance || x > bx + bw + tolerance || y < by - tolerance || y > by + bh + tolerance) continue;
    const area = bw * bh;
    if (area < bestArea) [best, bestArea] = [p, area];
  }
  return best;
}

/**
 * What Shift+A accepts: the shown predictions at or above the confidence slider that no label accounts for yet, i.e.
 * the false positives (a true positive already has its label, and accepting it would make a duplicate) that were
 * not accepted before (no label is derived from them). Highest score first.
 */
export function acceptAllCandidates(result: CompareResult): PredictionResult[] {
  return result.predictions
    .filter((p) => p.status === 'fp' && !p.accepted)
    .sort((a, b) => (b.prediction.score ?? 1) - (a.prediction.score ?? 1) || a.prediction.id - b.prediction.id);
}

/** What accepting a prediction makes: its kind, its geometry in the image's pixels, and its project class. */
export interface AcceptedShape {
  predictionId: number;
  kind: AnnotationKind;
  geometry: Geometry;
  classId: number | null;
}

export function acceptedShape(p: PreparedPrediction, image: { width: number; height: number }): AcceptedShape {
  const g = p.prediction.geometry;
  const geometry: Geometry = g.type === 'mask' ? { type: 'mask', ...resampleRle(g, image.width, image.height) } : g;
  return { predictionId: p.prediction.id, kind: p.prediction.kind, geometry, classId: p.category >= 0 ? p.category : null };
}

/** "IoU 0.82 · score 0.91" and what the prediction is, for the hover tooltip. */
export function describePrediction(p: PredictionResult, className: string): string {
  const score = p.prediction.score === null ? '' : ` · score ${p.prediction.score.toFixed(2)}`;
  const what =
    p.status === 'tp' ? `TP · IoU ${p.iou.toFixed(2)}` : p.status === 'fp' ? `FP · best IoU ${p.bestIou.toFixed(2)}` : p.status === 'rejected' ? 'rejected' : p.status === 'ignored' ? `ignored (crowd) · IoU ${p.iou.toFixed(2)}` : p.status;
  return `${className}: ${what}${score}${p.accepted ? ' · accepted' : ''}`;
}
