/**
 * runImport (import.ts) on a real project file: how dataset paths find project images, how class names map, what one
 * transaction writes (annotations with their counts, COCO ids, an imported predictions run) and that an error, a dry
 * run or a cancel writes nothing. The readers are the real ones (importers.ts) on small datasets written here; the
 * API-level suites (test/datasets*.test.ts) cover every format end to end.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError, type ImportSummary } from '../../../common/api/contract.js';
import { importFolder } from '../library/scan.js';
import { encodeBmp, tempProject } from '../library/test-helpers.js';
import type { ProjectStore } from '../project/store.js';
import { runImport, type ImportArgs } from './import.js';

let project: ReturnType<typeof tempProject>;
let store: ProjectStore;
let photos: string;
let data: string;

/** A w × h grey BMP at photos/<rel>. */
function image(rel: string, w: number, h: number): void {
  const file = path.join(photos, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, encodeBmp(Buffer.alloc(w * h * 3, 128), w, h, { bits: 24 }));
}

beforeEach(async () => {
  project = tempProject();
  store = project.store;
  photos = path.join(project.dir, 'photos');
  data = path.join(project.dir, 'dataset');
  mkdirSync(data);
  image('a/cat.bmp', 4, 3);
  image('b/cat.bmp', 4, 3);
  image('dog.bmp', 5, 2);
  image('x/deep/owl.bmp', 6, 6);
  const r = await importFolder(store.db, photos);
  expect(r.imported).toBe(4);
});
afterEach(() => project.cleanup());

const idOf = (rel: string) => store.db.prepare('SELECT id FROM images WHERE rel_path = ?').pluck().get(rel) as number;
const countOf = (rel: string) => store.db.prepare('SELECT annotation_count FROM images WHERE rel_path = ?').pluck().get(rel) as number;
const classNames = () => store.db.prepare('SELECT name FROM label_classes ORDER BY id').pluck().all() as string[];
const annotations = () =>
  store.db
    .prepare('SELECT a.id, i.rel_path AS image, c.name AS class, a.kind, a.geometry, a.attributes, a.origin FROM annotations a JOIN images i ON i.id = a.image_id LEFT JOIN label_classes c ON c.id = a.class_id ORDER BY a.id')
    .all() as { id: number; image: string; class: string | null; kind: string; geometry: string; attributes: string; origin: string }[];
const stagingFiles = () => readdirSync(os.tmpdir()).filter((f) => f.startsWith(`sightline-import-${process.pid}-`));

function job(abort = false): { signal: AbortSignal; progress: (done: number, total: number | null, message?: string) => void; events: string[] } {
  const c = new AbortController();
  if (abort) c.abort();
  const events: string[] = [];
  return { signal: c.signal, progress: (done, total, message) => events.push(`${done}/${total}: ${message}`), events };
}

function run(args: Partial<ImportArgs> & { from: string }, j = job()): Promise<ImportSummary> {
  return runImport(store, { format: 'coco', as: 'labels', dryRun: false, ...args }, j);
}

interface CocoImage { id: number; file_name: string; width: number; height: number }
/** A COCO instances file: one box per entry of `boxes` ([image id, category id, x, y, w, h]). */
function cocoFile(images: CocoImage[], categories: { id: number; name: string }[], boxes: number[][], name = 'instances.json'): string {
  const file = path.join(data, name);
  const anns = boxes.map(([image_id, category_id, x, y, w, h], i) => ({ id: i + 1, image_id, category_id, bbox: [x, y, w, h], area: w * h, iscrowd: 0 }));
  writeFileSync(file, JSON.stringify({ images, categories, annotations: anns }));
  return file;
}

const twoImages = () =>
  cocoFile(
    [
      { id: 10, file_name: 'dog.bmp', width: 5, height: 2 },
      { id: 11, file_name: 'a/cat.bmp', width: 4, height: 3 },
    ],
    [{ id: 1, name: 'pet' }],
    [
      [10, 1, 0, 0, 2, 1],
      [11, 1, 1, 1, 2, 2],
      [10, 1, 3, 0, 2, 2],
    ],
  );

