/**
 * The inference runtime end to end: real onnxruntime sessions in the worker, the bundled models, real photos
 * decoded by sharp, predictions in a real project file.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageRow, Job, ModelInfo, ModelRun, Prediction } from '../common/api/contract.js';
import { AppCore } from '../electron/core/app.js';
import type { InferenceResult } from '../electron/core/inference/service.js';
import { ModelRegistry } from '../electron/core/inference/registry.js';
import { cudaProviderLibrary } from '../electron/core/inference/sessions.js';

const ROOT = path.resolve(__dirname, '..');
const BLAZEFACE = path.join(ROOT, 'models/blazeface');
/** skimage's astronaut: the face, x1, y1, x2, y2 in image pixels. */
const FACE = [177, 82, 272, 176];

let tmp: string;
let photos: string;
let core: AppCore;
let images: ImageRow[];

const byName = (name: string) => {
  const row = images.find((i) => i.relPath === name);
  if (!row) throw new Error(`${name} was not imported`);
  return row;
};

async function run(args: Record<string, unknown>): Promise<{ job: Job; result: InferenceResult; runId: number }> {
  const { jobId, runId } = (await core.dispatch('models.run', args)) as { jobId: string; runId: number };
  const job = await core.jobs.wait(jobId);
  return { job, result: job.result as InferenceResult, runId };
}

async function predictions(imageId: number, runId: number): Promise<Prediction[]> {
  return (await core.dispatch('predictions.list', { imageId, runId })) as Prediction[];
}

async function runRow(runId: number): Promise<ModelRun> {
  return ((await core.dispatch('runs.list', {})) as ModelRun[]).find((r) => r.id === runId)!;
}

function faceBoxes(preds: Prediction[]): number[][] {
  return preds
    .filter((p) => p.kind === 'box' && !p.extras.suppressed)
    .map((p) => (p.geometry.type === 'box' ? [p.geometry.x, p.geometry.y, p.geometry.x + p.geometry.w, p.geometry.y + p.geometry.h] : []));
}

function expectOneFace(preds: Prediction[]): void {
  const boxes = faceBoxes(preds);
  expect(boxes).toHaveLength(1);
  boxes[0].forEach((v, i) => expect(Math.abs(v - FACE[i]), `box ${boxes[0].map(Math.round)} vs ${FACE}`).toBeLessThanOrEqual(5));
}

async function expectApiError(call: Promise<unknown>, code: string): Promise<{ message: string; details?: unknown }> {
  const e = (await call.then(
    () => null,
    (err: unknown) => err,
  )) as { code: string; message: string; details?: unknown } | null;
  expect(e, 'the call should have failed').not.toBeNull();
  expect(e!.code, e!.message).toBe(code);
  return e!;
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-inference-'));
  photos = path.join(tmp, 'photos');
  cpSync(path.join(ROOT, 'test/fixtures/images'), photos, { recursive: true });
  // The EXIF trap: the top 400 rows of the astronaut, stored turned 90° clockwise, with orientation 8 so that a
  // viewer turns it back. Displayed it is the astronaut (512×400); its pixels are 400×512 and sideways.
  const top = await sharp(path.join(ROOT, 'test/fixtures/images/astronaut.png')).extract({ left: 0, top: 0, width: 512, height: 400 }).png().toBuffer();
  await sharp(top).rotate(90).withMetadata({ orientation: 8 }).jpeg({ quality: 95 }).toFile(path.join(photos, 'astronaut-exif8.jpg'));
  await sharp({ create: { width: 16, height: 16, channels: 3, background: '#101010' } }).png().toFile(path.join(photos, 'dark.png'));
  await sharp({ create: { width: 16, height: 16, channels: 3, background: '#f0f0f0' } }).png().toFile(path.join(photos, 'bright.png'));

  core = new AppCore({ appDataDir: path.join(tmp, 'home'), transport: 'http' });
  await core.openProject(path.join(tmp, 'p.sightline'), { create: true });
  const job = await core.jobs.wait(core.startImport(photos));
  expect(job.state).toBe('done');
  images = core.store!.images.list({ offset: 0, limit: 1000, filter: {}, sort: { by: 'path', dir: 'asc' } }).items;
});

