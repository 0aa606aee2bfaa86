import { describe, expect, it } from 'vitest';
import { clickRange, clickSelection, emptySelection, type Selection } from './selection.js';

// Cell i holds image id 100 + i.
const idsOf = ([lo, hi]: [number, number]) => Array.from({ length: hi - lo + 1 }, (_, k) => 100 + lo + k);
const click = (sel: Selection, index: number, toggle = false, range = false) => {
  const mods = { toggle, range };
  return clickSelection(sel, index, 100 + index, mods, idsOf(clickRange(sel, index, mods)));
};
const ids = (s: Selection) => [...s.ids].sort((a, b) => a - b);

describe('library selection', () => {
  it('selects one cell on a plain click, replacing the selection', () => {
    let s = click(emptySelection, 3);
    expect(ids(s)).toEqual([103]);
    s = click(s, 5);
    expect(ids(s)).toEqual([105]);
    expect(s.anchor).toBe(5);
  });

  it('toggles with ctrl/cmd and moves the anchor', () => {
    let s = click(emptySelection, 1);
    s = click(s, 4, true);
    s = click(s, 6, true);
    expect(ids(s)).toEqual([101, 104, 106]);
    s = click(s, 4, true);
    expect(ids(s)).toEqual([101, 106]);
    expect(s.anchor).toBe(4);
  });

  it('selects the range from the anchor with shift, in either direction, keeping the anchor', () => {
    let s = click(emptySelection, 5);
    s = click(s, 8, false, true);
    expect(ids(s)).toEqual([105, 106, 107, 108]);
    // A second shift-click re-ranges from the same anchor, dropping what the first range added.
    s = click(s, 3, false, true);
    expect(ids(s)).toEqual([103, 104, 105]);
    expect(s.anchor).toBe(5);
  });

  it('adds the range to the selection with ctrl/cmd+shift', () => {
    let s = click(emptySelection, 0);
    s = click(s, 10, true);
    s = click(s, 12, true, true);
    expect(ids(s)).toEqual([100, 110, 111, 112]);
  });

  it('treats a shift-click without an anchor as a plain click', () => {
    expect(clickRange(emptySelection, 7, { toggle: false, range: true })).toEqual([7, 7]);
    const s = click(emptySelection, 7, false, true);
    expect(ids(s)).toEqual([107]);
    expect(s.anchor).toBe(7);
  });
});