describe('runImport: finding project images by the dataset paths', () => {
  it('takes the longest path suffix that names one image, the folder-name prefix, then the name, then the stem', async () => {
    const from = cocoFile(
      [
        { id: 1, file_name: 'train/a/cat.bmp', width: 4, height: 3 }, // suffix a/cat.bmp: one image
        { id: 2, file_name: 'photos/b/cat.bmp', width: 4, height: 3 }, // "<folder name>/<path>" of a multi-folder export
        { id: 3, file_name: 'somewhere/owl.bmp', width: 6, height: 6 }, // only the name matches (x/deep/owl.bmp)
        { id: 4, file_name: 'JPEGImages/dog.jpg', width: 5, height: 2 }, // a converted copy: the stem matches dog.bmp
      ],
      [{ id: 7, name: 'pet' }],
      [
        [1, 7, 0, 0, 1, 1],
        [2, 7, 1, 1, 2, 2],
        [3, 7, 0, 0, 3, 3],
        [4, 7, 1, 0, 2, 1],
      ],
    );
    const s = await run({ from });
    expect(s).toMatchObject({ images: 4, annotations: 4, unmatched: [], errors: [], written: true, run: null, cancelled: false, dryRun: false });
    expect(annotations().map((a) => [a.image, a.class])).toEqual([
      ['a/cat.bmp', 'pet'],
      ['b/cat.bmp', 'pet'],
      ['x/deep/owl.bmp', 'pet'],
      ['dog.bmp', 'pet'],
    ]);
  });

  it('lists the images it cannot place, each with why, and imports the rest', async () => {
    image('c/dog.png', 5, 2); // a second "dog" stem
    await importFolder(store.db, photos);
    // A second project folder with its own a/cat.bmp.
    const more = path.join(project.dir, 'more');
    mkdirSync(path.join(more, 'a'), { recursive: true });
    writeFileSync(path.join(more, 'a', 'cat.bmp'), encodeBmp(Buffer.alloc(4 * 3 * 3, 9), 4, 3, { bits: 24 }));
    await importFolder(store.db, more);
    const from = cocoFile(
      [
        // a/cat.bmp in both folders; "test" is as long as "more", so only a real "more/" prefix may pick that folder
        { id: 1, file_name: 'test/a/cat.bmp', width: 4, height: 3 },
        { id: 2, file_name: 'cat.bmp', width: 4, height: 3 }, // three cat.bmp by name
        { id: 3, file_name: 'dog.gif', width: 5, height: 2 }, // dog.bmp and c/dog.png by stem
        { id: 4, file_name: 'zebra.bmp', width: 4, height: 3 },
        { id: 5, file_name: './..', width: 4, height: 3 },
        { id: 6, file_name: 'x\\deep\\owl.bmp', width: 6, height: 6 }, // Windows separators
        { id: 7, file_name: 'more/a/cat.bmp', width: 4, height: 3 }, // the folder's name tells them apart
      ],
      [{ id: 1, name: 'pet' }],
      [
        [6, 1, 0, 0, 2, 2],
        [7, 1, 0, 0, 1, 1],
      ],
    );
    const s = await run({ from });
    expect(s.unmatched).toEqual([
      { file: 'test/a/cat.bmp', reason: '2 project images are at a/cat.bmp (in different folders)' },
      { file: 'cat.bmp', reason: '3 project images are named cat.bmp; give the path relative to the image folder' },
      { file: 'dog.gif', reason: '2 project images are named dog.*; give the path relative to the image folder' },
      { file: 'zebra.bmp', reason: 'not in the project' },
      { file: './..', reason: 'no file name' },
    ]);
    expect(s).toMatchObject({ images: 2, annotations: 2, errors: [], written: true });
    const placed = store.db.prepare('SELECT r.path AS root, i.rel_path AS rel FROM annotations a JOIN images i ON i.id = a.image_id JOIN image_roots r ON r.id = i.root_id ORDER BY a.id').all();
    expect(placed).toEqual([
      { root: photos, rel: 'x/deep/owl.bmp' },
      { root: more, rel: 'a/cat.bmp' },
    ]);
  });

  it('an image whose size differs from the project image is an error naming both sizes, and nothing is written', async () => {
    const from = cocoFile(
      [
        { id: 1, file_name: 'dog.bmp', width: 5, height: 2 },
        { id: 2, file_name: 'x/deep/owl.bmp', width: 8, height: 6 },
      ],
      [{ id: 1, name: 'pet' }],
      [
        [1, 1, 0, 0, 1, 1],
        [2, 1, 0, 0, 1, 1],
      ],
    );
    const s = await run({ from });
    expect(s.errors).toEqual([
      { file: 'x/deep/owl.bmp', where: null, problem: "the dataset says 8×6 but the project's image is 6×6 (as displayed); is it the same image, or was it rotated?" },
    ]);
    expect(s).toMatchObject({ written: false, run: null, images: 1 });
    expect(annotations()).toEqual([]);
    expect(classNames()).toEqual([]);
    expect(countOf('dog.bmp')).toBe(0);
    expect(stagingFiles()).toEqual([]);
  });
});

