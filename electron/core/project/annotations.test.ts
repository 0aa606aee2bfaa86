import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError, type Geometry } from '../../../common/api/contract.js';
import { decodeGeometry, encodeGeometry, type NewAnnotation } from './annotations.js';
import { ProjectStore } from './store.js';

let dir: string;
let store: ProjectStore;
let prediction: number;
let cat: number;
let dog: number;

/** A project made from the shipped migrations: two images, two classes and one model prediction to derive from. */
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-annotations-'));
  store = ProjectStore.open(path.join(dir, 'p.sightline'), { create: true });
  const db = store.db;
  const root = Number(db.prepare('INSERT INTO image_roots (path, added_at) VALUES (?, 0)').run(dir).lastInsertRowid);
  const image = db.prepare(
    `INSERT INTO images (id, root_id, rel_path, width, height, format, byte_size, mtime_ms, content_hash, added_at) VALUES (?, ?, ?, 8, 6, 'png', 1, 0, ?, 0)`,
  );
  image.run(1, root, 'a.png', 'a'.repeat(64));
  image.run(2, root, 'b.png', 'b'.repeat(64));
  cat = store.classes.upsert({ name: 'cat' }).id;
  dog = store.classes.upsert({ name: 'dog' }).id;
  const model = Number(db.prepare(`INSERT INTO models (name, kind, file, sha256, added_at) VALUES ('m', 'detector', 'm.onnx', 'x', 0)`).run().lastInsertRowid);
  const run = Number(db.prepare('INSERT INTO model_runs (model_id, started_at) VALUES (?, 0)').run(model).lastInsertRowid);
  prediction = Number(
    db.prepare(`INSERT INTO predictions (run_id, image_id, kind, geometry) VALUES (?, 1, 'box', '{"type":"box","x":1,"y":1,"w":2,"h":2}')`).run(run).lastInsertRowid,
  );
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const box = (x: number): Geometry => ({ type: 'box', x, y: 1, w: 2, h: 2 });
function fromModel(over: Partial<NewAnnotation> = {}): NewAnnotation {
  return { imageId: 1, classId: cat, kind: 'box', geometry: box(1), attributes: {}, origin: 'model', derivedFrom: prediction, ...over };
}
const create = (...a: NewAnnotation[]) => store.annotations.batch({ create: a, update: [], delete: [] }).created;
const update = (...u: Parameters<typeof store.annotations.batch>[0]['update']) => store.annotations.batch({ create: [], update: u, delete: [] }).updated;
const stored = (id: number) => store.annotations.listForImage(1).concat(store.annotations.listForImage(2)).find((a) => a.id === id);
function expectApiError(fn: () => unknown, code: string, text: RegExp) {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ApiError);
  expect((caught as ApiError).code).toBe(code);
  expect((caught as ApiError).message).toMatch(text);
}

describe('provenance of an edited shape', () => {
  it("editing a model's shape without naming an origin makes it model-edited, keeping derivedFrom", () => {
    const [a] = create(fromModel());
    expect(a).toMatchObject({ origin: 'model', derivedFrom: prediction });
    const [edited] = update({ id: a.id, geometry: box(3) });
    expect(edited).toMatchObject({ origin: 'model-edited', derivedFrom: prediction, geometry: box(3) });
    expect(stored(a.id)).toMatchObject({ origin: 'model-edited', geometry: box(3) });
    // Once the person's, it stays so on later edits.
    expect(update({ id: a.id, geometry: box(4) })[0].origin).toBe('model-edited');
  });

  it('a derivedFrom-less model shape (imported predictions) becomes model-edited too', () => {
    const [a] = create(fromModel({ derivedFrom: null }));
    expect(update({ id: a.id, geometry: box(2) })[0]).toMatchObject({ origin: 'model-edited', derivedFrom: null });
  });

  it("changing only a model shape's class or attributes leaves its geometry the model's", () => {
    const [a] = create(fromModel());
    expect(update({ id: a.id, classId: dog })[0]).toMatchObject({ origin: 'model', classId: dog, geometry: box(1) });
    expect(update({ id: a.id, attributes: { occluded: true } })[0]).toMatchObject({ origin: 'model', attributes: { occluded: true } });
  });

  it('an explicit origin wins, and a manual shape stays manual when moved', () => {
    const [a, m] = create(fromModel(), fromModel({ origin: 'manual', derivedFrom: null }));
    expect(update({ id: a.id, geometry: box(5), origin: 'model' })[0].origin).toBe('model');
    expect(update({ id: m.id, geometry: box(5) })[0].origin).toBe('manual');
    expect(update({ id: m.id, origin: 'model-edited' })[0].origin).toBe('model-edited');
  });
});

