/**
 * Evaluating a model run against the project's labels (issue 9): the project's rows become the metrics' inputs
 * (common/metrics), and the numbers come back named as the CLI and the Evaluation page show them. The labels are the
 * ground truth; only images the run processed (and did not fail on) are evaluated.
 */
import type { Database } from 'better-sqlite3';
import { ApiError, type AnnotationKind, type EditChange, type EvalReport, type EvalType, type Geometry, type ImageCaptionScore } from '../../../common/api/contract.js';
import type { EditsRepo } from '../project/edits.js';
import { resampleRle, shapeOf } from '../../../common/metrics/cocoShape.js';
import { matchImage } from '../../../common/metrics/matchImage.js';
import { semanticClassList, semanticLabelMap, semanticPredictionMap } from '../../../common/metrics/semanticMaps.js';
import { captionMetrics, captionSamplesFromText, normalizeCaption } from '../../../common/metrics/captions.js';
import { cocoEvaluate, COCO_PERSON_SIGMAS, type CocoEvalResult, type EvalCategory, type EvalDt, type EvalGt, type EvalImage } from '../../../common/metrics/cocoEval.js';
import { confusionMatrix, type ConfusionMatrix } from '../../../common/metrics/confusion.js';
import { SemanticAccumulator } from '../../../common/metrics/semantic.js';
import { textMetrics, type TextSample } from '../../../common/metrics/text.js';
import { decodeGeometry } from '../project/annotations.js';
import { IMAGE_EXTRAS } from '../inference/runs.js';
import { cocoImageIdMap } from '../datasets/project.js';

export type { EvalReport, EvalType };