afterAll(async () => {
  await core?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('models.run with the bundled BlazeFace', () => {
  it('stores predictions for every photo, records the CPU, finds the astronaut exactly once', async () => {
    const { job, result, runId } = await run({ model: 'blazeface', all: true, provider: 'cpu' });
    expect(job.state, job.error ?? '').toBe('done');
    expect(result.provider).toBe('cpu');
    expect(result.images).toBe(images.length);
    expect(result.errors).toEqual([]);
    const row = await runRow(runId);
    expect(row).toMatchObject({ model: 'blazeface', provider: 'cpu', status: 'done', images: images.length });
    expect(row.predictions).toBe(result.predictions);

    const astronaut = await predictions(byName('astronaut.png').id, runId);
    expectOneFace(astronaut);
    const box = astronaut.find((p) => p.kind === 'box')!;
    expect(box.label).toBe('face');
    expect(box.score).toBeGreaterThan(0.5);
    // Six landmarks, inside the face.
    const kp = astronaut.find((p) => p.kind === 'keypoints')!;
    expect(kp.geometry.type === 'keypoints' && kp.geometry.points.length).toBe(18);
    // Every processed image has its image row, with or without faces.
    for (const im of images) {
      const rows = await predictions(im.id, runId);
      expect(rows.filter((p) => p.extras.kind === 'image-extras'), im.relPath).toHaveLength(1);
    }
  });

  it('puts the face where it is displayed on an EXIF-rotated copy', async () => {
    const exif = byName('astronaut-exif8.jpg');
    expect([exif.width, exif.height, exif.orientation]).toEqual([512, 400, 8]);
    const { runId } = await run({ model: 'blazeface', imageIds: [exif.id], provider: 'cpu' });
    expectOneFace(await predictions(exif.id, runId));
  });

  it('maps a project class by name and keeps the label', async () => {
    const face = core.store!.classes.upsert({ name: 'face' });
    const { runId } = await run({ model: 'blazeface', imageIds: [byName('astronaut.png').id], provider: 'cpu' });
    const box = (await predictions(byName('astronaut.png').id, runId)).find((p) => p.kind === 'box')!;
    expect(box).toMatchObject({ classId: face.id, label: 'face' });
  });

  it('keeps the candidates NMS merged when asked, flagged as suppressed', async () => {
    const id = byName('astronaut.png').id;
    const { runId } = await run({ model: 'blazeface', imageIds: [id], provider: 'cpu', params: { keepSuppressed: true, score: 0.3 } });
    const rows = await predictions(id, runId);
    expect(rows.filter((p) => p.extras.suppressed === true).length).toBeGreaterThan(0);
    expectOneFace(rows);
    expect((await runRow(runId)).parameters).toMatchObject({ score: 0.3, keepSuppressed: true });
  });

  it.skipIf(existsSync(cudaProviderLibrary()))('CUDA asked for without its provider library: runs on the CPU and says so', async () => {
    const { job, result, runId } = await run({ model: 'blazeface', imageIds: [byName('astronaut.png').id], provider: 'cuda' });
    expect(job.state).toBe('done');
    expect(result.provider).toBe('cpu');
    expect(result.warning).toMatch(/CUDA was requested but is not available: .*libonnxruntime_providers_cuda\.so.*Running on the CPU/);
    expect(job.message).toContain(result.warning);
    expect(await runRow(runId)).toMatchObject({ provider: 'cpu', parameters: expect.objectContaining({ provider: 'cuda' }) });
    const info = ((await core.dispatch('models.list', {})) as ModelInfo[]).find((m) => m.name === 'blazeface')!;
    expect(info.provider).toBe('cpu');
  });

  it('predictions.list without a run gives the latest run of each model on the image', async () => {
    const id = byName('astronaut.png').id;
    const { runId } = await run({ model: 'blazeface', imageIds: [id], provider: 'cpu' });
    const latest = (await core.dispatch('predictions.list', { imageId: id })) as Prediction[];
    expect(new Set(latest.map((p) => p.runId))).toEqual(new Set([runId]));
    expectOneFace(latest);
  });
});

describe('models.add and models.inspect refuse bad models by name', () => {
  it('random bytes: invalid_file naming the file', async () => {
    const file = path.join(tmp, 'corrupt.onnx');
    writeFileSync(file, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251)));
    const e = await expectApiError(core.dispatch('models.add', { path: file }), 'invalid_file');
    expect(e.message).toContain(file);
    expect(e.message).toMatch(/is not an ONNX model: .+/);
    await expectApiError(core.dispatch('models.inspect', { path: file }), 'invalid_file');
  });

  it('a manifest that disagrees with the graph: invalid_file listing each mismatch', async () => {
    const manifest = JSON.parse(readFileSync(path.join(BLAZEFACE, 'manifest.json'), 'utf8'));
    const wrong = { ...manifest, name: 'wrong-face', input: { ...manifest.input, width: 256, height: 256 } };
    const file = path.join(BLAZEFACE, 'model.onnx');
    const e = await expectApiError(core.dispatch('models.add', { path: file, manifest: wrong }), 'invalid_file');
    expect(e.message).toContain(file);
    expect(e.message).toMatch(/height is fixed at 128 but the input policy \(letterbox\) gives 256/);
    expect(e.message).toMatch(/width is fixed at 128/);
    expect((e.details as { mismatches: string[] }).mismatches).toHaveLength(2);
  });

  it('a manifest with missing and wrong fields: bad_request naming them', async () => {
    const e = await expectApiError(core.dispatch('models.add', { path: path.join(BLAZEFACE, 'model.onnx'), manifest: { name: 'Bad Name', kind: 'detector' } }), 'bad_request');
    expect(e.message).toMatch(/name: /);
    expect(e.message).toMatch(/decoder: /);
    expect(e.message).toMatch(/input: /);
  });

  it('inspect reads the IO and proposes BlazeFace; add without a manifest uses the proposal', async () => {
    const file = path.join(tmp, 'my-face.onnx');
    cpSync(path.join(BLAZEFACE, 'model.onnx'), file);
    const r = (await core.dispatch('models.inspect', { path: file })) as { io: { inputs: { dims: unknown[] }[] }; proposal: { decoder: string } };
    expect(r.io.inputs[0].dims).toEqual([1, 128, 128, 3]);
    expect(r.proposal.decoder).toBe('blazeface');
    const info = (await core.dispatch('models.add', { path: file })) as ModelInfo;
    expect(info).toMatchObject({ name: 'my-face', source: 'user', decoder: 'blazeface' });
    await expectApiError(core.dispatch('models.add', { path: file }), 'conflict');
    const { result } = await run({ model: 'my-face', imageIds: [byName('astronaut.png').id] });
    expect(result.images).toBe(1);
    await expectApiError(core.dispatch('models.remove', { name: 'blazeface' }), 'bad_request');
    await core.dispatch('models.remove', { name: 'my-face' });
    expect(((await core.dispatch('models.list', {})) as ModelInfo[]).map((m) => m.name)).not.toContain('my-face');
  });
  it('a broken bundled manifest is listed as invalid with its problem; the other models still load', async () => {
    const res = path.join(tmp, 'resources');
    mkdirSync(path.join(res, 'models', 'broken'), { recursive: true });
    cpSync(BLAZEFACE, path.join(res, 'models', 'blazeface'), { recursive: true });
    writeFileSync(path.join(res, 'models', 'broken', 'manifest.json'), JSON.stringify({ name: 'broken', kind: 'detector', decoder: 'yolo-nine' }));
    const registry = new ModelRegistry(res, core.inference.pool);
    const infos = await Promise.all(registry.list(null).map((m) => registry.info(null, m)));
    expect(infos.map((m) => [m.name, m.kind])).toEqual([
      ['blazeface', 'keypoints'],
      ['broken', 'invalid'],
    ]);
    expect(infos[1].description).toContain(path.join(res, 'models', 'broken', 'manifest.json'));
    expect(infos[1].description).toMatch(/decoder: /);
    expect(() => registry.find(null, 'broken')).toThrow(/cannot be used/);
  });
});

