/**
 * What the box decoders share: candidates → the manifest's NMS → predictions (plus the suppressed candidates,
 * each pointing at the prediction that removed it), and mapping boxes from model input to image pixels.
 */
import { nms } from '../../geometry/boxes.js';
import type { ModelManifest } from '../manifest.js';
import type { DecodedPrediction, InputTransform, Tensor } from '../types.js';
import { toImageX, toImageY, type DecodeContext } from './types.js';

export interface Candidate {
  /** x1, y1, x2, y2 in model-input pixels. */
  box: [number, number, number, number];
  score: number;
  classIndex: number;
}

export interface Selection {
  /** Candidate indices, best first. */
  kept: number[];
  /** Candidate index → position in `kept` of the prediction that removed it. */
  suppressed: { index: number; by: number }[];
}

/** The manifest's NMS ('none' for graphs that already did it) and `maxDetections`, best score first. */
export function selectDetections(candidates: readonly Candidate[], ctx: DecodeContext): Selection {
  const max = ctx.thresholds.maxDetections;
  const scores = candidates.map((c) => c.score);
  if (ctx.manifest.nms === 'none') {
    const kept = candidates.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b).slice(0, max);
    return { kept, suppressed: [] };
  }
  const r = nms(
    candidates.map((c) => c.box),
    scores,
    ctx.thresholds.iou,
    { classes: candidates.map((c) => c.classIndex), agnostic: ctx.manifest.nms === 'agnostic', maxDetections: max },
  );
  const position = new Map(r.kept.map((k, i) => [k, i]));
  return { kept: r.kept, suppressed: r.suppressed.map((s) => ({ index: s.index, by: position.get(s.by)! })) };
}

export function classLabel(manifest: ModelManifest, classIndex: number): string {
  return manifest.classes[classIndex] ?? String(classIndex);
}

/** An input-pixel box as an image-pixel box geometry, clamped to the image. */
export function boxToImage(b: readonly number[], t: InputTransform): { type: 'box'; x: number; y: number; w: number; h: number } {
  const x1 = toImageX(b[0], t), y1 = toImageY(b[1], t);
  const x2 = toImageX(b[2], t), y2 = toImageY(b[3], t);
  return { type: 'box', x: x1, y: y1, w: Math.max(0, x2 - x1), h: Math.max(0, y2 - y1) };
}

/** A box prediction for a candidate. */
export function boxPrediction(c: Candidate, ctx: DecodeContext): DecodedPrediction {
  return { kind: 'box', classIndex: c.classIndex, label: classLabel(ctx.manifest, c.classIndex), score: c.score, geometry: boxToImage(c.box, ctx.transform) };
}

/** The suppressed candidates as box predictions, when the run asked for them. */
export function suppressedPredictions(candidates: readonly Candidate[], sel: Selection, ctx: DecodeContext): DecodedPrediction[] | undefined {
  if (!ctx.keepSuppressed) return undefined;
  return sel.suppressed.map(({ index, by }) => ({ ...boxPrediction(candidates[index], ctx), extras: { suppressedBy: by } }));
}

/** The output's name, for error messages. */
export function nameOf(outputs: Record<string, Tensor>, t: Tensor): string {
  return Object.keys(outputs).find((k) => outputs[k] === t) ?? '?';
}
