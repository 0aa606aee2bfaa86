/**
 * Export then import gives the same project (issue 8), for random projects of every shape kind: seeded random labels on
 * real photos, exported as COCO and as LabelMe (the two formats that hold every kind exactly), imported into a fresh
 * project over the same photos, and compared annotation by annotation.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportSummary, ImportSummary } from '../common/api/contract.js';
import { encodeRle } from '../common/geometry/rle.js';
import { mulberry32 } from '../common/random.js';
import { AppCore } from '../electron/core/app.js';

const ROOT = path.resolve(__dirname, '..');
let tmp: string;
let photos: string;
let core: AppCore;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-datasets-prop-'));
  photos = path.join(tmp, 'photos');
  mkdirSync(photos);
  for (const f of ['chelsea.jpg', 'coffee.jpg', 'astronaut.png', 'café 日本.png']) cpSync(path.join(ROOT, 'test/fixtures/images', f), path.join(photos, f));
  core = new AppCore({ appDataDir: path.join(tmp, 'appdata'), transport: 'http' });
});
afterAll(async () => {
  await core.close();
  rmSync(tmp, { recursive: true, force: true });
});

const KP = ['nose', 'left eye', 'right eye', 'tail'];

type Shape = { class: string | null; kind: string; geometry: unknown; attributes: Record<string, unknown> };

/** Random labels of every kind the formats hold, on every image; coordinates with up to 3 decimals. */
async function randomProject(seed: number): Promise<void> {
  await core.openProject(path.join(tmp, `p${seed}.sightline`), { create: true });
  await core.jobs.wait(core.startImport(photos));
  const store = core.store!;
  const rand = mulberry32(seed);
  const r3 = (v: number) => Math.round(v * 1000) / 1000;
  const classes = [
    store.classes.upsert({ name: 'cat', keypoints: { names: KP, edges: [[0, 1], [0, 2], [0, 3]] } }),
    store.classes.upsert({ name: 'dog' }),
    store.classes.upsert({ name: 'bird' }),
  ];
  const create: unknown[] = [];
  for (const img of store.images.list({ offset: 0, limit: 100, filter: {}, sort: { by: 'path', dir: 'asc' } }).items) {
    const W = img.width, H = img.height;
    const n = 1 + Math.floor(rand() * 5);
    for (let i = 0; i < n; i++) {
      const c = classes[1 + Math.floor(rand() * 2)];
      const kind = ['box', 'polygon', 'mask', 'keypoints'][Math.floor(rand() * 4)];
      const x = r3(rand() * (W - 40)), y = r3(rand() * (H - 40)), w = r3(5 + rand() * 30), h = r3(5 + rand() * 30);
      const attributes = rand() < 0.5 ? {} : { occluded: rand() < 0.5, note: `n${Math.floor(rand() * 100)}` };
      if (kind === 'box') create.push({ imageId: img.id, classId: c.id, kind, geometry: { type: 'box', x, y, w, h }, attributes });
      else if (kind === 'polygon') {
        const k = 3 + Math.floor(rand() * 6);
        const points: number[] = [];
        // A star-shaped ring around (x + w/2, y + h/2): never self-intersecting.
        for (let j = 0; j < k; j++) {
          const a = (2 * Math.PI * j) / k, rr = 0.5 + rand() / 2;
          points.push(r3(x + w / 2 + (Math.cos(a) * rr * w) / 2), r3(y + h / 2 + (Math.sin(a) * rr * h) / 2));
        }
        create.push({ imageId: img.id, classId: c.id, kind, geometry: { type: 'polygon', points }, attributes });
      } else if (kind === 'mask') {
        const m = new Uint8Array(W * H);
        for (let yy = Math.floor(y); yy < Math.floor(y + h); yy++) for (let xx = Math.floor(x); xx < Math.floor(x + w); xx++) if (rand() < 0.8) m[yy * W + xx] = 1;
        create.push({ imageId: img.id, classId: c.id, kind, geometry: { type: 'mask', ...encodeRle(m, W, H) }, attributes });
      } else {
        const points: number[] = [];
        for (let j = 0; j < KP.length; j++) {
          const v = Math.floor(rand() * 3);
          points.push(v ? r3(x + rand() * w) : 0, v ? r3(y + rand() * h) : 0, v);
        }
        if (points.every((p, j) => j % 3 !== 2 || p === 0)) points[2] = 2;
        create.push({ imageId: img.id, classId: classes[0].id, kind, geometry: { type: 'keypoints', points, names: KP }, attributes: {} });
      }
    }
  }
  await core.dispatch('annotations.batch', { create });
}

