/**
 * Image header metadata for import. Only headers are parsed (sharp's `metadata()`, or the BMP parser): a full
 * pixel decode of every file would make importing a 10,000-image folder take minutes instead of seconds.
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { checkBmpLength, isBmp, parseBmpHeader } from './bmp.js';

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.gif', '.tif', '.tiff']);
/** Formats that may be stored, whatever the file's extension says; anything else sharp can read is refused. */
const ACCEPTED_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'bmp']);

export function isImageFileName(name: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase());
}

export interface ImageMeta {
  format: string;
  /** as displayed, after EXIF rotation */
  width: number;
  height: number;
  /** EXIF orientation, 1 when absent */
  orientation: number;
}

/** A file that is not a usable image; `message` is the short reason shown next to the file's path. */
export class UnreadableImageError extends Error {
  override name = 'UnreadableImageError';
}

/** How much of the end of a file is enough to find the end marker when the whole file is not in memory. */
const TAIL_BYTES = 64 * 1024;
const JPEG_EOI = Buffer.from([0xff, 0xd9]);
const PNG_IEND = Buffer.from('IEND', 'latin1');

/**
 * Read an image's format, displayed size and orientation. With `bytes` (the whole file, already read for
 * hashing) nothing more is read; without, the header and tail are read from `absPath` and sharp opens the file.
 * Throws UnreadableImageError for empty, truncated, corrupt or unsupported files.
 */
export async function readImageMeta(absPath: string, bytes?: Buffer): Promise<ImageMeta> {
  let head: Buffer;
  let tail: Buffer;
  let wholeFile: boolean;
  if (bytes) {
    head = tail = bytes;
    wholeFile = true;
  } else {
    ({ head, tail, wholeFile } = await readHeadAndTail(absPath));
  }
  if (head.length === 0) throw new UnreadableImageError('empty file (0 bytes)');

  if (isBmp(head)) {
    try {
      const h = parseBmpHeader(head);
      if (wholeFile) checkBmpLength(h, head.length);
      return { format: 'bmp', width: h.width, height: h.height, orientation: 1 };
    } catch (e) {
      throw new UnreadableImageError((e as Error).message);
    }
  }

  let meta: Metadata;
  try {
    meta = await sharp(bytes ?? absPath).metadata();
  } catch (e) {
    // libvips repeats its warnings over several lines; the first one says it.
    throw new UnreadableImageError(`not a readable image: ${(e as Error).message.split('\n')[0]}`);
  }
  const format = meta.format;
  if (!ACCEPTED_FORMATS.has(format)) throw new UnreadableImageError(`unsupported image format "${format}"`);
  if (!meta.width || !meta.height) throw new UnreadableImageError('not a readable image: no image size in its header');
  if (format === 'jpeg' && !jpegHasEnd(head, tail, wholeFile)) {
    throw new UnreadableImageError('truncated JPEG (no end-of-image marker)');
  }
  if (format === 'png' && tail.lastIndexOf(PNG_IEND) < 0) throw new UnreadableImageError('truncated PNG (no IEND chunk)');

  const orientation = meta.orientation && meta.orientation >= 1 && meta.orientation <= 8 ? meta.orientation : 1;
  const swap = orientation >= 5;
  return { format, width: swap ? meta.height : meta.width, height: swap ? meta.width : meta.height, orientation };
}

/**
 * An end-of-image marker must follow the first start-of-scan. Looking for FFD9 anywhere is not enough: the EXIF
 * thumbnail inside APP1 ends with its own FFD9, so a photo cut in half would still contain one.
 */
function jpegHasEnd(head: Buffer, tail: Buffer, wholeFile: boolean): boolean {
  if (!wholeFile) return tail.lastIndexOf(JPEG_EOI) >= 0; // the tail of a > 64 MiB file is far past any thumbnail
  const scanStart = jpegScanOffset(head);
  return scanStart >= 0 && head.lastIndexOf(JPEG_EOI) > scanStart;
}

/** Offset of the first SOS marker, found by hopping over the length-prefixed segments; -1 if absent. */
function jpegScanOffset(b: Buffer): number {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return -1;
    const marker = b[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0xda) return i;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2; // markers without a length
      continue;
    }
    i += 2 + b.readUInt16BE(i + 2);
  }
  return -1;
}

async function readHeadAndTail(absPath: string): Promise<{ head: Buffer; tail: Buffer; wholeFile: boolean }> {
  const fh = await open(absPath, 'r');
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(Math.min(size, TAIL_BYTES));
    await fh.read(head, 0, head.length, 0);
    if (size <= TAIL_BYTES) return { head, tail: head, wholeFile: true };
    const tail = Buffer.alloc(TAIL_BYTES);
    await fh.read(tail, 0, TAIL_BYTES, size - TAIL_BYTES);
    return { head, tail, wholeFile: false };
  } finally {
    await fh.close();
  }
}
