import { describe, expect, it } from 'vitest';
import { InputPolicy, ModelManifest, type ModelManifestInput } from '../manifest.js';
import { planInput } from '../preprocess.js';
import type { Tensor } from '../types.js';
import { decodeClsLoc } from './clsLoc.js';
import type { DecodeContext } from './types.js';

const base: ModelManifestInput = {
  name: 'pets',
  kind: 'classifier-localizer',
  decoder: 'cls-loc',
  files: { model: 'm.onnx' },
  input: { resize: 'letterbox', width: 100, height: 100 },
  classes: ['cat', 'dog', 'bird'],
};
// A 200×100 image letterboxed into 100×100: scale 0.5, 25 rows of padding on top.
const ctx = (over: Partial<ModelManifestInput> = {}): DecodeContext => {
  const manifest = ModelManifest.parse({ ...base, ...over });
  return { manifest, transform: planInput(InputPolicy.parse(manifest.input), 200, 100).transform, thresholds: manifest.thresholds };
};
const t = (values: number[], dims: number[]): Tensor => ({ data: Float32Array.from(values), dims });

describe('decodeClsLoc', () => {
  it('picks the top class by softmax and maps the normalised box to image pixels', () => {
    const { predictions } = decodeClsLoc({ logits: t([0, 2, 1], [1, 3]), box: t([0.1, 0.3, 0.5, 0.7], [1, 4]) }, ctx());
    expect(predictions).toHaveLength(1);
    const [p] = predictions;
    const z = 1 + Math.exp(2) + Math.exp(1);
    expect(p).toMatchObject({ kind: 'box', classIndex: 1, label: 'dog' });
    expect(p.score).toBeCloseTo(Math.exp(2) / z, 6);
    // Input box 10..50 × 30..70 → image x (10/0.5 = 20)..100, y ((30-25)/0.5 = 10)..90.
    const g = p.geometry as { x: number; y: number; w: number; h: number };
    expect([g.x, g.y, g.w, g.h].map((v) => +v.toFixed(4))).toEqual([20, 10, 80, 80]);
    expect((p.extras!.probabilities as number[]).reduce((a, b) => a + b)).toBeCloseTo(1, 9);
  });

  it('reads keypoints (x, y) or (x, y, visibility) by output order and names them', () => {
    const outputs = { a: t([0.1, 0.9, 0], [1, 3]), b: t([0, 0, 1, 1], [1, 4]), c: t([0.5, 0.25, 0.9, 0.25, 0.75, 0.125], [1, 6]) };
    const { predictions } = decodeClsLoc(outputs, ctx({ keypoints: { names: ['nose', 'tail'] } }));
    expect(predictions.map((p) => p.kind)).toEqual(['box', 'keypoints']);
    expect(predictions[1].label).toBe('dog');
    expect(predictions[1].geometry).toEqual({ type: 'keypoints', points: [100, 0, 2, 50, 100, 1], names: ['nose', 'tail'] });
    const pairs = decodeClsLoc({ ...outputs, c: t([0.5, 0.75], [1, 2]) }, ctx()).predictions[1].geometry;
    expect(pairs).toEqual({ type: 'keypoints', points: [100, 100, 2] });
  });

  it('follows the manifest role mapping and the score threshold', () => {
    const outputs = { box_out: t([0, 0, 1, 1], [1, 4]), cls: t([0.2, 0.3, 0.5], [1, 3]) };
    const m = { outputs: { logits: 'cls', box: 'box_out' } };
    expect(decodeClsLoc(outputs, ctx(m)).predictions[0]).toMatchObject({ label: 'bird', score: Math.fround(0.5) });
    expect(decodeClsLoc(outputs, ctx({ ...m, thresholds: { score: 0.6 } })).predictions).toEqual([]);
  });

  it('names what does not fit', () => {
    expect(() => decodeClsLoc({ l: t([1, 2], [1, 2]), b: t([0, 0, 1, 1], [1, 4]) }, ctx())).toThrow('pets: the graph scores 2 classes but the manifest names 3');
    expect(() => decodeClsLoc({ l: t([1, 2, 3], [1, 3]), b: t([0, 0, 1], [1, 3]) }, ctx())).toThrow('the box output must hold 4 values');
    expect(() => decodeClsLoc({ l: t([1, 2, 3], [1, 3]), b: t([0, 0, 1, 1], [1, 4]), k: t([1, 2, 3, 4, 5], [1, 5]) }, ctx({ keypoints: { names: ['a', 'b'] } }))).toThrow('keypoints output holds 5 values');
  });
});

