/**
 * Two-phase import (issue 12): rows are listed from the directory listing and stat alone, in path order, before any
 * file is read; headers and hashes are filled in after (phase 2), images asked for on screen first. Real SQLite
 * project, real files on disk; phase 2 is held at its start (`beforeIndex`) to look at the state in between.
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImportResult } from '../../../common/api/contract.js';
import type { ProjectStore } from '../project/store.js';
import { ImageFiles } from './files.js';
import { ensureIndexed, holdBackground, readPending, requireIndexed } from './indexer.js';
import { importFolder, rescanProject, type ScanOptions } from './scan.js';
import { FIXTURES, tempProject } from './test-helpers.js';

/** The good images of the fixture folder; corrupt.jpg and truncated.jpg are listed then dropped, empty.png never listed. */
const GOOD = [
  'astronaut.png',
  'café 日本.png',
  'chelsea-24bit.bmp',
  'chelsea.jpg',
  'coffee.jpg',
  'grace_hopper.jpg',
  'nested/deeper/coffee.tiff',
  'nested/hopper.webp',
  'rotated-exif6.jpg',
  'shapes.gif',
];

interface Row {
  id: number;
  rel_path: string;
  width: number;
  height: number;
  orientation: number;
  format: string;
  byte_size: number;
  mtime_ms: number;
  content_hash: string;
  missing: number;
  indexed: number;
  annotation_count: number;
}

let project: ReturnType<typeof tempProject>;
let store: ProjectStore;
let photos: string;

beforeEach(() => {
  project = tempProject();
  store = project.store;
  photos = path.join(project.dir, 'photos');
  cpSync(FIXTURES, photos, { recursive: true });
});
afterEach(() => project.cleanup());

const rows = () => store.db.prepare('SELECT * FROM images ORDER BY root_id, rel_path').all() as Row[];
const row = (rel: string) => store.db.prepare('SELECT * FROM images WHERE rel_path = ?').get(rel) as Row | undefined;
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
const tag = (imageId: number) => {
  const now = Date.now();
  store.db.prepare(`INSERT INTO annotations (image_id, kind, geometry, created_at, updated_at) VALUES (?, 'tag', '{"type":"tag"}', ?, ?)`).run(imageId, now, now);
};

/** Holds phase 2 at its start: `atGate` resolves when the listing is committed, `release` lets the reads begin. */
function gate() {
  let reached!: () => void;
  let release!: () => void;
  const atGate = new Promise<void>((r) => (reached = r));
  const opened = new Promise<void>((r) => (release = r));
  return {
    atGate,
    release,
    beforeIndex: () => {
      reached();
      return opened;
    },
  };
}

/** Starts a scan held before phase 2; resolves once every row is listed. */
async function held(run: (o: ScanOptions) => Promise<ImportResult>, opts: ScanOptions = {}) {
  const g = gate();
  const listed: number[] = [];
  const indexed: number[] = [];
  const done = run({ ...opts, beforeIndex: g.beforeIndex, onRows: (n) => listed.push(n), onIndexed: (n) => indexed.push(n) });
  await g.atGate;
  return { release: g.release, done, listed, indexed };
}

