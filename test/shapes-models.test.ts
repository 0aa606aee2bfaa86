/**
 * The bundled shapes detector and instance segmenter through the app's whole pipeline (worker, sharp decode,
 * pre-processing, onnxruntime, our decoders, SQLite), on held-out generated images, against the outputs PyTorch
 * produced for the same images at export (models/<name>/golden/expected.json).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Prediction } from '../common/api/contract.js';
import { decodeRle, rleIou } from '../common/geometry/rle.js';
import { AppCore } from '../electron/core/app.js';

const MODELS = path.resolve(__dirname, '../models');
let tmp: string;
let core: AppCore;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-shapes-models-'));
  core = new AppCore({ appDataDir: path.join(tmp, 'home'), transport: 'http' });
});
afterAll(async () => {
  await core?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Run `model` over its golden images in a fresh project; predictions by golden file name. */
async function runOnGolden(model: string, params: Record<string, unknown> = {}, tag = ''): Promise<Map<string, Prediction[]>> {
  const folder = path.join(tmp, model + tag);
  cpSync(path.join(MODELS, model, 'golden'), folder, { recursive: true });
  await core.openProject(path.join(tmp, `${model}${tag}.sightline`), { create: true });
  await core.jobs.wait(core.startImport(folder));
  const { jobId } = (await core.dispatch('models.run', { model, all: true, ...params })) as { jobId: string };
  const job = await core.jobs.wait(jobId);
  expect(job.state, job.error ?? '').toBe('done');
  const images = core.store!.images.list({ offset: 0, limit: 100, filter: {}, sort: { by: 'path', dir: 'asc' } }).items;
  const out = new Map<string, Prediction[]>();
  for (const img of images) {
    const preds = (await core.dispatch('predictions.list', { imageId: img.id })) as Prediction[];
    out.set(img.relPath, preds);
  }
  return out;
}

const boxXyxy = (p: Prediction) => {
  if (p.geometry.type === 'box') return [p.geometry.x, p.geometry.y, p.geometry.x + p.geometry.w, p.geometry.y + p.geometry.h];
  const b = p.extras.box as number[] | undefined;
  if (!b) throw new Error(`prediction ${p.id} has no box`);
  return [b[0], b[1], b[0] + b[2], b[1] + b[3]];
};

describe('shapes-yolo', () => {
  it("reproduces PyTorch's detections after decode + NMS on the golden images", async () => {
    const golden = JSON.parse(readFileSync(path.join(MODELS, 'shapes-yolo/golden/expected.json'), 'utf8')) as {
      cases: { image: string; detections: { box: number[]; score: number; label: string }[] }[];
    };
    const got = await runOnGolden('shapes-yolo');
    for (const c of golden.cases) {
      const boxes = got.get(c.image)!.filter((p) => p.kind === 'box' && !p.extras.suppressed);
      expect(boxes.map((p) => p.label).sort(), c.image).toEqual(c.detections.map((d) => d.label).sort());
      for (const d of c.detections) {
        const match = boxes.find((p) => p.label === d.label && boxXyxy(p).every((v, i) => Math.abs(v - d.box[i]) < 0.5));
        expect(match, `${c.image}: ${d.label} at ${d.box.map((v) => v.toFixed(1))}`).toBeDefined();
        expect(match!.score!).toBeCloseTo(d.score, 3);
      }
    }
  });
});

describe('shapes-maskrcnn', () => {
  it("reproduces PyTorch's boxes, labels, masks and region proposals on the golden images", async () => {
    const golden = JSON.parse(readFileSync(path.join(MODELS, 'shapes-maskrcnn/golden/expected.json'), 'utf8')) as {
      cases: { image: string; boxes: number[][]; labels: number[]; scores: number[]; masksRle: { size: [number, number]; counts: number[] }[]; proposals: number[][] }[];
    };
    const manifest = JSON.parse(readFileSync(path.join(MODELS, 'shapes-maskrcnn/manifest.json'), 'utf8')) as { classes: string[]; thresholds: { score: number } };
    const got = await runOnGolden('shapes-maskrcnn');
    for (const c of golden.cases) {
      const preds = got.get(c.image)!;
      const masks = preds.filter((p) => p.kind === 'mask');
      const kept = c.scores.map((s, i) => ({ s, i })).filter(({ s }) => s >= manifest.thresholds.score);
      expect(masks.length, c.image).toBe(kept.length);
      for (const { i } of kept) {
        const label = manifest.classes[c.labels[i] - 1];
        const match = masks.find((p) => p.label === label && boxXyxy(p).every((v, k) => Math.abs(v - c.boxes[i][k]) < 0.5));
        expect(match, `${c.image}: ${label} #${i}`).toBeDefined();
        expect(match!.score!).toBeCloseTo(c.scores[i], 3);
        const g = match!.geometry as { width: number; height: number; counts: number[] };
        const want = { height: c.masksRle[i].size[0], width: c.masksRle[i].size[1], counts: c.masksRle[i].counts };
        expect(decodeRle(g).length).toBe(decodeRle(want).length);
        expect(rleIou(g, want)).toBeGreaterThan(0.98);
      }
      const extras = preds.find((p) => p.extras.kind === 'image-extras')?.extras as { proposals?: number[][] } | undefined;
      expect(extras?.proposals?.length, `${c.image} proposals`).toBe(c.proposals.length);
      const [x, y, w, h] = extras!.proposals![0];
      expect(Math.max(...[x, y, x + w, y + h].map((v, k) => Math.abs(v - c.proposals[0][k])))).toBeLessThan(0.05);
    }
  });
});

