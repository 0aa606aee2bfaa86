/**
 * What the Export and Import dialogs know about the formats, and the pure parts of their forms: reading the split
 * fractions and the seed, checking paths, building the requests, and ordering job snapshots. No React, no API.
 */
import type { ExportFormat, ExportOptions, ImportDatasetOptions, ImportFormat, Job, ModelRun } from '../../../common/api/contract.js';

export type ImagesMode = 'copy' | 'link' | 'none';
export type SplitName = 'train' | 'val' | 'test';
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'val', 'test'];

export interface ExportFormatInfo {
  label: string;
  /** One line: what the export writes. */
  writes: string;
  /** One line: what the format cannot hold (listed as "not exported" in the summary, never dropped silently). */
  cannotHold: string;
  /** Image files in the export unless the person picks otherwise. */
  defaultImages: ImagesMode;
  /** Whether the format has a train/val/test layout. */
  split: boolean;
  /** Whether the format holds a model run's predictions only (then labels are no source for it). */
  runOnly: boolean;
}

export const EXPORT_FORMATS: Record<ExportFormat, ExportFormatInfo> = {
  coco: {
    label: 'COCO instances',
    writes: 'annotations/instances.json: boxes, polygons, RLE masks and keypoints with their skeleton; captions in a COCO captions file.',
    cannotHold: 'image tags (shape attributes go in each annotation\'s "attributes").',
    defaultImages: 'none',
    split: true,
    runOnly: false,
  },
  'coco-results': {
    label: 'COCO results (a model run)',
    writes: "one run's predictions as a COCO results list: image_id, category_id, bbox, score (segmentation, keypoints), or captions.",
    cannotHold: 'class names or image sizes (ids only: keep the COCO instances file beside it), labels, tags.',
    defaultImages: 'none',
    split: false,
    runOnly: true,
  },
  yolo: {
    label: 'YOLO (Ultralytics)',
    writes: 'images/, labels/*.txt with normalised boxes, polygons or pose keypoints, and data.yaml with the class names in order.',
    cannotHold: 'captions, tags, shape attributes; one layout per dataset: a pose dataset keeps only keypoints, masks become outlines.',
    defaultImages: 'copy',
    split: true,
    runOnly: false,
  },
  voc: {
    label: 'Pascal VOC',
    writes: 'Annotations/*.xml boxes (difficult, truncated, occluded), SegmentationClass/ and SegmentationObject/ palette PNGs, ImageSets/Main lists.',
    cannotHold: 'keypoints, captions or tags.',
    defaultImages: 'copy',
    split: true,
    runOnly: false,
  },
  labelme: {
    label: 'LabelMe',
    writes: 'one LabelMe 5 JSON per image (rectangle, polygon, point, mask shapes, group_id) with a relative imagePath.',
    cannotHold: 'captions, or keypoint skeletons (each keypoint becomes a point shape; tags become image flags).',
    defaultImages: 'none',
    split: false,
    runOnly: false,
  },
  masks: {
    label: 'Semantic mask PNGs',
    writes: 'one class-index PNG per image with a palette, and classes.txt.',
    cannotHold: 'separate instances (overlapping shapes of a class merge), keypoints, captions or tags.',
    defaultImages: 'none',
    split: false,
    runOnly: false,
  },
  captions: {
    label: 'Captions (JSON Lines)',
    writes: 'one JSON line per caption: the image and its text.',
    cannotHold: 'any shapes: boxes, polygons, masks, keypoints and tags are not exported.',
    defaultImages: 'none',
    split: false,
    runOnly: false,
  },
};

export const EXPORT_FORMAT_ORDER: ExportFormat[] = ['coco', 'coco-results', 'yolo', 'voc', 'labelme', 'masks', 'captions'];

export interface ImportFormatInfo {
  label: string;
  /** What to point the path at. */
  from: string;
  placeholder: string;
}

