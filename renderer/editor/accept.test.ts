/**
 * Correcting labels from a model run (compare mode): accepting predictions makes labels with `origin: 'model'` and
 * `derivedFrom`, as one undoable step; editing such a label marks it `model-edited`; rejecting hides a prediction
 * from the comparison. Against the real core, as the other editor tests.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Prediction } from '../../common/api/contract.js';
import { acceptAllCandidates, acceptedShape, matchCompare, prepareCompare } from '../features/compare/compare.js';
import type { Editor } from './editor.js';
import { drag, key, localShapes, makeEditor, makeProject, seedClasses, serverShapes, type TestProject } from './testkit.js';

let p: TestProject;
let ed: Editor;
let cls: { cat: number; dog: number; person: number };
let A: number;
let preds: Prediction[];

/** A run of a made-up detector on a.png (200×100): a cat box, a dog box and a low-scoring "bird" (no class). */
function seedRun(): void {
  const db = p.core.store!.db;
  const model = Number(db.prepare(`INSERT INTO models (name, kind, file, sha256, added_at) VALUES ('det', 'detector', 'det.onnx', 'x', 0)`).run().lastInsertRowid);
  const run = Number(db.prepare(`INSERT INTO model_runs (model_id, started_at, status) VALUES (?, 0, 'done')`).run(model).lastInsertRowid);
  const put = db.prepare(`INSERT INTO predictions (run_id, image_id, class_id, label, kind, geometry, score, extras) VALUES (?, ?, ?, ?, 'box', ?, ?, '{}')`);
  put.run(run, A, cls.cat, 'cat', JSON.stringify({ type: 'box', x: 10, y: 10, w: 40, h: 30 }), 0.9);
  put.run(run, A, cls.dog, 'dog', JSON.stringify({ type: 'box', x: 100, y: 20, w: 50, h: 50 }), 0.7);
  // Reaches past the image's right edge: accepted clipped to it.
  put.run(run, A, null, 'bird', JSON.stringify({ type: 'box', x: 180, y: 60, w: 40, h: 20 }), 0.2);
}

beforeEach(async () => {
  p = await makeProject();
  cls = await seedClasses(p);
  A = p.images['a.png'].id;
  seedRun();
  preds = await p.transport.call('predictions.list', { imageId: A });
  ed = makeEditor(p);
  await ed.load(p.images['a.png']);
});

afterEach(async () => {
  ed.dispose();
  await p.close();
});

const image = { width: 200, height: 100 };
const compare = (minScore = 0) =>
  matchCompare(prepareCompare({ labels: localShapes(ed), predictions: preds, classes: ed.state.classes, image }), { iouThreshold: 0.5, minScore });
const byLabel = (l: string) => preds.find((x) => x.label === l)!;

describe('accept', () => {
  it('A: one prediction becomes a label (origin model, derivedFrom), undo removes it, redo brings it back', async () => {
    const cat = compare().predictions.find((x) => x.prediction.label === 'cat')!;
    expect(cat.status).toBe('fp');
    const ids = await ed.acceptPredictions([acceptedShape(cat, image)]);
    expect(ids).toHaveLength(1);
    await ed.flush();
    const [shape] = await serverShapes(p, A);
    expect(shape).toMatchObject({ id: ids[0], classId: cls.cat, kind: 'box', origin: 'model', derivedFrom: byLabel('cat').id, geometry: { type: 'box', x: 10, y: 10, w: 40, h: 30 } });
    expect(localShapes(ed)).toEqual([shape]);
    expect(ed.state.undoLabel).toBe('Accept prediction');
    expect([...ed.state.selection]).toEqual(ids);
    // Now it is matched by its own label.
    expect(compare().predictions.find((x) => x.prediction.label === 'cat')!).toMatchObject({ status: 'tp', accepted: true, labelId: ids[0] });

    expect(ed.undo()).toBe(true);
    await ed.flush();
    expect(await serverShapes(p, A)).toEqual([]);
    expect(ed.redo()).toBe(true);
    await ed.flush();
    expect(await serverShapes(p, A)).toEqual([shape]);
    // After a restart the history still undoes it.
    ed.dispose();
    await p.restart();
    ed = makeEditor(p);
    await ed.load(p.images['a.png']);
    expect(ed.state.undoLabel).toBe('Accept prediction');
    ed.undo();
    await ed.flush();
    expect(await serverShapes(p, A)).toEqual([]);
  });

  it('accepting the same prediction twice makes one label', async () => {
    const cat = compare().predictions.find((x) => x.prediction.label === 'cat')!;
    await ed.acceptPredictions([acceptedShape(cat, image)]);
    expect(await ed.acceptPredictions([acceptedShape(cat, image)])).toEqual([]);
    expect(ed.state.notice?.text).toMatch(/already a label/);
    await ed.flush();
    expect(await serverShapes(p, A)).toHaveLength(1);
  });

  it('Shift+A: every unmatched prediction above the slider in one step, clipped to the image; not those accepted before', async () => {
    const cat = compare().predictions.find((x) => x.prediction.label === 'cat')!;
    await ed.acceptPredictions([acceptedShape(cat, image)]);
    const all = acceptAllCandidates(compare(0.1));
    expect(all.map((x) => x.prediction.label)).toEqual(['dog', 'bird']);
    const ids = await ed.acceptPredictions(all.map((x) => acceptedShape(x, image)));
    expect(ids).toHaveLength(2);
    expect(ed.state.undoLabel).toBe('Accept 2 predictions');
    await ed.flush();
    const rows = await serverShapes(p, A);
    expect(rows.map((r) => [r.classId, r.origin, r.derivedFrom])).toEqual([
      [cls.cat, 'model', byLabel('cat').id],
      [cls.dog, 'model', byLabel('dog').id],
      [null, 'model', byLabel('bird').id], // no project class named "bird": unclassified
    ]);
    expect(rows[2].geometry).toEqual({ type: 'box', x: 180, y: 60, w: 20, h: 20 });
    expect(compare(0.1).counts).toEqual({ tp: 2, fp: 1, fn: 0 }); // the bird label has no class, so it cannot match
    expect(acceptAllCandidates(compare(0.1))).toEqual([]); // the bird is accepted already
    // Above 0.5 only the dog would have been taken.
    ed.undo();
    await ed.flush();
    expect(acceptAllCandidates(compare(0.5)).map((x) => x.prediction.label)).toEqual(['dog']);
    expect(await serverShapes(p, A)).toHaveLength(1);
  });
});

