/**
 * The editor's public shapes: what the canvas draws and what the panels read. The editor itself (document, tools,
 * history, saving) lives beside this file and has no React, no Konva and no DOM, so it runs headless in tests.
 * Every coordinate here is in image pixels (displayed, after EXIF rotation).
 */
import type {
  AnnotationKind,
  AnnotationState,
  CallName,
  CallRequest,
  CallResponse,
  EventPayload,
  Geometry,
  ImageRow,
  LabelClass,
} from '../../common/api/contract.js';

/** An annotation as the editor holds it: its content plus its id. */
export interface Shape extends AnnotationState {
  id: number;
}

export type ToolName = 'select' | 'box' | 'polygon' | 'polyline' | 'brush' | 'eraser' | 'keypoints';

export interface Point {
  x: number;
  y: number;
}

/** Pointer input, already converted to image pixels by the canvas. */
export interface PointerInput {
  /** Image pixels (not clamped: the tools clamp). */
  x: number;
  y: number;
  /** 0 left, 1 middle, 2 right. */
  button: number;
  shift: boolean;
  ctrl: boolean;
  alt: boolean;
  /** Screen pixels per image pixel right now, so tools can size hit areas and handles in screen pixels. */
  scale: number;
  /** Milliseconds (event timestamp): double-click detection lives in the tools. */
  time: number;
}

export interface KeyInput {
  /** KeyboardEvent.key */
  key: string;
  ctrl: boolean;
  shift: boolean;
  alt: boolean;
}

/** What is being drawn right now, before it becomes a step. */
export type Draft =
  | { kind: 'box'; x: number; y: number; w: number; h: number; classId: number | null }
  | { kind: 'polygon'; points: number[]; cursor: Point | null; closed: false; polyline: boolean; classId: number | null }
  | { kind: 'marquee'; x: number; y: number; w: number; h: number }
  | {
      kind: 'keypoints';
      classId: number | null;
      /** x, y, v triples placed so far (v: 0 not labeled, 1 occluded, 2 visible). */
      points: number[];
      /** The template's point names; points.length / 3 of them are placed. */
      names: string[];
      edges: [number, number][];
      cursor: Point | null;
    }
  | {
      kind: 'mask';
      classId: number | null;
      /** The mask being painted, row-major, 1 = inside, at image resolution. Painted in place. */
      data: Uint8Array;
      width: number;
      height: number;
      /** The region changed since the canvas last read it (the canvas resets it to null after repainting). */
      dirty: { x0: number; y0: number; x1: number; y1: number } | null;
      /** Bumped on every paint, so a renderer can tell a new frame. */
      version: number;
      /** The mask shape being edited, or null for a new mask. */
      targetId: number | null;
      erase: boolean;
    };

/** The selected vertex or keypoint of the selected shape (polygon vertex / keypoint index). */
export interface VertexRef {
  shapeId: number;
  index: number;
}

/** Where a handle of a selected shape sits, for drawing and for the cursor. */
export interface Handle {
  shapeId: number;
  /** 'nw' | 'n' | 'ne' | 'e' | 'se' | 's' | 'sw' | 'w' for box corners and edges, 'vertex' for polygon vertices and keypoints. */
  kind: 'nw' | 'n' | 'ne' | 'e' | 'se' | 's' | 'sw' | 'w' | 'vertex';
  index: number;
  x: number;
  y: number;
}

export type SaveState = 'saved' | 'saving' | 'failed';

export interface EditorState {
  image: Pick<ImageRow, 'id' | 'width' | 'height' | 'missing' | 'status'> | null;
  /** The image's shapes (tags and captions included), by id; `order` is draw order (oldest first). */
  shapes: ReadonlyMap<number, Shape>;
  order: readonly number[];
  classes: readonly LabelClass[];
  /** Shapes shown in place of their stored state while a gesture is under way (a drag, a resize, a vertex move). */
  preview: ReadonlyMap<number, Shape>;
  selection: ReadonlySet<number>;
  selectedVertex: VertexRef | null;
  tool: ToolName;
  /** The class the next shape gets (and that 1–9 set). */
  activeClassId: number | null;
  draft: Draft | null;
  /** Brush and eraser diameter, image pixels. */
  brushSize: number;
  hiddenClasses: ReadonlySet<number>;
  lockedClasses: ReadonlySet<number>;
  /** H hides every label. */
  labelsHidden: boolean;
  showLabelText: boolean;
  save: { state: SaveState; pending: number; error: string | null };
  canUndo: boolean;
  canRedo: boolean;
  /** The label of the step that undo / redo would act on, for tooltips. */
  undoLabel: string | null;
  redoLabel: string | null;
  /** A message for the person: a refused gesture, another window's edit, a failed save (null when none). */
  notice: { text: string; level: 'info' | 'warning' | 'error'; at: number } | null;
  /** True while `load` / `reload` reads the image's labels (the shapes shown are then empty or the old ones). */
  loading: boolean;
  /** The shape under the pointer in the select tool (for a hover outline), or null. */
  hovered: number | null;
  /** How many shapes Ctrl+V would paste (0: nothing copied). */
  clipboard: number;
  /** The cursor the canvas should show. */
  cursor: 'default' | 'crosshair' | 'move' | 'pointer' | 'nwse-resize' | 'nesw-resize' | 'ns-resize' | 'ew-resize' | 'none';
}

/** What changed in one notification, so the canvas redraws only that. */
export interface EditorChange {
  /** Stored shapes changed (added, removed, edited): their ids; 'all' after a load. */
  shapes?: number[] | 'all';
  selection?: boolean;
  preview?: boolean;
  draft?: boolean;
  classes?: boolean;
  view?: boolean;
  save?: boolean;
  history?: boolean;
  notice?: boolean;
  /** The tool, the active class or the brush size. */
  tool?: boolean;
  hover?: boolean;
  /** `loading` or `image` (its status after a save) changed. */
  image?: boolean;
  cursor?: boolean;
}

/** The calls the editor makes: the renderer's `api` or, in tests, the core's own dispatch. */
export interface EditorTransport {
  call<K extends CallName>(name: K, args: CallRequest<K>): Promise<CallResponse<K>>;
  /** Optional: subscribe to project events (another window's edits). */
  onProject?(listener: (e: EventPayload<'project'>) => void): () => void;
}

/** Per-shape flags every exporter understands (Pascal VOC needs them); other attributes are free key/values. */
export const SHAPE_FLAGS = ['occluded', 'truncated', 'difficult'] as const;
/** The attribute that holds a track / instance id. */
export const TRACK_ATTRIBUTE = 'track_id';

export type ShapeKind = AnnotationKind;
export type { Geometry, LabelClass };
