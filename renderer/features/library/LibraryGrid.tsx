import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type MouseEvent } from 'react';
import type { ImageRow } from '../../../common/api/contract.js';
import { isAbortError } from '../../../common/workQueue.js';
import { api, errorMessage } from '../../api.js';
import { projectStore } from '../app/project.js';
import { navigate } from '../app/route.js';
import { useStore } from '../app/store.js';
import { isFinished, jobsStore } from '../jobs/jobs.js';
import { baseName, imageVersion, STATUS_LABELS } from '../status.js';
import { foldersStore } from './folderData.js';
import { folderLabel } from './folders.js';
import { gridLayout, moveFocus } from './gridLayout.js';
import type { PageCache } from './pageCache.js';
import { libraryStore } from './query.js';
import { clearSelection, clickRange, clickSelection, selectionStore, type ClickModifiers } from './selection.js';
import { loadThumbnail, ThumbnailError } from './thumbLoader.js';

/** While the grid is scrolling, wait this long for it to rest before fetching, so a fling skips the pages it passes. */
const SCROLL_FETCH_DELAY_MS = 80;
const OVERSCAN_ROWS = 2;
const RANGE_PAGE = 1000;

/** Ids of cells lo..hi: from the cache where loaded, else fetched (a shift-click may span rows never scrolled past). */
async function idsInRange(cache: PageCache<ImageRow>, lo: number, hi: number): Promise<number[]> {
  const ids: number[] = [];
  let missingFrom = -1;
  for (let i = lo; i <= hi; i++) {
    const row = cache.get(i);
    if (!row) {
      missingFrom = i;
      break;
    }
    ids.push(row.id);
  }
  if (missingFrom < 0) return ids;
  const { filter, sort } = libraryStore.get();
  // The first page by offset, the rest each after the one before (a keyset seek, not an OFFSET at every step).
  let after: string | undefined;
  for (let offset = missingFrom; offset <= hi; offset += RANGE_PAGE) {
    const page = await api.call('images.list', { offset, limit: Math.min(RANGE_PAGE, hi - offset + 1), filter, sort, ...(after ? { after } : {}) });
    ids.push(...page.items.map((r) => r.id));
    if (!page.endCursor) break;
    after = page.endCursor;
  }
  return ids;
}

