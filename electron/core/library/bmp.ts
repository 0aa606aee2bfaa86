/**
 * Windows BMP reading. sharp's prebuilt libvips has no BMP loader, so headers are parsed here and pixels are
 * decoded to raw RGB(A) that sharp accepts as `{ raw: { width, height, channels } }`.
 * Supported: BITMAPINFOHEADER and later (V2–V5), uncompressed 1/4/8-bit palettised, 24-bit and 32-bit, and
 * 32-bit BI_BITFIELDS. Anything else is refused with a message saying which variant it is.
 */

export interface BmpHeader {
  width: number;
  /** always positive; `topDown` tells the row order */
  height: number;
  topDown: boolean;
  bitsPerPixel: number;
  compression: number;
  pixelOffset: number;
  headerSize: number;
}

export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
}

const BI_RGB = 0;
const BI_BITFIELDS = 3;
const COMPRESSION_NAMES: Record<number, string> = { 1: 'RLE8', 2: 'RLE4', 4: 'JPEG', 5: 'PNG', 6: 'alpha bit fields' };
/** 16k × 16k: more would need gigabytes of raw RGBA, and no legitimate BMP dataset image is that large */
const MAX_PIXELS = 16384 * 16384;

export function isBmp(bytes: Buffer): boolean {
  return bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d; // "BM"
}

/** Parse and validate the header; throws an Error whose message names the unsupported or broken part. */
export function parseBmpHeader(bytes: Buffer): BmpHeader {
  if (!isBmp(bytes) || bytes.length < 26) throw new Error('not a BMP file (missing "BM" header)');
  const headerSize = bytes.readUInt32LE(14);
  if (headerSize === 12) throw new Error('OS/2 BMP (BITMAPCOREHEADER) is not supported; convert it to PNG');
  if (headerSize < 40 || bytes.length < 14 + 40) throw new Error('truncated BMP (incomplete header)');
  const width = bytes.readInt32LE(18);
  const rawHeight = bytes.readInt32LE(22);
  const bitsPerPixel = bytes.readUInt16LE(28);
  const compression = bytes.readUInt32LE(30);
  const pixelOffset = bytes.readUInt32LE(10);
  const height = Math.abs(rawHeight);
  if (width <= 0 || height === 0) throw new Error(`invalid BMP size ${width}×${rawHeight}`);
  if (width * height > MAX_PIXELS) throw new Error(`BMP too large (${width}×${height})`);
  const supported =
    (compression === BI_RGB && [1, 4, 8, 24, 32].includes(bitsPerPixel)) ||
    (compression === BI_BITFIELDS && bitsPerPixel === 32);
  if (!supported) {
    const kind = COMPRESSION_NAMES[compression] ?? (compression === BI_RGB || compression === BI_BITFIELDS ? '' : `compression ${compression}`);
    throw new Error(`${kind ? `${kind}-compressed` : `${bitsPerPixel}-bit`} BMP is not supported; convert it to PNG`);
  }
  return { width, height, topDown: rawHeight < 0, bitsPerPixel, compression, pixelOffset, headerSize };
}

function rowStride(h: BmpHeader): number {
  return Math.floor((h.bitsPerPixel * h.width + 31) / 32) * 4;
}

/** Throws when the file is shorter than its header promises (a cut-off download). */
export function checkBmpLength(h: BmpHeader, byteLength: number): void {
  if (h.pixelOffset + rowStride(h) * h.height > byteLength) {
    throw new Error('truncated BMP (pixel data is shorter than the header says)');
  }
}

/** Bit position and width of a channel mask, to scale any mask width to 8 bits. */
function maskShape(mask: number): { shift: number; max: number } {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { shift, max: mask >>> shift };
}

export function decodeBmp(bytes: Buffer): RawImage {
  const h = parseBmpHeader(bytes);
  checkBmpLength(h, bytes.length);
  const { width, height, bitsPerPixel: bpp } = h;
  const stride = rowStride(h);

  let channels: 3 | 4 = 3;
  let masks: { shift: number; max: number }[] | null = null;
  if (h.compression === BI_BITFIELDS) {
    // Masks sit right after a 40-byte header, or inside V2+ headers at the same offsets; alpha only from V3 on.
    const at = (o: number) => (bytes.length >= o + 4 ? bytes.readUInt32LE(o) : 0);
    masks = [at(54), at(58), at(62), h.headerSize >= 56 ? at(66) : 0].map(maskShape);
    if (masks[3].max !== 0) channels = 4;
  }

  let palette: Buffer | null = null;
  if (bpp <= 8) {
    const paletteOffset = 14 + h.headerSize;
    const declared = bytes.readUInt32LE(46);
    const count = Math.min(declared || 1 << bpp, 1 << bpp, Math.floor((h.pixelOffset - paletteOffset) / 4));
    if (count <= 0) throw new Error('truncated BMP (missing colour palette)');
    palette = bytes.subarray(paletteOffset, paletteOffset + count * 4);
  }

  const out = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    const src = h.pixelOffset + (h.topDown ? y : height - 1 - y) * stride;
    let o = y * width * channels;
    for (let x = 0; x < width; x++, o += channels) {
      if (palette) {
        const bit = x * bpp;
        const index = (bytes[src + (bit >> 3)] >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        // An index past the palette is malformed; black is what browsers show for it.
        const p = index * 4 < palette.length ? index * 4 : -1;
        out[o] = p < 0 ? 0 : palette[p + 2];
        out[o + 1] = p < 0 ? 0 : palette[p + 1];
        out[o + 2] = p < 0 ? 0 : palette[p];
      } else if (masks) {
        const px = bytes.readUInt32LE(src + x * 4);
        for (let c = 0; c < channels; c++) {
          const { shift, max } = masks[c];
          out[o + c] = max === 0 ? 0 : Math.round((((px >>> shift) & max) * 255) / max);
        }
      } else {
        const s = src + x * (bpp >> 3); // BGR(X); the fourth byte of BI_RGB 32-bit is reserved, not alpha
        out[o] = bytes[s + 2];
        out[o + 1] = bytes[s + 1];
        out[o + 2] = bytes[s];
      }
    }
  }
  return { data: out, width, height, channels };
}
