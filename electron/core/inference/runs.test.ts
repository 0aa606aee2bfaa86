/**
 * RunsRepo on a real project file made by the shipped migrations: a run's row from start to finish, the prediction,
 * suppressed and image-extras rows a batch writes (read back from SQLite, not from the repository), the counts that
 * tell "found nothing" from "never ran", the latest-run-per-model view, rejection and the CLI's per-run report.
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DecodedPrediction } from '../../../common/inference/types.js';
import { tempProject } from '../library/test-helpers.js';
import type { ProjectStore } from '../project/store.js';
import { RunsRepo, type ImageOutcome } from './runs.js';

interface Row {
  id: number;
  run_id: number;
  image_id: number;
  class_id: number | null;
  label: string | null;
  kind: string;
  geometry: string;
  mask: Buffer | null;
  score: number | null;
  extras: string;
}

let project: ReturnType<typeof tempProject>;
let store: ProjectStore;
let runs: RunsRepo;
/** Image ids: a.png and sub/b.png in one root, c.png in a second root. */
let imgA: number;
let imgB: number;
let imgC: number;
let cat: number;
let dog: number;
let detector: number;
let segmenter: number;

beforeEach(() => {
  project = tempProject();
  store = project.store;
  runs = new RunsRepo(store.db);
  const db = store.db;
  const root = db.prepare('INSERT INTO image_roots (path, added_at) VALUES (?, 0)');
  const r1 = Number(root.run(path.join(project.dir, 'photos')).lastInsertRowid);
  const r2 = Number(root.run(path.join(project.dir, 'more')).lastInsertRowid);
  const image = db.prepare(
    `INSERT INTO images (root_id, rel_path, width, height, format, byte_size, mtime_ms, content_hash, added_at) VALUES (?, ?, 8, 6, 'png', 1, 0, ?, 0)`,
  );
  imgA = Number(image.run(r1, 'a.png', 'a'.repeat(64)).lastInsertRowid);
  imgB = Number(image.run(r1, 'sub/b.png', 'b'.repeat(64)).lastInsertRowid);
  imgC = Number(image.run(r2, 'c.png', 'c'.repeat(64)).lastInsertRowid);
  cat = store.classes.upsert({ name: 'cat' }).id;
  dog = store.classes.upsert({ name: 'dog' }).id;
  const model = db.prepare(`INSERT INTO models (name, kind, file, sha256, added_at) VALUES (?, 'detector', ?, 'x', 0)`);
  detector = Number(model.run('yolo', 'yolo.onnx').lastInsertRowid);
  segmenter = Number(model.run('maskrcnn', 'maskrcnn.onnx').lastInsertRowid);
});
afterEach(() => project.cleanup());

const rowsOf = (runId: number): Row[] => store.db.prepare('SELECT * FROM predictions WHERE run_id = ? ORDER BY id').all(runId) as Row[];
const runRow = (runId: number) => store.db.prepare('SELECT * FROM model_runs WHERE id = ?').get(runId) as Record<string, unknown>;
const extrasOf = (id: number) => JSON.parse(store.db.prepare('SELECT extras FROM predictions WHERE id = ?').pluck().get(id) as string) as Record<string, unknown>;

function boxPred(label: string | null, score: number, x = 1, extras?: Record<string, unknown>): DecodedPrediction {
  return { kind: 'box', classIndex: label === null ? null : 0, label, score, geometry: { type: 'box', x, y: 2, w: 3, h: 4 }, ...(extras ? { extras } : {}) };
}
const classIds = () => new Map([['cat', cat], ['dog', dog]]);

describe('a run from start to finish', () => {
  it('create writes a running run with its model and parameters; provider and finish update only that run', () => {
    const t0 = Date.now();
    const id = runs.create(detector, { scoreThreshold: 0.25, inputSize: [640, 640] });
    const other = runs.create(segmenter, {});
    const t1 = Date.now();
    expect(id).toBeGreaterThan(0);
    expect(other).not.toBe(id);
    const row = runRow(id);
    expect(row).toMatchObject({ model_id: detector, status: 'running', provider: null, error: null, finished_at: null });
    expect(JSON.parse(row.parameters as string)).toEqual({ scoreThreshold: 0.25, inputSize: [640, 640] });
    expect(row.started_at).toBeGreaterThanOrEqual(t0);
    expect(row.started_at).toBeLessThanOrEqual(t1);

    runs.setProvider(id, 'cuda');
    expect(runRow(id).provider).toBe('cuda');
    expect(runRow(other).provider).toBeNull();

    const t2 = Date.now();
    runs.finish(id, 'failed', 'out of memory');
    const t3 = Date.now();
    const done = runRow(id);
    expect(done).toMatchObject({ status: 'failed', error: 'out of memory', provider: 'cuda' });
    expect(done.finished_at).toBeGreaterThanOrEqual(t2);
    expect(done.finished_at).toBeLessThanOrEqual(t3);
    expect(runRow(other)).toMatchObject({ status: 'running', error: null, finished_at: null });

    runs.finish(other, 'done', null);
    expect(runRow(other)).toMatchObject({ status: 'done', error: null });
    expect(runRow(other).finished_at).toEqual(expect.any(Number));
  });
});

