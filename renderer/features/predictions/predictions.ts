/**
 * What the predictions layer and panels show, as pure functions over `predictions.list` answers: which shapes pass
 * the confidence slider, which run to show, the decoders' extras (captions, NMS candidates, region proposals,
 * score maps) read defensively since they are free-form JSON.
 */
import { z } from 'zod';
import type { Prediction } from '../../../common/api/contract.js';
import { predictionKey } from '../../canvas/layers/colors.js';

/** Prediction kinds drawn as shapes on the canvas; captions and tags go to the side panel. */
const SHAPE_KINDS = new Set<Prediction['kind']>(['box', 'polygon', 'mask', 'keypoints']);

const ScoreMaps = z.object({
  /** Resolution of every map (uint8, base64, row-major). */
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** The image-pixel rect the whole map is drawn into. */
  x: z.number(),
  y: z.number(),
  w: z.number().positive(),
  h: z.number().positive(),
  maps: z.array(z.object({ classIndex: z.number().int(), label: z.string().nullable().optional(), data: z.string() })),
});
export type ScoreMaps = z.infer<typeof ScoreMaps>;

const Proposals = z.array(z.tuple([z.number(), z.number(), z.number(), z.number()]));

/** What a run kept for the image as a whole: region proposals, score maps, or why the image failed. */
export interface ImageExtras {
  proposals?: z.infer<typeof Proposals>;
  scoreMaps?: ScoreMaps;
  error?: string;
}

const Beam = z.object({ caption: z.string(), logProb: z.number(), tokens: z.array(z.unknown()).optional() });
const CaptionExtras = z.object({
  beams: z.array(Beam).optional(),
  words: z.array(z.string()).optional(),
  attention: z.array(z.array(z.number())).optional(),
  featureGrid: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
});

export interface CaptionView {
  id: number;
  text: string;
  score: number | null;
  words: string[];
  /** attention[i] belongs to words[i]; absent when the decoder kept none. */
  attention: number[][] | null;
  /** Rows × columns of the encoder's feature grid. */
  featureGrid: [number, number] | null;
  /** The other beams, best first, without the one shown. */
  beams: { caption: string; logProb: number }[];
  /** log-probability of the shown caption when the beams name it */
  logProb: number | null;
}

export interface SplitPredictions {
  shapes: Prediction[];
  captions: CaptionView[];
  tags: Prediction[];
  extras: ImageExtras;
  /** Whether the run processed the image at all (it keeps a row of image extras for every image it did). */
  processed: boolean;
}

const isImageExtras = (p: Prediction) => p.kind === 'tag' && p.extras.kind === 'image-extras';

export const isSuppressed = (p: Prediction) => p.extras.suppressed === true;

export function splitPredictions(predictions: readonly Prediction[]): SplitPredictions {
  const out: SplitPredictions = { shapes: [], captions: [], tags: [], extras: {}, processed: false };
  for (const p of predictions) {
    if (isImageExtras(p)) {
      out.extras = readImageExtras(p.extras);
      out.processed = true;
    } else if (SHAPE_KINDS.has(p.kind)) out.shapes.push(p);
    else if (p.kind === 'caption') out.captions.push(readCaption(p));
    else out.tags.push(p);
  }
  return out;
}

/** Each part on its own, so one malformed field does not hide the others. */
function readImageExtras(x: Record<string, unknown>): ImageExtras {
  const out: ImageExtras = {};
  const proposals = Proposals.safeParse(x.proposals);
  if (proposals.success) out.proposals = proposals.data;
  const maps = ScoreMaps.safeParse(x.scoreMaps);
  if (maps.success) out.scoreMaps = maps.data;
  if (typeof x.error === 'string') out.error = x.error;
  return out;
}

