/**
 * `sightline predict` and `sightline models`: run a model over a project's images and read the registry from the
 * command line, through the same core calls as the app. --json prints one JSON document on stdout; progress and
 * warnings go to stderr.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ApiError, type Geometry, type ModelInfo, type Prediction, type RunParameters } from '../common/api/contract.js';
import { rleBbox } from '../common/geometry/rle.js';
import { AppCore, defaultAppDataDir } from './core/app.js';
import { RunsRepo } from './core/inference/runs.js';
import type { InferenceResult } from './core/inference/service.js';
import { followJob } from './cli-jobs.js';

export const INFERENCE_HELP = `  sightline predict --project <file.sightline> --model <name | manifest.json> (--all | --images ID,ID,...)
                    [--provider auto|cuda|cpu] [--score S] [--beam K] [--keep-suppressed] [--json]
      Run a model over the project's images; predictions are stored as a new model run.
      --json prints {"run", "provider", "images", "predictions": [{"imageId", "path", "kind", "class", "score",
      "bbox": [x, y, w, h], "keypoints", "caption", "text", "beams", ...}], "errors": [{"imageId", "path", "reason"}]}.
      A manifest.json is added to the project (or updates the model of that name). Ctrl-C cancels, keeping what finished.
  sightline models list [--project <file.sightline>] [--json]
      The bundled models and the project's own: kind, decoder, provider last used.
  sightline models inspect <file.onnx> [--json]
      The graph's inputs and outputs and the decoder Sightline proposes for it.
`;

/** Node's own code for a bad option value, so the CLI's main reports it as a usage error (exit 2). */
class UsageError extends Error {
  readonly code = 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE';
}

function makeCore(): AppCore {
  return new AppCore({ appDataDir: defaultAppDataDir(), transport: 'http' });
}

const round = (v: number, digits = 2) => Number(v.toFixed(digits));

function boxOf(g: Geometry): [number, number, number, number] | undefined {
  switch (g.type) {
    case 'box':
      return [g.x, g.y, g.w, g.h];
    case 'polygon': {
      const xs = g.points.filter((_, i) => i % 2 === 0);
      const ys = g.points.filter((_, i) => i % 2 === 1);
      const x = Math.min(...xs);
      const y = Math.min(...ys);
      return [x, y, Math.max(...xs) - x, Math.max(...ys) - y];
    }
    case 'mask':
      return rleBbox(g);
    default:
      return undefined;
  }
}

/** A prediction as the CLI reports it: flat, image pixels rounded to 0.01. */
export function reportPrediction(p: Prediction & { path: string }): Record<string, unknown> {
  const g = p.geometry;
  const e = p.extras;
  const out: Record<string, unknown> = { imageId: p.imageId, path: p.path, kind: p.kind, class: p.label, score: p.score === null ? null : round(p.score, 4) };
  const bbox = boxOf(g);
  if (bbox) out.bbox = bbox.map((v) => round(v));
  if (g.type === 'polygon') out.polygon = g.points.map((v) => round(v));
  if (g.type === 'mask') out.mask = { width: g.width, height: g.height, counts: g.counts };
  if (g.type === 'keypoints') {
    out.keypoints = Array.from({ length: g.points.length / 3 }, (_, i) => ({
      ...(g.names?.[i] !== undefined ? { name: g.names[i] } : {}),
      x: round(g.points[3 * i]),
      y: round(g.points[3 * i + 1]),
      v: g.points[3 * i + 2],
    }));
  } else if (Array.isArray(e.keypoints)) {
    out.keypoints = (e.keypoints as { name?: string; x: number; y: number }[]).map((k) => ({ ...k, x: round(k.x), y: round(k.y) }));
  }
  if (g.type === 'caption') {
    out.caption = g.text;
    if (e.beams) out.beams = e.beams;
  }
  if (typeof e.text === 'string') out.text = e.text;
  return out;
}

/** A manifest.json given as --model: add it to the project, or update the user model of that name. */
async function modelFromManifest(core: AppCore, file: string): Promise<string> {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ApiError('invalid_file', `${file} is not a readable JSON manifest: ${(e as Error).message}`, { file });
  }
  const name = String(raw.name ?? '');
  const db = core.store!.db;
  const existing = core.inference.registry.list(db).find((m) => m.name === name);
  if (!existing) await core.dispatch('models.add', { path: file });
  else if (existing.source === 'user') await core.inference.registry.updateManifest(db, name, raw, path.dirname(file));
  else if (path.resolve(existing.manifestPath) !== file) throw new ApiError('conflict', `${file} names the model "${name}", which is a bundled model. Give it another name.`, { file });
  return name;
}

function parseIds(list: string): number[] {
  const ids = list.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (!ids.length || ids.some((n) => !Number.isInteger(n) || n <= 0)) throw new UsageError(`--images takes image ids separated by commas, not "${list}"`);
  return ids;
}

function parseUnit(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new UsageError(`--${name} takes a number from 0 to 1, not "${v}"`);
  return n;
}

