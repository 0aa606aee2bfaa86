/** `sightline export` and `sightline import-dataset` (issue 8). The --json summaries are a contract: keep the key names. */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ApiError, ExportFormat, ImportFormat, type ExportSummary, type ImportSummary } from '../common/api/contract.js';
import type { AppCore } from './core/app.js';
import { followJob } from './cli-jobs.js';

export const DATASETS_HELP = `  sightline export --project <file.sightline> --format coco|coco-results|yolo|voc|labelme|masks|captions --out DIR
                   [--source labels|run:ID] [--split train=0.8,val=0.2 --seed N] [--images copy|link|none] [--upright]
                   [--overwrite] [--json]
      Export the labels (or one model run's predictions) as a dataset. It is written beside DIR, read back with
      Sightline's own importer and compared with the project, and only then moved into place. --json prints
      {"format", "out", "images", "annotations", "files", "warnings", "verified", "notExported", "differences"}.
  sightline import-dataset --project <file.sightline> --format coco|coco-results|yolo|voc|labelme --from PATH
                   [--as labels|predictions] [--dry-run] [--json]
      Bring a dataset's labels into the project (or as a predictions run to compare). Images are matched by
      relative path, else by file name. Any error in the dataset writes nothing. --json prints {"images",
      "annotations", "classesAdded", "classesMapped", "unmatched", "errors", "warnings", "run", "dryRun", "written"}.
`;

export class DatasetUsageError extends Error {}

function parseSplit(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(',')) {
    const m = /^(train|val|test)=(\d*\.?\d+)$/.exec(part.trim());
    if (!m) throw new DatasetUsageError(`--split takes name=fraction pairs (train, val, test), e.g. train=0.8,val=0.2; "${part}" is not one`);
    out[m[1]] = Number(m[2]);
  }
  const sum = Object.values(out).reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-6) throw new DatasetUsageError(`--split fractions must add up to 1 (they add up to ${sum})`);
  return out;
}

export async function cmdExport(core: AppCore, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      project: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' }, source: { type: 'string' }, split: { type: 'string' },
      seed: { type: 'string' }, images: { type: 'string' }, upright: { type: 'boolean' }, overwrite: { type: 'boolean' }, json: { type: 'boolean' },
    },
  });
  if (!values.project || !values.format || !values.out) throw new DatasetUsageError('export needs --project FILE --format FORMAT --out DIR');
  const format = ExportFormat.safeParse(values.format);
  if (!format.success) throw new DatasetUsageError(`--format must be one of ${ExportFormat.options.join(', ')}, not "${values.format}"`);
  if (values.images !== undefined && !['copy', 'link', 'none'].includes(values.images)) throw new DatasetUsageError('--images is copy, link or none');
  if (values.seed !== undefined && !/^\d+$/.test(values.seed)) throw new DatasetUsageError(`--seed must be a non-negative integer, not "${values.seed}"`);
  await core.openProject(path.resolve(values.project));
  const args2 = {
    format: format.data,
    out: path.resolve(values.out),
    source: values.source ?? 'labels',
    split: values.split ? parseSplit(values.split) : undefined,
    seed: values.seed === undefined ? 0 : Number(values.seed),
    images: values.images as 'copy' | 'link' | 'none' | undefined,
    upright: values.upright ?? false,
    overwrite: values.overwrite ?? false,
  };
  const parsed = (await import('../common/api/contract.js')).ExportOptions.safeParse(args2);
  if (!parsed.success) throw new DatasetUsageError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const job = await followJob(core, core.startExport(parsed.data));
  const r = job.result as ExportSummary | undefined;
  if (!r) throw new ApiError('io', job.error ?? 'export failed');
  if (values.json) process.stdout.write(JSON.stringify(r) + '\n');
  else {
    console.log(r.verified ? `${r.images} images, ${r.annotations} annotations → ${r.out} (read back and verified)` : job.message);
    for (const w of r.warnings) console.log(`  ! ${w}`);
    for (const d of r.differences.slice(0, 20)) console.log(`  ≠ ${d}`);
  }
  if (r.cancelled) return 130;
  return r.verified ? 0 : 1;
}

export async function cmdImportDataset(core: AppCore, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      project: { type: 'string' }, format: { type: 'string' }, from: { type: 'string' }, as: { type: 'string' },
      'dry-run': { type: 'boolean' }, json: { type: 'boolean' },
    },
  });
  if (!values.project || !values.format || !values.from) throw new DatasetUsageError('import-dataset needs --project FILE --format FORMAT --from PATH');
  const format = ImportFormat.safeParse(values.format);
  if (!format.success) throw new DatasetUsageError(`--format must be one of ${ImportFormat.options.join(', ')}, not "${values.format}"`);
  if (values.as !== undefined && values.as !== 'labels' && values.as !== 'predictions') throw new DatasetUsageError('--as is labels or predictions');
  await core.openProject(path.resolve(values.project));
  const job = await followJob(
    core,
    core.startDatasetImport({ format: format.data, from: path.resolve(values.from), as: (values.as ?? 'labels') as 'labels' | 'predictions', dryRun: values['dry-run'] ?? false }),
  );
  const r = job.result as ImportSummary | undefined;
  if (!r) throw new ApiError('io', job.error ?? 'import failed');
  if (values.json) process.stdout.write(JSON.stringify(r) + '\n');
  else {
    console.log(job.message);
    if (r.classesAdded.length) console.log(`  classes added: ${r.classesAdded.join(', ')}`);
    for (const m of r.classesMapped) console.log(`  class "${m.from}" → "${m.to}"`);
    for (const u of r.unmatched.slice(0, 20)) console.log(`  ? ${u.file}: ${u.reason}`);
    if (r.unmatched.length > 20) console.log(`  ? … and ${r.unmatched.length - 20} more not in the project`);
    for (const e of r.errors) console.log(`  ! ${e.file}${e.where ? ` (${e.where})` : ''}: ${e.problem}`);
    for (const w of r.warnings) console.log(`  - ${w}`);
    if (r.run !== null) console.log(`  predictions run ${r.run}`);
  }
  if (r.cancelled) return 130;
  return r.errors.length ? 1 : 0;
}
