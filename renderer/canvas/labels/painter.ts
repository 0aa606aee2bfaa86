/**
 * Paints the editor's labels into two Konva layers, imperatively (no React nodes per shape):
 * - the static layer: every stored shape not being edited. Above a few hundred shapes in view it is rendered once
 *   into an offscreen bitmap (with a margin of half a view on each side) and, while the person pans or zooms, that
 *   bitmap is only moved and scaled; a crisp re-render follows when the view rests, when the shapes change, or when
 *   the view leaves the bitmap. So a pan over 6,000 shapes costs about what a pan over none does.
 * - the active layer: the selection (emphasised), shapes under a gesture (preview), the draft, handles and the brush
 *   cursor. A pointer move redraws only this layer.
 */
import type Konva from 'konva';
import type { LabelClass } from '../../../common/api/contract.js';
import type { EditorChange, EditorState, Shape } from '../../editor/types.js';
import { geometryBbox } from '../../editor/shapes.js';
import type { Viewport } from '../viewport.js';
import { classColor, DraftMaskCanvas, paintBrushCursor, paintDraft, paintHandles, paintLabels, paintShapes, type PaintStyle } from './paint.js';

/** What the painter needs from the editor. */
export interface PaintSource {
  readonly state: EditorState;
  /** Ids of the shapes shown in the rectangle; with a `limit`, possibly cut (and unsorted) once more than that. */
  shapesInView(rect: { x: number; y: number; w: number; h: number }, opts?: { limit?: number }): number[];
  handles(): { shapeId: number; kind: string; index: number; x: number; y: number }[];
}

/** More dirty rectangles than this and the whole bitmap is repainted instead. */
const MAX_DIRTY = 64;
/** At or below this many shapes in view, paint them directly every frame (crisp, and cheap enough). */
export const DIRECT_PAINT_LIMIT = 300;
/** The view must rest this long before a scaled bitmap is re-rendered crisp. */
const SETTLE_MS = 140;

interface Cache {
  canvas: HTMLCanvasElement;
  /** Set when the view rested at another scale: repaint crisp at the next frame. */
  stale: boolean;
  scale: number;
  ox: number;
  oy: number;
  mx: number;
  my: number;
  pr: number;
  /** The image-pixel rectangle the bitmap covers. */
  rect: { x0: number; y0: number; x1: number; y1: number };
}

export interface PaintStats {
  /** Shapes painted by the last full (non-cached) static paint. */
  staticShapes: number;
  /** Static frames served from the bitmap / painted in full, since the painter was made. */
  blits: number;
  fullPaints: number;
  /** Rectangles of the bitmap repainted after small edits. */
  dirtyRepaints: number;
}

export class LabelsPainter {
  staticLayer: Konva.Layer | null = null;
  /** The stage the static layer was last drawn on (see paintStatic). */
  private drawnOn: Konva.Stage | null = null;
  activeLayer: Konva.Layer | null = null;
  private cache: Cache | null = null;
  /** The previous bitmap, reused by the next recenter. */
  private spare: HTMLCanvasElement | null = null;
  private settleTimer: ReturnType<typeof setTimeout> | null = null;
  private classMap = new Map<number, LabelClass>();
  private classesRef: readonly LabelClass[] | null = null;
  private readonly draftMask = new DraftMaskCanvas();
  pointer: { x: number; y: number } | null = null;
  private draftTarget: number | null = null;
  private prevState: EditorState | null = null;
  /** Image-pixel rectangles to repaint in the bitmap before its next use. */
  private dirty: { x0: number; y0: number; x1: number; y1: number }[] = [];
  /** The bitmap must be repainted whole. */
  private full = true;
  readonly stats: PaintStats = { staticShapes: 0, blits: 0, fullPaints: 0, dirtyRepaints: 0 };

  constructor(
    private readonly source: PaintSource,
    private readonly viewport: () => Viewport,
  ) {}

  private style(state: EditorState): PaintStyle {
    if (state.classes !== this.classesRef) {
      this.classesRef = state.classes;
      this.classMap = new Map(state.classes.map((c) => [c.id, c]));
    }
    return { classes: this.classMap, showText: state.showLabelText, lineWidth: 1, fillAlpha: 0.16 };
  }

