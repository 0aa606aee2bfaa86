/**
 * COCO uncompressed RLE (column-major run lengths, starting with a run of zeros), kept local to the shapes generator
 * so it has no dependency on the general geometry module.
 */
export interface ShapeRle {
  size: [number, number];
  counts: number[];
}

/** `mask` is row-major (y * width + x), non-zero = inside. */
export function encodeMaskRle(mask: Uint8Array, width: number, height: number): ShapeRle {
  const counts: number[] = [];
  let current = 0, run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const v = mask[y * width + x] ? 1 : 0;
      if (v !== current) {
        counts.push(run);
        current = v;
        run = 0;
      }
      run++;
    }
  }
  counts.push(run);
  return { size: [height, width], counts };
}

export function decodeMaskRle(rle: ShapeRle): Uint8Array {
  const [height, width] = rle.size;
  const mask = new Uint8Array(width * height);
  let i = 0, v = 0;
  for (const run of rle.counts) {
    for (let k = 0; k < run; k++, i++) if (v) mask[(i % height) * width + Math.floor(i / height)] = 1;
    v ^= 1;
  }
  if (i !== width * height) throw new Error(`RLE counts cover ${i} pixels, expected ${width}×${height}`);
  return mask;
}
