/**
 * The one API contract of Sightline. Every call has a request schema and a response schema; every event has a
 * payload schema. Electron's IPC router and the local HTTP server both dispatch through `callSchemas`, so the
 * renderer cannot tell which transport it has. Pure TypeScript + zod: no Node, no DOM.
 */
import { z } from 'zod';

// ---------------------------------------------------------------- shared shapes

export const Id = z.number().int().positive();

// ---------------------------------------------------------------- bounded input (issue 11)
//
// Every array and string a call takes has a maximum, and an invalid array costs at most MAX_ISSUES issues: zod
// reports every bad element, so a million bad ids took 10 s, 1.5 GB and a 117 MiB error reply. Lists of numbers are
// checked in one plain loop; lists of objects stop at the MAX_ISSUES-th bad item.

/** The most validation problems one error reply lists. */
export const MAX_ISSUES = 20;

type NumberRule = { int?: boolean; min?: number; max?: number; what: string };

function badNumber(x: unknown, rule: NumberRule): string | null {
  if (typeof x !== 'number' || !Number.isFinite(x)) return `expected ${rule.what}`;
  if (rule.int && !Number.isSafeInteger(x)) return `expected ${rule.what}`;
  if (rule.min !== undefined && x < rule.min) return `expected ${rule.what}`;
  if (rule.max !== undefined && x > rule.max) return `expected ${rule.what}`;
  return null;
}

/** An array of at most `max` numbers (at least `min`), each checked by `rule`; at most MAX_ISSUES bad items reported. */
function numberList(max: number, rule: NumberRule, min = 0) {
  return z
    .custom<number[]>((v) => Array.isArray(v), { message: 'expected an array' })
    .check((ctx) => {
      const v = ctx.value;
      if (v.length > max) return void ctx.issues.push({ code: 'custom', input: v, message: `Too big: expected at most ${max} items (got ${v.length})` });
      if (v.length < min) return void ctx.issues.push({ code: 'custom', input: v, message: `Too small: expected at least ${min} items (got ${v.length})` });
      let bad = 0;
      for (let i = 0; i < v.length && bad < MAX_ISSUES; i++) {
        const why = badNumber(v[i], rule);
        if (why) {
          bad++;
          ctx.issues.push({ code: 'custom', input: v[i], path: [i], message: why });
        }
      }
    });
}

/** An array of at most `max` ids (positive integers). */
export const idList = (max: number, min = 0) => numberList(max, { int: true, min: 1, what: 'a positive integer id' }, min);

/** An array of at most `max` items of `item`, parsed one by one until MAX_ISSUES of them have failed. */
export function boundedList<T extends z.ZodType>(item: T, max: number, min = 0) {
  return z
    .custom<z.input<T>[]>((v) => Array.isArray(v), { message: 'expected an array' })
    .transform((v, ctx): z.output<T>[] => {
      if (v.length > max) {
        ctx.issues.push({ code: 'custom', input: v, message: `Too big: expected at most ${max} items (got ${v.length})` });
        return z.NEVER;
      }
      if (v.length < min) {
        ctx.issues.push({ code: 'custom', input: v, message: `Too small: expected at least ${min} items (got ${v.length})` });
        return z.NEVER;
      }
      const out: z.output<T>[] = new Array(v.length);
      let bad = 0;
      for (let i = 0; i < v.length; i++) {
        const r = item.safeParse(v[i]);
        if (r.success) out[i] = r.data as z.output<T>;
        else {
          for (const issue of r.error.issues) ctx.issues.push({ ...issue, input: v[i], path: [i, ...issue.path] } as never);
          if (++bad >= MAX_ISSUES) return z.NEVER;
        }
      }
      return bad > 0 ? z.NEVER : out;
    });
}

/** The largest mask side, and masks whose pixel count fits the uint32 RLE counts they are stored as. */
export const MAX_MASK_SIDE = 1_000_000;
const UINT32_MAX = 2 ** 32 - 1;

export const ReviewStatus = z.enum(['new', 'in_progress', 'done', 'review', 'rejected']);
export type ReviewStatus = z.infer<typeof ReviewStatus>;

export const AnnotationKind = z.enum(['box', 'polygon', 'mask', 'keypoints', 'caption', 'tag']);
export type AnnotationKind = z.infer<typeof AnnotationKind>;

export const Origin = z.enum(['manual', 'model', 'model-edited']);
export type Origin = z.infer<typeof Origin>;

/** Geometry is in displayed image pixels (after EXIF rotation). Masks are RLE (COCO-style counts, column-major). */
export const Geometry = z.discriminatedUnion('type', [
  z.object({ type: z.literal('box'), x: z.number(), y: z.number(), w: z.number().nonnegative(), h: z.number().nonnegative() }),
  z.object({
    type: z.literal('polygon'),
    points: numberList(2_000_000, { what: 'a finite number' }, 6).refine((p) => p.length % 2 === 0, 'points must be x,y pairs'),
  }),
  z
    .object({
      type: z.literal('mask'),
      width: z.number().int().positive().max(MAX_MASK_SIDE),
      height: z.number().int().positive().max(MAX_MASK_SIDE),
      /** Stored as uint32: each run is 0 … 2^32-1, and the runs cover the mask exactly. */
      counts: numberList(16 * 1024 * 1024, { int: true, min: 0, max: UINT32_MAX, what: 'a run length from 0 to 2^32-1' }),
    })
    .refine((m) => m.width * m.height <= UINT32_MAX, { message: 'a mask has at most 2^32-1 pixels', path: ['width'] })
    .refine(
      (m) => {
        let sum = 0;
        for (const c of m.counts) sum += c;
        return sum === m.width * m.height;
      },
      { message: 'RLE counts must add up to width × height', path: ['counts'] },
    ),
  z.object({
    type: z.literal('keypoints'),
    /** x, y, visibility (0 absent, 1 occluded, 2 visible) triples */
    points: numberList(30_000, { what: 'a finite number' }).refine((p) => p.length % 3 === 0, 'keypoints must be x,y,v triples'),
    names: z.array(z.string().max(1000)).max(10_000).optional(),
  }),
  z.object({ type: z.literal('caption'), text: z.string().max(10_000) }),
  z.object({ type: z.literal('tag') }),
]);
export type Geometry = z.infer<typeof Geometry>;

