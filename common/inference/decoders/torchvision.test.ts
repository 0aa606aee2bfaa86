import { describe, expect, it } from 'vitest';
import { decodeRle } from '../../geometry/rle.js';
import { ModelManifest, type ModelManifestInput } from '../manifest.js';
import type { InputTransform, Tensor } from '../types.js';
import { decodeTorchvisionDetection, decodeTorchvisionMaskRcnn } from './torchvision.js';
import type { DecodeContext } from './types.js';

const identity = (w: number, h: number): InputTransform => ({ srcWidth: w, srcHeight: h, inputWidth: w, inputHeight: h, scaleX: 1, scaleY: 1, padX: 0, padY: 0 });

function ctx(m: Partial<ModelManifestInput>, transform: InputTransform): DecodeContext {
  const manifest = ModelManifest.parse({ name: 'tv', kind: 'detector', decoder: 'torchvision-detection', files: { model: 'm.onnx' }, input: {}, nms: 'none', labelOffset: 1, classes: ['cat', 'dog'], ...m });
  return { manifest, transform, thresholds: manifest.thresholds };
}

const boxes: Tensor = { data: Float32Array.from([10, 20, 30, 40, 0, 0, 5, 5, 50, 50, 100, 90]), dims: [3, 4] };
const labels: Tensor = { data: BigInt64Array.from([2n, 1n, 1n]), dims: [3] };
const scores: Tensor = { data: Float32Array.from([0.9, 0.1, 0.6]), dims: [3] };

