/**
 * COCO run-length encoding of binary masks. Counts run down the columns (column-major, like pycocotools, which
 * takes Fortran-order arrays) and always start with a run of zeros, possibly empty. Masks handed in and out
 * of this module are row-major (y * width + x), the way images are.
 */

export interface Rle {
  width: number;
  height: number;
  counts: number[];
}

/** `mask` is row-major, non-zero = inside. */
export function encodeRle(mask: ArrayLike<number>, width: number, height: number): Rle {
  if (mask.length !== width * height) throw new Error(`mask has ${mask.length} pixels, expected ${width}×${height}`);
  return encodeRleWindow(mask, 0, 0, width, height, width, height);
}

/**
 * Encode a mask that is empty outside a window: `window` is row-major winW×winH placed at (x0, y0) in a
 * width×height image. Decoders paste one box-sized mask per detection without allocating the whole image.
 */
export function encodeRleWindow(
  window: ArrayLike<number>,
  x0: number,
  y0: number,
  winW: number,
  winH: number,
  width: number,
  height: number,
): Rle {
  if (x0 < 0 || y0 < 0 || x0 + winW > width || y0 + winH > height) {
    throw new Error(`window ${winW}×${winH} at (${x0}, ${y0}) does not fit in ${width}×${height}`);
  }
  if (window.length !== winW * winH) throw new Error(`window has ${window.length} pixels, expected ${winW}×${winH}`);
  const counts: number[] = [];
  let value = 0, run = 0;
  const zeros = (n: number): void => {
    if (n > 0 && value === 1) {
      counts.push(run);
      value = 0;
      run = 0;
    }
    run += n;
  };
  zeros(x0 * height);
  const below = height - y0 - winH;
  for (let x = 0; x < winW; x++) {
    zeros(y0);
    for (let i = x; i < window.length; i += winW) {
      const v = window[i] ? 1 : 0;
      if (v !== value) {
        counts.push(run);
        value = v;
        run = 0;
      }
      run++;
    }
    zeros(below);
  }
  zeros((width - x0 - winW) * height);
  counts.push(run);
  return { width, height, counts };
}

/**
 * One RLE per label present in a row-major label map, in one column-major pass: a change of label closes a
 * run of the old label and opens one of the new, so the cost is pixels + label changes, not pixels × labels.
 */
export function encodeLabelRles(labels: ArrayLike<number>, width: number, height: number): Map<number, Rle> {
  if (labels.length !== width * height) throw new Error(`label map has ${labels.length} pixels, expected ${width}×${height}`);
  const edges = new Map<number, number[]>(); // label → positions where it starts and stops, alternating
  let prev = -1;
  let i = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++, i++) {
      const l = labels[y * width + x];
      if (l === prev) continue;
      if (prev >= 0) edges.get(prev)!.push(i);
      let e = edges.get(l);
      if (!e) edges.set(l, (e = []));
      e.push(i);
      prev = l;
    }
  }
  const total = width * height;
  const out = new Map<number, Rle>();
  for (const [label, e] of edges) {
    const counts: number[] = [];
    let at = 0;
    for (const pos of e) {
      counts.push(pos - at);
      at = pos;
    }
    counts.push(total - at); // zeros after the last stop, or the last run when the label reaches the end
    out.set(label, { width, height, counts });
  }
  return out;
}

/** Row-major 0/1 mask. */
export function decodeRle(rle: Rle): Uint8Array {
  const { width, height, counts } = rle;
  checkCounts(rle);
  const mask = new Uint8Array(width * height);
  let i = 0;
  for (let k = 0; k < counts.length; k++) {
    const end = i + counts[k];
    if (k & 1) for (; i < end; i++) mask[(i % height) * width + ((i / height) | 0)] = 1;
    else i = end;
  }
  return mask;
}

function checkCounts(rle: Rle): void {
  let total = 0;
  for (const c of rle.counts) {
    if (!Number.isInteger(c) || c < 0) throw new Error(`RLE count ${c} is not a non-negative integer`);
    total += c;
  }
  if (total !== rle.width * rle.height) throw new Error(`RLE counts cover ${total} pixels, expected ${rle.width}×${rle.height} = ${rle.width * rle.height}`);
}

