/**
 * One ECharts chart in a div, drawn on a canvas. Only the pieces the Evaluation page uses are registered with
 * `echarts/core` (line + heat-map, grid, tooltip, legend, visual map, canvas renderer): the whole library would
 * triple the page's chunk.
 */
import { useEffect, useRef } from 'react';
import { HeatmapChart, LineChart } from 'echarts/charts';
import { GridSimpleComponent, LegendScrollComponent, TooltipComponent, VisualMapContinuousComponent } from 'echarts/components';
import { init, use, type ECharts, type EChartsCoreOption } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

use([LineChart, HeatmapChart, GridSimpleComponent, LegendScrollComponent, TooltipComponent, VisualMapContinuousComponent, CanvasRenderer]);

/** What a click on a data item reports: for the heat-map, `value` is [col, row, count]. */
export interface ChartClick {
  seriesIndex?: number;
  dataIndex: number;
  value: unknown;
}

export function EChart(props: {
  option: EChartsCoreOption;
  /** The accessible name of the plot (a canvas says nothing by itself). */
  label: string;
  height: number;
  testId: string;
  onItemClick?: (e: ChartClick) => void;
}) {
  const { option, label, height, testId, onItemClick } = props;
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<ECharts | null>(null);
  const click = useRef(onItemClick);
  click.current = onItemClick;

  useEffect(() => {
    const c = init(el.current!, 'dark', { renderer: 'canvas' });
    chart.current = c;
    c.on('click', (e) => {
      // The tooltip would linger over the layout that the click changes (the side panel opens).
      c.dispatchAction({ type: 'hideTip' });
      click.current?.(e as unknown as ChartClick);
    });
    // The page's columns change width with the window and the side panel.
    const ro = new ResizeObserver(() => c.resize());
    ro.observe(el.current!);
    return () => {
      ro.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(option, { notMerge: true });
    // The chart is drawn in the next frame; tests and screenshots wait for this.
    el.current?.setAttribute('data-rendered', 'true');
  }, [option]);

  useEffect(() => {
    chart.current?.resize();
  }, [height]);

  // The canvas is one opaque picture to a screen reader: the tables beside it carry the same numbers.
  return <div ref={el} className="echart" role="img" aria-label={label} data-testid={testId} style={{ height }} />;
}
