import { cpSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../../common/api/contract.js';
import { ImageFiles } from './files.js';
import { importFolder } from './scan.js';
import { encodeBmp, FIXTURES, tempProject } from './test-helpers.js';

let project: ReturnType<typeof tempProject>;
let photos: string;
let cacheDir: string;
let files: ImageFiles;

beforeEach(async () => {
  project = tempProject();
  photos = path.join(project.dir, 'photos');
  cacheDir = path.join(project.dir, 'cache');
  cpSync(FIXTURES, photos, { recursive: true });
  await importFolder(project.store.db, photos);
  files = new ImageFiles(project.store.db, cacheDir);
});
afterEach(() => project.cleanup());

const idOf = (rel: string) =>
  (project.store.db.prepare('SELECT id FROM images WHERE rel_path = ?').get(rel) as { id: number } | undefined)!.id;
const hashOf = (rel: string) =>
  (project.store.db.prepare('SELECT content_hash AS h FROM images WHERE rel_path = ?').get(rel) as { h: string }).h;
/** imageBody as a transport uses it: the bytes come from the open handle (the same as the file's), which is then closed. */
async function served(id: number, variant: 'image' | 'thumb'): Promise<{ mime: string; etag: string; file: string }> {
  const body = await files.imageBody(id, variant);
  const { handle, size: bytes, path: file } = body.file!;
  try {
    const sent = await handle.readFile();
    expect(sent.length).toBe(bytes);
    expect(sent.equals(readFileSync(file))).toBe(true);
  } finally {
    await handle.close();
  }
  return { mime: body.mime, etag: body.etag, file };
}
const size = async (file: string) => {
  const m = await sharp(file).metadata();
  return { width: m.width, height: m.height, format: m.format, orientation: m.orientation };
};

describe('ImageFiles.imageBody', () => {
  it('serves browser-ready originals as they are, by id', async () => {
    const body = await served(idOf('chelsea.jpg'), 'image');
    expect(body).toEqual({ mime: 'image/jpeg', etag: `${hashOf('chelsea.jpg')}-image`, file: path.join(photos, 'chelsea.jpg') });
    const bmp = await served(idOf('chelsea-24bit.bmp'), 'image');
    expect(bmp).toMatchObject({ mime: 'image/bmp', file: path.join(photos, 'chelsea-24bit.bmp') });
    const unicode = await served(idOf('café 日本.png'), 'image');
    expect(unicode).toMatchObject({ mime: 'image/png', file: path.join(photos, 'café 日本.png') });
    expect(readFileSync(unicode.file!).equals(readFileSync(path.join(FIXTURES, 'café 日本.png')))).toBe(true);
  });

  it('transcodes an EXIF-rotated JPEG once to an upright JPEG', async () => {
    const body = await served(idOf('rotated-exif6.jpg'), 'image');
    expect(body.mime).toBe('image/jpeg');
    expect(body.file).toBe(path.join(cacheDir, 'display', `${hashOf('rotated-exif6.jpg')}.jpg`));
    expect(await size(body.file!)).toEqual({ width: 160, height: 240, format: 'jpeg', orientation: undefined });
  });

  it('transcodes TIFF to PNG', async () => {
    const body = await served(idOf('nested/deeper/coffee.tiff'), 'image');
    expect(body.mime).toBe('image/png');
    expect(await size(body.file!)).toMatchObject({ width: 120, format: 'png' });
  });

  it('makes 256 px WebP thumbnails, upright, for every format', async () => {
    for (const rel of ['astronaut.png', 'grace_hopper.jpg', 'chelsea-24bit.bmp', 'nested/deeper/coffee.tiff', 'shapes.gif', 'nested/hopper.webp']) {
      const body = await served(idOf(rel), 'thumb');
      const hash = hashOf(rel);
      expect(body).toEqual({ mime: 'image/webp', etag: `${hash}-thumb`, file: path.join(cacheDir, 'thumbs', hash.slice(0, 2), `${hash}.webp`) });
      const m = await size(body.file!);
      expect(m.format).toBe('webp');
      expect(Math.max(m.width!, m.height!)).toBeLessThanOrEqual(256);
    }
    expect(await size((await served(idOf('astronaut.png'), 'thumb')).file!)).toMatchObject({ width: 256, height: 256 });
    expect(await size((await served(idOf('grace_hopper.jpg'), 'thumb')).file!)).toMatchObject({ height: 256 });
    const rotated = await size((await served(idOf('rotated-exif6.jpg'), 'thumb')).file!);
    expect(rotated.width!).toBeLessThan(rotated.height!);
  });

  it('reuses a cached thumbnail, and concurrent requests share one generation', async () => {
    const id = idOf('coffee.jpg');
    const bodies = await Promise.all([1, 2, 3].map(() => served(id, 'thumb')));
    expect(new Set(bodies.map((b) => b.file)).size).toBe(1);
    const dir = path.dirname(bodies[0].file!);
    expect(readdirSync(dir)).toEqual([path.basename(bodies[0].file!)]); // no temp files left behind
    const past = new Date('2001-01-01T00:00:00Z');
    utimesSync(bodies[0].file!, past, past);
    await served(id, 'thumb');
    expect(statSync(bodies[0].file!).mtimeMs).toBe(past.getTime());
  });

  it('decodes palettised and bit-field BMPs for thumbnails', async () => {
    const rgb = Buffer.alloc(40 * 30 * 3);
    for (let i = 0; i < 40 * 30; i++) rgb.set(i % 40 < 20 ? [200, 30, 30] : [30, 30, 200], i * 3);
    const rgba = Buffer.alloc(40 * 30 * 4);
    for (let i = 0; i < 40 * 30; i++) rgba.set([10, 160, 10, 255], i * 4);
    writeFileSync(path.join(photos, 'palette.bmp'), encodeBmp(rgb, 40, 30, { bits: 8, topDown: true }));
    writeFileSync(path.join(photos, 'bitfields.bmp'), encodeBmp(rgba, 40, 30, { bits: 32 }));
    expect((await importFolder(project.store.db, photos)).imported).toBe(2);
    const left = await sharp((await served(idOf('palette.bmp'), 'thumb')).file!).extract({ left: 2, top: 15, width: 1, height: 1 }).raw().toBuffer();
    expect(left[0]).toBeGreaterThan(150);
    expect(left[2]).toBeLessThan(80);
    const green = await sharp((await served(idOf('bitfields.bmp'), 'thumb')).file!).stats();
    expect(green.channels[1].mean).toBeGreaterThan(120);
  });

  it('refuses to cache a file that changed since the scan', async () => {
    const file = path.join(photos, 'coffee.jpg');
    writeFileSync(file, readFileSync(path.join(FIXTURES, 'chelsea.jpg')));
    await expect(served(idOf('coffee.jpg'), 'thumb')).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining(file) });
    await expect(served(idOf('coffee.jpg'), 'image')).rejects.toMatchObject({ code: 'conflict' });
  });
});

