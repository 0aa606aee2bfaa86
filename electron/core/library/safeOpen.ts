/**
 * Opening files from a folder someone else may control. `open()` on a FIFO blocks until a writer comes (a libuv
 * thread gone for good, and with two of them every thumbnail waited), and reading a device such as /dev/zero never
 * ends. So files are opened non-blocking, optionally without following a final symlink, and only a regular file is
 * read, by its handle and never past the size the caller expects.
 */
import { constants as fsc, type BigIntStats, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

// Absent on Windows, which has neither FIFOs that block open() nor symlinks a user can plant without privileges.
const O_NOFOLLOW = fsc.O_NOFOLLOW ?? 0;
const O_NONBLOCK = fsc.O_NONBLOCK ?? 0;

/** What identifies a file's content on disk between a scan and a later read. */
export interface FileFacts {
  size: number;
  /** whole milliseconds, as stored in images.mtime_ms */
  mtimeMs: number;
  /** "device:inode", exact (bigint stat) */
  fileId: string;
}

export function factsOf(st: BigIntStats): FileFacts {
  // mtimeNs / 1e6 rounded down, also before 1970 (bigint division rounds towards zero).
  const ms = st.mtimeNs / 1_000_000n - (st.mtimeNs < 0n && st.mtimeNs % 1_000_000n !== 0n ? 1n : 0n);
  return { size: Number(st.size), mtimeMs: Number(ms), fileId: `${st.dev}:${st.ino}` };
}

/** "a FIFO (named pipe)", "a socket", … for a file that is not a regular file; null for a regular file. */
export function specialKind(st: Stats | BigIntStats): string | null {
  if (st.isFile()) return null;
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isDirectory()) return 'a folder';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/** The file is there but is not a regular file: never read. */
export class NotRegularFileError extends Error {
  override name = 'NotRegularFileError';
  constructor(
    readonly file: string,
    readonly kind: string,
  ) {
    super(`${file} is ${kind}, not a regular file`);
  }
}

/**
 * Opens `file` read-only without blocking (a FIFO answers at once instead of hanging a thread) and, with `noFollow`,
 * refuses a final symlink (ELOOP). The open handle is then checked: anything but a regular file is closed and
 * refused. Errors from open() (ENOENT, EACCES, ELOOP) are thrown as they are.
 */
export async function openRegular(file: string, opts: { noFollow: boolean }): Promise<{ handle: FileHandle; stat: BigIntStats }> {
  const handle = await open(file, fsc.O_RDONLY | O_NONBLOCK | (opts.noFollow ? O_NOFOLLOW : 0));
  try {
    const stat = await handle.stat({ bigint: true });
    const kind = specialKind(stat);
    if (kind) throw new NotRegularFileError(file, kind);
    return { handle, stat };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/** The file ended before `size` bytes: it was cut short after it was checked. */
export class ShortReadError extends Error {
  override name = 'ShortReadError';
}

/** Reads bytes 0 … size-1 from the handle: never more, and an error if the file holds fewer. */
export async function readExactly(handle: FileHandle, size: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  while (at < size) {
    const { bytesRead } = await handle.read(buf, at, size - at, at);
    if (bytesRead === 0) throw new ShortReadError(`the file ended after ${at} of ${size} bytes`);
    at += bytesRead;
  }
  return buf;
}

/** Whether `child` lies strictly inside the folder `parent` (both absolute, already resolved). */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}
