/**
 * One measurement of the evaluation benchmark in a process of its own, so its memory is this process's alone. Prints
 * one JSON line. Run with `node --expose-gc bin/run-ts.mjs bench/eval-child.ts <bbox|segm> '<config JSON>'`, the config being
 * `ChildConfig` (bench/eval.ts owns the values).
 *
 * 1. Generates the data (`generateDetectionBenchData`, seeded; not timed, not in the memory window).
 * 2. `cocoEvaluate` over all of it (pycocotools' evaluate() + accumulate(), and summarize(), per-class numbers, PR
 *    curves and per-image counts on top): wall and CPU time, and the peak RSS over the RSS just before it (after
 *    a GC, with the data in memory), from /proc/self/status VmHWM after resetting it (`5` > /proc/self/clear_refs)
 *    where Linux allows, else the RSS read after it (the evaluation is synchronous, so no sampling can run inside).
 * 3. The compare view's slider: `matchImage` of one image's labels against its predictions, each call timed alone,
 *    at each of the config's slider positions over its first `sliderImages` images, after a warm-up over other images.
 */

import { generateDetectionBenchData, type DetectionBenchShape } from '../common/metrics/cocoBenchData.js';
import { cocoEvaluate, type EvalDt, type EvalGt, type IouType } from '../common/metrics/cocoEval.js';
import { matchImage } from '../common/metrics/matchImage.js';
import { beginWindow, cpuMs, endWindow, gc, MiB, sampleRss } from './peak-memory.js';

export interface ChildConfig {
  shape: DetectionBenchShape;
  /** images whose matching is timed */
  sliderImages: number;
  /** slider positions (score thresholds) each image is matched at; the first one gives the median/p95 rows (0: all predictions take part) */
  sliderThresholds: number[];
}



const quantile = (sorted: Float64Array, q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

function slider(iouType: IouType, gts: readonly EvalGt[], dts: readonly EvalDt[], images: number, measured: number, thresholds: readonly number[]) {
  // Each image's labels and predictions, as the compare view holds them (grouping not timed).
  const byImage = Array.from({ length: images }, () => ({ g: [] as EvalGt[], d: [] as EvalDt[] }));
  for (const g of gts) byImage[g.imageId - 1].g.push(g);
  for (const d of dts) byImage[d.imageId - 1].d.push(d);
  const n = Math.min(measured, images);
  // Warm-up on images not measured (or on the same ones when there are no others), so the JIT has settled.
  const warm = images > n ? byImage.slice(n, Math.min(images, n + 200)) : byImage.slice(0, Math.min(n, 200));
  for (const { g, d } of warm) for (const s of thresholds) matchImage(g, d, { iouType, scoreThreshold: s });
  const all = new Float64Array(n * thresholds.length);
  const full = new Float64Array(n);
  let k = 0, tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < n; i++) {
    const { g, d } = byImage[i];
    for (const s of thresholds) {
      const t0 = performance.now();
      const m = matchImage(g, d, { iouType, scoreThreshold: s });
      const ms = performance.now() - t0;
      all[k++] = ms;
      if (s === thresholds[0]) {
        full[i] = ms;
        tp += m.tp;
        fp += m.fp;
        fn += m.fn;
      }
    }
  }
  all.sort();
  full.sort();
  return {
    images: n,
    labels: byImage[0]?.g.length ?? 0,
    predictions: byImage[0]?.d.length ?? 0,
    /** threshold 0: all predictions take part */
    medianMs: quantile(full, 0.5),
    p95Ms: quantile(full, 0.95),
    maxMs: full[n - 1],
    /** every slider position */
    allMedianMs: quantile(all, 0.5),
    allP95Ms: quantile(all, 0.95),
    allMaxMs: all[all.length - 1],
    calls: all.length,
    counts: { tp, fp, fn },
  };
}

function run(iouType: IouType, config: ChildConfig) {
  const { images, seed } = config.shape;
  const rss0 = process.memoryUsage.rss();
  let t0 = performance.now();
  const data = generateDetectionBenchData({ ...config.shape, masks: iouType === 'segm' });
  const genMs = performance.now() - t0;
  const w = beginWindow();
  const cpu0 = process.cpuUsage();
  t0 = performance.now();
  const res = cocoEvaluate({ ...data, iouType });
  const ms = performance.now() - t0;
  const cpu = cpuMs(cpu0);
  const mem = endWindow(w);
  const stats = res.stats;
  const perImage = res.perImage.length;
  const s = slider(iouType, data.gts, data.dts, images, config.sliderImages, config.sliderThresholds);
  return {
    iouType,
    images,
    seed,
    gts: data.gts.length,
    dts: data.dts.length,
    genMs,
    ms,
    cpuMs: cpu,
    rssStartMiB: rss0 / MiB,
    rssBeforeMiB: w.rss / MiB,
    peakMiB: mem.peak / MiB,
    peakGrowthMiB: (mem.peak - w.rss) / MiB,
    peakSource: mem.source,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    stats,
    perImage,
    skipped: res.skipped,
    slider: s,
  };
}

const [type, config] = process.argv.slice(2);
if (type !== 'bbox' && type !== 'segm') throw new Error(`Unknown type ${type}: bbox or segm.`);
console.log(JSON.stringify(run(type, JSON.parse(config) as ChildConfig)));
