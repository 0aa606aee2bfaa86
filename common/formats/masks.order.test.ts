/**
 * The order shapes are painted into class and instance maps (largest first, so a small shape on a large one stays
 * visible; equal areas in list order), with the ignore class anywhere in the class list. Worked by hand.
 */
import { formatObject } from '../../test/formats-testkit.js';
import { describe, expect, it } from 'vitest';
import { encodeRle } from '../geometry/rle.js';
import { holdSemantic, holdVocImage, instanceMap, masksFromSemanticMap, semanticMap } from './masks.js';
import type { FormatObject } from './types.js';

const obj = (cls: string, geometry: FormatObject['geometry']): FormatObject => formatObject(cls, geometry);
const square = (x: number, y: number, s = 1) => ({ type: 'polygon' as const, points: [x, y, x + s, y, x + s, y + s, x, y + s] });

describe('painting order', () => {
  const image = { id: 1, file: 'a.png', width: 3, height: 3 };
  const one = new Uint8Array(9);
  one[4] = 1;
  it('keeps a small shape drawn before a large one visible on top of it (polygons and masks)', () => {
    const classes = new Map([['cat', 0], ['dog', 1]]);
    const want = [2, 2, 2, 2, 1, 2, 2, 2, 2];
    const maskFirst = [obj('cat', { type: 'mask', ...encodeRle(one, 3, 3) }), obj('dog', square(0, 0, 3))];
    const polygonFirst = [obj('cat', square(1, 1)), obj('dog', { type: 'mask', ...encodeRle(new Uint8Array(9).fill(1), 3, 3) })];
    for (const objects of [maskFirst, polygonFirst]) {
      expect(Array.from(semanticMap({ image, objects }, classes))).toEqual(want);
      expect(Array.from(instanceMap({ image, objects }))).toEqual(want);
    }
  });

  it('puts the later of equal areas on top, over three shapes', () => {
    const classes = new Map([['a', 0], ['b', 1], ['c', 2]]);
    const a = obj('a', square(0, 0, 2)), b = obj('b', square(1, 0, 2)), c = obj('c', square(1, 1, 2));
    expect(Array.from(semanticMap({ image, objects: [a, b, c] }, classes))).toEqual([1, 2, 2, 1, 3, 3, 0, 3, 3]);
    expect(Array.from(semanticMap({ image, objects: [c, b, a] }, classes))).toEqual([1, 1, 2, 1, 1, 2, 0, 3, 3]);
  });
});

describe('holdSemantic and holdVocImage with an ignore class', () => {
  const image = { id: 1, file: 'a.png', width: 3, height: 1 };
  it('holds the ignore class last, as 255, even when the class list places it between others', () => {
    const objects = [obj('cat', square(0, 0)), obj('void', square(1, 0)), obj('dog', square(2, 0))];
    const held = holdSemantic({ image, objects }, new Map([['cat', 0], ['void', 1], ['dog', 2]]), { ignoreClass: 'void' });
    if (typeof held === 'string') throw new Error(held);
    expect(held.map((o) => [o.class, o.geometry])).toEqual([
      ['cat', { type: 'mask', width: 3, height: 1, counts: [0, 1, 2] }],
      ['dog', { type: 'mask', width: 3, height: 1, counts: [2, 1] }],
      ['void', { type: 'mask', width: 3, height: 1, counts: [1, 1, 1] }],
    ]);
  });

  it('gives the XML writer’s reason for an object of another class that VOC leaves out', () => {
    const objects = [obj('cat', { type: 'keypoints', points: [1, 0.5, 2] }), obj('void', square(1, 0))];
    expect(holdVocImage({ image, objects }, { ignoreClass: 'void' }).map((h) => h.held)).toEqual([
      'keypoints: VOC holds boxes and segmentation only',
      'ignore-class regions: VOC holds them only as void (255) in the segmentation PNGs',
    ]);
  });
});

describe('masksFromSemanticMap order', () => {
  it('lists values numerically even when a larger value comes first in the map', () => {
    // 2×2, row-major [10, 2 / 0, 0]: column-major the map meets 10 first, then 2.
    const names = Array.from({ length: 10 }, (_, i) => `c${i + 1}`);
    const got = masksFromSemanticMap(Uint8Array.from([10, 2, 0, 0]), 2, 2, names);
    expect(got.map((o) => [o.where, o.class, o.geometry])).toEqual([
      ['value 2', 'c2', { type: 'mask', width: 2, height: 2, counts: [2, 1, 1] }],
      ['value 10', 'c10', { type: 'mask', width: 2, height: 2, counts: [0, 1, 3] }],
    ]);
  });
});