describe('runImport: names a dataset gives its images', () => {
  it("Sightline's flattened ids (folders and spaces as _) and names with dots find their image by stem", async () => {
    image('v1.2.bmp', 3, 3);
    image('my photo.bmp', 3, 3);
    image('v.2/owl.bmp', 3, 3);
    await importFolder(store.db, photos);
    const from = cocoFile(
      [
        { id: 1, file_name: 'JPEGImages/x_deep_owl.jpg', width: 6, height: 6 },
        { id: 2, file_name: 'JPEGImages/v1.2.jpg', width: 3, height: 3 },
        { id: 3, file_name: 'JPEGImages/my_photo.jpg', width: 3, height: 3 },
        { id: 4, file_name: 'JPEGImages/v.2_owl.jpg', width: 3, height: 3 },
      ],
      [{ id: 1, name: 'pet' }],
      [1, 2, 3, 4].map((i) => [i, 1, 0, 0, 1, 1]),
    );
    const s = await run({ from });
    expect(s.unmatched).toEqual([]);
    expect(annotations().map((a) => a.image)).toEqual(['x/deep/owl.bmp', 'v1.2.bmp', 'my photo.bmp', 'v.2/owl.bmp']);
  });

  it('a LabelMe file finds its image by absolute path where the relative one is ambiguous; points join their class template', async () => {
    // Two project folders both called "photos", each with a/cat.bmp: only the JSON's own path tells them apart.
    const twin = path.join(project.dir, 'twin', 'photos');
    mkdirSync(path.join(twin, 'a'), { recursive: true });
    writeFileSync(path.join(twin, 'a', 'cat.bmp'), encodeBmp(Buffer.alloc(4 * 3 * 3, 9), 4, 3, { bits: 24 }));
    await importFolder(store.db, twin);
    store.classes.upsert({ name: 'face', keypoints: { names: ['left eye', 'right eye'], edges: [[0, 1]] } });
    const point = (label: string, x: number, y: number) => ({ label, points: [[x, y]], group_id: 1, description: 'face', shape_type: 'point', flags: {} });
    const json = (imagePath: string) => JSON.stringify({ version: '5.4.1', flags: {}, shapes: [point('right eye', 3, 1), point('left eye', 1, 1)], imagePath, imageData: null, imageHeight: 3, imageWidth: 4 });
    const dir = path.join(data, 'lm');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'cat.json'), json(path.relative(dir, path.join(twin, 'a', 'cat.bmp'))));
    // The image is not inside the dataset folder: its name as written, resolved against the JSON file.
    const s = await run({ from: dir, format: 'labelme' });
    expect(s).toMatchObject({ written: true, images: 1, annotations: 1, unmatched: [], errors: [] });
    const placed = store.db.prepare('SELECT r.path AS root, i.rel_path AS rel, a.geometry FROM annotations a JOIN images i ON i.id = a.image_id JOIN image_roots r ON r.id = i.root_id').all();
    expect(placed).toEqual([{ root: twin, rel: 'a/cat.bmp', geometry: JSON.stringify({ type: 'keypoints', points: [1, 1, 2, 3, 1, 2], names: ['left eye', 'right eye'] }) }]);
    // A path outside every project folder falls back to the names, which are ambiguous here.
    writeFileSync(path.join(dir, 'cat.json'), json('../elsewhere/photos/a/cat.bmp'));
    const again = await run({ from: dir, format: 'labelme', dryRun: true });
    expect(again.unmatched).toEqual([{ file: '../elsewhere/photos/a/cat.bmp', reason: '2 project images are at photos/a/cat.bmp (in different folders)' }]);
  });

  it('a path under a project folder that names no image falls back to the names', async () => {
    // "photos/zebra.bmp" starts with the folder's name but names nothing inside it.
    const from = cocoFile([{ id: 1, file_name: 'photos/zebra.bmp', width: 4, height: 3 }], [], [], 'z.json');
    expect((await run({ from, dryRun: true })).unmatched).toEqual([{ file: 'photos/zebra.bmp', reason: 'not in the project' }]);
    // A LabelMe file inside the project folder naming an image not (yet) in the project: found by its stem.
    const dir = path.join(photos, 'x');
    writeFileSync(path.join(dir, 'dog.json'), JSON.stringify({ version: '5.4.1', flags: {}, shapes: [], imagePath: 'dog.png', imageData: null, imageHeight: 2, imageWidth: 5 }));
    const s = await run({ from: dir, format: 'labelme' });
    expect(s).toMatchObject({ unmatched: [], errors: [], images: 1, written: true });
  });

  it('more than 10,000 unplaced images: the first 10,000 are listed', async () => {
    const images: CocoImage[] = [];
    for (let i = 1; i <= 10_001; i++) images.push({ id: i, file_name: `none/${i}.bmp`, width: 4, height: 3 });
    const s = await run({ from: cocoFile(images, [], []), dryRun: true });
    expect(s.unmatched).toHaveLength(10_000);
    expect(s.unmatched[9_999]).toEqual({ file: 'none/10000.bmp', reason: 'not in the project' });
  });
});

