/** What the Chromium tests of the viewer share: calls into the core, waiting for saves and images, image → screen. */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { CallName, CallRequest, CallResponse, ImportSummary, Job } from '../../common/api/contract.js';
import type { AppInBrowser } from './chromium.js';

/** A call straight into the app's core (the test's own hand, not the page's). */
export const coreCall = <K extends CallName>(app: AppInBrowser, name: K, args: CallRequest<K>) => app.core.dispatch(name, args) as Promise<CallResponse<K>>;

/** A dataset import through the core, waited for; any error in it fails the test. */
export async function importJob(app: AppInBrowser, args: CallRequest<'datasets.import'>): Promise<ImportSummary> {
  const { jobId } = await coreCall(app, 'datasets.import', args);
  const job = (await app.core.jobs.wait(jobId)) as Job;
  const summary = job.result as ImportSummary;
  expect(summary.errors, job.error ?? '').toEqual([]);
  return summary;
}

/** A screenshot into $SIGHTLINE_SCREENSHOTS, when it is set. */
export async function shot(page: Page, name: string): Promise<void> {
  const dir = process.env.SIGHTLINE_SCREENSHOTS;
  if (dir) await page.screenshot({ path: path.join(dir, `${name}.png`) });
}

/** Where image pixel (x, y) is on the screen, from the viewer's published viewport. */
export async function screen(page: Page, x: number, y: number, testId = 'viewer-stage'): Promise<{ x: number; y: number }> {
  const stage = page.getByTestId(testId);
  const vp = await stage.evaluate((el: HTMLElement) => ({ s: Number(el.dataset.scale), x: Number(el.dataset.offsetX), y: Number(el.dataset.offsetY) }));
  const box = (await stage.boundingBox())!;
  return { x: box.x + x * vp.s + vp.x, y: box.y + y * vp.s + vp.y };
}

/** Every edit of the editor acknowledged by the core. */
export async function saved(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const el = document.querySelector('[data-testid="save-state"]') as HTMLElement | null;
    return el?.dataset.state === 'saved' && el.dataset.pending === '0';
  });
}

/** Open an image in the viewer and wait until its pixels, its viewport and the editor's labels and history are in. */
export async function openImage(page: Page, id: number): Promise<void> {
  await page.evaluate((i) => (location.hash = `#/image/${i}`), id);
  await page.waitForFunction(() => document.querySelector('[data-testid="viewer-stage"]')?.getAttribute('data-loaded') === 'true');
  await page.waitForFunction(() => Number((document.querySelector('[data-testid="viewer-stage"]') as HTMLElement)?.dataset.scale) > 0);
  await page.waitForFunction((i) => (window as unknown as { sightlineEditor?: { state: { image: { id: number } | null } } }).sightlineEditor?.state.image?.id === i, id);
}

/**
 * The compare tests' scene on one 640×480 image (COCO image id 1). Labels: cat A, cat B, dog C. Predictions: p1 cat on
 * A (0.9), p2 cat beside B (0.6), p3 dog on C (0.4), p4 dog on nothing (0.3). At IoU 0.5: TP p1 p3, FP p2 p4, FN B.
 */
export const SCENE = {
  width: 640,
  height: 480,
  categories: [
    { id: 1, name: 'cat' },
    { id: 2, name: 'dog' },
  ],
  annotations: [
    { id: 1, image_id: 1, category_id: 1, bbox: [100, 100, 100, 100], area: 10000, iscrowd: 0 },
    { id: 2, image_id: 1, category_id: 1, bbox: [300, 100, 80, 80], area: 6400, iscrowd: 0 },
    { id: 3, image_id: 1, category_id: 2, bbox: [100, 300, 120, 100], area: 12000, iscrowd: 0 },
  ],
  results: [
    { image_id: 1, category_id: 1, bbox: [102, 102, 100, 100], score: 0.9 },
    { image_id: 1, category_id: 1, bbox: [330, 100, 80, 80], score: 0.6 },
    { image_id: 1, category_id: 2, bbox: [100, 300, 120, 100], score: 0.4 },
    { image_id: 1, category_id: 2, bbox: [450, 300, 100, 100], score: 0.3 },
  ],
};