export const IMPORT_FORMATS: Record<ImportFormat, ImportFormatInfo> = {
  coco: {
    label: 'COCO (instances, keypoints or captions)',
    from: 'the COCO JSON file (e.g. annotations/instances.json), or the export folder that holds it.',
    placeholder: '/absolute/path/annotations/instances.json',
  },
  'coco-results': {
    label: 'COCO results',
    from: 'a results JSON list; its category ids must be known from a COCO instances file imported before.',
    placeholder: '/absolute/path/results.json',
  },
  yolo: {
    label: 'YOLO (Ultralytics)',
    from: 'the dataset folder with data.yaml, or the data.yaml file.',
    placeholder: '/absolute/path/dataset',
  },
  voc: {
    label: 'Pascal VOC',
    from: 'the VOC folder that holds Annotations/ (and SegmentationClass/, SegmentationObject/ if any).',
    placeholder: '/absolute/path/VOC2012',
  },
  labelme: {
    label: 'LabelMe',
    from: 'a folder of LabelMe JSON files (searched below it), or one JSON file.',
    placeholder: '/absolute/path/labelme',
  },
};

export const IMPORT_FORMAT_ORDER: ImportFormat[] = ['coco', 'coco-results', 'yolo', 'voc', 'labelme'];

export const IMAGES_LABELS: Record<ImagesMode, string> = {
  copy: 'Copy the images into the export',
  link: 'Link to the originals (symbolic links)',
  none: 'No image files (paths point at the originals)',
};

/** A path typed by a person, absolute on POSIX or Windows. */
export function isAbsolutePath(p: string): boolean {
  const s = p.trim();
  return s.startsWith('/') || /^[A-Za-z]:[\\/]/.test(s) || s.startsWith('\\\\');
}

function checkPath(p: string, what: string): string | null {
  const s = p.trim();
  if (!s) return `Type the ${what}.`;
  if (s.includes('\0')) return `The ${what} contains a NUL character.`;
  if (!isAbsolutePath(s)) return `The ${what} must be an absolute path (starting with / or a drive letter): "${s}" is relative.`;
  return null;
}

// ---------------------------------------------------------------- split and seed

export type SplitDraft = Record<SplitName, string>;
export const DEFAULT_SPLIT: SplitDraft = { train: '0.8', val: '0.2', test: '0' };

/**
 * One split field: a fraction ("0.8", ".2"), a percentage ("80%"), or empty (0). Returns the fraction, or an error
 * that says what is wrong with which field.
 */
export function parseFraction(text: string, name: string): { value: number } | { error: string } {
  const s = text.trim();
  if (s === '') return { value: 0 };
  const m = /^(\d+(?:\.\d*)?|\.\d+)\s*(%?)$/.exec(s);
  if (!m) return { error: `${name}: "${s}" is not a number (write a fraction like 0.8 or a percentage like 80%).` };
  const value = m[2] ? Number(m[1]) / 100 : Number(m[1]);
  if (value > 1) return { error: `${name}: ${s} is more than the whole (write 0.8 or 80%, not ${s}).` };
  return { value };
}

/**
 * The three fields as the API's split, adding up to 1 (within a rounding error). Every name is sent, 0 for an empty
 * part (the core leaves out parts of 0), so the request says plainly what the form showed.
 */
