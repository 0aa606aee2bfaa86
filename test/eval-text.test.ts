/**
 * Text recognition evaluation through the product (issue 9, CER and WER): the bundled PP-OCRv4 detector and recogniser
 * run on a rendered image (real onnxruntime sessions), measured against lines labeled by hand as regions with a `text`
 * attribute; and the recogniser alone on a line crop, measured against the crop's caption. Expected numbers are worked
 * out by hand from the labels and what the model read.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalReport, Job, Prediction } from '../common/api/contract.js';
import { AppCore } from '../electron/core/app.js';
import type { InferenceResult } from '../electron/core/inference/service.js';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin/sightline.mjs');

let tmp: string;
let core: AppCore;
let hello: number;
let crop: number;
/** The detector + recogniser run on hello.png. */
let ocrRun: number;

async function run(model: string, imageIds: number[]): Promise<number> {
  const { jobId, runId } = (await core.dispatch('models.run', { model, imageIds })) as { jobId: string; runId: number };
  const job = (await core.jobs.wait(jobId)) as Job;
  expect((job.result as InferenceResult).errors).toEqual([]);
  return runId;
}

const idOf = (name: string) => core.store!.images.list({ offset: 0, limit: 10, filter: { text: name }, sort: { by: 'path', dir: 'asc' } }).items[0].id;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-eval-text-'));
  core = new AppCore({ appDataDir: path.join(tmp, 'appdata'), transport: 'http' });
  const dir = path.join(tmp, 'ocr');
  cpSync(path.join(ROOT, 'test/fixtures/ocr'), dir, { recursive: true });
  // The first line of hello.png on its own, as a recogniser's training data would hold it.
  await sharp(path.join(dir, 'hello.png')).extract({ left: 20, top: 36, width: 470, height: 60 }).png().toFile(path.join(dir, 'line.png'));
  await core.openProject(path.join(tmp, 'ocr.sightline'), { create: true });
  await core.jobs.wait(core.startImport(dir));
  hello = idOf('hello.png');
  crop = idOf('line.png');
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'models/ppocr-det/manifest.json'), 'utf8'));
  const ocr = { ...manifest, name: 'ocr', files: { model: path.join(ROOT, 'models/ppocr-det/model.onnx') }, textDetector: { ...manifest.textDetector, recognizer: 'ppocr-rec' } };
  await core.dispatch('models.add', { path: path.join(ROOT, 'models/ppocr-det/model.onnx'), manifest: ocr });
}, 60_000);