export const Attributes = z
  .record(z.string().max(200), z.union([z.string().max(10_000), z.number(), z.boolean(), z.null()]))
  .refine((a) => Object.keys(a).length <= 200, 'at most 200 attributes');

export const ProjectSummary = z.object({
  path: z.string(),
  name: z.string(),
  schemaVersion: z.number().int(),
  images: z.number().int(),
  missingImages: z.number().int(),
  /**
   * Images listed but not read yet (issue 12): an import lists a row per file at once and reads sizes and content
   * hashes after, in the background. Those whose file is missing are not counted.
   */
  pendingIndex: z.number().int(),
  annotations: z.number().int(),
  classes: z.number().int(),
  runs: z.number().int(),
  roots: z.array(
    z.object({ id: Id, path: z.string(), available: z.boolean(), images: z.number().int() }),
  ),
});
export type ProjectSummary = z.infer<typeof ProjectSummary>;

export const RecentProject = z.object({ path: z.string(), name: z.string(), openedAt: z.number() });
export type RecentProject = z.infer<typeof RecentProject>;

export const ImageRow = z.object({
  id: Id,
  rootId: Id,
  relPath: z.string(),
  /** width and height as displayed, after EXIF rotation */
  width: z.number().int(),
  height: z.number().int(),
  orientation: z.number().int().min(1).max(8),
  format: z.string(),
  byteSize: z.number().int(),
  mtimeMs: z.number(),
  contentHash: z.string(),
  status: ReviewStatus,
  missing: z.boolean(),
  annotationCount: z.number().int(),
  addedAt: z.number(),
  /**
   * How much of the file has been read (issue 12): 0 listed only (width and height 0, format from the extension, no
   * content hash yet), 1 header read (size as displayed) but not the hash, 2 fully indexed. `images.get` reads a
   * listed image's header before answering.
   */
  indexed: z.number().int().min(0).max(2),
});
export type ImageRow = z.infer<typeof ImageRow>;

/**
 * A folder inside an image root, as the images' `relPath`s spell it: '/'-separated, relative to the root, with no
 * empty, '.' or '..' part ('' is the root itself).
 */
export const FolderPath = z
  .string()
  .max(4096)
  .refine((p) => p === '' || p.split('/').every((part) => part !== '' && part !== '.' && part !== '..' && !part.includes('\0')), {
    message: "a folder is a path relative to its image root, like 'roll-07' or '2024/roll-07' ('' for the root)",
  });

export const ImageFilter = z
  .object({
    status: z.array(ReviewStatus).max(10).optional(),
    /** substring of the relative path, case-insensitive */
    text: z.string().max(500).optional(),
    missing: z.boolean().optional(),
    labeled: z.boolean().optional(),
    rootId: Id.optional(),
    /** Images in this folder of a root, or in folders inside it. */
    folder: z.object({ rootId: Id, path: FolderPath }).strict().optional(),
    /** Images where the run predicted the class but no label of that class is. */
    predictedNotLabeled: z.object({ runId: Id, classId: Id }).strict().optional(),
  })
  .strict();
export type ImageFilter = z.infer<typeof ImageFilter>;

/** A folder holding images directly, and how many (those in its subfolders are counted at their own folders). */
export const FolderCount = z.object({ rootId: Id, path: z.string(), count: z.number().int() });
export type FolderCount = z.infer<typeof FolderCount>;

export const ImageFolders = z.object({
  folders: z.array(FolderCount),
  /**
   * File names that occur in more than one folder: the grid shows the folder beside them. Null when there are too many
   * to list (or the project is too large to count them): show the folder of every image in a subfolder.
   */
  repeatedNames: z.array(z.string()).nullable(),
});
export type ImageFolders = z.infer<typeof ImageFolders>;

export const ImageSort = z
  .object({
    /**
     * errors (false positives + misses), meanIou (of the matches), mIoU (a segmenter's), captionScore (CIDEr-D): how
     * `runId` did at its last evaluation (`eval.run`); images it was not evaluated on come last either way.
     */
    by: z.enum(['path', 'mtime', 'size', 'added', 'status', 'errors', 'meanIou', 'mIoU', 'captionScore']).default('path'),
    dir: z.enum(['asc', 'desc']).default('asc'),
    runId: Id.optional(),
  })
  .strict()
  .refine((s) => !['errors', 'meanIou', 'mIoU', 'captionScore'].includes(s.by) || s.runId !== undefined, { message: 'sorting by an evaluation needs runId' });
