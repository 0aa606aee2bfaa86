/** The detection confusion matrix: hand-computed cells, the images behind them, ties, crowd regions. */
import { describe, expect, it } from 'vitest';
import { confusionMatrix } from './confusion.js';
import type { EvalDt, EvalGt } from './cocoTypes.js';

const gt = (id: number, imageId: number, categoryId: number, bbox: number[], extra: Partial<EvalGt> = {}): EvalGt => ({ id, imageId, categoryId, bbox, area: bbox[2] * bbox[3], ...extra });
const dt = (imageId: number, categoryId: number, bbox: number[], score: number): EvalDt => ({ imageId, categoryId, bbox, score });
const categories = [
  { id: 3, name: 'car' },
  { id: 1, name: 'person' },
  { id: 2, name: 'dog' },
];
const images = [{ id: 10 }, { id: 20 }, { id: 30 }];
// Rows/columns: person (1), dog (2), car (3), background.
const P = 0, D = 1, C = 2, BG = 3;

describe('confusionMatrix', () => {
  const gts = [
    gt(1, 10, 1, [0, 0, 10, 10]), // found as a person
    gt(2, 10, 2, [100, 100, 10, 10]), // found as a car: dog → car
    gt(3, 10, 3, [200, 200, 10, 10]), // missed
    gt(4, 20, 1, [0, 0, 20, 20]), // found as a person
    gt(5, 20, 1, [300, 300, 100, 100], { iscrowd: 1 }), // crowd: no row
  ];
  const dts = [
    dt(10, 1, [0, 0, 10, 10], 0.9),
    dt(10, 3, [100, 100, 10, 8], 0.8),
    dt(10, 1, [400, 400, 10, 10], 0.7), // nothing there: background → person
    dt(20, 1, [0, 0, 20, 19], 0.6),
    dt(20, 1, [310, 310, 10, 10], 0.9), // inside a person crowd: not counted
    dt(20, 2, [320, 320, 10, 10], 0.9), // inside the crowd but a dog: background → dog
    dt(30, 2, [0, 0, 10, 10], 0.3), // image without labels
  ];

  it('counts and images per cell', () => {
    const m = confusionMatrix({ images, categories, gts, dts });
    expect(m.categoryIds).toEqual([1, 2, 3]);
    expect(m.names).toEqual(['person', 'dog', 'car', 'background']);
    const expected = [
      [2, 0, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
      [1, 2, 0, 0],
    ];
    expect(m.counts).toEqual(expected);
    expect(m.images[P][P]).toEqual([10, 20]);
    expect(m.images[D][C]).toEqual([10]);
    expect(m.images[C][BG]).toEqual([10]);
    expect(m.images[BG][D]).toEqual([20, 30]);
    expect(m.images[BG][P]).toEqual([10]);
    expect(m.images[BG][BG]).toEqual([]);
  });

  it('the score threshold and maxDets drop predictions before matching', () => {
    const m = confusionMatrix({ images, categories, gts, dts, scoreThreshold: 0.65 });
    expect(m.counts[P][P]).toBe(1); // image 20's person (0.6) is gone: its label is now a miss
    expect(m.counts[P][BG]).toBe(1);
    expect(m.counts[BG][D]).toBe(1);
    const top1 = confusionMatrix({ images: [{ id: 10 }], categories, gts, dts, maxDets: 1 });
    expect(top1.counts).toEqual([
      [1, 0, 0, 0],
      [0, 0, 0, 1],
      [0, 0, 0, 1],
      [0, 0, 0, 0],
    ]);
  });

  it('greedy by IoU, class-agnostic; ties go to the higher score', () => {
    // One dog label; a person prediction overlapping it better than the dog prediction: the person wins.
    const g = [gt(1, 10, 2, [0, 0, 10, 10])];
    const m = confusionMatrix({ images, categories, gts: g, dts: [dt(10, 2, [0, 0, 10, 7], 0.99), dt(10, 1, [0, 0, 10, 9], 0.5)] });
    expect(m.counts[D][P]).toBe(1);
    expect(m.counts[BG][D]).toBe(1);
    // Equal IoU: the higher score takes the label.
    const tie = confusionMatrix({ images, categories, gts: g, dts: [dt(10, 1, [0, 0, 10, 8], 0.4), dt(10, 2, [0, 2, 10, 8], 0.6)] });
    expect(tie.counts[D][D]).toBe(1);
    expect(tie.counts[BG][P]).toBe(1);
    // Below the IoU threshold nothing is matched.
    const low = confusionMatrix({ images, categories, gts: g, dts: [dt(10, 2, [0, 0, 10, 4], 0.9)] });
    expect(low.counts[D][BG]).toBe(1);
    expect(low.counts[BG][D]).toBe(1);
    expect(confusionMatrix({ images, categories, gts: g, dts: [dt(10, 2, [0, 0, 10, 4], 0.9)], iouThreshold: 0.4 }).counts[D][D]).toBe(1);
  });

  it('segm masks; items of other images or classes are left out', () => {
    const rect = (x: number, w: number) => {
      // 20×20 image, columns x..x+w full height.
      const counts = x > 0 ? [x * 20, w * 20, (20 - x - w) * 20] : [0, w * 20, (20 - w) * 20];
      return { width: 20, height: 20, counts: counts.filter((c, i) => i === 0 || c > 0) };
    };
    const g = [{ ...gt(1, 10, 1, [0, 0, 5, 20]), segm: rect(0, 5) }, { ...gt(2, 99, 1, [0, 0, 5, 20]), segm: rect(0, 5) }];
    const d = [{ ...dt(10, 1, [0, 0, 4, 20], 0.9), segm: rect(0, 4) }, { ...dt(10, 7, [0, 0, 4, 20], 0.9), segm: rect(0, 4) }];
    const m = confusionMatrix({ images, categories, gts: g, dts: d, iouType: 'segm' });
    expect(m.counts[P][P]).toBe(1);
    expect(m.counts.flat().reduce((a, b) => a + b, 0)).toBe(1);
  });
  it('labels of an image without predictions are misses; cell images ascending whatever the image order', () => {
    const imgs = [{ id: 30 }, { id: 10 }, { id: 20 }, { id: 40 }];
    const g = [gt(1, 30, 1, [0, 0, 10, 10]), gt(2, 10, 1, [0, 0, 10, 10]), gt(3, 20, 1, [0, 0, 10, 10]), gt(4, 20, 1, [50, 50, 10, 10])];
    const m = confusionMatrix({ images: imgs, categories, gts: g, dts: [] });
    expect(m.counts[P][BG]).toBe(4);
    expect(m.counts.flat().reduce((a, b) => a + b, 0)).toBe(4);
    expect(m.images[P][BG]).toEqual([10, 20, 30]);
  });

  it('a prediction scoring exactly the score threshold is kept', () => {
    const g = [gt(1, 10, 1, [0, 0, 10, 10])];
    const m = confusionMatrix({ images, categories, gts: g, dts: [dt(10, 1, [0, 0, 10, 10], 0.6), dt(10, 2, [50, 50, 10, 10], 0.59)], scoreThreshold: 0.6 });
    expect(m.counts[P][P]).toBe(1);
    expect(m.counts[BG][D]).toBe(0);
    expect(m.scoreThreshold).toBe(0.6);
  });

  it('at IoU threshold 0, a label and a prediction that do not overlap are still a miss and a false alarm', () => {
    const g = [gt(1, 10, 1, [0, 0, 10, 10]), gt(2, 10, 1, [300, 300, 10, 10], { iscrowd: 1 })];
    // Neither prediction touches anything: no pair (IoU 0 is never a match), not on the crowd region either.
    const m = confusionMatrix({ images, categories, gts: g, dts: [dt(10, 1, [100, 0, 10, 10], 0.9), dt(10, 1, [100, 100, 10, 10], 0.8)], iouThreshold: 0 });
    expect(m.counts[P][P]).toBe(0);
    expect(m.counts[P][BG]).toBe(1);
    expect(m.counts[BG][P]).toBe(2);
    expect(m.iouThreshold).toBe(0);
  });

  it('a prediction on a crowd region of its class is left out only when it overlaps it by the threshold', () => {
    // A regular person label, and a person crowd region at x 100-200. Crowd IoU = overlap / prediction area.
    const g = [gt(1, 10, 1, [0, 0, 10, 10]), gt(2, 10, 1, [100, 0, 100, 100], { iscrowd: 1 })];
    const onLabel = dt(10, 1, [0, 0, 10, 10], 0.9);
    // 5 of 10 columns inside the crowd: IoU 0.5, exactly the threshold: on the region, not counted.
    const half = confusionMatrix({ images, categories, gts: g, dts: [onLabel, dt(10, 1, [95, 0, 10, 10], 0.8)] });
    expect(half.counts[P][P]).toBe(1);
    expect(half.counts[BG][P]).toBe(0);
    // 3 of 10 columns inside: IoU 0.3 < 0.5: a false alarm.
    const little = confusionMatrix({ images, categories, gts: g, dts: [onLabel, dt(10, 1, [93, 0, 10, 10], 0.8)] });
    expect(little.counts[P][P]).toBe(1);
    expect(little.counts[BG][P]).toBe(1);
    // Entirely inside, ranked second and third: both left out.
    const inside = confusionMatrix({ images, categories, gts: g, dts: [onLabel, dt(10, 1, [150, 0, 10, 10], 0.8), dt(10, 1, [120, 50, 10, 10], 0.7)] });
    expect(inside.counts[BG][P]).toBe(0);
    expect(inside.counts.flat().reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('names an unnamed category by its id; a repeated id is one row', () => {
    const m = confusionMatrix({ images, categories: [{ id: 5 }, { id: 4, name: 'cat' }, { id: 5, name: 'again' }], gts: [], dts: [] });
    expect(m.categoryIds).toEqual([4, 5]);
    expect(m.names).toEqual(['cat', '5', 'background']);
    expect(m.counts).toEqual([
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });
});
