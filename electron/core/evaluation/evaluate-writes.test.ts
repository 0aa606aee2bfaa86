/**
 * What evaluate.ts writes to the project file, on a real project made by the shipped migrations: each evaluated image's
 * numbers (`image_errors`, migration 0005) and the annotations "accept across the project" makes, one undoable step
 * per image. The metrics themselves are tested in common/metrics and against pycocotools (test/eval-reference.test.ts).
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError, type Geometry } from '../../../common/api/contract.js';
import type { DecodedPrediction } from '../../../common/inference/types.js';
import { RunsRepo } from '../inference/runs.js';
import { tempProject } from '../library/test-helpers.js';
import type { ProjectStore } from '../project/store.js';
import { acceptAcrossProject, evaluateRun } from './evaluate.js';

let project: ReturnType<typeof tempProject>;
let store: ProjectStore;
let runs: RunsRepo;
/** 100 × 80 images a, b, c, d. */
let img: number[];
let cat: number;
let dog: number;
let run: number;

const box = (x: number, y = 10, w = 20, h = 20): Geometry => ({ type: 'box', x, y, w, h });
const pred = (label: string, score: number, geometry: Geometry): DecodedPrediction => ({ kind: geometry.type, classIndex: 0, label, score, geometry });

beforeEach(() => {
  project = tempProject();
  store = project.store;
  runs = new RunsRepo(store.db);
  const db = store.db;
  const root = Number(db.prepare('INSERT INTO image_roots (path, added_at) VALUES (?, 0)').run(path.join(project.dir, 'photos')).lastInsertRowid);
  const image = db.prepare(
    `INSERT INTO images (root_id, rel_path, width, height, format, byte_size, mtime_ms, content_hash, added_at) VALUES (?, ?, 100, 80, 'png', 1, 0, ?, 0)`,
  );
  img = ['a', 'b', 'c', 'd'].map((n) => Number(image.run(root, `${n}.png`, n.repeat(64)).lastInsertRowid));
  cat = store.classes.upsert({ name: 'cat' }).id;
  dog = store.classes.upsert({ name: 'dog' }).id;
  const model = Number(db.prepare(`INSERT INTO models (name, kind, file, sha256, added_at) VALUES ('yolo', 'detector', 'yolo.onnx', 'x', 0)`).run().lastInsertRowid);
  // Labels: a cat on a and on b.
  store.annotations.batch({
    create: [img[0], img[1]].map((imageId) => ({ imageId, classId: cat, kind: 'box' as const, geometry: box(10), attributes: {}, origin: 'manual' as const, derivedFrom: null })),
    update: [],
    delete: [],
  });
  // The run: on a, the cat found exactly and a dog where nothing is labeled; on b nothing found; c failed; d never ran.
  run = runs.create(model, {});
  runs.write(
    run,
    [
      { imageId: img[0], predictions: [pred('cat', 0.9, box(10)), pred('dog', 0.8, box(50)), pred('dog', 0.2, box(70, 50, 10, 10))] },
      { imageId: img[1], predictions: [] },
      { imageId: img[2], predictions: [pred('cat', 0.9, box(10))], error: 'unreadable' },
    ],
    new Map([['cat', cat], ['dog', dog]]),
  );
  runs.finish(run, 'done', null);
});
afterEach(() => project.cleanup());

const errorRows = () => store.db.prepare('SELECT * FROM image_errors ORDER BY run_id, image_id').all();
const predictionIdOf = (runId: number, label: string) => store.db.prepare('SELECT id FROM predictions WHERE run_id = ? AND label = ?').pluck().get(runId, label) as number;
const predictionId = (imageId: number, label: string, score: number) =>
  store.db.prepare('SELECT id FROM predictions WHERE run_id = ? AND image_id = ? AND label = ? AND score = ?').pluck().get(run, imageId, label, score) as number;

