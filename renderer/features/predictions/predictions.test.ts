import { describe, expect, it } from 'vitest';
import type { Prediction } from '../../../common/api/contract.js';
import { defaultRunId, formatLogProb, labelCounts, readCaption, splitPredictions, suppressionNotes, visibleShapes } from './predictions.js';

let nextId = 1;
const pred = (patch: Partial<Prediction>): Prediction => ({
  id: nextId++,
  runId: 1,
  imageId: 1,
  classId: null,
  label: 'face',
  kind: 'box',
  geometry: { type: 'box', x: 1, y: 2, w: 3, h: 4 },
  score: 0.9,
  extras: {},
  ...patch,
});

describe('confidence filtering', () => {
  const shapes = [
    pred({ score: 0.95 }),
    pred({ score: 0.5 }),
    pred({ score: 0.2 }),
    pred({ score: null, kind: 'polygon', geometry: { type: 'polygon', points: [0, 0, 1, 0, 1, 1] } }),
    pred({ score: 0.8, extras: { suppressed: true, suppressedBy: 1 } }),
  ];

  it('hides scored predictions below the slider and keeps unscored ones', () => {
    expect(visibleShapes(shapes, { minScore: 0.5, showSuppressed: false }).map((p) => p.score)).toEqual([0.95, 0.5, null]);
    expect(visibleShapes(shapes, { minScore: 0.96, showSuppressed: false }).map((p) => p.score)).toEqual([null]);
    expect(visibleShapes(shapes, { minScore: 0, showSuppressed: false })).toHaveLength(4);
  });

  it('never draws a prediction rejected in the compare view (it stays in the run)', () => {
    const withRejected = [...shapes, pred({ score: 0.99, extras: { rejected: true } })];
    expect(visibleShapes(withRejected, { minScore: 0, showSuppressed: true }).map((p) => p.score)).toEqual([0.95, 0.5, 0.2, null, 0.8]);
  });

  it('shows NMS-suppressed candidates only when asked, still subject to the slider', () => {
    expect(visibleShapes(shapes, { minScore: 0.5, showSuppressed: true }).map((p) => p.score)).toEqual([0.95, 0.5, null, 0.8]);
    expect(visibleShapes(shapes, { minScore: 0.9, showSuppressed: true }).map((p) => p.score)).toEqual([0.95, null]);
  });

  it('counts labels of what is shown, leaving suppressed candidates out', () => {
    const counts = labelCounts([
      pred({ label: 'cat' }),
      pred({ label: 'dog' }),
      pred({ label: 'dog' }),
      pred({ label: 'dog', extras: { suppressed: true } }),
      pred({ label: null, kind: 'polygon', geometry: { type: 'polygon', points: [0, 0, 1, 0, 1, 1] }, extras: { text: 'EXIT' } }),
      // One face described twice: a box and its landmarks.
      pred({ label: 'face' }),
      pred({ label: 'face', kind: 'keypoints', geometry: { type: 'keypoints', points: [1, 1, 2] } }),
    ]);
    expect(counts).toEqual([
      { label: 'dog', count: 2 },
      { label: 'cat', count: 1 },
      { label: 'face', count: 1 },
      { label: 'text', count: 1 },
    ]);
  });
});

describe('NMS candidates', () => {
  it('name the kept prediction that removed them and their overlap', () => {
    const kept0 = pred({ id: 500, label: 'circle', score: 0.9, geometry: { type: 'box', x: 0, y: 0, w: 10, h: 10 } });
    const kept1 = pred({ id: 501, label: 'square', score: 0.8, geometry: { type: 'box', x: 50, y: 50, w: 10, h: 10 } });
    const cand = pred({ id: 502, label: 'square', score: 0.6, geometry: { type: 'box', x: 55, y: 50, w: 10, h: 10 }, extras: { suppressed: true, suppressedBy: 1 } });
    const orphan = pred({ id: 503, label: 'face', score: 0.4, extras: { suppressed: true } });
    const notes = suppressionNotes([cand, kept1, orphan, kept0]);
    // 5×10 of overlap over 150 of union.
    expect(notes.get(502)).toBe('square 0.60: removed by NMS (overlaps square 0.80, IoU 0.33)');
    expect(notes.get(503)).toBe('face 0.40: removed by NMS');
    expect(notes.has(500)).toBe(false);
  });
});

