/**
 * `eval.imageCaption` (issue 9, the compare view's caption panel): one image's run caption against its labeled
 * captions, with the per-image BLEU-4 and CIDEr-D of the run's caption evaluation. Four images with labeled captions,
 * a caption run imported as COCO caption results for three of them; CIDEr-D must be the per-image value `eval.run`
 * stores, which depends on every image's references (its document frequencies), not on the image alone.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalReport, ImageCaptionScore, ImageRow } from '../common/api/contract.js';
import { captionMetrics, captionSamplesFromText } from '../common/metrics/captions.js';
import { AppCore } from '../electron/core/app.js';
import { expectApiError } from './expect-api-error.js';
import { importDataset } from './reference-cases.js';

let tmp: string;
let core: AppCore;
let runId: number;
const ids: Record<string, number> = {};

const REFS: Record<string, string[]> = {
  a: ['a red circle above a blue square', 'A red circle and a blue square.'],
  b: ['a green triangle', 'one green triangle on the left'],
  c: ['two blue squares', 'a pair of blue squares'],
  d: ['a yellow circle'],
};
// d has no caption from the run (the results file leaves it out, so the run never processed it).
const CANDIDATES = { a: 'A red circle, above a blue square!', b: 'a green triangle on the left', c: 'three red circles' };

const imageCaption = (imageId: number, run = runId) => core.dispatch('eval.imageCaption', { runId: run, imageId }) as Promise<ImageCaptionScore>;
const stored = (imageId: number) => core.store!.db.prepare('SELECT caption_score FROM image_errors WHERE run_id = ? AND image_id = ?').pluck().get(runId, imageId) as number;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-image-caption-'));
  core = new AppCore({ appDataDir: path.join(tmp, 'appdata'), transport: 'http' });
  const photos = path.join(tmp, 'photos');
  mkdirSync(photos);
  for (const n of Object.keys(REFS)) await sharp({ create: { width: 16, height: 12, channels: 3, background: '#777' } }).png().toFile(path.join(photos, `${n}.png`));
  await core.openProject(path.join(tmp, 'p.sightline'), { create: true });
  await core.jobs.wait(core.startImport(photos));
  const rows = (core.store!.images.list({ offset: 0, limit: 10, filter: {}, sort: { by: 'path', dir: 'asc' } }).items as ImageRow[]);
  for (const r of rows) ids[r.relPath.replace('.png', '')] = r.id;
  await core.dispatch('annotations.batch', {
    create: Object.entries(REFS).flatMap(([n, texts]) => texts.map((text) => ({ imageId: ids[n], kind: 'caption', geometry: { type: 'caption', text } }))),
  });
  const results = [
    ...Object.entries(CANDIDATES).map(([n, caption]) => ({ image_id: ids[n], caption, score: 0.9 })),
    // A lower-scored second caption for a: the run's caption is its best one.
    { image_id: ids.a, caption: 'a blue thing', score: 0.1 },
  ];
  writeFileSync(path.join(tmp, 'captions.json'), JSON.stringify(results));
  runId = (await importDataset(core, { format: 'coco-results', from: path.join(tmp, 'captions.json'), as: 'predictions' })).run!;
});

afterAll(async () => {
  await core?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('eval.imageCaption', () => {
  it("gives each image's BLEU-4 and CIDEr-D as the run's caption evaluation computes them", async () => {
    const report = (await core.dispatch('eval.run', { runId, iouType: 'caption' })) as EvalReport;
    expect(report.images).toBe(3);
    // The corpus evaluation, per sample, in image order (what eval.run scores).
    const m = captionMetrics(captionSamplesFromText((['a', 'b', 'c'] as const).map((n) => ({ references: REFS[n], candidate: CANDIDATES[n] }))));
    for (const [i, n] of (['a', 'b', 'c'] as const).entries()) {
      const s = await imageCaption(ids[n]);
      expect(s).toMatchObject({ runId, imageId: ids[n], candidate: CANDIDATES[n], references: REFS[n], corpusImages: 3, note: null });
      expect(s.CIDEr).toBe(stored(ids[n])); // the per-image entry eval.run stored, to the bit
      expect(s.CIDEr).toBe(m.perSample[i].CIDEr);
      expect(s.BLEU4).toBe(m.perSample[i].BLEU4);
    }
    const a = await imageCaption(ids.a);
    // Normalised, the candidate is the first reference word for word: every n-gram matches, lengths agree.
    expect(a.normalised).toEqual({
      candidate: ['a', 'red', 'circle', 'above', 'a', 'blue', 'square'],
      references: [
        ['a', 'red', 'circle', 'above', 'a', 'blue', 'square'],
        ['a', 'red', 'circle', 'and', 'a', 'blue', 'square'],
      ],
    });
    expect(a.BLEU4).toBeCloseTo(1, 8);
    expect(a.CIDEr).toBeGreaterThan(1);
    // No n-gram in common: CIDEr-D 0, BLEU-4 only coco-caption's smoothing away from 0.
    const c = await imageCaption(ids.c);
    expect(c.CIDEr).toBe(0);
    expect(c.BLEU4).toBeLessThan(1e-6);
  });

  it("follows the corpus: another image's references change this image's CIDEr-D, still equal to eval.run's", async () => {
    const before = (await imageCaption(ids.a)).CIDEr!;
    await core.dispatch('annotations.batch', { create: [{ imageId: ids.b, kind: 'caption', geometry: { type: 'caption', text: 'a red circle' } }] });
    const after = await imageCaption(ids.a);
    expect(after.CIDEr).not.toBe(before);
    expect(after.BLEU4).toBeCloseTo(1, 8); // BLEU is the image's own
    await core.dispatch('eval.run', { runId, iouType: 'caption' });
    expect(after.CIDEr).toBe(stored(ids.a));
  });

  it('has no scores, and says why, for an image without a run caption', async () => {
    expect(await imageCaption(ids.d)).toEqual({
      runId,
      imageId: ids.d,
      candidate: null,
      references: REFS.d,
      BLEU4: null,
      CIDEr: null,
      normalised: { candidate: null, references: [['a', 'yellow', 'circle']] },
      corpusImages: 3,
      note: `Run ${runId} did not process this image.`,
    });
  });

  it('refuses bad and unknown ids', async () => {
    await expectApiError(core.dispatch('eval.imageCaption', { runId, imageId: 0 }), 'bad_request', /imageId/);
    await expectApiError(core.dispatch('eval.imageCaption', { runId: 'x', imageId: ids.a }), 'bad_request', /runId/);
    await expectApiError(core.dispatch('eval.imageCaption', { runId, imageId: ids.a, extra: 1 }), 'bad_request', /extra/);
    await expectApiError(core.dispatch('eval.imageCaption', { runId }), 'bad_request', /imageId/);
    await expectApiError(imageCaption(ids.a, 999), 'not_found', /no model run 999/);
    await expectApiError(imageCaption(999), 'not_found', /no image 999/);
  });
});