describe('failures and cancel keep what finished', () => {
  it('NaN in the outputs fails that image, not the run', async () => {
    const manifest = {
      name: 'nan-when-dark',
      kind: 'classifier-localizer',
      decoder: 'cls-loc',
      files: { model: 'nan-when-dark.onnx' },
      input: { resize: 'stretch', width: 8, height: 8 },
      classes: ['dim', 'other'],
      thresholds: { score: 0 },
    };
    writeFileSync(path.join(tmp, 'nan.json'), JSON.stringify(manifest));
    cpSync(path.join(ROOT, 'test/fixtures/onnx/nan-when-dark.onnx'), path.join(tmp, 'nan-when-dark.onnx'));
    await core.dispatch('models.add', { path: path.join(tmp, 'nan.json') });
    const dark = byName('dark.png');
    const bright = byName('bright.png');
    const { job, result, runId } = await run({ model: 'nan-when-dark', imageIds: [dark.id, bright.id] });
    expect(job.state).toBe('done');
    expect(result.images).toBe(1);
    expect(result.errors).toEqual([{ imageId: dark.id, path: path.join(photos, 'dark.png'), reason: expect.stringMatching(/model produced NaN/) }]);
    expect((await predictions(bright.id, runId)).some((p) => p.kind === 'box')).toBe(true);
    const darkRows = await predictions(dark.id, runId);
    expect(darkRows).toHaveLength(1);
    expect(darkRows[0].extras).toMatchObject({ kind: 'image-extras', error: expect.stringMatching(/NaN/) });
  });

  it('a run cancelled mid-way ends cancelled and keeps the finished images', async () => {
    const ids = Array.from({ length: 30 }, () => images.map((i) => i.id)).flat();
    const { jobId, runId } = (await core.dispatch('models.run', { model: 'blazeface', imageIds: ids, provider: 'cpu' })) as { jobId: string; runId: number };
    const off = core.onEvent((event, payload) => {
      const j = payload as Job;
      if (event === 'job' && j.id === jobId && j.done >= 3) void core.dispatch('jobs.cancel', { id: jobId });
    });
    const job = await core.jobs.wait(jobId);
    off();
    const result = job.result as InferenceResult;
    expect(job.state).toBe('cancelled');
    expect(result.cancelled).toBe(true);
    expect(result.images).toBeGreaterThanOrEqual(3);
    expect(result.images).toBeLessThan(ids.length);
    const row = await runRow(runId);
    expect(row).toMatchObject({ status: 'cancelled', images: result.images, predictions: result.predictions });
    expect(row.predictions).toBeGreaterThan(0);
  });

  it('an image whose file was deleted after import fails alone', async () => {
    const gone = byName('coffee.jpg');
    rmSync(path.join(photos, 'coffee.jpg'));
    const ids = [byName('astronaut.png').id, gone.id, byName('chelsea.jpg').id];
    const { job, result, runId } = await run({ model: 'blazeface', imageIds: ids, provider: 'cpu' });
    expect(job.state).toBe('done');
    expect(result.images).toBe(2);
    expect(result.errors).toEqual([{ imageId: gone.id, path: path.join(photos, 'coffee.jpg'), reason: expect.stringMatching(/gone.*coffee\.jpg/) }]);
    expectOneFace(await predictions(ids[0], runId));
    expect(await runRow(runId)).toMatchObject({ status: 'done', images: 2 });
  });

  it('a model whose file is not ONNX fails the run with a message naming the file', async () => {
    const file = path.join(tmp, 'broken.onnx');
    cpSync(path.join(BLAZEFACE, 'model.onnx'), file);
    const manifest = JSON.parse(readFileSync(path.join(BLAZEFACE, 'manifest.json'), 'utf8'));
    await core.dispatch('models.add', { path: file, manifest: { ...manifest, name: 'soon-broken', files: { model: 'broken.onnx' } } });
    writeFileSync(file, 'not a model any more');
    const e = await expectApiError(core.dispatch('models.run', { model: 'soon-broken', all: true }), 'invalid_file');
    expect(e.message).toContain(file);
  });
});

