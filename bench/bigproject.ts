/** Opening a project of 1,000,000 images and 10,000,000 annotations, measured in fresh child processes. */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bigProject } from './bigproject-gen.js';
import { log, round, withWorkDir, type Bench, type Row } from './util.js';

const IMAGES = 1_000_000;
const ANNOTATIONS = 10_000_000;
const RUNS = 3;
const here = path.dirname(fileURLToPath(import.meta.url));

interface ChildResult {
  via: string;
  openMs: number;
  firstPageMs: number;
  deepPageMs: number;
  deepCursorPageMs: number;
  jumpPageMs: number;
  filteredPageMs: number;
  commonStatusPageMs: number;
  unlabeledPageMs: number;
  neighborsMs: number;
  neighborsColdMs: number;
  summaryMs: number;
  images: number;
  annotations: number;
  filteredTotal: number;
  commonStatusTotal: number;
  unlabeledTotal: number;
  neighbors: { index: number; total: number };
  rssBeforeMiB: number;
  rssAfterMiB: number;
  rssPeakSampledMiB: number;
  maxRssMiB: number;
  vmHwmMiB: number | null;
}

/**
 * Through `sh -c '… && true'`: on Linux a process's maxRSS includes the pre-exec image it was forked from (this
 * process, large after generating), unless the shell forks it anew from its own small image.
 */
