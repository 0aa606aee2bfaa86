/**
 * Compare mode in Chromium: labels and a run's predictions (both imported from COCO files) matched on the canvas,
 * the confidence slider recomputing TP / FP / FN at once, A accepting the prediction under the pointer as a saved,
 * undoable label, X rejecting one (and Undo taking it back). Screenshots go to $SIGHTLINE_SCREENSHOTS when set.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Annotation, CallName, CallRequest, CallResponse, Prediction } from '../../common/api/contract.js';
import { openFolderInBrowser, type AppInBrowser } from './chromium.js';
import * as kit from './kit.js';

const SHOTS = process.env.SIGHTLINE_SCREENSHOTS;
let dir: string;
let app: AppInBrowser;
let page: Page;
let imageId: number;
let preds: Prediction[];
const W = kit.SCENE.width;
const H = kit.SCENE.height;

const call = <K extends CallName>(name: K, args: CallRequest<K>) => app.core.dispatch(name, args) as Promise<CallResponse<K>>;
const list = () => call('annotations.list', { imageId }) as Promise<Annotation[]>;

const shot = (name: string) => kit.shot(page, name);

const importJob = (args: CallRequest<'datasets.import'>) => kit.importJob(app, args);

const screen = (x: number, y: number) => kit.screen(page, x, y);

async function hover(x: number, y: number): Promise<void> {
  const p = await screen(x, y);
  await page.mouse.move(p.x - 3, p.y - 3);
  await page.mouse.move(p.x, p.y, { steps: 2 });
}

const saved = () => kit.saved(page);

/** Move a range input as a person would (React listens to `input`). */
async function slide(testId: string, value: number): Promise<void> {
  await page.getByTestId(testId).evaluate((el: HTMLInputElement, v) => {
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(el, String(v));
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, value);
}

const counts = async () => ({
  tp: Number(await page.getByTestId('compare-tp').textContent()),
  fp: Number(await page.getByTestId('compare-fp').textContent()),
  fn: Number(await page.getByTestId('compare-fn').textContent()),
});

// The scene on img1 (kit.SCENE; IoUs p1 0.92, p2 0.45, p3 1); img2 has no labels.
const GT = {
  images: [
    { id: 1, file_name: 'img1.png', width: W, height: H },
    { id: 2, file_name: 'img2.png', width: W, height: H },
  ],
  categories: kit.SCENE.categories,
  annotations: kit.SCENE.annotations,
};
const DT = kit.SCENE.results;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-compare-e2e-'));
  const folder = path.join(dir, 'photos');
  mkdirSync(folder);
  for (const i of [1, 2]) await sharp({ create: { width: W, height: H, channels: 3, background: { r: 60 + 40 * i, g: 90, b: 80 } } }).png().toFile(path.join(folder, `img${i}.png`));
  writeFileSync(path.join(dir, 'gt.json'), JSON.stringify(GT));
  writeFileSync(path.join(dir, 'dt.json'), JSON.stringify(DT));
  app = await openFolderInBrowser(path.join(dir, 'home'), folder);
  page = app.page;
  await importJob({ format: 'coco', from: path.join(dir, 'gt.json') });
  const run = await importJob({ format: 'coco-results', from: path.join(dir, 'dt.json'), as: 'predictions' });
  expect(run.run).not.toBeNull();
  const { items } = await call('images.list', { offset: 0, limit: 10, filter: {}, sort: { by: 'path', dir: 'asc' } });
  imageId = items[0].id;
  preds = (await call('predictions.list', { imageId })).filter((p) => p.kind === 'box').sort((a, b) => (b.score ?? 0) - (a.score ?? 0));
  expect(preds).toHaveLength(4);
  await page.evaluate((i) => (location.hash = `#/image/${i}`), imageId);
  await page.waitForFunction(() => document.querySelector('[data-testid="viewer-stage"]')?.getAttribute('data-loaded') === 'true');
  await page.waitForFunction(() => Number((document.querySelector('[data-testid="viewer-stage"]') as HTMLElement)?.dataset.scale) > 0);
  await page.waitForFunction((i) => (window as unknown as { sightlineEditor?: { state: { image: { id: number } | null; loading: boolean } } }).sightlineEditor?.state.image?.id === i, imageId);
}, 120_000);

