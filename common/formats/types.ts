/**
 * What the dataset formats read and write (issue 8). Pure: no Node, no DOM. Writers take these records and
 * return text / bytes / objects; parsers take a file's text and return these records or throw a FormatError
 * that names the file and the line or record.
 *
 * Geometry is the project's own (common/api/contract.ts `Geometry`): displayed image pixels (EXIF orientation
 * applied), boxes as x, y, w, h, polygons as flat x,y lists (one ring), masks as COCO column-major RLE counts
 * of the whole image, keypoints as x,y,v triples (v: 0 absent, 1 occluded, 2 visible).
 */
import type { AnnotationKind, Geometry, KeypointTemplate } from '../api/contract.js';

export type AttributeValue = string | number | boolean | null;
export type FormatAttributes = Record<string, AttributeValue>;

/** A class as the formats see it, in the project's class order. */
export interface FormatClass {
  name: string;
  /** 0-based place in the project's class order: YOLO's class id, `data.yaml` `names` order, VOC palette index - 1. */
  index: number;
  /** COCO `category_id`: stable (does not move when the class is renamed or others are reordered). */
  categoryId: number;
  keypoints: KeypointTemplate | null;
}

export interface FormatImage {
  /** The project's image id (COCO `image_id` on export). */
  id: number;
  /** Path of the image inside the dataset's image folder, '/'-separated, relative (e.g. "street/0001.jpg"). */
  file: string;
  /** Displayed size (after EXIF rotation). */
  width: number;
  height: number;
}

/** One label or prediction of an image. */
export interface FormatObject {
  /** The project's annotation or prediction id (COCO annotation `id` on export). */
  id: number;
  /** Class name; null for a shape without a class (formats that need a class list it as not exported). */
  class: string | null;
  kind: AnnotationKind;
  geometry: Geometry;
  /** Free attributes; formats map the ones they know (`iscrowd`, `difficult`, `truncated`, `occluded`, `group_id`). */
  attributes: FormatAttributes;
  /** A prediction's score; null for labels. */
  score: number | null;
}

export interface FormatRecord {
  image: FormatImage;
  objects: FormatObject[];
}

/** What a parser found for one object: like FormatObject, without the project's id, plus where it came from. */
export interface ParsedObject {
  class: string | null;
  kind: AnnotationKind;
  geometry: Geometry;
  attributes: FormatAttributes;
  score: number | null;
  /** Where in the file: "line 12", "annotations[3] (id 17)", "shapes[2]" — for messages. */
  where: string;
}

export interface ParsedImage {
  /** The image's path as the dataset names it ('/'-separated; relative to the dataset's image folder when it can be). */
  file: string;
  width: number | null;
  height: number | null;
  objects: ParsedObject[];
}

/** Bad input: names the file and the line or record, and says what is wrong. */
export class FormatError extends Error {
  constructor(
    readonly file: string,
    readonly where: string | null,
    readonly problem: string,
  ) {
    super(`${file}${where ? ` (${where})` : ''}: ${problem}`);
    this.name = 'FormatError';
  }
}

/**
 * What a format keeps of one object, as it must read back: one or more objects (a YOLO line per polygon, a
 * LabelMe point per keypoint are still one object here), or a string saying why it is not exported
 * ("COCO instances hold no image tags"). Writers serialize exactly what `hold` returns; the round-trip check
 * compares what the format's parser reads back with it, within the format's precision.
 */
export type Held = Omit<ParsedObject, 'where'>[] | string;

/** Counts what an export left out or changed, by reason, for the summary ("3 tags: VOC holds no image tags"). */
export class ExportTally {
  readonly notExported = new Map<string, number>();
  readonly changed = new Map<string, number>();
  skip(reason: string, n = 1): void {
    this.notExported.set(reason, (this.notExported.get(reason) ?? 0) + n);
  }
  change(reason: string, n = 1): void {
    this.changed.set(reason, (this.changed.get(reason) ?? 0) + n);
  }
  /** Lines for the summary: "12 × reason". */
  lines(): string[] {
    const out: string[] = [];
    for (const [r, n] of this.notExported) out.push(`not exported: ${n} × ${r}`);
    for (const [r, n] of this.changed) out.push(`changed: ${n} × ${r}`);
    return out;
  }
}

/** zlib as the PNG codec needs it (Node's zlib.deflateSync / inflateSync in the core; injected so formats stay pure). */
export interface Zlib {
  deflate(data: Uint8Array): Uint8Array;
  /**
   * `maxLength`: throw InflateLimitError rather than produce more bytes than that, so a zip bomb cannot exhaust
   * memory.
   */
  inflate(data: Uint8Array, maxLength?: number): Uint8Array;
}

/** Thrown by `Zlib.inflate` when the data inflate to more than the `maxLength` it was given. */
export class InflateLimitError extends Error {
  constructor(readonly maxLength: number) {
    super(`the data inflate to more than ${maxLength} bytes`);
    this.name = 'InflateLimitError';
  }
}
