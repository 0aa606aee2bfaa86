/**
 * torchvision's real detection and segmentation graphs (small exports from models/train/layouts.py, seeded
 * random weights) run in onnxruntime and decoded by our decoders must give what PyTorch gave at export time
 * (saved beside each graph as JSON).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeRle, rleIou, type Rle } from '../common/geometry/rle.js';
import { decodeSemanticLogits, SCORE_MAP_SIDE } from '../common/inference/decoders/semantic.js';
import { decodeTorchvisionDetection, decodeTorchvisionMaskRcnn } from '../common/inference/decoders/torchvision.js';
import type { Decoder, DecodeContext } from '../common/inference/decoders/types.js';
import { ModelManifest, type ModelManifestInput } from '../common/inference/manifest.js';
import { planInput, toInputTensor } from '../common/inference/preprocess.js';
import type { DecodedPrediction, Tensor } from '../common/inference/types.js';

const DIR = path.join(import.meta.dirname, 'fixtures', 'layouts');

interface CocoRle {
  size: [number, number];
  counts: number[];
}
interface Fixture {
  image: string;
  input: { name: string; shape: number[]; scale: number; mean: [number, number, number]; std: [number, number, number] };
  labelOffset?: number;
  outputs: {
    boxes?: number[];
    labels?: number[];
    scores?: number[];
    masksRle?: CocoRle[];
    outShape?: number[];
    labelsRle?: CocoRle[];
  };
}

const fixture = (name: string): Fixture => JSON.parse(readFileSync(path.join(DIR, `${name}.json`), 'utf8'));
const toRle = (r: CocoRle): Rle => ({ height: r.size[0], width: r.size[1], counts: r.counts });

/** The fixture's photo through our own pre-processing (the manifest's input policy), run by onnxruntime. */
async function run(name: string, fx: Fixture, m: Partial<ModelManifestInput>): Promise<{ outputs: Record<string, Tensor>; ctx: DecodeContext }> {
  const [h, w] = fx.input.shape.slice(-2);
  const manifest = ModelManifest.parse({
    name,
    files: { model: `${name}.onnx` },
    input: { resize: 'stretch', width: w, height: h, scale: fx.input.scale, mean: fx.input.mean, std: fx.input.std },
    thresholds: { score: 0, maxDetections: 1000 },
    ...m,
  } as ModelManifestInput);
  const { data, info } = await sharp(path.join(DIR, fx.image)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  expect([info.width, info.height]).toEqual([w, h]);
  const plan = planInput(manifest.input, w, h);
  const x = toInputTensor({ data, width: w, height: h, channels: 3 }, plan, manifest.input);
  // Severity 3: the Mask R-CNN graph warns on every run about a loop output shape its export left at 1.
  const session = await ort.InferenceSession.create(path.join(DIR, `${name}.onnx`), { logSeverityLevel: 3 });
  try {
    // torchvision detectors take one [3, H, W] image, segmenters a [1, 3, H, W] batch: the fixture says which.
    const feeds = { [fx.input.name]: new ort.Tensor('float32', x.data as Float32Array, fx.input.shape) };
    const outputs = (await session.run(feeds)) as unknown as Record<string, Tensor>;
    return { outputs, ctx: { manifest, transform: plan.transform, thresholds: manifest.thresholds } };
  } finally {
    await session.release();
  }
}

const close = (a: number, b: number, rel: number): boolean => Math.abs(a - b) <= rel * Math.max(1, Math.abs(b));

/**
 * Pair each PyTorch detection with a decoded one of the same label, box and score. Matching instead of
 * comparing by position: several detections score within 1e-5 of each other, so their order may differ.
 */
function match(fx: Fixture, predictions: DecodedPrediction[], offset: number): number[] {
  const { boxes, labels, scores } = fx.outputs as Required<Fixture['outputs']>;
  expect(predictions).toHaveLength(scores.length);
  const used = new Set<number>();
  return scores.map((score, i) => {
    const b = boxes.slice(4 * i, 4 * i + 4);
    const j = predictions.findIndex((p, k) => {
      if (used.has(k) || p.classIndex !== labels[i] - offset || !close(p.score!, score, 1e-4)) return false;
      const g = p.kind === 'mask' ? (p.extras!.box as number[]) : p.geometry.type === 'box' ? [p.geometry.x, p.geometry.y, p.geometry.w, p.geometry.h] : [];
      const xyxy = [g[0], g[1], g[0] + g[2], g[1] + g[3]];
      return xyxy.every((v, c) => close(v, b[c], 1e-3));
    });
    expect(j, `PyTorch detection ${i} (label ${labels[i]}, score ${score}, box ${b.map((v) => v.toFixed(2))}) has no decoded match`).toBeGreaterThanOrEqual(0);
    used.add(j);
    return j;
  });
}

const DETECTION: Partial<ModelManifestInput> = { kind: 'detector', decoder: 'torchvision-detection', nms: 'none', labelOffset: 1, classes: ['a', 'b', 'c'] };

describe('torchvision detection graphs', () => {
  for (const name of ['fasterrcnn-tiny', 'retinanet-tiny', 'ssdlite-tiny']) {
    it(`${name}: boxes, labels and scores as PyTorch's`, async () => {
      const fx = fixture(name);
      const { outputs, ctx } = await run(name, fx, DETECTION);
      const r = (decodeTorchvisionDetection as Decoder)(outputs, ctx);
      expect(r.predictions.every((p) => p.kind === 'box')).toBe(true);
      match(fx, r.predictions, 1);
    });
  }

  it('maskrcnn-tiny: masks pasted into the image as PyTorch pasted them', async () => {
    const fx = fixture('maskrcnn-tiny');
    const { outputs, ctx } = await run('maskrcnn-tiny', fx, { ...DETECTION, kind: 'instance-segmenter', decoder: 'torchvision-maskrcnn' });
    const r = decodeTorchvisionMaskRcnn(outputs, ctx);
    const pairs = match(fx, r.predictions, 1);
    let nonEmpty = 0;
    pairs.forEach((j, i) => {
      const g = r.predictions[j].geometry;
      if (g.type !== 'mask') throw new Error('not a mask');
      const expected = toRle(fx.outputs.masksRle![i]);
      const area = decodeRle(expected).reduce((a, b) => a + b, 0);
      if (area === 0) return expect(decodeRle(g).every((v) => v === 0)).toBe(true);
      nonEmpty++;
      expect(rleIou(g, expected), `mask ${i}`).toBeGreaterThanOrEqual(0.99);
    });
    expect(nonEmpty).toBeGreaterThan(0);
  });
});

describe('torchvision segmentation graphs', () => {
  for (const name of ['deeplabv3-tiny', 'lraspp-tiny']) {
    it(`${name}: the label map as PyTorch's argmax`, async () => {
      const fx = fixture(name);
      const { outputs, ctx } = await run(name, fx, { kind: 'semantic-segmenter', decoder: 'semantic-logits' });
      const r = decodeSemanticLogits(outputs, ctx);
      const [, classes, h, w] = fx.outputs.outShape!;
      const ours = new Int16Array(w * h).fill(-1);
      for (const p of r.predictions) {
        if (p.geometry.type !== 'mask') throw new Error('not a mask');
        decodeRle(p.geometry).forEach((v, i) => v && (ours[i] = p.classIndex!));
      }
      const theirs = new Int16Array(w * h).fill(-1);
      fx.outputs.labelsRle!.forEach((rle, c) => decodeRle(toRle(rle)).forEach((v, i) => v && (theirs[i] = c)));
      expect(theirs.every((v) => v >= 0)).toBe(true);
      const present = new Set(theirs);
      expect(present.size, 'the fixture should exercise more than one class').toBeGreaterThan(1);
      let same = 0;
      for (let i = 0; i < ours.length; i++) same += ours[i] === theirs[i] ? 1 : 0;
      expect(same / ours.length).toBeGreaterThanOrEqual(0.999);
      const maps = r.extras!.scoreMaps as { width: number; height: number; maps: unknown[] };
      const f = Math.ceil(Math.max(w, h) / SCORE_MAP_SIDE);
      expect([maps.width, maps.height, maps.maps.length]).toEqual([Math.ceil(w / f), Math.ceil(h / f), classes]);
    });
  }
});
