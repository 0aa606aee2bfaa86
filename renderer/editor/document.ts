/**
 * The document an editor works on: one image's shapes and the project's classes, with its undo and redo stacks,
 * and the one rule that changes it: a step sets each change's `after` in order, its undo sets each `before` in
 * reverse order (the server applies the very same rule, see `edits.apply` in common/api/contract.ts). Because a
 * step only ever *sets* rows, applying it twice is the same as applying it once, which is what lets the editor
 * replay its unacknowledged steps over a fresh read of the server without knowing which of them the read saw.
 */
import { HISTORY_LIMIT, type AnnotationState, type ClassState, type EditChange, type LabelClass } from '../../common/api/contract.js';
import type { Shape } from './types.js';

/** A step as the editor keeps it in its stacks. */
export interface StepEntry {
  key: string;
  label: string;
  changes: EditChange[];
}

/** The operations the save queue sends, in order. `project` counts project opens and closes the editor saw. */
export type SaveOp = { kind: 'apply' | 'undo' | 'redo'; imageId: number; step: StepEntry; project?: number };

/** A mutable document: the editor copies its maps before changing them, so snapshots it handed out stay intact. */
export interface DocData {
  imageId: number;
  shapes: Map<number, Shape>;
  classes: Map<number, LabelClass>;
  /** Oldest first: the last entry is undone next. */
  undo: StepEntry[];
  /** Next to redo first. */
  redo: StepEntry[];
}

/** What a change touched, so the editor can tell the canvas. */
export interface Touched {
  shapes: Set<number>;
  classes: boolean;
}

export function newTouched(): Touched {
  return { shapes: new Set(), classes: false };
}

export function toShape(id: number, s: AnnotationState): Shape {
  return { id, ...s };
}

export function shapeState(s: Shape): AnnotationState {
  const { id: _id, ...rest } = s;
  return rest;
}

export function toClass(id: number, s: ClassState): LabelClass {
  return { id, ...s };
}

export function classState(c: LabelClass): ClassState {
  return { name: c.name, color: c.color, hotkey: c.hotkey, position: c.position, keypoints: c.keypoints ?? null };
}

/**
 * Set the rows of `changes` forward (dir 1: every `after`, in order) or backward (dir -1: every `before`, in
 * reverse order). Annotations of other images are not in this document and are skipped; `only` limits the
 * change kinds applied (a step of another image still changes the project's classes).
 */
export function applyChanges(
  doc: Pick<DocData, 'imageId' | 'shapes' | 'classes'>,
  changes: readonly EditChange[],
  dir: 1 | -1,
  touched: Touched = newTouched(),
  only?: ReadonlySet<EditChange['t']>,
): Touched {
  const n = changes.length;
  for (let k = 0; k < n; k++) {
    const c = changes[dir === 1 ? k : n - 1 - k];
    if (only && !only.has(c.t)) continue;
    if (c.t === 'annotation') {
      const s = dir === 1 ? c.after : c.before;
      if (s && s.imageId === doc.imageId) {
        // As the server does: a class that no longer exists is written as null.
        const classId = s.classId !== null && !doc.classes.has(s.classId) ? null : s.classId;
        doc.shapes.set(c.id, toShape(c.id, classId === s.classId ? s : { ...s, classId }));
      } else if (doc.shapes.has(c.id)) doc.shapes.delete(c.id);
      else continue;
      touched.shapes.add(c.id);
    } else if (c.t === 'class') {
      const s = dir === 1 ? c.after : c.before;
      if (s) doc.classes.set(c.id, toClass(c.id, s));
      else doc.classes.delete(c.id);
      touched.classes = true;
    } else {
      // As the server does: only annotations still in the source class move, and a class that no longer exists
      // stands for "no class".
      const live = (id: number | null): number | null => (id !== null && doc.classes.has(id) ? id : null);
      const from = live(dir === 1 ? c.from : c.to);
      const to = live(dir === 1 ? c.to : c.from);
      if (from === to) continue;
      for (const id of c.ids) {
        const s = doc.shapes.get(id);
        if (!s || s.classId !== from) continue;
        doc.shapes.set(id, { ...s, classId: to });
        touched.shapes.add(id);
      }
    }
  }
  return touched;
}

const CLASS_CHANGES: ReadonlySet<EditChange['t']> = new Set(['class', 'reclass']);

export function trimUndo(undo: StepEntry[]): void {
  if (undo.length > HISTORY_LIMIT) undo.splice(0, undo.length - HISTORY_LIMIT);
}

/**
 * Play one save operation onto a document, idempotently. For the document's own image the stacks decide: a step
 * already in them was seen by the server read and is skipped; an undo or redo applies only when its step is the
 * next one to undo or redo (otherwise the read already saw it, or another window moved the history on). A step
 * of another image changes only the classes (and class ids of annotations a class edit moved).
 */
export function replayOp(doc: DocData, op: SaveOp, touched: Touched = newTouched()): Touched {
  if (op.imageId !== doc.imageId) {
    applyChanges(doc, op.step.changes, op.kind === 'undo' ? -1 : 1, touched, CLASS_CHANGES);
    return touched;
  }
  const key = op.step.key;
  if (op.kind === 'apply') {
    if (doc.undo.some((e) => e.key === key) || doc.redo.some((e) => e.key === key)) return touched;
    applyChanges(doc, op.step.changes, 1, touched);
    doc.undo.push(op.step);
    trimUndo(doc.undo);
    doc.redo.length = 0;
  } else if (op.kind === 'undo') {
    if (doc.undo[doc.undo.length - 1]?.key !== key) return touched;
    applyChanges(doc, op.step.changes, -1, touched);
    doc.redo.unshift(doc.undo.pop()!);
  } else {
    if (doc.redo[0]?.key !== key) return touched;
    applyChanges(doc, op.step.changes, 1, touched);
    doc.undo.push(doc.redo.shift()!);
    trimUndo(doc.undo);
  }
  return touched;
}

export function cloneDoc(doc: DocData): DocData {
  return {
    imageId: doc.imageId,
    shapes: new Map(doc.shapes),
    classes: new Map(doc.classes),
    undo: [...doc.undo],
    redo: [...doc.redo],
  };
}

/** Deep equality of JSON-like values (geometry, attributes): steps that change nothing are not made. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}
