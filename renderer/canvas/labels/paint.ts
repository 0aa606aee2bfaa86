/**
 * Labels painted straight onto a 2D context in screen pixels: one path per class and kind, stroked once, so 5,000
 * boxes cost a few thousand `rect` calls and a handful of strokes rather than 5,000 Konva nodes. Points are mapped
 * through the viewport here (screen = image × scale + offset), which keeps line widths, handles and text at a
 * constant screen size at every zoom without counter-scaling.
 */
import type { LabelClass } from '../../../common/api/contract.js';
import type { Draft, Handle, Shape } from '../../editor/types.js';
import type { Viewport } from '../viewport.js';
import { hexToRgb } from '../layers/colors.js';
import { rleToAlphaMask } from '../layers/rle.js';

export const UNCLASSIFIED_COLOR = '#c9ced8';
const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
/** Above this many shapes in view, label text is left out: it would cover the image and cost more than the shapes. */
export const MAX_TEXT_LABELS = 400;

export interface PaintStyle {
  classes: ReadonlyMap<number, LabelClass>;
  showText: boolean;
  /** Stroke width in screen pixels (1 keeps the static layer on the rasterizer's hairline path). */
  lineWidth: number;
  /** Fill opacity of polygons (0–1); masks carry their own. */
  fillAlpha: number;
}

export function classColor(classes: ReadonlyMap<number, LabelClass>, classId: number | null): string {
  return (classId !== null && classes.get(classId)?.color) || UNCLASSIFIED_COLOR;
}

function alphaHex(a: number): string {
  return Math.round(Math.max(0, Math.min(1, a)) * 255)
    .toString(16)
    .padStart(2, '0');
}

// ------------------------------------------------------------------ mask bitmaps (cropped to the mask's box)

export interface CroppedMask {
  canvas: HTMLCanvasElement;
  /** Where the canvas sits, in image pixels. */
  x: number;
  y: number;
  w: number;
  h: number;
}

const maskBitmaps = new WeakMap<object, Map<string, CroppedMask | null>>();

/** A mask tinted in `color`, cropped to its bounding box (a 4000×3000 mask of a cup is not 48 MB). Cached per geometry object. */
export function maskBitmap(geometry: { width: number; height: number; counts: readonly number[] }, color: string): CroppedMask | null {
  let byColor = maskBitmaps.get(geometry);
  if (!byColor) maskBitmaps.set(geometry, (byColor = new Map()));
  if (byColor.has(color)) return byColor.get(color)!;
  let alpha: Uint8Array;
  try {
    alpha = rleToAlphaMask(geometry.counts, geometry.width, geometry.height);
  } catch (err) {
    console.warn(`mask not drawn: ${(err as Error).message}`);
    byColor.set(color, null);
    return null;
  }
  const bm = tintedCrop(alpha, geometry.width, geometry.height, color, 0.4);
  byColor.set(color, bm);
  return bm;
}

/** The tinted, cropped bitmap of a row-major 0/non-zero mask; null when empty. Edge pixels are opaque. */
export function tintedCrop(alpha: Uint8Array, width: number, height: number, color: string, fill: number, box?: { x0: number; y0: number; x1: number; y1: number }): CroppedMask | null {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  const bx0 = box?.x0 ?? 0, by0 = box?.y0 ?? 0, bx1 = box?.x1 ?? width - 1, by1 = box?.y1 ?? height - 1;
  for (let y = by0; y <= by1; y++) {
    const row = y * width;
    for (let x = bx0; x <= bx1; x++) {
      if (alpha[row + x]) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return null;
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const [r, g, b] = hexToRgb(color);
  const fillA = Math.round(fill * 255);
  const rgba = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const gx = x + x0, gy = y + y0;
      const i = gy * width + gx;
      if (!alpha[i]) continue;
      const edge = gx === 0 || gy === 0 || gx === width - 1 || gy === height - 1 || !alpha[i - 1] || !alpha[i + 1] || !alpha[i - width] || !alpha[i + width];
      const o = (y * w + x) * 4;
      rgba[o] = r;
      rgba[o + 1] = g;
      rgba[o + 2] = b;
      rgba[o + 3] = edge ? 255 : fillA;
    }
  }
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  canvas.getContext('2d')!.putImageData(new ImageData(rgba, w, h), 0, 0);
  return { canvas, x: x0, y: y0, w, h };
}

// ------------------------------------------------------------------ shapes

interface Bucket {
  boxes: Shape[];
  polygons: Shape[];
  lines: Shape[];
  keypoints: Shape[];
  masks: Shape[];
}

