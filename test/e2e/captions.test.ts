/**
 * End to end in a real Chromium: a captioner from the viewer. A generated "shapes" scene, the bundled LSTM
 * captioner run from the viewer's Run control; the caption shows as words with the other beams and their scores,
 * and pointing at a word draws that word's attention over the image, its strongest cell outlined where the
 * stored attention says it is.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Prediction } from '../../common/api/contract.js';
import type { AppCore } from '../../electron/core/app.js';
import type { RunningServer } from '../../electron/server/http.js';
import { openFolderInBrowser, type AppInBrowser } from './chromium.js';

const ROOT = path.resolve(__dirname, '../..');
const SHOTS = process.env.SIGHTLINE_SCREENSHOTS;

let tmp: string;
let scenes: string;
let app: AppInBrowser;
let core: AppCore;
let server: RunningServer;
let page: Page;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-e2e-captions-'));
  scenes = path.join(tmp, 'scenes');
  const gen = spawnSync(process.execPath, [path.join(ROOT, 'bin/sightline.mjs'), 'shapes', '--seed', '303', '--count', '1', '--min-shapes', '2', '--out', scenes], { encoding: 'utf8' });
  if (gen.status !== 0) throw new Error(gen.stderr);
  app = await openFolderInBrowser(tmp, path.join(scenes, 'images'));
  ({ core, server, page } = app);
});

afterAll(async () => {
  await app?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('a captioner in the browser', () => {
  it('shows the caption, the other beams, and where the model looked for each word', async () => {
    const image = core.store!.images.list({ offset: 0, limit: 10, filter: {}, sort: { by: 'path', dir: 'asc' } }).items[0];
    const references = (JSON.parse(readFileSync(path.join(scenes, 'annotations.json'), 'utf8')) as { images: { captions: string[] }[] }).images[0].captions;
    await page.goto(`${server.origin}/#/image/${image.id}`);
    await page.locator('[data-testid="viewer-stage"][data-loaded="true"]').waitFor();

    const select = page.getByTestId('run-model-select');
    await select.locator('option[value="shapes-caption-lstm"]').waitFor({ state: 'attached' });
    await select.selectOption('shapes-caption-lstm');
    await page.getByTestId('run-provider-select').selectOption('cpu');
    await page.getByTestId('run-model-button').click();
    await page.getByTestId('captions-panel').waitFor({ timeout: 60_000 });

    // What the app stored is what the panel shows: the best beam as words, then the other beams with log-probabilities.
    const [cap] = ((await core.dispatch('predictions.list', { imageId: image.id })) as Prediction[]).filter((p) => p.kind === 'caption');
    const x = cap.extras as { words: string[]; attention: number[][]; featureGrid: [number, number]; beams: { caption: string; logProb: number }[] };
    expect(cap.geometry).toMatchObject({ type: 'caption' });
    const text = cap.geometry.type === 'caption' ? cap.geometry.text : '';
    expect(references).toContain(text);
    expect(await page.getByTestId('caption-word').allTextContents()).toEqual(x.words);
    expect(x.beams.length).toBe(3);
    const others = page.locator('[data-testid="captions-panel"] ol.beams li');
    await expect.poll(() => others.count()).toBe(2);
    for (let i = 0; i < 2; i++) expect(await others.nth(i).locator('span').first().textContent()).toBe(x.beams[i + 1].caption);

    // Point at each word: the stage shows that word's attention, its strongest cell outlined in image pixels
    // (the captioner stretches the image to its 96 px input, so a cell of the 6 × 6 grid is 256 / 6 px).
    const stage = page.locator('[data-heatmap]');
    expect(await stage.getAttribute('data-heatmap')).toBe('none');
    const [rows, cols] = x.featureGrid;
    for (const w of [1, 2, x.words.length - 1]) {
      await page.getByTestId('caption-word').nth(w).hover();
      await expect.poll(() => stage.getAttribute('data-heatmap')).toBe('attention');
      const weights = x.attention[w];
      expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      const k = weights.indexOf(Math.max(...weights));
      const peak = await page.evaluate(() => {
        const st = (window as unknown as { Konva: { stages: { findOne(s: string): { visible(): boolean; x(): number; y(): number; width(): number; height(): number } }[] } }).Konva.stages[0];
        const r = st.findOne('.heat-peak');
        return { visible: r.visible(), x: r.x(), y: r.y(), width: r.width(), height: r.height() };
      });
      const cw = image.width / cols, ch = image.height / rows;
      expect(peak.visible).toBe(true);
      expect(peak.x).toBeCloseTo((k % cols) * cw, 3);
      expect(peak.y).toBeCloseTo(Math.floor(k / cols) * ch, 3);
      expect(peak.width).toBeCloseTo(cw, 3);
      if (SHOTS && w === 2) await page.screenshot({ path: path.join(SHOTS, 'captions-attention.png') });
    }
    await page.mouse.move(5, 5);
    await expect.poll(() => stage.getAttribute('data-heatmap')).toBe('none');
    expect(app.pageErrors).toEqual([]);
  });
});
