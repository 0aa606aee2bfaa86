/**
 * What a tool sees of the editor, and what every tool answers. A tool is a small state machine: pointer and key
 * input in, drafts and previews while a gesture lasts, one step (`commit`) when it ends.
 */
import type { AnnotationKind, AnnotationState, EditChange, Geometry, LabelClass } from '../../../common/api/contract.js';
import type { Draft, EditorState, Handle, Point, PointerInput, Shape, ToolName, VertexRef } from '../types.js';

/** Hit areas, in screen pixels (divided by the zoom to get image pixels). */
export const HIT_PX = 5;
export const HANDLE_PX = 7;
/** A press that moves less than this (screen pixels) is a click, not a drag. */
export const DRAG_PX = 3;
/** Clicking this close (screen pixels) to a polygon's first point closes it. */
export const CLOSE_PX = 8;
/** Two presses this close in time (ms) and space (screen pixels) are a double click. */
export const DOUBLE_CLICK_MS = 400;
export const DOUBLE_CLICK_PX = 4;

export interface ToolHost {
  readonly state: EditorState;
  /** The image's size (0 × 0 when none is loaded). */
  readonly width: number;
  readonly height: number;
  /** A stored shape (not its preview). */
  shape(id: number): Shape | undefined;
  /** Shown, and of a class that is neither hidden nor locked. */
  editable(s: Shape): boolean;
  /** The topmost editable shape under p (optionally only those passing `filter`). */
  hitTest(p: Point, scale: number, filter?: (s: Shape) => boolean): Shape | null;
  /** The handle of a selected shape under p. */
  hitHandle(p: Point, scale: number): Handle | null;
  /** Ids of stored shapes whose bounding box meets the rectangle. */
  query(x0: number, y0: number, x1: number, y1: number): number[];
  setDraft(d: Draft | null): void;
  setPreview(p: ReadonlyMap<number, Shape> | null): void;
  setCursor(c: EditorState['cursor']): void;
  setHovered(id: number | null): void;
  select(ids: Iterable<number>, vertex?: VertexRef | null): void;
  setSelectedVertex(v: VertexRef | null): void;
  /** Make one step of `changes` (no-op changes dropped); false when nothing was left to do. */
  commit(label: string, changes: EditChange[]): boolean;
  /** Run `fn` with `n` new annotation ids: at once when the pool holds them, else once they are reserved. */
  withIds(n: number, fn: (ids: number[]) => void): void;
  notice(text: string, level?: 'info' | 'warning' | 'error'): void;
  /** A new shape's content on the current image, of the active class unless told. */
  newShape(kind: AnnotationKind, geometry: Geometry, classId?: number | null, attributes?: AnnotationState['attributes']): AnnotationState;
  activeClass(): LabelClass | null;
  /** Remove a polygon's vertex or clear a keypoint (the selected-vertex delete and right-click). */
  removeVertex(ref: VertexRef): boolean;
}

export interface Tool {
  readonly name: ToolName;
  pointerDown(p: PointerInput): boolean;
  pointerMove(p: PointerInput): boolean;
  pointerUp(p: PointerInput): boolean;
  doubleClick(p: PointerInput): boolean;
  contextMenu(p: PointerInput): boolean;
  /** Enter. */
  finish(): boolean;
  /** Esc: drop the gesture or draft; false when there was none. */
  cancel(): boolean;
  /** Delete / Backspace while drawing (remove the last point); false to let the editor delete the selection. */
  deleteKey(): boolean;
  /** X (keypoints: skip a point). */
  skip(): boolean;
  /** A gesture or draft is under way. */
  busy(): boolean;
  /** The document was replaced under the tool (a reload): drop anything that points at old shapes. */
  documentReplaced(): void;
}

/** Defaults: a tool handles nothing it does not say it handles. */
export abstract class BaseTool implements Tool {
  abstract readonly name: ToolName;
  constructor(protected readonly host: ToolHost) {}
  pointerDown(_p: PointerInput): boolean {
    return false;
  }
  pointerMove(_p: PointerInput): boolean {
    return false;
  }
  pointerUp(_p: PointerInput): boolean {
    return false;
  }
  doubleClick(_p: PointerInput): boolean {
    return false;
  }
  contextMenu(_p: PointerInput): boolean {
    return false;
  }
  finish(): boolean {
    return false;
  }
  cancel(): boolean {
    return false;
  }
  deleteKey(): boolean {
    return false;
  }
  skip(): boolean {
    return false;
  }
  busy(): boolean {
    return false;
  }
  documentReplaced(): void {}
}

/** An annotation change for a shape: from its stored state (null: new) to `after` (null: delete). */
export function change(id: number, before: Shape | AnnotationState | null | undefined, after: AnnotationState | null): EditChange {
  return { t: 'annotation', id, before: before ? stripId(before) : null, after: after ? stripId(after) : null };
}

export function stripId(s: Shape | AnnotationState): AnnotationState {
  if (!('id' in s)) return s;
  const { id: _id, ...rest } = s;
  return rest;
}
