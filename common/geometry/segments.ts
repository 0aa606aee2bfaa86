/**
 * Points, segments and rings in image pixels: the measures an editor needs for hit testing and for refusing a
 * polygon that crosses itself. Rings are flat [x0, y0, x1, y1, ...] arrays, closed implicitly.
 */
import type { Flat } from './polygon.js';

/** Distance from (x, y) to the segment a–b, and where along it the nearest point lies (t in [0, 1]). */
export function segmentDistance(x: number, y: number, ax: number, ay: number, bx: number, by: number): { d: number; t: number } {
  const vx = bx - ax, vy = by - ay;
  const len2 = vx * vx + vy * vy;
  const t = len2 > 0 ? Math.max(0, Math.min(1, ((x - ax) * vx + (y - ay) * vy) / len2)) : 0;
  return { d: Math.hypot(x - ax - t * vx, y - ay - t * vy), t };
}

/** Even-odd rule; a point exactly on an edge may go either way (hit tests add a tolerance around edges). */
export function pointInRing(x: number, y: number, ring: Flat): boolean {
  let inside = false;
  const n = ring.length;
  for (let i = 0, j = n - 2; i < n; j = i, i += 2) {
    const xi = ring[i], yi = ring[i + 1], xj = ring[j], yj = ring[j + 1];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function orient(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number {
  const v = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
  // Exact zero only: inputs are pixel coordinates, and a tolerance would call near-misses crossings.
  return v > 0 ? 1 : v < 0 ? -1 : 0;
}

function onSegment(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): boolean {
  return Math.min(ax, bx) <= cx && cx <= Math.max(ax, bx) && Math.min(ay, by) <= cy && cy <= Math.max(ay, by);
}

/** Whether segments p1–p2 and p3–p4 share at least one point (touching and collinear overlap included). */
export function segmentsIntersect(
  x1: number, y1: number, x2: number, y2: number,
  x3: number, y3: number, x4: number, y4: number,
): boolean {
  const d1 = orient(x3, y3, x4, y4, x1, y1);
  const d2 = orient(x3, y3, x4, y4, x2, y2);
  const d3 = orient(x1, y1, x2, y2, x3, y3);
  const d4 = orient(x1, y1, x2, y2, x4, y4);
  if (d1 !== d2 && d3 !== d4) return true;
  if (d1 === 0 && onSegment(x3, y3, x4, y4, x1, y1)) return true;
  if (d2 === 0 && onSegment(x3, y3, x4, y4, x2, y2)) return true;
  if (d3 === 0 && onSegment(x1, y1, x2, y2, x3, y3)) return true;
  if (d4 === 0 && onSegment(x1, y1, x2, y2, x4, y4)) return true;
  return false;
}

/**
 * The first pair of edges of a closed ring that cross or touch, other than neighbours meeting at their shared
 * vertex, as edge indices (edge i runs from vertex i to vertex i + 1); null for a simple ring. Neighbouring
 * edges that fold back over each other (a spike of zero width) count as crossing. O(n²): rings drawn by hand
 * have tens to a few hundred vertices.
 */
export function ringSelfIntersection(ring: Flat): [number, number] | null {
  const n = ring.length / 2;
  if (n < 3) return null;
  const x = (i: number): number => ring[2 * (i % n)];
  const y = (i: number): number => ring[2 * (i % n) + 1];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const adjacent = j === i + 1 || (i === 0 && j === n - 1);
      if (adjacent) {
        // Neighbours share one vertex; they overlap only when collinear and pointing back over each other.
        const [s, e, o] = j === i + 1 ? [i, i + 1, i + 2] : [j, 0, 1];
        // s→e then e→o: a fold when e–s and o–e point opposite ways on one line.
        const ux = x(e) - x(s), uy = y(e) - y(s), vx = x(o) - x(e), vy = y(o) - y(e);
        if (ux * vy - uy * vx === 0 && ux * vx + uy * vy < 0) return [i, j];
        continue;
      }
      if (segmentsIntersect(x(i), y(i), x(i + 1), y(i + 1), x(j), y(j), x(j + 1), y(j + 1))) return [i, j];
    }
  }
  return null;
}

/** Whether a polyline (open) has two non-neighbouring segments that meet. */
export function polylineSelfIntersects(line: Flat): boolean {
  const n = line.length / 2;
  for (let i = 0; i + 1 < n; i++) {
    for (let j = i + 2; j + 1 < n; j++) {
      if (segmentsIntersect(line[2 * i], line[2 * i + 1], line[2 * i + 2], line[2 * i + 3], line[2 * j], line[2 * j + 1], line[2 * j + 2], line[2 * j + 3])) return true;
    }
  }
  return false;
}
