/** Debian's Chromium driven by playwright-core: `npx playwright install` cannot download a browser here. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { AppCore, type AppCoreOptions } from '../../electron/core/app.js';
import { startServer, type RunningServer } from '../../electron/server/http.js';

export const DIST = path.resolve(import.meta.dirname, '../../renderer/dist');

export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.SIGHTLINE_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(path.join(DIST, 'index.html'))) throw new Error(`${DIST}/index.html is missing: run \`npm run build\` first (npm test does).`);
  if (!existsSync(executablePath)) throw new Error(`Chromium not found at ${executablePath}: apt-get install chromium (or set SIGHTLINE_CHROMIUM).`);
  return chromium.launch({
    executablePath,
    // Without the background-networking flags Chromium keeps dialing Google on this closed network.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--test-type'],
  });
}

/** What an end-to-end test file drives: the core, its local server and one Chromium page signed in to it. */
export interface AppInBrowser {
  core: AppCore;
  server: RunningServer;
  browser: Browser;
  page: Page;
  /** Uncaught errors in the page, for a test to assert there were none. */
  pageErrors: string[];
  close(): Promise<void>;
}

/**
 * A fresh AppCore in `dir` with a folder of images opened (imported to the end), served in browser mode, and a
 * 1280×800 page that has loaded `server.url` (a launch URL: its one-time code signed the page in, and the tab
 * keeps its session in sessionStorage, so reloads and `#/…` navigations stay signed in). For a second page, give
 * it `server.url` too: each read is a new code.
 */
export async function openFolderInBrowser(dir: string, folder: string, options: Partial<AppCoreOptions> = {}): Promise<AppInBrowser> {
  const core = new AppCore({ appDataDir: dir, transport: 'http', ...options });
  const { jobId } = await core.openFolder(folder);
  if (jobId) await core.jobs.wait(jobId);
  const server = await startServer({ host: core, staticDir: DIST });
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(server.url);
  // The launch code leaves the address at once and is swapped for the session by a fetch after `load`: a reload
  // before that answer lands would find neither code nor session (a test that reloads early did, on a slow CI run).
  // A function, not a string: Playwright evaluates a string predicate with eval() when it has to poll, which the
  // app's CSP (no 'unsafe-eval') refuses; that only showed when the exchange had not landed by the first check.
  await page.waitForFunction(() => sessionStorage.getItem('sightline.auth') !== null);
  return {
    core,
    server,
    browser,
    page,
    pageErrors,
    async close() {
      await browser.close();
      await server.close();
      await core.close();
    },
  };
}
