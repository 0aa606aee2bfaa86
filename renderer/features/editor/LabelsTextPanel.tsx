/** Captions (several per image) and image-level tags: annotations like the shapes, in the same history. */
import { useState } from 'react';
import type { Editor } from '../../editor/editor.js';
import { useEditorSelector } from './session.js';

export function LabelsTextPanel({ editor }: { editor: Editor }) {
  const s = useEditorSelector(editor, (st) => ({ shapes: st.shapes, order: st.order, classes: st.classes }));
  const [text, setText] = useState('');
  const captions = s.order.map((id) => s.shapes.get(id)).filter((x) => x?.geometry.type === 'caption');
  const tagged = new Set(s.order.map((id) => s.shapes.get(id)).filter((x) => x?.kind === 'tag').map((x) => x!.classId));
  const add = () => {
    const t = text.trim();
    if (!t) return;
    editor.addCaption(t);
    setText('');
  };
  return (
    <section className="side-section" aria-label="Captions and tags" data-testid="captions-tags">
      <h3>Captions</h3>
      {captions.map((c) =>
        c && c.geometry.type === 'caption' ? (
          <div key={c.id} className="caption-row">
            <textarea
              key={`${c.id}:${c.geometry.text}`}
              rows={2}
              defaultValue={c.geometry.text}
              aria-label={`Caption ${c.id}`}
              data-testid="caption-text"
              onBlur={(e) => {
                const t = e.target.value.trim();
                if (c.geometry.type === 'caption' && t && t !== c.geometry.text) editor.updateCaption(c.id, t);
              }}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && !e.shiftKey) {
                  e.preventDefault();
                  (e.target as HTMLTextAreaElement).blur();
                }
              }}
            />
            <button type="button" className="btn btn-icon btn-ghost" aria-label="Delete caption" onClick={() => editor.removeShapes([c.id])}>
              ×
            </button>
          </div>
        ) : null,
      )}
      <div className="caption-row">
        <textarea
          rows={2}
          value={text}
          placeholder="Describe the image…"
          aria-label="New caption"
          data-testid="new-caption"
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) {
              e.preventDefault();
              add();
            }
          }}
        />
        <button type="button" className="btn btn-small" data-testid="add-caption" disabled={!text.trim()} onClick={add}>
          Add
        </button>
      </div>
      <h3>Tags</h3>
      {s.classes.length === 0 ? <p className="muted small">Add a class to tag the image with it.</p> : null}
      <div className="tag-list">
        {s.classes.map((c) => (
          <label key={c.id} className="tag-chip" style={{ borderColor: c.color }}>
            <input type="checkbox" checked={tagged.has(c.id)} data-testid={`tag-${c.name}`} onChange={() => editor.toggleTag(c.id)} /> {c.name}
          </label>
        ))}
      </div>
    </section>
  );
}
