/** Extents as COCO writes boxes: [x, y, w, h]; all zeros when there is no point. */

/** Around a flat x, y list (a polygon's vertices). */
export function polygonExtent(p: ArrayLike<number>): [number, number, number, number] {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i + 1 < p.length; i += 2) {
    if (p[i] < x0) x0 = p[i];
    if (p[i] > x1) x1 = p[i];
    if (p[i + 1] < y0) y0 = p[i + 1];
    if (p[i + 1] > y1) y1 = p[i + 1];
  }
  return x0 === Infinity ? [0, 0, 0, 0] : [x0, y0, x1 - x0, y1 - y0];
}

/** Around the labeled (v > 0) points of an x, y, v list. */
export function keypointExtent(points: ArrayLike<number>): [number, number, number, number] {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i + 2 < points.length; i += 3) {
    if (!(points[i + 2] > 0)) continue;
    if (points[i] < x0) x0 = points[i];
    if (points[i] > x1) x1 = points[i];
    if (points[i + 1] < y0) y0 = points[i + 1];
    if (points[i + 1] > y1) y1 = points[i + 1];
  }
  return x0 === Infinity ? [0, 0, 0, 0] : [x0, y0, x1 - x0, y1 - y0];
}
