/**
 * Compare mode in Chromium for the runs that are not matched shape by shape (issue 9 part 4). A generated "shapes"
 * scene labelled from its COCO file; the bundled semantic segmenter (shapes-fcn) run on the first image, with one
 * shape's label removed (its predicted pixels become false positives) and a square of another class labelled where
 * the model sees background (false negatives). The overlay bitmap must put the FP and FN colours there, the panel's
 * numbers must be `eval.run`'s for the image, a class switched off must leave the overlay, and deleting a label in
 * the editor must change both. Then a caption run (imported COCO caption results) beside the labeled captions, with
 * BLEU-4 and CIDEr-D equal to the core's. Screenshots go to $SIGHTLINE_SCREENSHOTS when set.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Annotation, CallName, CallRequest, CallResponse, LabelClass, Prediction } from '../../common/api/contract.js';
import { semanticClassList, semanticLabelMap, semanticMapMetrics, semanticPredictionMap } from '../../common/metrics/semanticMaps.js';
import { writeShapesDataset } from '../../electron/core/shapes/write.js';
import { openFolderInBrowser, type AppInBrowser } from './chromium.js';
import * as kit from './kit.js';

const SHOTS = process.env.SIGHTLINE_SCREENSHOTS;
let dir: string;
let app: AppInBrowser;
let page: Page;
let ids: number[];
let size: { width: number; height: number };
let semanticRun: number;
let captionRun: number;
/** Image pixels where the overlay must show each colour. */
let fpAt: [number, number];
let fnAt: [number, number];
let tpAt: [number, number];
let noneAt: [number, number];
/** The square labelled where the model sees background, and its class. */
let fnLabel: Annotation;
let fnClass: string;
let fpClass: string;
let captions: Record<number, string[]>;

const call = <K extends CallName>(name: K, args: CallRequest<K>) => app.core.dispatch(name, args) as Promise<CallResponse<K>>;

const shot = (name: string) => kit.shot(page, name);

const importJob = (args: CallRequest<'datasets.import'>) => kit.importJob(app, args);

const screen = (x: number, y: number) => kit.screen(page, x, y);

const saved = () => kit.saved(page);

const openImage = (id: number) => kit.openImage(page, id);

/**
 * What the overlay layer's own canvas holds at an image pixel (the layer alone, not the image under it): 'fp'
 * (orange), 'fn' (magenta), 'tp' (blue), 'none' (transparent), or the RGBA when it is none of those.
 */
async function overlayAt([x, y]: [number, number]): Promise<string> {
  const rgba = await page.evaluate(
    ([px, py]) => {
      type Layer = { getAbsoluteTransform(): { point(p: { x: number; y: number }): { x: number; y: number } }; getCanvas(): { getPixelRatio(): number; _canvas: HTMLCanvasElement } };
      const K = (window as unknown as { Konva: { stages: { container(): HTMLElement; findOne(s: string): Layer | undefined }[] } }).Konva;
      const layer = K.stages.find((s) => s.container().dataset.testid === 'editor-stage')?.findOne('.compare-semantic');
      if (!layer) return null;
      const p = layer.getAbsoluteTransform().point({ x: px + 0.5, y: py + 0.5 });
      const canvas = layer.getCanvas();
      const r = canvas.getPixelRatio();
      return Array.from(canvas._canvas.getContext('2d')!.getImageData(Math.floor(p.x * r), Math.floor(p.y * r), 1, 1).data);
    },
    [x, y],
  );
  if (!rgba) return 'no layer';
  const [r, g, b, a] = rgba;
  if (a === 0) return 'none';
  if (g > b + 30 && r > g) return 'fp';
  if (b > g + 30 && r > b) return 'fn';
  if (b > g && b > r) return 'tp';
  return `rgba(${rgba.join(', ')})`;
}

const value = async (testId: string) => Number(await page.getByTestId(testId).getAttribute('data-value'));
const text = async (testId: string) => (await page.getByTestId(testId).textContent())?.trim();
const storedMiou = (imageId: number) => app.core.store!.db.prepare('SELECT miou FROM image_errors WHERE run_id = ? AND image_id = ?').pluck().get(semanticRun, imageId) as number;

