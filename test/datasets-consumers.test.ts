/**
 * Real consumers of our dataset exports (issue 8): Debian's `labelme` package loads the LabelMe export with its own
 * `labelme.label_file.LabelFile`, and Debian's `python3-torchvision` parses the VOC export with
 * `torchvision.datasets.VOCDetection` and `VOCSegmentation`. Both run under /usr/bin/python3 (the Debian
 * interpreter, not whatever python3 is first on PATH); each block is skipped, with the reason printed, where the
 * interpreter or the module is absent.
 *
 * What the project holds is compared with what the consumer read, and the expected figures are known by
 * construction (boxes and polygons as written, masks built from a rectangle or a circle whose pixels are counted
 * here, an axis-aligned rectangle polygon whose pixel count is its width × height), not taken from our own
 * rasteriser or writer.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportSummary, Geometry, Job } from '../common/api/contract.js';
import { encodeRle } from '../common/geometry/rle.js';
import { AppCore } from '../electron/core/app.js';

const ROOT = path.resolve(__dirname, '..');
const PYTHON = '/usr/bin/python3';

// ---------------------------------------------------------------- is the consumer here?

/** Why a block cannot run (printed), or null when `import <module>` works under /usr/bin/python3. */
function missing(module: string, debianPackage: string): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} is absent (install Debian's python3 and ${debianPackage})`;
  const r = spawnSync(PYTHON, ['-c', `import ${module}`], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, QT_QPA_PLATFORM: 'offscreen' } });
  if (r.status === 0) return null;
  const last = (r.stderr || r.error?.message || '').trim().split('\n').pop();
  return `${PYTHON} cannot import ${module} (apt-get install ${debianPackage}): ${last}`;
}
const noLabelme = missing('labelme.label_file', 'labelme');
const noTorchvision = missing('torchvision.datasets', 'python3-torchvision');
if (noLabelme) console.warn(`datasets-consumers: skipping the LabelMe consumer tests: ${noLabelme}`);
if (noTorchvision) console.warn(`datasets-consumers: skipping the torchvision VOC consumer tests: ${noTorchvision}`);

/** Run a Python script under /usr/bin/python3; its last stdout line is JSON. */
function python<T>(script: string, args: string[]): T {
  const file = path.join(tmp, `consumer-${Math.random().toString(36).slice(2)}.py`);
  writeFileSync(file, script);
  const r = spawnSync(PYTHON, [file, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, QT_QPA_PLATFORM: 'offscreen', PYTHONDONTWRITEBYTECODE: '1' },
  });
  if (r.status !== 0) throw new Error(`python exited ${r.status}: ${r.error?.message ?? ''}\n${r.stderr}\n${r.stdout}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}

// Loads each LabelMe file with labelme's own LabelFile (which also loads the image from imagePath, EXIF orientation
// applied) and reports what labelme got. labelme 5.1.1 predates the "mask" shape (added upstream in late 2023):
// LabelFile keeps `mask` in the shape's other_data, and its GUI's Shape refuses the type. The mask is decoded here
// with labelme's own `utils.img_b64_to_arr` and placed as newer labelme's shape_to_mask places it (the crop at
// int(points[0]), both corners inclusive).
const LABELME_SCRIPT = String.raw`
import json, os, sys
import numpy as np
import labelme
from labelme import utils
from labelme.label_file import LabelFile
from labelme.shape import Shape

out = []
for fn in sys.argv[1:]:
    lf = LabelFile(filename=fn)
    with open(fn, encoding="utf-8") as f:
        raw = json.load(f)
    img = utils.img_data_to_arr(lf.imageData)
    H, W = img.shape[:2]
    shapes = []
    for s in lf.shapes:
        d = {
            "label": s["label"],
            "points": s["points"],
            "shape_type": s["shape_type"],
            "group_id": s["group_id"],
            "flags": s["flags"],
            "description": s["other_data"].get("description"),
        }
        try:
            Shape(label=s["label"], shape_type=s["shape_type"], group_id=s["group_id"])
            d["gui"] = "ok"
        except Exception as e:
            d["gui"] = "%s: %s" % (type(e).__name__, e)
        if s["shape_type"] == "mask":
            crop = utils.img_b64_to_arr(s["other_data"]["mask"])
            d["maskCropShape"] = list(crop.shape)
            (x1, y1), (x2, y2) = [[int(v) for v in p] for p in s["points"]]
            full = np.zeros((H, W), dtype=bool)
            full[y1:y2 + 1, x1:x2 + 1] = crop.astype(bool)
            d["maskPixels"] = int(full.sum())
            ys, xs = np.nonzero(full)
            d["maskBox"] = [int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())]
        else:
            d["drawnPixels"] = int(utils.shape_to_mask((H, W), s["points"], s["shape_type"]).sum())
        shapes.append(d)
    # What labelme_json_to_dataset does with the file (masks left out: 5.1.1 cannot draw them).
    names = {"_background_": 0}
    for s in lf.shapes:
        names.setdefault(s["label"], len(names))
    cls, _ins = utils.shapes_to_label(img.shape, [s for s in lf.shapes if s["shape_type"] != "mask"], names)
    out.append({
        "file": fn,
        "labelmeVersion": labelme.__version__,
        "version": raw.get("version"),
        "imagePath": lf.imagePath,
        "imageHeight": raw.get("imageHeight"),
        "imageWidth": raw.get("imageWidth"),
        "loadedImage": [int(H), int(W)],
        "flags": lf.flags,
        "shapes": shapes,
        "labelPixels": int((cls > 0).sum()),
    })
