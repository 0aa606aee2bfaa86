import { useEffect, useMemo, useRef, useSyncExternalStore } from 'react';
import type { ImageFilter, ImageRow, ImageSort } from '../../../common/api/contract.js';
import { api } from '../../api.js';
import { useStore } from '../app/store.js';
import { loadFolders } from './folderData.js';
import { FolderPanel } from './FolderPanel.js';
import { LibraryGrid } from './LibraryGrid.js';
import { LibraryToolbar } from './LibraryToolbar.js';
import { PageCache, type PageCursor, type PageResult } from './pageCache.js';
import { libraryStore } from './query.js';

export const PAGE_SIZE = 200;

/** The library's first page, asked for at start beside app.info (see prefetchLibraryPage). */
let early: { key: string; token: number; page: Promise<PageResult<ImageRow>> } | null = null;
const queryKey = (filter: ImageFilter, sort: ImageSort) => JSON.stringify([filter, sort]);
/** The refresh token a cache's first page was read at, when it was the early one. */
const readAt = new WeakMap<PageCache<ImageRow>, number>();

/**
 * Ask for the library's first page now, beside app.info, rather than once app.info has answered and the library has
 * rendered: one round trip less before the first cell (on a cold open the server is busy listing the folder, and a
 * round trip took 300–600 ms). The page takes it for the same filter and sort; if the images changed since it was
 * asked for (a refresh of the library), the page refreshes at once; a failed answer (no project open yet) is asked
 * for again.
 */
export function prefetchLibraryPage(): void {
  const { filter, sort, refreshToken } = libraryStore.get();
  const page = api.call('images.list', { offset: 0, limit: PAGE_SIZE, filter, sort });
  page.catch(() => undefined);
  early = { key: queryKey(filter, sort), token: refreshToken, page };
}

export function LibraryPage() {
  const { filter, sort, refreshToken } = useStore(libraryStore);
  // A new filter or sort is a new list; a refresh of the same list keeps what is on screen until pages return.
  const cache = useMemo(() => {
    const list = (offset: number, limit: number, cursor?: PageCursor) => api.call('images.list', { offset, limit, filter, sort, ...cursor });
    const taken = early?.key === queryKey(filter, sort) ? early : null;
    early = null;
    let first = taken?.page ?? null;
    const made = new PageCache<ImageRow>((offset, limit, cursor) => {
      const page = first && offset === 0 && limit === PAGE_SIZE && !cursor ? first : null;
      first = null;
      return page ? page.catch(() => list(offset, limit, cursor)) : list(offset, limit, cursor);
    }, PAGE_SIZE);
    if (taken) readAt.set(made, taken.token);
    return made;
  }, [filter, sort]);
  useSyncExternalStore(cache.subscribe, () => cache.version);

  const seenToken = useRef(readAt.get(cache) ?? refreshToken);
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
