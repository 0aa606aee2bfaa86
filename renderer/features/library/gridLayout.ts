/** Pure layout and keyboard logic of the library grid. */

export const MIN_CELL = 176;
export const GAP = 10;
/** Room under the thumbnail for the file name and badges. */
export const CAPTION_HEIGHT = 46;

export interface GridLayout {
  columns: number;
  cellWidth: number;
  rowHeight: number;
}

/** As many columns of at least MIN_CELL as fit; cells then stretch to fill the width. */
export function gridLayout(width: number): GridLayout {
  const columns = Math.max(1, Math.floor((width + GAP) / (MIN_CELL + GAP)));
  const cellWidth = Math.max(1, Math.floor((width - GAP * (columns - 1)) / columns));
  return { columns, cellWidth, rowHeight: cellWidth + CAPTION_HEIGHT + GAP };
}

/** The focused index after a key press, or null for a key the grid does not handle. */
export function moveFocus(
  index: number,
  key: string,
  columns: number,
  total: number,
  rowsPerPage: number,
): number | null {
  if (total <= 0) return null;
  let next: number;
  switch (key) {
    case 'ArrowLeft':
      next = index - 1;
      break;
    case 'ArrowRight':
      next = index + 1;
      break;
    case 'ArrowUp':
      next = index - columns;
      break;
    case 'ArrowDown':
      next = index + columns;
      break;
    case 'PageUp':
      next = index - columns * Math.max(1, rowsPerPage);
      break;
    case 'PageDown':
      next = index + columns * Math.max(1, rowsPerPage);
      break;
    case 'Home':
      next = 0;
      break;
    case 'End':
      next = total - 1;
      break;
    default:
      return null;
  }
  // Moving up from the first row or down from the last stays put rather than jumping to a corner.
  const onLastRow = Math.floor(index / columns) === Math.floor((total - 1) / columns);
  if ((key === 'ArrowUp' && next < 0) || (key === 'ArrowDown' && next >= total && onLastRow)) return index;
  return Math.min(total - 1, Math.max(0, next));
}
