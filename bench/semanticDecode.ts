/**
 * The semantic decoder at a photo's size (issue 10 part 2): 21 classes (PASCAL VOC's count) of logits at 1/8 of
 * a 1000×1000 image, 125×125, decoded to the image (bilinear logits, argmax, per-class RLE, score maps).
 * `node bin/run-ts.mjs bench/semanticDecode.ts` prints the numbers; the inference bench adds them as a row.
 */
import { decodeSemanticLogits, upsampleArgmax } from '../common/inference/decoders/semantic.js';
import type { DecodeContext } from '../common/inference/decoders/types.js';
import { ModelManifest } from '../common/inference/manifest.js';
import type { InputTransform, Tensor } from '../common/inference/types.js';
import { prng, round, type Row } from './util.js';

/**
 * Logits a segmenter might give for a street or VOC photo: background ahead everywhere but under 6 blobs of
 * 4 object classes (Gaussian bumps, 6–25 map cells across), the 16 other classes low, all with some noise.
 */
export function blobbyLogits(c: number, w: number, h: number, seed: number): Float32Array {
  const rnd = prng(seed);
  const data = new Float32Array(c * w * h);
  const bumps = Array.from({ length: 6 }, () => ({ k: 1 + ((rnd() * 4) | 0), x: rnd() * w, y: rnd() * h, s: 3 + rnd() * 10, a: 5 + rnd() * 4 }));
  for (let k = 0; k < c; k++) {
    const base = k === 0 ? 2 : -1 - rnd();
    for (let y = 0, i = k * w * h; y < h; y++) {
      for (let x = 0; x < w; x++, i++) {
        let v = base + (rnd() - 0.5) * 0.6;
        for (const b of bumps) if (b.k === k) v += b.a * Math.exp(-((x - b.x) ** 2 + (y - b.y) ** 2) / (2 * b.s * b.s));
        data[i] = v;
      }
    }
  }
  return data;
}

export interface SemanticDecodeTiming {
  /** decodeSemanticLogits, whole (softmax, label map, scores, RLE, score maps): median ms. */
  decodeMs: number;
  /** upsampleArgmax alone, with the shortcut and exhaustive: median ms. */
  labelsMs: number;
  exhaustiveMs: number;
  /** The whole decode's median CPU time (process.cpuUsage), steadier than wall time on a busy machine. */
  decodeCpuMs: number;
  runs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

export function measureSemanticDecode(runs = 15, c = 21, side = 1000, stride = 8): SemanticDecodeTiming {
  const m = side / stride;
  const logits: Tensor = { data: blobbyLogits(c, m, m, 20251101), dims: [1, c, m, m] };
  const tr: InputTransform = { srcWidth: side, srcHeight: side, inputWidth: side, inputHeight: side, scaleX: 1, scaleY: 1, padX: 0, padY: 0 };
  const manifest = ModelManifest.parse({ name: 'voc-like', kind: 'semantic-segmenter', decoder: 'semantic-logits', files: { model: 'm.onnx' }, input: {}, classes: ['background', ...Array.from({ length: c - 1 }, (_, i) => `class ${i + 1}`)] });
  const ctx: DecodeContext = { manifest, transform: tr, thresholds: manifest.thresholds };
  let cpu: number[] = [];
  const time = (f: () => unknown) => {
    const ts: number[] = [];
    cpu = [];
    for (let i = 0; i < runs; i++) {
      const u = process.cpuUsage();
      const t = performance.now();
      f();
      ts.push(performance.now() - t);
      const d = process.cpuUsage(u);
      cpu.push((d.user + d.system) / 1000);
    }
    return median(ts);
  };
  // Warm-up, so that the medians time optimised code: V8 takes some 20 calls to settle here (the first call
  // runs about 10× slower, mostly interpreted), as a worker decoding a folder does after its first images.
  for (let i = 0; i < 25; i++) decodeSemanticLogits({ logits }, ctx);
  for (let i = 0; i < 5; i++) upsampleArgmax(logits.data as Float32Array, c, m, m, tr, { exhaustive: true });
  const decodeMs = time(() => decodeSemanticLogits({ logits }, ctx));
  const decodeCpuMs = median(cpu);
  return {
    decodeMs,
    decodeCpuMs,
    labelsMs: time(() => upsampleArgmax(logits.data as Float32Array, c, m, m, tr)),
    exhaustiveMs: time(() => upsampleArgmax(logits.data as Float32Array, c, m, m, tr, { exhaustive: true })),
    runs,
  };
}

/** Rows for the inference bench: the decode against the 30 ms goal, the label map against interpolating everything. */
export function semanticDecodeRows(r: SemanticDecodeTiming): Row[] {
  const p = 'inference.semantic_decode';
  return [
    { name: `${p}.decode_ms`, value: round(r.decodeMs, 1), unit: 'ms', baseline: null, ratio: null },
    { name: `${p}.labels_ms`, value: round(r.labelsMs, 1), unit: 'ms', baseline: round(r.exhaustiveMs, 1), ratio: round(r.labelsMs / r.exhaustiveMs, 2) },
  ];
}

export const SEMANTIC_DECODE_LABELS: Record<string, string> = {
  'inference.semantic_decode.decode_ms': 'semantic decoder, 21 classes of 125×125 logits to a 1000×1000 image, whole decode (goal ≤ 30 ms)',
  'inference.semantic_decode.labels_ms': 'semantic decoder, its label map alone (baseline: every class interpolated at every pixel)',
};

export const SEMANTIC_DECODE_METHOD =
  'Semantic decoder (`bench/semanticDecode.ts`): 21 classes of seeded blob-shaped logits at 125×125, 1/8 of a 1000×1000 image, decoded by `decodeSemanticLogits` ' +
  '(softmax, logits resized bilinearly to the image and the argmax, per-class RLE, score maps); median of 15 runs after 25 warm-up runs. ' +
  'The label map alone (`upsampleArgmax`) against the same with every class interpolated at every pixel (`exhaustive`).';

if (process.argv[1]?.endsWith('semanticDecode.ts')) {
  const r = measureSemanticDecode();
  const fast = upsampleArgmax(blobbyLogits(21, 125, 125, 20251101), 21, 125, 125, { srcWidth: 1000, srcHeight: 1000, inputWidth: 1000, inputHeight: 1000, scaleX: 1, scaleY: 1, padX: 0, padY: 0 });
  const present = new Set(fast);
  console.log(JSON.stringify({ ...r, classesInImage: [...present].sort((a, b) => a - b) }));
}
