/**
 * Polygons as flat [x0, y0, x1, y1, ...] arrays in image pixels, where pixel (i, j) covers [i, i+1] × [j, j+1]
 * and its centre is (i + 0.5, j + 0.5). Masks are row-major width×height, non-zero = inside.
 */

export type Flat = readonly number[];

// ---------------------------------------------------------------- measures

/** Signed shoelace area: positive when the vertices run clockwise on screen (y down). */
export function signedArea(p: Flat): number {
  let s = 0;
  const n = p.length;
  for (let i = 0; i < n; i += 2) {
    const j = (i + 2) % n;
    s += p[i] * p[j + 1] - p[j] * p[i + 1];
  }
  return s / 2;
}

export function polygonArea(p: Flat): number {
  return Math.abs(signedArea(p));
}

export function polygonPerimeter(p: Flat): number {
  let s = 0;
  const n = p.length;
  for (let i = 0; i < n; i += 2) {
    const j = (i + 2) % n;
    s += Math.hypot(p[j] - p[i], p[j + 1] - p[i + 1]);
  }
  return s;
}

// ---------------------------------------------------------------- polygon → mask

/**
 * Rasterise one or more rings with the even-odd rule: a pixel is inside when its centre is (so a ring traced
 * along pixel borders gives back exactly its pixels); a centre exactly on an edge counts for the edge's left
 * or top side only, so rings sharing an edge never both take a pixel. Rings overlapping an odd number of
 * times are inside, which makes a ring inside another a hole.
 */
export function polygonToMask(rings: Flat | readonly Flat[], width: number, height: number): Uint8Array {
  const list = (typeof rings[0] === 'number' ? [rings] : rings) as readonly Flat[];
  const mask = new Uint8Array(width * height);
  const xs: number[] = [];
  let yMin = Infinity, yMax = -Infinity;
  for (const r of list) {
    if (r.length < 6 || r.length % 2) throw new Error(`a polygon needs at least 3 x,y pairs, got ${r.length} numbers`);
    for (let i = 1; i < r.length; i += 2) {
      yMin = Math.min(yMin, r[i]);
      yMax = Math.max(yMax, r[i]);
    }
  }
  const row0 = Math.max(0, Math.ceil(yMin - 0.5)), row1 = Math.min(height - 1, Math.ceil(yMax - 0.5) - 1);
  for (let y = row0; y <= row1; y++) {
    const yc = y + 0.5;
    xs.length = 0;
    for (const r of list) {
      const n = r.length;
      for (let i = 0; i < n; i += 2) {
        const j = (i + 2) % n;
        const y0 = r[i + 1], y1 = r[j + 1];
        // Half-open in y so a vertex on the scan line is counted once.
        if ((y0 <= yc && yc < y1) || (y1 <= yc && yc < y0)) xs.push(r[i] + ((yc - y0) * (r[j] - r[i])) / (y1 - y0));
      }
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      // Pixels whose centre x + 0.5 lies in [xa, xb).
      const from = Math.max(0, Math.ceil(xs[k] - 0.5));
      const to = Math.min(width, Math.ceil(xs[k + 1] - 0.5));
      mask.fill(1, y * width + from, y * width + Math.max(from, to));
    }
  }
  return mask;
}

// ---------------------------------------------------------------- mask → polygons

export interface Components {
  /** Row-major; 0 = background, 1..count = component. */
  labels: Int32Array;
  count: number;
}

/** Connected components of the non-zero pixels, numbered in raster order of their first pixel. */
export function labelComponents(mask: ArrayLike<number>, width: number, height: number, connectivity: 4 | 8 = 8): Components {
  if (mask.length !== width * height) throw new Error(`mask has ${mask.length} pixels, expected ${width}×${height}`);
  const labels = new Int32Array(width * height);
  const stack: number[] = [];
  let count = 0;
  for (let start = 0; start < labels.length; start++) {
    if (!mask[start] || labels[start]) continue;
    labels[start] = ++count;
    stack.push(start);
    while (stack.length) {
      const i = stack.pop()!;
      const x = i % width, y = (i - x) / width;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          if ((dx === 0 && dy === 0) || (connectivity === 4 && dx !== 0 && dy !== 0)) continue;
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const k = yy * width + xx;
          if (mask[k] && !labels[k]) {
            labels[k] = count;
            stack.push(k);
          }
        }
      }
    }
  }
  return { labels, count };
}