describe('AnnotationsRepo.batch', () => {
  it('creates, updates and deletes in one go and names the touched images', () => {
    const [a, b] = create(fromModel(), fromModel({ imageId: 2, origin: 'manual', derivedFrom: null, classId: null }));
    expect(a).toMatchObject({ imageId: 1, classId: cat, kind: 'box', geometry: box(1), attributes: {}, origin: 'model', derivedFrom: prediction });
    expect(a.createdAt).toBe(a.updatedAt);
    expect(b).toMatchObject({ imageId: 2, classId: null });
    const r = store.annotations.batch({
      create: [fromModel({ kind: 'tag', geometry: { type: 'tag' }, attributes: { note: 'x', n: 2, ok: false, none: null } })],
      update: [{ id: a.id, classId: null }],
      delete: [b.id, 987654],
    });
    expect(r.created[0]).toMatchObject({ kind: 'tag', geometry: { type: 'tag' }, attributes: { note: 'x', n: 2, ok: false, none: null } });
    expect(r.updated[0]).toMatchObject({ id: a.id, classId: null, geometry: box(1) });
    expect(r.deleted).toBe(1);
    expect(r.touchedImageIds.sort()).toEqual([1, 2]);
    expect(store.annotations.listForImage(2)).toEqual([]);
    expect(store.annotations.listForImage(1).map((x) => x.id)).toEqual([a.id, r.created[0].id]);
  });

  it('an update keeps what it does not name (class, attributes, geometry) and a delete-only batch touches its images', () => {
    const [a] = create(fromModel({ attributes: { keep: 1 } }));
    const [u] = update({ id: a.id });
    expect(u).toMatchObject({ classId: cat, attributes: { keep: 1 }, geometry: box(1), origin: 'model' });
    expect(u.updatedAt).toBeGreaterThanOrEqual(a.updatedAt);
    expect(u.createdAt).toBe(a.createdAt);
    const r = store.annotations.batch({ create: [], update: [], delete: [a.id] });
    expect(r).toEqual({ created: [], updated: [], deleted: 1, touchedImageIds: [1] });
  });

  it('refuses bad references, unknown ids and a change of kind, writing nothing of the batch', () => {
    const [a] = create(fromModel());
    const before = store.db.prepare('SELECT * FROM annotations ORDER BY id').all();
    const attempt = (ops: Partial<Parameters<typeof store.annotations.batch>[0]>) => () =>
      store.annotations.batch({ create: [], update: [], delete: [a.id], ...ops });
    expectApiError(attempt({ create: [fromModel(), fromModel({ imageId: 99 })] }), 'bad_request', /^create\[1\]: image 99 is not in this project\.$/);
    expectApiError(attempt({ create: [fromModel({ classId: 99 })] }), 'bad_request', /^create\[0\]: class 99 does not exist\.$/);
    expectApiError(attempt({ create: [fromModel({ derivedFrom: 99 })] }), 'bad_request', /^create\[0\]: prediction 99 does not exist\.$/);
    expectApiError(attempt({ update: [{ id: a.id }, { id: 99 }] }), 'not_found', /^update\[1\]: annotation 99 does not exist\.$/);
    expectApiError(attempt({ update: [{ id: a.id, classId: 99 }] }), 'bad_request', /^update\[0\]: class 99 does not exist\.$/);
    expectApiError(attempt({ update: [{ id: a.id, geometry: { type: 'tag' } }] }), 'bad_request', /^update\[0\]: a box annotation cannot take tag geometry\.$/);
    expect(store.db.prepare('SELECT * FROM annotations ORDER BY id').all()).toEqual(before);
  });

  it('stores a mask as RLE runs and gives it back', () => {
    const mask: Geometry = { type: 'mask', width: 8, height: 6, counts: [3, 5, 0, 40, 70000] };
    const [m] = create(fromModel({ kind: 'mask', geometry: mask }));
    expect(m.geometry).toEqual(mask);
    expect(stored(m.id)!.geometry).toEqual(mask);
    const blob = store.db.prepare('SELECT mask, geometry FROM annotations WHERE id = ?').get(m.id) as { mask: Buffer; geometry: string };
    expect(blob.mask.length).toBe(5 * 4);
    expect(blob.mask.readUInt32LE(16)).toBe(70000);
    expect(JSON.parse(blob.geometry)).toEqual({ type: 'mask', width: 8, height: 6 });
    const moved: Geometry = { type: 'mask', width: 8, height: 6, counts: [48] };
    expect(update({ id: m.id, geometry: moved })[0].geometry).toEqual(moved);
  });
});

describe('geometry encoding', () => {
  it('keeps non-mask geometry as JSON with no blob', () => {
    const poly: Geometry = { type: 'polygon', points: [0, 0, 4, 0, 4, 3] };
    expect(encodeGeometry(poly)).toEqual({ json: JSON.stringify(poly), mask: null });
    expect(decodeGeometry(JSON.stringify(poly), null)).toEqual(poly);
  });

  it('round-trips mask runs through little-endian uint32, including an empty mask blob', () => {
    const g: Geometry = { type: 'mask', width: 2, height: 2, counts: [1, 2, 1] };
    const { json, mask } = encodeGeometry(g);
    expect([...mask!]).toEqual([1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0]);
    expect(decodeGeometry(json, mask)).toEqual(g);
    // An odd-aligned Buffer (as SQLite may hand back) still decodes.
    const shifted = Buffer.concat([Buffer.from([9]), mask!]).subarray(1);
    expect(decodeGeometry(json, shifted)).toEqual(g);
    expect(decodeGeometry(json, null)).toEqual({ type: 'mask', width: 2, height: 2, counts: [] });
  });
});

