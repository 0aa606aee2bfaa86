/**
 * Geometry of the editor's shapes in image pixels: bounding boxes, hit tests, handles, moves and clamping to the
 * image. Pure functions over immutable shapes; the few per-mask costs (bounding box, point probe) are cached by
 * geometry object, which is replaced whenever a mask changes, so the cache never goes stale.
 */
import type { AnnotationState, Geometry } from '../../common/api/contract.js';
import { reframeRle, RleProbe, shiftRle } from '../../common/geometry/maskEdit.js';
import { signedArea } from '../../common/geometry/polygon.js';
import { rleBbox } from '../../common/geometry/rle.js';
import { pointInRing, segmentDistance } from '../../common/geometry/segments.js';
import type { Bbox } from './spatial.js';
import type { Handle, Point, Shape } from './types.js';

export type MaskGeometry = Extract<Geometry, { type: 'mask' }>;
export type BoxGeometry = Extract<Geometry, { type: 'box' }>;
export type PolygonGeometry = Extract<Geometry, { type: 'polygon' }>;
export type KeypointsGeometry = Extract<Geometry, { type: 'keypoints' }>;

/** The attribute that marks a polygon as an open line (the contract has no polyline geometry). */
export const POLYLINE_ATTRIBUTE = 'polyline';

export function isPolyline(s: Pick<AnnotationState, 'kind' | 'attributes'>): boolean {
  return s.kind === 'polygon' && s.attributes[POLYLINE_ATTRIBUTE] === true;
}

/** Shapes drawn on the canvas (captions and tags live in panels). */
export function isSpatial(s: Pick<AnnotationState, 'kind'>): boolean {
  return s.kind !== 'caption' && s.kind !== 'tag';
}

const maskBoxes = new WeakMap<MaskGeometry, Bbox | null>();
const maskProbes = new WeakMap<MaskGeometry, RleProbe>();

export function maskBbox(g: MaskGeometry): Bbox | null {
  let b = maskBoxes.get(g);
  if (b === undefined) {
    const r = rleBbox(g);
    b = r[2] > 0 && r[3] > 0 ? r : null;
    maskBoxes.set(g, b);
  }
  return b;
}

export function maskProbe(g: MaskGeometry): RleProbe {
  let p = maskProbes.get(g);
  if (!p) maskProbes.set(g, (p = new RleProbe(g)));
  return p;
}

function pointsBbox(points: readonly number[], stride: 2 | 3): Bbox | null {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i + 1 < points.length; i += stride) {
    if (stride === 3 && !(points[i + 2] > 0)) continue;
    x0 = Math.min(x0, points[i]);
    x1 = Math.max(x1, points[i]);
    y0 = Math.min(y0, points[i + 1]);
    y1 = Math.max(y1, points[i + 1]);
  }
  return x0 <= x1 ? [x0, y0, x1 - x0, y1 - y0] : null;
}

/** The box a shape covers (keypoints: their labeled points), or null for captions, tags and empty shapes. */
export function geometryBbox(g: Geometry): Bbox | null {
  switch (g.type) {
    case 'box':
      return [g.x, g.y, g.w, g.h];
    case 'polygon':
      return pointsBbox(g.points, 2);
    case 'keypoints':
      return pointsBbox(g.points, 3);
    case 'mask':
      return maskBbox(g);
    default:
      return null;
  }
}

/**
 * Whether (x, y) hits the shape: inside a box, a closed polygon or a mask's pixel, or within `tol` of a box's or
 * polygon's outline, a polyline, or a labeled keypoint.
 */
export function hitShape(s: AnnotationState, x: number, y: number, tol: number): boolean {
  const g = s.geometry;
  switch (g.type) {
    case 'box':
      return x >= g.x - tol && x <= g.x + g.w + tol && y >= g.y - tol && y <= g.y + g.h + tol;
    case 'polygon': {
      if (!isPolyline(s) && pointInRing(x, y, g.points)) return true;
      return nearestEdge(g.points, x, y, !isPolyline(s)).d <= tol;
    }
    case 'mask':
      return maskProbe(g).has(Math.floor(x), Math.floor(y));
    case 'keypoints':
      for (let i = 0; i + 2 < g.points.length; i += 3) {
        if (g.points[i + 2] > 0 && Math.hypot(g.points[i] - x, g.points[i + 1] - y) <= tol) return true;
      }
      return false;
    default:
      return false;
  }
}

