/**
 * End to end in a real Chromium: inference from the UI. A project of the test fixtures; run the bundled BlazeFace
 * on the astronaut from the viewer, see its face drawn on the predictions layer (the stage container counts the
 * shapes it draws), hide it with P and the confidence slider; multi-select in the library; the Models page lists
 * BlazeFace with its graph inputs and the provider its session really got, and adds, checks and removes a model.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallName, CallRequest, CallResponse } from '../../common/api/contract.js';
import type { AppCore } from '../../electron/core/app.js';
import type { RunningServer } from '../../electron/server/http.js';
import { openFolderInBrowser, type AppInBrowser } from './chromium.js';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURES = path.join(ROOT, 'test/fixtures/images');
const SHOTS = process.env.SIGHTLINE_SCREENSHOTS;

let tmp: string;
let app: AppInBrowser;
let core: AppCore;
let server: RunningServer;
let page: Page;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-e2e-inference-'));
  app = await openFolderInBrowser(tmp, FIXTURES);
  ({ core, server, page } = app);
});

afterAll(async () => {
  await app?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const call = <K extends CallName>(name: K, args: CallRequest<K>) => core.dispatch(name, args) as Promise<CallResponse<K>>;

async function shot(name: string) {
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

const predictionCount = async () => Number((await page.locator('[data-prediction-count]').getAttribute('data-prediction-count')) ?? -1);

describe('inference in the browser', () => {
  it('runs BlazeFace on the astronaut from the viewer and draws the face', async () => {
    const astronaut = core.store!.images.list({ offset: 0, limit: 10, filter: { text: 'astronaut' }, sort: { by: 'path', dir: 'asc' } }).items[0];
    expect(astronaut?.relPath).toBe('astronaut.png');
    await page.goto(`${server.origin}/#/image/${astronaut.id}`);
    await page.locator('[data-testid="viewer-stage"][data-loaded="true"]').waitFor();
    await expect.poll(() => predictionCount()).toBe(0);

    const select = page.getByTestId('run-model-select');
    await select.locator('option[value="blazeface"]').waitFor({ state: 'attached' });
    await select.selectOption('blazeface');
    await page.getByTestId('run-provider-select').selectOption('cpu');
    await page.getByTestId('run-model-button').click();

    // Exactly one face: its box and its six landmarks.
    await expect.poll(() => predictionCount(), { timeout: 60_000 }).toBeGreaterThanOrEqual(1);
    const runs = await call('runs.list', {});
    expect(runs).toMatchObject([{ model: 'blazeface', status: 'done', provider: 'cpu', images: 1, predictions: 2 }]);
    await expect.poll(() => predictionCount()).toBe(2);
    await expect.poll(() => page.getByTestId('predictions-summary').textContent()).toBe('blazeface on CPU · 2 of 2 shapes shown');
    await shot('inference-viewer-blazeface');

    // The box is drawn where the face is: image pixels (177, 82)–(272, 176) through the viewer's transform.
    const drawn = await page.evaluate(() => {
      const stage = (window as unknown as { Konva: { stages: { findOne(f: (n: { name(): string; getClassName(): string }) => boolean): { getClientRect(o: object): { x: number; y: number; width: number; height: number } } }[] } }).Konva.stages[0];
      return stage.findOne((n) => n.name() === 'prediction' && n.getClassName() === 'Rect').getClientRect({ skipStroke: true });
    });
    const vp = await page.getByTestId('viewer-stage').evaluate((el) => ({ s: Number(el.dataset.scale), x: Number(el.dataset.offsetX), y: Number(el.dataset.offsetY) }));
    const [x1, y1, x2, y2] = [(drawn.x - vp.x) / vp.s, (drawn.y - vp.y) / vp.s, (drawn.x + drawn.width - vp.x) / vp.s, (drawn.y + drawn.height - vp.y) / vp.s];
    for (const [got, want] of [[x1, 177], [y1, 82], [x2, 272], [y2, 176]]) expect(Math.abs(got - want)).toBeLessThanOrEqual(5);

    // P hides the layer, P again shows it.
    await page.keyboard.press('Shift+P');
    await expect.poll(() => predictionCount()).toBe(0);
    await page.keyboard.press('Shift+P');
    await expect.poll(() => predictionCount()).toBe(2);

    // Above the face's score, nothing is left; back at 0, all of it.
    await page.getByTestId('confidence-slider').fill('1');
    await expect.poll(() => predictionCount()).toBe(0);
    await page.getByTestId('confidence-slider').fill('0');
    await expect.poll(() => predictionCount()).toBe(2);
  });

  it('multi-selects in the library: click, ctrl-click, shift-click', async () => {
    await page.goto(`${server.origin}/#/library`);
    const cells = page.getByTestId('grid-cell');
    await cells.nth(3).waitFor();
    const selected = page.locator('[data-testid="grid-cell"][data-selected="true"]');
    await cells.nth(0).click();
    await expect.poll(() => selected.count()).toBe(1);
    await cells.nth(3).click({ modifiers: ['Shift'] });
    await expect.poll(() => selected.count()).toBe(4);
    await cells.nth(1).click({ modifiers: ['Control'] });
    await expect.poll(() => selected.count()).toBe(3);
    expect(await cells.nth(1).getAttribute('data-selected')).toBe('false');
    await expect.poll(() => page.getByTestId('selection-count').textContent()).toMatch(/^3 selected/);
    await page.getByTestId('library-run-model').click();
    await expect.poll(() => page.getByTestId('run-on-selection').textContent()).toBe('Run on selection (3)');
    await shot('inference-library-selection');
    const picked = await selected.evaluateAll((cells) => cells.map((c) => Number(c.getAttribute('data-image-id'))).sort((a, b) => a - b));
    await page.getByTestId('run-model-select').selectOption('blazeface');
    await page.getByTestId('run-on-selection').click();
    // The run covers exactly the selected images: each gets its row of image extras.
    await expect.poll(async () => (await call('runs.list', {}))[0], { timeout: 60_000 }).toMatchObject({ model: 'blazeface', status: 'done', images: 3 });
    const runId = (await call('runs.list', {}))[0].id;
    const covered = [];
    for (const id of picked) if ((await call('predictions.list', { imageId: id, runId })).length > 0) covered.push(id);
    expect(covered).toEqual(picked);
    // A double-click still opens the image.
    const id = await cells.nth(2).getAttribute('data-image-id');
    await cells.nth(2).dblclick();
    await page.waitForURL(new RegExp(`#/image/${id}$`));
  });

  it('lists BlazeFace on the Models page with its inputs and the provider it got', async () => {
    await page.goto(`${server.origin}/#/models`);
    await page.locator('[data-testid="model-item"][data-model-name="blazeface"]').click();
    const detail = page.locator('[data-testid="model-detail"][data-model-name="blazeface"]');
    await detail.waitFor();
    const inputs = detail.locator('[data-testid="model-io"] tr.io-input');
    await expect.poll(() => inputs.count()).toBeGreaterThanOrEqual(1);
    expect(await inputs.first().textContent()).toContain('input:0');
    expect(await inputs.first().textContent()).toContain('[1, 128, 128, 3]');
    await expect.poll(() => detail.getByTestId('model-provider').textContent()).toBe('CPU');
    await shot('inference-models-page');
  });

  it('adds a model from its ONNX file, refuses a manifest that disagrees with the graph, and removes it', async () => {
    await page.getByTestId('add-model').click();
    await page.getByTestId('add-model-path').fill(path.join(ROOT, 'test/fixtures/layouts/lraspp-tiny.onnx'));
    await page.getByTestId('add-model-inspect').click();
    await expect.poll(() => page.getByTestId('model-proposal').textContent()).toMatch(/semantic-segmenter with the semantic-logits decoder/);
    await page.getByTestId('add-model-submit').click();
    const detail = page.locator('[data-testid="model-detail"][data-model-name="lraspp-tiny"]');
    await detail.waitFor();
    expect(await page.locator('[data-testid="model-item"][data-model-name="lraspp-tiny"] .tag-user').count()).toBe(1);

    // Two class names for a graph with four classes: the server names the mismatch.
    const editor = detail.getByTestId('manifest-editor');
    const manifest = JSON.parse(await editor.inputValue());
    await editor.fill(JSON.stringify({ ...manifest, classes: ['a', 'b'] }, null, 2));
    await detail.getByRole('button', { name: 'Save manifest' }).click();
    await expect.poll(() => detail.getByTestId('manifest-server-error').textContent()).toMatch(/4 classes.*names 2|names 2.*4 classes/);
    // A manifest the schema refuses is caught before it is sent.
    await editor.fill(JSON.stringify({ ...manifest, decoder: 'yolov9' }));
    await expect.poll(() => detail.getByTestId('manifest-issues').textContent()).toMatch(/^decoder:/);
    await shot('inference-models-manifest-errors');

    await detail.getByRole('button', { name: 'Remove model…' }).click();
    await detail.getByRole('button', { name: 'Remove', exact: true }).click();
    await expect.poll(() => page.locator('[data-testid="model-item"][data-model-name="lraspp-tiny"]').count()).toBe(0);
    expect(app.pageErrors).toEqual([]);
  });
});
