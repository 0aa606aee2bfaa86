/**
 * Classes: add, rename, recolour, reorder, delete (with how many shapes use the class and what becomes of them),
 * hide / lock per class, and the keypoint template of a pose-like class. Every change is a step in the editor's
 * history, so Ctrl+Z takes it back. Digits 1–9 pick the class in this order.
 */
import { useEffect, useState } from 'react';
import type { LabelClass } from '../../../common/api/contract.js';
import { api, errorMessage } from '../../api.js';
import type { Editor } from '../../editor/editor.js';
import { useEditorSelector } from './session.js';

export function ClassesPanel({ editor }: { editor: Editor }) {
  const s = useEditorSelector(editor, (st) => ({
    classes: st.classes,
    active: st.activeClassId,
    hidden: st.hiddenClasses,
    locked: st.lockedClasses,
  }));
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const run = (p: Promise<unknown> | unknown) =>
    Promise.resolve(p).then(
      () => setError(null),
      (e) => setError(errorMessage(e)),
    );
  const add = () => {
    const n = name.trim();
    if (!n) return;
    if (s.classes.some((c) => c.name === n)) {
      setError(`A class named "${n}" already exists.`);
      return;
    }
    void run(editor.addClass({ name: n }).then(() => setName('')));
  };
  const move = (id: number, by: number) => {
    const ids = s.classes.map((c) => c.id);
    const i = ids.indexOf(id);
    const j = i + by;
    if (j < 0 || j >= ids.length) return;
    [ids[i], ids[j]] = [ids[j], ids[i]];
    void run(editor.reorderClasses(ids));
  };
  return (
    <section className="side-section" aria-label="Classes" data-testid="classes-panel">
      <h3>Classes</h3>
      <ul className="class-list">
        {s.classes.map((c, i) => (
          <ClassRow
            key={c.id}
            c={c}
            index={i}
            count={s.classes.length}
            active={s.active === c.id}
            hidden={s.hidden.has(c.id)}
            locked={s.locked.has(c.id)}
            editor={editor}
            others={s.classes.filter((o) => o.id !== c.id)}
            onMove={move}
            onError={setError}
          />
        ))}
      </ul>
      <form
        className="field-row"
        onSubmit={(e) => {
          e.preventDefault();
          add();
        }}
      >
        <input value={name} placeholder="New class" aria-label="New class name" data-testid="new-class-name" onChange={(e) => setName(e.target.value)} />
        <button type="submit" className="btn btn-small" data-testid="add-class" disabled={!name.trim()}>
          Add
        </button>
      </form>
      {error ? (
        <p className="error small" role="alert">
          {error}
        </p>
      ) : null}
    </section>
  );
}