describe('runImport: COCO results', () => {
  it('after a COCO import, results name its ids; each result lands on its image as a prediction', async () => {
    await run({ from: twoImages() });
    const file = path.join(data, 'results.json');
    writeFileSync(file, JSON.stringify([{ image_id: 11, category_id: 1, bbox: [0, 0, 2, 2], score: 0.9 }]));
    const s = await run({ from: file, format: 'coco-results', as: 'predictions' });
    // Every image of the imported dataset is covered: the model ran there, whether or not it found anything.
    expect(s).toMatchObject({ written: true, images: 2, annotations: 1, warnings: [], errors: [] });
    const rows = store.db.prepare(`SELECT image_id, label, kind, score FROM predictions WHERE run_id = ? ORDER BY id`).all(s.run);
    const [cat, dog] = [idOf('a/cat.bmp'), idOf('dog.bmp')];
    expect(rows).toEqual([
      { image_id: cat, label: 'pet', kind: 'box', score: 0.9 },
      ...[cat, dog].sort((a, b) => a - b).map((image_id) => ({ image_id, label: null, kind: 'tag', score: null })),
    ]);
  });

  it('an image of the imported dataset since removed from the project is not covered', async () => {
    await run({ from: twoImages() });
    store.db.prepare('DELETE FROM images WHERE id = ?').run(idOf('dog.bmp'));
    const file = path.join(data, 'results.json');
    writeFileSync(file, JSON.stringify([{ image_id: 11, category_id: 1, bbox: [0, 0, 2, 2], score: 0.9 }]));
    const s = await run({ from: file, format: 'coco-results', as: 'predictions' });
    expect(s).toMatchObject({ written: true, images: 1, annotations: 1, errors: [] });
  });

  it('keypoint results take the point names of the category they name', async () => {
    const kp = path.join(data, 'kp.json');
    writeFileSync(
      kp,
      JSON.stringify({
        images: [{ id: 5, file_name: 'owl.bmp', width: 6, height: 6 }],
        categories: [{ id: 3, name: 'bird', keypoints: ['beak', 'tail'], skeleton: [[1, 2]] }],
        annotations: [],
      }),
    );
    await run({ from: kp });
    const file = path.join(data, 'results.json');
    writeFileSync(file, JSON.stringify([{ image_id: 5, category_id: 3, keypoints: [1, 1, 2, 4, 5, 2], score: 0.8 }]));
    const s = await run({ from: file, format: 'coco-results', as: 'predictions' });
    expect(s).toMatchObject({ written: true, errors: [] });
    const g = store.db.prepare(`SELECT geometry FROM predictions WHERE run_id = ? AND kind = 'keypoints'`).pluck().get(s.run) as string;
    expect(JSON.parse(g)).toMatchObject({ type: 'keypoints', points: [1, 1, 2, 4, 5, 2], names: ['beak', 'tail'] });
  });

  it('without one, results name project ids, and the person is told so; an image not in the project is an error', async () => {
    const pet = store.classes.upsert({ name: 'pet' });
    const file = path.join(data, 'results.json');
    writeFileSync(file, JSON.stringify([{ image_id: idOf('dog.bmp'), category_id: pet.id, bbox: [1, 0, 2, 1], score: 0.5 }]));
    const s = await run({ from: file, format: 'coco-results', as: 'predictions' });
    expect(s.warnings[0]).toBe(
      'No COCO instances file was imported into this project before, so the results are read with the ids Sightline exports (image id = project image id, category id = class id).',
    );
    expect(s).toMatchObject({ written: true, images: 1, annotations: 1 });
    const missing = 99_999;
    writeFileSync(file, JSON.stringify([{ image_id: missing, category_id: pet.id, bbox: [1, 0, 2, 1], score: 0.5 }]));
    const bad = await run({ from: file, format: 'coco-results', as: 'predictions' });
    expect(bad.written).toBe(false);
    expect(bad.errors).toHaveLength(1);
    expect(bad.errors[0].problem).toContain(String(missing));
  });
});

