/**
 * Every bundled model whose files are present: its bare session.run calls against the whole pipeline per image,
 * a folder job through AppCore against the same calls back to back, and the resident memory of its sessions.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type ort from 'onnxruntime-node';
import sharp from 'sharp';
import { resolveInput, type ModelManifest } from '../common/inference/manifest.js';
import { planInput, toInputTensor } from '../common/inference/preprocess.js';
import { AppCore } from '../electron/core/app.js';
import { decodesAlone, loadImage, ModelRunner, prepareImage, resampleImage, type PipelineResult } from '../electron/core/inference/pipeline.js';
import { InferencePool } from '../electron/core/inference/pool.js';
import { graphFiles, type RunSettings, type RuntimeModel, type Timings } from '../electron/core/inference/protocol.js';
import { ModelRegistry } from '../electron/core/inference/registry.js';
import { RunsRepo, type ImageOutcome } from '../electron/core/inference/runs.js';
import type { InferenceResult } from '../electron/core/inference/service.js';
import { SessionCache, type OpenSession } from '../electron/core/inference/sessions.js';
import { isImageFileName } from '../electron/core/library/metadata.js';
import { CAMERA_LABELS, CAMERA_METHOD, cameraFacts, cameraRows, measureCamera, type CameraResult } from './camera.js';
import { measureSemanticDecode, SEMANTIC_DECODE_LABELS, SEMANTIC_DECODE_METHOD, semanticDecodeRows } from './semanticDecode.js';
import { cached, log, prng, round, withWorkDir, type Bench, type Row } from './util.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Images in each folder job: the model's image set, cycled. */
const FOLDER = 50;
/** Passes over the image set for the per-image rows; each image's median is taken, then the median over images. */
const REPEATS = 3;
/** Folder jobs per model at most, and the time they may take (estimated from the pipeline's time per image). */
const FOLDER_JOBS = 3;
const FOLDER_BUDGET_MS = 12_000;
/** Time the repeated passes may take per model, estimated from the first pass. */
const PASS_BUDGET_MS = 12_000;
/** The service writes predictions in transactions of this many images (FLUSH_IMAGES in service.ts). */
const FLUSH = 16;
const SEED = 20251101;

// ------------------------------------------------------------ inputs

type ImageSet = 'photos' | 'text' | 'lines' | 'shapes';

function setOf(m: ModelManifest): ImageSet {
  if (m.kind === 'text-detector') return 'text';
  if (m.kind === 'text-recognizer') return 'lines';
  return m.name.startsWith('shapes-') ? 'shapes' : 'photos';
}

const imagesIn = (dir: string) =>
  (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile() && isImageFileName(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();

/** The fixture and demo photos that decode, each content once (some fixtures are copies of demo photos). */
async function photos(): Promise<string[]> {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const f of [...imagesIn(path.join(ROOT, 'demo/photos')), ...imagesIn(path.join(ROOT, 'test/fixtures/images'))]) {
    const sha = createHash('sha256').update(readFileSync(f)).digest('hex');
    if (seen.has(sha)) continue;
    seen.add(sha);
    try {
      await (await loadImage(f)).open().raw().toBuffer();
      out.push(f);
    } catch {
      // corrupt, truncated and empty fixtures are there to fail; they have no place in a timing
    }
  }
  return out;
}

const WORDS = (
  'sightline label model image pixel layer tensor vision open seen inside studio canvas shape circle square triangle ' +
  'text detect read box mask point caption beam attention project folder import export review done 2026 42 0.95 ' +
  'North River Road invoice total amount date page chapter figure table score class'
).split(' ');

function sentence(rnd: () => number, maxChars: number): string {
  const words: string[] = [];
  while (true) {
    const w = WORDS[(rnd() * WORDS.length) | 0];
    if ([...words, w].join(' ').length > maxChars) return words.join(' ') || w;
    words.push(w);
  }
}

const svgText = (x: number, y: number, size: number, text: string, fill: string) =>
  `<text x="${x}" y="${y}" font-family="DejaVu Sans" font-size="${size}" fill="${fill}">${text}</text>`;

/** Printed pages: 2–4 short lines on a light background, 480–640 px wide, half PNG, half JPEG. */
async function writeTextPages(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < 6; i++) {
    const rnd = prng(SEED + i);
    const w = 480 + 80 * (i % 3);
    const h = Math.round(w * 0.6);
    const size = 20 + Math.round(rnd() * 14);
    const bg = 230 + ((rnd() * 26) | 0);
    const rows: string[] = [];
    for (let y = size * 1.8, n = 2 + ((rnd() * 3) | 0); n > 0 && y < h - size; y += size * (2 + rnd() * 2), n--) {
      const x = 16 + Math.round(rnd() * 60);
      rows.push(svgText(x, Math.round(y), size, sentence(rnd, 10 + ((rnd() * 20) | 0)), `rgb(${(rnd() * 60) | 0},${(rnd() * 60) | 0},${(rnd() * 60) | 0})`));
    }
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="100%" height="100%" fill="rgb(${bg},${bg},${bg - 8})"/>${rows.join('')}</svg>`;
    const img = sharp(Buffer.from(svg)).flatten();
    const file = path.join(dir, `page-${i}.${i % 2 ? 'jpg' : 'png'}`);
    await (i % 2 ? img.jpeg({ quality: 90 }) : img.png()).toFile(file);
  }
}

/** Single lines as a text detector crops them: 1–5 words, 40–55 px high. */
async function writeTextLines(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < 8; i++) {
    const rnd = prng(SEED + 100 + i);
    const size = 26 + Math.round(rnd() * 10);
    const text = sentence(rnd, 8 + ((rnd() * 22) | 0));
    const w = Math.ceil(text.length * size * 0.62) + 20;
    const h = Math.round(size * 1.5);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="100%" height="100%" fill="white"/>${svgText(10, Math.round(size * 1.1), size, text, 'black')}</svg>`;
    await sharp(Buffer.from(svg)).flatten().png().toFile(path.join(dir, `line-${i}.png`));
  }
}

