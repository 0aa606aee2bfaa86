/**
 * Browser mode's sign-in end to end in Chromium (issue 11): the launch URL's one-time code signs one tab in, no
 * cookie is ever set, thumbnails and the full image load through signed URLs, job events arrive live over the
 * WebSocket, a reload stays signed in, and a tab without a code (or with a spent one) is not.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { AppCore } from '../../electron/core/app.js';
import { startServer } from '../../electron/server/http.js';
import { DIST, openFolderInBrowser, type AppInBrowser } from './chromium.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/images');
let tmp: string;
let folder: string;
let app: AppInBrowser;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-e2e-auth-'));
  folder = path.join(tmp, 'photos');
  mkdirSync(folder);
  for (const name of ['chelsea.jpg', 'coffee.jpg', 'astronaut.png', 'rotated-exif6.jpg']) cpSync(path.join(FIXTURES, name), path.join(folder, name));
  app = await openFolderInBrowser(path.join(tmp, 'home'), folder);
});

afterAll(async () => {
  await app?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('browser mode signs in without a cookie', () => {
  it('signs the page in from server.url and takes the code off the address', async () => {
    const { page } = app;
    await page.getByTestId('library-grid').waitFor();
    expect(page.url()).not.toContain('code=');
    expect(await page.context().cookies()).toEqual([]);
    expect(await page.evaluate(() => document.cookie)).toBe('');
    const stored = JSON.parse((await page.evaluate(() => sessionStorage.getItem('sightline.auth')))!);
    expect(stored.session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(stored.session).not.toBe(app.server.token);
  });

  it('loads thumbnails through signed URLs that work only as signed', async () => {
    const { page, server } = app;
    await page.waitForFunction(() => {
      const imgs = [...document.querySelectorAll('[data-testid="grid-cell"] img')] as HTMLImageElement[];
      return imgs.length === 4 && imgs.every((i) => i.complete && i.naturalWidth > 0);
    });
    // The grid fetches each thumbnail (so a cell scrolled away can cancel it) and shows the bytes; data-src is the URL.
    const src = await page.getByTestId('grid-cell').first().locator('img').getAttribute('data-src');
    expect(src).toMatch(/^\/thumb\/\d+\?(v=[^&]+&)?e=\d+&s=[A-Za-z0-9_-]{43}$/);
    // Outside the page: the signed URL opens that thumbnail, the same URL unsigned does not.
    expect((await fetch(`${server.origin}${src}`)).status).toBe(200);
    expect((await fetch(`${server.origin}${src!.replace(/&s=.*$/, '')}`)).status).toBe(401);
  });

  it('shows the full image in the viewer', async () => {
    const { page } = app;
    const first = page.getByTestId('grid-cell').first();
    const id = Number(await first.getAttribute('data-image-id'));
    const loaded = page.waitForResponse((r) => new URL(r.url()).pathname === `/image/${id}`);
    await first.dblclick();
    await page.waitForURL(new RegExp(`#/image/${id}$`));
    expect((await loaded).status()).toBe(200);
    await page.waitForFunction(() => document.querySelector('[data-loaded]')?.getAttribute('data-loaded') === 'true');
  });

  it('receives job and project events live over the WebSocket', async () => {
    const { page, core } = app;
    await page.goto(`${app.server.origin}/#/library`);
    await page.getByTestId('library-grid').waitFor();
    cpSync(path.join(FIXTURES, 'grace_hopper.jpg'), path.join(folder, 'grace_hopper.jpg'));
    const jobId = core.startRescan();
    const row = page.locator(`[data-testid="job-progress"][data-job-id="${jobId}"]`);
    await row.waitFor();
    await expect.poll(() => row.getAttribute('data-state')).toBe('done');
    await expect.poll(() => page.getByTestId('grid-cell').count()).toBe(5);
  });

  it('stays signed in across a reload; a tab without a code, or with a spent one, is not', async () => {
    const { page, server, browser } = app;
    await page.reload();
    await page.getByTestId('library-grid').waitFor();

    const bare = await browser.newPage();
    await bare.goto(`${server.origin}/`);
    await expect.poll(() => bare.getByTestId('sign-in-needed').textContent()).toContain('sightline serve');
    expect(await bare.getByTestId('library-grid').count()).toBe(0);

    const url = server.url;
    const second = await browser.newPage();
    await second.goto(url);
    await second.getByTestId('library-grid').waitFor();
    const third = await browser.newPage();
    await third.goto(url);
    await expect.poll(() => third.getByTestId('sign-in-needed').textContent()).toContain('already used');

    // A launch URL opened in a tab that is not signed in (only the fragment changes): it signs in there and then.
    await bare.goto(server.url);
    await bare.getByTestId('library-grid').waitFor();
    expect(new URL(bare.url()).hash).not.toContain('code=');
    for (const p of [bare, second, third]) await p.close();
    expect(app.pageErrors).toEqual([]);
  });

  it('two servers at once, in one browser profile, keep their own sign-ins (nothing is shared across ports)', async () => {
    const { browser, server } = app;
    const core2 = new AppCore({ appDataDir: path.join(tmp, 'home2'), transport: 'http' });
    const opened = await core2.openFolder(folder);
    if (opened.jobId) await core2.jobs.wait(opened.jobId);
    const server2 = await startServer({ host: core2, staticDir: DIST });
    const context = await browser.newContext();
    try {
      expect(server2.port).not.toBe(server.port);
      const [a, b] = [await context.newPage(), await context.newPage()];
      await a.goto(server.url);
      await a.getByTestId('library-grid').waitFor();
      await b.goto(server2.url);
      await b.getByTestId('library-grid').waitFor();
      const session = async (p: Page) => JSON.parse((await p.evaluate(() => sessionStorage.getItem('sightline.auth')))!).session as string;
      const [sa, sb] = [await session(a), await session(b)];
      expect(sa).not.toBe(sb);
      expect(await context.cookies()).toEqual([]);
      // Each session opens its own server only.
      const summary = (origin: string, secret: string) =>
        fetch(`${origin}/api/projects.summary`, { method: 'POST', headers: { Authorization: `Bearer ${secret}`, 'Content-Type': 'application/json' }, body: '{}' }).then((r) => r.status);
      expect(await summary(server.origin, sa)).toBe(200);
      expect(await summary(server2.origin, sb)).toBe(200);
      expect(await summary(server2.origin, sa)).toBe(401);
      expect(await summary(server.origin, sb)).toBe(401);
      // Signing into the second did not sign the first out: both still work after a reload.
      for (const p of [a, b]) {
        await p.reload();
        await p.getByTestId('library-grid').waitFor();
        expect(await p.getByTestId('sign-in-needed').count()).toBe(0);
      }
    } finally {
      await context.close();
      await server2.close();
      await core2.close();
    }
  });
});
