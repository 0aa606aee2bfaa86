/**
 * The "shapes" dataset: coloured circles, squares and triangles on textured backgrounds, with exact instance masks,
 * a semantic map and every valid phrasing of a relational caption. Pure and deterministic: a scene is a function of
 * (seed, index, options) alone, so the same seed always gives the same bytes on every platform (no Math.random, no
 * platform maths beyond IEEE-754 basics).
 */
import { encodeRle, type Rle } from '../geometry/rle.js';
import { mulberry32 } from '../random.js';

export const GENERATOR_VERSION = 1;

export const CATEGORIES = [
  { id: 1, name: 'circle' },
  { id: 2, name: 'square' },
  { id: 3, name: 'triangle' },
] as const;
export type ShapeKind = (typeof CATEGORIES)[number]['name'];

/** Saturated and far from each other and from the desaturated backgrounds below. */
export const PALETTE = {
  red: [214, 40, 40],
  green: [46, 170, 66],
  blue: [40, 86, 220],
  yellow: [238, 212, 36],
  purple: [146, 60, 186],
  orange: [244, 136, 28],
} as const satisfies Record<string, readonly [number, number, number]>;
export type ColorName = keyof typeof PALETTE;
const COLOR_NAMES = Object.keys(PALETTE) as ColorName[];

/** Every word a caption can hold, in a stable order (captioner vocabularies are built from it). */
export const CAPTION_WORDS = ['a', 'an', ...COLOR_NAMES, 'circle', 'square', 'triangle', 'left', 'right', 'above', 'below', 'of'];

export interface SceneOptions {
  /** Width and height in pixels (default 256). Shape sizes and separations scale with it. */
  size?: number;
  minShapes?: number;
  maxShapes?: number;
}

export interface ShapeAnnotation {
  categoryId: number;
  category: ShapeKind;
  color: ColorName;
  /** Visible pixels only (later shapes occlude earlier ones). */
  mask: Rle;
  bbox: [number, number, number, number];
  area: number;
  /** Centroid of the visible pixels (pixel centres at integer + 0.5). */
  centroid: [number, number];
}

export interface Scene {
  width: number;
  height: number;
  /** Interleaved RGB, row-major. */
  rgb: Uint8Array;
  /** 0 background, else the category id of the visible shape. */
  labels: Uint8Array;
  shapes: ShapeAnnotation[];
  /** Every valid phrasing; the first is the canonical one (largest shape first). */
  captions: string[];
}

export { mulberry32 };

