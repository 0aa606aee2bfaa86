/** `npm run bench [-- import|bigproject|inference|editor|datasets|eval|cli|folder ...]`: runs the benchmarks and writes docs/benchmarks.md and .json. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bigProjectBench } from './bigproject.js';
import { cliBench } from './cli.js';
import { datasetsBench } from './datasets.js';
import { editorBench } from './editor.js';
import { evalBench } from './eval.js';
import { folderBench } from './folder.js';
import { importBench } from './import.js';
import { inferenceBench } from './inference.js';
import { loadAverage, writeReport } from './report.js';
import { log, type BenchResult } from './util.js';

const benches = [importBench, bigProjectBench, inferenceBench, editorBench, datasetsBench, evalBench, cliBench, folderBench];
const asked = process.argv.slice(2);
const unknown = asked.filter((a) => !benches.some((b) => b.id === a));
if (unknown.length) {
  console.error(`Unknown benchmark ${unknown.join(', ')}. Choose from: ${benches.map((b) => b.id).join(', ')} (none: all).`);
  process.exit(2);
}
const selected = asked.length ? benches.filter((b) => asked.includes(b.id)) : benches;

const before = loadAverage();
const results = new Map<string, BenchResult>();
for (const b of selected) {
  log(`── ${b.title}`);
  const r = await b.run();
  results.set(b.id, r);
  for (const row of r.rows) {
    log(`${row.name}: ${row.value} ${row.unit}${row.baseline === null ? '' : ` (baseline ${row.baseline}, ratio ${row.ratio})`}`);
  }
}
const docs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../docs');
writeReport(docs, benches, results, { before, after: loadAverage() });
log(`wrote ${path.join(docs, 'benchmarks.md')} and benchmarks.json`);