describe('phase 1 lists, phase 2 reads', () => {
  it('lists a row per image file in path order before any header is read; phase 2 fills them in, drops broken ones', async () => {
    const scan = await held((o) => importFolder(store.db, photos, { ...o, concurrency: 3 }));
    // Listed: every image file with a size, in path order (ids follow it), nothing read yet.
    const listed = rows();
    const names = [...GOOD, 'corrupt.jpg', 'truncated.jpg'].sort(byBytes);
    expect(listed.map((r) => r.rel_path)).toEqual(names);
    expect(store.db.prepare('SELECT rel_path FROM images ORDER BY id').pluck().all()).toEqual(names);
    for (const r of listed) {
      const st = statSync(path.join(photos, r.rel_path));
      expect(r).toMatchObject({ indexed: 0, width: 0, height: 0, orientation: 1, content_hash: '', missing: 0, byte_size: st.size, mtime_ms: Math.floor(st.mtimeMs) });
    }
    expect(row('chelsea.jpg')!.format).toBe('jpeg');
    expect(row('nested/deeper/coffee.tiff')!.format).toBe('tiff');
    expect(row('chelsea-24bit.bmp')!.format).toBe('bmp');
    expect(scan.listed.reduce((a, b) => a + b, 0)).toBe(names.length);
    expect(scan.indexed).toEqual([]);
    expect(store.summary()).toMatchObject({ images: names.length, pendingIndex: names.length });
    expect(store.images.get(row('astronaut.png')!.id)).toMatchObject({ width: 0, height: 0, contentHash: '', indexed: 0 });

    scan.release();
    const result = await scan.done;
    // The counts and errors of a one-phase import.
    expect(result).toMatchObject({ imported: GOOD.length, unchanged: 0, updated: 0, relinked: 0, missing: 0, cancelled: false });
    expect(Object.fromEntries(result.errors.map((e) => [path.relative(photos, e.path), e.reason]))).toEqual({
      'corrupt.jpg': expect.stringMatching(/^not a readable image: /),
      'truncated.jpg': 'truncated JPEG (no end-of-image marker)',
      'empty.png': 'empty file (0 bytes)',
    });
    expect(rows().map((r) => r.rel_path)).toEqual([...GOOD].sort(byBytes));
    expect(rows().every((r) => r.indexed === 2)).toBe(true);
    expect(row('astronaut.png')).toMatchObject({ width: 512, height: 512, format: 'png', content_hash: sha256(path.join(photos, 'astronaut.png')) });
    expect(row('rotated-exif6.jpg')).toMatchObject({ width: 160, height: 240, orientation: 6 });
    expect(row('chelsea-24bit.bmp')).toMatchObject({ format: 'bmp', width: 96, height: 64 });
    expect(scan.indexed.reduce((a, b) => a + b, 0)).toBe(GOOD.length + 2); // 10 read, 2 rows dropped
    expect(store.summary().pendingIndex).toBe(0);
  });

  it('a rescan of an indexed folder lists nothing and reads nothing', async () => {
    for (const broken of ['corrupt.jpg', 'truncated.jpg', 'empty.png']) rmSync(path.join(photos, broken));
    await importFolder(store.db, photos);
    const before = rows();
    let gateCalled = false;
    const r = await rescanProject(store.db, { beforeIndex: async () => void (gateCalled = true) });
    expect(r).toMatchObject({ unchanged: GOOD.length, imported: 0, updated: 0 });
    expect(gateCalled).toBe(false);
    expect(rows()).toEqual(before);
  });

  it('a changed file keeps its row as it was until its new bytes are read', async () => {
    await importFolder(store.db, photos);
    const before = row('coffee.jpg')!;
    const file = path.join(photos, 'coffee.jpg');
    await sharp(path.join(FIXTURES, 'astronaut.png')).resize(50, 40).jpeg().toFile(file);
    const scan = await held((o) => rescanProject(store.db, o));
    expect(row('coffee.jpg')).toEqual(before);
    scan.release();
    expect(await scan.done).toMatchObject({ updated: 1, unchanged: GOOD.length - 1 });
    expect(row('coffee.jpg')).toMatchObject({ id: before.id, width: 50, height: 40, content_hash: sha256(file), indexed: 2 });
  });
});

