/**
 * Error ranking in the library, in a real Chromium (issue 9): sort by "Most errors", evaluate the run, and the grid
 * shows the images worst first; the viewer's next image is the next-worst. Data: coco-bbox-b imported as a user would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalReport } from '../../common/api/contract.js';
import { AppCore } from '../../electron/core/app.js';
import { startServer, type RunningServer } from '../../electron/server/http.js';
import { DIST, launchChromium } from './chromium.js';
import { referenceMissing, referenceProject } from '../reference-cases.js';

const missing = referenceMissing('coco-bbox-b');
if (missing) console.warn(`ranking-ui: skipped, ${missing}`);

let tmp: string;
let core: AppCore;
let server: RunningServer;
let browser: Browser;
let page: Page;
let runId: number;

beforeAll(async () => {
  if (missing) return;
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-ranking-ui-'));
  core = new AppCore({ appDataDir: path.join(tmp, 'appdata'), transport: 'http' });
  runId = (await referenceProject(core, 'coco-bbox-b', path.join(tmp, 'p.sightline'), path.join(tmp, 'photos'))).runId;
  server = await startServer({ host: core, staticDir: DIST });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await core?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const gridOrder = () => page.$$eval('[data-testid="grid-cell"]', (cells) => cells.map((c) => Number((c as HTMLElement).dataset.imageId)));

describe.skipIf(missing !== null)('error ranking in the library', () => {
  it('sorts worst first after Evaluate, and the viewer steps to the next-worst image', async () => {
    await page.goto(server.url);
    await page.evaluate(() => (location.hash = '#/library'));
    await page.getByTestId('grid-cell').first().waitFor();
    await page.getByLabel('Sort by').selectOption('errors');
    await page.getByTestId('rank-evaluate').click();
    const report = (await core.dispatch('eval.run', { runId, iouType: 'bbox' })) as EvalReport;
    const expected = [...report.perImage!].sort((a, b) => b.fp + b.fn - (a.fp + a.fn) || b.imageId - a.imageId).map((p) => p.imageId);
    await expect.poll(gridOrder, { timeout: 15_000 }).toEqual(expected);
    // Open the worst image (as Enter or a double-click on it would) and step on: the viewer follows the library's order.
    await page.evaluate((id) => (location.hash = `#/image/${id}`), expected[0]);
    await page.getByTestId('viewer-position').filter({ hasText: `1 / ${expected.length}` }).waitFor();
    await page.keyboard.press('d');
    await expect.poll(() => page.url()).toContain(`#/image/${expected[1]}`);
  }, 60_000);
});