describe('write', () => {
  it('stores predictions, suppressed candidates and one image-extras row per image, in that order', () => {
    const run = runs.create(detector, {});
    const mask: DecodedPrediction = {
      kind: 'mask',
      classIndex: 1,
      label: 'dog',
      score: 0.5,
      geometry: { type: 'mask', width: 2, height: 2, counts: [1, 2, 1] },
      extras: { box: [0, 0, 2, 2] },
    };
    const outcomes: ImageOutcome[] = [
      {
        imageId: imgA,
        predictions: [boxPred('cat', 0.9, 1, { logits: [1, 2] }), mask, boxPred('zebra', 0.7, 3)],
        suppressed: [boxPred('cat', 0.4, 1.5, { iou: 0.8 }), boxPred('cat', 0.3, 1.6)],
        extras: { proposals: [[0, 0, 1, 1]] },
      },
      { imageId: imgB, predictions: [] },
    ];
    expect(runs.write(run, outcomes, classIds())).toBe(3);

    const rows = rowsOf(run);
    expect(rows.map((r) => [r.image_id, r.kind, r.label, r.class_id, r.score])).toEqual([
      [imgA, 'box', 'cat', cat, 0.9],
      [imgA, 'mask', 'dog', dog, 0.5],
      [imgA, 'box', 'zebra', null, 0.7], // a label with no project class keeps its name, without a class
      [imgA, 'box', 'cat', cat, 0.4],
      [imgA, 'box', 'cat', cat, 0.3],
      [imgA, 'tag', null, null, null],
      [imgB, 'tag', null, null, null],
    ]);
    expect(rows.every((r) => r.run_id === run)).toBe(true);
    expect(JSON.parse(rows[0].geometry)).toEqual({ type: 'box', x: 1, y: 2, w: 3, h: 4 });
    expect(rows[0].mask).toBeNull();
    // Masks as in annotations: the size in JSON, the counts as uint32 in the BLOB.
    expect(JSON.parse(rows[1].geometry)).toEqual({ type: 'mask', width: 2, height: 2 });
    expect([...new Uint32Array(Uint8Array.from(rows[1].mask!).buffer)]).toEqual([1, 2, 1]);
    expect(rows.map((r) => JSON.parse(r.extras))).toEqual([
      { logits: [1, 2] },
      { box: [0, 0, 2, 2] },
      {},
      { iou: 0.8, suppressed: true },
      { suppressed: true },
      { kind: 'image-extras', proposals: [[0, 0, 1, 1]] },
      { kind: 'image-extras' },
    ]);
    expect(JSON.parse(rows[5].geometry)).toEqual({ type: 'tag' });
  });

  it('counts the predictions of every image of the batch, and a label-less prediction gets no class', () => {
    const run = runs.create(detector, {});
    const caption: DecodedPrediction = { kind: 'caption', classIndex: null, label: null, score: -1.5, geometry: { type: 'caption', text: 'a cat' } };
    const written = runs.write(
      run,
      [
        { imageId: imgA, predictions: [boxPred('cat', 0.9), boxPred('dog', 0.8)] },
        { imageId: imgB, predictions: [caption] },
        { imageId: imgC, predictions: [boxPred('dog', 0.6)] },
      ],
      new Map([['cat', cat], ['dog', dog], ['null', cat]]),
    );
    expect(written).toBe(4);
    const rows = rowsOf(run);
    expect(rows).toHaveLength(7);
    const c = rows.find((r) => r.kind === 'caption')!;
    expect(c).toMatchObject({ image_id: imgB, label: null, class_id: null, score: -1.5 });
    expect(JSON.parse(c.geometry)).toEqual({ type: 'caption', text: 'a cat' });
  });

  it('an image that failed keeps its reason on its image row', () => {
    const run = runs.create(detector, {});
    runs.write(run, [{ imageId: imgA, predictions: [], error: 'cannot decode the file', extras: { stage: 'decode' } }], classIds());
    const rows = rowsOf(run);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ image_id: imgA, kind: 'tag', label: null, class_id: null, score: null, mask: null });
    expect(JSON.parse(rows[0].extras)).toEqual({ kind: 'image-extras', stage: 'decode', error: 'cannot decode the file' });
  });

  it('a batch is one transaction: a row that cannot be written leaves nothing of the batch', () => {
    const run = runs.create(detector, {});
    expect(() =>
      runs.write(
        run,
        [
          { imageId: imgA, predictions: [boxPred('cat', 0.9)] },
          { imageId: 9999, predictions: [boxPred('cat', 0.8)] }, // removed from the project meanwhile
        ],
        classIds(),
      ),
    ).toThrow(/FOREIGN KEY/);
    expect(rowsOf(run)).toEqual([]);
  });
});

