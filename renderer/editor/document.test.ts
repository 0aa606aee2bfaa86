/**
 * The step rule on its own: forward sets every `after` in order, backward every `before` in reverse; replaying
 * a queued operation over a read that already saw it changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { HISTORY_LIMIT, type AnnotationState, type EditChange, type LabelClass } from '../../common/api/contract.js';
import { applyChanges, cloneDoc, replayOp, sameValue, trimUndo, type DocData, type StepEntry } from './document.js';

const box = (x: number, classId: number | null = 1): AnnotationState => ({
  imageId: 7,
  classId,
  kind: 'box',
  geometry: { type: 'box', x, y: 0, w: 5, h: 5 },
  attributes: {},
  origin: 'manual',
  derivedFrom: null,
});

const cat: LabelClass = { id: 1, name: 'cat', color: '#4e79a7', hotkey: null, position: 0, keypoints: null };
const dog: LabelClass = { id: 2, name: 'dog', color: '#f28e2b', hotkey: null, position: 1, keypoints: null };

function doc(): DocData {
  return {
    imageId: 7,
    shapes: new Map([
      [10, { id: 10, ...box(1) }],
      [11, { id: 11, ...box(2, 2) }],
    ]),
    classes: new Map([
      [1, cat],
      [2, dog],
    ]),
    undo: [],
    redo: [],
  };
}

const plain = (d: DocData) => ({ shapes: [...d.shapes.values()].sort((a, b) => a.id - b.id), classes: [...d.classes.values()].sort((a, b) => a.id - b.id) });

describe('applyChanges', () => {
  const steps: [string, EditChange[]][] = [
    ['create', [{ t: 'annotation', id: 12, before: null, after: box(9) }]],
    ['edit', [{ t: 'annotation', id: 10, before: box(1), after: box(4, 2) }]],
    ['delete', [{ t: 'annotation', id: 11, before: box(2, 2), after: null }]],
    [
      'two edits of one row in one step',
      [
        { t: 'annotation', id: 10, before: box(1), after: box(3) },
        { t: 'annotation', id: 10, before: box(3), after: box(6) },
      ],
    ],
    ['add class', [{ t: 'class', id: 3, before: null, after: { name: 'bird', color: '#000000', hotkey: 'b', position: 2, keypoints: null } }]],
    [
      'delete a class, moving its annotations',
      [
        { t: 'reclass', ids: [10, 99], from: 1, to: 2 },
        { t: 'class', id: 1, before: { name: 'cat', color: '#4e79a7', hotkey: null, position: 0, keypoints: null }, after: null },
      ],
    ],
  ];

  for (const [name, changes] of steps) {
    it(`${name}: backward after forward gives back exactly the document`, () => {
      const d = doc();
      const start = plain(cloneDoc(d));
      const touched = applyChanges(d, changes, 1);
      expect(plain(d)).not.toEqual(start);
      expect(touched.shapes.size + (touched.classes ? 1 : 0)).toBeGreaterThan(0);
      applyChanges(d, changes, -1);
      expect(plain(d)).toEqual(start);
    });
  }

  it('sets the rows as told', () => {
    const d = doc();
    applyChanges(d, steps[3][1], 1);
    expect(d.shapes.get(10)!.geometry).toEqual({ type: 'box', x: 6, y: 0, w: 5, h: 5 });
    applyChanges(d, steps[5][1], 1);
    expect(d.shapes.get(10)!.classId).toBe(2);
    expect([...d.classes.keys()]).toEqual([2]);
  });

  it('reclass moves only annotations still in the source class, as the server does', () => {
    const d = doc();
    const t = applyChanges(d, [{ t: 'reclass', ids: [10, 11], from: 1, to: null }], 1);
    expect([d.shapes.get(10)!.classId, d.shapes.get(11)!.classId]).toEqual([null, 2]);
    expect([...t.shapes]).toEqual([10]);
  });

  it("skips annotations of other images and writes a class that no longer exists as null", () => {
    const d = doc();
    applyChanges(d, [{ t: 'annotation', id: 50, before: null, after: { ...box(1), imageId: 8 } }], 1);
    expect(d.shapes.has(50)).toBe(false);
    applyChanges(d, [{ t: 'annotation', id: 51, before: null, after: box(1, 42) }], 1);
    expect(d.shapes.get(51)!.classId).toBeNull();
  });
});

describe('replayOp', () => {
  const step = (key: string, x: number): StepEntry => ({ key, label: key, changes: [{ t: 'annotation', id: 10, before: box(1), after: box(x) }] });

  it('a step the read already saw is skipped; one it did not see is applied and stacked', () => {
    const d = doc();
    const s1 = step('k1aaaaaa', 20);
    replayOp(d, { kind: 'apply', imageId: 7, step: s1 });
    const once = plain(cloneDoc(d));
    expect(d.undo.map((e) => e.key)).toEqual(['k1aaaaaa']);
    replayOp(d, { kind: 'apply', imageId: 7, step: s1 });
    expect(plain(d)).toEqual(once);
    expect(d.undo.length).toBe(1);
  });

  it('undo and redo apply only when their step is the next one; steps of other images change only classes', () => {
    const d = doc();
    const s1 = step('k1aaaaaa', 20);
    replayOp(d, { kind: 'apply', imageId: 7, step: s1 });
    replayOp(d, { kind: 'undo', imageId: 7, step: s1 });
    expect(d.shapes.get(10)!.geometry).toMatchObject({ x: 1 });
    expect(d.redo.map((e) => e.key)).toEqual(['k1aaaaaa']);
    replayOp(d, { kind: 'undo', imageId: 7, step: s1 }); // already undone: nothing
    expect(d.shapes.get(10)!.geometry).toMatchObject({ x: 1 });
    replayOp(d, { kind: 'redo', imageId: 7, step: s1 });
    expect(d.shapes.get(10)!.geometry).toMatchObject({ x: 20 });
    const other: StepEntry = {
      key: 'k2aaaaaa',
      label: 'other',
      changes: [
        { t: 'annotation', id: 10, before: box(20), after: box(30) },
        { t: 'class', id: 2, before: { name: 'dog', color: '#f28e2b', hotkey: null, position: 1, keypoints: null }, after: { name: 'hound', color: '#f28e2b', hotkey: null, position: 1, keypoints: null } },
      ],
    };
    replayOp(d, { kind: 'apply', imageId: 8, step: other });
    expect(d.shapes.get(10)!.geometry).toMatchObject({ x: 20 });
    expect(d.classes.get(2)!.name).toBe('hound');
    expect(d.undo.length).toBe(1);
  });

  it('a new step clears redo, and the undo stack keeps the newest HISTORY_LIMIT steps', () => {
    const d = doc();
    replayOp(d, { kind: 'apply', imageId: 7, step: step('k1aaaaaa', 20) });
    replayOp(d, { kind: 'undo', imageId: 7, step: step('k1aaaaaa', 20) });
    replayOp(d, { kind: 'apply', imageId: 7, step: step('k2aaaaaa', 30) });
    expect(d.redo).toEqual([]);
    const long = Array.from({ length: HISTORY_LIMIT + 3 }, (_, i) => step(`key${i}xxxxx`, i));
    trimUndo(long);
    expect(long.length).toBe(HISTORY_LIMIT);
    expect(long[0].key).toBe('key3xxxxx');
  });
});

describe('sameValue', () => {
  it('compares JSON-like values deeply, ignoring undefined keys', () => {
    expect(sameValue({ a: [1, { b: 2 }], c: undefined }, { a: [1, { b: 2 }] })).toBe(true);
    expect(sameValue({ a: [1, 2] }, { a: [1, 3] })).toBe(false);
    expect(sameValue([1], { 0: 1 })).toBe(false);
    expect(sameValue(null, {})).toBe(false);
  });
});
