/**
 * The Export and Import dialogs in Chromium, against the real local server and the real exporters: a project with a
 * few labels is exported as COCO from the Export dialog (the summary says it read back equal, and the files it lists
 * are on disk), then that export is brought into a second project through the Import dialog, a dry run first (which
 * writes nothing) and then for real; the labels that arrive are checked through the API.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Annotation, CallName, CallRequest, CallResponse } from '../../common/api/contract.js';
import { openFolderInBrowser, type AppInBrowser } from './chromium.js';

const SHOTS = process.env.SIGHTLINE_SCREENSHOTS;
/** Jobs run in the server; the page only follows them. Generous for a slow CI machine, quick here. */
const JOB_TIMEOUT = 60_000;

let dir: string;
let app: AppInBrowser;
let page: Page;
let photos: string;
let exportDir: string;
let instancesFile: string;

const call = <K extends CallName>(name: K, args: CallRequest<K>) => app.core.dispatch(name, args) as Promise<CallResponse<K>>;

async function shot(name: string) {
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

async function imageIds(): Promise<{ id: number; relPath: string }[]> {
  const { items } = await call('images.list', { offset: 0, limit: 100, filter: {}, sort: { by: 'path', dir: 'asc' } });
  return items.map((r) => ({ id: r.id, relPath: r.relPath }));
}

/** What the labels of a project are, by image file name, in a form that two projects can be compared in. */
async function labelsByFile(): Promise<Record<string, { class: string | null; kind: string; geometry: unknown }[]>> {
  const classes = new Map((await call('classes.list', {})).map((c) => [c.id, c.name]));
  const out: Record<string, { class: string | null; kind: string; geometry: unknown }[]> = {};
  for (const img of await imageIds()) {
    const anns = (await call('annotations.list', { imageId: img.id })) as Annotation[];
    out[img.relPath] = anns
      .map((a) => ({ class: a.classId === null ? null : (classes.get(a.classId) ?? null), kind: a.kind, geometry: a.geometry }))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  return out;
}

let sourceLabels: Awaited<ReturnType<typeof labelsByFile>>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-datasets-ui-'));
  photos = path.join(dir, 'photos');
  mkdirSync(photos);
  for (const [i, color] of [
    [1, { r: 40, g: 90, b: 60 }],
    [2, { r: 80, g: 60, b: 120 }],
    [3, { r: 120, g: 80, b: 40 }],
  ] as const) {
    await sharp({ create: { width: 160, height: 120, channels: 3, background: color } }).png().toFile(path.join(photos, `img${i}.png`));
  }
  app = await openFolderInBrowser(path.join(dir, 'home'), photos);
  page = app.page;

  const cat = await call('classes.upsert', { name: 'cat' });
  const dog = await call('classes.upsert', { name: 'dog' });
  const [a, b] = await imageIds();
  await call('annotations.batch', {
    create: [
      { imageId: a.id, classId: cat.id, kind: 'box', geometry: { type: 'box', x: 10, y: 12, w: 30, h: 20 } },
      { imageId: a.id, classId: dog.id, kind: 'box', geometry: { type: 'box', x: 60, y: 40, w: 50, h: 44 } },
      { imageId: b.id, classId: dog.id, kind: 'polygon', geometry: { type: 'polygon', points: [20, 20, 90, 24, 70, 100, 18, 80] } },
    ],
  });
  sourceLabels = await labelsByFile();
  // The page learns of the new labels and classes through events; a reload makes it certain.
  await page.reload();
  await page.getByTestId('library-grid').waitFor();
}, 120_000);