describe('runImport: a reader that gives up', () => {
  it('a COCO folder without a .json file: the problem names the folder; nothing is written and no staging file is left', async () => {
    const s = await run({ from: data });
    expect(s).toMatchObject({ written: false, run: null, images: 0, annotations: 0 });
    expect(s.errors).toEqual([{ file: data, where: null, problem: 'holds no COCO .json file (looked in it and in its annotations/ folder)' }]);
    expect(stagingFiles()).toEqual([]);
  });
});

describe('runImport: class names', () => {
  it('keeps an exact name, maps a name spelled alike but for case and spaces, and adds the rest', async () => {
    store.classes.upsert({ name: 'Cat' });
    store.classes.upsert({ name: 'bird' });
    store.classes.upsert({ name: 'Bird ' }); // two project classes fold to "bird": a dataset "BIRD" is a new class
    const from = cocoFile(
      [{ id: 1, file_name: 'dog.bmp', width: 5, height: 2 }],
      [
        { id: 1, name: ' cat' },
        { id: 2, name: 'bird' },
        { id: 3, name: 'BIRD' },
        { id: 4, name: 'fox' },
      ],
      [
        [1, 1, 0, 0, 1, 1],
        [1, 2, 0, 0, 1, 1],
        [1, 3, 0, 0, 1, 1],
        [1, 4, 0, 0, 1, 1],
        [1, 1, 1, 1, 1, 1],
      ],
    );
    const s = await run({ from });
    expect(s.classesMapped).toEqual([{ from: ' cat', to: 'Cat' }]);
    expect(s.classesAdded).toEqual(['BIRD', 'fox']);
    expect(classNames()).toEqual(['Cat', 'bird', 'Bird ', 'BIRD', 'fox']);
    expect(annotations().map((a) => a.class)).toEqual(['Cat', 'bird', 'BIRD', 'fox', 'Cat']);
    // The COCO ids a later results import reads: category → the class it landed in, image → project image.
    const coco = store.db.prepare('SELECT kind, coco_id AS coco, local_id AS local FROM coco_ids ORDER BY kind, coco_id').all();
    const cls = (n: string) => store.db.prepare('SELECT id FROM label_classes WHERE name = ?').pluck().get(n);
    expect(coco).toEqual([
      { kind: 'category', coco: 1, local: cls('Cat') },
      { kind: 'category', coco: 2, local: cls('bird') },
      { kind: 'category', coco: 3, local: cls('BIRD') },
      { kind: 'category', coco: 4, local: cls('fox') },
      { kind: 'image', coco: 1, local: idOf('dog.bmp') },
    ]);
  });

  it('a new class brings its keypoint names and skeleton', async () => {
    const file = path.join(data, 'kp.json');
    writeFileSync(
      file,
      JSON.stringify({
        images: [{ id: 1, file_name: 'owl.bmp', width: 6, height: 6 }],
        categories: [{ id: 1, name: 'bird', keypoints: ['beak', 'tail'], skeleton: [[1, 2]] }],
        annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [0, 0, 4, 4], area: 16, iscrowd: 0, keypoints: [1, 1, 2, 3, 3, 2], num_keypoints: 2 }],
      }),
    );
    const s = await run({ from: file });
    expect(s).toMatchObject({ written: true, classesAdded: ['bird'] });
    const kp = store.db.prepare('SELECT keypoints FROM label_classes WHERE name = ?').pluck().get('bird') as string;
    expect(JSON.parse(kp)).toEqual({ names: ['beak', 'tail'], edges: [[0, 1]] });
  });
});

