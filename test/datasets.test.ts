/**
 * Dataset interchange end to end (issue 8): a real project (SQLite file, real photos), every export format written,
 * read back and verified by the core, imported again into a fresh project over the same photos, and bad datasets
 * refused with the file and record named and nothing written.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Annotation, ExportSummary, ImportSummary, Job } from '../common/api/contract.js';
import { encodeRle } from '../common/geometry/rle.js';
import { AppCore } from '../electron/core/app.js';
import { runExport } from '../electron/core/datasets/export.js';
import { nodeZlib } from '../electron/core/datasets/zlib.js';
import { decodePng, encodePng } from '../common/formats/png.js';

const ROOT = path.resolve(__dirname, '..');
let tmp: string;
let photos: string;
let core: AppCore;
let source: string;

async function runJob(name: 'datasets.export' | 'datasets.import', args: Record<string, unknown>): Promise<Job> {
  const { jobId } = (await core.dispatch(name, args)) as { jobId: string };
  return core.jobs.wait(jobId);
}
const exportTo = async (format: string, out: string, extra: Record<string, unknown> = {}) => {
  const job = await runJob('datasets.export', { format, out, ...extra });
  return { job, summary: job.result as ExportSummary };
};
const importFrom = async (format: string, from: string, extra: Record<string, unknown> = {}) => {
  const job = await runJob('datasets.import', { format, from, ...extra });
  return { job, summary: job.result as ImportSummary };
};

/** A fresh project over the same photos (import waits for the scan). */
async function freshProject(name: string): Promise<void> {
  await core.openProject(path.join(tmp, `${name}.sightline`), { create: true });
  await core.jobs.wait(core.startImport(photos));
}

/** Every annotation of the open project, keyed by image path, as comparable plain data. */
function labelsByImage(): Map<string, { class: string | null; kind: string; geometry: unknown; attributes: unknown }[]> {
  const store = core.store!;
  const classes = new Map(store.classes.list().map((c) => [c.id, c.name]));
  const out = new Map<string, { class: string | null; kind: string; geometry: unknown; attributes: unknown }[]>();
  for (const img of store.images.list({ offset: 0, limit: 1000, filter: {}, sort: { by: 'path', dir: 'asc' } }).items) {
    const list = store.annotations.listForImage(img.id).map((a: Annotation) => ({
      class: a.classId === null ? null : classes.get(a.classId)!,
      kind: a.kind,
      geometry: a.geometry,
      attributes: a.attributes,
    }));
    if (list.length) out.set(img.relPath, list.sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))));
  }
  return out;
}

function circleMask(w: number, h: number, cx: number, cy: number, r: number) {
  const m = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) m[y * w + x] = 1;
  return { type: 'mask' as const, ...encodeRle(m, w, h) };
}

let expected: ReturnType<typeof labelsByImage>;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-datasets-'));
  photos = path.join(tmp, 'photos');
  mkdirSync(photos);
  for (const f of ['astronaut.png', 'chelsea.jpg', 'coffee.jpg', 'rotated-exif6.jpg', 'café 日本.png', 'nested']) {
    cpSync(path.join(ROOT, 'test/fixtures/images', f), path.join(photos, f), { recursive: true });
  }
  core = new AppCore({ appDataDir: path.join(tmp, 'appdata'), transport: 'http' });
  source = path.join(tmp, 'source.sightline');
  await core.openProject(source, { create: true });
  await core.jobs.wait(core.startImport(photos));
  const store = core.store!;
  const person = store.classes.upsert({ name: 'person', keypoints: { names: ['head', 'left hand', 'right hand'], edges: [[0, 1], [0, 2]] } });
  const cat = store.classes.upsert({ name: 'cat' });
  const cup = store.classes.upsert({ name: 'cup' });
  const indoor = store.classes.upsert({ name: 'indoor' });
  const id = (rel: string) => store.images.list({ offset: 0, limit: 100, filter: { text: rel }, sort: { by: 'path', dir: 'asc' } }).items.find((i) => i.relPath === rel)!;
  const astronaut = id('astronaut.png');
  const chelsea = id('chelsea.jpg');
  const coffee = id('coffee.jpg');
  const rotated = id('rotated-exif6.jpg');
  const cafe = id('café 日本.png');
  await core.dispatch('annotations.batch', {
    create: [
      { imageId: astronaut.id, classId: person.id, kind: 'box', geometry: { type: 'box', x: 10.5, y: 20.25, w: 100, h: 200 }, attributes: { difficult: true, truncated: false, occluded: true } },
      { imageId: astronaut.id, classId: person.id, kind: 'keypoints', geometry: { type: 'keypoints', points: [50, 40, 2, 30, 100, 1, 0, 0, 0], names: ['head', 'left hand', 'right hand'] } },
      { imageId: astronaut.id, classId: null, kind: 'caption', geometry: { type: 'caption', text: 'an astronaut holds a helmet' } },
      { imageId: astronaut.id, classId: indoor.id, kind: 'tag', geometry: { type: 'tag' } },
      { imageId: chelsea.id, classId: cat.id, kind: 'polygon', geometry: { type: 'polygon', points: [10, 10, 120, 15, 100, 90, 20, 80] } },
      { imageId: chelsea.id, classId: null, kind: 'box', geometry: { type: 'box', x: 1, y: 2, w: 3, h: 4 } },
      { imageId: coffee.id, classId: cup.id, kind: 'mask', geometry: circleMask(coffee.width, coffee.height, 150, 100, 40) },
      { imageId: rotated.id, classId: cup.id, kind: 'box', geometry: { type: 'box', x: 20, y: 30, w: 100, h: 150 } },
      { imageId: cafe.id, classId: cat.id, kind: 'box', geometry: { type: 'box', x: 5, y: 6, w: 50, h: 40 } },
    ],
  });
  expected = labelsByImage();
}, 120_000);

