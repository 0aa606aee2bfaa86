/**
 * COCO export and import of a big project (issue 8): 100,000 images × 10 labels by default, each step in a fresh
 * child process, against JSON.stringify (and JSON.parse) of the same data held as one in-memory object, same run.
 * SIGHTLINE_BENCH_DATASETS_IMAGES sets the image count (try 5000 first), SIGHTLINE_BENCH_DATASETS_RUNS the runs.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLASSES, datasetProjects, OBJECTS_PER_IMAGE, ROOT } from './datasets-gen.js';
import { log, round, withWorkDir, type Bench, type Row, positiveIntEnv as positiveInt } from './util.js';

const here = path.dirname(fileURLToPath(import.meta.url));


const IMAGES = positiveInt('SIGHTLINE_BENCH_DATASETS_IMAGES', 100_000);
const RUNS = positiveInt('SIGHTLINE_BENCH_DATASETS_RUNS', 1);
const GOAL_EXPORT = 2;
const GOAL_IMPORT = 3;
const GOAL_RSS_MIB = 300;

interface Phase {
  firstMs: number;
  lastMs: number;
  message: string;
  done: number;
}

interface JobResult {
  mode: 'export' | 'import';
  ms: number;
  cpuMs: number;
  openMs: number;
  images: number;
  annotationsBefore: number;
  annotationsAfter: number | null;
  result: { images: number; annotations: number; verified?: boolean; differences?: string[]; errors?: unknown[]; written?: boolean; unmatched?: unknown[]; warnings: string[] };
  message: string;
  phases: Phase[];
  rssBeforeMiB: number;
  peakMiB: number;
  peakGrowthMiB: number;
  sampledPeakGrowthMiB: number;
  peakSource: string;
  maxRssMiB: number;
}

interface BaselineResult {
  fileMiB: number;
  stringifiedMiB: number;
  images: number;
  annotations: number;
  readMs: number;
  parseMs: number;
  stringifyMs: number;
  parseCpuMs: number;
  stringifyCpuMs: number;
  rssBeforeMiB: number;
  parsePeakGrowthMiB: number;
  objectMiB: number;
  stringifyOwnGrowthMiB: number;
  stringifyPeakGrowthMiB: number;
  peakSource: string;
}

/**
 * Through `sh -c '… && true'` as bench/bigproject.ts: on Linux maxRSS carries the pre-exec image it was forked from
 * (this process) unless the shell forks the child anew. `--expose-gc` lets the child start each window after a GC.
 */
