/**
 * More PNG cases (issue 13), from the PNG specification (ISO/IEC 15948): the exact bytes the encoder writes
 * (signature, IHDR fields, chunk CRCs, the filter its heuristic picks), and each structural rule the decoder
 * checks, with the message it gives. A pass-through "zlib" lets the tests read and write the filtered scanlines
 * directly, so the expected bytes are worked out by hand from the spec's filter formulas.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { refusal } from '../../test/formats-testkit.js';
import { decodePng, encodePng } from './png.js';
import { InflateLimitError, type Zlib } from './types.js';
import { testZlib as nodeZlib } from './test-helpers.js';

/** Stores the scanlines as they are: IDAT then holds the filtered rows, readable byte for byte. */
const plain: Zlib = { deflate: (d) => d.slice(), inflate: (d) => d.slice() };

// An independent CRC-32 (PNG spec annex D), bit by bit.
function crc(bytes: ArrayLike<number>): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    c ^= bytes[i];
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
const be32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const SIG = [137, 80, 78, 71, 13, 10, 26, 10];
function chunk(type: string, body: ArrayLike<number>): number[] {
  const typed = [...type].map((c) => c.charCodeAt(0));
  const b = Array.from(body);
  return [...be32(b.length), ...typed, ...b, ...be32(crc([...typed, ...b]))];
}
function ihdr(width: number, height: number, depth: number, colourType: number, opts: { compression?: number; filter?: number; interlace?: number } = {}): number[] {
  return chunk('IHDR', [...be32(width), ...be32(height), depth, colourType, opts.compression ?? 0, opts.filter ?? 0, opts.interlace ?? 0]);
}
const idat = (raw: number[]) => chunk('IDAT', deflateSync(Uint8Array.from(raw)));
const IEND = chunk('IEND', []);
const png = (...parts: number[][]) => Uint8Array.from([...SIG, ...parts.flat()]);
const refuse = (bytes: Uint8Array) => refusal(() => decodePng(bytes, nodeZlib, 'm.png'));

/** The chunks of a file: type and body. */
function chunks(bytes: Uint8Array): { type: string; body: number[] }[] {
  const out: { type: string; body: number[] }[] = [];
  for (let p = 8; p < bytes.length; ) {
    const len = (bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3];
    out.push({ type: String.fromCharCode(...bytes.subarray(p + 4, p + 8)), body: Array.from(bytes.subarray(p + 8, p + 8 + len)) });
    p += 12 + len;
  }
  return out;
}