describe('runImport: what it writes', () => {
  it('labels: manual annotations with fresh ids, the per-image counts, and the count trigger back in place', async () => {
    const before = store.db.prepare(`SELECT sql FROM sqlite_schema WHERE name = 'annotations_count_insert'`).pluck().get();
    expect(before).toEqual(expect.stringContaining('CREATE TRIGGER'));
    const j = job();
    const s = await run({ from: twoImages() }, j);
    expect(s).toMatchObject({ images: 2, annotations: 3, written: true, run: null, warnings: [], classesAdded: ['pet'] });
    const rows = annotations();
    expect(rows.map((a) => [a.image, a.kind, JSON.parse(a.geometry), a.origin])).toEqual([
      ['dog.bmp', 'box', { type: 'box', x: 0, y: 0, w: 2, h: 1 }, 'manual'],
      ['a/cat.bmp', 'box', { type: 'box', x: 1, y: 1, w: 2, h: 2 }, 'manual'],
      ['dog.bmp', 'box', { type: 'box', x: 3, y: 0, w: 2, h: 2 }, 'manual'],
    ]);
    // Consecutive ids from the project's counter, in the dataset's order.
    expect(rows.map((a) => a.id - rows[0].id)).toEqual([0, 1, 2]);
    expect([countOf('dog.bmp'), countOf('a/cat.bmp'), countOf('b/cat.bmp')]).toEqual([2, 1, 0]);
    expect(store.db.prepare(`SELECT sql FROM sqlite_schema WHERE name = 'annotations_count_insert'`).pluck().get()).toBe(before);
    // The trigger counts again: one more row on dog.bmp makes 3.
    store.db.prepare(`INSERT INTO annotations (image_id, kind, geometry, created_at, updated_at) VALUES (?, 'tag', '{"type":"tag"}', 0, 0)`).run(idOf('dog.bmp'));
    expect(countOf('dog.bmp')).toBe(3);
    // A later annotation takes the next id, not one the import used.
    const next = store.db.prepare('SELECT max(id) FROM annotations').pluck().get() as number;
    expect(next).toBeGreaterThan(rows[2].id);
    expect(j.events.at(-1)).toBe('3/3: Writing 3 annotations into the project…');
    expect(stagingFiles()).toEqual([]);
  });

  it('labels on images that had some: added beside them, with a warning counting those images', async () => {
    await run({ from: twoImages() });
    const s = await run({ from: twoImages() });
    expect(s.warnings).toEqual(['2 image(s) already had labels: the imported ones were added beside them.']);
    expect([countOf('dog.bmp'), countOf('a/cat.bmp')]).toEqual([4, 2]);
    expect(classNames()).toEqual(['pet']);
  });

  it('predictions: a run of an "imported" model, one row per object and one per covered image; names stay unique', async () => {
    const s = await run({ from: twoImages(), as: 'predictions' });
    expect(s).toMatchObject({ written: true, images: 2, annotations: 3 });
    expect(s.run).toEqual(expect.any(Number));
    expect(annotations()).toEqual([]);
    const model = store.db.prepare('SELECT m.name, m.kind, m.file, r.status, r.parameters FROM model_runs r JOIN models m ON m.id = r.model_id WHERE r.id = ?').get(s.run);
    const from = path.join(data, 'instances.json');
    expect(model).toEqual({ name: 'imported: instances.json (coco)', kind: 'imported', file: from, status: 'done', parameters: JSON.stringify({ imported: { format: 'coco', from } }) });
    const preds = store.db.prepare('SELECT image_id, label, kind, geometry, score, extras FROM predictions WHERE run_id = ? ORDER BY id').all(s.run) as { image_id: number; label: string | null; kind: string; geometry: string; score: number | null; extras: string }[];
    const dog = idOf('dog.bmp'), cat = idOf('a/cat.bmp');
    expect(preds.map((p) => [p.image_id, p.label, p.kind, p.geometry, p.score, p.extras])).toEqual([
      [dog, 'pet', 'box', '{"type":"box","x":0,"y":0,"w":2,"h":1}', null, '{}'],
      [cat, 'pet', 'box', '{"type":"box","x":1,"y":1,"w":2,"h":2}', null, '{}'],
      [dog, 'pet', 'box', '{"type":"box","x":3,"y":0,"w":2,"h":2}', null, '{}'],
      // "the model looked here" rows, one per covered image, by image id
      ...[dog, cat].sort((x, y) => x - y).map((id) => [id, null, 'tag', '{"type":"tag"}', null, '{"kind":"image-extras"}']),
    ]);
    // The dataset's classes became project classes, so the rows name them.
    expect(store.db.prepare('SELECT count(*) FROM predictions WHERE run_id = ? AND kind = ? AND class_id IS NULL').pluck().get(s.run, 'box')).toBe(0);
    // No coco ids from a predictions import: they would remap the labels' ids.
    expect(store.db.prepare('SELECT count(*) FROM coco_ids').pluck().get()).toBe(0);
    const again = await run({ from: twoImages(), as: 'predictions' });
    expect(store.db.prepare('SELECT m.name FROM model_runs r JOIN models m ON m.id = r.model_id WHERE r.id = ?').pluck().get(again.run)).toBe('imported: instances.json (coco) #2');
    const third = await run({ from: twoImages(), as: 'predictions' });
    expect(store.db.prepare('SELECT m.name FROM model_runs r JOIN models m ON m.id = r.model_id WHERE r.id = ?').pluck().get(third.run)).toBe('imported: instances.json (coco) #3');
  });

  it('predictions keep attributes under extras.attributes and the score', async () => {
    const file = path.join(data, 'r.json');
    writeFileSync(
      file,
      JSON.stringify({
        images: [{ id: 1, file_name: 'dog.bmp', width: 5, height: 2 }],
        categories: [{ id: 1, name: 'pet' }],
        annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [0, 0, 2, 1], area: 2, iscrowd: 1, score: 0.75 }],
      }),
    );
    const s = await run({ from: file, as: 'predictions' });
    const p = store.db.prepare(`SELECT score, extras FROM predictions WHERE run_id = ? AND kind = 'box'`).get(s.run);
    // The area equals the box's, so it is not kept; iscrowd is.
    expect(p).toEqual({ score: 0.75, extras: '{"attributes":{"iscrowd":true}}' });
  });

  it('a dry run reads and counts everything and writes nothing', async () => {
    const s = await run({ from: twoImages(), dryRun: true });
    expect(s).toMatchObject({ dryRun: true, written: false, run: null, images: 2, annotations: 3, classesAdded: ['pet'], errors: [] });
    expect(annotations()).toEqual([]);
    expect(classNames()).toEqual([]);
    expect(store.db.prepare('SELECT count(*) FROM coco_ids').pluck().get()).toBe(0);
    expect(stagingFiles()).toEqual([]);
  });

  it('a cancelled import says so and writes nothing', async () => {
    const s = await run({ from: twoImages() }, job(true));
    expect(s).toMatchObject({ cancelled: true, written: false, run: null });
    expect(annotations()).toEqual([]);
    expect(stagingFiles()).toEqual([]);
  });

  it('more objects than one staging batch all arrive, in order', async () => {
    const boxes: number[][] = [];
    for (let i = 0; i < 4500; i++) boxes.push([i % 2 === 0 ? 10 : 11, 1, i % 3, 0, 1, 1]);
    const from = cocoFile(
      [
        { id: 10, file_name: 'dog.bmp', width: 5, height: 2 },
        { id: 11, file_name: 'a/cat.bmp', width: 4, height: 3 },
      ],
      [{ id: 1, name: 'pet' }],
      boxes,
    );
    const s = await run({ from });
    expect(s).toMatchObject({ written: true, annotations: 4500, images: 2 });
    const rows = annotations();
    expect(rows).toHaveLength(4500);
    expect(rows.map((a) => (JSON.parse(a.geometry) as { x: number }).x)).toEqual(boxes.map((b) => b[2]));
    expect([countOf('dog.bmp'), countOf('a/cat.bmp')]).toEqual([2250, 2250]);
  });
});

