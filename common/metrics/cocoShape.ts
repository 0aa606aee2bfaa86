/**
 * A shape as COCO evaluation measures it: its box, its area (the area Sightline's COCO export writes) and, for
 * segm, its mask. Shared by the core's evaluation and the renderer's compare view so both match alike. Pure.
 */
import type { Geometry } from '../api/contract.js';
import { rleFromPolygons } from '../geometry/cocoPolygon.js';
import { polygonArea } from '../geometry/polygon.js';
import { decodeRle, encodeRle, rleArea, rleBbox, type Rle } from '../geometry/rle.js';
import { keypointExtent } from '../formats/coco.js';

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
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (let i = 0; i + 1 < g.points.length; i += 2) {
        x0 = Math.min(x0, g.points[i]);
        x1 = Math.max(x1, g.points[i]);
        y0 = Math.min(y0, g.points[i + 1]);
        y1 = Math.max(y1, g.points[i + 1]);
      }
      return { bbox: [x0, y0, x1 - x0, y1 - y0], area: polygonArea(g.points), ...(needMask ? { segm: rleFromPolygons([g.points], size.height, size.width) } : {}) };
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