describe('decodeClsLoc in detail', () => {
  it('keeps a score equal to the threshold, the first of equal classes, and names by index without classes', () => {
    const box = t([0, 0, 1, 1], [1, 4]);
    expect(decodeClsLoc({ l: t([0.2, 0.3, 0.5], [1, 3]), b: box }, ctx({ thresholds: { score: 0.5 } })).predictions).toHaveLength(1);
    expect(decodeClsLoc({ l: t([0.2, 0.3, 0.5], [1, 3]), b: box }, ctx({ thresholds: { score: 0.500001 } })).predictions).toEqual([]);
    const tie = decodeClsLoc({ l: t([1, 3, 3], [1, 3]), b: box }, ctx()).predictions[0];
    expect([tie.classIndex, tie.label]).toEqual([1, 'dog']);
    const last = decodeClsLoc({ l: t([1, 2, 3], [1, 3]), b: box }, ctx({ classes: [] })).predictions[0];
    expect([last.classIndex, last.label, last.kind, last.geometry.type]).toEqual([2, '2', 'box', 'box']);
  });

  it('takes box corners in either order and refuses a box that is not finite', () => {
    const p = decodeClsLoc({ l: t([0, 2, 1], [1, 3]), b: t([0.5, 0.7, 0.1, 0.3], [1, 4]) }, ctx()).predictions[0].geometry as { x: number; y: number; w: number; h: number };
    expect([p.x, p.y, p.w, p.h].map((v) => +v.toFixed(4))).toEqual([20, 10, 80, 80]);
    for (let k = 0; k < 4; k++) {
      const v = [0.1, 0.3, 0.5, 0.7];
      v[k] = k % 2 ? NaN : Infinity;
      expect(() => decodeClsLoc({ l: t([0, 2, 1], [1, 3]), b: t(v, [1, 4]) }, ctx())).toThrow('pets: the box output is not finite');
    }
    expect(() => decodeClsLoc({ l: t([1, 2, 3], [1, 3]), b: t([0, 0, 1], [1, 3]) }, ctx())).toThrow(
      'pets: the box output must hold 4 values (x1, y1, x2, y2); got [1, 3]',
    );
  });

  it('reads keypoints by role name or mapping even as the only third output, and names a count that fits no layout', () => {
    const two = { l: t([0, 2, 1], [1, 3]), b: t([0, 0, 1, 1], [1, 4]) };
    expect(decodeClsLoc(two, ctx()).predictions).toHaveLength(1);
    expect(decodeClsLoc({ ...two, keypoints: t([0.5, 0.75], [1, 2]) }, ctx()).predictions[1].geometry).toEqual({ type: 'keypoints', points: [100, 100, 2] });
    // Named "keypoints" but mapped elsewhere: the mapping wins.
    const mapped = ctx({ outputs: { keypoints: 'pts' } });
    expect(decodeClsLoc({ l: t([0, 2, 1], [1, 3]), b: t([0, 0, 1, 1], [1, 4]), pts: t([0, 0], [1, 2]) }, mapped).predictions[1].geometry).toEqual({ type: 'keypoints', points: [0, 0, 2] });
    // Visibility: below 0.5 is 1 (labelled, not visible), 0.5 and above is 2.
    const vis = decodeClsLoc({ ...two, k: t([0, 0, 0.5, 0, 0, 0.49], [1, 6]) }, ctx({ keypoints: { names: ['a', 'b'] } })).predictions[1].geometry as { points: number[] };
    expect(vis.points.filter((_, i) => i % 3 === 2)).toEqual([2, 1]);
    expect(() => decodeClsLoc({ ...two, k: t([1, 2, 3, 4, 5], [1, 5]) }, ctx())).toThrow('pets: the keypoints output holds 5 values; expected K × 2 or × 3');
    expect(() => decodeClsLoc({ ...two, k: t([1, 2, 3, 4], [1, 4]) }, ctx({ keypoints: { names: ['a'] } }))).toThrow(
      'pets: the keypoints output holds 4 values; expected 1 × 2 or × 3',
    );
  });
});
