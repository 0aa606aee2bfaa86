/**
 * EditsRepo on real SQLite files made by the shipped migrations: steps applied, undone and redone for every change
 * type, idempotent keys, conflicts, the redo branch, trimming, id reservation and the refusals.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ApiError,
  HISTORY_LIMIT,
  type AnnotationState,
  type ClassState,
  type EditChange,
  type EditStep,
  type Geometry,
} from '../../../common/api/contract.js';
import { ProjectStore } from './store.js';

let dir: string;
let store: ProjectStore;
let keyNo = 0;

function makeProject(file: string, images = 3): ProjectStore {
  const s = ProjectStore.open(file, { create: true });
  s.db.prepare('INSERT INTO image_roots (id, path, added_at) VALUES (1, ?, 0)').run(dir);
  const ins = s.db.prepare(
    `INSERT INTO images (root_id, rel_path, width, height, format, byte_size, mtime_ms, content_hash, added_at)
     VALUES (1, ?, 100, 80, 'png', 1, 0, ?, 0)`,
  );
  for (let i = 1; i <= images; i++) ins.run(`img${i}.png`, String(i).repeat(64));
  return s;
}

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-edits-'));
  store = makeProject(path.join(dir, 'p.sightline'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const key = () => `step-${String(++keyNo).padStart(6, '0')}`;
const step = (changes: EditChange[], label = 'edit'): EditStep => ({ key: key(), label, changes });

function ann(imageId: number, geometry: Geometry, extra: Partial<AnnotationState> = {}): AnnotationState {
  return { imageId, classId: null, kind: geometry.type, geometry, attributes: {}, origin: 'manual', derivedFrom: null, ...extra };
}
const box = (x: number, y = 10, w = 20, h = 10): Geometry => ({ type: 'box', x, y, w, h });
const cls = (name: string, extra: Partial<ClassState> = {}): ClassState => ({ name, color: '#112233', hotkey: null, position: 0, keypoints: null, ...extra });

/** The stored annotation's content, as the editor holds it. */
function stateOf(id: number): AnnotationState | null {
  const a = store.db.prepare('SELECT image_id FROM annotations WHERE id = ?').pluck().get(id) as number | undefined;
  if (a === undefined) return null;
  const { imageId, classId, kind, geometry, attributes, origin, derivedFrom } = store.annotations.listForImage(a).find((x) => x.id === id)!;
  return { imageId, classId, kind, geometry, attributes, origin, derivedFrom };
}

function reserve(n = 1): number {
  return store.edits.reserveIds('annotations', n).first;
}

function expectApiError(fn: () => unknown, code: string, text: RegExp): ApiError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).code, (e as Error).message).toBe(code);
    expect((e as ApiError).message).toMatch(text);
    return e as ApiError;
  }
  throw new Error('expected an ApiError');
}

