/**
 * A small PNG codec (ISO/IEC 15948, PNG 2nd edition) for the dataset formats: VOC SegmentationClass /
 * SegmentationObject palette PNGs, semantic class maps and LabelMe's base64 mask crops. Pure: zlib is injected
 * (the core passes Node's deflateSync / inflateSync) so `common/` stays free of Node.
 *
 * Decoding returns samples as they are stored, not as colours: a palette image gives its indices (channels 1)
 * plus the palette, because a class map's meaning is the index, not the colour it is drawn in.
 */
import { FormatError, InflateLimitError, type Zlib } from './types.js';

export interface PngImage {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  /** Row-major, interleaved, 8 bits per sample. */
  data: Uint8Array;
}

export interface DecodedPng extends PngImage {
  /** rgb triples of a palette (colour type 3) image, whose `data` are then indices; null otherwise. */
  palette: Uint8Array | null;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
/** The spec's limit on width and height (2^31 - 1). */
const MAX_SIDE = 0x7fffffff;
/**
 * Refuse images whose unfiltered data would pass 1 GiB before inflating anything: a 30-byte header can claim
 * 2^31 × 2^31 pixels, and a hostile file should get a message, not an out-of-memory crash.
 */
const MAX_RAW_BYTES = 1 << 30;

// ---------------------------------------------------------------- CRC-32 (PNG spec annex D)

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of bytes[from, to), as PNG chunks carry it (over the type and the data). */
export function crc32(bytes: Uint8Array, from = 0, to = bytes.length): number {
  let c = 0xffffffff;
  for (let i = from; i < to; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------- encode

/**
 * 8 bits per sample; channels 1/2/3/4 map to colour types 0 (grey), 4 (grey + alpha), 2 (rgb), 6 (rgba). With
 * `palette` (rgb triples, at most 256) the image is colour type 3 and `data` are indices (channels must be 1).
 */
export function encodePng(
  img: { width: number; height: number; channels: 1 | 2 | 3 | 4; data: Uint8Array; palette?: Uint8Array },
  zlib: Zlib,
): Uint8Array {
  const { width, height, channels, data, palette } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE) {
    throw new Error(`PNG size must be whole numbers from 1 to ${MAX_SIDE}, got ${width}×${height}`);
  }
  if (![1, 2, 3, 4].includes(channels)) throw new Error(`PNG channels must be 1, 2, 3 or 4, got ${channels}`);
  if (data.length !== width * height * channels) {
    throw new Error(`PNG data has ${data.length} bytes, expected ${width}×${height}×${channels} = ${width * height * channels}`);
  }
  let colourType: number;
  if (palette) {
    if (channels !== 1) throw new Error(`a palette PNG holds one index per pixel (channels 1), got channels ${channels}`);
    if (palette.length === 0 || palette.length % 3 || palette.length > 768) {
      throw new Error(`a PNG palette is 1 to 256 rgb triples, got ${palette.length} bytes`);
    }
    // The spec makes an index past the palette an error, and decoders (libpng) draw it black or refuse.
    const entries = palette.length / 3;
    for (let i = 0; i < data.length; i++) {
      if (data[i] >= entries) throw new Error(`pixel ${i} has index ${data[i]}, past the palette's ${entries} entries`);
    }
    colourType = 3;
  } else {
    colourType = channels === 1 ? 0 : channels === 2 ? 4 : channels === 3 ? 2 : 6;
  }

  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = colourType;
  // compression 0, filter method 0, interlace 0: the zero bytes already there.

  const stride = width * channels;
  const raw = new Uint8Array((stride + 1) * height);
  const candidate = palette ? null : [0, 1, 2, 3, 4].map(() => new Uint8Array(stride));
  for (let y = 0; y < height; y++) {
    const row = data.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? data.subarray((y - 1) * stride, y * stride) : null;
    const at = y * (stride + 1);
    if (!candidate) {
      // Filters are for continuous tone; indices are labels, and the spec recommends filter None for palettes.
      raw[at] = 0;
      raw.set(row, at + 1);
      continue;
    }
    // The spec's suggested heuristic (and libpng's): the filter whose output has the least sum of absolute
    // values, reading the bytes as signed.
    let best = 0, bestSum = Infinity;
    for (let f = 0; f < 5; f++) {
      const out = candidate[f];
      filterRow(f, row, prev, channels, out);
      let s = 0;
      for (let i = 0; i < stride; i++) s += out[i] < 128 ? out[i] : 256 - out[i];
      if (s < bestSum) {
        bestSum = s;
        best = f;
      }
    }
    raw[at] = best;
    raw.set(candidate[best], at + 1);
  }

  const chunks: Uint8Array[] = [Uint8Array.from(SIGNATURE), chunk('IHDR', ihdr)];
  if (palette) chunks.push(chunk('PLTE', palette));
  chunks.push(chunk('IDAT', zlib.deflate(raw)), chunk('IEND', new Uint8Array(0)));
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  dv.setUint32(8 + body.length, crc32(out, 4, 8 + body.length));
  return out;
}

function filterRow(f: number, row: Uint8Array, prev: Uint8Array | null, bpp: number, out: Uint8Array): void {
  const n = row.length;
  for (let i = 0; i < n; i++) {
    const x = row[i];
    const a = i >= bpp ? row[i - bpp] : 0;
    const b = prev ? prev[i] : 0;
    const c = prev && i >= bpp ? prev[i - bpp] : 0;
    let p: number;
    switch (f) {
      case 0: p = 0; break;
      case 1: p = a; break;
      case 2: p = b; break;
      case 3: p = (a + b) >> 1; break;
      default: p = paeth(a, b, c);
    }
    out[i] = (x - p) & 0xff;
  }
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

// ---------------------------------------------------------------- decode

/** Allowed bit depths per colour type (spec table 11.1). */
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
const CHANNELS: Record<number, 1 | 2 | 3 | 4> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Adam7 passes: x0, y0, dx, dy. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/**
 * Colour types 0, 2, 3, 4, 6; bit depths 1/2/4/8; Adam7 interlaced or not; CRCs, chunk order and the size of the
 * image data are checked. Grey samples of 1, 2 or 4 bits are scaled to 0…255 (the value they stand for, as
 * libpng and sharp give them); palette indices are returned as they are. 16-bit images are refused: reducing
 * them would silently change a label map's values. Transparency (tRNS) is not applied: it is ignored.
 */
export function decodePng(bytes: Uint8Array, zlib: Zlib, file = 'PNG'): DecodedPng {
  const fail = (problem: string): never => {
    throw new FormatError(file, null, problem);
  };
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) fail('not a PNG file (the 8-byte PNG signature is missing)');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  let width = 0, height = 0, depth = 0, colourType = -1, interlace = 0;
  let palette: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  let idatDone = false, sawIend = false;
  let pos = 8;
  let index = 0;
  while (pos < bytes.length) {
    if (pos + 12 > bytes.length) fail(`truncated: chunk ${index} at byte ${pos} needs 12 bytes, ${bytes.length - pos} left`);
    const length = dv.getUint32(pos);
    const type = String.fromCharCode(bytes[pos + 4], bytes[pos + 5], bytes[pos + 6], bytes[pos + 7]);
    if (!/^[A-Za-z]{4}$/.test(type)) fail(`chunk ${index} at byte ${pos} has an invalid type ${JSON.stringify(type)}`);
    if (length > 0x7fffffff || pos + 12 + length > bytes.length) {
      fail(`truncated: chunk ${type} at byte ${pos} claims ${length} bytes, ${bytes.length - pos - 12} left`);
    }
    const body = bytes.subarray(pos + 8, pos + 8 + length);
    const stored = dv.getUint32(pos + 8 + length);
    const actual = crc32(bytes, pos + 4, pos + 8 + length);
    if (stored !== actual) fail(`chunk ${type} at byte ${pos} is corrupt (CRC ${hex(stored)}, computed ${hex(actual)})`);
    if (index === 0 && type !== 'IHDR') fail(`the first chunk must be IHDR, got ${type}`);
    if (type !== 'IDAT' && idat.length) idatDone = true;
    switch (type) {
      case 'IHDR': {
        if (index !== 0) fail('more than one IHDR chunk');
        if (length !== 13) fail(`IHDR has ${length} bytes, expected 13`);
        width = dv.getUint32(pos + 8);
        height = dv.getUint32(pos + 12);
        depth = body[8];
        colourType = body[9];
        interlace = body[12];
        if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE) fail(`invalid size ${width}×${height}`);
        if (!(colourType in DEPTHS)) fail(`invalid colour type ${colourType}`);
        if (!DEPTHS[colourType].includes(depth)) fail(`bit depth ${depth} is not allowed with colour type ${colourType}`);
        if (depth === 16) fail('16-bit PNGs are not supported (save the image with 8 bits per sample)');
        if (body[10] !== 0) fail(`unknown compression method ${body[10]}`);
        if (body[11] !== 0) fail(`unknown filter method ${body[11]}`);
        if (interlace > 1) fail(`unknown interlace method ${interlace}`);
        // What is decoded: a byte per sample, so 8× the packed rows of a 1-bit image (16 bits are refused above, so
        // the packed rows are never larger).
        if (width * height * CHANNELS[colourType] > MAX_RAW_BYTES) {
          fail(`${width}×${height} is too large to decode here (more than ${MAX_RAW_BYTES} bytes of pixels)`);
        }
        break;
      }
      case 'PLTE':
        if (palette) fail('more than one PLTE chunk');
        if (idat.length) fail('PLTE after the image data');
        if (length === 0 || length % 3 || length > 768) fail(`PLTE has ${length} bytes, expected 1 to 256 rgb triples`);
        if (colourType === 0 || colourType === 4) fail(`a PLTE chunk is not allowed with colour type ${colourType}`);
        if (colourType === 3 && length / 3 > 1 << depth) fail(`PLTE has ${length / 3} entries, more than ${depth}-bit indices reach`);
        palette = body.slice();
        break;
      case 'IDAT':
        if (idatDone) fail('IDAT chunks are not consecutive');
        if (colourType === 3 && !palette) fail('a palette image (colour type 3) has no PLTE before its data');
        idat.push(body);
        break;
      case 'IEND':
        sawIend = true;
        break;
      default:
        // Bit 5 of the first byte set (lower case) marks an ancillary chunk, safe to skip; a critical one we do
        // not know would change how the pixels are read, so refuse it.
        if (!(bytes[pos + 4] & 0x20)) fail(`unknown critical chunk ${type}`);
    }
    pos += 12 + length;
    index++;
    if (sawIend) break; // bytes after IEND are not part of the PNG (libpng ignores them too)
  }
  if (!sawIend) fail('truncated: no IEND chunk');
  if (!idat.length) fail('no image data (IDAT)');

  let total = 0;
  for (const c of idat) total += c.length;
  const compressed = new Uint8Array(total);
  let o = 0;
  for (const c of idat) {
    compressed.set(c, o);
    o += c.length;
  }
  const channels = CHANNELS[colourType];
  const bitsPerPixel = depth * channels;
  const passes = interlace ? ADAM7 : [[0, 0, 1, 1]];
  let expected = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((width - x0) / dx), ph = Math.ceil((height - y0) / dy);
    if (pw > 0 && ph > 0) expected += (rowBytes(pw, bitsPerPixel) + 1) * ph;
  }
  const sizeNote = `for ${width}×${height} ${describe(colourType, depth)}${interlace ? ' (Adam7)' : ''}`;
  let raw: Uint8Array;
  try {
    // One byte more than expected at most: enough to tell "too long", never a zip bomb's gigabytes.
    raw = zlib.inflate(compressed, expected + 1);
  } catch (e) {
    if (e instanceof InflateLimitError) return fail(`image data inflate to more than ${expected + 1} bytes, expected ${expected} ${sizeNote}`);
    return fail(`image data do not inflate: ${(e as Error).message}`);
  }
  if (raw.length !== expected) fail(`image data inflate to ${raw.length} bytes, expected ${expected} ${sizeNote}`);
  const data = new Uint8Array(width * height * channels);