afterAll(async () => {
  await core?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('text evaluation: detector + recogniser against labeled lines', () => {
  it('matches read lines to labeled regions and counts character and word edits', async () => {
    const text = core.store!.classes.upsert({ name: 'text' });
    // Drawn by eye around the two lines of hello.png (640×240), and a third line that is not in the image.
    await core.dispatch('annotations.batch', {
      create: [
        { imageId: hello, classId: text.id, kind: 'box', geometry: { type: 'box', x: 28, y: 40, w: 450, h: 52 }, attributes: { text: 'Hello Sightline 2024' } },
        { imageId: hello, classId: text.id, kind: 'box', geometry: { type: 'box', x: 28, y: 136, w: 310, h: 44 }, attributes: { text: 'OPEN THE DOORS' } },
        { imageId: hello, classId: text.id, kind: 'box', geometry: { type: 'box', x: 480, y: 190, w: 120, h: 40 }, attributes: { text: '2025' } },
      ],
    });
    const runId = await run('ocr', [hello]);
    ocrRun = runId;
    const read = ((await core.dispatch('predictions.list', { imageId: hello, runId })) as Prediction[]).filter((p) => p.kind === 'polygon').map((p) => p.extras.text as string);
    expect(read[0]).toBe('Hello Sightline 2024');
    const door = read[1];
    expect(door).toMatch(/^OPEN ?THE ?DOOR$/);

    // The run's own kind picks text evaluation.
    const r = (await core.dispatch('eval.run', { runId })) as EvalReport;
    expect(r.iouType).toBe('text');
    // Characters: line 1 exact (0 of 20); line 2 lacks the final S and any space the model ran together (of 14);
    // the third line was not read at all (4 of 4).
    const missingSpaces = 13 - door.length;
    const charEdits = 0 + (1 + missingSpaces) + 4;
    expect(r.metrics.CER).toBeCloseTo(charEdits / (20 + 14 + 4), 12);
    // Words (7 labeled): DOORS → DOOR is one substitution; running words together costs more, by hand per reading.
    const doorWordEdits = { 'OPEN THE DOOR': 1, 'OPEN THEDOOR': 2, 'OPENTHE DOOR': 3, OPENTHEDOOR: 3 }[door]!;
    expect(r.metrics.WER).toBeCloseTo((0 + doorWordEdits + 1) / 7, 12);
    expect(r.images).toBe(1);
    expect(r.perImage).toEqual([{ imageId: hello, tp: 2, fp: 0, fn: 1, meanIou: expect.any(Number) }]);
    // The lines read wrong, most edits first, each with its image.
    expect(r.textLines!.map((l) => [l.reference, l.hypothesis, l.charEdits])).toEqual(
      [
        ['2025', '', 4],
        ['OPEN THE DOORS', door, 1 + missingSpaces],
      ].sort((a, b) => (b[2] as number) - (a[2] as number)),
    );
    expect(r.textLines!.every((l) => l.imageId === hello)).toBe(true);
    // The library can sort by it: the image's character edits are its errors.
    const stored = core.store!.db.prepare('SELECT errors FROM image_errors WHERE run_id = ? AND image_id = ?').pluck().get(runId, hello);
    expect(stored).toBe(charEdits);

    // A line read over a labeled region without text is left out; one read where nothing is labeled is inserted.
    const all = (await core.dispatch('annotations.list', { imageId: hello })) as { id: number; attributes: Record<string, unknown> }[];
    const first = all.find((a) => a.attributes.text === 'Hello Sightline 2024')!;
    await core.dispatch('annotations.batch', { update: [{ id: first.id, attributes: {} }] });
    const unknown = (await core.dispatch('eval.run', { runId, iouType: 'text' })) as EvalReport;
    expect(unknown.metrics.CER).toBeCloseTo((1 + missingSpaces + 4) / (14 + 4), 12);
    await core.dispatch('annotations.batch', { delete: [first.id] });
    const inserted = (await core.dispatch('eval.run', { runId, iouType: 'text' })) as EvalReport;
    expect(inserted.metrics.CER).toBeCloseTo((20 + 1 + missingSpaces + 4) / (14 + 4), 12);
    expect(inserted.textLines![0]).toMatchObject({ reference: '', hypothesis: 'Hello Sightline 2024', charEdits: 20, cer: null });

    // The CLI prints CER and WER at the top level of its JSON.
    await core.closeProject();
    const cli = spawnSync(process.execPath, [BIN, 'eval', '--project', path.join(tmp, 'ocr.sightline'), '--run', String(runId), '--iou-type', 'text', '--json'], {
      encoding: 'utf8',
      env: { ...process.env, SIGHTLINE_HOME: path.join(tmp, 'home') },
    });
    expect(cli.status, cli.stderr).toBe(0);
    const out = JSON.parse(cli.stdout);
    expect(out).toMatchObject({ iouType: 'text', run: runId, images: 1 });
    expect(out.CER).toBeCloseTo(inserted.metrics.CER!, 12);
    expect(out.WER).toBeCloseTo(inserted.metrics.WER!, 12);
    await core.openProject(path.join(tmp, 'ocr.sightline'));
  }, 120_000);
});

describe('text evaluation: a recogniser on line images against their captions', () => {
  it('compares the line read with the caption', async () => {
    await core.dispatch('annotations.batch', { create: [{ imageId: crop, classId: null, kind: 'caption', geometry: { type: 'caption', text: 'Hello Sightline 2025' } }] });
    // Labels now lie on an image after the last one the first run evaluated: measuring it again must still write its
    // image errors (an unfinished read of the labels would keep the connection busy).
    const again = (await core.dispatch('eval.run', { runId: ocrRun, iouType: 'text' })) as EvalReport;
    expect(again.images).toBe(1);
    const runId = await run('ppocr-rec', [crop]);
    const read = ((await core.dispatch('predictions.list', { imageId: crop, runId })) as Prediction[]).filter((p) => p.kind === 'tag' && p.label !== null);
    // The crop's right margin reads as a space; spaces at either end of a line are not counted.
    expect(read.map((p) => (p.extras.text as string).trim())).toEqual(['Hello Sightline 2024']);
    const r = (await core.dispatch('eval.run', { runId })) as EvalReport;
    expect(r.iouType).toBe('text');
    // One substituted character of 20; one substituted word of 3.
    expect(r.metrics.CER).toBeCloseTo(1 / 20, 12);
    expect(r.metrics.WER).toBeCloseTo(1 / 3, 12);
    expect(r.textLines).toEqual([{ imageId: crop, reference: 'Hello Sightline 2025', hypothesis: 'Hello Sightline 2024', charEdits: 1, referenceChars: 20, cer: 1 / 20 }]);
  }, 60_000);

  it('a run with no labeled text says so, and numbers are undefined', async () => {
    const runId = await run('ppocr-det', [crop]);
    const r = (await core.dispatch('eval.run', { runId, iouType: 'text' })) as EvalReport;
    expect(r.metrics).toEqual({ CER: null, WER: null });
    expect(r.images).toBe(0);
    expect(r.notes.join(' ')).toMatch(/No image has labeled text/);
    await expect(core.dispatch('predictions.acceptAll', { runId, minScore: 0, iouThreshold: 0.5, dryRun: true })).rejects.toMatchObject({ code: 'bad_request' });
  }, 60_000);
});