describe('annotation changes', () => {
  const geometries: Geometry[] = [
    { type: 'box', x: 1.5, y: 2, w: 30, h: 40 },
    { type: 'polygon', points: [0, 0, 10, 0, 10, 10, 0, 10] },
    { type: 'mask', width: 4, height: 3, counts: [2, 5, 1, 4] },
    { type: 'keypoints', points: [1, 2, 2, 3, 4, 1, 0, 0, 0], names: ['a', 'b', 'c'] },
    { type: 'caption', text: 'a cat on a mat' },
    { type: 'tag' },
  ];

  it.each(geometries.map((g) => [g.type, g] as const))('%s: create, edit and delete are applied, undone and redone', (_kind, g) => {
    const id = reserve();
    const created = ann(1, g, { attributes: { occluded: true, note: 'x' } });
    const create = step([{ t: 'annotation', id, before: null, after: created }], 'create');
    expect(store.edits.apply(1, create)).toMatchObject({ applied: true, status: 'in_progress' });
    expect(stateOf(id)).toEqual(created);
    expect(store.images.get(1).annotationCount).toBe(1);

    const edited: AnnotationState = { ...created, attributes: { difficult: true }, origin: 'model-edited' };
    if (g.type === 'box') edited.geometry = box(50);
    const edit = step([{ t: 'annotation', id, before: created, after: edited }], 'edit');
    store.edits.apply(1, edit);
    expect(stateOf(id)).toEqual(edited);

    const del = step([{ t: 'annotation', id, before: edited, after: null }], 'delete');
    store.edits.apply(1, del);
    expect(stateOf(id)).toBeNull();
    expect(store.images.get(1).annotationCount).toBe(0);

    store.edits.undo(1, del.key);
    expect(stateOf(id)).toEqual(edited);
    store.edits.undo(1, edit.key);
    expect(stateOf(id)).toEqual(created);
    store.edits.undo(1, create.key);
    expect(stateOf(id)).toBeNull();

    store.edits.redo(1, create.key);
    expect(stateOf(id)).toEqual(created);
    store.edits.redo(1, edit.key);
    expect(stateOf(id)).toEqual(edited);
    store.edits.redo(1, del.key);
    expect(stateOf(id)).toBeNull();
  });

  it('masks are stored as uint32 counts in the BLOB column, not JSON', () => {
    const id = reserve();
    store.edits.apply(1, step([{ t: 'annotation', id, before: null, after: ann(1, { type: 'mask', width: 2, height: 2, counts: [1, 2, 1] }) }]));
    const row = store.db.prepare('SELECT geometry, mask FROM annotations WHERE id = ?').get(id) as { geometry: string; mask: Buffer };
    expect(JSON.parse(row.geometry)).toEqual({ type: 'mask', width: 2, height: 2 });
    expect(row.mask.byteLength).toBe(12);
  });

  it('a change overwrites every field, kind and geometry included', () => {
    const id = reserve();
    const a = ann(1, box(0));
    store.edits.apply(1, step([{ t: 'annotation', id, before: null, after: a }]));
    const asPolygon = ann(1, { type: 'polygon', points: [0, 0, 5, 0, 5, 5] });
    store.edits.apply(1, step([{ t: 'annotation', id, before: a, after: asPolygon }], 'box to polygon'));
    expect(stateOf(id)).toEqual(asPolygon);
    const row = store.db.prepare('SELECT kind, mask FROM annotations WHERE id = ?').get(id);
    expect(row).toEqual({ kind: 'polygon', mask: null });
  });

  it('references that no longer exist become null instead of failing', () => {
    const id = reserve();
    const r = store.edits.apply(1, step([{ t: 'annotation', id, before: null, after: ann(1, box(0), { classId: 9999, derivedFrom: 4242, origin: 'model' }) }]));
    expect(r.applied).toBe(true);
    expect(stateOf(id)).toMatchObject({ classId: null, derivedFrom: null, origin: 'model' });
  });

  it('a step of several changes is one transaction: a refused change leaves nothing of the others', () => {
    const [a, b] = [reserve(), reserve()];
    expectApiError(
      () =>
        store.edits.apply(
          1,
          step([
            { t: 'annotation', id: a, before: null, after: ann(1, box(0)) },
            { t: 'class', id: 77, before: null, after: cls('dup') },
            { t: 'class', id: 78, before: null, after: cls('dup') },
            { t: 'annotation', id: b, before: null, after: ann(1, box(5)) },
          ]),
        ),
      'bad_request',
      /change 2: a class named "dup" already exists/,
    );
    expect(store.annotations.listForImage(1)).toEqual([]);
    expect(store.classes.list()).toEqual([]);
    expect(store.images.get(1).status).toBe('new');
    expect(store.edits.history(1)).toEqual({ imageId: 1, undo: [], redo: [] });
  });
});

describe('review status', () => {
  it('moves from new to in progress on the first edit, and only then', () => {
    expect(store.images.get(1).status).toBe('new');
    const r = store.edits.apply(1, step([{ t: 'annotation', id: reserve(), before: null, after: ann(1, box(0)) }]));
    expect(r.status).toBe('in_progress');
    expect(store.images.get(1).status).toBe('in_progress');
    store.images.setStatus([2], 'done');
    expect(store.edits.apply(2, step([{ t: 'annotation', id: reserve(), before: null, after: ann(2, box(0)) }])).status).toBe('done');
  });

  it('a step that only edits classes is not an edit of the image', () => {
    const r = store.edits.apply(3, step([{ t: 'class', id: store.edits.reserveIds('classes', 1).first, before: null, after: cls('cat') }]));
    expect(r.status).toBe('new');
  });
});

