/**
 * Compare mode for a semantic segmenter, as pure functions: the image's labels and the run's class masks become
 * class-index maps exactly as the evaluation builds them (common/metrics/semanticMaps.ts), the image's numbers
 * come from the same confusion matrix (so they equal `eval.run`'s for this image), and the overlay is one RGBA
 * bitmap at the image's size: false-positive pixels (predicted c where the label is not c) and false-negative
 * pixels (labeled c where the prediction is not c) in two colours, true positives faint. The background is no
 * colour: its errors are the other classes' FN and FP. A pixel labeled one class and predicted another is both;
 * it is drawn as the prediction's FP (as the label's FN when the predicted class is hidden).
 *
 * Two stages, as for shapes: the maps are built when the labels or the run change (`semanticCompare`), the overlay
 * again when classes are switched on or off (`semanticOverlay`).
 */
import type { AnnotationKind, Geometry, LabelClass, Prediction } from '../../../common/api/contract.js';
import { IGNORE_VALUE } from '../../../common/formats/masks.js';
import type { SemanticMetrics } from '../../../common/metrics/semantic.js';
import { semanticClassList, semanticLabelMap, semanticMapMetrics, semanticPredictionMap, type SemanticClassList } from '../../../common/metrics/semanticMaps.js';
import { COMPARE_COLORS, hexToRgb } from '../../canvas/layers/colors.js';

export interface SemanticLabel {
  classId: number | null;
  kind: AnnotationKind;
  geometry: Geometry;
}

/** A class of the maps: index 0 is the background; the others are project classes (the ignore class left out). */
export interface SemanticClass {
  index: number;
  name: string;
  /** The project class; null for the background. */
  classId: number | null;
  iou: number | null;
  /** Pixels labeled this class. */
  labeled: number;
  /** Pixels predicted this class but labeled otherwise. */
  fp: number;
  /** Pixels labeled this class but predicted otherwise (or predicted no class). */
  fn: number;
}

export interface SemanticCompare {
  width: number;
  height: number;
  /** Row-major class-index maps (0 background, 255 ignore / no class). */
  labels: Uint8Array;
  predictions: Uint8Array;
  /** The image's numbers, as the evaluation computes them for it. */
  metrics: SemanticMetrics;
  /** Every class of the maps, by index. */
  classes: SemanticClass[];
  /** FP and FN pixels summed over the classes other than the background. */
  fp: number;
  fn: number;
  /** Model labels of predicted regions that no project class is named like (counted as no class). */
  unknownLabels: string[];
  /** The project's ignore class, whose labeled pixels count nowhere. */
  ignoreClass: string | undefined;
}

/** Project classes in the evaluation's order (position, then id). */
const ordered = (classes: readonly LabelClass[]) => [...classes].sort((a, b) => a.position - b.position || a.id - b.id);

/** The class list and the predictions' map: built once per run and image (the labels change far more often). */
export function prepareSemanticPredictions(predictions: readonly Prediction[], classes: readonly LabelClass[], image: { width: number; height: number }): { list: SemanticClassList; map: Uint8Array; unknownLabels: string[] } {
  const list = semanticClassList(ordered(classes).map((c) => c.name));
  const names = new Map(classes.map((c) => [c.id, c.name]));
  // As the evaluation reads the run: no NMS candidates, no rejected predictions.
  const kept = predictions.filter((p) => p.kind === 'mask' && p.extras.suppressed !== true && p.extras.rejected !== true);
  const objects = kept.map((p) => ({ class: (p.classId !== null ? names.get(p.classId) : undefined) ?? p.label, kind: p.kind, geometry: p.geometry }));
  const unknownLabels = [...new Set(objects.map((o) => o.class).filter((n): n is string => n !== null && n !== list.ignoreClass && !list.classIndex.has(n)))];
  return { list, map: semanticPredictionMap(image, objects, list), unknownLabels };
}

export function semanticCompare(
  labels: readonly SemanticLabel[],
  prepared: { list: SemanticClassList; map: Uint8Array; unknownLabels: string[] },
  classes: readonly LabelClass[],
  image: { width: number; height: number },
): SemanticCompare {
  const { list } = prepared;
  const names = new Map(classes.map((c) => [c.id, c.name]));
  const byName = new Map(classes.map((c) => [c.name, c.id]));
  const gt = semanticLabelMap(image, labels.map((l) => ({ class: l.classId === null ? null : (names.get(l.classId) ?? null), kind: l.kind, geometry: l.geometry })), list);
  const metrics = semanticMapMetrics(gt, prepared.map, list);
  let fp = 0;
  let fn = 0;
  const out = metrics.perClass.map((c): SemanticClass => {
    const name = c.classIndex === 0 ? 'background' : list.names[c.classIndex - 1];
    const cls: SemanticClass = {
      index: c.classIndex,
      name,
      classId: c.classIndex === 0 ? null : (byName.get(name) ?? null),
      iou: c.iou,
      labeled: c.labeledPixels,
      fp: c.predictedPixels - c.truePositives,
      fn: c.labeledPixels - c.truePositives,
    };
    if (c.classIndex > 0) {
      fp += cls.fp;
      fn += cls.fn;
    }
    return cls;
  });
  return { width: image.width, height: image.height, labels: gt, predictions: prepared.map, metrics, classes: out, fp, fn, unknownLabels: prepared.unknownLabels, ignoreClass: list.ignoreClass };
}

/** Pixels drawn by `semanticOverlay`, per colour. */
export interface OverlayCounts {
  tp: number;
  fp: number;
  fn: number;
}

/** Alphas of the overlay: errors stand out, true positives only tint. */
const ALPHA = { tp: 40, fp: 190, fn: 190 } as const;

/**
 * The overlay's RGBA pixels (image size, row-major). `hidden` holds project class ids switched off: their pixels
 * are not drawn (a confusion between a hidden and a shown class is drawn as the shown one's error).
 */
export function semanticOverlay(c: SemanticCompare, hidden: ReadonlySet<number> = new Set()): { rgba: Uint8ClampedArray; counts: OverlayCounts } {
  const k = c.classes.length;
  // Per class index: drawn or not (the background never is).
  const shown = new Uint8Array(256);
  for (const cls of c.classes) if (cls.index > 0 && !(cls.classId !== null && hidden.has(cls.classId))) shown[cls.index] = 1;
  const rgb = { tp: hexToRgb(COMPARE_COLORS.tp), fp: hexToRgb(COMPARE_COLORS.fp), fn: hexToRgb(COMPARE_COLORS.fn) };
  const rgba = new Uint8ClampedArray(c.width * c.height * 4);
  const counts: OverlayCounts = { tp: 0, fp: 0, fn: 0 };
  const gt = c.labels;
  const dt = c.predictions;
  for (let i = 0; i < gt.length; i++) {
    const g = gt[i];
    // An ignored pixel counts nowhere.
    if (g === IGNORE_VALUE || g >= k) continue;
    const p = dt[i];
    let what: keyof OverlayCounts;
    if (g === p) {
      if (!shown[g]) continue;
      what = 'tp';
    } else if (p !== IGNORE_VALUE && p < k && shown[p]) what = 'fp';
    else if (shown[g]) what = 'fn';
    else continue;
    const o = i * 4;
    const col = rgb[what];
    rgba[o] = col[0];
    rgba[o + 1] = col[1];
    rgba[o + 2] = col[2];
    rgba[o + 3] = ALPHA[what];
    counts[what]++;
  }
  return { rgba, counts };
}
