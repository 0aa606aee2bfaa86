import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { generateScene, sceneSeed } from '../../../common/shapes/generate.js';
import { decodeRle } from '../../../common/geometry/rle.js';
import { writeShapesDataset } from './write.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-shapes-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

describe('writeShapesDataset', () => {
  it('writes byte-identical datasets for the same seed, and different ones for another seed', async () => {
    const a = path.join(tmp, 'a'), b = path.join(tmp, 'b'), c = path.join(tmp, 'c');
    await writeShapesDataset({ seed: 11, count: 3, out: a });
    await writeShapesDataset({ seed: 11, count: 3, out: b });
    await writeShapesDataset({ seed: 12, count: 3, out: c });
    expect(files(a)).toEqual(['annotations.json', 'images/000000.png', 'images/000001.png', 'images/000002.png', 'labels/000000.png', 'labels/000001.png', 'labels/000002.png']);
    for (const f of files(a)) expect(readFileSync(path.join(a, f)).equals(readFileSync(path.join(b, f))), f).toBe(true);
    expect(readFileSync(path.join(a, 'images/000000.png')).equals(readFileSync(path.join(c, 'images/000000.png')))).toBe(false);
  });

  it('stores exactly the generated pixels, semantic map and COCO annotations', async () => {
    const out = path.join(tmp, 'd');
    const progress: number[] = [];
    const r = await writeShapesDataset({ seed: 5, count: 2, out, size: 128, maxShapes: 4, onProgress: (done) => progress.push(done) });
    expect(progress).toEqual([1, 2]);
    const doc = JSON.parse(readFileSync(path.join(out, 'annotations.json'), 'utf8'));
    expect(doc.info).toMatchObject({ seed: 5, count: 2, size: 128, min_shapes: 1, max_shapes: 4, version: 1 });
    expect(doc.categories).toEqual([{ id: 1, name: 'circle' }, { id: 2, name: 'square' }, { id: 3, name: 'triangle' }]);
    expect(r.annotations).toBe(doc.annotations.length);
    for (let i = 0; i < 2; i++) {
      const scene = generateScene(sceneSeed(5, i), { size: 128, maxShapes: 4 });
      const im = doc.images[i];
      expect(im).toEqual({ id: i + 1, file_name: `00000${i}.png`, width: 128, height: 128, captions: scene.captions });
      const rgb = await sharp(path.join(out, 'images', im.file_name)).raw().toBuffer({ resolveWithObject: true });
      expect(rgb.info).toMatchObject({ width: 128, height: 128, channels: 3 });
      expect(rgb.data.equals(Buffer.from(scene.rgb))).toBe(true);
      const labelFile = path.join(out, 'labels', im.file_name);
      expect((await sharp(labelFile).metadata()).channels).toBe(1);
      const labels = await sharp(labelFile).extractChannel(0).raw().toBuffer();
      expect(labels.equals(Buffer.from(scene.labels))).toBe(true);
      const anns = doc.annotations.filter((a: { image_id: number }) => a.image_id === im.id);
      expect(anns).toHaveLength(scene.shapes.length);
      for (const [k, a] of anns.entries()) {
        const s = scene.shapes[k];
        expect(a).toMatchObject({ category_id: s.categoryId, bbox: s.bbox, area: s.area, iscrowd: 0, attributes: { color: s.color } });
        const mask = decodeRle({ height: a.segmentation.size[0], width: a.segmentation.size[1], counts: a.segmentation.counts });
        expect(mask.reduce((n: number, v: number) => n + v, 0)).toBe(a.area);
      }
    }
    expect(new Set(doc.annotations.map((a: { id: number }) => a.id)).size).toBe(doc.annotations.length);
  });

  it('names bad options', async () => {
    await expect(writeShapesDataset({ seed: -1, count: 1, out: path.join(tmp, 'e') })).rejects.toThrow(/seed/);
    await expect(writeShapesDataset({ seed: 1, count: 0, out: path.join(tmp, 'e') })).rejects.toThrow(/count/);
    await expect(writeShapesDataset({ seed: 1, count: 1, maxShapes: 20, out: path.join(tmp, 'e') })).rejects.toThrow(/max-shapes/);
  });
});