  /**
   * Route one editor notification to the layer(s) it affects. A change to a few shapes repaints only the rectangles
   * they covered before and cover now (in the bitmap, when there is one); classes, visibility and a new image
   * repaint everything.
   */
  onChange(change: EditorChange): void {
    const state = this.source.state;
    const prev = this.prevState ?? state;
    this.prevState = state;
    const draft = state.draft;
    // A mask being painted is shown by the draft, so its stored self leaves the static layer while the stroke lasts.
    const target = draft?.kind === 'mask' ? draft.targetId : null;
    const prevTarget = this.draftTarget;
    this.draftTarget = target;
    let changed = false;
    if (change.classes || change.view || change.shapes === 'all' || prev.image?.id !== state.image?.id) {
      this.full = true;
      changed = true;
    } else {
      const ids = new Set<number>();
      if (Array.isArray(change.shapes)) for (const id of change.shapes) ids.add(id);
      // Shapes entering or leaving a gesture leave or re-enter the static layer; moves within the gesture do not
      // touch it (they are the active layer's).
      if (prev.preview !== state.preview) {
        for (const id of prev.preview.keys()) if (!state.preview.has(id)) ids.add(id);
        for (const id of state.preview.keys()) if (!prev.preview.has(id)) ids.add(id);
      }
      if (target !== prevTarget) {
        if (target !== null) ids.add(target);
        if (prevTarget !== null) ids.add(prevTarget);
      }
      for (const id of ids) {
        for (const s of [prev.shapes.get(id), state.shapes.get(id)]) {
          const b = s ? geometryBbox(s.geometry) : null;
          if (b) this.dirty.push({ x0: b[0], y0: b[1], x1: b[0] + b[2], y1: b[1] + b[3] });
        }
      }
      if (ids.size) changed = true;
      if (this.dirty.length > MAX_DIRTY) this.full = true;
    }
    this.syncVisibility();
    // An image's labels just read: paint them now rather than at the next animation frame, which would come after
    // React has rendered the panels for them.
    if (changed && change.shapes === 'all' && state.order.length > 0) this.staticLayer?.draw();
    else if (changed) this.staticLayer?.batchDraw();
    this.activeLayer?.batchDraw();
  }

  setPointer(p: { x: number; y: number } | null): void {
    this.pointer = p;
    const tool = this.source.state.tool;
    if (tool === 'brush' || tool === 'eraser') {
      this.syncVisibility();
      this.activeLayer?.batchDraw();
    }
  }

  /**
   * A layer with nothing to draw is hidden: a shown layer is a canvas the page composites on every frame, and the
   * active one is empty most of the time (nothing selected, no gesture), the static one while an image's labels are
   * on their way (or when it has none).
   */
  syncVisibility(): void {
    const state = this.source.state;
    const tool = state.tool;
    const active =
      state.draft !== null ||
      (!state.labelsHidden && (state.selection.size > 0 || state.preview.size > 0)) ||
      ((tool === 'brush' || tool === 'eraser') && this.pointer !== null);
    if (this.activeLayer && this.activeLayer.visible() !== active) this.activeLayer.visible(active);
    const stored = state.shapes.size > 0;
    if (this.staticLayer && this.staticLayer.visible() !== stored) this.staticLayer.visible(stored);
  }

  dispose(): void {
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.drawnOn = null;
    this.cache = null;
    this.draftMask.clear();
  }

  /** The stored shapes that belong on the static layer. */
  private staticShapes(state: EditorState, rect: { x: number; y: number; w: number; h: number }): Shape[] {
    return state.labelsHidden ? [] : this.onStatic(state, this.source.shapesInView(rect));
  }

  /** The static layer's shapes in view if they are few enough to paint directly (DIRECT_PAINT_LIMIT), else null. */
  private fewInView(state: EditorState, view: { x: number; y: number; w: number; h: number }): Shape[] | null {
    if (state.labelsHidden) return [];
    const ids = this.source.shapesInView(view, { limit: DIRECT_PAINT_LIMIT });
    if (ids.length > DIRECT_PAINT_LIMIT) return null;
    const shapes = this.onStatic(state, ids);
    return shapes.length <= DIRECT_PAINT_LIMIT ? shapes : null;
  }