describe('shapes-fcn', () => {
  it("reproduces PyTorch's label map per class on the golden images", async () => {
    const golden = JSON.parse(readFileSync(path.join(MODELS, 'shapes-fcn/golden/expected.json'), 'utf8')) as {
      cases: { image: string; labelRle: Record<string, { size: [number, number]; counts: number[] }> }[];
    };
    const got = await runOnGolden('shapes-fcn');
    for (const c of golden.cases) {
      const masks = got.get(c.image)!.filter((p) => p.kind === 'mask');
      for (const [label, rle] of Object.entries(c.labelRle)) {
        if (label === 'background') continue;
        const want = { height: rle.size[0], width: rle.size[1], counts: rle.counts };
        const area = decodeRle(want).reduce((n, v) => n + v, 0);
        const match = masks.find((p) => p.label === label);
        if (area === 0) {
          expect(match, `${c.image}: no ${label}`).toBeUndefined();
          continue;
        }
        expect(match, `${c.image}: ${label}`).toBeDefined();
        expect(rleIou(match!.geometry as { width: number; height: number; counts: number[] }, want)).toBeGreaterThan(0.99);
      }
    }
  });
});

interface CaptionGolden {
  images: {
    image: string;
    references: string[];
    greedy: { tokens: number[]; words: string[]; caption: string; attention: number[][] };
    beam: { size: number; beams: { tokens: number[]; caption: string; score: number }[] };
  }[];
}

describe.each(['rnn', 'lstm', 'gru'])('shapes-caption-%s through the app', (cell) => {
  const model = `shapes-caption-${cell}`;
  const golden = () => JSON.parse(readFileSync(path.join(MODELS, model, 'golden/golden.json'), 'utf8')) as CaptionGolden;

  it("greedy search (beam 1) says PyTorch's greedy tokens, with its attention, each map summing to 1", async () => {
    const got = await runOnGolden(model, { params: { beamSize: 1 } }, '-greedy');
    for (const g of golden().images) {
      const caps = got.get(g.image)!.filter((p) => p.kind === 'caption');
      expect(caps, g.image).toHaveLength(1);
      const x = caps[0].extras as { tokens: number[]; words: string[]; attention: number[][]; featureGrid: number[] };
      const end = g.greedy.tokens.at(-1)!;
      expect(x.tokens, g.image).toEqual(g.greedy.tokens.filter((t) => t !== end));
      expect(caps[0].geometry).toEqual({ type: 'caption', text: g.greedy.caption });
      expect(x.attention).toHaveLength(x.words.length);
      x.attention.forEach((row, i) => {
        expect(row).toHaveLength(x.featureGrid[0] * x.featureGrid[1]);
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        expect(Math.max(...row.map((v, k) => Math.abs(v - g.greedy.attention[i][k])))).toBeLessThan(1e-3);
      });
    }
  });

  it("beam search keeps PyTorch's beams, best first, with their log-probabilities", async () => {
    const got = await runOnGolden(model, { params: { beamSize: 3 } }, '-beam');
    let right = 0;
    for (const g of golden().images) {
      const cap = got.get(g.image)!.find((p) => p.kind === 'caption')!;
      const beams = (cap.extras as { beams: { caption: string; logProb: number }[] }).beams;
      expect(beams.map((b) => b.caption), g.image).toEqual(g.beam.beams.map((b) => b.caption));
      beams.forEach((b, i) => expect(b.logProb).toBeCloseTo(g.beam.beams[i].score, 3));
      expect(cap.geometry).toEqual({ type: 'caption', text: g.beam.beams[0].caption });
      if (g.references.includes(beams[0].caption)) right++;
    }
    expect(right).toBeGreaterThanOrEqual(3);
  });
});

