/**
 * What the Evaluation page shows of an `EvalReport`, as pure functions: how a number is written, what it means, how
 * two runs differ, and which images stand behind a count. No React, no ECharts: tested headless.
 */
import type { EvalReport, ModelRun } from '../../../common/api/contract.js';

/** Digits after the point: pycocotools' summary prints three, and so does the page (the full value is in the tooltip). */
export const DIGITS = 3;

/** pycocotools writes -1 where a number is undefined (no labels in the range); the other scorers write null. */
export function isUndefinedMetric(v: number | string | null | undefined): v is null | undefined {
  return v === null || v === undefined || typeof v !== 'number' || v === -1 || !Number.isFinite(v);
}

/** A metric as the page writes it: three decimals, or an em dash where it is undefined. */
export function formatMetric(v: number | string | null | undefined): string {
  return isUndefinedMetric(v) ? '—' : (v as number).toFixed(DIGITS);
}

/** A count (numGt, numDt, TP, …) as the page writes it. */
export function formatCount(v: number | string | null | undefined): string {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v.toLocaleString('en-US') : '—';
}

export const UNDEFINED_TOOLTIP = 'Undefined: nothing to measure here (no labels in this range, or no predictions). pycocotools reports -1.';

/** The tooltip of a defined metric: its full value, so three decimals never hide a difference. */
export const metricTooltip = (v: number | string | null | undefined): string => (isUndefinedMetric(v) ? UNDEFINED_TOOLTIP : String(v));

export type Trend = 'up' | 'down' | 'same';

/** Error rates read the other way: lower is better. */
export const LOWER_IS_BETTER: ReadonlySet<string> = new Set(['CER', 'WER']);

/**
 * `a − b` for two runs' values of one metric; `better` says whether that is an improvement for `a` (higher is better
 * for every metric but the error rates). Null when either is undefined.
 */
export function metricDelta(
  a: number | string | null | undefined,
  b: number | string | null | undefined,
  name = '',
): { value: number; text: string; trend: Trend; better: boolean | null } | null {
  if (isUndefinedMetric(a) || isUndefinedMetric(b)) return null;
  const value = (a as number) - (b as number);
  // Compare what is written: a difference that rounds to 0.000 is shown as no change, not as a green "+0.000".
  const rounded = Number(value.toFixed(DIGITS));
  if (rounded === 0) return { value, text: `±${(0).toFixed(DIGITS)}`, trend: 'same', better: null };
  const trend: Trend = rounded > 0 ? 'up' : 'down';
  return { value, text: `${rounded > 0 ? '+' : '−'}${Math.abs(value).toFixed(DIGITS)}`, trend, better: (trend === 'up') !== LOWER_IS_BETTER.has(name) };
}

const DET_AREA = (area: string, maxDets: number, iou = '0.50:0.95') => `IoU=${iou} · area=${area} · maxDets=${maxDets}`;