export interface MaskToPolygonsOptions {
  /** Douglas–Peucker tolerance in pixels; 0 keeps every corner of the pixel outline. */
  tolerance?: number;
  /** Skip components with fewer pixels than this. */
  minArea?: number;
}

/**
 * One polygon per 8-connected component: its outer border traced along pixel edges (holes are filled), then
 * simplified. Vertices are pixel corners, so with tolerance 0 `polygonToMask` gives the component back.
 * Rings run clockwise on screen.
 */
export function maskToPolygons(mask: ArrayLike<number>, width: number, height: number, opts: MaskToPolygonsOptions = {}): number[][] {
  const { tolerance = 0, minArea = 0 } = opts;
  const { labels, count } = labelComponents(mask, width, height, 8);
  const first = new Int32Array(count + 1).fill(-1);
  const area = new Int32Array(count + 1);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!l) continue;
    area[l]++;
    if (first[l] < 0) first[l] = i;
  }
  const out: number[][] = [];
  for (let l = 1; l <= count; l++) {
    if (area[l] < minArea) continue;
    const ring = traceOuterBorder(mask, width, height, first[l] % width, Math.floor(first[l] / width));
    out.push(tolerance > 0 ? simplifyRing(ring, tolerance) : ring);
  }
  return out;
}

// Directions: 0 right, 1 down, 2 left, 3 up (y grows downwards).
const DX = [1, 0, -1, 0];
const DY = [0, 1, 0, -1];

/**
 * Follow pixel edges with the component on the right, from the top-left corner of its first pixel in raster
 * order (nothing lies above or left of it, so that corner is on the outer border and visited once).
 */
function traceOuterBorder(mask: ArrayLike<number>, width: number, height: number, sx: number, sy: number): number[] {
  const inside = (x: number, y: number): boolean => x >= 0 && y >= 0 && x < width && y < height && !!mask[y * width + x];
  const ring: number[] = [];
  let x = sx, y = sy, d = 0;
  do {
    // The two pixels ahead of vertex (x, y) in direction d, on the left and on the right of the path.
    let lx: number, ly: number, rx: number, ry: number;
    if (d === 0) [lx, ly, rx, ry] = [x, y - 1, x, y];
    else if (d === 1) [lx, ly, rx, ry] = [x, y, x - 1, y];
    else if (d === 2) [lx, ly, rx, ry] = [x - 1, y, x - 1, y - 1];
    else [lx, ly, rx, ry] = [x - 1, y - 1, x, y - 1];
    // Turning left into a diagonal neighbour joins 8-connected pixels into one outline.
    const nd = inside(lx, ly) ? (d + 3) % 4 : inside(rx, ry) ? d : (d + 1) % 4;
    if (nd !== d || ring.length === 0) ring.push(x, y);
    d = nd;
    x += DX[d];
    y += DY[d];
  } while (x !== sx || y !== sy);
  return ring;
}

/** Douglas–Peucker on a closed ring, split at the vertex farthest from the first one. */
export function simplifyRing(ring: Flat, tolerance: number): number[] {
  const n = ring.length / 2;
  if (n <= 3 || tolerance <= 0) return [...ring];
  let far = 0, farD = -1;
  for (let i = 1; i < n; i++) {
    const d = Math.hypot(ring[2 * i] - ring[0], ring[2 * i + 1] - ring[1]);
    if (d > farD) [far, farD] = [i, d];
  }
  const keep = new Uint8Array(n + 1); // index n stands for vertex 0 closing the ring
  keep[0] = keep[far] = keep[n] = 1;
  const px = (i: number): number => ring[2 * (i % n)];
  const py = (i: number): number => ring[2 * (i % n) + 1];
  const stack: [number, number][] = [[0, far], [far, n]];
  while (stack.length) {
    const [a, b] = stack.pop()!;
    let best = -1, bestD = tolerance;
    for (let i = a + 1; i < b; i++) {
      const d = pointSegmentDistance(px(i), py(i), px(a), py(a), px(b), py(b));
      if (d > bestD) [best, bestD] = [i, d];
    }
    if (best >= 0) {
      keep[best] = 1;
      stack.push([a, best], [best, b]);
    }
  }
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (keep[i]) out.push(ring[2 * i], ring[2 * i + 1]);
  return out.length >= 6 ? out : [...ring];
}

