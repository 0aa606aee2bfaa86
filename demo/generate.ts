/**
 * Synthetic images for the demo project: coloured shapes on gradient + noise backgrounds, drawn by sharp from
 * SVG. Image i depends only on i, so the set is the same on every machine and for any `count`, and a folder
 * that already holds some of them is only filled in. The shapes' boxes come back with the files, for demos that
 * need ground truth.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import sharp, { type OverlayOptions } from 'sharp';
import { mulberry32 } from '../common/random.js';

export type DemoShapeKind = 'circle' | 'square' | 'triangle';

export interface DemoShape {
  kind: DemoShapeKind;
  color: string;
  /** bounding box in image pixels */
  box: { x: number; y: number; w: number; h: number };
}

export interface DemoImage {
  file: string;
  width: number;
  height: number;
  shapes: DemoShape[];
}

const KINDS: DemoShapeKind[] = ['circle', 'square', 'triangle'];
const SHAPE_COLORS = ['#d1495b', '#edae49', '#00798c', '#30638e', '#66a182', '#8d6a9f'];
const BACKGROUNDS = ['#f4efe1', '#dfe7ec', '#e9e4f0', '#f0e6d8', '#dcebdc', '#cfd8dc', '#3b4252', '#2e3440'];


const seedOf = (index: number) => 0x51e7 + index * 7919;

function describeImage(index: number): Omit<DemoImage, 'file'> & { svg: string } {
  const rnd = mulberry32(seedOf(index));
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(items: T[]) => items[int(0, items.length - 1)];
  const width = int(8, 16) * 40;
  const height = int(8, 16) * 40;

  const shapes: DemoShape[] = [];
  const wanted = int(1, 4);
  // Boxes do not overlap, so every shape is fully visible and its box is a fair label.
  for (let tries = 0; shapes.length < wanted && tries < 50; tries++) {
    const size = int(48, Math.min(180, Math.floor(Math.min(width, height) / 2)));
    const box = { x: int(8, width - size - 8), y: int(8, height - size - 8), w: size, h: size };
    const clear = shapes.every(({ box: b }) => box.x > b.x + b.w + 4 || b.x > box.x + box.w + 4 || box.y > b.y + b.h + 4 || b.y > box.y + box.h + 4);
    if (clear) shapes.push({ kind: pick(KINDS), color: pick(SHAPE_COLORS), box });
  }

  const drawn = shapes.map(({ kind, color, box: { x, y, w, h } }) => {
    if (kind === 'circle') return `<circle cx="${x + w / 2}" cy="${y + h / 2}" r="${w / 2}" fill="${color}"/>`;
    if (kind === 'square') return `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="${color}"/>`;
    return `<polygon points="${x + w / 2},${y} ${x + w},${y + h} ${x},${y + h}" fill="${color}"/>`;
  });
  const [x2, y2] = pick([[1, 0], [0, 1], [1, 1]]);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="${x2}" y2="${y2}">
      <stop offset="0" stop-color="${pick(BACKGROUNDS)}"/><stop offset="1" stop-color="${pick(BACKGROUNDS)}"/>
    </linearGradient>
  </defs>
  <rect width="100%" height="100%" fill="url(#bg)"/>
  ${drawn.join('\n  ')}
</svg>`;
  return { width, height, shapes, svg };
}

/**
 * Soft grain: seeded random values at a quarter of the size, scaled up. SVG's feTurbulence looked the same but
 * made 24 images take 4.3 s instead of 0.8 s; PNG's default compression level, too, tripled the time on grain.
 */
async function noiseTexture(index: number, width: number, height: number): Promise<OverlayOptions> {
  const rnd = mulberry32(~seedOf(index));
  const w = Math.ceil(width / 4);
  const h = Math.ceil(height / 4);
  const grain = Buffer.alloc(w * h);
  for (let i = 0; i < grain.length; i++) grain[i] = 114 + Math.floor(rnd() * 28);
  const input = await sharp(grain, { raw: { width: w, height: h, channels: 1 } }).resize(width, height, { kernel: 'cubic' }).raw().toBuffer();
  return { input, raw: { width, height, channels: 1 }, blend: 'soft-light' };
}

/** Write images 1…count into `outDir` as PNG and JPEG (every third), skipping files that already exist. */
export async function generateDemoImages(outDir: string, count = 24): Promise<DemoImage[]> {
  await mkdir(outDir, { recursive: true });
  const images: DemoImage[] = [];
  for (let i = 0; i < count; i++) {
    const { svg, ...image } = describeImage(i);
    const jpeg = i % 3 === 2;
    const file = path.join(outDir, `shapes-${String(i + 1).padStart(2, '0')}.${jpeg ? 'jpg' : 'png'}`);
    if (!existsSync(file)) {
      const img = sharp(Buffer.from(svg)).composite([await noiseTexture(i, image.width, image.height)]);
      const tmp = `${file}.${randomUUID()}.tmp`;
      try {
        // A temp name + rename: an interrupted first run leaves no half image that later runs would skip.
        await (jpeg ? img.jpeg({ quality: 88 }) : img.png({ compressionLevel: 3 })).toFile(tmp);
        await rename(tmp, file);
      } catch (e) {
        await unlink(tmp).catch(() => undefined);
        throw new Error(`Cannot write the demo image ${file}: ${(e as Error).message}. Check free disk space and permissions.`);
      }
    }
    images.push({ file, ...image });
  }
  return images;
}
