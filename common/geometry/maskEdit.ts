/**
 * Editing binary masks: painting with a round brush into a row-major mask, and moving, re-framing and probing
 * COCO RLE masks (column-major counts, see rle.ts) without decoding them.
 */
import type { Rle } from './rle.js';

/** A pixel rectangle, x0/y0 inclusive, x1/y1 exclusive. */
export interface PixelRect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * Paint a stroke segment of a round brush of `diameter` pixels from (ax, ay) to (bx, by) into a row-major
 * width×height mask: every pixel whose centre lies within diameter / 2 of the segment gets `value`, and so does
 * the pixel under each end point (a 1 px brush between pixel centres would otherwise paint nothing). Pixels
 * outside the image are skipped, so a stroke that leaves the image is clipped at the border. Returns the
 * rectangle of pixels it may have changed, or null when the stroke misses the image.
 */
export function paintStroke(
  mask: Uint8Array,
  width: number,
  height: number,
  ax: number,
  ay: number,
  bx: number,
  by: number,
  diameter: number,
  value: 0 | 1,
): PixelRect | null {
  const r = Math.max(0, diameter) / 2;
  const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - r));
  const y0 = Math.max(0, Math.floor(Math.min(ay, by) - r));
  const x1 = Math.min(width, Math.ceil(Math.max(ax, bx) + r) + 1);
  const y1 = Math.min(height, Math.ceil(Math.max(ay, by) + r) + 1);
  if (x0 >= x1 || y0 >= y1) return null;
  const vx = bx - ax, vy = by - ay;
  const len2 = vx * vx + vy * vy;
  const r2 = r * r;
  for (let y = y0; y < y1; y++) {
    const cy = y + 0.5;
    for (let x = x0; x < x1; x++) {
      const cx = x + 0.5;
      const t = len2 > 0 ? Math.max(0, Math.min(1, ((cx - ax) * vx + (cy - ay) * vy) / len2)) : 0;
      const dx = cx - ax - t * vx, dy = cy - ay - t * vy;
      if (dx * dx + dy * dy <= r2) mask[y * width + x] = value;
    }
  }
  for (const [px, py] of [[ax, ay], [bx, by]]) {
    const ix = Math.floor(px), iy = Math.floor(py);
    if (ix >= 0 && iy >= 0 && ix < width && iy < height) mask[iy * width + ix] = value;
  }
  return { x0, y0, x1, y1 };
}

/**
 * Move a mask by whole pixels (dx, dy). Every set pixel must stay inside the image (the caller clamps the move
 * by the mask's bounding box): then each pixel's column-major index moves by dx·height + dy, so the move is a
 * change of the first and last runs, O(runs) whatever the image size.
 */
export function shiftRle(rle: Rle, dx: number, dy: number): Rle {
  if (!Number.isInteger(dx) || !Number.isInteger(dy)) throw new Error(`a mask moves by whole pixels, got (${dx}, ${dy})`);
  const off = dx * rle.height + dy;
  if (off === 0) return { width: rle.width, height: rle.height, counts: [...rle.counts] };
  const counts = [...rle.counts];
  if (counts.length < 2) return { width: rle.width, height: rle.height, counts }; // empty mask
  counts[0] += off;
  if (counts.length % 2 === 1) counts[counts.length - 1] -= off;
  else counts.push(-off); // the mask ran to the end: zeros now follow it (off < 0 when it fits)
  if (counts[0] < 0 || counts[counts.length - 1] < 0) {
    throw new Error(`moving the mask by (${dx}, ${dy}) takes it out of the ${rle.width}×${rle.height} image`);
  }
  // A trailing empty run of zeros after a ones run is legal but untidy: drop it.
  if (counts.length % 2 === 1 && counts.length > 1 && counts[counts.length - 1] === 0) counts.pop();
  return { width: rle.width, height: rle.height, counts };
}

/**
 * The same mask on a width×height canvas, anchored at the top-left corner: pixels beyond the new size are
 * cut off, new pixels are empty (a mask pasted onto an image of another size).
 */
export function reframeRle(rle: Rle, width: number, height: number): Rle {
  if (rle.width === width && rle.height === height) return { width, height, counts: [...rle.counts] };
  const counts: number[] = [];
  let value = 0, run = 0;
  const emit = (v: number, n: number): void => {
    if (n <= 0) return;
    if (v !== value) {
      counts.push(run);
      value = v;
      run = 0;
    }
    run += n;
  };
  // Walk the source runs column by column, copying the overlapping part of each column.
  const h = rle.height, keepH = Math.min(h, height), keepW = Math.min(rle.width, width);
  let k = 0, left = rle.counts[0] ?? 0, v = 0;
  const take = (n: number, sink: ((v: number, n: number) => void) | null): void => {
    while (n > 0) {
      while (left === 0 && k + 1 < rle.counts.length) {
        k++;
        left = rle.counts[k];
        v = k & 1;
      }
      if (left === 0) return;
      const m = Math.min(n, left);
      sink?.(v, m);
      left -= m;
      n -= m;
    }
  };
  for (let x = 0; x < keepW; x++) {
    take(keepH, emit);
    take(h - keepH, null);
    emit(0, height - keepH);
  }
  emit(0, (width - keepW) * height);
  counts.push(run);
  return { width, height, counts };
}

/**
 * Point queries on an RLE mask without decoding it: the start of every run, searched by bisection. Costs 8
 * bytes a run instead of a byte a pixel (a 4000×3000 mask decoded is 12 MB).
 */
export class RleProbe {
  private readonly starts: Float64Array;
  constructor(private readonly rle: Rle) {
    this.starts = new Float64Array(rle.counts.length);
    let at = 0;
    for (let k = 0; k < rle.counts.length; k++) {
      this.starts[k] = at;
      at += rle.counts[k];
    }
  }

  /** Whether pixel (x, y) (integers) is set. */
  has(x: number, y: number): boolean {
    const { width, height, counts } = this.rle;
    if (x < 0 || y < 0 || x >= width || y >= height) return false;
    const i = x * height + y;
    let lo = 0, hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= i) lo = mid;
      else hi = mid - 1;
    }
    // Runs of zero length share their start with the next run, and bisection lands on the last of them.
    return (lo & 1) === 1 && i < this.starts[lo] + counts[lo];
  }
}