function pointSegmentDistance(x: number, y: number, ax: number, ay: number, bx: number, by: number): number {
  const vx = bx - ax, vy = by - ay;
  const len2 = vx * vx + vy * vy;
  const t = len2 > 0 ? Math.max(0, Math.min(1, ((x - ax) * vx + (y - ay) * vy) / len2)) : 0;
  return Math.hypot(x - ax - t * vx, y - ay - t * vy);
}

// ---------------------------------------------------------------- convex geometry

/** Andrew's monotone chain; clockwise on screen (y down), no collinear vertices. */
export function convexHull(points: Flat): number[] {
  const sorted = Array.from({ length: points.length / 2 }, (_, i) => i).sort((a, b) => points[2 * a] - points[2 * b] || points[2 * a + 1] - points[2 * b + 1]);
  const idx = sorted.filter((v, k) => k === 0 || points[2 * v] !== points[2 * sorted[k - 1]] || points[2 * v + 1] !== points[2 * sorted[k - 1] + 1]);
  if (idx.length <= 2) return idx.flatMap((i) => [points[2 * i], points[2 * i + 1]]);
  const cross = (o: number, a: number, b: number): number =>
    (points[2 * a] - points[2 * o]) * (points[2 * b + 1] - points[2 * o + 1]) - (points[2 * a + 1] - points[2 * o + 1]) * (points[2 * b] - points[2 * o]);
  const hull: number[] = [];
  for (const pass of [idx, [...idx].reverse()]) {
    const start = hull.length;
    for (const i of pass) {
      while (hull.length >= start + 2 && cross(hull[hull.length - 2], hull[hull.length - 1], i) <= 0) hull.pop();
      hull.push(i);
    }
    hull.pop(); // the last point of each pass starts the other
  }
  return hull.flatMap((i) => [points[2 * i], points[2 * i + 1]]);
}

export interface RotatedRect {
  cx: number;
  cy: number;
  /** Along `angle`. */
  width: number;
  height: number;
  /** Radians of the `width` side from the x axis. */
  angle: number;
  /** The four corners, clockwise on screen. */
  points: number[];
}

/**
 * Minimum-area enclosing rectangle by rotating calipers over the convex hull: the best rectangle has a side on a
 * hull edge (Freeman & Shapira 1975), and the extreme points for consecutive edges only move forwards.
 */
export function minAreaRect(points: Flat): RotatedRect {
  const hull = convexHull(points);
  const h = hull.length / 2;
  if (h === 0) throw new Error('minAreaRect of no points');
  const X = (i: number): number => hull[2 * (i % h)];
  const Y = (i: number): number => hull[2 * (i % h) + 1];
  if (h === 1) return rectFrom(1, 0, X(0), X(0), Y(0), Y(0));
  if (h === 2) {
    const len = Math.hypot(X(1) - X(0), Y(1) - Y(0));
    const ux = (X(1) - X(0)) / len, uy = (Y(1) - Y(0)) / len;
    const a0 = X(0) * ux + Y(0) * uy, b = -X(0) * uy + Y(0) * ux;
    return rectFrom(ux, uy, a0, a0 + len, b, b);
  }
  // The hull runs clockwise on screen, which is counter-clockwise in the usual y-up sense: the inside lies on
  // the left of each edge direction (ux, uy), i.e. along n = (-uy, ux) in y-up terms.
  let best: Parameters<typeof rectFrom> = [1, 0, 0, 0, 0, 0];
  let bestArea = Infinity;
  let right = 0, far = 0, left = 0;
  for (let i = 0; i < h; i++) {
    const ex = X(i + 1) - X(i), ey = Y(i + 1) - Y(i);
    const len = Math.hypot(ex, ey);
    const ux = ex / len, uy = ey / len;
    const du = (k: number): number => X(k) * ux + Y(k) * uy;
    const dn = (k: number): number => -X(k) * uy + Y(k) * ux;
    if (i === 0) {
      right = far = left = 0;
      for (let k = 1; k < h; k++) {
        if (du(k) > du(right)) right = k;
        if (dn(k) > dn(far)) far = k;
        if (du(k) < du(left)) left = k;
      }
    } else {
      for (let s = 0; s < h && du(right + 1) >= du(right) - 1e-12; s++) right = (right + 1) % h;
      for (let s = 0; s < h && dn(far + 1) >= dn(far) - 1e-12; s++) far = (far + 1) % h;
      for (let s = 0; s < h && du(left + 1) <= du(left) + 1e-12; s++) left = (left + 1) % h;
    }
    const area = (du(right) - du(left)) * (dn(far) - dn(i));
    if (area < bestArea) [bestArea, best] = [area, [ux, uy, du(left), du(right), dn(i), dn(far)]];
  }
  return rectFrom(...best);
}

