/**
 * Readable names and thumbnails in the library (issue 12, parts 3 and 4), in Chromium: a cell shows its folder
 * where its file name repeats across folders, the folder view lists the folders with counts and filters the grid,
 * cells shimmer until their thumbnail arrives, a cell whose file is gone says so, and the thumbnails of cells
 * that left the grid before their turn are never made. Thumbnails are held back by a gate in front of the real
 * core, so the loading state is seen on any machine.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppCore } from '../../electron/core/app.js';
import type { CoreHost } from '../../electron/core/host.js';
import { FIXTURES } from '../../electron/core/library/test-helpers.js';
import { startServer, type RunningServer } from '../../electron/server/http.js';
import { DIST, launchChromium } from './chromium.js';

const SHOTS = process.env.SIGHTLINE_SCREENSHOTS;
let tmp: string;
let core: AppCore;
let server: RunningServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

/** Thumbnail requests wait here until `openGate()`; the signals they came with, to see which were withdrawn. */
let openGate!: () => void;
const gate = new Promise<void>((resolve) => (openGate = resolve));
const thumbSignals: AbortSignal[] = [];

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-folders-'));
  const photos = path.join(tmp, 'photos');
  // Two rolls of a camera that numbers every roll from IMG_0001.
  const files: Record<string, string> = {
    'roll-01/IMG_0001.jpg': 'chelsea.jpg',
    'roll-01/IMG_0002.jpg': 'coffee.jpg',
    'roll-02/IMG_0001.jpg': 'grace_hopper.jpg',
    'roll-02/IMG_0002.jpg': 'rotated-exif6.jpg',
    'roll-02/panorama.png': 'astronaut.png',
    'roll-02/gone.png': 'café 日本.png',
  };
  for (const [rel, fixture] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(photos, rel)), { recursive: true });
    copyFileSync(path.join(FIXTURES, fixture), path.join(photos, rel));
  }
  core = new AppCore({ appDataDir: path.join(tmp, 'home'), transport: 'http' });
  const { jobId } = await core.openFolder(photos);
  if (jobId) await core.jobs.wait(jobId);
  rmSync(path.join(photos, 'roll-02/gone.png')); // deleted after the import: its thumbnail cannot be made
  const gated: CoreHost = {
    dispatch: (name, args) => core.dispatch(name, args),
    onEvent: (listener) => core.onEvent(listener),
    async imageBody(id, variant, request) {
      if (variant === 'thumb') {
        thumbSignals.push(request!.signal!);
        await gate;
      }
      return core.imageBody(id, variant, request);
    },
  };
  server = await startServer({ host: gated, staticDir: DIST });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(server.url);
}, 60_000);

