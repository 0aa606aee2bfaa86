/**
 * Camera photos through a 640-px detector (issue 10, part 3): 100 JPEGs of 4000×3000 made from the free photos in
 * the repo, run by the app's folder job (`models.run`: worker, prefetch, reduced-scale JPEG decode) against a naive
 * pipeline in the same run (each photo decoded in full with sharp, then resized, then session.run, one after the
 * other), with the floors (decode alone, full and reduced; session.run alone) and the accuracy of the reduced decode
 * against the full one on the same photos.
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { resolveInput, type ModelManifest } from '../common/inference/manifest.js';
import { planInput, toInputTensor } from '../common/inference/preprocess.js';
import { resizeRgb, type PureResample } from '../common/inference/resample.js';
import { PALETTE } from '../common/shapes/generate.js';
import type { DecodedPrediction, RawImage } from '../common/inference/types.js';
import { AppCore } from '../electron/core/app.js';
import { jpegScaleFor, loadImage, ModelRunner, prepareImage, sourcePixels } from '../electron/core/inference/pipeline.js';
import type { RunSettings, RuntimeModel } from '../electron/core/inference/protocol.js';
import { parseManifest } from '../electron/core/inference/registry.js';
import type { InferenceResult } from '../electron/core/inference/service.js';
import { SessionCache } from '../electron/core/inference/sessions.js';
import { cached, log, prng, round, type Row } from './util.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The detector: the bundled shapes-yolo re-exported at 640 px (models/train/detector_at_size.py). */
export const CAMERA_MODEL_DIR = path.join(ROOT, 'bench/models/shapes-yolo-640');
const COUNT = 100;
const WIDTH = 4000;
const HEIGHT = 3000;
const QUALITY = 90;
const SEED = 20251102;
/** Every tenth photo is stored sideways with EXIF orientation 6, as phones store portrait-held shots. */
const SIDEWAYS_EVERY = 10;
/** Folder jobs: as many as fit in this time, at most FOLDER_JOBS. */
const FOLDER_JOBS = 3;
const FOLDER_BUDGET_MS = 40_000;
/** Photos the floors are timed on (each once per pass, 3 passes, medians). */
const FLOOR_PHOTOS = 12;

const SOURCES = ['test/fixtures/images/astronaut.png', 'test/fixtures/images/chelsea.jpg', 'test/fixtures/images/coffee.jpg', 'test/fixtures/images/grace_hopper.jpg', 'demo/photos/rocket.jpg', 'demo/photos/hubble_deep_field.jpg'];

// ------------------------------------------------------------ the photos