/** Per-image seed, so image i does not depend on how many images came before it. */
export function sceneSeed(seed: number, index: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

interface Placed {
  kind: ShapeKind;
  color: ColorName;
  rgb: [number, number, number];
  /** Sub-pixel coverage 0..4 (2×2 samples) over the whole image; non-zero only inside `box`. */
  coverage: Uint8Array;
  /** Inclusive pixel bounds [x0, y0, x1, y1] of the rasterised region. */
  box: [number, number, number, number];
  /** Pixels with coverage ≥ 2: the shape's full (unoccluded) mask. */
  fullArea: number;
}

const SUB = [0.25, 0.75];

/** Rasterise one shape given a point-in-shape test and its bounding box, with 2×2 supersampling. */
function rasterise(w: number, h: number, bounds: [number, number, number, number], inside: (x: number, y: number) => boolean): Raster {
  const coverage = new Uint8Array(w * h);
  const box: Raster['box'] = [
    Math.max(0, Math.floor(bounds[0])), Math.max(0, Math.floor(bounds[1])),
    Math.min(w - 1, Math.ceil(bounds[2])), Math.min(h - 1, Math.ceil(bounds[3])),
  ];
  for (let y = box[1]; y <= box[3]; y++) {
    for (let x = box[0]; x <= box[2]; x++) {
      let c = 0;
      for (const sy of SUB) for (const sx of SUB) if (inside(x + sx, y + sy)) c++;
      coverage[y * w + x] = c;
    }
  }
  return { coverage, box };
}

interface Raster {
  coverage: Uint8Array;
  box: [number, number, number, number];
}

function drawShape(kind: ShapeKind, w: number, h: number, cx: number, cy: number, extent: number, angle: number): Raster {
  const r = extent / 2;
  const box: [number, number, number, number] = [cx - r * 1.5, cy - r * 1.5, cx + r * 1.5, cy + r * 1.5];
  if (kind === 'circle') return rasterise(w, h, box, (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r);
  const cos = Math.cos(angle), sin = Math.sin(angle);
  if (kind === 'square') {
    return rasterise(w, h, box, (x, y) => {
      const u = (x - cx) * cos + (y - cy) * sin, v = -(x - cx) * sin + (y - cy) * cos;
      return Math.abs(u) <= r && Math.abs(v) <= r;
    });
  }
  // Equilateral triangle with side `extent`, centred on its centroid (circumradius = side / √3).
  const R = extent / Math.sqrt(3);
  const vs = [0, 1, 2].map((k) => {
    const a = angle + (k * 2 * Math.PI) / 3 - Math.PI / 2;
    return [cx + R * Math.cos(a), cy + R * Math.sin(a)];
  });
  return rasterise(w, h, box, (x, y) => {
    let pos = 0, neg = 0;
    for (let k = 0; k < 3; k++) {
      const [ax, ay] = vs[k], [bx, by] = vs[(k + 1) % 3];
      const cross = (bx - ax) * (y - ay) - (by - ay) * (x - ax);
      if (cross > 0) pos++;
      else if (cross < 0) neg++;
    }
    return pos === 0 || neg === 0;
  });
}

/** Visible mask of each shape from the owner map (index of the topmost shape per pixel, -1 for background). */
function visibleMask(owner: Int16Array, k: number): Uint8Array {
  const m = new Uint8Array(owner.length);
  for (let i = 0; i < owner.length; i++) if (owner[i] === k) m[i] = 1;
  return m;
}

function maskStats(mask: Uint8Array, w: number): { area: number; bbox: [number, number, number, number]; centroid: [number, number] } {
  let area = 0, sx = 0, sy = 0, minX = Infinity, minY = Infinity, maxX = -1, maxY = -1;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const x = i % w, y = (i - x) / w;
    area++;
    sx += x;
    sy += y;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  if (area === 0) return { area, bbox: [0, 0, 0, 0], centroid: [0, 0] };
  return { area, bbox: [minX, minY, maxX - minX + 1, maxY - minY + 1], centroid: [sx / area + 0.5, sy / area + 0.5] };
}

function phrase(s: { color: string; category: string }): string {
  return `${/^[aeiou]/.test(s.color) ? 'an' : 'a'} ${s.color} ${s.category}`;
}

/**
 * Every phrasing of "A rel B" for the two largest visible shapes, or null when the scene is ambiguous: the two must
 * be told apart by (colour, shape), the third-largest must be clearly smaller, and one axis must clearly dominate.
 */
export function captionsFor(shapes: ShapeAnnotation[], size = 256): string[] | null {
  if (shapes.length === 0) return null;
  const sorted = [...shapes].sort((p, q) => q.area - p.area);
  if (sorted.length === 1) return [phrase(sorted[0])];
  const [a, b, c] = sorted;
  if (a.color === b.color && a.category === b.category) return null;
  if (c && c.area > 0.6 * b.area) return null;
  const dx = b.centroid[0] - a.centroid[0], dy = b.centroid[1] - a.centroid[1];
  const major = Math.max(Math.abs(dx), Math.abs(dy)), minor = Math.min(Math.abs(dx), Math.abs(dy));
  if (major < 1.5 * minor || major < (24 * size) / 256) return null;
  const [ab, ba] = Math.abs(dx) > Math.abs(dy) ? (dx > 0 ? ['left of', 'right of'] : ['right of', 'left of']) : dy > 0 ? ['above', 'below'] : ['below', 'above'];
  return [`${phrase(a)} ${ab} ${phrase(b)}`, `${phrase(b)} ${ba} ${phrase(a)}`];
}

function clampByte(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

/** Desaturated base + gradient + low-contrast blobs or stripes (noise comes later); never close to a palette colour. */
function background(rand: () => number, w: number, h: number): Float32Array {
  const img = new Float32Array(w * h * 3);
  const level = 70 + rand() * 120;
  const tint = [0, 1, 2].map(() => (rand() - 0.5) * 24);
  const ga = rand() * 2 * Math.PI, gAmp = 15 + rand() * 30;
  const gx = Math.cos(ga) / w, gy = Math.sin(ga) / h;
  const stripes = rand() < 0.4;
  const blobs = Array.from({ length: 3 + Math.floor(rand() * 6) }, () => ({
    x: rand() * w, y: rand() * h, r: (0.05 + rand() * 0.2) * w, d: (rand() - 0.5) * 36,
  }));
  const sPeriod = (0.04 + rand() * 0.1) * w, sAngle = rand() * Math.PI, sAmp = 6 + rand() * 12;
  const sc = Math.cos(sAngle), ss = Math.sin(sAngle);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = level + gAmp * ((x - w / 2) * gx + (y - h / 2) * gy) * 2;
      if (stripes) v += sAmp * Math.sin((2 * Math.PI * (x * sc + y * ss)) / sPeriod);
      else for (const b of blobs) {
        const d2 = ((x - b.x) ** 2 + (y - b.y) ** 2) / (b.r * b.r);
        if (d2 < 4) v += b.d * Math.exp(-d2);
      }
      const o = (y * w + x) * 3;
      for (let ch = 0; ch < 3; ch++) img[o + ch] = v + tint[ch];
    }
  }
  return img;
}

/** One scene. Resamples internally until the placement and caption rules hold, so it always succeeds. */
/** Fills the defaults and refuses options no scene can satisfy. */
export function sceneOptions(options: SceneOptions = {}): Required<SceneOptions> {
  const size = options.size ?? 256, minShapes = options.minShapes ?? 1, maxShapes = options.maxShapes ?? 6;
  if (!Number.isInteger(size) || size < 64 || size > 4096) throw new Error(`size must be an integer in 64..4096, not ${size}`);
  if (!(Number.isInteger(minShapes) && Number.isInteger(maxShapes) && minShapes >= 1 && maxShapes >= minShapes && maxShapes <= 8)) {
    throw new Error(`shape counts must be integers with 1 ≤ min-shapes (${minShapes}) ≤ max-shapes (${maxShapes}) ≤ 8`);
  }
  return { size, minShapes, maxShapes };
}

/** One scene. Resamples internally until the placement and caption rules hold, so it always succeeds. */
export function generateScene(seed: number, options: SceneOptions = {}): Scene {
  const { size, minShapes, maxShapes } = sceneOptions(options);
  const rand = mulberry32(seed);
  const w = size, h = size, n = w * h, k = size / 256;
  const count = minShapes + Math.floor(rand() * (maxShapes - minShapes + 1));
  for (;;) {
    const placed: Placed[] = [];
    // The two main shapes are large; the rest are at most ~70 % of the smaller main one, so the caption's subjects
    // are the two largest most of the time and the rejection loop below stays short.
    const main = [40 + rand() * 70, 40 + rand() * 70];
    const extents = Array.from({ length: count }, (_, i) => (i < 2 ? main[i] : 18 + rand() * Math.max(0, 0.7 * Math.min(...main) - 18)) * k);
    // Draw order is random so that main shapes are occluded too.
    for (let i = extents.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [extents[i], extents[j]] = [extents[j], extents[i]];
    }
    const owner = new Int16Array(n).fill(-1);
    const visible: number[] = [];
    let ok = true;
    for (const extent of extents) {
      let done = false;
      for (let attempt = 0; attempt < 30 && !done; attempt++) {
        const kind = CATEGORIES[Math.floor(rand() * 3)].name;
        const color = COLOR_NAMES[Math.floor(rand() * COLOR_NAMES.length)];
        const margin = extent * 0.55;
        const cx = margin + rand() * (w - 2 * margin), cy = margin + rand() * (h - 2 * margin);
        const angle = rand() * 2 * Math.PI;
        const rgb = PALETTE[color].map((v) => clampByte(v + (rand() - 0.5) * 24)) as [number, number, number];
        const { coverage, box } = drawShape(kind, w, h, cx, cy, extent, angle);
        const lost = new Array<number>(placed.length).fill(0);
        let fullArea = 0;
        for (let y = box[1]; y <= box[3]; y++) {
          for (let i = y * w + box[0], end = y * w + box[2]; i <= end; i++) {
            if (coverage[i] < 2) continue;
            fullArea++;
            if (owner[i] >= 0) lost[owner[i]]++;
          }
        }
        if (fullArea === 0 || placed.some((p, j) => visible[j] - lost[j] < 0.4 * p.fullArea)) continue;
        const k = placed.length;
        for (let y = box[1]; y <= box[3]; y++) for (let i = y * w + box[0], end = y * w + box[2]; i <= end; i++) if (coverage[i] >= 2) owner[i] = k;
        placed.forEach((_, j) => (visible[j] -= lost[j]));
        visible.push(fullArea);
        placed.push({ kind, color, rgb, coverage, box, fullArea });
        done = true;
      }
      if (!done) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    const shapes: ShapeAnnotation[] = placed.map((p, i) => {
      const mask = visibleMask(owner, i);
      const st = maskStats(mask, w);
      const cat = CATEGORIES.find((c) => c.name === p.kind)!;
      return { categoryId: cat.id, category: p.kind, color: p.color, mask: encodeRle(mask, w, h), ...st };
    });
    const captions = captionsFor(shapes, size);
    if (!captions) continue;

    const img = background(rand, w, h);
    const labels = new Uint8Array(n);
    for (const p of placed) {
      const [x0, y0, x1, y1] = p.box;
      for (let y = y0; y <= y1; y++) {
        for (let i = y * w + x0, end = y * w + x1; i <= end; i++) {
          const alpha = p.coverage[i] / 4;
          if (alpha === 0) continue;
          for (let ch = 0; ch < 3; ch++) img[i * 3 + ch] = img[i * 3 + ch] * (1 - alpha) + p.rgb[ch] * alpha;
        }
      }
    }
    for (let i = 0; i < n; i++) if (owner[i] >= 0) labels[i] = shapes[owner[i]].categoryId;
    // Strong noise on the background (texture), mild on shapes so their colour is not a single exact value.
    const rgb = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) {
      const amp = owner[i] >= 0 ? 10 : 28;
      for (let ch = 0; ch < 3; ch++) rgb[i * 3 + ch] = clampByte(img[i * 3 + ch] + (rand() - 0.5) * amp);
    }
    return { width: w, height: h, rgb, labels, shapes, captions };
  }
}
