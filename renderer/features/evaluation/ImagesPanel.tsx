import { useEffect, useRef, useState } from 'react';
import type { ImageRow } from '../../../common/api/contract.js';
import { api, errorMessage } from '../../api.js';
import { baseName, imageVersion } from '../status.js';
import type { ImageSelection } from './report.js';

/** Rows fetched per "Show more": one `images.get` each, so a cell with thousands of images does not flood the core. */
const PAGE = 48;

type Loaded = { id: number; row: ImageRow | null; error?: string };

/** The images behind the number last clicked, as thumbnails that open the viewer. Key it by the selection. */
export function ImagesPanel({ selection, onClose }: { selection: ImageSelection; onClose: () => void }) {
  const [shown, setShown] = useState(PAGE);
  const [rows, setRows] = useState<Map<number, Loaded>>(new Map());
  const heading = useRef<HTMLHeadingElement>(null);
  const ids = selection.imageIds.slice(0, shown);

  // The parent keys this panel by the selection, so a new click starts afresh; the list takes the focus.
  useEffect(() => heading.current?.focus(), []);

  useEffect(() => {
    let live = true;
    const wanted = ids.filter((id) => !rows.has(id));
    if (wanted.length === 0) return;
    void Promise.all(
      wanted.map((id) =>
        api.call('images.get', { id }).then(
          (row): Loaded => ({ id, row }),
          (err): Loaded => ({ id, row: null, error: errorMessage(err) }),
        ),
      ),
    ).then((loaded) => {
      if (!live) return;
      setRows((prev) => {
        const next = new Map(prev);
        for (const l of loaded) next.set(l.id, l);
        return next;
      });
    });
    return () => {
      live = false;
    };
  }, [selection, shown, rows]);

  return (
    <aside className="eval-images" aria-labelledby="eval-images-title" data-testid="eval-images-panel">
      <header className="eval-images-head">
        <div>
          <h3 id="eval-images-title" tabIndex={-1} ref={heading} data-testid="eval-images-title">
            {selection.title}
          </h3>
          <p className="muted small" data-testid="eval-images-summary">
            {selection.run} · {selection.count.toLocaleString('en-US')} counted on {selection.imageIds.length.toLocaleString('en-US')} image
            {selection.imageIds.length === 1 ? '' : 's'}
          </p>
        </div>
        <button type="button" className="btn btn-icon btn-ghost" aria-label="Close the image list" data-testid="eval-images-close" onClick={onClose}>
          ×
        </button>
      </header>
      {selection.imageIds.length === 0 ? <p className="muted">No images behind this number.</p> : null}
      <ul className="eval-image-list">
        {ids.map((id) => {
          const l = rows.get(id);
          const name = l?.row ? baseName(l.row.relPath) : l?.error ? `Image ${id}` : '…';
          return (
            <li key={id}>
              <a href={`#/image/${id}`} className="eval-image" data-testid="eval-image-link" data-image-id={id} title={l?.row?.relPath ?? l?.error}>
                <span className="eval-image-thumb" aria-hidden="true">
                  {l?.row ? <img src={api.thumbUrl(id, imageVersion(l.row))} alt="" loading="lazy" decoding="async" draggable={false} /> : null}
                </span>
                <span className="eval-image-text">
                  <span className="eval-image-name">{name}</span>
                  {selection.notes?.[id] ? <span className="muted small">{selection.notes[id]}</span> : null}
                  {l?.error ? <span className="error small">{l.error}</span> : null}
                </span>
              </a>
            </li>
          );
        })}
      </ul>
      {selection.imageIds.length > shown ? (
        <button type="button" className="btn btn-small" data-testid="eval-images-more" onClick={() => setShown((s) => s + PAGE)}>
          Show {Math.min(PAGE, selection.imageIds.length - shown)} more of {(selection.imageIds.length - shown).toLocaleString('en-US')}
        </button>
      ) : null}
    </aside>
  );
}
