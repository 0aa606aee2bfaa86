import { useEffect, useMemo, useState, type FormEvent } from 'react';
import type { CallResponse, ModelInfo } from '../../../common/api/contract.js';
import { api } from '../../api.js';
import { useStore } from '../app/store.js';
import { INVALID, blankManifest, checkManifestText, errorLines, formatDims } from './manifestDraft.js';
import { loadModels, modelsStore, providerLabel } from './models.js';

type ModelIO = ModelInfo['io'][string];
type Inspection = CallResponse<'models.inspect'>;

export function ModelsPage() {
  const { models, error } = useStore(modelsStore);
  const [selectedName, setSelectedName] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  useEffect(() => void loadModels(true), []);

  const selected = models?.find((m) => m.name === selectedName) ?? models?.[0] ?? null;

  return (
    <div className="models-page">
      <aside className="models-list" aria-label="Models">
        <div className="models-list-head">
          <h2>Models</h2>
          <span className="spacer" />
          <button type="button" className="btn btn-primary btn-small" data-testid="add-model" aria-expanded={adding} onClick={() => setAdding(true)}>
            Add model…
          </button>
        </div>
        {error ? <p className="error" role="alert">{error}</p> : null}
        {!models ? <p className="muted">Loading models…</p> : models.length === 0 ? <p className="muted">No models yet.</p> : null}
        <ul className="model-items">
          {models?.map((m) => (
            <li key={m.name}>
              <button
                type="button"
                className="model-item"
                data-testid="model-item"
                data-model-name={m.name}
                aria-current={!adding && selected?.name === m.name ? 'true' : undefined}
                onClick={() => {
                  setSelectedName(m.name);
                  setAdding(false);
                }}
              >
                <span className="model-item-title">{m.title || m.name}</span>
                <span className="model-item-meta">
                  <span className={`tag${m.kind === INVALID ? ' tag-invalid' : ''}`}>{m.kind === INVALID ? 'cannot be used' : m.kind}</span>
                  {m.decoder ? <span className="tag">{m.decoder}</span> : null}
                  {m.source === 'user' ? <span className="tag tag-user">user</span> : null}
                </span>
                <span className="model-item-provider muted">{providerLabel(m)}</span>
              </button>
            </li>
          ))}
        </ul>
      </aside>
      <section className="models-detail">
        {adding ? (
          <AddModel
            onAdded={(m) => {
              setSelectedName(m.name);
              setAdding(false);
            }}
            onCancel={() => setAdding(false)}
          />
        ) : selected ? (
          <ModelDetail key={selected.name} model={selected} onRemoved={() => setSelectedName(null)} />
        ) : null}
      </section>
    </div>
  );
}

function ModelDetail({ model, onRemoved }: { model: ModelInfo; onRemoved: () => void }) {
  const source = typeof model.manifest.source === 'string' ? model.manifest.source : '';
  return (
    <div className="model-detail" data-testid="model-detail" data-model-name={model.name}>
      <header className="model-detail-head">
        <h2>{model.title || model.name}</h2>
        <code>{model.name}</code>
      </header>
      <dl className="facts">
        <dt>Kind</dt>
        <dd>{model.kind === INVALID ? (typeof model.manifest.kind === 'string' ? model.manifest.kind : '—') : model.kind}</dd>
        <dt>Decoder</dt>
        <dd>{model.decoder || '—'}</dd>
        <dt>Provider</dt>
        <dd data-testid="model-provider">{providerLabel(model)}</dd>
        <dt>Source</dt>
        <dd>{model.source === 'bundled' ? 'Bundled with Sightline' : 'Added by you'}</dd>
        <dt>License</dt>
        <dd>{model.license || 'unknown'}</dd>
        {source ? (
          <>
            <dt>Made from</dt>
            <dd>{source}</dd>
          </>
        ) : null}
        <dt>{model.source === 'bundled' ? 'Manifest' : 'Stored in'}</dt>
        <dd className="path">{model.manifestPath}</dd>
      </dl>
      {model.kind === INVALID ? (
        <p className="error" role="alert" data-testid="model-problem">
          This model cannot be used: {model.description}
        </p>
      ) : model.description ? (
        <p className="model-description">{model.description}</p>
      ) : null}
      {Object.keys(model.io).length > 0 ? <h3>Graph inputs and outputs</h3> : null}
      {Object.entries(model.io).map(([file, io]) => (
        <IoTable key={file} file={file} io={io} />
      ))}
      {model.source === 'user' ? <ManifestEditor model={model} onRemoved={onRemoved} /> : <ManifestView manifest={model.manifest} />}
    </div>
  );
}