function bucketByColor(shapes: Iterable<Shape>, style: PaintStyle): Map<string, Bucket> {
  const out = new Map<string, Bucket>();
  for (const s of shapes) {
    const color = classColor(style.classes, s.classId);
    let b = out.get(color);
    if (!b) out.set(color, (b = { boxes: [], polygons: [], lines: [], keypoints: [], masks: [] }));
    switch (s.geometry.type) {
      case 'box':
        b.boxes.push(s);
        break;
      case 'polygon':
        (s.attributes.polyline === true ? b.lines : b.polygons).push(s);
        break;
      case 'keypoints':
        b.keypoints.push(s);
        break;
      case 'mask':
        b.masks.push(s);
        break;
      default:
        break;
    }
  }
  return out;
}

function tracePolygon(ctx: CanvasRenderingContext2D, pts: readonly number[], vp: Viewport, close: boolean): void {
  const { scale: k, x: ox, y: oy } = vp;
  ctx.moveTo(pts[0] * k + ox, pts[1] * k + oy);
  for (let i = 2; i < pts.length; i += 2) ctx.lineTo(pts[i] * k + ox, pts[i + 1] * k + oy);
  if (close) ctx.closePath();
}

/** Draw shapes (masks under polygons under boxes under keypoints). `emphasis` draws them thicker, for the selection. */
export function paintShapes(ctx: CanvasRenderingContext2D, shapes: Iterable<Shape>, vp: Viewport, style: PaintStyle, emphasis = false): number {
  const { scale: k, x: ox, y: oy } = vp;
  const buckets = bucketByColor(shapes, style);
  const lw = emphasis ? style.lineWidth + 1.5 : style.lineWidth;
  let drawn = 0;
  const smoothing = ctx.imageSmoothingEnabled;
  ctx.imageSmoothingEnabled = false;
  for (const [color, b] of buckets) {
    for (const s of b.masks) {
      const g = s.geometry;
      if (g.type !== 'mask') continue;
      const bm = maskBitmap(g, color);
      if (bm) ctx.drawImage(bm.canvas, bm.x * k + ox, bm.y * k + oy, bm.w * k, bm.h * k);
      drawn++;
    }
  }
  ctx.imageSmoothingEnabled = smoothing;
  ctx.lineWidth = lw;
  // A 1 px line with mitred joins is a hairline to Skia's rasterizer: 5,000 boxes and 1,000 polygons stroke in
  // ~25 ms, against ~350 ms at 1.5 px with round joins (software rendering, measured in Chromium here).
  ctx.lineJoin = emphasis ? 'round' : 'miter';
  for (const [color, b] of buckets) {
    if (b.polygons.length) {
      ctx.beginPath();
      for (const s of b.polygons) if (s.geometry.type === 'polygon') tracePolygon(ctx, s.geometry.points, vp, true);
      ctx.fillStyle = color + alphaHex(emphasis ? style.fillAlpha * 1.6 : style.fillAlpha);
      ctx.fill();
      ctx.strokeStyle = color;
      ctx.stroke();
      drawn += b.polygons.length;
    }
    if (b.lines.length) {
      ctx.beginPath();
      for (const s of b.lines) if (s.geometry.type === 'polygon') tracePolygon(ctx, s.geometry.points, vp, false);
      ctx.strokeStyle = color;
      ctx.stroke();
      drawn += b.lines.length;
    }
    if (b.boxes.length) {
      ctx.beginPath();
      for (const s of b.boxes) {
        const g = s.geometry;
        if (g.type === 'box') ctx.rect(g.x * k + ox, g.y * k + oy, g.w * k, g.h * k);
      }
      if (emphasis) {
        ctx.fillStyle = color + alphaHex(style.fillAlpha);
        ctx.fill();
      }
      ctx.strokeStyle = color;
      ctx.stroke();
      drawn += b.boxes.length;
    }
    for (const s of b.keypoints) {
      paintKeypoints(ctx, s.geometry.type === 'keypoints' ? s.geometry.points : [], style.classes.get(s.classId ?? -1)?.keypoints?.edges ?? [], color, vp, lw);
      drawn++;
    }
  }
  return drawn;
}