print(json.dumps(out))
`;

// Points torchvision at an export (torchvision wants root/VOCdevkit/VOC2012/...: a temporary root with that path
// linked to the export) and reads every item of the image sets named.
const VOC_SCRIPT = String.raw`
import json, os, sys, tempfile
import numpy as np
import torchvision
from torchvision.datasets import VOCDetection, VOCSegmentation

export, sets = sys.argv[1], sys.argv[2:]
root = tempfile.mkdtemp(prefix="sightline-voc-root-")
os.makedirs(os.path.join(root, "VOCdevkit"))
os.symlink(export, os.path.join(root, "VOCdevkit", "VOC2012"))
res = {"torchvision": torchvision.__version__, "detection": {}, "segmentation": {}}
for s in sets:
    try:
        ds = VOCDetection(root, year="2012", image_set=s, download=False)
        items = []
        for i in range(len(ds)):
            img, target = ds[i]
            items.append({"id": os.path.splitext(os.path.basename(ds.images[i]))[0], "size": list(img.size), "target": target})
        res["detection"][s] = items
    except Exception as e:
        res["detection"][s] = "%s: %s" % (type(e).__name__, e)
    try:
        ds = VOCSegmentation(root, year="2012", image_set=s, download=False)
        items = []
        for i in range(len(ds)):
            img, target = ds[i]
            a = np.array(target)
            values, counts = np.unique(a, return_counts=True)
            pal = target.getpalette() or []
            items.append({
                "id": os.path.splitext(os.path.basename(ds.images[i]))[0],
                "size": list(img.size),
                "targetSize": list(target.size),
                "mode": target.mode,
                "palette1": pal[3:6],
                "counts": {str(int(v)): int(c) for v, c in zip(values, counts)},
            })
        res["segmentation"][s] = items
    except Exception as e:
        res["segmentation"][s] = "%s: %s" % (type(e).__name__, e)
