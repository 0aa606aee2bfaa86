/**
 * Two-phase import (issue 12) through the core's API: an image listed but not read yet is read before anything that
 * needs its size answers (the viewer's `images.get`, its thumbnail, an export), and the project summary says how many
 * are still to read. Real SQLite project and real files; a listed row is made as phase 1 writes it.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageRow, ImportResult, Job, ProjectSummary } from '../common/api/contract.js';
import { AppCore } from '../electron/core/app.js';

const FIXTURES = path.resolve(__dirname, 'fixtures/images');
let tmp: string;
let core: AppCore;
let photos: string;

const call = <T>(name: string, args: unknown = {}) => core.dispatch(name, args) as Promise<T>;
const db = () => core.store!.db;
const idOf = (rel: string) => db().prepare('SELECT id FROM images WHERE rel_path = ?').pluck().get(rel) as number;
/** The row as phase 1 lists it: stat facts only. */
const unread = (rel: string) => db().prepare(`UPDATE images SET indexed = 0, width = 0, height = 0, orientation = 1, content_hash = '' WHERE rel_path = ?`).run(rel);

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-two-phase-'));
  photos = path.join(tmp, 'photos');
  cpSync(FIXTURES, photos, { recursive: true });
  core = new AppCore({ appDataDir: path.join(tmp, 'home'), transport: 'http' });
  await core.openProject(path.join(tmp, 'p.sightline'), { create: true });
  const job = await core.jobs.wait(core.startImport(photos));
  expect((job as Job).state).toBe('done');
});
afterAll(async () => {
  await core?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('an image listed but not read yet', () => {
  it('is counted in the summary, and images.get answers with its real size', async () => {
    const full = await call<ImageRow>('images.get', { id: idOf('rotated-exif6.jpg') });
    unread('rotated-exif6.jpg');
    expect((await call<ProjectSummary>('projects.summary')).pendingIndex).toBe(1);
    const listed = (await call<{ items: ImageRow[] }>('images.list', { filter: { text: 'rotated' } })).items[0];
    expect(listed).toMatchObject({ width: 0, height: 0, contentHash: '', indexed: 0 });
    const got = await call<ImageRow>('images.get', { id: full.id });
    expect(got).toEqual(full);
    expect(got).toMatchObject({ width: 160, height: 240, orientation: 6, indexed: 2 });
    expect((await call<ProjectSummary>('projects.summary')).pendingIndex).toBe(0);
  });

  it('gets its thumbnail from its hash', async () => {
    const full = await call<ImageRow>('images.get', { id: idOf('coffee.jpg') });
    unread('coffee.jpg');
    const body = await core.imageBody(full.id, 'thumb');
    await body.file?.handle.close();
    expect(body).toMatchObject({ mime: 'image/webp', etag: `${full.contentHash}-thumb` });
    expect(await call<ImageRow>('images.get', { id: full.id })).toEqual(full);
  });

  it('is read before an export; one that cannot be read stops the export before anything is written', async () => {
    unread('chelsea.jpg');
    const out = path.join(tmp, 'export-ok');
    const ok = await core.jobs.wait((await call<{ jobId: string }>('datasets.export', { format: 'coco', out })).jobId);
    expect(ok).toMatchObject({ state: 'done' });
    expect(db().prepare(`SELECT indexed, width FROM images WHERE rel_path = 'chelsea.jpg'`).get()).toEqual({ indexed: 2, width: 451 });

    // A listed file that turned out broken before any scan read it (a stopped import): the export says so.
    unread('shapes.gif');
    writeFileSync(path.join(photos, 'shapes.gif'), 'not a gif any more');
    const bad = await core.jobs.wait((await call<{ jobId: string }>('datasets.export', { format: 'coco', out: path.join(tmp, 'export-bad') })).jobId);
    expect(bad.state).toBe('failed');
    expect(bad.error).toMatch(/^Cannot export: 1 image has not been indexed .* First: shapes\.gif: not a readable image/);
    // The next rescan deals with it: reported, and its row (no labels) removed.
    const rescan = await core.jobs.wait(core.startRescan());
    const r = rescan.result as ImportResult;
    expect(r.errors.map((e) => path.basename(e.path))).toContain('shapes.gif');
    expect(db().prepare(`SELECT count(*) FROM images WHERE rel_path = 'shapes.gif'`).pluck().get()).toBe(0);
    expect((await call<ProjectSummary>('projects.summary')).pendingIndex).toBe(0);
  });
});
