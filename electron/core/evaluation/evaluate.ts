/**
 * Evaluating a model run against the project's labels (issue 9): the project's rows become the metrics' inputs
 * (common/metrics), and the numbers come back named as the CLI and the Evaluation page show them. The labels are the
 * ground truth; only images the run processed (and did not fail on) are evaluated.
 */
import type { Database } from 'better-sqlite3';
import { ApiError, type AnnotationKind, type EditChange, type EvalReport, type EvalType, type Geometry } from '../../../common/api/contract.js';
import type { EditsRepo } from '../project/edits.js';
import { resampleRle, shapeOf } from '../../../common/metrics/cocoShape.js';
import { matchImage } from '../../../common/metrics/matchImage.js';
import { semanticMap } from '../../../common/formats/masks.js';
import { captionMetrics, captionSamplesFromText } from '../../../common/metrics/captions.js';
import { cocoEvaluate, COCO_PERSON_SIGMAS, type CocoEvalResult, type EvalCategory, type EvalDt, type EvalGt, type EvalImage } from '../../../common/metrics/cocoEval.js';
import { confusionMatrix, type ConfusionMatrix } from '../../../common/metrics/confusion.js';
import { SemanticAccumulator } from '../../../common/metrics/semantic.js';
import { decodeGeometry } from '../project/annotations.js';
import { IMAGE_EXTRAS } from '../inference/runs.js';
import { cocoImageIdMap } from '../datasets/project.js';

export type { EvalReport, EvalType };

interface Row {
  id: number;
  image_id: number;
  class_id: number | null;
  label: string | null;
  kind: AnnotationKind;
  geometry: string;
  mask: Buffer | null;
  attributes: string | null;
  score: number | null;
}

interface Ctx {
  db: Database;
  runId: number;
  images: Map<number, { width: number; height: number }>;
  classes: { id: number; name: string; keypoints: { names: string[] } | null }[];
  classByName: Map<string, number>;
}

function load(db: Database, runId: number): Ctx {
  if (!db.prepare('SELECT 1 FROM model_runs WHERE id = ?').get(runId)) throw new ApiError('not_found', `There is no model run ${runId} in this project.`);
  const images = new Map<number, { width: number; height: number }>();
  for (const r of db
    .prepare(
      `SELECT i.id, i.width, i.height FROM images i WHERE i.id IN (
         SELECT p.image_id FROM predictions p WHERE p.run_id = ? AND p.kind = 'tag' AND p.label IS NULL
           AND json_extract(p.extras, '$.kind') = '${IMAGE_EXTRAS}' AND json_extract(p.extras, '$.error') IS NULL) ORDER BY i.id`,
    )
    .all(runId) as { id: number; width: number; height: number }[]) {
    images.set(r.id, { width: r.width, height: r.height });
  }
  const classes = (db.prepare('SELECT id, name, keypoints FROM label_classes ORDER BY position, id').all() as { id: number; name: string; keypoints: string | null }[]).map((c) => ({
    id: c.id,
    name: c.name,
    keypoints: c.keypoints === null ? null : (JSON.parse(c.keypoints) as { names: string[] }),
  }));
  return { db, runId, images, classes, classByName: new Map(classes.map((c) => [c.name, c.id])) };
}

function* labels(ctx: Ctx): Generator<Row> {
  yield* ctx.db.prepare(`SELECT id, image_id, class_id, NULL AS label, kind, geometry, mask, attributes, NULL AS score FROM annotations ORDER BY image_id, id`).iterate() as IterableIterator<Row>;
}

function* predictions(ctx: Ctx): Generator<Row> {
  yield* ctx.db
    .prepare(
      `SELECT id, image_id, class_id, label, kind, geometry, mask, NULL AS attributes, score FROM predictions
        WHERE run_id = ? AND NOT (kind = 'tag' AND label IS NULL) AND json_extract(extras, '$.suppressed') IS NULL
          AND coalesce(json_extract(extras, '$.rejected'), 0) = 0
        ORDER BY image_id, id`,
    )
    .iterate(ctx.runId) as IterableIterator<Row>;
}

/** A prediction's class: its project class, else the project class named like the model's label. */
const classOf = (ctx: Ctx, r: Row): number | null => r.class_id ?? (r.label === null ? null : (ctx.classByName.get(r.label) ?? null));

