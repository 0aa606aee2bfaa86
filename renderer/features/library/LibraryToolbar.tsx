import { useEffect, useState, type FormEvent } from 'react';
import type { ImageFilter, ImageSort, ReviewStatus } from '../../../common/api/contract.js';
import { api } from '../../api.js';
import { projectStore } from '../app/project.js';
import { useStore } from '../app/store.js';
import { useAction } from '../app/useAction.js';
import { jobsStore, trackJob } from '../jobs/jobs.js';
import { RunModelControls } from '../models/RunModelControls.js';
import { STATUSES, STATUS_LABELS } from '../status.js';
import { libraryStore } from './query.js';
import { defaultRunId, ErrorRanking, isEvalSort, worstFirst } from './ErrorRanking.js';
import { clearSelection, selectionStore } from './selection.js';

const TEXT_DEBOUNCE_MS = 250;

const SORT_LABELS: Record<ImageSort['by'], string> = {
  path: 'Path',
  mtime: 'Modified',
  size: 'Size',
  added: 'Added',
  status: 'Status',
  errors: 'Most errors (FP + FN)',
  meanIou: 'Lowest mean IoU',
  mIoU: 'Lowest mIoU',
  captionScore: 'Lowest caption score',
};

// A different filter or sort is a different list: what was selected in the old one is not on screen any more.
function setSort(sort: ImageSort) {
  clearSelection();
  libraryStore.set({ sort, lastIndex: 0 });
}

export function setFilter(patch: Partial<ImageFilter>) {
  clearSelection();
  libraryStore.set((s) => {
    const filter: ImageFilter = { ...s.filter, ...patch };
    for (const k of Object.keys(filter) as (keyof ImageFilter)[]) if (filter[k] === undefined) delete filter[k];
    return { filter, lastIndex: 0 };
  });
}

/**
 * What an import has listed but not read yet (issue 12): rows show at once, sizes and content hashes come after. While
 * an import or rescan runs they are being read; otherwise (a stopped import) a rescan reads them.
 */
function IndexingStatus() {
  const project = useStore(projectStore).project;
  const scanning = useStore(jobsStore).jobs.some((j) => (j.kind === 'import' || j.kind === 'rescan') && j.state === 'running');
  const pending = project?.pendingIndex ?? 0;
  if (pending === 0) return null;
  // Not "of N": the toolbar's count comes from the grid's last page, which can be newer than this summary.
  const of = `${pending.toLocaleString()} ${pending === 1 ? 'image' : 'images'}`;
  return (
    <span
      className="indexing muted"
      data-testid="library-indexing"
      role="status"
      title="Rows are listed from the folder at once; image sizes and content hashes are read after, images on screen first."
    >
      {scanning ? `Indexing ${of}…` : `${of} not indexed yet: rescan to finish`}
    </span>
  );
}

