/**
 * The whole API over the HTTP transport with the real core: real SQLite project, real sharp on the fixture photos,
 * real HTTP on 127.0.0.1. The refusals of the issue are checked here end to end.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnnotationColumns, ApiError, type Job } from '../common/api/contract.js';
import { AppCore } from '../electron/core/app.js';
import { startServer, type RunningServer } from '../electron/server/http.js';
import { createHttpClient, type HttpClient } from '../electron/server/client.js';
import { expectApiError } from './expect-api-error.js';

const FIXTURES = path.resolve(__dirname, 'fixtures/images');
let tmp: string;
let core: AppCore;
let server: RunningServer;
let api: HttpClient;
let images: string;

async function waitJob(id: string): Promise<Job> {
  for (;;) {
    const job = await api.call('jobs.get', { id });
    if (job.state !== 'running') return job;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Records every path this process opens, stats or reads through node:fs while it is on. Both the callback and the
 * promise APIs are wrapped, and `syncBuiltinESMExports` hands the wrappers to modules that imported the functions by
 * name (`import { stat } from 'node:fs/promises'`).
 */
function traceFileAccess(): { paths: () => string[]; clear: () => void; restore: () => void } {
  const seen: string[] = [];
  const undo: (() => void)[] = [];
  const wrap = (obj: Record<string, unknown>, names: string[]) => {
    for (const name of names) {
      const original = obj[name] as (...a: unknown[]) => unknown;
      if (typeof original !== 'function') continue;
      obj[name] = function (this: unknown, ...args: unknown[]) {
        const p = args[0];
        if (typeof p === 'string' || p instanceof URL || Buffer.isBuffer(p)) seen.push(path.resolve(String(p instanceof URL ? p.pathname : p)));
        return original.apply(this, args);
      };
      undo.push(() => (obj[name] = original));
    }
  };
  const names = ['open', 'stat', 'lstat', 'readFile', 'realpath', 'access', 'opendir', 'readdir'];
  wrap(fs as unknown as Record<string, unknown>, [...names, 'openSync', 'statSync', 'lstatSync', 'readFileSync', 'realpathSync', 'existsSync', 'createReadStream']);
  wrap(fs.promises as unknown as Record<string, unknown>, names);
  syncBuiltinESMExports();
  return {
    paths: () => [...seen],
    clear: () => void seen.splice(0),
    restore: () => {
      for (const u of undo) u();
      syncBuiltinESMExports();
    },
  };
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-api-'));
  images = path.join(tmp, 'photos');
  cpSync(FIXTURES, images, { recursive: true });
  core = new AppCore({ appDataDir: path.join(tmp, 'appdata'), transport: 'http' });
  server = await startServer({ host: core });
  api = createHttpClient(server.url);
});