  /** Of `ids`, the stored shapes the static layer paints (not under a gesture, a class shown, not text). */
  private onStatic(state: EditorState, ids: readonly number[]): Shape[] {
    const draftTarget = state.draft?.kind === 'mask' ? state.draft.targetId : null;
    const out: Shape[] = [];
    for (const id of ids) {
      const s = state.shapes.get(id);
      if (!s || state.preview.has(id) || id === draftTarget) continue;
      if (s.classId !== null && state.hiddenClasses.has(s.classId)) continue;
      if (s.kind === 'caption' || s.kind === 'tag') continue;
      out.push(s);
    }
    return out;
  }

  readonly paintStatic = (kctx: Konva.Context, shape?: Konva.Shape): void => {
    // Konva may draw the layer as it mounts, before EditorLayers' effect has handed it over (an image's labels that
    // arrived before its layers did): the shape drawn knows its stage either way.
    this.drawnOn = shape?.getStage() ?? this.drawnOn;
    const native = kctx._context;
    const layerCanvas = kctx.getCanvas();
    const pr = layerCanvas.getPixelRatio();
    const W = layerCanvas.width / pr;
    const H = layerCanvas.height / pr;
    const vp = this.viewport();
    const state = this.source.state;
    native.save();
    native.setTransform(pr, 0, 0, pr, 0, 0);
    try {
      const view = viewRect(vp, W, H);
      // Counted with a limit: thousands in view are not listed only to learn that they are more than a few hundred.
      const inView = this.fewInView(state, view);
      if (inView) {
        this.cache = null;
        this.dirty = [];
        this.full = false;
        const style = this.style(state);
        paintShapes(native, inView, vp, style);
        paintLabels(native, inView, vp, style);
        this.painted(inView.length);
        return;
      }
      const c = this.cache;
      if (c && !this.full && !c.stale && c.pr === pr && c.scale === vp.scale && !covers(c.rect, view)) this.recenter(vp, W, H);
      if (!c || this.full || c.stale || c.pr !== pr || !covers(c.rect, view)) {
        this.renderCache(state, vp, W, H, pr);
      } else {
        if (this.dirty.length) this.repaintDirty(state);
        if (c.scale !== vp.scale) this.settleLater();
      }
      this.blit(native, vp);
    } finally {
      native.restore();
    }
  };

  /**
   * Make the bitmap's canvas for the layer's present size ahead of the first paint that needs it (while an image's
   * labels are on their way): a stage-sized bitmap four times the view's area takes a while to allocate.
   */
  prepareBitmap(): void {
    const layerCanvas = this.staticLayer?.getCanvas();
    if (!layerCanvas || this.cache || this.spare) return;
    const pr = layerCanvas.getPixelRatio();
    const W = layerCanvas.width / pr;
    const H = layerCanvas.height / pr;
    if (!W || !H) return;
    const canvas = bitmapCanvas(null, W, H, pr);
    canvas.getContext('2d')!.clearRect(0, 0, 1, 1); // allocates its pixels
    this.spare = canvas;
  }

