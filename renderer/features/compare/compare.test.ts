/**
 * The compare view's matching on hand-computed cases: which predictions are true and false positives and which
 * labels are missed, as the IoU threshold, the confidence, the class toggles and rejections change.
 */
import { describe, expect, it } from 'vitest';
import type { Geometry, LabelClass, Prediction } from '../../../common/api/contract.js';
import { encodeRle } from '../../../common/geometry/rle.js';
import { acceptAllCandidates, acceptedShape, matchCompare, predictionAt, prepareCompare, resampleRle, type CompareLabel } from './compare.js';

const cls = (id: number, name: string, position: number): LabelClass => ({ id, name, color: '#4e79a7', hotkey: null, position, keypoints: null });
const CAT = 1, DOG = 2;
const classes = [cls(CAT, 'cat', 0), cls(DOG, 'dog', 1)];
const image = { width: 400, height: 400 };

const box = (x: number, y: number, w: number, h: number): Geometry => ({ type: 'box', x, y, w, h });
function label(id: number, classId: number | null, geometry: Geometry, derivedFrom: number | null = null): CompareLabel {
  return { id, imageId: 1, classId, kind: geometry.type, geometry, attributes: {}, origin: derivedFrom ? 'model' : 'manual', derivedFrom };
}
function pred(id: number, classId: number | null, lbl: string | null, geometry: Geometry, score: number | null, extras: Record<string, unknown> = {}): Prediction {
  return { id, runId: 1, imageId: 1, classId, label: lbl, kind: geometry.type, geometry, score, extras };
}

// Labels: A cat, B cat, C dog. Predictions:
//  p1 cat on A, shifted 2 px: IoU 98²/(2·100² − 98²) = 9604/10396 = 0.9238 → TP
//  p2 cat on B, shifted 30 px: intersection 20×50 = 1000, union 2·2500 − 1000 = 4000 → IoU 0.25: FP at 0.5, TP at 0.2
//  p3 dog exactly on C, score 0.3: TP unless the confidence slider is above 0.3
//  p4 "bird" (no project class), score 0.95: always FP
const labels = [label(11, CAT, box(10, 10, 100, 100)), label(12, CAT, box(200, 10, 50, 50)), label(13, DOG, box(10, 200, 40, 40))];
const preds = [
  pred(1, CAT, 'cat', box(12, 12, 100, 100), 0.9),
  pred(2, CAT, 'cat', box(230, 10, 50, 50), 0.8),
  pred(3, null, 'dog', box(10, 200, 40, 40), 0.3),
  pred(4, null, 'bird', box(300, 300, 10, 10), 0.95),
];

const statuses = (r: ReturnType<typeof matchCompare>) => Object.fromEntries(r.predictions.map((p) => [p.prediction.id, p.status]));
const labelStatuses = (r: ReturnType<typeof matchCompare>) => Object.fromEntries(r.labels.map((l) => [l.id, l.status]));

