/**
 * Inputs of the COCO-style evaluation, independent of any file format: the COCO file adapter (cocoInput.ts) and
 * the project's own labels and runs both produce these.
 */
import type { Rle } from '../geometry/rle.js';

export type IouType = 'bbox' | 'segm' | 'keypoints';

export interface EvalImage {
  id: number;
  width?: number;
  height?: number;
}

export interface EvalCategory {
  id: number;
  name?: string;
  /** Per-keypoint OKS sigmas of the class's skeleton template (keypoints only). */
  sigmas?: readonly number[];
}

export interface EvalGt {
  id: number;
  imageId: number;
  categoryId: number;
  /** COCO's `area` field: decides the area range and the OKS scale (not the box size). */
  area: number;
  iscrowd?: boolean | number;
  /** [x, y, w, h]; needed for bbox, and for keypoints (the box a gt without labelled points is measured by). */
  bbox?: readonly number[];
  /** Mask (column-major RLE), needed for segm. */
  segm?: Rle;
  /** x, y, v triples, needed for keypoints. */
  keypoints?: readonly number[];
  /** Labelled points; 0 makes the gt ignored for keypoints. Counted from `keypoints` (v > 0) when absent. */
  numKeypoints?: number;
  /** Treat as an ignored region, as a crowd is. Not a pycocotools field: the COCO file adapter never sets it, since pycocotools overwrites a file's `ignore` with `iscrowd`. */
  ignore?: boolean;
}

export interface EvalDt {
  id?: number;
  imageId: number;
  categoryId: number;
  score: number;
  bbox?: readonly number[];
  segm?: Rle;
  keypoints?: readonly number[];
  /** Overrides the area derived from the geometry: w*h of the box (bbox), the mask area (segm), the extent of all points (keypoints). */
  area?: number;
}

export interface AreaRange {
  label: string;
  /** Inclusive [min, max] of the gt `area`. */
  range: readonly [number, number];
}

export interface CocoParams {
  iouThrs?: readonly number[];
  recThrs?: readonly number[];
  /** Sorted ascending before use, as pycocotools does. */
  maxDets?: readonly number[];
  areaRanges?: readonly AreaRange[];
  /** OKS sigmas for categories that carry none (default: COCO's 17 person sigmas for 17-point skeletons). */
  sigmas?: readonly number[];
}
