/**
 * A COCO ground-truth file and a COCO results list as evaluation input, read the way pycocotools' `COCO`,
 * `loadRes` and `COCOeval._prepare` read them, so `cocoEvaluate` on the result gives pycocotools' numbers:
 *
 * - gt: `area`, `iscrowd`, `bbox`, `keypoints`, `num_keypoints` as written; a file's `ignore` field is dropped
 *   (pycocotools overwrites it with `iscrowd`). Masks (`annToRLE`): polygons rasterised at the image's size and
 *   merged, uncompressed RLE (`counts` a list) taken at its own size, compressed RLE strings decoded.
 * - results (`loadRes`): which branch applies is decided by the first result, as there. With a `bbox` (not
 *   empty): area = w*h, and a result without `segmentation` gets its box as a polygon. Else with `segmentation`:
 *   area = mask area (box = `toBbox` when absent). Else with `keypoints`: box and area from the extent of all
 *   points.
 * - Images and categories are the gt file's; results on an image not in it are refused (pycocotools asserts).
 */
import { rleFromPolygons } from '../geometry/cocoPolygon.js';
import { rleArea, rleBbox, rleFromString, type Rle } from '../geometry/rle.js';
import { keypointResultBox } from './cocoIou.js';
import type { CocoEvalInput } from './cocoEval.js';
import type { EvalCategory, EvalDt, EvalGt, EvalImage, IouType } from './cocoTypes.js';

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${what} must be a finite number`);
  return v;
}

function numbers(v: unknown, what: string, len?: number): number[] {
  if (!Array.isArray(v) || (len !== undefined && v.length !== len)) throw new Error(`${what} must be ${len === undefined ? 'a list of' : `${len}`} numbers`);
  return v.map((x, i) => num(x, `${what}[${i}]`));
}

/**
 * A COCO `segmentation` as a mask (pycocotools `annToRLE`). `height`/`width` are the image's, used for
 * polygons; RLE objects carry their own `size`. A polygon list whose first ring has exactly 4 numbers is read as
 * boxes [x, y, w, h], as `frPyObjects` does.
 */
export function cocoSegmentationToRle(segm: unknown, height: number, width: number, what = 'segmentation'): Rle {
  if (Array.isArray(segm)) {
    const rings = segm.map((r, i) => numbers(r, `${what}[${i}]`));
    if (rings.length > 0 && rings[0].length === 4) {
      return rleFromPolygons(
        rings.map((b, i) => {
          if (b.length !== 4) throw new Error(`${what}[${i}]: boxes must all have 4 numbers`);
          const xs = b[0], xe = xs + b[2], ys = b[1], ye = ys + b[3];
          return [xs, ys, xs, ye, xe, ye, xe, ys];
        }),
        height,
        width,
      );
    }
    return rleFromPolygons(rings, height, width);
  }
  if (isObj(segm) && Array.isArray(segm.size) && segm.counts !== undefined) {
    const [h, w] = numbers(segm.size, `${what}.size`, 2);
    const counts = typeof segm.counts === 'string' ? rleFromString(segm.counts) : numbers(segm.counts, `${what}.counts`);
    let total = 0;
    for (const c of counts) total += c;
    if (total !== h * w) throw new Error(`${what}: RLE counts cover ${total} pixels, its size is ${h}×${w} = ${h * w}`);
    return { width: w, height: h, counts };
  }
  throw new Error(`${what} must be a list of polygons or an RLE object {size, counts}`);
}

/** Evaluation input from a parsed COCO gt file and a parsed results list (both as `JSON.parse` gives them). */
export function cocoEvalInputFromJson(gtFile: unknown, results: unknown, iouType: IouType): CocoEvalInput {
  if (!isObj(gtFile)) throw new Error('ground-truth file: expected a JSON object with images, annotations, categories');
  if (!Array.isArray(results)) throw new Error('results: expected a JSON list of objects');
  const imagesRaw = Array.isArray(gtFile.images) ? gtFile.images : [];
  const images: EvalImage[] = imagesRaw.map((im, i) => {
    if (!isObj(im)) throw new Error(`images[${i}] is not an object`);
    return { id: num(im.id, `images[${i}].id`), width: im.width as number, height: im.height as number };
  });
  const imgById = new Map(images.map((im) => [im.id, im]));
  const categories: EvalCategory[] = (Array.isArray(gtFile.categories) ? gtFile.categories : []).map((c, i) => {
    if (!isObj(c)) throw new Error(`categories[${i}] is not an object`);
    return { id: num(c.id, `categories[${i}].id`), name: typeof c.name === 'string' ? c.name : undefined };
  });
  const size = (imageId: number, what: string): [number, number] => {
    const im = imgById.get(imageId);
    if (!im) throw new Error(`${what}: image ${imageId} is not in the ground-truth file`);
    return [num(im.height, `image ${imageId} height`), num(im.width, `image ${imageId} width`)];
  };

  const gts: EvalGt[] = (Array.isArray(gtFile.annotations) ? gtFile.annotations : []).map((a, i) => {
    const what = `annotations[${i}]`;
    if (!isObj(a)) throw new Error(`${what} is not an object`);
    const g: EvalGt = {
      id: num(a.id, `${what}.id`),
      imageId: num(a.image_id, `${what}.image_id`),
      categoryId: num(a.category_id, `${what}.category_id`),
      area: num(a.area, `${what}.area`),
      iscrowd: !!a.iscrowd,
    };
    if (a.bbox !== undefined) g.bbox = numbers(a.bbox, `${what}.bbox`, 4);
    if (iouType === 'segm' && imgById.has(g.imageId)) {
      const [h, w] = size(g.imageId, what);
      g.segm = cocoSegmentationToRle(a.segmentation, h, w, `${what}.segmentation`);
    }
    if (iouType === 'keypoints' && a.keypoints !== undefined) {
      g.keypoints = numbers(a.keypoints, `${what}.keypoints`);
      if (a.num_keypoints !== undefined) g.numKeypoints = num(a.num_keypoints, `${what}.num_keypoints`);
    }
    return g;
  });

  const first = results.length > 0 && isObj(results[0]) ? results[0] : undefined;
  let branch: 'bbox' | 'segm' | 'keypoints' | 'none' = 'none';
  if (first && Array.isArray(first.bbox) && first.bbox.length > 0) branch = 'bbox';
  else if (first && first.segmentation !== undefined) branch = 'segm';
  else if (first && first.keypoints !== undefined) branch = 'keypoints';
  const dts: EvalDt[] = results.map((r, i) => {
    const what = `results[${i}]`;
    if (!isObj(r)) throw new Error(`${what} is not an object`);
    const d: EvalDt = {
      id: i + 1,
      imageId: num(r.image_id, `${what}.image_id`),
      categoryId: num(r.category_id, `${what}.category_id`),
      score: num(r.score, `${what}.score`),
    };
    if (!imgById.has(d.imageId)) throw new Error(`${what}: image ${d.imageId} is not in the ground-truth file`);
    if (branch === 'bbox') {
      const bb = numbers(r.bbox, `${what}.bbox`, 4);
      d.bbox = bb;
      d.area = bb[2] * bb[3];
      if (iouType === 'segm') {
        const [h, w] = size(d.imageId, what);
        const x1 = bb[0], x2 = bb[0] + bb[2], y1 = bb[1], y2 = bb[1] + bb[3];
        d.segm =
          r.segmentation === undefined
            ? rleFromPolygons([[x1, y1, x1, y2, x2, y2, x2, y1]], h, w)
            : cocoSegmentationToRle(r.segmentation, h, w, `${what}.segmentation`);
      }
    } else if (branch === 'segm') {
      const [h, w] = size(d.imageId, what);
      const rle = cocoSegmentationToRle(r.segmentation, h, w, `${what}.segmentation`);
      d.area = rleArea(rle);
      // loadRes keeps a bbox it is given, an empty one too (a common way to write "no box" in mask results): an empty
      // one is never read by a segm evaluation, so it stands for the mask's box here rather than failing the file.
      const noBox = r.bbox === undefined || (Array.isArray(r.bbox) && r.bbox.length === 0);
      d.bbox = noBox ? rleBbox(rle) : numbers(r.bbox, `${what}.bbox`, 4);
      if (iouType === 'segm') d.segm = rle;
    } else if (branch === 'keypoints') {
      const kp = numbers(r.keypoints, `${what}.keypoints`);
      const b = keypointResultBox(kp);
      d.bbox = b;
      d.area = b[2] * b[3];
      d.keypoints = kp;
    }
    if (iouType === 'keypoints' && d.keypoints === undefined && r.keypoints !== undefined) d.keypoints = numbers(r.keypoints, `${what}.keypoints`);
    return d;
  });
  return { images, categories, gts, dts, iouType };
}