describe("an evaluation keeps each image's numbers", () => {
  it('one row per evaluated image: errors are false positives + misses, the mean IoU of matches or null', () => {
    const report = evaluateRun(store.db, run, 'bbox');
    expect(report.images).toBe(2);
    expect(errorRows()).toEqual([
      // a: the dog at 0.8 and the one at 0.2 are false positives; the cat matches with IoU 1.
      { run_id: run, image_id: img[0], errors: 2, mean_iou: 1, miou: null, caption_score: null },
      // b: the labeled cat was missed; no match, so no mean IoU.
      { run_id: run, image_id: img[1], errors: 1, mean_iou: null, miou: null, caption_score: null },
    ]);
  });

  it("evaluating again replaces the run's numbers and keeps those of another kind of evaluation", () => {
    evaluateRun(store.db, run, 'bbox');
    store.db.prepare('UPDATE image_errors SET caption_score = 0.25 WHERE image_id = ?').run(img[0]);
    runs.reject([predictionId(img[0], 'dog', 0.8)], true);
    evaluateRun(store.db, run, 'bbox');
    expect(errorRows()).toEqual([
      { run_id: run, image_id: img[0], errors: 1, mean_iou: 1, miou: null, caption_score: 0.25 },
      { run_id: run, image_id: img[1], errors: 1, mean_iou: null, miou: null, caption_score: null },
    ]);
  });
});