export function parseSplit(draft: SplitDraft): { split: Record<SplitName, number> } | { error: string } {
  const split: Record<SplitName, number> = { train: 0, val: 0, test: 0 };
  let sum = 0;
  for (const name of SPLIT_NAMES) {
    const r = parseFraction(draft[name], name);
    if ('error' in r) return r;
    split[name] = r.value;
    sum += r.value;
  }
  if (sum === 0) return { error: 'Give at least one part of the split a share above 0.' };
  if (Math.abs(sum - 1) > 1e-6) return { error: `The split must add up to 1 (100%); it adds up to ${round(sum)}.` };
  return { split };
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

export const MAX_SEED = 2 ** 31 - 1;

export function parseSeed(text: string): { seed: number } | { error: string } {
  const s = text.trim();
  if (s === '') return { seed: 0 };
  if (!/^\d+$/.test(s) || Number(s) > MAX_SEED) return { error: `The seed is a whole number from 0 to ${MAX_SEED}; "${s}" is not.` };
  return { seed: Number(s) };
}

// ---------------------------------------------------------------- requests

export interface ExportDraft {
  format: ExportFormat;
  /** "labels" or "run:<id>" */
  source: string;
  out: string;
  splitOn: boolean;
  split: SplitDraft;
  seed: string;
  images: ImagesMode;
  upright: boolean;
  overwrite: boolean;
}

export function defaultExportDraft(format: ExportFormat = 'coco'): ExportDraft {
  return {
    format,
    source: 'labels',
    out: '',
    splitOn: false,
    split: { ...DEFAULT_SPLIT },
    seed: '0',
    images: EXPORT_FORMATS[format].defaultImages,
    upright: false,
    overwrite: false,
  };
}

/** A new format brings its own image default; a split stays on only where the format has one. */
export function withFormat(draft: ExportDraft, format: ExportFormat): ExportDraft {
  const info = EXPORT_FORMATS[format];
  return { ...draft, format, images: info.defaultImages, splitOn: info.split && draft.splitOn };
}

export type ExportDraftErrors = Partial<Record<'out' | 'source' | 'split' | 'seed', string>>;

export function buildExportOptions(draft: ExportDraft): { options: ExportOptions } | { errors: ExportDraftErrors } {
  const info = EXPORT_FORMATS[draft.format];
  const errors: ExportDraftErrors = {};
  const outError = checkPath(draft.out, 'output folder');
  if (outError) errors.out = outError;
  if (!/^(labels|run:[1-9][0-9]{0,15})$/.test(draft.source)) errors.source = 'Choose the labels or a model run.';
  else if (info.runOnly && draft.source === 'labels') errors.source = `${info.label} holds a model run's predictions: choose a run as the source.`;
  let split: ExportOptions['split'];
  let seed = 0;
  if (info.split && draft.splitOn) {
    const s = parseSplit(draft.split);
    if ('error' in s) errors.split = s.error;
    else split = s.split;
    const sd = parseSeed(draft.seed);
    if ('error' in sd) errors.seed = sd.error;
    else seed = sd.seed;
  }
  if (Object.keys(errors).length > 0) return { errors };
  return {
    options: {
      format: draft.format,
      out: draft.out.trim(),
      source: draft.source,
      ...(split ? { split, seed } : {}),
      images: draft.images,
      upright: draft.upright,
      overwrite: draft.overwrite,
    },
  };
}

export interface ImportDraft {
  format: ImportFormat;
  from: string;
  as: 'labels' | 'predictions';
  dryRunFirst: boolean;
}

export function buildImportOptions(draft: ImportDraft, dryRun: boolean): { options: ImportDatasetOptions } | { error: string } {
  const error = checkPath(draft.from, 'dataset path');
  if (error) return { error };
  return { options: { format: draft.format, from: draft.from.trim(), as: draft.as, dryRun } };
}

// ---------------------------------------------------------------- jobs and lists

/**
 * Whether `next` should replace `old` as what we show of a job: events and jobs.get answers can cross, and an
 * older snapshot must never undo a newer one (a finished job stays finished; progress never goes back).
 */
export function isNewerSnapshot(old: Job | null, next: Job): boolean {
  if (!old || old.id !== next.id) return true;
  if (old.state !== 'running') return false;
  if (next.state !== 'running') return true;
  return next.done >= old.done;
}

/** The first `n` of a list and how many more there are. */
export function firstOf<T>(list: readonly T[], n: number): { shown: T[]; more: number } {
  return { shown: list.slice(0, n), more: Math.max(0, list.length - n) };
}

/** "3 / 10", "3" when the total is unknown, and a percentage for the bar where there is a total. */
export function progressText(job: Pick<Job, 'done' | 'total'>): string {
  if (job.total === null || job.total <= 0) return job.done.toLocaleString('en-US');
  const pct = Math.min(100, Math.floor((job.done / job.total) * 100));
  return `${job.done.toLocaleString('en-US')} / ${job.total.toLocaleString('en-US')} (${pct}%)`;
}

/** A run as the source picker names it: newest first is the caller's job. */
export function runSourceLabel(r: Pick<ModelRun, 'id' | 'model' | 'status' | 'images' | 'predictions'>): string {
  const state = r.status === 'done' ? '' : ` (${r.status})`;
  return `Run #${r.id}: ${r.model}, ${r.predictions.toLocaleString('en-US')} predictions on ${r.images.toLocaleString('en-US')} images${state}`;
}