interface Row {
  id: number;
  /** A line of text read by a recogniser (text evaluation only). */
  text?: string;
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

/** A label's free attributes (predictions have none here). */
const attributesOf = (r: Row): Record<string, unknown> => (r.attributes ? (JSON.parse(r.attributes) as Record<string, unknown>) : {});

/** A prediction's class: its project class, else the project class named like the model's label. */
const classOf = (ctx: Ctx, r: Row): number | null => r.class_id ?? (r.label === null ? null : (ctx.classByName.get(r.label) ?? null));

/** The kind of evaluation a run calls for, from what it predicted (and its model's kind). */
export function defaultEvalType(db: Database, runId: number): EvalType {
  const kind = db.prepare('SELECT m.kind FROM model_runs r JOIN models m ON m.id = r.model_id WHERE r.id = ?').pluck().get(runId) as string | undefined;
  if (kind === 'semantic-segmenter') return 'semantic';
  if (kind === 'text-detector' || kind === 'text-recognizer') return 'text';
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
    const attrs = attributesOf(r);
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

/**
 * What the caption evaluation scores: the labeled captions of each image the run processed, the run's caption of
 * each (`cands`, for every processed image) and the images that have both (`items`, the corpus, in image order).
 */
function captionItems(ctx: Ctx) {
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
    if (r.kind !== 'caption' || !ctx.images.has(r.image_id)) continue;
    const text = (JSON.parse(r.geometry) as { text: string }).text;
    const prev = cands.get(r.image_id);
    // The run's best caption per image (beams are kept in extras; the first, highest-scored one is the caption).
    if (!prev || (r.score ?? 0) > prev.score) cands.set(r.image_id, { text, score: r.score ?? 0 });
  }
  const items = [...refs].filter(([id]) => cands.has(id)).map(([id, references]) => ({ id, references, candidate: cands.get(id)!.text }));
  return { refs, cands, items };
}

function captionReport(ctx: Ctx): EvalReport {
  const { refs, items } = captionItems(ctx);
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
 * One image's run caption against its labeled captions (the compare view's caption panel): the per-image BLEU-4
 * and CIDEr-D of the run's caption evaluation, whose corpus gives CIDEr-D its document frequencies. Stores nothing.
 */
export function imageCaptionScore(db: Database, runId: number, imageId: number): ImageCaptionScore {
  const ctx = load(db, runId);
  if (!db.prepare('SELECT 1 FROM images WHERE id = ?').get(imageId)) throw new ApiError('not_found', `There is no image ${imageId} in this project.`);
  const { refs, cands, items } = captionItems(ctx);
  const candidate = cands.get(imageId)?.text ?? null;
  // An image the run did not process has no labeled captions in `refs` either: read them for the panel.
  const references =
    refs.get(imageId) ??
    (db.prepare(`SELECT geometry FROM annotations WHERE image_id = ? AND kind = 'caption' ORDER BY id`).pluck().all(imageId) as string[]).map((g) => (JSON.parse(g) as { text: string }).text);
  const normalised = { candidate: candidate === null ? null : normalizeCaption(candidate), references: references.map(normalizeCaption) };
  const at = items.findIndex((it) => it.id === imageId);
  let note: string | null = null;
  if (!ctx.images.has(imageId)) note = `Run ${runId} did not process this image.`;
  else if (candidate === null) note = `Run ${runId} has no caption for this image.`;
  else if (references.length === 0) note = 'This image has no labeled caption to compare with.';
  const m = at < 0 ? null : captionMetrics(captionSamplesFromText(items)).perSample[at];
  return { runId, imageId, candidate, references, BLEU4: m?.BLEU4 ?? null, CIDEr: m?.CIDEr ?? null, normalised, corpusImages: items.length, note };
}

// ---------------------------------------------------------------- text recognition (CER, WER)

/** The attribute that holds a labeled region's text (what a person typed for the line). */
export const TEXT_ATTRIBUTE = 'text';

/** A region as a polygon, so boxes and polygons of text lines are compared by their pixels. */
function regionShape(g: Geometry, size: { width: number; height: number }) {
  const poly: Geometry = g.type === 'box' ? { type: 'polygon', points: [g.x, g.y, g.x + g.w, g.y, g.x + g.w, g.y + g.h, g.x, g.y + g.h] } : g;
  return shapeOf(poly, size, true);
}

interface TextPair {
  imageId: number;
  reference: string;
  hypothesis: string;
}

/**
 * Text recognition against labeled text (issue 9, CER and WER).
 * - A text detector + recogniser run (polygons or boxes whose `extras.text` is the line read): the labels are regions
 *   with a `text` attribute. Per image, predictions (best score first) are matched to labeled regions at IoU ≥ 0.5 as
 *   COCO matches, one to one and class-agnostic; a matched pair compares the two texts, a missed labeled line counts
 *   as all deletions (hypothesis ""), a line read where no region is labeled counts as all insertions (reference ""),
 *   and a line read over a labeled region without text is left out (its text is unknown).
 * - A recogniser run on whole images (line crops: tags with `extras.text`): the reference is the image's first
 *   caption, the hypothesis the run's lines joined by a space.
 * Only images with labeled text are measured. CER and WER are corpus rates (summed edits / summed reference length).
 */
function textReport(ctx: Ctx): EvalReport {
  const pairs: TextPair[] = [];
  const perImage: { imageId: number; tp: number; fp: number; fn: number; meanIou: number }[] = [];
  const gts = byImage(labels(ctx), (r) => r.kind === 'polygon' || r.kind === 'box' || r.kind === 'mask' || r.kind === 'caption');
  const dts = byImage(textPredictions(ctx), () => true);
  let skipped = 0;
  try {
    for (const [id, size] of ctx.images) {
      const labelRows = gts.take(id);
      const predRows = dts.take(id);
      // Each region with its labeled text (null: a region whose text is unknown).
      const regions = labelRows
        .filter((r) => r.kind !== 'caption')
        .map((r) => {
          const text = attributesOf(r)[TEXT_ATTRIBUTE];
          return { r, text: typeof text === 'string' ? text : null };
        });
      const lines = predRows.filter((r) => r.kind !== 'tag');
      if (regions.some((g) => g.text !== null)) {
        const g: EvalGt[] = [];
        const gTexts: (string | null)[] = [];
        for (const { r, text } of regions) {
          const shape = regionShape(decodeGeometry(r.geometry, r.mask), size);
          if (!shape) continue;
          g.push({ id: r.id, imageId: id, categoryId: 0, area: shape.area, bbox: shape.bbox, segm: shape.segm, ignore: text === null });
          gTexts.push(text);
        }
        const d: EvalDt[] = [];
        const dRows: Row[] = [];
        for (const r of lines) {
          const shape = regionShape(decodeGeometry(r.geometry, r.mask), size);
          if (!shape) continue;
          d.push({ id: r.id, imageId: id, categoryId: 0, score: r.score ?? 1, bbox: shape.bbox, segm: shape.segm });
          dRows.push(r);
        }
        const m = matchImage(g, d, { iouType: 'segm', iouThreshold: 0.5, maxDets: Number.MAX_SAFE_INTEGER });
        let ious = 0;
        m.dts.forEach((dm, i) => {
          if (dm.status === 'tp') {
            pairs.push({ imageId: id, reference: gTexts[dm.gt]!, hypothesis: dRows[i].text! });
            ious += dm.iou;
          } else if (dm.status === 'fp') pairs.push({ imageId: id, reference: '', hypothesis: dRows[i].text! });
        });
        m.gts.forEach((gm, i) => {
          if (gm.status === 'fn') pairs.push({ imageId: id, reference: gTexts[i]!, hypothesis: '' });
        });
        perImage.push({ imageId: id, tp: m.tp, fp: m.fp, fn: m.fn, meanIou: m.tp ? ious / m.tp : -1 });
        continue;
      }
      const caption = labelRows.find((r) => r.kind === 'caption');
      const read = predRows.filter((r) => r.kind === 'tag');
      if (caption && (read.length > 0 || lines.length === 0)) {
        const hypothesis = read.map((r) => r.text!).join(' ');
        pairs.push({ imageId: id, reference: (JSON.parse(caption.geometry) as { text: string }).text, hypothesis });
        continue;
      }
      if (predRows.length) skipped++;
    }
  } finally {
    // Rows of images after the last one evaluated would keep their statements open (and the connection busy).
    gts.close();
    dts.close();
  }
  // Spaces at either end are not part of a line (a recogniser reads the margin of a crop as one): dropped on both
  // sides, as jiwer's default transforms do.
  for (const p of pairs) {
    p.reference = p.reference.trim();
    p.hypothesis = p.hypothesis.trim();
  }
  const m = textMetrics(pairs);
  const edits = new Map<number, number>();
  pairs.forEach((p, i) => edits.set(p.imageId, (edits.get(p.imageId) ?? 0) + m.perSample[i].charEdits));
  storeImageErrors(ctx, [...edits].map(([imageId, errors]) => ({ imageId, errors })));
  const notes = [
    `Texts are compared as they are (case and punctuation count), in Unicode NFC, without spaces at either end; CER and WER are summed edits over summed reference length, so they can exceed 1.`,
    `A labeled line is a region with a "${TEXT_ATTRIBUTE}" attribute, matched to a line read at IoU ≥ 0.5; a missed line counts as deleted, a line read where none is labeled as inserted.`,
  ];
  if (pairs.length) notes.push(`${pairs.length} line(s): ${m.charEdits} character edit(s) over ${m.referenceChars} labeled character(s), ${m.wordEdits} word edit(s) over ${m.referenceWords} word(s).`);
  if (skipped) notes.push(`${skipped} image(s) with lines read but no labeled text are left out.`);
  if (pairs.length === 0) notes.push('No image has labeled text (a region with a "text" attribute, or a caption for a recogniser run on line images).');
  const lines = pairs
    .map((p, i) => ({ ...p, charEdits: m.perSample[i].charEdits, referenceChars: m.perSample[i].referenceChars, cer: m.perSample[i].cer }))
    .filter((p) => p.charEdits > 0)
    .sort((a, b) => b.charEdits - a.charEdits || a.imageId - b.imageId)
    .slice(0, 200);
  return {
    run: ctx.runId,
    iouType: 'text',
    images: new Set(pairs.map((p) => p.imageId)).size,
    metrics: { CER: m.CER, WER: m.WER },
    perClass: [],
    perImage,
    textLines: lines,
    notes,
  };
}


/** A run's lines of text: regions or whole-image tags whose `extras.text` is what the recogniser read. */
function* textPredictions(ctx: Ctx): Generator<Row & { text: string }> {
  yield* ctx.db
    .prepare(
      `SELECT id, image_id, class_id, label, kind, geometry, mask, NULL AS attributes, score, json_extract(extras, '$.text') AS text FROM predictions
        WHERE run_id = ? AND kind IN ('polygon', 'box', 'mask', 'tag') AND json_type(extras, '$.text') = 'text'
          AND json_extract(extras, '$.suppressed') IS NULL AND coalesce(json_extract(extras, '$.rejected'), 0) = 0
        ORDER BY image_id, id`,
    )
    .iterate(ctx.runId) as IterableIterator<Row & { text: string }>;
}

/**
 * Rows ordered by image id, handed out one image at a time: `take(id)` for ascending ids gives that image's rows
 * (those `keep` accepts) and skips the rows of images not asked for.
 */
function byImage(rows: Generator<Row>, keep: (r: Row) => boolean): { take(imageId: number): Row[]; close(): void } {
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
    // Rows of images after the last one taken (not evaluated) leave the statement open, and an open statement keeps
    // the connection busy: nothing could be written after, the image errors included.
    close() {
      rows.return(undefined);
    },
  };
}