function ClassRow(props: {
  c: LabelClass;
  index: number;
  count: number;
  active: boolean;
  hidden: boolean;
  locked: boolean;
  editor: Editor;
  others: LabelClass[];
  onMove: (id: number, by: number) => void;
  onError: (e: string | null) => void;
}) {
  const { c, index, count, active, hidden, locked, editor, others, onMove, onError } = props;
  const [open, setOpen] = useState<'none' | 'delete' | 'keypoints'>('none');
  const [draftName, setDraftName] = useState(c.name);
  const report = (p: Promise<unknown>) => p.then(() => onError(null), (e) => onError(errorMessage(e)));
  const rename = () => {
    const n = draftName.trim();
    if (!n || n === c.name) return setDraftName(c.name);
    void report(Promise.resolve(editor.updateClass(c.id, { name: n })));
  };
  return (
    <li className={`class-row${active ? ' active' : ''}`} data-testid={`class-row-${c.name}`}>
      <div className="class-line">
        <span className="class-key" title={index < 9 ? `Press ${index + 1}` : undefined}>
          {index < 9 ? index + 1 : ''}
        </span>
        <input
          type="color"
          className="class-color"
          value={c.color}
          aria-label={`Colour of ${c.name}`}
          onChange={(e) => void report(Promise.resolve(editor.updateClass(c.id, { color: e.target.value })))}
        />
        <input
          className="class-name"
          value={draftName}
          aria-label={`Name of class ${c.name}`}
          onFocus={() => editor.setActiveClass(c.id)}
          onChange={(e) => setDraftName(e.target.value)}
          onBlur={rename}
          onKeyDown={(e) => {
            if (e.key === 'Enter') (e.target as HTMLInputElement).blur();
            if (e.key === 'Escape') {
              setDraftName(c.name);
              (e.target as HTMLInputElement).blur();
            }
          }}
        />
        <button type="button" className={`btn btn-icon btn-ghost${active ? ' active' : ''}`} title="Use for new shapes" aria-label={`Use ${c.name}`} aria-pressed={active} onClick={() => editor.setActiveClass(c.id)}>
          ✎
        </button>
        <button type="button" className="btn btn-icon btn-ghost" title={hidden ? 'Show' : 'Hide'} aria-label={`${hidden ? 'Show' : 'Hide'} ${c.name}`} aria-pressed={hidden} onClick={() => editor.toggleClassHidden(c.id)}>
          {hidden ? '◌' : '◉'}
        </button>
        <button
          type="button"
          className={`btn btn-small btn-ghost${locked ? ' active' : ''}`}
          title={locked ? 'Locked: shapes of this class cannot be selected. Click to unlock.' : 'Lock: shapes of this class cannot be selected'}
          aria-label={`${locked ? 'Unlock' : 'Lock'} ${c.name}`}
          aria-pressed={locked}
          onClick={() => editor.toggleClassLocked(c.id)}
        >
          lock
        </button>
      </div>
      <div className="class-actions">
        <button type="button" className="btn btn-small btn-ghost" disabled={index === 0} aria-label={`Move ${c.name} up`} onClick={() => onMove(c.id, -1)}>
          ↑
        </button>
        <button type="button" className="btn btn-small btn-ghost" disabled={index === count - 1} aria-label={`Move ${c.name} down`} onClick={() => onMove(c.id, 1)}>
          ↓
        </button>
        <button type="button" className="btn btn-small btn-ghost" aria-expanded={open === 'keypoints'} onClick={() => setOpen(open === 'keypoints' ? 'none' : 'keypoints')}>
          Keypoints{c.keypoints ? ` (${c.keypoints.names.length})` : ''}
        </button>
        <button type="button" className="btn btn-small btn-ghost" aria-label={`Delete ${c.name}`} aria-expanded={open === 'delete'} onClick={() => setOpen(open === 'delete' ? 'none' : 'delete')}>
          Delete…
        </button>
      </div>
      {open === 'delete' ? <DeleteClass c={c} others={others} editor={editor} onDone={() => setOpen('none')} onError={onError} /> : null}
      {open === 'keypoints' ? <KeypointTemplateEditor c={c} editor={editor} onDone={() => setOpen('none')} onError={onError} /> : null}
    </li>
  );
}