describe('text: ppocr-det with ppocr-rec reading each line', () => {
  it('reads the lines of a rendered image into the polygons', async () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'models/ppocr-det/manifest.json'), 'utf8'));
    const ocr = { ...manifest, name: 'ocr', files: { model: path.join(ROOT, 'models/ppocr-det/model.onnx') }, textDetector: { ...manifest.textDetector, recognizer: 'ppocr-rec' } };
    await core.dispatch('models.add', { path: path.join(ROOT, 'models/ppocr-det/model.onnx'), manifest: ocr });
    const dir = path.join(tmp, 'ocr');
    cpSync(path.join(ROOT, 'test/fixtures/ocr'), dir, { recursive: true });
    await core.jobs.wait(core.startImport(dir));
    const id = core.store!.images.list({ offset: 0, limit: 10, filter: { text: 'hello.png' }, sort: { by: 'path', dir: 'asc' } }).items[0].id;
    const { result, runId } = await run({ model: 'ocr', imageIds: [id] });
    expect(result.errors).toEqual([]);
    const lines = (await predictions(id, runId)).filter((p) => p.kind === 'polygon');
    expect(lines.map((p) => p.extras.text)).toEqual(['Hello Sightline 2024', expect.stringMatching(/^OPEN ?THE ?DOOR$/)]);
    expect(lines[0].label).toBe('Hello Sightline 2024');
  });
});