export function LibraryToolbar({ total }: { total: number | null }) {
  const { filter, sort } = useStore(libraryStore);
  const [text, setText] = useState(filter.text ?? '');
  const [importOpen, setImportOpen] = useState(false);
  const [folder, setFolder] = useState('');
  const [runOpen, setRunOpen] = useState(false);
  const selection = useStore(selectionStore);
  const selectedIds = [...selection.ids];

  useEffect(() => {
    const wanted = text.trim() || undefined;
    if (wanted === libraryStore.get().filter.text) return;
    const t = setTimeout(() => setFilter({ text: wanted }), TEXT_DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [text]);

  const rescan = useAction(async () => trackJob((await api.call('images.rescan')).jobId));
  const fillThumbs = useAction(async () => trackJob((await api.call('images.fillThumbnails')).jobId));
  const importFolder = useAction(async () => {
    await trackJob((await api.call('images.import', { folder: folder.trim() })).jobId);
    setImportOpen(false);
    setFolder('');
  });
  const submitImport = (e: FormEvent) => {
    e.preventDefault();
    void importFolder.run();
  };

  const labeled = filter.labeled === undefined ? '' : filter.labeled ? 'labeled' : 'unlabeled';
  const error = rescan.error ?? fillThumbs.error ?? importFolder.error;

  return (
    <div className="toolbar-wrap">
      <div className="toolbar" role="toolbar" aria-label="Library">
        <span className="total" data-testid="library-total">
          {total === null ? '…' : `${total.toLocaleString()} ${total === 1 ? 'image' : 'images'}`}
        </span>
        <IndexingStatus />
        <input
          type="search"
          className="filter-text"
          placeholder="Filter by path…"
          aria-label="Filter by path"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <select
          aria-label="Status filter"
          value={filter.status?.[0] ?? ''}
          onChange={(e) => setFilter({ status: e.target.value ? [e.target.value as ReviewStatus] : undefined })}
        >
          <option value="">All statuses</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {STATUS_LABELS[s]}
            </option>
          ))}
        </select>
        <select
          aria-label="Labeled filter"
          value={labeled}
          onChange={(e) => setFilter({ labeled: e.target.value === '' ? undefined : e.target.value === 'labeled' })}
        >
          <option value="">Labeled and unlabeled</option>
          <option value="labeled">Labeled</option>
          <option value="unlabeled">Unlabeled</option>
        </select>
        <select
          aria-label="Sort by"
          value={sort.by}
          onChange={(e) => {
            const by = e.target.value as ImageSort['by'];
            if (!isEvalSort(by)) return setSort({ by, dir: sort.dir });
            // Ranked by a run's evaluation: worst first, the latest run with predictions unless one is chosen.
            void defaultRunId().then((found) => {
              const runId = sort.runId ?? found;
              if (runId !== undefined) setSort({ by, dir: worstFirst(by), runId });
            });
          }}
        >
          {(Object.keys(SORT_LABELS) as ImageSort['by'][]).map((by) => (
            <option key={by} value={by}>
              Sort: {SORT_LABELS[by]}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="btn btn-icon"
          aria-label={sort.dir === 'asc' ? 'Ascending; switch to descending' : 'Descending; switch to ascending'}
          title={sort.dir === 'asc' ? 'Ascending' : 'Descending'}
          onClick={() => setSort({ ...sort, dir: sort.dir === 'asc' ? 'desc' : 'asc' })}
        >
          {sort.dir === 'asc' ? '↑' : '↓'}
        </button>
        <button
          type="button"
          className="btn btn-small btn-ghost"
          data-testid="filter-predicted-not-labeled"
          aria-pressed={filter.predictedNotLabeled !== undefined}
          title="Only images where a run predicted a class that is not labeled there"
          onClick={() => {
            if (filter.predictedNotLabeled) return setFilter({ predictedNotLabeled: undefined });
            void Promise.all([defaultRunId(), api.call('classes.list')]).then(([runId, classes]) => {
              if (runId !== undefined && classes[0]) setFilter({ predictedNotLabeled: { runId: sort.runId ?? runId, classId: classes[0].id } });
            });
          }}
        >
          Predicted, not labeled
        </button>
        <ErrorRanking sort={sort} filter={filter} onSort={setSort} onFilter={setFilter} />
        <span className="spacer" />
        {selectedIds.length > 0 ? (
          <span className="selection-count" data-testid="selection-count">
            {selectedIds.length.toLocaleString()} selected
            <button type="button" className="btn btn-small btn-ghost" aria-label="Clear the selection (Esc)" onClick={clearSelection}>
              ✕
            </button>
          </span>
        ) : null}
        <button type="button" className="btn" data-testid="library-run-model" aria-expanded={runOpen} onClick={() => setRunOpen(!runOpen)}>
          Run model…
        </button>
        <button type="button" className="btn" onClick={() => rescan.run()} disabled={rescan.pending} aria-label="Rescan the project's folders">
          Rescan
        </button>
        <button
          type="button"
          className="btn"
          data-testid="fill-thumbnails"
          onClick={() => fillThumbs.run()}
          disabled={fillThumbs.pending || !total}
          title="Make every image's thumbnail now, in the background, so scrolling never waits for one (minutes and some disk space for a big folder; cancel keeps what was made)"
        >
          Make thumbnails
        </button>
        <button type="button" className="btn btn-primary" aria-expanded={importOpen} onClick={() => setImportOpen(!importOpen)}>
          Import folder…
        </button>
      </div>
      {importOpen ? (
        <form className="toolbar toolbar-sub" onSubmit={submitImport}>
          <label className="field field-inline">
            <span>Folder to import</span>
            <input
              type="text"
              spellCheck={false}
              required
              autoFocus
              value={folder}
              placeholder="/absolute/path/to/images"
              data-testid="import-folder-input"
              onChange={(e) => setFolder(e.target.value)}
            />
          </label>
          <button type="submit" className="btn btn-primary" disabled={importFolder.pending}>
            Import
          </button>
        </form>
      ) : null}
      {runOpen ? (
        <div className="toolbar toolbar-sub">
          <RunModelControls
            layout="inline"
            buttons={[
              {
                label: `Run on selection (${selectedIds.length.toLocaleString()})`,
                testId: 'run-on-selection',
                target: selectedIds.length > 0 ? { imageIds: selectedIds } : null,
              },
              { label: 'Run on all images', testId: 'run-on-all', target: total ? { all: true } : null },
            ]}
          />
          {selectedIds.length === 0 ? (
            <span className="muted small">Select images: click, ctrl/⌘-click to add, shift-click for a range; double-click opens one.</span>
          ) : null}
        </div>
      ) : null}
      {error ? <p className="error toolbar-error" role="alert">{error}</p> : null}
    </div>
  );
}