describe('encodePng: the bytes it writes', () => {
  it('signature, IHDR (size, depth 8, colour type, methods 0), IDAT, IEND, each with its CRC', () => {
    const out = encodePng({ width: 2, height: 1, channels: 3, data: Uint8Array.from([1, 2, 3, 4, 5, 6]) }, plain);
    expect(Array.from(out.subarray(0, 8))).toEqual(SIG);
    // Row [1 2 3 | 4 5 6]: Sub (distance 3 bytes) gives 1 2 3 3 3 3, the least sum of all five filters.
    expect(Array.from(out)).toEqual([...SIG, ...ihdr(2, 1, 8, 2), ...chunk('IDAT', [1, 1, 2, 3, 3, 3, 3]), ...IEND]);
  });

  it('colour type by channels: 1 grey (0), 2 grey+alpha (4), 3 rgb (2), 4 rgba (6); palette (3) with its PLTE before IDAT', () => {
    const type = (channels: 1 | 2 | 3 | 4) => encodePng({ width: 1, height: 1, channels, data: new Uint8Array(channels) }, plain)[25];
    expect([type(1), type(2), type(3), type(4)]).toEqual([0, 4, 2, 6]);
    const out = encodePng({ width: 3, height: 1, channels: 1, data: Uint8Array.from([2, 0, 1]), palette: Uint8Array.from([0, 0, 0, 9, 9, 9, 255, 0, 0]) }, plain);
    expect(chunks(out)).toEqual([
      { type: 'IHDR', body: [0, 0, 0, 3, 0, 0, 0, 1, 8, 3, 0, 0, 0] },
      { type: 'PLTE', body: [0, 0, 0, 9, 9, 9, 255, 0, 0] },
      { type: 'IDAT', body: [0, 2, 0, 1] },
      { type: 'IEND', body: [] },
    ]);
  });

  it('picks each row’s filter by the least sum of absolute values, bytes read as signed; ties go to the first filter', () => {
    // Row 0 [10 20 30 40]: None 100, Sub 10+10+10+10 = 40, Up = None (no row above), Average 10+15+20+25 = 70,
    // Paeth = Sub (40): Sub wins, being first. Row 1 equals row 0: Up gives zeros.
    const flat = encodePng({ width: 4, height: 2, channels: 1, data: Uint8Array.from([10, 20, 30, 40, 10, 20, 30, 40]) }, plain);
    expect(chunks(flat)[1].body).toEqual([1, 10, 10, 10, 10, 2, 0, 0, 0, 0]);
    // Row [255 254 253 252]: None as signed is -1 -2 -3 -4 (sum 10), Sub gives 255 255 255 255 (-1 each, sum 4):
    // Sub. Read unsigned, None (1014) would win over Sub (1020).
    const dark = encodePng({ width: 4, height: 1, channels: 1, data: Uint8Array.from([255, 254, 253, 252]) }, plain);
    expect(chunks(dark)[1].body).toEqual([1, 255, 255, 255, 255]);
    // A flat image: every filter sums to 0, and the first (None) is kept.
    const zero = encodePng({ width: 3, height: 2, channels: 2, data: new Uint8Array(12) }, plain);
    expect(chunks(zero)[1].body).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    // Paeth wins where it predicts from the upper-left pixel: rows [20 20 32] then [20 10 20].
    // Row 0: Sub [20 0 12] (32) beats None/Up (72), Average [20 10 22] (52); Paeth equals Sub and comes later.
    // Row 1: None 50; Sub 20 -10 10 (40); Up 0 -10 -12 (22); Average 10 -10 -1 (21); Paeth 0 -10 0 (10):
    // at x = 2, a = 10, b = 32, c = 20 give p = 22, nearest c = 20.
    const paeth = encodePng({ width: 3, height: 2, channels: 1, data: Uint8Array.from([20, 20, 32, 20, 10, 20]) }, plain);
    expect(chunks(paeth)[1].body).toEqual([1, 20, 0, 12, 4, 0, 246, 0]);
  });

  it('refuses sizes, channels and palettes it cannot write, saying what it got', () => {
    const ok = { width: 2, height: 1, channels: 1 as const, data: new Uint8Array(2) };
    expect(() => encodePng({ ...ok, width: 1.5 }, plain)).toThrow('PNG size must be whole numbers from 1 to 2147483647, got 1.5×1');
    expect(() => encodePng({ ...ok, height: 0 }, plain)).toThrow('PNG size must be whole numbers from 1 to 2147483647, got 2×0');
    expect(() => encodePng({ ...ok, width: 2 ** 31 }, plain)).toThrow('got 2147483648×1');
    expect(() => encodePng({ ...ok, height: 2 ** 31 }, plain)).toThrow('got 2×2147483648');
    expect(() => encodePng({ ...ok, channels: 5 as 1 }, plain)).toThrow('PNG channels must be 1, 2, 3 or 4, got 5');
    // The largest side the spec allows passes the size check (and then the data must fit it).
    expect(() => encodePng({ ...ok, width: 2 ** 31 - 1 }, plain)).toThrow('PNG data has 2 bytes, expected 2147483647×1×1 = 2147483647');
    expect(() => encodePng({ ...ok, height: 2 ** 31 - 1 }, plain)).toThrow('PNG data has 2 bytes, expected 2×2147483647×1 = 4294967294');
    expect(() => encodePng({ ...ok, channels: 2 }, plain)).toThrow('PNG data has 2 bytes, expected 2×1×2 = 4');
    expect(() => encodePng({ ...ok, palette: new Uint8Array(0) }, plain)).toThrow('a PNG palette is 1 to 256 rgb triples, got 0 bytes');
    expect(() => encodePng({ ...ok, palette: new Uint8Array(771) }, plain)).toThrow('a PNG palette is 1 to 256 rgb triples, got 771 bytes');
    expect(() => encodePng({ ...ok, data: Uint8Array.from([0, 1]), palette: new Uint8Array(3) }, plain)).toThrow("pixel 1 has index 1, past the palette's 1 entries");
    // 256 entries, the most there are, and the last index in use.
    const full = encodePng({ width: 1, height: 1, channels: 1, data: Uint8Array.from([255]), palette: new Uint8Array(768) }, nodeZlib);
    expect(Array.from(decodePng(full, nodeZlib).data)).toEqual([255]);
  });
});