/** The image's maps and numbers from the labels and the run as the core holds them (the functions the evaluation uses). */
async function coreNumbers(imageId: number) {
  const classes = [...((await call('classes.list', {})) as LabelClass[])].sort((a, b) => a.position - b.position || a.id - b.id);
  const name = new Map(classes.map((c) => [c.id, c.name]));
  const list = semanticClassList(classes.map((c) => c.name));
  const labels = (await call('annotations.list', { imageId })) as Annotation[];
  const preds = (await call('predictions.list', { imageId, runId: semanticRun })) as Prediction[];
  const gt = semanticLabelMap(size, labels.map((l) => ({ class: l.classId === null ? null : name.get(l.classId)!, kind: l.kind, geometry: l.geometry })), list);
  const dt = semanticPredictionMap(size, preds.map((p) => ({ class: (p.classId === null ? null : name.get(p.classId)) ?? p.label, kind: p.kind, geometry: p.geometry })), list);
  const m = semanticMapMetrics(gt, dt, list);
  const fg = m.perClass.filter((c) => c.classIndex > 0);
  return {
    gt,
    dt,
    list,
    fp: fg.reduce((n, c) => n + c.predictedPixels - c.truePositives, 0),
    fn: fg.reduce((n, c) => n + c.labeledPixels - c.truePositives, 0),
  };
}

/** The top-left corner of a `side`-pixel square where `ok` holds for every pixel, scanning from the centre out. */
function findSquare(ok: (i: number) => boolean, side: number): [number, number] {
  const { width: W, height: H } = size;
  const spots: [number, number][] = [];
  for (let y = 4; y + side < H - 4; y += 2) for (let x = 4; x + side < W - 4; x += 2) spots.push([x, y]);
  spots.sort((a, b) => Math.hypot(a[0] - W / 2, a[1] - H / 2) - Math.hypot(b[0] - W / 2, b[1] - H / 2));
  for (const [x0, y0] of spots) {
    let all = true;
    for (let y = y0; y < y0 + side && all; y++) for (let x = x0; x < x0 + side && all; x++) all = ok(y * size.width + x);
    if (all) return [x0, y0];
  }
  throw new Error('no such square in the scene');
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-compare-semantic-'));
  const scenes = path.join(dir, 'scenes');
  await writeShapesDataset({ seed: 41, count: 3, minShapes: 2, maxShapes: 3, out: scenes });
  const coco = JSON.parse(readFileSync(path.join(scenes, 'annotations.json'), 'utf8')) as { images: { id: number; width: number; height: number; captions: string[] }[] };
  app = await openFolderInBrowser(path.join(dir, 'home'), path.join(scenes, 'images'));
  page = app.page;
  await importJob({ format: 'coco', from: path.join(scenes, 'annotations.json') });
  const { items } = await call('images.list', { offset: 0, limit: 10, filter: {}, sort: { by: 'path', dir: 'asc' } });
  ids = items.map((r) => r.id);
  size = { width: items[0].width, height: items[0].height };

  // Captions: the scene's own as labels; the run's (COCO caption results, by the dataset's image ids) one exact but
  // shouted, one of another scene, one cut short.
  captions = Object.fromEntries(coco.images.map((im, i) => [ids[i], im.captions]));
  await call('annotations.batch', { create: coco.images.flatMap((im, i) => im.captions.map((t) => ({ imageId: ids[i], kind: 'caption' as const, geometry: { type: 'caption' as const, text: t } }))) });
  const results = [
    { image_id: coco.images[0].id, caption: `${coco.images[0].captions[0].toUpperCase()}!`, score: 0.8 },
    { image_id: coco.images[1].id, caption: coco.images[2].captions[0], score: 0.7 },
    { image_id: coco.images[2].id, caption: coco.images[2].captions[1].split(' ').slice(0, -1).join(' '), score: 0.6 },
  ];
  writeFileSync(path.join(dir, 'captions.json'), JSON.stringify(results));
  captionRun = (await importJob({ format: 'coco-results', from: path.join(dir, 'captions.json'), as: 'predictions' })).run!;

  // The semantic segmenter on the first image.
  const started = await call('models.run', { model: 'shapes-fcn', imageIds: [ids[0]], provider: 'cpu' });
  const job = await app.core.jobs.wait(started.jobId);
  expect(job.state, job.error ?? '').toBe('done');
  semanticRun = started.runId;

  // One shape's label removed: the model still paints it, so its pixels are false positives.
  const labels = ((await call('annotations.list', { imageId: ids[0] })) as Annotation[]).filter((a) => a.kind === 'mask');
  const classes = (await call('classes.list', {})) as LabelClass[];
  const removed = labels[0];
  fpClass = classes.find((c) => c.id === removed.classId)!.name;
  await call('annotations.batch', { delete: [removed.id] });
  let n = await coreNumbers(ids[0]);
  const fpIndex = n.list.classIndex.get(fpClass)! + 1;
  const [fx, fy] = findSquare((i) => n.gt[i] === 0 && n.dt[i] === fpIndex, 9);
  fpAt = [fx + 4, fy + 4];
  // A square of another class where the model sees background: false negatives.
  fnClass = classes.map((c) => c.name).find((c) => c !== fpClass)!;
  const [qx, qy] = findSquare((i) => n.gt[i] === 0 && n.dt[i] === 0, 28);
  const side = 24;
  const [x0, y0] = [qx + 2, qy + 2];
  await call('annotations.batch', {
    create: [{ imageId: ids[0], classId: classes.find((c) => c.name === fnClass)!.id, kind: 'polygon', geometry: { type: 'polygon', points: [x0, y0, x0 + side, y0, x0 + side, y0 + side, x0, y0 + side] } }],
  });
  fnLabel = ((await call('annotations.list', { imageId: ids[0] })) as Annotation[]).find((a) => a.kind === 'polygon')!;
  fnAt = [x0 + side / 2, y0 + side / 2];
  n = await coreNumbers(ids[0]);
  const [tx, ty] = findSquare((i) => n.gt[i] > 0 && n.gt[i] === n.dt[i], 7);
  tpAt = [tx + 3, ty + 3];
  const [bx, by] = findSquare((i) => n.gt[i] === 0 && n.dt[i] === 0, 7);
  noneAt = [bx + 3, by + 3];

  await openImage(ids[0]);
}, 180_000);

