import { useEffect, useMemo, useState } from 'react';
import type { ModelInfo, RunParameters } from '../../../common/api/contract.js';
import { api } from '../../api.js';
import { useStore } from '../app/store.js';
import { useAction } from '../app/useAction.js';
import { INVALID } from './manifestDraft.js';
import { loadModels, modelsStore, providerLabel, runChoicesStore, startRun, type ProviderChoice, type RunTarget } from './models.js';

export interface RunButton {
  label: string;
  testId: string;
  /** null: nothing to run on (the button is disabled). */
  target: RunTarget | null;
}

const PROVIDERS: { value: ProviderChoice; label: string }[] = [
  { value: 'auto', label: 'Auto (CUDA, else CPU)' },
  { value: 'cpu', label: 'CPU' },
  { value: 'cuda', label: 'CUDA' },
];

function byKind(models: ModelInfo[]): [string, ModelInfo[]][] {
  const groups = new Map<string, ModelInfo[]>();
  for (const m of models) groups.set(m.kind, [...(groups.get(m.kind) ?? []), m]);
  return [...groups];
}

/** Model, provider, thresholds and one button per target: shared by the viewer (this image) and the library. */
export function RunModelControls({
  buttons,
  layout,
  onStarted,
}: {
  buttons: RunButton[];
  layout: 'stack' | 'inline';
  onStarted?: (run: { jobId: string; runId: number }) => void;
}) {
  const { models: all, error: loadError } = useStore(modelsStore);
  const models = useMemo(() => all?.filter((m) => m.kind !== INVALID) ?? null, [all]);
  const choices = useStore(runChoicesStore);
  useEffect(() => {
    void loadModels();
    // The provider a model really got is known once a run made its session.
    return api.on('job', (job) => {
      if (job.kind === 'inference' && job.state !== 'running') void loadModels(true);
    });
  }, []);

  const selected = models?.find((m) => m.name === choices.model) ?? models?.[0] ?? null;
  useEffect(() => {
    if (selected && selected.name !== choices.model) runChoicesStore.set({ model: selected.name });
  }, [selected, choices.model]);

  const run = useAction(async (target: RunTarget) => {
    const started = await startRun(target);
    onStarted?.(started);
  });
  const setParam = <K extends keyof RunParameters>(key: K, value: RunParameters[K] | undefined) =>
    runChoicesStore.set((s) => {
      const params = { ...s.params };
      if (value === undefined) delete params[key];
      else params[key] = value;
      return { params };
    });

  return (
    <div className={`run-model run-model-${layout}`}>
      <label className="field">
        <span>Model</span>
        <select
          data-testid="run-model-select"
          aria-label="Model to run"
          value={selected?.name ?? ''}
          disabled={!models?.length}
          onChange={(e) => runChoicesStore.set({ model: e.target.value })}
        >
          {!models ? <option value="">Loading models…</option> : models.length === 0 ? <option value="">No models</option> : null}
          {byKind(models ?? []).map(([kind, list]) => (
            <optgroup key={kind} label={kind}>
              {list.map((m) => (
                <option key={m.name} value={m.name}>
                  {m.title || m.name}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
      </label>
      <label className="field">
        <span>Provider{selected ? ` · last: ${providerLabel(selected)}` : ''}</span>
        <select
          data-testid="run-provider-select"
          aria-label="Execution provider"
          value={choices.provider}
          onChange={(e) => runChoicesStore.set({ provider: e.target.value as ProviderChoice })}
        >
          {PROVIDERS.map((p) => (
            <option key={p.value} value={p.value}>
              {p.label}
            </option>
          ))}
        </select>
      </label>
      <details className="run-options">
        <summary>Options</summary>
        <NumberField label="Min. score" value={choices.params.score} step={0.05} min={0} max={1} onChange={(v) => setParam('score', v)} />
        <NumberField label="NMS IoU" value={choices.params.iou} step={0.05} min={0} max={1} onChange={(v) => setParam('iou', v)} />
        {selected?.kind === 'captioner' ? (
          <NumberField label="Beams" value={choices.params.beamSize} step={1} min={1} max={16} onChange={(v) => setParam('beamSize', v)} />
        ) : null}
        <label className="check">
          <input
            type="checkbox"
            checked={choices.params.keepSuppressed ?? false}
            onChange={(e) => setParam('keepSuppressed', e.target.checked || undefined)}
          />
          Keep the candidates NMS removes
        </label>
      </details>
      <div className="run-buttons">
        {buttons.map((b) => (
          <button
            key={b.testId}
            type="button"
            className="btn btn-primary"
            data-testid={b.testId}
            disabled={!selected || !b.target || run.pending}
            onClick={() => b.target && run.run(b.target)}
          >
            {b.label}
          </button>
        ))}
      </div>
      {loadError ? <p className="error" role="alert">{loadError}</p> : null}
      {run.error ? <p className="error" role="alert">{run.error}</p> : null}
    </div>
  );
}

/** A number that may be left empty, meaning "the model's default". */
function NumberField(props: { label: string; value: number | undefined; step: number; min: number; max: number; onChange: (v: number | undefined) => void }) {
  const [text, setText] = useState(props.value === undefined ? '' : String(props.value));
  return (
    <label className="field field-row">
      <span>{props.label}</span>
      <input
        type="number"
        inputMode="decimal"
        placeholder="model default"
        step={props.step}
        min={props.min}
        max={props.max}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          const v = e.target.valueAsNumber;
          props.onChange(e.target.value === '' || !Number.isFinite(v) ? undefined : Math.min(props.max, Math.max(props.min, v)));
        }}
      />
    </label>
  );
}
