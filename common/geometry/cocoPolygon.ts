/**
 * COCO polygons to RLE, bit for bit as pycocotools does it (`frPyObjects(polys, h, w)` then `merge`), so the
 * masks, areas and boxes we derive from a COCO file are the ones every COCO consumer derives.
 *
 * pycocotools' rasteriser (maskApi.c `rleFrPoly`) is not a centre-sampling scan converter like
 * `polygonToMask`: it walks the outline at 5× resolution, keeps one boundary point where the walk crosses a
 * pixel column's centre, and turns the sorted column-major positions of those points into runs. Its
 * rounding (C casts that truncate towards zero, a +0.5 before them, a ceil on y) decides edge pixels, so it is
 * reproduced step by step here rather than approximated.
 */
import type { Rle } from './rle.js';

/** Upsampling factor of the outline walk (maskApi.c `scale`). */
const SCALE = 5;

/**
 * Refuse outlines whose 5× walk has more steps than this: pycocotools allocates and walks every step, so a
 * coordinate of 1e9 in a hostile file would take minutes and gigabytes. 2e8 steps is a perimeter of 4e7
 * pixels, far beyond any real image, and runs in well under a second.
 */
export const MAX_POLYGON_WALK = 200_000_000;

/** C's `(int)` cast of a double: truncation towards zero. */
const toInt = Math.trunc;

/**
 * One ring (flat x,y pairs, at least 3 points) as a column-major RLE of an h×w image (maskApi.c rleFrPoly).
 * Counts may start with 0; they never hold a zero run elsewhere.
 */
export function rleFromPolygon(ring: readonly number[], height: number, width: number): Rle {
  const k = ring.length >> 1;
  if (k === 0) return { width, height, counts: [height * width] };
  // Vertices at 5× scale, rounded as `(int)(scale*x + .5)`.
  const x = new Array<number>(k + 1), y = new Array<number>(k + 1);
  let steps = 0;
  for (let j = 0; j < k; j++) {
    x[j] = toInt(SCALE * ring[2 * j] + 0.5);
    y[j] = toInt(SCALE * ring[2 * j + 1] + 0.5);
  }
  x[k] = x[0];
  y[k] = y[0];
  for (let j = 0; j < k; j++) steps += Math.max(Math.abs(x[j] - x[j + 1]), Math.abs(y[j] - y[j + 1])) + 1;
  if (!(steps <= MAX_POLYGON_WALK)) {
    throw new Error(`polygon outline is too long to rasterise (${steps} steps at 5× scale, at most ${MAX_POLYGON_WALK})`);
  }

  // Walk every segment densely (one step along its longer axis) and, as pycocotools does in a second pass
  // over the stored walk, keep a boundary point wherever consecutive walk points change column. Doing it on
  // the fly avoids storing the walk; the comparisons are the same (each point with the one before it).
  const positions: number[] = []; // column-major positions x*h + y of the kept boundary points
  let pu = 0, pv = 0, first = true;
  const visit = (u: number, v: number): void => {
    if (!first && u !== pu) {
      let xd = u < pu ? u : u - 1;
      xd = (xd + 0.5) / SCALE - 0.5;
      // Only walk steps that land exactly on a column centre inside the image count.
      if (Math.floor(xd) === xd && xd >= 0 && xd <= width - 1) {
        let yd = v < pv ? v : pv;
        yd = (yd + 0.5) / SCALE - 0.5;
        if (yd < 0) yd = 0;
        else if (yd > height) yd = height;
        yd = Math.ceil(yd);
        positions.push(xd * height + yd);
      }
    }
    first = false;
    pu = u;
    pv = v;
  };
  for (let j = 0; j < k; j++) {
    let xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1];
    const dx = Math.abs(xe - xs), dy = Math.abs(ys - ye);
    // Each segment is walked from its lower end along the major axis, so both directions of an edge give the
    // same points; `t` then runs backwards to keep the walk in ring order.
    const flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) {
      [xs, xe] = [xe, xs];
      [ys, ye] = [ye, ys];
    }
    if (dx >= dy) {
      // dx = dy = 0 (a repeated vertex) gives 0/0 = NaN in C; that point never starts a new column, so its
      // v is never read and 0 serves as well.
      const s = dx === 0 ? 0 : (ye - ys) / dx;
      for (let d = 0; d <= dx; d++) {
        const t = flip ? dx - d : d;
        visit(t + xs, toInt(ys + s * t + 0.5));
      }
    } else {
      const s = (xe - xs) / dy;
      for (let d = 0; d <= dy; d++) {
        const t = flip ? dy - d : d;
        visit(toInt(xs + s * t + 0.5), t + ys);
      }
    }
  }

  // Sorted boundary positions are where the mask toggles; their differences are the runs. Two equal positions
  // toggle twice (no change): drop the zero run and fold the next run into the previous one.
  const a = Float64Array.from(positions);
  a.sort();
  const counts: number[] = [];
  let prev = 0;
  const diffs = new Array<number>(a.length + 1);
  for (let j = 0; j < a.length; j++) {
    diffs[j] = a[j] - prev;
    prev = a[j];
  }
  diffs[a.length] = height * width - prev;
  let j = 0;
  counts.push(diffs[j++]);
  while (j < diffs.length) {
    if (diffs[j] > 0) counts.push(diffs[j++]);
    else {
      j++;
      if (j < diffs.length) counts[counts.length - 1] += diffs[j++];
    }
  }
  return { width, height, counts };
}

/**
 * Union (or intersection) of same-size RLEs by walking their runs together (maskApi.c rleMerge). One RLE is
 * returned as given, as pycocotools does.
 */
export function rleMerge(rles: readonly Rle[], intersect = false): Rle {
  if (rles.length === 0) throw new Error('rleMerge of no masks');
  const { width, height } = rles[0];
  if (rles.length === 1) return { width, height, counts: [...rles[0].counts] };
  let cnts = [...rles[0].counts];
  for (let i = 1; i < rles.length; i++) {
    const B = rles[i];
    if (B.width !== width || B.height !== height) {
      throw new Error(`cannot merge masks of different sizes: ${width}×${height} and ${B.width}×${B.height}`);
    }
    const A = cnts;
    const out: number[] = [];
    let ca = A[0], cb = B.counts[0];
    let v = false, va = false, vb = false;
    let a = 1, b = 1, cc = 0, ct = 1;
    while (ct > 0) {
      const c = Math.min(ca, cb);
      cc += c;
      ct = 0;
      ca -= c;
      if (!ca && a < A.length) {
        ca = A[a++];
        va = !va;
      }
      ct += ca;
      cb -= c;
      if (!cb && b < B.counts.length) {
        cb = B.counts[b++];
        vb = !vb;
      }
      ct += cb;
      const vp: boolean = v;
      v = intersect ? va && vb : va || vb;
      if (v !== vp || ct === 0) {
        out.push(cc);
        cc = 0;
      }
    }
    cnts = out;
  }
  return { width, height, counts: cnts };
}

/** Several rings of one COCO annotation as one mask: pycocotools' `merge(frPyObjects(rings, h, w))`. */
export function rleFromPolygons(rings: readonly (readonly number[])[], height: number, width: number): Rle {
  if (rings.length === 0) return { width, height, counts: [height * width] };
  return rleMerge(rings.map((r) => rleFromPolygon(r, height, width)));
}
