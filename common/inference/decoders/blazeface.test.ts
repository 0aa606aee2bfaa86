import { describe, expect, it } from 'vitest';
import { InputPolicy, ModelManifest } from '../manifest.js';
import { planInput } from '../preprocess.js';
import type { Tensor } from '../types.js';
import { BLAZEFACE_KEYPOINTS, decodeBlazeFace } from './blazeface.js';
import type { DecodeContext } from './types.js';

const manifest = ModelManifest.parse({
  name: 'bf',
  kind: 'keypoints',
  decoder: 'blazeface',
  files: { model: 'm.onnx' },
  input: { resize: 'letterbox', width: 128, height: 128, padValue: 0, layout: 'NHWC' },
  classes: ['face'],
  thresholds: { score: 0.5, iou: 0.3 },
  keypoints: { names: BLAZEFACE_KEYPOINTS },
});
// A 256×128 image letterboxed into 128×128: scale 0.5, 32 rows of padding on top.
const transform = planInput(InputPolicy.parse(manifest.input), 256, 128).transform;
const ctx = (over: Partial<DecodeContext> = {}): DecodeContext => ({ manifest, transform, thresholds: manifest.thresholds, ...over });
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** Regressors [1,896,16] and logits [1,896,1] with every anchor far below threshold except those given. */
function tensors(anchors: { index: number; logit: number; raw: number[] }[]): { regressors: Tensor; classificators: Tensor } {
  const r = new Float32Array(896 * 16);
  const s = new Float32Array(896).fill(-10);
  for (const a of anchors) {
    r.set(a.raw, a.index * 16);
    s[a.index] = a.logit;
  }
  return { regressors: { data: r, dims: [1, 896, 16] }, classificators: { data: s, dims: [1, 896, 1] } };
}
const keypointOffsets = (dx: number) => BLAZEFACE_KEYPOINTS.flatMap((_, k) => [k + dx, -k]);
// Stride-8 layer, cell x = 4, y = 8, anchors 0 and 1 (index (8·16 + 4)·2 + k): centre (36, 68) in input pixels.
const A = { index: 265, logit: 3, raw: [2, -4, 20, 10, ...keypointOffsets(0)] };
const B = { index: 264, logit: 1, raw: [4, -4, 20, 10, ...keypointOffsets(2)] };
// Stride-16 layer, cell x = 3, y = 5, anchor 1 (index 512 + (5·8 + 3)·6 + 1): centre (56, 88).
const C = { index: 771, logit: 0.5, raw: [0, 0, 16, 16, ...keypointOffsets(0)] };
const D = { index: 100, logit: -1, raw: [0, 0, 16, 16, ...keypointOffsets(0)] };
/** Input pixels → image pixels for this transform. */
const img = (x: number, y: number) => [x / 0.5, (y - 32) / 0.5];

