/**
 * Image bytes for the renderer, by id only: an id resolves to a root's folder + the row's relative path, never to
 * a path the renderer chose. Originals that browsers show as they are get served as files; everything else (TIFF,
 * EXIF-rotated photos) is transcoded once, and thumbnails are made on first request. Derived files are cached by
 * content hash, so a renamed or moved image keeps its cache and two projects share one.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import sharp, { type Sharp } from 'sharp';
import { ApiError } from '../../../common/api/contract.js';
import type { ImageBody, ImageVariant } from '../host.js';
import { decodeBmp } from './bmp.js';

export interface StoredImage {
  id: number;
  rootId: number;
  rootPath: string;
  relPath: string;
  format: string;
  orientation: number;
  byteSize: number;
  mtimeMs: number;
  contentHash: string;
}

const THUMB_SIZE = 256;
/** Formats every browser engine Electron and browser mode use can show, as long as no EXIF rotation applies. */
const BROWSER_MIME: Record<string, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  bmp: 'image/bmp',
};
/** Thumbnails decode whole images: more than two at once starves the scan and the UI on a 2-core machine. */
const GENERATE_CONCURRENCY = 2;

export class ImageFiles {
  private readonly select: BetterSqlite3.Statement<[number], StoredImage & { missing: number }>;
  /** Cache file → its generation in progress: concurrent requests for one image share one decode. */
  private readonly pending = new Map<string, Promise<string>>();
  private readonly limit = limiter(GENERATE_CONCURRENCY);

  constructor(
    db: BetterSqlite3.Database,
    private readonly cacheDir: string,
  ) {
    this.select = db.prepare(
      `SELECT i.id, i.root_id AS rootId, r.path AS rootPath, i.rel_path AS relPath, i.format, i.orientation,
              i.byte_size AS byteSize, i.mtime_ms AS mtimeMs, i.content_hash AS contentHash, i.missing
       FROM images i JOIN image_roots r ON r.id = i.root_id WHERE i.id = ?`,
    );
  }

  resolvePath(id: number): { absPath: string; row: StoredImage } {
    const found = this.select.get(id);
    if (!found) throw new ApiError('not_found', `Image ${id} is not in this project. Refresh the library.`);
    const { missing, ...row } = found;
    if (missing) {
      throw new ApiError(
        'not_found',
        `Image ${id} (${row.relPath}) was not found in "${row.rootPath}" at the last scan. Rescan the project or relink its folder.`,
      );
    }
    // Checked on the lexical path, before any symlink is followed: a link inside the root to a file elsewhere
    // was put there by the folder's owner and imported, a "../" in a row was not.
    const absPath = path.resolve(row.rootPath, ...row.relPath.split('/'));
    const rel = path.relative(row.rootPath, absPath);
    if (row.relPath.includes('\0') || path.isAbsolute(row.relPath) || rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
      throw new ApiError('not_found', `Image ${id} ("${row.relPath}") points outside its folder "${row.rootPath}"; it is not served.`);
    }
    return { absPath, row };
  }

  async imageBody(id: number, variant: ImageVariant): Promise<ImageBody> {
    const { absPath, row } = this.resolvePath(id);
    const hash = row.contentHash;
    if (variant === 'thumb') {
      const file = path.join(this.cacheDir, 'thumbs', hash.slice(0, 2), `${hash}.webp`);
      await this.derived(row, absPath, file, (img) =>
        img.resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 80 }),
      );
      return { mime: 'image/webp', etag: `${hash}-thumb`, file };
    }
    const mime = BROWSER_MIME[row.format];
    if (mime && row.orientation === 1) {
      const st = await stat(absPath).catch((e) => {
        throw fileError(row, absPath, e);
      });
      if (st.size !== row.byteSize || Math.floor(st.mtimeMs) !== row.mtimeMs) throw changedError(row, absPath);
      return { mime, etag: `${hash}-image`, file: absPath };
    }
    // JPEG stays JPEG (a lossless copy of a photo would be 5–10× larger); TIFF and the rest become PNG.
    const jpeg = row.format === 'jpeg';
    const file = path.join(this.cacheDir, 'display', `${hash}.${jpeg ? 'jpg' : 'png'}`);
    await this.derived(row, absPath, file, (img) => (jpeg ? img.jpeg({ quality: 92 }) : img.png()));
    return { mime: jpeg ? 'image/jpeg' : 'image/png', etag: `${hash}-image`, file };
  }

  private async derived(row: StoredImage, absPath: string, target: string, encode: (img: Sharp) => Sharp): Promise<string> {
    if (await exists(target)) return target;
    let job = this.pending.get(target);
    if (!job) {
      job = this.limit(async () => {
        if (await exists(target)) return target; // made by a request that finished while this one queued
        const bytes = await readFile(absPath).catch((e) => {
          throw fileError(row, absPath, e);
        });
        // A file edited after the scan must not be cached under its old hash.
        if (createHash('sha256').update(bytes).digest('hex') !== row.contentHash) throw changedError(row, absPath);
        let output: Buffer;
        try {
          output = await encode(openImage(row.format, bytes).autoOrient()).toBuffer();
        } catch (e) {
          throw new ApiError(
            'invalid_file',
            `Image ${row.id} (${absPath}) could not be decoded: ${(e as Error).message.split('\n')[0]}. Open it in another program to check it, or remove it from the folder.`,
          );
        }
        await writeAtomically(target, output);
        return target;
      }).finally(() => this.pending.delete(target));
      this.pending.set(target, job);
    }
    return job;
  }
}

function openImage(format: string, bytes: Buffer): Sharp {
  if (format !== 'bmp') return sharp(bytes, { failOn: 'error' });
  const { data, width, height, channels } = decodeBmp(bytes);
  return sharp(data, { raw: { width, height, channels } });
}

function fileError(row: StoredImage, absPath: string, e: unknown): ApiError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new ApiError('not_found', `The file of image ${row.id} is gone: ${absPath}. Rescan the project or relink its folder.`);
  }
  return new ApiError('io', `The file of image ${row.id} could not be read: ${absPath} (${code ?? (e as Error).message}). Check its permissions.`);
}

function changedError(row: StoredImage, absPath: string): ApiError {
  return new ApiError('conflict', `Image ${row.id} (${absPath}) changed on disk since the last scan. Rescan the project to load the new version.`);
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Readers never see half a file: another process or a crash mid-write leaves only a stray temp file. */
async function writeAtomically(file: string, data: Buffer): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${randomUUID()}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new ApiError('io', `Cannot write the image cache file ${file}: ${(e as Error).message}. Check free disk space and permissions.`);
  }
}

function limiter(max: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    while (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}