async function imageSet(set: ImageSet): Promise<string[]> {
  switch (set) {
    case 'photos':
      return photos();
    case 'text': {
      const { path: dir } = await cached('inference-text-v2', writeTextPages);
      return [path.join(ROOT, 'models/ppocr-det/golden/lines.png'), path.join(ROOT, 'test/fixtures/ocr/hello.png'), ...imagesIn(dir)];
    }
    case 'lines':
      return imagesIn((await cached('inference-lines-v2', writeTextLines)).path);
    case 'shapes': {
      const { path: dir } = await cached(`inference-shapes-seed${SEED}-n12`, async (tmp) => {
        const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/sightline.mjs'), 'shapes', '--seed', String(SEED), '--count', '12', '--out', tmp], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`sightline shapes failed (exit ${r.status ?? r.signal}): ${r.stderr}`);
      });
      return imagesIn(path.join(dir, 'images'));
    }
  }
}

/** FOLDER copies of the set, cycled: folder file i is `files[i % files.length]`, byte for byte. */
async function folderOf(set: ImageSet, files: string[]): Promise<string> {
  const key = createHash('sha256');
  for (const f of files) key.update(f).update(readFileSync(f));
  const { path: dir } = await cached(`inference-folder-${set}-n${FOLDER}-${key.digest('hex').slice(0, 12)}`, async (tmp) => {
    mkdirSync(tmp, { recursive: true });
    for (let i = 0; i < FOLDER; i++) {
      const f = files[i % files.length];
      copyFileSync(f, path.join(tmp, `${String(i).padStart(3, '0')}-${path.basename(f).replace(/[^\w.-]+/g, '_')}`));
    }
  });
  return dir;
}

// ------------------------------------------------------------ measuring

interface Call {
  session: ort.InferenceSession;
  feeds: ort.InferenceSession.FeedsType;
}

/** Records every session.run the pipeline makes (its own tensors), so the same calls can be replayed bare. */
function recordCalls(sessions: OpenSession[], calls: Call[]): () => void {
  const wrapped = [...new Set(sessions.map((s) => s.session))];
  for (const s of wrapped) {
    const run = s.run.bind(s) as (feeds: ort.InferenceSession.FeedsType) => Promise<ort.InferenceSession.ReturnType>;
    Object.assign(s, {
      run: (feeds: ort.InferenceSession.FeedsType) => {
        calls.push({ session: s, feeds });
        return run(feeds);
      },
    });
  }
  // The own property shadowed the prototype's run.
  return () => wrapped.forEach((s) => delete (s as { run?: unknown }).run);
}