export function LibraryGrid({ cache, filtered }: { cache: PageCache<ImageRow>; filtered: boolean }) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState({ width: 0, height: 0 });
  const [focus, setFocus] = useState(() => libraryStore.get().lastIndex);
  const selection = useStore(selectionStore);
  const [selectError, setSelectError] = useState<string | null>(null);
  const { repeated } = useStore(foldersStore);
  const roots = useStore(projectStore).project?.roots ?? NO_ROOTS;

  useLayoutEffect(() => {
    const el = scrollRef.current!;
    const measure = () => {
      const style = getComputedStyle(el);
      const padX = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
      setSize({ width: el.clientWidth - padX, height: el.clientHeight });
    };
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const layout = gridLayout(size.width);
  const { columns, rowHeight } = layout;
  const total = cache.total ?? 0;
  const rowCount = Math.ceil(total / columns);

  const virtualizer = useVirtualizer({
    count: rowCount,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: OVERSCAN_ROWS,
  });
  useLayoutEffect(() => virtualizer.measure(), [virtualizer, rowHeight]);

  const rows = virtualizer.getVirtualItems();
  // The rows in view, without the overscan: their thumbnails are asked for first.
  const inView = virtualizer.range;
  const firstRow = rows[0]?.index ?? 0;
  const lastRow = rows.at(-1)?.index ?? 0;
  const scrolling = virtualizer.isScrolling;
  const generation = cache.currentGeneration;
  useEffect(() => {
    const fetch = () => cache.ensureRange(firstRow * columns, (lastRow + 1) * columns);
    if (!scrolling) return fetch();
    const t = setTimeout(fetch, SCROLL_FETCH_DELAY_MS);
    return () => clearTimeout(t);
  }, [cache, firstRow, lastRow, columns, scrolling, generation]);

  // Coming back from the viewer (or after a filter change) lands on the remembered image once the list is known.
  const restored = useRef(false);
  useEffect(() => {
    restored.current = false;
    setFocus(libraryStore.get().lastIndex);
  }, [cache]);
  useEffect(() => {
    if (restored.current || cache.total === null || size.width === 0) return;
    restored.current = true;
    const index = Math.min(libraryStore.get().lastIndex, Math.max(0, cache.total - 1));
    virtualizer.scrollToIndex(Math.floor(index / columns), { align: index > 0 ? 'center' : 'start' });
  }, [cache, cache.total, size.width, columns, virtualizer]);

  const focusIndex = Math.min(focus, Math.max(0, total - 1));

  const open = useCallback((index: number, id: number) => {
    libraryStore.set({ lastIndex: index });
    navigate({ name: 'image', id });
  }, []);

  const select = useCallback(
    async (index: number, id: number, mods: ClickModifiers) => {
      const sel = selectionStore.get();
      const [lo, hi] = clickRange(sel, index, mods);
      try {
        const ids = lo === hi ? [id] : await idsInRange(cache, lo, hi);
        setSelectError(null);
        selectionStore.set(clickSelection(sel, index, id, mods, ids));
      } catch (err) {
        setSelectError(`Could not select that range: ${errorMessage(err)}`);
      }
    },
    [cache],
  );

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const row = cache.get(focusIndex);
    if (e.key === 'Enter') {
      if (row) open(focusIndex, row.id);
      return;
    }
    if (e.key === ' ') {
      e.preventDefault();
      if (row) void select(focusIndex, row.id, { toggle: true, range: e.shiftKey });
      return;
    }
    if (e.key === 'Escape' && selection.ids.size > 0) {
      e.preventDefault();
      clearSelection();
      return;
    }
    const next = moveFocus(focusIndex, e.key, columns, total, Math.floor(size.height / rowHeight));
    if (next === null) return;
    e.preventDefault();
    setFocus(next);
    libraryStore.set({ lastIndex: next });
    virtualizer.scrollToIndex(Math.floor(next / columns), { align: 'auto' });
  };

  const onCellClick = useCallback(
    (index: number, id: number, e: MouseEvent) => {
      setFocus(index);
      libraryStore.set({ lastIndex: index });
      void select(index, id, { toggle: e.ctrlKey || e.metaKey, range: e.shiftKey });
    },
    [select],
  );

  return (
    <div
      ref={scrollRef}
      className="grid-scroll"
      data-testid="library-grid"
      role="grid"
      aria-label="Images"
      aria-multiselectable="true"
      aria-rowcount={rowCount}
      aria-colcount={columns}
      aria-activedescendant={total > 0 ? `cell-${focusIndex}` : undefined}
      tabIndex={0}
      onKeyDown={onKeyDown}
      style={{ ['--cell' as string]: `${layout.cellWidth}px`, ['--columns' as string]: columns }}
    >
      <GridStatus cache={cache} filtered={filtered} />
      {selectError ? <div className="grid-message grid-message-inline error" role="alert">{selectError}</div> : null}
      <div className="grid-canvas" style={{ height: virtualizer.getTotalSize() }}>
        {rows.map((vr) => {
          const start = vr.index * columns;
          const cells = [];
          for (let i = start; i < Math.min(start + columns, total); i++) {
            const row = cache.get(i);
            cells.push(
              row ? (
                <GridCell
                  key={row.id}
                  row={row}
                  index={i}
                  folder={folderLabel(row, repeated, roots)}
                  inView={inView !== null && vr.index >= inView.startIndex && vr.index <= inView.endIndex}
                  focused={i === focusIndex}
                  selected={selection.ids.has(row.id)}
                  onClick={onCellClick}
                  onOpen={open}
                />
              ) : (
                <div key={`i${i}`} id={`cell-${i}`} className="cell cell-loading" role="gridcell" aria-busy="true" />
              ),
            );
          }
          return (
            <div key={vr.key} className="grid-row" role="row" aria-rowindex={vr.index + 1} style={{ transform: `translateY(${vr.start}px)`, height: rowHeight }}>
              {cells}
            </div>
          );
        })}
      </div>
    </div>
  );
}

function GridStatus({ cache, filtered }: { cache: PageCache<ImageRow>; filtered: boolean }) {
  // An import or rescan under way: an empty grid means "not listed yet", never "this folder is empty".
  const scanning = useStore(jobsStore).jobs.some((j) => !isFinished(j) && (j.kind === 'import' || j.kind === 'rescan'));
  if (cache.error && cache.total === null) {
    return (
      <div className="grid-message" role="alert">
        <p className="error">{cache.error}</p>
        <button type="button" className="btn" onClick={() => cache.refresh()}>
          Retry
        </button>
      </div>
    );
  }
  if (cache.total === null) return <div className="grid-message muted">Loading images…</div>;
  if (cache.total === 0) {
    return (
      <div className="grid-message muted" data-testid="grid-empty">
        {filtered ? 'No images match the filter.' : scanning ? 'Looking for images… they appear here as they are read.' : 'This project has no images yet. Use “Import folder…” to add some.'}
      </div>
    );
  }
  return cache.error ? <div className="grid-message grid-message-inline error" role="alert">{cache.error}</div> : null;
}

