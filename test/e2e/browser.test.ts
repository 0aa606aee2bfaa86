/**
 * End to end in a real Chromium: browser mode on the demo project. Open the app with its token URL, see the grid,
 * open an image, zoom with the wheel, step to the next image, and open an image directly by its URL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppCore } from '../../electron/core/app.js';
import { startServer, type RunningServer } from '../../electron/server/http.js';
import { DIST, launchChromium } from './chromium.js';

const SHOTS = process.env.SIGHTLINE_SCREENSHOTS;

let tmp: string;
let core: AppCore;
let server: RunningServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-e2e-'));
  core = new AppCore({ appDataDir: tmp, transport: 'http' });
  await core.openDemoProject();
  server = await startServer({ host: core, staticDir: DIST });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  (page as unknown as { errors: string[] }).errors = errors;
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await core?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function shot(name: string) {
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

describe('browser mode on the demo project', () => {
  it('shows the library grid with thumbnails', async () => {
    // The library's first page is asked for beside app.info, not after its answer (one round trip less).
    const events: string[] = [];
    const onRequest = (r: { url(): string }) => events.push(`start ${new URL(r.url()).pathname}`);
    const onFinished = (r: { url(): string }) => events.push(`end ${new URL(r.url()).pathname}`);
    page.on('request', onRequest);
    page.on('requestfinished', onFinished);
    await page.goto(server.url);
    // The launch URL's one-time code signs the page in and is taken off the address.
    expect(new URL(page.url()).search).toBe('');
    const grid = page.getByTestId('library-grid');
    await grid.waitFor();
    const cells = page.getByTestId('grid-cell');
    await cells.first().waitFor();
    const total = core.store!.summary().images;
    expect(total).toBeGreaterThan(10);
    expect(await cells.count()).toBeGreaterThan(4);
    // Thumbnails really decode (naturalWidth > 0), not broken-image icons.
    await page.waitForFunction(() => {
      const imgs = [...document.querySelectorAll('[data-testid="grid-cell"] img')] as HTMLImageElement[];
      return imgs.length > 0 && imgs.slice(0, 4).every((i) => i.complete && i.naturalWidth > 0);
    });
    await shot('library');
    page.off('request', onRequest);
    page.off('requestfinished', onFinished);
    expect(events).toContain('start /api/images.list');
    expect(events.indexOf('start /api/images.list')).toBeLessThan(events.indexOf('end /api/app.info'));
  });

  it('opens an image in the viewer and zooms around the cursor with the wheel', async () => {
    const first = page.getByTestId('grid-cell').first();
    const id = Number(await first.getAttribute('data-image-id'));
    await first.locator('img').waitFor();
    // The viewer shows the grid's thumbnail while the image decodes, from the bytes the grid loaded: it does not ask
    // the server for it again. (Routing turns Chromium's HTTP cache off, so a second request would be seen here.)
    const thumbRequests: string[] = [];
    await page.route('**/thumb/**', (route) => {
      thumbRequests.push(new URL(route.request().url()).pathname);
      return route.continue();
    });
    // A click selects (for "Run model on selection"); a double click opens, as in a file manager.
    await first.dblclick();
    await page.waitForURL(new RegExp(`#/image/${id}$`));
    const stage = page.getByTestId('viewer-stage');
    await stage.waitFor();
    await expect.poll(() => stage.getAttribute('data-image-drawn-at')).not.toBeNull();
    await page.unroute('**/thumb/**');
    expect(thumbRequests.filter((p) => p === `/thumb/${id}`)).toEqual([]);
    const label = page.getByTestId('zoom-label');
    await expect.poll(() => label.textContent()).toMatch(/\d+%/);
    const before = parseFloat((await label.textContent())!);
    const box = (await stage.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let i = 0; i < 5; i++) await page.mouse.wheel(0, -120);
    await expect.poll(async () => parseFloat((await label.textContent())!)).toBeGreaterThan(before * 1.3);
    await shot('viewer-zoomed');
    await page.keyboard.press('f');
    await expect.poll(async () => parseFloat((await label.textContent())!)).toBeCloseTo(before, 0);
  });

  it('steps to the next image with the arrow key', async () => {
    const current = Number(page.url().split('/').pop());
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => Number(page.url().split('/').pop())).not.toBe(current);
  });

  it('opens an image directly from URL#/image/<id>', async () => {
    const row = core.store!.images.list({ offset: 5, limit: 1, filter: {}, sort: { by: 'path', dir: 'asc' } }).items[0];
    await page.goto(`${server.origin}/#/image/${row.id}`);
    await page.getByTestId('viewer-stage').waitFor();
    await expect.poll(() => page.getByText(row.relPath.split('/').pop()!).count()).toBeGreaterThan(0);
    expect((page as unknown as { errors: string[] }).errors).toEqual([]);
  });
});
