import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, renameSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../../common/api/contract.js';
import type { ProjectStore } from '../project/store.js';
import { importFolder, relinkRoot, rescanProject } from './scan.js';
import { FIXTURES, tempProject } from './test-helpers.js';

/** The good images of the fixture folder; corrupt.jpg, truncated.jpg and empty.png are the bad ones. */
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
  root_id: number;
  rel_path: string;
  width: number;
  height: number;
  orientation: number;
  format: string;
  content_hash: string;
  missing: number;
}

let project: ReturnType<typeof tempProject>;
let store: ProjectStore;
/** A writable copy of the fixtures inside the temp folder. */
let photos: string;

beforeEach(() => {
  project = tempProject();
  store = project.store;
  photos = path.join(project.dir, 'photos');
  cpSync(FIXTURES, photos, { recursive: true });
});
afterEach(() => project.cleanup());

const rows = () => store.db.prepare('SELECT * FROM images ORDER BY rel_path').all() as Row[];
const row = (rel: string) => store.db.prepare('SELECT * FROM images WHERE rel_path = ?').get(rel) as Row | undefined;
const roots = () => store.db.prepare('SELECT id, path FROM image_roots ORDER BY id').all() as { id: number; path: string }[];
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('importFolder', () => {
  it('imports the fixture folder, skipping non-images and listing broken files with reasons', async () => {
    const result = await importFolder(store.db, FIXTURES);
    expect(result).toMatchObject({ imported: GOOD.length, unchanged: 0, updated: 0, relinked: 0, missing: 0, cancelled: false });
    expect(result.skipped).toBe(3); // notes.txt, LICENSES.md, generate.ts
    const reasons = Object.fromEntries(result.errors.map((e) => [path.relative(FIXTURES, e.path), e.reason]));
    expect(reasons).toEqual({
      'corrupt.jpg': expect.stringMatching(/^not a readable image: /),
      'truncated.jpg': 'truncated JPEG (no end-of-image marker)',
      'empty.png': 'empty file (0 bytes)',
    });
    expect(rows().map((r) => r.rel_path).sort()).toEqual([...GOOD].sort());
    expect(roots()).toEqual([{ id: expect.any(Number), path: FIXTURES }]);
    expect(row('astronaut.png')).toMatchObject({ width: 512, height: 512, format: 'png', orientation: 1, missing: 0 });
    expect(row('astronaut.png')!.content_hash).toBe(sha256(path.join(FIXTURES, 'astronaut.png')));
    expect(row('nested/deeper/coffee.tiff')).toMatchObject({ format: 'tiff' });
    expect(row('chelsea-24bit.bmp')).toMatchObject({ format: 'bmp', width: 96, height: 64 });
  });

  it('stores an EXIF-rotated JPEG with its displayed size and orientation', async () => {
    await importFolder(store.db, FIXTURES);
    expect(row('rotated-exif6.jpg')).toMatchObject({ width: 160, height: 240, orientation: 6 });
  });

  it('refuses a folder that does not exist, naming it, and writes nothing', async () => {
    const folder = path.join(project.dir, 'no such folder');
    const err = await importFolder(store.db, folder).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'not_found', message: expect.stringContaining(`Cannot import "${folder}"`) });
    const file = path.join(photos, 'notes.txt');
    await expect(importFolder(store.db, file)).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining('not a folder') });
    expect(roots()).toEqual([]);
  });

  it('keeps NFC and NFD file names exactly as they are on disk', async () => {
    const nfc = 'caf\u00e9.png';
    const nfd = 'cafe\u0301.png';
    const dir = path.join(project.dir, 'unicode');
    mkdirSync(dir);
    writeFileSync(path.join(dir, nfc), readFileSync(path.join(FIXTURES, 'café 日本.png')));
    writeFileSync(path.join(dir, nfd), readFileSync(path.join(FIXTURES, 'shapes.gif')));
    const result = await importFolder(store.db, dir);
    expect(result.imported).toBe(2);
    expect(row(nfc)).toMatchObject({ format: 'png' });
    expect(row(nfd)).toMatchObject({ format: 'gif' });
  });

  it('skips hidden entries without counting them: .git, .sightline, dotfiles and macOS ._ AppleDouble files', async () => {
    // Made here rather than kept in the fixtures: a dotfile in the repo is easy to lose and hard to see.
    const folder = path.join(project.dir, 'drive');
    const png = await sharp({ create: { width: 4, height: 3, channels: 3, background: '#336699' } }).png().toBuffer();
    // An AppleDouble file: magic 0x00051607, version 2, then junk; named like the photo it shadows.
    const appleDouble = Buffer.concat([Buffer.from([0, 5, 22, 7, 0, 2, 0, 0]), Buffer.alloc(4088, 0x41)]);
    const files: Record<string, Buffer> = {
      'photo.png': png,
      '._photo.png': appleDouble,
      '._photo.jpg': appleDouble,
      'album/b.png': png,
      'album/._b.png': appleDouble,
      '.hidden.png': png,
      '.DS_Store': Buffer.from('Bud1'),
      '.git/objects/ab/cd.png': png,
      '.git/HEAD': Buffer.from('ref: refs/heads/main'),
      '.sightline/projects/x.sightline': Buffer.from('SQLite format 3\0'),
      '.sightline/cache/thumbs/ab/t.webp': png,
      '.Trashes/501/old.png': png,
    };
    for (const [rel, bytes] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(folder, rel)), { recursive: true });
      writeFileSync(path.join(folder, rel), bytes);
    }
    // A hidden link into a real folder is not followed either.
    symlinkSync(path.join(folder, 'album'), path.join(folder, '.link'));
    const result = await importFolder(store.db, folder);
    expect(result).toMatchObject({ imported: 2, skipped: 0, errors: [], missing: 0 });
    expect(rows().map((r) => r.rel_path)).toEqual(['album/b.png', 'photo.png']);
    // A rescan sees them no more than the import did.
    expect(await rescanProject(store.db)).toMatchObject({ imported: 0, unchanged: 2, skipped: 0, errors: [] });
  });

  it('follows symlinks and ends on a symlink loop', async () => {
    const outside = path.join(project.dir, 'outside');
    mkdirSync(outside);
    cpSync(path.join(FIXTURES, 'shapes.gif'), path.join(outside, 'linked.gif'));
    symlinkSync(photos, path.join(photos, 'nested', 'loop')); // back to the root
    symlinkSync('..', path.join(photos, 'nested', 'deeper', 'up')); // to its parent
    symlinkSync(outside, path.join(photos, 'elsewhere'));
    // A link out of the folder is followed only when asked (test/security.test.ts checks the default).
    const result = await importFolder(store.db, photos, { followLinks: true });
    expect(result.imported).toBe(GOOD.length + 1);
    expect(row('elsewhere/linked.gif')).toMatchObject({ format: 'gif' });
  });

  it('maps a folder inside an imported folder to that root, and absorbs roots inside a new root', async () => {
    await importFolder(store.db, path.join(photos, 'nested'));
    const hopperId = row('hopper.webp')!.id;
    const whole = await importFolder(store.db, photos);
    expect(whole).toMatchObject({ imported: GOOD.length - 2, unchanged: 2 });
    expect(roots()).toEqual([{ id: expect.any(Number), path: photos }]);
    expect(row('nested/hopper.webp')!.id).toBe(hopperId);

    const inner = await importFolder(store.db, path.join(photos, 'nested', 'deeper'));
    expect(inner).toMatchObject({ imported: 0, unchanged: 1, skipped: 0, errors: [] });
    expect(roots()).toHaveLength(1);
  });

  it('cancels promptly, keeps what finished, and a later import completes the rest', async () => {
    const controller = new AbortController();
    const seen: { done: number; total: number | null }[] = [];
    const first = await importFolder(store.db, photos, {
      concurrency: 1,
      signal: controller.signal,
      onProgress: (p) => {
        seen.push(p);
        if (p.done >= 1) controller.abort();
      },
    });
    expect(first.cancelled).toBe(true);
    expect(seen[0]).toMatchObject({ done: 0, total: null });
    const processed = first.imported + first.errors.length;
    expect(processed).toBe(1);
    expect(rows()).toHaveLength(first.imported);

    const second = await importFolder(store.db, photos);
    expect(second.cancelled).toBe(false);
    expect(second.imported + first.imported).toBe(GOOD.length);
    expect(second.unchanged).toBe(first.imported);
    expect(rows().every((r) => r.missing === 0)).toBe(true);
  });
});