export function paintKeypoints(
  ctx: CanvasRenderingContext2D,
  pts: readonly number[],
  edges: readonly (readonly [number, number])[],
  color: string,
  vp: Viewport,
  lw: number,
): void {
  const { scale: k, x: ox, y: oy } = vp;
  const n = pts.length / 3;
  const at = (i: number) => (i < n && pts[i * 3 + 2] > 0 ? [pts[i * 3] * k + ox, pts[i * 3 + 1] * k + oy] : null);
  ctx.beginPath();
  for (const [a, b] of edges) {
    const pa = at(a);
    const pb = at(b);
    if (pa && pb) {
      ctx.moveTo(pa[0], pa[1]);
      ctx.lineTo(pb[0], pb[1]);
    }
  }
  ctx.strokeStyle = color;
  ctx.lineWidth = lw;
  ctx.stroke();
  for (let i = 0; i < n; i++) {
    const p = at(i);
    if (!p) continue;
    ctx.beginPath();
    ctx.arc(p[0], p[1], 4, 0, Math.PI * 2);
    if (pts[i * 3 + 2] === 2) {
      ctx.fillStyle = color;
      ctx.fill();
      ctx.strokeStyle = '#111318';
      ctx.lineWidth = 1;
      ctx.stroke();
    } else {
      // Occluded: a ring, so it reads as "there, but not seen".
      ctx.strokeStyle = color;
      ctx.lineWidth = 2;
      ctx.stroke();
    }
  }
}

/** Where a shape's label text goes (its top-left), in image pixels. */
export function labelPoint(s: Shape): { x: number; y: number } | null {
  const g = s.geometry;
  switch (g.type) {
    case 'box':
      return { x: g.x, y: g.y };
    case 'polygon':
    case 'keypoints': {
      const step = g.type === 'polygon' ? 2 : 3;
      let x = Infinity, y = Infinity;
      for (let i = 0; i < g.points.length; i += step) {
        if (g.type === 'keypoints' && g.points[i + 2] === 0) continue;
        x = Math.min(x, g.points[i]);
        y = Math.min(y, g.points[i + 1]);
      }
      return Number.isFinite(x) ? { x, y } : null;
    }
    case 'mask': {
      const bm = maskBitmap(g, '#000000');
      return bm ? { x: bm.x, y: bm.y } : null;
    }
    default:
      return null;
  }
}

export function paintLabels(ctx: CanvasRenderingContext2D, shapes: readonly Shape[], vp: Viewport, style: PaintStyle): void {
  if (!style.showText || shapes.length > MAX_TEXT_LABELS) return;
  ctx.font = FONT;
  ctx.textBaseline = 'bottom';
  for (const s of shapes) {
    const cls = s.classId !== null ? style.classes.get(s.classId) : undefined;
    const p = labelPoint(s);
    if (!p) continue;
    const text = cls?.name ?? 'unclassified';
    const x = p.x * vp.scale + vp.x;
    const y = p.y * vp.scale + vp.y;
    const w = ctx.measureText(text).width + 6;
    ctx.fillStyle = cls?.color ?? UNCLASSIFIED_COLOR;
    ctx.fillRect(x, y - 16, w, 16);
    ctx.fillStyle = '#111318';
    ctx.fillText(text, x + 3, y - 2);
  }
}

// ------------------------------------------------------------------ drafts and handles

const DRAFT_DASH = [6, 4];

export function paintDraft(ctx: CanvasRenderingContext2D, draft: Draft, vp: Viewport, style: PaintStyle, maskCanvas: HTMLCanvasElement | null): void {
  const { scale: k, x: ox, y: oy } = vp;
  ctx.lineWidth = style.lineWidth;
  switch (draft.kind) {
    case 'box':
    case 'marquee': {
      const color = draft.kind === 'box' ? classColor(style.classes, draft.classId) : '#e3e6ec';
      ctx.setLineDash(DRAFT_DASH);
      ctx.strokeStyle = color;
      ctx.strokeRect(draft.x * k + ox, draft.y * k + oy, draft.w * k, draft.h * k);
      ctx.setLineDash([]);
      if (draft.kind === 'marquee') {
        ctx.fillStyle = 'rgba(227, 230, 236, 0.08)';
        ctx.fillRect(draft.x * k + ox, draft.y * k + oy, draft.w * k, draft.h * k);
      }
      break;
    }
    case 'polygon': {
      const color = classColor(style.classes, draft.classId);
      const pts = draft.cursor ? [...draft.points, draft.cursor.x, draft.cursor.y] : draft.points;
      if (pts.length >= 2) {
        ctx.beginPath();
        tracePolygon(ctx, pts, vp, false);
        ctx.strokeStyle = color;
        ctx.stroke();
      }
      ctx.fillStyle = color;
      for (let i = 0; i < draft.points.length; i += 2) {
        ctx.beginPath();
        // The first vertex is larger: clicking it closes the polygon.
        ctx.arc(draft.points[i] * k + ox, draft.points[i + 1] * k + oy, i === 0 && !draft.polyline ? 6 : 4, 0, Math.PI * 2);
        ctx.fill();
      }
      break;
    }
    case 'keypoints': {
      const color = classColor(style.classes, draft.classId);
      paintKeypoints(ctx, draft.points, draft.edges, color, vp, style.lineWidth);
      const next = draft.points.length / 3;
      if (draft.cursor && next < draft.names.length) {
        ctx.font = FONT;
        ctx.textBaseline = 'bottom';
        ctx.fillStyle = '#e3e6ec';
        ctx.fillText(`${next + 1}/${draft.names.length} ${draft.names[next]}`, draft.cursor.x * k + ox + 10, draft.cursor.y * k + oy - 6);
      }
      break;
    }
    case 'mask': {
      if (maskCanvas) {
        const smoothing = ctx.imageSmoothingEnabled;
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(maskCanvas, ox, oy, draft.width * k, draft.height * k);
        ctx.imageSmoothingEnabled = smoothing;
      }
      break;
    }
  }
}

