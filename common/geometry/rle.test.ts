import { describe, expect, it } from 'vitest';
import { decodeRle, encodeLabelRles, encodeRle, encodeRleWindow, rleArea, rleBbox, rleFromString, rleIntersection, rleIou, rleToString } from './rle.js';

/** Deterministic pseudo-random masks (LCG) so failures reproduce. */
function randomMask(width: number, height: number, seed: number, density = 0.4): Uint8Array {
  let s = seed >>> 0;
  const m = new Uint8Array(width * height);
  for (let i = 0; i < m.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    m[i] = s / 2 ** 32 < density ? 1 : 0;
  }
  return m;
}

/** Row-major h×w mask with rows/cols [lo, hi) set, as numpy's mask[lo:hi, lo:hi] = 1. */
function square(width: number, height: number, lo: number, hi: number): Uint8Array {
  const m = new Uint8Array(width * height);
  for (let y = lo; y < hi; y++) for (let x = lo; x < hi; x++) m[y * width + x] = 1;
  return m;
}

describe('RLE', () => {
  it('runs down the columns and starts with the zeros', () => {
    // rows: 0 1 1 / 0 0 1  → columns: (0,0) (1,0) (1,1)
    expect(encodeRle([0, 1, 1, 0, 0, 1], 3, 2).counts).toEqual([2, 1, 1, 2]);
    // rows: 1 0 / 1 1  → columns: (1,1) (0,1)
    expect(encodeRle([1, 0, 1, 1], 2, 2).counts).toEqual([0, 2, 1, 1]);
    expect(encodeRle([0, 0, 0, 0], 2, 2).counts).toEqual([4]);
  });

  it('round-trips random masks and pastes windows like the full mask', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const w = 1 + (seed * 7) % 23, h = 1 + (seed * 5) % 17;
      const m = randomMask(w, h, seed, seed / 21);
      const rle = encodeRle(m, w, h);
      expect(decodeRle(rle)).toEqual(m);
      expect(rleArea(rle)).toBe(m.reduce((a, b) => a + b, 0));

      const x0 = seed % w, y0 = (seed * 3) % h, ww = Math.max(1, w - x0 - (seed % 2)), hh = Math.max(1, h - y0 - (seed % 3 === 0 ? 1 : 0));
      const win = randomMask(ww, hh, seed + 100);
      const full = new Uint8Array(w * h);
      for (let y = 0; y < hh; y++) for (let x = 0; x < ww; x++) full[(y0 + y) * w + x0 + x] = win[y * ww + x];
      expect(encodeRleWindow(win, x0, y0, ww, hh, w, h)).toEqual(encodeRle(full, w, h));
    }
  });

  it('writes and reads the compressed strings pycocotools writes', () => {
    // Expected strings from pycocotools.mask.encode on 25×25 masks with mask[lo:hi, lo:hi] = 1.
    const cases: [number, number, string][] = [
      [0, 5, '05d00000000d?'],
      [5, 10, 'R45d00000000b;'],
      [20, 25, 'X`05d00000000'],
      [0, 25, '0ac0'],
    ];
    for (const [lo, hi, str] of cases) {
      const rle = encodeRle(square(25, 25, lo, hi), 25, 25);
      expect(rleToString(rle.counts)).toBe(str);
      expect(rleFromString(str)).toEqual(rle.counts);
    }
  });

  it('decodes COCO annotations (427×640) and writes the same strings back', () => {
    const strings = [
      'RT_32n<<O100O0010O000010O0001O00001O000O101O0ISPc4',
      '\\`_3;j<6B@nCc0Q<@kCc0S<;01N10001O001O00001O001O0000O1L4K6K4L4B]COh<O<O001O0O2Omk^4',
      'RT_32X<9SD3f;3ZDNb;5_DKU;DeDd05HU;b0kD_OS;b0nD]OQ;e0nD[OR;e0nD[OR;f0nDZOQ;f0oDZOQ;f0oDZOQ;g0oDXOQ;h0oDXOQ;h0oDXOQ;i0oDVOQ;j0oDVOQ;k0nDTOS;l0mDTOS;l0nDSOR;l0oDmNX;n0f0J5J6A^C0g<N=O001O0O2Omk^4',
    ];
    for (const s of strings) {
      const counts = rleFromString(s);
      const rle = { width: 640, height: 427, counts };
      const mask = decodeRle(rle); // throws unless the counts cover exactly 427×640
      const again = encodeRle(mask, 640, 427);
      expect(again.counts).toEqual(counts);
      expect(rleToString(again.counts)).toBe(s);
      // bbox against a brute-force scan of the decoded mask
      let xs = Infinity, ys = Infinity, xe = -1, ye = -1;
      for (let y = 0; y < 427; y++) for (let x = 0; x < 640; x++) if (mask[y * 640 + x]) [xs, ys, xe, ye] = [Math.min(xs, x), Math.min(ys, y), Math.max(xe, x), Math.max(ye, y)];
      expect(rleBbox(rle)).toEqual([xs, ys, xe - xs + 1, ye - ys + 1]);
      expect(rleArea(rle)).toBeGreaterThan(100);
    }
  });

  it('measures area, bbox and IoU', () => {
    const a = encodeRle(square(25, 25, 5, 10), 25, 25);
    const b = encodeRle(square(25, 25, 8, 13), 25, 25);
    expect(rleArea(a)).toBe(25);
    expect(rleBbox(a)).toEqual([5, 5, 5, 5]);
    expect(rleBbox(encodeRle(new Uint8Array(12), 4, 3))).toEqual([0, 0, 0, 0]);
    expect(rleIntersection(a, b)).toBe(4);
    expect(rleIou(a, b)).toBeCloseTo(4 / 46, 12);
    expect(rleIou(a, b, true)).toBeCloseTo(4 / 25, 12);
    expect(rleIou(a, a)).toBe(1);
    // A run crossing a column boundary spans every row in the bbox.
    expect(rleBbox({ width: 3, height: 4, counts: [3, 2, 7] })).toEqual([0, 0, 2, 4]);
  });

  it('agrees with pixel counting on random pairs', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const m1 = randomMask(13, 9, seed), m2 = randomMask(13, 9, seed + 50, 0.6);
      let inter = 0;
      for (let i = 0; i < m1.length; i++) inter += m1[i] & m2[i];
      expect(rleIntersection(encodeRle(m1, 13, 9), encodeRle(m2, 13, 9))).toBe(inter);
    }
  });

  it('refuses broken input with a reason', () => {
    expect(() => decodeRle({ width: 2, height: 2, counts: [1, 2] })).toThrow(/cover 3 pixels, expected 2×2/);
    expect(() => rleFromString('0a~')).toThrow(/"~" at character 2/);
    expect(() => rleFromString('0a')).toThrow(/ends inside a number/);
    expect(() => encodeRle([1, 0, 1], 2, 2)).toThrow(/3 pixels, expected 2×2/);
    expect(() => rleIntersection({ width: 1, height: 2, counts: [2] }, { width: 2, height: 1, counts: [2] })).toThrow(/sizes differ/);
  });
});

describe('encodeLabelRles', () => {
  it('gives each label the RLE of its own mask', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const w = 5 + seed, h = 3 + (seed % 4);
      const labels = randomMask(w, h, seed).map((v, i) => (v ? 1 + (i % 3) : 0));
      const rles = encodeLabelRles(labels, w, h);
      expect([...rles.keys()].sort()).toEqual([...new Set(labels)].sort());
      for (const [l, rle] of rles) expect(rle).toEqual(encodeRle(labels.map((v) => (v === l ? 1 : 0)), w, h));
    }
    expect(encodeLabelRles([2, 2, 2, 2], 2, 2).get(2)!.counts).toEqual([0, 4]);
  });
});
