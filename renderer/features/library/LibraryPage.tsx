import { useEffect, useMemo, useRef, useSyncExternalStore } from 'react';
import type { ImageRow } from '../../../common/api/contract.js';
import { api } from '../../api.js';
import { useStore } from '../app/store.js';
import { loadFolders } from './folderData.js';
import { FolderPanel } from './FolderPanel.js';
import { LibraryGrid } from './LibraryGrid.js';
import { LibraryToolbar } from './LibraryToolbar.js';
import { PageCache } from './pageCache.js';
import { libraryStore } from './query.js';

export const PAGE_SIZE = 200;

export function LibraryPage() {
  const { filter, sort, refreshToken } = useStore(libraryStore);
  // A new filter or sort is a new list; a refresh of the same list keeps what is on screen until pages return.
  const cache = useMemo(
    () => new PageCache<ImageRow>((offset, limit, cursor) => api.call('images.list', { offset, limit, filter, sort, ...cursor }), PAGE_SIZE),
    [filter, sort],
  );
  useSyncExternalStore(cache.subscribe, () => cache.version);

  const seenToken = useRef(refreshToken);
  useEffect(() => {
    if (seenToken.current === refreshToken) return;
    seenToken.current = refreshToken;
    cache.refresh();
  }, [cache, refreshToken]);
  // The folder counts follow the same refreshes (an import adds folders); they do not depend on the filter.
  useEffect(() => {
    void loadFolders();
  }, [refreshToken]);

  return (
    <div className="library">
      <LibraryToolbar total={cache.total} />
      <div className="library-body">
        <FolderPanel />
        <LibraryGrid cache={cache} filtered={Object.keys(filter).length > 0} />
      </div>
    </div>
  );
}
