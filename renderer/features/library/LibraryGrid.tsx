import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { ImageRow } from '../../../common/api/contract.js';
import { api } from '../../api.js';
import { navigate } from '../app/route.js';
import { baseName, imageVersion, STATUS_LABELS } from '../status.js';
import { gridLayout, moveFocus } from './gridLayout.js';
import type { PageCache } from './pageCache.js';
import { libraryStore } from './query.js';

/** While the grid is scrolling, wait this long for it to rest before fetching, so a fling skips the pages it passes. */
const SCROLL_FETCH_DELAY_MS = 80;
const OVERSCAN_ROWS = 2;

export function LibraryGrid({ cache, filtered }: { cache: PageCache<ImageRow>; filtered: boolean }) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState({ width: 0, height: 0 });
  const [focus, setFocus] = useState(() => libraryStore.get().lastIndex);

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

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Enter') {
      const row = cache.get(focusIndex);
      if (row) open(focusIndex, row.id);
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
    (index: number, id: number) => {
      setFocus(index);
      open(index, id);
    },
    [open],
  );

  return (
    <div
      ref={scrollRef}
      className="grid-scroll"
      data-testid="library-grid"
      role="grid"
      aria-label="Images"
      aria-rowcount={rowCount}
      aria-colcount={columns}
      aria-activedescendant={total > 0 ? `cell-${focusIndex}` : undefined}
      tabIndex={0}
      onKeyDown={onKeyDown}
      style={{ ['--cell' as string]: `${layout.cellWidth}px`, ['--columns' as string]: columns }}
    >
      <GridStatus cache={cache} filtered={filtered} />
      <div className="grid-canvas" style={{ height: virtualizer.getTotalSize() }}>
        {rows.map((vr) => {
          const start = vr.index * columns;
          const cells = [];
          for (let i = start; i < Math.min(start + columns, total); i++) {
            const row = cache.get(i);
            cells.push(
              row ? (
                <GridCell key={row.id} row={row} index={i} focused={i === focusIndex} onOpen={onCellClick} />
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
      <div className="grid-message muted">
        {filtered ? 'No images match the filter.' : 'This project has no images yet. Use “Import folder…” to add some.'}
      </div>
    );
  }
  return cache.error ? <div className="grid-message grid-message-inline error" role="alert">{cache.error}</div> : null;
}

const GridCell = memo(function GridCell(props: {
  row: ImageRow;
  index: number;
  focused: boolean;
  onOpen: (index: number, id: number) => void;
}) {
  const { row, index, focused, onOpen } = props;
  const [broken, setBroken] = useState(false);
  const name = baseName(row.relPath);
  return (
    <div
      id={`cell-${index}`}
      className={`cell${focused ? ' focused' : ''}${row.missing ? ' missing' : ''}`}
      role="gridcell"
      aria-selected={focused}
      aria-label={`${name}, ${STATUS_LABELS[row.status]}, ${row.annotationCount} annotations${row.missing ? ', file missing' : ''}`}
      data-testid="grid-cell"
      data-image-id={row.id}
      title={row.relPath}
      onClick={() => onOpen(index, row.id)}
    >
      <div className="thumb">
        {broken ? (
          <div className="thumb-fallback" aria-hidden="true">
            <span>⚠</span>
            <span>No preview</span>
          </div>
        ) : (
          <img
            src={api.thumbUrl(row.id, imageVersion(row.contentHash))}
            alt=""
            loading="lazy"
            decoding="async"
            draggable={false}
            onError={() => setBroken(true)}
          />
        )}
        {row.missing ? <span className="badge badge-missing">missing</span> : null}
        {row.annotationCount > 0 ? (
          <span className="ann-count" title={`${row.annotationCount} annotations`}>
            {row.annotationCount.toLocaleString()}
          </span>
        ) : null}
      </div>
      <div className="caption">
        <span className="name">{name}</span>
        <span className={`badge status-${row.status}`}>{STATUS_LABELS[row.status]}</span>
      </div>
    </div>
  );
});
