import { refusal } from '../../test/formats-testkit.js';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync, inflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { crc32, decodePng, encodePng } from './png.js';
import { FormatError } from './types.js';
import { testZlib as nodeZlib } from './test-helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const goldenDir = path.join(here, 'testdata', 'png');

// ---------------------------------------------------------------- an independent, hand-driven PNG writer
// Lets a test choose bit depth, colour type, each row's filter, Adam7 and extra chunks, to build the files other
// encoders write (PIL's 1-bit mode "1", packed palettes) and broken ones, without going through encodePng.



const CRC = (() => {
  const t: number[] = [];
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t.push(c >>> 0);
  }
  return t;
})();

function testCrc(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function rawChunk(type: string, body: Uint8Array | number[], crcOverride?: number): Uint8Array {
  const b = Uint8Array.from(body);
  const out = new Uint8Array(12 + b.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, b.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(b, 8);
  dv.setUint32(8 + b.length, crcOverride ?? testCrc(out.subarray(4, 8 + b.length)));
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const SIG = Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]);

function ihdr(width: number, height: number, depth: number, colourType: number, interlace = 0): Uint8Array {
  const b = new Uint8Array(13);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  b[8] = depth;
  b[9] = colourType;
  b[12] = interlace;
  return rawChunk('IHDR', b);
}

/** Pack one row of samples (each < 2^depth) high bits first, as PNG stores them. */
function packRow(samples: ArrayLike<number>, depth: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((samples.length * depth) / 8));
  for (let i = 0; i < samples.length; i++) {
    const bit = i * depth;
    out[bit >> 3] |= samples[i] << (8 - depth - (bit & 7));
  }
  return out;
}

/** Filter packed rows with the given filter per row (cycled), straight from the spec's formulas. */
function filterRows(rows: Uint8Array[], filters: number[], bpp: number): Uint8Array {
  const parts: Uint8Array[] = [];
  rows.forEach((row, r) => {
    const f = filters[r % filters.length];
    const prev = r > 0 ? rows[r - 1] : new Uint8Array(row.length);
    const out = new Uint8Array(row.length + 1);
    out[0] = f;
    for (let i = 0; i < row.length; i++) {
      const a = i >= bpp ? row[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const pred = [0, a, b, Math.floor((a + b) / 2), pa <= pb && pa <= pc ? a : pb <= pc ? b : c][f];
      out[i + 1] = (row[i] - pred + 256) % 256;
    }
    parts.push(out);
  });
  return concat(parts);
}

/** A whole PNG from sample rows (one array of samples per row, channels interleaved). */
function buildPng(opts: {
  width: number;
  height: number;
  depth: number;
  colourType: number;
  channels: number;
  samples: ArrayLike<number>;
  filters?: number[];
  palette?: number[];
  interlace?: boolean;
  extra?: Uint8Array[];
}): Uint8Array {
  const { width, height, depth, colourType, channels, samples } = opts;
  const bpp = Math.max(1, (depth * channels) >> 3);
  const filters = opts.filters ?? [0];
  const rowsOf = (x0: number, y0: number, dx: number, dy: number): Uint8Array[] => {
    const rows: Uint8Array[] = [];
    for (let y = y0; y < height; y += dy) {
      const s: number[] = [];
      for (let x = x0; x < width; x += dx) for (let k = 0; k < channels; k++) s.push(samples[(y * width + x) * channels + k]);
      if (s.length) rows.push(packRow(s, depth));
    }
    return rows;
  };
  let raw: Uint8Array;
  if (opts.interlace) {
    const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];
    raw = concat(passes.map(([x0, y0, dx, dy]) => filterRows(rowsOf(x0, y0, dx, dy), filters, bpp)));
  } else {
    raw = filterRows(rowsOf(0, 0, 1, 1), filters, bpp);
  }
  const parts = [SIG, ihdr(width, height, depth, colourType, opts.interlace ? 1 : 0)];
  if (opts.palette) parts.push(rawChunk('PLTE', opts.palette));
  parts.push(...(opts.extra ?? []));
  parts.push(rawChunk('IDAT', deflateSync(raw)), rawChunk('IEND', []));
  return concat(parts);
}

