import { describe, expect, it } from 'vitest';
import { paintStroke, reframeRle, RleProbe, shiftRle } from './maskEdit.js';
import { decodeRle, encodeRle } from './rle.js';

function picture(rows: string[]): { mask: Uint8Array; width: number; height: number } {
  const width = rows[0].length, height = rows.length;
  const mask = new Uint8Array(width * height);
  rows.forEach((r, y) => [...r].forEach((c, x) => (mask[y * width + x] = c === '#' ? 1 : 0)));
  return { mask, width, height };
}

function rows(mask: Uint8Array, width: number, height: number): string[] {
  const out: string[] = [];
  for (let y = 0; y < height; y++) out.push(Array.from(mask.subarray(y * width, (y + 1) * width), (v) => (v ? '#' : '.')).join(''));
  return out;
}

describe('paintStroke', () => {
  it('paints a disk of the given diameter: pixels whose centre is within the radius', () => {
    // Radius 2.5 from a pixel centre: offsets with dx² + dy² ≤ 6.25, so (±1, ±2) is in and (±2, ±2) out.
    const m = new Uint8Array(9 * 9);
    const rect = paintStroke(m, 9, 9, 4.5, 4.5, 4.5, 4.5, 5, 1);
    expect(rows(m, 9, 9)).toEqual([
      '.........',
      '.........',
      '...###...',
      '..#####..',
      '..#####..',
      '..#####..',
      '...###...',
      '.........',
      '.........',
    ]);
    expect(rect).toEqual({ x0: 2, y0: 2, x1: 8, y1: 8 }); // covers the painted 2..6 (a conservative bound)
  });

  it('paints at least the pixel under the pointer with a 1 px brush on a pixel corner', () => {
    const m = new Uint8Array(4 * 4);
    paintStroke(m, 4, 4, 2, 2, 2, 2, 1, 1);
    expect(rows(m, 4, 4)).toEqual(['....', '....', '..#.', '....']);
  });

  it('paints a capsule along a segment and clips it at the image border', () => {
    const m = new Uint8Array(6 * 4);
    const rect = paintStroke(m, 6, 4, -3, 0.5, 3.5, 0.5, 3, 1);
    // Row 1 is 1 px from the line: pixel centres up to 3.5 + √1.25 ≈ 4.62 are within 1.5.
    expect(rows(m, 6, 4)).toEqual(['#####.', '#####.', '......', '......']);
    expect(rect).toEqual({ x0: 0, y0: 0, x1: 6, y1: 3 });
  });

  it('erases with value 0 and reports null for a stroke wholly outside', () => {
    const m = new Uint8Array(3 * 3).fill(1);
    paintStroke(m, 3, 3, 1.5, 1.5, 1.5, 1.5, 1, 0);
    expect(rows(m, 3, 3)).toEqual(['###', '#.#', '###']);
    expect(paintStroke(m, 3, 3, -10, -10, -8, -9, 2, 0)).toBeNull();
  });
});

describe('shiftRle', () => {
  const { mask, width, height } = picture(['.....', '.##..', '.#...', '.....']);
  const rle = encodeRle(mask, width, height);

  it('moves the mask by whole pixels in both directions', () => {
    expect(rows(decodeRle(shiftRle(rle, 2, 1)), width, height)).toEqual(['.....', '.....', '...##', '...#.']);
    expect(rows(decodeRle(shiftRle(rle, -1, -1)), width, height)).toEqual(['##...', '#....', '.....', '.....']);
  });

  it('handles a mask that reaches the last pixel', () => {
    const end = picture(['...', '..#']);
    const moved = shiftRle(encodeRle(end.mask, 3, 2), -1, -1);
    expect(rows(decodeRle(moved), 3, 2)).toEqual(['.#.', '...']);
    expect(moved.counts.reduce((a, b) => a + b, 0)).toBe(6);
  });

  it('refuses a move that leaves the image and fractional moves', () => {
    expect(() => shiftRle(rle, 3, 0)).toThrow(/out of the 5×4 image/);
    expect(() => shiftRle(rle, 0.5, 0)).toThrow(/whole pixels/);
  });
});

describe('reframeRle', () => {
  it('crops and pads, anchored at the top-left corner', () => {
    const { mask } = picture(['#..#', '.##.', '#..#']);
    const rle = encodeRle(mask, 4, 3);
    expect(rows(decodeRle(reframeRle(rle, 3, 2)), 3, 2)).toEqual(['#..', '.##']);
    expect(rows(decodeRle(reframeRle(rle, 5, 4)), 5, 4)).toEqual(['#..#.', '.##..', '#..#.', '.....']);
    expect(rows(decodeRle(reframeRle(rle, 2, 5)), 2, 5)).toEqual(['#.', '.#', '#.', '..', '..']);
  });
});

describe('RleProbe', () => {
  it('answers the same as the decoded mask for every pixel', () => {
    const { mask, width, height } = picture(['#..#.', '.##..', '#...#', '....#']);
    const probe = new RleProbe(encodeRle(mask, width, height));
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) expect(probe.has(x, y)).toBe(mask[y * width + x] === 1);
    expect(probe.has(-1, 0)).toBe(false);
    expect(probe.has(5, 0)).toBe(false);
  });

  it('reads counts that start with an empty run of zeros', () => {
    const probe = new RleProbe({ width: 2, height: 2, counts: [0, 1, 3] });
    expect([probe.has(0, 0), probe.has(0, 1), probe.has(1, 0), probe.has(1, 1)]).toEqual([true, false, false, false]);
  });
});