  private renderCache(state: EditorState, vp: Viewport, W: number, H: number, pr: number): void {
    const mx = Math.round(W / 2);
    const my = Math.round(H / 2);
    // The spare canvas (the one prepareBitmap made, or recenter's previous bitmap) when there is no bitmap yet.
    let canvas = this.cache?.canvas ?? null;
    if (!canvas && this.spare) {
      canvas = this.spare;
      this.spare = null;
    }
    canvas = bitmapCanvas(canvas, W, H, pr);
    const cw = canvas.width;
    const ch = canvas.height;
    const ctx = canvas.getContext('2d')!;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, cw, ch);
    ctx.setTransform(pr, 0, 0, pr, 0, 0);
    const cvp = { scale: vp.scale, x: vp.x + mx, y: vp.y + my };
    const rect = { x0: (-mx - vp.x) / vp.scale, y0: (-my - vp.y) / vp.scale, x1: (W + mx - vp.x) / vp.scale, y1: (H + my - vp.y) / vp.scale };
    const shapes = this.staticShapes(state, { x: rect.x0, y: rect.y0, w: rect.x1 - rect.x0, h: rect.y1 - rect.y0 });
    const style = this.style(state);
    paintShapes(ctx, shapes, cvp, style);
    paintLabels(ctx, shapes, cvp, style);
    this.cache = { canvas, stale: false, scale: vp.scale, ox: vp.x, oy: vp.y, mx, my, pr, rect };
    this.dirty = [];
    this.full = false;
    this.painted(shapes.length);
  }

  /**
   * A pan that left the bitmap at the same scale: move what is painted with the view and mark only the strips that
   * came into it as dirty, so panning across a large image never repaints every shape.
   */
  private recenter(vp: Viewport, W: number, H: number): void {
    const c = this.cache!;
    const dx = Math.round((vp.x - c.ox) * c.pr);
    const dy = Math.round((vp.y - c.oy) * c.pr);
    if (Math.abs(dx) >= c.canvas.width || Math.abs(dy) >= c.canvas.height) return; // nothing left to keep
    const next = this.spare ?? document.createElement('canvas');
    next.width = c.canvas.width;
    next.height = c.canvas.height;
    const ctx = next.getContext('2d')!;
    ctx.clearRect(0, 0, next.width, next.height);
    ctx.drawImage(c.canvas, dx, dy);
    this.spare = c.canvas;
    const old = c.rect;
    // Whole device pixels moved: the offset the bitmap now stands for.
    c.ox += dx / c.pr;
    c.oy += dy / c.pr;
    c.canvas = next;
    c.rect = { x0: (-c.mx - c.ox) / c.scale, y0: (-c.my - c.oy) / c.scale, x1: (W + c.mx - c.ox) / c.scale, y1: (H + c.my - c.oy) / c.scale };
    const r = c.rect;
    if (r.x0 < old.x0) this.dirty.push({ x0: r.x0, y0: r.y0, x1: old.x0, y1: r.y1 });
    if (r.x1 > old.x1) this.dirty.push({ x0: old.x1, y0: r.y0, x1: r.x1, y1: r.y1 });
    if (r.y0 < old.y0) this.dirty.push({ x0: r.x0, y0: r.y0, x1: r.x1, y1: old.y0 });
    if (r.y1 > old.y1) this.dirty.push({ x0: r.x0, y0: old.y1, x1: r.x1, y1: r.y1 });
  }

  /** Repaint the dirty rectangles of the bitmap: clear each, then paint the shapes that meet it, clipped to it. */
  private repaintDirty(state: EditorState): void {
    const c = this.cache!;
    const ctx = c.canvas.getContext('2d')!;
    const s = c.scale;
    const cvp = { scale: s, x: c.ox + c.mx, y: c.oy + c.my };
    const style = this.style(state);
    // Strokes and handles spill a few screen pixels past a shape's box; its name tag sits above and to the right.
    const pad = 4 / s;
    const text = style.showText ? { up: 20 / s, right: 200 / s } : { up: 0, right: 0 };
    ctx.save();
    ctx.setTransform(c.pr, 0, 0, c.pr, 0, 0);
    for (const d of this.dirty) {
      const x0 = d.x0 - pad, y0 = d.y0 - pad - text.up, x1 = d.x1 + pad + text.right, y1 = d.y1 + pad;
      const sx0 = Math.floor(x0 * s + cvp.x), sy0 = Math.floor(y0 * s + cvp.y);
      const sx1 = Math.ceil(x1 * s + cvp.x), sy1 = Math.ceil(y1 * s + cvp.y);
      ctx.save();
      ctx.beginPath();
      ctx.rect(sx0, sy0, sx1 - sx0, sy1 - sy0);
      ctx.clip();
      ctx.clearRect(sx0, sy0, sx1 - sx0, sy1 - sy0);
      // Shapes whose name tags reach into the rectangle start below and to the left of it.
      const q = { x: x0 - text.right, y: y0, w: x1 - x0 + text.right, h: y1 - y0 + text.up };
      const shapes = this.staticShapes(state, q);
      paintShapes(ctx, shapes, cvp, style);
      paintLabels(ctx, shapes, cvp, style);
      ctx.restore();
    }
    ctx.restore();
    this.stats.dirtyRepaints += this.dirty.length;
    this.dirty = [];
  }

  /** The stage container says how many shapes the last full paint drew and when (scripts and benchmarks wait on it). */
  private painted(n: number): void {
    this.stats.staticShapes = n;
    this.stats.fullPaints++;
    const container = (this.staticLayer?.getStage() ?? this.drawnOn)?.container();
    if (container) {
      container.dataset.labelsPainted = String(n);
      container.dataset.labelsPaintedAt = String(performance.now());
    }
  }

  private blit(native: CanvasRenderingContext2D, vp: Viewport): void {
    const c = this.cache!;
    const f = vp.scale / c.scale;
    const smoothing = native.imageSmoothingEnabled;
    native.imageSmoothingEnabled = f < 1;
    native.drawImage(c.canvas, vp.x - (c.mx + c.ox) * f, vp.y - (c.my + c.oy) * f, (c.canvas.width / c.pr) * f, (c.canvas.height / c.pr) * f);
    native.imageSmoothingEnabled = smoothing;
    this.stats.blits++;
  }

  /** After the zoom rests, paint the bitmap again at the new scale. */
  private settleLater(): void {
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => {
      this.settleTimer = null;
      const c = this.cache;
      if (c && c.scale !== this.viewport().scale) {
        c.stale = true;
        this.staticLayer?.batchDraw();
      }
    }, SETTLE_MS);
  }

  readonly paintActive = (kctx: Konva.Context): void => {
    const native = kctx._context;
    const pr = kctx.getCanvas().getPixelRatio();
    const vp = this.viewport();
    const state = this.source.state;
    native.save();
    native.setTransform(pr, 0, 0, pr, 0, 0);
    try {
      const style = this.style(state);
      if (!state.labelsHidden) {
        const emphasised: Shape[] = [];
        for (const id of state.selection) {
          const s = state.preview.get(id) ?? state.shapes.get(id);
          if (s && s.kind !== 'caption' && s.kind !== 'tag') emphasised.push(s);
        }
        for (const [id, s] of state.preview) if (!state.selection.has(id)) emphasised.push(s);
        if (emphasised.length) paintShapes(native, emphasised, vp, style, true);
      }
      const draft = state.draft;
      if (draft) {
        const mask = draft.kind === 'mask' ? this.draftMask.update(draft, classColor(style.classes, draft.classId)) : null;
        paintDraft(native, draft, vp, style, mask);
      } else {
        this.draftMask.clear();
      }
      if (!state.labelsHidden) paintHandles(native, this.source.handles() as never, vp, state.selectedVertex);
      if ((state.tool === 'brush' || state.tool === 'eraser') && this.pointer) {
        paintBrushCursor(native, this.pointer, state.brushSize, vp, state.tool === 'eraser');
      }
    } finally {
      native.restore();
    }
  };
}

/** A canvas (`canvas`, else a new one) sized for the bitmap of a W × H view at pixel ratio pr: half a view of margin all round. */
function bitmapCanvas(canvas: HTMLCanvasElement | null, W: number, H: number, pr: number): HTMLCanvasElement {
  const c = canvas ?? document.createElement('canvas');
  const cw = Math.ceil((W + 2 * Math.round(W / 2)) * pr);
  const ch = Math.ceil((H + 2 * Math.round(H / 2)) * pr);
  if (c.width !== cw || c.height !== ch) {
    c.width = cw;
    c.height = ch;
  }
  return c;
}

function viewRect(vp: Viewport, W: number, H: number): { x: number; y: number; w: number; h: number } {
  return { x: -vp.x / vp.scale, y: -vp.y / vp.scale, w: W / vp.scale, h: H / vp.scale };
}

function covers(r: { x0: number; y0: number; x1: number; y1: number }, v: { x: number; y: number; w: number; h: number }): boolean {
  return v.x >= r.x0 && v.y >= r.y0 && v.x + v.w <= r.x1 && v.y + v.h <= r.y1;
}
