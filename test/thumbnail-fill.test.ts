/**
 * The thumbnail fill job (issue 12, part 3): opt-in from the library's toolbar, it makes every image's thumbnail ahead
 * of time, in path order, with progress, and a cancel keeps what was made. Real SQLite project, real images, real
 * sharp; the cache is read on disk.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../common/api/contract.js';
import { AppCore } from '../electron/core/app.js';

const FIXTURES = path.resolve(__dirname, 'fixtures/images');
let tmp: string;
let core: AppCore;
let photos: string;

const thumbs = (): string[] => {
  const dir = path.join(tmp, 'home', 'cache', 'thumbs');
  return existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.webp')) : [];
};
const hashes = () => core.store!.db.prepare('SELECT content_hash FROM images WHERE missing = 0 ORDER BY id').pluck().all() as string[];

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-thumb-fill-'));
  photos = path.join(tmp, 'photos');
  cpSync(FIXTURES, photos, { recursive: true });
  core = new AppCore({ appDataDir: path.join(tmp, 'home'), transport: 'http' });
  await core.openProject(path.join(tmp, 'p.sightline'), { create: true });
  expect(((await core.jobs.wait(core.startImport(photos))) as Job).state).toBe('done');
});
afterAll(async () => {
  await core?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('images.fillThumbnails', () => {
  it('makes the thumbnail of every image, says how far it is, and a second run finds them made', async () => {
    expect(thumbs()).toEqual([]);
    const progress: { done: number; total: number | null }[] = [];
    const off = core.onEvent((event, payload) => {
      const j = payload as Job;
      if (event === 'job' && j.kind === 'thumbnails' && j.state === 'running') progress.push({ done: j.done, total: j.total });
    });
    const { jobId } = (await core.dispatch('images.fillThumbnails', {})) as { jobId: string };
    const job = (await core.jobs.wait(jobId)) as Job;
    off();
    const n = hashes().length;
    expect(n).toBeGreaterThan(5);
    expect(job).toMatchObject({ kind: 'thumbnails', state: 'done', message: `${n} of ${n} thumbnails ready` });
    // One cached thumbnail per distinct content, named by it.
    const made = thumbs().map((f) => path.basename(f, '.webp'));
    expect(new Set(made)).toEqual(new Set(hashes()));
    // Progress counts the images (before the first report the total is not known yet), never going back.
    const counted = progress.filter((p) => p.total !== null);
    expect(counted.length).toBeGreaterThan(0);
    expect(counted.every((p) => p.total === n)).toBe(true);
    expect(counted.map((p) => p.done)).toEqual([...counted.map((p) => p.done)].sort((a, b) => a - b));

    const again = (await core.jobs.wait(((await core.dispatch('images.fillThumbnails', {})) as { jobId: string }).jobId)) as Job;
    expect(again).toMatchObject({ state: 'done', message: `${n} of ${n} thumbnails ready` });
  });

  it('a cancel stops it and keeps what was made', async () => {
    rmSync(path.join(tmp, 'home', 'cache', 'thumbs'), { recursive: true, force: true });
    const { jobId } = (await core.dispatch('images.fillThumbnails', {})) as { jobId: string };
    await core.dispatch('jobs.cancel', { id: jobId });
    const job = (await core.jobs.wait(jobId)) as Job;
    expect(job.state).toBe('cancelled');
    expect(job.message).toMatch(/^Cancelled: \d+ of \d+ thumbnails ready$/);
    expect(thumbs().length).toBeLessThan(hashes().length);
  });
});
