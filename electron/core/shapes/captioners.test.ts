/**
 * The bundled shapes captioners as exported: onnxruntime runs encoder.onnx and decoder_step.onnx on the golden images
 * and must reproduce PyTorch's greedy tokens, attention and logits saved at export (models/train/captioner.py).
 * A plain greedy loop on purpose: this checks the graphs and the golden files, not the app's decoder.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelManifest } from '../../../common/inference/manifest.js';

const MODELS = path.resolve(__dirname, '../../../models');

interface Golden {
  images: {
    image: string;
    references: string[];
    greedy: { tokens: number[]; words: string[]; attention: number[][] };
    firstStepLogits: number[];
  }[];
}

async function inputTensor(file: string, m: ModelManifest): Promise<ort.Tensor> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  expect([info.width, info.height]).toEqual([m.input.width, m.input.height]);
  const n = info.width * info.height;
  const x = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++) for (let i = 0; i < n; i++) x[c * n + i] = (data[i * 3 + c] * m.input.scale - m.input.mean[c]) / m.input.std[c];
  return new ort.Tensor('float32', x, [1, 3, info.height, info.width]);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe.each(['rnn', 'lstm', 'gru'])('shapes-caption-%s', (cell) => {
  const dir = path.join(MODELS, `shapes-caption-${cell}`);
  let manifest: ModelManifest;
  let golden: Golden;
  beforeAll(() => {
    manifest = ModelManifest.parse(JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')));
    golden = JSON.parse(readFileSync(path.join(dir, 'golden/golden.json'), 'utf8')) as Golden;
  });

  it('has a captioner manifest that matches its graphs', async () => {
    expect(manifest).toMatchObject({ kind: 'captioner', decoder: 'recurrent-captioner', captioner: { cell } });
    const files = manifest.files as { encoder: string; decoderStep: string };
    const enc = await ort.InferenceSession.create(path.join(dir, files.encoder));
    const step = await ort.InferenceSession.create(path.join(dir, files.decoderStep));
    const states = cell === 'lstm' ? ['h', 'c'] : ['h'];
    expect(enc.inputNames).toEqual(['image']);
    expect(enc.outputNames).toEqual(['features', ...states.map((s) => `${s}0`)]);
    expect(step.inputNames).toEqual(['token', ...states, 'features']);
    expect(step.outputNames).toEqual(['logits', ...states.map((s) => `${s}_out`), 'attention']);
  });

  it('reproduces PyTorch greedy tokens and attention on the golden images, batched or not', async () => {
    const files = manifest.files as { encoder: string; decoderStep: string };
    const enc = await ort.InferenceSession.create(path.join(dir, files.encoder));
    const step = await ort.InferenceSession.create(path.join(dir, files.decoderStep));
    const vocab = manifest.captioner!.vocabulary;
    const start = vocab.indexOf('<start>'), end = vocab.indexOf('<end>');
    const states = cell === 'lstm' ? ['h', 'c'] : ['h'];
    let matched = 0;
    for (const g of golden.images) {
      const e = await enc.run({ image: await inputTensor(path.join(dir, 'golden', g.image), manifest) });
      const features = e.features as ort.Tensor;
      const [, L, D] = features.dims as number[];
      expect(L).toBe(manifest.captioner!.featureGrid[0] * manifest.captioner!.featureGrid[1]);
      let state = states.map((s) => e[`${s}0`] as ort.Tensor);
      let token = start;
      const tokens: number[] = [];
      for (let t = 0; t < manifest.captioner!.maxLength && token !== end; t++) {
        // Batch of 2 identical rows: the step graph must accept a dynamic batch and treat rows independently.
        const two = (x: ort.Tensor) => {
          const d = x.data as Float32Array;
          const both = new Float32Array(d.length * 2);
          both.set(d);
          both.set(d, d.length);
          return new ort.Tensor('float32', both, [2, ...(x.dims as number[]).slice(1)]);
        };
        const feeds: Record<string, ort.Tensor> = { token: new ort.Tensor('int64', BigInt64Array.from([BigInt(token), BigInt(token)]), [2]), features: two(features) };
        states.forEach((s, k) => (feeds[s] = two(state[k])));
        const out = await step.run(feeds);
        const logits = out.logits.data as Float32Array, att = out.attention.data as Float32Array;
        const V = vocab.length;
        expect(maxAbsDiff(logits.subarray(0, V), logits.subarray(V))).toBeLessThan(1e-5);
        if (t === 0) expect(maxAbsDiff(logits.subarray(0, V), g.firstStepLogits)).toBeLessThan(1e-3);
        const row = att.subarray(0, L);
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        expect(maxAbsDiff(row, g.greedy.attention[t])).toBeLessThan(1e-3);
        token = logits.subarray(0, V).reduce((best, v, i, a) => (v > a[best] ? i : best), 0);
        tokens.push(token);
        state = states.map((s) => {
          const o = out[`${s}_out`] as ort.Tensor;
          const hd = (o.dims as number[])[1];
          return new ort.Tensor('float32', (o.data as Float32Array).slice(0, hd), [1, hd]);
        });
      }
      expect(tokens).toEqual(g.greedy.tokens);
      expect(g.greedy.words).toEqual(tokens.filter((t) => t !== end).map((t) => vocab[t]));
      if (g.references.includes(g.greedy.words.join(' '))) matched++;
      expect(D).toBeGreaterThan(0);
    }
    // The captioners are good, so most golden captions are right; each miss is kept in golden.json as it is.
    expect(matched).toBeGreaterThanOrEqual(3);
  });
});