describe('rescan', () => {
  beforeEach(async () => {
    await importFolder(store.db, photos);
  });

  it('reads nothing that is unchanged (same size and mtime)', async () => {
    const file = path.join(photos, 'chelsea.jpg');
    // Whole seconds: a Date with milliseconds can come back from utimes 1 ns short of the millisecond.
    const mtime = 1_700_000_000;
    utimesSync(file, mtime, mtime);
    expect(await rescanProject(store.db)).toMatchObject({ updated: 1 });
    const hash = row('chelsea.jpg')!.content_hash;
    const bytes = readFileSync(file);
    bytes[bytes.length >> 1] ^= 0xff; // new content, same size
    writeFileSync(file, bytes);
    utimesSync(file, mtime, mtime);

    const again = await importFolder(store.db, photos);
    expect(again).toMatchObject({ imported: 0, unchanged: GOOD.length, updated: 0, relinked: 0, missing: 0 });
    const rescan = await rescanProject(store.db);
    expect(rescan).toMatchObject({ imported: 0, unchanged: GOOD.length, updated: 0 });
    expect(row('chelsea.jpg')!.content_hash).toBe(hash);
    expect(sha256(file)).not.toBe(hash);
  });

  it('updates a modified file in place', async () => {
    const file = path.join(photos, 'coffee.jpg');
    const before = row('coffee.jpg')!;
    await sharp(path.join(FIXTURES, 'astronaut.png')).resize(50, 40).jpeg().toFile(file);
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const result = await rescanProject(store.db);
    expect(result).toMatchObject({ updated: 1, unchanged: GOOD.length - 1, imported: 0 });
    expect(row('coffee.jpg')).toMatchObject({ id: before.id, width: 50, height: 40, content_hash: sha256(file) });
  });

  it('marks a deleted file missing, keeps its annotations, and clears the flag when it comes back', async () => {
    const image = row('chelsea.jpg')!;
    const now = Date.now();
    store.db
      .prepare(`INSERT INTO annotations (image_id, kind, geometry, created_at, updated_at) VALUES (?, 'tag', '{"type":"tag"}', ?, ?)`)
      .run(image.id, now, now);
    const file = path.join(photos, 'chelsea.jpg');
    const kept = path.join(project.dir, 'chelsea.jpg');
    renameSync(file, kept);

    const result = await rescanProject(store.db);
    expect(result).toMatchObject({ missing: 1, unchanged: GOOD.length - 1 });
    expect(row('chelsea.jpg')).toMatchObject({ id: image.id, missing: 1 });
    expect(store.db.prepare('SELECT count(*) AS n FROM annotations WHERE image_id = ?').get(image.id)).toEqual({ n: 1 });

    renameSync(kept, file);
    const back = await rescanProject(store.db);
    expect(back).toMatchObject({ missing: 0, relinked: 1 });
    expect(row('chelsea.jpg')).toMatchObject({ id: image.id, missing: 0 });
  });

  it('relinks a moved file to its row by content hash, so its labels follow', async () => {
    const image = row('grace_hopper.jpg')!;
    renameSync(path.join(photos, 'grace_hopper.jpg'), path.join(photos, 'nested', 'deeper', 'admiral.jpg'));
    const result = await rescanProject(store.db);
    expect(result).toMatchObject({ relinked: 1, imported: 0, missing: 0 });
    expect(row('nested/deeper/admiral.jpg')).toMatchObject({ id: image.id, missing: 0, content_hash: image.content_hash });
    expect(row('grace_hopper.jpg')).toBeUndefined();
  });

  it('reports a root folder that is gone and leaves its rows alone', async () => {
    const moved = path.join(project.dir, 'moved photos');
    renameSync(photos, moved);
    const result = await rescanProject(store.db);
    expect(result.errors).toEqual([{ path: photos, reason: 'folder not found: it may have moved; relink it' }]);
    expect(result).toMatchObject({ missing: 0, imported: 0, unchanged: 0 });
    expect(rows()).toHaveLength(GOOD.length);
    expect(rows().every((r) => r.missing === 0)).toBe(true);
  });

  it('relinks a moved root folder and refuses a folder without its files', async () => {
    const moved = path.join(project.dir, 'moved photos');
    renameSync(photos, moved);
    const rootId = roots()[0].id;

    const empty = path.join(project.dir, 'empty');
    mkdirSync(empty);
    const err = await relinkRoot(store.db, rootId, empty).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'conflict', message: expect.stringContaining(`"${photos}"`) });
    expect((err as Error).message).toContain(`"${empty}"`);
    expect(roots()[0].path).toBe(photos);

    unlinkSync(path.join(moved, 'shapes.gif'));
    expect(await relinkRoot(store.db, rootId, moved)).toEqual({ matched: GOOD.length - 1, total: GOOD.length });
    expect(roots()[0].path).toBe(moved);
    const result = await rescanProject(store.db);
    expect(result).toMatchObject({ unchanged: GOOD.length - 1, missing: 1 });
    expect(result.errors).toHaveLength(3);
    expect(row('shapes.gif')!.missing).toBe(1);
  });
});