function semanticReport(ctx: Ctx): EvalReport {
  // The maps are built as the compare view builds them (common/metrics/semanticMaps.ts): the ignore class left out,
  // masks at a model's own size resampled, so the viewer shows each image's numbers from this evaluation.
  const list = semanticClassList(ctx.classes.map((c) => c.name));
  const acc = new SemanticAccumulator(list.numClasses, { ignore: 255 });
  // Labels and predictions come ordered by image: walked beside the images, one image's rows in memory at a time.
  const gts = byImage(labels(ctx), (r) => r.kind === 'mask' || r.kind === 'polygon');
  const dts = byImage(predictions(ctx), (r) => r.kind === 'mask');
  const names = new Map(ctx.classes.map((c) => [c.id, c.name]));
  const name = (r: Row) => (r.class_id !== null ? names.get(r.class_id) : r.label) ?? null;
  const objects = (rows: Row[]) => rows.map((r) => ({ class: name(r), kind: r.kind, geometry: decodeGeometry(r.geometry, r.mask) }));
  let n = 0;
  const perImage: { imageId: number; miou: number | null }[] = [];
  const one = new SemanticAccumulator(list.numClasses, { ignore: 255 });
  try {
    for (const [id, size] of ctx.images) {
      const gt = semanticLabelMap(size, objects(gts.take(id)), list);
      const dt = semanticPredictionMap(size, objects(dts.take(id)), list);
      // One pass over the pixels: the image's own confusion gives its mIoU and is added to the run's.
      one.reset();
      one.add(gt, dt);
      acc.merge(one);
      perImage.push({ imageId: id, miou: one.result().mIoU });
      n++;
    }
  } finally {
    gts.close();
    dts.close();
  }
  storeImageErrors(ctx, perImage.map((p) => ({ imageId: p.imageId, miou: p.miou })));
  const m = acc.result();
  const notes = ['Pixels of no labeled region are background; mIoU averages the classes present in the labels or the predictions.'];
  if (list.ignoreClass !== undefined) notes.push(`Pixels labeled ${list.ignoreClass} are left out.`);
  return {
    run: ctx.runId,
    iouType: 'semantic',
    images: n,
    metrics: { mIoU: m.mIoU, pixelAcc: m.pixelAcc, meanAcc: m.meanAcc, fwIoU: m.fwIoU },
    perClass: m.perClass.map((c) => ({ class: c.classIndex === 0 ? 'background' : list.names[c.classIndex - 1], IoU: c.iou, accuracy: c.accuracy })),
    notes,
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
  if (type === 'text') return textReport(ctx);
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
  if (type === 'semantic' || type === 'caption' || type === 'text') throw new ApiError('bad_request', `Run ${args.runId} predicts ${type === 'caption' ? 'captions' : type === 'text' ? 'lines of text' : 'class maps'}: there are no shapes to accept one by one.`);
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
