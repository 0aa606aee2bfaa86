/**
 * Semantic segmentation metrics from class-index maps (one class index per pixel), accumulated over a whole
 * evaluation set in one confusion matrix, as mmsegmentation's `IoUMetric` and the FCN paper define them.
 *
 * Counting rules:
 * - A pixel counts when its label is a class index in [0, numClasses). Label pixels equal to an ignore value
 *   (default 255) are skipped entirely. Any other label value is a data error and throws.
 * - A prediction outside [0, numClasses) (e.g. a segmenter's own "void" 255) predicts no class: the pixel is a
 *   miss (false negative) of its label class and a false positive of no class. mmseg's histograms drop such
 *   values the same way.
 * - Counts are summed over all images before any ratio is taken (not a mean of per-image scores), so the order
 *   of images does not matter and large images weigh more.
 *
 * Definitions, with TP_c = pixels labeled c and predicted c, G_c = pixels labeled c, P_c = pixels predicted c:
 * - IoU_c = TP_c / (G_c + P_c - TP_c). A class that is neither labeled nor predicted anywhere has no IoU (null).
 *   A class only predicted (G_c = 0, P_c > 0) has IoU 0, and a class labeled but never predicted has IoU 0.
 * - mIoU = mean of IoU_c over the classes that have one, i.e. the classes present in the labels or in the
 *   predictions (mmseg's nanmean; torchmetrics' JaccardIndex leaves out the same classes).
 * - accuracy_c = TP_c / G_c (per-class recall), null when G_c = 0; meanAcc = mean over the non-null classes.
 * - pixelAcc = sum_c TP_c / sum_c G_c.
 * - fwIoU = sum over classes with G_c > 0 of (G_c / sum G) * IoU_c (label frequency weights).
 * Every aggregate is null when nothing was counted (no labeled pixel, or no class with an IoU).
 */

/** A class-index map: one entry per pixel, row-major; labels and predictions of the same image have equal length. */
export type ClassMap = Uint8Array | Uint8ClampedArray | Uint16Array | Uint32Array | Int32Array | readonly number[];

export interface SemanticOptions {
  /**
   * Label values to skip (default 255). null or [] skips nothing. An ignore value must not also be a class index
   * (that class would silently vanish), so it has to be >= numClasses or negative.
   */
  readonly ignore?: number | readonly number[] | null;
}

export interface SemanticClassResult {
  readonly classIndex: number;
  /** Pixels labeled and predicted as this class. */
  readonly truePositives: number;
  /** Pixels labeled as this class (G_c). */
  readonly labeledPixels: number;
  /** Pixels predicted as this class (P_c). */
  readonly predictedPixels: number;
  /** null when the class is neither labeled nor predicted. */
  readonly iou: number | null;
  /** TP / labeled pixels; null when the class is never labeled. */
  readonly accuracy: number | null;
}

export interface SemanticMetrics {
  readonly numClasses: number;
  /** Labeled (not ignored) pixels counted. */
  readonly pixelCount: number;
  readonly perClass: SemanticClassResult[];
  readonly mIoU: number | null;
  readonly pixelAcc: number | null;
  readonly meanAcc: number | null;
  readonly fwIoU: number | null;
}

/**
 * Streams pairs of label / prediction maps into a numClasses x numClasses confusion matrix (row = label,
 * column = prediction) plus, per label class, the pixels whose prediction was out of range.
 */
export class SemanticAccumulator {
  readonly numClasses: number;
  /** Row-major numClasses x numClasses; confusion[g * numClasses + p] = pixels labeled g and predicted p. */
  readonly confusion: Float64Array;
  /** Per label class: pixels predicted with a value outside [0, numClasses). */
  readonly unpredicted: Float64Array;
  private readonly ignore: readonly number[];

  constructor(numClasses: number, options: SemanticOptions = {}) {
    if (!Number.isInteger(numClasses) || numClasses < 1) throw new RangeError(`numClasses must be a positive integer, got ${numClasses}`);
    const ignore = options.ignore === undefined ? [255] : options.ignore === null ? [] : typeof options.ignore === 'number' ? [options.ignore] : [...options.ignore];
    for (const v of ignore) {
      if (v >= 0 && v < numClasses) {
        throw new RangeError(`ignore value ${v} is also class index ${v} of ${numClasses}; pass an ignore value >= ${numClasses} (e.g. 65535) or ignore: null`);
      }
    }
    this.numClasses = numClasses;
    // Float64 counts stay exact to 2^53 pixels, far past what Uint32 would allow over a large dataset.
    this.confusion = new Float64Array(numClasses * numClasses);
    this.unpredicted = new Float64Array(numClasses);
    this.ignore = ignore;
  }

