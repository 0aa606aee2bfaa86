/**
 * The headless editor: one image's shapes and the project's classes, the tools that edit them, per-image undo
 * and redo, and the queue that saves every step. No React, no Konva, no DOM: the canvas feeds it pointer and key
 * input in image pixels and draws `state`; `subscribe` says what changed so it redraws only that.
 *
 * Two copies of the document are kept. `confirmed` is what the server acknowledged (its last read plus every
 * acknowledged operation); the local one, shown in `state`, is `confirmed` plus the operations still queued,
 * applied at once (optimistic). When the server refuses an operation for good, the local document is rebuilt as
 * `confirmed` plus what is still queued, which takes back exactly that step. A step only ever sets rows, so
 * replaying a queued operation the server had in fact already applied changes nothing (see document.ts).
 */
import {
  type AnnotationKind,
  type AnnotationState,
  type AnnotationColumns,
  type ClassState,
  type EditChange,
  type Geometry,
  type ImageRow,
  type KeypointTemplate,
  type LabelClass,
  type EventPayload,
  type CallResponse,
} from '../../common/api/contract.js';
import { maskToPolygons as traceMask, polygonToMask as fillPolygon } from '../../common/geometry/polygon.js';
import { decodeRle, encodeRle } from '../../common/geometry/rle.js';
import {
  applyChanges,
  classState,
  cloneDoc,
  newTouched,
  replayOp,
  sameValue,
  trimUndo,
  type DocData,
  type SaveOp,
  type StepEntry,
  type Touched,
} from './document.js';
import { IdPool, randomToken } from './ids.js';
import { errorCode, errorText, SaveQueue } from './saveQueue.js';
import {
  clampMove,
  fitGeometry,
  geometryBbox,
  hitShape,
  isPolyline,
  isSpatial,
  maskBbox,
  moveLimits,
  polygonHasArea,
  shapeHandles,
  translateGeometry,
  type MaskGeometry,
} from './shapes.js';
import { matchShortcut, type EditorCommand } from './shortcuts.js';
import { SpatialGrid } from './spatial.js';
import { BoxTool } from './tools/box.js';
import { BrushTool } from './tools/brush.js';
import { KeypointsTool } from './tools/keypoints.js';
import { PolygonTool } from './tools/polygon.js';
import { SelectTool } from './tools/select.js';
import { change, HANDLE_PX, HIT_PX, stripId, type Tool, type ToolHost } from './tools/tool.js';
import type {
  Draft,
  EditorChange,
  EditorState,
  EditorTransport,
  Handle,
  KeyInput,
  Point,
  PointerInput,
  Shape,
  ToolName,
  VertexRef,
} from './types.js';

export type EditorImage = Pick<ImageRow, 'id' | 'width' | 'height' | 'missing' | 'status'>;

export interface EditorOptions {
  transport: EditorTransport;
  /** Names this window in the server's events, so its own edits are told from another window's. Random if left out. */
  client?: string;
  now?: () => number;
  /** Save retries: first wait and longest wait (ms). Defaults 250 and 5000. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Annotation ids reserved at a time. Default 256. */
  idBatch?: number;
}

/** A prediction to accept as a label (see `Editor.acceptPredictions`). */
export interface AcceptPrediction {
  predictionId: number;
  kind: AnnotationKind;
  /** In the image's pixels (a mask at the image's resolution). */
  geometry: Geometry;
  classId: number | null;
}

/**
 * A shape accepted from a model and then changed (its geometry or its class) is no longer the model's answer: the
 * change marks it `model-edited`, so "how many labels did the model get right as they were" stays answerable. Undo
 * gives back the `before`, origin `model` included.
 */
function markModelEdited(c: EditChange): EditChange {
  if (c.t !== 'annotation' || !c.before || !c.after || c.before.origin !== 'model' || c.after.origin !== 'model') return c;
  if (sameValue(c.before.geometry, c.after.geometry) && c.before.classId === c.after.classId) return c;
  return { ...c, after: { ...c.after, origin: 'model-edited' } };
}

export type DeleteClassMode = { kind: 'unclassify' } | { kind: 'reassign'; to: number };

export type AttributePatch = Record<string, string | number | boolean | null | undefined>;

type Listener = (change: EditorChange, state: EditorState) => void;

/** Tableau 10, as the server's default class colours. */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const EMPTY_SHAPES: ReadonlyMap<number, Shape> = new Map();
const EMPTY_IDS: ReadonlySet<number> = new Set();
/** The state of an editor showing no document yet (a load starting, or an unload). */
const NO_DOCUMENT = {
  shapes: EMPTY_SHAPES,
  order: [],
  preview: EMPTY_SHAPES,
  selection: EMPTY_IDS,
  selectedVertex: null,
  draft: null,
  hovered: null,
  canUndo: false,
  canRedo: false,
  undoLabel: null,
  redoLabel: null,
} satisfies Partial<EditorState>;
/** Handles are offered for at most this many selected shapes (a select-all of thousands shows none). */
const MAX_HANDLE_SHAPES = 200;
const DUPLICATE_OFFSET = 10;
const BRUSH_MIN = 1;
const BRUSH_MAX = 1000;

function initialState(): EditorState {
  return {
    image: null,
    shapes: EMPTY_SHAPES,
    order: [],
    classes: [],
    preview: EMPTY_SHAPES,
    selection: EMPTY_IDS,
    selectedVertex: null,
    tool: 'select',
    activeClassId: null,
    draft: null,
    brushSize: 20,
    hiddenClasses: EMPTY_IDS,
    lockedClasses: EMPTY_IDS,
    labelsHidden: false,
    showLabelText: true,
    save: { state: 'saved', pending: 0, error: null },
    canUndo: false,
    canRedo: false,
    undoLabel: null,
    redoLabel: null,
    notice: null,
    loading: false,
    hovered: null,
    clipboard: 0,
    cursor: 'default',
  };
}

/** The shapes of `annotations.shapes`' columns, by id: what a step's `before` is taken from. */
export function shapesFromColumns(c: AnnotationColumns): Map<number, Shape> {
  const out = new Map<number, Shape>();
  for (let i = 0; i < c.ids.length; i++) {
    const id = c.ids[i];
    out.set(id, {
      id,
      imageId: c.imageId,
      classId: c.classIds[i],
      kind: c.kinds[i],
      geometry: c.geometry[i],
      attributes: c.attributes[i] ?? {},
      origin: c.origins[i],
      derivedFrom: c.derivedFrom[i],
    });
  }
  return out;
}

function normalizeClass(c: LabelClass): LabelClass {
  return { id: c.id, name: c.name, color: c.color, hotkey: c.hotkey ?? null, position: c.position, keypoints: c.keypoints ?? null };
}

function sortedClasses(m: ReadonlyMap<number, LabelClass>): LabelClass[] {
  return [...m.values()].sort((a, b) => a.position - b.position || a.id - b.id);
}

function mergeChange(a: EditorChange, b: EditorChange): EditorChange {
  const out: EditorChange = { ...a };
  for (const [k, v] of Object.entries(b) as [keyof EditorChange, unknown][]) {
    if (k === 'shapes') {
      const prev = out.shapes;
      const next = v as number[] | 'all';
      out.shapes = prev === 'all' || next === 'all' ? 'all' : prev ? [...new Set([...prev, ...next])] : next;
    } else if (v) (out as Record<string, unknown>)[k] = true;
  }
  return out;
}

/** A read of one image's labels started ahead of its `load` (see `Editor.prefetch`). */
export interface EditorPrefetch {
  readonly imageId: number;
  /** Settles when the read has (whether it failed or not). */
  readonly settled: Promise<void>;
}

/** One read of an image's document, as the server answered it. */
interface DocRead {
  history: CallResponse<'edits.history'>;
  annotations: CallResponse<'annotations.shapes'>;
  classes: CallResponse<'classes.list'>;
}

