/**
 * Seeded synthetic detection data of the shape the benchmark and the reference README describe: images
 * of 640×480, N labels per image with boxes 8–80 px wide and tall placed uniformly, M predictions per image of
 * which the first N are jittered copies of the labels (position ± N(0, 3) px, size × U(0.9, 1.1), 10 % given a
 * random class) and the rest random boxes; scores U(0, 1). With `masks`, every label and prediction also gets the
 * ellipse inscribed in its box as an RLE (built column by column, never as pixels). Deterministic for a seed.
 */
import type { Rle } from '../geometry/rle.js';
import { mulberry32 } from '../random.js';
import type { EvalCategory, EvalDt, EvalGt, EvalImage } from './cocoTypes.js';

export interface DetectionBenchShape {
  seed: number;
  images: number;
  labelsPerImage: number;
  predictionsPerImage: number;
  categories: number;
  width?: number;
  height?: number;
  masks?: boolean;
}

export interface DetectionBenchData {
  images: EvalImage[];
  categories: EvalCategory[];
  gts: EvalGt[];
  dts: EvalDt[];
}

/** The ellipse inscribed in box [x, y, w, h] (clipped to the image), as a column-major RLE. */
export function ellipseRle(b: readonly number[], width: number, height: number): Rle {
  const cx = b[0] + b[2] / 2, cy = b[1] + b[3] / 2, rx = b[2] / 2, ry = b[3] / 2;
  const counts: number[] = [];
  let run = 0; // zeros pending
  const x0 = Math.max(0, Math.floor(b[0])), x1 = Math.min(width - 1, Math.ceil(b[0] + b[2]));
  if (x1 < x0) return { width, height, counts: [width * height] };
  run += x0 * height;
  for (let x = x0; x <= x1; x++) {
    const u = (x + 0.5 - cx) / rx;
    const h = u * u < 1 ? ry * Math.sqrt(1 - u * u) : -1;
    const ys = h < 0 ? 0 : Math.max(0, Math.ceil(cy - h - 0.5));
    const ye = h < 0 ? -1 : Math.min(height - 1, Math.floor(cy + h - 0.5));
    if (ye < ys) {
      run += height;
      continue;
    }
    counts.push(run + ys);
    counts.push(ye - ys + 1);
    run = height - 1 - ye;
  }
  run += (width - 1 - x1) * height;
  counts.push(run);
  return { width, height, counts };
}

export function generateDetectionBenchData(shape: DetectionBenchShape): DetectionBenchData {
  const W = shape.width ?? 640, H = shape.height ?? 480;
  const rand = mulberry32(shape.seed);
  const uniform = (a: number, b: number) => a + (b - a) * rand();
  const normal = (sd: number) => sd * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const cat = () => 1 + Math.floor(rand() * shape.categories);
  const randomBox = () => {
    const w = uniform(8, 80), h = uniform(8, 80);
    return [uniform(0, W - w), uniform(0, H - h), w, h];
  };
  const images: EvalImage[] = [];
  const gts: EvalGt[] = [];
  const dts: EvalDt[] = [];
  for (let i = 0; i < shape.images; i++) {
    const imageId = i + 1;
    images.push({ id: imageId, width: W, height: H });
    const labels: EvalGt[] = [];
    for (let j = 0; j < shape.labelsPerImage; j++) {
      const b = randomBox();
      const g: EvalGt = { id: gts.length + 1, imageId, categoryId: cat(), bbox: b, area: b[2] * b[3], iscrowd: 0 };
      if (shape.masks) g.segm = ellipseRle(b, W, H);
      labels.push(g);
      gts.push(g);
    }
    for (let j = 0; j < shape.predictionsPerImage; j++) {
      let b: number[], categoryId: number;
      if (j < labels.length) {
        const l = labels[j];
        const s = uniform(0.9, 1.1);
        const w = l.bbox![2] * s, h = l.bbox![3] * uniform(0.9, 1.1);
        b = [l.bbox![0] + normal(3), l.bbox![1] + normal(3), w, h];
        categoryId = rand() < 0.1 ? cat() : l.categoryId;
      } else {
        b = randomBox();
        categoryId = cat();
      }
      const d: EvalDt = { id: dts.length + 1, imageId, categoryId, bbox: b, score: rand() };
      if (shape.masks) d.segm = ellipseRle(b, W, H);
      dts.push(d);
    }
  }
  const categories = Array.from({ length: shape.categories }, (_, i) => ({ id: i + 1, name: `class ${i + 1}` }));
  return { images, categories, gts, dts };
}