describe('idempotent keys', () => {
  it('a retried step returns the first result and changes nothing', () => {
    const id = reserve();
    const s = step([{ t: 'annotation', id, before: null, after: ann(1, box(0)) }]);
    const first = store.edits.apply(1, s);
    // The same key again after the shape was deleted by a later step: it must not come back.
    store.edits.apply(1, step([{ t: 'annotation', id, before: ann(1, box(0)), after: null }]));
    const again = store.edits.apply(1, s);
    expect(again).toMatchObject({ seq: first.seq, applied: false, status: 'in_progress' });
    expect(stateOf(id)).toBeNull();
    expect(store.edits.history(1).undo).toHaveLength(2);
  });

  it('a key used for another image is refused', () => {
    const s = step([{ t: 'annotation', id: reserve(), before: null, after: ann(1, box(0)) }]);
    store.edits.apply(1, s);
    expectApiError(() => store.edits.apply(2, { ...s, changes: [{ t: 'annotation', id: reserve(), before: null, after: ann(2, box(0)) }] }), 'conflict', /already used for image 1/);
  });

  it('a retried undo or redo (its answer was lost) is answered without moving again', () => {
    const a = step([{ t: 'annotation', id: reserve(), before: null, after: ann(1, box(0)) }]);
    const b = step([{ t: 'annotation', id: reserve(), before: null, after: ann(1, box(1)) }]);
    store.edits.apply(1, a);
    store.edits.apply(1, b);
    expect(store.edits.undo(1, b.key)).toMatchObject({ applied: true });
    expect(store.edits.undo(1, b.key)).toMatchObject({ applied: false });
    expect(store.edits.history(1).undo.map((e) => e.key)).toEqual([a.key]);
    expect(store.edits.redo(1, b.key)).toMatchObject({ applied: true });
    expect(store.edits.redo(1, b.key)).toMatchObject({ applied: false });
    expect(store.edits.history(1)).toMatchObject({ undo: [{ key: a.key }, { key: b.key }], redo: [] });
  });
});