/** The rectangle [a0, a1] × [b0, b1] in the frame u = (ux, uy), n = (-uy, ux). */
function rectFrom(ux: number, uy: number, a0: number, a1: number, b0: number, b1: number): RotatedRect {
  const pt = (a: number, b: number): [number, number] => [a * ux - b * uy, a * uy + b * ux];
  const corners = [pt(a0, b0), pt(a1, b0), pt(a1, b1), pt(a0, b1)];
  const flat = corners.flat();
  if (signedArea(flat) < 0) corners.reverse();
  const c = pt((a0 + a1) / 2, (b0 + b1) / 2);
  return { cx: c[0], cy: c[1], width: a1 - a0, height: b1 - b0, angle: Math.atan2(uy, ux), points: corners.flat() };
}

/**
 * Grow a convex polygon outwards by `distance`: the Minkowski sum with a disc (pyclipper's round join, which
 * DBNet's unclip uses), arcs split finely enough to stay within `maxError` pixels of the true curve.
 * Keeps the input's orientation.
 */
export function offsetConvexPolygon(points: Flat, distance: number, maxError = 0.1): number[] {
  if (distance < 0) throw new Error(`offsetConvexPolygon grows polygons only; distance ${distance} is negative`);
  const pts: [number, number][] = [];
  for (let i = 0; i < points.length; i += 2) {
    const last = pts[pts.length - 1];
    if (!last || last[0] !== points[i] || last[1] !== points[i + 1]) pts.push([points[i], points[i + 1]]);
  }
  while (pts.length > 1 && pts[0][0] === pts[pts.length - 1][0] && pts[0][1] === pts[pts.length - 1][1]) pts.pop();
  if (pts.length === 0) throw new Error('offsetConvexPolygon of no points');
  const clockwise = signedArea(pts.flat()) >= 0; // on screen
  if (!clockwise) pts.reverse();
  const step = distance > maxError ? 2 * Math.acos(1 - maxError / distance) : Math.PI / 2;
  const n = pts.length;
  const out: number[] = [];
  // Outward normal of edge k (clockwise on screen): the edge direction turned by -90° on screen.
  const normalAngle = (k: number): number => {
    const [ax, ay] = pts[k], [bx, by] = pts[(k + 1) % n];
    return Math.atan2(-(bx - ax), by - ay);
  };
  for (let i = 0; i < n; i++) {
    const [px, py] = pts[i];
    const from = n === 1 ? 0 : normalAngle((i + n - 1) % n);
    let sweep = n === 1 ? 2 * Math.PI : normalAngle(i) - from;
    // Going clockwise on screen, the outward normal turns by increasing angle (y down).
    while (sweep < 0) sweep += 2 * Math.PI;
    const parts = Math.ceil(sweep / step - 1e-9);
    const last = n === 1 ? parts - 1 : parts; // a full circle must not repeat its first point
    for (let k = 0; k <= last; k++) {
      const t = parts ? from + (sweep * k) / parts : from;
      out.push(px + distance * Math.cos(t), py + distance * Math.sin(t));
    }
  }
  if (!clockwise) {
    const rev: number[] = [];
    for (let i = out.length - 2; i >= 0; i -= 2) rev.push(out[i], out[i + 1]);
    return rev;
  }
  return out;
}