/** What each named number is: the long form of pycocotools' summary line, and so on. */
export function metricDescription(name: string, iouType: EvalReport['iouType']): string {
  const kp = iouType === 'keypoints';
  const maxDets = kp ? 20 : 100;
  const measure = kp ? 'OKS' : 'IoU';
  const line = (what: string, iou: string, area: string, dets = maxDets) => `${what} @ ${DET_AREA(area, dets, iou).replace('IoU', measure)}`;
  switch (name) {
    case 'AP':
      return line('Average precision', '0.50:0.95', 'all');
    case 'AP50':
      return line('Average precision', '0.50', 'all');
    case 'AP75':
      return line('Average precision', '0.75', 'all');
    case 'APs':
      return line('Average precision', '0.50:0.95', 'small (< 32²)');
    case 'APm':
      return line('Average precision', '0.50:0.95', 'medium (32²–96²)');
    case 'APl':
      return line('Average precision', '0.50:0.95', 'large (> 96²)');
    case 'AR1':
      return line('Average recall', '0.50:0.95', 'all', 1);
    case 'AR10':
      return line('Average recall', '0.50:0.95', 'all', 10);
    case 'AR100':
      return line('Average recall', '0.50:0.95', 'all', 100);
    case 'AR':
      return line('Average recall', '0.50:0.95', 'all');
    case 'AR50':
      return line('Average recall', '0.50', 'all');
    case 'AR75':
      return line('Average recall', '0.75', 'all');
    case 'ARs':
      return line('Average recall', '0.50:0.95', 'small (< 32²)');
    case 'ARm':
      return line('Average recall', '0.50:0.95', 'medium (32²–96²)');
    case 'ARl':
      return line('Average recall', '0.50:0.95', 'large (> 96²)');
    case 'mIoU':
      return 'Mean IoU over the classes present in the labels or the predictions';
    case 'pixelAcc':
      return 'Pixel accuracy: pixels whose predicted class is the labelled one';
    case 'meanAcc':
      return 'Mean class accuracy: pixel accuracy per labelled class, averaged';
    case 'fwIoU':
      return 'Frequency-weighted IoU: class IoU weighted by how often the class is labelled';
    case 'BLEU1':
    case 'BLEU2':
    case 'BLEU3':
    case 'BLEU4':
      return `BLEU-${name.slice(4)}: corpus-level n-gram precision up to ${name.slice(4)}-grams, with brevity penalty (coco-caption)`;
    case 'CIDEr':
      return 'CIDEr-D: tf-idf weighted n-gram similarity to the references, n = 1..4, σ = 6, ×10 (coco-caption)';
    case 'CER':
      return 'Character error rate (lower is better)';
    case 'WER':
      return 'Word error rate (lower is better)';
    case 'IoU':
      return 'Intersection over union of the class’s pixels';
    case 'accuracy':
      return 'Share of the class’s labelled pixels predicted as the class';
    case 'numGt':
      return 'Labels of the class (not crowd regions)';
    case 'numDt':
      return 'Predictions of the class';
    default:
      return name;
  }
}

/** The metric names of a report, in the order the core gave them. */
export const metricNames = (r: EvalReport): string[] => Object.keys(r.metrics);

/** Keys of the per-class rows besides `class`, numbers first and the counts last. */
export function perClassColumns(r: EvalReport): string[] {
  const keys: string[] = [];
  for (const row of r.perClass) for (const k of Object.keys(row)) if (k !== 'class' && !keys.includes(k)) keys.push(k);
  const counts = keys.filter(isCountColumn);
  return [...keys.filter((k) => !isCountColumn(k)), ...counts];
}

export const isCountColumn = (k: string): boolean => k === 'numGt' || k === 'numDt';

/** A class's PR curve is drawn only where it is defined: pycocotools' precision is -1 throughout for a class without labels. */
export function drawablePrCurves(r: EvalReport): NonNullable<EvalReport['prCurves']> {
  return (r.prCurves ?? []).filter((c) => c.precision.some((p) => p >= 0));
}

/** The images behind a set of confusion cells, ascending, each once. */
function unionCells(cells: number[][]): number[] {
  const out = new Set<number>();
  for (const c of cells) for (const id of c) out.add(id);
  return [...out].sort((a, b) => a - b);
}

/** What one click on a number asks the side panel to list. */
export interface ImageSelection {
  /** Heading of the side panel, e.g. "Labelled cat, predicted background". */
  title: string;
  /** Which run it belongs to, e.g. "Run #3". */
  run: string;
  /** How many objects (or images) the number counted. */
  count: number;
  imageIds: number[];
  /** Per image, a short note (e.g. "2 FP · 1 FN"), where the number has one. */
  notes?: Record<number, string>;
}

/** The images of one confusion cell: `confusionImages[row][col]`, with the matrix's names. */
export function confusionCellSelection(r: EvalReport, row: number, col: number): ImageSelection | null {
  const c = r.confusion;
  const images = r.confusionImages?.[row]?.[col];
  if (!c || !images) return null;
  const labelled = c.names[row], predicted = c.names[col];
  const title =
    row === c.names.length - 1
      ? `Predicted ${predicted} where nothing is labelled (false alarms)`
      : col === c.names.length - 1
        ? `Labelled ${labelled}, not found (misses)`
        : row === col
          ? `Labelled ${labelled}, predicted ${predicted} (correct)`
          : `Labelled ${labelled}, predicted ${predicted}`;
  return { title, run: `Run #${r.run}`, count: c.counts[row][col], imageIds: [...images] };
}

