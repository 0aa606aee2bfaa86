/**
 * The bundled pretrained models (BlazeFace, PP-OCRv4 det + rec) on real images, through our own pre-processing
 * and decoders with onnxruntime-node and sharp directly (no worker, no project): the numbers the issue promises,
 * plus golden JSON in models/<name>/golden/ so a later refactor that moves a box or changes a character fails.
 * SIGHTLINE_UPDATE_GOLDEN=1 rewrites the golden files (and re-renders lines.png from lines.svg) instead.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp, { type Sharp } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TensorInfo } from '../common/api/contract.js';
import { decodeBlazeFace } from '../common/inference/decoders/blazeface.js';
import { decodeCtc, parseAlphabetFile } from '../common/inference/decoders/ctc.js';
import { decodeDbText } from '../common/inference/decoders/dbText.js';
import type { Decoder } from '../common/inference/decoders/types.js';
import { ModelManifest, resolveInput } from '../common/inference/manifest.js';
import { planInput, toInputTensor } from '../common/inference/preprocess.js';
import { checkManifestAgainstIO, proposeDecoder, type GraphIO } from '../common/inference/propose.js';
import type { DecodeResult, Tensor } from '../common/inference/types.js';
import { resampleImage } from '../electron/core/inference/pipeline.js';

const ROOT = path.join(import.meta.dirname, '..');
const MODELS = path.join(ROOT, 'models');
const UPDATE = process.env.SIGHTLINE_UPDATE_GOLDEN === '1';

interface Model {
  manifest: ModelManifest;
  session: ort.InferenceSession;
}

async function loadModel(name: string): Promise<Model> {
  const dir = path.join(MODELS, name);
  const manifest = ModelManifest.parse(JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')));
  const spec = manifest.textRecognizer;
  if (spec?.alphabetFile) spec.alphabet = parseAlphabetFile(readFileSync(path.join(dir, spec.alphabetFile), 'utf8'));
  if (!('model' in manifest.files)) throw new Error(`${name} is not a one-graph model`);
  // Severity 3: the BlazeFace export warns about unused initialisers on every load.
  const session = await ort.InferenceSession.create(path.join(dir, manifest.files.model), { logSeverityLevel: 3 });
  return { manifest, session };
}

function graphIO(session: ort.InferenceSession): GraphIO {
  const info = (m: ort.InferenceSession.ValueMetadata): TensorInfo => ({ name: m.name, type: m.isTensor ? m.type : 'non-tensor', dims: m.isTensor ? [...m.shape] : [] });
  return { inputs: session.inputMetadata.map(info), outputs: session.outputMetadata.map(info) };
}

/**
 * Displayed pixels (EXIF-rotated, 8-bit RGB) → the plan's resize, resampled as the manifest says (the runtime's own
 * `resampleImage`) → tensor → run → decode.
 */
async function predict(model: Model, image: Sharp, decode: Decoder): Promise<DecodeResult> {
  const { manifest, session } = model;
  const meta = await image.clone().metadata();
  const { width, height } = meta.autoOrient ?? meta;
  const policy = resolveInput(manifest);
  const plan = planInput(policy, width!, height!);
  const resized = await resampleImage({ width: width!, height: height!, open: () => image.clone().autoOrient() }, plan.resizeWidth, plan.resizeHeight, policy.resample);
  const x = toInputTensor(resized, plan, policy);
  const name = manifest.input.name ?? session.inputNames[0];
  const outputs = await session.run({ [name]: new ort.Tensor('float32', x.data as Float32Array, x.dims) });
  return decode(outputs as unknown as Record<string, Tensor>, { manifest, transform: plan.transform, thresholds: manifest.thresholds });
}

const round = (v: number) => Math.round(v * 1000) / 1000;

/** Write the golden file (update mode) or compare with it: numbers within `tol`, strings exactly. */
function golden(file: string, actual: unknown, tol: number): void {
  const full = path.join(MODELS, file);
  if (UPDATE) {
    writeFileSync(full, JSON.stringify(actual, (_, v) => (typeof v === 'number' ? round(v) : v), 2) + '\n');
    return;
  }
  const expected = JSON.parse(readFileSync(full, 'utf8'));
  const near = (a: unknown, e: unknown, at: string): void => {
    if (typeof e === 'number') {
      expect(typeof a, at).toBe('number');
      expect(Math.abs((a as number) - e), `${at}: ${a} vs golden ${e}`).toBeLessThanOrEqual(tol);
    } else if (Array.isArray(e)) {
      expect((a as unknown[]).length, `${at}.length`).toBe(e.length);
      e.forEach((v, i) => near((a as unknown[])[i], v, `${at}[${i}]`));
    } else if (e && typeof e === 'object') {
      expect(Object.keys(a as object).sort(), at).toEqual(Object.keys(e).sort());
      for (const k of Object.keys(e)) near((a as Record<string, unknown>)[k], (e as Record<string, unknown>)[k], `${at}.${k}`);
    } else {
      expect(a, at).toEqual(e);
    }
  };
  near(actual, expected, file);
}

let blazeface: Model;
let det: Model;
let rec: Model;
beforeAll(async () => {
  [blazeface, det, rec] = await Promise.all([loadModel('blazeface'), loadModel('ppocr-det'), loadModel('ppocr-rec')]);
});
afterAll(async () => {
  await Promise.all([blazeface, det, rec].map((m) => m?.session.release()));
});

