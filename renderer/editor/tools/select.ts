/**
 * Select (V): click picks the topmost shape, shift-click toggles, a drag on empty space draws a marquee, a drag
 * on a selected shape moves the whole selection, a drag on a handle resizes a box (the opposite corner stays;
 * dragging past it flips) or moves a vertex or keypoint, a click on a selected polygon's edge inserts a vertex,
 * right-click on a vertex removes it. Every drag is one step at pointer-up; while it lasts only `preview` changes.
 */
import { ringSelfIntersection } from '../../../common/geometry/segments.js';
import {
  clampMove,
  clampPoint,
  geometryBbox,
  handleCursor,
  isPolyline,
  isSpatial,
  moveLimits,
  nearestEdge,
  resizeBox,
  translateGeometry,
  type BoxHandle,
  type MoveLimits,
} from '../shapes.js';
import type { Point, PointerInput, Shape } from '../types.js';
import { BaseTool, change, DRAG_PX, HIT_PX, type ToolHost } from './tool.js';

type Gesture =
  | { kind: 'move'; start: Point; ids: number[]; limits: MoveLimits | null; whole: boolean; moved: boolean; clicked: number; wasSelected: boolean }
  | { kind: 'resize'; start: Point; id: number; handle: BoxHandle; base: Shape; moved: boolean }
  | { kind: 'vertex'; start: Point; id: number; index: number; base: Shape; inserted: boolean; moved: boolean }
  | { kind: 'marquee'; start: Point; additive: boolean; base: number[] };

export class SelectTool extends BaseTool {
  readonly name = 'select' as const;
  private gesture: Gesture | null = null;

  constructor(host: ToolHost) {
    super(host);
  }

  override busy(): boolean {
    return this.gesture !== null;
  }

  override pointerDown(p: PointerInput): boolean {
    if (p.button !== 0 || !this.host.width) return false;
    const host = this.host;
    const handle = host.hitHandle(p, p.scale);
    if (handle) {
      const base = host.shape(handle.shapeId)!;
      if (handle.kind === 'vertex') {
        this.gesture = { kind: 'vertex', start: p, id: base.id, index: handle.index, base, inserted: false, moved: false };
        host.setSelectedVertex({ shapeId: base.id, index: handle.index });
      } else {
        this.gesture = { kind: 'resize', start: p, id: base.id, handle: handle.kind, base, moved: false };
      }
      return true;
    }
    if (!p.shift && this.insertVertex(p)) return true;
    const hit = host.hitTest(p, p.scale);
    if (hit) {
      const selection = host.state.selection;
      if (p.shift) {
        const next = new Set(selection);
        if (next.has(hit.id)) next.delete(hit.id);
        else next.add(hit.id);
        host.select(next);
        return true;
      }
      const wasSelected = selection.has(hit.id);
      if (!wasSelected) host.select([hit.id]);
      else host.setSelectedVertex(null);
      const ids = [...host.state.selection].filter((id) => {
        const s = host.shape(id);
        return s && isSpatial(s) && host.editable(s);
      });
      const shapes = ids.map((id) => host.shape(id)!);
      this.gesture = {
        kind: 'move',
        start: p,
        ids,
        limits: moveLimits(shapes, host.width, host.height),
        whole: shapes.some((s) => s.kind === 'mask'),
        moved: false,
        clicked: hit.id,
        wasSelected,
      };
      host.setCursor('move');
      return true;
    }
    const base = p.shift ? [...host.state.selection] : [];
    if (!p.shift) host.select([]);
    this.gesture = { kind: 'marquee', start: p, additive: p.shift, base };
    return true;
  }

