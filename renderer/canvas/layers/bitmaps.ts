/**
 * Offscreen canvases for the overlay layers: instance masks tinted in their class colour (cached per prediction id,
 * since predictions never change), score maps and attention grids through the heat-map colours.
 */
import { attentionToBytes, decodeBase64, heatmapRgba } from './heatmap.js';
import { labelAnchor, maskToRgba, rleToAlphaMask } from './rle.js';

export interface MaskBitmap {
  canvas: HTMLCanvasElement;
  /** Where its label goes (`labelAnchor`), in mask pixels; null for an empty mask. */
  anchor: { x: number; y: number } | null;
}

/** An offscreen canvas holding these RGBA pixels. */
export function rgbaCanvas(rgba: Uint8ClampedArray, width: number, height: number): HTMLCanvasElement {
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
  const bitmap: MaskBitmap = {
    canvas: rgbaCanvas(maskToRgba(alpha, width, height, rgb), width, height),
    anchor: labelAnchor(alpha, width),
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