/** The edge of a ring (closed) or line nearest to (x, y): its index (from vertex `index` to the next), distance and position along it. */
export function nearestEdge(points: readonly number[], x: number, y: number, closed: boolean): { index: number; d: number; t: number } {
  const n = points.length / 2;
  let best = { index: -1, d: Infinity, t: 0 };
  const edges = closed ? n : n - 1;
  for (let i = 0; i < edges; i++) {
    const j = (i + 1) % n;
    const r = segmentDistance(x, y, points[2 * i], points[2 * i + 1], points[2 * j], points[2 * j + 1]);
    if (r.d < best.d) best = { index: i, d: r.d, t: r.t };
  }
  return best;
}

export const BOX_HANDLES = ['nw', 'n', 'ne', 'e', 'se', 's', 'sw', 'w'] as const;
export type BoxHandle = (typeof BOX_HANDLES)[number];

/** A selected shape's handles: a box's corners and edge middles, a polygon's vertices, keypoints that are placed. */
export function shapeHandles(s: Shape, alsoVertex: number | null = null): Handle[] {
  const g = s.geometry;
  if (g.type === 'box') {
    const xs = { w: g.x, c: g.x + g.w / 2, e: g.x + g.w }, ys = { n: g.y, c: g.y + g.h / 2, s: g.y + g.h };
    const at: Record<BoxHandle, [number, number]> = {
      nw: [xs.w, ys.n], n: [xs.c, ys.n], ne: [xs.e, ys.n], e: [xs.e, ys.c],
      se: [xs.e, ys.s], s: [xs.c, ys.s], sw: [xs.w, ys.s], w: [xs.w, ys.c],
    };
    return BOX_HANDLES.map((kind, index) => ({ shapeId: s.id, kind, index, x: at[kind][0], y: at[kind][1] }));
  }
  if (g.type === 'polygon') {
    const out: Handle[] = [];
    for (let i = 0; i < g.points.length / 2; i++) out.push({ shapeId: s.id, kind: 'vertex', index: i, x: g.points[2 * i], y: g.points[2 * i + 1] });
    return out;
  }
  if (g.type === 'keypoints') {
    const out: Handle[] = [];
    for (let i = 0; i < g.points.length / 3; i++) {
      if (g.points[3 * i + 2] > 0 || i === alsoVertex) out.push({ shapeId: s.id, kind: 'vertex', index: i, x: g.points[3 * i], y: g.points[3 * i + 1] });
    }
    return out;
  }
  return [];
}

export function handleCursor(kind: Handle['kind']): 'nwse-resize' | 'nesw-resize' | 'ns-resize' | 'ew-resize' | 'pointer' {
  switch (kind) {
    case 'nw':
    case 'se':
      return 'nwse-resize';
    case 'ne':
    case 'sw':
      return 'nesw-resize';
    case 'n':
    case 's':
      return 'ns-resize';
    case 'e':
    case 'w':
      return 'ew-resize';
    default:
      return 'pointer';
  }
}

/**
 * A box resized by dragging `handle` to (x, y), the opposite corner or edge staying where it was; dragging past
 * it flips the box. (x, y) is clamped to the image first.
 */
export function resizeBox(base: BoxGeometry, handle: BoxHandle, x: number, y: number, width: number, height: number): BoxGeometry {
  x = clamp(x, 0, width);
  y = clamp(y, 0, height);
  let x0 = base.x, y0 = base.y, x1 = base.x + base.w, y1 = base.y + base.h;
  if (handle.includes('w')) x0 = x;
  if (handle.includes('e')) x1 = x;
  if (handle.includes('n')) y0 = y;
  if (handle.includes('s')) y1 = y;
  return { type: 'box', x: Math.min(x0, x1), y: Math.min(y0, y1), w: Math.abs(x1 - x0), h: Math.abs(y1 - y0) };
}

export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

export function clampPoint(p: Point, width: number, height: number): Point {
  return { x: clamp(p.x, 0, width), y: clamp(p.y, 0, height) };
}