afterAll(async () => {
  expect(app?.pageErrors ?? []).toEqual([]);
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('compare mode', () => {
  it('C colours the run against the labels; the sliders recompute TP / FP / FN at once', async () => {
    await page.keyboard.press('c');
    await expect.poll(() => page.getByTestId('compare-toggle').getAttribute('aria-pressed')).toBe('true');
    await expect.poll(counts).toEqual({ tp: 2, fp: 2, fn: 1 });
    const stage = page.getByTestId('editor-stage');
    await expect.poll(() => stage.getAttribute('data-compare-tp')).toBe('2');
    await hover(500, 350); // p4, the dog on nothing: its tooltip says FP and its score
    await shot('compare-mode');
    if (SHOTS) await page.getByTestId('compare-panel').screenshot({ path: path.join(SHOTS, 'compare-panel.png') });

    await slide('compare-confidence-slider', 0.5);
    await expect.poll(counts).toEqual({ tp: 1, fp: 1, fn: 2 });
    await slide('compare-iou-slider', 0.4);
    await expect.poll(counts).toEqual({ tp: 2, fp: 0, fn: 1 }); // p2 (IoU 0.45) now finds B
    await slide('compare-iou-slider', 0.5);
    await slide('compare-confidence-slider', 0);
    await expect.poll(counts).toEqual({ tp: 2, fp: 2, fn: 1 });

    // A class switched off leaves the counts.
    await page.getByTestId('compare-class-dog').locator('input').click();
    await expect.poll(counts).toEqual({ tp: 1, fp: 1, fn: 1 });
    await page.getByTestId('compare-class-dog').locator('input').click();
    await expect.poll(counts).toEqual({ tp: 2, fp: 2, fn: 1 });
  });

  it('A accepts the prediction under the pointer as a saved label (origin model, derivedFrom); Ctrl+Z removes it', async () => {
    const p4 = preds[3];
    await hover(500, 350);
    await page.keyboard.press('a');
    await saved();
    await expect.poll(async () => (await list()).length).toBe(4);
    const made = (await list()).find((a) => a.derivedFrom === p4.id)!;
    expect(made).toMatchObject({ origin: 'model', kind: 'box', geometry: { type: 'box', x: 450, y: 300, w: 100, h: 100 } });
    expect(made.classId).toBe((await call('classes.list', {})).find((c) => c.name === 'dog')!.id);
    await expect.poll(counts).toEqual({ tp: 3, fp: 1, fn: 1 }); // matched by its own label now
    // The page stayed on this image (A is not "previous image" in compare mode).
    expect(await page.evaluate(() => location.hash)).toBe(`#/image/${imageId}`);
    await shot('compare-accepted');

    await page.keyboard.press('Control+z');
    await saved();
    await expect.poll(async () => (await list()).length).toBe(3);
    await expect.poll(counts).toEqual({ tp: 2, fp: 2, fn: 1 });
  });

  it('X rejects the prediction under the pointer (hidden, kept in the run, counted); Undo takes it back', async () => {
    const p2 = preds[1];
    await hover(400, 170); // p2 only (the label B ends at x 380)
    await page.keyboard.press('x');
    await expect.poll(counts).toEqual({ tp: 2, fp: 1, fn: 1 });
    await expect.poll(() => page.getByTestId('compare-rejected-count').textContent()).toBe('1');
    await expect.poll(async () => (await call('predictions.list', { imageId })).find((p) => p.id === p2.id)?.extras.rejected).toBe(true);
    await expect(page.getByTestId('editor-notice').count()).resolves.toBe(0); // not "another window changed this image"
    await page.getByTestId('compare-undo-reject').click();
    await expect.poll(counts).toEqual({ tp: 2, fp: 2, fn: 1 });
    await expect.poll(async () => (await call('predictions.list', { imageId })).find((p) => p.id === p2.id)?.extras.rejected).toBeUndefined();

    // X on a shown rejected prediction takes the rejection back too.
    await hover(400, 170);
    await page.keyboard.press('x');
    await expect.poll(counts).toEqual({ tp: 2, fp: 1, fn: 1 });
    await page.getByTestId('compare-show-rejected').click();
    await hover(402, 172);
    await page.keyboard.press('x');
    await expect.poll(counts).toEqual({ tp: 2, fp: 2, fn: 1 });
  });

  it('Shift+A accepts every unmatched prediction above the slider in one undoable step', async () => {
    await slide('compare-confidence-slider', 0.5);
    await page.keyboard.press('Shift+A');
    await saved();
    await expect.poll(async () => (await list()).filter((a) => a.origin === 'model').map((a) => a.derivedFrom)).toEqual([preds[1].id]);
    await slide('compare-confidence-slider', 0);
    await page.keyboard.press('Shift+A');
    await saved();
    await expect.poll(async () => (await list()).filter((a) => a.origin === 'model').length).toBe(2);
    await expect.poll(counts).toEqual({ tp: 4, fp: 0, fn: 1 });
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+z');
    await saved();
    await expect.poll(async () => (await list()).length).toBe(3);

    // Across the project: a count to confirm, then one step per image; the image shown gets its labels at once.
    await page.getByTestId('accept-project').click();
    await expect.poll(() => page.getByTestId('accept-project-count').textContent()).toBe('2');
    await page.getByTestId('accept-project-confirm').click();
    await expect.poll(() => page.getByTestId('accept-project-done').textContent()).toMatch(/Accepted 2 predictions on 1 image/);
    await expect.poll(async () => (await list()).filter((a) => a.origin === 'model').length).toBe(2);
    await expect.poll(counts).toEqual({ tp: 4, fp: 0, fn: 1 });
    expect(await page.getByText(/Another window changed/).count()).toBe(0); // this window's own change, not another's
    await page.keyboard.press('Control+z');
    await saved();
    await expect.poll(async () => (await list()).length).toBe(3);
    // C again leaves compare mode: A is "previous image" once more (there is none before img1, so nothing happens).
    await page.keyboard.press('c');
    await expect.poll(() => page.getByTestId('compare-toggle').getAttribute('aria-pressed')).toBe('false');
  });
});
