/**
 * Multi-selection in the library grid, as file managers do it: a click selects one cell, ctrl/cmd-click toggles
 * one, shift-click selects the range from the anchor (ctrl/cmd+shift adds it). Ids, not indices, are kept, so a
 * refresh that reorders the grid keeps what was picked; the anchor is an index because ranges are by position.
 */
import { createStore } from '../app/store.js';

export interface Selection {
  ids: ReadonlySet<number>;
  /** Index of the cell the next shift-click ranges from. */
  anchor: number | null;
}

export interface ClickModifiers {
  toggle: boolean;
  range: boolean;
}

export const emptySelection: Selection = { ids: new Set(), anchor: null };

export const selectionStore = createStore<Selection>(emptySelection);

export function clearSelection(): void {
  if (selectionStore.get().ids.size > 0 || selectionStore.get().anchor !== null) selectionStore.set(emptySelection);
}

/** The index range a click at `index` covers: [lo, hi], inclusive. Without a range click or an anchor, the cell itself. */
export function clickRange(sel: Selection, index: number, mods: ClickModifiers): [number, number] {
  if (!mods.range || sel.anchor === null) return [index, index];
  return sel.anchor <= index ? [sel.anchor, index] : [index, sel.anchor];
}

/**
 * The selection after a click on (index, id). `rangeIds` are the ids of every cell in `clickRange(...)`, which the
 * caller resolves (the grid may need to fetch rows it has not loaded).
 */
export function clickSelection(sel: Selection, index: number, id: number, mods: ClickModifiers, rangeIds: readonly number[] = [id]): Selection {
  if (mods.range && sel.anchor !== null) {
    const ids = new Set(mods.toggle ? sel.ids : []);
    for (const r of rangeIds) ids.add(r);
    return { ids, anchor: sel.anchor };
  }
  if (mods.toggle) {
    const ids = new Set(sel.ids);
    if (ids.has(id)) ids.delete(id);
    else ids.add(id);
    return { ids, anchor: index };
  }
  return { ids: new Set([id]), anchor: index };
}
