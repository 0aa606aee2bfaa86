/**
 * The worker's pre-processing on real photos: decode (EXIF-rotated) → resample as the manifest says → tensor, checked
 * against a plain bilinear written from the formula, then the bundled shapes-yolo graph run on it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelManifest, resolveInput, type Resample } from '../../../common/inference/manifest.js';
import { planInput, toInputTensor } from '../../../common/inference/preprocess.js';
import { resizeArea, resizeNearest } from '../../../common/inference/resample.js';
import type { RawImage } from '../../../common/inference/types.js';
import { decodeBmp } from '../library/bmp.js';
import { ModelRunner, prepareImage } from './pipeline.js';
import type { RuntimeModel } from './protocol.js';
import { SessionCache } from './sessions.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const IMAGES = path.join(ROOT, 'test/fixtures/images');
const YOLO = path.join(ROOT, 'models/shapes-yolo');

function model(input: Record<string, unknown>): RuntimeModel {
  const raw = JSON.parse(readFileSync(path.join(YOLO, 'manifest.json'), 'utf8'));
  const manifest = ModelManifest.parse({ ...raw, input: { ...raw.input, ...input }, files: { model: path.join(YOLO, raw.files.model) } });
  return { name: manifest.name, manifest };
}

/** The displayed pixels as 8-bit RGB, full size: sharp with EXIF rotation, or the library's BMP decoder. */
async function displayed(file: string): Promise<RawImage> {
  if (file.endsWith('.bmp')) return decodeBmp(readFileSync(file));
  const { data, info } = await sharp(file).autoOrient().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: 3 };
}

/** The bilinear formula, plainly: half-pixel centres, edge-clamped, float64, ⌊v + 0.5⌋ capped at 255. */
function plainBilinear(src: RawImage, w: number, h: number): RawImage {
  const { width: W, height: H, data } = src;
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const fy = Math.max((y + 0.5) * (H / h) - 0.5, 0);
    const y0 = Math.floor(fy), y1 = Math.min(y0 + 1, H - 1), ly = fy - y0;
    for (let x = 0; x < w; x++) {
      const fx = Math.max((x + 0.5) * (W / w) - 0.5, 0);
      const x0 = Math.floor(fx), x1 = Math.min(x0 + 1, W - 1), lx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const p = (yy: number, xx: number) => data[(yy * W + xx) * 3 + c];
        const v = (1 - ly) * ((1 - lx) * p(y0, x0) + lx * p(y0, x1)) + ly * ((1 - lx) * p(y1, x0) + lx * p(y1, x1));
        out[(y * w + x) * 3 + c] = Math.min(255, Math.floor(v + 0.5));
      }
    }
  }
  return { data: out, width: w, height: h, channels: 3 };
}

const sessions = new SessionCache();
afterAll(() => sessions.releaseAll());

describe('prepareImage resamples as the manifest says', () => {
  // A portrait JPEG, a landscape JPEG, one stored sideways with EXIF orientation 6, and a BMP (decoded without sharp).
  const photos = ['grace_hopper.jpg', 'chelsea.jpg', 'rotated-exif6.jpg', 'chelsea-24bit.bmp'];

  it.each(photos)('bilinear: the tensor of %s is the plain formula on the displayed pixels, in both letterbox geometries', async (name) => {
    const file = path.join(IMAGES, name);
    const full = await displayed(file);
    if (name === 'rotated-exif6.jpg') expect([full.width, full.height]).toEqual([160, 240]); // stored 240×160
    for (const letterbox of ['ultralytics', 'per-axis'] as const) {
      const m = model({ resample: 'bilinear', letterbox });
      const policy = resolveInput(m.manifest);
      const plan = planInput(policy, full.width, full.height);
      const prepared = await prepareImage(file, m);
      expect(prepared.input.plan).toEqual(plan);
      const want = toInputTensor(plainBilinear(full, plan.resizeWidth, plan.resizeHeight), plan, policy);
      expect(prepared.input.tensor.dims).toEqual([1, 3, 256, 256]);
      const got = prepared.input.tensor.data;
      const at = got.findIndex((v, i) => v !== want.data[i]);
      expect(at, `${name} (${letterbox}): first difference at element ${at}`).toBe(-1);
    }
  });

  it('antialias (the bundled shapes models) is sharp’s linear kernel as before; area and nearest are the pure resamplers', async () => {
    const file = path.join(IMAGES, 'grace_hopper.jpg');
    const full = await displayed(file);
    const check = async (resample: Resample, resized: (plan: { resizeWidth: number; resizeHeight: number }) => Promise<RawImage>) => {
      const m = model({ resample });
      const policy = resolveInput(m.manifest);
      const plan = planInput(policy, full.width, full.height);
      const want = toInputTensor(await resized(plan), plan, policy);
      expect(Array.from((await prepareImage(file, m)).input.tensor.data), resample).toEqual(Array.from(want.data));
    };
    await check('antialias', async (plan) => {
      const { data, info } = await sharp(file).autoOrient().resize(plan.resizeWidth, plan.resizeHeight, { fit: 'fill', kernel: 'linear' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      return { data, width: info.width, height: info.height, channels: 3 };
    });
    await check('area', async (plan) => resizeArea(full as RawImage & { channels: 3 }, plan.resizeWidth, plan.resizeHeight));
    await check('nearest', async (plan) => resizeNearest(full as RawImage & { channels: 3 }, plan.resizeWidth, plan.resizeHeight));
    // The bundled manifest says antialias.
    expect(resolveInput(model({}).manifest).resample).toBe('antialias');
  });

  it('runs the bundled shapes-yolo graph on the bilinear tensor of a real photo', async () => {
    const m = model({ resample: 'bilinear' });
    const runner = new ModelRunner(sessions);
    const open = await runner.open(m, 'cpu');
    const prepared = await prepareImage(path.join(IMAGES, 'rotated-exif6.jpg'), m);
    const { result, timings } = await runner.run(m, open, { thresholds: { ...m.manifest.thresholds, score: 0.01 }, keepSuppressed: false }, prepared);
    expect(Array.isArray(result.predictions)).toBe(true);
    for (const p of result.predictions) {
      if (p.geometry.type !== 'box') continue;
      // Predictions come back in displayed pixels of the 160×240 upright image.
      expect(p.geometry.x).toBeGreaterThanOrEqual(0);
      expect(p.geometry.x + p.geometry.w).toBeLessThanOrEqual(160 + 1e-6);
      expect(p.geometry.y + p.geometry.h).toBeLessThanOrEqual(240 + 1e-6);
    }
    expect(timings.run).toBeGreaterThan(0);
  });
});