async function replay(calls: Call[]): Promise<number> {
  const t0 = performance.now();
  for (const c of calls) await c.session.run(c.feeds);
  return performance.now() - t0;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Where one image's pipeline time goes, in ms (medians over the passes). */
interface Breakdown {
  pipeline: number;
  raw: number;
  /** runner timings: prepare (read, decode, resize, tensor; text crops too), session.run, output decoding */
  prepare: number;
  run: number;
  decode: number;
  /** the main image's preparation step by step, re-run apart in each pass */
  readHeader: number;
  decodeResize: number;
  tensor: number;
}

interface ModelResult {
  name: string;
  set: ImageSet;
  images: number;
  calls: number;
  perImage: Breakdown;
  rawIps: number;
  rawPasses: number[];
  passes: number;
  folderIps: number;
  folderMs: number[];
  folder: InferenceResult;
  dbMsPerImage: number;
  beamMs?: { beam: number; ms: number };
  /** Whether the worker decodes this model's outputs on its decoder thread (pipeline.ts decodesAlone). */
  decodesAlone: boolean;
  memory: { baseMiB: number; sessionMiB: number; runMiB: number; maxRssMiB: number };
}

const mibGrowth = (m: ModelResult['memory']) => ({ session: m.sessionMiB - m.baseMiB, run: m.runMiB - m.baseMiB });

type Profile = Pick<Breakdown, 'readHeader' | 'decodeResize' | 'tensor'>;

/** read + header, sharp decode + resize to the plan, tensor fill: as prepareImage does them, timed apart. */
async function profilePrepare(file: string, model: RuntimeModel): Promise<Profile> {
  let t = performance.now();
  const img = await loadImage(file);
  const readHeader = performance.now() - t;
  // As the pipeline does it: the manifest's resampling (family defaults resolved), sharp's or ours.
  const input = resolveInput(model.manifest);
  const plan = planInput(input, img.width, img.height);
  t = performance.now();
  const resized = await resampleImage(img, plan.resizeWidth, plan.resizeHeight, input.resample, input.exact);
  const decodeResize = performance.now() - t;
  t = performance.now();
  toInputTensor(resized, plan, input);
  return { readHeader, decodeResize, tensor: performance.now() - t };
}

function memoryChild(model: RuntimeModel, image: string, dir: string): ModelResult['memory'] {
  // The model's own graphs only: a text detector's recogniser is measured as its own model.
  const file = path.join(dir, `${model.name}.runtime.json`);
  writeFileSync(file, JSON.stringify({ ...model, recognizer: undefined }));
  const args = [path.join(ROOT, 'bin/run-ts.mjs'), path.join(ROOT, 'bench/inference-child.ts'), file, image];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: ROOT });
  if (r.status !== 0) throw new Error(`The memory measurement of ${model.name} failed (exit ${r.status ?? r.signal}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

/**
 * A fresh project holding the folder, and a function that times one `models.run` job over all of it. One
 * single-image run first starts the worker and opens its sessions, which a person pays once per app session.
 */
async function folderProject(core: AppCore, model: string, folder: string, dir: string, params: Record<string, unknown>) {
  await core.openProject(path.join(dir, `${model}.sightline`), { create: true });
  const imported = await core.jobs.wait(core.startImport(folder));
  if (imported.state !== 'done') throw new Error(`Importing ${folder} failed: ${imported.error}`);
  const ids = core.store!.db.prepare('SELECT id FROM images ORDER BY id').pluck().all() as number[];
  if (ids.length !== FOLDER) throw new Error(`${folder} imported as ${ids.length} images, not ${FOLDER}: delete it and rerun.`);
  const start = async (run: Record<string, unknown>) => {
    const { jobId } = (await core.dispatch('models.run', { model, provider: 'cpu', params, ...run })) as { jobId: string };
    const job = await core.jobs.wait(jobId);
    const r = job.result as InferenceResult | undefined;
    if (job.state !== 'done' || !r || r.errors.length) throw new Error(`${model} over ${folder} failed: ${job.error ?? JSON.stringify(r?.errors.slice(0, 3))}`);
    return r;
  };
  await start({ imageIds: [ids[0]] });
  const timedRun = async () => {
    const t0 = performance.now();
    const result = await start({ all: true });
    const ms = performance.now() - t0;
    if (result.images !== FOLDER) throw new Error(`${model}: the folder job ran ${result.images} of ${FOLDER} images`);
    return { ms, result };
  };
  return { ids, timedRun };
}

/** The time RunsRepo.write takes for this model's outcomes on the folder's images, in the service's batches. */
function dbWriteMs(core: AppCore, model: string, ids: number[], outcomes: PipelineResult[]): number {
  const db = core.store!.db;
  const registry = core.inference.registry;
  const repo = new RunsRepo(db);
  const runId = repo.create(registry.ensureRow(db, registry.find(db, model)), {});
  const all: ImageOutcome[] = ids.map((imageId, i) => ({ imageId, ...outcomes[i % outcomes.length].result }));
  const t0 = performance.now();
  for (let i = 0; i < all.length; i += FLUSH) repo.write(runId, all.slice(i, i + FLUSH), new Map());
  const ms = performance.now() - t0;
  repo.finish(runId, 'done', null);
  return ms;
}

async function measureModel(core: AppCore, cache: SessionCache, model: RuntimeModel, dir: string): Promise<ModelResult> {
  const set = setOf(model.manifest);
  const files = await imageSet(set);
  const folder = await folderOf(set, files);
  const caption = Boolean(model.manifest.captioner);
  // Beam 1 for captioners: greedy, the same step calls as the raw decode; the manifest's beam size is timed apart.
  const settings: RunSettings = { thresholds: model.manifest.thresholds, keepSuppressed: false, ...(caption ? { beamSize: 1 } : {}) };
  const runner = new ModelRunner(cache);
  const sessions = await runner.open(model, 'cpu');
  const pipeline = async (file: string, s = settings) => runner.run(model, sessions, s, await prepareImage(file, model));

  log(`inference: ${model.name}: ${files.length} ${set} images, warm-up and recording pass`);
  const calls: Call[][] = [];
  const outcomes: PipelineResult[] = [];
  const t0 = performance.now();
  for (const f of files) {
    const mine: Call[] = [];
    const stop = recordCalls(sessions, mine);
    try {
      outcomes.push(await pipeline(f));
    } finally {
      stop();
    }
    calls.push(mine);
  }
  // A slow model gets fewer passes (its images are timed once, at least) so the whole benchmark stays short.
  const passes = Math.max(1, Math.min(REPEATS, Math.floor(PASS_BUDGET_MS / (2 * (performance.now() - t0)))));

  const raw: number[][] = files.map(() => []);
  const pipe: number[][] = files.map(() => []);
  const timings: Timings[][] = files.map(() => []);
  const profiles: Profile[][] = files.map(() => []);
  for (let pass = 0; pass < passes; pass++) {
    for (let i = 0; i < files.length; i++) {
      // Raw and pipeline back to back on the same image, in alternating order, so both see the same load.
      const timePipeline = async () => {
        const t = performance.now();
        const r = await pipeline(files[i]);
        pipe[i].push(performance.now() - t);
        timings[i].push(r.timings);
      };
      if (pass % 2) await timePipeline();
      raw[i].push(await replay(calls[i]));
      if (!(pass % 2)) await timePipeline();
      // A pause first, so the run just before (its spinning threads, the garbage of its outputs) is not billed to the steps.
      await new Promise((resolve) => setTimeout(resolve, 20));
      profiles[i].push(await profilePrepare(files[i], model));
    }
  }
  const per = (pick: (i: number) => number[]) => median(files.map((_, i) => median(pick(i))));
  const perImage: Breakdown = {
    raw: per((i) => raw[i]),
    pipeline: per((i) => pipe[i]),
    prepare: per((i) => timings[i].map((t) => t.prepare)),
    run: per((i) => timings[i].map((t) => t.run)),
    decode: per((i) => timings[i].map((t) => t.decode)),
    readHeader: per((i) => profiles[i].map((p) => p.readHeader)),
    decodeResize: per((i) => profiles[i].map((p) => p.decodeResize)),
    tensor: per((i) => profiles[i].map((p) => p.tensor)),
  };

  let beamMs;
  const beam = model.manifest.captioner?.beamSize ?? 1;
  if (beam > 1) {
    const times: number[] = [];
    for (const f of files) {
      const t = performance.now();
      await pipeline(f, { ...settings, beamSize: beam });
      times.push(performance.now() - t);
    }
    beamMs = { beam, ms: median(times) };
  }

  // Raw throughput: each image's calls back to back over the set, weighted by how many copies of the image the
  // folder holds (the set cycled), which is the folder's own replay.
  const copies = files.map((_, i) => Math.floor(FOLDER / files.length) + (i < FOLDER % files.length ? 1 : 0));
  const rawPass = async () => {
    let total = 0;
    for (let i = 0; i < files.length; i++) total += copies[i] * (await replay(calls[i]));
    return total;
  };
  // A folder job that takes seconds is timed several times, raw passes between, against the shifting load.
  const jobs = Math.max(1, Math.min(FOLDER_JOBS, Math.floor(FOLDER_BUDGET_MS / (FOLDER * perImage.pipeline))));
  log(`inference: ${model.name}: folder job over ${FOLDER} images, ${jobs} time${jobs === 1 ? '' : 's'}`);
  const project = await folderProject(core, model.name, folder, dir, caption ? { beamSize: 1 } : {});
  const rawPasses = [await rawPass()];
  const folderJobs: { ms: number; result: InferenceResult }[] = [];
  for (let j = 0; j < jobs; j++) {
    folderJobs.push(await project.timedRun());
    rawPasses.push(await rawPass());
  }
  const f = [...folderJobs].sort((a, b) => a.ms - b.ms)[folderJobs.length >> 1];
  const dbMs = dbWriteMs(core, model.name, project.ids, outcomes);

  log(`inference: ${model.name}: memory (child process)`);
  const memory = memoryChild(model, files[0], dir);
  return {
    name: model.name,
    decodesAlone: decodesAlone(model),
    set,
    images: files.length,
    calls: calls.reduce((n, c) => n + c.length, 0) / calls.length,
    perImage,
    rawIps: FOLDER / (median(rawPasses) / 1000),
    passes,
    rawPasses,
    folderIps: FOLDER / (f.ms / 1000),
    folderMs: folderJobs.map((j) => j.ms),
    folder: f.result,
    dbMsPerImage: dbMs / FOLDER,
    beamMs,
    memory,
  };
}

// ------------------------------------------------------------ report

const ms = (x: number) => round(x, x < 10 ? 2 : 1);

/**
 * The floors of issue 10: reading and decoding the image (read + header, decode + resize, as `profilePrepare` times
 * them apart) and the raw runs are work no pipeline can skip. Overhead is what the pipeline spends beyond them; the
 * goal allows 10 % of the runs or 1 ms, whichever is larger. The serial floor is one image after another with
 * nothing but that work; a folder job must reach 0.9 of it, and what it gets beyond 1× is overlap.
 */
function floorsOf(r: Pick<ModelResult, 'perImage' | 'folderIps'>) {
  const b = r.perImage;
  const decode = b.readHeader + b.decodeResize;
  const overhead = b.pipeline - decode - b.raw;
  const allowance = Math.max(0.1 * b.raw, 1);
  const floorIps = 1000 / (decode + b.raw);
  return { decode, overhead, allowance, floorIps, bestRatio: (decode + b.raw) / b.raw, folderRatio: r.folderIps / floorIps };
}

function rowsOf(r: ModelResult): Row[] {
  const p = `inference.${r.name}`;
  const b = r.perImage;
  const f = floorsOf(r);
  const mem = mibGrowth(r.memory);
  const rows: Row[] = [
    { name: `${p}.raw_ms`, value: ms(b.raw), unit: 'ms', baseline: null, ratio: null },
    { name: `${p}.decode_ms`, value: ms(f.decode), unit: 'ms', baseline: null, ratio: null },
    { name: `${p}.pipeline_ms`, value: ms(b.pipeline), unit: 'ms', baseline: ms(b.raw), ratio: round(b.pipeline / b.raw, 2) },
    { name: `${p}.best_ratio`, value: round(f.bestRatio, 2), unit: '× raw', baseline: null, ratio: null },
    { name: `${p}.overhead_ms`, value: ms(f.overhead), unit: 'ms', baseline: ms(f.allowance), ratio: round(f.overhead / f.allowance, 2) },
    { name: `${p}.raw_ips`, value: round(r.rawIps), unit: 'images/s', baseline: null, ratio: null },
    { name: `${p}.floor_ips`, value: round(f.floorIps), unit: 'images/s', baseline: null, ratio: null },
    { name: `${p}.folder_ips`, value: round(r.folderIps), unit: 'images/s', baseline: round(f.floorIps), ratio: round(f.folderRatio, 2) },
    { name: `${p}.session_mib`, value: round(mem.session), unit: 'MiB', baseline: null, ratio: null },
    { name: `${p}.run_mib`, value: round(mem.run), unit: 'MiB', baseline: null, ratio: null },
  ];
  if (r.beamMs) rows.push({ name: `${p}.pipeline_beam_ms`, value: ms(r.beamMs.ms), unit: 'ms', baseline: ms(b.raw), ratio: round(r.beamMs.ms / b.raw, 2) });
  return rows;
}

function breakdownTable(results: ModelResult[]): string[] {
  const head = [
    'Model', 'Images', 'Raw', 'Pipeline', 'prepare', 'read + header', 'decode + resize', 'tensor fill', 'run', 'decode outputs', 'other',
    'DB write', 'Folder wall', 'worker prepare (latency)', 'worker run', 'worker decode', 'run share',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|---|${head.slice(1).map(() => '--:').join('|')}|`];
  for (const r of results) {
    const b = r.perImage;
    const w = r.folder.timings;
    const cells = [
      `${r.name} (${r.set}, ${round(r.calls, 1)} run call${r.calls === 1 ? '' : 's'}/image)`,
      r.images,
      ms(b.raw),
      ms(b.pipeline),
      ms(b.prepare),
      ms(b.readHeader),
      ms(b.decodeResize),
      ms(b.tensor),
      ms(b.run),
      ms(b.decode),
      ms(Math.max(0, b.pipeline - b.prepare - b.run - b.decode)),
      ms(r.dbMsPerImage),
      ms(1000 / r.folderIps),
      ms(w.prepare / FOLDER),
      ms(w.run / FOLDER),
      ms(w.decode / FOLDER),
      `${Math.round((100 * w.run) / (FOLDER / r.folderIps * 1000))} %`,
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines;
}

/** For each goal a model misses, where the extra time went, largest first, from this run's breakdown. */
function missedGoals(results: ModelResult[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    const b = r.perImage;
    const f = floorsOf(r);
    // Judged on the ratios as the table rounds them.
    if (round(f.overhead / f.allowance, 2) > 1) {
      const parts: [string, number][] = [
        ['tensor fill', b.tensor],
        [r.calls > 1 && !r.beamMs ? 'text-line crops and full-size decode' : 'preparation beyond its steps timed apart', b.prepare - b.readHeader - b.decodeResize - b.tensor],
        ['output decoding (with the NaN check)', b.decode],
        [r.beamMs ? 'awaits between calls, search bookkeeping' : r.calls > 1 ? 'awaits between calls' : 'awaits', b.pipeline - b.prepare - b.run - b.decode],
        ['session.run slower inside the pipeline than replayed', b.run - b.raw],
      ];
      const top = parts.filter(([, v]) => v > 0.05 * f.overhead).sort((x, y) => y[1] - x[1]).slice(0, 3);
      out.push(
        `${r.name}: overhead ${ms(f.overhead)} ms per image beyond reading + decoding (${ms(f.decode)} ms) and its runs (${ms(b.raw)} ms) (goal ≤ ${ms(f.allowance)} ms); ` +
          `largest parts: ${top.map(([k, v]) => `${k} ${ms(v)} ms`).join(', ') || 'none above 5 % of it'}.`,
      );
    }
    if (round(f.folderRatio, 2) < 0.9) {
      const w = r.folder.timings;
      const share = (x: number) => `${Math.round((100 * x) / ((FOLDER / r.folderIps) * 1000))} %`;
      const jobRun = w.run / FOLDER;
      // Outputs that decode alone are decoded on the worker's decoder thread, alongside the next run.
      const decodeThread = r.decodesAlone;
      const rest = 100 - Math.round((100 * (w.run + (decodeThread ? 0 : w.decode))) / ((FOLDER / r.folderIps) * 1000));
      const runs = `the runs took ${ms(jobRun)} ms each in the job against ${ms(b.raw)} ms alone`;
      out.push(
        `${r.name}: folder ${round(f.folderRatio, 2)}× the serial floor of ${round(f.floorIps)} images/s (goal ≥ 0.9); of the job's wall time session.run took ${share(w.run)}` +
          (decodeThread
            ? ` and the rest ${rest} %; output decoding, ${share(w.decode)} of it, ran on the decoder thread alongside; ${runs}.`
            : `, output decoding ${share(w.decode)} (both on the worker's thread) and the rest ${rest} %; ${runs}.`),
      );
    }
  }
  return out;
}

const SUFFIXES: Record<string, string> = {
  raw_ms: 'session.run only, median ms per image (floor)',
  decode_ms: 'read + decode + resize of the image alone, median ms per image (floor)',
  pipeline_ms: 'whole pipeline per image (baseline: raw)',
  best_ratio: 'best pipeline / raw any pipeline could reach here, (decode + raw) / raw',
  overhead_ms: 'pipeline − decode − raw per image (baseline: the allowance, 10 % of raw or 1 ms; goal ratio ≤ 1)',
  raw_ips: `session.run back to back over the folder's ${FOLDER} images`,
  floor_ips: 'serial floor, 1 / (decode + raw)',
  folder_ips: `models.run folder job, ${FOLDER} images (baseline: the serial floor; goal ratio ≥ 0.9; above 1 is what overlap gains)`,
  session_mib: 'RSS growth after creating the sessions',
  run_mib: 'RSS growth after the sessions and one image',
  pipeline_beam_ms: "whole pipeline at the manifest's beam size (baseline: greedy raw)",
};

/** Labels for every bundled model's rows, known before a run so carried-over rows are labelled too. */
function labels(): Record<string, string> {
  const out: Record<string, string> = {};
  const dir = path.join(ROOT, 'models');
  for (const d of existsSync(dir) ? readdirSync(dir) : []) {
    let name = d;
    try {
      name = (JSON.parse(readFileSync(path.join(dir, d, 'manifest.json'), 'utf8')) as { name?: string }).name ?? d;
    } catch {
      continue;
    }
    for (const [k, v] of Object.entries(SUFFIXES)) out[`inference.${name}.${k}`] = `${name}: ${v}`;
  }
  return out;
}

/** Linux's pressure stall information for the CPU, "some" over 60 s; null where the kernel has none. */
function cpuPressure(): string | null {
  try {
    const avg = /^some avg10=[\d.]+ avg60=([\d.]+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1];
    return avg === undefined ? null : `${avg} %`;
  } catch {
    return null;
  }
}

/** The bundled models that can run now, and why the others cannot. */
async function runnableModels(): Promise<{ models: RuntimeModel[]; skipped: string[] }> {
  const pool = new InferencePool();
  const registry = new ModelRegistry(ROOT, pool);
  const models: RuntimeModel[] = [];
  const skipped: string[] = [];
  try {
    // SIGHTLINE_BENCH_MODELS=a,b limits the run to those models (for working on one; the report says so).
    const only = process.env.SIGHTLINE_BENCH_MODELS?.split(',').filter(Boolean);
    for (const m of registry.bundled()) {
      if (only && !only.includes(m.name)) {
        skipped.push(`${m.name}: not in SIGHTLINE_BENCH_MODELS`);
        continue;
      }
      if (!m.manifest) {
        skipped.push(`${m.name}: ${m.problem}`);
        continue;
      }
      const missing = graphFiles(m.manifest).map((f) => path.resolve(m.dir, f)).filter((f) => !existsSync(f));
      if (missing.length) {
        skipped.push(`${m.name}: ${missing.map((f) => path.relative(ROOT, f)).join(', ')} not there yet`);
        continue;
      }
      try {
        models.push(await registry.runtime(null, registry.find(null, m.name)));
      } catch (e) {
        skipped.push(`${m.name}: ${(e as Error).message}`);
      }
    }
  } finally {
    await pool.close();
  }
  return { models, skipped };
}

export const inferenceBench: Bench = {
  id: 'inference',
  title: 'Inference: bundled models, raw session.run against the pipeline',
  labels: { ...labels(), ...SEMANTIC_DECODE_LABELS, ...CAMERA_LABELS },
  method: [
    'Every bundled model (`models/*/manifest.json`) whose ONNX files are present runs on the CPU provider; the others are skipped, and named under "This run" with any model that failed. ' +
      'Sessions come from the runtime itself (`SessionCache`, `createSession`: the options the app uses), the pipeline from `prepareImage` + `ModelRunner.run` (what the worker does per image).',
    'Images per model: photos (the decodable fixtures of `test/fixtures/images` and `demo/photos`, each content once: JPEG, PNG, BMP, GIF, WebP, TIFF, one EXIF-rotated) for general models; ' +
      'for ppocr-det printed pages (the golden `lines.png`, `test/fixtures/ocr/hello.png` and 6 generated pages of 2–4 printed lines, 480–640 px, DejaVu Sans); for ppocr-rec 8 generated single lines of 1–5 words; ' +
      'for shapes-* 12 images of `sightline shapes`. Generated images are cached.',
    'Raw: a first pass runs the pipeline on each image and records every `session.run` call it makes with its input tensors (text detection: the detector and the recogniser on each line found; ' +
      'captioners: the encoder and each decoder step of a greedy decode). Raw time is those recorded calls replayed back to back: only run time, inputs made beforehand.',
    `Per image: up to ${REPEATS} passes (fewer for a slow model, so that they take about ${PASS_BUDGET_MS / 1000} s; "This run" gives the count); in each, an image's raw replay and its whole pipeline ` +
      '(read, sharp decode with EXIF rotation, resize, tensor fill, runs, output decoding; for text detection also the crops and recognition of each line) run back to back, in alternating order. ' +
      'Each image\'s median over the passes, then the median over images. ' +
      'Captioners run greedy (beam 1) here so both sides make the same calls; `pipeline_beam_ms` is the manifest\'s beam size.',
    `Folder: the model's images copied and cycled to ${FOLDER} files, imported into a fresh project through \`AppCore\`, then \`models.run\` {all: true, provider: cpu} timed from the call to the job's end: ` +
      'worker, prefetch window, output decoding and the SQLite writes all count. One single-image run before it starts the worker and opens its sessions (paid once per app session). ' +
      `The job runs up to ${FOLDER_JOBS} times (as many as fit in about ${FOLDER_BUDGET_MS / 1000} s), with a raw pass before the first and after each; the median job against the median raw pass. ` +
      'Raw pass: each image\'s recorded calls replayed back to back over the set, weighted by the copies of it in the folder (the folder\'s own replay).',
    'Goals (issue 10, restated from the first throughput goal, which no pipeline could meet where decoding an image costs more than the run): the floors are the image\'s read + decode + resize ' +
      '(`decode_ms` = read + header and decode + resize of the breakdown, timed apart in each pass) and the raw runs (`raw_ms`). Overhead = pipeline − decode − raw, goal ≤ 10 % of raw or 1 ms, whichever is larger. ' +
      'Serial floor = 1 / (decode + raw), one image after another doing nothing else; folder goal ≥ 0.9× it, and a ratio above 1 is what overlapping decodes with runs gains. ' +
      'The floors are timed outside the pipeline, after a pause, so a small negative overhead means the pipeline ran its steps faster than they ran alone.',
    'Memory: a fresh child process (`bench/inference-child.ts`) loads every module (onnxruntime included), samples RSS, opens the model\'s own sessions (a text detector\'s recogniser is its own row), ' +
      'samples again, runs the pipeline on one image and samples a third time.',
    'Breakdown (table below, ms per image, medians): prepare, run and decode are the pipeline\'s own timings (`Timings`; prepare includes the text crops). Read + header, decode + resize and tensor fill ' +
      're-run the main image\'s preparation step by step in each pass, after a 20 ms pause. Other = pipeline − prepare − run − decode: awaits and, for captioners, the beam search bookkeeping (their decode column is empty). DB write: `RunsRepo.write` of the same outcomes for the folder\'s images, ' +
      `in the service's batches of ${FLUSH}. The worker columns are the folder job's summed \`Timings\` per image; its prepare is the time from a request to its tensor, ` +
      'so it includes the wait behind the runs of the images before it and exceeds the work done. ' +
      'Run share = worker run / folder wall: the part of the job spent in session.run, measured in the same window as the job and so less at the mercy of a changing load than the folder / raw ratio.',
    'Reading the folder columns: onnxruntime-node 1.30 runs `session.run` on the calling thread (its backend calls the native run inside `setImmediate`), so while the worker runs a model its ' +
      'thread does nothing else: the tensor fill and each JS step of the next images\' preparation wait for the run to end, and only work already handed to libuv ' +
      '(file reads, sharp\'s decode and resize) overlaps it. Output decoding runs on the worker\'s decoder thread alongside the next run, except for captioners (their search runs the ' +
      'decoder step) and text detectors that read their lines; for those it waits on the worker\'s thread too. On two cores every overlap competes with onnxruntime\'s own two threads, ' +
      'so the prefetch and the decoder thread help only as far as a core is free. "Goals missed" below is generated from the same numbers.',
    'On an oversubscribed CPU (see the pressure under "This run") a thread that runs back to back gets less of it than one that pauses between images, so the raw passes ' +
      '(`raw_ips`) can come out slower per image than `raw_ms`, and the folder / raw ratio swings from run to run; run share is the steadier reading there.',
    SEMANTIC_DECODE_METHOD,
    CAMERA_METHOD,
  ],
  async run() {
    const pressureBefore = cpuPressure();
    const { models, skipped } = await runnableModels();
    log(`inference: ${models.map((m) => m.name).join(', ') || 'no model'} to measure${skipped.length ? `; skipped ${skipped.length}` : ''}`);
    const failed: string[] = [];
    // The camera-photo rows run unless SIGHTLINE_BENCH_MODELS names models and not "camera".
    const only = process.env.SIGHTLINE_BENCH_MODELS?.split(',').filter(Boolean);
    let camera: CameraResult | null = null;
    const results = await withWorkDir('inference', async (dir) => {
      const core = new AppCore({ appDataDir: path.join(dir, 'appdata'), transport: 'http' });
      const out: ModelResult[] = [];
      try {
        for (const m of models) {
          const t0 = performance.now();
          const cache = new SessionCache();
          try {
            const r = await measureModel(core, cache, m, dir);
            out.push(r);
            log(`inference: ${m.name}: raw ${ms(r.perImage.raw)} ms, pipeline ${ms(r.perImage.pipeline)} ms, folder ${round(r.folderIps)} vs raw ${round(r.rawIps)} images/s (${round((performance.now() - t0) / 1000)} s)`);
          } catch (e) {
            // One model that cannot run (a file mid-export, say) leaves the others' numbers standing.
            const why = (e as Error).message.split('\n')[0];
            failed.push(`${m.name}: ${why}`);
            log(`inference: ${m.name} FAILED: ${why}`);
          } finally {
            await core.closeProject();
            await cache.releaseAll();
          }
        }
        if (!only || only.includes('camera')) {
          const t0 = performance.now();
          try {
            camera = await measureCamera(core, dir);
            log(`inference: camera photos: naive ${round(camera.baselineIps, 2)}, folder ${round(camera.folderIps, 2)}, folder with exact: false ${round(camera.folderReducedIps, 2)} images/s (${round((performance.now() - t0) / 1000)} s)`);
          } catch (e) {
            const why = (e as Error).message.split('\n')[0];
            failed.push(`camera photos: ${why}`);
            log(`inference: camera photos FAILED: ${why}`);
          }
        }
      } finally {
        await core.close();
      }
      return out;
    });
    const cam = camera as CameraResult | null;
    const missed = missedGoals(results);
    return {
      rows: [...results.flatMap(rowsOf), ...semanticDecodeRows(measureSemanticDecode()), ...(cam ? cameraRows(cam) : [])],
      facts: [
        ...(pressureBefore ? [`CPU pressure (share of time some task waited for a CPU, last 60 s): ${pressureBefore} before, ${cpuPressure()} after.`] : []),
        ...skipped.map((s) => `Skipped ${s}.`),
        ...failed.map((s) => `Failed ${s}.`),
        ...results.map((r) => {
          const mem = mibGrowth(r.memory);
          return (
            `${r.name}: ${r.passes} pass${r.passes === 1 ? '' : 'es'}; raw over the folder ${r.rawPasses.map((x) => round(x)).join(', ')} ms; folder job ${r.folderMs.map((x) => round(x)).join(', ')} ms, ${r.folder.predictions} predictions; ` +
            `RSS ${round(r.memory.baseMiB)} MiB before the sessions, +${round(mem.session)} with them, +${round(mem.run)} after one image (peak ${round(r.memory.maxRssMiB)} MiB)` +
            (r.beamMs ? `; pipeline at beam ${r.beamMs.beam}: ${ms(r.beamMs.ms)} ms` : '') +
            '.'
          );
        }),
        ...(cam ? cameraFacts(cam) : []),
      ],
      details: results.length
        ? ['**Where the time goes** (ms per image)', '', ...breakdownTable(results), '', '**Goals missed in this run**', '', ...(missed.length ? missed : ['none']).map((s) => `- ${s}`)]
        : [],
    };
  },
};