/** How far a set of shapes may move and stay inside the image. */
export interface MoveLimits {
  minDx: number;
  maxDx: number;
  minDy: number;
  maxDy: number;
}

export function moveLimits(shapes: Iterable<AnnotationState>, width: number, height: number): MoveLimits | null {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const s of shapes) {
    const b = geometryBbox(s.geometry);
    if (!b) continue;
    x0 = Math.min(x0, b[0]);
    y0 = Math.min(y0, b[1]);
    x1 = Math.max(x1, b[0] + b[2]);
    y1 = Math.max(y1, b[1] + b[3]);
  }
  if (x0 > x1) return null;
  // A shape already past the border (from an import) may still move back in, never further out.
  return { minDx: Math.min(0, -x0), maxDx: Math.max(0, width - x1), minDy: Math.min(0, -y0), maxDy: Math.max(0, height - y1) };
}

export function clampMove(dx: number, dy: number, limits: MoveLimits | null, whole: boolean): { dx: number; dy: number } {
  if (!limits) return { dx: 0, dy: 0 };
  if (whole) {
    // Masks move by whole pixels; rounding towards zero keeps them inside.
    dx = Math.trunc(dx);
    dy = Math.trunc(dy);
    return { dx: clamp(dx, Math.ceil(limits.minDx), Math.floor(limits.maxDx)), dy: clamp(dy, Math.ceil(limits.minDy), Math.floor(limits.maxDy)) };
  }
  return { dx: clamp(dx, limits.minDx, limits.maxDx), dy: clamp(dy, limits.minDy, limits.maxDy) };
}

/** The geometry moved by (dx, dy); masks by whole pixels (the caller rounds and clamps the move). */
export function translateGeometry(g: Geometry, dx: number, dy: number, width: number, height: number): Geometry {
  switch (g.type) {
    case 'box':
      return { ...g, x: g.x + dx, y: g.y + dy };
    case 'polygon':
      return { ...g, points: g.points.map((v, i) => v + (i & 1 ? dy : dx)) };
    case 'keypoints': {
      const points = g.points.slice();
      for (let i = 0; i + 2 < points.length; i += 3) {
        // Unlabeled points keep a place (so turning them visible again puts them back) but stay in the image.
        points[i] = points[i + 2] > 0 ? points[i] + dx : clamp(points[i] + dx, 0, width);
        points[i + 1] = points[i + 2] > 0 ? points[i + 1] + dy : clamp(points[i + 1] + dy, 0, height);
      }
      return { ...g, points };
    }
    case 'mask':
      return dx === 0 && dy === 0 ? g : { type: 'mask', ...shiftRle(g, Math.round(dx), Math.round(dy)) };
    default:
      return g;
  }
}

/**
 * The geometry made to fit a width×height image (a shape pasted from another image): boxes are cut to the image,
 * points clamped, masks re-framed. Null when nothing of it is left (a box wholly outside, a polygon flattened).
 */
export function fitGeometry(g: Geometry, width: number, height: number): Geometry | null {
  switch (g.type) {
    case 'box': {
      const x0 = clamp(g.x, 0, width), y0 = clamp(g.y, 0, height);
      const x1 = clamp(g.x + g.w, 0, width), y1 = clamp(g.y + g.h, 0, height);
      return x1 - x0 >= 1 && y1 - y0 >= 1 ? { type: 'box', x: x0, y: y0, w: x1 - x0, h: y1 - y0 } : null;
    }
    case 'polygon': {
      const points = g.points.map((v, i) => clamp(v, 0, i & 1 ? height : width));
      return { type: 'polygon', points };
    }
    case 'keypoints': {
      const points = g.points.slice();
      for (let i = 0; i + 2 < points.length; i += 3) {
        points[i] = clamp(points[i], 0, width);
        points[i + 1] = clamp(points[i + 1], 0, height);
      }
      return { ...g, points };
    }
    case 'mask': {
      const r = g.width === width && g.height === height ? g : { type: 'mask' as const, ...reframeRle(g, width, height) };
      return maskBbox(r) ? r : null;
    }
    default:
      return g;
  }
}

/** Twice the area is what the shoelace gives; a polygon under this is flat (collinear points). */
export function polygonHasArea(points: readonly number[]): boolean {
  return Math.abs(signedArea(points)) > 1e-9;
}
