/**
 * The grid follows an import as it runs (issue 12, part 2), in Chromium: rows show while the job is still reading,
 * in the order they finally have (the first cell never changes), the toolbar's count catches up with the job's, and
 * the grid never says the project has no images while a scan runs. The scan is slowed by AppCore's `scanDelayMs` (as
 * a network drive would be), so the states in between are seen on any machine.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../electron/core/library/test-helpers.js';
import { openFolderInBrowser, type AppInBrowser } from './chromium.js';

const SHOTS = process.env.SIGHTLINE_SCREENSHOTS;
let tmp: string;
let app: AppInBrowser;
let roll: string;
const NAMES: string[] = [];

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-live-'));
  const empty = path.join(tmp, 'empty');
  mkdirSync(empty);
  // Folders whose walk order (last listed, first walked) is not their path order.
  roll = path.join(tmp, 'roll');
  const png = readFileSync(path.join(FIXTURES, 'astronaut.png'));
  for (const folder of ['a', 'b', 'c', 'd']) {
    mkdirSync(path.join(roll, folder), { recursive: true });
    for (let i = 0; i < 12; i++) {
      const rel = `${folder}/${folder}-${String(i).padStart(3, '0')}.png`;
      writeFileSync(path.join(roll, rel), png);
      NAMES.push(rel);
    }
  }
  // 48 files read 8 at a time, 400 ms each: about 2.4 s of import.
  app = await openFolderInBrowser(path.join(tmp, 'home'), empty, { scanDelayMs: 400 });
  await app.page.getByTestId('grid-empty').waitFor();
}, 60_000);

afterAll(async () => {
  expect(app?.pageErrors ?? []).toEqual([]);
  await app?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the library during an import', () => {
  it('lists rows while the job reads, in their final order, and never shows the empty project', async () => {
    const { page, core } = app;
    expect(await page.getByTestId('grid-empty').textContent()).toMatch(/no images yet/);
    const jobId = core.startImport(roll);
    const running = () => core.jobs.get(jobId)?.state === 'running';
    const seen: { running: boolean; cells: number; first: string | null; total: string | null; empty: string | null; indexing: string | null }[] = [];
    let shot = false;
    // Sampled until the job has ended and the page has caught up with it (no indexing note left): on a loaded CI
    // machine the page may trail the job by a second or more, and the states it shows late are still what it shows.
    const caughtUp = () => seen.length > 0 && !seen[seen.length - 1].running && seen[seen.length - 1].indexing === null && seen[seen.length - 1].total === `${NAMES.length} images`;
    const sampleUntil = Date.now() + 30_000;
    while (!caughtUp() && Date.now() < sampleUntil) {
      const sample = await page.evaluate(() => {
        const cells = document.querySelectorAll('[data-testid="grid-cell"]');
        return {
          cells: cells.length,
          first: cells[0]?.getAttribute('title') ?? null,
          total: document.querySelector('[data-testid="library-total"]')?.textContent ?? null,
          empty: document.querySelector('[data-testid="grid-empty"]')?.textContent ?? null,
          indexing: document.querySelector('[data-testid="library-indexing"]')?.textContent ?? null,
        };
      });
      seen.push({ running: running(), ...sample });
      if (!shot && SHOTS && sample.cells > 0 && running()) {
        await page.screenshot({ path: path.join(SHOTS, 'library-live.png') });
        shot = true;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await core.jobs.wait(jobId);

    const during = seen.filter((s) => s.running);
    expect(during.length).toBeGreaterThan(10);
    // Rows were listed before the import ended, and not all of them at once at the end.
    const partial = during.filter((s) => s.cells > 0 && s.total !== null && Number(s.total.replace(/\D/g, '')) < NAMES.length);
    expect(partial.length).toBeGreaterThan(0);
    // The first cell is the first path from the start: nothing jumps as more rows arrive.
    for (const s of during) if (s.cells > 0) expect(s.first).toBe('a/a-000.png');
    // While the scan runs an empty grid says it is still looking, never that the project has no images: from the
    // moment the page has heard of the job (its event may trail startImport on a loaded machine) to the end.
    const heard = during.findIndex((s) => s.cells > 0 || /Looking for images/.test(s.empty ?? ''));
    expect(heard).toBeGreaterThanOrEqual(0);
    for (const s of during.slice(heard)) if (s.empty !== null) expect(s.empty).toMatch(/Looking for images/);

    // Two phases (issue 12): every row listed while sizes and hashes are still being read, and the toolbar says so.
    const indexing = seen.filter((s) => s.total === `${NAMES.length} images` && s.indexing !== null);
    expect(indexing.length).toBeGreaterThan(0);
    for (const s of indexing) expect(s.indexing).toMatch(/^Indexing \d+ images?…$/);
    await expect.poll(() => page.getByTestId('library-indexing').count()).toBe(0);

    // At the end every image is listed, in path order, and the count is the job's.
    await expect.poll(() => page.getByTestId('library-total').textContent()).toBe(`${NAMES.length} images`);
    const titles = await page.getByTestId('grid-cell').evaluateAll((cells) => cells.map((c) => c.getAttribute('title')));
    expect(titles).toEqual([...NAMES].sort().slice(0, titles.length));
    expect(core.jobs.get(jobId)?.done).toBe(NAMES.length);
  }, 60_000);
});
