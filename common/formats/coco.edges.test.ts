/**
 * COCO edge cases (issue 13), beside coco.cases.test.ts: chunk boundaries of the streamed writers (an `info` of any
 * size, a section head or end that fills a chunk), and images of half-known size.
 */
import { describe, expect, it } from 'vitest';
import { refusal } from '../../test/formats-testkit.js';
import { cocoCaptionsChunks, cocoInstancesChunks, parseCocoAnnotation, parseCocoCategory, parseCocoFile, type CocoContext } from './coco.js';
import { ExportTally, type FormatImage } from './types.js';

const img: FormatImage = { id: 1, file: 'a.jpg', width: 4, height: 3 };

/** An info object whose first piece of the file, `{"info":{"d":"x…x"},\n`, is `length` characters long. */
const infoOf = (length: number) => ({ d: 'x'.repeat(length - 18) });

describe('COCO writers: chunk boundaries never lose text', () => {
  // Chunks are cut at 65 536 characters. The first piece is the info; then '"categories":[' (14), items, '\n]' (2).
  it.each([
    ['an info larger than a chunk', 70_000],
    ['an info that is exactly a chunk', 65_536],
    ['a categories head that fills the first chunk', 65_530],
    ['a categories end that fills the first chunk', 65_521],
  ])('%s', (_name, length) => {
    const info = infoOf(length);
    const instances = [...cocoInstancesChunks(info, [], [img], [], new ExportTally())];
    for (const c of instances) expect(typeof c).toBe('string');
    expect(JSON.parse(instances.join(''))).toEqual({ info, categories: [], images: [{ id: 1, file_name: 'a.jpg', width: 4, height: 3 }], annotations: [] });
    // The captions file starts the same way, with '"images":[' (10) after the info.
    const captions = [...cocoCaptionsChunks(info, [], [], new ExportTally())];
    for (const c of captions) expect(typeof c).toBe('string');
    expect(JSON.parse(captions.join(''))).toEqual({ info, images: [], annotations: [] });
    const captionsHead = [...cocoCaptionsChunks(infoOf(65_530), [], [], new ExportTally())];
    expect(JSON.parse(captionsHead.join('')).info).toEqual(infoOf(65_530));
  });
});

describe('COCO import: half-known sizes and missing sections', () => {
  const ctx = (): CocoContext => ({
    file: 'f.json',
    categories: new Map([[2, { name: 'car', keypoints: null }]]),
    images: new Map([[7, { width: null, height: 3 }]]),
    seenIds: new Set(),
  });
  const ann = (extra: Record<string, unknown>) => ({ id: 40, image_id: 7, category_id: 2, bbox: [0, 0, 1, 1], ...extra });

  it('an image with a height but no width: an RLE gives the size; several polygon parts cannot be rasterised', () => {
    expect(parseCocoAnnotation(ann({ segmentation: { size: [3, 5], counts: [15] } }), 'annotations[0]', ctx()).objects[0].geometry).toEqual({
      type: 'mask',
      width: 5,
      height: 3,
      counts: [15],
    });
    const ring = [0, 0, 2, 0, 2, 2];
    expect(refusal(() => parseCocoAnnotation(ann({ segmentation: [ring, ring] }), 'annotations[0]', ctx())).problem).toBe(
      'a polygon of several parts becomes a mask, which needs the image’s width and height; the image has none',
    );
  });

  it('a category name that is not a string is refused, not crashed on', () => {
    expect(refusal(() => parseCocoCategory({ id: 1, name: 5 }, 'categories[0]', 'f.json')).problem).toBe('name must be a non-empty string, found 5');
    expect(refusal(() => parseCocoCategory({ id: 1 }, 'categories[0]', 'f.json')).problem).toBe('name must be a non-empty string, found undefined');
  });

  it('a file with categories but no images section has no images', () => {
    expect(parseCocoFile('{"categories": [{"id": 1, "name": "a"}]}', 'f.json')).toMatchObject({ kind: 'instances', images: [], records: 0 });
  });
});