/**
 * The images behind a class's label or prediction count, read off the confusion matrix at its IoU threshold: every
 * label of the class is in one cell of its row, every prediction in one cell of its column (crowd regions, and
 * predictions lying on them, are in neither: as COCO, they do not count).
 */
export function classImagesSelection(r: EvalReport, className: string, which: 'numGt' | 'numDt'): ImageSelection | null {
  const title = which === 'numGt' ? `Images with labels of ${className}` : `Images with predictions of ${className}`;
  const listed = r.classImages?.find((x) => x.class === className);
  if (listed) {
    const row = perClassRow(r, className);
    const count = typeof row?.[which] === 'number' ? (row[which] as number) : 0;
    return { title, run: `Run #${r.run}`, count, imageIds: which === 'numGt' ? listed.gt : listed.dt };
  }
  // Reports without per-class lists: read them off the confusion matrix.
  const c = r.confusion;
  const cells = r.confusionImages;
  if (!c || !cells) return null;
  const k = c.names.indexOf(className);
  if (k < 0 || k === c.names.length - 1) return null;
  const row = perClassRow(r, className);
  const count = typeof row?.[which] === 'number' ? (row[which] as number) : 0;
  const imageIds = which === 'numGt' ? unionCells(cells[k]) : unionCells(cells.map((r) => r[k]));
  return { title: which === 'numGt' ? `Images with labels of ${className}` : `Images with predictions of ${className}`, run: `Run #${r.run}`, count, imageIds };
}

export const perClassRow = (r: EvalReport, className: string) => r.perClass.find((row) => row.class === className);

/** Totals over `perImage` (counted at IoU 0.5): true positives, false positives, misses. */
export function perImageTotals(r: EvalReport): { tp: number; fp: number; fn: number } | null {
  if (!r.perImage) return null;
  let tp = 0, fp = 0, fn = 0;
  for (const p of r.perImage) {
    tp += p.tp;
    fp += p.fp;
    fn += p.fn;
  }
  return { tp, fp, fn };
}

/** The images behind a total: those with any TP / FP / FN (worst first), or every evaluated image. */
export function perImageSelection(r: EvalReport, which: 'tp' | 'fp' | 'fn' | 'all'): ImageSelection | null {
  if (!r.perImage) return null;
  const rows = which === 'all' ? [...r.perImage] : r.perImage.filter((p) => p[which] > 0);
  if (which !== 'all') rows.sort((a, b) => b[which] - a[which] || a.imageId - b.imageId);
  else rows.sort((a, b) => b.fp + b.fn - (a.fp + a.fn) || a.imageId - b.imageId);
  const notes: Record<number, string> = {};
  for (const p of rows) notes[p.imageId] = `${p.tp} TP · ${p.fp} FP · ${p.fn} FN`;
  const totals = perImageTotals(r)!;
  const title = { tp: 'Images with true positives', fp: 'Images with false positives', fn: 'Images with misses (false negatives)', all: 'Evaluated images, most errors first' }[which];
  return { title, run: `Run #${r.run}`, count: which === 'all' ? r.perImage.length : totals[which], imageIds: rows.map((p) => p.imageId), notes };
}

/** A run as the pickers name it. */
export function runLabel(r: Pick<ModelRun, 'id' | 'model' | 'status' | 'images' | 'predictions'>): string {
  const state = r.status === 'done' ? '' : ` (${r.status})`;
  return `#${r.id} ${r.model} · ${r.predictions.toLocaleString('en-US')} predictions on ${r.images.toLocaleString('en-US')} images${state}`;
}

/** The run to show first: the newest finished run with predictions, else the newest. */
export function defaultRun(runs: readonly ModelRun[]): ModelRun | undefined {
  const newest = [...runs].sort((a, b) => b.id - a.id);
  return newest.find((r) => r.status === 'done' && r.predictions > 0) ?? newest[0];
}