describe('decodeBlazeFace', () => {
  it('decodes anchors, blends overlapping detections by score (MediaPipe WEIGHTED) and maps to image pixels', () => {
    const { predictions, suppressed } = decodeBlazeFace(tensors([A, B, C, D]), ctx({ keepSuppressed: true }));
    const boxes = predictions.filter((p) => p.kind === 'box');
    expect(boxes).toHaveLength(2);
    const [a, c] = boxes;

    // A: centre (38, 64), 20×10 → input x 28..48, y 59..69. B: x 30..50. IoU 0.82: blended, A's score kept.
    const wa = sigmoid(3);
    const wb = sigmoid(1);
    const blend = (va: number, vb: number) => (va * wa + vb * wb) / (wa + wb);
    expect(a.score).toBeCloseTo(wa, 6);
    expect(a.label).toBe('face');
    const [x1, y1] = img(blend(28, 30), 59);
    const [x2, y2] = img(blend(48, 50), 69);
    expect(a.geometry).toMatchObject({ type: 'box' });
    const g = a.geometry as { x: number; y: number; w: number; h: number };
    expect(g.x).toBeCloseTo(x1, 4);
    expect(g.y).toBeCloseTo(y1, 4);
    expect(g.x + g.w).toBeCloseTo(x2, 4);
    expect(g.y + g.h).toBeCloseTo(y2, 4);
    const kp = a.extras?.keypoints as { name: string; x: number; y: number }[];
    expect(kp.map((k) => k.name)).toEqual(BLAZEFACE_KEYPOINTS);
    kp.forEach((k, i) => {
      const [x, y] = img(36 + blend(i, i + 2), 68 - i);
      expect(k.x).toBeCloseTo(x, 4);
      expect(k.y).toBeCloseTo(y, 4);
    });

    // C stands alone: centre (56, 88), 16×16.
    expect(c.score).toBeCloseTo(sigmoid(0.5), 6);
    expect(c.geometry).toMatchObject({ type: 'box', x: img(48, 80)[0], y: img(48, 80)[1], w: 32, h: 32 });

    // Each face also comes as a keypoints prediction the canvas can draw.
    const points = predictions.filter((p) => p.kind === 'keypoints');
    expect(points).toHaveLength(2);
    expect(points[0].geometry).toMatchObject({ type: 'keypoints', names: BLAZEFACE_KEYPOINTS });
    const flat = (points[0].geometry as { points: number[] }).points;
    expect(flat).toHaveLength(18);
    expect(flat.filter((_, i) => i % 3 === 2)).toEqual([2, 2, 2, 2, 2, 2]);
    expect(flat[0]).toBeCloseTo(kp[0].x, 9);

    // B was blended into A: the one candidate suppression removed.
    expect(suppressed).toHaveLength(1);
    expect(suppressed![0].score).toBeCloseTo(wb, 6);
  });

  it("reads keijiro's per-layer split outputs ([1,512,·] + [1,384,·]) the same as MediaPipe's [1,896,·]", () => {
    const whole = tensors([A, B, C]);
    const r = whole.regressors.data as Float32Array;
    const s = whole.classificators.data as Float32Array;
    const split: Record<string, Tensor> = {
      'Identity:0': { data: s.slice(0, 512), dims: [1, 512, 1] },
      'Identity_1:0': { data: s.slice(512), dims: [1, 384, 1] },
      'Identity_2:0': { data: r.slice(0, 512 * 16), dims: [1, 512, 16] },
      'Identity_3:0': { data: r.slice(512 * 16), dims: [1, 384, 16] },
    };
    expect(decodeBlazeFace(split, ctx())).toEqual(decodeBlazeFace(whole, ctx()));
  });

  it('applies the score threshold and the detection cap', () => {
    expect(decodeBlazeFace(tensors([A, B, C]), ctx({ thresholds: { ...manifest.thresholds, score: 0.7 } })).predictions.filter((p) => p.kind === 'box')).toHaveLength(1);
    expect(decodeBlazeFace(tensors([A, C]), ctx({ thresholds: { ...manifest.thresholds, maxDetections: 1 } })).predictions).toHaveLength(2);
    expect(decodeBlazeFace(tensors([]), ctx()).predictions).toEqual([]);
  });

  it('names the shapes it got when the graph is not BlazeFace', () => {
    expect(() => decodeBlazeFace({ out: { data: new Float32Array(10), dims: [1, 10] } }, ctx())).toThrow(/blazeface expects regressors \[1,896,16\].*out \[1,10\]/);
  });
});