function inflateRaw(d: Uint8Array): Uint8Array {
  return new Uint8Array(inflateSync(d));
}

/** Deterministic pseudo-random bytes (LCG) so failures reproduce. */
function randomBytes(n: number, seed: number, mod = 256): Uint8Array {
  let s = seed >>> 0;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s >>> 24) % mod;
  }
  return out;
}

/** A smooth gradient with noise: the filter heuristic picks different filters on different rows. */
function photoLike(width: number, height: number, channels: number, seed: number): Uint8Array {
  const noise = randomBytes(width * height * channels, seed, 9);
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let k = 0; k < channels; k++) {
        const i = (y * width + x) * channels + k;
        out[i] = (x * 7 + y * 3 + k * 50 + noise[i]) & 0xff;
      }
  return out;
}

async function sharpRaw(png: Uint8Array): Promise<{ data: Uint8Array; channels: number; width: number; height: number }> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), channels: info.channels, width: info.width, height: info.height };
}

/** Expand our decoded pixels to what sharp reports for the same file (rgb(a), palette looked up). */
function expandLike(img: ReturnType<typeof decodePng>, sharpChannels: number): Uint8Array {
  const n = img.width * img.height;
  const out = new Uint8Array(n * sharpChannels);
  for (let i = 0; i < n; i++) {
    let rgba: number[];
    if (img.palette) {
      const p = img.data[i] * 3;
      rgba = [img.palette[p], img.palette[p + 1], img.palette[p + 2], 255];
    } else if (img.channels === 1) rgba = [img.data[i], img.data[i], img.data[i], 255];
    else if (img.channels === 2) rgba = [img.data[2 * i], img.data[2 * i], img.data[2 * i], img.data[2 * i + 1]];
    else if (img.channels === 3) rgba = [img.data[3 * i], img.data[3 * i + 1], img.data[3 * i + 2], 255];
    else rgba = Array.from(img.data.subarray(4 * i, 4 * i + 4));
    if (sharpChannels === 1) out[i] = rgba[0];
    else if (sharpChannels === 2) out.set([rgba[0], rgba[3]], 2 * i);
    else out.set(rgba.slice(0, sharpChannels), sharpChannels * i);
  }
  return out;
}


/** Pixel art: one character per pixel, '.' = 0, digits = their value. */
function art(rows: string[]): { width: number; height: number; samples: number[] } {
  return { width: rows[0].length, height: rows.length, samples: rows.join('').split('').map((c) => (c === '.' ? 0 : parseInt(c, 16))) };
}

const ONE_BIT = art([
  '1.........1',
  '.1.111...1.',
  '..1.1...1..',
  '.1.111.1.1.',
  '1.......1.1',
]);
const TWO_BIT = art(['0123.3210', '1.2.3.2.1', '333...333', '.1.1.1.1.', '2222.2222']);
const FOUR_BIT = art(['0123456', '6543210', '4.4.4.4', '1111111', '2030405']);
const PALETTE5 = [0, 0, 0, 128, 0, 0, 0, 128, 0, 128, 128, 0, 0, 0, 128, 128, 0, 128, 0, 128, 128];

