/**
 * Classification + localisation heads: one object per image. Roles (default output names, else output order):
 * `logits` [1, C] (logits or probabilities), `box` [1, 4] as normalised x1, y1, x2, y2 in [0, 1] of the model
 * input, optional `keypoints` [1, K·2] (x, y) or [1, K·3] (x, y, visibility probability), normalised the same way.
 * This one convention is what models/README.md asks an exporter to produce (a sigmoid on the box head gives it).
 */
import type { DecodedPrediction, DecodeResult, Tensor } from '../types.js';
import { outputFor, toImageX, toImageY, type DecodeContext } from './types.js';
import { toProbabilities } from './ctc.js';

export function decodeClsLoc(outputs: Record<string, Tensor>, ctx: DecodeContext): DecodeResult {
  const { manifest, transform: t } = ctx;
  const logits = outputFor(outputs, ctx, 'logits', 0);
  const box = outputFor(outputs, ctx, 'box', 1);
  if (box.data.length !== 4) throw new Error(`${manifest.name}: the box output must hold 4 values (x1, y1, x2, y2); got [${box.dims.join(', ')}]`);
  const classes = logits.data.length;
  if (manifest.classes.length && manifest.classes.length !== classes) {
    throw new Error(`${manifest.name}: the graph scores ${classes} classes but the manifest names ${manifest.classes.length}`);
  }
  const probs = new Float64Array(classes);
  toProbabilities(logits.data as ArrayLike<number>, 0, classes, probs);
  let best = 0;
  for (let c = 1; c < classes; c++) if (probs[c] > probs[best]) best = c;
  const score = probs[best];
  if (score < ctx.thresholds.score) return { predictions: [] };

  const b = box.data as ArrayLike<number>;
  if (![0, 1, 2, 3].every((i) => Number.isFinite(b[i]))) throw new Error(`${manifest.name}: the box output is not finite`);
  const x1 = toImageX(Math.min(b[0], b[2]) * t.inputWidth, t);
  const y1 = toImageY(Math.min(b[1], b[3]) * t.inputHeight, t);
  const x2 = toImageX(Math.max(b[0], b[2]) * t.inputWidth, t);
  const y2 = toImageY(Math.max(b[1], b[3]) * t.inputHeight, t);
  const label = manifest.classes[best] ?? String(best);
  const predictions: DecodedPrediction[] = [
    { kind: 'box', classIndex: best, label, score, geometry: { type: 'box', x: x1, y: y1, w: x2 - x1, h: y2 - y1 }, extras: { probabilities: Array.from(probs) } },
  ];

  const hasKeypoints = manifest.outputs.keypoints !== undefined || outputs.keypoints !== undefined || Object.keys(outputs).length > 2;
  const kp = hasKeypoints ? outputFor(outputs, ctx, 'keypoints', 2) : undefined;
  if (kp) {
    const names = manifest.keypoints?.names;
    const n = kp.data.length;
    const per = names ? n / names.length : 2;
    if ((per !== 2 && per !== 3) || n % per !== 0) {
      throw new Error(`${manifest.name}: the keypoints output holds ${n} values; expected ${names?.length ?? 'K'} × 2 or × 3`);
    }
    const d = kp.data as ArrayLike<number>;
    const points: number[] = [];
    for (let i = 0; i < n; i += per) {
      points.push(toImageX(d[i] * t.inputWidth, t), toImageY(d[i + 1] * t.inputHeight, t), per === 3 && d[i + 2] < 0.5 ? 1 : 2);
    }
    const geometry = names ? { type: 'keypoints' as const, points, names: [...names] } : { type: 'keypoints' as const, points };
    predictions.push({ kind: 'keypoints', classIndex: best, label, score, geometry });
  }
  return { predictions };
}