describe('accept across the project', () => {
  const args = (over: Partial<Parameters<typeof acceptAcrossProject>[2]> = {}) => ({ runId: run, minScore: 0.5, iouThreshold: 0.5, dryRun: false, ...over });
  const annotationsOf = (imageId: number) => store.annotations.listForImage(imageId).map(({ classId, kind, geometry, origin, derivedFrom }) => ({ classId, kind, geometry, origin, derivedFrom }));

  it('a dry run counts and writes nothing', () => {
    expect(acceptAcrossProject(store.db, store.edits, args({ dryRun: true }))).toEqual({ accepted: 1, images: 1, imageIds: [] });
    expect(store.db.prepare('SELECT count(*) FROM annotations').pluck().get()).toBe(2);
    expect(store.db.prepare('SELECT count(*) FROM edit_history').pluck().get()).toBe(0);
  });

  it('accepts each unmatched prediction above the score as a model annotation, in one undoable step per image', () => {
    const dogAt08 = predictionId(img[0], 'dog', 0.8);
    const r = acceptAcrossProject(store.db, store.edits, args({ client: 'window-7' }));
    expect(r).toEqual({ accepted: 1, images: 1, imageIds: [img[0]] });
    expect(annotationsOf(img[0])).toEqual([
      { classId: cat, kind: 'box', geometry: box(10), origin: 'manual', derivedFrom: null },
      { classId: dog, kind: 'box', geometry: box(50), origin: 'model', derivedFrom: dogAt08 },
    ]);
    expect(annotationsOf(img[1])).toHaveLength(1);
    const steps = store.db.prepare('SELECT image_id, key, label, client FROM edit_history').all() as { image_id: number; key: string; label: string; client: string }[];
    expect(steps).toEqual([{ image_id: img[0], key: expect.stringMatching(new RegExp(`^acceptall-${run}-${img[0]}-[0-9a-z]+$`)), label: `Accept 1 prediction of run ${run}`, client: 'window-7' }]);
    store.edits.undo(img[0], steps[0].key);
    expect(annotationsOf(img[0])).toHaveLength(1);
  });

  it('skips predictions accepted already, rejected ones and those below the score', () => {
    acceptAcrossProject(store.db, store.edits, args());
    expect(acceptAcrossProject(store.db, store.edits, args())).toEqual({ accepted: 0, images: 0, imageIds: [] });
    // The accepted shape moved by hand no longer matches its prediction: that prediction stays accepted, not taken again.
    const accepted = store.db.prepare('SELECT id FROM annotations WHERE derived_from IS NOT NULL').pluck().get() as number;
    store.annotations.batch({ create: [], update: [{ id: accepted, geometry: box(5, 55, 10, 10) }], delete: [] });
    expect(acceptAcrossProject(store.db, store.edits, args())).toEqual({ accepted: 0, images: 0, imageIds: [] });
    runs.reject([predictionId(img[0], 'dog', 0.2)], true);
    expect(acceptAcrossProject(store.db, store.edits, args({ minScore: 0.1 }))).toEqual({ accepted: 0, images: 0, imageIds: [] });
    runs.reject([predictionId(img[0], 'dog', 0.2)], false);
    expect(acceptAcrossProject(store.db, store.edits, args({ minScore: 0.1 }))).toEqual({ accepted: 1, images: 1, imageIds: [img[0]] });
    expect(store.db.prepare('SELECT count(*) FROM annotations WHERE derived_from IS NOT NULL').pluck().get()).toBe(2);
  });

  it("masks at the model size become masks of the image's size, several predictions of an image in one step", () => {
    const other = runs.create(Number(store.db.prepare('SELECT id FROM models').pluck().get()), {});
    // Each covers the whole image at another size: narrower only, and shorter only.
    const narrow: Geometry = { type: 'mask', width: 10, height: 80, counts: [0, 800] };
    const short: Geometry = { type: 'mask', width: 100, height: 8, counts: [0, 800] };
    runs.write(other, [{ imageId: img[3], predictions: [pred('dog', 0.9, narrow), pred('cat', 0.8, short)] }], new Map([['dog', dog], ['cat', cat]]));
    const labelsBefore = store.db.prepare('SELECT id, image_id, geometry FROM annotations ORDER BY id').all();
    expect(acceptAcrossProject(store.db, store.edits, { ...args(), runId: other })).toEqual({ accepted: 2, images: 1, imageIds: [img[3]] });
    const whole = { type: 'mask', width: 100, height: 80, counts: [0, 8000] };
    expect(annotationsOf(img[3])).toEqual([
      { classId: dog, kind: 'mask', geometry: whole, origin: 'model', derivedFrom: predictionIdOf(other, 'dog') },
      { classId: cat, kind: 'mask', geometry: whole, origin: 'model', derivedFrom: predictionIdOf(other, 'cat') },
    ]);
    expect(store.db.prepare('SELECT id, image_id, geometry FROM annotations WHERE image_id != ? ORDER BY id').all(img[3])).toEqual(labelsBefore);
    expect(store.db.prepare('SELECT label FROM edit_history WHERE image_id = ?').pluck().all(img[3])).toEqual([`Accept 2 predictions of run ${other}`]);
  });

  it.each([
    ['semantic-segmenter', null, 'class maps'],
    ['text-detector', null, 'lines of text'],
    ['captioner', { kind: 'caption', classIndex: null, label: null, score: 1, geometry: { type: 'caption', text: 'a cat' } } as DecodedPrediction, 'captions'],
  ])('refuses a run of a %s: it predicts no shapes to accept one by one', (kind, p, what) => {
    const model = Number(store.db.prepare(`INSERT INTO models (name, kind, file, sha256, added_at) VALUES (?, ?, 'm.onnx', 'x', 0)`).run(kind, kind).lastInsertRowid);
    const r = runs.create(model, {});
    if (p) runs.write(r, [{ imageId: img[0], predictions: [p] }], new Map());
    expect(() => acceptAcrossProject(store.db, store.edits, { ...args(), runId: r })).toThrow(
      new ApiError('bad_request', `Run ${r} predicts ${what}: there are no shapes to accept one by one.`),
    );
    expect(store.db.prepare('SELECT count(*) FROM edit_history').pluck().get()).toBe(0);
  });

  it('refuses a run that does not exist', () => {
    expect(() => acceptAcrossProject(store.db, store.edits, { ...args(), runId: 424242 })).toThrow(/no model run 424242/);
  });
});