describe('per-image history', () => {
  it('undo of a step that is not the newest is a conflict that names the cause', () => {
    const a = step([{ t: 'annotation', id: reserve(), before: null, after: ann(1, box(0)) }], 'draw box');
    const b = step([{ t: 'annotation', id: reserve(), before: null, after: ann(1, box(1)) }], 'draw second box');
    store.edits.apply(1, a);
    store.edits.apply(1, b);
    const err = expectApiError(() => store.edits.undo(1, a.key), 'conflict', /another window changed this image's history.*"draw second box"/);
    expect(err.details).toMatchObject({ expected: b.key });
    expectApiError(() => store.edits.redo(1, a.key), 'conflict', /another window changed this image's history \(there is nothing to redo/);
    expectApiError(() => store.edits.undo(2, a.key), 'conflict', /nothing to undo/);
    expect(store.annotations.listForImage(1)).toHaveLength(2);
  });

  it('histories are per image: undo on one image never touches another', () => {
    const a = step([{ t: 'annotation', id: reserve(), before: null, after: ann(1, box(0)) }]);
    const b = step([{ t: 'annotation', id: reserve(), before: null, after: ann(2, box(0)) }]);
    store.edits.apply(1, a);
    store.edits.apply(2, b);
    store.edits.undo(1, a.key);
    expect(store.annotations.listForImage(1)).toEqual([]);
    expect(store.annotations.listForImage(2)).toHaveLength(1);
    expect(store.edits.history(2).undo.map((e) => e.key)).toEqual([b.key]);
    expect(store.edits.history(1)).toMatchObject({ undo: [], redo: [{ key: a.key }] });
  });

  it('a new step drops the redo branch, and a late retry of a dropped step is still recognised', () => {
    const a = step([{ t: 'annotation', id: reserve(), before: null, after: ann(1, box(0)) }]);
    const bId = reserve();
    const b = step([{ t: 'annotation', id: bId, before: null, after: ann(1, box(1)) }]);
    store.edits.apply(1, a);
    const bSeq = store.edits.apply(1, b).seq;
    store.edits.undo(1, b.key);
    expect(store.edits.history(1).redo.map((e) => e.key)).toEqual([b.key]);
    const c = step([{ t: 'annotation', id: reserve(), before: null, after: ann(1, box(2)) }]);
    const cSeq = store.edits.apply(1, c).seq;
    expect(cSeq).toBeGreaterThan(bSeq);
    expect(store.edits.history(1)).toMatchObject({ undo: [{ key: a.key }, { key: c.key }], redo: [] });
    expectApiError(() => store.edits.redo(1, b.key), 'conflict', /nothing to redo/);
    expect(store.edits.apply(1, b)).toMatchObject({ seq: bSeq, applied: false });
    expect(stateOf(bId)).toBeNull();
  });

  it(`keeps the newest ${HISTORY_LIMIT} steps of an image, and history returns at most that many`, () => {
    const id = reserve();
    let prev: AnnotationState | null = null;
    const keys: string[] = [];
    for (let i = 0; i < HISTORY_LIMIT + 25; i++) {
      const next = ann(1, box(i));
      const s = step([{ t: 'annotation', id, before: prev, after: next }], `move ${i}`);
      keys.push(s.key);
      store.edits.apply(1, s);
      prev = next;
    }
    const h = store.edits.history(1);
    expect(h.undo).toHaveLength(HISTORY_LIMIT);
    expect(h.undo.map((e) => e.key)).toEqual(keys.slice(25));
    expect(store.db.prepare('SELECT count(*) FROM edit_history WHERE image_id = 1').pluck().get()).toBe(HISTORY_LIMIT);
    // A trimmed step's key is still known: a very late retry does not apply it again.
    const trimmed = store.edits.apply(1, { key: keys[0], label: 'move 0', changes: [{ t: 'annotation', id, before: null, after: ann(1, box(0)) }] });
    expect(trimmed.applied).toBe(false);
    expect(stateOf(id)?.geometry).toEqual(box(HISTORY_LIMIT + 24));
    // Every kept step can still be undone, back to the oldest kept one.
    for (let i = 0; i < 3; i++) store.edits.undo(1, keys[keys.length - 1 - i]);
    expect(stateOf(id)?.geometry).toEqual(box(HISTORY_LIMIT + 21));
    expect(store.edits.history(1).undo.length + store.edits.history(1).redo.length).toBe(HISTORY_LIMIT);
  });

  it('history survives closing and reopening the project', () => {
    const id = reserve();
    const a = step([{ t: 'annotation', id, before: null, after: ann(1, box(0)) }], 'draw');
    store.edits.apply(1, a, 'window-1');
    store.close();
    store = ProjectStore.open(path.join(dir, 'p.sightline'));
    expect(store.edits.history(1).undo).toEqual([{ seq: expect.any(Number), key: a.key, label: 'draw', changes: a.changes, at: expect.any(Number) }]);
    store.edits.undo(1, a.key);
    expect(stateOf(id)).toBeNull();
  });

  it('an image that does not exist is not found', () => {
    expectApiError(() => store.edits.apply(99, step([{ t: 'annotation', id: reserve(), before: null, after: ann(99, box(0)) }])), 'not_found', /Image 99 is not in this project/);
    expectApiError(() => store.edits.history(99), 'not_found', /Image 99/);
  });
});

describe('classes', () => {
  it('create, rename with a keypoint template, and delete are steps: applied, undone, redone, same id', () => {
    const id = store.edits.reserveIds('classes', 1).first;
    const person = cls('person', { hotkey: '1', position: 0 });
    const posed = cls('pedestrian', { hotkey: '1', position: 0, color: '#aa0000', keypoints: { names: ['head', 'l_hand', 'r_hand'], edges: [[0, 1], [0, 2]] } });
    const create = step([{ t: 'class', id, before: null, after: person }]);
    const rename = step([{ t: 'class', id, before: person, after: posed }]);
    const del = step([{ t: 'class', id, before: posed, after: null }]);
    const r = store.edits.apply(1, create);
    expect(r.applied).toBe(true);
    expect(store.classes.list()).toEqual([{ id, ...person }]);
    store.edits.apply(1, rename);
    expect(store.classes.list()).toEqual([{ id, ...posed }]);
    store.edits.apply(1, del);
    expect(store.classes.list()).toEqual([]);
    store.edits.undo(1, del.key);
    expect(store.classes.list()).toEqual([{ id, ...posed }]);
    store.edits.undo(1, rename.key);
    expect(store.classes.list()).toEqual([{ id, ...person }]);
    store.edits.undo(1, create.key);
    expect(store.classes.list()).toEqual([]);
    store.edits.redo(1, create.key);
    store.edits.redo(1, rename.key);
    expect(store.classes.list()).toEqual([{ id, ...posed }]);
  });

  it('reclass + class delete: undo restores the class with the same id and every annotation its class, on every image', () => {
    const cat = store.classes.upsert({ name: 'cat' });
    const animal = store.classes.upsert({ name: 'animal' });
    const ids = [reserve(), reserve(), reserve()];
    store.edits.apply(1, step([{ t: 'annotation', id: ids[0], before: null, after: ann(1, box(0), { classId: cat.id }) }]));
    store.edits.apply(1, step([{ t: 'annotation', id: ids[1], before: null, after: ann(1, box(1), { classId: animal.id }) }]));
    store.edits.apply(2, step([{ t: 'annotation', id: ids[2], before: null, after: ann(2, box(0), { classId: cat.id }) }]));
    const usage = store.classes.usage(cat.id);
    expect(usage).toEqual({ annotations: 2, images: 2, ids: [ids[0], ids[2]] });

    const catState = cls('cat', { color: cat.color, position: cat.position });
    const merge = step([
      { t: 'reclass', ids: usage.ids, from: cat.id, to: animal.id },
      { t: 'class', id: cat.id, before: catState, after: null },
    ]);
    const r = store.edits.apply(1, merge);
    expect(r.imageIds.sort()).toEqual([1, 2]);
    expect(r.classesChanged).toBe(true);
    expect(store.classes.list().map((c) => c.name)).toEqual(['animal']);
    expect(ids.map((id) => stateOf(id)?.classId)).toEqual([animal.id, animal.id, animal.id]);

    store.edits.undo(1, merge.key);
    expect(store.classes.list()).toEqual([cat, animal]);
    expect(ids.map((id) => stateOf(id)?.classId)).toEqual([cat.id, animal.id, cat.id]);

    store.edits.redo(1, merge.key);
    expect(store.classes.list().map((c) => c.id)).toEqual([animal.id]);
    expect(ids.map((id) => stateOf(id)?.classId)).toEqual([animal.id, animal.id, animal.id]);
  });

  it('a class deleted while annotations still use it: the step keeps them, so undo gives them their class back', () => {
    const dog = store.classes.upsert({ name: 'dog' });
    const a = reserve();
    store.edits.apply(2, step([{ t: 'annotation', id: a, before: null, after: ann(2, box(0), { classId: dog.id }) }]));
    // The dialog's reclass list missed this annotation (another window drew it meanwhile).
    const del = step([{ t: 'class', id: dog.id, before: cls('dog', { color: dog.color, position: dog.position }), after: null }]);
    store.edits.apply(1, del);
    expect(stateOf(a)?.classId).toBeNull();
    const stored = store.edits.history(1).undo[0].changes;
    expect(stored).toEqual([{ t: 'reclass', ids: [a], from: dog.id, to: null }, del.changes[0]]);
    store.edits.undo(1, del.key);
    expect(stateOf(a)?.classId).toBe(dog.id);
  });

  it('undoing the creation of a class that is now in use keeps the annotations, and redo gives them the class back', () => {
    const id = store.edits.reserveIds('classes', 1).first;
    const create = step([{ t: 'class', id, before: null, after: cls('bird') }]);
    store.edits.apply(1, create);
    const a = reserve();
    store.edits.apply(2, step([{ t: 'annotation', id: a, before: null, after: ann(2, box(0), { classId: id }) }]));
    const r = store.edits.undo(1, create.key);
    expect(r.imageIds).toContain(2);
    expect(store.classes.list()).toEqual([]);
    expect(stateOf(a)).toMatchObject({ imageId: 2, classId: null });
    store.edits.redo(1, create.key);
    expect(stateOf(a)?.classId).toBe(id);
  });

  it('undo that would clash with a class made since is a conflict and changes nothing', () => {
    const id = store.edits.reserveIds('classes', 1).first;
    const rename = step([{ t: 'class', id, before: null, after: cls('car') }]);
    store.edits.apply(1, rename);
    const rename2 = step([{ t: 'class', id, before: cls('car'), after: cls('vehicle') }]);
    store.edits.apply(1, rename2);
    store.classes.upsert({ name: 'car' });
    expectApiError(() => store.edits.undo(1, rename2.key), 'conflict', /a class named "car" already exists/);
    expect(store.classes.list().map((c) => c.name).sort()).toEqual(['car', 'vehicle']);
    expect(store.edits.history(1).undo).toHaveLength(2);
  });

  it('ClassesRepo reads and writes keypoint templates, and upsert keeps them unless told', () => {
    const t = { names: ['nose', 'left_eye'], edges: [[0, 1]] as [number, number][] };
    const c = store.classes.upsert({ name: 'face', keypoints: t });
    expect(c.keypoints).toEqual(t);
    expect(store.classes.upsert({ id: c.id, name: 'face2' }).keypoints).toEqual(t);
    expect(store.classes.upsert({ id: c.id, name: 'face2', keypoints: null }).keypoints).toBeNull();
    expect(store.classes.upsert({ name: 'plain' }).keypoints).toBeNull();
  });
});

describe('id reservation', () => {
  it('ranges never overlap, and batch creates and class inserts never take a reserved id', () => {
    const taken = new Set<number>();
    const take = (first: number, n: number) => {
      for (let i = first; i < first + n; i++) {
        expect(taken.has(i), `id ${i} handed out twice`).toBe(false);
        taken.add(i);
      }
    };
    for (let round = 0; round < 5; round++) {
      const r = store.edits.reserveIds('annotations', 7);
      expect(r.count).toBe(7);
      take(r.first, 7);
      const { created } = store.annotations.batch({
        create: [ann(1, box(round)), ann(2, box(round))],
        update: [],
        delete: [],
      });
      created.forEach((a) => take(a.id, 1));
    }
    // The reserved-but-unused ids are still free to be written by the editor.
    const reserved = [...taken].filter((id) => stateOf(id) === null);
    expect(reserved.length).toBe(35);
    store.edits.apply(1, step(reserved.slice(0, 3).map((id) => ({ t: 'annotation' as const, id, before: null, after: ann(1, box(id)) }))));
    expect(reserved.slice(0, 3).map((id) => stateOf(id)?.imageId)).toEqual([1, 1, 1]);

    const classIds = new Set<number>();
    const rc = store.edits.reserveIds('classes', 3);
    for (let i = 0; i < 3; i++) classIds.add(rc.first + i);
    const made = store.classes.upsert({ name: 'x' });
    expect(classIds.has(made.id)).toBe(false);
    expect(store.edits.reserveIds('classes', 1).first).toBeGreaterThan(made.id);
  });

  it('starts above max(id) even when another tool wrote rows with their own ids', () => {
    store.db.prepare(`INSERT INTO annotations (id, image_id, kind, geometry, created_at, updated_at) VALUES (5000, 1, 'tag', '{"type":"tag"}', 0, 0)`).run();
    expect(store.edits.reserveIds('annotations', 2).first).toBe(5001);
    // An id the editor writes above the counter (it reserved it in another way) is never handed out afterwards.
    store.edits.apply(1, step([{ t: 'annotation', id: 9000, before: null, after: ann(1, { type: 'tag' }) }]));
    store.edits.apply(1, step([{ t: 'annotation', id: 9000, before: ann(1, { type: 'tag' }), after: null }]));
    expect(store.edits.reserveIds('annotations', 1).first).toBe(9001);
  });
});

describe('refusals name the change and change nothing', () => {
  const cases: [string, EditChange, RegExp][] = [
    ['a box of zero width', { t: 'annotation', id: 1, before: null, after: ann(1, box(0, 0, 0, 5)) }, /change 1: annotation 1 \(after\): a box needs a width and a height above 0 \(got 0 × 5\)/],
    ['a polygon of two points', { t: 'annotation', id: 1, before: null, after: ann(1, { type: 'polygon', points: [0, 0, 1, 1] }) }, /at least 3 points \(got 2\)/],
    [
      'mask counts that do not cover the mask',
      { t: 'annotation', id: 1, before: null, after: ann(1, { type: 'mask', width: 3, height: 3, counts: [4, 4] }) },
      /mask counts add up to 8, not width × height = 3 × 3 = 9/,
    ],
    [
      'a mask count above 2^32-1',
      { t: 'annotation', id: 1, before: null, after: ann(1, { type: 'mask', width: 65536, height: 65537, counts: [2 ** 32, 65536 * 65537 - 2 ** 32] }) },
      /mask count 0 is 4294967296; each count must be a whole number from 0 to 4294967295/,
    ],
    ['a keypoint visibility of 3', { t: 'annotation', id: 1, before: null, after: ann(1, { type: 'keypoints', points: [1, 1, 2, 5, 5, 3] }) }, /keypoint 1 has visibility 3/],
    ['an annotation of another image', { t: 'annotation', id: 1, before: null, after: ann(2, box(0)) }, /annotation 1 \(after\) is on image 2, but this step is for image 1/],
    ['a before state of another image', { t: 'annotation', id: 1, before: ann(3, box(0)), after: null }, /\(before\) is on image 3/],
  ];

  it.each(cases)('%s', (_name, change, message) => {
    expectApiError(() => store.edits.apply(1, step([{ t: 'annotation', id: 2, before: null, after: ann(1, { type: 'tag' }) }, change])), 'bad_request', message);
    expect(store.annotations.listForImage(1)).toEqual([]);
    expect(store.images.get(1).status).toBe('new');
    expect(store.edits.history(1).undo).toEqual([]);
  });

  it("an existing annotation of another image cannot be changed from this image's step", () => {
    const id = reserve();
    store.edits.apply(2, step([{ t: 'annotation', id, before: null, after: ann(2, box(0)) }]));
    expectApiError(() => store.edits.apply(1, step([{ t: 'annotation', id, before: null, after: ann(1, box(3)) }])), 'bad_request', new RegExp(`change 0: annotation ${id} belongs to image 2, not image 1`));
    expect(stateOf(id)?.imageId).toBe(2);
  });

  it('a class name or hotkey clash', () => {
    store.classes.upsert({ name: 'cat', hotkey: '1' });
    const id = store.edits.reserveIds('classes', 1).first;
    expectApiError(() => store.edits.apply(1, step([{ t: 'class', id, before: null, after: cls('cat') }])), 'bad_request', /change 0: a class named "cat" already exists/);
    expectApiError(() => store.edits.apply(1, step([{ t: 'class', id, before: null, after: cls('dog', { hotkey: '1' }) }])), 'bad_request', /change 0: hotkey "1" is already used by class "cat"/);
    expect(store.classes.list()).toHaveLength(1);
  });

  it('a project opened read-only: an io error that says so, nothing written', () => {
    store.close();
    store = ProjectStore.open(path.join(dir, 'p.sightline'), { readonly: true });
    expectApiError(() => store.edits.apply(1, step([{ t: 'annotation', id: 1, before: null, after: ann(1, { type: 'tag' }) }])), 'io', /Could not save the edit to .*p\.sightline: the project file is read-only/);
  });
});