/** Each golden: the file, how it was made, and the samples it must decode to. */
const GOLDEN: { file: string; make: () => Promise<Uint8Array> | Uint8Array; expect: { width: number; height: number; channels: number; data: number[]; palette?: number[] } }[] = [
  {
    // PIL saves mode "1" as 1-bit grey with filter None rows.
    file: 'grey1-pil-like.png',
    make: () => buildPng({ ...ONE_BIT, depth: 1, colourType: 0, channels: 1 }),
    expect: { width: 11, height: 5, channels: 1, data: ONE_BIT.samples.map((v) => v * 255) },
  },
  {
    file: 'grey2-all-filters.png',
    make: () => buildPng({ ...TWO_BIT, depth: 2, colourType: 0, channels: 1, filters: [0, 1, 2, 3, 4] }),
    expect: { width: 9, height: 5, channels: 1, data: TWO_BIT.samples.map((v) => v * 85) },
  },
  {
    file: 'palette4-all-filters.png',
    make: () => buildPng({ ...FOUR_BIT, depth: 4, colourType: 3, channels: 1, filters: [4, 3, 2, 1, 0], palette: PALETTE5 }),
    expect: { width: 7, height: 5, channels: 1, data: FOUR_BIT.samples, palette: PALETTE5 },
  },
  {
    file: 'palette1-adam7.png',
    make: () => buildPng({ ...ONE_BIT, depth: 1, colourType: 3, channels: 1, filters: [1, 4], interlace: true, palette: [0, 0, 0, 224, 224, 192] }),
    expect: { width: 11, height: 5, channels: 1, data: ONE_BIT.samples, palette: [0, 0, 0, 224, 224, 192] },
  },
  {
    // sharp (libspng) writes 2-bit palettes when there are at most 4 colours.
    file: 'palette-sharp.png',
    make: async () =>
      new Uint8Array(
        await sharp(Buffer.from(TWO_BIT.samples.flatMap((v) => [v * 60, 255 - v * 60, 7])), { raw: { width: 9, height: 5, channels: 3 } })
          .png({ palette: true, colours: 4, dither: 0 })
          .toBuffer(),
      ),
    // Indices depend on sharp's quantiser; the test compares colours for this one.
    expect: { width: 9, height: 5, channels: 3, data: TWO_BIT.samples.flatMap((v) => [v * 60, 255 - v * 60, 7]) },
  },
  {
    file: 'rgba-sharp-adam7.png',
    make: async () =>
      new Uint8Array(await sharp(Buffer.from(photoLike(13, 10, 4, 5)), { raw: { width: 13, height: 10, channels: 4 } }).png({ progressive: true }).toBuffer()),
    expect: { width: 13, height: 10, channels: 4, data: Array.from(photoLike(13, 10, 4, 5)) },
  },
  {
    file: 'grey-alpha-all-filters.png',
    make: () => buildPng({ width: 6, height: 5, depth: 8, colourType: 4, channels: 2, samples: photoLike(6, 5, 2, 9), filters: [0, 1, 2, 3, 4] }),
    expect: { width: 6, height: 5, channels: 2, data: Array.from(photoLike(6, 5, 2, 9)) },
  },
  {
    file: 'rgb-adam7-all-filters.png',
    make: () => buildPng({ width: 10, height: 9, depth: 8, colourType: 2, channels: 3, samples: photoLike(10, 9, 3, 11), filters: [3, 4, 0, 2, 1], interlace: true }),
    expect: { width: 10, height: 9, channels: 3, data: Array.from(photoLike(10, 9, 3, 11)) },
  },
];

describe('PNG golden files', () => {
  // REGEN_GOLDEN=1 rewrites them; the checked-in bytes are what the test reads otherwise.
  if (process.env.REGEN_GOLDEN) {
    it('regenerates', async () => {
      mkdirSync(goldenDir, { recursive: true });
      for (const g of GOLDEN) writeFileSync(path.join(goldenDir, g.file), await g.make());
    });
  }
  for (const g of GOLDEN) {
    it(`${g.file} decodes to its hand-written samples, as sharp reads it too`, async () => {
      const file = path.join(goldenDir, g.file);
      expect(existsSync(file)).toBe(true);
      const bytes = new Uint8Array(readFileSync(file));
      const img = decodePng(bytes, nodeZlib, g.file);
      expect([img.width, img.height]).toEqual([g.expect.width, g.expect.height]);
      if (g.file === 'palette-sharp.png') {
        expect(img.palette).not.toBeNull();
        expect(Array.from(expandLike(img, 3))).toEqual(g.expect.data);
      } else {
        expect(img.channels).toBe(g.expect.channels);
        expect(Array.from(img.data)).toEqual(g.expect.data);
        expect(img.palette ? Array.from(img.palette) : null).toEqual(g.expect.palette ?? null);
      }
      const s = await sharpRaw(bytes);
      expect(Array.from(expandLike(img, s.channels))).toEqual(Array.from(s.data));
    });
  }
});