  const bpp = Math.max(1, bitsPerPixel >> 3); // filter distance: bytes per complete pixel, at least 1
  const scale = colourType === 0 ? 255 / ((1 << depth) - 1) : 1;
  let at = 0;
  for (let p = 0; p < passes.length; p++) {
    const [x0, y0, dx, dy] = passes[p];
    const pw = Math.ceil((width - x0) / dx), ph = Math.ceil((height - y0) / dy);
    if (pw <= 0 || ph <= 0) continue; // an empty pass has no rows, not even filter bytes
    const stride = rowBytes(pw, bitsPerPixel);
    let prev: Uint8Array | null = null;
    for (let r = 0; r < ph; r++) {
      const f = raw[at];
      if (f > 4) fail(`row ${r}${interlace ? ` of Adam7 pass ${p + 1}` : ''} has unknown filter type ${f}`);
      const row = raw.subarray(at + 1, at + 1 + stride);
      unfilterRow(f, row, prev, bpp);
      const y = y0 + r * dy;
      if (depth === 8 && dx === 1) {
        data.set(row, y * stride); // a whole row, as stored (not interlaced)
      } else if (depth === 8) {
        for (let c = 0; c < pw; c++) {
          const dst = (y * width + x0 + c * dx) * channels;
          for (let k = 0; k < channels; k++) data[dst + k] = row[c * channels + k];
        }
      } else {
        // Only grey and palette images have depths below 8, so one sample per pixel, packed high bits first.
        const mask = (1 << depth) - 1;
        for (let c = 0; c < pw; c++) {
          const bit = c * depth;
          const v = (row[bit >> 3] >> (8 - depth - (bit & 7))) & mask;
          data[y * width + x0 + c * dx] = scale === 1 ? v : Math.round(v * scale);
        }
      }
      prev = row;
      at += stride + 1;
    }
  }
  return { width, height, channels, data, palette: colourType === 3 ? palette : null };
}