describe('model-edited', () => {
  it('moving, resizing or reclassing an accepted shape marks it model-edited; undo gives origin model back', async () => {
    const cat = compare().predictions.find((x) => x.prediction.label === 'cat')!;
    const [id] = await ed.acceptPredictions([acceptedShape(cat, image)]);
    ed.setTool('select');
    drag(ed, [30, 25], [40, 30]); // move it
    await ed.flush();
    let [row] = await serverShapes(p, A);
    expect(row).toMatchObject({ id, origin: 'model-edited', derivedFrom: byLabel('cat').id, geometry: { x: 20, y: 15 } });
    ed.undo();
    await ed.flush();
    [row] = await serverShapes(p, A);
    expect(row).toMatchObject({ origin: 'model', geometry: { x: 10, y: 10 } });

    // A nudge (keyboard) and a class change count too.
    ed.select([id]);
    expect(ed.keyDown(key('ArrowRight'))).toBe(true);
    await ed.flush();
    expect((await serverShapes(p, A))[0].origin).toBe('model-edited');
    ed.undo();
    ed.setClass([id], cls.dog);
    await ed.flush();
    expect((await serverShapes(p, A))[0]).toMatchObject({ origin: 'model-edited', classId: cls.dog });
    ed.undo();
    // Attributes (flags) are not the model's answer: left as model.
    ed.setAttributes([id], { occluded: true });
    await ed.flush();
    expect((await serverShapes(p, A))[0].origin).toBe('model');
  });

  it('a manual shape stays manual when edited', async () => {
    ed.setTool('box');
    drag(ed, [10, 10], [50, 50]);
    await ed.flush();
    ed.setTool('select');
    drag(ed, [30, 30], [35, 35]);
    await ed.flush();
    expect((await serverShapes(p, A))[0].origin).toBe('manual');
  });
});

describe('reject', () => {
  it('a rejected prediction leaves the comparison (kept in the run); taking it back restores it', async () => {
    expect(compare().counts).toEqual({ tp: 0, fp: 3, fn: 0 });
    expect(await p.transport.call('predictions.reject', { ids: [byLabel('dog').id], rejected: true })).toEqual({ updated: 1 });
    preds = await p.transport.call('predictions.list', { imageId: A });
    expect(preds).toHaveLength(3); // kept in the run
    expect(preds.find((x) => x.label === 'dog')!.extras.rejected).toBe(true);
    const r = compare();
    expect(r.counts).toEqual({ tp: 0, fp: 2, fn: 0 });
    expect(r.rejected).toBe(1);
    await p.transport.call('predictions.reject', { ids: [byLabel('dog').id], rejected: false });
    preds = await p.transport.call('predictions.list', { imageId: A });
    expect(compare().counts).toEqual({ tp: 0, fp: 3, fn: 0 });
  });
});
