/**
 * cocoEvaluate against pycocotools' own numbers (shared/reference/metrics, every number of every case), then
 * hand-computed cases and properties on seeded random data.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { rleFromPolygons } from '../geometry/cocoPolygon.js';
import { rleBbox, rleToString } from '../geometry/rle.js';
import { mulberry32 } from '../random.js';
import {
  bboxIou,
  COCO_PERSON_SIGMAS,
  cocoEvaluate,
  cocoSummaryLines,
  defaultCocoParams,
  linspace,
  maskIou,
  oks,
  precisionAt,
  pyFixed,
  recallAt,
  type EvalDt,
  type EvalGt,
  type IouType,
} from './cocoEval.js';
import { bboxEval, box, det } from './test-helpers.js';
import { prepareMask } from './cocoIou.js';
import { cocoEvalInputFromJson, cocoSegmentationToRle } from './cocoInput.js';
import { matchImage } from './matchImage.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// SIGHTLINE_REFERENCE: where shared/reference is when this file runs from a copy of the repo (Stryker's sandbox).
const REF = path.join(process.env.SIGHTLINE_REFERENCE ?? path.resolve(here, '../../../shared/reference'), 'metrics');
const haveRef = existsSync(REF);
if (!haveRef) console.warn(`skipping the pycocotools reference cases: ${REF} is absent`);

const readJson = (...p: string[]) => JSON.parse(readFileSync(path.join(REF, ...p), 'utf8'));

/** |a - e| <= 1e-9 and, for non-zero e, relatively too. */
function close(actual: number, expected: number, what: string): void {
  const ok = Math.abs(actual - expected) <= 1e-9 && (expected === 0 || Math.abs(actual - expected) <= 1e-9 * Math.abs(expected));
  if (!ok) throw new Error(`${what}: got ${actual}, pycocotools ${expected} (diff ${actual - expected})`);
}

function closeAll(actual: readonly number[], expected: readonly number[], what: string): number {
  expect(actual.length, `${what} length`).toBe(expected.length);
  expected.forEach((e, i) => close(actual[i], e, `${what}[${i}]`));
  return expected.length;
}

const CASES: { name: string; iouType: IouType }[] = [
  { name: 'coco-bbox-a', iouType: 'bbox' },
  { name: 'coco-bbox-b', iouType: 'bbox' },
  { name: 'coco-segm-a', iouType: 'segm' },
  { name: 'coco-keypoints-a', iouType: 'keypoints' },
];

