/**
 * The library grid at 100,000 images in a real Chromium: the DOM holds only the cells near the viewport, and
 * scrolling to the end shows the last image (pages are fetched on demand, not all at once).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AppCore } from '../../electron/core/app.js';
import { ProjectStore } from '../../electron/core/project/store.js';
import { startServer, type RunningServer } from '../../electron/server/http.js';
import { DIST, launchChromium } from './chromium.js';

const N = 100_000;
let tmp: string;
let core: AppCore;
let server: RunningServer;
let browser: Browser;
const apiCalls: string[] = [];

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-grid-'));
  const file = path.join(tmp, 'big.sightline');
  const store = ProjectStore.open(file, { create: true });
  const now = Date.now();
  store.db.prepare('INSERT INTO image_roots (id, path, added_at) VALUES (1, ?, ?)').run(path.join(tmp, 'photos'), now);
  const insert = store.db.prepare(
    `INSERT INTO images (root_id, rel_path, width, height, format, byte_size, mtime_ms, content_hash, added_at)
     VALUES (1, ?, 640, 480, 'jpeg', 1000, ?, ?, ?)`,
  );
  store.db.transaction(() => {
    for (let i = 0; i < N; i++) insert.run(`img-${String(i).padStart(6, '0')}.jpg`, now, i.toString(16).padStart(64, '0'), now);
  })();
  store.close();
  core = new AppCore({ appDataDir: path.join(tmp, 'home'), transport: 'http' });
  await core.openProject(file);
  server = await startServer({ host: core, staticDir: DIST });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await core?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

it('keeps the DOM small and reaches the last of 100,000 images', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('request', (r) => r.url().includes('/api/images.list') && apiCalls.push(r.postData() ?? ''));
  await page.goto(server.url);
  await page.getByTestId('library-grid').waitFor();
  await page.getByTestId('grid-cell').first().waitFor();
  await expect.poll(() => page.getByTestId('library-total').textContent()).toMatch(/100,?000/);
  const cellsAtTop = await page.getByTestId('grid-cell').count();
  expect(cellsAtTop).toBeGreaterThan(10);
  expect(cellsAtTop).toBeLessThan(300);

  await page.getByTestId('library-grid').evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
  await expect.poll(() => page.locator('[data-testid="grid-cell"]', { hasText: 'img-099999.jpg' }).count(), { timeout: 15_000 }).toBe(1);
  expect(await page.getByTestId('grid-cell').count()).toBeLessThan(300);
  // Only the pages near the viewport were asked for: a handful of 200-row requests, not 500 of them.
  expect(apiCalls.length).toBeLessThan(20);
  await page.close();
});

it('scrolls down page after page by cursor, each cell where OFFSET paging puts it, and jumps by offset', { timeout: 60_000 }, async () => {
  apiCalls.length = 0;
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('request', (r) => r.url().includes('/api/images.list') && apiCalls.push(r.postData() ?? ''));
  await page.goto(server.url);
  const grid = page.getByTestId('library-grid');
  await page.getByTestId('grid-cell').first().waitFor();
  /** The cells in the DOM as [index, the index their file name says] (img-000123.jpg is the 124th of the list). */
  const cells = () =>
    grid.evaluate((el) =>
      [...el.querySelectorAll('[data-testid="grid-cell"]')].map((c) => [Number(c.id.slice('cell-'.length)), Number(/img-(\d+)\.jpg/.exec(c.textContent ?? '')?.[1])]),
    );
  const seen = new Set<number>();
  // Down three screens (under 100 images) at a time, each time until the cells came, past three page boundaries
  // (200 images a page), so that each page is asked for with the one above it at hand.
  for (let step = 0; step < 40 && !seen.has(650); step++) {
    await grid.evaluate((el) => el.scrollBy({ top: 3 * el.clientHeight }));
    await page.waitForTimeout(100);
    await expect.poll(() => page.locator('.cell-loading').count(), { timeout: 10_000 }).toBe(0);
    for (const [index, named] of await cells()) {
      expect(named, `cell ${index}`).toBe(index);
      seen.add(index);
    }
  }
  for (const i of [199, 200, 399, 400, 599, 600, 650]) expect(seen.has(i), `cell ${i} shown`).toBe(true);
  const bodies = apiCalls.map((b) => JSON.parse(b) as { offset: number; after?: string; before?: string });
  expect(bodies.filter((b) => b.after).length).toBeGreaterThanOrEqual(3);
  expect(bodies.filter((b) => !b.after && !b.before && b.offset > 0)).toEqual([]);

  // A jump far down is by offset.
  const before = apiCalls.length;
  await grid.evaluate((el) => el.scrollTo({ top: el.scrollHeight / 2 }));
  await page.waitForTimeout(300);
  await expect.poll(() => page.locator('.cell-loading').count(), { timeout: 10_000 }).toBe(0);
  const there = await cells();
  expect(there.length).toBeGreaterThan(10);
  expect(there[0][0]).toBeGreaterThan(40_000);
  for (const [index, named] of there) expect(named, `cell ${index}`).toBe(index);
  const jumped = apiCalls.slice(before).map((b) => JSON.parse(b) as { offset: number; after?: string; before?: string });
  expect(jumped.some((b) => !b.after && !b.before && b.offset >= 40_000)).toBe(true);
  await page.close();
});
