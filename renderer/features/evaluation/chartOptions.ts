/**
 * ECharts options for the Evaluation page's plots, built from an `EvalReport` by pure functions (types only from
 * ECharts, so they run headless in tests). The heat-map's grid has fixed pixel margins, so where a cell lands is
 * known from the chart's size alone (`heatmapCellCenter`): the e2e test clicks cells with it.
 */
import type { EChartsCoreOption } from 'echarts/core';
import type { EvalReport } from '../../../common/api/contract.js';
import { drawablePrCurves, formatMetric } from './report.js';

/** Class colours, the same class the same colour in every plot and in both runs. */
export const CLASS_COLORS = ['#4f8cff', '#f0a030', '#3fbf7f', '#e0527a', '#a78bfa', '#2dd4bf', '#facc15', '#fb7185', '#60a5fa', '#a3e635', '#f472b6', '#94a3b8'];

const AXIS = { color: '#8b93a3' };
const SPLIT = { lineStyle: { color: '#2e333d' } };
const TEXT = '#e3e6ec';

export interface PrSeriesInput {
  report: EvalReport;
  /** Name put after each class in the legend, e.g. "#3"; omitted for a single run. */
  suffix?: string;
  /** Dashed lines: the run compared with. */
  dashed?: boolean;
}

/** A value axis from 0 to 1 (recall, precision), named along its middle. */
function unitAxis(name: string, nameGap: number) {
  return {
    type: 'value' as const,
    name,
    nameLocation: 'middle' as const,
    nameGap,
    min: 0,
    max: 1,
    axisLine: { lineStyle: AXIS },
    axisLabel: { color: AXIS.color },
    splitLine: SPLIT,
  };
}

/** Every class name across the given reports, in first-seen order: the colour index. */
export function classOrder(reports: readonly EvalReport[]): string[] {
  const names: string[] = [];
  for (const r of reports) for (const c of r.prCurves ?? []) if (!names.includes(c.class)) names.push(c.class);
  return names;
}

/** Precision against recall at IoU (OKS) 0.5 per class; classes without labels (precision -1) are left out. */
export function prCurveOption(runs: readonly PrSeriesInput[], measure: 'IoU' | 'OKS' = 'IoU'): EChartsCoreOption {
  const order = classOrder(runs.map((r) => r.report));
  const series = runs.flatMap(({ report, suffix, dashed }) =>
    drawablePrCurves(report).map((c) => {
      const color = CLASS_COLORS[order.indexOf(c.class) % CLASS_COLORS.length];
      return {
        type: 'line',
        name: suffix ? `${c.class} ${suffix}` : c.class,
        showSymbol: false,
        // pycocotools' interpolated precision is a step function of the 101 recall points.
        step: 'end',
        color,
        lineStyle: { width: 2, type: dashed ? 'dashed' : 'solid', color },
        emphasis: { focus: 'series' },
        data: c.recall.map((r, i) => [r, Math.max(0, c.precision[i])]),
      };
    }),
  );
  return {
    backgroundColor: 'transparent',
    animation: false,
    textStyle: { color: TEXT },
    legend: { type: 'scroll', top: 0, left: 0, right: 0, textStyle: { color: TEXT }, pageTextStyle: { color: TEXT } },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'line' },
      valueFormatter: (v: unknown) => (typeof v === 'number' ? formatMetric(v) : String(v)),
    },
    grid: { left: 56, right: 24, top: 44, bottom: 48 },
    xAxis: unitAxis('Recall', 28),
    yAxis: unitAxis(`Precision @ ${measure} 0.5`, 40),
    series,
  };
}

/** The heat-map's margins in CSS pixels: fixed, so a cell's place follows from the chart's size. */
export const HEATMAP_GRID = { left: 120, right: 16, top: 16, bottom: 96 } as const;

