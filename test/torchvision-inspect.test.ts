/**
 * A person adds one of torchvision's detectors as exported (an unbatched [3, H, W] image input, NMS inside the
 * graph) without writing a manifest: `models.inspect` proposes one, `models.add` accepts it, and a run through
 * the whole app gives what PyTorch gave at export (test/fixtures/layouts, made by models/train/layouts.py).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageRow, ModelInfo, Prediction } from '../common/api/contract.js';
import { AppCore } from '../electron/core/app.js';

const LAYOUTS = path.join(import.meta.dirname, 'fixtures', 'layouts');
let tmp: string;
let core: AppCore;
let image: ImageRow;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-tv-inspect-'));
  core = new AppCore({ appDataDir: path.join(tmp, 'home'), transport: 'http' });
  const photos = path.join(tmp, 'photos');
  mkdirSync(photos);
  copyFileSync(path.join(LAYOUTS, 'chelsea-320x240.png'), path.join(photos, 'chelsea.png'));
  await core.openProject(path.join(tmp, 'p.sightline'), { create: true });
  await core.jobs.wait(core.startImport(photos));
  image = core.store!.images.list({ offset: 0, limit: 10, filter: {}, sort: { by: 'path', dir: 'asc' } }).items[0];
});
afterAll(async () => {
  await core?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe.each([
  ['fasterrcnn-tiny', 'detector', 'torchvision-detection'],
  ['retinanet-tiny', 'detector', 'torchvision-detection'],
  ['ssdlite-tiny', 'detector', 'torchvision-detection'],
  ['maskrcnn-tiny', 'instance-segmenter', 'torchvision-maskrcnn'],
])('%s as exported', (name, kind, decoder) => {
  it('is proposed from its graph, added without a manifest, and runs to PyTorch boxes', async () => {
    const fx = JSON.parse(readFileSync(path.join(LAYOUTS, `${name}.json`), 'utf8')) as {
      input: { shape: number[] };
      outputs: { boxes: number[]; labels: number[]; scores: number[] };
    };
    expect(fx.input.shape).toHaveLength(3);
    const file = path.join(tmp, `${name}.onnx`);
    copyFileSync(path.join(LAYOUTS, `${name}.onnx`), file);
    const r = (await core.dispatch('models.inspect', { path: file })) as {
      io: { inputs: { dims: unknown[] }[] };
      proposal: { kind: string; decoder: string; manifest: { input: { layout: string; name: string } } };
    };
    expect(r.io.inputs[0].dims).toHaveLength(3);
    expect(r.proposal).toMatchObject({ kind, decoder, manifest: { input: { layout: 'NCHW', name: 'image' } } });
    const info = (await core.dispatch('models.add', { path: file })) as ModelInfo;
    expect(info).toMatchObject({ name, decoder });

    const { jobId, runId } = (await core.dispatch('models.run', { model: name, imageIds: [image.id], params: { score: 0, maxDetections: 1000 } })) as { jobId: string; runId: number };
    const job = await core.jobs.wait(jobId);
    expect(job.state, job.error ?? '').toBe('done');
    const preds = (await core.dispatch('predictions.list', { imageId: image.id, runId })) as Prediction[];
    const mine = preds.filter((p) => p.kind === (kind === 'detector' ? 'box' : 'mask'));
    const want = fx.outputs.scores.map((s, i) => ({ s, box: fx.outputs.boxes.slice(4 * i, 4 * i + 4) })).filter((d) => d.s > 0);
    expect(want.length).toBeGreaterThan(0);
    const got = mine.map((p) => {
      const b = p.geometry.type === 'box' ? [p.geometry.x, p.geometry.y, p.geometry.w, p.geometry.h] : (p.extras.box as number[]);
      return { s: p.score!, box: [b[0], b[1], b[0] + b[2], b[1] + b[3]] };
    });
    expect(got.length).toBe(want.length);
    for (const w of want) {
      const m = got.find((g) => Math.abs(g.s - w.s) < 1e-4 && g.box.every((v, k) => Math.abs(v - w.box[k]) < 0.01));
      expect(m, `${name}: ${w.box.map((v) => v.toFixed(2))} ${w.s.toFixed(4)}`).toBeDefined();
    }
  });
});