describe('runImport: bad input loses nothing', () => {
  it('a path that does not exist is "not found", naming it', async () => {
    const missing = path.join(data, 'nope.json');
    const e = await run({ from: missing }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({ code: 'not_found', message: `Cannot import ${missing}: it does not exist. Check the path. Nothing was changed.`, details: { file: missing } });
  });

  it('a malformed file is reported with its name and place; what was read before it is not written', async () => {
    await run({ from: twoImages() }); // labels already there must stay as they are
    const before = annotations();
    const file = path.join(data, 'broken.json');
    writeFileSync(file, '{"images": [{"id": 1, "file_name": "dog.bmp", "width": 5, "height": 2}], "categories": [{"id": 1, "name": "new"}], "annotations": [');
    const s = await run({ from: file });
    expect(s.written).toBe(false);
    expect(s.errors.length).toBeGreaterThan(0);
    expect(s.errors[0].file).toBe(file);
    expect(annotations()).toEqual(before);
    expect(classNames()).toEqual(['pet']);
    expect(stagingFiles()).toEqual([]);
  });

  it('stops listing problems at 100 and writes nothing', async () => {
    const images: CocoImage[] = [];
    for (let i = 1; i <= 130; i++) images.push({ id: i, file_name: 'dog.bmp', width: 9, height: 9 });
    const s = await run({ from: cocoFile(images, [{ id: 1, name: 'pet' }], []) });
    expect(s.errors).toHaveLength(100);
    expect(s.errors[99].problem).toContain('the dataset says 9×9');
    expect(s.written).toBe(false);
  });
});
