/** The run whose predictions the viewer shows (and compares): one choice, kept in `predictionsView.runId`. */
import type { ModelRun } from '../../../common/api/contract.js';
import { useStore } from '../app/store.js';
import { predictionsView } from './view.js';

export function runLabel(r: ModelRun): string {
  const started = new Date(r.startedAt);
  const today = started.toDateString() === new Date().toDateString();
  const when = started.toLocaleString(undefined, today ? { timeStyle: 'short' } : { dateStyle: 'short', timeStyle: 'short' });
  const state = r.status === 'done' ? '' : ` · ${r.status}`;
  return `#${r.id} ${r.model} · ${when}${state}`;
}

/** `shown`: the run "Latest on this image" resolves to, named in that option when known. */
export function RunPicker({ runs, shown, testId, label }: { runs: ModelRun[]; shown?: number | null; testId: string; label: string }) {
  const { runId } = useStore(predictionsView);
  return (
    <label className="field">
      <span>Run</span>
      <select data-testid={testId} aria-label={label} value={runId ?? ''} onChange={(e) => predictionsView.set({ runId: e.target.value ? Number(e.target.value) : null })}>
        <option value="">Latest on this image{shown != null ? ` (#${shown})` : ''}</option>
        {runs.map((r) => (
          <option key={r.id} value={r.id}>
            {runLabel(r)}
          </option>
        ))}
      </select>
    </label>
  );
}
