/**
 * Builders shared by the cocoEvaluate tests (`cocoEval*.test.ts`): a labelled box, a scored detection, and a bbox
 * evaluation over given images and classes. Not product code: left out of mutation testing (stryker.config.json
 * excludes test-helpers.ts).
 */
import { cocoEvaluate, type CocoEvalInput, type EvalDt, type EvalGt } from './cocoEval.js';

/** A ground-truth box `b` = [x, y, w, h], its area w·h unless `extra` says otherwise. */
export const box = (id: number, imageId: number, categoryId: number, b: number[], extra: Partial<EvalGt> = {}): EvalGt => ({
  id,
  imageId,
  categoryId,
  bbox: b,
  area: b[2] * b[3],
  ...extra,
});

export const det = (id: number, imageId: number, categoryId: number, b: number[], score: number): EvalDt => ({ id, imageId, categoryId, bbox: b, score });

/** cocoEvaluate over boxes, on images and classes given by id (class `k` named `ck`). */
export const bboxEval = (gts: EvalGt[], dts: EvalDt[], images = [1], categories = [1], params?: CocoEvalInput['params']) =>
  cocoEvaluate({ images: images.map((id) => ({ id })), categories: categories.map((id) => ({ id, name: `c${id}` })), gts, dts, iouType: 'bbox', params });