function DeleteClass({ c, others, editor, onDone, onError }: { c: LabelClass; others: LabelClass[]; editor: Editor; onDone: () => void; onError: (e: string | null) => void }) {
  const [usage, setUsage] = useState<{ annotations: number; images: number } | null>(null);
  const [mode, setMode] = useState<'unclassify' | 'reassign'>('unclassify');
  const [to, setTo] = useState<number | null>(others[0]?.id ?? null);
  useEffect(() => {
    let live = true;
    api.call('classes.usage', { id: c.id }).then(
      (u) => live && setUsage({ annotations: u.annotations, images: u.images }),
      (e) => live && onError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, [c.id, onError]);
  return (
    <div className="class-delete" role="group" aria-label={`Delete ${c.name}`}>
      <p className="small" data-testid="class-usage">
        {usage ? `${usage.annotations.toLocaleString()} shape${usage.annotations === 1 ? '' : 's'} on ${usage.images.toLocaleString()} image${usage.images === 1 ? '' : 's'} use "${c.name}".` : 'Counting…'}
      </p>
      <label className="small">
        <input type="radio" name={`del-${c.id}`} checked={mode === 'unclassify'} onChange={() => setMode('unclassify')} /> Keep them, unclassified
      </label>
      <label className="small">
        <input type="radio" name={`del-${c.id}`} checked={mode === 'reassign'} disabled={others.length === 0} onChange={() => setMode('reassign')} /> Move them to{' '}
        <select value={to ?? ''} disabled={mode !== 'reassign'} aria-label="Move to class" onChange={(e) => setTo(Number(e.target.value))}>
          {others.map((o) => (
            <option key={o.id} value={o.id}>
              {o.name}
            </option>
          ))}
        </select>
      </label>
      <div className="field-row">
        <button
          type="button"
          className="btn btn-small btn-danger"
          data-testid="confirm-delete-class"
          disabled={!usage}
          onClick={() =>
            Promise.resolve(editor.deleteClass(c.id, mode === 'reassign' && to !== null ? { kind: 'reassign', to } : { kind: 'unclassify' })).then(
              () => {
                onError(null);
                onDone();
              },
              (e) => onError(errorMessage(e)),
            )
          }
        >
          Delete class
        </button>
        <button type="button" className="btn btn-small" onClick={onDone}>
          Cancel
        </button>
      </div>
    </div>
  );
}

/** Names one per line or comma-separated; edges as 1-based pairs "1-2, 2-3" (as people count points). */
export function parseTemplate(namesText: string, edgesText: string): { names: string[]; edges: [number, number][] } {
  const names = namesText
    .split(/[\n,]/)
    .map((n) => n.trim())
    .filter(Boolean);
  const edges: [number, number][] = [];
  for (const part of edgesText.split(/[\n,;]/).map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)\s*[-–]\s*(\d+)$/.exec(part);
    if (!m) throw new Error(`"${part}" is not an edge: write two point numbers joined by a dash, like 1-2.`);
    const a = Number(m[1]) - 1;
    const b = Number(m[2]) - 1;
    if (a < 0 || b < 0 || a >= names.length || b >= names.length) throw new Error(`Edge ${part} names a point that does not exist (there are ${names.length}).`);
    if (a === b) throw new Error(`Edge ${part} joins a point to itself.`);
    edges.push([a, b]);
  }
  return { names, edges };
}

function KeypointTemplateEditor({ c, editor, onDone, onError }: { c: LabelClass; editor: Editor; onDone: () => void; onError: (e: string | null) => void }) {
  const [names, setNames] = useState(c.keypoints?.names.join(', ') ?? '');
  const [edges, setEdges] = useState(c.keypoints?.edges.map(([a, b]) => `${a + 1}-${b + 1}`).join(', ') ?? '');
  const save = () => {
    try {
      const t = parseTemplate(names, edges);
      Promise.resolve(editor.updateClass(c.id, { keypoints: t.names.length ? t : null })).then(
        () => {
          onError(null);
          onDone();
        },
        (e) => onError(errorMessage(e)),
      );
    } catch (e) {
      onError((e as Error).message);
    }
  };
  return (
    <div className="class-keypoints" role="group" aria-label={`Keypoints of ${c.name}`}>
      <label className="field">
        <span className="small">Point names, in order</span>
        <textarea rows={2} value={names} data-testid="template-names" onChange={(e) => setNames(e.target.value)} placeholder="nose, left eye, right eye" />
      </label>
      <label className="field">
        <span className="small">Skeleton edges (point numbers)</span>
        <input value={edges} data-testid="template-edges" onChange={(e) => setEdges(e.target.value)} placeholder="1-2, 1-3" />
      </label>
      <div className="field-row">
        <button type="button" className="btn btn-small btn-primary" data-testid="save-template" onClick={save}>
          Save template
        </button>
        <button type="button" className="btn btn-small" onClick={onDone}>
          Cancel
        </button>
      </div>
    </div>
  );
}
