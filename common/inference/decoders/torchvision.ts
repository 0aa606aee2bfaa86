/**
 * torchvision detection graphs, which already ran NMS: `boxes` [N, 4] (x1, y1, x2, y2 in model-input pixels),
 * `labels` [N] (int64, background = 0 unless `labelOffset` is 0), `scores` [N]; Mask R-CNN adds `masks`
 * [N, 1, H, W] (probabilities already pasted at input size) and, in our exports, `proposals` [K, 4] (the RPN's
 * boxes, to show what the second stage started from). Outputs are found by role name (or the manifest's
 * `outputs` mapping), else by shape and type: SSD and RetinaNet emit boxes, scores, labels, while Faster and
 * Mask R-CNN emit boxes, labels, scores, so position cannot tell labels from scores but the dtype can.
 */
import { encodeRleWindow } from '../../geometry/rle.js';
import { thresholdWindow } from '../../geometry/raster.js';
import type { DecodedPrediction, DecodeResult, Tensor } from '../types.js';
import { boxToImage, classLabel, nameOf } from './nms.js';
import { outputFor, type DecodeContext } from './types.js';

const isInt = (t: Tensor): boolean => t.data instanceof BigInt64Array || t.data instanceof Int32Array;

/** Rank `rank` after dropping leading axes of size 1 (exports with a batch axis give [1, N, 4]). */
function hasRank(t: Tensor, rank: number): boolean {
  return t.dims.length >= rank && t.dims.slice(0, t.dims.length - rank).every((d) => d === 1);
}

const SHAPES: Record<string, (t: Tensor) => boolean> = {
  boxes: (t) => !isInt(t) && hasRank(t, 2) && t.dims[t.dims.length - 1] === 4,
  labels: (t) => isInt(t) && hasRank(t, 1),
  scores: (t) => !isInt(t) && hasRank(t, 1),
  masks: (t) => !isInt(t) && t.dims.length === 4,
};

function find(outputs: Record<string, Tensor>, ctx: DecodeContext, role: string, taken: Set<Tensor>): Tensor {
  if (ctx.manifest.outputs[role] !== undefined || outputs[role]) return outputFor(outputs, ctx, role, -1);
  const t = Object.values(outputs).find((o) => !taken.has(o) && SHAPES[role](o));
  if (!t) {
    const seen = Object.entries(outputs).map(([k, o]) => `${k} [${o.dims.join(', ')}]`).join(', ');
    throw new Error(`${ctx.manifest.name}: no output looks like torchvision's "${role}" (outputs: ${seen}); map it in the manifest's "outputs"`);
  }
  return t;
}

interface Detections {
  boxes: ArrayLike<number>;
  labels: number[];
  scores: ArrayLike<number>;
  /** Indices above the score threshold, best first, at most maxDetections. */
  order: number[];
}

function readDetections(outputs: Record<string, Tensor>, ctx: DecodeContext, taken: Set<Tensor>): Detections {
  const { manifest } = ctx;
  const b = find(outputs, ctx, 'boxes', taken);
  taken.add(b);
  const l = find(outputs, ctx, 'labels', taken);
  taken.add(l);
  const s = find(outputs, ctx, 'scores', taken);
  taken.add(s);
  const n = s.data.length;
  if (b.data.length !== n * 4 || l.data.length !== n) {
    throw new Error(
      `${manifest.name}: torchvision outputs disagree: "${nameOf(outputs, b)}" [${b.dims.join(', ')}], "${nameOf(outputs, l)}" [${l.dims.join(', ')}], "${nameOf(outputs, s)}" [${s.dims.join(', ')}]; expected [N, 4], [N], [N]`,
    );
  }
  const scores = s.data as ArrayLike<number>;
  const labels = Array.from(l.data as ArrayLike<number | bigint>, Number);
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(scores[i])) throw new Error(`${manifest.name}: output "${nameOf(outputs, s)}" contains NaN`);
    if (scores[i] >= ctx.thresholds.score) order.push(i);
  }
  order.sort((x, y) => scores[y] - scores[x] || x - y);
  return { boxes: b.data as ArrayLike<number>, labels, scores, order: order.slice(0, ctx.thresholds.maxDetections) };
}

function box(d: Detections, i: number): number[] {
  return [d.boxes[4 * i], d.boxes[4 * i + 1], d.boxes[4 * i + 2], d.boxes[4 * i + 3]];
}

/**
 * Bounding cells of a mask above threshold. torchvision pastes each mask into its box grown by (M + 2) / M
 * (M = 28), so the search starts in the box grown by a quarter; only a mask that reaches that region's edge
 * costs a scan of the whole map (a hundred 800×1067 masks are 340 MB).
 */