afterAll(async () => {
  expect(app?.pageErrors ?? []).toEqual([]);
  await app?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('compare mode, semantic segmentation', () => {
  it("draws FP and FN pixels in their colours; the panel's numbers are eval.run's for the image", async () => {
    await page.keyboard.press('c');
    await expect.poll(() => page.getByTestId('compare-toggle').getAttribute('aria-pressed')).toBe('true');
    await page.getByTestId('compare-run-picker').selectOption(String(semanticRun));
    await page.getByTestId('compare-semantic').waitFor();
    const stage = page.getByTestId('editor-stage');
    await expect.poll(async () => Number(await stage.getAttribute('data-compare-fp-pixels'))).toBeGreaterThan(0);
    // The matching's controls are for shapes: no confidence slider, no accept buttons.
    expect(await page.getByTestId('compare-confidence-slider').count()).toBe(0);
    expect(await page.getByTestId('compare-accept-all').count()).toBe(0);
    await expect.poll(() => overlayAt(fpAt)).toBe('fp');
    expect(await overlayAt(fnAt)).toBe('fn');
    expect(await overlayAt(tpAt)).toBe('tp');
    expect(await overlayAt(noneAt)).toBe('none');
    await shot('compare-semantic');
    if (SHOTS) await page.getByTestId('compare-panel').screenshot({ path: path.join(SHOTS, 'compare-semantic-panel.png') });

    // The run covers this image alone: eval.run's numbers are the image's, and its stored per-image mIoU too.
    const report = await call('eval.run', { runId: semanticRun, iouType: 'semantic' });
    expect(report.images).toBe(1);
    expect(await value('compare-miou')).toBe(storedMiou(ids[0]));
    expect(await value('compare-miou')).toBe(report.metrics.mIoU);
    expect(await value('compare-pixel-acc')).toBe(report.metrics.pixelAcc);
    for (const c of report.perClass) {
      if (c.IoU === null) expect(await page.getByTestId(`compare-iou-${c.class}`).count()).toBe(0);
      else expect(await value(`compare-iou-${c.class}`), String(c.class)).toBe(c.IoU);
    }
    const n = await coreNumbers(ids[0]);
    expect(Number(await text('compare-fp-pixels'))).toBe(n.fp);
    expect(Number(await text('compare-fn-pixels'))).toBe(n.fn);
    expect(n.fn).toBeGreaterThanOrEqual(24 * 24);
  });

  it("a class switched off leaves the overlay, not the numbers", async () => {
    const stage = page.getByTestId('editor-stage');
    const fnDrawn = Number(await stage.getAttribute('data-compare-fn-pixels'));
    const miou = await value('compare-miou');
    await page.getByTestId(`compare-class-${fnClass}`).locator('input').click();
    await expect.poll(() => overlayAt(fnAt)).toBe('none');
    expect(await overlayAt(fpAt)).toBe('fp'); // another class's pixels stay
    expect(Number(await stage.getAttribute('data-compare-fn-pixels'))).toBeLessThanOrEqual(fnDrawn - 24 * 24);
    expect(await value('compare-miou')).toBe(miou);
    await page.getByTestId(`compare-class-${fpClass}`).locator('input').click();
    await expect.poll(() => overlayAt(fpAt)).toBe('none');
    await page.getByTestId(`compare-class-${fnClass}`).locator('input').click();
    await page.getByTestId(`compare-class-${fpClass}`).locator('input').click();
    await expect.poll(() => overlayAt(fnAt)).toBe('fn');
    expect(await overlayAt(fpAt)).toBe('fp');
  });

  it('deleting a label in the editor changes the overlay and the numbers at once; Ctrl+Z brings them back', async () => {
    const before = { miou: await value('compare-miou'), fn: Number(await text('compare-fn-pixels')) };
    const p = await screen(...fnAt);
    await page.mouse.click(p.x, p.y);
    await expect.poll(() => page.evaluate(() => [...(window as unknown as { sightlineEditor: { state: { selection: Set<number> } } }).sightlineEditor.state.selection])).toEqual([fnLabel.id]);
    await page.keyboard.press('Delete');
    await expect.poll(() => overlayAt(fnAt)).toBe('none');
    await expect.poll(async () => Number(await text('compare-fn-pixels'))).toBe(before.fn - 24 * 24);
    expect(await value('compare-miou')).not.toBe(before.miou);
    await saved();
    await shot('compare-semantic-deleted');
    // Saved, the evaluation agrees with what the panel showed at once.
    await call('eval.run', { runId: semanticRun, iouType: 'semantic' });
    expect(await value('compare-miou')).toBe(storedMiou(ids[0]));

    await page.keyboard.press('Control+z');
    await expect.poll(() => overlayAt(fnAt)).toBe('fn');
    await expect.poll(() => value('compare-miou')).toBe(before.miou);
    await saved();
  });

  it('side by side: the labels alone on the left, the FP / FN pixels on the right', async () => {
    const left = page.getByTestId('editor-stage');
    const fp = Number(await left.getAttribute('data-compare-fp-pixels'));
    await page.keyboard.press('Shift+C');
    const right = page.getByTestId('compare-right-stage');
    await right.waitFor();
    await expect.poll(async () => Number(await right.getAttribute('data-compare-fp-pixels'))).toBe(fp);
    expect(await left.getAttribute('data-compare-fp-pixels')).toBeNull();
    await shot('compare-semantic-side');
    await page.keyboard.press('Shift+C');
    await expect.poll(async () => Number(await left.getAttribute('data-compare-fp-pixels'))).toBe(fp);
    expect(await page.getByTestId('compare-right-stage').count()).toBe(0);
  });
});

describe('compare mode, captions', () => {
  it("shows the run's caption beside the labeled ones, with the core's BLEU-4 and CIDEr-D", async () => {
    const report = await call('eval.run', { runId: captionRun, iouType: 'caption' });
    expect(report.images).toBe(3);
    for (const [i, imageId] of ids.entries()) {
      await openImage(imageId);
      await page.getByTestId('compare-run-picker').selectOption(String(captionRun));
      const core = await call('eval.imageCaption', { runId: captionRun, imageId });
      await expect.poll(() => text('compare-caption-candidate')).toBe(core.candidate);
      expect(await page.getByTestId('compare-caption-references').locator('li').allTextContents()).toEqual(captions[imageId]);
      expect(await value('compare-bleu4')).toBe(core.BLEU4);
      expect(await value('compare-cider')).toBe(core.CIDEr);
      // The per-image CIDEr-D of the run's evaluation, which weighs n-grams over all three images' references.
      const stored = app.core.store!.db.prepare('SELECT caption_score FROM image_errors WHERE run_id = ? AND image_id = ?').pluck().get(captionRun, imageId) as number;
      expect(await value('compare-cider')).toBe(stored);
      if (i === 0) {
        // Shouted and with a "!", the first image's caption is still its first reference word for word.
        expect(core.BLEU4).toBeCloseTo(1, 8);
        await expect(page.getByTestId('compare-caption').textContent()).resolves.toMatch(/lowercased, punctuation removed and split on spaces/);
        await shot('compare-caption');
        if (SHOTS) await page.getByTestId('compare-panel').screenshot({ path: path.join(SHOTS, 'compare-caption-panel.png') });
      }
      if (i === 1) expect(core.CIDEr).toBeLessThan(1); // another scene's caption
    }
  });
});
