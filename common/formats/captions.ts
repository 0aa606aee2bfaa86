/**
 * Captions as JSON Lines (issue 8): one caption per line, `{"image": "<file>", "image_id": <id>, "caption": "…"}`,
 * each line ending in "\n" — the shape caption training scripts (and Hugging Face `datasets`' json loader)
 * read line by line. A prediction run adds `"score"`.
 */
import { locateJsonError } from './labelme.js';
import { FormatError, type ExportTally, type FormatImage, type FormatObject, type FormatRecord, type Held, type ParsedImage } from './types.js';

/** Caption text is written as it is: nothing to round. */
export const CAPTIONS_PRECISION_PX = 0;

const R = {
  notCaption: 'shapes and tags (a captions file holds captions only)',
  classDropped: 'caption classes not kept (a captions file has no class)',
  attributesDropped: 'caption attributes not kept (a captions file has none)',
} as const;

/** What the captions file keeps of one object, or why it is not exported. */
export function holdCaption(obj: FormatObject, image: FormatImage, tally?: ExportTally): Held {
  void image;
  if (obj.geometry.type !== 'caption') return R.notCaption;
  if (tally) {
    if (obj.class !== null) tally.change(R.classDropped);
    if (Object.keys(obj.attributes).length) tally.change(R.attributesDropped);
  }
  return [{ class: null, kind: 'caption', geometry: { type: 'caption', text: obj.geometry.text }, attributes: {}, score: obj.score }];
}

/**
 * The lines of these records' captions (a generator, so a large export streams). Objects that are not
 * captions are counted in `tally` when given (an export of captions only usually leaves them aside on purpose).
 */
export function* captionsJsonlLines(records: Iterable<FormatRecord>, tally?: ExportTally): Generator<string> {
  for (const rec of records) {
    for (const obj of rec.objects) {
      const held = holdCaption(obj, rec.image, tally);
      if (typeof held === 'string') {
        tally?.skip(held);
        continue;
      }
      for (const h of held) {
        const line: Record<string, unknown> = { image: rec.image.file, image_id: rec.image.id, caption: (h.geometry as { text: string }).text };
        if (h.score !== null) line.score = h.score;
        yield jsonLine(line);
      }
    }
  }
}

/**
 * One object as one line. JSON.stringify escapes control characters but leaves U+0085, U+2028 and U+2029 raw,
 * and Python's str.splitlines() breaks lines at them: escaped, a caption can never split its record.
 */
function jsonLine(v: unknown): string {
  return JSON.stringify(v).replace(/[\u0085\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) + '\n';
}

/** The whole captions file as one string. */
export function captionsJsonl(records: Iterable<FormatRecord>, tally?: ExportTally): string {
  let out = '';
  for (const line of captionsJsonlLines(records, tally)) out += line;
  return out;
}

export interface ParsedCaptionImage extends ParsedImage {
  /** `image_id` as the file gives it (the first line of the image that has one); null when absent. */
  imageId: number | null;
}

/**
 * Read a captions JSON Lines file: images in the order they first appear, each with its captions. Blank lines
 * are skipped; errors name `line N`.
 */
export function parseCaptionsJsonl(text: string, file: string): ParsedCaptionImage[] {
  const byImage = new Map<string, ParsedCaptionImage>();
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const where = `line ${i + 1}`;
    const fail = (problem: string): never => {
      throw new FormatError(file, where, problem);
    };
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      const at = locateJsonError(line);
      fail(at ? `not valid JSON at column ${at.column}: ${at.problem}` : `not valid JSON: ${(e as Error).message}`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail('each line must be a JSON object like {"image": "a.jpg", "caption": "…"}');
    const o = v as Record<string, unknown>;
    if (o.image === undefined) fail('no "image" (the image file the caption is about)');
    if (typeof o.image !== 'string' || o.image === '') fail('"image" must be a non-empty string');
    if (o.caption === undefined) fail('no "caption"');
    if (typeof o.caption !== 'string') fail(`"caption" must be a string, got ${o.caption === null ? 'null' : typeof o.caption}`);
    // The project's limit on a caption (common/api/contract.ts Geometry).
    if ((o.caption as string).length > 10_000) fail(`"caption" has ${(o.caption as string).length} characters; Sightline keeps captions of up to 10000`);
    let imageId: number | null = null;
    if (o.image_id !== undefined && o.image_id !== null) {
      if (typeof o.image_id !== 'number' || !Number.isInteger(o.image_id)) fail('"image_id" must be a whole number');
      imageId = o.image_id as number;
    }
    let score: number | null = null;
    if (o.score !== undefined && o.score !== null) {
      if (typeof o.score !== 'number' || !Number.isFinite(o.score)) fail('"score" must be a number');
      score = o.score as number;
    }
    const fileName = (o.image as string).replace(/\\/g, '/');
    let img = byImage.get(fileName);
    if (!img) {
      img = { file: fileName, width: null, height: null, objects: [], imageId };
      byImage.set(fileName, img);
    } else if (imageId !== null) {
      if (img.imageId === null) img.imageId = imageId;
      else if (img.imageId !== imageId) fail(`"${fileName}" has image_id ${imageId} here but ${img.imageId} on an earlier line`);
    }
    img.objects.push({ class: null, kind: 'caption', geometry: { type: 'caption', text: o.caption as string }, attributes: {}, score, where });
  });
  return [...byImage.values()];
}