function maskBounds(map: Float32Array, mw: number, mh: number, thr: number, b: number[]): [number, number, number, number] {
  const gx = (b[2] - b[0]) / 4 + 2, gy = (b[3] - b[1]) / 4 + 2;
  const scan = (x0: number, y0: number, x1: number, y1: number): [number, number, number, number] => {
    let cx0 = mw, cy0 = mh, cx1 = -1, cy1 = -1;
    for (let y = y0; y <= y1; y++) {
      const row = y * mw;
      for (let x = x0; x <= x1; x++) {
        if (map[row + x] > thr) {
          if (x < cx0) cx0 = x;
          if (x > cx1) cx1 = x;
          if (y < cy0) cy0 = y;
          cy1 = y;
        }
      }
    }
    return [cx0, cy0, cx1, cy1];
  };
  const rx0 = Math.max(0, Math.floor(b[0] - gx)), ry0 = Math.max(0, Math.floor(b[1] - gy));
  const rx1 = Math.min(mw - 1, Math.ceil(b[2] + gx)), ry1 = Math.min(mh - 1, Math.ceil(b[3] + gy));
  if (!(rx0 <= rx1 && ry0 <= ry1)) return scan(0, 0, mw - 1, mh - 1);
  const r = scan(rx0, ry0, rx1, ry1);
  const edge = r[2] >= 0 && ((r[0] === rx0 && rx0 > 0) || (r[1] === ry0 && ry0 > 0) || (r[2] === rx1 && rx1 < mw - 1) || (r[3] === ry1 && ry1 < mh - 1));
  return edge ? scan(0, 0, mw - 1, mh - 1) : r;
}

export function decodeTorchvisionDetection(outputs: Record<string, Tensor>, ctx: DecodeContext): DecodeResult {
  const d = readDetections(outputs, ctx, new Set());
  const predictions = d.order.map((i): DecodedPrediction => {
    const classIndex = d.labels[i] - ctx.manifest.labelOffset;
    return { kind: 'box', classIndex, label: classLabel(ctx.manifest, classIndex), score: d.scores[i], geometry: boxToImage(box(d, i), ctx.transform) };
  });
  return { predictions };
}

/**
 * Each mask is sampled bilinearly at the centre of every image pixel (through the input transform) over the
 * image area its above-threshold input pixels cover, so nothing the model pasted outside its box is lost.
 */
export function decodeTorchvisionMaskRcnn(outputs: Record<string, Tensor>, ctx: DecodeContext): DecodeResult {
  const { manifest, transform: tr } = ctx;
  const taken = new Set<Tensor>();
  const d = readDetections(outputs, ctx, taken);
  const m = find(outputs, ctx, 'masks', taken);
  const n = d.scores.length;
  if (m.dims.length !== 4 || m.dims[0] !== n || m.dims[1] !== 1) {
    throw new Error(`${manifest.name}: output "${nameOf(outputs, m)}" is [${m.dims.join(', ')}]; Mask R-CNN masks are [${n}, 1, H, W]`);
  }
  const [, , mh, mw] = m.dims;
  const masks = m.data as Float32Array;
  const thr = ctx.thresholds.mask;
  const affine = { sx: (tr.scaleX * mw) / tr.inputWidth, ox: (tr.padX * mw) / tr.inputWidth, sy: (tr.scaleY * mh) / tr.inputHeight, oy: (tr.padY * mh) / tr.inputHeight };

  const predictions = d.order.map((i): DecodedPrediction => {
    const classIndex = d.labels[i] - manifest.labelOffset;
    const map = masks.subarray(i * mw * mh, (i + 1) * mw * mh);
    const [cx0, cy0, cx1, cy1] = maskBounds(map, mw, mh, thr, box(d, i).map((v, k) => v * (k % 2 ? mh / tr.inputHeight : mw / tr.inputWidth)));
    let x0 = 0, y0 = 0, winW = 0, winH = 0;
    let window: Uint8Array = new Uint8Array(0);
    if (cx1 >= 0) {
      // Image pixels whose centre falls within one cell of that rectangle (bilinear reach), clamped.
      x0 = Math.max(0, Math.floor((cx0 - 0.5 - affine.ox) / affine.sx));
      y0 = Math.max(0, Math.floor((cy0 - 0.5 - affine.oy) / affine.sy));
      const x1 = Math.min(tr.srcWidth - 1, Math.ceil((cx1 + 1.5 - affine.ox) / affine.sx));
      const y1 = Math.min(tr.srcHeight - 1, Math.ceil((cy1 + 1.5 - affine.oy) / affine.sy));
      winW = Math.max(0, x1 - x0 + 1);
      winH = Math.max(0, y1 - y0 + 1);
      if (winW && winH) window = thresholdWindow(map, mw, mh, affine, x0, y0, winW, winH, thr);
      else x0 = y0 = winW = winH = 0; // the mask lies in the padding, outside the image
    }
    const rle = encodeRleWindow(window, x0, y0, winW, winH, tr.srcWidth, tr.srcHeight);
    const b = boxToImage(box(d, i), tr);
    return { kind: 'mask', classIndex, label: classLabel(manifest, classIndex), score: d.scores[i], geometry: { type: 'mask', ...rle }, extras: { box: [b.x, b.y, b.w, b.h] } };
  });

  const result: DecodeResult = { predictions };
  const p = manifest.outputs.proposals !== undefined || outputs.proposals ? outputFor(outputs, ctx, 'proposals', -1) : undefined;
  if (p) {
    if (p.data.length % 4) throw new Error(`${manifest.name}: output "${nameOf(outputs, p)}" is [${p.dims.join(', ')}]; proposals are [K, 4]`);
    const v = p.data as ArrayLike<number>;
    const proposals: number[][] = [];
    // Centipixels are plenty to draw with and keep a thousand proposals small in the run's JSON.
    const r = (x: number): number => Math.round(x * 100) / 100;
    for (let k = 0; k < v.length; k += 4) {
      const g = boxToImage([v[k], v[k + 1], v[k + 2], v[k + 3]], tr);
      proposals.push([r(g.x), r(g.y), r(g.w), r(g.h)]);
    }
    result.extras = { proposals };
  }
  return result;
}
