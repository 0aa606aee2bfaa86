/**
 * One image's labels and a semantic segmenter's predictions as class-index maps (masks.ts `semanticMap`: 0
 * background, class index + 1, 255 no class), the way the core's semantic evaluation and the compare view both
 * build them, so the numbers the viewer shows for an image are the evaluation's for that image. Pure.
 *
 * - Classes are the project's in its order, without the ignore class (named ignore, void or __ignore__, as the
 *   masks export names it): its labeled regions are 255 and left out of every count.
 * - Labels: masks and polygons, rasterised at the image's size. Pixels under no label are background.
 * - Predictions: masks only, resampled (nearest) to the image's size when the model gave them at its own. A
 *   predicted region of the ignore class, or of a label the project has no class for, predicts no class (255): a
 *   miss of whatever is labeled there.
 */
import type { AnnotationKind, Geometry } from '../api/contract.js';
import { IGNORE_VALUE, semanticMap } from '../formats/masks.js';
import type { FormatObject } from '../formats/types.js';
import { resampleRle } from './cocoShape.js';
import { semanticImageMetrics, type SemanticMetrics } from './semantic.js';

/** A class named like this is the project's ignore class ("void"). */
export const IGNORE_CLASS_NAME = /^(ignore|void|__ignore__)$/i;

export interface SemanticClassList {
  /** Class names without the ignore class: map value / class index v is names[v - 1] (0 is the background). */
  names: string[];
  /** name → 0-based place in `names` (semanticMap's classIndex). */
  classIndex: Map<string, number>;
  ignoreClass: string | undefined;
  /** Classes of the confusion matrix: the background and `names`. */
  numClasses: number;
}

export function semanticClassList(classNames: readonly string[]): SemanticClassList {
  const ignoreClass = classNames.find((n) => IGNORE_CLASS_NAME.test(n));
  const names = classNames.filter((n) => n !== ignoreClass);
  return { names, classIndex: new Map(names.map((n, i) => [n, i])), ignoreClass, numClasses: names.length + 1 };
}

/** A label or a prediction: its class name (a prediction's project class, else its model label). */
export interface SemanticObject {
  class: string | null;
  kind: AnnotationKind;
  geometry: Geometry;
}

/** Painted 255 by semanticMap; no project class can be named this. */
const NO_CLASS = '\u0000no class';

function build(size: { width: number; height: number }, objects: readonly SemanticObject[], list: SemanticClassList, kinds: ReadonlySet<AnnotationKind>, unknown: 'skip' | 'no-class'): Uint8Array {
  const out: FormatObject[] = [];
  objects.forEach((o, i) => {
    if (!kinds.has(o.kind) || o.class === null) return;
    let cls: string | null = o.class;
    if (cls === list.ignoreClass) cls = NO_CLASS;
    else if (!list.classIndex.has(cls)) cls = unknown === 'skip' ? null : NO_CLASS;
    if (cls === null) return;
    let g = o.geometry;
    if (g.type === 'mask' && (g.width !== size.width || g.height !== size.height)) g = { type: 'mask', ...resampleRle(g, size.width, size.height) };
    out.push({ id: i, class: cls, kind: o.kind, geometry: g, attributes: {}, score: null });
  });
  return semanticMap({ image: { id: 0, file: '', width: size.width, height: size.height }, objects: out }, list.classIndex, { ignoreClass: NO_CLASS });
}

const LABEL_KINDS: ReadonlySet<AnnotationKind> = new Set(['mask', 'polygon']);
const PREDICTION_KINDS: ReadonlySet<AnnotationKind> = new Set(['mask']);

/** The labels' map: masks and polygons at the image's size; the ignore class's regions 255. */
export function semanticLabelMap(size: { width: number; height: number }, labels: readonly SemanticObject[], list: SemanticClassList): Uint8Array {
  return build(size, labels, list, LABEL_KINDS, 'skip');
}

/** The predictions' map: masks resampled to the image's size; the ignore class's and unknown labels' regions 255. */
export function semanticPredictionMap(size: { width: number; height: number }, predictions: readonly SemanticObject[], list: SemanticClassList): Uint8Array {
  return build(size, predictions, list, PREDICTION_KINDS, 'no-class');
}

/** The image's own numbers, as the evaluation adds them up (label value 255 skipped). */
export function semanticMapMetrics(labels: Uint8Array, predictions: Uint8Array, list: SemanticClassList): SemanticMetrics {
  return semanticImageMetrics(labels, predictions, list.numClasses, { ignore: IGNORE_VALUE });
}