function child<T>(...args: string[]): T {
  const argv = ['--expose-gc', path.join(here, '../bin/run-ts.mjs'), path.join(here, 'datasets-child.ts'), ...args];
  const r = spawnSync('/bin/sh', ['-c', '"$@" && true', 'sh', process.execPath, ...argv], { encoding: 'utf8', cwd: path.join(here, '..'), maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`The dataset benchmark's ${args[0]} step failed (exit ${r.status ?? r.signal}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as T;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const n = (x: number) => x.toLocaleString('en-US');

/** "name a–b ms" for each run of alike progress messages, and the tail to the job's end. */
function phaseText(r: JobResult): string {
  const parts = r.phases.map((p, i) => {
    const end = i + 1 < r.phases.length ? r.phases[i + 1].firstMs : r.ms;
    return `"${p.message}" ${round(p.firstMs)}–${round(end)} ms (last report at ${round(p.lastMs)})`;
  });
  return parts.join('; ') || 'no progress reported';
}

/** Export: write (until the read-back starts) and verify (read-back, then the rename). */
function exportSplit(r: JobResult): { write: number; verify: number } {
  const v = r.phases.find((p) => p.message.startsWith('Reading the export back'));
  return v ? { write: v.firstMs, verify: r.ms - v.firstMs } : { write: NaN, verify: NaN };
}

/** Import: pass 1 (categories and images, until the first annotation), pass 2 (annotations, to the last report), then the copy into the project. */
function importSplit(r: JobResult): { pass1: number; pass2: number; commit: number } {
  const reading = r.phases.filter((p) => /annotations$/.test(p.message));
  if (!reading.length) return { pass1: NaN, pass2: NaN, commit: NaN };
  const first = reading[0].firstMs;
  const last = reading[reading.length - 1].lastMs;
  return { pass1: first, pass2: last - first, commit: r.ms - last };
}

export const datasetsBench: Bench = {
  id: 'datasets',
  title: `Dataset interchange: COCO export and import of ${n(IMAGES)} images × ${OBJECTS_PER_IMAGE} objects`,
  labels: {
    'datasets.export': `COCO export through AppCore, written and read back (baseline: JSON.stringify; goal ratio ≤ ${GOAL_EXPORT})`,
    'datasets.import': `COCO import of that export into a project of the same images, through AppCore (baseline: JSON.stringify; goal ratio ≤ ${GOAL_IMPORT})`,
    'datasets.import_vs_parse': 'the same import against JSON.parse of the file (reference)',
    'datasets.export_write': 'export, write pass alone (until the read-back starts; baseline: JSON.stringify)',
    'datasets.export_verify': 'export, read-back check and rename',
    'datasets.import_read_images': 'import, pass 1: categories and images, matched to the project',
    'datasets.import_read_annotations': 'import, pass 2: annotations parsed and staged (to the last progress report)',
    'datasets.import_commit': 'import, copy from the staging file into the project (one transaction)',
    'datasets.export_rss_growth': `export, peak RSS over the RSS after opening (baseline: object + JSON.stringify; goal ≤ ${GOAL_RSS_MIB} MiB)`,
    'datasets.import_rss_growth': `import, peak RSS over the RSS after opening (baseline: object + JSON.stringify; goal ≤ ${GOAL_RSS_MIB} MiB)`,
    'datasets.json_stringify': 'JSON.stringify of the whole dataset as one object (the baseline)',
    'datasets.json_parse': 'JSON.parse of instances.json read as one string (reference)',
    'datasets.json_stringify_rss_growth': 'peak RSS growth: the object in memory plus JSON.stringify of it',
    'datasets.json_parse_rss_growth': 'peak RSS growth: readFileSync of instances.json plus JSON.parse',
    'datasets.file_size': 'instances.json size',
  },
  method: [
    `Input: two projects written straight into SQLite (\`bench/datasets-gen.ts\`), cached by size and schema version: the source has ${n(IMAGES)} ` +
      `image rows in one folder (\`${ROOT}\`, folders of 50 frames, 7 image sizes) with ${OBJECTS_PER_IMAGE} labels each, alternately a box and a ` +
      `polygon of 6–12 points (coordinates to 0.1 px), ${CLASSES} classes; the target has the same image rows and classes and no labels. The image ` +
      "files do not exist: a COCO export with `images: 'none'` (its default) names the originals without reading them, and the import matches by path.",
    'Export: `core.dispatch(\'datasets.export\', {format: \'coco\', out, source: \'labels\'})` then `core.jobs.wait`, on the source project opened ' +
      'with `AppCore.openProject`: the job writes `annotations/instances.json` and `README.txt` into a temporary folder, reads the file back and ' +
      'compares it with the project (the round-trip check of issue 8), then renames the folder into place. All of that is timed.',
    "Import: `core.dispatch('datasets.import', {format: 'coco', from: <that instances.json>, as: 'labels'})` then `core.jobs.wait`, on a fresh " +
      'copy of the target project: two streaming passes over the file, staging into a temporary SQLite file, one transaction into the project.',
    'Baseline (same run, same data): the exported instances.json is read as one string and `JSON.parse`d (the reference for import), the string ' +
      'is dropped, and the resulting object is `JSON.stringify`d (the baseline the issue names, for both export and import). Neither includes the ' +
      'disk write or read. Both ratios are time / JSON.stringify time.',
    'Each of export, baseline and import runs in a fresh child process (`bench/datasets-child.ts`, started through `sh -c` so its maxRSS is its ' +
      "own). Memory: the peak RSS over the RSS just before the step (after opening the project and a GC), from /proc/self/status VmHWM after " +
      "resetting it through /proc/self/clear_refs, cross-checked with RSS samples every 5 ms and at each progress report. For the baseline, growth is " +
      'counted from before reading the file, so it includes the object (and, for parse, the text).',
    `Phases come from the jobs' own progress messages (see "This run"); ${RUNS} run(s), times are the median, memory the maximum. ` +
      'SIGHTLINE_BENCH_DATASETS_IMAGES and SIGHTLINE_BENCH_DATASETS_RUNS change the size and the run count.',
  ],
  async run() {
    const { source, target, built, buildMs } = await datasetProjects(IMAGES);
    log(`datasets: ${source} (${round(statSync(source).size / 2 ** 20)} MiB) and ${target}${built ? `, generated in ${round(buildMs / 1000)} s` : ', cached'}`);
    const runs = await withWorkDir('datasets', async (dir) => {
      const out: { exp: JobResult; base: BaselineResult; imp: JobResult }[] = [];
      for (let i = 0; i < RUNS; i++) {
        const outDir = path.join(dir, `export-${i}`);
        const exp = child<JobResult>('export', source, outDir, path.join(dir, `appdata-e${i}`));
        if (!exp.result.verified || exp.result.images !== IMAGES || exp.result.annotations !== IMAGES * OBJECTS_PER_IMAGE) {
          throw new Error(`The export wrote ${exp.result.images} images and ${exp.result.annotations} annotations (verified: ${exp.result.verified}): ${exp.result.differences?.slice(0, 3).join('; ')}`);
        }
        log(`datasets: run ${i + 1}: export ${round(exp.ms)} ms, peak RSS growth ${round(exp.peakGrowthMiB)} MiB`);
        const instances = path.join(outDir, 'annotations', 'instances.json');
        const base = child<BaselineResult>('baseline', instances);
        log(`datasets: run ${i + 1}: JSON.stringify ${round(base.stringifyMs)} ms, JSON.parse ${round(base.parseMs)} ms (${round(base.fileMiB)} MiB)`);
        const project = path.join(dir, `target-${i}.sightline`);
        copyFileSync(target, project);
        const imp = child<JobResult>('import', project, instances, path.join(dir, `appdata-i${i}`));
        const r = imp.result;
        if (r.errors?.length || !r.written || r.images !== IMAGES || r.annotations !== IMAGES * OBJECTS_PER_IMAGE || imp.annotationsAfter !== IMAGES * OBJECTS_PER_IMAGE) {
          throw new Error(`The import did not bring in every label: ${JSON.stringify({ images: r.images, annotations: r.annotations, written: r.written, after: imp.annotationsAfter, errors: r.errors?.slice(0, 3), unmatched: r.unmatched?.slice(0, 3) })}`);
        }
        log(`datasets: run ${i + 1}: import ${round(imp.ms)} ms, peak RSS growth ${round(imp.peakGrowthMiB)} MiB`);
        out.push({ exp, base, imp });
      }
      return out;
    });
    const med = (pick: (r: (typeof runs)[number]) => number) => median(runs.map(pick));
    const max = (pick: (r: (typeof runs)[number]) => number) => Math.max(...runs.map(pick));
    const exportMs = med((r) => r.exp.ms);
    const importMs = med((r) => r.imp.ms);
    const stringifyMs = med((r) => r.base.stringifyMs);
    const parseMs = med((r) => r.base.parseMs);
    const exportRss = max((r) => r.exp.peakGrowthMiB);
    const importRss = max((r) => r.imp.peakGrowthMiB);
    const stringifyRss = max((r) => r.base.stringifyPeakGrowthMiB);
    const parseRss = max((r) => r.base.parsePeakGrowthMiB);
    const row = (name: string, value: number, unit: string, baseline: number | null = null): Row => ({
      name,
      value: round(value),
      unit,
      baseline: baseline === null ? null : round(baseline),
      ratio: baseline === null ? null : round(value / baseline, 2),
    });
    const fmt = (pick: (r: (typeof runs)[number]) => number) => runs.map((r) => round(pick(r))).join(', ');
    const first = runs[0];
    const es = exportSplit(first.exp);
    const is = importSplit(first.imp);
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    return {
      rows: [
        row('datasets.export', exportMs, 'ms', stringifyMs),
        row('datasets.import', importMs, 'ms', stringifyMs),
        row('datasets.import_vs_parse', importMs, 'ms', parseMs),
        row('datasets.export_write', med((r) => exportSplit(r.exp).write), 'ms', stringifyMs),
        row('datasets.export_verify', med((r) => exportSplit(r.exp).verify), 'ms'),
        row('datasets.import_read_images', med((r) => importSplit(r.imp).pass1), 'ms'),
        row('datasets.import_read_annotations', med((r) => importSplit(r.imp).pass2), 'ms'),
        row('datasets.import_commit', med((r) => importSplit(r.imp).commit), 'ms'),
        row('datasets.export_rss_growth', exportRss, 'MiB', stringifyRss),
        row('datasets.import_rss_growth', importRss, 'MiB', stringifyRss),
        row('datasets.json_stringify', stringifyMs, 'ms'),
        row('datasets.json_parse', parseMs, 'ms'),
        row('datasets.json_stringify_rss_growth', stringifyRss, 'MiB'),
        row('datasets.json_parse_rss_growth', parseRss, 'MiB'),
        row('datasets.file_size', first.base.fileMiB, 'MiB'),
      ],
      facts: [
        `Goals: export ${round(exportMs / stringifyMs, 2)}× JSON.stringify (goal ≤ ${GOAL_EXPORT}: ${verdict(exportMs / stringifyMs <= GOAL_EXPORT)}); ` +
          `import ${round(importMs / stringifyMs, 2)}× (goal ≤ ${GOAL_IMPORT}: ${verdict(importMs / stringifyMs <= GOAL_IMPORT)}); ` +
          `peak RSS growth export ${round(exportRss)} MiB, import ${round(importRss)} MiB (goal ≤ ${GOAL_RSS_MIB}: ${verdict(Math.max(exportRss, importRss) <= GOAL_RSS_MIB)}).`,
        `Projects: ${n(IMAGES)} images, ${n(IMAGES * OBJECTS_PER_IMAGE)} labels; source file ${round(statSync(source).size / 2 ** 20)} MiB, ` +
          `${built ? `generated in this run in ${round(buildMs / 1000)} s` : 'from the cache'}. instances.json ${round(first.base.fileMiB)} MiB ` +
          `(${round(first.base.stringifiedMiB)} MiB as JSON.stringify writes it, without the export's line breaks).`,
        `CPU time (ms, all threads of the child; steadier than wall time when the machine is shared), run 1: export ${round(first.exp.cpuMs)} ` +
          `(${round(first.exp.cpuMs / first.base.stringifyCpuMs, 2)}× JSON.stringify's ${round(first.base.stringifyCpuMs)}), import ${round(first.imp.cpuMs)} ` +
          `(${round(first.imp.cpuMs / first.base.stringifyCpuMs, 2)}×), JSON.parse ${round(first.base.parseCpuMs)}.`,
        `Per run (ms): export ${fmt((r) => r.exp.ms)}; import ${fmt((r) => r.imp.ms)}; JSON.stringify ${fmt((r) => r.base.stringifyMs)}; ` +
          `JSON.parse ${fmt((r) => r.base.parseMs)}; readFileSync ${fmt((r) => r.base.readMs)}; openProject before export ${fmt((r) => r.exp.openMs)}, before import ${fmt((r) => r.imp.openMs)} (not timed).`,
        `Memory per run (MiB): export growth ${fmt((r) => r.exp.peakGrowthMiB)} (sampled ${fmt((r) => r.exp.sampledPeakGrowthMiB)}) over ${fmt((r) => r.exp.rssBeforeMiB)}; ` +
          `import growth ${fmt((r) => r.imp.peakGrowthMiB)} (sampled ${fmt((r) => r.imp.sampledPeakGrowthMiB)}) over ${fmt((r) => r.imp.rssBeforeMiB)}; ` +
          `the parsed object alone ${fmt((r) => r.base.objectMiB)}, JSON.stringify on top of it ${fmt((r) => r.base.stringifyOwnGrowthMiB)}. Peaks from ${first.exp.peakSource}.`,
        `Export phases (run 1): write ${round(es.write)} ms, read-back ${round(es.verify)} ms. Progress messages: ${phaseText(first.exp)}.`,
        `Import phases (run 1): categories + images ${round(is.pass1)} ms, annotations ${round(is.pass2)} ms, into the project ${round(is.commit)} ms. Progress messages: ${phaseText(first.imp)}.`,
        `Job messages: export "${first.exp.message}"; import "${first.imp.message}".`,
      ],
    };
  },
};
