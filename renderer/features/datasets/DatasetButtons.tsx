/** "Export…" and "Import labels…" in the app's header while a project is open: the entry points to the dataset dialogs. */
import { useState } from 'react';
import { ExportDialog } from './ExportDialog.js';
import { ImportDialog } from './ImportDialog.js';
import './datasets.css';

export function DatasetButtons() {
  const [open, setOpen] = useState<'export' | 'import' | null>(null);
  return (
    <div className="dataset-buttons" role="group" aria-label="Dataset export and import">
      <button
        type="button"
        className="btn"
        data-testid="datasets-export-open"
        aria-haspopup="dialog"
        title="Export the labels or a model run as COCO, YOLO, Pascal VOC, LabelMe, mask PNGs or captions"
        onClick={() => setOpen('export')}
      >
        Export…
      </button>
      <button
        type="button"
        className="btn"
        data-testid="datasets-import-open"
        aria-haspopup="dialog"
        title="Import labels (or a model's results) from COCO, YOLO, Pascal VOC or LabelMe"
        onClick={() => setOpen('import')}
      >
        Import labels…
      </button>
      {open === 'export' ? <ExportDialog onClose={() => setOpen(null)} /> : null}
      {open === 'import' ? <ImportDialog onClose={() => setOpen(null)} /> : null}
    </div>
  );
}