/** The kind of evaluation a run calls for, from what it predicted (and its model's kind). */
export function defaultEvalType(db: Database, runId: number): EvalType {
  const kind = db.prepare('SELECT m.kind FROM model_runs r JOIN models m ON m.id = r.model_id WHERE r.id = ?').pluck().get(runId) as string | undefined;
  if (kind === 'semantic-segmenter') return 'semantic';
  const kinds = new Set(db.prepare(`SELECT DISTINCT kind FROM predictions WHERE run_id = ? AND NOT (kind = 'tag' AND label IS NULL)`).pluck().all(runId) as string[]);
  if (kinds.has('keypoints')) return 'keypoints';
  if (kinds.has('caption')) return 'caption';
  if (kinds.has('mask') || kinds.has('polygon')) return 'segm';
  return 'bbox';
}

const truthy = (v: unknown) => v === true || v === 1 || v === '1' || v === 'true';

/** Labeled boxes that carry a group_id, by `image:class:group` (the first of each), as [x, y, w, h]. */
function groupedBoxes(ctx: Ctx): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const rows = ctx.db
    .prepare(`SELECT image_id, class_id, geometry, json_extract(attributes, '$.group_id') AS grp FROM annotations WHERE kind = 'box' AND class_id IS NOT NULL AND json_extract(attributes, '$.group_id') IS NOT NULL ORDER BY id`)
    .all() as { image_id: number; class_id: number; geometry: string; grp: number | string }[];
  for (const r of rows) {
    const key = `${r.image_id}:${r.class_id}:${String(r.grp)}`;
    const g = decodeGeometry(r.geometry, null);
    if (g.type === 'box' && !out.has(key)) out.set(key, [g.x, g.y, g.w, g.h]);
  }
  return out;
}

function cocoInputs(ctx: Ctx, iouType: 'bbox' | 'segm' | 'keypoints') {
  // Images carry their COCO ids where a COCO import gave them: pycocotools orders images by id, and score ties across
  // images are broken in that order, so the numbers equal pycocotools' on the imported dataset.
  const ids = cocoImageIdMap(ctx.db);
  const images: EvalImage[] = [...ctx.images].map(([id, s]) => ({ id: ids.toCoco(id), ...s }));
  const categories: EvalCategory[] = ctx.classes.map((c) => ({
    id: c.id,
    name: c.name,
    ...(iouType === 'keypoints' && c.keypoints ? { sigmas: c.keypoints.names.length === 17 ? COCO_PERSON_SIGMAS : c.keypoints.names.map(() => 0.05) } : {}),
  }));
  const wanted = (k: AnnotationKind) => (iouType === 'keypoints' ? k === 'keypoints' : iouType === 'segm' ? k === 'mask' || k === 'polygon' : k === 'box' || k === 'mask' || k === 'polygon');
  const boxes = iouType === 'keypoints' ? groupedBoxes(ctx) : null;
  const gts: EvalGt[] = [];
  for (const r of labels(ctx)) {
    const size = ctx.images.get(r.image_id);
    if (!size || r.class_id === null || !wanted(r.kind)) continue;
    const g = decodeGeometry(r.geometry, r.mask);
    const s = shapeOf(g, size, iouType === 'segm');
    if (!s) continue;
    const attrs = r.attributes ? (JSON.parse(r.attributes) as Record<string, unknown>) : {};
    // A COCO import keeps the file's area where it is not the shape's (COCO's areas are mask areas): it decides the
    // area ranges and the OKS scale, as in pycocotools.
    // Keypoints linked by group_id to a box of their class (a COCO person's box) are measured with that box where
    // pycocotools reads the annotation's bbox: OKS against a person with no labeled point. (The area is the file's,
    // kept by the import where it is not the points' extent.)
    const box = g.type === 'keypoints' && attrs.group_id !== undefined ? boxes?.get(`${r.image_id}:${r.class_id}:${String(attrs.group_id)}`) : undefined;
    const bbox = box ?? s.bbox;
    const area = typeof attrs.area === 'number' ? attrs.area : s.area;
    gts.push({ id: r.id, imageId: ids.toCoco(r.image_id), categoryId: r.class_id, area, iscrowd: truthy(attrs.iscrowd) ? 1 : 0, bbox, ...(s.segm ? { segm: s.segm } : {}), ...(g.type === 'keypoints' ? { keypoints: g.points } : {}) });
  }
  const dts: EvalDt[] = [];
  for (const r of predictions(ctx)) {
    const size = ctx.images.get(r.image_id);
    const cls = classOf(ctx, r);
    if (!size || cls === null || !wanted(r.kind)) continue;
    const g = decodeGeometry(r.geometry, r.mask);
    const s = shapeOf(g, size, iouType === 'segm');
    if (!s) continue;
    dts.push({ id: r.id, imageId: ids.toCoco(r.image_id), categoryId: cls, score: r.score ?? 1, bbox: s.bbox, ...(s.segm ? { segm: s.segm } : {}), ...(g.type === 'keypoints' ? { keypoints: g.points } : {}) });
  }
  return { images, categories, gts, dts, ids };
}


