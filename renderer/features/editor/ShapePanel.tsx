/**
 * The selection's class, flags (occluded / truncated / difficult, which Pascal VOC exports need), track id and
 * free key/value attributes; mask ⇄ polygon conversions; a keypoint's visibility. Each change is one history step.
 */
import { useState } from 'react';
import type { Editor } from '../../editor/editor.js';
import { SHAPE_FLAGS, TRACK_ATTRIBUTE, type Shape } from '../../editor/types.js';
import { useEditorSelector } from './session.js';

const RESERVED = new Set<string>([...SHAPE_FLAGS, TRACK_ATTRIBUTE, 'polyline']);
const VISIBILITY = ['not labeled', 'occluded', 'visible'] as const;

export function ShapePanel({ editor }: { editor: Editor }) {
  const s = useEditorSelector(editor, (st) => ({ selection: st.selection, shapes: st.shapes, classes: st.classes, vertex: st.selectedVertex }));
  const selected = [...s.selection].map((id) => s.shapes.get(id)).filter((x): x is Shape => Boolean(x) && x!.kind !== 'caption' && x!.kind !== 'tag');
  if (selected.length === 0) return null;
  const ids = selected.map((x) => x.id);
  const first = selected[0];
  const same = <T,>(f: (x: Shape) => T): T | undefined => (selected.every((x) => f(x) === f(first)) ? f(first) : undefined);
  const classId = same((x) => x.classId);
  const track = same((x) => x.attributes[TRACK_ATTRIBUTE]);
  const kp = s.vertex && first.kind === 'keypoints' && first.geometry.type === 'keypoints' ? first.geometry : null;
  return (
    <section className="side-section" aria-label="Selected shapes" data-testid="shape-panel">
      <h3>
        {selected.length === 1 ? `${first.kind} #${first.id}` : `${selected.length} shapes`}
        {selected.length === 1 && first.origin !== 'manual' ? <span className="muted small"> · {first.origin}</span> : null}
      </h3>
      <label className="field">
        <span>Class</span>
        <select
          value={classId === undefined ? '' : String(classId ?? 'none')}
          aria-label="Class of the selection"
          data-testid="selection-class"
          onChange={(e) => editor.setClass(ids, e.target.value === 'none' ? null : Number(e.target.value))}
        >
          {classId === undefined ? <option value="">(mixed)</option> : null}
          <option value="none">unclassified</option>
          {s.classes.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
      </label>
      <div className="flag-row">
        {SHAPE_FLAGS.map((f) => {
          const v = same((x) => x.attributes[f] === true);
          return (
            <label key={f} className="small">
              <input
                type="checkbox"
                checked={v === true}
                ref={(el) => {
                  if (el) el.indeterminate = v === undefined;
                }}
                data-testid={`flag-${f}`}
                onChange={(e) => editor.setAttributes(ids, { [f]: e.target.checked ? true : undefined })}
              />{' '}
              {f}
            </label>
          );
        })}
      </div>
      <label className="field">
        <span>Track / instance id</span>
        <input
          key={`${ids.join(',')}:${String(track)}`}
          defaultValue={track === undefined || track === null ? '' : String(track)}
          placeholder={track === undefined && selected.length > 1 ? '(mixed)' : 'none'}
          aria-label="Track id"
          data-testid="track-id"
          onBlur={(e) => {
            const t = e.target.value.trim();
            const value = t === '' ? undefined : /^\d+$/.test(t) ? Number(t) : t;
            if (value !== track) editor.setAttributes(ids, { [TRACK_ATTRIBUTE]: value });
          }}
          onKeyDown={(e) => e.key === 'Enter' && (e.target as HTMLInputElement).blur()}
        />
      </label>
      {selected.length === 1 ? <Attributes shape={first} editor={editor} /> : null}
      {kp && s.vertex ? (
        <label className="field">
          <span>
            Point {s.vertex.index + 1}
            {kp.names?.[s.vertex.index] ? ` (${kp.names[s.vertex.index]})` : ''}
          </span>
          <select
            value={kp.points[s.vertex.index * 3 + 2]}
            aria-label="Keypoint visibility"
            data-testid="keypoint-visibility"
            onChange={(e) => editor.setKeypointVisibility(s.vertex!, Number(e.target.value) as 0 | 1 | 2)}
          >
            {VISIBILITY.map((label, v) => (
              <option key={v} value={v}>
                {v} · {label}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      <div className="field-row">
        {selected.some((x) => x.kind === 'polygon' && x.attributes.polyline !== true) ? (
          <button type="button" className="btn btn-small" data-testid="polygon-to-mask" onClick={() => editor.polygonToMask(ids.filter((id) => s.shapes.get(id)?.kind === 'polygon'))}>
            Fill into mask
          </button>
        ) : null}
        {selected.length === 1 && first.kind === 'mask' ? (
          <button type="button" className="btn btn-small" data-testid="mask-to-polygons" onClick={() => editor.maskToPolygons(first.id)}>
            To polygons
          </button>
        ) : null}
        <button type="button" className="btn btn-small btn-danger" onClick={() => editor.removeShapes(ids)}>
          Delete
        </button>
      </div>
    </section>
  );
}

function Attributes({ shape, editor }: { shape: Shape; editor: Editor }) {
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const entries = Object.entries(shape.attributes).filter(([k]) => !RESERVED.has(k));
  return (
    <div className="attributes" aria-label="Attributes">
      <span className="muted small">Attributes</span>
      {entries.map(([k, v]) => (
        <div key={k} className="attr-row" data-testid={`attr-${k}`}>
          <span className="attr-key">{k}</span>
          <input
            key={`${shape.id}:${k}:${String(v)}`}
            defaultValue={v === null ? '' : String(v)}
            aria-label={`Attribute ${k}`}
            onBlur={(e) => e.target.value !== String(v ?? '') && editor.setAttributes([shape.id], { [k]: e.target.value })}
            onKeyDown={(e) => e.key === 'Enter' && (e.target as HTMLInputElement).blur()}
          />
          <button type="button" className="btn btn-icon btn-ghost" aria-label={`Remove attribute ${k}`} onClick={() => editor.setAttributes([shape.id], { [k]: undefined })}>
            ×
          </button>
        </div>
      ))}
      <form
        className="attr-row"
        onSubmit={(e) => {
          e.preventDefault();
          const k = key.trim();
          if (!k || RESERVED.has(k)) return;
          editor.setAttributes([shape.id], { [k]: value });
          setKey('');
          setValue('');
        }}
      >
        <input value={key} placeholder="key" aria-label="New attribute key" data-testid="attr-new-key" onChange={(e) => setKey(e.target.value)} />
        <input value={value} placeholder="value" aria-label="New attribute value" data-testid="attr-new-value" onChange={(e) => setValue(e.target.value)} />
        <button type="submit" className="btn btn-small" disabled={!key.trim()}>
          +
        </button>
      </form>
    </div>
  );
}