function shapesSvg(rnd: () => number): string {
  const colours = Object.values(PALETTE);
  const parts: string[] = [];
  for (let n = 2 + Math.floor(rnd() * 4); n > 0; n--) {
    // 250–700 px across in the photo: 40–110 px at the detector's 640-px input.
    const extent = 250 + rnd() * 450;
    const cx = extent + rnd() * (WIDTH - 2 * extent);
    const cy = extent + rnd() * (HEIGHT - 2 * extent);
    const [r, g, b] = colours[Math.floor(rnd() * colours.length)];
    const fill = `rgb(${r},${g},${b})`;
    const angle = rnd() * 90;
    const kind = Math.floor(rnd() * 3);
    if (kind === 0) parts.push(`<circle cx="${cx}" cy="${cy}" r="${extent / 2}" fill="${fill}"/>`);
    else if (kind === 1) parts.push(`<rect x="${cx - extent / 2}" y="${cy - extent / 2}" width="${extent}" height="${extent}" fill="${fill}" transform="rotate(${angle} ${cx} ${cy})"/>`);
    else {
      const R = extent / Math.sqrt(3);
      const pts = [0, 1, 2].map((k) => {
        const a = ((angle + k * 120 - 90) * Math.PI) / 180;
        return `${cx + R * Math.cos(a)},${cy + R * Math.sin(a)}`;
      });
      parts.push(`<polygon points="${pts.join(' ')}" fill="${fill}"/>`);
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}">${parts.join('')}</svg>`;
}

/**
 * Photo i: a random 4:3 crop (70–100 % of the largest) of one of the free photos, mirrored every other time,
 * enlarged to 4000×3000 (Lanczos), 2–5 flat shapes for the detector to find, film grain (luminance σ ≈ 5 levels,
 * chroma σ ≈ 2), JPEG quality 90 with 4:2:0 chroma as cameras write it.
 */
async function writePhoto(file: string, i: number): Promise<void> {
  const rnd = prng(SEED + i);
  const src = path.join(ROOT, SOURCES[i % SOURCES.length]);
  const meta = await sharp(src).metadata();
  const W = meta.width!, H = meta.height!;
  const full = Math.min(W, (H * 4) / 3);
  const cw = Math.max(16, Math.round(full * (0.7 + 0.3 * rnd())));
  const ch = Math.round((cw * 3) / 4);
  const left = Math.floor(rnd() * (W - cw + 1));
  const top = Math.floor(rnd() * (H - ch + 1));
  let img = sharp(src).removeAlpha().toColourspace('srgb').extract({ left, top, width: cw, height: ch });
  if (i % 2) img = img.flop();
  const photo = await img.resize(WIDTH, HEIGHT, { fit: 'fill', kernel: 'lanczos3' }).composite([{ input: Buffer.from(shapesSvg(rnd)) }]).removeAlpha().raw().toBuffer();
  // Grain: a xorshift per pixel, the sum of two uniforms (triangular, close enough to film grain), shared by the
  // channels for luminance plus a smaller part per channel.
  let s = (SEED ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  for (let p = 0; p < photo.length; p += 3) {
    const luma = (next() + next() - 1) * 12;
    for (let c = 0; c < 3; c++) {
      const v = photo[p + c] + luma + (next() - 0.5) * 7;
      photo[p + c] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  let out = sharp(photo, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } });
  // Orientation 6: displayed = stored turned 90° clockwise, so the stored pixels are the photo turned anticlockwise.
  if (i % SIDEWAYS_EVERY === SIDEWAYS_EVERY - 1) out = sharp(await out.rotate(-90).raw().toBuffer(), { raw: { width: HEIGHT, height: WIDTH, channels: 3 } }).withMetadata({ orientation: 6 });
  await out.jpeg({ quality: QUALITY, chromaSubsampling: '4:2:0' }).toFile(file);
}

export async function cameraPhotos(): Promise<{ dir: string; files: string[]; built: boolean; ms: number }> {
  const t0 = performance.now();
  const { path: dir, built } = await cached(`inference-camera-v1-n${COUNT}-${WIDTH}x${HEIGHT}-q${QUALITY}-seed${SEED}`, async (tmp) => {
    mkdirSync(tmp, { recursive: true });
    log(`camera: writing ${COUNT} photos of ${WIDTH}×${HEIGHT} (cached afterwards)`);
    for (let i = 0; i < COUNT; i++) {
      await writePhoto(path.join(tmp, `camera-${String(i).padStart(3, '0')}.jpg`), i);
      if ((i + 1) % 20 === 0) log(`camera: ${i + 1}/${COUNT}`);
    }
  });
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .map((f) => path.join(dir, f));
  return { dir, files, built, ms: performance.now() - t0 };
}

// ------------------------------------------------------------ measuring

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** The bench detector as the runtime gets it, with `exact` set as asked (missing: the manifest's default). */
export function cameraModel(exact?: boolean): RuntimeModel {
  const raw = JSON.parse(readFileSync(path.join(CAMERA_MODEL_DIR, 'manifest.json'), 'utf8')) as ModelManifest;
  const manifest = parseManifest({ ...raw, files: { model: path.join(CAMERA_MODEL_DIR, 'model.onnx') }, input: { ...raw.input, ...(exact === undefined ? {} : { exact }) } }, CAMERA_MODEL_DIR);
  return { name: manifest.name, manifest };
}

type Box = { x: number; y: number; w: number; h: number; score: number; cls: number };

function boxes(preds: DecodedPrediction[]): Box[] {
  const out: Box[] = [];
  for (const p of preds) if (p.geometry.type === 'box') out.push({ ...p.geometry, score: p.score ?? 0, cls: p.classIndex ?? -1 });
  return out;
}

const iou = (a: Box, b: Box) => {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const inter = ix * iy;
  return inter / (a.w * a.h + b.w * b.h - inter);
};

/** How far the reduced decode's predictions are from the full decode's, over the photos. */
export interface Agreement {
  photos: number;
  matched: number;
  /** predictions of one side with no partner of the same class at IoU ≥ 0.5 on the other, with their scores */
  unmatched: { side: 'full' | 'reduced'; score: number; file: string }[];
  /** largest |difference| of a box edge, in image pixels and in model-input pixels */
  maxEdgePx: number;
  maxEdgeInputPx: number;
  maxScore: number;
  /** 99th percentile of the edge differences in input pixels, over every matched edge */
  p99EdgeInputPx: number;
}

export function agreement(pairs: { file: string; full: DecodedPrediction[]; reduced: DecodedPrediction[]; gain: number }[]): Agreement {
  const a: Agreement = { photos: pairs.length, matched: 0, unmatched: [], maxEdgePx: 0, maxEdgeInputPx: 0, maxScore: 0, p99EdgeInputPx: 0 };
  const edges: number[] = [];
  for (const { file, full, reduced, gain } of pairs) {
    const A = boxes(full);
    const B = boxes(reduced);
    const taken = new Set<number>();
    for (const p of [...A].sort((x, y) => y.score - x.score)) {
      let best = -1;
      let bestIou = 0.5;
      B.forEach((q, j) => {
        if (taken.has(j) || q.cls !== p.cls) return;
        const v = iou(p, q);
        if (v >= bestIou) [best, bestIou] = [j, v];
      });
      if (best < 0) {
        a.unmatched.push({ side: 'full', score: p.score, file });
        continue;
      }
      taken.add(best);
      const q = B[best];
      a.matched++;
      for (const d of [p.x - q.x, p.y - q.y, p.x + p.w - (q.x + q.w), p.y + p.h - (q.y + q.h)].map(Math.abs)) {
        a.maxEdgePx = Math.max(a.maxEdgePx, d);
        edges.push(d * gain);
      }
      a.maxScore = Math.max(a.maxScore, Math.abs(p.score - q.score));
    }
    B.forEach((q, j) => {
      if (!taken.has(j)) a.unmatched.push({ side: 'reduced', score: q.score, file });
    });
  }
  edges.sort((x, y) => x - y);
  a.maxEdgeInputPx = edges.at(-1) ?? 0;
  a.p99EdgeInputPx = edges[Math.min(edges.length - 1, Math.floor(edges.length * 0.99))] ?? 0;
  return a;
}

export interface CameraResult {
  photos: number;
  generated: { built: boolean; ms: number; mib: number };
  /** the DCT scale divisor the reduced decode picks for these photos */
  scale: number;
  /** per photo, medians over the floor photos and passes, ms */
  floors: { read: number; decodeFull: number; decodeReduced: number; resizeFull: number; resizeReduced: number; tensor: number; run: number };
  /** serial in-process loops over every photo: the naive pipeline (full decode) and the app's pipeline with the reduced decode, without its worker */
  baselineIps: number;
  serialReducedIps: number;
  /** models.run folder jobs: the manifest as it is (full decode by default) and with `exact: false` */
  folderIps: number;
  folderReducedIps: number;
  folderReducedMs: number[];
  folder: InferenceResult;
  folderReduced: InferenceResult;
  /** reduced against full decode, and (for scale) the full decode against itself with its input changed by ±1 level at random */
  accuracy: Agreement;
  jitter: Agreement;
  predictionsPerPhoto: number;
}

async function folderJobs(core: AppCore, dir: string, workDir: string, photos: number, exact: boolean | undefined, jobs: number) {
  const name = `shapes-yolo-640${exact === undefined ? '' : `-exact-${exact}`}`;
  await core.openProject(path.join(workDir, `${name}.sightline`), { create: true });
  try {
    const imported = await core.jobs.wait(core.startImport(dir));
    if (imported.state !== 'done') throw new Error(`Importing ${dir} failed: ${imported.error}`);
    const ids = core.store!.db.prepare('SELECT id FROM images ORDER BY id').pluck().all() as number[];
    if (ids.length !== photos) throw new Error(`${dir} imported as ${ids.length} images, not ${photos}: delete it and rerun.`);
    const raw = JSON.parse(readFileSync(path.join(CAMERA_MODEL_DIR, 'manifest.json'), 'utf8')) as ModelManifest;
    const input = { ...raw.input, ...(exact === undefined ? {} : { exact }) };
    await core.dispatch('models.add', { path: path.join(CAMERA_MODEL_DIR, 'model.onnx'), manifest: { ...raw, name, files: { model: 'model.onnx' }, input } });
    const start = async (run: Record<string, unknown>) => {
      const { jobId } = (await core.dispatch('models.run', { model: name, provider: 'cpu', params: {}, ...run })) as { jobId: string };
      const job = await core.jobs.wait(jobId);
      const r = job.result as InferenceResult | undefined;
      if (job.state !== 'done' || !r || r.errors.length) throw new Error(`${name} over ${dir} failed: ${job.error ?? JSON.stringify(r?.errors.slice(0, 3))}`);
      return r;
    };
    // One image first: the worker starts and opens its session, paid once per app session.
    await start({ imageIds: [ids[0]] });
    const out: { ms: number; result: InferenceResult }[] = [];
    for (let j = 0; j < jobs; j++) {
      const t0 = performance.now();
      const result = await start({ all: true });
      out.push({ ms: performance.now() - t0, result });
      if (result.images !== photos) throw new Error(`${name}: the folder job ran ${result.images} of ${photos} images`);
    }
    return out;
  } finally {
    await core.closeProject();
  }
}

export async function measureCamera(core: AppCore, workDir: string): Promise<CameraResult> {
  const gen = await cameraPhotos();
  const { files, dir } = gen;
  const mib = files.reduce((n, f) => n + statSync(f).size, 0) / 2 ** 20;
  const full = cameraModel();
  const reduced = cameraModel(false);
  if (!resolveInput(full.manifest).exact) throw new Error('the camera benchmark expects the manifest default to be the full decode (EXACT_BY_DEFAULT)');
  const cache = new SessionCache();
  const runner = new ModelRunner(cache);
  try {
    const sessions = await runner.open(full, 'cpu');
    const settings: RunSettings = { thresholds: full.manifest.thresholds, keepSuppressed: false };
    const policy = resolveInput(full.manifest);
    const session = sessions[0].session;
    const inputName = full.manifest.input.name ?? session.inputNames[0];
    const feed = (data: Float32Array, dims: readonly number[]) => ({ [inputName]: new ort.Tensor('float32', data, dims) });

    // Floors, step by step on the first photos, 3 passes.
    log(`camera: floors on ${FLOOR_PHOTOS} photos`);
    const f: Record<keyof CameraResult['floors'], number[]> = { read: [], decodeFull: [], decodeReduced: [], resizeFull: [], resizeReduced: [], tensor: [], run: [] };
    let scale = 1;
    for (let pass = 0; pass < 3; pass++) {
      for (const file of files.slice(0, FLOOR_PHOTOS)) {
        let t = performance.now();
        const img = await loadImage(file);
        f.read.push(performance.now() - t);
        const plan = planInput(policy, img.width, img.height);
        scale = jpegScaleFor(img.width, img.height, plan.resizeWidth, plan.resizeHeight);
        t = performance.now();
        const whole = await sourcePixels(img, plan.resizeWidth, plan.resizeHeight, true);
        f.decodeFull.push(performance.now() - t);
        t = performance.now();
        const small = await sourcePixels(img, plan.resizeWidth, plan.resizeHeight, false);
        f.decodeReduced.push(performance.now() - t);
        t = performance.now();
        resizeRgb(policy.resample as PureResample, whole.pixels as RawImage & { channels: 3 }, plan.resizeWidth, plan.resizeHeight);
        f.resizeFull.push(performance.now() - t);
        t = performance.now();
        const resized = resizeRgb(policy.resample as PureResample, small.pixels as RawImage & { channels: 3 }, plan.resizeWidth, plan.resizeHeight, small.extent);
        f.resizeReduced.push(performance.now() - t);
        t = performance.now();
        const tensor = toInputTensor(resized, plan, policy);
        f.tensor.push(performance.now() - t);
        // A pause first, so the decodes' garbage and threads are not billed to the run.
        await new Promise((resolve) => setTimeout(resolve, 20));
        t = performance.now();
        await session.run(feed(tensor.data as Float32Array, tensor.dims));
        f.run.push(performance.now() - t);
      }
    }
    const floors = Object.fromEntries(Object.entries(f).map(([k, v]) => [k, median(v)])) as CameraResult['floors'];

    // The naive pipeline and the app's pipeline with the reduced decode (no worker), photo by photo, in
    // alternating order; then the full decode's tensor changed by ±1 level at random, for the scale of the differences.
    log(`camera: naive and in-process pipelines over ${files.length} photos`);
    let baselineMs = 0;
    let reducedMs = 0;
    const pairs: Parameters<typeof agreement>[0] = [];
    const jittered: Parameters<typeof agreement>[0] = [];
    const rnd = prng(SEED);
    let predictions = 0;
    for (let i = 0; i < files.length; i++) {
      const one = async (m: RuntimeModel) => {
        const t = performance.now();
        const prepared = await prepareImage(files[i], m);
        const r = await runner.run(m, sessions, settings, prepared);
        return { ms: performance.now() - t, r, prepared };
      };
      const [a, b] = i % 2 ? [await one(reduced), await one(full)].reverse() : [await one(full), await one(reduced)];
      baselineMs += a.ms;
      reducedMs += b.ms;
      predictions += a.r.result.predictions.length;
      const gain = a.prepared.input.plan.transform.scaleX;
      const file = path.basename(files[i]);
      pairs.push({ file, full: a.r.result.predictions, reduced: b.r.result.predictions, gain });
      const t = a.prepared.input.tensor;
      const step = 1 / 255;
      const noisy = (t.data as Float32Array).map((v) => Math.min(1, Math.max(0, v + (rnd() < 0.5 ? -step : step))));
      const j = await runner.run(full, sessions, settings, { ...a.prepared, input: { ...a.prepared.input, tensor: { data: noisy, dims: t.dims } } });
      jittered.push({ file, full: a.r.result.predictions, reduced: j.result.predictions, gain });
    }
    await cache.releaseAll();

    // The app: models.run over the folder with the manifest as it is (full decode by default), then with
    // exact: false, as many times as fit.
    const jobs = Math.max(1, Math.min(FOLDER_JOBS, Math.floor(FOLDER_BUDGET_MS / reducedMs)));
    log(`camera: folder job over ${files.length} photos with the manifest's default, then ${jobs} time${jobs === 1 ? '' : 's'} with exact: false`);
    const [asIs] = await folderJobs(core, dir, workDir, files.length, undefined, 1);
    const fast = await folderJobs(core, dir, workDir, files.length, false, jobs);
    const mid = [...fast].sort((x, y) => x.ms - y.ms)[fast.length >> 1];
    return {
      photos: files.length,
      generated: { built: gen.built, ms: gen.ms, mib },
      scale,
      floors,
      baselineIps: files.length / (baselineMs / 1000),
      serialReducedIps: files.length / (reducedMs / 1000),
      folderIps: files.length / (asIs.ms / 1000),
      folderReducedIps: files.length / (mid.ms / 1000),
      folderReducedMs: fast.map((j) => j.ms),
      folder: asIs.result,
      folderReduced: mid.result,
      accuracy: agreement(pairs),
      jitter: agreement(jittered),
      predictionsPerPhoto: predictions / files.length,
    };
  } finally {
    await cache.releaseAll();
  }
}

// ------------------------------------------------------------ report

const ms = (x: number) => round(x, x < 10 ? 2 : 1);
const P = 'inference.camera';

export const CAMERA_LABELS: Record<string, string> = {
  [`${P}.baseline_ips`]: 'camera photos: naive pipeline (each photo decoded in full by sharp, resized, session.run, one after another)',
  [`${P}.folder_ips`]: "camera photos: models.run folder job, the manifest's default (full decode) (baseline: naive; goal ratio ≥ 3)",
  [`${P}.folder_reduced_ips`]: 'camera photos: models.run folder job with `input.exact: false` (reduced DCT-scale decode) (baseline: naive; goal ratio ≥ 3)',
  [`${P}.serial_reduced_ips`]: 'camera photos: the reduced-decode pipeline in process, one photo after another, no worker (baseline: naive)',
  [`${P}.floor_full_ips`]: 'camera photos: serial floor with the full decode, 1 / (read + decode + resize + tensor + run) (baseline: naive)',
  [`${P}.floor_reduced_ips`]: 'camera photos: serial floor with the reduced decode (baseline: naive)',
  [`${P}.decode_full_ms`]: 'camera photos: sharp decode of a whole 4000×3000 JPEG to RGB, median per photo',
  [`${P}.decode_reduced_ms`]: 'camera photos: the same JPEG decoded at its reduced DCT scale (baseline: full decode)',
  [`${P}.resize_full_ms`]: 'camera photos: bilinear resize to 640×480 from the full decode',
  [`${P}.resize_reduced_ms`]: 'camera photos: bilinear resize to 640×480 from the reduced decode',
  [`${P}.run_ms`]: 'camera photos: session.run alone (640×640 input), median per photo',
  [`${P}.reduced_edge_px`]: 'camera photos: largest box-edge shift, reduced against full decode, in input pixels (baseline: the same for a random ±1-level change of the input)',
  [`${P}.reduced_score`]: 'camera photos: largest score change, reduced against full decode (baseline: the same for a random ±1-level change of the input)',
};

export const CAMERA_METHOD =
  `Camera photos (rows \`${P}.*\`, \`bench/camera.ts\`): ${COUNT} JPEGs of ${WIDTH}×${HEIGHT}, quality ${QUALITY}, 4:2:0, made from the free photos in the repo ` +
  '(`test/fixtures/images` astronaut, chelsea, coffee, grace_hopper; `demo/photos` rocket, hubble_deep_field): a random 4:3 crop, mirrored every other time, enlarged with Lanczos, ' +
  `2–5 flat circles, squares and triangles drawn on it, film grain added; every ${SIDEWAYS_EVERY}th stored sideways with EXIF orientation 6. Generated once and cached. ` +
  'The detector is the bundled shapes-yolo with its own weights re-exported at 640 px (`bench/models/shapes-yolo-640`, `models/train/detector_at_size.py`), fed as an Ultralytics export at 640 is: ' +
  'letterbox (Ultralytics geometry, 640×480 content), bilinear without antialias. ' +
  'Naive: in the same process, one photo after another, `prepareImage` with the full decode (sharp decodes the whole JPEG, EXIF-rotates it, the bilinear resampler shrinks it) then `ModelRunner.run`; ' +
  'in-process reduced: the same with `input.exact: false` (the JPEG decoded at libjpeg\'s DCT scale 1/k, k the largest of 8, 4, 2 that keeps ⌊W/k⌋×⌊H/k⌋ ≥ the resize target: 1/4 here, 1000×750), alternating which goes first. ' +
  `Folder: the photos imported into a fresh project, the model added, \`models.run\` {all: true, provider: cpu} timed to the job's end (worker, prefetch window, SQLite writes included) after one single-image run that opens the session; ` +
  `once with the manifest as it is, then up to ${FOLDER_JOBS} times (as fit in ${FOLDER_BUDGET_MS / 1000} s, median) with \`exact: false\`. ` +
  `Floors: on the first ${FLOOR_PHOTOS} photos, 3 passes, medians: read + header (\`loadImage\`), decode to RGB full and reduced (\`sourcePixels\`), the resize from each, the tensor fill, session.run alone. ` +
  'Accuracy: every prediction of the naive run matched to the reduced run\'s (same class, IoU ≥ 0.5, highest score first), largest difference of a box edge (in 640-px input pixels) and of a score; ' +
  'for scale, the same between the naive run and a second run on its own tensor changed by ±1 level (1/255) at random per value.';

export function cameraRows(r: CameraResult): Row[] {
  const fl = r.floors;
  const b = round(r.baselineIps, 2);
  const ips = (name: string, v: number): Row => ({ name: `${P}.${name}`, value: round(v, 2), unit: 'images/s', baseline: b, ratio: round(v / r.baselineIps, 2) });
  const floorFull = 1000 / (fl.read + fl.decodeFull + fl.resizeFull + fl.tensor + fl.run);
  const floorReduced = 1000 / (fl.read + fl.decodeReduced + fl.resizeReduced + fl.tensor + fl.run);
  return [
    { name: `${P}.baseline_ips`, value: b, unit: 'images/s', baseline: null, ratio: null },
    ips('folder_ips', r.folderIps),
    ips('folder_reduced_ips', r.folderReducedIps),
    ips('serial_reduced_ips', r.serialReducedIps),
    ips('floor_full_ips', floorFull),
    ips('floor_reduced_ips', floorReduced),
    { name: `${P}.decode_full_ms`, value: ms(fl.decodeFull), unit: 'ms', baseline: null, ratio: null },
    { name: `${P}.decode_reduced_ms`, value: ms(fl.decodeReduced), unit: 'ms', baseline: ms(fl.decodeFull), ratio: round(fl.decodeReduced / fl.decodeFull, 2) },
    { name: `${P}.resize_full_ms`, value: ms(fl.resizeFull), unit: 'ms', baseline: null, ratio: null },
    { name: `${P}.resize_reduced_ms`, value: ms(fl.resizeReduced), unit: 'ms', baseline: null, ratio: null },
    { name: `${P}.run_ms`, value: ms(fl.run), unit: 'ms', baseline: null, ratio: null },
    { name: `${P}.reduced_edge_px`, value: round(r.accuracy.maxEdgeInputPx, 2), unit: 'px', baseline: round(r.jitter.maxEdgeInputPx, 2), ratio: null },
    { name: `${P}.reduced_score`, value: round(r.accuracy.maxScore, 3), unit: 'score', baseline: round(r.jitter.maxScore, 3), ratio: null },
  ];
}

export function cameraFacts(r: CameraResult): string[] {
  const fl = r.floors;
  const acc = (a: Agreement) =>
    `${a.matched} predictions matched, ${a.unmatched.length} without a partner (scores ${a.unmatched.length ? `${round(Math.min(...a.unmatched.map((u) => u.score)), 3)}–${round(Math.max(...a.unmatched.map((u) => u.score)), 3)}` : '—'}); ` +
    `box edges: largest ${round(a.maxEdgeInputPx, 2)} input px (${round(a.maxEdgePx, 1)} image px), 99th percentile ${round(a.p99EdgeInputPx, 2)} input px; scores: largest ${round(a.maxScore, 3)}`;
  const w = r.folder.timings;
  const wr = r.folderReduced.timings;
  const within = r.accuracy.maxEdgeInputPx <= 1 && r.accuracy.maxScore <= 0.01;
  const overlapFull = r.folderIps / (1000 / (fl.read + fl.decodeFull + fl.resizeFull + fl.tensor + fl.run));
  return [
    `Camera photos: ${r.photos} JPEGs, ${round(r.generated.mib)} MiB${r.generated.built ? `, generated in this run (${round(r.generated.ms / 1000)} s)` : ', from the cache'}; the detector found ${round(r.predictionsPerPhoto, 1)} boxes per photo at score ≥ 0.25 (the drawn shapes and shapes it sees in the photos); the reduced decode picked 1/${r.scale}.`,
    `Camera goal (folder ≥ 3× the naive pipeline): with the manifest's default (full decode) ${round(r.folderIps / r.baselineIps, 2)}× (${round(r.folderIps, 2)} against ${round(r.baselineIps, 2)} images/s) — ` +
      `${r.folderIps / r.baselineIps >= 3 ? 'met' : 'missed'}: decoding a whole photo takes ${ms(fl.decodeFull)} ms against a ${ms(fl.run)} ms run, so the worker's overlap (the next photos decoded on libuv's threads while one runs) can at best spread the decodes over the ${os.cpus().length} cores, ` +
      `at most ${os.cpus().length}× the serial full-decode floor of ${round(1000 / (fl.read + fl.decodeFull + fl.resizeFull + fl.tensor + fl.run), 2)} images/s (here ${round(overlapFull, 2)}×); ` +
      `with \`exact: false\` ${round(r.folderReducedIps / r.baselineIps, 2)}× (${round(r.folderReducedIps, 2)} images/s) — ${r.folderReducedIps / r.baselineIps >= 3 ? 'met' : 'missed'}.`,
    `Camera folder jobs: manifest default ${round(w.prepare / r.photos)} ms prepare latency, ${ms(w.run / r.photos)} ms run, ${ms(w.decode / r.photos)} ms output decoding per photo; ` +
      `exact: false ${r.folderReducedMs.map((x) => round(x)).join(', ')} ms per job, ${round(wr.prepare / r.photos)} ms prepare latency, ${ms(wr.run / r.photos)} ms run per photo.`,
    `Camera accuracy, reduced against full decode: ${acc(r.accuracy)}. ${within ? 'Within' : 'Not within'} 1 px and 0.01, so the reduced decode ${within ? 'could be' : 'stays'} off by default (\`EXACT_BY_DEFAULT\`).`,
    `Camera accuracy, the full decode's own input changed by ±1 level at random: ${acc(r.jitter)}: this detector, made for flat shapes, moves boxes it finds in photo texture by pixels for any change of its input.`,
  ];
}
