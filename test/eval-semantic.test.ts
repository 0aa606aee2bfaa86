/**
 * Semantic evaluation through the product (issue 9): an 8×8 image whose label is a mask of its left four columns and
 * whose predictions run (imported as COCO results) paints its left six, with mIoU, pixel accuracy and the per-image mIoU
 * the library sorts by worked out by hand; then an ignore class and a mask at the model's own size, with the compare
 * view's per-image numbers (renderer/features/compare/semantic.ts) equal to the evaluation's.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Annotation, EvalReport, LabelClass, Prediction } from '../common/api/contract.js';
import { AppCore } from '../electron/core/app.js';
import { RunsRepo } from '../electron/core/inference/runs.js';
import { prepareSemanticPredictions, semanticCompare } from '../renderer/features/compare/semantic.js';
import { importDataset } from './reference-cases.js';

let tmp: string;
let core: AppCore;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-eval-semantic-'));
  core = new AppCore({ appDataDir: path.join(tmp, 'appdata'), transport: 'http' });
});
afterAll(async () => {
  await core.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('semantic evaluation', () => {
  it('gives the IoU of each class, their mean and pixel accuracy', async () => {
    const photos = path.join(tmp, 'photos');
    mkdirSync(photos);
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } }).png().toFile(path.join(photos, 'a.png'));
    await core.openProject(path.join(tmp, 'p.sightline'), { create: true });
    await core.jobs.wait(core.startImport(photos));
    const road = core.store!.classes.upsert({ name: 'road' });
    const [image] = core.store!.images.list({ offset: 0, limit: 1, filter: {}, sort: { by: 'path', dir: 'asc' } }).items;
    // Column-major runs: the left 4 columns (32 pixels) are road, then 32 background.
    await core.dispatch('annotations.batch', { create: [{ imageId: image.id, classId: road.id, kind: 'mask', geometry: { type: 'mask', width: 8, height: 8, counts: [0, 32, 32] } }] });
    const results = path.join(tmp, 'results.json');
    writeFileSync(results, JSON.stringify([{ image_id: image.id, category_id: road.id, score: 0.9, segmentation: { size: [8, 8], counts: [0, 48, 16] } }]));
    const runId = (await importDataset(core, { format: 'coco-results', from: results, as: 'predictions' })).run!;

    const r = (await core.dispatch('eval.run', { runId, iouType: 'semantic' })) as EvalReport;
    // road: 32 labelled, 48 predicted, 32 shared → 32 / 48. background: 32 labelled, 16 predicted, 16 shared → 16 / 32.
    expect(r.metrics.mIoU).toBeCloseTo((32 / 48 + 16 / 32) / 2, 12);
    expect(r.metrics.pixelAcc).toBeCloseTo((32 + 16) / 64, 12);
    expect(r.perClass.map((c) => [c.class, c.IoU])).toEqual([
      ['background', 0.5],
      ['road', 32 / 48],
    ]);
    expect(r.images).toBe(1);
    const stored = core.store!.db.prepare('SELECT miou FROM image_errors WHERE run_id = ? AND image_id = ?').pluck().get(runId, image.id) as number;
    expect(stored).toBeCloseTo((32 / 48 + 16 / 32) / 2, 12);
  });

  it('leaves the ignore class out, resamples masks given at the model size, and equals the compare view per image', async () => {
    const photos = path.join(tmp, 'photos2');
    mkdirSync(photos);
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } }).png().toFile(path.join(photos, 'b.png'));
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } }).png().toFile(path.join(photos, 'c.png'));
    await core.openProject(path.join(tmp, 'q.sightline'), { create: true });
    await core.jobs.wait(core.startImport(photos));
    const road = core.store!.classes.upsert({ name: 'road' });
    const voidClass = core.store!.classes.upsert({ name: 'void' });
    const [image, later] = core.store!.images.list({ offset: 0, limit: 2, filter: {}, sort: { by: 'path', dir: 'asc' } }).items;
    await core.dispatch('annotations.batch', {
      create: [
        { imageId: image.id, classId: road.id, kind: 'mask', geometry: { type: 'mask', width: 8, height: 8, counts: [0, 32, 32] } },
        // A label on an image the run never saw, after the last one evaluated: its row is never taken.
        { imageId: later.id, classId: road.id, kind: 'mask', geometry: { type: 'mask', width: 8, height: 8, counts: [0, 64] } },
        // The right two columns are void: whatever is predicted there counts nowhere.
        { imageId: image.id, classId: voidClass.id, kind: 'polygon', geometry: { type: 'polygon', points: [6, 0, 8, 0, 8, 8, 6, 8] } },
      ],
    });
    // A semantic segmenter's run whose road mask is at its 4 × 4 output size: columns 0-2 of 4, i.e. 0-5 of the image.
    const db = core.store!.db;
    const modelId = Number(db.prepare(`INSERT INTO models (name, kind, file, sha256, manifest, added_at) VALUES ('seg', 'semantic-segmenter', '', '', '{}', 0)`).run().lastInsertRowid);
    const repo = new RunsRepo(db);
    const runId = repo.create(modelId, {});
    repo.write(runId, [{ imageId: image.id, predictions: [{ kind: 'mask', classIndex: 1, label: 'road', score: 0.9, geometry: { type: 'mask', width: 4, height: 4, counts: [0, 12, 4] } }] }], new Map([['road', road.id]]));
    repo.finish(runId, 'done', null);

    const r = (await core.dispatch('eval.run', { runId })) as EvalReport;
    expect(r.iouType).toBe('semantic');
    // Counted: columns 0-5 (48 pixels). road: 32 labelled, 48 predicted, 32 shared. background: columns 4-5 labelled
    // (16), never predicted there → IoU 0. void is no class of the report.
    expect(r.perClass.map((c) => [c.class, c.IoU])).toEqual([
      ['background', 0],
      ['road', 32 / 48],
    ]);
    expect(r.metrics.mIoU).toBeCloseTo(1 / 3, 12);
    expect(r.metrics.pixelAcc).toBeCloseTo(32 / 48, 12);
    expect(r.notes).toContain('Pixels labeled void are left out.');
    expect(r.images).toBe(1);
    // The per-image mIoU was written (the unread label rows did not keep the connection busy), and the next call works.
    expect(db.prepare('SELECT miou FROM image_errors WHERE run_id = ? AND image_id = ?').pluck().get(runId, image.id)).toBeCloseTo(1 / 3, 12);
    expect(((await core.dispatch('eval.run', { runId })) as EvalReport).metrics).toEqual(r.metrics);

    // The compare view's numbers for the image, from the same labels and predictions, are the evaluation's.
    const classes = (await core.dispatch('classes.list', {})) as LabelClass[];
    const labels = (await core.dispatch('annotations.list', { imageId: image.id })) as Annotation[];
    const predictions = (await core.dispatch('predictions.list', { imageId: image.id, runId })) as Prediction[];
    const c = semanticCompare(labels, prepareSemanticPredictions(predictions, classes, image), classes, image);
    expect(c.metrics.mIoU).toBe(r.metrics.mIoU);
    expect(c.metrics.pixelAcc).toBe(r.metrics.pixelAcc);
    expect(c.classes.map((k) => [k.name, k.iou])).toEqual(r.perClass.map((k) => [k.class, k.IoU]));
    expect([c.fp, c.fn]).toEqual([16, 0]);
  });
});
