/**
 * Image bytes for the renderer, by id only: an id resolves to a root's folder + the row's relative path, never to
 * a path the renderer chose. Originals that browsers show as they are get served as files; everything else (TIFF,
 * EXIF-rotated photos) is transcoded once, and thumbnails are made on first request. Derived files are cached by
 * content hash, so a renamed or moved image keeps its cache and two projects share one. An image an import has listed
 * but not read yet (issue 12: no hash yet) is read first, header and hash, ahead of the import's own reading: what is
 * on screen is indexed first, and every cache file is still named by a hash. The grid's URL for such an image carries
 * its size and mtime until its hash is known (renderer/features/status.ts), then the hash: the same cache file.
 *
 * The folder may be changed behind our back (issue 11: a file swapped for a symlink to /etc/passwd padded to the
 * same size and mtime was served; a FIFO hung thumbnails; /dev/zero grew the server to 8 GB). So bytes come only
 * from a checked handle: the real path must stay inside the project's folders (unless the folder was imported with
 * "follow links"), the file is opened without following a final symlink and without blocking, and the open handle
 * must be a regular file whose device, inode, size and mtime equal the row's. Originals, thumbnails and display
 * transcodes are all read from that handle, never again by path, and never past the stored size.
 */
import { createHash, randomUUID } from 'node:crypto';
import { realpath, rename, stat, unlink } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import sharp, { type Sharp } from 'sharp';
import { ApiError } from '../../../common/api/contract.js';
import { WorkQueue, type QueueRequest } from '../../../common/workQueue.js';
import type { ImageBody, ImageFile, ImageVariant } from '../host.js';
import { ensurePrivateDir, openPrivateFileForWriting } from '../privateFiles.js';
import { decodeBmp } from './bmp.js';
import { ensureIndexed, holdBackground } from './indexer.js';
import { factsOf, NotRegularFileError, openRegular, readExactly, isInside, ShortReadError } from './safeOpen.js';

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
  /** "device:inode" of the scanned file; null for rows scanned before schema v3. */
  fileId: string | null;
  /** The root was imported with "follow links out of the folder". */
  followLinks: number;
  /** 2 once its header and content hash are read (migration 0006); below, `contentHash` is '' */
  indexed: number;
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
/**
 * One decode per core: a JPEG thumbnail decodes at 1/8 scale (shrink-on-load) on one thread, so more at once only
 * queue. libuv's thread pool (UV_THREADPOOL_SIZE, 4 unless set before Node starts) runs them, so past 4 cores the
 * pool is the limit, not this.
 */
const GENERATE_CONCURRENCY = availableParallelism();
/** A person waiting on the viewer's full image goes before the grid's thumbnails. */
const PRIORITY: Record<ImageVariant, number> = { image: 1, thumb: 0 };
/** The thumbnail fill job's requests: after anything a screen asked for. */
const BACKGROUND_PRIORITY = -1;

/** How a transport asks for an image: `signal` aborts when its request was closed (a thumbnail scrolled away). */
export interface ImageRequest {
  signal?: AbortSignal;
  /**
   * Made for no one waiting (the thumbnail fill job): queued after every request from a screen, and it does not hold
   * an import's phase 2 back.
   */
  background?: boolean;
}