interface Prefetch extends EditorPrefetch {
  readonly read: Promise<DocRead>;
  /** Operations acknowledged since the read began: replayed over what it read, as a load's own. */
  readonly acks: SaveOp[];
  /** Another window changed the image or the classes since the read began: a load reads again. */
  stale: boolean;
  /** The read failed: a load reads again. */
  failed: boolean;
  /** The project it was read in. */
  readonly project: number;
}

export class Editor {
  state: EditorState = initialState();
  readonly client: string;

  private readonly transport: EditorTransport;
  private readonly now: () => number;
  private readonly listeners = new Set<Listener>();
  private readonly queue: SaveQueue;
  private readonly ids: IdPool;
  private readonly classIds: IdPool;
  private readonly tools: Record<ToolName, Tool>;
  private readonly host: ToolHost;
  private grid = new SpatialGrid();
  /** The server's view of the current image (last read + acknowledged operations). */
  private confirmed: DocData | null = null;
  /** The document shown: `confirmed` plus queued operations. Its maps are replaced, never changed, once in `state`. */
  private local: DocData | null = null;
  private clip: { shapes: AnnotationState[]; width: number; height: number } | null = null;
  private loadSeq = 0;
  /** Operations acknowledged while a load reads the server: replayed over what it read. */
  private loadAcks: SaveOp[] | null = null;
  private reloading: Promise<void> | null = null;
  /** Said when the running reload lands (why it happened). */
  private reloadNotice: { text: string; level: 'info' | 'warning' } | null = null;
  private reloadAgain = false;
  /** Reads started by `prefetch` that no load has taken yet. */
  private readonly prefetches = new Set<Prefetch>();
  private readonly creating = new Set<Promise<unknown>>();
  private batchDepth = 0;
  private pendingChange: EditorChange | null = null;
  private unsubscribeProject: (() => void) | null = null;
  private disposed = false;
  /** Project opens and closes seen: steps and reserved ids belong to the project they were made in. */
  private project = 0;

  constructor(opts: EditorOptions) {
    this.transport = opts.transport;
    this.client = opts.client ?? randomToken(16);
    this.now = opts.now ?? (() => Date.now());
    this.ids = new IdPool(this.transport, 'annotations', opts.idBatch ?? 256);
    this.classIds = new IdPool(this.transport, 'classes', 8);
    this.queue = new SaveQueue({
      transport: this.transport,
      client: this.client,
      retryBaseMs: opts.retryBaseMs,
      retryMaxMs: opts.retryMaxMs,
      onAck: (op, status) => this.acknowledged(op, status),
      onRefused: (op, err) => this.refused(op, err),
      onConflict: (op, err) => this.conflicted(op, err),
      onState: () => this.batch(() => this.set({ save: this.queue.state }, { save: true })),
      project: () => this.project,
    });
    this.host = this.makeHost();
    this.tools = {
      select: new SelectTool(this.host),
      box: new BoxTool(this.host),
      polygon: new PolygonTool(this.host, 'polygon'),
      polyline: new PolygonTool(this.host, 'polyline'),
      brush: new BrushTool(this.host, 'brush'),
      eraser: new BrushTool(this.host, 'eraser'),
      keypoints: new KeypointsTool(this.host),
    };
    if (this.transport.onProject) this.unsubscribeProject = this.transport.onProject((e) => this.projectEvent(e));
  }

  // ------------------------------------------------------------ notifications

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Run `fn` and send one notification for everything it changed. */
  private batch<T>(fn: () => T): T {
    this.batchDepth++;
    try {
      return fn();
    } finally {
      if (--this.batchDepth === 0 && this.pendingChange) {
        const c = this.pendingChange;
        this.pendingChange = null;
        for (const l of [...this.listeners]) {
          try {
            l(c, this.state);
          } catch (e) {
            console.error('editor listener failed:', e);
          }
        }
      }
    }
  }

  private set(patch: Partial<EditorState>, change: EditorChange): void {
    this.state = { ...this.state, ...patch };
    this.pendingChange = this.pendingChange ? mergeChange(this.pendingChange, change) : change;
    if (this.batchDepth === 0) this.batch(() => undefined);
  }

  private get tool(): Tool {
    return this.tools[this.state.tool];
  }

  private get image(): EditorImage | null {
    return this.state.image;
  }

  // ------------------------------------------------------------ loading

  /**
   * Show an image: read its history, its labels and the classes, and replay over them what is still being saved.
   * Keeps the tool, the active class, the brush size, hidden and locked classes and the clipboard.
   */
  async load(image: EditorImage, early?: EditorPrefetch): Promise<void> {
    const loading = this.read(image, false, early);
    this.loading = loading;
    try {
      await loading;
    } finally {
      if (this.loading === loading) this.loading = null;
    }
  }

  /** The load under way, if any: a paste pressed right after moving to the next image waits for it. */
  private loading: Promise<void> | null = null;

  /**
   * Start reading an image's labels before its row (and so its size) is known: the viewer asks for both at once and
   * hands the result to `load`, which then waits for what is left of this read instead of starting its own. A read
   * that another window's change to the image (or to the classes) overtook is not used; `load` reads again.
   */
  prefetch(imageId: number): EditorPrefetch {
    // One read an image at a time: the app may start it as the address changes, the viewer again as it mounts.
    for (const p of this.prefetches) if (p.imageId === imageId && !p.stale && !p.failed && p.project === this.project) return p;
    const acks: SaveOp[] = [];
    const read = this.fetchDoc(imageId, acks);
    // The load that takes it reads again (and reports a failure of its own).
    const settled = read.then(
      () => undefined,
      () => void (p.failed = true),
    );
    const p: Prefetch = { imageId, read, settled, acks, stale: false, failed: false, project: this.project };
    this.prefetches.add(p);
    return p;
  }

  /** Forget a prefetch no load took (the viewer moved on before the image's row came). */
  dropPrefetch(early: EditorPrefetch): void {
    this.prefetches.delete(early as Prefetch);
  }

  /**
   * Read an image's history, labels and classes. History first: whatever it shows applied, the labels read after it
   * show applied too (see replayOp). Both at once where nothing can come between the two reads unseen: no step of
   * ours for the image is being saved (one acknowledged during the read, in `acks`, makes it read again in order),
   * and another window's step comes with a project event, on which the editor reads the image again (projectEvent:
   * a prefetch goes stale, a loaded image reloads). One round trip fewer before an image's labels can show.
   */
  private async fetchDoc(imageId: number, acks: readonly SaveOp[]): Promise<DocRead> {
    const ours = (op: SaveOp) => op.imageId === imageId;
    const history = () => this.transport.call('edits.history', { imageId });
    const rest = () =>
      Promise.all([this.transport.call('annotations.shapes', { imageId }), this.transport.call('classes.list', {}), this.ids.ensure(1).catch(() => undefined)]);
    if (this.transport.onProject && !this.queue.pending.some(ours)) {
      const [h, [annotations, classes]] = await Promise.all([history(), rest()]);
      if (!acks.some(ours)) return { history: h, annotations, classes };
    }
    const h = await history();
    const [annotations, classes] = await rest();
    return { history: h, annotations, classes };
  }

