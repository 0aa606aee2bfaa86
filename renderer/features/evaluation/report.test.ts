import { describe, expect, it } from 'vitest';
import type { EvalReport, ModelRun } from '../../../common/api/contract.js';
import { confusionOption, heatmapCellCenter, HEATMAP_GRID, prCurveOption } from './chartOptions.js';
import {
  classImagesSelection,
  confusionCellSelection,
  defaultRun,
  drawablePrCurves,
  formatCount,
  formatMetric,
  metricDelta,
  metricDescription,
  perClassColumns,
  perImageSelection,
  perImageTotals,
} from './report.js';

const report: EvalReport = {
  run: 3,
  iouType: 'bbox',
  images: 3,
  metrics: { AP: 0.10178217821782179, AP50: 0.5, APs: -1 },
  perClass: [
    { class: 'cat', numGt: 2, numDt: 3, AP: 0.25, AP50: 0.5 },
    { class: 'dog', numGt: 0, numDt: 1, AP: -1, AP50: -1 },
  ],
  confusion: {
    names: ['cat', 'dog', 'background'],
    counts: [
      [1, 0, 1],
      [0, 0, 0],
      [2, 1, 0],
    ],
    iouThreshold: 0.5,
  },
  confusionImages: [
    [[10], [], [11]],
    [[], [], []],
    [[10, 12], [12], []],
  ],
  prCurves: [
    { class: 'cat', recall: [0, 0.5, 1], precision: [1, 0.5, 0] },
    { class: 'dog', recall: [0, 0.5, 1], precision: [-1, -1, -1] },
  ],
  perImage: [
    { imageId: 10, tp: 1, fp: 1, fn: 0, meanIou: 0.8 },
    { imageId: 11, tp: 0, fp: 0, fn: 1, meanIou: -1 },
    { imageId: 12, tp: 0, fp: 2, fn: 0, meanIou: -1 },
  ],
  notes: [],
};

describe('numbers as the Evaluation page writes them', () => {
  it('writes three decimals, and a dash for -1, null and non-numbers', () => {
    expect(formatMetric(0.10178217821782179)).toBe('0.102');
    expect(formatMetric(1)).toBe('1.000');
    expect(formatMetric(0)).toBe('0.000');
    for (const v of [-1, null, undefined, 'x', Number.NaN]) expect(formatMetric(v)).toBe('—');
    expect(formatCount(1234)).toBe('1,234');
    expect(formatCount(null)).toBe('—');
  });

  it('gives deltas with a sign, green where the first run is better, and none where either is undefined', () => {
    expect(metricDelta(0.5, 0.25)).toMatchObject({ text: '+0.250', trend: 'up', better: true });
    expect(metricDelta(0.25, 0.5)).toMatchObject({ text: '−0.250', trend: 'down', better: false });
    expect(metricDelta(0.5, 0.5002)).toMatchObject({ text: '±0.000', trend: 'same', better: null });
    expect(metricDelta(-1, 0.5)).toBeNull();
    expect(metricDelta(0.5, null)).toBeNull();
    // Error rates: lower is better.
    expect(metricDelta(0.1, 0.2, 'WER')).toMatchObject({ trend: 'down', better: true });
  });

  it('describes the metrics, keypoints at maxDets 20 and OKS', () => {
    expect(metricDescription('AP50', 'bbox')).toContain('IoU=0.50 ');
    expect(metricDescription('AR100', 'segm')).toContain('maxDets=100');
    expect(metricDescription('AP', 'keypoints')).toContain('OKS=0.50:0.95');
    expect(metricDescription('AP', 'keypoints')).toContain('maxDets=20');
  });

  it('puts the per-class counts last', () => {
    expect(perClassColumns(report)).toEqual(['AP', 'AP50', 'numGt', 'numDt']);
  });

  it('leaves classes without labels out of the PR plot', () => {
    expect(drawablePrCurves(report).map((c) => c.class)).toEqual(['cat']);
    const series = (prCurveOption([{ report }]) as { series: { name: string; data: number[][] }[] }).series;
    expect(series.map((s) => s.name)).toEqual(['cat']);
    expect(series[0].data).toEqual([
      [0, 1],
      [0.5, 0.5],
      [1, 0],
    ]);
  });

  it('picks the newest finished run with predictions first', () => {
    const run = (id: number, status: ModelRun['status'], predictions: number) => ({ id, status, predictions }) as ModelRun;
    expect(defaultRun([run(1, 'done', 5), run(3, 'failed', 0), run(2, 'done', 4)])?.id).toBe(2);
    expect(defaultRun([run(1, 'running', 0)])?.id).toBe(1);
    expect(defaultRun([])).toBeUndefined();
  });
});