/** The chart's height for `n` rows: cells about 36 px high, within reason. */
export const heatmapHeight = (n: number): number => Math.max(300, Math.min(760, HEATMAP_GRID.top + HEATMAP_GRID.bottom + n * 36));

/** The centre of cell (row = labelled, col = predicted) of an n×n heat-map drawn `width`×`height`, in its own pixels. */
export function heatmapCellCenter(width: number, height: number, n: number, row: number, col: number): { x: number; y: number } {
  const w = (width - HEATMAP_GRID.left - HEATMAP_GRID.right) / n;
  const h = (height - HEATMAP_GRID.top - HEATMAP_GRID.bottom) / n;
  return { x: HEATMAP_GRID.left + (col + 0.5) * w, y: HEATMAP_GRID.top + (row + 0.5) * h };
}

/** The largest count off the background/background corner: the top of the colour scale. */
export function heatmapMax(counts: number[][]): number {
  let max = 0;
  for (const row of counts) for (const v of row) if (v > max) max = v;
  return Math.max(1, max);
}

/**
 * The confusion matrix as a heat-map: rows are the labelled class (top to bottom), columns the predicted class, the
 * last of each is background. `max` lets two runs share one colour scale.
 */
export function confusionOption(confusion: NonNullable<EvalReport['confusion']>, max = heatmapMax(confusion.counts)): EChartsCoreOption {
  const { names, counts } = confusion;
  const n = names.length;
  // Dark text on the bright end of the scale, white on the dark end: no outline needed to read either.
  const data: { value: [number, number, number]; label: { color: string } }[] = [];
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) data.push({ value: [col, row, counts[row][col]], label: { color: counts[row][col] / max >= 0.55 ? '#15171c' : '#ffffff' } });
  }
  const labelled = n <= 24;
  return {
    backgroundColor: 'transparent',
    animation: false,
    textStyle: { color: TEXT },
    tooltip: {
      position: 'top',
      formatter: (p: { value?: [number, number, number] }) => {
        if (!Array.isArray(p.value)) return '';
        const [col, row, v] = p.value;
        const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
        return `Labelled <b>${esc(names[row])}</b><br/>Predicted <b>${esc(names[col])}</b><br/>${v} object${v === 1 ? '' : 's'}${v > 0 ? ' · click for the images' : ''}`;
      },
    },
    grid: { ...HEATMAP_GRID, containLabel: false },
    xAxis: {
      type: 'category',
      data: names,
      name: 'Predicted',
      nameLocation: 'middle',
      nameGap: HEATMAP_GRID.bottom - 18,
      axisLine: { lineStyle: AXIS },
      axisTick: { show: false },
      axisLabel: { color: TEXT, interval: labelled ? 0 : 'auto', rotate: 35, width: 80, overflow: 'truncate' },
      splitArea: { show: false },
    },
    yAxis: {
      type: 'category',
      data: names,
      name: 'Labelled',
      nameLocation: 'middle',
      nameGap: HEATMAP_GRID.left - 20,
      inverse: true,
      axisLine: { lineStyle: AXIS },
      axisTick: { show: false },
      axisLabel: { color: TEXT, interval: labelled ? 0 : 'auto', width: HEATMAP_GRID.left - 30, overflow: 'truncate' },
    },
    visualMap: {
      show: false,
      min: 0,
      max,
      dimension: 2,
      inRange: { color: ['#1d2027', '#1f3b6e', '#2f6fd1', '#4fb0c6', '#9be08a', '#f5e663'] },
    },
    series: [
      {
        type: 'heatmap',
        data,
        itemStyle: { borderColor: '#15171c', borderWidth: 1 },
        label: {
          show: labelled,
          fontSize: 13,
          formatter: (p: { value?: [number, number, number] }) => (Array.isArray(p.value) && p.value[2] > 0 ? String(p.value[2]) : ''),
        },
        emphasis: { itemStyle: { borderColor: '#ffffff', borderWidth: 2 } },
      },
    ],
  };
}