describe('decodeTorchvisionDetection', () => {
  it('reads boxes, labels and scores by name and maps labels through labelOffset', () => {
    const r = decodeTorchvisionDetection({ boxes, labels, scores }, ctx({}, identity(100, 100)));
    expect(r.predictions).toEqual([
      { kind: 'box', classIndex: 1, label: 'dog', score: expect.closeTo(0.9, 6), geometry: { type: 'box', x: 10, y: 20, w: 20, h: 20 } },
      { kind: 'box', classIndex: 0, label: 'cat', score: expect.closeTo(0.6, 6), geometry: { type: 'box', x: 50, y: 50, w: 50, h: 40 } },
    ]);
  });

  it('tells labels from scores by dtype whatever the order (SSD: boxes, scores, labels)', () => {
    const c = ctx({}, { srcWidth: 200, srcHeight: 200, inputWidth: 100, inputHeight: 100, scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 0 });
    const rcnn = decodeTorchvisionDetection({ '3510': boxes, '3508': labels, '3509': scores }, c);
    const ssd = decodeTorchvisionDetection({ a: boxes, b: scores, c: labels }, c);
    const batched = decodeTorchvisionDetection({ a: { ...boxes, dims: [1, 3, 4] }, b: { ...scores, dims: [1, 3] }, c: { ...labels, dims: [1, 3] } }, c);
    expect(ssd).toEqual(rcnn);
    expect(batched).toEqual(rcnn);
    expect(rcnn.predictions.map((p) => p.label)).toEqual(['dog', 'cat']);
    expect(rcnn.predictions[0].geometry).toEqual({ type: 'box', x: 20, y: 40, w: 40, h: 40 });
  });

  it('follows the manifest mapping and names what is wrong', () => {
    const r = decodeTorchvisionDetection({ dets: boxes, cls: labels, conf: scores }, ctx({ outputs: { boxes: 'dets', labels: 'cls', scores: 'conf' }, thresholds: { score: 0.05, maxDetections: 2 } }, identity(100, 100)));
    expect(r.predictions.map((p) => p.score)).toEqual([expect.closeTo(0.9, 6), expect.closeTo(0.6, 6)]);
    expect(() => decodeTorchvisionDetection({ boxes, labels, scores: { data: new Float32Array(2), dims: [2] } }, ctx({}, identity(100, 100)))).toThrow(
      /outputs disagree: "boxes" \[3, 4\], "labels" \[3\], "scores" \[2\]/,
    );
    expect(() => decodeTorchvisionDetection({ a: boxes, b: scores }, ctx({}, identity(100, 100)))).toThrow(/no output looks like torchvision's "labels"/);
    const nan = { data: Float32Array.from([NaN, 0.1, 0.6]), dims: [3] };
    expect(() => decodeTorchvisionDetection({ boxes, labels, scores: nan }, ctx({}, identity(100, 100)))).toThrow(/"scores" contains NaN/);
  });
});

describe('decodeTorchvisionMaskRcnn', () => {
  // Two detections on a 4×4 input; mask 0 is a 2×2 block at (1..2, 1..2), mask 1 a soft column below threshold.
  const mBoxes: Tensor = { data: Float32Array.from([1, 1, 3, 3, 0, 0, 4, 4]), dims: [2, 4] };
  const mLabels: Tensor = { data: BigInt64Array.from([1n, 2n]), dims: [2] };
  const mScores: Tensor = { data: Float32Array.from([0.95, 0.5]), dims: [2] };
  const masks = new Float32Array(2 * 16);
  for (const [x, y] of [[1, 1], [2, 1], [1, 2], [2, 2]]) masks[y * 4 + x] = 1;
  for (let y = 0; y < 4; y++) masks[16 + y * 4 + 3] = 0.4;
  const outputs = { boxes: mBoxes, labels: mLabels, scores: mScores, masks: { data: masks, dims: [2, 1, 4, 4] } };

  it('thresholds masks at input size when the image is the input', () => {
    const r = decodeTorchvisionMaskRcnn(outputs, ctx({ decoder: 'torchvision-maskrcnn', kind: 'instance-segmenter' }, identity(4, 4)));
    expect(r.predictions.map((p) => p.kind)).toEqual(['mask', 'mask']);
    const g0 = r.predictions[0].geometry;
    expect(g0).toEqual({ type: 'mask', width: 4, height: 4, counts: [5, 2, 2, 2, 5] });
    expect(r.predictions[0].extras).toEqual({ box: [1, 1, 2, 2] });
    const g1 = r.predictions[1].geometry;
    expect(g1).toEqual({ type: 'mask', width: 4, height: 4, counts: [16] });
    expect(r.extras).toBeUndefined();
  });

  it("keeps mask cells strictly above the default threshold of 0.5 (manifest without thresholds, or with others only)", () => {
    // Values each side of 0.5, close enough that a default of 0.45 or 0.55 (or >= for >) would classify one differently.
    const values = [0.45, 0.49, 0.5, 0.51, 0.55, 0.499, 0.501];
    const w = values.length;
    const map = new Float32Array(w * 2);
    map.set(values);
    const one = (m: Partial<ModelManifestInput>) => {
      const c = ctx({ decoder: 'torchvision-maskrcnn', kind: 'instance-segmenter', ...m }, identity(w, 2));
      const r = decodeTorchvisionMaskRcnn(
        { boxes: { data: Float32Array.from([0, 0, w, 1]), dims: [1, 4] }, labels: { data: BigInt64Array.from([1n]), dims: [1] }, scores: { data: Float32Array.from([0.9]), dims: [1] }, masks: { data: map, dims: [1, 1, 2, w] } },
        c,
      );
      const g = r.predictions[0].geometry;
      if (g.type !== 'mask') throw new Error('not a mask');
      return { threshold: c.thresholds.mask, row: Array.from(decodeRle(g).subarray(0, w)), rest: decodeRle(g).subarray(w).reduce((a, b) => a + b, 0) };
    };
    for (const m of [{}, { thresholds: { score: 0.3 } }, { thresholds: { iou: 0.7, maxDetections: 5 } }]) {
      expect(one(m), JSON.stringify(m)).toEqual({ threshold: 0.5, row: [0, 0, 0, 1, 1, 0, 1], rest: 0 });
    }
    // A manifest's own threshold is followed.
    expect(one({ thresholds: { mask: 0.46 } }).row).toEqual([0, 1, 1, 1, 1, 1, 1]);
  });

  it('upsamples into a larger image and returns the proposals in image pixels', () => {
    const t: InputTransform = { srcWidth: 8, srcHeight: 8, inputWidth: 4, inputHeight: 4, scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 0 };
    const proposals: Tensor = { data: Float32Array.from([0, 0, 1, 1, 0.5, 1, 4, 3.333333]), dims: [2, 4] };
    const r = decodeTorchvisionMaskRcnn({ ...outputs, proposals }, ctx({ decoder: 'torchvision-maskrcnn', thresholds: { mask: 0.5, score: 0.9 } }, t));
    expect(r.predictions).toHaveLength(1);
    const g = r.predictions[0].geometry;
    if (g.type !== 'mask') throw new Error('not a mask');
    const m = decodeRle(g);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) expect(m[y * 8 + x]).toBe(x >= 2 && x <= 5 && y >= 2 && y <= 5 ? 1 : 0);
    expect(r.extras).toEqual({ proposals: [[0, 0, 2, 2], [1, 2, 7, 4.67]] });
  });

  it('follows a mask that spreads beyond its box', () => {
    // 20×20 input, box (0,0)–(2,2), mask cells 3..15 in both axes: the search around the box meets its edge.
    const big = new Float32Array(400);
    for (let y = 3; y <= 15; y++) for (let x = 3; x <= 15; x++) big[y * 20 + x] = 0.9;
    const r = decodeTorchvisionMaskRcnn(
      { boxes: { data: Float32Array.from([0, 0, 2, 2]), dims: [1, 4] }, labels: { data: BigInt64Array.from([1n]), dims: [1] }, scores: { data: Float32Array.from([0.9]), dims: [1] }, masks: { data: big, dims: [1, 1, 20, 20] } },
      ctx({ decoder: 'torchvision-maskrcnn' }, identity(20, 20)),
    );
    const g = r.predictions[0].geometry;
    expect(g.type === 'mask' && decodeRle(g).reduce((a, b) => a + b, 0)).toBe(13 * 13);
  });

  it('drops mask pixels that fall in the padding', () => {
    // Input 4×4, image 4×2 letterboxed with one padding row above and below; mask only in the bottom pad row.
    const pad = new Float32Array(16);
    pad.fill(1, 12, 16);
    const t: InputTransform = { srcWidth: 4, srcHeight: 2, inputWidth: 4, inputHeight: 4, scaleX: 1, scaleY: 1, padX: 0, padY: 1 };
    const r = decodeTorchvisionMaskRcnn(
      { boxes: { data: Float32Array.from([0, 3, 4, 4]), dims: [1, 4] }, labels: { data: BigInt64Array.from([1n]), dims: [1] }, scores: { data: Float32Array.from([0.9]), dims: [1] }, masks: { data: pad, dims: [1, 1, 4, 4] } },
      ctx({ decoder: 'torchvision-maskrcnn' }, t),
    );
    expect(r.predictions[0].geometry).toEqual({ type: 'mask', width: 4, height: 2, counts: [8] });
  });

  it('names a masks tensor that does not match the detections', () => {
    expect(() => decodeTorchvisionMaskRcnn({ ...outputs, masks: { data: masks, dims: [1, 2, 4, 4] } }, ctx({ decoder: 'torchvision-maskrcnn' }, identity(4, 4)))).toThrow(
      /output "masks" is \[1, 2, 4, 4\]; Mask R-CNN masks are \[2, 1, H, W\]/,
    );
  });
});