describe.skipIf(!haveRef)('pycocotools reference cases', () => {
  for (const c of CASES) {
    it(`${c.name}: every number in expected.json`, () => {
      const exp = readJson(c.name, 'expected.json');
      expect(exp.iouType).toBe(c.iouType);
      const input = cocoEvalInputFromJson(readJson(c.name, 'gt.json'), readJson(c.name, 'dt.json'), c.iouType);
      const res = cocoEvaluate(input);
      let checked = 0;

      // params: the exact threshold arrays and the sorted ids
      const p = exp.params;
      checked += closeAll(res.params.iouThrs, p.iouThrs, 'iouThrs');
      expect(res.params.iouThrs[8]).toBe(0.8999999999999999);
      checked += closeAll(res.params.recThrs, p.recThrs, 'recThrs');
      res.params.recThrs.forEach((v, i) => expect(v).toBe(p.recThrs[i]));
      res.params.iouThrs.forEach((v, i) => expect(v).toBe(p.iouThrs[i]));
      expect(res.params.maxDets).toEqual(p.maxDets);
      expect(res.params.imgIds).toEqual(p.imgIds_sorted);
      expect(res.params.catIds).toEqual(p.catIds_sorted);
      expect(res.params.areaRanges.map((a) => a.label)).toEqual(Object.keys(p.areaRng));
      for (const a of res.params.areaRanges) checked += closeAll([...a.range], p.areaRng[a.label], `areaRng.${a.label}`);
      if (p.kpt_oks_sigmas) {
        checked += closeAll(COCO_PERSON_SIGMAS, p.kpt_oks_sigmas, 'kpt_oks_sigmas');
        COCO_PERSON_SIGMAS.forEach((v, i) => expect(v).toBe(p.kpt_oks_sigmas[i]));
      }

      // stats, by name and in order
      for (const [name, v] of Object.entries(exp.stats as Record<string, number>)) {
        close(res.stats[name as keyof typeof res.stats]!, v, `stats.${name}`);
        checked++;
      }
      expect(Object.keys(res.stats)).toEqual(Object.keys(exp.stats));
      checked += closeAll(res.statsArray, exp.stats_array, 'stats_array');
      expect(cocoSummaryLines(res)).toEqual(exp.summarize_text);

      // per category AP and the PR curve at IoU 0.5
      const names = new Map(input.categories.map((cat) => [cat.name, cat.id]));
      for (const [name, v] of Object.entries((exp.per_category_AP ?? {}) as Record<string, number>)) {
        const pc = res.perClass.find((x) => x.categoryId === names.get(name))!;
        close(pc.AP!, v, `per_category_AP.${name}`);
        checked++;
      }
      for (const [name, curve] of Object.entries((exp.pr_curve_iou50 ?? {}) as Record<string, number[]>)) {
        const pc = res.prCurves.find((x) => x.categoryId === names.get(name))!;
        expect(pc.iouThreshold).toBe(0.5);
        checked += closeAll(pc.precision, curve, `pr_curve_iou50.${name}`);
        const k = res.params.catIds.indexOf(pc.categoryId);
        curve.forEach((v, r) => close(precisionAt(res, 0, r, k, 0, 2), v, `precision[0,${r},${k},0,2]`));
      }

      // hand-made box pairs
      for (const chk of exp.bbox_iou_checks ?? []) {
        const v = bboxIou(chk.dt_bbox, chk.gt_bbox, !!chk.iscrowd);
        close(v, chk.iou, `bbox_iou_checks.${chk.name}`);
        expect(v, chk.name).toBe(chk.iou); // the bit pattern decides threshold hits
        checked++;
      }
      // Every field of expected.json is one of those checked above (a new one fails until it is checked too).
      const known = ['reference', 'iouType', 'stats', 'stats_array', 'summarize_text', 'per_category_AP', 'pr_curve_iou50', 'params', 'bbox_iou_checks'];
      for (const key of Object.keys(exp)) expect(known, `unchecked field ${key}`).toContain(key);
      for (const key of Object.keys(exp.params)) expect(['imgIds_sorted', 'catIds_sorted', 'iouThrs', 'recThrs', 'maxDets', 'areaRng', 'kpt_oks_sigmas']).toContain(key);
      expect(checked).toBeGreaterThan(100);
    });
  }

  it('coco-segm-a mask_checks.json: RLE from every gt format, area, toBbox and mask IoU', () => {
    const mc = readJson('coco-segm-a', 'mask_checks.json');
    const gt = readJson('coco-segm-a', 'gt.json');
    for (const m of mc.masks) {
      const [h, w] = m.size;
      const rle = cocoSegmentationToRle(m.input_segmentation, h, w);
      expect(rle.counts, m.label).toEqual(m.rle_uncompressed_counts);
      expect(rleToString(rle.counts), m.label).toBe(m.rle_compressed_counts);
      expect(prepareMask(rle).area, m.label).toBe(m.area);
      expect(rleBbox(rle), m.label).toEqual(m.toBbox);
    }
    const dts = mc.iou.dt.map((d: { segmentation: unknown }) => prepareMask(cocoSegmentationToRle(d.segmentation, 0, 0)));
    const img = gt.images.find((i: { id: number }) => i.id === mc.iou.image_id);
    const gts = mc.iou.gt_ann_ids.map((id: number) => {
      const a = gt.annotations.find((x: { id: number }) => x.id === id);
      return prepareMask(cocoSegmentationToRle(a.segmentation, img.height, img.width));
    });
    mc.iou.matrix_dt_by_gt.forEach((row: number[], d: number) =>
      row.forEach((v, g) => close(maskIou(dts[d], gts[g], !!mc.iou.iscrowd[g]), v, `mask iou [${d}, ${g}]`)),
    );
    mc.iou.matrix_dt_by_gt_all_iscrowd_0.forEach((row: number[], d: number) => row.forEach((v, g) => close(maskIou(dts[d], gts[g], false), v, `mask iou (no crowd) [${d}, ${g}]`)));
  });
});

// ================================================================ hand-computed cases


