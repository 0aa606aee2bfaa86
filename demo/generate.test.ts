import { mkdtempSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { generateDemoImages } from './generate.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('generateDemoImages', () => {
  it('draws deterministic PNG and JPEG images whose shape boxes match their pixels', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-demo-'));
    const images = await generateDemoImages(path.join(dir, 'a'), 6);
    expect(readdirSync(path.join(dir, 'a')).sort()).toEqual(['shapes-01.png', 'shapes-02.png', 'shapes-03.jpg', 'shapes-04.png', 'shapes-05.png', 'shapes-06.jpg']);
    for (const img of images) {
      const meta = await sharp(img.file).metadata();
      expect([meta.width, meta.height]).toEqual([img.width, img.height]);
      expect(img.width).toBeGreaterThanOrEqual(320);
      expect(img.width).toBeLessThanOrEqual(640);
      expect(img.shapes.length).toBeGreaterThan(0);
    }
    // The centre of a shape has the shape's colour, give or take the grain and JPEG.
    const { file, shapes } = images[0];
    const { box, color } = shapes[0];
    const px = await sharp(file).extract({ left: box.x + Math.floor(box.w / 2), top: box.y + Math.round(box.h * 0.75), width: 1, height: 1 }).removeAlpha().raw().toBuffer();
    const want = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
    [...px].forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(24));

    const again = await generateDemoImages(path.join(dir, 'b'), 3);
    expect(again.map(({ file: _f, ...rest }) => rest)).toEqual(images.slice(0, 3).map(({ file: _f, ...rest }) => rest));
    const [a, b] = await Promise.all([images[0].file, again[0].file].map((f) => sharp(f).raw().toBuffer()));
    expect(a.equals(b)).toBe(true);
  });

  it('skips images that already exist', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-demo-'));
    const [first] = await generateDemoImages(dir, 2);
    const past = new Date('2001-01-01T00:00:00Z');
    utimesSync(first.file, past, past);
    const again = await generateDemoImages(dir, 3);
    expect(again).toHaveLength(3);
    expect(statSync(first.file).mtimeMs).toBe(past.getTime());
    expect(readdirSync(dir)).toHaveLength(3);
  });
});
