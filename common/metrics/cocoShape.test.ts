/** A shape as COCO evaluation measures it (cocoShape.ts): nearest-neighbour mask resampling, box, area and mask. */
import { describe, expect, it } from 'vitest';
import type { Geometry } from '../api/contract.js';
import { rleFromPolygons } from '../geometry/cocoPolygon.js';
import { decodeRle, encodeRle, type Rle } from '../geometry/rle.js';
import { resampleRle, shapeOf } from './cocoShape.js';

/** A row-major 0/1 mask (rows of equal length) as RLE. */
function rle(rows: number[][]): Rle {
  return encodeRle(rows.flat(), rows[0].length, rows.length);
}

/** An RLE back as row-major rows. */
function rows(r: Rle): number[][] {
  const m = decodeRle(r);
  return Array.from({ length: r.height }, (_, y) => Array.from(m.subarray(y * r.width, (y + 1) * r.width)));
}

describe('resampleRle', () => {
  it('gives a mask already at the size back as it is', () => {
    // Counts with an empty run in the middle: a decode and re-encode would drop it.
    const r: Rle = { width: 2, height: 3, counts: [1, 0, 0, 2, 3] };
    expect(resampleRle(r, 2, 3)).toBe(r);
  });

  it('upsamples by repeating each pixel into a block', () => {
    const r = resampleRle(rle([[1, 0], [0, 1]]), 4, 4);
    expect(r.width).toBe(4);
    expect(r.height).toBe(4);
    expect(rows(r)).toEqual([
      [1, 1, 0, 0],
      [1, 1, 0, 0],
      [0, 0, 1, 1],
      [0, 0, 1, 1],
    ]);
  });

  it('downsamples by taking the source pixel under each target pixel centre', () => {
    // 4x4 → 2x2: target (x, y) centre (x + 0.5) * 2 = 1 or 3 in the source.
    const src = rle([
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 1],
    ]);
    expect(rows(resampleRle(src, 2, 2))).toEqual([
      [1, 0],
      [0, 1],
    ]);
  });

  it('resamples each axis by its own ratio', () => {
    // 3x2 → 2x4: columns read source x = floor((x + 0.5) * 1.5) = 0, 2; rows read y = floor((y + 0.5) / 2) = 0, 0, 1, 1.
    const src = rle([
      [1, 1, 0],
      [0, 1, 1],
    ]);
    const r = resampleRle(src, 2, 4);
    expect([r.width, r.height]).toEqual([2, 4]);
    expect(rows(r)).toEqual([
      [1, 0],
      [1, 0],
      [0, 1],
      [0, 1],
    ]);
  });

  it('resamples when only the width or only the height differs', () => {
    expect(rows(resampleRle(rle([[0, 1], [1, 0]]), 4, 2))).toEqual([
      [0, 0, 1, 1],
      [1, 1, 0, 0],
    ]);
    expect(rows(resampleRle(rle([[0, 1], [1, 0]]), 2, 4))).toEqual([
      [0, 1],
      [0, 1],
      [1, 0],
      [1, 0],
    ]);
  });
});

describe('shapeOf', () => {
  const size = { width: 5, height: 3 };

  it('a box: its own box and area w × h, no mask', () => {
    const s = shapeOf({ type: 'box', x: 1.5, y: 2, w: 4, h: 2 }, size, true);
    expect(s).toEqual({ bbox: [1.5, 2, 4, 2], area: 8 });
    expect(s && 'segm' in s).toBe(false);
  });

  it('a polygon: its vertices extent, its shoelace area, and for segm the pycocotools mask', () => {
    // Right triangle (0,0) (4,0) (0,2): area 4 × 2 / 2 = 4.
    const tri: Geometry = { type: 'polygon', points: [0, 0, 4, 0, 0, 2] };
    const bbox = shapeOf(tri, size, false);
    expect(bbox).toEqual({ bbox: [0, 0, 4, 2], area: 4 });
    expect(bbox && 'segm' in bbox).toBe(false);
    const segm = shapeOf(tri, size, true);
    expect(segm?.bbox).toEqual([0, 0, 4, 2]);
    expect(segm?.area).toBe(4);
    // The mask is at the image's size (width 5, height 3), as frPyObjects rasterises the ring.
    expect(segm?.segm).toEqual(rleFromPolygons([[0, 0, 4, 0, 0, 2]], 3, 5));
    expect([segm?.segm?.width, segm?.segm?.height]).toEqual([5, 3]);
  });

  it('a polygon with fewer than three points has no shape', () => {
    expect(shapeOf({ type: 'polygon', points: [0, 0, 4, 0] }, size, true)).toBeNull();
    expect(shapeOf({ type: 'polygon', points: [] }, size, false)).toBeNull();
    expect(shapeOf({ type: 'polygon', points: [0, 0, 4, 0, 4] }, size, false)).toBeNull();
  });

  it('a mask: resampled to the image, its whole-pixel box and pixel count', () => {
    // 2x2 with the top-right pixel → 4x4 (an image of that size): a 2x2 block at x 2-3, y 0-1.
    const m: Geometry = { type: 'mask', ...rle([[0, 1], [0, 0]]) };
    const s = shapeOf(m, { width: 4, height: 4 }, false);
    expect(s?.bbox).toEqual([2, 0, 2, 2]);
    expect(s?.area).toBe(4);
    expect(s?.segm && rows(s.segm)).toEqual([
      [0, 0, 1, 1],
      [0, 0, 1, 1],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ]);
  });

  it('a mask at the image size: box and area of its own pixels', () => {
    const m = rle([
      [0, 0, 0, 0, 0],
      [0, 1, 1, 1, 0],
      [0, 0, 1, 0, 0],
    ]);
    const g: Geometry = { type: 'mask', ...m };
    expect(shapeOf(g, size, true)).toEqual({ bbox: [1, 1, 3, 2], area: 4, segm: g });
  });

  it('keypoints: the box around the labeled points (v > 0), area w × h, no mask', () => {
    const kp: Geometry = { type: 'keypoints', points: [1, 2, 2, 7, 5, 1, 20, 30, 0] };
    const s = shapeOf(kp, size, true);
    expect(s).toEqual({ bbox: [1, 2, 6, 3], area: 18 });
    expect(s && 'segm' in s).toBe(false);
  });

  it('captions and tags have no shape', () => {
    expect(shapeOf({ type: 'caption', text: 'a cat' }, size, true)).toBeNull();
    expect(shapeOf({ type: 'tag' }, size, false)).toBeNull();
  });
});
