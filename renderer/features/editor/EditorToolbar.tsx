/** Tools, brush size, undo / redo, the save indicator and the label toggles, above the canvas. */
import type { Editor } from '../../editor/editor.js';
import type { ToolName } from '../../editor/types.js';
import { useEditorSelector } from './session.js';

const TOOLS: { name: ToolName; key: string; label: string; icon: string }[] = [
  { name: 'select', key: 'V', label: 'Select and edit', icon: '↖' },
  { name: 'box', key: 'B', label: 'Box', icon: '▭' },
  { name: 'polygon', key: 'P', label: 'Polygon', icon: '⬠' },
  { name: 'polyline', key: 'L', label: 'Polyline', icon: '∿' },
  { name: 'brush', key: 'M', label: 'Mask brush', icon: '●' },
  { name: 'eraser', key: 'E', label: 'Mask eraser', icon: '◌' },
  { name: 'keypoints', key: 'K', label: 'Keypoints', icon: '⁘' },
];

const SAVE_TEXT = { saved: 'Saved', saving: 'Saving…', failed: 'Not saved: retrying' } as const;

export function EditorToolbar({ editor, onHelp }: { editor: Editor; onHelp: () => void }) {
  const s = useEditorSelector(editor, (st) => ({
    tool: st.tool,
    brushSize: st.brushSize,
    canUndo: st.canUndo,
    canRedo: st.canRedo,
    undoLabel: st.undoLabel,
    redoLabel: st.redoLabel,
    save: st.save.state,
    pending: st.save.pending,
    saveError: st.save.error,
    labelsHidden: st.labelsHidden,
    showLabelText: st.showLabelText,
  }));
  return (
    <div className="editor-toolbar" role="toolbar" aria-label="Editing tools">
      {TOOLS.map((t) => (
        <button
          key={t.name}
          type="button"
          className={`btn btn-icon tool-btn${s.tool === t.name ? ' active' : ''}`}
          aria-pressed={s.tool === t.name}
          aria-label={`${t.label} (${t.key})`}
          title={`${t.label} (${t.key})`}
          data-testid={`tool-${t.name}`}
          onClick={() => editor.setTool(t.name)}
        >
          {t.icon}
        </button>
      ))}
      {s.tool === 'brush' || s.tool === 'eraser' ? (
        <label className="brush-size" title="Brush size ([ smaller, ] larger)">
          <span className="muted small">Brush</span>
          <input
            type="range"
            min={1}
            max={200}
            value={s.brushSize}
            aria-label="Brush size"
            data-testid="brush-size"
            onChange={(e) => editor.setBrushSize(Number(e.target.value))}
          />
          <span className="small">{s.brushSize}px</span>
        </label>
      ) : null}
      <span className="toolbar-gap" />
      <button
        type="button"
        className="btn btn-icon"
        aria-label="Undo (Ctrl+Z)"
        title={s.undoLabel ? `Undo ${s.undoLabel} (Ctrl+Z)` : 'Undo (Ctrl+Z)'}
        disabled={!s.canUndo}
        data-testid="undo"
        onClick={() => editor.undo()}
      >
        ↶
      </button>
      <button
        type="button"
        className="btn btn-icon"
        aria-label="Redo (Ctrl+Shift+Z)"
        title={s.redoLabel ? `Redo ${s.redoLabel} (Ctrl+Shift+Z)` : 'Redo (Ctrl+Shift+Z)'}
        disabled={!s.canRedo}
        data-testid="redo"
        onClick={() => editor.redo()}
      >
        ↷
      </button>
      <button
        type="button"
        className={`btn btn-small${s.labelsHidden ? ' active' : ''}`}
        aria-pressed={s.labelsHidden}
        title="Hide labels (H)"
        onClick={() => editor.toggleLabelsHidden()}
      >
        Hide
      </button>
      <button
        type="button"
        className={`btn btn-small${s.showLabelText ? ' active' : ''}`}
        aria-pressed={s.showLabelText}
        title="Class names on shapes"
        onClick={() => editor.toggleLabelText()}
      >
        Names
      </button>
      <span
        className={`save-state save-${s.save}`}
        data-testid="save-state"
        data-state={s.save}
        data-pending={s.pending}
        role="status"
        title={s.saveError ?? undefined}
      >
        {SAVE_TEXT[s.save]}
        {s.save !== 'saved' && s.pending > 1 ? ` (${s.pending})` : ''}
      </span>
      <button type="button" className="btn btn-icon" aria-label="Keyboard shortcuts (?)" title="Keyboard shortcuts (?)" onClick={onHelp}>
        ?
      </button>
    </div>
  );
}
