/**
 * Compare mode side by side in Chromium: Shift+C splits the canvas into the labels (left, still editable) and the
 * run's predictions (right, TP / FP coloured, with their tips); a wheel zoom on the right and a pan on the left move
 * both stages identically; fit applies to both; leaving side by side (or compare mode) leaves one stage, and the
 * choice comes back with compare mode. Labels and predictions are imported from COCO files. Screenshots go to
 * $SIGHTLINE_SCREENSHOTS when set.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Annotation, CallName, CallRequest, CallResponse } from '../../common/api/contract.js';
import { openFolderInBrowser, type AppInBrowser } from './chromium.js';
import * as kit from './kit.js';

const SHOTS = process.env.SIGHTLINE_SCREENSHOTS;
let dir: string;
let app: AppInBrowser;
let page: Page;
let imageId: number;
const W = kit.SCENE.width;
const H = kit.SCENE.height;

const call = <K extends CallName>(name: K, args: CallRequest<K>) => app.core.dispatch(name, args) as Promise<CallResponse<K>>;
const list = () => call('annotations.list', { imageId }) as Promise<Annotation[]>;

const importJob = (args: CallRequest<'datasets.import'>) => kit.importJob(app, args);

const saved = () => kit.saved(page);

type Side = 'left' | 'right';
const STAGE: Record<Side, string> = { left: 'editor-stage', right: 'compare-right-stage' };

interface View {
  scale: number;
  x: number;
  y: number;
}

/** The Konva stage's own transform (what is drawn), found by its container's test id. */
async function stageView(side: Side): Promise<View> {
  return page.evaluate((testId) => {
    type KStage = { container(): HTMLElement; scaleX(): number; x(): number; y(): number };
    const st = (window as unknown as { Konva: { stages: KStage[] } }).Konva.stages.find((s) => s.container().dataset.testid === testId);
    if (!st) throw new Error(`no stage ${testId}`);
    return { scale: st.scaleX(), x: st.x(), y: st.y() };
  }, STAGE[side]);
}

/** Screen position of image pixel (x, y) on one side. */
async function screen(side: Side, x: number, y: number): Promise<{ x: number; y: number }> {
  const vp = await stageView(side);
  const box = (await page.getByTestId(STAGE[side]).boundingBox())!;
  return { x: box.x + x * vp.scale + vp.x, y: box.y + y * vp.scale + vp.y };
}

async function hover(side: Side, x: number, y: number): Promise<void> {
  const p = await screen(side, x, y);
  await page.mouse.move(p.x - 3, p.y - 3);
  await page.mouse.move(p.x, p.y, { steps: 2 });
}

/** The right stage's tooltip when shown (its text, and whether it lies inside the stage), else null. */
const rightTipShown = () =>
  page.evaluate(() => {
    type KNode = { text(): string; isVisible(): boolean; getClientRect(): { x: number; width: number } };
    type KStage = { container(): HTMLElement; find(sel: string): KNode[]; width(): number };
    const st = (window as unknown as { Konva: { stages: KStage[] } }).Konva.stages.find((s) => s.container().dataset.testid === 'compare-right-stage');
    const t = st?.find('Text').find((n) => n.isVisible());
    if (!st || !t) return null;
    const r = t.getClientRect();
    return { text: t.text(), inside: r.x >= 0 && r.x + r.width <= st.width() };
  });
const rightTip = async () => (await rightTipShown())?.text ?? null;

const near = (a: View, b: View) => {
  expect(Math.abs(a.scale - b.scale), `scale ${a.scale} vs ${b.scale}`).toBeLessThan(1e-9);
  expect(Math.abs(a.x - b.x), `x ${a.x} vs ${b.x}`).toBeLessThan(1e-6);
  expect(Math.abs(a.y - b.y), `y ${a.y} vs ${b.y}`).toBeLessThan(1e-6);
};

/** Both stages, once the right one has drawn, show the same transform. */
async function linked(): Promise<View> {
  await expect.poll(async () => JSON.stringify(await stageView('left')) === JSON.stringify(await stageView('right'))).toBe(true);
  const left = await stageView('left');
  near(left, await stageView('right'));
  return left;
}

const pressedSide = () => page.getByTestId('compare-side-toggle').getAttribute('aria-pressed');

