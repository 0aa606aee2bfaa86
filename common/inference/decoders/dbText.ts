/**
 * DBNet / PP-OCR text detection: a probability map [1, 1, H, W] (role `probability`, else the first output) →
 * one 4-point polygon per text region, following PaddleOCR's DBPostProcess (score_mode "fast"): binarise at
 * binaryThreshold; per 8-connected region take the minimum-area rectangle of its pixel centres; drop it if its
 * short side < minSize or the mean probability inside it < boxThreshold (or the run's score threshold); grow it by
 * d = area × unclipRatio / perimeter (round joins, like pyclipper); take the minimum-area rectangle again and
 * drop it if its short side < minSize + 2. Points run clockwise from the top-left, in image pixels.
 */
import { labelComponents, minAreaRect, offsetConvexPolygon, polygonArea, polygonPerimeter, polygonToMask, type RotatedRect } from '../../geometry/polygon.js';
import { TextDetectorSpec } from '../manifest.js';
import type { DecodedPrediction, DecodeResult, Tensor } from '../types.js';
import { nameOf } from './nms.js';
import { outputFor, toImageX, toImageY, type DecodeContext } from './types.js';

/** PaddleOCR's max_candidates: a noisy map cannot make the decoder trace thousands of specks. */
const MAX_CANDIDATES = 1000;

export function decodeDbText(outputs: Record<string, Tensor>, ctx: DecodeContext): DecodeResult {
  const { manifest, transform: tr } = ctx;
  const spec = manifest.textDetector ?? TextDetectorSpec.parse({});
  const t = outputFor(outputs, ctx, 'probability', 0);
  const name = nameOf(outputs, t);
  const dims = t.dims.filter((d, i) => !(d === 1 && i < t.dims.length - 2));
  if (dims.length !== 2 || t.data instanceof BigInt64Array) throw new Error(`${manifest.name}: output "${name}" is [${t.dims.join(', ')}]; a text probability map is [1, 1, H, W]`);
  const [h, w] = dims;
  const prob = t.data as ArrayLike<number>;

  const bitmap = new Uint8Array(w * h);
  for (let i = 0; i < bitmap.length; i++) {
    const p = prob[i];
    if (Number.isNaN(p)) throw new Error(`${manifest.name}: output "${name}" contains NaN`);
    if (p > spec.binaryThreshold) bitmap[i] = 1;
  }
  const { labels, count } = labelComponents(bitmap, w, h, 8);
  // The hull of a region's pixel centres is the hull of each row's two end pixels.
  const ends: number[][] = Array.from({ length: Math.min(count, MAX_CANDIDATES) }, () => []);
  for (let y = 0; y < h; y++) {
    let x = 0;
    while (x < w) {
      const l = labels[y * w + x];
      if (!l) {
        x++;
        continue;
      }
      let e = x;
      while (e + 1 < w && labels[y * w + e + 1] === l) e++;
      if (l <= MAX_CANDIDATES) ends[l - 1].push(x + 0.5, y + 0.5, e + 0.5, y + 0.5);
      x = e + 1;
    }
  }

  // The run's score threshold (the person's slider) can only be stricter than the detector's own.
  const minScore = Math.max(spec.boxThreshold, ctx.thresholds.score);
  // Map pixels → model input → image.
  const kx = tr.inputWidth / w, ky = tr.inputHeight / h;
  const predictions: DecodedPrediction[] = [];
  for (const pts of ends) {
    const rect = minAreaRect(pts);
    if (Math.min(rect.width, rect.height) < spec.minSize) continue;
    const score = meanInside(prob, w, h, grownCorners(rect, 0.5));
    if (score < minScore) continue;
    const d = (polygonArea(rect.points) * spec.unclipRatio) / polygonPerimeter(rect.points);
    const box = minAreaRect(offsetConvexPolygon(rect.points, d));
    if (Math.min(box.width, box.height) < spec.minSize + 2) continue;
    const points = clockwiseFromTopLeft(box.points).flatMap(([x, y]) => [toImageX(x * kx, tr), toImageY(y * ky, tr)]);
    predictions.push({ kind: 'polygon', classIndex: null, label: 'text', score, geometry: { type: 'polygon', points } });
    if (predictions.length >= ctx.thresholds.maxDetections) break;
  }
  return { predictions };
}

/**
 * The rectangle's corners with `by` added to each half-side: its corners lie on pixel centres, and half a pixel
 * more takes in the border pixels, as PaddleOCR's fillPoly of the same box does.
 */
function grownCorners(r: RotatedRect, by: number): number[] {
  const ux = Math.cos(r.angle), uy = Math.sin(r.angle);
  const a = r.width / 2 + by, b = r.height / 2 + by;
  return [[-a, -b], [a, -b], [a, b], [-a, b]].flatMap(([s, t]) => [r.cx + s * ux - t * uy, r.cy + s * uy + t * ux]);
}

/** Mean of `prob` over the pixels whose centre lies in the polygon, rasterised inside its bounding box only. */
function meanInside(prob: ArrayLike<number>, w: number, h: number, poly: number[]): number {
  const xs = poly.filter((_, i) => i % 2 === 0), ys = poly.filter((_, i) => i % 2 === 1);
  const x0 = Math.max(0, Math.floor(Math.min(...xs))), x1 = Math.min(w, Math.ceil(Math.max(...xs)));
  const y0 = Math.max(0, Math.floor(Math.min(...ys))), y1 = Math.min(h, Math.ceil(Math.max(...ys)));
  if (x1 <= x0 || y1 <= y0) return 0;
  const bw = x1 - x0, bh = y1 - y0;
  const mask = polygonToMask(poly.map((v, i) => v - (i % 2 ? y0 : x0)), bw, bh);
  let s = 0, n = 0;
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) {
      if (mask[y * bw + x]) {
        s += prob[(y0 + y) * w + x0 + x];
        n++;
      }
    }
  }
  return n ? s / n : 0;
}

/** PaddleOCR's get_mini_boxes order: the left pair by y gives top-left and bottom-left, the right pair the others. */
function clockwiseFromTopLeft(p: readonly number[]): [number, number][] {
  const pts: [number, number][] = [[p[0], p[1]], [p[2], p[3]], [p[4], p[5]], [p[6], p[7]]];
  pts.sort((a, b) => a[0] - b[0]);
  const [tl, bl] = pts[0][1] <= pts[1][1] ? [pts[0], pts[1]] : [pts[1], pts[0]];
  const [tr, br] = pts[2][1] <= pts[3][1] ? [pts[2], pts[3]] : [pts[3], pts[2]];
  return [tl, tr, br, bl];
}