  /**
   * Adds one image. `name` (e.g. the image file) only appears in error messages.
   * @throws RangeError when the maps differ in length or a label value is neither a class nor ignored.
   */
  add(labels: ClassMap, predictions: ClassMap, name?: string): void {
    const where = name === undefined ? '' : ` in ${name}`;
    if (labels.length !== predictions.length) {
      throw new RangeError(`label map has ${labels.length} pixels but prediction map has ${predictions.length}${where}; they must be the same size`);
    }
    const k = this.numClasses;
    const conf = this.confusion;
    const ign = this.ignore;
    const ign0 = ign.length > 0 ? ign[0] : NaN;
    const singleIgnore = ign.length <= 1;
    // Typed integer arrays hold integers by construction; only plain arrays need the per-pixel integer check.
    const checkLabels = !ArrayBuffer.isView(labels);
    const checkPredictions = !ArrayBuffer.isView(predictions);
    for (let i = 0; i < labels.length; i++) {
      const g = labels[i];
      if (g === ign0 || (!singleIgnore && ign.includes(g))) continue;
      if (!(g >= 0 && g < k) || (checkLabels && !Number.isInteger(g))) {
        throw new RangeError(
          `label value ${g} at pixel ${i}${where} is not a class index (0..${k - 1}) nor an ignore value (${ign.length ? ign.join(', ') : 'none'}); check numClasses or the ignore option`,
        );
      }
      const p = predictions[i];
      if (p >= 0 && p < k && (!checkPredictions || Number.isInteger(p))) conf[g * k + p] += 1;
      else this.unpredicted[g] += 1;
    }
  }

  /** Adds another accumulator's counts (e.g. from a worker); both must have the same numClasses. */
  merge(other: SemanticAccumulator): void {
    if (other.numClasses !== this.numClasses) throw new RangeError(`cannot merge ${other.numClasses} classes into ${this.numClasses}`);
    for (let i = 0; i < this.confusion.length; i++) this.confusion[i] += other.confusion[i];
    for (let i = 0; i < this.unpredicted.length; i++) this.unpredicted[i] += other.unpredicted[i];
  }

  reset(): void {
    this.confusion.fill(0);
    this.unpredicted.fill(0);
  }

  result(): SemanticMetrics {
    return semanticMetricsFromConfusion(this.confusion, this.numClasses, this.unpredicted);
  }
}

/**
 * The metrics from a confusion matrix (row = label, column = prediction, row-major) and optional per-label-class
 * counts of out-of-range predictions.
 */
export function semanticMetricsFromConfusion(confusion: ArrayLike<number>, numClasses: number, unpredicted?: ArrayLike<number>): SemanticMetrics {
  const k = numClasses;
  if (confusion.length !== k * k) throw new RangeError(`confusion matrix has ${confusion.length} cells, expected ${k}x${k}`);
  const labeled = new Array<number>(k).fill(0);
  const predicted = new Array<number>(k).fill(0);
  for (let g = 0; g < k; g++) {
    for (let p = 0; p < k; p++) {
      const n = confusion[g * k + p];
      labeled[g] += n;
      predicted[p] += n;
    }
    if (unpredicted) labeled[g] += unpredicted[g];
  }
  let total = 0;
  let correct = 0;
  const perClass: SemanticClassResult[] = [];
  for (let c = 0; c < k; c++) {
    const tp = confusion[c * k + c];
    const union = labeled[c] + predicted[c] - tp;
    perClass.push({
      classIndex: c,
      truePositives: tp,
      labeledPixels: labeled[c],
      predictedPixels: predicted[c],
      iou: union > 0 ? tp / union : null,
      accuracy: labeled[c] > 0 ? tp / labeled[c] : null,
    });
    total += labeled[c];
    correct += tp;
  }
  const mean = (xs: (number | null)[]): number | null => {
    let s = 0;
    let n = 0;
    for (const x of xs) {
      if (x !== null) {
        s += x;
        n++;
      }
    }
    return n > 0 ? s / n : null;
  };
  let fw: number | null = null;
  if (total > 0) {
    fw = 0;
    for (const c of perClass) if (c.labeledPixels > 0) fw += (c.labeledPixels / total) * (c.iou as number);
  }
  return {
    numClasses: k,
    pixelCount: total,
    perClass,
    mIoU: mean(perClass.map((c) => c.iou)),
    pixelAcc: total > 0 ? correct / total : null,
    meanAcc: mean(perClass.map((c) => c.accuracy)),
    fwIoU: fw,
  };
}

/** The metrics of a single image (e.g. for ranking images by their own mIoU). */
export function semanticImageMetrics(labels: ClassMap, predictions: ClassMap, numClasses: number, options: SemanticOptions = {}): SemanticMetrics {
  const acc = new SemanticAccumulator(numClasses, options);
  acc.add(labels, predictions);
  return acc.result();
}