afterAll(async () => {
  await server?.close();
  await core?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('a project over HTTP', () => {
  let firstId: number;

  it('refuses project calls before a project is open', async () => {
    await expectApiError(api.call('images.list', {}), 'no_project', /No project is open/);
  });

  it('creates a project and imports a folder as a job with a result', async () => {
    const { project, jobId } = await api.call('projects.create', { path: path.join(tmp, 'p.sightline'), folder: images });
    expect(project.name).toBe('p');
    const job = await waitJob(jobId!);
    expect(job.state).toBe('done');
    const result = job.result as { imported: number; skipped: number; errors: { path: string; reason: string }[] };
    expect(result.imported).toBeGreaterThanOrEqual(8);
    expect(result.skipped).toBeGreaterThanOrEqual(1);
    const reasons = result.errors.map((e) => `${path.basename(e.path)}: ${e.reason}`).join('\n');
    expect(reasons).toMatch(/empty/);
    expect(reasons).toMatch(/truncated/);
    const summary = await api.call('projects.summary');
    expect(summary.images).toBe(result.imported);
    expect(summary.roots).toEqual([expect.objectContaining({ path: images, available: true })]);
  });

  it('pages, filters and sorts the image list, and walks neighbours', async () => {
    const all = await api.call('images.list', { limit: 1000 });
    const page = await api.call('images.list', { offset: 2, limit: 3 });
    expect(page.total).toBe(all.total);
    expect(page.items.map((i) => i.id)).toEqual(all.items.slice(2, 5).map((i) => i.id));
    const paths = all.items.map((i) => i.relPath);
    expect(paths).toEqual([...paths].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    const bySize = await api.call('images.list', { limit: 1000, sort: { by: 'size', dir: 'desc' } });
    const sizes = bySize.items.map((i) => i.byteSize);
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    const unicode = await api.call('images.list', { filter: { text: 'café' } });
    expect(unicode.items.map((i) => i.relPath)).toEqual([expect.stringContaining('café 日本')]);
    const wildcard = await api.call('images.list', { filter: { text: '%' } });
    expect(wildcard.total).toBe(0);

    firstId = all.items[0].id;
    const n0 = await api.call('images.neighbors', { id: firstId });
    expect(n0).toEqual({ prev: null, next: all.items[1].id, index: 0, total: all.total });
    const last = all.items[all.items.length - 1].id;
    const nl = await api.call('images.neighbors', { id: last });
    expect(nl).toMatchObject({ prev: all.items[all.items.length - 2].id, next: null, index: all.total - 1 });
  });

  it('keeps review status and filters by it', async () => {
    await api.call('images.setStatus', { ids: [firstId], status: 'done' });
    const done = await api.call('images.list', { filter: { status: ['done'] } });
    expect(done.items.map((i) => i.id)).toEqual([firstId]);
  });

  it('stores annotations in one all-or-nothing batch', async () => {
    const cls = await api.call('classes.upsert', { name: 'cat', hotkey: '1' });
    await expectApiError(api.call('classes.upsert', { name: 'cat' }), 'conflict', /already exists/);
    const { created } = await api.call('annotations.batch', {
      create: [
        { imageId: firstId, classId: cls.id, kind: 'box', geometry: { type: 'box', x: 10, y: 20, w: 30, h: 40 } },
        { imageId: firstId, kind: 'mask', geometry: { type: 'mask', width: 4, height: 3, counts: [2, 5, 5] } },
      ],
    });
    expect(created).toHaveLength(2);
    expect(created[1].geometry).toEqual({ type: 'mask', width: 4, height: 3, counts: [2, 5, 5] });
    // The second create names an image that does not exist: nothing of the batch may land.
    await expectApiError(
      api.call('annotations.batch', {
        create: [
          { imageId: firstId, kind: 'tag', geometry: { type: 'tag' } },
          { imageId: 999999, kind: 'tag', geometry: { type: 'tag' } },
        ],
        delete: [created[0].id],
      }),
      'bad_request',
      /create\[1\]: image 999999 is not in this project/,
    );
    const after = await api.call('annotations.list', { imageId: firstId });
    expect(after.map((a) => a.id)).toEqual(created.map((a) => a.id));
    expect((await api.call('images.get', { id: firstId })).annotationCount).toBe(2);
    const labeled = await api.call('images.list', { filter: { labeled: true } });
    expect(labeled.items.map((i) => i.id)).toEqual([firstId]);

    // A delete takes the image's count down (the grid's badge and the labeled filter read it), to 0 and back up.
    const { created: extra } = await api.call('annotations.batch', { create: [{ imageId: firstId, kind: 'tag', geometry: { type: 'tag' } }] });
    expect((await api.call('images.get', { id: firstId })).annotationCount).toBe(3);
    expect((await api.call('annotations.batch', { delete: [extra[0].id] })).deleted).toBe(1);
    expect((await api.call('images.get', { id: firstId })).annotationCount).toBe(2);
    await api.call('annotations.batch', { delete: created.map((a) => a.id) });
    expect((await api.call('images.get', { id: firstId })).annotationCount).toBe(0);
    expect((await api.call('images.list', { filter: { labeled: true } })).total).toBe(0);
    expect((await api.call('images.list', { filter: { labeled: false }, limit: 1000 })).items.map((i) => i.id)).toContain(firstId);
    const kept = await api.call('annotations.batch', {
      create: [
        { imageId: firstId, classId: cls.id, kind: 'box', geometry: { type: 'box', x: 10, y: 20, w: 30, h: 40 } },
        { imageId: firstId, kind: 'tag', geometry: { type: 'tag' } },
      ],
    });
    expect(kept.created).toHaveLength(2);
    expect((await api.call('images.get', { id: firstId })).annotationCount).toBe(2);
    expect((await api.call('images.list', { filter: { labeled: true } })).items.map((i) => i.id)).toEqual([firstId]);

    // The editor's read: the same annotations as columns, written by the server from the stored JSON, valid under the
    // contract's answer schema, and the same through HTTP as through the core directly.
    const { created: more } = await api.call('annotations.batch', {
      create: [{ imageId: firstId, kind: 'mask', geometry: { type: 'mask', width: 4, height: 3, counts: [2, 5, 5] }, attributes: { why: 'x"y' } }],
    });
    const columns = await api.call('annotations.shapes', { imageId: firstId });
    expect(AnnotationColumns.parse(columns)).toEqual(columns);
    expect(columns.ids).toEqual([...kept.created, ...more].map((a) => a.id));
    expect(columns.geometry).toEqual([{ type: 'box', x: 10, y: 20, w: 30, h: 40 }, { type: 'tag' }, { type: 'mask', width: 4, height: 3, counts: [2, 5, 5] }]);
    expect(columns.attributes).toEqual([null, null, { why: 'x"y' }]);
    expect(columns.classIds).toEqual([cls.id, null, null]);
    expect(await core.dispatch('annotations.shapes', { imageId: firstId })).toEqual(columns);
    await expectApiError(api.call('annotations.shapes', { imageId: -1 } as never), 'bad_request', /imageId/);
    await api.call('annotations.batch', { delete: more.map((a) => a.id) });
  });

  it('serves images and 256 px thumbnails by id only', async () => {
    const auth = { Authorization: `Bearer ${server.token}` };
    const list = await api.call('images.list', { filter: { text: 'rotated' } });
    expect(list.items).toHaveLength(1);
    const rotated = list.items[0];
    expect(rotated.orientation).toBe(6);
    expect(rotated.height).toBeGreaterThan(rotated.width);
    const thumb = await fetch(`${server.origin}/thumb/${rotated.id}`, { headers: auth });
    expect(thumb.status).toBe(200);
    const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBe(Math.min(256, rotated.height));
    expect(meta.height!).toBeGreaterThan(meta.width!);
    const img = await fetch(`${server.origin}/image/${rotated.id}`, { headers: auth });
    expect(img.status).toBe(200);
    const shown = await sharp(Buffer.from(await img.arrayBuffer())).metadata();
    // What the browser gets is already upright: displayed size, no rotation left to apply.
    expect([shown.width, shown.height]).toEqual([rotated.width, rotated.height]);
    expect(shown.orientation ?? 1).toBe(1);
  });
});

describe('refusals', () => {
  it('no token, a wrong token, a foreign Origin or Host', async () => {
    const body = JSON.stringify({});
    const h = { 'Content-Type': 'application/json' };
    expect((await fetch(`${server.origin}/api/app.info`, { method: 'POST', headers: h, body })).status).toBe(401);
    expect((await fetch(`${server.origin}/api/app.info`, { method: 'POST', headers: { ...h, Authorization: 'Bearer nope' }, body })).status).toBe(401);
    const auth = { ...h, Authorization: `Bearer ${server.token}` };
    expect((await fetch(`${server.origin}/api/app.info`, { method: 'POST', headers: { ...auth, Origin: 'http://evil.example' }, body })).status).toBe(403);
    const info = await fetch(`${server.origin}/api/app.info`, { method: 'POST', headers: auth, body });
    expect(info.status).toBe(200);
    expect(((await info.json()) as { result: { transport: string } }).result.transport).toBe('http');
  });

  it('a path-traversal image id never reaches the disk', async () => {
    const auth = { Authorization: `Bearer ${server.token}` };
    const [image] = (await api.call('images.list', { limit: 1, filter: { text: 'astronaut' } })).items;
    const id = image.id;
    // A secret beside the image folder: what a traversal would reach.
    const secret = path.join(tmp, 'secret.png');
    cpSync(path.join(FIXTURES, 'astronaut.png'), secret);
    const trace = traceFileAccess();
    try {
      // The real file, read through the tracer: proves the tracer sees the server's and the core's reads.
      const ok = await fetch(`${server.origin}/image/${id}`, { headers: auth });
      expect(ok.status).toBe(200);
      await ok.arrayBuffer();
      expect(trace.paths().some((p) => p.endsWith(`${path.sep}${image.relPath}`))).toBe(true);
      trace.clear();

      // Traversals, and spellings of a real id that are not its one canonical form: refused before any file is
      // looked at (`Number()` alone would accept "1.0", "0x1", "+1", "1e0").
      const ids = ['..%2F..%2F..%2Fetc%2Fpasswd', '..%2Fpackage.json', '..%2Fsecret.png', '%2E%2E%2Fsecret.png', '1.5', '-1', '0', '1e3'];
      ids.push(`${id}.0`, `0${id}`, `+${id}`, `${id}e0`, `0x${id.toString(16)}`, `%20${id}`, `${id}%00`);
      const statuses: Record<string, number> = {};
      for (const bad of [...ids, '987654']) {
        const r = await fetch(`${server.origin}/image/${bad}`, { headers: auth });
        statuses[bad] = r.status;
        await r.arrayBuffer();
      }
      // What was touched under the test's folder (project, images, secret) first: that is what must not happen.
      expect(trace.paths().filter((p) => p.startsWith(tmp))).toEqual([]);
      expect(statuses).toEqual({ ...Object.fromEntries(ids.map((bad) => [bad, 400])), '987654': 404 });
    } finally {
      trace.restore();
      rmSync(secret, { force: true });
    }
  });

  it('arguments that fail the schema are refused with the reason', async () => {
    await expectApiError(api.call('images.list', { limit: 5000 } as never), 'bad_request', /limit/);
    await expectApiError(api.call('images.get', { id: '1; DROP TABLE images' } as never), 'bad_request', /id/);
    await expectApiError(api.call('annotations.batch', { create: [{ imageId: 1, kind: 'box', geometry: { type: 'tag' } }] } as never), 'bad_request', /geometry.type must equal kind/);
    await expectApiError(api.call('nope.nothing' as never), 'unknown_call', /no API call named/);
  });

  it('a folder that does not exist', async () => {
    const missing = path.join(tmp, 'no-such-folder');
    await expectApiError(api.call('images.import', { folder: missing }), 'not_found', new RegExp(`${missing}.*does not exist`));
  });

  it('a project file that is not SQLite, or from a newer version, is refused and left unchanged', async () => {
    const notDb = path.join(tmp, 'notes.sightline');
    writeFileSync(notDb, 'hello, this is not a database at all');
    await expectApiError(api.call('projects.open', { path: notDb }), 'invalid_file', /notes\.sightline is not a Sightline project/);
    const newer = path.join(tmp, 'newer.sightline');
    cpSync(path.join(__dirname, 'fixtures/db/v1.sightline'), newer);
    const db = new Database(newer);
    db.pragma('user_version = 42');
    db.close();
    await expectApiError(api.call('projects.open', { path: newer }), 'newer_version', /newer\.sightline was written by a newer version/);
    // The project that was open stays open.
    expect((await api.call('projects.summary')).name).toBe('p');
  });

  it('a project whose image folder moved offers a relink, and the labels follow', async () => {
    const moved = path.join(tmp, 'photos-moved');
    await api.call('projects.close');
    renameSync(images, moved);
    const summary = await api.call('projects.open', { path: path.join(tmp, 'p.sightline') });
    expect(summary.roots[0]).toMatchObject({ path: images, available: false });
    await expectApiError(api.call('roots.relink', { rootId: summary.roots[0].id, path: tmp }), 'conflict', /photos/);
    const r = await api.call('roots.relink', { rootId: summary.roots[0].id, path: moved });
    expect(r.matched).toBe(r.total);
    expect(r.project.roots[0]).toMatchObject({ path: moved, available: true });
    const jobs = await api.call('jobs.list');
    await waitJob(jobs[0].id);
    const labeled = await api.call('images.list', { filter: { labeled: true } });
    expect(labeled.items).toHaveLength(1);
    expect(labeled.items[0].missing).toBe(false);
  });
});