export function readCaption(p: Prediction): CaptionView {
  const text = p.geometry.type === 'caption' ? p.geometry.text : (p.label ?? '');
  const parsed = CaptionExtras.safeParse(p.extras);
  const x = parsed.success ? parsed.data : {};
  const words = x.words ?? text.split(/\s+/).filter(Boolean);
  const beams = [...(x.beams ?? [])].sort((a, b) => b.logProb - a.logProb);
  const shown = beams.findIndex((b) => b.caption === text);
  const grid = x.featureGrid ?? null;
  // Attention is only usable when each row is one word's weights over the whole grid.
  const attention =
    x.attention && grid && x.attention.length >= words.length && x.attention.every((row) => row.length === grid[0] * grid[1])
      ? x.attention
      : null;
  return {
    id: p.id,
    text,
    score: p.score,
    words,
    attention,
    featureGrid: grid,
    beams: beams.filter((_, i) => i !== shown).map(({ caption, logProb }) => ({ caption, logProb })),
    logProb: shown >= 0 ? beams[shown].logProb : null,
  };
}

export interface ShapeFilter {
  /** Predictions scored below this are hidden; unscored ones always show. */
  minScore: number;
  showSuppressed: boolean;
}

/** Rejected in the compare view (`predictions.reject`): kept in the run, hidden from the canvas. */
export const isRejected = (p: Prediction) => p.extras.rejected === true;

export function visibleShapes(shapes: readonly Prediction[], f: ShapeFilter): Prediction[] {
  return shapes.filter((p) => !isRejected(p) && (f.showSuppressed || !isSuppressed(p)) && (p.score === null || p.score >= f.minScore));
}

/** The run shown when the person has not picked one: the newest run with predictions on this image. */
export function defaultRunId(predictions: readonly Prediction[]): number | null {
  let best: number | null = null;
  for (const p of predictions) if (best === null || p.runId > best) best = p.runId;
  return best;
}

type BoxGeometry = Extract<Prediction['geometry'], { type: 'box' }>;

function boxIou(a: BoxGeometry, b: BoxGeometry): number {
  const iw = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const ih = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const inter = iw * ih;
  const union = a.w * a.h + b.w * b.h - inter;
  return union > 0 ? inter / union : 0;
}

const describe = (p: Prediction) => `${p.label ?? p.kind}${p.score === null ? '' : ` ${formatScore(p.score)}`}`;

/**
 * What the tooltip of each NMS-suppressed candidate says: which kept prediction removed it and how much they
 * overlap. `suppressedBy` is the position of that prediction among the image's kept predictions of the run,
 * which are stored in the decoder's order.
 */
export function suppressionNotes(shapes: readonly Prediction[]): Map<number, string> {
  const kept = shapes.filter((p) => !isSuppressed(p)).sort((a, b) => a.id - b.id);
  const notes = new Map<number, string>();
  for (const p of shapes) {
    if (!isSuppressed(p)) continue;
    const by = typeof p.extras.suppressedBy === 'number' ? kept[p.extras.suppressedBy] : undefined;
    let note = `${describe(p)}: removed by NMS`;
    if (by) {
      const iou = p.geometry.type === 'box' && by.geometry.type === 'box' ? `, IoU ${boxIou(p.geometry, by.geometry).toFixed(2)}` : '';
      note += ` (overlaps ${describe(by)}${iou})`;
    }
    notes.set(p.id, note);
  }
  return notes;
}

/** "0.93" for scores; log-probabilities of beams as "log p −1.23 · p 0.29". */
export const formatScore = (s: number) => s.toFixed(2);
export const formatLogProb = (lp: number) => `log p ${lp.toFixed(2).replace('-', '−')} · p ${Math.exp(lp).toFixed(2)}`;

/**
 * Instances per label of what is shown, most frequent first: the legend under the layer controls. A model may
 * describe one instance with several shapes (BlazeFace: a box and its landmarks), so a label counts its most
 * frequent kind.
 */
export function labelCounts(shapes: readonly Prediction[]): { label: string; count: number }[] {
  const counts = new Map<string, Map<string, number>>();
  for (const p of shapes) {
    if (isSuppressed(p)) continue;
    const l = predictionKey(p);
    const byKind = counts.get(l) ?? new Map<string, number>();
    byKind.set(p.kind, (byKind.get(p.kind) ?? 0) + 1);
    counts.set(l, byKind);
  }
  return [...counts]
    .map(([label, byKind]) => ({ label, count: Math.max(...byKind.values()) }))
    .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
}