function measureOnce(file: string, appDataDir: string): ChildResult {
  const args = [path.join(here, '../bin/run-ts.mjs'), path.join(here, 'bigproject-child.ts'), file, appDataDir];
  const r = spawnSync('/bin/sh', ['-c', '"$@" && true', 'sh', process.execPath, ...args], { encoding: 'utf8', cwd: path.join(here, '..') });
  if (r.status !== 0) throw new Error(`The big-project measurement failed (exit ${r.status ?? r.signal}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ChildResult;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export const bigProjectBench: Bench = {
  id: 'bigproject',
  title: 'Big project: 1,000,000 images, 10,000,000 annotations',
  labels: {
    'bigproject.open': 'AppCore.openProject (ProjectStore.open + summary)',
    'bigproject.first_page': "images.list, first page of 200, sorted by path",
    'bigproject.open_first_page': 'open + first page (goal < 2,000 ms)',
    'bigproject.deep_page': 'images.list, 200 at offset 500,000, sorted by path (first jump there: samples keys on the way)',
    'bigproject.deep_page_cursor': 'images.list, the next 200 after that page by its endCursor (goal < 5 ms)',
    'bigproject.jump_page': 'images.list, 200 at offset 250,000 by offset, after the jump to 500,000',
    'bigproject.filtered_page': "images.list, first 200 with status 'review' (7 % of images)",
    'bigproject.filtered_page_common': "images.list, first 200 with status 'new' (50 % of images)",
    'bigproject.unlabeled_page': 'images.list, first 200 with labeled: false (15 % of images)',
    'bigproject.neighbors': 'images.neighbors of an image at offset 500,100, with its position (goal < 5 ms)',
    'bigproject.neighbors_cold': 'images.neighbors of that image sorted by size, a list not paged through yet',
    'bigproject.summary': 'projects.summary again, after the pages',
    'bigproject.rss_before_open': 'RSS of the process before opening (Node, tsx, modules)',
    'bigproject.rss_after': 'RSS after all the calls above',
    'bigproject.rss_peak_sampled': 'peak of sampled process.memoryUsage().rss',
    'bigproject.max_rss': 'peak RSS, process.resourceUsage().maxRSS',
    'bigproject.file_size': 'project file size',
  },
  method: [
    `Input: a project file of ${IMAGES.toLocaleString('en-US')} image rows and ${ANNOTATIONS.toLocaleString('en-US')} annotation rows written straight into SQLite: ` +
      'schema from `ProjectStore.open(file, {create: true})`, then prepared inserts in transactions of 200,000 rows with ' +
      '`journal_mode=OFF` and `synchronous=OFF` during generation only (WAL is restored before the file is closed). ' +
      '5 roots of year/camera/sequence folders of 50 frames, folders inserted in shuffled order (path order is not rowid order); ' +
      'statuses new 50 %, done 30 %, in_progress 10 %, review 7 %, rejected 3 %; 0.5 % missing; 15 % of images have no annotation, ' +
      'the rest a geometric-like spread around 12; annotations 70 % box, 30 % polygon (3–10 points), 20 classes with a skew. ' +
      'Generated once (2–5 minutes here on a quiet machine, 8.6 minutes at a load average of 10) and cached, keyed by row counts, schema version and generator version.',
    `Each measurement runs in a fresh child process (\`bench/bigproject-child.ts\`), so memory is that process's alone; ${RUNS} runs, ` +
      'times are the median, memory the maximum. The child builds `new AppCore(...)` (module loading is not timed; should AppCore fail to load, the same calls go to ' +
      'ProjectStore directly and "This run" says so), then times ' +
      '`openProject`, `images.list` {offset 0, limit 200}, {offset 500,000, limit 200}, {after: that page\'s endCursor, limit 200}, {offset 250,000, limit 200}, ' +
      '{status: [review]}, {status: [new]}, {labeled: false}, `images.neighbors` of the image at offset 500,100 (path order, the list just paged), ' +
      'the same image\'s neighbours sorted by size (descending; a list nothing paged yet) and `projects.summary`, each through `core.dispatch` (argument parsing included). ' +
      'Calls run in that order in one process, so each finds what the ones before it cached (the count of a list, its sampled keys): as the grid and viewer would.',
    'The OS page cache is warm (the file was just generated or read by the previous run); it is not dropped, so a first open after a ' +
      'reboot reads the file from disk and is slower.',
    'Memory: RSS is sampled every 5 ms and after each call, but better-sqlite3 blocks the thread during a query, so samples only land ' +
      "between calls; `maxRSS` is the kernel's peak. The child is started through `sh -c` so that its maxRSS does not inherit the " +
      "bench process's (Linux carries the pre-exec peak across `exec`).",
  ],
  async run() {
    const { file, built, buildMs } = await bigProject(IMAGES, ANNOTATIONS);
    const size = statSync(file).size;
    log(`bigproject: ${file} (${round(size / 2 ** 20)} MiB${built ? `, generated in ${round(buildMs / 1000)} s` : ', cached'})`);
    const runs = await withWorkDir('bigproject', async (dir) =>
      Array.from({ length: RUNS }, (_, i) => {
        const r = measureOnce(file, path.join(dir, `appdata-${i}`));
        log(`bigproject: run ${i + 1}: open ${round(r.openMs)} ms, first page ${round(r.firstPageMs)} ms, maxRSS ${round(r.maxRssMiB)} MiB`);
        return r;
      }),
    );
    if (runs[0].images !== IMAGES || runs[0].annotations !== ANNOTATIONS) {
      throw new Error(`The project holds ${runs[0].images} images and ${runs[0].annotations} annotations, not ${IMAGES} and ${ANNOTATIONS}: delete ${file} and rerun.`);
    }
    const ms = (name: string, pick: (r: ChildResult) => number): Row => ({ name, value: round(median(runs.map(pick))), unit: 'ms', baseline: null, ratio: null });
    const mib = (name: string, pick: (r: ChildResult) => number): Row => ({ name, value: round(Math.max(...runs.map(pick))), unit: 'MiB', baseline: null, ratio: null });
    const fmt = (pick: (r: ChildResult) => number) => runs.map((r) => round(pick(r))).join(', ');
    return {
      rows: [
        ms('bigproject.open', (r) => r.openMs),
        ms('bigproject.first_page', (r) => r.firstPageMs),
        ms('bigproject.open_first_page', (r) => r.openMs + r.firstPageMs),
        ms('bigproject.deep_page', (r) => r.deepPageMs),
        ms('bigproject.deep_page_cursor', (r) => r.deepCursorPageMs),
        ms('bigproject.jump_page', (r) => r.jumpPageMs),
        ms('bigproject.filtered_page', (r) => r.filteredPageMs),
        ms('bigproject.filtered_page_common', (r) => r.commonStatusPageMs),
        ms('bigproject.unlabeled_page', (r) => r.unlabeledPageMs),
        ms('bigproject.neighbors', (r) => r.neighborsMs),
        ms('bigproject.neighbors_cold', (r) => r.neighborsColdMs),
        ms('bigproject.summary', (r) => r.summaryMs),
        mib('bigproject.rss_before_open', (r) => r.rssBeforeMiB),
        mib('bigproject.rss_after', (r) => r.rssAfterMiB),
        mib('bigproject.rss_peak_sampled', (r) => r.rssPeakSampledMiB),
        mib('bigproject.max_rss', (r) => r.maxRssMiB),
        { name: 'bigproject.file_size', value: round(size / 2 ** 20), unit: 'MiB', baseline: null, ratio: null },
      ],
      facts: [
        `Measured through: ${runs[0].via}.`,
        `Project file: ${round(size / 2 ** 20)} MiB, ${built ? `generated in this run in ${round(buildMs / 1000)} s` : 'from the cache'}.`,
        `Per run (ms): open ${fmt((r) => r.openMs)}; first page ${fmt((r) => r.firstPageMs)}; deep page ${fmt((r) => r.deepPageMs)}, next by cursor ${fmt((r) => r.deepCursorPageMs)}, ` +
          `jump ${fmt((r) => r.jumpPageMs)}; filtered pages ${fmt((r) => r.filteredPageMs)} / ${fmt((r) => r.commonStatusPageMs)} / ${fmt((r) => r.unlabeledPageMs)}; ` +
          `neighbors ${fmt((r) => r.neighborsMs)}, in a fresh list ${fmt((r) => r.neighborsColdMs)}; summary ${fmt((r) => r.summaryMs)}.`,
        `Filtered totals: review ${runs[0].filteredTotal}, new ${runs[0].commonStatusTotal}, unlabeled ${runs[0].unlabeledTotal} images; neighbors index ${runs[0].neighbors.index} of ${runs[0].neighbors.total}. ` +
          `Peak RSS from /proc VmHWM (cross-check of maxRSS): ${fmt((r) => r.vmHwmMiB ?? NaN)} MiB.`,
      ],
    };
  },
};