const NO_ROOTS: { id: number; path: string }[] = [];

type ThumbState = { state: 'loading' } | { state: 'ready'; src: string } | { state: 'broken'; label: string; reason: string };

/**
 * A cell's picture: its own colour with a shimmer while the thumbnail is made, the picture, or a plain "no preview"
 * with the reason. The request is withdrawn when the cell unmounts (scrolled away).
 */
function Thumb({ id, width, height, url, inView, missing }: { id: number; width: number; height: number; url: string; inView: boolean; missing: boolean }) {
  const [thumb, setThumb] = useState<ThumbState>({ state: 'loading' });
  const inViewRef = useRef(inView);
  inViewRef.current = inView;
  useEffect(() => {
    const request = new AbortController();
    let objectUrl: string | null = null;
    setThumb({ state: 'loading' });
    loadThumbnail(url, { visible: inViewRef.current, signal: request.signal, image: { id, width, height } }).then(
      (blob) => {
        objectUrl = URL.createObjectURL(blob);
        setThumb({ state: 'ready', src: objectUrl });
      },
      (err: unknown) => {
        if (!isAbortError(err)) setThumb({ state: 'broken', label: err instanceof ThumbnailError ? err.label : 'No preview', reason: errorMessage(err) });
      },
    );
    return () => {
      request.abort();
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [url, id, width, height]);

  if (thumb.state === 'loading') return <div className="thumb-shimmer" data-testid="thumb-loading" aria-hidden="true" />;
  if (thumb.state === 'broken') {
    return (
      <div className="thumb-fallback" data-testid="thumb-broken" title={thumb.reason}>
        <span aria-hidden="true">⚠</span>
        <span>{missing ? 'File missing' : thumb.label}</span>
      </div>
    );
  }
  return (
    <img
      src={thumb.src}
      data-src={url}
      alt=""
      decoding="async"
      draggable={false}
      onError={() => setThumb({ state: 'broken', label: 'No preview', reason: 'The thumbnail could not be shown.' })}
    />
  );
}

const GridCell = memo(function GridCell(props: {
  row: ImageRow;
  index: number;
  /** Shown under the name when the name alone does not tell the image apart. */
  folder: string | null;
  inView: boolean;
  focused: boolean;
  selected: boolean;
  onClick: (index: number, id: number, e: MouseEvent) => void;
  onOpen: (index: number, id: number) => void;
}) {
  const { row, index, folder, inView, focused, selected, onClick, onOpen } = props;
  const name = baseName(row.relPath);
  return (
    <div
      id={`cell-${index}`}
      className={`cell${focused ? ' focused' : ''}${selected ? ' selected' : ''}${row.missing ? ' missing' : ''}`}
      role="gridcell"
      aria-selected={selected}
      data-selected={selected}
      aria-label={`${folder ? `${folder}/` : ''}${name}, ${STATUS_LABELS[row.status]}, ${row.annotationCount} annotations${row.missing ? ', file missing' : ''}${row.indexed < 2 ? ', not read yet' : ''}`}
      data-testid="grid-cell"
      data-image-id={row.id}
      title={row.relPath}
      onClick={(e) => onClick(index, row.id, e)}
      onDoubleClick={() => onOpen(index, row.id)}
    >
      <div className="thumb">
        <Thumb id={row.id} width={row.width} height={row.height} url={api.thumbUrl(row.id, imageVersion(row))} inView={inView} missing={row.missing} />
        {row.missing ? <span className="badge badge-missing">missing</span> : null}
        {row.annotationCount > 0 ? (
          <span className="ann-count" title={`${row.annotationCount} annotations`}>
            {row.annotationCount.toLocaleString()}
          </span>
        ) : null}
      </div>
      <div className="caption">
        <span className="names">
          <span className="name">{name}</span>
          {folder ? (
            <span className="folder" data-testid="cell-folder">
              <bdi>{folder}/</bdi>
            </span>
          ) : null}
        </span>
        <span className={`badge status-${row.status}`}>{STATUS_LABELS[row.status]}</span>
      </div>
    </div>
  );
});