function IoTable({ file, io }: { file: string; io: ModelIO }) {
  const rows = [...io.inputs.map((t) => ({ role: 'input', t })), ...io.outputs.map((t) => ({ role: 'output', t }))];
  return (
    <table className="io-table" data-testid="model-io" data-file={file}>
      <caption>
        <code>{file}</code>
      </caption>
      <thead>
        <tr>
          <th scope="col">Role</th>
          <th scope="col">Name</th>
          <th scope="col">Type</th>
          <th scope="col">Dims</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ role, t }) => (
          <tr key={`${role}:${t.name}`} className={`io-${role}`}>
            <td>{role}</td>
            <td>
              <code>{t.name}</code>
            </td>
            <td>{t.type}</td>
            <td>
              <code>{formatDims(t.dims)}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ManifestView({ manifest }: { manifest: Record<string, unknown> }) {
  const text = JSON.stringify(manifest, null, 2);
  return (
    <>
      <h3>Manifest</h3>
      <p className="muted">Bundled manifests are read-only; add the ONNX file as your own model to change one.</p>
      <textarea className="manifest-text" data-testid="manifest-editor" readOnly value={text} rows={rowsFor(text)} spellCheck={false} />
    </>
  );
}

function ManifestEditor({ model, onRemoved }: { model: ModelInfo; onRemoved: () => void }) {
  const [text, setText] = useState(() => JSON.stringify(model.manifest, null, 2));
  const { act, pending, serverError, setServerError } = useServerAction();
  const [confirmRemove, setConfirmRemove] = useState(false);
  const check = useMemo(() => checkManifestText(text), [text]);

  const save = (e: FormEvent) => {
    e.preventDefault();
    if (!check.manifest) return;
    void act(async () => {
      await api.call('models.updateManifest', { name: model.name, manifest: check.manifest! });
      await loadModels(true);
    });
  };
  const remove = () =>
    act(async () => {
      await api.call('models.remove', { name: model.name });
      onRemoved();
      await loadModels(true);
    });

  return (
    <form className="manifest-form" onSubmit={save}>
      <h3>Manifest</h3>
      <textarea
        className="manifest-text"
        data-testid="manifest-editor"
        aria-label="Manifest JSON"
        aria-invalid={check.issues.length > 0}
        value={text}
        rows={rowsFor(text)}
        spellCheck={false}
        onChange={(e) => {
          setText(e.target.value);
          setServerError(null);
        }}
      />
      <Issues lines={check.issues} testId="manifest-issues" />
      <Issues lines={serverError ?? []} testId="manifest-server-error" headed />
      <div className="row">
        <button type="submit" className="btn btn-primary" disabled={pending || !check.manifest}>
          Save manifest
        </button>
        <span className="spacer" />
        {confirmRemove ? (
          <>
            <span className="muted">Remove {model.name}? Its past runs stay.</span>
            <button type="button" className="btn btn-danger" disabled={pending} onClick={remove}>
              Remove
            </button>
            <button type="button" className="btn" onClick={() => setConfirmRemove(false)}>
              Keep
            </button>
          </>
        ) : (
          <button type="button" className="btn" onClick={() => setConfirmRemove(true)}>
            Remove model…
          </button>
        )}
      </div>
    </form>
  );
}

/** Problems in the manifest: the client's (a list) or the server's (a sentence, then any mismatches it lists). */
/** A call whose failure is shown as lines (the server's sentence, then the mismatches it lists). */
function useServerAction() {
  const [serverError, setServerError] = useState<string[] | null>(null);
  const [pending, setPending] = useState(false);
  const act = async (fn: () => Promise<void>) => {
    setPending(true);
    setServerError(null);
    try {
      await fn();
    } catch (err) {
      setServerError(errorLines(err));
    } finally {
      setPending(false);
    }
  };
  return { act, pending, serverError, setServerError };
}

function Issues({ lines, testId, headed = false }: { lines: string[]; testId: string; headed?: boolean }) {
  if (lines.length === 0) return null;
  const [head, items] = headed ? [lines[0], lines.slice(1)] : [null, lines];
  return (
    <div className="issues error" role="alert" data-testid={testId}>
      {head ? <p>{head}</p> : null}
      {items.length > 0 ? (
        <ul>
          {items.map((l, i) => (
            <li key={i}>{l}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** Tall enough for the JSON it holds, within reason. */
const rowsFor = (text: string) => Math.min(32, Math.max(8, text.split('\n').length + 1));

function AddModel({ onAdded, onCancel }: { onAdded: (m: ModelInfo) => void; onCancel: () => void }) {
  const [path, setPath] = useState('');
  const [inspection, setInspection] = useState<Inspection | null>(null);
  const [text, setText] = useState('');
  const { act, pending, serverError, setServerError } = useServerAction();
  const check = useMemo(() => (inspection ? checkManifestText(text) : null), [inspection, text]);

  const isManifest = /\.json$/i.test(path.trim());
  const inspect = (e: FormEvent) => {
    e.preventDefault();
    // A manifest.json names its own graph files: add it as it is (the server checks it against them).
    if (isManifest) {
      void act(async () => {
        const m = await api.call('models.add', { path: path.trim() });
        await loadModels(true);
        onAdded(m);
      });
      return;
    }
    void act(async () => {
      setInspection(null);
      const r = await api.call('models.inspect', { path: path.trim() });
      setInspection(r);
      setText(JSON.stringify(r.proposal?.manifest ?? blankManifest(r.path), null, 2));
    });
  };
  const add = () => {
    if (!inspection || !check?.manifest) return;
    void act(async () => {
      const m = await api.call('models.add', { path: inspection.path, manifest: check.manifest! });
      await loadModels(true);
      onAdded(m);
    });
  };

  return (
    <div className="model-detail add-model" data-testid="add-model-panel">
      <header className="model-detail-head">
        <h2>Add a model</h2>
        <span className="spacer" />
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
      </header>
      <p className="muted">
        Point at an ONNX file: Sightline reads its inputs and outputs, proposes a decoder and drafts the manifest; check the
        class names, input size and normalisation before adding it. Or point at a manifest.json beside its ONNX files
        (captioners have two graphs) to add it as it is.
      </p>
      <form className="row" onSubmit={inspect}>
        <label className="field field-inline">
          <span>ONNX file or manifest</span>
          <input
            type="text"
            spellCheck={false}
            required
            autoFocus
            placeholder="/absolute/path/to/model.onnx or manifest.json"
            data-testid="add-model-path"
            value={path}
            onChange={(e) => setPath(e.target.value)}
          />
        </label>
        <button type="submit" className={`btn${isManifest ? ' btn-primary' : ''}`} data-testid="add-model-inspect" disabled={pending || !path.trim()}>
          {isManifest ? 'Add model' : 'Inspect'}
        </button>
      </form>
      {inspection ? (
        <>
          <h3>Graph inputs and outputs</h3>
          <IoTable file={inspection.path} io={inspection.io} />
          <div className="proposal" data-testid="model-proposal">
            {inspection.proposal ? (
              <>
                <p>
                  Proposed: <strong>{inspection.proposal.kind}</strong> with the <strong>{inspection.proposal.decoder}</strong> decoder.
                </p>
                <p className="muted">{inspection.proposal.reason}</p>
              </>
            ) : (
              <p>No decoder matches this graph's outputs on its own: pick the kind and decoder in the manifest below.</p>
            )}
          </div>
          <h3>Manifest</h3>
          <textarea
            className="manifest-text"
            data-testid="manifest-editor"
            aria-label="Manifest JSON"
            aria-invalid={(check?.issues.length ?? 0) > 0}
            value={text}
            rows={rowsFor(text)}
            spellCheck={false}
            onChange={(e) => {
              setText(e.target.value);
              setServerError(null);
            }}
          />
          <Issues lines={check?.issues ?? []} testId="manifest-issues" />
        </>
      ) : null}
      <Issues lines={serverError ?? []} testId="manifest-server-error" headed />
      {inspection ? (
        <div className="row">
          <button type="button" className="btn btn-primary" data-testid="add-model-submit" disabled={pending || !check?.manifest} onClick={add}>
            Add model
          </button>
        </div>
      ) : null}
    </div>
  );
}