describe('a moved file', () => {
  beforeEach(async () => {
    await importFolder(store.db, photos);
  });

  it('is re-linked to its old row, labels and all, once its hash is known', async () => {
    const old = row('grace_hopper.jpg')!;
    tag(old.id);
    renameSync(path.join(photos, 'grace_hopper.jpg'), path.join(photos, 'nested', 'deeper', 'admiral.jpg'));
    const scan = await held((o) => rescanProject(store.db, o));
    // Listed: the old row is missing, the file at its new path has a row of its own, not read yet.
    expect(row('grace_hopper.jpg')).toMatchObject({ id: old.id, missing: 1, annotation_count: 1 });
    const placeholder = row('nested/deeper/admiral.jpg')!;
    expect(placeholder).toMatchObject({ indexed: 0, content_hash: '', annotation_count: 0 });
    expect(placeholder.id).not.toBe(old.id);

    scan.release();
    expect(await scan.done).toMatchObject({ relinked: 1, imported: 0, missing: 0, unchanged: GOOD.length - 1 });
    expect(row('nested/deeper/admiral.jpg')).toMatchObject({ id: old.id, missing: 0, indexed: 2, content_hash: old.content_hash, width: old.width, annotation_count: 1 });
    expect(row('grace_hopper.jpg')).toBeUndefined();
    expect(store.db.prepare('SELECT count(*) FROM images WHERE id = ?').pluck().get(placeholder.id)).toBe(0);
    expect(store.db.prepare('SELECT count(*) FROM annotations WHERE image_id = ?').pluck().get(old.id)).toBe(1);
  });

  it('is re-linked also when a thumbnail on screen reads it before the scan does', async () => {
    const old = row('grace_hopper.jpg')!;
    renameSync(path.join(photos, 'grace_hopper.jpg'), path.join(photos, 'admiral.jpg'));
    const scan = await held((o) => rescanProject(store.db, o));
    expect(await ensureIndexed(store.db, [row('admiral.jpg')!.id])).toEqual([]);
    expect(row('admiral.jpg')).toMatchObject({ id: old.id, missing: 0, indexed: 2 });
    scan.release();
    expect(await scan.done).toMatchObject({ relinked: 1, imported: 0, missing: 0 });
  });

  it('whose new row got labels before its hash was known keeps both rows', async () => {
    const old = row('grace_hopper.jpg')!;
    renameSync(path.join(photos, 'grace_hopper.jpg'), path.join(photos, 'admiral.jpg'));
    const scan = await held((o) => rescanProject(store.db, o));
    tag(row('admiral.jpg')!.id);
    scan.release();
    expect(await scan.done).toMatchObject({ relinked: 0, imported: 1, missing: 1 });
    expect(row('grace_hopper.jpg')).toMatchObject({ id: old.id, missing: 1 });
    expect(row('admiral.jpg')).toMatchObject({ indexed: 2, content_hash: old.content_hash, annotation_count: 1 });
  });
});

