/**
 * MediaPipe BlazeFace (short-range "front" 128×128 and full-range "back" 256×256 graphs): SSD anchors, sigmoid
 * scores, weighted NMS, six landmarks. Follows MediaPipe's face_detection graph: SsdAnchorsCalculator (strides
 * 8, 16, 16, 16 → 16×16×2 + 8×8×6 = 896 anchors, offset 0.5, fixed size), TensorsToDetectionsCalculator
 * (raw values scaled by the input size, score clipping ±100) and NonMaxSuppressionCalculator (WEIGHTED, IoU).
 */
import type { DecodedPrediction, DecodeResult, Tensor } from '../types.js';
import { toImageX, toImageY, type DecodeContext } from './types.js';

/** MediaPipe's landmark order; "right" and "left" are the person's, so the right eye is on the image's left. */
export const BLAZEFACE_KEYPOINTS = ['right eye', 'left eye', 'nose tip', 'mouth center', 'right ear tragion', 'left ear tragion'];

const VALUES = 16; // box cx, cy, w, h + 6 keypoints × (x, y)
const LAYERS = [
  { cells: 16, perCell: 2 },
  { cells: 8, perCell: 6 },
];
const ANCHORS = LAYERS.reduce((n, l) => n + l.cells * l.cells * l.perCell, 0);

/** Anchor centres (x, y interleaved) in normalised input coordinates, in the graph's output order. */
function makeAnchors(): Float32Array {
  const a = new Float32Array(ANCHORS * 2);
  let i = 0;
  for (const { cells, perCell } of LAYERS) {
    for (let y = 0; y < cells; y++) {
      for (let x = 0; x < cells; x++) {
        for (let k = 0; k < perCell; k++) {
          a[i++] = (x + 0.5) / cells;
          a[i++] = (y + 0.5) / cells;
        }
      }
    }
  }
  return a;
}
const anchors = makeAnchors();

/**
 * The regressor and score tensors as lists of pieces in anchor order. MediaPipe's own export has one
 * regressors [1,896,16] and one classificators [1,896,1]; keijiro's Barracuda export splits each per layer
 * ([1,512,·] for stride 8, then [1,384,·]).
 */
function pieces(outputs: Record<string, Tensor>, ctx: DecodeContext): { boxes: Tensor[]; scores: Tensor[] } {
  const roles = ctx.manifest.outputs;
  if (roles.regressors !== undefined || roles.classificators !== undefined) {
    const pick = (role: string) => {
      const t = outputs[roles[role] ?? role];
      if (!t) throw new Error(`${ctx.manifest.name}: no output for blazeface role "${role}" (outputs: ${Object.keys(outputs).join(', ')})`);
      return [t];
    };
    return { boxes: pick('regressors'), scores: pick('classificators') };
  }
  const all = Object.values(outputs);
  const byAnchors = (a: Tensor, b: Tensor) => b.dims[1] - a.dims[1];
  return {
    boxes: all.filter((t) => t.dims.at(-1) === VALUES).sort(byAnchors),
    scores: all.filter((t) => t.dims.at(-1) === 1).sort(byAnchors),
  };
}

interface Candidate {
  score: number;
  /** x1, y1, x2, y2, then 6 × (x, y), in input pixels. */
  g: Float64Array;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-Math.min(100, Math.max(-100, v))));

function iou(a: Float64Array, b: Float64Array): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

