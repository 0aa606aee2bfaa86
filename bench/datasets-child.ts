/**
 * One measurement of the dataset benchmark in a process of its own, so its memory is this process's alone. Prints one
 * JSON line. Run with `node --expose-gc bin/run-ts.mjs bench/datasets-child.ts <mode> …`:
 *   export   <project> <out dir> <app data dir>      AppCore: datasets.export {format: coco} and jobs.wait
 *   import   <project> <instances.json> <app data dir> AppCore: datasets.import {format: coco} and jobs.wait
 *   baseline <instances.json>                         JSON.parse of the file, then JSON.stringify of that object
 * Memory: the process's peak RSS over the RSS just before the measured step (after the project is open and a GC),
 * taken from /proc/self/status VmHWM after resetting it (`5` > /proc/self/clear_refs) where Linux allows, else from
 * RSS samples (every 5 ms, and at every progress report the job makes, which land inside its synchronous stretches).
 */
import { readFileSync, statSync } from 'node:fs';
import type { Job } from '../common/api/contract.js';
import type { JobContext } from '../electron/core/jobs.js';
import { beginWindow, cpuMs, endWindow, gc, MiB, sampleRss } from './peak-memory.js';

const [mode, ...args] = process.argv.slice(2);



async function runJob(mode: 'export' | 'import', project: string, target: string, appDataDir: string) {
  const { AppCore } = await import('../electron/core/app.js');
  const core = new AppCore({ appDataDir, transport: 'http' });
  // Phases from the job's own progress messages (the job emits events at most every 100 ms; this sees every call).
  const marks: { at: number; lastAt: number; message: string; done: number }[] = [];
  type Start = (kind: unknown, title: unknown, work: (ctx: JobContext) => Promise<unknown>, summarize: unknown) => unknown;
  const jobs = core.jobs as unknown as { start: Start };
  const start = jobs.start.bind(core.jobs);
  jobs.start = (kind, title, work, summarize) =>
    start(kind, title, (ctx: JobContext) =>
      work({
        signal: ctx.signal,
        progress: (done, total, message) => {
          sampleRss();
          const m = message ?? '';
          const key = m.replace(/[0-9]+/g, '#');
          const now = performance.now();
          const last = marks[marks.length - 1];
          if (!last || last.message.replace(/[0-9]+/g, '#') !== key) marks.push({ at: now, lastAt: now, message: m, done });
          else Object.assign(last, { lastAt: now, message: m, done });
          ctx.progress(done, total, message);
        },
      }), summarize);
  const openT0 = performance.now();
  const summary = await core.openProject(project);
  const openMs = performance.now() - openT0;
  const timer = setInterval(sampleRss, 5);
  const w = beginWindow();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { jobId } = (await core.dispatch(mode === 'export' ? 'datasets.export' : 'datasets.import', mode === 'export' ? { format: 'coco', out: target, source: 'labels' } : { format: 'coco', from: target, as: 'labels' })) as { jobId: string };
  const job: Job = await core.jobs.wait(jobId);
  const ms = performance.now() - t0;
  const cpu = cpuMs(cpu0);
  clearInterval(timer);
  const mem = endWindow(w);
  const after = mode === 'import' ? ((await core.dispatch('projects.summary', {})) as { images: number; annotations: number }) : null;
  await core.close();
  if (job.state !== 'done') throw new Error(`The ${mode} job ended ${job.state}: ${job.error ?? job.message}`);
  return {
    mode,
    ms,
    cpuMs: cpu,
    openMs,
    images: summary.images,
    annotationsBefore: summary.annotations,
    annotationsAfter: after?.annotations ?? null,
    result: job.result,
    message: job.message,
    /** Each run of progress messages alike but for their numbers: when the first and the last came, the last text. */
    phases: marks.map((m) => ({ firstMs: m.at - t0, lastMs: m.lastAt - t0, message: m.message, done: m.done })),
    rssBeforeMiB: w.rss / MiB,
    peakMiB: mem.peak / MiB,
    peakGrowthMiB: (mem.peak - w.rss) / MiB,
    sampledPeakGrowthMiB: (mem.sampledPeak - w.rss) / MiB,
    peakSource: mem.source,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

/** The in-memory way: the whole file as one string, one object, one string again. */
function baseline(file: string) {
  const size = statSync(file).size;
  const w0 = beginWindow();
  let t0 = performance.now();
  let text: string | null = readFileSync(file, 'utf8');
  const readMs = performance.now() - t0;
  let c0 = process.cpuUsage();
  t0 = performance.now();
  const data = JSON.parse(text) as { images: unknown[]; annotations: unknown[] };
  const parseMs = performance.now() - t0;
  const parseCpuMs = cpuMs(c0);
  const parsePeak = endWindow(w0);
  text = null;
  gc();
  gc();
  const objectMiB = (process.memoryUsage.rss() - w0.rss) / MiB;
  // The stringify window starts with the object already in memory: its growth is the string and the work.
  const w1 = beginWindow();
  c0 = process.cpuUsage();
  t0 = performance.now();
  const out = JSON.stringify(data);
  const stringifyMs = performance.now() - t0;
  const stringifyCpuMs = cpuMs(c0);
  const stringifyPeak = endWindow(w1);
  return {
    mode: 'baseline',
    fileMiB: size / MiB,
    stringifiedMiB: out.length / MiB,
    images: data.images.length,
    annotations: data.annotations.length,
    readMs,
    parseMs,
    stringifyMs,
    parseCpuMs,
    stringifyCpuMs,
    rssBeforeMiB: w0.rss / MiB,
    /** read + parse: the text and the object at once */
    parsePeakGrowthMiB: (parsePeak.peak - w0.rss) / MiB,
    /** the object alone, after the text is collected */
    objectMiB,
    /** stringify's own growth (the object is already there) */
    stringifyOwnGrowthMiB: (stringifyPeak.peak - w1.rss) / MiB,
    /** object + stringify: what building the data in memory and stringifying it takes */
    stringifyPeakGrowthMiB: (stringifyPeak.peak - w0.rss) / MiB,
    peakSource: stringifyPeak.source,
  };
}

let result: unknown;
if (mode === 'export' || mode === 'import') result = await runJob(mode, args[0], args[1], args[2]);
else if (mode === 'baseline') result = baseline(args[0]);
else throw new Error(`Unknown mode ${mode}: export, import or baseline.`);
console.log(JSON.stringify(result));