function snapshot(): Map<string, Shape[]> {
  const store = core.store!;
  const names = new Map(store.classes.list().map((c) => [c.id, c.name]));
  const out = new Map<string, Shape[]>();
  for (const img of store.images.list({ offset: 0, limit: 100, filter: {}, sort: { by: 'path', dir: 'asc' } }).items) {
    out.set(
      img.relPath,
      store.annotations
        .listForImage(img.id)
        .map((a) => ({ class: a.classId === null ? null : names.get(a.classId)!, kind: a.kind, geometry: a.geometry, attributes: a.attributes }))
        .sort((p, q) => JSON.stringify(p).localeCompare(JSON.stringify(q))),
    );
  }
  return out;
}

describe('export then import gives the same project', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: COCO keeps every shape exactly`, async () => {
      await randomProject(seed);
      const before = snapshot();
      const out = path.join(tmp, `coco-${seed}`);
      const e = await core.jobs.wait(((await core.dispatch('datasets.export', { format: 'coco', out })) as { jobId: string }).jobId);
      expect((e.result as ExportSummary).verified, e.error ?? '').toBe(true);
      await core.openProject(path.join(tmp, `back-coco-${seed}.sightline`), { create: true });
      await core.jobs.wait(core.startImport(photos));
      const i = await core.jobs.wait(((await core.dispatch('datasets.import', { format: 'coco', from: out })) as { jobId: string }).jobId);
      expect((i.result as ImportSummary).errors).toEqual([]);
      expect(snapshot()).toEqual(before);
    });

    it(`seed ${seed}: LabelMe keeps every shape exactly (keypoint classes known to the project)`, async () => {
      await core.openProject(path.join(tmp, `p${seed}.sightline`));
      const before = snapshot();
      const out = path.join(tmp, `labelme-${seed}`);
      const e = await core.jobs.wait(((await core.dispatch('datasets.export', { format: 'labelme', out })) as { jobId: string }).jobId);
      expect((e.result as ExportSummary).verified, e.error ?? '').toBe(true);
      await core.openProject(path.join(tmp, `back-labelme-${seed}.sightline`), { create: true });
      await core.jobs.wait(core.startImport(photos));
      core.store!.classes.upsert({ name: 'cat', keypoints: { names: KP, edges: [[0, 1], [0, 2], [0, 3]] } });
      const i = await core.jobs.wait(((await core.dispatch('datasets.import', { format: 'labelme', from: out })) as { jobId: string }).jobId);
      expect((i.result as ImportSummary).errors).toEqual([]);
      // LabelMe stores a rectangle by its corners, so w and h come back as (x + w) - x: equal within 1e-9. Two keypoint
      // objects of one class on an image need a group_id to keep their points apart: the export gives them one and says so.
      const grouped = (e.result as ExportSummary).warnings.some((w) => /keypoints given a group_id/.test(w));
      const after = snapshot();
      expect([...after.keys()]).toEqual([...before.keys()]);
      for (const [file, want] of before) {
        const got = after.get(file)!.map((a) => {
          if (a.kind !== 'keypoints' || !grouped) return a;
          const { group_id: _g, ...rest } = a.attributes;
          return { ...a, attributes: rest };
        });
        const norm = (list: Shape[]) =>
          list
            .map((a) => (a.kind === 'box' ? { ...a, geometry: Object.fromEntries(Object.entries(a.geometry as object).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v])) } : a))
            .sort((p, q) => JSON.stringify(p).localeCompare(JSON.stringify(q)));
        expect(norm(got), file).toEqual(norm(want));
      }
    });
  }
});