describe('the images behind a number', () => {
  it('a confusion cell lists its images, named by what the cell means', () => {
    expect(confusionCellSelection(report, 0, 2)).toEqual({ title: 'Labelled cat, not found (misses)', run: 'Run #3', count: 1, imageIds: [11] });
    expect(confusionCellSelection(report, 2, 0)?.title).toBe('Predicted cat where nothing is labelled (false alarms)');
    expect(confusionCellSelection(report, 2, 0)?.imageIds).toEqual([10, 12]);
    expect(confusionCellSelection(report, 0, 0)?.title).toBe('Labelled cat, predicted cat (correct)');
    expect(confusionCellSelection({ ...report, confusion: undefined }, 0, 0)).toBeNull();
  });

  it('a class count lists the images of its confusion row (labels) or column (predictions)', () => {
    expect(classImagesSelection(report, 'cat', 'numGt')).toMatchObject({ count: 2, imageIds: [10, 11] });
    expect(classImagesSelection(report, 'cat', 'numDt')).toMatchObject({ count: 3, imageIds: [10, 12] });
    expect(classImagesSelection(report, 'background', 'numGt')).toBeNull();
  });

  it('a class count lists the per-class images the core sent, when it sent them (crowd regions included in neither matrix)', () => {
    const withLists = { ...report, classImages: [{ class: 'cat', gt: [10, 11, 14], dt: [10, 12, 15] }] };
    expect(classImagesSelection(withLists, 'cat', 'numGt')).toMatchObject({ count: 2, imageIds: [10, 11, 14] });
    expect(classImagesSelection(withLists, 'cat', 'numDt')).toMatchObject({ count: 3, imageIds: [10, 12, 15] });
  });

  it('totals over the images, and the images with false positives worst first', () => {
    expect(perImageTotals(report)).toEqual({ tp: 1, fp: 3, fn: 1 });
    const fp = perImageSelection(report, 'fp')!;
    expect(fp.imageIds).toEqual([12, 10]);
    expect(fp.count).toBe(3);
    expect(fp.notes![12]).toBe('0 TP · 2 FP · 0 FN');
    expect(perImageSelection(report, 'all')!.imageIds).toEqual([12, 10, 11]);
  });
});

describe('the confusion heat-map', () => {
  it('draws rows as labelled classes top down, one data item per cell', () => {
    const o = confusionOption(report.confusion!) as { series: { data: { value: number[]; label: { color: string } }[] }[]; yAxis: { inverse: boolean; data: string[] } };
    expect(o.yAxis.inverse).toBe(true);
    expect(o.series[0].data).toHaveLength(9);
    expect(o.series[0].data.map((d) => d.value)).toContainEqual([2, 0, 1]);
    // The largest count is on the bright end of the scale: dark text there.
    expect(o.series[0].data.find((d) => d.value[0] === 0 && d.value[1] === 2)!.label.color).toBe('#15171c');
  });

  it('places cells from the chart size and its fixed margins', () => {
    const w = 3 * 100 + HEATMAP_GRID.left + HEATMAP_GRID.right;
    const h = 3 * 50 + HEATMAP_GRID.top + HEATMAP_GRID.bottom;
    expect(heatmapCellCenter(w, h, 3, 0, 0)).toEqual({ x: HEATMAP_GRID.left + 50, y: HEATMAP_GRID.top + 25 });
    expect(heatmapCellCenter(w, h, 3, 2, 1)).toEqual({ x: HEATMAP_GRID.left + 150, y: HEATMAP_GRID.top + 125 });
  });
});
