/** Axis-aligned boxes as [x1, y1, x2, y2] and greedy non-maximum suppression. */

export type Xyxy = readonly [number, number, number, number] | readonly number[];

export function boxArea(b: Xyxy): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

/** Intersection over union; 0 when the union is empty. */
export function boxIou(a: Xyxy, b: Xyxy): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / (boxArea(a) + boxArea(b) - inter);
}

export interface NmsOptions {
  /** Class of each box; boxes of different classes never suppress each other unless `agnostic`. */
  classes?: ArrayLike<number>;
  agnostic?: boolean;
  /** Stop after keeping this many. */
  maxDetections?: number;
}

export interface NmsResult {
  /** Indices into `boxes`, highest score first. */
  kept: number[];
  /** Each removed box and the kept box (index into `boxes`) that removed it. */
  suppressed: { index: number; by: number }[];
}

/**
 * Greedy NMS: visit boxes by falling score (equal scores in input order), keep a box unless a kept box of the
 * same class (any class when agnostic) overlaps it with IoU > `iouThreshold`, as torchvision.ops.nms does.
 */
export function nms(boxes: readonly Xyxy[], scores: ArrayLike<number>, iouThreshold: number, opts: NmsOptions = {}): NmsResult {
  const n = boxes.length;
  if (scores.length !== n) throw new Error(`nms: ${n} boxes but ${scores.length} scores`);
  const { classes, agnostic = false, maxDetections = Infinity } = opts;
  if (classes && classes.length !== n) throw new Error(`nms: ${n} boxes but ${classes.length} classes`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  const areas = boxes.map(boxArea);
  const removed = new Uint8Array(n);
  const kept: number[] = [];
  const suppressed: { index: number; by: number }[] = [];
  for (let oi = 0; oi < n && kept.length < maxDetections; oi++) {
    const i = order[oi];
    if (removed[i]) continue;
    kept.push(i);
    const a = boxes[i];
    for (let oj = oi + 1; oj < n; oj++) {
      const j = order[oj];
      if (removed[j] || (!agnostic && classes && classes[i] !== classes[j])) continue;
      const b = boxes[j];
      const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
      const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
      if (iw <= 0 || ih <= 0) continue;
      const inter = iw * ih;
      if (inter > iouThreshold * (areas[i] + areas[j] - inter)) {
        removed[j] = 1;
        suppressed.push({ index: j, by: i });
      }
    }
  }
  return { kept, suppressed };
}