export function rleArea(rle: Rle): number {
  let a = 0;
  for (let k = 1; k < rle.counts.length; k += 2) a += rle.counts[k];
  return a;
}

/** [x, y, w, h] in whole pixels, as pycocotools' toBbox; [0, 0, 0, 0] for an empty mask. */
export function rleBbox(rle: Rle): [number, number, number, number] {
  const h = rle.height;
  let xs = Infinity, ys = Infinity, xe = -1, ye = -1;
  let i = 0;
  for (let k = 0; k < rle.counts.length; k++) {
    const n = rle.counts[k];
    if (k & 1 && n > 0) {
      const first = i, last = i + n - 1;
      const x0 = Math.floor(first / h), x1 = Math.floor(last / h);
      xs = Math.min(xs, x0);
      xe = Math.max(xe, x1);
      if (x1 > x0) {
        ys = 0;
        ye = h - 1;
      } else {
        ys = Math.min(ys, first - x0 * h);
        ye = Math.max(ye, last - x0 * h);
      }
    }
    i += n;
  }
  return xe < 0 ? [0, 0, 0, 0] : [xs, ys, xe - xs + 1, ye - ys + 1];
}

/** Pixels set in both masks, by walking the two run lists together. */
export function rleIntersection(a: Rle, b: Rle): number {
  if (a.width !== b.width || a.height !== b.height) throw new Error(`RLE sizes differ: ${a.width}×${a.height} vs ${b.width}×${b.height}`);
  let ia = 0, ib = 0; // run index
  let ra = a.counts[0] ?? 0, rb = b.counts[0] ?? 0; // pixels left in the current runs
  let inter = 0;
  while (ia < a.counts.length && ib < b.counts.length) {
    const step = Math.min(ra, rb);
    if (ia & 1 && ib & 1) inter += step;
    ra -= step;
    rb -= step;
    while (ra === 0 && ++ia < a.counts.length) ra = a.counts[ia];
    while (rb === 0 && ++ib < b.counts.length) rb = b.counts[ib];
  }
  return inter;
}

/**
 * Intersection over union; with `crowd`, over the area of `a` alone (COCO's rule for crowd ground truth `b`).
 * Two empty masks have IoU 0.
 */
export function rleIou(a: Rle, b: Rle, crowd = false): number {
  const inter = rleIntersection(a, b);
  const union = crowd ? rleArea(a) : rleArea(a) + rleArea(b) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * COCO's compressed "counts" string (pycocotools' rleToString): each count, minus the count two places back
 * from the fourth one on, as a signed LEB128-like number in 5-bit groups, each written as chr(48 + group),
 * bit 0x20 meaning "more groups follow".
 */
export function rleToString(counts: readonly number[]): string {
  let s = '';
  for (let i = 0; i < counts.length; i++) {
    // `i > 2`, not `i >= 2`: pycocotools does this, and files in the wild depend on it.
    let x = i > 2 ? counts[i] - counts[i - 2] : counts[i];
    let more = true;
    while (more) {
      let c = x & 0x1f;
      x = Math.floor(x / 32); // arithmetic shift that stays right past 32 bits
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      s += String.fromCharCode(c + 48);
    }
  }
  return s;
}

export function rleFromString(s: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0, k = 0, more = true;
    while (more) {
      if (p >= s.length) throw new Error(`COCO RLE string ends inside a number at character ${p}`);
      const c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new Error(`COCO RLE string has "${s[p]}" at character ${p}; only characters 0 to o are valid`);
      x += (c & 0x1f) * 2 ** (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && c & 0x10) x -= 2 ** (5 * k); // sign-extend
    }
    if (counts.length > 2) x += counts[counts.length - 2];
    if (x < 0) throw new Error(`COCO RLE string decodes to a negative count at character ${p}`);
    counts.push(x);
  }
  return counts;
}