function cocoReport(ctx: Ctx, iouType: 'bbox' | 'segm' | 'keypoints'): EvalReport {
  const { ids, ...input } = cocoInputs(ctx, iouType);
  const res: CocoEvalResult = cocoEvaluate({ ...input, iouType });
  const name = new Map(ctx.classes.map((c) => [c.id, c.name]));
  const report: EvalReport = {
    run: ctx.runId,
    iouType,
    images: input.images.length,
    metrics: { ...res.stats } as Record<string, number>,
    perClass: res.perClass.map(({ categoryId, name: _n, ...m }) => ({ class: name.get(categoryId) ?? String(categoryId), ...m })),
    prCurves: res.prCurves.map((c) => ({ class: name.get(c.categoryId) ?? String(c.categoryId), recall: c.recall, precision: c.precision })),
    perImage: res.perImage.map((p) => ({ ...p, imageId: ids.toProject(p.imageId) })),
    notes: [],
  };
  const byClass = new Map<number, { gt: Set<number>; dt: Set<number> }>();
  const entry = (c: number) => byClass.get(c) ?? byClass.set(c, { gt: new Set(), dt: new Set() }).get(c)!;
  for (const g of input.gts) if (!g.iscrowd) entry(g.categoryId).gt.add(ids.toProject(g.imageId));
  for (const d of input.dts) entry(d.categoryId).dt.add(ids.toProject(d.imageId));
  report.classImages = ctx.classes
    .filter((c) => byClass.has(c.id))
    .map((c) => ({ class: c.name, gt: [...byClass.get(c.id)!.gt].sort((a, b) => a - b), dt: [...byClass.get(c.id)!.dt].sort((a, b) => a - b) }));
  if (iouType !== 'keypoints') {
    const cm: ConfusionMatrix = confusionMatrix({ ...input, iouType, iouThreshold: 0.5 });
    report.confusion = { names: cm.names, counts: cm.counts, iouThreshold: cm.iouThreshold };
    report.confusionImages = cm.images.map((row) => row.map((cell) => cell.map((id) => ids.toProject(id))));
  }
  storeImageErrors(
    ctx,
    report.perImage!.map((p) => ({ imageId: p.imageId, errors: p.fp + p.fn, meanIou: p.meanIou < 0 ? null : p.meanIou })),
  );
  if (input.gts.length === 0) report.notes.push('No labels of this kind on the evaluated images: every number is -1.');
  if (input.dts.length === 0) report.notes.push('The run has no predictions of this kind on the evaluated images.');
  return report;
}

function captionReport(ctx: Ctx): EvalReport {
  const refs = new Map<number, string[]>();
  for (const r of labels(ctx)) {
    if (r.kind !== 'caption' || !ctx.images.has(r.image_id)) continue;
    const text = (JSON.parse(r.geometry) as { text: string }).text;
    const list = refs.get(r.image_id);
    if (list) list.push(text);
    else refs.set(r.image_id, [text]);
  }
  const cands = new Map<number, { text: string; score: number }>();
  for (const r of predictions(ctx)) {
    if (r.kind !== 'caption' || !refs.has(r.image_id)) continue;
    const text = (JSON.parse(r.geometry) as { text: string }).text;
    const prev = cands.get(r.image_id);
    // The run's best caption per image (beams are kept in extras; the first, highest-scored one is the caption).
    if (!prev || (r.score ?? 0) > prev.score) cands.set(r.image_id, { text, score: r.score ?? 0 });
  }
  const items = [...refs].filter(([id]) => cands.has(id)).map(([id, references]) => ({ id, references, candidate: cands.get(id)!.text }));
  const notes = ['Captions are compared after the same normalisation on both sides: lowercase, punctuation removed, split on spaces.'];
  const missing = refs.size - items.length;
  if (missing) notes.push(`${missing} labeled image(s) have no caption from the run and are left out.`);
  if (items.length === 0) {
    return { run: ctx.runId, iouType: 'caption', images: 0, metrics: { BLEU1: null, BLEU2: null, BLEU3: null, BLEU4: null, CIDEr: null }, perClass: [], notes: [...notes, 'No image has both labeled captions and a predicted one.'] };
  }
  const m = captionMetrics(captionSamplesFromText(items));
  storeImageErrors(ctx, items.map((it, i) => ({ imageId: it.id, captionScore: m.perSample[i]?.CIDEr ?? null })));
  return {
    run: ctx.runId,
    iouType: 'caption',
    images: items.length,
    metrics: { BLEU1: m.BLEU1, BLEU2: m.BLEU2, BLEU3: m.BLEU3, BLEU4: m.BLEU4, CIDEr: m.CIDEr },
    perClass: [],
    notes,
  };
}