afterAll(async () => {
  expect(pageErrors).toEqual([]);
  openGate?.();
  await browser?.close();
  await server?.close();
  await core?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function shot(name: string) {
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

const cell = (title: string) => page.locator(`[data-testid="grid-cell"][title="${title}"]`);
const thumbsMade = () => {
  const dir = path.join(core.cacheDir, 'thumbs');
  try {
    return readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.webp')).length;
  } catch {
    return 0;
  }
};

describe('the library with two folders of the same names', () => {
  it('shows each cell loading, in its own colour, until its thumbnail arrives', async () => {
    await page.getByTestId('grid-cell').first().waitFor();
    await expect.poll(() => page.getByTestId('grid-cell').count()).toBe(6);
    // The gate holds every thumbnail: every cell shimmers, none is an empty dark box or a broken image.
    await expect.poll(() => page.getByTestId('thumb-loading').count()).toBe(6);
    expect(await page.locator('[data-testid="grid-cell"] img').count()).toBe(0);
    const look = await page.getByTestId('thumb-loading').first().evaluate((el) => {
      const s = getComputedStyle(el);
      const box = el.getBoundingClientRect();
      return { animation: s.animationName, image: s.backgroundImage, width: box.width, height: box.height };
    });
    expect(look.animation).toBe('shimmer');
    expect(look.image).toContain('linear-gradient');
    expect(look.width).toBeGreaterThan(100);
    expect(look.height).toBeGreaterThan(100);
    await shot('library-folders-loading');
  });

  it('shows the folder beside the names that repeat, and only there', async () => {
    for (const rel of ['roll-01/IMG_0001.jpg', 'roll-02/IMG_0001.jpg', 'roll-01/IMG_0002.jpg', 'roll-02/IMG_0002.jpg']) {
      const folder = rel.slice(0, rel.indexOf('/'));
      await expect.poll(() => cell(rel).getByTestId('cell-folder').textContent(), { message: rel }).toBe(`${folder}/`);
      expect(await cell(rel).getAttribute('aria-label')).toMatch(new RegExp(`^${rel}, `));
    }
    expect(await cell('roll-02/panorama.png').getByTestId('cell-folder').count()).toBe(0);
    expect(await cell('roll-02/panorama.png').locator('.name').textContent()).toBe('panorama.png');
  });

  it('lists the folders with their counts, and a folder filters the grid', async () => {
    const panel = page.getByTestId('folder-panel');
    await panel.waitFor();
    const items = panel.getByTestId('folder-item');
    await expect.poll(() => items.allTextContents()).toEqual(['roll-012', 'roll-024']);
    expect(await panel.getByTestId('folder-all').textContent()).toBe('All images6');
    expect(await panel.getByTestId('folder-all').getAttribute('aria-current')).toBe('true');

    // Leaving roll-02 unmounts its cells while their thumbnails still wait: their requests are withdrawn.
    await panel.locator('[data-testid="folder-item"][data-folder="roll-01"]').click();
    await expect.poll(() => page.getByTestId('library-total').textContent()).toMatch(/^2\b/);
    await expect.poll(() => page.getByTestId('grid-cell').evaluateAll((cells) => cells.map((c) => c.getAttribute('title')))).toEqual([
      'roll-01/IMG_0001.jpg',
      'roll-01/IMG_0002.jpg',
    ]);
    expect(await panel.locator('[data-testid="folder-item"][data-folder="roll-01"]').getAttribute('aria-current')).toBe('true');
    await expect.poll(() => thumbSignals.filter((s) => s.aborted).length).toBeGreaterThan(0);
    await shot('library-folders-filtered');
  });

  it('loads the thumbnails once they are made, and never makes those of the cells that left', async () => {
    openGate();
    await page.waitForFunction(() => {
      const imgs = [...document.querySelectorAll('[data-testid="grid-cell"] img')] as HTMLImageElement[];
      return imgs.length === 2 && imgs.every((i) => i.complete && i.naturalWidth > 0);
    });
    expect(await page.getByTestId('thumb-loading').count()).toBe(0);
    // The withdrawn requests reached the core already aborted and were dropped there.
    await new Promise((r) => setTimeout(r, 300));
    expect(thumbsMade()).toBe(2);
  });

  it('says plainly when a thumbnail cannot be made', async () => {
    await page.getByTestId('folder-panel').locator('[data-testid="folder-item"][data-folder="roll-02"]').click();
    await expect.poll(() => page.getByTestId('library-total').textContent()).toMatch(/^4\b/);
    const gone = cell('roll-02/gone.png').getByTestId('thumb-broken');
    await gone.waitFor();
    expect(await gone.textContent()).toContain('File not found');
    expect(await gone.getAttribute('title')).toMatch(/is gone/);
    await page.waitForFunction(() => {
      const imgs = [...document.querySelectorAll('[data-testid="grid-cell"] img')] as HTMLImageElement[];
      return imgs.length === 3 && imgs.every((i) => i.complete && i.naturalWidth > 0);
    });
    await shot('library-folders-roll-02');
    await page.getByTestId('folder-all').click();
    await expect.poll(() => page.getByTestId('library-total').textContent()).toMatch(/^6\b/);
  });
});