export function decodeBlazeFace(outputs: Record<string, Tensor>, ctx: DecodeContext): DecodeResult {
  const { boxes, scores } = pieces(outputs, ctx);
  const count = (ts: Tensor[]) => ts.reduce((n, t) => n + t.data.length, 0);
  if (count(boxes) !== ANCHORS * VALUES || count(scores) !== ANCHORS) {
    const shapes = Object.entries(outputs).map(([n, t]) => `${n} [${t.dims.join(',')}]`).join(', ');
    throw new Error(`${ctx.manifest.name}: blazeface expects regressors [1,896,16] and scores [1,896,1] (or the same split per layer); got ${shapes}`);
  }
  const { transform: t, thresholds } = ctx;
  const sx = t.inputWidth;
  const sy = t.inputHeight;

  const cands: Candidate[] = [];
  let anchor = 0;
  let boxPiece = 0;
  let boxBase = 0;
  for (const s of scores) {
    const sd = s.data as Float32Array;
    for (let i = 0; i < sd.length; i++, anchor++) {
      const score = sigmoid(sd[i]);
      if (score < thresholds.score) continue;
      while (anchor - boxBase >= boxes[boxPiece].data.length / VALUES) boxBase += boxes[boxPiece++].data.length / VALUES;
      const r = boxes[boxPiece].data as Float32Array;
      const o = (anchor - boxBase) * VALUES;
      const ax = anchors[anchor * 2] * sx;
      const ay = anchors[anchor * 2 + 1] * sy;
      const cx = ax + r[o];
      const cy = ay + r[o + 1];
      const hw = r[o + 2] / 2;
      const hh = r[o + 3] / 2;
      const g = new Float64Array(4 + 12);
      g[0] = cx - hw;
      g[1] = cy - hh;
      g[2] = cx + hw;
      g[3] = cy + hh;
      for (let k = 0; k < 12; k += 2) {
        g[4 + k] = ax + r[o + 4 + k];
        g[5 + k] = ay + r[o + 5 + k];
      }
      cands.push({ score, g });
    }
  }

  // MediaPipe's WEIGHTED suppression: each kept face is the score-weighted mean of every candidate that
  // overlaps the best remaining one, itself included; its score stays the best one's.
  cands.sort((a, b) => b.score - a.score);
  const kept: Candidate[] = [];
  const suppressed: Candidate[] = [];
  let remaining = cands;
  while (remaining.length > 0 && kept.length < thresholds.maxDetections) {
    const top = remaining[0];
    const acc = new Float64Array(top.g.length);
    let total = 0;
    const rest: Candidate[] = [];
    for (const c of remaining) {
      if (c !== top && iou(top.g, c.g) <= thresholds.iou) {
        rest.push(c);
        continue;
      }
      for (let k = 0; k < acc.length; k++) acc[k] += c.g[k] * c.score;
      total += c.score;
      if (c !== top) suppressed.push(c);
    }
    for (let k = 0; k < acc.length; k++) acc[k] /= total;
    kept.push({ score: top.score, g: acc });
    remaining = rest;
  }

  const names = ctx.manifest.keypoints?.names.length === 6 ? ctx.manifest.keypoints.names : BLAZEFACE_KEYPOINTS;
  const label = ctx.manifest.classes[0] ?? 'face';
  const toPredictions = (c: Candidate): DecodedPrediction[] => {
    const x1 = toImageX(c.g[0], t);
    const y1 = toImageY(c.g[1], t);
    const points: number[] = [];
    const keypoints: { name: string; x: number; y: number }[] = [];
    for (let k = 0; k < 6; k++) {
      const x = toImageX(c.g[4 + 2 * k], t);
      const y = toImageY(c.g[5 + 2 * k], t);
      points.push(x, y, 2);
      keypoints.push({ name: names[k], x, y });
    }
    const box = { type: 'box' as const, x: x1, y: y1, w: toImageX(c.g[2], t) - x1, h: toImageY(c.g[3], t) - y1 };
    return [
      { kind: 'box', classIndex: 0, label, score: c.score, geometry: box, extras: { keypoints } },
      { kind: 'keypoints', classIndex: 0, label, score: c.score, geometry: { type: 'keypoints', points, names: [...names] } },
    ];
  };
  const result: DecodeResult = { predictions: kept.flatMap(toPredictions) };
  if (ctx.keepSuppressed) result.suppressed = suppressed.map((c) => toPredictions(c)[0]);
  return result;
}