/** The brush outline under the pointer, in screen pixels. */
export function paintBrushCursor(ctx: CanvasRenderingContext2D, at: { x: number; y: number }, diameter: number, vp: Viewport, erase: boolean): void {
  ctx.beginPath();
  ctx.arc(at.x * vp.scale + vp.x, at.y * vp.scale + vp.y, Math.max(1, (diameter / 2) * vp.scale), 0, Math.PI * 2);
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = erase ? '#ff6b6b' : '#e3e6ec';
  ctx.stroke();
}

export const HANDLE_SIZE = 8;

export function paintHandles(ctx: CanvasRenderingContext2D, handles: readonly Handle[], vp: Viewport, selectedVertex: { shapeId: number; index: number } | null): void {
  const h = HANDLE_SIZE;
  for (const hd of handles) {
    const x = hd.x * vp.scale + vp.x;
    const y = hd.y * vp.scale + vp.y;
    const selected = hd.kind === 'vertex' && selectedVertex?.shapeId === hd.shapeId && selectedVertex.index === hd.index;
    ctx.fillStyle = selected ? '#fcc419' : '#ffffff';
    ctx.strokeStyle = '#111318';
    ctx.lineWidth = 1;
    if (hd.kind === 'vertex') {
      ctx.beginPath();
      ctx.arc(x, y, selected ? h / 2 + 1.5 : h / 2, 0, Math.PI * 2);
      ctx.fill();
      ctx.stroke();
    } else {
      ctx.fillRect(x - h / 2, y - h / 2, h, h);
      ctx.strokeRect(x - h / 2, y - h / 2, h, h);
    }
  }
}

// ------------------------------------------------------------------ the brush draft's bitmap

/**
 * The draft mask as a canvas at image resolution, updated only in the dirty rectangle the editor reports, so a
 * brush stroke on a 4000×3000 image repaints a few thousand pixels per move, not 12 million.
 */
export class DraftMaskCanvas {
  canvas: HTMLCanvasElement | null = null;
  private key = '';

  update(draft: Extract<Draft, { kind: 'mask' }>, color: string): HTMLCanvasElement {
    const key = `${draft.width}x${draft.height}:${color}:${draft.erase}`;
    let full = false;
    if (!this.canvas || this.key !== key || draft.data !== this.data) {
      this.canvas = document.createElement('canvas');
      this.canvas.width = draft.width;
      this.canvas.height = draft.height;
      this.key = key;
      this.data = draft.data;
      full = true;
    }
    const d = full ? { x0: 0, y0: 0, x1: draft.width - 1, y1: draft.height - 1 } : draft.dirty;
    if (d) {
      const x0 = Math.max(0, Math.floor(d.x0)), y0 = Math.max(0, Math.floor(d.y0));
      const x1 = Math.min(draft.width - 1, Math.ceil(d.x1)), y1 = Math.min(draft.height - 1, Math.ceil(d.y1));
      if (x1 >= x0 && y1 >= y0) {
        const w = x1 - x0 + 1, h = y1 - y0 + 1;
        const [r, g, b] = hexToRgb(color);
        const rgba = new Uint8ClampedArray(w * h * 4);
        for (let y = 0; y < h; y++) {
          const row = (y + y0) * draft.width + x0;
          for (let x = 0; x < w; x++) {
            if (!draft.data[row + x]) continue;
            const o = (y * w + x) * 4;
            rgba[o] = r;
            rgba[o + 1] = g;
            rgba[o + 2] = b;
            rgba[o + 3] = 130;
          }
        }
        this.canvas.getContext('2d')!.putImageData(new ImageData(rgba, w, h), x0, y0);
      }
      draft.dirty = null;
    }
    return this.canvas;
  }

  private data: Uint8Array | null = null;

  clear(): void {
    this.canvas = null;
    this.data = null;
    this.key = '';
  }
}