  /** A press on a selected polygon's edge puts a vertex there (and drags it while the button is down). */
  private insertVertex(p: PointerInput): boolean {
    const host = this.host;
    const tol = HIT_PX / p.scale;
    if (host.state.selection.size > 50) return false;
    for (const id of host.state.selection) {
      const s = host.shape(id);
      if (!s || s.geometry.type !== 'polygon' || !host.editable(s)) continue;
      const pts = s.geometry.points;
      const e = nearestEdge(pts, p.x, p.y, !isPolyline(s));
      if (e.index < 0 || e.d > tol) continue;
      const n = pts.length / 2, j = (e.index + 1) % n;
      const at = clampPoint(
        { x: pts[2 * e.index] + e.t * (pts[2 * j] - pts[2 * e.index]), y: pts[2 * e.index + 1] + e.t * (pts[2 * j + 1] - pts[2 * e.index + 1]) },
        host.width,
        host.height,
      );
      const points = [...pts.slice(0, 2 * e.index + 2), at.x, at.y, ...pts.slice(2 * e.index + 2)];
      const index = e.index + 1;
      const base = s;
      this.gesture = { kind: 'vertex', start: p, id, index, base, inserted: true, moved: false };
      host.setSelectedVertex({ shapeId: id, index });
      host.setPreview(new Map([[id, { ...base, geometry: { type: 'polygon', points } }]]));
      return true;
    }
    return false;
  }

  override pointerMove(p: PointerInput): boolean {
    const g = this.gesture;
    const host = this.host;
    if (!g) {
      this.hover(p);
      return false;
    }
    const far = Math.hypot(p.x - g.start.x, p.y - g.start.y) * p.scale >= DRAG_PX;
    switch (g.kind) {
      case 'move': {
        if (!g.moved && !far) return true;
        g.moved = true;
        host.setPreview(this.moved(g, p));
        return true;
      }
      case 'resize': {
        if (!g.moved && !far) return true;
        g.moved = true;
        const geometry = resizeBox(g.base.geometry as never, g.handle, p.x, p.y, host.width, host.height);
        host.setPreview(new Map([[g.id, { ...g.base, geometry }]]));
        return true;
      }
      case 'vertex': {
        if (!g.moved && !far) return true;
        g.moved = true;
        host.setPreview(new Map([[g.id, this.vertexMoved(g, p)]]));
        return true;
      }
      case 'marquee': {
        const r = rect(g.start, p);
        host.setDraft({ kind: 'marquee', ...r });
        return true;
      }
    }
  }

  override pointerUp(p: PointerInput): boolean {
    const g = this.gesture;
    if (!g) return false;
    this.gesture = null;
    const host = this.host;
    switch (g.kind) {
      case 'move': {
        host.setPreview(null);
        host.setCursor('move');
        if (!g.moved) {
          // A click (no drag) on a shape of a multiple selection picks that one shape, as in every drawing app.
          if (g.wasSelected && host.state.selection.size > 1) host.select([g.clicked]);
          return true;
        }
        const moved = this.moved(g, p);
        const changes = [...moved].map(([id, s]) => change(id, host.shape(id), s));
        host.commit(moved.size === 1 ? 'Move shape' : `Move ${moved.size} shapes`, changes);
        return true;
      }
      case 'resize': {
        host.setPreview(null);
        if (!g.moved) return true;
        const geometry = resizeBox(g.base.geometry as never, g.handle, p.x, p.y, host.width, host.height);
        if (geometry.w < 1 || geometry.h < 1) {
          host.notice('A box needs at least 1 px of width and height; the resize was undone.', 'warning');
          return true;
        }
        const current = host.shape(g.id);
        if (current) host.commit('Resize box', [change(g.id, current, { ...current, geometry })]);
        return true;
      }
      case 'vertex': {
        host.setPreview(null);
        if (!g.moved && !g.inserted) return true;
        const after = g.moved ? this.vertexMoved(g, p) : this.vertexMoved(g, null);
        if (after.geometry.type === 'polygon' && !isPolyline(after)) {
          const crossing = ringSelfIntersection(after.geometry.points);
          if (crossing) {
            host.notice(`That would make the polygon cross itself (edges ${crossing[0] + 1} and ${crossing[1] + 1}); the vertex was put back.`, 'warning');
            return true;
          }
        }
        const label = g.inserted ? 'Insert vertex' : g.base.kind === 'keypoints' ? 'Move keypoint' : 'Move vertex';
        const current = host.shape(g.id);
        // Deleted during the drag (another window): the drag is dropped rather than bringing the shape back.
        if (current) host.commit(label, [change(g.id, current, { ...current, geometry: after.geometry })]);
        return true;
      }
      case 'marquee': {
        host.setDraft(null);
        const r = rect(g.start, p);
        if (r.w * p.scale < DRAG_PX && r.h * p.scale < DRAG_PX) return true;
        const inside = host.query(r.x, r.y, r.x + r.w, r.y + r.h).filter((id) => {
          const s = host.shape(id);
          if (!s || !host.editable(s)) return false;
          const b = geometryBbox(s.geometry);
          return !!b && b[0] >= r.x && b[1] >= r.y && b[0] + b[2] <= r.x + r.w && b[1] + b[3] <= r.y + r.h;
        });
        host.select(g.additive ? new Set([...g.base, ...inside]) : inside);
        return true;
      }
    }
  }

