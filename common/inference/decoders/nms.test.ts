import { describe, expect, it } from 'vitest';
import { ModelManifest } from '../manifest.js';
import type { InputTransform } from '../types.js';
import { boxToImage, selectDetections, suppressedPredictions, type Candidate } from './nms.js';
import type { DecodeContext } from './types.js';

const t: InputTransform = { srcWidth: 100, srcHeight: 100, inputWidth: 100, inputHeight: 100, scaleX: 1, scaleY: 1, padX: 0, padY: 0 };
function ctx(nms: 'class-aware' | 'agnostic' | 'none'): DecodeContext {
  const manifest = ModelManifest.parse({ name: 'n', kind: 'detector', decoder: 'yolov8', files: { model: 'm.onnx' }, input: {}, nms, classes: ['a', 'b'] });
  return { manifest, transform: t, thresholds: manifest.thresholds, keepSuppressed: true };
}

describe('selectDetections', () => {
  // Candidate 3 (class b) is removed by candidate 2, which is the second prediction kept.
  const cands: Candidate[] = [
    { box: [0, 0, 10, 10], score: 0.5, classIndex: 0 },
    { box: [50, 50, 60, 60], score: 0.9, classIndex: 0 },
    { box: [20, 20, 30, 30], score: 0.8, classIndex: 1 },
    { box: [21, 21, 30, 30], score: 0.7, classIndex: 1 },
  ];

  it('points each suppressed candidate at the position of the prediction that removed it', () => {
    const sel = selectDetections(cands, ctx('class-aware'));
    expect(sel).toEqual({ kept: [1, 2, 0], suppressed: [{ index: 3, by: 1 }] });
    const sup = suppressedPredictions(cands, sel, ctx('class-aware'))!;
    expect(sup).toEqual([{ kind: 'box', classIndex: 1, label: 'b', score: 0.7, geometry: { type: 'box', x: 21, y: 21, w: 9, h: 9 }, extras: { suppressedBy: 1 } }]);
  });

  it('only sorts and caps when the graph already ran NMS', () => {
    expect(selectDetections(cands, ctx('none'))).toEqual({ kept: [1, 2, 3, 0], suppressed: [] });
  });

  it('clamps boxes to the image', () => {
    expect(boxToImage([-5, 90, 20, 130], t)).toEqual({ type: 'box', x: 0, y: 90, w: 20, h: 10 });
  });
});
