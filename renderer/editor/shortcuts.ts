/**
 * The editor's keyboard bindings, one table for both `Editor.keyDown` and the help overlay, so the overlay cannot
 * list a key the editor does not handle. The image view's own keys (navigation, status, zoom, help) are the page's
 * to list; rows without bindings describe the editor's mouse gestures.
 */
import type { KeyInput } from './types.js';

export type EditorCommand =
  | 'tool.select'
  | 'tool.box'
  | 'tool.polygon'
  | 'tool.polyline'
  | 'tool.brush'
  | 'tool.eraser'
  | 'tool.keypoints'
  | 'brush.smaller'
  | 'brush.larger'
  | 'finish'
  | 'cancel'
  | 'delete'
  | 'undo'
  | 'redo'
  | 'copy'
  | 'paste'
  | 'duplicate'
  | 'selectAll'
  | 'nudge.left'
  | 'nudge.right'
  | 'nudge.up'
  | 'nudge.down'
  | 'nudge.left10'
  | 'nudge.right10'
  | 'nudge.up10'
  | 'nudge.down10'
  | 'class.1'
  | 'class.2'
  | 'class.3'
  | 'class.4'
  | 'class.5'
  | 'class.6'
  | 'class.7'
  | 'class.8'
  | 'class.9'
  | 'labels.toggle'
  | 'keypoint.skip'
  | 'keypoint.visibility';

/**
 * Keys of the compare view (labels against a run's predictions), handled by the image view, not the editor. They
 * answer only while compare mode is on, except `C` that turns it on and off (and `Shift+C`, side by side, which turns it
 * on too): there `A` accepts instead of going to the previous image (← still does), and `X` rejects unless keypoints
 * are being drawn (then the editor's "skip this point" comes first).
 */
export type CompareCommand = 'compare.toggle' | 'compare.accept' | 'compare.acceptAll' | 'compare.reject' | 'compare.sideBySide';

/** One key combination; modifiers left out must be up. `key` is KeyboardEvent.key, letters in lower case. */
export interface KeyBinding {
  key: string;
  ctrl?: boolean;
  shift?: boolean;
  alt?: boolean;
}

export interface Shortcut {
  /** As shown to people: "Ctrl+Shift+Z / Ctrl+Y". */
  key: string;
  description: string;
  group: 'Tools' | 'Drawing' | 'Selection' | 'Edit' | 'Classes' | 'View' | 'Compare';
  /** What the editor does; null for mouse gestures and the compare view's keys. */
  command: EditorCommand | null;
  /** What the compare view does (the image view handles these). */
  compare?: CompareCommand;
  bindings: KeyBinding[];
}

const k = (key: string, mods: Omit<KeyBinding, 'key'> = {}): KeyBinding => ({ key, ...mods });

function row(key: string, description: string, group: Shortcut['group'], command: EditorCommand, ...bindings: KeyBinding[]): Shortcut {
  return { key, description, group, command, bindings };
}

function compareRow(key: string, description: string, compare: CompareCommand, ...bindings: KeyBinding[]): Shortcut {
  return { key, description, group: 'Compare', command: null, compare, bindings };
}

/** A mouse gesture of the editor's: listed, no key. */
function gesture(key: string, description: string, group: Shortcut['group']): Shortcut {
  return { key, description, group, command: null, bindings: [] };
}

