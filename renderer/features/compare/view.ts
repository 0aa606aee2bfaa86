/** Compare mode's choices, one set for the session (kept while stepping through images). */
import { createStore } from '../app/store.js';

export interface CompareView {
  on: boolean;
  /** IoU a prediction needs to match a label. The confidence slider is the predictions layer's (`predictionsView.minScore`). */
  iouThreshold: number;
  /** Comparison classes switched off (`CompareClass.id`). */
  hiddenClasses: ReadonlySet<number>;
  showRejected: boolean;
  /** Rejections made or taken back in this session, before the predictions are read again: prediction id → rejected. */
  rejected: ReadonlyMap<number, boolean>;
  /** The prediction last clicked (A and X act on the one under the pointer, else this one). */
  selected: number | null;
  /** The last rejection, for its "Undo" (X on a shown rejected prediction takes one back too). */
  lastRejected: { ids: number[]; text: string } | null;
  /** Two canvases of the image instead of one: the labels (editable) on the left, the run's predictions on the right, pan and zoom linked. */
  sideBySide: boolean;
}

export const compareView = createStore<CompareView>({
  on: false,
  iouThreshold: 0.5,
  hiddenClasses: new Set(),
  showRejected: false,
  rejected: new Map(),
  selected: null,
  lastRejected: null,
  sideBySide: false,
});

export const toggleCompare = () => compareView.set((v) => ({ on: !v.on, selected: null }));
/** Side by side on and off; from outside compare mode it turns compare mode on, side by side. */
export const toggleSideBySide = () => compareView.set((v) => (v.on ? { sideBySide: !v.sideBySide } : { on: true, sideBySide: true, selected: null }));
