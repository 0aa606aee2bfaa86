/**
 * Mask predictions arrive as COCO uncompressed RLE: run lengths over the pixels in column-major order (x outer,
 * y inner), alternating zeros and ones and starting with a run of zeros (which may be 0 long).
 */

/** Row-major alpha (y * width + x): 255 inside, 0 outside. Throws when the runs do not cover width × height. */
export function rleToAlphaMask(counts: readonly number[], width: number, height: number): Uint8Array {
  const total = width * height;
  const covered = counts.reduce((a, b) => a + b, 0);
  if (covered !== total) throw new Error(`mask runs cover ${covered} pixels, expected ${width}×${height} = ${total}`);
  const alpha = new Uint8Array(total);
  let i = 0;
  for (let r = 0; r < counts.length; r++) {
    const run = counts[r];
    // Odd runs are ones; walk them column by column instead of pixel by pixel.
    if (r % 2 === 1) {
      let left = run;
      let pos = i;
      while (left > 0) {
        const x = Math.floor(pos / height);
        const y0 = pos - x * height;
        const n = Math.min(left, height - y0);
        for (let y = y0, idx = y0 * width + x; y < y0 + n; y++, idx += width) alpha[idx] = 255;
        pos += n;
        left -= n;
      }
    }
    i += run;
  }
  return alpha;
}

/**
 * RGBA pixels for a mask in one colour: the inside at `fillAlpha`, the boundary (an inside pixel with a 4-neighbour
 * outside or at the image edge) opaque, so touching instances of one class stay apart.
 */
export function maskToRgba(
  alpha: Uint8Array,
  width: number,
  height: number,
  rgb: readonly [number, number, number],
  fillAlpha = 110,
): Uint8ClampedArray {
  const out = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!alpha[i]) continue;
      const edge =
        x === 0 || y === 0 || x === width - 1 || y === height - 1 ||
        !alpha[i - 1] || !alpha[i + 1] || !alpha[i - width] || !alpha[i + width];
      const o = i * 4;
      out[o] = rgb[0];
      out[o + 1] = rgb[1];
      out[o + 2] = rgb[2];
      out[o + 3] = edge ? 255 : fillAlpha;
    }
  }
  return out;
}

/**
 * Where a mask's label goes: its first pixel in reading order (top row, then leftmost), in mask pixels. A
 * segmenter's class mask covers several separate regions, and a corner of their joint bounding box can lie on
 * none of them. Null for an empty mask.
 */
export function labelAnchor(alpha: Uint8Array, width: number): { x: number; y: number } | null {
  const first = alpha.findIndex((v) => v !== 0);
  return first < 0 ? null : { x: first % width, y: Math.floor(first / width) };
}