  override contextMenu(p: PointerInput): boolean {
    const h = this.host.hitHandle(p, p.scale);
    if (!h || h.kind !== 'vertex') return false;
    this.cancel();
    this.host.removeVertex({ shapeId: h.shapeId, index: h.index });
    return true;
  }

  override cancel(): boolean {
    const g = this.gesture;
    if (!g) return false;
    this.gesture = null;
    if (g.kind === 'marquee') {
      this.host.setDraft(null);
      this.host.select(g.base);
    } else this.host.setPreview(null);
    return true;
  }

  override documentReplaced(): void {
    this.cancel();
  }

  private moved(g: Extract<Gesture, { kind: 'move' }>, p: Point): Map<number, Shape> {
    const host = this.host;
    const d = clampMove(p.x - g.start.x, p.y - g.start.y, g.limits, g.whole);
    const out = new Map<number, Shape>();
    for (const id of g.ids) {
      const s = host.shape(id);
      if (!s) continue;
      out.set(id, { ...s, geometry: translateGeometry(s.geometry, d.dx, d.dy, host.width, host.height) });
    }
    return out;
  }

  /** The shape with the dragged vertex at p (null: where it was put, for an inserted vertex not dragged). */
  private vertexMoved(g: Extract<Gesture, { kind: 'vertex' }>, p: Point | null): Shape {
    const host = this.host;
    const geo = g.base.geometry;
    if (geo.type === 'keypoints') {
      const at = clampPoint(p ?? { x: geo.points[3 * g.index], y: geo.points[3 * g.index + 1] }, host.width, host.height);
      const points = geo.points.slice();
      points[3 * g.index] = at.x;
      points[3 * g.index + 1] = at.y;
      return { ...g.base, geometry: { ...geo, points } };
    }
    if (geo.type !== 'polygon') return g.base;
    let points = geo.points.slice();
    if (g.inserted) {
      const e = g.index - 1, n = points.length / 2, j = g.index % n;
      // Where the press was, on the edge: recomputed from the press point so the step is what was previewed.
      const start = clampPoint(g.start, host.width, host.height);
      const ex = points[2 * e], ey = points[2 * e + 1], fx = points[2 * j], fy = points[2 * j + 1];
      const vx = fx - ex, vy = fy - ey, len2 = vx * vx + vy * vy;
      const t = len2 > 0 ? Math.max(0, Math.min(1, ((start.x - ex) * vx + (start.y - ey) * vy) / len2)) : 0;
      const onEdge = clampPoint({ x: ex + t * vx, y: ey + t * vy }, host.width, host.height);
      points = [...points.slice(0, 2 * g.index), onEdge.x, onEdge.y, ...points.slice(2 * g.index)];
    }
    if (p) {
      const at = clampPoint(p, host.width, host.height);
      points[2 * g.index] = at.x;
      points[2 * g.index + 1] = at.y;
    }
    return { ...g.base, geometry: { type: 'polygon', points } };
  }

  private hover(p: PointerInput): void {
    const host = this.host;
    const h = host.hitHandle(p, p.scale);
    if (h) {
      host.setHovered(h.shapeId);
      host.setCursor(handleCursor(h.kind));
      return;
    }
    const hit = host.hitTest(p, p.scale);
    host.setHovered(hit?.id ?? null);
    host.setCursor(hit ? (host.state.selection.has(hit.id) ? 'move' : 'pointer') : 'default');
  }
}

function rect(a: Point, b: Point): { x: number; y: number; w: number; h: number } {
  return { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), w: Math.abs(b.x - a.x), h: Math.abs(b.y - a.y) };
}
