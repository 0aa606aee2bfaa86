/**
 * A shape as COCO evaluation measures it: its box, its area (the area Sightline's COCO export writes) and, for
 * segm, its mask. Shared by the core's evaluation and the renderer's compare view so both match alike. Pure.
 */
import type { Geometry } from '../api/contract.js';
import { rleFromPolygons } from '../geometry/cocoPolygon.js';
import { polygonArea } from '../geometry/polygon.js';
import { decodeRle, encodeRle, rleArea, rleBbox, type Rle } from '../geometry/rle.js';
import { keypointExtent, polygonExtent } from '../geometry/extent.js';

/** Nearest-neighbour resampling of a mask to another size (a model may give masks at its own resolution). */
export function resampleRle(rle: Rle, width: number, height: number): Rle {
  if (rle.width === width && rle.height === height) return rle;
  const src = decodeRle(rle);
  const out = new Uint8Array(width * height);
  const sx = rle.width / width, sy = rle.height / height;
  for (let y = 0; y < height; y++) {
    const row = Math.min(rle.height - 1, Math.floor((y + 0.5) * sy)) * rle.width;
    for (let x = 0; x < width; x++) out[y * width + x] = src[row + Math.min(rle.width - 1, Math.floor((x + 0.5) * sx))];
  }
  return encodeRle(out, width, height);
}

/** Box, mask (segm only) and area of a shape as COCO evaluation sees it; null for captions and tags. */
export function shapeOf(g: Geometry, size: { width: number; height: number }, needMask: boolean): { bbox: [number, number, number, number]; area: number; segm?: Rle } | null {
  switch (g.type) {
    case 'box':
      return { bbox: [g.x, g.y, g.w, g.h], area: g.w * g.h };
    case 'polygon': {
      if (g.points.length < 6) return null;
      return { bbox: polygonExtent(g.points), area: polygonArea(g.points), ...(needMask ? { segm: rleFromPolygons([g.points], size.height, size.width) } : {}) };
    }
    case 'mask': {
      const m = resampleRle(g, size.width, size.height);
      return { bbox: rleBbox(m), area: rleArea(m), segm: m };
    }
    case 'keypoints': {
      const [x, y, w, h] = keypointExtent(g.points);
      return { bbox: [x, y, w, h], area: w * h };
    }
    default:
      return null;
  }
}