afterAll(async () => {
  await core?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('COCO', () => {
  it('exports instances and captions, verified, with the right bbox, area, RLE and category ids', async () => {
    await core.openProject(source);
    const out = path.join(tmp, 'coco');
    const { job, summary } = await exportTo('coco', out);
    expect(job.state, job.error ?? '').toBe('done');
    expect(summary.verified).toBe(true);
    expect(summary.files).toEqual(expect.arrayContaining(['annotations/instances.json', 'annotations/captions.json', 'README.txt']));
    expect(readFileSync(path.join(out, 'README.txt'), 'utf8')).toMatch(/EXIF orientation/);
    expect(summary.warnings.join('\n')).toMatch(/1 image\(s\) carry an EXIF rotation/);
    expect(summary.notExported).toEqual(expect.arrayContaining([expect.objectContaining({ count: 1 })]));
    const doc = JSON.parse(readFileSync(path.join(out, 'annotations/instances.json'), 'utf8'));
    const cats = new Map(core.store!.classes.list().map((c) => [c.name, c.id]));
    expect(doc.categories.map((c: { id: number; name: string }) => [c.id, c.name])).toEqual([...cats].map(([n, i]) => [i, n]));
    expect(doc.categories[0]).toMatchObject({ keypoints: ['head', 'left hand', 'right hand'], skeleton: [[1, 2], [1, 3]] });
    const box = doc.annotations.find((a: { bbox: number[] }) => a.bbox[0] === 10.5);
    expect(box).toMatchObject({ bbox: [10.5, 20.25, 100, 200], area: 20000, iscrowd: 0, segmentation: [] });
    const poly = doc.annotations.find((a: { segmentation: unknown }) => Array.isArray(a.segmentation) && a.segmentation.length === 1);
    // shoelace area of (10,10) (120,15) (100,90) (20,80), worked by hand:
    // (10·15 − 120·10) + (120·90 − 100·15) + (100·80 − 20·90) + (20·10 − 10·80) = 13850, halved: 6925
    expect(poly).toMatchObject({ bbox: [10, 10, 110, 80], area: 6925 });
    const mask = doc.annotations.find((a: { segmentation: { counts?: unknown } }) => typeof a.segmentation?.counts === 'string');
    expect(mask.area).toBe((expected.get('coffee.jpg')![0].geometry as { counts: number[] }).counts.filter((_, i) => i % 2 === 1).reduce((a, b) => a + b, 0));
    const kp = doc.annotations.find((a: { keypoints?: number[] }) => a.keypoints);
    expect(kp).toMatchObject({ keypoints: [50, 40, 2, 30, 100, 1, 0, 0, 0], num_keypoints: 2 });
    const caps = JSON.parse(readFileSync(path.join(out, 'annotations/captions.json'), 'utf8'));
    expect(caps.annotations).toEqual([expect.objectContaining({ caption: 'an astronaut holds a helmet' })]);
  });

  it('imports back into a fresh project: every shape the format holds, exactly', async () => {
    await freshProject('coco-back');
    const { job, summary } = await importFrom('coco', path.join(tmp, 'coco'));
    expect(job.state, job.error ?? '').toBe('done');
    expect(summary).toMatchObject({ errors: [], unmatched: [], written: true, run: null });
    // every category, also one without annotations (indoor: tags are not in COCO)
    expect(summary.classesAdded.sort()).toEqual(['cat', 'cup', 'indoor', 'person']);
    const got = labelsByImage();
    const want = new Map([...expected].map(([k, v]) => [k, v.filter((a) => a.kind !== 'tag' && (a.class !== null || a.kind === 'caption'))]));
    for (const [k, v] of want) if (v.length === 0) want.delete(k);
    expect(got).toEqual(want);
    // The per-image counts the grid reads are right, and the count trigger the import lifts is back.
    const store = core.store!;
    for (const img of store.images.list({ offset: 0, limit: 100, filter: {}, sort: { by: 'path', dir: 'asc' } }).items) {
      expect(img.annotationCount, img.relPath).toBe(store.annotations.listForImage(img.id).length);
    }
    expect(store.db.prepare(`SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name = 'annotations_count_insert'`).pluck().get()).toBe(1);
  });
});

describe('every export format', () => {
  for (const format of ['yolo', 'voc', 'labelme', 'masks', 'captions'] as const) {
    it(`${format}: written, read back and verified`, async () => {
      await core.openProject(source);
      const out = path.join(tmp, `out-${format}`);
      const { job, summary } = await exportTo(format, out);
      expect(job.state, `${job.error}\n${summary?.differences?.join('\n')}`).toBe('done');
      expect(summary.verified).toBe(true);
      expect(summary.files.length).toBeGreaterThan(1);
      for (const f of summary.files.filter((x) => !x.includes('('))) expect(existsSync(path.join(out, f)), f).toBe(true);
      expect(readdirSync(tmp).filter((n) => n.includes('.tmp'))).toEqual([]);
    });
  }
});

describe('the round-trip check fails when the files differ from the project', () => {
  const job = () => ({ signal: new AbortController().signal, progress: () => {} });
  const cases: [string, string, (dir: string) => void][] = [
    ['coco', 'a box moved by one pixel', (d) => edit(d, 'annotations/instances.json', (t) => t.replace('[10.5,20.25,100,200]', '[11.5,20.25,100,200]'))],
    ['coco', 'an annotation dropped', (d) => edit(d, 'annotations/captions.json', (t) => t.replace(/"caption":"an astronaut holds a helmet"/, '"caption":"an astronaut"'))],
    ['yolo', 'a class id changed', (d) => edit(d, 'labels/astronaut.txt', (t) => t.replace(/^0 /, '1 '))],
    ['yolo', 'data.yaml names reordered', (d) => edit(d, 'data.yaml', (t) => t.replace('0: person', '0: persons'))],
    ['voc', 'a difficult flag cleared', (d) => edit(d, 'Annotations/astronaut.xml', (t) => t.replace('<difficult>1</difficult>', '<difficult>0</difficult>'))],
    ['labelme', 'a polygon point moved', (d) => edit(d, 'chelsea.json', (t) => t.replace(/120(\.0)?,\s*15/, '121, 15'))],
    ['coco-results', 'a score changed', (d) => edit(d, 'results.json', (t) => t.replace('"score":1', '"score":0.5'))],
    ['coco-results', 'a result dropped', (d) => edit(d, 'results.json', (t) => t.replace(/\{"image_id"[^\n]*\},?\n/, ''))],
    ['captions', 'a caption changed', (d) => edit(d, 'captions.jsonl', (t) => t.replace('helmet', 'hat'))],
    ['masks', 'a mask pixel repainted', (d) => {
      const f = path.join(d, 'masks/coffee.png');
      // Rewrite the PNG with one more cup pixel, through the same codec the core uses.
      const png = decodePng(readFileSync(f), nodeZlib);
      const cup = Math.max(...png.data);
      png.data[0] = cup;
      writeFileSync(f, encodePng({ ...png, palette: png.palette ?? undefined }, nodeZlib));
    }],
  ];
  function edit(dir: string, rel: string, change: (t: string) => string) {
    const f = path.join(dir, ...rel.split('/'));
    const before = readFileSync(f, 'utf8');
    const after = change(before);
    expect(after, `the tamper of ${rel} must change it`).not.toBe(before);
    writeFileSync(f, after);
  }
  for (const [format, what, tamper] of cases) {
    it(`${format}: ${what}`, async () => {
      await core.openProject(source);
      const out = path.join(tmp, `tampered-${format}-${what.replace(/\W+/g, '-')}`);
      const r = await runExport(source, { format: format as 'coco', out, source: 'labels', seed: 0, upright: false, overwrite: false }, job(), {
        afterWrite: async (dir) => tamper(dir),
      });
      expect(r.verified).toBe(false);
      expect(r.differences.length).toBeGreaterThan(0);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(tmp).filter((n) => n.includes('.tmp'))).toEqual([]);
    });
  }
});

describe('imports of the other formats', () => {
  it('YOLO: the pose export comes back as the same keypoints (6 decimals of the image size)', async () => {
    await freshProject('yolo-back');
    const { job, summary } = await importFrom('yolo', path.join(tmp, 'out-yolo'));
    expect(job.state, job.error ?? '').toBe('done');
    expect(summary.errors).toEqual([]);
    expect(summary.images).toBe(7); // every photo, also those without labels
    const got = labelsByImage();
    expect([...got.keys()]).toEqual(['astronaut.png']);
    const [kp] = got.get('astronaut.png')!;
    expect(kp.class).toBe('person');
    const pts = (kp.geometry as { points: number[] }).points;
    [50, 40, 2, 30, 100, 1, 0, 0, 0].forEach((v, i) => expect(pts[i]).toBeCloseTo(v, 3));
  });

  it('VOC: boxes with their flags, polygons and masks as masks', async () => {
    await freshProject('voc-back');
    const { job, summary } = await importFrom('voc', path.join(tmp, 'out-voc'));
    expect(job.state, job.error ?? '').toBe('done');
    expect(summary.errors).toEqual([]);
    const got = labelsByImage();
    expect(got.get('astronaut.png')).toEqual([
      // VOC's integer pixels: x 10.5 → xmin round(10.5)+1 = 12 → x 11; w: xmax round(110.5) = 111 → 100
      { class: 'person', kind: 'box', geometry: { type: 'box', x: 11, y: 20, w: 100, h: 200 }, attributes: { difficult: true, occluded: true } },
    ]);
    expect(got.get('chelsea.jpg')!.map((a) => [a.class, a.kind])).toEqual([['cat', 'mask']]);
    const cup = got.get('coffee.jpg')![0];
    expect(cup.geometry).toEqual(expected.get('coffee.jpg')![0].geometry);
  });

  it('LabelMe: every shape kind it holds, exactly', async () => {
    await freshProject('labelme-back');
    core.store!.classes.upsert({ name: 'person', keypoints: { names: ['head', 'left hand', 'right hand'], edges: [[0, 1], [0, 2]] } });
    const { job, summary } = await importFrom('labelme', path.join(tmp, 'out-labelme'));
    expect(job.state, job.error ?? '').toBe('done');
    expect(summary.errors).toEqual([]);
    const got = labelsByImage();
    expect(got.get('chelsea.jpg')).toEqual(expected.get('chelsea.jpg')!.filter((a) => a.class !== null));
    expect(got.get('coffee.jpg')).toEqual(expected.get('coffee.jpg'));
    expect(got.get('café 日本.png')).toEqual(expected.get('café 日本.png'));
  });

  it('as predictions: a run with no model file, one image row per covered image', async () => {
    await core.openProject(path.join(tmp, 'coco-back.sightline'));
    const { job, summary } = await importFrom('coco', path.join(tmp, 'coco'), { as: 'predictions' });
    expect(job.state, job.error ?? '').toBe('done');
    expect(summary.run).toBeGreaterThan(0);
    const runs = (await core.dispatch('runs.list', {})) as { id: number; model: string; images: number; predictions: number }[];
    const run = runs.find((r) => r.id === summary.run)!;
    expect(run.model).toMatch(/^imported: coco \(coco\)/);
    expect(run.images).toBe(7);
    expect(run.predictions).toBe(summary.annotations);
    const models = (await core.dispatch('models.list', {})) as { name: string }[];
    expect(models.some((m) => m.name.startsWith('imported'))).toBe(false);
  });

  it('COCO results: ids from the COCO instances import before, exported from a run and imported back', async () => {
    await core.openProject(path.join(tmp, 'coco-back.sightline'));
    const runs = (await core.dispatch('runs.list', {})) as { id: number }[];
    const out = path.join(tmp, 'results');
    const { job, summary } = await exportTo('coco-results', out, { source: `run:${runs[0].id}` });
    expect(job.state, `${job.error} ${summary?.differences}`).toBe('done');
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(results.length).toBeGreaterThan(0);
    const back = await importFrom('coco-results', path.join(out, 'results.json'), { as: 'predictions' });
    expect(back.job.state, back.job.error ?? '').toBe('done');
    expect(back.summary.annotations).toBe(results.length);
  });
});

describe('bad datasets: the file and record named, nothing written', () => {
  const cocoDoc = (annotations: unknown[]) =>
    JSON.stringify({
      images: [{ id: 1, file_name: 'chelsea.jpg', width: 451, height: 300 }],
      categories: [{ id: 1, name: 'cat' }],
      annotations,
    });
  const good = { id: 1, image_id: 1, category_id: 1, bbox: [1, 2, 3, 4], iscrowd: 0 };
  const cases: [string, string | Buffer, RegExp][] = [
    ['malformed JSON', '{"images": [', /bad\.json.*(end|truncated|not closed|ends)/i],
    ['an image id that is not in the file', cocoDoc([{ ...good, image_id: 9 }]), /bad\.json.*annotations\[0\].*image/i],
    ['an unknown category', cocoDoc([{ ...good, category_id: 7 }]), /bad\.json.*annotations\[0\].*categor/i],
    ['a negative box', cocoDoc([{ ...good, bbox: [1, 2, -3, 4] }]), /bad\.json.*annotations\[0\].*negative|bbox/i],
    ['a NaN box', cocoDoc([{ ...good, bbox: [1, 2, 'x', 4] }]), /bad\.json.*annotations\[0\].*bbox/i],
    ['an odd polygon', cocoDoc([{ ...good, segmentation: [[1, 2, 3, 4, 5, 6, 7]] }]), /bad\.json.*annotations\[0\].*odd|pairs|coordinates/i],
    ['an RLE that does not cover the image', cocoDoc([{ ...good, segmentation: { size: [300, 451], counts: [5, 5] } }]), /bad\.json.*annotations\[0\].*(sum|add up|cover)/i],
    ['duplicate annotation ids', cocoDoc([good, good]), /bad\.json.*annotations\[1\].*duplicate|twice|already/i],
    ['text that is not UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), /bad\.json.*UTF-8/],
  ];
  for (const [what, text, message] of cases) {
    it(`COCO: ${what}`, async () => {
      await core.openProject(source);
      const before = core.store!.summary();
      const file = path.join(tmp, 'bad.json');
      writeFileSync(file, text);
      for (const dryRun of [true, false]) {
        const { job, summary } = await importFrom('coco', file, { dryRun });
        expect(job.state).toBe('failed');
        expect(summary.written).toBe(false);
        const all = summary.errors.map((e) => `${e.file}${e.where ? ` (${e.where})` : ''}: ${e.problem}`).join('\n');
        expect(all).toMatch(message);
      }
      expect(core.store!.summary()).toEqual(before);
    });
  }

  it('COCO: characters that straddle the reader\'s chunks are read right, and a bad byte deep in the file is named', async () => {
    await core.openProject(source);
    const cafe = core.store!.images.list({ offset: 0, limit: 10, filter: { text: 'café' }, sort: { by: 'path', dir: 'asc' } }).items[0];
    // 25 bytes of prefix, then 2-byte characters: the 256 KiB chunk boundaries fall inside characters.
    const doc = JSON.stringify({
      info: { description: 'é'.repeat(300_000) },
      images: [{ id: 1, file_name: 'café 日本.png', width: cafe.width, height: cafe.height }],
      categories: [{ id: 1, name: 'cat' }],
      annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [1, 2, 3, 4], iscrowd: 0 }],
    });
    const file = path.join(tmp, 'big-utf8.json');
    writeFileSync(file, doc);
    const ok = await importFrom('coco', file, { dryRun: true });
    expect(ok.summary).toMatchObject({ errors: [], images: 1, annotations: 1, unmatched: [] });
    const bytes = Buffer.from(doc);
    bytes[400_001] = 0xff;
    writeFileSync(file, bytes);
    const bad = await importFrom('coco', file, { dryRun: true });
    expect(bad.summary.errors).toEqual([expect.objectContaining({ file, problem: expect.stringMatching(/not UTF-8/) })]);
    expect(bad.summary.errors[0].where).toMatch(/near byte 262144/); // the second 256 KiB chunk holds byte 400,001
  });

  it('YOLO: a class id out of range names the label file and line; nothing written', async () => {
    await core.openProject(source);
    const before = core.store!.summary();
    const dir = path.join(tmp, 'bad-yolo');
    mkdirSync(path.join(dir, 'images'), { recursive: true });
    mkdirSync(path.join(dir, 'labels'), { recursive: true });
    cpSync(path.join(photos, 'chelsea.jpg'), path.join(dir, 'images/chelsea.jpg'));
    cpSync(path.join(photos, 'coffee.jpg'), path.join(dir, 'images/coffee.jpg'));
    writeFileSync(path.join(dir, 'data.yaml'), 'path: .\ntrain: images\nval: images\nnames:\n  0: cat\n  1: cup\n');
    writeFileSync(path.join(dir, 'labels/coffee.txt'), '1 0.5 0.5 0.2 0.2\n');
    writeFileSync(path.join(dir, 'labels/chelsea.txt'), '0 0.5 0.5 0.2 0.2\n5 0.5 0.5 0.1 0.1\n');
    const { job, summary } = await importFrom('yolo', dir);
    expect(job.state).toBe('failed');
    expect(summary.errors).toEqual([expect.objectContaining({ file: 'labels/chelsea.txt', where: 'line 2' })]);
    expect(core.store!.summary()).toEqual(before);
    // Fixed, the same dataset goes in, with images matched by file name.
    writeFileSync(path.join(dir, 'labels/chelsea.txt'), '0 0.5 0.5 0.2 0.2\n');
    const ok = await importFrom('yolo', dir, { dryRun: true });
    expect(ok.summary).toMatchObject({ errors: [], images: 2, annotations: 2, written: false, dryRun: true });
    expect(core.store!.summary()).toEqual(before);
  });
});

