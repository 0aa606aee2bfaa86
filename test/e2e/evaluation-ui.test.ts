/**
 * The Evaluation page in Chromium against the real local server (issue 9 part 7). The data are the reference case
 * coco-bbox-b of ../shared/reference/metrics brought in as a user would (blank JPEGs of the right sizes imported as
 * a folder, gt.json as COCO labels, dt.json as a COCO-results run), plus a second run made of part of dt.json to
 * compare with. The page must show pycocotools' AP, draw the PR curves and the confusion heat-map (ECharts canvases
 * that are not blank), list a confusion cell's images when the cell is clicked on the canvas, open the viewer from
 * that list, and show two runs side by side with their differences.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallName, CallRequest, CallResponse, EvalReport } from '../../common/api/contract.js';
import { heatmapCellCenter } from '../../renderer/features/evaluation/chartOptions.js';
import { formatMetric, metricDelta, UNDEFINED_TOOLTIP } from '../../renderer/features/evaluation/report.js';
import { openFolderInBrowser, type AppInBrowser } from './chromium.js';
import { importDataset as importDatasetInto, readReferenceCase, REFERENCE, referenceMissing, writeReferenceImages } from '../reference-cases.js';

const CASE = path.join(REFERENCE, 'coco-bbox-b');
const missing = referenceMissing('coco-bbox-b');
if (missing) console.warn(`evaluation-ui: skipped, ${missing}`);

const SHOTS = process.env.SIGHTLINE_SCREENSHOTS;
const JOB_TIMEOUT = 60_000;

let dir: string;
let app: AppInBrowser;
let page: Page;
let runA: number;
let runB: number;
let reportA: EvalReport;
let reportB: EvalReport;
let expected: { stats: Record<string, number>; per_category_AP: Record<string, number> };

const call = <K extends CallName>(name: K, args: CallRequest<K>) => app.core.dispatch(name, args) as Promise<CallResponse<K>>;

const importDataset = (args: CallRequest<'datasets.import'>) => importDatasetInto(app.core, args);

/** A screenshot of the whole page: the page scrolls inside `.eval-main`, so the window is made as tall as its content. */
async function shot(name: string) {
  if (!SHOTS) return;
  const tall = await page.evaluate(() => {
    const main = document.querySelector('.eval-main');
    return main ? main.scrollHeight + main.getBoundingClientRect().top : 800;
  });
  await page.setViewportSize({ width: 1280, height: Math.max(800, Math.ceil(tall)) });
  await page.waitForTimeout(200);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  await page.setViewportSize({ width: 1280, height: 800 });
}

/** Whether an element's pixels are not all one colour: a canvas that ECharts really drew on. */
async function drawn(el: Locator): Promise<{ distinct: number; box: { width: number; height: number } }> {
  const png = await el.screenshot();
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const colours = new Set<number>();
  for (let i = 0; i < data.length && colours.size < 64; i += 3) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
  return { distinct: colours.size, box: { width: info.width, height: info.height } };
}

async function openEvaluation(hash = '#/evaluation') {
  await page.evaluate((h) => (window.location.hash = h), hash);
  await page.getByTestId('evaluation-page').waitFor();
}

beforeAll(async () => {
  if (missing) return;
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-eval-ui-'));
  const ref = readReferenceCase('coco-bbox-b');
  expected = ref.expected as typeof expected;
  const photos = path.join(dir, 'photos');
  await writeReferenceImages(ref, photos);
  app = await openFolderInBrowser(path.join(dir, 'home'), photos);
  page = app.page;

  await importDataset({ format: 'coco', from: path.join(CASE, 'gt.json') });
  runA = (await importDataset({ format: 'coco-results', from: path.join(CASE, 'dt.json'), as: 'predictions' })).run!;
  // A weaker run to compare with: every other detection of the same file.
  const dts = JSON.parse(readFileSync(path.join(CASE, 'dt.json'), 'utf8')) as unknown[];
  const half = path.join(dir, 'dt-half.json');
  writeFileSync(half, JSON.stringify(dts.filter((_, i) => i % 2 === 0)));
  runB = (await importDataset({ format: 'coco-results', from: half, as: 'predictions' })).run!;
  expect(runB).not.toBe(runA);
  reportA = await call('eval.run', { runId: runA, iouType: 'bbox' });
  reportB = await call('eval.run', { runId: runB, iouType: 'bbox' });
  // The page learns of the import through events; a reload makes it certain.
  await page.reload();
  await page.getByTestId('library-grid').waitFor();
}, 180_000);

