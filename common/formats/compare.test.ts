import { describe as suite, expect, it } from 'vitest';
import type { Geometry } from '../api/contract.js';
import { compareObjects, describe, sameGeometry, type Comparable } from './compare.js';

const box = (x: number, y: number, w: number, h: number): Geometry => ({ type: 'box', x, y, w, h });
const obj = (geometry: Geometry, over: Partial<Comparable> = {}): Comparable => ({
  class: 'car',
  kind: geometry.type,
  geometry,
  attributes: {},
  score: null,
  ...over,
});

suite('sameGeometry', () => {
  it('tells geometry types apart', () => {
    expect(sameGeometry(box(0, 0, 1, 1), { type: 'polygon', points: [0, 0, 1, 0, 1, 1] }, 1)).toBe(false);
    expect(sameGeometry({ type: 'tag' }, { type: 'caption', text: '' }, 0)).toBe(false);
    expect(sameGeometry({ type: 'tag' }, { type: 'tag' }, 0)).toBe(true);
  });

  it('compares each box field within the tolerance, inclusive', () => {
    const a = box(10, 20, 30, 40);
    expect(sameGeometry(a, box(10, 20, 30, 40), 0)).toBe(true);
    // exactly at the tolerance still counts as the same
    expect(sameGeometry(a, box(10.5, 20.5, 30.5, 40.5), 0.5)).toBe(true);
    expect(sameGeometry(a, box(9.5, 19.5, 29.5, 39.5), 0.5)).toBe(true);
    // each field on its own can make the difference
    expect(sameGeometry(a, box(10.6, 20, 30, 40), 0.5)).toBe(false);
    expect(sameGeometry(a, box(10, 20.6, 30, 40), 0.5)).toBe(false);
    expect(sameGeometry(a, box(10, 20, 30.6, 40), 0.5)).toBe(false);
    expect(sameGeometry(a, box(10, 20, 30, 40.6), 0.5)).toBe(false);
    expect(sameGeometry(a, box(9.4, 20, 30, 40), 0.5)).toBe(false);
  });

  it('forgives only a relative rounding error of about 1e-9 on top of the tolerance', () => {
    // 1e6 and 1e6 + 1e-4: relative difference 1e-10, within 1e-9 × 1e6 = 1e-3
    expect(sameGeometry(box(1e6, 0, 0, 0), box(1e6 + 1e-4, 0, 0, 0), 0)).toBe(true);
    // 1e6 + 0.01 is 1e-8 relative: too far
    expect(sameGeometry(box(1e6, 0, 0, 0), box(1e6 + 0.01, 0, 0, 0), 0)).toBe(false);
    // near zero the slack is 1e-9 absolute (max(1, |a|)), not 1e-9 × |a|
    expect(sameGeometry(box(0, 0, 0, 0), box(5e-10, 0, 0, 0), 0)).toBe(true);
    expect(sameGeometry(box(0, 0, 0, 0), box(1e-8, 0, 0, 0), 0)).toBe(false);
    // the comparison is inclusive at the slack itself: |0 - 1e-9| = 1e-9 = 0 + 1e-9 × max(1, 0)
    expect(sameGeometry(box(0, 0, 0, 0), box(1e-9, 0, 0, 0), 0)).toBe(true);
    // the slack scales with |a| also for a negative a
    expect(sameGeometry(box(-1e6, 0, 0, 0), box(-1e6 - 1e-4, 0, 0, 0), 0)).toBe(true);
  });

  it('compares polygon points one by one, and their count', () => {
    const p: Geometry = { type: 'polygon', points: [0, 0, 10, 0, 10, 10] };
    expect(sameGeometry(p, { type: 'polygon', points: [0.1, 0, 10, 0, 10, 9.9] }, 0.1)).toBe(true);
    expect(sameGeometry(p, { type: 'polygon', points: [0, 0, 10, 0, 10, 10.2] }, 0.1)).toBe(false);
    expect(sameGeometry(p, { type: 'polygon', points: [0.2, 0, 10, 0, 10, 10] }, 0.1)).toBe(false);
    expect(sameGeometry(p, { type: 'polygon', points: [0, 0, 10, 0, 10, 10, 0, 10] }, 0.1)).toBe(false);
    expect(sameGeometry(p, { type: 'polygon', points: [0, 0, 10, 0] }, 5)).toBe(false);
  });

  it('compares masks by size and by pixels, whatever the runs', () => {
    // 2×2 mask, column-major: [0 off, 2 on, 2 off] → pixels (col 0: row 0 off, row 1 on; col 1: row 0 on, row 1 off)
    const m: Geometry = { type: 'mask', width: 2, height: 2, counts: [1, 2, 1] };
    expect(sameGeometry(m, { type: 'mask', width: 2, height: 2, counts: [1, 2, 1] }, 0)).toBe(true);
    // the same pixels as split runs (an on-run of 1, an empty off-run, an on-run of 1)
    expect(sameGeometry(m, { type: 'mask', width: 2, height: 2, counts: [1, 1, 0, 1, 1] }, 0)).toBe(true);
    // one pixel differs
    expect(sameGeometry(m, { type: 'mask', width: 2, height: 2, counts: [1, 3] }, 0)).toBe(false);
    expect(sameGeometry(m, { type: 'mask', width: 2, height: 2, counts: [0, 3, 1] }, 0)).toBe(false);
    // runs differ by one and the tolerance does not apply to masks
    expect(sameGeometry(m, { type: 'mask', width: 2, height: 2, counts: [2, 1, 1] }, 5)).toBe(false);
    // same counts but another size
    expect(sameGeometry(m, { type: 'mask', width: 4, height: 1, counts: [1, 2, 1] }, 0)).toBe(false);
    expect(sameGeometry(m, { type: 'mask', width: 1, height: 4, counts: [1, 2, 1] }, 0)).toBe(false);
    // width differs alone (height equal)
    expect(sameGeometry({ type: 'mask', width: 2, height: 1, counts: [2] }, { type: 'mask', width: 1, height: 1, counts: [1] }, 0)).toBe(false);
    // a wider mask whose extra pixels are all set is still another mask (it must not compare pixel by pixel)
    expect(sameGeometry({ type: 'mask', width: 2, height: 1, counts: [0, 2] }, { type: 'mask', width: 1, height: 1, counts: [0, 1] }, 0)).toBe(false);
    expect(sameGeometry({ type: 'mask', width: 1, height: 2, counts: [0, 2] }, { type: 'mask', width: 1, height: 1, counts: [0, 1] }, 0)).toBe(false);
    // height differs alone (width equal)
    expect(sameGeometry({ type: 'mask', width: 1, height: 2, counts: [2] }, { type: 'mask', width: 1, height: 1, counts: [1] }, 0)).toBe(false);
  });

  it('compares keypoints by visibility, and by position only where the point is present', () => {
    const k: Geometry = { type: 'keypoints', points: [10, 10, 2, 0, 0, 0, 30, 30, 1] };
    expect(sameGeometry(k, { type: 'keypoints', points: [10.4, 9.6, 2, 99, 99, 0, 30, 30.5, 1] }, 0.5)).toBe(true);
    // visibility differs
    expect(sameGeometry(k, { type: 'keypoints', points: [10, 10, 1, 0, 0, 0, 30, 30, 1] }, 0.5)).toBe(false);
    expect(sameGeometry(k, { type: 'keypoints', points: [10, 10, 2, 0, 0, 0, 30, 30, 2] }, 0.5)).toBe(false);
    // a visible point moved in x, or in y; an occluded point moved
    expect(sameGeometry(k, { type: 'keypoints', points: [11, 10, 2, 0, 0, 0, 30, 30, 1] }, 0.5)).toBe(false);
    expect(sameGeometry(k, { type: 'keypoints', points: [10, 11, 2, 0, 0, 0, 30, 30, 1] }, 0.5)).toBe(false);
    expect(sameGeometry(k, { type: 'keypoints', points: [10, 10, 2, 0, 0, 0, 31, 30, 1] }, 0.5)).toBe(false);
    // fewer points, or more
    expect(sameGeometry(k, { type: 'keypoints', points: [10, 10, 2] }, 0.5)).toBe(false);
    expect(sameGeometry({ type: 'keypoints', points: [10, 10, 2] }, k, 0.5)).toBe(false);
  });

  it('compares captions by exact text', () => {
    expect(sameGeometry({ type: 'caption', text: 'a dog' }, { type: 'caption', text: 'a dog' }, 1)).toBe(true);
    expect(sameGeometry({ type: 'caption', text: 'a dog' }, { type: 'caption', text: 'a dog ' }, 1)).toBe(false);
  });
});

