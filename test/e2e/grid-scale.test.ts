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
