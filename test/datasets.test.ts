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