describe('the output folder', () => {
  it('is never half-overwritten: refused when it has files, replaced whole with overwrite', async () => {
    await core.openProject(source);
    const out = path.join(tmp, 'keep');
    mkdirSync(out);
    writeFileSync(path.join(out, 'mine.txt'), 'precious');
    const refused = await runJob('datasets.export', { format: 'captions', out });
    expect(refused.state).toBe('failed');
    expect(refused.error).toMatch(/keep.*not empty/);
    expect(readdirSync(out)).toEqual(['mine.txt']);
    const replaced = await exportTo('captions', out, { overwrite: true });
    expect(replaced.summary.verified).toBe(true);
    expect(readdirSync(out).sort()).toEqual(['README.txt', 'captions.jsonl']);
  });

  it('a cancelled export leaves nothing behind and the old folder as it was', async () => {
    await core.openProject(source);
    const out = path.join(tmp, 'keep');
    const before = readFileSync(path.join(out, 'captions.jsonl'), 'utf8');
    const ctl = new AbortController();
    ctl.abort();
    const r = await runExport(source, { format: 'coco', out, source: 'labels', seed: 0, upright: false, overwrite: true }, { signal: ctl.signal, progress: () => {} }).catch((e) => e);
    expect(r instanceof Error || r.cancelled).toBe(true);
    expect(readFileSync(path.join(out, 'captions.jsonl'), 'utf8')).toBe(before);
    expect(readdirSync(tmp).filter((n) => n.includes('.tmp'))).toEqual([]);
  });

  it('upright copies: the rotated photo is written upright, its labels unchanged', async () => {
    await core.openProject(source);
    const out = path.join(tmp, 'upright');
    const { summary } = await exportTo('coco', out, { upright: true });
    expect(summary.verified).toBe(true);
    const doc = JSON.parse(readFileSync(path.join(out, 'annotations/instances.json'), 'utf8'));
    const img = doc.images.find((i: { file_name: string }) => i.file_name.includes('rotated-exif6'));
    expect(img).toMatchObject({ width: 160, height: 240 });
    const sharp = (await import('sharp')).default;
    const meta = await sharp(path.join(out, 'images', img.file_name)).metadata();
    expect([meta.width, meta.height, meta.orientation ?? 1]).toEqual([160, 240, 1]);
  });
});
