/**
 * EditsRepo on real SQLite files made by the shipped migrations: steps applied, undone and redone for every change
 * type, idempotent keys, conflicts, the redo branch, trimming, id reservation and the refusals.
 */
import Database from 'better-sqlite3';
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
import { EditsRepo } from './edits.js';
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

  it('mask counts from 0 to 2^32-1 are taken: a mask may start with foreground, and one run may fill 2^32-1 cells', () => {
    const [a, b] = [reserve(), reserve()];
    const leading: Geometry = { type: 'mask', width: 2, height: 2, counts: [0, 4] };
    const huge: Geometry = { type: 'mask', width: 65535, height: 65537, counts: [0xffff_ffff] };
    store.edits.apply(1, step([
      { t: 'annotation', id: a, before: null, after: ann(1, leading) },
      { t: 'annotation', id: b, before: null, after: ann(1, huge) },
    ]));
    expect(stateOf(a)?.geometry).toEqual(leading);
    expect(stateOf(b)?.geometry).toEqual(huge);
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
    expect(err.details).toEqual({ imageId: 1, key: a.key, expected: b.key });
    expect(err.message).toMatch(/ Reload the image to see its current labels and history\.$/);
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
    [
      'an annotation of another image',
      { t: 'annotation', id: 1, before: null, after: ann(2, box(0)) },
      /annotation 1 \(after\) is on image 2, but this step is for image 1; a step changes only its own image's annotations \(a 'reclass' change/,
    ],
    ['a before state of another image', { t: 'annotation', id: 1, before: ann(3, box(0)), after: null }, /\(before\) is on image 3/],
    ['a box of zero height', { t: 'annotation', id: 1, before: null, after: ann(1, box(0, 0, 5, 0)) }, /change 1: annotation 1 \(after\): a box needs a width and a height above 0 \(got 5 × 0\)/],
    ['polygon points that are not x,y pairs', { t: 'annotation', id: 1, before: null, after: ann(1, { type: 'polygon', points: [0, 0, 9, 0, 9, 9, 4] }) }, /change 1: annotation 1 \(after\): polygon points must be x,y pairs\./],
    ['a fractional mask count', { t: 'annotation', id: 1, before: null, after: ann(1, { type: 'mask', width: 2, height: 2, counts: [1.5, 2.5] }) }, /change 1: annotation 1 \(after\): mask count 0 is 1\.5; each count must be a whole number/],
    ['a negative mask count', { t: 'annotation', id: 1, before: null, after: ann(1, { type: 'mask', width: 2, height: 2, counts: [1, -1, 4] }) }, /mask count 1 is -1; each count must be a whole number from 0/],
    ['keypoints that are not x,y,v triples', { t: 'annotation', id: 1, before: null, after: ann(1, { type: 'keypoints', points: [1, 1, 2, 5] }) }, /change 1: annotation 1 \(after\): keypoints must be x,y,v triples\./],
    [
      'keypoint names that do not match the points',
      { t: 'annotation', id: 1, before: null, after: ann(1, { type: 'keypoints', points: [1, 1, 2, 5, 5, 1], names: ['a', 'b', 'c'] }) },
      /change 1: annotation 1 \(after\): keypoints have 2 points but 3 names\./,
    ],
    ['geometry of another kind', { t: 'annotation', id: 1, before: null, after: { ...ann(1, box(0)), kind: 'polygon' } }, /change 1: annotation 1 \(after\) is a polygon but has box geometry\./],
    ['an annotation id of 0', { t: 'annotation', id: 0, before: null, after: ann(1, box(0)) }, /change 1: annotation id 0 is not a positive whole number\./],
    ['a fractional annotation id', { t: 'annotation', id: 1.5, before: null, after: ann(1, box(0)) }, /change 1: annotation id 1\.5 is not a positive whole number/],
    ['a class id of 0', { t: 'class', id: 0, before: null, after: cls('cat') }, /change 1: class id 0 is not a positive whole number\./],
    ['a fractional class id', { t: 'class', id: 2.5, before: null, after: cls('cat') }, /change 1: class id 2\.5 is not a positive whole number/],
    ['a class named only with spaces', { t: 'class', id: 5, before: null, after: cls('   ') }, /change 1: class 5 needs a name\./],
    ['a class whose before state has no name', { t: 'class', id: 5, before: cls(''), after: cls('cat') }, /change 1: class 5 needs a name\./],
    ['a reclass without a list of ids', { t: 'reclass', ids: 'all' as unknown as number[], from: 1, to: 2 }, /change 1: reclass needs a list of annotation ids\./],
    ['an unknown change type', { t: 'move', ids: [1] } as unknown as EditChange, /change 1: unknown change type "move"\./],
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

describe('step keys and empty steps', () => {
  const tag = (): EditChange[] => [{ t: 'annotation', id: 2, before: null, after: ann(1, { type: 'tag' }) }];
  it.each([
    ['seven characters', 'abc1234'],
    ['65 characters', 'k'.repeat(65)],
    ['a space', 'step 000001'],
    ['a character before a valid key', '!step-000001'],
    ['a character after a valid key', 'step-000001!'],
    ['not a string', 12345678 as unknown as string],
  ])('a key of %s is refused', (_name, k) => {
    expectApiError(() => store.edits.apply(1, { key: k, label: 'x', changes: tag() }), 'bad_request', /^The step key must be 8 to 64 letters, digits, "_" or "-"\.$/);
    expect(store.annotations.listForImage(1)).toEqual([]);
  });

  it('keys of 8 and of 64 letters, digits, "_" and "-" are taken', () => {
    expect(store.edits.apply(1, { key: 'a_B-9xyz', label: 'short', changes: tag() }).applied).toBe(true);
    expect(store.edits.apply(1, { key: `${'Z_-9'.repeat(16)}`, label: 'long', changes: [{ t: 'annotation', id: 3, before: null, after: ann(1, { type: 'tag' }) }] }).applied).toBe(true);
  });

  it('a step without changes is refused, whether the list is empty or missing', () => {
    expectApiError(() => store.edits.apply(1, { key: key(), label: 'nothing', changes: [] }), 'bad_request', /^Step "nothing" has no changes\.$/);
    expectApiError(() => store.edits.apply(1, { key: key(), label: 'lost', changes: undefined as unknown as EditChange[] }), 'bad_request', /^Step "lost" has no changes\.$/);
    expect(store.edits.history(1).undo).toEqual([]);
  });
});

describe('what a write reports', () => {
  it('a retried step, undo or redo reports no images and no class change', () => {
    const s = step([
      { t: 'annotation', id: reserve(), before: null, after: ann(1, box(0)) },
      { t: 'class', id: store.edits.reserveIds('classes', 1).first, before: null, after: cls('cat') },
    ]);
    const first = store.edits.apply(1, s);
    expect(first).toEqual({ seq: first.seq, status: 'in_progress', applied: true, imageIds: [1], classesChanged: true });
    expect(store.edits.apply(1, s)).toEqual({ seq: first.seq, status: 'in_progress', applied: false, imageIds: [], classesChanged: false });
    expect(store.edits.undo(1, s.key)).toEqual({ seq: first.seq, applied: true, imageIds: [1], classesChanged: true });
    expect(store.edits.undo(1, s.key)).toEqual({ seq: first.seq, applied: false, imageIds: [], classesChanged: false });
    expect(store.edits.redo(1, s.key)).toEqual({ seq: first.seq, applied: true, imageIds: [1], classesChanged: true });
    expect(store.edits.redo(1, s.key)).toEqual({ seq: first.seq, applied: false, imageIds: [], classesChanged: false });
  });

  it('a step that only changes annotations has no class change; one that only changes classes still names its image', () => {
    const a = step([{ t: 'annotation', id: reserve(), before: null, after: ann(1, box(0)) }]);
    expect(store.edits.apply(1, a)).toMatchObject({ imageIds: [1], classesChanged: false });
    expect(store.edits.undo(1, a.key)).toMatchObject({ imageIds: [1], classesChanged: false });
    expect(store.edits.redo(1, a.key)).toMatchObject({ imageIds: [1], classesChanged: false });
    const c = step([{ t: 'class', id: store.edits.reserveIds('classes', 1).first, before: null, after: cls('cat') }]);
    expect(store.edits.apply(3, c)).toMatchObject({ imageIds: [3], classesChanged: true, status: 'new' });
    expect(store.edits.undo(3, c.key)).toEqual({ seq: expect.any(Number), applied: true, imageIds: [3], classesChanged: true });
  });

  it('a step of an annotation and a class starts the review of a new image', () => {
    const r = store.edits.apply(2, step([
      { t: 'class', id: store.edits.reserveIds('classes', 1).first, before: null, after: cls('cat') },
      { t: 'annotation', id: reserve(), before: null, after: ann(2, box(0)) },
    ]));
    expect(r.status).toBe('in_progress');
    expect(store.images.get(2).status).toBe('in_progress');
  });

  it('deleting an annotation that is already gone (the later write wins) names only the step image', () => {
    const id = reserve();
    const r = store.edits.apply(1, step([{ t: 'annotation', id, before: ann(1, box(0)), after: null }]));
    expect(r).toMatchObject({ applied: true, imageIds: [1] });
    expect(stateOf(id)).toBeNull();
  });

  it('a reclass names the images it moved annotations on, and skips those no longer in the source class', () => {
    const cat = store.classes.upsert({ name: 'cat' });
    const dog = store.classes.upsert({ name: 'dog' });
    const [onTwo, onThree, plain] = [reserve(), reserve(), reserve()];
    store.edits.apply(2, step([{ t: 'annotation', id: onTwo, before: null, after: ann(2, box(0), { classId: cat.id }) }]));
    store.edits.apply(3, step([{ t: 'annotation', id: onThree, before: null, after: ann(3, box(0), { classId: dog.id }) }]));
    store.edits.apply(3, step([{ t: 'annotation', id: plain, before: null, after: ann(3, box(1)) }]));
    const r = store.edits.apply(1, step([{ t: 'reclass', ids: [onTwo, onThree, 424242], from: cat.id, to: dog.id }]));
    expect(r.imageIds.sort()).toEqual([1, 2]);
    expect([onTwo, onThree, plain].map((id) => stateOf(id)?.classId)).toEqual([dog.id, dog.id, null]);
    // Between two classes that no longer exist: nothing moves, no other image is named.
    const gone = step([{ t: 'reclass', ids: [plain], from: 991, to: 992 }]);
    expect(store.edits.apply(1, gone).imageIds).toEqual([1]);
    expect(store.edits.undo(1, gone.key).imageIds).toEqual([1]);
    expect(stateOf(plain)?.classId).toBeNull();
  });
});

describe('the window that wrote a step', () => {
  const clientOf = (k: string) => store.db.prepare('SELECT client FROM edit_history WHERE key = ?').pluck().get(k);
  it('is kept with the step, replaced by the window that undoes or redoes it, and kept when that window does not say', () => {
    const a = step([{ t: 'annotation', id: reserve(), before: null, after: ann(1, box(0)) }]);
    const b = step([{ t: 'annotation', id: reserve(), before: null, after: ann(1, box(1)) }]);
    store.edits.apply(1, a, 'window-1');
    store.edits.apply(1, b);
    expect(clientOf(a.key)).toBe('window-1');
    expect(clientOf(b.key)).toBeNull();
    store.edits.undo(1, b.key, 'window-2');
    expect(clientOf(b.key)).toBe('window-2');
    store.edits.redo(1, b.key);
    expect(clientOf(b.key)).toBe('window-2');
    store.edits.undo(1, b.key);
    store.edits.undo(1, a.key, 'window-3');
    expect(clientOf(a.key)).toBe('window-3');
    store.edits.redo(1, a.key, 'window-4');
    expect(clientOf(a.key)).toBe('window-4');
  });
});

describe('classes in use and class steps as stored', () => {
  const storedChanges = (imageId: number) => {
    const h = store.edits.history(imageId);
    return [...h.undo, ...h.redo].map((e) => e.changes);
  };

  it('renaming a class that annotations use keeps their class, through apply, undo and redo', () => {
    const id = store.edits.reserveIds('classes', 1).first;
    store.edits.apply(1, step([{ t: 'class', id, before: null, after: cls('cat') }]));
    const a = reserve();
    store.edits.apply(2, step([{ t: 'annotation', id: a, before: null, after: ann(2, box(0), { classId: id }) }]));
    const rename = step([{ t: 'class', id, before: cls('cat'), after: cls('feline', { color: '#abcdef' }) }]);
    expect(store.edits.apply(1, rename).imageIds).toEqual([1]);
    expect(stateOf(a)?.classId).toBe(id);
    expect(store.edits.undo(1, rename.key).imageIds).toEqual([1]);
    expect(stateOf(a)?.classId).toBe(id);
    expect(store.classes.list().map((c) => c.name)).toEqual(['cat']);
    store.edits.redo(1, rename.key);
    expect(stateOf(a)?.classId).toBe(id);
    expect(storedChanges(1)[1]).toEqual(rename.changes);
  });

  it('creating and deleting an unused class are stored as given, with no reclass added', () => {
    const id = store.edits.reserveIds('classes', 1).first;
    const create = step([{ t: 'class', id, before: null, after: cls('cat') }]);
    const del = step([{ t: 'class', id, before: cls('cat'), after: null }]);
    store.edits.apply(1, create);
    store.edits.apply(1, del);
    expect(storedChanges(1)).toEqual([create.changes, del.changes]);
    store.edits.undo(1, del.key);
    store.edits.undo(1, create.key);
    expect(store.classes.list()).toEqual([]);
    expect(storedChanges(1)).toEqual([create.changes, del.changes]);
    store.edits.redo(1, create.key);
    expect(store.classes.list().map((c) => c.id)).toEqual([id]);
  });

  it('deleting a class that another window deleted already is stored as given', () => {
    const c = store.classes.upsert({ name: 'cat' });
    store.db.prepare('DELETE FROM label_classes WHERE id = ?').run(c.id);
    const del = step([{ t: 'class', id: c.id, before: cls('cat', { color: c.color, position: c.position }), after: null }]);
    expect(store.edits.apply(1, del)).toMatchObject({ applied: true, classesChanged: true });
    expect(storedChanges(1)).toEqual([del.changes]);
  });

  it('a class the editor creates above the counter is never handed out again', () => {
    store.edits.apply(1, step([{ t: 'class', id: 9000, before: null, after: cls('cat') }]));
    store.edits.apply(1, step([{ t: 'class', id: 9000, before: cls('cat'), after: null }]));
    expect(store.edits.reserveIds('classes', 1).first).toBe(9001);
    expect(store.classes.upsert({ name: 'dog' }).id).toBeGreaterThan(9001);
  });
});

describe('keys of dropped steps', () => {
  it('are remembered for 30 days, then forgotten the next time a step is dropped', () => {
    const day = 86_400_000;
    const a = step([{ t: 'annotation', id: reserve(), before: null, after: ann(1, box(0)) }]);
    const b = step([{ t: 'annotation', id: reserve(), before: null, after: ann(1, box(1)) }]);
    for (const s of [a, b]) {
      store.edits.apply(1, s);
      store.edits.undo(1, s.key);
      store.edits.apply(1, step([{ t: 'annotation', id: reserve(), before: null, after: ann(1, box(2)) }])); // drops s
    }
    const retired = () => store.db.prepare('SELECT key FROM edit_keys_retired ORDER BY key').pluck().all();
    expect(retired()).toEqual([a.key, b.key]);
    store.db.prepare('UPDATE edit_keys_retired SET retired_at = ? WHERE key = ?').run(Date.now() - 31 * day, a.key);
    store.db.prepare('UPDATE edit_keys_retired SET retired_at = ? WHERE key = ?').run(Date.now() - 29 * day, b.key);
    const c = step([{ t: 'annotation', id: reserve(), before: null, after: ann(1, box(3)) }]);
    store.edits.apply(1, c);
    store.edits.undo(1, c.key);
    store.edits.apply(1, step([{ t: 'annotation', id: reserve(), before: null, after: ann(1, box(4)) }])); // drops c
    expect(retired()).toEqual([b.key, c.key].sort());
    expect(store.edits.apply(1, b).applied).toBe(false);
    expect(store.edits.apply(1, a).applied).toBe(true);
  });
});

describe('the transaction around a write', () => {
  const sync = () => store.db.pragma('synchronous', { simple: true });

  it('syncs a step with FULL and puts the connection back to NORMAL, also when the step is refused', () => {
    expect(sync()).toBe(1);
    store.edits.apply(1, step([{ t: 'annotation', id: reserve(), before: null, after: ann(1, box(0)) }]));
    expect(sync()).toBe(1);
    store.classes.upsert({ name: 'cat' });
    expectApiError(() => store.edits.apply(1, step([{ t: 'class', id: 50, before: null, after: cls('cat') }])), 'bad_request', /already exists/);
    expect(sync()).toBe(1);
    store.edits.reserveIds('annotations', 3);
    expect(sync()).toBe(1);
  });

  it("inside a caller's transaction a step joins it: committed with it, or rolled back with it", () => {
    const kept = reserve();
    const dropped = reserve();
    store.db.transaction(() => {
      expect(store.edits.apply(1, step([{ t: 'annotation', id: kept, before: null, after: ann(1, box(0)) }])).applied).toBe(true);
    })();
    expect(stateOf(kept)).not.toBeNull();
    const s = step([{ t: 'annotation', id: dropped, before: null, after: ann(1, box(1)) }]);
    expect(() =>
      store.db.transaction(() => {
        store.edits.apply(1, s);
        throw new Error('the caller gives up');
      })(),
    ).toThrow('the caller gives up');
    expect(stateOf(dropped)).toBeNull();
    expect(store.edits.history(1).undo.map((e) => e.key)).not.toContain(s.key);
    expect(sync()).toBe(1);
  });
});

describe('SQLite failures about the file', () => {
  /** The repository over this project's connection, whose commit fails with `error`. */
  function failingEdits(error: unknown): EditsRepo {
    const real = store.db;
    const db = new Proxy(real, {
      get(target, prop) {
        if (prop === 'transaction') return () => ({ immediate: () => { throw error; } });
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    return new EditsRepo(db);
  }
  const sqliteError = (code: string, message = 'something about the file') => Object.assign(new Error(message), { code });
  const oneStep = () => step([{ t: 'annotation', id: 1, before: null, after: ann(1, { type: 'tag' }) }]);

  it.each([
    ['SQLITE_READONLY', 'the project file is read-only'],
    ['SQLITE_READONLY_DBMOVED', 'the project file is read-only'],
    ['SQLITE_FULL', 'the disk is full'],
    ['SQLITE_BUSY', 'another program holds the project file locked'],
    ['SQLITE_BUSY_SNAPSHOT', 'another program holds the project file locked'],
    ['SQLITE_LOCKED', 'another program holds the project file locked'],
    ['SQLITE_LOCKED_SHAREDCACHE', 'another program holds the project file locked'],
    ['SQLITE_IOERR', 'the disk could not be written'],
    ['SQLITE_IOERR_FSYNC', 'the disk could not be written'],
    ['SQLITE_CANTOPEN', 'the disk could not be written'],
    ['SQLITE_CANTOPEN_ISDIR', 'the disk could not be written'],
  ])('%s is an io error that says "%s"', (code, what) => {
    const e = expectApiError(() => failingEdits(sqliteError(code, 'sqlite says no')).apply(1, oneStep()), 'io', /./);
    const file = path.join(dir, 'p.sightline');
    expect(e.message).toBe(`Could not save the edit to ${file}: ${what} (sqlite says no). Nothing was changed; the edit is kept and retried.`);
    expect(e.details).toEqual({ file, sqlite: code });
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1);
  });

  it.each([
    ['an SQLite error about the data', sqliteError('SQLITE_CONSTRAINT_UNIQUE')],
    ['an error with a code that is not SQLite', sqliteError('ERR_OUT_OF_RANGE')],
    ['an error without a code', new TypeError('Do not know how to serialize a BigInt')],
    ['an ApiError', new ApiError('conflict', 'moved on')],
    ['a thrown null', null],
  ])('%s passes through as it is', (_name, error) => {
    let caught: unknown;
    try {
      failingEdits(error).apply(1, oneStep());
    } catch (e) {
      caught = e;
    }
    expect(caught).toBe(error);
  });

  it('a project another program holds locked: a real SQLITE_BUSY, said as such', () => {
    const other = new Database(path.join(dir, 'p.sightline'));
    try {
      other.prepare('BEGIN IMMEDIATE').run();
      store.db.pragma('busy_timeout = 0');
      const e = expectApiError(() => store.edits.apply(1, oneStep()), 'io', /another program holds the project file locked/);
      expect(e.details).toMatchObject({ sqlite: 'SQLITE_BUSY' });
      other.prepare('ROLLBACK').run();
    } finally {
      other.close();
    }
    expect(store.annotations.listForImage(1)).toEqual([]);
    expect(store.edits.apply(1, oneStep()).applied).toBe(true);
  });

  it('a full disk: a real SQLITE_FULL, said as such, and nothing written', () => {
    const pages = store.db.pragma('page_count', { simple: true }) as number;
    store.db.pragma(`max_page_count = ${pages}`);
    const big = ann(1, { type: 'tag' }, { attributes: { note: 'x'.repeat(200_000) } });
    const e = expectApiError(() => store.edits.apply(1, step([{ t: 'annotation', id: 1, before: null, after: big }])), 'io', /the disk is full/);
    expect(e.details).toMatchObject({ sqlite: 'SQLITE_FULL' });
    expect(store.annotations.listForImage(1)).toEqual([]);
  });
});