describe('hand-computed', () => {
  it('linspace is numpy linspace: 0.8999999999999999 and 0.35000000000000003', () => {
    const p = defaultCocoParams('bbox');
    expect(p.iouThrs[8]).toBe(0.8999999999999999);
    expect(p.iouThrs[5]).toBe(0.75);
    expect(p.recThrs[35]).toBe(0.35000000000000003);
    expect(linspace(0, 1, 3)).toEqual([0, 0.5, 1]);
    expect(pyFixed(0.0625, 3)).toBe('0.062');
    expect(pyFixed(0.0635, 3)).toBe((0.0635).toFixed(3));
    expect(pyFixed(-1, 3)).toBe('-1.000');
    expect(pyFixed(0.875, 2)).toBe('0.88');
    expect(pyFixed(0.125, 2)).toBe('0.12');
  });

  it('score ties keep input order (stable sort): the first of two equal scores claims the object', () => {
    // gt [0,0,10,10]; A has IoU 0.62, B IoU 0.92, both score 0.5.
    const gt = [box(1, 1, 1, [0, 0, 10, 10])];
    const A = det(1, 1, 1, [0, 0, 10, 6.2], 0.5), B = det(2, 1, 1, [0, 0, 10, 9.2], 0.5);
    // A first: A is the match at .50/.55/.60 (AP 1), B at .65…90 behind a false positive (AP 0.5), none at .95.
    const ab = bboxEval(gt, [A, B]);
    expect(ab.stats.AP).toBeCloseTo((3 * 1 + 6 * 0.5 + 0) / 10, 15);
    expect(ab.stats.AP50).toBeCloseTo(1, 15);
    expect(ab.stats.AR100).toBeCloseTo(0.9, 15);
    // B first: B is the match at every threshold up to .90.
    const ba = bboxEval(gt, [B, A]);
    expect(ba.stats.AP).toBeCloseTo(0.9, 15);
    expect(ba.stats.AR100).toBeCloseTo(0.9, 15);
    // AR1 takes only the first detection of the image: A, which matches at 3 thresholds.
    expect(ab.stats.AR1).toBeCloseTo(0.3, 15);
    expect(ba.stats.AR1).toBeCloseTo(0.9, 15);
  });

  it('equal IoU with two gts: the later gt wins; a match is never traded for an ignored region', () => {
    const gts = [box(129, 1, 1, [20, 300, 20, 20]), box(130, 1, 1, [22, 300, 20, 20])];
    const dts = [det(1, 1, 1, [21, 300, 20, 20], 0.9), det(2, 1, 1, [19, 300, 20, 20], 0.8)];
    const m = matchAt(gts, dts);
    expect(m).toEqual([130, 129]);
    // A detection on a regular gt stays there even when a crowd region overlaps it better.
    const crowd = box(7, 1, 1, [0, 0, 100, 100], { iscrowd: 1 });
    const reg = box(8, 1, 1, [10, 10, 20, 20]);
    expect(matchAt([crowd, reg], [det(1, 1, 1, [10, 10, 20, 21], 0.9)])).toEqual([8]);
  });

  it('crowd: detections on it are ignored, IoU over the detection area, any number of them', () => {
    const gts = [box(1, 1, 1, [0, 0, 10, 10]), box(2, 1, 1, [50, 50, 40, 40], { iscrowd: 1 })];
    expect(bboxIou([40, 60, 20, 20], [50, 50, 40, 40], true)).toBe(0.5);
    const inside = det(1, 1, 1, [60, 60, 5, 5], 0.95), inside2 = det(2, 1, 1, [70, 70, 5, 5], 0.94);
    const hit = det(3, 1, 1, [0, 0, 10, 10], 0.9), far = det(4, 1, 1, [200, 200, 10, 10], 0.7);
    const res = bboxEval(gts, [inside, inside2, hit, far]);
    // The crowd hits are neither true nor false positives: the true positive comes first.
    expect(res.stats.AP).toBeCloseTo(1, 12);
    expect(res.perImage[0]).toMatchObject({ tp: 1, fp: 1, fn: 0 });
    // Half inside (intersection / own area = 0.5): ignored at IoU 0.5 only, a false positive above.
    const half = det(5, 1, 1, [40, 60, 20, 20], 0.99);
    const r2 = bboxEval(gts, [half, hit]);
    expect(precisionAt(r2, 0, 100, 0, 0, 2)).toBeCloseTo(1, 12);
    expect(precisionAt(r2, 1, 100, 0, 0, 2)).toBe(0.5);
    // Without any regular gt the class is undefined: -1, not 0.
    const onlyCrowd = bboxEval([gts[1]], [inside]);
    expect(onlyCrowd.stats.AP).toBe(-1);
    expect(onlyCrowd.stats.AR100).toBe(-1);
  });

  it('empty images change nothing; an image with only detections adds false positives', () => {
    const gts = [box(1, 1, 1, [0, 0, 10, 10]), box(2, 2, 1, [0, 0, 20, 20])];
    const dts = [det(1, 1, 1, [0, 0, 10, 10], 0.6), det(2, 2, 1, [0, 0, 20, 20], 0.5)];
    const base = bboxEval(gts, dts, [1, 2]);
    const more = bboxEval(gts, dts, [1, 2, 3, 4]);
    expect(differences(more.precision, base.precision)).toBe(0);
    expect(more.stats).toEqual(base.stats);
    expect(more.perImage.map((p) => p.imageId)).toEqual([1, 2, 3, 4]);
    expect(more.perImage[2]).toEqual({ imageId: 3, tp: 0, fp: 0, fn: 0, meanIou: -1 });
    // A false positive in image 3 scoring above both true positives: precision 1/2 then 2/3.
    const fp = bboxEval(gts, [...dts, det(3, 3, 1, [5, 5, 10, 10], 0.9)], [1, 2, 3]);
    expect(fp.stats.AP).toBeCloseTo(2 / 3, 15);
    expect(fp.perImage[2]).toMatchObject({ tp: 0, fp: 1, fn: 0 });
  });

  it('a class without labels is -1 and left out of the means; a class without predictions is 0', () => {
    const gts = [box(1, 1, 1, [0, 0, 10, 10]), box(2, 1, 3, [40, 40, 10, 10])];
    const dts = [det(1, 1, 1, [0, 0, 10, 10], 0.9), det(2, 1, 2, [100, 100, 10, 10], 0.8)];
    const res = bboxEval(gts, dts, [1], [1, 2, 3]);
    const ap = (id: number) => res.perClass.find((c) => c.categoryId === id)!.AP;
    // One true positive: precision 1 / (1 + 2^-52), the double just below 1.
    expect(ap(1)).toBe(0.9999999999999998);
    expect(ap(2)).toBe(-1);
    expect(ap(3)).toBe(0);
    expect(res.stats.AP).toBeCloseTo(0.5, 15);
    expect(res.prCurves.find((c) => c.categoryId === 2)!.precision.every((v) => v === -1)).toBe(true);
    expect(res.perClass.find((c) => c.categoryId === 3)).toMatchObject({ numGt: 1, numDt: 0 });
    // Nothing at all: every number undefined.
    const none = bboxEval([], [], [1], [1]);
    expect(none.statsArray.every((v) => v === -1)).toBe(true);
    // Labels but no predictions: 0.
    const noDt = bboxEval(gts, [], [1], [1, 3]);
    expect(noDt.statsArray.filter((v) => v !== -1).every((v) => v === 0)).toBe(true);
  });

  it('area ranges are inclusive and use the gt area field; unmatched detections outside a range are ignored', () => {
    // area exactly 1024: small and medium both; the box itself is large.
    const g = box(1, 1, 1, [0, 0, 100, 100], { area: 1024 });
    const res = bboxEval([g], [det(1, 1, 1, [0, 0, 100, 100], 0.9)]);
    expect(res.stats.APs).toBeCloseTo(1, 15);
    expect(res.stats.APm).toBeCloseTo(1, 15);
    expect(res.stats.APl).toBe(-1);
    // A large unmatched detection does not hurt small-object AP, but does hurt AP over all areas.
    const r2 = bboxEval([g], [det(2, 1, 1, [300, 300, 100, 100], 0.95), det(1, 1, 1, [0, 0, 100, 100], 0.9)]);
    expect(r2.stats.APs).toBeCloseTo(1, 15);
    expect(r2.stats.AP).toBe(0.5);
  });

  it('maxDets: AR1/AR10/AR100 take the first 1/10/100 detections of each image and class', () => {
    const gts = [box(1, 1, 1, [0, 0, 10, 10]), box(2, 1, 1, [50, 0, 10, 10])];
    const dts = [det(1, 1, 1, [0, 0, 10, 10], 0.9), det(2, 1, 1, [50, 0, 10, 10], 0.8)];
    const res = bboxEval(gts, dts);
    expect(res.stats.AR1).toBe(0.5);
    expect(res.stats.AR10).toBe(1);
    expect(recallAt(res, 0, 0, 0, 0)).toBe(0.5);
    // Beyond 100 per image and class a detection is dropped, even a perfect one.
    const many = Array.from({ length: 100 }, (_, i) => det(10 + i, 1, 1, [500 + i, 500, 5, 5], 0.5 + i / 1000));
    const cut = bboxEval([gts[0]], [...many, det(1, 1, 1, [0, 0, 10, 10], 0.1)]);
    expect(cut.stats.AR100).toBe(0);
  });

  it('keypoints: OKS with the COCO sigmas; num_keypoints 0 is ignored through the box distance', () => {
    const pts = Array.from({ length: 17 }, (_, i) => [100 + i, 200 + 2 * i, 2]).flat();
    const gt: EvalGt = { id: 1, imageId: 1, categoryId: 1, area: 5000, bbox: [100, 200, 17, 34], keypoints: pts, numKeypoints: 17 };
    const empty: EvalGt = { id: 2, imageId: 1, categoryId: 1, area: 4000, bbox: [400, 100, 50, 80], keypoints: new Array(51).fill(0), numKeypoints: 0 };
    const inBox = Array.from({ length: 17 }, () => [420, 140, 1]).flat();
    const shifted = pts.map((v, i) => (i % 3 === 0 ? v + 3 : v));
    // OKS of the skeleton shifted 3 px, written out: mean over 17 points of exp(-9 / (2σ)² / (area + eps) / 2).
    const expected = COCO_PERSON_SIGMAS.reduce((s, sg) => s + Math.exp(-9 / (2 * sg) ** 2 / (5000 + 2.220446049250313e-16) / 2), 0) / 17;
    const asGt = (g: EvalGt) => ({ keypoints: g.keypoints!, bbox: g.bbox!, area: g.area, sigmas: COCO_PERSON_SIGMAS });
    expect(oks(shifted, asGt(gt))).toBeCloseTo(expected, 14);
    expect(oks(pts, asGt(gt))).toBe(1);
    // No labelled point: distance outside the box grown by its size on each side (here inside: OKS 1).
    expect(oks(inBox, asGt(empty))).toBe(1);
    expect(oks(shifted, asGt(empty))).toBeLessThan(1e-6);
    // Only labelled points count: a point with v = 0 may be anywhere.
    const partial = pts.map((v, i) => (i === 2 ? 0 : v));
    expect(oks(partial.map((v, i) => (i === 0 ? 999 : v)), asGt({ ...gt, keypoints: partial }))).toBe(1);

    const dts: EvalDt[] = [
      { id: 1, imageId: 1, categoryId: 1, score: 0.9, keypoints: shifted },
      { id: 2, imageId: 1, categoryId: 1, score: 0.95, keypoints: inBox },
    ];
    const res = cocoEvaluate({ images: [{ id: 1 }], categories: [{ id: 1 }], gts: [gt, empty], dts, iouType: 'keypoints' });
    // The detection on the unlabelled person scores higher but is ignored: AP is the share of thresholds the
    // shifted skeleton passes.
    const passes = res.params.iouThrs.filter((v) => v <= expected).length;
    expect(passes).toBeGreaterThan(0);
    expect(passes).toBeLessThan(10);
    expect(res.stats.AP).toBeCloseTo(passes / 10, 12);
    expect(res.stats.AR).toBeCloseTo(passes / 10, 12);
    expect(res.statsArray).toHaveLength(10);
    // A template without sigmas cannot be scored.
    const odd: EvalGt = { ...gt, keypoints: [1, 1, 2, 2, 2, 2] };
    expect(() => cocoEvaluate({ images: [{ id: 1 }], categories: [{ id: 1 }], gts: [odd], dts: [], iouType: 'keypoints' })).toThrow(/no OKS sigmas/);
    const withSigmas = cocoEvaluate({
      images: [{ id: 1 }],
      categories: [{ id: 1, sigmas: [0.05, 0.05] }],
      gts: [odd],
      dts: [{ imageId: 1, categoryId: 1, score: 1, keypoints: [1, 1, 1, 2, 2, 1] }],
      iouType: 'keypoints',
    });
    expect(withSigmas.stats.AP).toBeCloseTo(1, 12);
  });
});