export type ImageSort = z.infer<typeof ImageSort>;

/** Point names and the edges (index pairs) drawn between them: a class's keypoint template (COCO's keypoints/skeleton). */
export const KeypointTemplate = z
  .object({
    names: z.array(z.string().trim().min(1).max(100)).min(1).max(200),
    edges: z.array(z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()])).max(2000),
  })
  .strict()
  .refine((t) => t.edges.every(([a, b]) => a < t.names.length && b < t.names.length && a !== b), {
    message: 'each edge joins two different points of the template',
  });
export type KeypointTemplate = z.infer<typeof KeypointTemplate>;

export const LabelClass = z.object({
  id: Id,
  name: z.string().min(1).max(200),
  color: z.string().regex(/^#[0-9a-fA-F]{6}$/),
  hotkey: z.string().max(20).nullable(),
  position: z.number().int(),
  /** The keypoint template of a class whose shapes are keypoints (a pose, a face's landmarks); null otherwise. */
  keypoints: KeypointTemplate.nullable(),
});
export type LabelClass = z.infer<typeof LabelClass>;

export const Annotation = z.object({
  id: Id,
  imageId: Id,
  classId: Id.nullable(),
  kind: AnnotationKind,
  geometry: Geometry,
  attributes: Attributes,
  origin: Origin,
  derivedFrom: Id.nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type Annotation = z.infer<typeof Annotation>;

/**
 * One image's annotations as columns (`annotations.shapes`), what the editor opens an image with: the same shapes as
 * `annotations.list` without the per-object keys and the timestamps, so 6,000 shapes travel as 1.5 MB instead of 2.3
 * and the server writes the stored geometry as it is (docs/ARCHITECTURE.md, "Opening an image in the editor"). Entry
 * i of every array is annotation `ids[i]`; `attributes[i]` is null for no attributes ({}).
 */
export const AnnotationColumns = z.object({
  imageId: Id,
  ids: z.array(Id),
  classIds: z.array(Id.nullable()),
  kinds: z.array(AnnotationKind),
  geometry: z.array(Geometry),
  attributes: z.array(Attributes.nullable()),
  origins: z.array(Origin),
  derivedFrom: z.array(Id.nullable()),
});
export type AnnotationColumns = z.infer<typeof AnnotationColumns>;

export const AnnotationInput = z
  .object({
    imageId: Id,
    classId: Id.nullable().default(null),
    kind: AnnotationKind,
    geometry: Geometry,
    attributes: Attributes.default({}),
    origin: Origin.default('manual'),
    derivedFrom: Id.nullable().default(null),
  })
  .strict()
  .refine((a) => a.geometry.type === a.kind, { message: 'geometry.type must equal kind' });
export type AnnotationInput = z.input<typeof AnnotationInput>;

export const AnnotationPatch = z
  .object({
    id: Id,
    classId: Id.nullable().optional(),
    geometry: Geometry.optional(),
    attributes: Attributes.optional(),
    origin: Origin.optional(),
  })
  .strict();

// ---------------------------------------------------------------- editing: steps with inverses, kept per image

/** An annotation's whole content, without its id and times: what a history step sets it to. */
export const AnnotationState = z
  .object({
    imageId: Id,
    classId: Id.nullable(),
    kind: AnnotationKind,
    geometry: Geometry,
    attributes: Attributes,
    origin: Origin,
    derivedFrom: Id.nullable(),
  })
  .strict()
  .refine((a) => a.geometry.type === a.kind, { message: 'geometry.type must equal kind' });
export type AnnotationState = z.infer<typeof AnnotationState>;

/** A class's whole content, without its id. */
export const ClassState = z
  .object({
    name: z.string().trim().min(1).max(200),
    color: z.string().regex(/^#[0-9a-fA-F]{6}$/),
    hotkey: z.string().max(20).nullable(),
    position: z.number().int(),
    keypoints: KeypointTemplate.nullable(),
  })
  .strict();
export type ClassState = z.infer<typeof ClassState>;

/**
 * One change of a history step. Applying a step sets every `after` in order; undoing it sets every `before` in
 * reverse order (null = the row does not exist). `reclass` moves annotations from one class to another (a class
 * deleted with its annotations kept, or merged into another).
 */
export const EditChange = z.discriminatedUnion('t', [
  z.object({ t: z.literal('annotation'), id: Id, before: AnnotationState.nullable(), after: AnnotationState.nullable() }).strict(),
  z.object({ t: z.literal('class'), id: Id, before: ClassState.nullable(), after: ClassState.nullable() }).strict(),
  z.object({ t: z.literal('reclass'), ids: idList(1_000_000), from: Id.nullable(), to: Id.nullable() }).strict(),
]);
export type EditChange = z.infer<typeof EditChange>;

/** A client-made step: `key` is unique per step (the client makes it), so a retried write is applied once. */
export const EditStep = z
  .object({
    key: z.string().min(8).max(64).regex(/^[A-Za-z0-9_-]+$/),
    label: z.string().max(200),
    changes: boundedList(EditChange, 100_000, 1),
  })
  .strict();
export type EditStep = z.infer<typeof EditStep>;

export const HistoryEntry = z.object({ seq: Id, key: z.string(), label: z.string(), changes: z.array(EditChange), at: z.number() });
export type HistoryEntry = z.infer<typeof HistoryEntry>;

/** An image's history: `undo` oldest first (its last entry is undone next), `redo` next-to-redo first. */
export const ImageHistory = z.object({ imageId: Id, undo: z.array(HistoryEntry), redo: z.array(HistoryEntry) });
export type ImageHistory = z.infer<typeof ImageHistory>;

/** Steps kept per image: the issue asks for at least 200. */
export const HISTORY_LIMIT = 500;

export const JobKind = z.enum(['import', 'rescan', 'thumbnails', 'inference', 'export', 'import-dataset']);
export const JobState = z.enum(['running', 'done', 'failed', 'cancelled']);
export const ImportError = z.object({ path: z.string(), reason: z.string() });
export type ImportError = z.infer<typeof ImportError>;

export const ImportResult = z.object({
  imported: z.number().int(),
  unchanged: z.number().int(),
  updated: z.number().int(),
  relinked: z.number().int(),
  missing: z.number().int(),
  skipped: z.number().int(),
  errors: z.array(ImportError),
  /** Entries left out on purpose, each with why: symlinks out of the folder (not followed), FIFOs, sockets, devices. */
  notes: z.array(ImportError).optional(),
  cancelled: z.boolean(),
});
export type ImportResult = z.infer<typeof ImportResult>;

export const Job = z.object({
  id: z.string(),
  kind: JobKind,
  title: z.string(),
  state: JobState,
  done: z.number().int(),
  total: z.number().int().nullable(),
  message: z.string(),
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
  error: z.string().nullable(),
  result: z.unknown().optional(),
});
export type Job = z.infer<typeof Job>;

export const ExecutionProvider = z.enum(['cuda', 'cpu']);
export type ExecutionProvider = z.infer<typeof ExecutionProvider>;

export const TensorInfo = z.object({
  name: z.string(),
  type: z.string(),
  /** Dimensions; strings for symbolic ones (e.g. "batch"), null where unknown. */
  dims: z.array(z.union([z.number(), z.string(), z.null()])),
});
export type TensorInfo = z.infer<typeof TensorInfo>;

export const ModelIO = z.object({ inputs: z.array(TensorInfo), outputs: z.array(TensorInfo) });

export const ModelInfo = z.object({
  name: z.string(),
  title: z.string(),
  kind: z.string(),
  decoder: z.string(),
  source: z.enum(['bundled', 'user']),
  /** The manifest file (user models: the file the manifest was saved to). */
  manifestPath: z.string(),
  /** ModelManifest (common/inference/manifest.ts), as JSON. */
  manifest: z.record(z.string(), z.unknown()),
  license: z.string(),
  description: z.string(),
  /** Per graph file: its inputs and outputs as read from the ONNX file. */
  io: z.record(z.string(), ModelIO),
  /** The execution provider the last session of this model really got, if one was made. */
  provider: ExecutionProvider.nullable(),
});
export type ModelInfo = z.infer<typeof ModelInfo>;

export const ModelRun = z.object({
  id: Id,
  model: z.string(),
  parameters: z.record(z.string(), z.unknown()),
  provider: ExecutionProvider.nullable(),
  status: z.enum(['running', 'done', 'failed', 'cancelled']),
  error: z.string().nullable(),
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
  images: z.number().int(),
  predictions: z.number().int(),
});
export type ModelRun = z.infer<typeof ModelRun>;

export const Prediction = z.object({
  id: Id,
  runId: Id,
  imageId: Id,
  classId: Id.nullable(),
  label: z.string().nullable(),
  kind: AnnotationKind,
  geometry: Geometry,
  score: z.number().nullable(),
  /** Decoder extras: beams with scores, per-token attention, text, suppressed-by-NMS flag, ... */
  extras: z.record(z.string(), z.unknown()),
});
export type Prediction = z.infer<typeof Prediction>;

export const RunParameters = z
  .object({
    score: z.number().min(0).max(1).optional(),
    iou: z.number().min(0).max(1).optional(),
    maxDetections: z.number().int().positive().max(10_000).optional(),
    beamSize: z.number().int().positive().max(16).optional(),
    /** Keep the candidates NMS removed (stored as predictions with extras.suppressed = true). */
    keepSuppressed: z.boolean().optional(),
  })
  .strict();
export type RunParameters = z.infer<typeof RunParameters>;

// ---------------------------------------------------------------- dataset interchange (issue 8)

export const ExportFormat = z.enum(['coco', 'coco-results', 'yolo', 'voc', 'labelme', 'masks', 'captions']);
export type ExportFormat = z.infer<typeof ExportFormat>;
export const ImportFormat = z.enum(['coco', 'coco-results', 'yolo', 'voc', 'labelme']);
export type ImportFormat = z.infer<typeof ImportFormat>;

/** What an export writes and how. `source` is "labels" or "run:<id>" (one model run's predictions). */
export const ExportOptions = z
  .object({
    format: ExportFormat,
    out: z.string().min(1).max(4096).refine((p) => !p.includes('\0'), 'path contains a NUL byte'),
    source: z.string().regex(/^(labels|run:[1-9][0-9]{0,15})$/, 'source is "labels" or "run:<id>"').default('labels'),
    /** Split fractions by name (train/val/test), e.g. {train: 0.8, val: 0.2}; stratified by class, reproducible by seed. */
    split: z
      .object({ train: z.number().min(0).max(1).optional(), val: z.number().min(0).max(1).optional(), test: z.number().min(0).max(1).optional() })
      .strict()
      .refine((s) => Math.abs(Object.values(s).reduce((a, b) => a + (b ?? 0), 0) - 1) < 1e-6, 'split fractions must add up to 1')
      .optional(),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
    /** Image files in the export: copied, symbolic links to the originals, or none (paths point at the originals). */
    images: z.enum(['copy', 'link', 'none']).optional(),
    /** Write upright copies of images whose EXIF orientation rotates them (naive loaders ignore it). */
    upright: z.boolean().default(false),
    /** Replace an existing, non-empty output folder (atomically: the old one is removed only after the new one is complete). */
    overwrite: z.boolean().default(false),
  })
  .strict();
export type ExportOptions = z.input<typeof ExportOptions>;

/** The summary of an export (also the CLI's --json; the key names are a contract). */
export const ExportSummary = z.object({
  format: ExportFormat,
  out: z.string(),
  images: z.number().int(),
  annotations: z.number().int(),
  files: z.array(z.string()),
  warnings: z.array(z.string()),
  /** What the format cannot hold, counted by reason: never dropped silently. */
  notExported: z.array(z.object({ reason: z.string(), count: z.number().int() })),
  /** True only when the export was read back with our importer and found equal to what was meant. */
  verified: z.boolean(),
  differences: z.array(z.string()),
  cancelled: z.boolean(),
});
export type ExportSummary = z.infer<typeof ExportSummary>;

export const ImportDatasetOptions = z
  .object({
    format: ImportFormat,
    from: z.string().min(1).max(4096).refine((p) => !p.includes('\0'), 'path contains a NUL byte'),
    as: z.enum(['labels', 'predictions']).default('labels'),
    dryRun: z.boolean().default(false),
  })
  .strict();
export type ImportDatasetOptions = z.input<typeof ImportDatasetOptions>;

export const DatasetProblem = z.object({ file: z.string(), where: z.string().nullable(), problem: z.string() });
export type DatasetProblem = z.infer<typeof DatasetProblem>;

/** The summary of a dataset import (also the CLI's --json; the key names are a contract). */
export const ImportSummary = z.object({
  images: z.number().int(),
  annotations: z.number().int(),
  classesAdded: z.array(z.string()),
  /** Names in the dataset matched to a project class spelled differently ("Person" → "person"). */
  classesMapped: z.array(z.object({ from: z.string(), to: z.string() })),
  /** Images the dataset names that are not in the project (or match several: `reason` says which). */
  unmatched: z.array(z.object({ file: z.string(), reason: z.string() })),
  errors: z.array(DatasetProblem),
  warnings: z.array(z.string()),
  /** The new run's id with as: predictions; null otherwise. */
  run: Id.nullable(),
  dryRun: z.boolean(),
  /** False when errors stopped it: then nothing was written. */
  written: z.boolean(),
  cancelled: z.boolean(),
});
export type ImportSummary = z.infer<typeof ImportSummary>;

// ---------------------------------------------------------------- evaluation (issue 9)

export const EvalType = z.enum(['bbox', 'segm', 'keypoints', 'semantic', 'caption', 'text']);
export type EvalType = z.infer<typeof EvalType>;

/** A run measured against the labels: named numbers (COCO's -1, or null, where undefined), per class, and the details. */
export const EvalReport = z.object({
  run: Id,
  iouType: EvalType,
  images: z.number().int(),
  metrics: z.record(z.string(), z.number().nullable()),
  perClass: z.array(z.record(z.string(), z.union([z.number(), z.string(), z.null()]))),
  confusion: z.object({ names: z.array(z.string()), counts: z.array(z.array(z.number())), iouThreshold: z.number() }).optional(),
  confusionImages: z.array(z.array(z.array(Id))).optional(),
  prCurves: z.array(z.object({ class: z.string(), recall: z.array(z.number()), precision: z.array(z.number()) })).optional(),
  perImage: z.array(z.object({ imageId: Id, tp: z.number().int(), fp: z.number().int(), fn: z.number().int(), meanIou: z.number() })).optional(),
  /** Per class, the images behind numGt (its labels, crowd regions left out as COCO does) and numDt (its predictions). */
  classImages: z.array(z.object({ class: z.string(), gt: z.array(Id), dt: z.array(Id) })).optional(),
  /** Text recognition: the lines with errors, most edits first (at most 200): labeled text against what was read. */
  textLines: z
    .array(z.object({ imageId: Id, reference: z.string(), hypothesis: z.string(), charEdits: z.number().int(), referenceChars: z.number().int(), cer: z.number().nullable() }))
    .optional(),
  notes: z.array(z.string()),
});
export type EvalReport = z.infer<typeof EvalReport>;

/**
 * One image's caption from a run against its labeled captions, scored as the run's caption evaluation scores it:
 * BLEU-4 with the image's own brevity penalty (coco-caption's per-image score), CIDEr-D with the document
 * frequencies of every image that evaluation covers (the per-image entry of `eval.run` iouType 'caption').
 * Scores are null when the image has no run caption or no labeled caption (`note` says which).
 */
export const ImageCaptionScore = z.object({
  runId: Id,
  imageId: Id,
  /** The run's caption (its best-scored one), or null. */
  candidate: z.string().nullable(),
  references: z.array(z.string()),
  BLEU4: z.number().nullable(),
  CIDEr: z.number().nullable(),
  /** Both sides as scored: lowercased, punctuation removed, split on spaces. */
  normalised: z.object({ candidate: z.array(z.string()).nullable(), references: z.array(z.array(z.string())) }),
  /** Images whose references give CIDEr-D its document frequencies. */
  corpusImages: z.number().int(),
  note: z.string().nullable(),
});
export type ImageCaptionScore = z.infer<typeof ImageCaptionScore>;

const Empty = z.object({}).strict();
const Ok = z.object({ ok: z.literal(true) });
/** An absolute filesystem path typed or picked by the user (never an image path: images go by id). */
const UserPath = z.string().min(1).max(4096).refine((p) => !p.includes('\0'), 'path contains a NUL byte');

// ---------------------------------------------------------------- calls

export const callSchemas = {
  'app.info': {
    req: Empty,
    res: z.object({
      version: z.string(),
      transport: z.enum(['electron', 'http']),
      project: ProjectSummary.nullable(),
      demoProject: z.string().nullable(),
    }),
  },
  'projects.recent': { req: Empty, res: z.array(RecentProject) },
  /** Open an existing project file. */
  'projects.open': { req: z.object({ path: UserPath }).strict(), res: ProjectSummary },
  /** Create a project file; with `folder`, also start importing it (the job id is returned). */
  'projects.create': {
    req: z.object({ path: UserPath, folder: UserPath.optional() }).strict(),
    res: z.object({ project: ProjectSummary, jobId: z.string().nullable() }),
  },
  /** Open a folder as a project: its project file lives in the app data folder (the image folder is never written), created and imported on first open, rescanned after. */
  'projects.openFolder': {
    req: z.object({ folder: UserPath }).strict(),
    res: z.object({ project: ProjectSummary, jobId: z.string().nullable() }),
  },
  'projects.close': { req: Empty, res: Ok },
  'projects.summary': { req: Empty, res: ProjectSummary },
  /** Point a moved image folder at its new place. Refused unless the new folder holds the root's files. */
  'roots.relink': {
    req: z.object({ rootId: Id, path: UserPath }).strict(),
    res: z.object({ matched: z.number().int(), total: z.number().int(), project: ProjectSummary }),
  },
  /** `followLinks`: also follow symlinks that lead out of the folder (off: they are listed in the result's notes). */
  'images.import': { req: z.object({ folder: UserPath, followLinks: z.boolean().optional() }).strict(), res: z.object({ jobId: z.string() }) },
  'images.rescan': { req: Empty, res: z.object({ jobId: z.string() }) },
  /** A job that makes the thumbnail of every image ahead of time (opt-in: minutes and disk space for a big folder). */
  'images.fillThumbnails': { req: Empty, res: z.object({ jobId: z.string() }) },
  /**
   * A page of the filtered, sorted list: by `offset` (a jump anywhere), or `after` / `before` a cursor an earlier
   * page gave (`endCursor` / `startCursor`: the page next to it, a keyset seek at any depth; `offset` is then ignored
   * and the reply's `offset` says where the page starts). A cursor belongs to its filter and sort.
   */
  'images.list': {
    req: z
      .object({
        offset: z.number().int().nonnegative().default(0),
        limit: z.number().int().positive().max(1000).default(200),
        filter: ImageFilter.default({}),
        sort: ImageSort.default({ by: 'path', dir: 'asc' }),
        after: z.string().min(1).max(65_536).optional(),
        before: z.string().min(1).max(65_536).optional(),
      })
      .strict()
      .refine((a) => a.after === undefined || a.before === undefined, { message: 'give after or before, not both' }),
    res: z.object({
      total: z.number().int(),
      offset: z.number().int(),
      items: z.array(ImageRow),
      startCursor: z.string().nullable(),
      endCursor: z.string().nullable(),
    }),
  },
  'images.get': { req: z.object({ id: Id }).strict(), res: ImageRow },
  /** The project's folders with their image counts, for the library's folder view and the grid's captions. */
  'images.folders': { req: Empty, res: ImageFolders },
  /** Previous and next image ids in the given filter and sort (for ← / → in the viewer). */
  'images.neighbors': {
    req: z
      .object({ id: Id, filter: ImageFilter.default({}), sort: ImageSort.default({ by: 'path', dir: 'asc' }) })
      .strict(),
    res: z.object({ prev: Id.nullable(), next: Id.nullable(), index: z.number().int(), total: z.number().int() }),
  },
  'images.setStatus': {
    req: z.object({ ids: idList(100_000, 1), status: ReviewStatus }).strict(),
    res: z.object({ updated: z.number().int() }),
  },
  'classes.list': { req: Empty, res: z.array(LabelClass) },
  'classes.upsert': {
    req: z
      .object({
        id: Id.optional(),
        name: z.string().trim().min(1).max(200),
        color: z.string().regex(/^#[0-9a-fA-F]{6}$/).optional(),
        hotkey: z.string().max(20).nullable().optional(),
        keypoints: KeypointTemplate.nullable().optional(),
      })
      .strict(),
    res: LabelClass,
  },
  'classes.delete': { req: z.object({ id: Id }).strict(), res: Ok },
  /** What uses a class, for the delete dialog and the `reclass` change that keeps its annotations: their ids and images. */
  'classes.usage': {
    req: z.object({ id: Id }).strict(),
    res: z.object({ annotations: z.number().int(), images: z.number().int(), ids: z.array(Id) }),
  },
  'classes.reorder': { req: z.object({ ids: idList(100_000) }).strict(), res: z.array(LabelClass) },
  'annotations.list': { req: z.object({ imageId: Id }).strict(), res: z.array(Annotation) },
  /** The image's annotations as columns, in id order: what the editor reads (AnnotationColumns). */
  'annotations.shapes': { req: z.object({ imageId: Id }).strict(), res: AnnotationColumns },
  /** Create, update and delete in one transaction: all or nothing. */
  'annotations.batch': {
    req: z
      .object({
        create: boundedList(AnnotationInput, 100_000).default([]),
        update: boundedList(AnnotationPatch, 100_000).default([]),
        delete: idList(100_000).default([]),
      })
      .strict(),
    res: z.object({ created: z.array(Annotation), updated: z.array(Annotation), deleted: z.number().int() }),
  },
  /**
   * Reserve ids for rows the editor will create, so a step names its rows before it is written (and an undone
   * create is redone with the same id). Ids handed out are never handed out again.
   */
  'edits.reserveIds': {
    req: z.object({ table: z.enum(['annotations', 'classes']), count: z.number().int().positive().max(10_000) }).strict(),
    res: z.object({ first: Id, count: z.number().int() }),
  },
  /** Apply one step to an image's labels (or the project's classes) in one transaction and keep it in the image's history. */
  'edits.apply': {
    req: z.object({ imageId: Id, step: EditStep, client: z.string().max(64).optional() }).strict(),
    res: z.object({ seq: Id, status: ReviewStatus, applied: z.boolean() }),
  },
  /** Undo the image's newest step, which must be `key` (else `conflict`: another window changed the history). */
  'edits.undo': {
    req: z.object({ imageId: Id, key: z.string().max(64), client: z.string().max(64).optional() }).strict(),
    /** applied: false when this was a retry of a call already done (its answer was lost): nothing changed. */
    res: z.object({ seq: Id, applied: z.boolean() }),
  },
  /** Redo the image's next undone step, which must be `key`. */
  'edits.redo': {
    req: z.object({ imageId: Id, key: z.string().max(64), client: z.string().max(64).optional() }).strict(),
    /** applied: false when this was a retry of a call already done (its answer was lost): nothing changed. */
    res: z.object({ seq: Id, applied: z.boolean() }),
  },
  /** The image's kept history (the newest HISTORY_LIMIT steps). */
  'edits.history': { req: z.object({ imageId: Id }).strict(), res: ImageHistory },
  'models.list': { req: Empty, res: z.array(ModelInfo) },
  /** Read an ONNX file's inputs and outputs and propose a decoder, without adding it. */
  'models.inspect': {
    req: z.object({ path: UserPath }).strict(),
    res: z.object({
      path: z.string(),
      io: ModelIO,
      proposal: z.object({ kind: z.string(), decoder: z.string(), reason: z.string(), manifest: z.record(z.string(), z.unknown()) }).nullable(),
    }),
  },
  /** Add a user model: an ONNX file plus a manifest (proposed from the graph when left out). Checked against the graph. */
  'models.add': {
    req: z.object({ path: UserPath, manifest: z.record(z.string().max(200), z.unknown()).optional() }).strict(),
    res: ModelInfo,
  },
  'models.updateManifest': { req: z.object({ name: z.string().max(200), manifest: z.record(z.string().max(200), z.unknown()) }).strict(), res: ModelInfo },
  'models.remove': { req: z.object({ name: z.string().max(200) }).strict(), res: Ok },
  /** Run a model over images as a job; predictions land in a new model run. */
  'models.run': {
    req: z
      .object({
        model: z.string().max(200),
        imageIds: idList(1_000_000, 1).optional(),
        all: z.boolean().optional(),
        provider: z.enum(['auto', 'cuda', 'cpu']).default('auto'),
        params: RunParameters.default({}),
      })
      .strict()
      .refine((r) => Boolean(r.all) !== Boolean(r.imageIds), { message: 'give either imageIds or all: true' }),
    res: z.object({ jobId: z.string(), runId: Id }),
  },
  'runs.list': { req: Empty, res: z.array(ModelRun) },
  'predictions.list': {
    req: z.object({ imageId: Id, runId: Id.optional() }).strict(),
    res: z.array(Prediction),
  },
  /** Export labels or one run's predictions as a job; the job's result is an ExportSummary. */
  'datasets.export': { req: ExportOptions, res: z.object({ jobId: z.string() }) },
  /** Import a dataset (labels, or a predictions run) as a job; the job's result is an ImportSummary. */
  'datasets.import': { req: ImportDatasetOptions, res: z.object({ jobId: z.string() }) },
  /** Open a folder this session exported to in the system's file manager (only those folders). */
  'datasets.reveal': { req: z.object({ path: UserPath }).strict(), res: Ok },
  /**
   * Accept, on every image the run processed, each prediction above `minScore` that matches no label at `iouThreshold`:
   * one undoable step per image. `dryRun` counts them (for the confirmation) without writing.
   */
  'predictions.acceptAll': {
    req: z
      .object({ runId: Id, minScore: z.number().min(0).max(1).default(0.5), iouThreshold: z.number().min(0).max(1).default(0.5), dryRun: z.boolean().default(false), client: z.string().max(64).optional() })
      .strict(),
    res: z.object({ accepted: z.number().int(), images: z.number().int() }),
  },
  /** Measure a run against the labels (COCO bbox / segm / keypoints, semantic, captions); the type follows the run when left out. */
  'eval.run': { req: z.object({ runId: Id, iouType: EvalType.optional() }).strict(), res: EvalReport },
  /** One image's run caption against its labeled captions: BLEU-4 and CIDEr-D as the run's caption evaluation gives them. */
  'eval.imageCaption': { req: z.object({ runId: Id, imageId: Id }).strict(), res: ImageCaptionScore },
  /**
   * Reject predictions (hidden from the compare view, kept in the run: `extras.rejected`), or take a rejection back.
   * Rejected predictions are left out of evaluation.
   */
  'predictions.reject': {
    req: z.object({ ids: idList(100_000, 1), rejected: z.boolean().default(true) }).strict(),
    res: z.object({ updated: z.number().int() }),
  },
  'jobs.list': { req: Empty, res: z.array(Job) },
  'jobs.get': { req: z.object({ id: z.string().max(100) }).strict(), res: Job },
  'jobs.cancel': { req: z.object({ id: z.string().max(100) }).strict(), res: Job },
} as const;

export type CallName = keyof typeof callSchemas;
export const callNames = Object.keys(callSchemas) as CallName[];
export type CallRequest<K extends CallName> = z.input<(typeof callSchemas)[K]['req']>;
export type CallArgs<K extends CallName> = z.output<(typeof callSchemas)[K]['req']>;
export type CallResponse<K extends CallName> = z.output<(typeof callSchemas)[K]['res']>;

/** Server-side implementation of the whole contract. */
export type Handlers = { [K in CallName]: (args: CallArgs<K>) => Promise<CallResponse<K>> | CallResponse<K> };

export function isCallName(name: unknown): name is CallName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(callSchemas, name);
}

// ---------------------------------------------------------------- events

export const eventSchemas = {
  /** A job started, progressed or ended. */
  job: Job,
  /** The open project changed (opened, closed, images added, annotations changed). */
  /**
   * The open project changed. `project` is the new summary (null once closed); it is left out for annotation edits,
   * which name the images they touched instead, so an edit never pays for counting the whole project.
   */
  project: z.object({
    /** `predictions`: a run's predictions changed (rejected or restored) on `imageIds`; labels did not. */
    reason: z.enum(['opened', 'closed', 'images', 'annotations', 'classes', 'roots', 'predictions']),
    project: ProjectSummary.nullable().optional(),
    imageIds: z.array(Id).optional(),
    /** The `client` that made an edit, so the window that made it can tell its own edits from another's. */
    client: z.string().optional(),
  }),
} as const;

export type EventName = keyof typeof eventSchemas;
export type EventPayload<E extends EventName> = z.output<(typeof eventSchemas)[E]>;

// ---------------------------------------------------------------- errors

export const ErrorCode = z.enum([
  'bad_request', // arguments fail the schema
  'unknown_call',
  'unauthorized', // missing or wrong token
  'forbidden', // foreign origin / host / sender
  'not_found',
  'no_project',
  'conflict',
  'invalid_file', // a file that is not what it should be (not SQLite, corrupt image, ...)
  'newer_version', // a project written by a newer Sightline
  'io',
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorBody = z.object({ code: ErrorCode, message: z.string(), details: z.unknown().optional() });
export type ErrorBody = z.infer<typeof ErrorBody>;

/** An error meant for a person: what happened, to which file, what to do. */
export class ApiError extends Error {
  constructor(
    public readonly code: ErrorCode,
    message: string,
    public readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  toBody(): ErrorBody {
    return { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) };
  }
}

export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case 'bad_request':
    case 'invalid_file':
      return 400;
    case 'unauthorized':
      return 401;
    case 'forbidden':
      return 403;
    case 'not_found':
    case 'unknown_call':
      return 404;
    case 'conflict':
    case 'no_project':
    case 'newer_version':
      return 409;
    default:
      return 500;
  }
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Parse a call's arguments, turning a zod failure into a readable bad_request. */
export function parseCallArgs<K extends CallName>(name: K, raw: unknown): CallArgs<K> {
  const parsed = callSchemas[name].req.safeParse(raw ?? {});
  if (!parsed.success) {
    // Bounded whatever was sent: at most MAX_ISSUES problems, each cut to a readable length.
    const all = parsed.error.issues;
    const issues = all.slice(0, MAX_ISSUES).map((i) => clip(`${i.path.slice(0, 8).join('.') || '(arguments)'}: ${i.message}`, 300));
    if (all.length > MAX_ISSUES) issues.push(`… and ${all.length - MAX_ISSUES} more`);
    throw new ApiError('bad_request', `Invalid arguments for ${name}: ${issues.join('; ')}`, { issues });
  }
  return parsed.data as CallArgs<K>;
}

// ---------------------------------------------------------------- client side

/** What the renderer gets, from Electron's preload or from the HTTP client. */
export interface SightlineApi {
  call<K extends CallName>(name: K, args?: CallRequest<K>): Promise<CallResponse<K>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
  /** URL of an image's displayable bytes (EXIF-rotated), by id. */
  imageUrl(id: number, version?: string): string;
  /** URL of a 256 px thumbnail, by id. */
  thumbUrl(id: number, version?: string): string;
  readonly transport: 'electron' | 'http';
}