describe('decodePng: structure the spec requires', () => {
  const grey = () => [ihdr(2, 1, 8, 0), idat([0, 7, 8])];

  it('reads a PNG that lies inside a larger buffer, and names a file "PNG" when told no name', () => {
    const file = png(...grey(), IEND);
    const buf = new Uint8Array(file.length + 5);
    buf.set(file, 5);
    expect(Array.from(decodePng(buf.subarray(5), nodeZlib).data)).toEqual([7, 8]);
    expect(refusal(() => decodePng(Uint8Array.from([1, 2]), nodeZlib)).file).toBe('PNG');
  });

  it('a signature with nothing after it is a truncated PNG; a chunk with a wrong CRC names both CRCs', () => {
    expect(refuse(png()).problem).toBe('truncated: no IEND chunk');
    const iend = chunk('IEND', []);
    iend.splice(8, 4, 0, 0, 0, 0);
    // IEND's CRC is the same in every PNG: ae 42 60 82.
    const at = 8 + grey().flat().length; // after the signature, IHDR and IDAT
    expect(refuse(png(...grey(), iend)).problem).toBe(`chunk IEND at byte ${at} is corrupt (CRC 0x00000000, computed 0xae426082)`);
  });

  it('the palette returned is a copy: reusing the input buffer does not change it', () => {
    const bytes = png(ihdr(1, 1, 8, 3), chunk('PLTE', [10, 20, 30]), idat([0, 0]), IEND);
    const img = decodePng(bytes, nodeZlib);
    bytes.fill(0);
    expect(Array.from(img.palette!)).toEqual([10, 20, 30]);
  });

  it('a signature with one byte wrong is not a PNG', () => {
    const b = png(...grey(), IEND);
    b[7] = 0;
    expect(refuse(b).problem).toBe('not a PNG file (the 8-byte PNG signature is missing)');
  });

  it('chunk framing: a type of letters only, 12 bytes at least, a length that fits', () => {
    const bad = chunk('IEND', []);
    bad[6] = 0x31; // "IE1D"
    expect(refuse(png(ihdr(2, 1, 8, 0), bad)).problem).toBe('chunk 1 at byte 33 has an invalid type "IE1D"');
    expect(refuse(png(ihdr(2, 1, 8, 0), [0, 0, 0, 0, 73])).problem).toBe('truncated: chunk 1 at byte 33 needs 12 bytes, 5 left');
    const long = chunk('tEXt', [65, 0, 66]);
    long.splice(0, 4, ...be32(100));
    expect(refuse(png(ihdr(2, 1, 8, 0), long, IEND)).problem).toBe('truncated: chunk tEXt at byte 33 claims 100 bytes, 15 left');
  });

  it('IHDR: exactly one, first, of 13 bytes, with a valid size and methods 0', () => {
    expect(refuse(png(ihdr(2, 1, 8, 0), ihdr(2, 1, 8, 0), idat([0, 7, 8]), IEND)).problem).toBe('more than one IHDR chunk');
    expect(refuse(png(chunk('IHDR', [0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0]), IEND)).problem).toBe('IHDR has 12 bytes, expected 13');
    expect(refuse(png(ihdr(1, 0, 8, 0), IEND)).problem).toBe('invalid size 1×0');
    expect(refuse(png(ihdr(2 ** 31, 1, 8, 0), IEND)).problem).toBe('invalid size 2147483648×1');
    expect(refuse(png(ihdr(1, 2 ** 31, 8, 0), IEND)).problem).toBe('invalid size 1×2147483648');
    expect(refuse(png(ihdr(1, 1, 8, 0, { compression: 1 }), IEND)).problem).toBe('unknown compression method 1');
    expect(refuse(png(ihdr(1, 1, 8, 0, { filter: 1 }), IEND)).problem).toBe('unknown filter method 1');
    expect(refuse(png(ihdr(1, 1, 3, 0), IEND)).problem).toBe('bit depth 3 is not allowed with colour type 0');
    expect(refuse(png(ihdr(1, 1, 16, 3), IEND)).problem).toBe('bit depth 16 is not allowed with colour type 3');
    // The largest side the spec allows is a valid size (here, too large to decode).
    expect(refuse(png(ihdr(2 ** 31 - 1, 1, 8, 0), IEND)).problem).toBe('2147483647×1 is too large to decode here (more than 1073741824 bytes of pixels)');
    expect(refuse(png(ihdr(1, 2 ** 31 - 1, 8, 0), IEND)).problem).toBe('1×2147483647 is too large to decode here (more than 1073741824 bytes of pixels)');
    // rgba counts 4 bytes a pixel: 2^14 × 2^14 × 4 = 2^30 is the most; 2^14 × (2^14 + 1) is too large.
    expect(refuse(png(ihdr(2 ** 14, 2 ** 14 + 1, 8, 6), IEND)).problem).toBe('16384×16385 is too large to decode here (more than 1073741824 bytes of pixels)');
    // 8-bit grey of 2^15 × 2^15 is 2^30 bytes of pixels, the most allowed; one more row is too many.
    expect(refuse(png(ihdr(2 ** 15, 2 ** 15 + 1, 8, 0), IEND)).problem).toBe('32768×32769 is too large to decode here (more than 1073741824 bytes of pixels)');
    expect(refuse(png(ihdr(2 ** 15, 2 ** 15, 8, 0), idat([0]), IEND)).problem).toBe('image data inflate to 1 bytes, expected 1073774592 for 32768×32768 8-bit grey');
    // A 1-bit image decodes to a byte a pixel: 2^15 × (2^15 + 1) packs into 128 MiB but decodes past 1 GiB.
    expect(refuse(png(ihdr(2 ** 15, 2 ** 15 + 1, 1, 0), IEND)).problem).toBe('32768×32769 is too large to decode here (more than 1073741824 bytes of pixels)');
    expect(refuse(png(ihdr(2 ** 15, 2 ** 15, 1, 0), idat([0]), IEND)).problem).toBe('image data inflate to 1 bytes, expected 134250496 for 32768×32768 1-bit grey');
  });

  it('a zip bomb: image data that inflate far past the size the header gives are refused without inflating them all', () => {
    // 1×1 8-bit grey expects 2 bytes (filter byte + pixel); these data inflate to 64 MiB of zeros.
    const bomb = deflateSync(Buffer.alloc(64 << 20));
    let largest = 0;
    const bounded: Zlib = {
      deflate: (d) => new Uint8Array(deflateSync(d)),
      inflate: (d, max) => {
        largest = Math.max(largest, max ?? Infinity);
        const out = inflateSync(d, { maxOutputLength: 1 << 30 });
        if (max !== undefined && out.length > max) throw new InflateLimitError(max);
        return new Uint8Array(out);
      },
    };
    const e = refusal(() => decodePng(png(ihdr(1, 1, 8, 0), chunk('IDAT', bomb), IEND), bounded, 'bomb.png'));
    expect(e).toMatchObject({ file: 'bomb.png', problem: 'image data inflate to more than 3 bytes, expected 2 for 1×1 8-bit grey' });
    expect(largest).toBe(3);
  });

  it('PLTE: one, before the data, 1 to 256 triples, not with grey, no more than the bit depth indexes', () => {
    const plte = (n: number) => chunk('PLTE', new Array(n).fill(0));
    const data = idat([0, 0]);
    expect(refuse(png(ihdr(1, 1, 8, 3), plte(3), plte(3), data, IEND)).problem).toBe('more than one PLTE chunk');
    expect(refuse(png(ihdr(1, 1, 8, 2), idat([0, 0, 0, 0]), plte(3), IEND)).problem).toBe('PLTE after the image data');
    expect(refuse(png(ihdr(1, 1, 8, 3), plte(0), data, IEND)).problem).toBe('PLTE has 0 bytes, expected 1 to 256 rgb triples');
    expect(refuse(png(ihdr(1, 1, 8, 3), plte(771), data, IEND)).problem).toBe('PLTE has 771 bytes, expected 1 to 256 rgb triples');
    expect(refuse(png(ihdr(1, 1, 8, 0), plte(3), data, IEND)).problem).toBe('a PLTE chunk is not allowed with colour type 0');
    expect(refuse(png(ihdr(1, 1, 8, 4), plte(3), idat([0, 0, 0]), IEND)).problem).toBe('a PLTE chunk is not allowed with colour type 4');
    expect(refuse(png(ihdr(1, 1, 2, 3), plte(15), data, IEND)).problem).toBe('PLTE has 5 entries, more than 2-bit indices reach');
    // The most a depth allows: 4 entries for 2 bits, 256 for 8.
    expect(decodePng(png(ihdr(1, 1, 2, 3), plte(12), idat([0, 0xc0]), IEND), nodeZlib).data[0]).toBe(3);
    expect(decodePng(png(ihdr(1, 1, 8, 3), plte(768), idat([0, 255]), IEND), nodeZlib).data[0]).toBe(255);
    // A suggested palette of an rgb image is allowed, and the pixels stay colours.
    const rgb = decodePng(png(ihdr(1, 1, 8, 2), plte(6), idat([0, 1, 2, 3]), IEND), nodeZlib);
    expect([rgb.channels, Array.from(rgb.data), rgb.palette]).toEqual([3, [1, 2, 3], null]);
  });

  it('an unknown ancillary chunk (lower-case first letter) is skipped wherever it is; an unknown critical one is refused', () => {
    const img = decodePng(png(ihdr(2, 1, 8, 0), chunk('abCD', [1]), idat([0, 7, 8]), chunk('zzZZ', []), IEND), nodeZlib);
    expect(Array.from(img.data)).toEqual([7, 8]);
    expect(refuse(png(ihdr(2, 1, 8, 0), idat([0, 7, 8]), chunk('ZzZZ', []), IEND)).problem).toBe('unknown critical chunk ZzZZ');
  });

  it('the size of the inflated data is checked against the image, named by colour type, depth and interlace', () => {
    expect(refuse(png(ihdr(2, 1, 8, 2), idat([0]), IEND)).problem).toBe('image data inflate to 1 bytes, expected 7 for 2×1 8-bit rgb');
    expect(refuse(png(ihdr(2, 1, 8, 4), idat([0]), IEND)).problem).toBe('image data inflate to 1 bytes, expected 5 for 2×1 8-bit grey+alpha');
    expect(refuse(png(ihdr(9, 1, 1, 3), chunk('PLTE', [0, 0, 0]), idat([0]), IEND)).problem).toBe('image data inflate to 1 bytes, expected 3 for 9×1 1-bit palette');
    // Adam7 of 2×2: pass 1 has pixel (0,0), pass 6 pixel (1,0), pass 7 the row y = 1; the others are empty and
    // have no filter bytes: (4+1) + (4+1) + (8+1) = 19.
    expect(refuse(png(ihdr(2, 2, 8, 6, { interlace: 1 }), idat([0]), IEND)).problem).toBe('image data inflate to 1 bytes, expected 19 for 2×2 8-bit rgba (Adam7)');
    expect(refuse(png(ihdr(2, 2, 8, 6, { interlace: 1 }), idat([0, 1, 2, 3, 4, 5, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5, 6, 7, 8]), IEND)).problem).toBe(
      'row 0 of Adam7 pass 6 has unknown filter type 5',
    );
  });

  it('Adam7 places each pass’s pixels where the spec says, grey and rgba', () => {
    // 2×2 rgba: pass 1 → (0,0), pass 6 → (1,0), pass 7 → (0,1), (1,1); rows filtered None.
    const raw = [0, 1, 2, 3, 4, 0, 5, 6, 7, 8, 0, 9, 10, 11, 12, 13, 14, 15, 16];
    const img = decodePng(png(ihdr(2, 2, 8, 6, { interlace: 1 }), idat(raw), IEND), nodeZlib);
    expect(Array.from(img.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  });

  it('undoes each filter on a first row, where the row above counts as zeros', () => {
    // Grey 8-bit, 3 wide, one row [10 20 35] under each filter.
    const one = (f: number, filtered: number[]) => Array.from(decodePng(png(ihdr(3, 1, 8, 0), idat([f, ...filtered]), IEND), nodeZlib).data);
    expect(one(0, [10, 20, 35])).toEqual([10, 20, 35]);
    expect(one(1, [10, 10, 15])).toEqual([10, 20, 35]); // Sub: x - a
    expect(one(2, [10, 20, 35])).toEqual([10, 20, 35]); // Up: b = 0
    expect(one(3, [10, 15, 25])).toEqual([10, 20, 35]); // Average: x - floor(a / 2)
    expect(one(4, [10, 10, 15])).toEqual([10, 20, 35]); // Paeth of (a, 0, 0) is a
    // Two bytes a pixel (grey+alpha): Sub and Paeth reach back 2 bytes, not 1.
    const ga = (f: number, filtered: number[]) => Array.from(decodePng(png(ihdr(2, 1, 8, 4), idat([f, ...filtered]), IEND), nodeZlib).data);
    expect(ga(1, [10, 200, 5, 50])).toEqual([10, 200, 15, 250]);
    expect(ga(4, [10, 200, 5, 50])).toEqual([10, 200, 15, 250]);
    expect(ga(3, [10, 200, 5, 50])).toEqual([10, 200, 10, 150]); // 5 + 10/2, 50 + 200/2
  });

  it('undoes Average and Paeth against the row above, with wrap-around modulo 256', () => {
    // Rows: [100 200] then filtered [3, f] bytes. Average: x + floor((a + b) / 2).
    const two = (f: number, row1: number[]) => Array.from(decodePng(png(ihdr(2, 2, 8, 0), idat([0, 100, 200, f, ...row1]), IEND), nodeZlib).data.subarray(2));
    expect(two(3, [10, 250])).toEqual([60, (250 + Math.floor((60 + 200) / 2)) % 256]); // 10 + 100/2 = 60; 250 + 130 = 380 → 124
    // Paeth, first byte: a = 0, b = 100, c = 0 → p = 100, nearest b. Second: a = 110, b = 200, c = 100 → p = 210:
    // |210-110| = 100, |210-200| = 10, |210-100| = 110 → b = 200.
    expect(two(4, [10, 60])).toEqual([110, 4]);
    // Up: x + b.
    expect(two(2, [200, 100])).toEqual([44, 44]);
  });

  it('1, 2 and 4-bit grey scale to 0…255; palette indices of 2 bits are kept as they are', () => {
    expect(Array.from(decodePng(png(ihdr(4, 1, 2, 0), idat([0, 0b00011011]), IEND), nodeZlib).data)).toEqual([0, 85, 170, 255]);
    expect(Array.from(decodePng(png(ihdr(2, 1, 4, 0), idat([0, 0x1f]), IEND), nodeZlib).data)).toEqual([17, 255]);
    expect(Array.from(decodePng(png(ihdr(3, 1, 1, 0), idat([0, 0b10100000]), IEND), nodeZlib).data)).toEqual([255, 0, 255]);
    const pal = decodePng(png(ihdr(4, 1, 2, 3), chunk('PLTE', new Array(12).fill(1)), idat([0, 0b00011011]), IEND), nodeZlib);
    expect(Array.from(pal.data)).toEqual([0, 1, 2, 3]);
  });
});