describe('bundled models: graph ↔ manifest', () => {
  it('proposes the decoder each bundled manifest names, and each manifest agrees with its graph', () => {
    for (const m of [blazeface, det, rec]) {
      const io = graphIO(m.session);
      expect(proposeDecoder(io)?.decoder, m.manifest.name).toBe(m.manifest.decoder);
      expect(checkManifestAgainstIO(m.manifest, io), m.manifest.name).toEqual([]);
    }
  });

  it('names the mismatch when a manifest does not fit its graph', () => {
    const io = graphIO(blazeface.session);
    const nchw = ModelManifest.parse({ ...blazeface.manifest, input: { ...blazeface.manifest.input, layout: 'NCHW' } });
    expect(checkManifestAgainstIO(nchw, io)).toEqual(['input.layout is NCHW but the image input input:0 [1, 128, 128, 3] has 128 where the 3 channels should be']);
    const short = ModelManifest.parse({ ...rec.manifest, textRecognizer: { alphabet: rec.manifest.textRecognizer!.alphabet!.slice(1) } });
    expect(checkManifestAgainstIO(short, graphIO(rec.session))).toEqual([
      'softmax_11.tmp_0 [p2o.DynamicDimension.2, p2o.DynamicDimension.3, 6625] scores 6625 classes (blank + 6624 characters) but the alphabet has 6622 characters',
    ]);
  });
});

describe('BlazeFace', () => {
  it("finds exactly the astronaut's face, within 5 px of (177, 82)–(272, 176), with six landmarks on it", async () => {
    const { predictions } = await predict(blazeface, sharp(path.join(ROOT, 'test/fixtures/images/astronaut.png')), decodeBlazeFace);
    const faces = predictions.filter((p) => p.kind === 'box');
    expect(faces).toHaveLength(1);
    const g = faces[0].geometry as { x: number; y: number; w: number; h: number };
    const corners = [g.x, g.y, g.x + g.w, g.y + g.h];
    [177, 82, 272, 176].forEach((v, i) => expect(Math.abs(corners[i] - v), `corner ${i}: ${corners[i]}`).toBeLessThanOrEqual(5));
    const kp = faces[0].extras!.keypoints as { name: string; x: number; y: number }[];
    expect(kp.map((k) => k.name)).toEqual(['right eye', 'left eye', 'nose tip', 'mouth center', 'right ear tragion', 'left ear tragion']);
    // The person's right eye is on the image's left, both above the nose, the nose above the mouth.
    const at = (n: string) => kp.find((k) => k.name === n)!;
    expect(at('right eye').x).toBeLessThan(at('left eye').x);
    expect(Math.max(at('right eye').y, at('left eye').y)).toBeLessThan(at('nose tip').y);
    expect(at('nose tip').y).toBeLessThan(at('mouth center').y);
    for (const k of kp) {
      expect(k.x).toBeGreaterThanOrEqual(g.x - 2);
      expect(k.x).toBeLessThanOrEqual(g.x + g.w + 2);
    }
    expect(predictions.filter((p) => p.kind === 'keypoints')).toHaveLength(1);
    golden('blazeface/golden/astronaut.json', { image: 'test/fixtures/images/astronaut.png', faces: faces.map((f) => ({ score: f.score, box: corners, keypoints: kp.map((k) => [k.x, k.y]) })) }, 0.5);
  });

  it('finds no face in a photo of a coffee cup', async () => {
    const { predictions } = await predict(blazeface, sharp(path.join(ROOT, 'test/fixtures/images/coffee.jpg')), decodeBlazeFace);
    expect(predictions).toEqual([]);
  });
});

describe('PP-OCRv4', () => {
  const svg = path.join(MODELS, 'ppocr-det/golden/lines.svg');
  const png = path.join(MODELS, 'ppocr-det/golden/lines.png');

  it('detects both printed lines and reads them exactly', async () => {
    if (UPDATE) await sharp(svg).flatten({ background: '#ffffff' }).png({ compressionLevel: 9 }).toFile(png);
    const lines = (await predict(det, sharp(png), decodeDbText)).predictions;
    expect(lines.map((l) => l.kind)).toEqual(['polygon', 'polygon']);
    const boxes = lines
      .map((l) => {
        const p = (l.geometry as { points: number[] }).points;
        const xs = p.filter((_, i) => i % 2 === 0);
        const ys = p.filter((_, i) => i % 2 === 1);
        return { line: l, x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) };
      })
      .sort((a, b) => a.y0 - b.y0);
    // The SVG's baselines are y = 80 (40 px type) and y = 150 (28 px type), both starting at x = 40.
    expect(boxes[0].y0).toBeLessThan(54);
    expect(boxes[0].y1).toBeGreaterThan(80);
    expect(boxes[1].y0).toBeGreaterThan(boxes[0].y1 - 5);
    for (const b of boxes) expect(Math.abs(b.x0 - 40)).toBeLessThan(8);

    // Each line: the axis-aligned box around its polygon, cropped from the full image, read by the recogniser.
    const read: { text: string; score: number }[] = [];
    for (const b of boxes) {
      const left = Math.max(0, Math.floor(b.x0));
      const top = Math.max(0, Math.floor(b.y0));
      const crop = sharp(await sharp(png).extract({ left, top, width: Math.min(480, Math.ceil(b.x1)) - left, height: Math.min(200, Math.ceil(b.y1)) - top }).png().toBuffer());
      const [text] = (await predict(rec, crop, decodeCtc)).predictions;
      read.push({ text: text.label!, score: text.score! });
    }
    expect(read.map((r) => r.text)).toEqual(['SIGHTLINE 2026', 'open models, seen inside']);
    for (const r of read) expect(r.score).toBeGreaterThan(0.9);

    golden('ppocr-det/golden/lines.json', { image: 'lines.png', lines: boxes.map((b) => ({ score: b.line.score, points: (b.line.geometry as { points: number[] }).points })) }, 1.5);
    golden('ppocr-rec/golden/lines.json', { image: '../ppocr-det/golden/lines.png', lines: read }, 0.01);
  });
});
