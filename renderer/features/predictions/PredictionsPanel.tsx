import type { ModelRun } from '../../../common/api/contract.js';
import { labelColor } from '../../canvas/layers/colors.js';
import { useStore } from '../app/store.js';
import { formatScore, isSuppressed, labelCounts, type SplitPredictions } from './predictions.js';
import { predictionsView, togglePredictions } from './view.js';
import { RunPicker } from './RunPicker.js';

function summary(run: ModelRun | null, split: SplitPredictions, drawn: number, suppressed: number): string {
  if (run && !split.processed) return run.status === 'running' ? `${run.model} is running…` : `Run #${run.id} (${run.model}) did not include this image.`;
  const parts = run ? [`${run.model} on ${run.provider?.toUpperCase() ?? '…'}`] : [];
  const shapes = split.shapes.length - suppressed;
  if (shapes > 0) parts.push(`${drawn} of ${shapes} shapes shown`);
  if (split.captions.length > 0) parts.push(split.captions.length === 1 ? '1 caption' : `${split.captions.length} captions`);
  if (split.tags.length > 0) parts.push(split.tags.length === 1 ? '1 tag' : `${split.tags.length} tags`);
  if (parts.length < 2 && run?.status !== 'running') parts.push('nothing found here');
  return parts.join(' · ');
}

/** The layer's controls: on/off (P), run, opacity, confidence, pipeline internals, and a legend of what is drawn. */
export function PredictionsPanel(props: { runs: ModelRun[]; runId: number | null; split: SplitPredictions; drawn: number; error: string | null }) {
  const { runs, runId, split, drawn, error } = props;
  const view = useStore(predictionsView);
  const run = runs.find((r) => r.id === runId) ?? null;
  const suppressed = split.shapes.filter(isSuppressed).length;
  const proposals = split.extras.proposals?.length ?? 0;
  const scoreMaps = split.extras.scoreMaps?.maps ?? [];
  const legend = labelCounts(split.shapes);

  return (
    <section className="side-section" aria-label="Predictions" data-testid="predictions-panel">
      <div className="side-section-head">
        <h3>Predictions</h3>
        <span className="spacer" />
        <label className="check" title="Show or hide the predictions layer (P)">
          <input type="checkbox" data-testid="predictions-toggle" checked={view.visible} onChange={togglePredictions} />
          Show <kbd>P</kbd>
        </label>
      </div>
      <RunPicker runs={runs} testId="run-picker" label="Model run shown" />
      <p className="muted small" data-testid="predictions-summary">
        {runId === null ? 'No model has run on this image yet.' : summary(run, split, drawn, suppressed)}
        {run?.status === 'failed' && run.error ? <span className="error"> {run.error}</span> : null}
      </p>
      {split.extras.error ? (
        <p className="error" role="alert">
          The model failed on this image: {split.extras.error}
        </p>
      ) : null}
      {error ? <p className="error" role="alert">{error}</p> : null}
      <label className="field">
        <span>Opacity {Math.round(view.opacity * 100)}%</span>
        <input
          type="range"
          min={0}
          max={1}
          step={0.05}
          value={view.opacity}
          aria-label="Predictions opacity"
          onChange={(e) => predictionsView.set({ opacity: e.target.valueAsNumber })}
        />
      </label>
      <label className="field">
        <span>Confidence ≥ {formatScore(view.minScore)}</span>
        <input
          type="range"
          min={0}
          max={1}
          step={0.01}
          value={view.minScore}
          data-testid="confidence-slider"
          aria-label="Minimum confidence shown"
          onChange={(e) => predictionsView.set({ minScore: e.target.valueAsNumber })}
        />
      </label>
      <label className="check" title={suppressed ? undefined : 'Run with “Keep the candidates NMS removes” to see them'}>
        <input
          type="checkbox"
          checked={view.showSuppressed && suppressed > 0}
          disabled={suppressed === 0}
          onChange={(e) => predictionsView.set({ showSuppressed: e.target.checked })}
        />
        NMS-suppressed candidates ({suppressed})
      </label>
      {proposals > 0 ? (
        <label className="check">
          <input type="checkbox" checked={view.showProposals} onChange={(e) => predictionsView.set({ showProposals: e.target.checked })} />
          Region proposals ({proposals})
        </label>
      ) : null}
      {scoreMaps.length > 0 ? (
        <label className="field">
          <span>Class score map</span>
          <select
            data-testid="score-map-picker"
            value={view.scoreMapClass ?? ''}
            onChange={(e) => predictionsView.set({ scoreMapClass: e.target.value === '' ? null : Number(e.target.value) })}
          >
            <option value="">None</option>
            {scoreMaps.map((m) => (
              <option key={m.classIndex} value={m.classIndex}>
                {m.label ?? `class ${m.classIndex}`}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      {legend.length > 0 || split.tags.length > 0 ? (
        <ul className="legend">
          {legend.map(({ label, count }) => (
            <li key={label}>
              <span className="swatch" style={{ background: labelColor(label) }} />
              {label} <span className="muted">{count}</span>
            </li>
          ))}
          {split.tags.map((t) => (
            <li key={t.id}>
              <span className="swatch" style={{ background: labelColor(t.label) }} />
              {t.label ?? 'tag'} {t.score !== null ? <span className="muted">{formatScore(t.score)}</span> : null}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
