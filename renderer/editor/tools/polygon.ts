/**
 * Polygon (P) and polyline (L): click the points; a polygon closes on a click on its first point, a double click
 * or Enter; a polyline finishes on a double click or Enter. Backspace takes back the last point, Esc drops the
 * draft. Refusals keep the draft so it can be fixed: fewer than 3 points (the contract stores a polyline as a
 * polygon marked `polyline: true`, and a polygon needs 3 points, so a polyline needs 3 too), a polygon with no
 * area, a polygon whose edges cross.
 */
import { ringSelfIntersection } from '../../../common/geometry/segments.js';
import { clampPoint, polygonHasArea, POLYLINE_ATTRIBUTE } from '../shapes.js';
import type { Draft, PointerInput } from '../types.js';
import { BaseTool, change, CLOSE_PX, DOUBLE_CLICK_MS, DOUBLE_CLICK_PX, type ToolHost } from './tool.js';

type PolygonDraft = Extract<Draft, { kind: 'polygon' }>;

export class PolygonTool extends BaseTool {
  private lastPress: { x: number; y: number; time: number } | null = null;

  constructor(
    host: ToolHost,
    readonly name: 'polygon' | 'polyline',
  ) {
    super(host);
  }

  private get polyline(): boolean {
    return this.name === 'polyline';
  }

  private draft(): PolygonDraft | null {
    const d = this.host.state.draft;
    return d && d.kind === 'polygon' ? d : null;
  }

  override busy(): boolean {
    return this.draft() !== null;
  }

  override pointerDown(p: PointerInput): boolean {
    if (p.button !== 0 || !this.host.width) return false;
    const host = this.host;
    const at = clampPoint(p, host.width, host.height);
    const d = this.draft();
    const last = this.lastPress;
    this.lastPress = { x: p.x, y: p.y, time: p.time };
    if (!d) {
      host.setDraft({ kind: 'polygon', points: [at.x, at.y], cursor: at, closed: false, polyline: this.polyline, classId: host.state.activeClassId });
      return true;
    }
    const n = d.points.length / 2;
    // The second press of a double click lands on the point the first one placed: finish instead of adding it.
    if (last && p.time - last.time <= DOUBLE_CLICK_MS && Math.hypot(p.x - last.x, p.y - last.y) * p.scale <= DOUBLE_CLICK_PX) {
      this.finish();
      return true;
    }
    if (!this.polyline && n >= 3 && Math.hypot(at.x - d.points[0], at.y - d.points[1]) * p.scale <= CLOSE_PX) {
      this.finish();
      return true;
    }
    const lx = d.points[d.points.length - 2], ly = d.points[d.points.length - 1];
    if (Math.hypot(at.x - lx, at.y - ly) * p.scale < 1) return true; // the same point again
    host.setDraft({ ...d, points: [...d.points, at.x, at.y], cursor: at });
    return true;
  }

  override pointerMove(p: PointerInput): boolean {
    const d = this.draft();
    this.host.setCursor('crosshair');
    if (!d) return false;
    this.host.setDraft({ ...d, cursor: clampPoint(p, this.host.width, this.host.height) });
    return true;
  }

  override pointerUp(_p: PointerInput): boolean {
    return this.draft() !== null;
  }

  override doubleClick(_p: PointerInput): boolean {
    if (!this.draft()) return false;
    this.finish();
    return true;
  }

  override finish(): boolean {
    const d = this.draft();
    if (!d) return false;
    const host = this.host;
    const points = dedupe(d.points);
    const what = this.polyline ? 'polyline' : 'polygon';
    if (points.length < 6) {
      host.notice(
        this.polyline
          ? `A polyline needs at least 3 points here (lines are stored as polygons, which need 3); it has ${points.length / 2}. Keep clicking, or Esc to cancel.`
          : `A polygon needs at least 3 points; it has ${points.length / 2}. Keep clicking, or Esc to cancel.`,
        'warning',
      );
      return true;
    }
    if (!this.polyline) {
      if (onOneLine(points)) {
        host.notice('The points lie on one line, so the polygon has no area; it was not created. Add a point off the line, or Esc to cancel.', 'warning');
        return true;
      }
      const crossing = ringSelfIntersection(points);
      if (crossing) {
        host.notice(
          `The polygon crosses itself (edges ${crossing[0] + 1} and ${crossing[1] + 1}), so it was not created. Remove points with Backspace until no edges cross, or Esc to cancel.`,
          'warning',
        );
        return true;
      }
      if (!polygonHasArea(points)) {
        host.notice('The points lie on one line, so the polygon has no area; it was not created. Add a point off the line, or Esc to cancel.', 'warning');
        return true;
      }
    }
    host.setDraft(null);
    this.lastPress = null;
    const attributes: Record<string, boolean> = this.polyline ? { [POLYLINE_ATTRIBUTE]: true } : {};
    host.withIds(1, ([id]) => {
      const s = host.newShape('polygon', { type: 'polygon', points }, d.classId, attributes);
      if (host.commit(`Draw ${what}`, [change(id, null, s)])) host.select([id]);
    });
    return true;
  }

  override cancel(): boolean {
    if (!this.draft()) return false;
    this.host.setDraft(null);
    this.lastPress = null;
    return true;
  }

  override deleteKey(): boolean {
    const d = this.draft();
    if (!d) return false;
    if (d.points.length <= 2) this.host.setDraft(null);
    else this.host.setDraft({ ...d, points: d.points.slice(0, -2) });
    return true;
  }
}

function onOneLine(points: readonly number[]): boolean {
  const [x0, y0] = points;
  let dx = 0, dy = 0;
  for (let i = 2; i < points.length; i += 2) {
    const ux = points[i] - x0, uy = points[i + 1] - y0;
    if (dx === 0 && dy === 0) [dx, dy] = [ux, uy];
    else if (Math.abs(dx * uy - dy * ux) > 1e-9) return false;
  }
  return true;
}

/** Drop consecutive repeats (and a last point equal to the first). */
function dedupe(points: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < points.length; i += 2) {
    const n = out.length;
    if (n && out[n - 2] === points[i] && out[n - 1] === points[i + 1]) continue;
    out.push(points[i], points[i + 1]);
  }
  while (out.length > 2 && out[0] === out[out.length - 2] && out[1] === out[out.length - 1]) out.length -= 2;
  return out;
}