describe('compare matching', () => {
  const prep = prepareCompare({ labels, predictions: preds, classes, image });

  it('colours TP / FP / FN at IoU 0.5 and names the classes present (a model label without a class gets its own)', () => {
    expect(prep.iouType).toBe('bbox');
    const r = matchCompare(prep, { iouThreshold: 0.5, minScore: 0 });
    expect(r.counts).toEqual({ tp: 2, fp: 2, fn: 1 });
    expect(statuses(r)).toEqual({ 1: 'tp', 2: 'fp', 3: 'tp', 4: 'fp' });
    expect(labelStatuses(r)).toEqual({ 11: 'tp', 12: 'fn', 13: 'tp' });
    const p1 = r.predictions.find((p) => p.prediction.id === 1)!;
    expect(p1.iou).toBeCloseTo(9604 / 10396, 12);
    expect(p1.labelId).toBe(11);
    expect(r.predictions.find((p) => p.prediction.id === 2)!.bestIou).toBeCloseTo(0.25, 12);
    expect(prep.classes.map((c) => c.name)).toEqual(['cat', 'dog', 'bird']);
    const bird = prep.classes.find((c) => c.name === 'bird')!;
    expect(bird.id).toBeLessThan(0);
    expect(r.perClass.get(CAT)).toEqual({ tp: 1, fp: 1, fn: 1 });
    expect(r.perClass.get(DOG)).toEqual({ tp: 1, fp: 0, fn: 0 });
    expect(r.perClass.get(bird.id)).toEqual({ tp: 0, fp: 1, fn: 0 });
  });

  it('follows the IoU threshold and the confidence slider without preparing again', () => {
    expect(matchCompare(prep, { iouThreshold: 0.2, minScore: 0 }).counts).toEqual({ tp: 3, fp: 1, fn: 0 });
    const r = matchCompare(prep, { iouThreshold: 0.5, minScore: 0.5 });
    expect(r.counts).toEqual({ tp: 1, fp: 2, fn: 2 });
    expect(statuses(r)[3]).toBe('belowScore');
    expect(labelStatuses(r)[13]).toBe('fn');
    expect(matchCompare(prep, { iouThreshold: 0.95, minScore: 0 }).counts).toEqual({ tp: 1, fp: 3, fn: 2 });
  });

  it('leaves out switched-off classes and rejected predictions', () => {
    const r = matchCompare(prep, { iouThreshold: 0.5, minScore: 0, hiddenClasses: new Set([CAT]) });
    expect(r.counts).toEqual({ tp: 1, fp: 1, fn: 0 });
    expect(statuses(r)[1]).toBe('hidden');
    expect(labelStatuses(r)[11]).toBe('hidden');

    const rejected = prepareCompare({ labels, predictions: [...preds.slice(0, 3), { ...preds[3], extras: { rejected: true } }], classes, image });
    const rr = matchCompare(rejected, { iouThreshold: 0.5, minScore: 0 });
    expect(rr.counts).toEqual({ tp: 2, fp: 1, fn: 1 });
    expect(rr.rejected).toBe(1);
    expect(statuses(rr)[4]).toBe('rejected');
    // A rejection taken back before the list is read again (the optimistic override wins).
    const back = prepareCompare({ labels, predictions: rejected.predictions.map((p) => p.prediction), classes, image, rejected: new Map([[4, false]]) });
    expect(matchCompare(back, { iouThreshold: 0.5, minScore: 0 }).counts).toEqual({ tp: 2, fp: 2, fn: 1 });
    // A rejected dog that would have been the only match leaves its label missed.
    const r3 = prepareCompare({ labels, predictions: preds, classes, image, rejected: new Map([[3, true]]) });
    expect(matchCompare(r3, { iouThreshold: 0.5, minScore: 0 }).counts).toEqual({ tp: 1, fp: 2, fn: 2 });
  });

  it('accept-all takes the false positives above the slider, best first, not those accepted before', () => {
    const r = matchCompare(prep, { iouThreshold: 0.5, minScore: 0 });
    expect(acceptAllCandidates(r).map((p) => p.prediction.id)).toEqual([4, 2]);
    // p2 accepted: its label (derivedFrom 2) matches it exactly, B stays missed only if nothing else finds it.
    const after = prepareCompare({ labels: [...labels, label(14, CAT, box(230, 10, 50, 50), 2)], predictions: preds, classes, image });
    const ra = matchCompare(after, { iouThreshold: 0.5, minScore: 0 });
    expect(statuses(ra)[2]).toBe('tp');
    expect(ra.predictions.find((p) => p.prediction.id === 2)!.accepted).toBe(true);
    expect(acceptAllCandidates(ra).map((p) => p.prediction.id)).toEqual([4]);
    expect(acceptAllCandidates(matchCompare(prep, { iouThreshold: 0.5, minScore: 0.9 })).map((p) => p.prediction.id)).toEqual([4]);
  });

  it('finds the smallest shown prediction under the pointer', () => {
    const nested = prepareCompare({ labels, predictions: [...preds, pred(5, CAT, 'cat', box(40, 40, 10, 10), 0.6)], classes, image });
    const r = matchCompare(nested, { iouThreshold: 0.5, minScore: 0 });
    expect(predictionAt(r, 45, 45, 2, false)?.prediction.id).toBe(5);
    expect(predictionAt(r, 80, 80, 2, false)?.prediction.id).toBe(1);
    expect(predictionAt(r, 113, 50, 2, false)?.prediction.id).toBe(1); // within the tolerance of the edge
    expect(predictionAt(r, 390, 390, 2, false)).toBeNull();
    expect(predictionAt(matchCompare(nested, { iouThreshold: 0.5, minScore: 0.7 }), 45, 45, 2, false)?.prediction.id).toBe(1);
  });

  it('measures masks and polygons as COCO segm does, a model-resolution mask resampled to the image', () => {
    const W = 20, H = 20;
    const full = new Uint8Array(W * H);
    for (let y = 0; y < 10; y++) for (let x = 0; x < 10; x++) full[y * W + x] = 1;
    const half = new Uint8Array(10 * 10);
    for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) half[y * 10 + x] = 1;
    const labelMask: Geometry = { type: 'mask', ...encodeRle(full, W, H) };
    const predMask: Geometry = { type: 'mask', ...encodeRle(half, 10, 10) };
    expect(resampleRle(predMask as never, W, H).counts).toEqual((labelMask as { counts: number[] }).counts);
    const p = prepareCompare({ labels: [label(21, CAT, labelMask)], predictions: [pred(31, CAT, 'cat', predMask, 0.9)], classes, image: { width: W, height: H } });
    expect(p.iouType).toBe('segm');
    const r = matchCompare(p, { iouThreshold: 0.99, minScore: 0 });
    expect(r.counts).toEqual({ tp: 1, fp: 0, fn: 0 });
    expect(r.predictions[0].iou).toBe(1);
    // A box label is not measured by segm: it is left out, not missed.
    const q = prepareCompare({ labels: [label(22, CAT, box(0, 0, 10, 10))], predictions: [pred(31, CAT, 'cat', predMask, 0.9)], classes, image: { width: W, height: H } });
    expect(matchCompare(q, { iouThreshold: 0.5, minScore: 0 }).counts).toEqual({ tp: 0, fp: 1, fn: 0 });
    // What accepting makes: the mask at the image's resolution, the prediction's class.
    const a = acceptedShape(p.predictions[0], { width: W, height: H });
    expect(a).toMatchObject({ predictionId: 31, kind: 'mask', classId: CAT });
    expect((a.geometry as { width: number }).width).toBe(W);
  });
});