interface SceneDoc {
  images: { id: number; file_name: string; width: number; height: number; captions: string[] }[];
  annotations: { image_id: number; category_id: number; area: number; attributes: { color: string }; segmentation: { size: [number, number]; counts: number[] } }[];
  categories: { id: number; name: string }[];
}

/**
 * Whether the attention peak of each colour and shape word of a right caption lies on the shape the word names:
 * the peak's grid cell (over the whole image: the captioners stretch it) holds at least one pixel of that shape.
 */
function groundedWords(doc: SceneDoc, fileName: string, caption: string, attention: number[][], [rows, cols]: [number, number]): boolean[] {
  const im = doc.images.find((i) => i.file_name === fileName)!;
  const words = caption.split(' ');
  const phrases = words.length > 3 ? [1, words.length - 2] : [1]; // "a(n) <colour> <shape>" opens and closes the caption
  const out: boolean[] = [];
  for (const at of phrases) {
    const [colour, shape] = [words[at], words[at + 1]];
    const cat = doc.categories.find((c) => c.name === shape)!.id;
    const named = doc.annotations
      .filter((a) => a.image_id === im.id && a.category_id === cat && a.attributes.color === colour)
      .sort((a, b) => b.area - a.area)[0];
    const mask = decodeRle({ height: named.segmentation.size[0], width: named.segmentation.size[1], counts: named.segmentation.counts });
    for (const w of [at, at + 1]) {
      const k = attention[w].indexOf(Math.max(...attention[w]));
      const [r, c] = [Math.floor(k / cols), k % cols];
      let hit = false;
      for (let y = Math.floor((r * im.height) / rows); y < Math.ceil(((r + 1) * im.height) / rows) && !hit; y++)
        for (let x = Math.floor((c * im.width) / cols); x < Math.ceil(((c + 1) * im.width) / cols) && !hit; x++) hit = mask[y * im.width + x] === 1;
      out.push(hit);
    }
  }
  return out;
}

describe('the captioners on new scenes, as a user runs them', () => {
  it('describe 256-px scenes they never saw (resized by the app, not PIL) and look at the shape each word names', async () => {
    // 40 fresh scenes from a seed no training, validation or test set used, through the CLI a user would run.
    const out = path.join(tmp, 'fresh-scenes');
    const gen = spawnSync(process.execPath, [path.resolve(__dirname, '../bin/sightline.mjs'), 'shapes', '--seed', '505', '--count', '40', '--out', out], { encoding: 'utf8' });
    expect(gen.status, gen.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(path.join(out, 'annotations.json'), 'utf8')) as SceneDoc;
    const refs = new Map(doc.images.map((im) => [`images/${im.file_name}`, im.captions]));
    await core.openProject(path.join(tmp, 'fresh.sightline'), { create: true });
    await core.jobs.wait(core.startImport(out));
    const images = core.store!.images.list({ offset: 0, limit: 100, filter: {}, sort: { by: 'path', dir: 'asc' } }).items.filter((i) => refs.has(i.relPath));
    expect(images).toHaveLength(40);
    for (const cell of ['rnn', 'lstm', 'gru']) {
      const { jobId, runId } = (await core.dispatch('models.run', { model: `shapes-caption-${cell}`, all: true, params: { beamSize: 1 } })) as { jobId: string; runId: number };
      expect((await core.jobs.wait(jobId)).state).toBe('done');
      let right = 0;
      const grounded: boolean[] = [];
      for (const img of images) {
        const [cap] = ((await core.dispatch('predictions.list', { imageId: img.id, runId })) as Prediction[]).filter((p) => p.kind === 'caption');
        if (!cap || cap.geometry.type !== 'caption' || !refs.get(img.relPath)!.includes(cap.geometry.text)) continue;
        right++;
        const x = cap.extras as { attention: number[][]; featureGrid: [number, number] };
        grounded.push(...groundedWords(doc, path.basename(img.relPath), cap.geometry.text, x.attention, x.featureGrid));
      }
      // Held-out exact match is 0.91 (rnn) to 0.96 (gru) on 1000 scenes, and the attention peak is on the named
      // shape for 83 % of such words there (cells the shape covers ≥ 10 %); a broken pipeline (channels, scale,
      // attention or state wiring, a transposed grid) gets neither.
      expect(right / images.length, cell).toBeGreaterThanOrEqual(0.75);
      expect(grounded.filter(Boolean).length / grounded.length, cell).toBeGreaterThanOrEqual(0.7);
    }
  });
});