os.unlink(os.path.join(root, "VOCdevkit", "VOC2012"))
os.rmdir(os.path.join(root, "VOCdevkit"))
os.rmdir(root)
print(json.dumps(res))
`;

// ---------------------------------------------------------------- the project

let tmp: string;
let photos: string;
let core: AppCore;

async function exportTo(format: string, out: string, extra: Record<string, unknown> = {}): Promise<{ job: Job; summary: ExportSummary }> {
  const { jobId } = (await core.dispatch('datasets.export', { format, out, ...extra })) as { jobId: string };
  const job = await core.jobs.wait(jobId);
  return { job, summary: job.result as ExportSummary };
}

/** A mask with known pixels: its RLE geometry, pixel count and inclusive pixel box, counted here. */
interface KnownMask {
  geometry: Extract<Geometry, { type: 'mask' }>;
  pixels: number;
  box: [number, number, number, number];
}
function knownMask(w: number, h: number, inside: (x: number, y: number) => boolean): KnownMask {
  const m = new Uint8Array(w * h);
  let pixels = 0;
  const box: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!inside(x, y)) continue;
      m[y * w + x] = 1;
      pixels++;
      box[0] = Math.min(box[0], x);
      box[1] = Math.min(box[1], y);
      box[2] = Math.max(box[2], x);
      box[3] = Math.max(box[3], y);
    }
  }
  return { geometry: { type: 'mask', ...encodeRle(m, w, h) }, pixels, box };
}

interface Spec {
  image: string;
  class: string | null;
  geometry: Geometry;
  attributes?: Record<string, string | number | boolean | null>;
  /** For masks: what was built. */
  known?: KnownMask;
}

/** The displayed (EXIF-applied) size of each photo used. */
const SIZES: Record<string, { width: number; height: number }> = {
  'astronaut.png': { width: 512, height: 512 },
  'chelsea.jpg': { width: 451, height: 300 },
  'coffee.jpg': { width: 360, height: 240 },
  'rotated-exif6.jpg': { width: 160, height: 240 }, // stored 240×160, EXIF orientation 6
  'café 日本.png': { width: 120, height: 80 },
};
/** VOC ids: the file stem, whitespace as "_". */
const VOC_ID: Record<string, string> = {
  'astronaut.png': 'astronaut',
  'chelsea.jpg': 'chelsea',
  'coffee.jpg': 'coffee',
  'rotated-exif6.jpg': 'rotated-exif6',
  'café 日本.png': 'café_日本',
};

const cupRect = knownMask(360, 240, (x, y) => x >= 50 && x < 90 && y >= 60 && y < 80); // 40 × 20 = 800 px
const catCircle = knownMask(360, 240, (x, y) => (x - 250) ** 2 + (y - 150) ** 2 <= 30 * 30);
const HELMET = [300.4, 100.25, 380, 110, 360.75, 190.6, 310, 170];

const SPECS: Spec[] = [
  { image: 'astronaut.png', class: 'person', geometry: { type: 'box', x: 10.5, y: 20.25, w: 100, h: 200 }, attributes: { difficult: true, truncated: false, occluded: true } },
  { image: 'astronaut.png', class: 'person', geometry: { type: 'keypoints', points: [50, 40, 2, 30, 100, 1, 0, 0, 0], names: ['head', 'left hand', 'right hand'] } },
  { image: 'astronaut.png', class: null, geometry: { type: 'caption', text: 'an astronaut holds a helmet' } },
  { image: 'astronaut.png', class: 'indoor', geometry: { type: 'tag' } },
  { image: 'astronaut.png', class: 'helmet', geometry: { type: 'polygon', points: HELMET } },
  // An axis-aligned rectangle polygon, (20, 30)–(120, 90): 100 × 60 = 6000 pixel centres inside.
  { image: 'chelsea.jpg', class: 'cat', geometry: { type: 'polygon', points: [20, 30, 120, 30, 120, 90, 20, 90] }, attributes: { group_id: 3 } },
  { image: 'coffee.jpg', class: 'cup', geometry: cupRect.geometry, known: cupRect },
  { image: 'coffee.jpg', class: 'cat', geometry: catCircle.geometry, known: catCircle },
  // The ignore class: 40 × 30 = 1200 pixels of 255 ("void") in SegmentationClass, no VOC object.
  { image: 'coffee.jpg', class: 'ignore', geometry: { type: 'polygon', points: [300, 10, 340, 10, 340, 40, 300, 40] } },
  { image: 'rotated-exif6.jpg', class: 'cup', geometry: { type: 'box', x: 20, y: 30, w: 100, h: 150 }, attributes: { truncated: true, difficult: false } },
  { image: 'café 日本.png', class: 'cat', geometry: { type: 'box', x: 5, y: 6, w: 50, h: 40 } },
];
const CLASSES = ['person', 'cat', 'cup', 'helmet', 'indoor', 'ignore'];
/** SegmentationClass value of a class: its place in the project's class order + 1. */
const classValue = (name: string) => CLASSES.indexOf(name) + 1;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-consumers-'));
  photos = path.join(tmp, 'photos');
  mkdirSync(photos);
  for (const f of Object.keys(SIZES)) cpSync(path.join(ROOT, 'test/fixtures/images', f), path.join(photos, f));
  core = new AppCore({ appDataDir: path.join(tmp, 'appdata'), transport: 'http' });
  await core.openProject(path.join(tmp, 'source.sightline'), { create: true });
  await core.jobs.wait(core.startImport(photos));
  const store = core.store!;
  const ids = new Map<string, number>();
  for (const name of CLASSES) {
    const c = store.classes.upsert(name === 'person' ? { name, keypoints: { names: ['head', 'left hand', 'right hand'], edges: [[0, 1], [0, 2]] } } : { name });
    ids.set(name, c.id);
  }
  expect(store.classes.list().map((c) => c.name)).toEqual(CLASSES);
  const images = store.images.list({ offset: 0, limit: 100, filter: {}, sort: { by: 'path', dir: 'asc' } }).items;
  for (const [rel, size] of Object.entries(SIZES)) {
    expect(images.find((i) => i.relPath === rel), rel).toMatchObject(size);
  }
  const imageId = (rel: string) => images.find((i) => i.relPath === rel)!.id;
  await core.dispatch('annotations.batch', {
    create: SPECS.map((s) => ({
      imageId: imageId(s.image),
      classId: s.class === null ? null : ids.get(s.class)!,
      kind: s.geometry.type,
      geometry: s.geometry,
      ...(s.attributes ? { attributes: s.attributes } : {}),
    })),
  });
}, 120_000);

afterAll(async () => {
  await core?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const sortByJson = <T>(l: T[]): T[] => [...l].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

// ---------------------------------------------------------------- LabelMe

interface LabelmeShapeOut {
  label: string;
  points: [number, number][];
  shape_type: string;
  group_id: number | null;
  flags: Record<string, boolean>;
  description: string | null;
  gui: string;
  maskCropShape?: [number, number];
  maskPixels?: number;
  maskBox?: [number, number, number, number];
  drawnPixels?: number;
}
interface LabelmeOut {
  file: string;
  labelmeVersion: string;
  version: string;
  imagePath: string;
  imageHeight: number;
  imageWidth: number;
  loadedImage: [number, number];
  flags: Record<string, boolean>;
  shapes: LabelmeShapeOut[];
  labelPixels: number;
}

/** The shapes LabelMe should hold for one image, from the specs (without the figures labelme computes). */
function labelmeExpected(image: string): Partial<LabelmeShapeOut>[] {
  const out: Partial<LabelmeShapeOut>[] = [];
  for (const s of SPECS.filter((x) => x.image === image)) {
    const g = s.geometry;
    const attrs = s.attributes ?? {};
    const flags = Object.fromEntries(Object.entries(attrs).filter(([, v]) => typeof v === 'boolean')) as Record<string, boolean>;
    const group_id = typeof attrs.group_id === 'number' ? attrs.group_id : null;
    const base = { label: s.class!, group_id, flags, description: '' };
    if (g.type === 'box') out.push({ ...base, shape_type: 'rectangle', points: [[g.x, g.y], [g.x + g.w, g.y + g.h]] });
    else if (g.type === 'polygon') {
      const pts: [number, number][] = [];
      for (let i = 0; i < g.points.length; i += 2) pts.push([g.points[i], g.points[i + 1]]);
      out.push({ ...base, shape_type: 'polygon', points: pts });
    } else if (g.type === 'mask') {
      const [x0, y0, x1, y1] = s.known!.box;
      out.push({ ...base, shape_type: 'mask', points: [[x0, y0], [x1, y1]], maskCropShape: [y1 - y0 + 1, x1 - x0 + 1], maskPixels: s.known!.pixels, maskBox: s.known!.box });
    } else if (g.type === 'keypoints') {
      // One point per labeled keypoint: label = the keypoint's name, description = the class, occluded flag for v = 1.
      for (let i = 0; i < g.points.length / 3; i++) {
        const v = g.points[3 * i + 2];
        if (v === 0) continue;
        out.push({ label: g.names![i], group_id: null, flags: v === 1 ? { occluded: true } : {}, description: s.class!, shape_type: 'point', points: [[g.points[3 * i], g.points[3 * i + 1]]] });
      }
    }
  }
  return out;
}

describe.each([
  ['images beside the originals (default)', {}],
  ['images copied into the export', { images: 'copy' }],
] as const)('LabelMe export, %s: loaded by labelme.label_file.LabelFile', (_name, options) => {
  it.skipIf(noLabelme !== null)('every file loads with its image, and the shapes are what the project holds', async () => {
    const out = path.join(tmp, `labelme-${'images' in options ? options.images : 'none'}`);
    const { job, summary } = await exportTo('labelme', out, options);
    expect(job.state, `${job.error}\n${summary?.differences?.join('\n')}`).toBe('done');
    expect(summary.verified).toBe(true);
    const files = Object.keys(SIZES).map((rel) => path.join(out, rel.replace(/\.[^.]+$/, '.json')));
    for (const f of files) expect(existsSync(f), f).toBe(true);
    expect(readdirSync(out).filter((n) => n.endsWith('.json')).length).toBe(files.length);

    const got = python<LabelmeOut[]>(LABELME_SCRIPT, files);
    expect(got).toHaveLength(files.length);
    for (const [i, rel] of Object.keys(SIZES).entries()) {
      const r = got[i];
      const size = SIZES[rel];
      expect(r.labelmeVersion).toBe('5.1.1');
      // A file with a mask shape says it needs LabelMe 5.4 (which added masks); others the 5.1 this machine has.
      expect(r.version).toBe(r.shapes.some((s: { shape_type: string }) => s.shape_type === 'mask') ? '5.4.1' : r.labelmeVersion);
      // The image labelme loaded from imagePath (EXIF orientation applied, as labelme does) is the size the file says.
      expect(r.loadedImage, rel).toEqual([size.height, size.width]);
      expect([r.imageHeight, r.imageWidth], rel).toEqual([size.height, size.width]);
      const imageFile = path.resolve(path.dirname(r.file), r.imagePath);
      if ('images' in options) {
        expect(r.imagePath).toBe(rel);
        expect(imageFile).toBe(path.join(out, rel));
      } else {
        expect(imageFile).toBe(path.join(photos, rel));
      }
      expect(r.flags, rel).toEqual(rel === 'astronaut.png' ? { indoor: true } : {});

      const pick = (s: LabelmeShapeOut): Partial<LabelmeShapeOut> => {
        const { gui: _g, drawnPixels: _d, ...rest } = s;
        return rest;
      };
      expect(sortByJson(r.shapes.map(pick)), rel).toEqual(sortByJson(labelmeExpected(rel)));
      for (const s of r.shapes) {
        // labelme 5.1.1's GUI knows every shape type we write but "mask", which it predates.
        expect(s.gui, `${rel} ${s.shape_type}`).toBe(s.shape_type === 'mask' ? 'ValueError: Unexpected shape_type: mask' : 'ok');
        if (s.shape_type !== 'mask') expect(s.drawnPixels, `${rel} ${s.shape_type} drawn by labelme.utils.shape_to_mask`).toBeGreaterThan(0);
      }
      const drawable = r.shapes.filter((s) => s.shape_type !== 'mask').length;
      if (drawable) expect(r.labelPixels, `${rel}: labelme.utils.shapes_to_label`).toBeGreaterThan(0);
    }
    // The masks, whole: exactly the pixels built (800 for the rectangle, the circle's count), where they were built.
    const coffee = got[Object.keys(SIZES).indexOf('coffee.jpg')];
    const masks = coffee.shapes.filter((s) => s.shape_type === 'mask');
    expect(masks.map((m) => [m.label, m.maskPixels, m.maskBox])).toEqual(
      expect.arrayContaining([
        ['cup', 800, [50, 60, 89, 79]],
        ['cat', catCircle.pixels, [220, 120, 280, 180]],
      ]),
    );
    expect(masks).toHaveLength(2);
  }, 120_000);
});

// ---------------------------------------------------------------- Pascal VOC

interface VocObjectOut {
  name: string;
  pose: string;
  truncated: string;
  difficult: string;
  occluded: string;
  bndbox: { xmin: string; ymin: string; xmax: string; ymax: string };
}
interface DetectionItem {
  id: string;
  size: [number, number];
  target: { annotation: { folder: string; filename: string; size: { width: string; height: string; depth: string }; segmented: string; object: VocObjectOut[] } };
}
interface SegmentationItem {
  id: string;
  size: [number, number];
  targetSize: [number, number];
  mode: string;
  palette1: number[];
  counts: Record<string, number>;
}
interface VocOut {
  torchvision: string;
  detection: Record<string, DetectionItem[] | string>;
  segmentation: Record<string, SegmentationItem[] | string>;
}

/** The VOC objects of one image as the devkit mapping gives them (see common/formats/voc.ts's header). */
function vocExpected(image: string) {
  const out: { name: string; bndbox: number[]; truncated: string; difficult: string; occluded: string }[] = [];
  for (const s of SPECS.filter((x) => x.image === image)) {
    const g = s.geometry;
    if (s.class === null || s.class === 'ignore') continue;
    let box: number[];
    if (g.type === 'box') box = [Math.round(g.x) + 1, Math.round(g.y) + 1, Math.round(g.x + g.w), Math.round(g.y + g.h)];
    else if (g.type === 'polygon') {
      const xs = g.points.filter((_, i) => i % 2 === 0), ys = g.points.filter((_, i) => i % 2 === 1);
      box = [Math.round(Math.min(...xs)) + 1, Math.round(Math.min(...ys)) + 1, Math.round(Math.max(...xs)), Math.round(Math.max(...ys))];
    } else if (g.type === 'mask') {
      const [x0, y0, x1, y1] = s.known!.box;
      box = [x0 + 1, y0 + 1, x1 + 1, y1 + 1];
    } else continue;
    const a = s.attributes ?? {};
    const flag = (k: string) => (a[k] === true ? '1' : '0');
    out.push({ name: s.class, bndbox: box, truncated: flag('truncated'), difficult: flag('difficult'), occluded: flag('occluded') });
  }
  return out;
}

const shoelace = (p: number[]) => {
  let a = 0;
  for (let i = 0; i < p.length; i += 2) {
    const j = (i + 2) % p.length;
    a += p[i] * p[j + 1] - p[j] * p[i + 1];
  }
  return Math.abs(a) / 2;
};
const perimeter = (p: number[]) => {
  let l = 0;
  for (let i = 0; i < p.length; i += 2) {
    const j = (i + 2) % p.length;
    l += Math.hypot(p[j] - p[i], p[j + 1] - p[i + 1]);
  }
  return l;
};

/** Exact SegmentationClass pixel counts per value, known by construction (the helmet polygon is checked apart). */
function segmentationExpected(image: string): Record<string, number> | null {
  const { width, height } = SIZES[image];
  const total = width * height;
  if (image === 'chelsea.jpg') return { 0: total - 6000, [classValue('cat')]: 6000 };
  if (image === 'coffee.jpg') return { 0: total - 800 - catCircle.pixels - 1200, [classValue('cup')]: 800, [classValue('cat')]: catCircle.pixels, 255: 1200 };
  return null;
}
const SEGMENTED = ['astronaut.png', 'chelsea.jpg', 'coffee.jpg'];

describe.each([
  ['without a split (every image in train and trainval)', {}, ['train', 'trainval']],
  ['split train=0.5, val=0.5, with upright copies', { split: { train: 0.5, val: 0.5 }, seed: 1, upright: true }, ['train', 'val', 'trainval']],
] as const)('VOC export %s: read by torchvision', (_name, options, sets) => {
  let got: VocOut;
  let summary: ExportSummary;
  const upright = 'upright' in options;

  beforeAll(async () => {
    if (noTorchvision) return;
    const out = path.join(tmp, `voc-${sets.length}`);
    const r = await exportTo('voc', out, options);
    expect(r.job.state, `${r.job.error}\n${r.summary?.differences?.join('\n')}`).toBe('done');
    summary = r.summary;
    got = python<VocOut>(VOC_SCRIPT, [out, ...sets]);
  }, 120_000);

  it.skipIf(noTorchvision !== null)('VOCDetection: every image once per set, its size, objects, boxes and flags', () => {
    expect(summary.verified).toBe(true);
    const byId = new Map(Object.entries(VOC_ID).map(([rel, id]) => [id, rel]));
    for (const s of sets) {
      expect(typeof got.detection[s], `${s}: ${got.detection[s]}`).toBe('object');
    }
    const items = (s: string) => got.detection[s] as DetectionItem[];
    const ids = (s: string) => items(s).map((i) => i.id).sort();
    if (sets.includes('val' as never)) {
      expect(ids('train').length).toBeGreaterThan(0);
      expect(ids('val').length).toBeGreaterThan(0);
      expect(ids('train').filter((i) => ids('val').includes(i))).toEqual([]);
      expect(ids('trainval')).toEqual([...ids('train'), ...ids('val')].sort());
    } else {
      expect(ids('train')).toEqual(ids('trainval'));
    }
    expect(ids('trainval')).toEqual(Object.values(VOC_ID).sort());

    for (const item of items('trainval')) {
      const rel = byId.get(item.id)!;
      const a = item.target.annotation;
      const size = SIZES[rel];
      expect(a.filename, rel).toBe(`${item.id}.jpg`);
      expect([a.size.width, a.size.height], rel).toEqual([String(size.width), String(size.height)]);
      expect(a.segmented, rel).toBe(SEGMENTED.includes(rel) ? '1' : '0');
      // The image torchvision reads (PIL, EXIF orientation ignored) is the size the annotation describes, except for
      // a rotated original copied as it is: the export warns about exactly that, and upright copies fix it.
      const rotatedRaw = rel === 'rotated-exif6.jpg' && !upright;
      expect(item.size, rel).toEqual(rotatedRaw ? [size.height, size.width] : [size.width, size.height]);
      const objects = a.object.map((o) => ({
        name: o.name,
        bndbox: [o.bndbox.xmin, o.bndbox.ymin, o.bndbox.xmax, o.bndbox.ymax].map(Number),
        truncated: o.truncated,
        difficult: o.difficult,
        occluded: o.occluded,
      }));
      expect(sortByJson(objects), rel).toEqual(sortByJson(vocExpected(rel)));
    }
    if (upright) expect(summary.warnings.join('\n')).not.toMatch(/loaders that ignore EXIF will not see/);
    else expect(summary.warnings.join('\n')).toMatch(/1 image\(s\) carry an EXIF rotation/);
    // Spot checks of the mapping, worked by hand: x = 10.5 → xmin round(10.5) + 1 = 12; x + w = 110.5 → 111;
    // y = 20.25 → 21; y + h = 220.25 → 220. The rectangle mask's pixels 50…89 × 60…79 → 51, 61, 90, 80.
    const astronaut = items('trainval').find((i) => i.id === 'astronaut')!.target.annotation.object;
    expect(astronaut.find((o) => o.name === 'person')).toMatchObject({ difficult: '1', truncated: '0', occluded: '1', bndbox: { xmin: '12', ymin: '21', xmax: '111', ymax: '220' } });
    const coffee = items('trainval').find((i) => i.id === 'coffee')!.target.annotation.object;
    expect(coffee.find((o) => o.name === 'cup')!.bndbox).toEqual({ xmin: '51', ymin: '61', xmax: '90', ymax: '80' });
    const rotated = items('trainval').find((i) => i.id === 'rotated-exif6')!.target.annotation.object;
    expect(rotated).toEqual([expect.objectContaining({ name: 'cup', truncated: '1', difficult: '0' })]);
  });

  it.skipIf(noTorchvision !== null)('VOCSegmentation: palette PNGs whose class values cover the pixels built', () => {
    const byId = new Map(Object.entries(VOC_ID).map(([rel, id]) => [id, rel]));
    const all: SegmentationItem[] = [];
    for (const s of sets) {
      const list = got.segmentation[s];
      // Every split has its Segmentation list (empty when the split has no segmented image), so every set loads.
      expect(typeof list, `${s}: ${list}`).not.toBe('string');
      if (typeof list === 'string') continue;
      if (s === 'trainval') all.push(...list);
      const det = (got.detection[s] as DetectionItem[]).map((i) => i.id).filter((id) => SEGMENTED.includes(byId.get(id)!));
      expect(list.map((i) => i.id).sort(), s).toEqual(det.sort());
    }
    expect(all.map((i) => i.id).sort()).toEqual(SEGMENTED.map((r) => VOC_ID[r]).sort());
    for (const item of all) {
      const rel = byId.get(item.id)!;
      const size = SIZES[rel];
      expect(item.mode, rel).toBe('P');
      expect(item.palette1, rel).toEqual([128, 0, 0]); // the VOC colour map's entry 1
      expect(item.targetSize, rel).toEqual([size.width, size.height]);
      expect(item.size, rel).toEqual([size.width, size.height]);
      const want = segmentationExpected(rel);
      if (want) expect(item.counts, rel).toEqual(Object.fromEntries(Object.entries(want).map(([k, v]) => [k, v])));
      else {
        // The helmet polygon: its pixel count is its area to within half its perimeter (pixel-centre sampling).
        const v = String(classValue('helmet'));
        expect(Object.keys(item.counts).sort(), rel).toEqual(['0', v]);
        expect(Math.abs(item.counts[v] - shoelace(HELMET)), rel).toBeLessThanOrEqual(perimeter(HELMET) / 2);
        expect(item.counts['0'] + item.counts[v]).toBe(size.width * size.height);
      }
    }
  });
});