suite('describe', () => {
  it('names the class, the shape and the score', () => {
    expect(describe(obj(box(1.234, 5, 6.789, 0.005)))).toBe('car box 1.23,5,6.79,0.01');
    expect(describe(obj(box(1, 2, 3, 4), { score: 0.75 }))).toBe('car box 1,2,3,4 score 0.75');
    expect(describe(obj(box(1, 2, 3, 4), { class: null, score: 0 }))).toBe('(no class) box 1,2,3,4 score 0');
    expect(describe(obj({ type: 'polygon', points: [0, 0, 1, 0, 1, 1, 0, 1] }))).toBe('car polygon of 4 points');
    expect(describe(obj({ type: 'mask', width: 3, height: 2, counts: [6] }))).toBe('car mask 3×2');
    expect(describe(obj({ type: 'keypoints', points: [1, 1, 2, 2, 2, 2] }))).toBe('car 2 keypoints');
    expect(describe(obj({ type: 'caption', text: 'x'.repeat(50) }))).toBe(`car caption "${'x'.repeat(40)}"`);
    expect(describe(obj({ type: 'tag' }))).toBe('car tag');
  });
});

suite('compareObjects', () => {
  it('is empty when both sides hold the same objects, in any order', () => {
    const a = obj(box(0, 0, 1, 1));
    const b = obj(box(5, 5, 1, 1), { class: 'dog' });
    expect(compareObjects('img.jpg', [a, b], [b, a], 0)).toEqual([]);
    expect(compareObjects('img.jpg', [], [], 0)).toEqual([]);
  });

  it('names what was written but not read back, and what was read back but not written', () => {
    const a = obj(box(0, 0, 1, 1));
    const b = obj(box(5, 5, 1, 1), { class: 'dog' });
    expect(compareObjects('img.jpg', [a, b], [a], 0)).toEqual(['img.jpg: dog box 5,5,1,1 was written but not read back equal']);
    expect(compareObjects('img.jpg', [a], [b, a], 0)).toEqual(['img.jpg: read back dog box 5,5,1,1, which was not meant to be there']);
    expect(compareObjects('x', [a], [b], 0)).toEqual([
      'x: car box 0,0,1,1 was written but not read back equal',
      'x: read back dog box 5,5,1,1, which was not meant to be there',
    ]);
  });

  it('matches each read-back object at most once', () => {
    const a = obj(box(0, 0, 1, 1));
    expect(compareObjects('i', [a, a], [a], 0)).toEqual(['i: car box 0,0,1,1 was written but not read back equal']);
    expect(compareObjects('i', [a], [a, a], 0)).toEqual(['i: read back car box 0,0,1,1, which was not meant to be there']);
    expect(compareObjects('i', [a, a], [a, a], 0)).toEqual([]);
  });

  it('takes the first free match, leaving later ones for later objects', () => {
    // e1 matches both a1 and a2 (tolerance 1); e2 matches only a2. A greedy first-match pairs e1-a1, e2-a2.
    const e1 = obj(box(0, 0, 1, 1));
    const e2 = obj(box(1.5, 0, 1, 1));
    const a1 = obj(box(0, 0, 1, 1));
    const a2 = obj(box(1, 0, 1, 1));
    expect(compareObjects('i', [e1, e2], [a1, a2], 1)).toEqual([]);
  });

  it('tells objects apart by class, kind, score and attributes', () => {
    const a = obj(box(0, 0, 1, 1), { attributes: { difficult: true, note: 'x' } });
    expect(compareObjects('i', [a], [{ ...a, class: 'dog' }], 0)).toHaveLength(2);
    expect(compareObjects('i', [a], [{ ...a, class: null }], 0)).toHaveLength(2);
    expect(compareObjects('i', [a], [{ ...a, kind: 'polygon' }], 0)).toHaveLength(2);
    // attributes: same in another key order is equal; a changed value, a missing or an extra key is not
    expect(compareObjects('i', [a], [{ ...a, attributes: { note: 'x', difficult: true } }], 0)).toEqual([]);
    expect(compareObjects('i', [a], [{ ...a, attributes: { difficult: false, note: 'x' } }], 0)).toHaveLength(2);
    expect(compareObjects('i', [a], [{ ...a, attributes: { difficult: true } }], 0)).toHaveLength(2);
    expect(compareObjects('i', [a], [{ ...a, attributes: { difficult: true, note: 'x', z: 1 } }], 0)).toHaveLength(2);
    expect(compareObjects('i', [a], [{ ...a, attributes: { difficult: true, other: 'x' } }], 0)).toHaveLength(2);
    // geometry
    expect(compareObjects('i', [a], [{ ...a, geometry: box(0, 0, 2, 1) }], 0)).toHaveLength(2);
  });

  it('compares scores within their own tolerance, and a label never equals a prediction', () => {
    const p = obj(box(0, 0, 1, 1), { score: 0.5 });
    const label = obj(box(0, 0, 1, 1));
    expect(compareObjects('i', [p], [{ ...p, score: 0.5001 }], 0, 0.001)).toEqual([]);
    expect(compareObjects('i', [p], [{ ...p, score: 0.501 }], 0, 0.001)).toEqual([]);
    expect(compareObjects('i', [p], [{ ...p, score: 0.502 }], 0, 0.001)).toHaveLength(2);
    // the box tolerance does not apply to scores; the default score tolerance is 0
    expect(compareObjects('i', [p], [{ ...p, score: 0.6 }], 1)).toHaveLength(2);
    expect(compareObjects('i', [p], [label], 1)).toHaveLength(2);
    expect(compareObjects('i', [label], [p], 1)).toHaveLength(2);
    expect(compareObjects('i', [label], [label], 0)).toEqual([]);
    // a score of 0 is a score, not "no score"
    expect(compareObjects('i', [{ ...p, score: 0 }], [label], 1)).toHaveLength(2);
  });
});
