/** images.folders as the library page last fetched it, shared by the folder panel and the grid's captions. */
import type { FolderCount, ImageFolders } from '../../../common/api/contract.js';
import { api, errorMessage } from '../../api.js';
import { createStore } from '../app/store.js';

export interface FoldersState {
  folders: FolderCount[];
  /** Names to show with their folder; null: show the folder of every image not at the top of its root. */
  repeated: Set<string> | null;
  error: string | null;
}

export const foldersStore = createStore<FoldersState>({ folders: [], repeated: new Set(), error: null });

let loading: Promise<void> | null = null;
let again = false;

/** Fetch the folder counts; a call while one is under way runs once more after it (imports refresh often). */
export function loadFolders(): Promise<void> {
  if (loading) {
    again = true;
    return loading;
  }
  loading = api
    .call('images.folders')
    .then(
      (r: ImageFolders) => foldersStore.set({ folders: r.folders, repeated: r.repeatedNames ? new Set(r.repeatedNames) : null, error: null }),
      (err: unknown) => foldersStore.set({ error: `Could not list the folders: ${errorMessage(err)}` }),
    )
    .finally(() => {
      loading = null;
      if (again) {
        again = false;
        void loadFolders();
      }
    });
  return loading;
}
