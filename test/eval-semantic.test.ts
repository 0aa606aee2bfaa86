/**
 * Semantic evaluation through the product (issue 9): an 8×8 image whose label is a mask of its left four columns and
 * whose predictions run (imported as COCO results) paints its left six, with mIoU, pixel accuracy and the per-image mIoU
 * the library sorts by worked out by hand.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalReport } from '../common/api/contract.js';
import { AppCore } from '../electron/core/app.js';
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
});