describe('captioner: encoder, then the decoder step under beam search', () => {
  const FIXTURES = path.join(ROOT, 'test/fixtures/onnx');
  let imageId: number;

  beforeAll(async () => {
    const dir = path.join(tmp, 'captioner');
    cpSync(FIXTURES, dir, { recursive: true });
    await core.dispatch('models.add', { path: path.join(dir, 'tiny-captioner.json') });
    // A solid colour: every resize gives the same pixels, so the input equals the tensor PyTorch saw at export.
    const golden = JSON.parse(readFileSync(path.join(FIXTURES, 'tiny-captioner.golden.json'), 'utf8'));
    const [r, g, b] = golden.colour;
    const folder = path.join(tmp, 'solid');
    mkdirSync(folder);
    await sharp({ create: { width: 40, height: 24, channels: 3, background: { r, g, b } } }).png().toFile(path.join(folder, 'solid.png'));
    await core.jobs.wait(core.startImport(folder));
    imageId = core.store!.images.list({ offset: 0, limit: 10, filter: { text: 'solid.png' }, sort: { by: 'path', dir: 'asc' } }).items[0].id;
  });

  it('beam 1 gives PyTorch greedy tokens, one attention row per word summing to 1', async () => {
    const golden = JSON.parse(readFileSync(path.join(FIXTURES, 'tiny-captioner.golden.json'), 'utf8'));
    const { result, runId } = await run({ model: 'tiny-captioner', imageIds: [imageId], params: { beamSize: 1 } });
    expect(result.errors).toEqual([]);
    const caption = (await predictions(imageId, runId)).find((p) => p.kind === 'caption')!;
    expect(caption.geometry).toEqual({ type: 'caption', text: golden.caption });
    expect(caption.extras.tokens).toEqual(golden.greedyTokens);
    expect(caption.extras.featureGrid).toEqual([2, 2]);
    const attention = caption.extras.attention as number[][];
    expect(attention).toHaveLength(golden.greedyTokens.length);
    for (const row of attention) {
      expect(row).toHaveLength(4);
      expect(row.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
    }
    expect(caption.extras.beams).toHaveLength(1);
  });

  it("the manifest's beam size by default: every beam kept, the best one as the caption", async () => {
    const { runId } = await run({ model: 'tiny-captioner', imageIds: [imageId] });
    const caption = (await predictions(imageId, runId)).find((p) => p.kind === 'caption')!;
    const beams = caption.extras.beams as { caption: string; logProb: number; tokens: number[]; finished: boolean }[];
    expect(beams).toHaveLength(3);
    expect(caption.geometry.type === 'caption' && caption.geometry.text).toBe(beams[0].caption);
    expect(new Set(beams.map((b) => b.caption)).size).toBe(3);
    // Best first: finished beams before unfinished ones, each group by total log-probability, highest first. The
    // caption is the best beam's, so a reversed sort would label the image with the worst one.
    for (let i = 1; i < beams.length; i++) {
      const [a, b] = [beams[i - 1], beams[i]];
      expect(Number(b.finished) <= Number(a.finished), `beam ${i} finished before beam ${i - 1}`).toBe(true);
      if (a.finished === b.finished) expect(b.logProb, `beam ${i} outranks beam ${i - 1}`).toBeLessThanOrEqual(a.logProb);
    }
    expect(beams[0].logProb).toBeGreaterThan(beams[2].logProb);
    expect(caption.extras.tokens).toEqual(beams[0].tokens);
    // Its score is the best beam's geometric-mean token probability (the words, and the end token if it has one).
    expect(caption.score).toBeCloseTo(Math.exp(beams[0].logProb / (beams[0].tokens.length + (beams[0].finished ? 1 : 0))), 6);
  });
});