describe('decodeBlazeFace in detail', () => {
  const boxes = (r: ReturnType<typeof decodeBlazeFace>) => r.predictions.filter((p) => p.kind === 'box');

  it('names the landmarks in MediaPipe order', () => {
    expect(BLAZEFACE_KEYPOINTS).toEqual(['right eye', 'left eye', 'nose tip', 'mouth center', 'right ear tragion', 'left ear tragion']);
  });

  it('reads outputs through the manifest roles and names a missing one', () => {
    const t = tensors([A, C]);
    const mapped = ModelManifest.parse({ ...manifest, outputs: { regressors: 'reg', classificators: 'cls' } });
    const byRole = decodeBlazeFace({ cls: t.classificators, reg: t.regressors }, ctx({ manifest: mapped }));
    expect(byRole).toEqual(decodeBlazeFace(t, ctx()));
    // One role mapped: the other is looked up by its role name.
    const half = ModelManifest.parse({ ...manifest, outputs: { regressors: 'reg' } });
    expect(decodeBlazeFace({ classificators: t.classificators, reg: t.regressors }, ctx({ manifest: half }))).toEqual(byRole);
    expect(() => decodeBlazeFace({ reg: t.regressors }, ctx({ manifest: half }))).toThrow('bf: no output for blazeface role "classificators" (outputs: reg)');
    expect(() => decodeBlazeFace({ cls: t.classificators }, ctx({ manifest: mapped }))).toThrow('bf: no output for blazeface role "regressors" (outputs: cls)');
  });

  it('orders split outputs by anchor count whatever order the graph lists them in', () => {
    const whole = tensors([A, C]);
    const r = whole.regressors.data as Float32Array;
    const s = whole.classificators.data as Float32Array;
    const split: Record<string, Tensor> = {
      s384: { data: s.slice(512), dims: [1, 384, 1] },
      r384: { data: r.slice(512 * 16), dims: [1, 384, 16] },
      s512: { data: s.slice(0, 512), dims: [1, 512, 1] },
      r512: { data: r.slice(0, 512 * 16), dims: [1, 512, 16] },
    };
    expect(decodeBlazeFace(split, ctx())).toEqual(decodeBlazeFace(whole, ctx()));
  });

  it('names the shapes when either tensor has the wrong size', () => {
    const t = tensors([]);
    expect(() => decodeBlazeFace({ r: t.regressors, s: { data: new Float32Array(895), dims: [1, 895, 1] } }, ctx())).toThrow(
      'bf: blazeface expects regressors [1,896,16] and scores [1,896,1] (or the same split per layer); got r [1,896,16], s [1,895,1]',
    );
    expect(() => decodeBlazeFace({ r: { data: new Float32Array(895 * 16), dims: [1, 895, 16] }, s: t.classificators }, ctx())).toThrow(
      'got r [1,895,16], s [1,896,1]',
    );
  });

  it('keeps a score equal to the threshold and places an anchor at the start of a row by its own row', () => {
    // Index 256: stride-8 cell (0, 8), first anchor: centre (4, 68) in input pixels. sigmoid(0) = 0.5 = threshold.
    const E = { index: 256, logit: 0, raw: [0, 0, 8, 8, ...keypointOffsets(0)] };
    const [e] = boxes(decodeBlazeFace(tensors([E]), ctx()));
    expect(e.score).toBe(0.5);
    expect(e.geometry).toMatchObject({ x: img(0, 64)[0], y: img(0, 64)[1], w: 16, h: 16 });
    expect(boxes(decodeBlazeFace(tensors([{ ...E, logit: -0.001 }]), ctx()))).toEqual([]);
  });

  it('blends only candidates overlapping the best one by more than the IoU threshold', () => {
    // Two candidates at the same anchor centre (36, 68): 20×10 and 20×5 boxes, IoU exactly 0.5.
    const big = { index: 265, logit: 3, raw: [0, 0, 20, 10, ...keypointOffsets(0)] };
    const half = { index: 264, logit: 2, raw: [0, -2.5, 20, 5, ...keypointOffsets(0)] };
    const at = (iou: number) => boxes(decodeBlazeFace(tensors([big, half]), ctx({ thresholds: { ...manifest.thresholds, iou } })));
    expect(at(0.5)).toHaveLength(2);
    expect(at(0.49)).toHaveLength(1);
    // Side by side, touching: no overlap, never blended.
    const left = { index: 265, logit: 3, raw: [-10, 0, 20, 10, ...keypointOffsets(0)] };
    const right = { index: 264, logit: 2, raw: [10, 0, 20, 10, ...keypointOffsets(0)] };
    expect(boxes(decodeBlazeFace(tensors([left, right]), ctx({ thresholds: { ...manifest.thresholds, iou: 0 } })))).toHaveLength(2);
    // Overlapping in x only, one above the other: not blended either.
    const above = { index: 265, logit: 3, raw: [0, -10, 20, 10, ...keypointOffsets(0)] };
    const below = { index: 264, logit: 2, raw: [0, 10, 20, 10, ...keypointOffsets(0)] };
    expect(boxes(decodeBlazeFace(tensors([above, below]), ctx({ thresholds: { ...manifest.thresholds, iou: 0 } })))).toHaveLength(2);
    // Partial overlap: 20×10 boxes 10 apart in x overlap by 10×10: IoU 100 / 300.
    const shifted = { index: 264, logit: 2, raw: [10, 0, 20, 10, ...keypointOffsets(0)] };
    expect(boxes(decodeBlazeFace(tensors([big, shifted]), ctx({ thresholds: { ...manifest.thresholds, iou: 0.34 } })))).toHaveLength(2);
    expect(boxes(decodeBlazeFace(tensors([big, shifted]), ctx({ thresholds: { ...manifest.thresholds, iou: 0.33 } })))).toHaveLength(1);
    const tall = { index: 264, logit: 2, raw: [0, 5, 20, 10, ...keypointOffsets(0)] };
    expect(boxes(decodeBlazeFace(tensors([big, tall]), ctx({ thresholds: { ...manifest.thresholds, iou: 0.34 } })))).toHaveLength(2);
    expect(boxes(decodeBlazeFace(tensors([big, tall]), ctx({ thresholds: { ...manifest.thresholds, iou: 0.33 } })))).toHaveLength(1);
  });

  it("labels with the manifest's class and landmark names, or MediaPipe's, and returns suppressed ones only when asked", () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    const own = ModelManifest.parse({ ...manifest, classes: ['head'], keypoints: { names } });
    const [box, points] = decodeBlazeFace(tensors([C]), ctx({ manifest: own })).predictions;
    expect(box.label).toBe('head');
    expect((box.extras!.keypoints as { name: string }[]).map((k) => k.name)).toEqual(names);
    expect(points.geometry).toMatchObject({ names });
    const five = ModelManifest.parse({ ...manifest, classes: [], keypoints: { names: names.slice(0, 5) } });
    const [b5] = decodeBlazeFace(tensors([C]), ctx({ manifest: five })).predictions;
    expect(b5.label).toBe('face');
    expect((b5.extras!.keypoints as { name: string }[]).map((k) => k.name)).toEqual(BLAZEFACE_KEYPOINTS);
    const bare = ModelManifest.parse({ ...manifest, kind: 'detector', keypoints: undefined });
    expect((decodeBlazeFace(tensors([C]), ctx({ manifest: bare })).predictions[1].geometry as { names: string[] }).names).toEqual(BLAZEFACE_KEYPOINTS);
    expect(decodeBlazeFace(tensors([A, B]), ctx()).suppressed).toBeUndefined();
  });
});