describe('list', () => {
  it('newest run first, with its model, parameters and counts that leave out image rows, failed images and suppressed ones', () => {
    const first = runs.create(detector, { scoreThreshold: 0.5 });
    runs.setProvider(first, 'cpu');
    const textLine: DecodedPrediction = { kind: 'tag', classIndex: null, label: 'HELLO', score: 0.9, geometry: { type: 'tag' } };
    const bareTag: DecodedPrediction = { kind: 'tag', classIndex: null, label: null, score: 0.8, geometry: { type: 'tag' } };
    const otherTag: DecodedPrediction = { ...bareTag, extras: { kind: 'scene' } };
    runs.write(
      first,
      [
        { imageId: imgA, predictions: [boxPred('cat', 0.9), textLine, bareTag, otherTag], suppressed: [boxPred('cat', 0.2)] },
        { imageId: imgB, predictions: [] },
        { imageId: imgC, predictions: [], error: 'unreadable' },
      ],
      classIds(),
    );
    runs.finish(first, 'done', null);
    const second = runs.create(segmenter, {});

    const list = runs.list();
    expect(list.map((r) => r.id)).toEqual([second, first]);
    expect(list[1]).toEqual({
      id: first,
      model: 'yolo',
      parameters: { scoreThreshold: 0.5 },
      provider: 'cpu',
      status: 'done',
      error: null,
      startedAt: runRow(first).started_at,
      finishedAt: runRow(first).finished_at,
      images: 2, // a.png and b.png ran (b.png found nothing); c.png failed
      predictions: 4, // the box, the text line and both label-less tags; not the suppressed box nor the image rows
    });
    expect(list[0]).toMatchObject({ model: 'maskrcnn', status: 'running', parameters: {}, images: 0, predictions: 0, finishedAt: null });
  });

  it('is empty for a project without runs', () => {
    expect(runs.list()).toEqual([]);
  });
});

describe('forImage', () => {
  it('by default the latest run of each model that processed the image, by run then row', () => {
    const old = runs.create(detector, {});
    runs.write(old, [{ imageId: imgA, predictions: [boxPred('cat', 0.1)] }], classIds());
    const seg = runs.create(segmenter, {});
    runs.write(seg, [{ imageId: imgA, predictions: [boxPred('dog', 0.6, 5)] }], classIds());
    const latest = runs.create(detector, {});
    runs.write(latest, [{ imageId: imgA, predictions: [boxPred('cat', 0.9, 7, { n: 1 })], suppressed: [boxPred('cat', 0.3)] }], classIds());
    // A newer run of the detector that never saw a.png does not hide the one that did.
    const elsewhere = runs.create(detector, {});
    runs.write(elsewhere, [{ imageId: imgB, predictions: [boxPred('cat', 0.5)] }], classIds());

    const got = runs.forImage(imgA);
    expect(got.map((p) => [p.runId, p.score, p.kind])).toEqual([
      [seg, 0.6, 'box'],
      [seg, null, 'tag'],
      [latest, 0.9, 'box'],
      [latest, 0.3, 'box'],
      [latest, null, 'tag'],
    ]);
    expect(got[2]).toEqual({
      id: rowsOf(latest)[0].id,
      runId: latest,
      imageId: imgA,
      classId: cat,
      label: 'cat',
      kind: 'box',
      geometry: { type: 'box', x: 7, y: 2, w: 3, h: 4 },
      score: 0.9,
      extras: { n: 1 },
    });
    expect(got[3].extras).toEqual({ suppressed: true });
    expect(got[4].extras).toEqual({ kind: 'image-extras' });
    expect(runs.forImage(imgB).map((p) => p.runId)).toEqual([elsewhere, elsewhere]);
    expect(runs.forImage(imgC)).toEqual([]);
  });

  it('one run when asked, older ones included, on that image only; masks come back with their counts', () => {
    const old = runs.create(detector, {});
    const m: DecodedPrediction = { kind: 'mask', classIndex: 0, label: 'cat', score: 0.7, geometry: { type: 'mask', width: 3, height: 1, counts: [0, 2, 1] } };
    runs.write(old, [{ imageId: imgA, predictions: [m] }, { imageId: imgB, predictions: [boxPred('cat', 0.4)] }], classIds());
    const latest = runs.create(detector, {});
    runs.write(latest, [{ imageId: imgA, predictions: [boxPred('cat', 0.9)] }], classIds());
    const got = runs.forImage(imgA, old);
    expect(got.map((p) => [p.runId, p.imageId, p.kind])).toEqual([
      [old, imgA, 'mask'],
      [old, imgA, 'tag'],
    ]);
    expect(got[0].geometry).toEqual({ type: 'mask', width: 3, height: 1, counts: [0, 2, 1] });
    expect(runs.forImage(imgC, old)).toEqual([]);
  });
});