/**
 * Rows ordered by image id, handed out one image at a time: `take(id)` for ascending ids gives that image's rows
 * (those `keep` accepts) and skips the rows of images not asked for.
 */
function byImage(rows: Generator<Row>, keep: (r: Row) => boolean): { take(imageId: number): Row[] } {
  let next = rows.next();
  return {
    take(imageId) {
      const out: Row[] = [];
      while (!next.done && next.value.image_id < imageId) next = rows.next();
      while (!next.done && next.value.image_id === imageId) {
        if (keep(next.value)) out.push(next.value);
        next = rows.next();
      }
      return out;
    },
  };
}

function semanticReport(ctx: Ctx): EvalReport {
  const classIndex = new Map(ctx.classes.map((c, i) => [c.name, i]));
  const acc = new SemanticAccumulator(ctx.classes.length + 1, { ignore: 255 });
  // Labels and predictions come ordered by image: walked beside the images, one image's rows in memory at a time.
  const gts = byImage(labels(ctx), (r) => r.kind === 'mask' || r.kind === 'polygon');
  const dts = byImage(predictions(ctx), (r) => r.kind === 'mask');
  const names = new Map(ctx.classes.map((c) => [c.id, c.name]));
  const name = (r: Row) => (r.class_id !== null ? names.get(r.class_id) : r.label) ?? null;
  const toRecord = (id: number, rows: Row[]) => ({
    image: { id, file: '', ...ctx.images.get(id)! },
    objects: rows.map((r) => ({ id: r.id, class: name(r), kind: r.kind, geometry: decodeGeometry(r.geometry, r.mask), attributes: {}, score: r.score })),
  });
  let n = 0;
  const perImage: { imageId: number; miou: number | null }[] = [];
  const one = new SemanticAccumulator(ctx.classes.length + 1, { ignore: 255 });
  for (const id of ctx.images.keys()) {
    const gt = semanticMap(toRecord(id, gts.take(id)), classIndex);
    const dt = semanticMap(toRecord(id, dts.take(id)), classIndex);
    // One pass over the pixels: the image's own confusion gives its mIoU and is added to the run's.
    one.reset();
    one.add(gt, dt);
    acc.merge(one);
    perImage.push({ imageId: id, miou: one.result().mIoU });
    n++;
  }
  storeImageErrors(ctx, perImage.map((p) => ({ imageId: p.imageId, miou: p.miou })));
  const m = acc.result();
  return {
    run: ctx.runId,
    iouType: 'semantic',
    images: n,
    metrics: { mIoU: m.mIoU, pixelAcc: m.pixelAcc, meanAcc: m.meanAcc, fwIoU: m.fwIoU },
    perClass: m.perClass.map((c) => ({ class: c.classIndex === 0 ? 'background' : ctx.classes[c.classIndex - 1].name, IoU: c.iou, accuracy: c.accuracy })),
    notes: ['Pixels of no labeled region are background; mIoU averages the classes present in the labels or the predictions.'],
  };
}

/**
 * Keep each image's numbers of this evaluation (migration 0005), replacing the run's previous ones, so the library can
 * sort and step through images worst first without evaluating again.
 */
function storeImageErrors(ctx: Ctx, rows: { imageId: number; errors?: number; meanIou?: number | null; miou?: number | null; captionScore?: number | null }[]): void {
  const put = ctx.db.prepare(
    `INSERT INTO image_errors (run_id, image_id, errors, mean_iou, miou, caption_score) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, image_id) DO UPDATE SET
         errors = coalesce(excluded.errors, errors), mean_iou = coalesce(excluded.mean_iou, mean_iou),
         miou = coalesce(excluded.miou, miou), caption_score = coalesce(excluded.caption_score, caption_score)`,
  );
  ctx.db.transaction(() => {
    for (const r of rows) {
      const num = (v: number | null | undefined) => (v === undefined || v === null || !Number.isFinite(v) ? null : v);
      put.run(ctx.runId, r.imageId, r.errors ?? null, num(r.meanIou), num(r.miou), num(r.captionScore));
    }
  })();
}

