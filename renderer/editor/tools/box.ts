/** Box (B): press, drag, release. A box under 1 px in width or height is refused when the drag ends. */
import { clampPoint } from '../shapes.js';
import type { Point, PointerInput } from '../types.js';
import { BaseTool, change } from './tool.js';

export class BoxTool extends BaseTool {
  readonly name = 'box' as const;
  private start: Point | null = null;

  override busy(): boolean {
    return this.start !== null;
  }

  override pointerDown(p: PointerInput): boolean {
    if (p.button !== 0 || !this.host.width) return false;
    this.start = clampPoint(p, this.host.width, this.host.height);
    this.host.setDraft({ kind: 'box', x: this.start.x, y: this.start.y, w: 0, h: 0, classId: this.host.state.activeClassId });
    return true;
  }

  override pointerMove(p: PointerInput): boolean {
    if (!this.start) {
      this.host.setCursor('crosshair');
      return false;
    }
    this.host.setDraft({ kind: 'box', ...this.box(p), classId: this.classId() });
    return true;
  }

  override pointerUp(p: PointerInput): boolean {
    if (!this.start) return false;
    const box = this.box(p);
    const classId = this.classId();
    this.start = null;
    this.host.setDraft(null);
    if (box.w < 1 || box.h < 1) {
      this.host.notice(`A box needs at least 1 px of width and height (this one was ${fmt(box.w)} × ${fmt(box.h)} px); nothing was drawn.`, 'warning');
      return true;
    }
    const host = this.host;
    host.withIds(1, ([id]) => {
      if (host.commit('Draw box', [change(id, null, host.newShape('box', { type: 'box', ...box }, classId))])) host.select([id]);
    });
    return true;
  }

  override cancel(): boolean {
    if (!this.start) return false;
    this.start = null;
    this.host.setDraft(null);
    return true;
  }

  private classId(): number | null {
    const d = this.host.state.draft;
    return d && d.kind === 'box' ? d.classId : this.host.state.activeClassId;
  }

  private box(p: Point): { x: number; y: number; w: number; h: number } {
    const a = this.start!, b = clampPoint(p, this.host.width, this.host.height);
    return { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), w: Math.abs(b.x - a.x), h: Math.abs(b.y - a.y) };
  }
}

function fmt(v: number): string {
  return String(Math.round(v * 100) / 100);
}