describe('reject', () => {
  it('marks predictions rejected (not image rows), keeps their other extras, and takes it back', () => {
    const run = runs.create(detector, {});
    runs.write(
      run,
      [
        { imageId: imgA, predictions: [boxPred('cat', 0.9, 1, { logits: [3] }), boxPred('dog', 0.8)] },
        { imageId: imgB, predictions: [boxPred('cat', 0.7)] },
        { imageId: imgC, predictions: [boxPred('dog', 0.6)] },
      ],
      classIds(),
    );
    const [a1, a2, aImage, b1, , c1] = rowsOf(run).map((r) => r.id);
    const r = runs.reject([a1, b1, aImage, 424242], true);
    expect(r.updated).toBe(2);
    expect(r.imageIds.sort((x, y) => x - y)).toEqual([imgA, imgB]);
    expect(extrasOf(a1)).toEqual({ logits: [3], rejected: true });
    expect(extrasOf(b1)).toEqual({ rejected: true });
    expect(extrasOf(aImage)).toEqual({ kind: 'image-extras' });
    expect(extrasOf(a2)).toEqual({});
    expect(extrasOf(c1)).toEqual({});
    // Rejecting again changes the same rows again; the flag stays a JSON true.
    expect(runs.reject([a1], true)).toEqual({ updated: 1, imageIds: [imgA] });
    expect(extrasOf(a1)).toEqual({ logits: [3], rejected: true });

    const back = runs.reject([a1, b1], false);
    expect(back.updated).toBe(2);
    expect(back.imageIds.sort((x, y) => x - y)).toEqual([imgA, imgB]);
    expect(extrasOf(a1)).toEqual({ logits: [3] });
    expect(extrasOf(b1)).toEqual({});
  });

  it('nothing to reject: no rows, no images', () => {
    expect(runs.reject([], true)).toEqual({ updated: 0, imageIds: [] });
    expect(runs.reject([77], false)).toEqual({ updated: 0, imageIds: [] });
  });
});

describe('forRun', () => {
  it("a run's kept predictions with each image's absolute path: no image rows, no suppressed ones, no other run", () => {
    const run = runs.create(detector, {});
    const other = runs.create(segmenter, {});
    runs.write(other, [{ imageId: imgA, predictions: [boxPred('dog', 0.99)] }], classIds());
    runs.write(
      run,
      [
        { imageId: imgC, predictions: [boxPred('dog', 0.6)] },
        { imageId: imgB, predictions: [boxPred('cat', 0.7), boxPred('dog', 0.5, 2, { k: 1 })], suppressed: [boxPred('cat', 0.1)] },
        { imageId: imgA, predictions: [], error: 'unreadable' },
      ],
      classIds(),
    );
    const got = runs.forRun(run);
    expect(got.map((p) => [p.imageId, p.label, p.score, p.path])).toEqual([
      [imgB, 'cat', 0.7, path.join(project.dir, 'photos', 'sub', 'b.png')],
      [imgB, 'dog', 0.5, path.join(project.dir, 'photos', 'sub', 'b.png')],
      [imgC, 'dog', 0.6, path.join(project.dir, 'more', 'c.png')],
    ]);
    expect(got[1]).toMatchObject({ runId: run, classId: dog, kind: 'box', geometry: { type: 'box', x: 2, y: 2, w: 3, h: 4 }, extras: { k: 1 } });
    expect(runs.forRun(424242)).toEqual([]);
  });
});