describe('a scan lists rows as it goes, in their final order (issue 12)', () => {
  /** `folders` × `per` copies of one small PNG, under names whose walk order is not path order. */
  function tree(folders: string[], per: number): string[] {
    const dir = path.join(project.dir, 'tree');
    const png = readFileSync(path.join(FIXTURES, 'astronaut.png'));
    const rels: string[] = [];
    for (const f of folders) {
      mkdirSync(path.join(dir, f), { recursive: true });
      for (let i = 0; i < per; i++) {
        const rel = `${f}/IMG_${String(i).padStart(4, '0')}.png`;
        writeFileSync(path.join(dir, rel), png);
        rels.push(rel);
      }
    }
    // Loose files at the top, and a name that sorts differently by UTF-16 and by UTF-8 bytes ("\uff21" vs "😀").
    for (const rel of ['z.png', 'a.png', '\uff21.png', '😀.png']) {
      writeFileSync(path.join(dir, rel), png);
      rels.push(rel);
    }
    return rels;
  }
  const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

  it('inserts rows in path order (SQLite’s order of rel_path), so ids follow the listing', async () => {
    const rels = tree(['roll-10', 'roll-02', 'roll-33/sub', 'roll-01'], 3);
    const result = await importFolder(store.db, path.join(project.dir, 'tree'), { concurrency: 1 });
    expect(result.imported).toBe(rels.length);
    const byId = (store.db.prepare('SELECT rel_path FROM images ORDER BY id').pluck().all() as string[]);
    const listed = store.db.prepare('SELECT rel_path FROM images ORDER BY root_id, rel_path').pluck().all() as string[];
    expect(listed).toEqual([...rels].sort(byBytes));
    expect(byId).toEqual(listed);
  });

  it('commits rows in batches while it reads, telling the caller each time', async () => {
    const rels = tree(['a', 'b', 'c'], 8);
    const seen: { rows: number; inDb: number }[] = [];
    // 20 ms a file, one at a time: ~28 files take ~0.6 s, so batches commit by age (200 ms), not only at the end.
    const result = await importFolder(store.db, path.join(project.dir, 'tree'), {
      concurrency: 1,
      delayMs: 20,
      onRows: (n) => seen.push({ rows: n, inDb: store.db.prepare('SELECT count(*) FROM images').pluck().get() as number }),
    });
    expect(result.imported).toBe(rels.length);
    expect(seen.length).toBeGreaterThan(1);
    // Each call comes after its rows are committed, and the batches add up to every row.
    let sum = 0;
    for (const s of seen) {
      sum += s.rows;
      expect(s.inDb).toBe(sum);
    }
    expect(sum).toBe(rels.length);
    // Rows listed at the first call are the first ones in path order (a prefix of the final list, read one at a time).
    const first = store.db.prepare('SELECT rel_path FROM images ORDER BY id LIMIT ?').pluck().all(seen[0].rows) as string[];
    expect(first).toEqual([...rels].sort(byBytes).slice(0, seen[0].rows));
  });

  it('a rescan that finds nothing new commits nothing and calls no one', async () => {
    tree(['a'], 2);
    await importFolder(store.db, path.join(project.dir, 'tree'));
    let calls = 0;
    const r = await rescanProject(store.db, { onRows: () => calls++ });
    expect(r.unchanged).toBe(6);
    expect(calls).toBe(0);
  });
});