describe('torchvision outputs: finding them and checking they agree', () => {
  const c = () => ctx({ thresholds: { score: 0.5 } }, identity(100, 100));
  const f32 = (dims: number[], ...v: number[]): Tensor => ({ data: Float32Array.from(v), dims });
  const i64 = (dims: number[], ...v: number[]): Tensor => ({ data: BigInt64Array.from(v.map(BigInt)), dims });

  it('keeps a score equal to the threshold, sorts by score then index and stops at maxDetections', () => {
    const b = f32([4, 4], 0, 0, 1, 1, 0, 0, 2, 2, 0, 0, 3, 3, 0, 0, 4, 4);
    const r = decodeTorchvisionDetection({ boxes: b, labels: i64([4], 1, 1, 2, 2), scores: f32([4], 0.5, 0.75, 0.75, 0.49) }, c());
    expect(r.predictions.map((p) => [p.geometry.type === 'box' && p.geometry.w, p.score, p.label])).toEqual([
      [2, 0.75, 'cat'],
      [3, 0.75, 'dog'],
      [1, 0.5, 'cat'],
    ]);
    const two = ctx({ thresholds: { score: 0.5, maxDetections: 2 } }, identity(100, 100));
    expect(decodeTorchvisionDetection({ boxes: b, labels: i64([4], 1, 1, 2, 2), scores: f32([4], 0.5, 0.75, 0.75, 0.49) }, two).predictions).toHaveLength(2);
    // Without a label offset the label indexes the classes directly; an index past them is its own name.
    const raw = ctx({ labelOffset: 0 }, identity(100, 100));
    expect(decodeTorchvisionDetection({ boxes: b, labels: i64([4], 0, 1, 7, 1), scores: f32([4], 0.9, 0.8, 0.7, 0.1) }, raw).predictions.map((p) => [p.classIndex, p.label])).toEqual([
      [0, 'cat'],
      [1, 'dog'],
      [7, '7'],
    ]);
  });

  it('names the outputs when their sizes disagree', () => {
    const scores = f32([2], 0.9, 0.8);
    expect(() => decodeTorchvisionDetection({ boxes: f32([1, 4], 0, 0, 1, 1), labels: i64([2], 1, 1), scores }, c())).toThrow(
      'tv: torchvision outputs disagree: "boxes" [1, 4], "labels" [2], "scores" [2]; expected [N, 4], [N], [N]',
    );
    expect(() => decodeTorchvisionDetection({ boxes: f32([2, 4], 0, 0, 1, 1, 0, 0, 1, 1), labels: i64([3], 1, 1, 1), scores }, c())).toThrow(
      'tv: torchvision outputs disagree: "boxes" [2, 4], "labels" [3], "scores" [2]; expected [N, 4], [N], [N]',
    );
  });

  it('finds outputs by shape and dtype: a batch axis of 1 is fine, another size is not', () => {
    const b = f32([1, 1, 4], 1, 2, 3, 4);
    const ok = decodeTorchvisionDetection({ x: f32([1, 1], 0.9), y: i64([1, 1], 1), z: b }, c());
    expect(ok.predictions[0]).toMatchObject({ label: 'cat', geometry: { x: 1, y: 2, w: 2, h: 2 } });
    // Int32 labels count as integers too.
    expect(decodeTorchvisionDetection({ x: f32([1], 0.9), y: { data: Int32Array.of(2), dims: [1] }, z: f32([1, 4], 1, 2, 3, 4) }, c()).predictions[0].label).toBe('dog');
    const names = (o: Record<string, Tensor>) => () => decodeTorchvisionDetection(o, c());
    expect(names({ x: f32([1], 0.9), y: i64([1], 1), z: f32([2, 1, 4], 1, 2, 3, 4, 1, 2, 3, 4) })).toThrow(
      `tv: no output looks like torchvision's "boxes" (outputs: x [1], y [1], z [2, 1, 4]); map it in the manifest's "outputs"`,
    );
    expect(names({ x: f32([1], 0.9), y: i64([1], 1), z: f32([1, 5], 1, 2, 3, 4, 5) })).toThrow(/no output looks like torchvision's "boxes"/);
    expect(names({ x: f32([1], 0.9), y: i64([1], 1), z: i64([1, 4], 1, 2, 3, 4) })).toThrow(/no output looks like torchvision's "boxes"/);
    expect(names({ x: f32([1, 4], 1, 2, 3, 4), y: i64([1], 1), z: f32([2, 1], 0.9, 0.8) })).toThrow(/no output looks like torchvision's "scores"/);
    expect(names({ x: f32([1, 4], 1, 2, 3, 4), y: i64([2, 1], 1, 1), z: f32([1], 0.9) })).toThrow(/no output looks like torchvision's "labels"/);
    // A mapped role is taken by name even where its shape would not be guessed.
    const mapped = ctx({ outputs: { scores: 's' } }, identity(100, 100));
    expect(decodeTorchvisionDetection({ s: f32([1], 0.9), y: i64([1], 1), z: f32([1, 4], 1, 2, 3, 4) }, mapped).predictions).toHaveLength(1);
    expect(() => decodeTorchvisionDetection({ y: i64([1], 1), z: f32([1, 4], 1, 2, 3, 4) }, mapped)).toThrow(/maps output role "scores" to "s"/);
  });
});

describe('Mask R-CNN masks: the search around each box', () => {
  // A 40×40 input that is the image. Box (10, 10)–(14, 14): the search region is the box grown by a quarter of
  // its size + 2 (here 3) on each side: cells 7..17.
  const W = 40;
  function decode(cells: [number, number][], box = [10, 10, 14, 14], t: InputTransform = identity(W, W), m: Partial<ModelManifestInput> = {}) {
    const map = new Float32Array(W * W);
    for (const [x, y] of cells) map[y * W + x] = 1;
    const r = decodeTorchvisionMaskRcnn(
      { boxes: { data: Float32Array.from(box), dims: [1, 4] }, labels: { data: BigInt64Array.from([2n]), dims: [1] }, scores: { data: Float32Array.from([0.9]), dims: [1] }, masks: { data: map, dims: [1, 1, W, W] } },
      ctx({ decoder: 'torchvision-maskrcnn', kind: 'instance-segmenter', ...m }, t),
    );
    const g = r.predictions[0].geometry;
    if (g.type !== 'mask') throw new Error('not a mask');
    const mask = decodeRle(g);
    const on: [number, number][] = [];
    for (let y = 0; y < g.height; y++) for (let x = 0; x < g.width; x++) if (mask[y * g.width + x]) on.push([x, y]);
    return { on, prediction: r.predictions[0] };
  }
  const block = (x0: number, y0: number, x1: number, y1: number): [number, number][] => {
    const out: [number, number][] = [];
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) out.push([x, y]);
    return out;
  };
  const sorted = (cells: [number, number][]) => [...cells].sort((a, b) => a[1] - b[1] || a[0] - b[0]);

  it('keeps what lies inside the search region and leaves out a separate blob beyond it', () => {
    const inside = block(11, 11, 12, 12);
    // Blobs left, above, right and below the region, and one far away: none touches the region.
    const outside = [...block(3, 11, 4, 12), ...block(11, 3, 12, 4), ...block(20, 11, 21, 12), ...block(11, 20, 12, 21), ...block(30, 30, 31, 31)];
    const { on, prediction } = decode([...inside, ...outside]);
    expect(on).toEqual(sorted(inside));
    expect(prediction).toMatchObject({ kind: 'mask', classIndex: 1, label: 'dog', extras: { box: [10, 10, 4, 4] } });
  });

  it('scans the whole map when the mask reaches the region edge on any side', () => {
    const far = block(35, 35, 36, 36);
    const farLeft = block(1, 35, 2, 36);
    for (const reach of [block(7, 11, 12, 12), block(11, 7, 12, 12), block(11, 11, 17, 12), block(11, 11, 12, 17)]) {
      const other = reach[0][0] === 11 && reach.at(-1)![0] === 17 ? farLeft : far;
      expect(decode([...reach, ...other]).on).toEqual(sorted([...reach, ...other]));
    }
  });

  it('does not rescan for a mask at the map border, where the region ends at the border', () => {
    // Box (1, 1)–(3, 3): region 0..6 (clamped at 0); a mask touching column or row 0 is at the map edge, not the region's.
    for (const m of [block(0, 2, 2, 2), block(2, 0, 2, 2)]) expect(decode([...m, ...block(30, 30, 31, 31)], [1, 1, 3, 3]).on).toEqual(sorted(m));
    // Box at the far corner: region ..39; the mask touching the last column or row does not trigger a rescan either.
    for (const m of [block(37, 37, 39, 37), block(37, 37, 37, 39)]) expect(decode([...m, ...block(2, 2, 3, 3)], [36, 36, 38, 38]).on).toEqual(sorted(m));
  });

  it('scans the whole map for a box outside it, and gives an empty mask when nothing is above threshold', () => {
    const blob = block(5, 5, 6, 6);
    expect(decode(blob, [60, 60, 62, 62]).on).toEqual(sorted(blob));
    expect(decode(blob, [5, 60, 7, 62]).on).toEqual(sorted(blob));
    expect(decode([], [10, 10, 14, 14]).on).toEqual([]);
    expect(decode([], [10, 10, 14, 14]).prediction.geometry).toEqual({ type: 'mask', width: W, height: W, counts: [W * W] });
  });

  it('maps mask cells through a letterbox into a larger image', () => {
    // Image 20×10 letterboxed into the 40×40 input at scale 2 with 10 rows of padding above: input (x, y) is image
    // (x / 2, (y - 10) / 2). A 4×4 cell block at input (10..13, 14..17) is image pixels (5..6, 2..3).
    const t: InputTransform = { srcWidth: 20, srcHeight: 10, inputWidth: W, inputHeight: W, scaleX: 2, scaleY: 2, padX: 0, padY: 10 };
    const { on, prediction } = decode(block(10, 14, 13, 17), [10, 14, 14, 18], t);
    expect(on).toEqual(sorted(block(5, 2, 6, 3)));
    expect(prediction.extras).toEqual({ box: [5, 2, 2, 2] });
    // Padding on the left instead: input x − 10.
    const tx: InputTransform = { srcWidth: 10, srcHeight: 20, inputWidth: W, inputHeight: W, scaleX: 2, scaleY: 2, padX: 10, padY: 0 };
    expect(decode(block(14, 10, 17, 13), [14, 10, 18, 14], tx).on).toEqual(sorted(block(2, 5, 3, 6)));
    // A mask map at half the input's resolution (20×20 for a 40×40 input) covers the same image area.
    const half = new Float32Array(20 * 20);
    for (const [x, y] of block(5, 5, 6, 6)) half[y * 20 + x] = 1;
    const r = decodeTorchvisionMaskRcnn(
      { boxes: { data: Float32Array.of(10, 10, 14, 14), dims: [1, 4] }, labels: { data: BigInt64Array.of(1n), dims: [1] }, scores: { data: Float32Array.of(0.9), dims: [1] }, masks: { data: half, dims: [1, 1, 20, 20] } },
      ctx({ decoder: 'torchvision-maskrcnn' }, identity(W, W)),
    );
    const g = r.predictions[0].geometry;
    expect(g.type === 'mask' && decodeRle(g).reduce((a, b) => a + b, 0)).toBe(16);
  });

  it('names a masks tensor of the wrong rank, count or channels, and proposals that are not boxes', () => {
    const base = {
      boxes: { data: Float32Array.of(1, 1, 3, 3, 0, 0, 4, 4), dims: [2, 4] },
      labels: { data: BigInt64Array.of(1n, 2n), dims: [2] },
      scores: { data: Float32Array.of(0.9, 0.8), dims: [2] },
    };
    const c = ctx({ decoder: 'torchvision-maskrcnn', outputs: { masks: 'masks' } }, identity(4, 4));
    const masks = (dims: number[]) => ({ ...base, masks: { data: new Float32Array(dims.reduce((a, b) => a * b, 1)), dims } });
    expect(() => decodeTorchvisionMaskRcnn(masks([2, 4, 4]), c)).toThrow('tv: output "masks" is [2, 4, 4]; Mask R-CNN masks are [2, 1, H, W]');
    expect(() => decodeTorchvisionMaskRcnn(masks([3, 1, 4, 4]), c)).toThrow('tv: output "masks" is [3, 1, 4, 4]; Mask R-CNN masks are [2, 1, H, W]');
    expect(() => decodeTorchvisionMaskRcnn(masks([2, 2, 4, 4]), c)).toThrow('tv: output "masks" is [2, 2, 4, 4]; Mask R-CNN masks are [2, 1, H, W]');
    const ok = masks([2, 1, 4, 4]);
    expect(() => decodeTorchvisionMaskRcnn({ ...ok, proposals: { data: new Float32Array(6), dims: [1, 6] } }, c)).toThrow(
      'tv: output "proposals" is [1, 6]; proposals are [K, 4]',
    );
    // Proposals under another name, through the manifest.
    const mapped = ctx({ decoder: 'torchvision-maskrcnn', outputs: { proposals: 'rpn' } }, identity(4, 4));
    expect(decodeTorchvisionMaskRcnn({ ...ok, rpn: { data: Float32Array.of(0, 0, 1, 1), dims: [1, 4] } }, mapped).extras).toEqual({ proposals: [[0, 0, 1, 1]] });
    expect(decodeTorchvisionMaskRcnn(ok, c).extras).toBeUndefined();
  });
});
