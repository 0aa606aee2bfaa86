import { useEffect, useRef, useState } from 'react';
import type { CallResponse, ImageRow, ReviewStatus } from '../../../common/api/contract.js';
import { api, errorMessage } from '../../api.js';
import { ImageViewer, type ImageViewerHandle } from '../../canvas/ImageViewer.js';
import { navigate } from '../app/route.js';
import { useStore } from '../app/store.js';
import { useAction } from '../app/useAction.js';
import { libraryStore } from '../library/query.js';
import { STATUSES, STATUS_LABELS, baseName, formatBytes } from '../status.js';

type Neighbors = CallResponse<'images.neighbors'>;

const isTyping = (t: EventTarget | null) => t instanceof HTMLElement && t.closest('input, select, textarea, [contenteditable="true"]') !== null;

export function ViewerPage({ id }: { id: number }) {
  const { filter, sort } = useStore(libraryStore);
  const [row, setRow] = useState<ImageRow | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [neighbors, setNeighbors] = useState<Neighbors | null>(null);
  const viewer = useRef<ImageViewerHandle>(null);

  useEffect(() => {
    let live = true;
    setLoadError(null);
    api.call('images.get', { id }).then(
      (r) => live && setRow(r),
      (err) => live && setLoadError(errorMessage(err)),
    );
    api.call('images.neighbors', { id, filter, sort }).then(
      (n) => {
        if (!live) return;
        setNeighbors(n);
        libraryStore.set({ lastIndex: n.index });
      },
      () => live && setNeighbors(null),
    );
    return () => {
      live = false;
    };
  }, [id, filter, sort]);

  // Annotation edits elsewhere (another window, a model run) change the count shown here.
  useEffect(
    () =>
      api.on('project', (e) => {
        if (e.reason === 'annotations' && (!e.imageIds || e.imageIds.includes(id))) {
          api.call('images.get', { id }).then(setRow, () => undefined);
        }
      }),
    [id],
  );

  // Warm the browser cache so → shows the next image at once (same URL as the viewer's: no version, the server's ETag revalidates).
  useEffect(() => {
    if (!neighbors?.next) return;
    const img = new Image();
    img.src = api.imageUrl(neighbors.next);
  }, [neighbors?.next]);

  const current = row?.id === id ? row : null;

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      const go = (target: number | null | undefined) => target && navigate({ name: 'image', id: target }, true);
      switch (e.key) {
        case 'ArrowLeft':
          go(neighbors?.prev);
          break;
        case 'ArrowRight':
          go(neighbors?.next);
          break;
        case 'Escape':
          navigate({ name: 'library' });
          break;
        case 'f':
        case 'F':
          viewer.current?.fit();
          break;
        case '1':
          viewer.current?.actualSize();
          break;
        default:
          return;
      }
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [neighbors]);

  return (
    <div className="viewer">
      <div className="viewer-main">
        <div className="viewer-nav" role="toolbar" aria-label="Image navigation">
          <button type="button" className="btn" aria-label="Back to the library (Esc)" onClick={() => navigate({ name: 'library' })}>
            ← Library
          </button>
          <button
            type="button"
            className="btn btn-icon"
            aria-label="Previous image (←)"
            disabled={!neighbors?.prev}
            onClick={() => neighbors?.prev && navigate({ name: 'image', id: neighbors.prev }, true)}
          >
            ‹
          </button>
          <span className="muted" data-testid="viewer-position">
            {neighbors ? `${(neighbors.index + 1).toLocaleString()} / ${neighbors.total.toLocaleString()}` : ''}
          </span>
          <button
            type="button"
            className="btn btn-icon"
            aria-label="Next image (→)"
            disabled={!neighbors?.next}
            onClick={() => neighbors?.next && navigate({ name: 'image', id: neighbors.next }, true)}
          >
            ›
          </button>
          <span className="viewer-title">{current ? current.relPath : ''}</span>
        </div>
        {loadError ? (
          <div className="viewer-message error" role="alert">
            {loadError}
          </div>
        ) : (
          <ImageViewer
            ref={viewer}
            src={api.imageUrl(id)}
            alt={current ? baseName(current.relPath) : 'Image'}
          />
        )}
      </div>
      <aside className="side-panel" aria-label="Image details">{current ? <Details row={current} onChange={setRow} /> : null}</aside>
    </div>
  );
}

function Details({ row, onChange }: { row: ImageRow; onChange: (row: ImageRow) => void }) {
  const setStatus = useAction(async (status: ReviewStatus) => {
    await api.call('images.setStatus', { ids: [row.id], status });
    onChange({ ...row, status });
  });
  return (
    <>
      <h2 className="side-title" title={row.relPath}>
        {baseName(row.relPath)}
      </h2>
      {row.missing ? <p className="badge badge-missing">File missing</p> : null}
      <dl className="facts">
        <dt>Path</dt>
        <dd className="path">{row.relPath}</dd>
        <dt>Dimensions</dt>
        <dd>
          {row.width} × {row.height} px
        </dd>
        <dt>Size</dt>
        <dd>{formatBytes(row.byteSize)}</dd>
        <dt>Format</dt>
        <dd>{row.format.toUpperCase()}</dd>
        {row.orientation !== 1 ? (
          <>
            <dt>EXIF orientation</dt>
            <dd>{row.orientation} (shown upright)</dd>
          </>
        ) : null}
        <dt>Modified</dt>
        <dd>{new Date(row.mtimeMs).toLocaleString()}</dd>
        <dt>Annotations</dt>
        <dd data-testid="annotation-count">{row.annotationCount.toLocaleString()}</dd>
      </dl>
      <label className="field">
        <span>Status</span>
        <select
          value={row.status}
          aria-label="Review status"
          className={`status-select status-${row.status}`}
          disabled={setStatus.pending}
          onChange={(e) => setStatus.run(e.target.value as ReviewStatus)}
        >
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {STATUS_LABELS[s]}
            </option>
          ))}
        </select>
      </label>
      {setStatus.error ? <p className="error" role="alert">{setStatus.error}</p> : null}
    </>
  );
}