export function evaluateRun(db: Database, runId: number, iouType?: EvalType): EvalReport {
  const ctx = load(db, runId);
  const type = iouType ?? defaultEvalType(db, runId);
  if (type === 'caption') return captionReport(ctx);
  if (type === 'semantic') return semanticReport(ctx);
  return cocoReport(ctx, type);
}

// ---------------------------------------------------------------- accept across the project (issue 9, part 5)

export interface AcceptAllResult {
  /** Predictions accepted (or, on a dry run, that would be). */
  accepted: number;
  /** Images that got (or would get) labels. */
  images: number;
}

/**
 * Accept, on every image the run processed, each prediction above `minScore` that matches no label at
 * `iouThreshold` (the compare view's Shift+A, project-wide): one undoable step per image in that image's history,
 * origin `model` and `derivedFrom` the prediction. Predictions already accepted, rejected ones and those of no project
 * class are skipped. `dryRun` only counts, for the confirmation.
 */
export function acceptAcrossProject(
  db: Database,
  edits: Pick<EditsRepo, 'apply' | 'reserveIds'>,
  args: { runId: number; minScore: number; iouThreshold: number; dryRun: boolean; client?: string },
): AcceptAllResult & { imageIds: number[] } {
  const ctx = load(db, args.runId);
  const type = defaultEvalType(db, args.runId);
  if (type === 'semantic' || type === 'caption') throw new ApiError('bad_request', `Run ${args.runId} predicts ${type === 'caption' ? 'captions' : 'class maps'}: there are no shapes to accept one by one.`);
  const { ids, gts, dts, categories } = cocoInputs(ctx, type);
  const accepted = new Set(db.prepare('SELECT derived_from FROM annotations WHERE derived_from IS NOT NULL').pluck().all() as number[]);
  const byImage = new Map<number, { gts: EvalGt[]; dts: EvalDt[] }>();
  const slot = (id: number) => byImage.get(id) ?? byImage.set(id, { gts: [], dts: [] }).get(id)!;
  for (const g of gts) slot(g.imageId).gts.push(g);
  for (const d of dts) slot(d.imageId).dts.push(d);
  const picks = new Map<number, number[]>(); // project image id → prediction ids
  for (const [cocoImage, { gts: g, dts: d }] of byImage) {
    if (d.length === 0) continue;
    const m = matchImage(g, d, { iouType: type, iouThreshold: args.iouThreshold, scoreThreshold: args.minScore, categories });
    const chosen = m.dts.map((r, i) => (r.status === 'fp' && !accepted.has(d[i].id!) ? d[i].id! : null)).filter((x): x is number => x !== null);
    if (chosen.length) picks.set(ids.toProject(cocoImage), chosen);
  }
  const total = [...picks.values()].reduce((n, l) => n + l.length, 0);
  if (args.dryRun || total === 0) return { accepted: total, images: picks.size, imageIds: [] };
  const read = db.prepare('SELECT id, class_id, label, kind, geometry, mask FROM predictions WHERE id = ?');
  const stamp = Date.now().toString(36);
  for (const [imageId, predIds] of picks) {
    const { first } = edits.reserveIds('annotations', predIds.length);
    const size = ctx.images.get(imageId)!;
    const changes = predIds.map((pid, i) => {
      const r = read.get(pid) as Row;
      let geometry = decodeGeometry(r.geometry, r.mask);
      // A mask at the model's size becomes one of the image's size, as the compare view's accept does.
      if (geometry.type === 'mask' && (geometry.width !== size.width || geometry.height !== size.height)) geometry = { type: 'mask', ...resampleRle(geometry, size.width, size.height) };
      const after = { imageId, classId: classOf(ctx, r), kind: r.kind, geometry, attributes: {}, origin: 'model' as const, derivedFrom: pid };
      return { t: 'annotation' as const, id: first + i, before: null, after } satisfies EditChange;
    });
    edits.apply(imageId, { key: `acceptall-${args.runId}-${imageId}-${stamp}`, label: `Accept ${predIds.length} prediction${predIds.length === 1 ? '' : 's'} of run ${args.runId}`, changes }, args.client);
  }
  return { accepted: total, images: picks.size, imageIds: [...picks.keys()] };
}