export async function cmdPredict(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      project: { type: 'string' },
      model: { type: 'string' },
      all: { type: 'boolean' },
      images: { type: 'string' },
      provider: { type: 'string', default: 'auto' },
      score: { type: 'string' },
      beam: { type: 'string' },
      'keep-suppressed': { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  if (!values.project) throw new UsageError('--project <file.sightline> is required');
  if (!values.model) throw new UsageError('--model <name | manifest.json> is required');
  if (Boolean(values.all) === Boolean(values.images)) throw new UsageError('give either --all or --images ID,ID,...');
  const provider = values.provider!;
  if (!['auto', 'cuda', 'cpu'].includes(provider)) throw new UsageError(`--provider is auto, cuda or cpu, not "${provider}"`);
  const params: RunParameters = {};
  const score = parseUnit('score', values.score);
  if (score !== undefined) params.score = score;
  if (values.beam !== undefined) {
    const k = Number(values.beam);
    if (!Number.isInteger(k) || k < 1 || k > 16) throw new UsageError(`--beam takes a whole number from 1 to 16, not "${values.beam}"`);
    params.beamSize = k;
  }
  if (values['keep-suppressed']) params.keepSuppressed = true;
  const imageIds = values.images ? parseIds(values.images) : undefined;

  const core = makeCore();
  try {
    await core.openProject(path.resolve(values.project));
    const model = values.model.toLowerCase().endsWith('.json') ? await modelFromManifest(core, path.resolve(values.model)) : values.model;
    const { jobId, runId } = (await core.dispatch('models.run', { model, provider, params, ...(imageIds ? { imageIds } : { all: true }) })) as { jobId: string; runId: number };
    const job = await followJob(core, jobId);
    if (job.state === 'failed') throw new ApiError('invalid_file', job.error ?? 'the run failed');
    const r = job.result as InferenceResult;
    if (r.warning) process.stderr.write(`sightline: warning: ${r.warning}\n`);
    const predictions = new RunsRepo(core.store!.db).forRun(runId).map(reportPrediction);
    if (values.json) {
      const out = { run: runId, model, provider: r.provider, images: r.images, ...(r.warning ? { warning: r.warning } : {}), cancelled: r.cancelled, predictions, errors: r.errors };
      process.stdout.write(JSON.stringify(out) + '\n');
    } else {
      console.log(`Run ${runId}: ${model} on ${r.images} image(s), ${(r.provider ?? '?').toUpperCase()} — ${job.message}`);
      let last = '';
      for (const p of predictions) {
        if (p.path !== last) console.log((last = p.path as string));
        const what = p.caption !== undefined ? `"${p.caption}"` : p.text !== undefined ? `"${p.text}"` : (p.class ?? '');
        const where = p.bbox ? ` at [${(p.bbox as number[]).join(', ')}]` : '';
        console.log(`  ${p.kind} ${what}${p.score === null ? '' : ` ${p.score}`}${where}`);
      }
      for (const e of r.errors) console.log(`  ! ${e.path || `image ${e.imageId}`}: ${e.reason}`);
    }
    return r.cancelled ? 130 : r.images === 0 && r.errors.length > 0 ? 1 : 0;
  } finally {
    await core.close();
  }
}

export async function cmdModels(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({ args: rest, options: { project: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true });
  const core = makeCore();
  try {
    if (sub === 'list') {
      if (positionals.length) throw new UsageError('models list takes no file');
      if (values.project) await core.openProject(path.resolve(values.project));
      const models = (await core.dispatch('models.list', {})) as ModelInfo[];
      if (values.json) process.stdout.write(JSON.stringify(models) + '\n');
      else {
        for (const m of models) {
          const flag = m.kind === 'invalid' ? '!' : ' ';
          console.log(`${flag} ${m.name.padEnd(22)} ${m.kind.padEnd(20)} ${m.decoder.padEnd(21)} ${m.source.padEnd(8)} ${(m.provider ?? '-').padEnd(5)} ${m.kind === 'invalid' ? m.description : m.title}`);
        }
      }
      return 0;
    }
    if (sub === 'inspect') {
      if (positionals.length !== 1) throw new UsageError('models inspect takes one .onnx file');
      const r = (await core.dispatch('models.inspect', { path: path.resolve(positionals[0]) })) as {
        path: string;
        io: { inputs: { name: string; type: string; dims: unknown[] }[]; outputs: { name: string; type: string; dims: unknown[] }[] };
        proposal: { kind: string; decoder: string; reason: string } | null;
      };
      if (values.json) process.stdout.write(JSON.stringify(r) + '\n');
      else {
        console.log(r.path);
        for (const side of ['inputs', 'outputs'] as const) {
          for (const t of r.io[side]) console.log(`  ${side === 'inputs' ? 'in ' : 'out'} ${t.name} ${t.type} [${t.dims.map((d) => d ?? '?').join(', ')}]`);
        }
        console.log(r.proposal ? `  proposed: ${r.proposal.kind} / ${r.proposal.decoder} — ${r.proposal.reason}` : '  no decoder fits this graph: write its manifest by hand (models/README.md)');
      }
      return 0;
    }
    throw new UsageError(`models takes "list" or "inspect", not "${sub ?? ''}"`);
  } finally {
    await core.close();
  }
}