/** The gt id each detection (in the order given) matched at IoU 0.5, or null. */
function matchAt(gts: EvalGt[], dts: EvalDt[]): (number | null)[] {
  return matchImage(gts, dts).dts.map((d) => d.gtId);
}

// ================================================================ properties on seeded random data

/** Small random scenes: few images and classes, so boxes overlap, objects are missed and classes mix. */
function randomScene(seed: number, opts: { images?: number; cats?: number; crowd?: boolean } = {}) {
  const rand = mulberry32(seed);
  const nImg = opts.images ?? 6, nCat = opts.cats ?? 3;
  const gts: EvalGt[] = [], dts: EvalDt[] = [];
  const rbox = () => {
    const w = 4 + rand() * 120, h = 4 + rand() * 120;
    return [rand() * 300, rand() * 300, w, h];
  };
  for (let im = 1; im <= nImg; im++) {
    const n = Math.floor(rand() * 8);
    for (let j = 0; j < n; j++) {
      const b = rbox();
      const crowd = opts.crowd && rand() < 0.1;
      gts.push({ id: gts.length + 1, imageId: im * 10, categoryId: 1 + Math.floor(rand() * nCat), bbox: b, area: b[2] * b[3] * (0.5 + rand() / 2), iscrowd: crowd ? 1 : 0 });
    }
    const m = Math.floor(rand() * 14);
    for (let j = 0; j < m; j++) {
      const own = gts.filter((g) => g.imageId === im * 10);
      let b: number[], c: number;
      if (own.length && rand() < 0.6) {
        const g = own[Math.floor(rand() * own.length)];
        b = g.bbox!.map((v, i) => v + (rand() - 0.5) * (i < 2 ? 10 : 20));
        b[2] = Math.max(1, b[2]);
        b[3] = Math.max(1, b[3]);
        c = rand() < 0.85 ? g.categoryId : 1 + Math.floor(rand() * nCat);
      } else {
        b = rbox();
        c = 1 + Math.floor(rand() * nCat);
      }
      dts.push({ id: dts.length + 1, imageId: im * 10, categoryId: c, bbox: b, score: rand() });
    }
  }
  const images = Array.from({ length: nImg }, (_, i) => ({ id: (i + 1) * 10 }));
  const categories = Array.from({ length: nCat }, (_, i) => ({ id: i + 1 }));
  return { images, categories, gts, dts, rand };
}