function rowBytes(width: number, bitsPerPixel: number): number {
  return Math.ceil((width * bitsPerPixel) / 8);
}

/** Undo a row's filter in place; `prev` is the previous row, already unfiltered (null on a pass's first row). */
function unfilterRow(f: number, row: Uint8Array, prev: Uint8Array | null, bpp: number): void {
  const n = row.length;
  switch (f) {
    case 0:
      return;
    case 1:
      for (let i = bpp; i < n; i++) row[i] = (row[i] + row[i - bpp]) & 0xff;
      return;
    case 2:
      if (prev) for (let i = 0; i < n; i++) row[i] = (row[i] + prev[i]) & 0xff;
      return;
    case 3:
      for (let i = 0; i < n; i++) {
        const a = i >= bpp ? row[i - bpp] : 0;
        const b = prev ? prev[i] : 0;
        row[i] = (row[i] + ((a + b) >> 1)) & 0xff;
      }
      return;
    default:
      for (let i = 0; i < n; i++) {
        const a = i >= bpp ? row[i - bpp] : 0;
        const b = prev ? prev[i] : 0;
        const c = prev && i >= bpp ? prev[i - bpp] : 0;
        row[i] = (row[i] + paeth(a, b, c)) & 0xff;
      }
  }
}

function describe(colourType: number, depth: number): string {
  const name = { 0: 'grey', 2: 'rgb', 3: 'palette', 4: 'grey+alpha', 6: 'rgba' }[colourType];
  return `${depth}-bit ${name}`;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
