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
import type { Viewport } from '../viewport.js';
import { classColor, DraftMaskCanvas, paintBrushCursor, paintDraft, paintHandles, paintLabels, paintShapes, type PaintStyle } from './paint.js';

/** What the painter needs from the editor. */
export interface PaintSource {
  readonly state: EditorState;
  shapesInView(rect: { x: number; y: number; w: number; h: number }): number[];
  handles(): { shapeId: number; kind: string; index: number; x: number; y: number }[];
}

/** At or below this many shapes in view, paint them directly every frame (crisp, and cheap enough). */
export const DIRECT_PAINT_LIMIT = 300;
/** The view must rest this long before a scaled bitmap is re-rendered crisp. */
const SETTLE_MS = 140;

interface Cache {
  canvas: HTMLCanvasElement;
  version: number;
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
}

export class LabelsPainter {
  staticLayer: Konva.Layer | null = null;
  activeLayer: Konva.Layer | null = null;
  private version = 0;
  private cache: Cache | null = null;
  private settleTimer: ReturnType<typeof setTimeout> | null = null;
  private classMap = new Map<number, LabelClass>();
  private classesRef: readonly LabelClass[] | null = null;
  private readonly draftMask = new DraftMaskCanvas();
  pointer: { x: number; y: number } | null = null;
  private draftTarget: number | null = null;
  readonly stats: PaintStats = { staticShapes: 0, blits: 0, fullPaints: 0 };

  constructor(
    private readonly source: PaintSource,
    private readonly viewport: () => Viewport,
  ) {}

  private style(state: EditorState): PaintStyle {
    if (state.classes !== this.classesRef) {
      this.classesRef = state.classes;
      this.classMap = new Map(state.classes.map((c) => [c.id, c]));
    }
    return { classes: this.classMap, showText: state.showLabelText, lineWidth: 1.5, fillAlpha: 0.16 };
  }

  /** Route one editor notification to the layer(s) it affects. */
  onChange(change: EditorChange): void {
    const draft = this.source.state.draft;
    // A mask being painted is shown by the draft, so its stored self leaves the static layer while the stroke lasts.
    const target = draft?.kind === 'mask' ? draft.targetId : null;
    const targetChanged = target !== this.draftTarget;
    this.draftTarget = target;
    if (change.shapes || change.classes || change.preview || change.view || targetChanged) {
      this.version++;
      this.staticLayer?.batchDraw();
    }
    this.activeLayer?.batchDraw();
  }

  setPointer(p: { x: number; y: number } | null): void {
    this.pointer = p;
    const tool = this.source.state.tool;
    if (tool === 'brush' || tool === 'eraser') this.activeLayer?.batchDraw();
  }

  dispose(): void {
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.cache = null;
    this.draftMask.clear();
  }

  /** The stored shapes that belong on the static layer. */
  private staticShapes(state: EditorState, rect: { x: number; y: number; w: number; h: number }): Shape[] {
    if (state.labelsHidden) return [];
    const draftTarget = state.draft?.kind === 'mask' ? state.draft.targetId : null;
    const out: Shape[] = [];
    for (const id of this.source.shapesInView(rect)) {
      const s = state.shapes.get(id);
      if (!s || state.preview.has(id) || id === draftTarget) continue;
      if (s.classId !== null && state.hiddenClasses.has(s.classId)) continue;
      if (s.kind === 'caption' || s.kind === 'tag') continue;
      out.push(s);
    }
    return out;
  }

  readonly paintStatic = (kctx: Konva.Context): void => {
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
      const inView = this.staticShapes(state, view);
      if (inView.length <= DIRECT_PAINT_LIMIT) {
        this.cache = null;
        const style = this.style(state);
        paintShapes(native, inView, vp, style);
        paintLabels(native, inView, vp, style);
        this.painted(inView.length);
        return;
      }
      const c = this.cache;
      const fresh = c && c.version === this.version && c.pr === pr && covers(c.rect, view);
      if (!fresh || !c) {
        this.renderCache(state, vp, W, H, pr);
      } else if (c.scale !== vp.scale) {
        this.settleLater();
      }
      this.blit(native, vp);
    } finally {
      native.restore();
    }
  };

  private renderCache(state: EditorState, vp: Viewport, W: number, H: number, pr: number): void {
    const mx = Math.round(W / 2);
    const my = Math.round(H / 2);
    const canvas = this.cache?.canvas ?? document.createElement('canvas');
    const cw = Math.ceil((W + 2 * mx) * pr);
    const ch = Math.ceil((H + 2 * my) * pr);
    if (canvas.width !== cw || canvas.height !== ch) {
      canvas.width = cw;
      canvas.height = ch;
    }
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
    this.cache = { canvas, version: this.version, scale: vp.scale, ox: vp.x, oy: vp.y, mx, my, pr, rect };
    this.painted(shapes.length);
  }

  /** The stage container says how many shapes the last full paint drew and when (scripts and benchmarks wait on it). */
  private painted(n: number): void {
    this.stats.staticShapes = n;
    this.stats.fullPaints++;
    const container = this.staticLayer?.getStage()?.container();
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
        c.version = -1;
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

function viewRect(vp: Viewport, W: number, H: number): { x: number; y: number; w: number; h: number } {
  return { x: -vp.x / vp.scale, y: -vp.y / vp.scale, w: W / vp.scale, h: H / vp.scale };
}

function covers(r: { x0: number; y0: number; x1: number; y1: number }, v: { x: number; y: number; w: number; h: number }): boolean {
  return v.x >= r.x0 && v.y >= r.y0 && v.x + v.w <= r.x1 && v.y + v.h <= r.y1;
}
