/**
 * Offscreen canvases for the overlay layers: instance masks tinted in their class colour (cached per prediction id,
 * since predictions never change), score maps and attention grids through the heat-map colours.
 */
import { attentionToBytes, decodeBase64, heatmapRgba } from './heatmap.js';
import { maskToRgba, rleToAlphaMask } from './rle.js';

export interface MaskBitmap {
  canvas: HTMLCanvasElement;
  /** Bounding box of the mask's pixels, in mask pixels: where its label goes. Null for an empty mask. */
  bbox: { x: number; y: number; width: number; height: number } | null;
}

function rgbaCanvas(rgba: Uint8ClampedArray, width: number, height: number): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  canvas.getContext('2d')!.putImageData(new ImageData(rgba as Uint8ClampedArray<ArrayBuffer>, width, height), 0, 0);
  return canvas;
}

/** A few hundred full-size masks is the most worth keeping; older ones are re-decoded if they come back. */
const MASK_CACHE_MAX = 256;
const maskCache = new Map<string, MaskBitmap>();

export function maskBitmap(
  id: number,
  geometry: { width: number; height: number; counts: readonly number[] },
  rgb: readonly [number, number, number],
): MaskBitmap {
  const key = `${id}:${rgb.join(',')}`;
  const hit = maskCache.get(key);
  if (hit) {
    maskCache.delete(key);
    maskCache.set(key, hit);
    return hit;
  }
  const { width, height } = geometry;
  const alpha = rleToAlphaMask(geometry.counts, width, height);
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!alpha[y * width + x]) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  const bitmap: MaskBitmap = {
    canvas: rgbaCanvas(maskToRgba(alpha, width, height, rgb), width, height),
    bbox: x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 },
  };
  maskCache.set(key, bitmap);
  if (maskCache.size > MASK_CACHE_MAX) maskCache.delete(maskCache.keys().next().value!);
  return bitmap;
}

/** A segmenter's per-class score map (uint8, base64) as a heat-map at its own resolution. */
export function scoreMapBitmap(map: { width: number; height: number; data: string }): HTMLCanvasElement {
  const values = decodeBase64(map.data);
  if (values.length !== map.width * map.height) {
    throw new Error(`score map has ${values.length} values, expected ${map.width}×${map.height}`);
  }
  // Where the class is unlikely the image shows through untouched.
  return rgbaCanvas(heatmapRgba(values, 0, 200), map.width, map.height);
}

/** One word's attention over the rows × cols feature grid, a canvas of rows × cols pixels. */
export function attentionBitmap(weights: readonly number[], rows: number, cols: number): HTMLCanvasElement {
  return rgbaCanvas(heatmapRgba(attentionToBytes(weights, rows, cols), 0, 170), cols, rows);
}