  /** Read the current image again (another window changed it, or a conflict); keeps the selection and drafts. */
  async reload(): Promise<void> {
    const image = this.image;
    if (!image) return;
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      try {
        do {
          this.reloadAgain = false;
          await this.read(this.image ?? image, true);
        } while (this.reloadAgain && this.image);
      } finally {
        this.reloading = null;
      }
    })();
    return this.reloading;
  }

  private async read(image: EditorImage, keep: boolean, early?: EditorPrefetch): Promise<void> {
    if (this.disposed) throw new Error('the editor was disposed');
    const seq = ++this.loadSeq;
    const taken = early ? this.takePrefetch(early as Prefetch, image.id) : null;
    // A prefetch has been collecting acknowledgements since its read began.
    this.loadAcks = taken ? taken.acks : [];
    this.batch(() => {
      if (!keep) {
        for (const t of Object.values(this.tools)) t.cancel();
        this.confirmed = null;
        this.local = null;
        this.grid = SpatialGrid.forImage(image.width, image.height);
        this.set(
          {
            image: { id: image.id, width: image.width, height: image.height, missing: image.missing, status: image.status },
            ...NO_DOCUMENT,
            loading: true,
            notice: image.missing
              ? { text: "This image's file is missing; its labels stay editable.", level: 'info', at: this.now() }
              : this.state.notice,
          },
          { shapes: 'all', selection: true, preview: true, draft: true, history: true, image: true, notice: true },
        );
      } else this.set({ loading: true }, { image: true });
    });
    let history, annotations, classes;
    try {
      ({ history, annotations, classes } = await (taken?.read ?? this.fetchDoc(image.id, this.loadAcks)));
    } catch (e) {
      if (seq === this.loadSeq) {
        this.loadAcks = null;
        this.batch(() => this.set({ loading: false }, { image: true }));
        this.notice(`Could not read the labels of this image: ${errorText(e)}`, 'error');
      }
      throw e;
    }
    if (seq !== this.loadSeq || this.disposed) return; // a later load took over
    const confirmed: DocData = {
      imageId: image.id,
      shapes: shapesFromColumns(annotations),
      classes: new Map(classes.map((c) => [c.id, normalizeClass(c)])),
      undo: history.undo.map((h) => ({ key: h.key, label: h.label, changes: h.changes })),
      redo: history.redo.map((h) => ({ key: h.key, label: h.label, changes: h.changes })),
    };
    for (const op of this.loadAcks ?? []) replayOp(confirmed, op);
    this.loadAcks = null;
    this.confirmed = confirmed;
    const local = cloneDoc(confirmed);
    for (const op of this.queue.pending) replayOp(local, op);
    this.batch(() => {
      const before = this.state.shapes;
      this.local = local;
      this.grid = SpatialGrid.forImage(image.width, image.height);
      for (const s of local.shapes.values()) if (isSpatial(s)) this.grid.set(s.id, geometryBbox(s.geometry));
      this.publishDoc({ shapes: new Set(), classes: true }, before, true);
      this.set({ loading: false }, { image: true });
      if (keep) {
        for (const t of Object.values(this.tools)) t.documentReplaced();
        const n = this.reloadNotice;
        this.reloadNotice = null;
        if (n) this.notice(n.text, n.level);
      }
      const active = this.state.activeClassId;
      if (active === null || !local.classes.has(active)) {
        const first = this.state.classes[0]?.id ?? null;
        if (first !== active) this.set({ activeClassId: first }, { tool: true });
      }
    });
  }

  /** The prefetch `load` may use for `imageId`, taken out of the set either way. */
  private takePrefetch(p: Prefetch, imageId: number): Prefetch | null {
    const known = this.prefetches.delete(p);
    return known && p.imageId === imageId && !p.stale && !p.failed && p.project === this.project ? p : null;
  }

  /** Save what is queued, then show nothing. */
  async unload(): Promise<void> {
    await this.flush();
    this.loadSeq++;
    this.batch(() => {
      for (const t of Object.values(this.tools)) t.cancel();
      this.confirmed = null;
      this.local = null;
      this.grid.clear();
      this.set(
        {
          image: null,
          ...NO_DOCUMENT,
          loading: false,
        },
        { shapes: 'all', selection: true, preview: true, draft: true, history: true, image: true },
      );
    });
  }

  /** Resolves when every step made so far is acknowledged by the server (or refused and taken back). */
  async flush(): Promise<void> {
    while (this.creating.size) await Promise.allSettled([...this.creating]);
    await this.queue.flush();
  }

  /** Retry a failing save now rather than after the backoff. */
  retrySave(): void {
    this.queue.retryNow();
  }

  dispose(): void {
    this.disposed = true;
    this.queue.dispose();
    this.unsubscribeProject?.();
    this.unsubscribeProject = null;
    this.listeners.clear();
  }

  private projectEvent(e: EventPayload<'project'>): void {
    if (e.reason === 'opened' || e.reason === 'closed') {
      this.project++;
      this.ids.reset();
      this.classIds.reset();
      return;
    }
    if (this.disposed || (e.client !== undefined && e.client === this.client)) return;
    for (const p of this.prefetches) if (e.reason === 'classes' || (e.reason === 'annotations' && e.imageIds?.includes(p.imageId))) p.stale = true;
    const image = this.image;
    if (!image) return;
    if (e.reason === 'annotations' && e.imageIds?.includes(image.id)) {
      this.reloadNotice = { text: "Another window changed this image's labels; reloaded.", level: 'info' };
      this.reload().catch(() => undefined);
    } else if (e.reason === 'classes') {
      this.reload().catch(() => undefined);
    }
  }

  // ------------------------------------------------------------ the document

  /**
   * Publish the local document after `touched` changed in it: order, spatial index, selection and classes follow.
   * `before` is the shapes map shown until now (to tell added and removed shapes); `all` republishes everything.
   */
  private publishDoc(touched: Touched, before: ReadonlyMap<number, Shape>, all = false): void {
    const local = this.local!;
    const patch: Partial<EditorState> = {};
    const ch: EditorChange = {};
    const shapes: ReadonlyMap<number, Shape> = local.shapes;
    if (all || touched.shapes.size) {
      patch.shapes = shapes;
      ch.shapes = all ? 'all' : [...touched.shapes];
      let membership = all;
      for (const id of touched.shapes) {
        const s = shapes.get(id);
        if (before.has(id) !== !!s) membership = true;
        if (s && isSpatial(s)) this.grid.set(id, geometryBbox(s.geometry));
        else this.grid.delete(id);
      }
      if (membership) patch.order = [...shapes.keys()].sort((a, b) => a - b);
      const sel = this.state.selection;
      if ([...sel].some((id) => !shapes.has(id))) {
        patch.selection = new Set([...sel].filter((id) => shapes.has(id)));
        ch.selection = true;
      }
      const v = this.state.selectedVertex;
      if (v && !this.vertexValid(v, shapes)) {
        patch.selectedVertex = null;
        ch.selection = true;
      }
    }
    if (all || touched.classes) {
      const classes = sortedClasses(local.classes);
      patch.classes = classes;
      ch.classes = true;
      const ids = new Set(classes.map((c) => c.id));
      const active = this.state.activeClassId;
      if (active !== null && !ids.has(active)) {
        patch.activeClassId = null;
        ch.tool = true;
      }
      const keep = (s: ReadonlySet<number>): ReadonlySet<number> => ([...s].every((id) => ids.has(id)) ? s : new Set([...s].filter((id) => ids.has(id))));
      patch.hiddenClasses = keep(this.state.hiddenClasses);
      patch.lockedClasses = keep(this.state.lockedClasses);
    }
    const u = local.undo[local.undo.length - 1], r = local.redo[0];
    Object.assign(patch, { canUndo: !!u, canRedo: !!r, undoLabel: u?.label ?? null, redoLabel: r?.label ?? null });
    ch.history = true;
    this.set(patch, ch);
  }

  private vertexValid(v: VertexRef, shapes: ReadonlyMap<number, Shape>): boolean {
    const s = shapes.get(v.shapeId);
    if (!s || !this.state.selection.has(v.shapeId)) return false;
    if (s.geometry.type === 'polygon') return v.index < s.geometry.points.length / 2;
    if (s.geometry.type === 'keypoints') return v.index < s.geometry.points.length / 3;
    return false;
  }

  /** Apply changes to the local document copy-on-write: maps in `state` are never changed after handing out. */
  private applyLocal(changes: readonly EditChange[], dir: 1 | -1): { touched: Touched; before: ReadonlyMap<number, Shape> } {
    const local = this.local!;
    const before = local.shapes;
    if (changes.some((c) => c.t !== 'class')) local.shapes = new Map(local.shapes);
    if (changes.some((c) => c.t === 'class')) local.classes = new Map(local.classes);
    const touched = applyChanges(local, changes, dir);
    return { touched, before };
  }

  /** Make one step of `changes` (no-op changes dropped), apply it here and queue it. False when nothing is left. */
  private commit(label: string, changes: EditChange[]): boolean {
    const image = this.image;
    // During a reload the local document stays editable: the reload replays whatever is queued by then.
    if (!image || !this.local) {
      if (image) this.notice('The image is still loading; the edit was not made. Try again in a moment.', 'warning');
      return false;
    }
    const real = changes.filter((c) => (c.t === 'reclass' ? c.ids.length > 0 && c.from !== c.to : !sameValue(c.before, c.after))).map(markModelEdited);
    if (!real.length) return false;
    const step: StepEntry = { key: randomToken(20), label, changes: real };
    this.batch(() => {
      const { touched, before } = this.applyLocal(real, 1);
      this.local!.undo = [...this.local!.undo, step];
      trimUndo(this.local!.undo);
      this.local!.redo = [];
      this.publishDoc(touched, before);
      this.queue.push({ kind: 'apply', imageId: image.id, step, project: this.project });
    });
    return true;
  }

  undo(): boolean {
    return this.batch(() => {
      if (!this.image || !this.local) return false;
      const t = this.tool;
      if (t.busy()) {
        // While drawing, undo takes back the last point; during a drag it drops the drag.
        return t.name === 'polygon' || t.name === 'polyline' || t.name === 'keypoints' ? t.deleteKey() : t.cancel();
      }
      const local = this.local;
      const entry = local.undo[local.undo.length - 1];
      if (!entry) return false;
      const { touched, before } = this.applyLocal(entry.changes, -1);
      local.undo = local.undo.slice(0, -1);
      local.redo = [entry, ...local.redo];
      this.publishDoc(touched, before);
      this.queue.push({ kind: 'undo', imageId: this.image.id, step: entry, project: this.project });
      return true;
    });
  }

  redo(): boolean {
    return this.batch(() => {
      if (!this.image || !this.local) return false;
      if (this.tool.busy()) return false;
      const local = this.local;
      const entry = local.redo[0];
      if (!entry) return false;
      const { touched, before } = this.applyLocal(entry.changes, 1);
      local.redo = local.redo.slice(1);
      local.undo = [...local.undo, entry];
      trimUndo(local.undo);
      this.publishDoc(touched, before);
      this.queue.push({ kind: 'redo', imageId: this.image.id, step: entry, project: this.project });
      return true;
    });
  }

  private acknowledged(op: SaveOp, status: ImageRow['status'] | null): void {
    this.loadAcks?.push(op);
    for (const p of this.prefetches) p.acks.push(op);
    if (this.confirmed) replayOp(this.confirmed, op);
    const image = this.image;
    if (status && image && op.imageId === image.id && image.status !== status) {
      this.batch(() => this.set({ image: { ...image, status } }, { image: true }));
    }
  }

  private refused(op: SaveOp, err: unknown): void {
    const what = `"${op.kind === 'apply' ? op.step.label : `${op.kind === 'undo' ? 'Undo' : 'Redo'} ${op.step.label}`}"`;
    const code = errorCode(err);
    const text =
      code === 'no_project'
        ? `The project was closed; this edit was not saved: ${what}.`
        : code === 'not_found'
          ? `${what} was not saved: ${errorText(err)} It was taken back.`
          : code === 'bad_request'
            ? `The project refused ${what} as invalid, so it was taken back: ${errorText(err)}`
            : `${what} was not saved (${errorText(err)}); it was taken back.`;
    this.batch(() => {
      this.rebuildLocal();
      this.notice(text, 'error');
    });
  }

  private conflicted(op: SaveOp, err: unknown): void {
    this.batch(() => {
      this.rebuildLocal();
      this.notice(
        `Another window changed this image's history, so ${op.kind} of "${op.step.label}" could not be saved; the image was reloaded. (${errorText(err)})`,
        'warning',
      );
    });
    if (this.image?.id === op.imageId) this.reload().catch(() => undefined);
  }

  /** Local = confirmed + what is still queued: takes back an operation the server refused. */
  private rebuildLocal(): void {
    if (!this.confirmed || !this.local) return;
    const local = cloneDoc(this.confirmed);
    for (const op of this.queue.pending) replayOp(local, op);
    const old = this.local;
    const touched = newTouched();
    for (const [id, s] of local.shapes) if (old.shapes.get(id) !== s) touched.shapes.add(id);
    for (const id of old.shapes.keys()) if (!local.shapes.has(id)) touched.shapes.add(id);
    touched.classes = local.classes.size !== old.classes.size || [...local.classes].some(([id, c]) => !sameValue(old.classes.get(id), c));
    this.local = local;
    for (const t of Object.values(this.tools)) t.documentReplaced();
    this.publishDoc(touched, old.shapes);
  }

  // ------------------------------------------------------------ tools and input

  private makeHost(): ToolHost {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const ed = this;
    return {
      get state() {
        return ed.state;
      },
      get width() {
        return ed.image?.width ?? 0;
      },
      get height() {
        return ed.image?.height ?? 0;
      },
      shape: (id) => ed.state.shapes.get(id),
      editable: (s) => ed.editable(s),
      hitTest: (p, scale, filter) => ed.hitTest(p, scale, filter),
      hitHandle: (p, scale) => ed.hitHandle(p, scale),
      query: (x0, y0, x1, y1) => ed.grid.query(x0, y0, x1, y1),
      setDraft: (d) => ed.set({ draft: d }, { draft: true }),
      setPreview: (p) => {
        if (p === null && ed.state.preview.size === 0) return;
        ed.set({ preview: p ?? EMPTY_SHAPES }, { preview: true });
      },
      setCursor: (c) => {
        if (ed.state.cursor !== c) ed.set({ cursor: c }, { cursor: true });
      },
      setHovered: (id) => {
        if (ed.state.hovered !== id) ed.set({ hovered: id }, { hover: true });
      },
      select: (ids, vertex = null) => ed.setSelection(ids, vertex),
      setSelectedVertex: (v) => {
        if (!sameValue(ed.state.selectedVertex, v)) ed.set({ selectedVertex: v }, { selection: true });
      },
      commit: (label, changes) => ed.commit(label, changes),
      withIds: (n, fn) => {
        ed.withIds(n, fn).catch(() => undefined);
      },
      notice: (text, level) => ed.notice(text, level),
      newShape: (kind, geometry, classId, attributes) => ed.newShape(kind, geometry, classId, attributes),
      activeClass: () => ed.state.classes.find((c) => c.id === ed.state.activeClassId) ?? null,
      removeVertex: (ref) => ed.removeVertex(ref),
    };
  }

  private editable(s: Shape): boolean {
    const st = this.state;
    if (st.labelsHidden) return false;
    return s.classId === null || (!st.hiddenClasses.has(s.classId) && !st.lockedClasses.has(s.classId));
  }

  private hitTest(p: Point, scale: number, filter?: (s: Shape) => boolean): Shape | null {
    if (this.state.labelsHidden) return null;
    const tol = HIT_PX / scale;
    const ids = this.grid.query(p.x - tol, p.y - tol, p.x + tol, p.y + tol).sort((a, b) => b - a);
    for (const id of ids) {
      const s = this.state.shapes.get(id);
      if (!s || !this.editable(s) || (filter && !filter(s))) continue;
      if (hitShape(s, p.x, p.y, tol)) return s;
    }
    return null;
  }

  private hitHandle(p: Point, scale: number): Handle | null {
    const tol = HANDLE_PX / scale;
    let best: Handle | null = null, bestD = tol;
    for (const h of this.handles()) {
      const d = Math.hypot(h.x - p.x, h.y - p.y);
      if (d <= bestD) [best, bestD] = [h, d];
    }
    return best;
  }

  private newShape(kind: AnnotationKind, geometry: Geometry, classId?: number | null, attributes: AnnotationState['attributes'] = {}): AnnotationState {
    return {
      imageId: this.image!.id,
      classId: classId === undefined ? this.state.activeClassId : classId,
      kind,
      geometry,
      attributes,
      origin: 'manual',
      derivedFrom: null,
    };
  }

  /** Run `fn` with `n` new ids: now when the pool has them, else once the server reserved them (same image only). */
  private withIds<T>(n: number, fn: (ids: number[]) => T): Promise<T> {
    const got = this.ids.take(n);
    if (got) return Promise.resolve(this.batch(() => fn(got)));
    const imageId = this.image?.id;
    const p = this.ids.ensure(n).then(
      () => {
        if (this.image?.id !== imageId || this.disposed) throw new Error('the image changed before the new shapes got their ids');
        const ids = this.ids.take(n);
        if (!ids) throw new Error('the server reserved too few ids');
        return this.batch(() => fn(ids));
      },
      (e: unknown) => {
        this.notice(`The new shape could not be made: the project did not hand out ids (${errorText(e)}). Try again.`, 'error');
        throw e;
      },
    );
    this.creating.add(p);
    const done = (): void => void this.creating.delete(p);
    p.then(done, done);
    return p;
  }

  pointerDown(p: PointerInput): boolean {
    return this.pointer('pointerDown', p);
  }

  pointerMove(p: PointerInput): boolean {
    return this.pointer('pointerMove', p);
  }

  pointerUp(p: PointerInput): boolean {
    return this.pointer('pointerUp', p);
  }

  doubleClick(p: PointerInput): boolean {
    return this.pointer('doubleClick', p);
  }

  contextMenu(p: PointerInput): boolean {
    return this.pointer('contextMenu', p);
  }

  /** Pointer input goes to the active tool; a press needs the document (not before the first load ends). */
  private pointer(kind: 'pointerDown' | 'pointerMove' | 'pointerUp' | 'doubleClick' | 'contextMenu', p: PointerInput): boolean {
    if (!this.image || (kind === 'pointerDown' && !this.local)) return false;
    return this.batch(() => this.tool[kind](p));
  }

  /** A key press: true when the editor handled it (the page then does nothing with it). */
  keyDown(k: KeyInput): boolean {
    const cmd = matchShortcut(k);
    if (!cmd || !this.image) return false;
    return this.batch(() => this.command(cmd));
  }

  private command(cmd: EditorCommand): boolean {
    const nudge = (dx: number, dy: number): boolean => (this.state.selection.size === 0 ? false : this.tool.busy() || (this.nudge(dx, dy), true));
    switch (cmd) {
      case 'tool.select':
        return this.setTool('select'), true;
      case 'tool.box':
        return this.setTool('box'), true;
      case 'tool.polygon':
        return this.setTool('polygon'), true;
      case 'tool.polyline':
        return this.setTool('polyline'), true;
      case 'tool.brush':
        return this.setTool('brush'), true;
      case 'tool.eraser':
        return this.setTool('eraser'), true;
      case 'tool.keypoints':
        return this.setTool('keypoints'), true;
      case 'brush.smaller':
      case 'brush.larger': {
        const s = this.state.brushSize;
        const step = s < 10 ? 1 : s < 50 ? 5 : 10;
        this.setBrushSize(cmd === 'brush.larger' ? s + step : s - (s <= 10 ? 1 : s <= 50 ? 5 : 10));
        return true;
      }
      case 'finish':
        return this.tool.finish();
      case 'cancel':
        if (this.tool.cancel()) return true;
        if (this.state.selectedVertex) return this.setSelection(this.state.selection, null), true;
        if (this.state.selection.size) return this.clearSelection(), true;
        return false;
      case 'delete':
        if (this.tool.deleteKey()) return true;
        // Not in the middle of a drag: the dragged shapes would come back at pointer-up.
        return this.tool.busy() || this.deleteSelection();
      case 'undo':
        this.undo();
        return true;
      case 'redo':
        this.redo();
        return true;
      case 'copy':
        return this.copy();
      case 'paste':
        if (!this.clip) return false;
        this.paste().catch(() => undefined);
        return true;
      case 'duplicate':
        if (!this.state.selection.size) return false;
        this.duplicate().catch(() => undefined);
        return true;
      case 'selectAll':
        this.selectAll();
        return true;
      case 'nudge.left':
        return nudge(-1, 0);
      case 'nudge.right':
        return nudge(1, 0);
      case 'nudge.up':
        return nudge(0, -1);
      case 'nudge.down':
        return nudge(0, 1);
      case 'nudge.left10':
        return nudge(-10, 0);
      case 'nudge.right10':
        return nudge(10, 0);
      case 'nudge.up10':
        return nudge(0, -10);
      case 'nudge.down10':
        return nudge(0, 10);
      case 'labels.toggle':
        this.toggleLabelsHidden();
        return true;
      case 'keypoint.skip':
        return this.tool.skip();
      case 'keypoint.visibility':
        return this.cycleKeypointVisibility();
      default: {
        const n = /^class\.(\d)$/.exec(cmd);
        return n ? this.digit(Number(n[1])) : false;
      }
    }
  }

  /** 1–9: the class at that place in the classes panel, for the selection, else the drawing or the next shape. */
  private digit(n: number): boolean {
    const c = this.state.classes[n - 1];
    if (!c) return false;
    const d = this.state.draft;
    if (d && d.kind !== 'marquee') {
      if (d.kind === 'keypoints' && (c.keypoints?.names.length ?? -1) !== d.names.length) {
        this.notice(`Class "${c.name}" has another keypoint template; finish or cancel these keypoints first.`, 'warning');
        return true;
      }
      this.set({ draft: { ...d, classId: c.id } as Draft, activeClassId: c.id }, { draft: true, tool: true });
      return true;
    }
    if (this.state.selection.size) {
      this.setClass([...this.state.selection], c.id);
      return true;
    }
    this.setActiveClass(c.id);
    return true;
  }

  setTool(t: ToolName): void {
    this.batch(() => {
      if (this.state.tool === t) return;
      this.tool.cancel();
      this.set({ tool: t, cursor: t === 'select' ? 'default' : 'crosshair', hovered: null }, { tool: true, cursor: true, hover: true });
      if (t === 'keypoints') {
        const c = this.state.classes.find((x) => x.id === this.state.activeClassId);
        if (!c?.keypoints) {
          this.notice(
            c ? `Class "${c.name}" has no keypoint template; give it one in the classes panel, or pick a class that has one.` : 'Pick a class with a keypoint template first.',
            'warning',
          );
        }
      }
    });
  }

  setActiveClass(id: number | null): void {
    this.batch(() => {
      if (id !== null && !this.state.classes.some((c) => c.id === id)) return;
      if (this.state.activeClassId === id) return;
      const d = this.state.draft;
      if (d && d.kind !== 'marquee' && d.kind !== 'keypoints') this.set({ draft: { ...d, classId: id } as Draft }, { draft: true });
      this.set({ activeClassId: id }, { tool: true });
    });
  }

  setBrushSize(px: number): void {
    const size = Math.max(BRUSH_MIN, Math.min(BRUSH_MAX, Math.round(px)));
    if (size !== this.state.brushSize) this.batch(() => this.set({ brushSize: size }, { tool: true }));
  }

  notice(text: string, level: 'info' | 'warning' | 'error' = 'info'): void {
    this.batch(() => this.set({ notice: { text, level, at: this.now() } }, { notice: true }));
  }

  /** The same as `notice`: a message for the person from the page (e.g. "every image has labels"). */
  say(text: string, level: 'info' | 'warning' | 'error' = 'info'): void {
    this.notice(text, level);
  }

  dismissNotice(): void {
    if (this.state.notice) this.batch(() => this.set({ notice: null }, { notice: true }));
  }

  // ------------------------------------------------------------ selection

  private setSelection(ids: Iterable<number>, vertex: VertexRef | null = null): void {
    const shapes = this.state.shapes;
    const next = new Set([...ids].filter((id) => shapes.has(id)));
    const cur = this.state.selection;
    const same = next.size === cur.size && [...next].every((id) => cur.has(id));
    if (same && sameValue(vertex, this.state.selectedVertex)) return;
    this.batch(() => this.set({ selection: same ? cur : next, selectedVertex: vertex }, { selection: true }));
  }

  select(ids: number[], additive = false): void {
    this.setSelection(additive ? [...this.state.selection, ...ids] : ids);
  }

  clearSelection(): void {
    this.setSelection([]);
  }

  /** Every shape on the canvas that can be edited (shown, not locked); captions and tags are not. */
  selectAll(): void {
    this.setSelection([...this.state.shapes.values()].filter((s) => isSpatial(s) && this.editable(s)).map((s) => s.id));
  }

  /** Handles of the selected shapes (of the preview during a drag); none when more than 200 shapes are selected. */
  handles(): Handle[] {
    const st = this.state;
    if (st.selection.size > MAX_HANDLE_SHAPES) return [];
    const out: Handle[] = [];
    for (const id of st.selection) {
      const s = st.preview.get(id) ?? st.shapes.get(id);
      if (!s || !this.editable(s)) continue;
      out.push(...shapeHandles(s, st.selectedVertex?.shapeId === id ? st.selectedVertex.index : null));
    }
    return out;
  }

  /**
   * Ids (in draw order) of shapes whose bounding box meets the rectangle, for culling: shapes of hidden classes
   * and everything while labels are hidden are left out unless `includeHidden`; shapes in the preview count
   * where the preview puts them.
   */
  shapesInView(rect: { x: number; y: number; w: number; h: number }, opts: { includeHidden?: boolean; limit?: number } = {}): number[] {
    const st = this.state;
    if (st.labelsHidden && !opts.includeHidden) return [];
    const x1 = rect.x + rect.w, y1 = rect.y + rect.h;
    const meets = (b: readonly number[] | null | undefined): boolean => !!b && b[0] <= x1 && b[0] + b[2] >= rect.x && b[1] <= y1 && b[1] + b[3] >= rect.y;
    const shown = (id: number): boolean => {
      const s = st.shapes.get(id);
      return !!s && (opts.includeHidden || s.classId === null || !st.hiddenClasses.has(s.classId));
    };
    const out: number[] = [];
    const image = st.image;
    if (image && rect.x <= 0 && rect.y <= 0 && x1 >= image.width && y1 >= image.height) {
      // The whole image in view (zoomed out): walk the draw order, no set and no sort.
      for (const id of st.order) {
        const pv = st.preview.get(id);
        if ((pv ? meets(geometryBbox(pv.geometry)) : meets(this.grid.bbox(id))) && shown(id) && out.push(id) > (opts.limit ?? Infinity)) break;
      }
      return out;
    }
    const hit = this.grid.query(rect.x, rect.y, x1, y1, opts.limit);
    // More than the limit: all the caller wants to know (the list is cut, unsorted and unfiltered).
    if (opts.limit !== undefined && hit.length > opts.limit) return hit;
    const ids = new Set(hit);
    for (const [id, s] of st.preview) {
      if (meets(geometryBbox(s.geometry))) ids.add(id);
      else ids.delete(id);
    }
    for (const id of ids) if (shown(id)) out.push(id);
    return out.sort((a, b) => a - b);
  }

  // ------------------------------------------------------------ shape commands

  /** Shapes of the selection that commands may change (not locked, not hidden). */
  private selected(): Shape[] {
    return [...this.state.selection].map((id) => this.state.shapes.get(id)).filter((s): s is Shape => !!s && this.editable(s));
  }

  /** Delete the selected vertex if there is one, else the selected shapes. */
  deleteSelection(): boolean {
    return this.batch(() => {
      const v = this.state.selectedVertex;
      if (v) return this.removeVertex(v);
      const ids = this.selected().map((s) => s.id);
      if (!ids.length) return false;
      return this.removeShapes(ids);
    });
  }

  /** Delete shapes (captions and tags too); shapes of locked classes are kept. */
  removeShapes(ids: number[]): boolean {
    const st = this.state;
    const changes = ids
      .map((id) => st.shapes.get(id))
      .filter((s): s is Shape => !!s && (s.classId === null || !st.lockedClasses.has(s.classId)))
      .map((s) => change(s.id, s, null));
    if (!changes.length) return false;
    const kinds = new Set(changes.map((c) => (c as { before: AnnotationState }).before.kind));
    const noun = kinds.size === 1 ? [...kinds][0] : 'shape';
    return this.commit(changes.length === 1 ? `Delete ${noun}` : `Delete ${changes.length} ${noun === 'box' ? 'boxe' : noun}s`, changes);
  }

  /** Remove a polygon's vertex (refused below 3) or mark a keypoint not labeled. */
  removeVertex(ref: VertexRef): boolean {
    const s = this.state.shapes.get(ref.shapeId);
    if (!s || !this.editable(s)) return false;
    const g = s.geometry;
    if (g.type === 'polygon') {
      const n = g.points.length / 2;
      if (ref.index >= n) return false;
      if (n <= 3) {
        this.notice(`A ${isPolyline(s) ? 'polyline' : 'polygon'} needs at least 3 points; delete the whole shape instead (select it, then Delete).`, 'warning');
        return true;
      }
      const points = [...g.points.slice(0, 2 * ref.index), ...g.points.slice(2 * ref.index + 2)];
      if (!isPolyline(s) && !polygonHasArea(points)) {
        this.notice('Without that vertex the polygon would have no area; it was kept.', 'warning');
        return true;
      }
      this.batch(() => {
        this.commit('Remove vertex', [change(s.id, s, { ...s, geometry: { type: 'polygon', points } })]);
        this.setSelection(this.state.selection, null);
      });
      return true;
    }
    if (g.type === 'keypoints') {
      this.setKeypointVisibility(ref, 0);
      return true;
    }
    return false;
  }

  copy(): boolean {
    const shapes = this.selected();
    if (!shapes.length || !this.image) return false;
    this.clip = { shapes: shapes.map(stripId), width: this.image.width, height: this.image.height };
    this.batch(() => this.set({ clipboard: shapes.length }, { tool: true }));
    return true;
  }

  /**
   * Paste the copied shapes onto the current image (also another image: the "propagate" move), at the same place,
   * fitted to this image; new ids, same classes (when they still exist) and attributes, origin manual. The pasted
   * shapes are selected. Resolves with their ids.
   */
  async paste(): Promise<number[]> {
    if (this.loading) await this.loading.catch(() => undefined);
    const image = this.image;
    if (!this.clip || !image) return [];
    const classes = new Set(this.state.classes.map((c) => c.id));
    const tags = new Set([...this.state.shapes.values()].filter((s) => s.kind === 'tag').map((s) => s.classId));
    const states: AnnotationState[] = [];
    let dropped = 0;
    for (const s of this.clip.shapes) {
      const geometry = fitGeometry(s.geometry, image.width, image.height);
      const classId = s.classId !== null && classes.has(s.classId) ? s.classId : null;
      if (!geometry || (s.kind === 'polygon' && !isPolyline(s) && !polygonHasArea((geometry as { points: number[] }).points)) || (s.kind === 'tag' && tags.has(classId))) {
        dropped++;
        continue;
      }
      states.push({ ...s, imageId: image.id, classId, geometry, origin: 'manual', derivedFrom: null });
    }
    if (dropped) this.notice(`${dropped} of the copied shapes lie outside this image (or are already here) and were not pasted.`, 'info');
    if (!states.length) return [];
    return this.create(states.length === 1 ? 'Paste shape' : `Paste ${states.length} shapes`, states);
  }

  /** Copies of the selection 10 px right and down (less where the image ends); the copies are selected. */
  async duplicate(): Promise<number[]> {
    const image = this.image;
    const shapes = this.selected().filter(isSpatial);
    if (!image || !shapes.length) return [];
    const d = clampMove(DUPLICATE_OFFSET, DUPLICATE_OFFSET, moveLimits(shapes, image.width, image.height), shapes.some((s) => s.kind === 'mask'));
    const states = shapes.map((s) => ({
      ...stripId(s),
      geometry: translateGeometry(s.geometry, d.dx, d.dy, image.width, image.height),
      origin: 'manual' as const,
      derivedFrom: null,
    }));
    return this.create(states.length === 1 ? 'Duplicate shape' : `Duplicate ${states.length} shapes`, states);
  }

  private create(label: string, states: AnnotationState[], select = true): Promise<number[]> {
    return this.withIds(states.length, (ids) => {
      if (!this.commit(label, states.map((s, i) => change(ids[i], null, s)))) return [];
      if (select) this.setSelection(ids);
      return ids;
    });
  }

  /**
   * Accept predictions as labels (compare mode's A and Shift+A): one step that creates a shape per prediction with
   * `origin: 'model'` and `derivedFrom` the prediction, so undo takes them all back. Predictions a label is already
   * derived from, and shapes that do not fit the image, are skipped. The new shapes are selected; resolves with their
   * ids.
   */
  async acceptPredictions(items: readonly AcceptPrediction[]): Promise<number[]> {
    if (this.loading) await this.loading.catch(() => undefined);
    const image = this.image;
    if (!image || !this.local) return [];
    const done = new Set<number>();
    for (const s of this.state.shapes.values()) if (s.derivedFrom !== null) done.add(s.derivedFrom);
    const classes = new Set(this.state.classes.map((c) => c.id));
    const states: AnnotationState[] = [];
    let skipped = 0;
    for (const it of items) {
      if (done.has(it.predictionId)) {
        skipped++;
        continue;
      }
      const geometry = fitGeometry(it.geometry, image.width, image.height);
      if (!geometry || geometry.type !== it.kind || (geometry.type === 'polygon' && !polygonHasArea(geometry.points))) {
        skipped++;
        continue;
      }
      done.add(it.predictionId);
      const classId = it.classId !== null && classes.has(it.classId) ? it.classId : null;
      states.push({ ...this.newShape(it.kind, geometry, classId), origin: 'model', derivedFrom: it.predictionId });
    }
    if (!states.length) {
      if (items.length) this.notice(items.length === 1 ? 'That prediction is already a label.' : 'Every one of those predictions is already a label.', 'info');
      return [];
    }
    if (skipped) this.notice(`${skipped} of the predictions were already labels (or lie outside the image) and were skipped.`, 'info');
    return this.create(states.length === 1 ? 'Accept prediction' : `Accept ${states.length} predictions`, states);
  }

  /** Move the selection by (dx, dy) image pixels, kept inside the image: one step. */
  nudge(dx: number, dy: number): boolean {
    const image = this.image;
    const shapes = this.selected().filter(isSpatial);
    if (!image || !shapes.length) return false;
    const d = clampMove(dx, dy, moveLimits(shapes, image.width, image.height), shapes.some((s) => s.kind === 'mask'));
    if (d.dx === 0 && d.dy === 0) return true;
    this.commit(
      shapes.length === 1 ? 'Nudge shape' : `Nudge ${shapes.length} shapes`,
      shapes.map((s) => change(s.id, s, { ...s, geometry: translateGeometry(s.geometry, d.dx, d.dy, image.width, image.height) })),
    );
    return true;
  }

  setClass(ids: number[], classId: number | null): boolean {
    if (classId !== null && !this.state.classes.some((c) => c.id === classId)) return false;
    const name = classId === null ? 'no class' : this.state.classes.find((c) => c.id === classId)!.name;
    const changes = ids
      .map((id) => this.state.shapes.get(id))
      .filter((s): s is Shape => !!s && s.classId !== classId && (s.classId === null || !this.state.lockedClasses.has(s.classId)))
      .map((s) => change(s.id, s, { ...s, classId }));
    return this.commit(`Set class to ${name}`, changes);
  }

  /** Merge `patch` into the shapes' attributes (undefined removes a key): one step. */
  setAttributes(ids: number[], patch: AttributePatch): boolean {
    const changes = ids
      .map((id) => this.state.shapes.get(id))
      .filter((s): s is Shape => !!s)
      .map((s) => {
        const attributes: AnnotationState['attributes'] = { ...s.attributes };
        for (const [k, v] of Object.entries(patch)) {
          if (v === undefined) delete attributes[k];
          else attributes[k] = v;
        }
        return change(s.id, s, { ...s, attributes });
      });
    return this.commit('Edit attributes', changes);
  }

  async addCaption(text: string): Promise<number> {
    if (!this.image) throw new Error('Open an image first.');
    const [id] = await this.create('Add caption', [this.newShape('caption', { type: 'caption', text }, null)], false);
    return id;
  }

  updateCaption(id: number, text: string): boolean {
    const s = this.state.shapes.get(id);
    if (!s || s.kind !== 'caption') return false;
    return this.commit('Edit caption', [change(id, s, { ...s, geometry: { type: 'caption', text } })]);
  }

  /** Add the image-level tag of a class, or remove it when the image has it. */
  async toggleTag(classId: number): Promise<void> {
    if (!this.image || !this.state.classes.some((c) => c.id === classId)) return;
    const existing = [...this.state.shapes.values()].filter((s) => s.kind === 'tag' && s.classId === classId);
    if (existing.length) {
      this.commit('Remove tag', existing.map((s) => change(s.id, s, null)));
      return;
    }
    await this.create('Add tag', [this.newShape('tag', { type: 'tag' }, classId)], false);
  }

  /** Fill closed polygons into masks at image resolution (each keeps its id, class and attributes): one step. */
  polygonToMask(ids: number[]): boolean {
    const image = this.image;
    if (!image) return false;
    const changes: EditChange[] = [];
    let lines = 0;
    for (const id of ids) {
      const s = this.state.shapes.get(id);
      if (!s || s.geometry.type !== 'polygon' || !this.editable(s)) continue;
      if (isPolyline(s)) {
        lines++;
        continue;
      }
      const rle = encodeRle(fillPolygon(s.geometry.points, image.width, image.height), image.width, image.height);
      const geometry: MaskGeometry = { type: 'mask', ...rle };
      if (!maskBbox(geometry)) continue;
      changes.push(change(id, s, { ...s, kind: 'mask', geometry }));
    }
    if (lines) this.notice(`${lines === 1 ? 'A polyline is' : `${lines} polylines are`} not closed and cannot be filled; left as ${lines === 1 ? 'it is' : 'they are'}.`, 'info');
    return this.commit(changes.length === 1 ? 'Polygon to mask' : `${changes.length} polygons to masks`, changes);
  }

  /**
   * Trace a mask into polygons, one per connected part (holes are filled), simplified to within 1 px; the first
   * keeps the mask's id, class and attributes, the others get new ids. One step; resolves with the polygons' ids.
   */
  async maskToPolygons(id: number): Promise<number[]> {
    const image = this.image;
    const s = this.state.shapes.get(id);
    if (!image || !s || s.geometry.type !== 'mask' || !this.editable(s)) return [];
    const g = s.geometry;
    const box = maskBbox(g);
    if (!box) return [];
    // Trace only the mask's bounding box: a whole 4000×3000 image would cost 60 MB of labels per call.
    const [bx, by, bw, bh] = box;
    const full = decodeRle(g);
    const crop = new Uint8Array(bw * bh);
    for (let y = 0; y < bh; y++) crop.set(full.subarray((by + y) * g.width + bx, (by + y) * g.width + bx + bw), y * bw);
    const rings = traceMask(crop, bw, bh, { tolerance: 1 })
      .map((r) => r.map((v, i) => v + (i & 1 ? by : bx)))
      .filter((r) => r.length >= 6 && polygonHasArea(r));
    if (!rings.length) return [];
    const attributes = { ...s.attributes };
    const states: AnnotationState[] = rings.map((points) => ({ ...stripId(s), kind: 'polygon', geometry: { type: 'polygon', points }, attributes }));
    const label = rings.length === 1 ? 'Mask to polygon' : `Mask to ${rings.length} polygons`;
    const make = (ids: number[]): number[] => {
      const all = [id, ...ids];
      if (!this.commit(label, states.map((st, i) => change(all[i], i === 0 ? s : null, st)))) return [];
      this.setSelection(all);
      return all;
    };
    if (rings.length === 1) return this.batch(() => make([]));
    return this.withIds(rings.length - 1, make);
  }

  setKeypointVisibility(ref: VertexRef, v: 0 | 1 | 2): boolean {
    const s = this.state.shapes.get(ref.shapeId);
    if (!s || s.geometry.type !== 'keypoints' || ref.index >= s.geometry.points.length / 3 || !this.editable(s)) return false;
    const points = s.geometry.points.slice();
    points[3 * ref.index + 2] = v;
    const name = s.geometry.names?.[ref.index] ?? `point ${ref.index + 1}`;
    const word = v === 2 ? 'visible' : v === 1 ? 'occluded' : 'not labeled';
    return this.commit(`Keypoint ${name}: ${word}`, [change(s.id, s, { ...s, geometry: { ...s.geometry, points } })]);
  }

  /** O: the selected keypoint goes visible → occluded → not labeled → visible. False when no keypoints shape is selected. */
  cycleKeypointVisibility(): boolean {
    const v = this.state.selectedVertex;
    const s = v ? this.state.shapes.get(v.shapeId) : undefined;
    if (v && s?.geometry.type === 'keypoints') {
      const cur = s.geometry.points[3 * v.index + 2];
      this.setKeypointVisibility(v, cur === 2 ? 1 : cur === 1 ? 0 : 2);
      return true;
    }
    if (this.selected().some((x) => x.kind === 'keypoints')) {
      this.notice('Click a point of the keypoints first, then press O.', 'info');
      return true;
    }
    return false;
  }

  // ------------------------------------------------------------ classes (steps on the current image's history)

  private requireImage(): EditorImage {
    if (!this.image || !this.local) throw new Error("Open an image first: class edits are steps in an image's history.");
    return this.image;
  }

  private checkClass(state: ClassState, id: number | null): void {
    for (const c of this.state.classes) {
      if (c.id === id) continue;
      if (c.name === state.name) throw new Error(`A class named "${state.name}" already exists.`);
      if (state.hotkey !== null && c.hotkey === state.hotkey) throw new Error(`Hotkey "${state.hotkey}" is already used by class "${c.name}".`);
    }
  }

  async addClass(input: { name: string; color?: string; hotkey?: string | null; keypoints?: KeypointTemplate | null }): Promise<LabelClass> {
    this.requireImage();
    const name = input.name.trim();
    if (!name) throw new Error('A class needs a name.');
    const classes = this.state.classes;
    const state: ClassState = {
      name,
      color: input.color ?? PALETTE[classes.length % PALETTE.length],
      hotkey: input.hotkey ?? null,
      position: classes.reduce((m, c) => Math.max(m, c.position), -1) + 1,
      keypoints: input.keypoints ?? null,
    };
    this.checkClass(state, null);
    await this.classIds.ensure(1);
    this.requireImage();
    const [id] = this.classIds.take(1)!;
    this.checkClass(state, null);
    if (!this.commit(`Add class ${name}`, [{ t: 'class', id, before: null, after: state }])) throw new Error('The class could not be added.');
    return { id, ...state };
  }

  updateClass(id: number, patch: Partial<Omit<ClassState, 'position'>>): LabelClass {
    this.requireImage();
    const c = this.state.classes.find((x) => x.id === id);
    if (!c) throw new Error(`Class ${id} does not exist.`);
    const before = classState(c);
    const after: ClassState = { ...before, ...patch, name: (patch.name ?? before.name).trim() };
    if (!after.name) throw new Error('A class needs a name.');
    this.checkClass(after, id);
    const label = patch.name !== undefined && patch.name !== c.name ? `Rename class ${c.name} to ${after.name}` : `Edit class ${c.name}`;
    this.commit(label, [{ t: 'class', id, before, after }]);
    return { id, ...after };
  }

  /** Put the classes in this order (every class id once): one step. */
  reorderClasses(ids: number[]): boolean {
    this.requireImage();
    const classes = this.state.classes;
    const given = new Set(ids);
    if (given.size !== ids.length || ids.length !== classes.length || classes.some((c) => !given.has(c.id))) {
      throw new Error(`Reordering needs every class exactly once (${classes.length} classes, got ${ids.length} ids).`);
    }
    const byId = new Map(classes.map((c) => [c.id, c]));
    const changes: EditChange[] = [];
    ids.forEach((id, position) => {
      const c = byId.get(id)!;
      if (c.position !== position) changes.push({ t: 'class', id, before: classState(c), after: { ...classState(c), position } });
    });
    return this.commit('Reorder classes', changes);
  }

  /**
   * Delete a class; its annotations (on every image, as `classes.usage` lists them) become unclassified or move to
   * another class. One step on this image's history: undo brings the class and its annotations' class back.
   */
  async deleteClass(id: number, mode: DeleteClassMode): Promise<void> {
    this.requireImage();
    const c = this.state.classes.find((x) => x.id === id);
    if (!c) throw new Error(`Class ${id} does not exist.`);
    const to = mode.kind === 'reassign' ? mode.to : null;
    if (to !== null && (to === id || !this.state.classes.some((x) => x.id === to))) throw new Error('Pick another existing class to move the annotations to.');
    const usage = await this.transport.call('classes.usage', { id });
    this.requireImage();
    const cur = this.state.classes.find((x) => x.id === id);
    if (!cur) return;
    // Shapes made here and not yet saved are not in the server's answer.
    const ids = new Set(usage.ids);
    for (const s of this.state.shapes.values()) if (s.classId === id) ids.add(s.id);
    const changes: EditChange[] = [];
    if (ids.size) changes.push({ t: 'reclass', ids: [...ids].sort((a, b) => a - b), from: id, to });
    changes.push({ t: 'class', id, before: classState(cur), after: null });
    const target = to === null ? null : this.state.classes.find((x) => x.id === to)!;
    this.commit(target ? `Delete class ${cur.name} (annotations to ${target.name})` : `Delete class ${cur.name}`, changes);
  }

  toggleClassHidden(id: number): void {
    this.toggleClassSet('hiddenClasses', id);
  }

  toggleClassLocked(id: number): void {
    this.toggleClassSet('lockedClasses', id);
  }

  private toggleClassSet(which: 'hiddenClasses' | 'lockedClasses', id: number): void {
    this.batch(() => {
      const next = new Set(this.state[which]);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      this.set({ [which]: next } as Partial<EditorState>, { view: true });
      // Shapes that cannot be edited any more leave the selection.
      const keep = [...this.state.selection].filter((sid) => {
        const s = this.state.shapes.get(sid);
        return s && this.editable(s);
      });
      if (keep.length !== this.state.selection.size) this.setSelection(keep);
    });
  }

  toggleLabelsHidden(): void {
    this.batch(() => {
      this.set({ labelsHidden: !this.state.labelsHidden, hovered: null }, { view: true, hover: true });
      if (this.state.labelsHidden) this.tool.cancel();
    });
  }

  toggleLabelText(): void {
    this.batch(() => this.set({ showLabelText: !this.state.showLabelText }, { view: true }));
  }
}
