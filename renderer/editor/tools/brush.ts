/**
 * Mask brush (M) and eraser (E). A stroke paints disks of `brushSize` diameter along the pointer's path into a
 * mask at image resolution (the draft), clipped at the image border; at pointer-up it becomes one step with the
 * mask as RLE. The brush paints into the selected mask when exactly one mask is selected, else starts a new mask
 * of the active class (and selects it, so the next stroke adds to it). The eraser erases from the selected mask,
 * else from the topmost mask under the pointer; a mask erased to nothing is deleted.
 */
import { paintStroke, type PixelRect } from '../../../common/geometry/maskEdit.js';
import { decodeRle, encodeRle } from '../../../common/geometry/rle.js';
import { maskBbox, type MaskGeometry } from '../shapes.js';
import type { Draft, Point, PointerInput, Shape } from '../types.js';
import { BaseTool, change, type ToolHost } from './tool.js';

type MaskDraft = Extract<Draft, { kind: 'mask' }>;

export class BrushTool extends BaseTool {
  private last: Point | null = null;
  private target: Shape | null = null;

  constructor(
    host: ToolHost,
    readonly name: 'brush' | 'eraser',
  ) {
    super(host);
  }

  private get erase(): boolean {
    return this.name === 'eraser';
  }

  override busy(): boolean {
    return this.last !== null;
  }

  override pointerDown(p: PointerInput): boolean {
    if (p.button !== 0 || !this.host.width) return false;
    const host = this.host;
    const { width, height } = host;
    const target = this.pickTarget(p);
    if (this.erase && !target) {
      host.notice('There is no mask here to erase from: select a mask, or start on one.', 'info');
      return true;
    }
    this.target = target;
    const data = target ? decodeRle(target.geometry as MaskGeometry) : new Uint8Array(width * height);
    this.last = { x: p.x, y: p.y };
    const draft: MaskDraft = {
      kind: 'mask',
      classId: target ? target.classId : host.state.activeClassId,
      data,
      width,
      height,
      dirty: { x0: 0, y0: 0, x1: width, y1: height },
      version: 0,
      targetId: target?.id ?? null,
      erase: this.erase,
    };
    this.paint(draft, p, p);
    return true;
  }

  override pointerMove(p: PointerInput): boolean {
    this.host.setCursor('crosshair');
    const d = this.draft();
    if (!this.last || !d) return false;
    this.paint(d, this.last, p);
    this.last = { x: p.x, y: p.y };
    return true;
  }

  override pointerUp(p: PointerInput): boolean {
    const d = this.draft();
    if (!this.last || !d) {
      this.last = null;
      return false;
    }
    if (p.x !== this.last.x || p.y !== this.last.y) this.paint(d, this.last, p);
    this.last = null;
    const target = this.target;
    this.target = null;
    this.host.setDraft(null);
    this.commit(d, target);
    return true;
  }

  override cancel(): boolean {
    if (!this.last) return false;
    this.last = null;
    this.target = null;
    this.host.setDraft(null);
    return true;
  }

  override documentReplaced(): void {
    // The stroke goes on; if its mask was deleted meanwhile, the stroke's step re-creates it from what was painted.
  }

  private draft(): MaskDraft | null {
    const d = this.host.state.draft;
    return d && d.kind === 'mask' ? d : null;
  }

  private pickTarget(p: PointerInput): Shape | null {
    const host = this.host;
    const sel = [...host.state.selection].map((id) => host.shape(id)).filter((s): s is Shape => !!s);
    if (sel.length === 1 && sel[0].kind === 'mask' && host.editable(sel[0])) return sel[0];
    if (!this.erase) return null;
    const hit = host.hitTest(p, p.scale, (s) => s.kind === 'mask');
    if (hit) return hit;
    // Under the pointer may be a hole already erased: take the topmost mask whose box the brush reaches.
    const r = host.state.brushSize / 2;
    const near = host
      .query(p.x - r, p.y - r, p.x + r, p.y + r)
      .map((id) => host.shape(id))
      .filter((s): s is Shape => !!s && s.kind === 'mask' && host.editable(s))
      .sort((a, b) => b.id - a.id);
    return near[0] ?? null;
  }

  private paint(d: MaskDraft, from: Point, to: Point): void {
    const r = paintStroke(d.data, d.width, d.height, from.x, from.y, to.x, to.y, this.host.state.brushSize, this.erase ? 0 : 1);
    if (!r) return;
    this.host.setDraft({ ...d, dirty: union(d.dirty, r), version: d.version + 1 });
  }

  private commit(d: MaskDraft, target: Shape | null): void {
    const host = this.host;
    const geometry: MaskGeometry = { type: 'mask', ...encodeRle(d.data, d.width, d.height) };
    const empty = !maskBbox(geometry);
    if (target) {
      const current = host.shape(target.id);
      if (empty) {
        if (current) host.commit('Erase mask', [change(target.id, current, null)]);
        return;
      }
      // A mask deleted meanwhile (another window) comes back with what the stroke painted.
      host.commit(this.erase ? 'Erase' : 'Paint', [change(target.id, current ?? null, { ...(current ?? target), geometry })]);
      // The next stroke goes on with the same mask.
      host.select([target.id]);
      return;
    }
    if (empty) return;
    host.withIds(1, ([id]) => {
      if (host.commit('Paint mask', [change(id, null, host.newShape('mask', geometry, d.classId))])) host.select([id]);
    });
  }
}

function union(a: PixelRect | null, b: PixelRect): PixelRect {
  if (!a) return b;
  return { x0: Math.min(a.x0, b.x0), y0: Math.min(a.y0, b.y0), x1: Math.max(a.x1, b.x1), y1: Math.max(a.y1, b.y1) };
}