/** Entries that differ (by Object.is), or -1 for different lengths: vitest's toEqual is slow on long typed arrays. */
function differences(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return -1;
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}

function shuffled<T>(a: readonly T[], rand: () => number): T[] {
  const out = [...a];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('properties', () => {
  it('perfect predictions give AP 1 and AR 1 wherever defined', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const s = randomScene(seed);
      const dts = s.gts.map((g, i) => ({ id: i + 1, imageId: g.imageId, categoryId: g.categoryId, bbox: g.bbox, score: s.rand() }));
      const res = cocoEvaluate({ ...s, dts, iouType: 'bbox' });
      // AR1 / AR10 stay below 1 where an image holds more than 1 / 10 objects of a class.
      for (const [name, v] of Object.entries(res.stats)) if (v !== -1 && name !== 'AR1' && name !== 'AR10') expect(v, `seed ${seed} ${name}`).toBeCloseTo(1, 12);
      if (s.gts.length) expect(res.stats.AP).not.toBe(-1);
    }
  });

  it('shuffling the order of images, categories, labels and predictions changes nothing (distinct scores)', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const s = randomScene(seed, { crowd: true });
      const a = cocoEvaluate({ ...s, iouType: 'bbox' });
      const b = cocoEvaluate({
        images: shuffled(s.images, s.rand),
        categories: shuffled(s.categories, s.rand),
        gts: shuffled(s.gts, s.rand),
        dts: shuffled(s.dts, s.rand),
        iouType: 'bbox',
      });
      expect(differences(b.precision, a.precision)).toBe(0);
      expect(differences(b.recall, a.recall)).toBe(0);
      expect(differences(b.scores, a.scores)).toBe(0);
      expect(b.stats).toEqual(a.stats);
      expect(b.perImage).toEqual(a.perImage);
    }
  });

  it('adding a low-score false positive never raises AP (and at the lowest score changes nothing)', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const s = randomScene(seed, { crowd: true });
      const a = cocoEvaluate({ ...s, iouType: 'bbox' });
      const img = s.images[Math.floor(s.rand() * s.images.length)].id;
      const cat = s.categories[Math.floor(s.rand() * s.categories.length)].id;
      const fpBox = [5000 + s.rand() * 100, 5000, 10 + s.rand() * 50, 10 + s.rand() * 50]; // overlaps nothing
      const lowest = Math.min(0, ...s.dts.map((d) => d.score)) - 1;
      const atBottom = cocoEvaluate({ ...s, dts: [...s.dts, { imageId: img, categoryId: cat, bbox: fpBox, score: lowest }], iouType: 'bbox' });
      const anywhere = cocoEvaluate({ ...s, dts: [...s.dts, { imageId: img, categoryId: cat, bbox: fpBox, score: s.rand() }], iouType: 'bbox' });
      for (const name of ['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl'] as const) {
        const before = a.stats[name]!;
        if (before === -1) continue;
        expect(atBottom.stats[name], `seed ${seed} ${name}`).toBe(before);
        expect(anywhere.stats[name]!, `seed ${seed} ${name}`).toBeLessThanOrEqual(before);
      }
      for (let k = 0; k < a.perClass.length; k++) {
        const before = a.perClass[k].AP!;
        if (before !== -1) expect(anywhere.perClass[k].AP!).toBeLessThanOrEqual(before);
      }
    }
  });

  it('matchImage agrees with the evaluation: per-image TP / FP / FN at IoU 0.5', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const s = randomScene(seed, { crowd: true });
      const res = cocoEvaluate({ ...s, iouType: 'bbox' });
      for (const p of res.perImage) {
        const m = matchImage(
          s.gts.filter((g) => g.imageId === p.imageId),
          s.dts.filter((d) => d.imageId === p.imageId),
        );
        expect({ tp: m.tp, fp: m.fp, fn: m.fn }, `seed ${seed} image ${p.imageId}`).toEqual({ tp: p.tp, fp: p.fp, fn: p.fn });
        if (p.tp) {
          const ious = m.dts.filter((d) => d.status === 'tp').map((d) => d.iou);
          expect(ious.reduce((x, y) => x + y, 0) / ious.length).toBeCloseTo(p.meanIou, 12);
        }
      }
    }
  });

  it('segm: masks give the same numbers as boxes when every mask is its box', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const s = randomScene(seed, { crowd: true });
      // Whole-pixel boxes inside a 500×500 image, so the box mask's pixel count is the box area.
      const snap = (b: readonly number[]) => {
        const x = Math.max(0, Math.min(480, Math.round(b[0]))), y = Math.max(0, Math.min(480, Math.round(b[1])));
        return [x, y, Math.max(1, Math.min(500 - x, Math.round(b[2]))), Math.max(1, Math.min(500 - y, Math.round(b[3])))];
      };
      const mask = (b: number[]) => rleFromPolygons([[b[0], b[1], b[0], b[1] + b[3], b[0] + b[2], b[1] + b[3], b[0] + b[2], b[1]]], 500, 500);
      const gts = s.gts.map((g) => ({ ...g, bbox: snap(g.bbox!) })).map((g) => ({ ...g, segm: mask(g.bbox) }));
      const dts = s.dts.map((d) => ({ ...d, bbox: snap(d.bbox!) })).map((d) => ({ ...d, segm: mask(d.bbox) }));
      for (const x of [...gts, ...dts]) expect(prepareMask(x.segm).area).toBe(x.bbox[2] * x.bbox[3]);
      const a = cocoEvaluate({ ...s, gts, dts, iouType: 'bbox' });
      const b = cocoEvaluate({ ...s, gts, dts, iouType: 'segm' });
      expect(b.stats).toEqual(a.stats);
    }
  });
});