describe('ImageFiles thumbnail queue', () => {
  /** A grainy 3000×2000 JPEG: its thumbnail takes long enough (tens of ms) that requests made meanwhile queue. */
  async function bigJpeg(name: string, seed: number): Promise<void> {
    const w = 3000;
    const h = 2000;
    const raw = Buffer.alloc(w * h * 3);
    let x = seed;
    for (let i = 0; i < raw.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      raw[i] = (i % 3) * 60 + (x >>> 26);
    }
    await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toFile(path.join(photos, name));
  }
  const thumbFile = (rel: string) => path.join(cacheDir, 'thumbs', hashOf(rel).slice(0, 2), `${hashOf(rel)}.webp`);
  const exists = (file: string) => statSync(file, { throwIfNoEntry: false }) !== undefined;
  /** Resolves once the queue is in the given state (checked every turn of the event loop). */
  async function until(files: ImageFiles, done: (s: { running: number; queued: number }) => boolean): Promise<void> {
    for (let i = 0; i < 10_000 && !done(files.generating); i++) await new Promise((r) => setImmediate(r));
    expect(done(files.generating)).toBe(true);
  }

  it('makes the newest and the viewer\'s image first, and never makes one whose request was withdrawn', async () => {
    await bigJpeg('big.jpg', 1);
    await importFolder(project.store.db, photos);
    const one = new ImageFiles(project.store.db, cacheDir, { concurrency: 1 });
    const order: string[] = [];
    const track = (rel: string, variant: 'image' | 'thumb', signal?: AbortSignal) =>
      one.imageBody(idOf(rel), variant, { signal }).then(async (b) => {
        order.push(`${variant}:${rel}`);
        await b.file?.handle.close();
      });
    const busy = track('big.jpg', 'thumb');
    await until(one, (s) => s.running === 1);
    const gone = new AbortController();
    const waiting: Promise<void>[] = [];
    // One at a time, so that the order they reach the queue is the order they were asked for.
    for (const [rel, variant, signal] of [
      ['chelsea.jpg', 'thumb'],
      ['coffee.jpg', 'thumb', gone.signal],
      ['astronaut.png', 'thumb'],
      ['rotated-exif6.jpg', 'image'],
    ] as const) {
      waiting.push(track(rel, variant, signal));
      await until(one, (s) => s.queued === waiting.length);
    }
    gone.abort(); // coffee.jpg's cell scrolled away while it waited
    const settled = await Promise.allSettled([busy, ...waiting]);
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((settled[2] as PromiseRejectedResult).reason).toMatchObject({ name: 'AbortError' });
    expect(order).toEqual(['thumb:big.jpg', 'image:rotated-exif6.jpg', 'thumb:astronaut.png', 'thumb:chelsea.jpg']);
    await one.settle();
    expect(exists(thumbFile('coffee.jpg'))).toBe(false);
    expect(exists(thumbFile('chelsea.jpg'))).toBe(true);
  });

  it('decodes no more images at once than its concurrency', async () => {
    for (let i = 0; i < 4; i++) await bigJpeg(`big-${i}.jpg`, i + 10);
    await importFolder(project.store.db, photos);
    const two = new ImageFiles(project.store.db, cacheDir, { concurrency: 2 });
    const rels = ['big-0.jpg', 'big-1.jpg', 'big-2.jpg', 'big-3.jpg', 'chelsea.jpg', 'coffee.jpg'];
    let peak = 0;
    let sawQueue = false;
    let done = false;
    const all = Promise.all(rels.map((rel) => two.imageBody(idOf(rel), 'thumb').then((b) => b.file?.handle.close()))).finally(() => (done = true));
    while (!done) {
      peak = Math.max(peak, two.generating.running);
      sawQueue ||= two.generating.queued > 0;
      await new Promise((r) => setImmediate(r));
    }
    await all;
    expect(peak).toBe(2);
    expect(sawQueue).toBe(true);
    for (const rel of rels) expect(exists(thumbFile(rel))).toBe(true);
  });

  it('refuses a request withdrawn before it was queued', async () => {
    await expect(files.imageBody(idOf('chelsea.jpg'), 'thumb', { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    await files.settle();
    expect(exists(thumbFile('chelsea.jpg'))).toBe(false);
  });
});

describe('ImageFiles.resolvePath', () => {
  const addRow = (relPath: string) => {
    const rootId = (project.store.db.prepare('SELECT id FROM image_roots').get() as { id: number }).id;
    return Number(
      project.store.db
        .prepare(
          `INSERT INTO images (root_id, rel_path, width, height, format, byte_size, mtime_ms, content_hash, added_at)
           VALUES (?, ?, 1, 1, 'png', 1, 0, 'x', 0)`,
        )
        .run(rootId, relPath).lastInsertRowid,
    );
  };

  it('resolves an id inside its root', () => {
    const { absPath, row } = files.resolvePath(idOf('nested/hopper.webp'));
    expect(absPath).toBe(path.join(photos, 'nested', 'hopper.webp'));
    expect(row).toMatchObject({ rootPath: photos, relPath: 'nested/hopper.webp', format: 'webp' });
  });

  it('refuses paths that escape the root, unknown ids and missing images', () => {
    for (const rel of ['../../etc/passwd', '/etc/passwd', 'nested/../../x.png']) {
      const id = addRow(rel);
      expect(() => files.resolvePath(id)).toThrow(ApiError);
      expect(() => files.resolvePath(id)).toThrow(/points outside its folder/);
    }
    expect(() => files.resolvePath(999_999)).toThrow(/not in this project/);
    const id = idOf('shapes.gif');
    project.store.db.prepare('UPDATE images SET missing = 1 WHERE id = ?').run(id);
    expect(() => files.resolvePath(id)).toThrow(/Rescan the project or relink its folder/);
  });
});