afterAll(async () => {
  await app?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(missing !== null)('the Evaluation page', () => {
  it('is in the header once a project is open, and shows a chosen run’s COCO numbers as pycocotools computed them', async () => {
    const nav = page.getByTestId('nav-evaluation');
    expect(await nav.textContent()).toBe('Evaluation');
    await nav.click();
    await page.getByTestId('evaluation-page').waitFor();
    expect(await nav.getAttribute('aria-current')).toBe('page');

    await page.getByTestId('eval-run').selectOption(String(runA));
    await page.getByTestId('eval-type').selectOption('bbox');
    await page.waitForFunction((run) => window.location.hash === `#/evaluation?run=${run}&type=bbox`, runA);
    const ap = page.getByTestId('eval-metric-AP');
    await ap.waitFor();
    // The numbers of the run just chosen, not of the run shown first: nothing is being evaluated any more.
    await page.waitForFunction(() => document.querySelector('[data-testid="eval-results"]')?.getAttribute('aria-busy') === 'false' && !document.querySelector('[data-testid="eval-status"]')?.textContent);
    expect(await ap.textContent()).toBe(formatMetric(expected.stats.AP));
    expect(await ap.textContent()).toBe('0.102');
    // All twelve named numbers, each as pycocotools' value written the same way; the full value in the tooltip.
    for (const [k, v] of Object.entries(expected.stats)) expect(await page.getByTestId(`eval-metric-${k}`).textContent(), k).toBe(formatMetric(v));
    expect(await page.locator('[data-testid="eval-metrics"] tbody tr').count()).toBe(12);
    expect(Number(await ap.getAttribute('data-value'))).toBeCloseTo(expected.stats.AP, 12);

    // Per class: bird has no labels, so its AP is undefined and shown as a dash that says so.
    const rows = page.getByTestId('eval-per-class-row');
    expect((await rows.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.class))).sort()).toEqual(Object.keys(expected.per_category_AP).sort());
    for (const [cls, v] of Object.entries(expected.per_category_AP)) {
      const cell = page.locator(`[data-testid="eval-per-class-row"][data-class="${cls}"] td[data-col="AP"]`);
      // What is seen: the words kept for screen readers ("undefined") are not.
      const seen = await cell.evaluate((el) => {
        const copy = el.cloneNode(true) as HTMLElement;
        for (const sr of copy.querySelectorAll('.sr-only')) sr.remove();
        return copy.textContent?.trim();
      });
      expect(seen, cls).toBe(formatMetric(v));
    }
    const birdAp = page.locator('[data-testid="eval-per-class-row"][data-class="bird"] td[data-col="AP"] .metric-undefined');
    expect(await birdAp.getAttribute('title')).toBe(UNDEFINED_TOOLTIP);
    expect(await birdAp.getAttribute('title')).toMatch(/^Undefined/);
  });

  it('draws the PR curves (without the class that has no labels) and the confusion heat-map', async () => {
    const pr = page.getByTestId('eval-pr-chart');
    await pr.locator('canvas').first().waitFor();
    await expect.poll(async () => (await drawn(pr)).distinct, { timeout: 10_000 }).toBeGreaterThan(4);
    expect(await pr.getAttribute('aria-label')).toContain('cat');
    expect(await pr.getAttribute('aria-label')).not.toContain('bird');
    expect(await page.getByTestId('eval-pr-hidden').textContent()).toContain('1 class without labels');

    const heat = page.getByTestId('eval-confusion-chart');
    await heat.locator('canvas').first().waitFor();
    await expect.poll(async () => (await drawn(heat)).distinct, { timeout: 10_000 }).toBeGreaterThan(4);
    await heat.scrollIntoViewIfNeeded();
    await shot('evaluation-page');
  });

  it('lists a confusion cell’s images when the cell is clicked on the heat-map, and a link opens the viewer', async () => {
    const { names, counts } = reportA.confusion!;
    const n = names.length;
    // The first correct cell (labelled = predicted) with images, else any cell with some.
    const cells = counts.flatMap((r, row) => r.map((v, col) => ({ row, col, v })));
    const target = cells.find((c) => c.v > 0 && c.row === c.col) ?? cells.find((c) => c.v > 0)!;
    const ids = reportA.confusionImages![target.row][target.col];
    expect(ids.length).toBeGreaterThan(0);

    const heat = page.getByTestId('eval-confusion-chart');
    await heat.scrollIntoViewIfNeeded();
    const box = (await heat.boundingBox())!;
    const at = heatmapCellCenter(box.width, box.height, n, target.row, target.col);
    await page.mouse.click(box.x + at.x, box.y + at.y);

    const panel = page.getByTestId('eval-images-panel');
    await panel.waitFor();
    expect(await page.getByTestId('eval-images-title').textContent()).toContain(`Labelled ${names[target.row]}`);
    const links = panel.getByTestId('eval-image-link');
    await expect.poll(() => links.count()).toBe(ids.length);
    expect(await links.evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.imageId)))).toEqual(ids);
    // Named by their files, once images.get has answered, with thumbnails.
    const files = await Promise.all(ids.map(async (id) => (await call('images.get', { id })).relPath));
    await expect.poll(() => links.allInnerTexts()).toEqual(files.map((f) => expect.stringContaining(f)));
    await expect.poll(() => panel.locator('img').count()).toBe(ids.length);
    await shot('evaluation-cell-images');

    // The same cell is reachable from the table form of the matrix (keyboard and screen readers).
    await page.getByTestId('eval-images-close').click();
    await panel.waitFor({ state: 'detached' });
    await page.locator('.eval-confusion-details summary').first().click();
    await page.locator(`[data-testid="eval-confusion-table"] [data-testid="eval-confusion-cell"][data-row="${target.row}"][data-col="${target.col}"]`).click();
    await panel.waitFor();
    expect(await links.count()).toBe(ids.length);

    await links.first().click();
    await page.waitForFunction((id) => window.location.hash === `#/image/${id}`, ids[0]);
    await page.getByTestId('viewer-stage').waitFor();
    // Back returns to the same run.
    await page.goBack();
    await page.getByTestId('evaluation-page').waitFor();
    await page.waitForFunction((run) => window.location.hash.startsWith(`#/evaluation?run=${run}`), runA);
    await expect.poll(() => page.getByTestId('eval-metric-AP').textContent()).toBe(formatMetric(expected.stats.AP));
  });

  it('opens the images behind a class’s label count and behind the false positives', async () => {
    await page.locator('[data-testid="eval-per-class-row"][data-class="cat"] [data-testid="eval-class-numGt"]').click();
    const panel = page.getByTestId('eval-images-panel');
    await panel.waitFor();
    expect(await page.getByTestId('eval-images-title').textContent()).toBe('Images with labels of cat');
    const k = reportA.confusion!.names.indexOf('cat');
    const expectedIds = [...new Set(reportA.confusionImages![k].flat())].sort((a, b) => a - b);
    await expect.poll(() => panel.getByTestId('eval-image-link').count()).toBe(expectedIds.length);

    await page.getByTestId('eval-count-fp').click();
    await expect.poll(() => page.getByTestId('eval-images-title').textContent()).toBe('Images with false positives');
    const withFp = reportA.perImage!.filter((p) => p.fp > 0).length;
    await expect.poll(() => panel.getByTestId('eval-image-link').count()).toBe(withFp);
    expect(await page.getByTestId('eval-count-fp').textContent()).toBe(String(reportA.perImage!.reduce((s, p) => s + p.fp, 0)));
    await page.getByTestId('eval-images-close').click();
  });

  it('measures the run as another type on request: captions give undefined numbers and say how they compare', async () => {
    await page.getByTestId('eval-type').selectOption('caption');
    await page.waitForFunction(() => document.querySelector('[data-testid="eval-results"]')?.getAttribute('data-iou-type') === 'caption');
    const names = await page.locator('[data-testid="eval-metrics"] tbody th').allTextContents();
    expect(names).toEqual(['BLEU1', 'BLEU2', 'BLEU3', 'BLEU4', 'CIDEr']);
    // No captions in this project: every number is undefined (null), shown as a dash with the tooltip.
    for (const n of names) expect(await page.getByTestId(`eval-metric-${n}`).locator('.metric-undefined').getAttribute('title')).toBe(UNDEFINED_TOOLTIP);
    expect(await page.getByTestId('eval-notes').textContent()).toContain('lowercase, punctuation removed');
    expect(await page.getByTestId('eval-pr-chart').count()).toBe(0);
    expect(await page.getByTestId('eval-confusion-chart').count()).toBe(0);
    await page.getByTestId('eval-type').selectOption('bbox');
    await expect.poll(() => page.getByTestId('eval-metric-AP').textContent()).toBe(formatMetric(expected.stats.AP));
  });

  it('compares two runs side by side, with the differences coloured', async () => {
    await page.getByTestId('eval-compare').selectOption(String(runB));
    const delta = page.getByTestId('eval-delta-AP');
    await delta.waitFor();
    const d = metricDelta(reportA.metrics.AP, reportB.metrics.AP, 'AP')!;
    expect(d).not.toBeNull();
    expect((await delta.innerText()).replace(/[▲▼]\s*/, '')).toBe(d.text);
    expect(await page.getByTestId('eval-metric-b-AP').textContent()).toBe(formatMetric(reportB.metrics.AP));
    expect(await page.getByTestId('eval-metric-AP').textContent()).toBe(formatMetric(reportA.metrics.AP));
    const cls = await delta.locator('.delta').getAttribute('class');
    expect(cls).toContain(d.better ? 'delta-better' : d.better === false ? 'delta-worse' : 'delta-same');
    const colour = await delta.locator('.delta').evaluate((el) => getComputedStyle(el).color);
    if (d.better) expect(colour).toBe('rgb(63, 191, 127)');
    // Two heat-maps, one per run, both drawn.
    const second = page.getByTestId('eval-confusion-chart-b');
    await second.locator('canvas').first().waitFor();
    await expect.poll(async () => (await drawn(second)).distinct, { timeout: 10_000 }).toBeGreaterThan(4);
    await shot('evaluation-compare');
    expect(app.pageErrors).toEqual([]);
  });
});