describe('mask counts that cannot be stored', () => {
  it('refuses a run length that is negative, fractional or past 2^32 − 1, naming it, and stores 2^32 − 1 itself', () => {
    for (const c of [-1, 1.5, 0x100000000, NaN]) {
      let err: unknown;
      try {
        encodeGeometry({ type: 'mask', width: 1, height: 1, counts: [0, c] });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe('bad_request');
      expect((err as ApiError).message).toBe(`A mask's RLE count ${c} is not a run length from 0 to 2^32-1.`);
    }
    const { mask } = encodeGeometry({ type: 'mask', width: 1, height: 1, counts: [0, 0xffffffff] });
    expect(mask!.readUInt32LE(4)).toBe(0xffffffff);
    // A batch with a bad count writes nothing.
    expect(() => create(fromModel({ kind: 'mask', geometry: { type: 'mask', width: 8, height: 6, counts: [48, -0.5] } }))).toThrow(/RLE count -0.5/);
    expect(store.db.prepare('SELECT count(*) FROM annotations').pluck().get()).toBe(0);
  });
});

describe('annotations.shapes: one image as columns, written from the stored JSON', () => {
  it('holds exactly what annotations.list holds, for every kind, in id order, and nothing of other images', () => {
    const made = create(
      fromModel({ geometry: { type: 'box', x: 0.1 + 0.2, y: 1e-7, w: 2.5, h: 1234.5678901234567 } }),
      { imageId: 1, classId: null, kind: 'polygon', geometry: { type: 'polygon', points: [0, 0, 4, 0, 4, 3.25] }, attributes: { note: 'a "quoted" \\ value\n', n: -1.5, ok: true, none: null }, origin: 'manual', derivedFrom: null },
      { imageId: 1, classId: dog, kind: 'mask', geometry: { type: 'mask', width: 8, height: 6, counts: [5, 10, 33] }, attributes: {}, origin: 'model-edited', derivedFrom: prediction },
      { imageId: 2, classId: cat, kind: 'box', geometry: box(3), attributes: {}, origin: 'manual', derivedFrom: null },
      { imageId: 1, classId: cat, kind: 'keypoints', geometry: { type: 'keypoints', points: [1, 2, 2, 3, 4, 0], names: ['nose', 'ëar'] }, attributes: {}, origin: 'manual', derivedFrom: null },
      { imageId: 1, classId: null, kind: 'caption', geometry: { type: 'caption', text: 'a cat — "on" a mat\u2028' }, attributes: {}, origin: 'manual', derivedFrom: null },
      { imageId: 1, classId: dog, kind: 'tag', geometry: { type: 'tag' }, attributes: { k: '{}' }, origin: 'model', derivedFrom: null },
    );
    const list = store.annotations.listForImage(1);
    expect(list.map((a) => a.id)).toEqual(made.filter((a) => a.imageId === 1).map((a) => a.id));
    const columns = JSON.parse(store.annotations.shapesJson(1));
    expect(columns).toEqual({
      imageId: 1,
      ids: list.map((a) => a.id),
      classIds: list.map((a) => a.classId),
      kinds: list.map((a) => a.kind),
      geometry: list.map((a) => a.geometry),
      // No attributes travel as null, not as {}.
      attributes: list.map((a) => (Object.keys(a.attributes).length ? a.attributes : null)),
      origins: list.map((a) => a.origin),
      derivedFrom: list.map((a) => a.derivedFrom),
    });
    // Spot checks against what was written, not only against the other reader.
    expect(columns.geometry[0]).toEqual({ type: 'box', x: 0.1 + 0.2, y: 1e-7, w: 2.5, h: 1234.5678901234567 });
    expect(columns.geometry[2]).toEqual({ type: 'mask', width: 8, height: 6, counts: [5, 10, 33] });
    expect(columns.attributes[1]).toEqual({ note: 'a "quoted" \\ value\n', n: -1.5, ok: true, none: null });
    expect(columns.attributes[5]).toEqual({ k: '{}' });
    expect(columns.kinds).toEqual(['box', 'polygon', 'mask', 'keypoints', 'caption', 'tag']);
    expect(columns.derivedFrom).toEqual([prediction, null, prediction, null, null, null]);
    expect(JSON.parse(store.annotations.shapesJson(2)).ids).toEqual([made[3].id]);
  });

  it('an image without annotations gives empty columns', () => {
    expect(JSON.parse(store.annotations.shapesJson(2))).toEqual({ imageId: 2, ids: [], classIds: [], kinds: [], geometry: [], attributes: [], origins: [], derivedFrom: [] });
  });
});
