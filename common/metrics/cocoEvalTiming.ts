/**
 * Quick timing of cocoEvaluate on the benchmark shape (not a test; the benchmark proper belongs in
 * `npm run bench`): `node bin/run-ts.mjs common/metrics/cocoEvalTiming.ts [images] [bbox|segm|both]`.
 * Prints generation time, evaluation time, the RSS growth over the evaluation, AP, and the per-image matching
 * time of the compare view. Uses `process` only when present, so the module stays platform-free.
 */
import { generateDetectionBenchData } from './cocoBenchData.js';
import { cocoEvaluate, type IouType } from './cocoEval.js';
import { matchImage } from './matchImage.js';

type Proc = { argv: string[]; memoryUsage(): { rss: number }; resourceUsage(): { maxRSS: number } };
const proc = (globalThis as { process?: Proc }).process;
const rss = () => proc?.memoryUsage().rss ?? 0;
/** The process's peak RSS so far (kernel's high-water mark), in bytes. */
const maxRss = () => (proc ? proc.resourceUsage().maxRSS * 1024 : 0);
const MB = (b: number) => (b / 2 ** 20).toFixed(0);

const images = Number(proc?.argv[2] ?? 5000);
const which = proc?.argv[3] ?? 'both';
const types: IouType[] = which === 'both' ? ['bbox', 'segm'] : [which as IouType];

for (const iouType of types) {
  let t0 = performance.now();
  const data = generateDetectionBenchData({ seed: 5000, images, labelsPerImage: 20, predictionsPerImage: 50, categories: 20, masks: iouType === 'segm' });
  const gen = performance.now() - t0;
  // The evaluation is synchronous, so its peak is read afterwards from the kernel's high-water mark: an upper
  // bound on the growth when generation peaked higher.
  const before = rss();
  t0 = performance.now();
  const res = cocoEvaluate({ ...data, iouType });
  const ms = performance.now() - t0;
  const peak = maxRss();
  console.log(
    `${iouType}: ${images} images × 20 labels × 50 predictions: generated in ${(gen / 1000).toFixed(1)} s; ` +
      `cocoEvaluate ${(ms / 1000).toFixed(2)} s, RSS before ${MB(before)} MB, peak ${MB(peak)} MB (growth <= ${MB(peak - before)} MB), ` +
      `AP ${res.stats.AP?.toFixed(4)}, AP50 ${res.stats.AP50?.toFixed(4)}`,
  );
  // The compare view: one image's matching, repeated.
  const g = data.gts.filter((x) => x.imageId === 1), d = data.dts.filter((x) => x.imageId === 1);
  const reps = 2000;
  t0 = performance.now();
  for (let i = 0; i < reps; i++) matchImage(g, d, { iouType, scoreThreshold: (i % 100) / 100 });
  console.log(`${iouType}: matchImage of one image (${g.length} labels × ${d.length} predictions): ${((performance.now() - t0) / reps).toFixed(3)} ms`);
}