describe('splitting a run', () => {
  it('separates shapes, captions, tags and the per-image extras', () => {
    const scoreMaps = { width: 2, height: 2, x: 0, y: -10, w: 100, h: 120, maps: [{ classIndex: 1, label: 'circle', data: 'AAAAAA==' }] };
    const split = splitPredictions([
      pred({}),
      pred({ kind: 'tag', geometry: { type: 'tag' }, label: 'indoor' }),
      pred({ kind: 'tag', geometry: { type: 'tag' }, label: null, score: null, extras: { kind: 'image-extras', proposals: [[1, 2, 3, 4]], scoreMaps } }),
      pred({ kind: 'caption', geometry: { type: 'caption', text: 'a red circle' }, label: null }),
    ]);
    expect(split.shapes).toHaveLength(1);
    expect(split.tags.map((t) => t.label)).toEqual(['indoor']);
    expect(split.captions.map((c) => c.text)).toEqual(['a red circle']);
    expect(split.extras.proposals).toEqual([[1, 2, 3, 4]]);
    expect(split.extras.scoreMaps).toEqual(scoreMaps);
    expect(split.processed).toBe(true);
    expect(splitPredictions([pred({})]).processed).toBe(false);
  });

  it('keeps what is readable of malformed image extras, and the reason an image failed', () => {
    const split = splitPredictions([
      pred({ kind: 'tag', geometry: { type: 'tag' }, label: null, extras: { kind: 'image-extras', proposals: 'nope', scoreMaps: { width: 2 }, error: 'NaN in output "scores"' } }),
    ]);
    expect(split.extras).toEqual({ error: 'NaN in output "scores"' });
    expect(split.tags).toEqual([]);
  });
});

describe('captions', () => {
  const attention = [
    [0.7, 0.1, 0.1, 0.1],
    [0.1, 0.7, 0.1, 0.1],
    [0.25, 0.25, 0.25, 0.25],
  ];
  const caption = (extras: Record<string, unknown>) =>
    readCaption(pred({ kind: 'caption', geometry: { type: 'caption', text: 'a red circle' }, label: null, score: 0.6, extras }));

  it('lists the other beams best first, with the shown one set apart', () => {
    const c = caption({
      beams: [
        { caption: 'a blue circle', logProb: -2.5, tokens: [1, 2, 3] },
        { caption: 'a red circle', logProb: -0.5, tokens: [1, 4, 3] },
        { caption: 'a red square', logProb: -1.5, tokens: [1, 4, 5] },
      ],
      words: ['a', 'red', 'circle'],
      attention,
      featureGrid: [2, 2],
    });
    expect(c.logProb).toBe(-0.5);
    expect(c.beams).toEqual([
      { caption: 'a red square', logProb: -1.5 },
      { caption: 'a blue circle', logProb: -2.5 },
    ]);
    expect(c.words).toEqual(['a', 'red', 'circle']);
    expect(c.attention).toEqual(attention);
    expect(c.featureGrid).toEqual([2, 2]);
  });

  it('drops attention that does not fit the feature grid, and falls back to the words of the text', () => {
    const c = caption({ attention, featureGrid: [3, 3] });
    expect(c.attention).toBeNull();
    expect(c.words).toEqual(['a', 'red', 'circle']);
    expect(c.beams).toEqual([]);
    expect(c.logProb).toBeNull();
  });

  it('formats a log-probability with its probability', () => {
    expect(formatLogProb(Math.log(0.25))).toBe('log p −1.39 · p 0.25');
  });
});

describe('run choice', () => {
  it('defaults to the newest run with predictions on the image', () => {
    expect(defaultRunId([pred({ runId: 2 }), pred({ runId: 7 }), pred({ runId: 1 })])).toBe(7);
    expect(defaultRunId([])).toBeNull();
  });
});
