/**
 * The reference cases of ../shared/reference/metrics brought into a project as a user would: blank JPEGs of the
 * image sizes of gt.json as the image folder, gt.json imported as labels (COCO), dt.json as a predictions run (COCO
 * results). Shared by the tests that check evaluation through the product.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { expect } from 'vitest';
import type { ImportSummary } from '../common/api/contract.js';
import type { AppCore } from '../electron/core/app.js';

export const REFERENCE = path.resolve(__dirname, '../../shared/reference/metrics');

/** Why a case cannot be used here (printed by the caller's skip), or null. */
export function referenceMissing(name: string): string | null {
  const gt = path.join(REFERENCE, name, 'gt.json');
  return existsSync(gt) ? null : `${gt} is absent`;
}

export interface ReferenceCase {
  dir: string;
  gt: { images: { file_name: string; width: number; height: number }[] };
  expected: { stats: Record<string, number>; per_category_AP?: Record<string, number> };
}

export function readReferenceCase(name: string): ReferenceCase {
  const dir = path.join(REFERENCE, name);
  const read = (f: string) => JSON.parse(readFileSync(path.join(dir, f), 'utf8'));
  return { dir, gt: read('gt.json'), expected: read('expected.json') };
}

/** The case's images as blank JPEGs of their sizes in `folder` (created). */
export async function writeReferenceImages(c: ReferenceCase, folder: string): Promise<void> {
  mkdirSync(folder, { recursive: true });
  for (const im of c.gt.images) {
    await sharp({ create: { width: im.width, height: im.height, channels: 3, background: '#808080' } }).jpeg().toFile(path.join(folder, im.file_name));
  }
}

/** Import a dataset through the API and wait; any error in it fails the test. */
export async function importDataset(core: AppCore, args: Record<string, unknown>): Promise<ImportSummary> {
  const { jobId } = (await core.dispatch('datasets.import', args)) as { jobId: string };
  const job = await core.jobs.wait(jobId);
  const summary = job.result as ImportSummary;
  expect(summary?.errors, job.error ?? '').toEqual([]);
  return summary;
}

/** Labels from gt.json and a predictions run from dt.json, into the open project (whose folder holds the images). */
export async function importReferenceCase(core: AppCore, c: ReferenceCase): Promise<{ runId: number }> {
  const labels = await importDataset(core, { format: 'coco', from: path.join(c.dir, 'gt.json') });
  expect(labels.unmatched).toEqual([]);
  const preds = await importDataset(core, { format: 'coco-results', from: path.join(c.dir, 'dt.json'), as: 'predictions' });
  return { runId: preds.run! };
}

/** A project over the case's images with its labels and run: `file` is created, the folder is `folder`. */
export async function referenceProject(core: AppCore, name: string, file: string, folder: string): Promise<ReferenceCase & { runId: number }> {
  const c = readReferenceCase(name);
  await writeReferenceImages(c, folder);
  await core.openProject(file, { create: true });
  await core.jobs.wait(core.startImport(folder));
  return { ...c, ...(await importReferenceCase(core, c)) };
}