export class ImageFiles {
  private readonly select: BetterSqlite3.Statement<[number], StoredImage & { missing: number }>;
  private readonly roots: BetterSqlite3.Statement<[], string>;
  /**
   * Generation keyed by cache file: concurrent requests for one image share one decode; the newest request goes
   * first (the page asks for what is on screen now) and a request closed while queued is dropped unmade.
   */
  private readonly queue: WorkQueue;

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly cacheDir: string,
    options: { concurrency?: number } = {},
  ) {
    this.queue = new WorkQueue({ concurrency: options.concurrency ?? GENERATE_CONCURRENCY });
    this.select = db.prepare(
      `SELECT i.id, i.root_id AS rootId, r.path AS rootPath, i.rel_path AS relPath, i.format, i.orientation,
              i.byte_size AS byteSize, i.mtime_ms AS mtimeMs, i.content_hash AS contentHash, i.missing,
              i.file_id AS fileId, r.follow_links AS followLinks, i.indexed
       FROM images i JOIN image_roots r ON r.id = i.root_id WHERE i.id = ?`,
    );
    this.roots = db.prepare('SELECT path FROM image_roots').pluck() as BetterSqlite3.Statement<[], string>;
  }

  /** Thumbnails and display copies being made now, and waiting to be. */
  get generating(): { running: number; queued: number } {
    return { running: this.queue.running, queued: this.queue.queued };
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

  /**
   * Opens the image's file for reading, checked (see the top of this file): the handle is the very file the scan
   * read, or this throws ApiError (not_found when it is gone, conflict "changed on disk: rescan" otherwise).
   */
  async openChecked(id: number): Promise<{ row: StoredImage; file: ImageFile }> {
    const { absPath, row } = this.resolvePath(id);
    let real: string;
    try {
      real = await realpath(absPath);
    } catch (e) {
      throw fileError(row, absPath, e);
    }
    if (!row.followLinks && !this.roots.all().some((root) => real === root || isInside(real, root))) {
      throw new ApiError(
        'conflict',
        `Image ${row.id} (${absPath}) now leads outside the project's folders, to ${real}; it is not served. Rescan the project.`,
      );
    }
    let opened;
    try {
      opened = await openRegular(real, { noFollow: true });
    } catch (e) {
      if (e instanceof NotRegularFileError) {
        throw new ApiError('conflict', `Image ${row.id} (${absPath}) is now ${e.kind}, not an image file; it is not read. Rescan the project.`);
      }
      if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw changedError(row, absPath);
      throw fileError(row, absPath, e);
    }
    const facts = factsOf(opened.stat);
    if (facts.size !== row.byteSize || facts.mtimeMs !== row.mtimeMs || (row.fileId !== null && facts.fileId !== row.fileId)) {
      await opened.handle.close();
      throw changedError(row, absPath);
    }
    return { row, file: { handle: opened.handle, size: row.byteSize, path: absPath } };
  }

  /** The whole checked file, read from its handle; its hash must still be the row's. */
  private async readChecked(id: number): Promise<{ row: StoredImage; bytes: Buffer }> {
    const { row, file } = await this.openChecked(id);
    let bytes: Buffer;
    try {
      bytes = await readExactly(file.handle, file.size);
    } catch (e) {
      if (e instanceof ShortReadError) throw changedError(row, file.path);
      throw fileError(row, file.path, e);
    } finally {
      await file.handle.close();
    }
    // A file edited after the scan must not be cached under its old hash.
    if (createHash('sha256').update(bytes).digest('hex') !== row.contentHash) throw changedError(row, file.path);
    return { row, bytes };
  }

  async imageBody(id: number, variant: ImageVariant, request: ImageRequest = {}): Promise<ImageBody> {
    // A person is waiting for this: an import's background reads hold back until it is served.
    const release = request.background ? () => undefined : holdBackground(this.db);
    try {
      return await this.body(id, variant, request);
    } finally {
      release();
    }
  }

  private async body(id: number, variant: ImageVariant, request: ImageRequest): Promise<ImageBody> {
    const queued: QueueRequest = { signal: request.signal, priority: request.background ? BACKGROUND_PRIORITY : PRIORITY[variant] };
    let { row } = this.resolvePath(id);
    if (row.indexed < 2) row = await this.indexFirst(row);
    const hash = row.contentHash;
    if (variant === 'thumb') {
      const file = path.join(this.cacheDir, 'thumbs', hash.slice(0, 2), `${hash}.webp`);
      // resize() on a JPEG lets libvips decode at 1/2, 1/4 or 1/8 scale (shrink-on-load); autoOrient() does not
      // prevent it (the same CPU time with and without). Numbers in docs/ARCHITECTURE.md.
      await this.derived(id, file, (img) => img.resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 80 }), queued);
      return { mime: 'image/webp', etag: `${hash}-thumb`, file: await openCacheFile(file) };
    }
    const mime = BROWSER_MIME[row.format];
    if (mime && row.orientation === 1) {
      const { file } = await this.openChecked(id);
      return { mime, etag: `${hash}-image`, file };
    }
    // JPEG stays JPEG (a lossless copy of a photo would be 5–10× larger); TIFF and the rest become PNG.
    const jpeg = row.format === 'jpeg';
    const file = path.join(this.cacheDir, 'display', `${hash}.${jpeg ? 'jpg' : 'png'}`);
    await this.derived(id, file, (img) => (jpeg ? img.jpeg({ quality: 92 }) : img.png()), queued);
    return { mime: jpeg ? 'image/jpeg' : 'image/png', etag: `${hash}-image`, file: await openCacheFile(file) };
  }

  /** Read a listed image's header and hash now (shared with the import's read of it, if that one is under way). */
  private async indexFirst(row: StoredImage): Promise<StoredImage> {
    const [failure] = await ensureIndexed(this.db, [row.id]);
    if (failure) {
      throw new ApiError(
        'invalid_file',
        `Image ${row.id} (${path.join(row.rootPath, row.relPath)}) could not be read: ${failure.reason}. Open it in another program to check it, or rescan the project.`,
      );
    }
    // Re-read: a moved file's placeholder row is gone once its hash matched the row it moved from.
    return this.resolvePath(row.id).row;
  }

  /**
   * Wait for every thumbnail and display copy being made. Closing a project must not leave sharp working: a
   * pipeline that finishes after the process began to exit calls back into a dead environment, and sharp aborts the
   * process ("terminate called after throwing an instance of 'Napi::Error'", seen when a test closed the core while
   * the grid's thumbnails were still being made).
   */
  async settle(): Promise<void> {
    await this.queue.idle();
  }

  private async derived(id: number, target: string, encode: (img: Sharp) => Sharp, request: QueueRequest): Promise<string> {
    if (await exists(target)) return target;
    return this.queue.run(
      target,
      async () => {
        if (await exists(target)) return target; // made by a request that finished while this one queued
        const { row, bytes } = await this.readChecked(id);
        let output: Buffer;
        try {
          output = await encode(openImage(row.format, bytes).autoOrient()).toBuffer();
        } catch (e) {
          throw new ApiError(
            'invalid_file',
            `Image ${row.id} (${path.join(row.rootPath, row.relPath)}) could not be decoded: ${(e as Error).message.split('\n')[0]}. Open it in another program to check it, or remove it from the folder.`,
          );
        }
        await writeAtomically(target, output, this.cacheDir);
        return target;
      },
      request,
    );
  }
}

/** A cache file of ours (SIGHTLINE_HOME/cache is 0700), opened for sending. */
async function openCacheFile(file: string): Promise<ImageFile> {
  const { handle, stat: st } = await openRegular(file, { noFollow: true }).catch((e: unknown) => {
    throw new ApiError('io', `Cannot read the image cache file ${file}: ${(e as Error).message}. Check free disk space and permissions.`);
  });
  return { handle, size: Number(st.size), path: file };
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
async function writeAtomically(file: string, data: Buffer, cacheDir: string): Promise<void> {
  const tmp = `${file}.${randomUUID()}.tmp`;
  try {
    // Every level from the cache folder down, so one left group-readable by an older version is tightened too.
    for (let dir = path.dirname(file), levels: string[] = []; ; dir = path.dirname(dir)) {
      levels.unshift(dir);
      if (dir === cacheDir || dir === path.dirname(dir) || !dir.startsWith(cacheDir)) {
        for (const d of levels) await ensurePrivateDir(d);
        break;
      }
    }
    const handle = await openPrivateFileForWriting(tmp);
    try {
      await handle.writeFile(data);
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new ApiError('io', `Cannot write the image cache file ${file}: ${(e as Error).message}. Check free disk space and permissions.`);
  }
}
