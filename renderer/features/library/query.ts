import type { ImageFilter, ImageSort } from '../../../common/api/contract.js';
import { createStore } from '../app/store.js';

/** What the library shows, shared with the viewer so ← / → walk the same list. */
export interface LibraryState {
  filter: ImageFilter;
  sort: ImageSort;
  /** Bumped when the images changed on the server (job finished, project event): refetch, keep the scroll. */
  refreshToken: number;
  /** Index of the last image opened or focused, so going back to the grid lands on it. */
  lastIndex: number;
}

export const libraryStore = createStore<LibraryState>({
  filter: {},
  sort: { by: 'path', dir: 'asc' },
  refreshToken: 0,
  lastIndex: 0,
});

export function refreshLibrary(): void {
  libraryStore.set((s) => ({ refreshToken: s.refreshToken + 1 }));
}