// The scene of kit.SCENE on img1: at IoU 0.5, TP p1 p3, FP p2 p4, FN B.
const GT = { images: [{ id: 1, file_name: 'img1.png', width: W, height: H }], categories: kit.SCENE.categories, annotations: kit.SCENE.annotations };
const DT = kit.SCENE.results;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-compare-side-e2e-'));
  const folder = path.join(dir, 'photos');
  mkdirSync(folder);
  await sharp({ create: { width: W, height: H, channels: 3, background: { r: 100, g: 90, b: 80 } } })
    .png()
    .toFile(path.join(folder, 'img1.png'));
  writeFileSync(path.join(dir, 'gt.json'), JSON.stringify(GT));
  writeFileSync(path.join(dir, 'dt.json'), JSON.stringify(DT));
  app = await openFolderInBrowser(path.join(dir, 'home'), folder);
  page = app.page;
  await importJob({ format: 'coco', from: path.join(dir, 'gt.json') });
  const run = await importJob({ format: 'coco-results', from: path.join(dir, 'dt.json'), as: 'predictions' });
  expect(run.run).not.toBeNull();
  const { items } = await call('images.list', { offset: 0, limit: 10, filter: {}, sort: { by: 'path', dir: 'asc' } });
  imageId = items[0].id;
  await page.evaluate((i) => (location.hash = `#/image/${i}`), imageId);
  await page.waitForFunction(() => document.querySelector('[data-testid="viewer-stage"]')?.getAttribute('data-loaded') === 'true');
  await page.waitForFunction(() => Number((document.querySelector('[data-testid="viewer-stage"]') as HTMLElement)?.dataset.scale) > 0);
  await page.waitForFunction((i) => (window as unknown as { sightlineEditor?: { state: { image: { id: number } | null } } }).sightlineEditor?.state.image?.id === i, imageId);
}, 120_000);