export const SHORTCUTS: readonly Shortcut[] = [
  row('V', 'Select, move and resize', 'Tools', 'tool.select', k('v')),
  row('B', 'Box: drag to draw', 'Tools', 'tool.box', k('b')),
  row('P', 'Polygon: click the points', 'Tools', 'tool.polygon', k('p')),
  row('L', 'Polyline: click the points (at least 3)', 'Tools', 'tool.polyline', k('l')),
  row('M', 'Mask brush', 'Tools', 'tool.brush', k('m')),
  row('E', 'Mask eraser', 'Tools', 'tool.eraser', k('e')),
  row('K', 'Keypoints of the active class', 'Tools', 'tool.keypoints', k('k')),
  row('[', 'Smaller brush', 'Drawing', 'brush.smaller', k('[')),
  row(']', 'Larger brush', 'Drawing', 'brush.larger', k(']')),
  row('Enter', 'Finish the polygon, polyline or keypoints', 'Drawing', 'finish', k('enter')),
  row('Esc', 'Cancel the drawing, else clear the selection', 'Drawing', 'cancel', k('escape')),
  row('X', 'Keypoints: skip this point (not labeled)', 'Drawing', 'keypoint.skip', k('x')),
  row('O', 'Keypoints: visible → occluded → not labeled', 'Drawing', 'keypoint.visibility', k('o')),
  gesture('Shift+click', 'Select: add to or take from the selection; keypoints: place the point as occluded', 'Selection'),
  gesture('Drag on empty space', 'Select: select the shapes inside the rectangle', 'Selection'),
  gesture('Click an edge', 'Select: insert a vertex into the selected polygon', 'Edit'),
  row('Delete / Backspace', 'Delete the selection or the selected vertex; while drawing, remove the last point', 'Edit', 'delete', k('delete'), k('backspace')),
  gesture('Right-click a vertex', 'Remove that vertex of the selected polygon', 'Edit'),
  row('Ctrl+Z', 'Undo', 'Edit', 'undo', k('z', { ctrl: true })),
  row('Ctrl+Shift+Z / Ctrl+Y', 'Redo', 'Edit', 'redo', k('z', { ctrl: true, shift: true }), k('y', { ctrl: true })),
  row('Ctrl+C', 'Copy the selection', 'Edit', 'copy', k('c', { ctrl: true })),
  row('Ctrl+V', 'Paste (also onto another image)', 'Edit', 'paste', k('v', { ctrl: true })),
  row('Ctrl+D', 'Duplicate the selection', 'Edit', 'duplicate', k('d', { ctrl: true })),
  row('Ctrl+A', 'Select every shape', 'Selection', 'selectAll', k('a', { ctrl: true })),
  row('←', 'Move the selection 1 px left', 'Edit', 'nudge.left', k('arrowleft')),
  row('→', 'Move the selection 1 px right', 'Edit', 'nudge.right', k('arrowright')),
  row('↑', 'Move the selection 1 px up', 'Edit', 'nudge.up', k('arrowup')),
  row('↓', 'Move the selection 1 px down', 'Edit', 'nudge.down', k('arrowdown')),
  row('Shift+←', 'Move the selection 10 px left', 'Edit', 'nudge.left10', k('arrowleft', { shift: true })),
  row('Shift+→', 'Move the selection 10 px right', 'Edit', 'nudge.right10', k('arrowright', { shift: true })),
  row('Shift+↑', 'Move the selection 10 px up', 'Edit', 'nudge.up10', k('arrowup', { shift: true })),
  row('Shift+↓', 'Move the selection 10 px down', 'Edit', 'nudge.down10', k('arrowdown', { shift: true })),
  ...([1, 2, 3, 4, 5, 6, 7, 8, 9] as const).map((n) =>
    row(String(n), `Class ${n} (in the classes panel's order) for the selection, else for the next shape`, 'Classes', `class.${n}`, k(String(n))),
  ),
  row('H', 'Hide or show the labels', 'View', 'labels.toggle', k('h')),
  compareRow('C', 'Compare mode: labels against a run (TP / FP / FN)', 'compare.toggle', k('c')),
  compareRow('Shift+C', 'Compare side by side: labels left, predictions right, pan and zoom linked (turns compare mode on)', 'compare.sideBySide', k('c', { shift: true })),
  compareRow('A', 'Compare mode: accept the prediction under the pointer (else the one clicked) as a label (← goes to the previous image)', 'compare.accept', k('a')),
  compareRow('Shift+A', 'Compare mode: accept every unmatched prediction above the confidence slider', 'compare.acceptAll', k('a', { shift: true })),
  compareRow('X', 'Compare mode: reject the prediction under the pointer (else the one clicked); X on a shown rejected one takes it back', 'compare.reject', k('x')),
];

/** Rows that only describe a mouse gesture have no bindings and so never match. */
const BY_KEY = new Map<string, { binding: KeyBinding; command: EditorCommand }[]>();
for (const s of SHORTCUTS) {
  if (!s.command) continue;
  for (const b of s.bindings) {
    let list = BY_KEY.get(b.key);
    if (!list) BY_KEY.set(b.key, (list = []));
    list.push({ binding: b, command: s.command });
  }
}

const COMPARE_KEYS = new Map<string, { binding: KeyBinding; command: CompareCommand }[]>();
for (const s of SHORTCUTS) {
  if (!s.compare) continue;
  for (const b of s.bindings) {
    let list = COMPARE_KEYS.get(b.key);
    if (!list) COMPARE_KEYS.set(b.key, (list = []));
    list.push({ binding: b, command: s.compare });
  }
}

const same = (b: KeyBinding, input: KeyInput) => !!b.ctrl === input.ctrl && !!b.shift === input.shift && !!b.alt === input.alt;

/** The compare view's command bound to a key press, or null (see `CompareCommand` for when they apply). */
export function matchCompareShortcut(input: KeyInput): CompareCommand | null {
  for (const { binding, command } of COMPARE_KEYS.get(input.key.toLowerCase()) ?? []) if (same(binding, input)) return command;
  return null;
}

/** The editor command bound to a key press, or null. */
export function matchShortcut(input: KeyInput): EditorCommand | null {
  const key = input.key.toLowerCase();
  for (const { binding, command } of BY_KEY.get(key) ?? []) {
    if (same(binding, input)) return command;
  }
  return null;
}