describe('a cancel, and reads on demand', () => {
  it('a cancel while reading leaves the rest listed; the next rescan reads them and drops the broken ones', async () => {
    const controller = new AbortController();
    const first = await importFolder(store.db, photos, {
      concurrency: 1,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.message.startsWith('Indexing images: 2 of')) controller.abort();
      },
      onIndexed: () => undefined,
      // A clock that moves: every step is reported.
      indexDelayMs: 110,
    });
    expect(first.cancelled).toBe(true);
    // Every listed row counts as imported: they are in the project, listed.
    expect(first.imported).toBe(GOOD.length + 2);
    const pending = rows().filter((r) => r.indexed < 2);
    expect(pending.length).toBe(GOOD.length + 2 - 2);
    expect(store.summary().pendingIndex).toBe(pending.length);
    expect(rows().filter((r) => r.indexed === 2).map((r) => r.rel_path)).toEqual(['astronaut.png', 'café 日本.png']);

    const second = await rescanProject(store.db);
    expect(second).toMatchObject({ cancelled: false, imported: 0, unchanged: GOOD.length, updated: 0, missing: 0 });
    expect(second.errors.map((e) => path.basename(e.path)).sort()).toEqual(['corrupt.jpg', 'empty.png', 'truncated.jpg']);
    expect(rows().map((r) => r.rel_path)).toEqual([...GOOD].sort(byBytes));
    expect(rows().every((r) => r.indexed === 2 && r.width > 0 && r.content_hash.length === 64)).toBe(true);
    expect(store.summary().pendingIndex).toBe(0);
  });

  it('a listed file that is gone by the next scan loses its row; one with labels is kept, missing', async () => {
    // Listed, then cancelled before phase 2; coffee.jpg and chelsea.jpg go before they are read; chelsea.jpg has a label.
    const dir = path.join(project.dir, 'more');
    mkdirSync(dir);
    for (const n of ['chelsea.jpg', 'coffee.jpg', 'shapes.gif']) cpSync(path.join(FIXTURES, n), path.join(dir, n));
    const c = new AbortController();
    const s = await held((o) => importFolder(store.db, dir, { ...o, signal: c.signal }));
    c.abort();
    s.release();
    expect((await s.done).cancelled).toBe(true);
    tag(store.db.prepare(`SELECT id FROM images WHERE rel_path = 'chelsea.jpg' AND root_id = (SELECT id FROM image_roots WHERE path = ?)`).pluck().get(dir) as number);
    for (const n of ['chelsea.jpg', 'coffee.jpg']) renameSync(path.join(dir, n), path.join(project.dir, n));
    const r = await importFolder(store.db, dir);
    expect(r).toMatchObject({ missing: 1, unchanged: 1 });
    const inDir = store.db.prepare(`SELECT rel_path, missing, indexed FROM images WHERE root_id = (SELECT id FROM image_roots WHERE path = ?) ORDER BY rel_path`).all(dir);
    expect(inDir).toEqual([
      { rel_path: 'chelsea.jpg', missing: 1, indexed: 0 },
      { rel_path: 'shapes.gif', missing: 0, indexed: 2 },
    ]);
    // Missing and not read: not counted as still being indexed, but refused to anything that needs its size.
    expect(store.summary().pendingIndex).toBe(0);
    const id = store.db.prepare(`SELECT id FROM images WHERE rel_path = 'chelsea.jpg' AND missing = 1`).pluck().get() as number;
    await expect(requireIndexed(store.db, [id], 'export')).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/^Cannot export: 1 image has not been indexed .* First: chelsea\.jpg: its file was not found at the last scan\. Rescan/),
    });
  });

  it('ensureIndexed reads a listed row now, shares a read in flight, and leaves an unreadable one for the scan', async () => {
    const scan = await held((o) => importFolder(store.db, photos, o));
    const chelsea = row('chelsea.jpg')!.id;
    const corrupt = row('corrupt.jpg')!.id;
    expect(readPending(store.db, chelsea)).toBe(readPending(store.db, chelsea)); // one read, shared
    expect(await ensureIndexed(store.db, [chelsea])).toEqual([]);
    expect(row('chelsea.jpg')).toMatchObject({ indexed: 2, width: 451, height: 300, content_hash: sha256(path.join(photos, 'chelsea.jpg')) });
    expect(row('coffee.jpg')).toMatchObject({ indexed: 0, width: 0 });
    expect(await ensureIndexed(store.db, [corrupt, chelsea])).toEqual([{ id: corrupt, relPath: 'corrupt.jpg', reason: expect.stringMatching(/^not a readable image: /) }]);
    expect(row('corrupt.jpg')).toMatchObject({ indexed: 0 }); // left for the scan, which reports it
    await expect(requireIndexed(store.db, [corrupt], 'evaluate run 1')).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/^Cannot evaluate run 1: 1 image has not been indexed/) });

    scan.release();
    const result = await scan.done;
    expect(result).toMatchObject({ imported: GOOD.length, cancelled: false });
    expect(result.errors.map((e) => path.basename(e.path)).sort()).toEqual(['corrupt.jpg', 'empty.png', 'truncated.jpg']);
    expect(row('corrupt.jpg')).toBeUndefined();
  });

  it('a thumbnail of a listed image is made at once, from its hash, ahead of phase 2', async () => {
    const scan = await held((o) => importFolder(store.db, photos, o));
    const files = new ImageFiles(store.db, path.join(project.dir, 'cache'));
    try {
      const id = row('coffee.jpg')!.id;
      const body = await files.imageBody(id, 'thumb');
      await body.file!.handle.close();
      const hash = sha256(path.join(photos, 'coffee.jpg'));
      expect(body).toMatchObject({ mime: 'image/webp', etag: `${hash}-thumb` });
      expect(body.file!.path).toBe(path.join(project.dir, 'cache', 'thumbs', hash.slice(0, 2), `${hash}.webp`));
      expect(row('coffee.jpg')).toMatchObject({ indexed: 2, content_hash: hash });
      // The original of a listed image is served after its header is read too (its orientation decides how).
      const original = await files.imageBody(row('shapes.gif')!.id, 'image');
      await original.file!.handle.close();
      expect(original).toMatchObject({ mime: 'image/gif', etag: `${sha256(path.join(photos, 'shapes.gif'))}-image` });
      // One that turns out broken is refused with its reason.
      await expect(files.imageBody(row('truncated.jpg')!.id, 'thumb')).rejects.toMatchObject({ code: 'invalid_file', message: expect.stringContaining('truncated JPEG') });
    } finally {
      scan.release();
      await scan.done;
      await files.settle();
    }
    expect(store.summary().pendingIndex).toBe(0);
  });

  it('work for the screen holds phase 2 back until it is done; a cancel does not wait for it', async () => {
    const release = holdBackground(store.db);
    const scan = await held((o) => importFolder(store.db, photos, o));
    scan.release();
    // Phase 2 has begun but reads nothing new while a thumbnail (here: the hold) is being served.
    await new Promise((r) => setTimeout(r, 300));
    expect(scan.indexed).toEqual([]);
    expect(rows().every((r) => r.indexed === 0)).toBe(true);
    // Holds nest: phase 2 goes on only when the last one ends, and released twice is released once.
    const second = holdBackground(store.db);
    release();
    release();
    await new Promise((r) => setTimeout(r, 100));
    expect(scan.indexed).toEqual([]);
    second();
    const result = await scan.done;
    expect(result).toMatchObject({ imported: GOOD.length, cancelled: false });
    expect(rows().every((r) => r.indexed === 2)).toBe(true);

    // A scan held back this way is cancelled at once, its rows left listed for the next scan.
    rmSync(path.join(photos, 'nested'), { recursive: true });
    mkdirSync(path.join(photos, 'more'));
    cpSync(path.join(FIXTURES, 'coffee.jpg'), path.join(photos, 'more', 'coffee-copy.jpg'));
    const hold = holdBackground(store.db);
    const abort = new AbortController();
    const again = await held((o) => rescanProject(store.db, { ...o, signal: abort.signal }));
    again.release();
    await new Promise((r) => setTimeout(r, 100));
    abort.abort();
    expect(await again.done).toMatchObject({ cancelled: true });
    expect(row('more/coffee-copy.jpg')).toMatchObject({ indexed: 0 });
    hold();
  });

  it('says how far a slow phase 2 is, and tells the caller as rows are read', async () => {
    const dir = path.join(project.dir, 'slow');
    const png = readFileSync(path.join(FIXTURES, 'astronaut.png'));
    for (const n of ['c.png', 'a.png', 'b/x.png']) {
      mkdirSync(path.dirname(path.join(dir, n)), { recursive: true });
      writeFileSync(path.join(dir, n), png);
    }
    const messages: string[] = [];
    const order: string[] = [];
    await importFolder(store.db, dir, {
      concurrency: 1,
      indexDelayMs: 120,
      onProgress: (p) => messages.push(p.message),
      onIndexed: () => order.push(...(store.db.prepare('SELECT rel_path FROM images WHERE indexed = 2 ORDER BY rel_path').pluck().all() as string[]).filter((r) => !order.includes(r))),
    });
    expect(order).toEqual(['a.png', 'b/x.png', 'c.png']);
    expect(messages).toContain('Indexing 3 images…');
    expect(messages).toContain('Indexing images: 2 of 3 (sizes and hashes)');
    expect(messages.at(-1)).toBe('Read 3 images');
  });
});