afterAll(async () => {
  expect(app?.pageErrors ?? []).toEqual([]);
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('compare side by side', () => {
  it('Shift+C splits the canvas: labels left, predictions right, same size, same viewport', async () => {
    const single = (await page.getByTestId('editor-stage').boundingBox())!;
    await page.keyboard.press('c');
    await expect.poll(() => page.getByTestId('compare-toggle').getAttribute('aria-pressed')).toBe('true');
    await expect.poll(pressedSide).toBe('false');
    await page.keyboard.press('Shift+C');
    await expect.poll(pressedSide).toBe('true');
    await expect.poll(() => page.getByTestId('compare-right-stage').count()).toBe(1);
    await page.waitForFunction(() => document.querySelector('[data-testid="compare-right-viewer"]')?.getAttribute('data-loaded') === 'true');

    const left = (await page.getByTestId('editor-stage').boundingBox())!;
    const right = (await page.getByTestId('compare-right-stage').boundingBox())!;
    expect(left.x + left.width).toBeLessThanOrEqual(right.x + 0.5); // side by side, left first
    expect(Math.abs(left.width - right.width)).toBeLessThanOrEqual(1);
    expect(left.y).toBe(right.y);
    expect(left.height).toBe(right.height);
    expect(left.width + right.width).toBeLessThanOrEqual(single.width + 1);
    expect(left.width).toBeLessThan(single.width * 0.6);
    await linked();

    await expect.poll(() => page.getByTestId('compare-right-label').textContent()).toMatch(/^Predictions · run #\d+/);
    // The right draws the run's predictions (TP / FP); the left only the labels (with the missed one's halo).
    await expect.poll(() => page.getByTestId('compare-right-stage').getAttribute('data-compare-fp')).toBe('2');
    expect(await page.getByTestId('compare-right-stage').getAttribute('data-compare-tp')).toBe('2');
    expect(await page.getByTestId('editor-stage').getAttribute('data-compare-fn')).toBe('1');
    expect(await page.getByTestId('editor-stage').getAttribute('data-compare-fp')).toBeNull();
  });

  it('a wheel zoom on the right and a pan on the left move both stages identically; F fits both', async () => {
    const fitted = await linked();
    const r = (await page.getByTestId('compare-right-stage').boundingBox())!;
    await page.mouse.move(r.x + r.width * 0.3, r.y + r.height * 0.4);
    await page.mouse.wheel(0, -300);
    await expect.poll(async () => (await stageView('right')).scale).toBeGreaterThan(fitted.scale * 1.2);
    const zoomed = await linked();
    expect(zoomed.scale).toBeGreaterThan(fitted.scale * 1.2);
    expect(Number(await page.getByTestId('viewer-stage').getAttribute('data-scale'))).toBeCloseTo(zoomed.scale, 9);

    // A middle-button drag on the left (the left button there is the editor's) pans the right too.
    const l = (await page.getByTestId('editor-stage').boundingBox())!;
    await page.mouse.move(l.x + 200, l.y + 200);
    await page.mouse.down({ button: 'middle' });
    await page.mouse.move(l.x + 150, l.y + 260, { steps: 6 });
    await page.mouse.up({ button: 'middle' });
    await expect.poll(async () => (await stageView('right')).x).toBeCloseTo(zoomed.x - 50, 6);
    const panned = await linked();
    expect(panned.y).toBeCloseTo(zoomed.y + 60, 6);
    expect(panned.scale).toBe(zoomed.scale);

    // A left drag on the right pans too (nothing to edit there).
    await page.mouse.move(r.x + 100, r.y + 100);
    await page.mouse.down();
    await page.mouse.move(r.x + 130, r.y + 90, { steps: 4 });
    await page.mouse.up();
    await expect.poll(async () => (await stageView('left')).x).toBeCloseTo(panned.x + 30, 6);
    await linked();
    await shot('compare-side-zoomed');

    await page.keyboard.press('f');
    const refit = await linked();
    near(refit, fitted);
  });

  it('the right shows the predictions with their tips (A accepts from there); the left edits the labels', async () => {
    await hover('right', 500, 350); // p4, the dog on nothing
    await expect.poll(rightTip).toMatch(/^dog: FP · best IoU 0\.00 · score 0\.30/);
    expect(await rightTipShown()).toMatchObject({ inside: true }); // p4 is near the pane's right edge: the tip moves in
    await shot('compare-side');
    await page.keyboard.press('a');
    await saved();
    await expect.poll(async () => (await list()).length).toBe(4);
    await expect.poll(() => page.getByTestId('compare-right-stage').getAttribute('data-compare-fp')).toBe('1');
    await page.keyboard.press('Control+z');
    await saved();
    await expect.poll(async () => (await list()).length).toBe(3);
    await page.mouse.move(5, 5);
    await expect.poll(rightTip).toBeNull();

    // On the left the select tool still moves a label (the cat A at 100,100): saved, and undone.
    const a = (await list()).find((x) => x.geometry.type === 'box' && x.geometry.x === 100 && x.geometry.y === 100)!;
    const from = await screen('left', 150, 150);
    const vp = await stageView('left');
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(from.x + 40 * vp.scale, from.y + 30 * vp.scale, { steps: 6 });
    await page.mouse.up();
    await saved();
    await expect.poll(async () => (await list()).find((x) => x.id === a.id)?.geometry).toMatchObject({ type: 'box', x: 140, y: 130 });
    // Matching follows the edit at once: the moved A (IoU 0.29 with p1) no longer matches it.
    await expect.poll(() => page.getByTestId('compare-right-stage').getAttribute('data-compare-tp')).toBe('1');
    await page.keyboard.press('Control+z');
    await saved();
    await expect.poll(async () => (await list()).find((x) => x.id === a.id)?.geometry).toMatchObject({ type: 'box', x: 100, y: 100 });
    await expect.poll(() => page.getByTestId('compare-right-stage').getAttribute('data-compare-tp')).toBe('2');
  });

  it('Shift+C again, or leaving compare mode, leaves one stage; side by side comes back with compare mode', async () => {
    await page.keyboard.press('Shift+C');
    await expect.poll(() => page.getByTestId('compare-right-stage').count()).toBe(0);
    await expect.poll(() => page.getByTestId('editor-stage').count()).toBe(1);
    await expect.poll(() => page.getByTestId('editor-stage').getAttribute('data-compare-fp')).toBe('2'); // one canvas again
    await page.getByTestId('compare-side-toggle').click();
    await expect.poll(() => page.getByTestId('compare-right-stage').count()).toBe(1);
    await page.keyboard.press('c');
    await expect.poll(() => page.getByTestId('compare-right-stage').count()).toBe(0);
    await expect(page.getByTestId('compare-side-toggle').count()).resolves.toBe(0);
    const full = (await page.getByTestId('editor-stage').boundingBox())!;
    await page.keyboard.press('c');
    await expect.poll(() => page.getByTestId('compare-right-stage').count()).toBe(1); // kept for the session
    await linked();
    await page.keyboard.press('Shift+C');
    await expect.poll(() => page.getByTestId('compare-right-stage').count()).toBe(0);
    await expect.poll(async () => (await page.getByTestId('editor-stage').boundingBox())!.width).toBe(full.width);
    await page.keyboard.press('c');
    await expect.poll(() => page.getByTestId('compare-toggle').getAttribute('aria-pressed')).toBe('false');
  });
});

async function shot(name: string) {
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}
