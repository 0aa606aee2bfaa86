import { describe, expect, it } from 'vitest';
import { GAP, MIN_CELL, gridLayout, moveFocus } from './gridLayout.js';

describe('gridLayout', () => {
  it('fits as many cells of at least the minimum width as possible, filling the row', () => {
    for (const width of [100, MIN_CELL, 500, 1234, 1920, 3840]) {
      const { columns, cellWidth } = gridLayout(width);
      expect(columns * cellWidth + (columns - 1) * GAP).toBeLessThanOrEqual(width < MIN_CELL ? MIN_CELL : width);
      if (width >= MIN_CELL) expect(cellWidth).toBeGreaterThanOrEqual(MIN_CELL);
      // one more column would not fit
      expect((columns + 1) * MIN_CELL + columns * GAP).toBeGreaterThan(width);
    }
    expect(gridLayout(1920).columns).toBe(10);
    expect(gridLayout(50).columns).toBe(1);
  });
});

describe('moveFocus', () => {
  // 4 columns, 10 items: rows [0..3] [4..7] [8, 9]
  const move = (i: number, key: string) => moveFocus(i, key, 4, 10, 2);

  it('moves by one, by a row and by a page', () => {
    expect(move(5, 'ArrowLeft')).toBe(4);
    expect(move(5, 'ArrowRight')).toBe(6);
    expect(move(5, 'ArrowUp')).toBe(1);
    expect(move(1, 'ArrowDown')).toBe(5);
    expect(move(0, 'PageDown')).toBe(8);
    expect(move(9, 'PageUp')).toBe(1);
    expect(move(5, 'Home')).toBe(0);
    expect(move(5, 'End')).toBe(9);
  });

  it('stays inside the list', () => {
    expect(move(0, 'ArrowLeft')).toBe(0);
    expect(move(9, 'ArrowRight')).toBe(9);
    expect(move(2, 'ArrowUp')).toBe(2);
    expect(move(9, 'ArrowDown')).toBe(9);
    // from a row above a short last row, down lands on the last item
    expect(move(7, 'ArrowDown')).toBe(9);
  });

  it('ignores other keys and empty lists', () => {
    expect(move(3, 'a')).toBeNull();
    expect(moveFocus(0, 'ArrowRight', 4, 0, 2)).toBeNull();
  });
});
