/**
 * 10,000 small distinct images in nested folders, made once and cached: a PNG/JPEG mix, 64–160 px, each a random
 * background, a few random SVG shapes and a corner stamp that encodes its index, so no two files are equal.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { cached, log, pool, prng } from './util.js';

const SEED = 20240901;

function relPathOf(i: number, ext: string): string {
  const set = `set-${'abcde'[i % 5]}`;
  const batch = `batch-${String(Math.floor(i / 5) % 20).padStart(2, '0')}`;
  // Half of the batches nest one level deeper, so the walk meets folders of mixed depth.
  const sub = (Math.floor(i / 5) % 20) % 2 === 0 ? `sub-${i % 3}/` : '';
  return `${set}/${batch}/${sub}img-${String(i).padStart(5, '0')}.${ext}`;
}

function svgFor(i: number, w: number, h: number, rnd: () => number): string {
  const colour = () => `rgb(${(rnd() * 256) | 0},${(rnd() * 256) | 0},${(rnd() * 256) | 0})`;
  const shapes: string[] = [];
  for (let s = 0, n = 2 + ((rnd() * 4) | 0); s < n; s++) {
    const x = (rnd() * w) | 0;
    const y = (rnd() * h) | 0;
    const r = 4 + ((rnd() * Math.min(w, h)) / 3) | 0;
    shapes.push(
      rnd() < 0.5
        ? `<circle cx="${x}" cy="${y}" r="${r}" fill="${colour()}" fill-opacity="0.8"/>`
        : `<rect x="${x - r}" y="${y - r}" width="${r * 2}" height="${r}" fill="${colour()}" transform="rotate(${(rnd() * 90) | 0} ${x} ${y})"/>`,
    );
  }
  const stamp = `<rect x="0" y="0" width="6" height="6" fill="rgb(${i & 255},${(i >> 8) & 255},${(i * 37) & 255})"/>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${shapes.join('')}${stamp}</svg>`;
}

/** The folder of `count` generated images and their absolute paths, generated on first use. */
export async function generatedImages(count: number): Promise<{ folder: string; files: string[]; built: boolean; buildMs: number }> {
  const t0 = performance.now();
  const { path: folder, built } = await cached(`images-v1-n${count}-seed${SEED}`, async (dir) => {
    log(`generating ${count} images into ${dir} (cached for later runs)…`);
    const items = Array.from({ length: count }, (_, i) => i);
    await pool(items, 4, async (i) => {
      const rnd = prng(SEED + i * 7919);
      const w = 64 + ((rnd() * 97) | 0);
      const h = 64 + ((rnd() * 97) | 0);
      const jpeg = rnd() < 0.6;
      const img = sharp({ create: { width: w, height: h, channels: 3, background: { r: (rnd() * 256) | 0, g: (rnd() * 256) | 0, b: (rnd() * 256) | 0 } } })
        .composite([{ input: Buffer.from(svgFor(i, w, h, rnd)) }]);
      const bytes = await (jpeg ? img.jpeg({ quality: 70 + ((rnd() * 25) | 0) }) : img.png()).toBuffer();
      const file = path.join(dir, ...relPathOf(i, jpeg ? 'jpg' : 'png').split('/'));
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, bytes);
    });
  });
  const files = (readdirSync(folder, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
  if (files.length !== count) throw new Error(`The image cache ${folder} holds ${files.length} files, not ${count}: delete it and rerun.`);
  return { folder, files, built, buildMs: performance.now() - t0 };
}
