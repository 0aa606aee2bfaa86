/**
 * Writes a generated "shapes" dataset to disk: images/NNNNNN.png, labels/NNNNNN.png (8-bit semantic map: 0 background,
 * else the category id) and a COCO-style annotations.json whose images carry every valid caption phrasing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { ApiError } from '../../../common/api/contract.js';
import { CATEGORIES, GENERATOR_VERSION, generateScene, sceneOptions, sceneSeed, type SceneOptions } from '../../../common/shapes/generate.js';

export interface ShapesDatasetOptions extends SceneOptions {
  seed: number;
  count: number;
  out: string;
  onProgress?: (done: number, total: number) => void;
}

export interface ShapesDatasetResult {
  out: string;
  images: number;
  annotations: number;
}

// Fixed encoder settings so the same seed gives byte-identical files.
const PNG = { compressionLevel: 6, adaptiveFiltering: false } as const;
// Encoding runs in libvips threads: keep a few in flight while the next scene is generated on this thread.
const IN_FLIGHT = 4;

export async function writeShapesDataset(opts: ShapesDatasetOptions): Promise<ShapesDatasetResult> {
  const { seed, count, out } = opts;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new ApiError('bad_request', `seed must be an integer in 0..4294967295, not ${seed}`);
  if (!Number.isInteger(count) || count < 1) throw new ApiError('bad_request', `count must be a positive integer, not ${count}`);
  let options: Required<SceneOptions>;
  try {
    options = sceneOptions(opts);
  } catch (e) {
    throw new ApiError('bad_request', (e as Error).message);
  }
  try {
    mkdirSync(path.join(out, 'images'), { recursive: true });
    mkdirSync(path.join(out, 'labels'), { recursive: true });
  } catch (e) {
    throw new ApiError('io', `Cannot create the dataset folder "${out}": ${(e as Error).message}`, { out });
  }

  const images: object[] = [];
  const annotations: object[] = [];
  const pending = new Set<Promise<void>>();
  for (let i = 0; i < count; i++) {
    const scene = generateScene(sceneSeed(seed, i), options);
    const name = `${String(i).padStart(6, '0')}.png`;
    const imageId = i + 1;
    images.push({ id: imageId, file_name: name, width: scene.width, height: scene.height, captions: scene.captions });
    for (const s of scene.shapes) {
      annotations.push({
        id: annotations.length + 1,
        image_id: imageId,
        category_id: s.categoryId,
        bbox: s.bbox,
        area: s.area,
        iscrowd: 0,
        segmentation: { size: [s.mask.height, s.mask.width], counts: s.mask.counts },
        attributes: { color: s.color },
      });
    }
    // Without toColourspace('b-w') sharp writes the one-channel label map as an RGB PNG.
    const raw = (data: Uint8Array, channels: 1 | 3) =>
      sharp(data, { raw: { width: scene.width, height: scene.height, channels } }).toColourspace(channels === 1 ? 'b-w' : 'srgb').png(PNG);
    const job = Promise.all([
      raw(scene.rgb, 3).toFile(path.join(out, 'images', name)),
      raw(scene.labels, 1).toFile(path.join(out, 'labels', name)),
    ]).then(() => {
      pending.delete(job);
    });
    pending.add(job);
    if (pending.size >= IN_FLIGHT) await Promise.race(pending);
    opts.onProgress?.(i + 1, count);
  }
  await Promise.all(pending);

  const doc = {
    info: {
      description: 'Sightline "shapes" dataset: coloured circles, squares and triangles on textured backgrounds',
      generator: 'sightline shapes',
      version: GENERATOR_VERSION,
      seed,
      count,
      size: options.size,
      min_shapes: options.minShapes,
      max_shapes: options.maxShapes,
    },
    images,
    annotations,
    categories: CATEGORIES.map((c) => ({ id: c.id, name: c.name })),
  };
  writeFileSync(path.join(out, 'annotations.json'), JSON.stringify(doc));
  return { out, images: images.length, annotations: annotations.length };
}