afterAll(async () => {
  await app?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the Export dialog', () => {
  it('is reached from the header and explains each format', async () => {
    await page.getByTestId('datasets-export-open').click();
    const dialog = page.getByRole('dialog', { name: 'Export dataset' });
    await dialog.waitFor();
    expect(await dialog.getAttribute('aria-modal')).toBe('true');
    // COCO names its originals by default; YOLO copies images (its loaders want them beside the labels).
    expect(await page.getByTestId('export-images-none').isChecked()).toBe(true);
    await page.getByTestId('export-format').selectOption('yolo');
    expect(await page.getByTestId('export-images-copy').isChecked()).toBe(true);
    expect(await page.getByTestId('export-format-help').textContent()).toContain('data.yaml');
    // A format without a train/val/test layout has no split options.
    await page.getByTestId('export-format').selectOption('labelme');
    expect(await page.getByTestId('export-split').count()).toBe(0);
    await page.getByTestId('export-format').selectOption('coco');
    expect(await page.getByTestId('export-split').count()).toBe(1);
    await shot('datasets-export-form');
  });

  it('refuses a relative output folder and a split that does not add up, before starting anything', async () => {
    await page.getByTestId('export-out').fill('exports/coco');
    await page.getByTestId('export-split-on').check();
    await page.getByTestId('export-split-train').fill('0.7');
    await page.getByTestId('export-split-val').fill('0.2');
    await page.getByTestId('export-start').click();
    expect(await page.getByTestId('export-out-error').textContent()).toContain('absolute');
    expect(await page.getByTestId('export-split-error').textContent()).toContain('0.9');
    expect((await call('jobs.list', {})).filter((j) => j.kind === 'export')).toEqual([]);
    await page.getByTestId('export-split-on').uncheck();
  });

  it('exports the labels as COCO, shows progress, and ends with a verified summary whose files are on disk', async () => {
    exportDir = path.join(dir, 'exports', 'coco');
    await page.getByTestId('export-out').fill(exportDir);
    await page.getByTestId('export-start').click();
    const summary = page.getByTestId('export-summary');
    await summary.waitFor({ timeout: JOB_TIMEOUT });
    await shot('datasets-export-summary');
    expect(await summary.getAttribute('data-state')).toBe('done');
    expect(await summary.getAttribute('data-verified')).toBe('true');
    expect(await page.getByTestId('export-verified').textContent()).toContain('✓');
    expect(await page.getByTestId('export-outcome').textContent()).toContain('Verified');
    expect(await page.getByTestId('export-images-count').textContent()).toBe('3');
    expect(await page.getByTestId('export-annotations-count').textContent()).toBe('3');

    const files = await page.locator('[data-testid="export-files"] li:not(.muted)').allTextContents();
    expect(files).toContain('annotations/instances.json');
    for (const f of files) expect(existsSync(path.join(exportDir, f)), f).toBe(true);
    instancesFile = path.join(exportDir, 'annotations', 'instances.json');

    // The folder can be opened from the summary (only a verified export offers it).
    expect(await page.getByTestId('export-reveal').isVisible()).toBe(true);
    // The export job is the one the dialog followed, done, with the same summary as its result.
    const job = (await call('jobs.list', {})).find((j) => j.kind === 'export');
    expect(job?.state).toBe('done');
    expect(job?.result).toMatchObject({ format: 'coco', out: exportDir, verified: true, annotations: 3 });

    await page.getByTestId('export-done').click();
    await page.getByTestId('export-dialog').waitFor({ state: 'detached' });
  }, 120_000);
});

describe('the Import dialog', () => {
  it('imports that export into a second project: a dry run that writes nothing, then for real', async () => {
    // A second project over a copy of the same images, in another folder: matched by file name.
    const copy = path.join(dir, 'photos-copy');
    cpSync(photos, copy, { recursive: true });
    const { jobId } = await call('projects.create', { path: path.join(dir, 'second.sightline'), folder: copy });
    if (jobId) await app.core.jobs.wait(jobId);
    expect((await call('projects.summary', {})).annotations).toBe(0);
    // Closing the first project sent the page home; the second one's library is a click away.
    await page.reload();
    await page.evaluate(() => (location.hash = '#/library'));
    await page.getByTestId('library-grid').waitFor();
    expect(await page.locator('.project-name').textContent()).toBe('second');

    await page.getByTestId('datasets-import-open').click();
    await page.getByRole('dialog', { name: 'Import labels' }).waitFor();
    await page.getByTestId('import-format').selectOption('coco');
    await page.getByTestId('import-from').fill(instancesFile);
    expect(await page.getByTestId('import-dry-run').isChecked()).toBe(true);
    await shot('datasets-import-form');
    await page.getByTestId('import-start').click();

    const dry = page.locator('[data-testid="import-summary"][data-dry-run="true"]');
    await dry.waitFor({ timeout: JOB_TIMEOUT });
    await shot('datasets-import-dry-run');
    expect(await page.getByTestId('import-outcome').textContent()).toContain('Dry run');
    expect(await page.getByTestId('import-annotations-count').textContent()).toBe('3');
    expect(await page.getByTestId('import-unmatched-count').textContent()).toBe('0');
    expect(await page.getByTestId('import-classes-added').locator('.tag-chip').allTextContents()).toEqual(expect.arrayContaining(['cat', 'dog']));
    expect(await page.getByTestId('import-errors').count()).toBe(0);
    // Nothing written by the dry run.
    expect((await call('projects.summary', {})).annotations).toBe(0);
    expect(await call('classes.list', {})).toEqual([]);

    await page.getByTestId('import-confirm').click();
    const done = page.locator('[data-testid="import-summary"][data-dry-run="false"]');
    await done.waitFor({ timeout: JOB_TIMEOUT });
    await shot('datasets-import-done');
    expect(await done.getAttribute('data-state')).toBe('done');
    expect(await done.getAttribute('data-written')).toBe('true');
    expect(await page.getByTestId('import-annotations-count').textContent()).toBe('3');

    // The labels arrived: the same classes, kinds and geometry on the same files.
    expect((await call('projects.summary', {})).annotations).toBe(3);
    expect((await call('classes.list', {})).map((c) => c.name).sort()).toEqual(['cat', 'dog']);
    expect(await labelsByFile()).toEqual(sourceLabels);

    await page.getByTestId('import-done').click();
    await page.getByTestId('import-dialog').waitFor({ state: 'detached' });
    expect(app.pageErrors).toEqual([]);
  }, 120_000);
});
