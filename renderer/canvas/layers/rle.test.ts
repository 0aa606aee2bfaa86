import { describe, expect, it } from 'vitest';
import { encodeRle } from '../../../common/geometry/rle.js';
import { labelAnchor, maskToRgba, rleToAlphaMask } from './rle.js';

describe('rleToAlphaMask', () => {
  it('reads runs column-major, starting with zeros', () => {
    // 3 wide, 2 high. Column-major order: (0,0) (0,1) (1,0) (1,1) (2,0) (2,1).
    // counts [1, 2, 3]: (0,0) out; (0,1) and (1,0) in; the rest out.
    const a = rleToAlphaMask([1, 2, 3], 3, 2);
    expect([...a]).toEqual([0, 255, 0, 255, 0, 0]);
  });

  it('accepts a leading zero-length run (mask starts inside)', () => {
    expect([...rleToAlphaMask([0, 2, 2], 2, 2)]).toEqual([255, 0, 255, 0]);
  });

  it('round-trips what the shapes generator encodes, runs spanning several columns', () => {
    const width = 7;
    const height = 5;
    const mask = new Uint8Array(width * height);
    for (let y = 1; y < 4; y++) for (let x = 2; x < 7; x++) mask[y * width + x] = 1;
    mask[0] = 1;
    mask[width * height - 1] = 1;
    const rle = encodeRle(mask, width, height);
    const alpha = rleToAlphaMask(rle.counts, width, height);
    expect([...alpha].map((v) => (v ? 1 : 0))).toEqual([...mask]);
  });

  it('refuses runs that do not cover the mask', () => {
    expect(() => rleToAlphaMask([1, 2], 3, 2)).toThrow(/cover 3 pixels, expected 3×2/);
    expect(() => rleToAlphaMask([4, 4], 3, 2)).toThrow(/cover 8 pixels/);
  });
});

describe('maskToRgba', () => {
  it('fills the inside translucent and the boundary opaque in the given colour', () => {
    const alpha = new Uint8Array(5 * 5);
    for (let y = 1; y < 4; y++) for (let x = 1; x < 4; x++) alpha[y * 5 + x] = 255;
    const rgba = maskToRgba(alpha, 5, 5, [10, 20, 30], 100);
    const at = (x: number, y: number) => [...rgba.slice((y * 5 + x) * 4, (y * 5 + x) * 4 + 4)];
    expect(at(0, 0)).toEqual([0, 0, 0, 0]);
    expect(at(1, 1)).toEqual([10, 20, 30, 255]);
    expect(at(2, 2)).toEqual([10, 20, 30, 100]);
    expect(at(3, 2)).toEqual([10, 20, 30, 255]);
  });
});

describe('labelAnchor', () => {
  it('is the first pixel in reading order, on a region even when the regions are far apart', () => {
    // 5×4: one region at the bottom left, one at the top right; their joint bbox corner (0, 0) is on neither.
    const alpha = Uint8Array.from([0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0]);
    expect(labelAnchor(alpha, 5)).toEqual({ x: 3, y: 0 });
    expect(labelAnchor(new Uint8Array(20), 5)).toBeNull();
  });
});