describe('encodePng', () => {
  for (const channels of [1, 2, 3, 4] as const) {
    it(`writes ${channels}-channel images sharp reads back exactly`, async () => {
      const [w, h] = [37, 23];
      for (const data of [photoLike(w, h, channels, channels), randomBytes(w * h * channels, 40 + channels)]) {
        const png = encodePng({ width: w, height: h, channels, data }, nodeZlib);
        const s = await sharpRaw(png);
        expect([s.width, s.height]).toEqual([w, h]);
        expect(Array.from(s.data)).toEqual(Array.from(expandLike({ width: w, height: h, channels, data, palette: null }, s.channels)));
        const back = decodePng(png, nodeZlib);
        expect(back.channels).toBe(channels);
        expect(back.palette).toBeNull();
        expect(Buffer.from(back.data).equals(Buffer.from(data))).toBe(true);
      }
    });
  }

  it('uses more than one filter on continuous-tone rows (the heuristic is live)', () => {
    const [w, h] = [64, 32];
    const png = encodePng({ width: w, height: h, channels: 3, data: photoLike(w, h, 3, 3) }, nodeZlib);
    const idat = chunksOf(png).find((c) => c.type === 'IDAT')!;
    const raw = inflateRaw(idat.body);
    const filters = new Set<number>();
    for (let y = 0; y < h; y++) filters.add(raw[y * (w * 3 + 1)]);
    expect(filters.size).toBeGreaterThan(1);
  });

  it('writes palette images as colour type 3 with indices; sharp shows the palette colours', async () => {
    const palette = Uint8Array.from([0, 0, 0, 128, 0, 0, 0, 128, 0, 224, 224, 192]);
    const [w, h] = [6, 4];
    const data = Uint8Array.from([0, 1, 1, 2, 2, 3, 0, 1, 1, 2, 2, 3, 3, 3, 0, 0, 1, 1, 2, 0, 3, 0, 1, 0]);
    const png = encodePng({ width: w, height: h, channels: 1, data, palette }, nodeZlib);
    expect(png[25]).toBe(3); // colour type in IHDR
    const back = decodePng(png, nodeZlib);
    expect(Array.from(back.data)).toEqual(Array.from(data));
    expect(Array.from(back.palette!)).toEqual(Array.from(palette));
    const s = await sharpRaw(png);
    expect(Array.from(s.data)).toEqual(Array.from(expandLike(back, s.channels)));
    // Rows of a palette image are left unfiltered.
    const raw = inflateRaw(chunksOf(png).find((c) => c.type === 'IDAT')!.body);
    for (let y = 0; y < h; y++) expect(raw[y * (w + 1)]).toBe(0);
  });

  it('refuses what it cannot write', () => {
    const ok = { width: 2, height: 2, channels: 1 as const, data: new Uint8Array(4) };
    expect(() => encodePng({ ...ok, width: 0, data: new Uint8Array(0) }, nodeZlib)).toThrow(/size/);
    expect(() => encodePng({ ...ok, data: new Uint8Array(3) }, nodeZlib)).toThrow(/3 bytes, expected 2×2×1 = 4/);
    expect(() => encodePng({ ...ok, palette: new Uint8Array(4) }, nodeZlib)).toThrow(/palette/);
    expect(() => encodePng({ ...ok, channels: 3, data: new Uint8Array(12), palette: new Uint8Array(3) }, nodeZlib)).toThrow(/channels 1/);
    expect(() => encodePng({ ...ok, data: Uint8Array.from([0, 0, 2, 0]), palette: new Uint8Array(6) }, nodeZlib)).toThrow(/index 2, past the palette's 2 entries/);
  });

  it('has the standard CRC-32', () => {
    expect(crc32(new TextEncoder().encode('IEND'))).toBe(0xae426082);
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});

function chunksOf(png: Uint8Array): { type: string; body: Uint8Array }[] {
  const out: { type: string; body: Uint8Array }[] = [];
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  for (let p = 8; p < png.length; ) {
    const len = dv.getUint32(p);
    out.push({ type: String.fromCharCode(...png.subarray(p + 4, p + 8)), body: png.subarray(p + 8, p + 8 + len) });
    p += 12 + len;
  }
  return out;
}

describe('decodePng of other encoders', () => {
  it('reads sharp palettes of 1, 2, 4 and 8 bits', async () => {
    for (const colours of [2, 4, 16, 200]) {
      const [w, h] = [17, 9];
      const idx = randomBytes(w * h, colours, Math.min(colours, 200));
      const rgb = new Uint8Array(w * h * 3);
      // Distinct, well-separated colours so the quantiser keeps each one exactly.
      for (let i = 0; i < w * h; i++) rgb.set([(idx[i] * 37) & 0xff, (idx[i] * 101) & 0xff, idx[i]], i * 3);
      const png = new Uint8Array(await sharp(Buffer.from(rgb), { raw: { width: w, height: h, channels: 3 } }).png({ palette: true, colours, dither: 0 }).toBuffer());
      const img = decodePng(png, nodeZlib);
      expect(img.palette).not.toBeNull();
      const s = await sharpRaw(png);
      expect(Array.from(expandLike(img, s.channels))).toEqual(Array.from(s.data));
    }
  });

  it('reads every filter at every depth, interlaced or not, as sharp does', async () => {
    const cases = [
      { depth: 1, colourType: 0, channels: 1 },
      { depth: 2, colourType: 0, channels: 1 },
      { depth: 4, colourType: 0, channels: 1 },
      { depth: 8, colourType: 0, channels: 1 },
      { depth: 1, colourType: 3, channels: 1 },
      { depth: 2, colourType: 3, channels: 1 },
      { depth: 4, colourType: 3, channels: 1 },
      { depth: 8, colourType: 3, channels: 1 },
      { depth: 8, colourType: 2, channels: 3 },
      { depth: 8, colourType: 4, channels: 2 },
      { depth: 8, colourType: 6, channels: 4 },
    ];
    for (const c of cases)
      for (const interlace of [false, true])
        for (const [w, h] of [[1, 1], [3, 2], [13, 11]]) {
          const samples = randomBytes(w * h * c.channels, w * 100 + c.depth * 10 + c.colourType, 1 << c.depth);
          const palette = c.colourType === 3 ? Array.from(randomBytes(3 << c.depth, 7)) : undefined;
          const png = buildPng({ width: w, height: h, ...c, samples, filters: [0, 1, 2, 3, 4], interlace, palette });
          const img = decodePng(png, nodeZlib);
          const scale = c.colourType === 0 ? 255 / ((1 << c.depth) - 1) : 1;
          expect(Array.from(img.data), JSON.stringify({ ...c, interlace, w, h })).toEqual(Array.from(samples, (v) => Math.round(v * scale)));
          const s = await sharpRaw(png);
          expect(Array.from(expandLike(img, s.channels))).toEqual(Array.from(s.data));
        }
  });

  it('skips ancillary chunks and ignores bytes after IEND', () => {
    const base = buildPng({ ...ONE_BIT, depth: 1, colourType: 0, channels: 1, extra: [rawChunk('tEXt', Array.from(new TextEncoder().encode('Comment\0hi'))), rawChunk('pHYs', new Array(9).fill(0))] });
    const img = decodePng(concat([base, Uint8Array.from([1, 2, 3])]), nodeZlib);
    expect(Array.from(img.data)).toEqual(ONE_BIT.samples.map((v) => v * 255));
  });

  it('reads image data split over several IDAT chunks', () => {
    const raw = filterRows([Uint8Array.from([1, 2, 3]), Uint8Array.from([4, 5, 6])], [2], 1);
    const z = deflateSync(raw);
    const png = concat([SIG, ihdr(3, 2, 8, 0), rawChunk('IDAT', z.subarray(0, 5)), rawChunk('IDAT', z.subarray(5)), rawChunk('IEND', [])]);
    expect(Array.from(decodePng(png, nodeZlib).data)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('decodePng refuses bad files, naming the file', () => {
  const good = (): Uint8Array => buildPng({ width: 3, height: 2, depth: 8, colourType: 0, channels: 1, samples: [1, 2, 3, 4, 5, 6] });
  const idat = (raw: number[]): Uint8Array => rawChunk('IDAT', deflateSync(Uint8Array.from(raw)));
  const cases: [string, () => Uint8Array, RegExp][] = [
    ['not a PNG', () => new TextEncoder().encode('GIF89a....'), /not a PNG file/],
    ['empty', () => new Uint8Array(0), /not a PNG file/],
    ['corrupt CRC', () => { const b = good(); b[20] ^= 1; return b; }, /chunk IHDR at byte 8 is corrupt \(CRC/],
    ['truncated chunk', () => good().subarray(0, 50), /truncated: chunk IDAT/],
    ['no IEND', () => good().subarray(0, good().length - 12), /no IEND/],
    ['IHDR not first', () => concat([SIG, rawChunk('tEXt', [65, 0, 66]), ihdr(3, 2, 8, 0), idat([0, 1, 2, 3, 0, 4, 5, 6]), rawChunk('IEND', [])]), /first chunk must be IHDR, got tEXt/],
    ['16-bit', () => concat([SIG, ihdr(1, 1, 16, 0), idat([0, 0, 0]), rawChunk('IEND', [])]), /16-bit PNGs are not supported/],
    ['bad depth', () => concat([SIG, ihdr(1, 1, 4, 2), idat([0, 0]), rawChunk('IEND', [])]), /bit depth 4 is not allowed with colour type 2/],
    ['bad colour type', () => concat([SIG, ihdr(1, 1, 8, 5), idat([0, 0]), rawChunk('IEND', [])]), /invalid colour type 5/],
    ['zero width', () => concat([SIG, ihdr(0, 1, 8, 0), idat([0]), rawChunk('IEND', [])]), /invalid size 0×1/],
    ['too large', () => concat([SIG, ihdr(100000, 100000, 8, 6), idat([0]), rawChunk('IEND', [])]), /too large/],
    ['unknown interlace', () => concat([SIG, ihdr(1, 1, 8, 0, 2), idat([0, 0]), rawChunk('IEND', [])]), /unknown interlace method 2/],
    ['unknown filter', () => concat([SIG, ihdr(3, 2, 8, 0), idat([0, 1, 2, 3, 7, 4, 5, 6]), rawChunk('IEND', [])]), /row 1 has unknown filter type 7/],
    ['short data', () => concat([SIG, ihdr(3, 2, 8, 0), idat([0, 1, 2, 3, 0, 4, 5]), rawChunk('IEND', [])]), /inflate to 7 bytes, expected 8 for 3×2 8-bit grey/],
    ['long data', () => concat([SIG, ihdr(3, 2, 8, 0), idat([0, 1, 2, 3, 0, 4, 5, 6, 9]), rawChunk('IEND', [])]), /inflate to 9 bytes, expected 8/],
    ['not zlib', () => concat([SIG, ihdr(3, 2, 8, 0), rawChunk('IDAT', [1, 2, 3, 4]), rawChunk('IEND', [])]), /do not inflate/],
    ['no IDAT', () => concat([SIG, ihdr(3, 2, 8, 0), rawChunk('IEND', [])]), /no image data/],
    ['palette without PLTE', () => concat([SIG, ihdr(1, 1, 8, 3), idat([0, 0]), rawChunk('IEND', [])]), /no PLTE/],
    ['PLTE too long for depth', () => concat([SIG, ihdr(1, 1, 1, 3), rawChunk('PLTE', new Array(9).fill(0)), idat([0, 0]), rawChunk('IEND', [])]), /3 entries, more than 1-bit/],
    ['PLTE ragged', () => concat([SIG, ihdr(1, 1, 8, 3), rawChunk('PLTE', [1, 2]), idat([0, 0]), rawChunk('IEND', [])]), /PLTE has 2 bytes/],
    ['split IDAT', () => concat([SIG, ihdr(1, 1, 8, 0), idat([0, 0]), rawChunk('tEXt', [65, 0]), idat([0, 0]), rawChunk('IEND', [])]), /not consecutive/],
    ['unknown critical chunk', () => concat([SIG, ihdr(1, 1, 8, 0), rawChunk('ABCD', []), idat([0, 0]), rawChunk('IEND', [])]), /unknown critical chunk ABCD/],
  ];
  for (const [name, make, re] of cases) {
    it(name, () => {
      const e = refusal(() => decodePng(make(), nodeZlib, 'SegmentationClass/2007_000032.png'));
      expect(e.file).toBe('SegmentationClass/2007_000032.png');
      expect(e.where).toBeNull();
      expect(e.problem).toMatch(re);
      expect(e.message).toMatch(/^SegmentationClass\/2007_000032\.png: /);
    });
  }
});
