/**
 * Export the labels (or one model run's predictions) as a dataset: the format and its options, then the job's
 * progress with Cancel, then its summary: what was written, whether it read back equal, what the format could not
 * hold, and a button that opens the folder.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { ExportSummary, type ExportFormat, type Job, type ModelRun } from '../../../common/api/contract.js';
import { api, errorMessage } from '../../api.js';
import { projectStore } from '../app/project.js';
import { useStore } from '../app/store.js';
import { DatasetDialog, FormActions, JobRunning, ShortList, Stat } from './Dialog.js';
import {
  EXPORT_FORMATS,
  EXPORT_FORMAT_ORDER,
  IMAGES_LABELS,
  SPLIT_NAMES,
  buildExportOptions,
  defaultExportDraft,
  runSourceLabel,
  withFormat,
  type ExportDraft,
  type ExportDraftErrors,
  type ImagesMode,
} from './options.js';
import { useJob } from './useJob.js';
import { useRuns } from '../app/useRuns.js';

export function ExportDialog({ onClose }: { onClose: () => void }) {
  const [draft, setDraft] = useState<ExportDraft>(() => defaultExportDraft());
  const [errors, setErrors] = useState<ExportDraftErrors>({});
  const [jobId, setJobId] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);
  const [startError, setStartError] = useState<string | null>(null);
  const job = useJob(jobId);
  const step = !jobId ? 'form' : !job || job.state === 'running' ? 'running' : 'ended';

  const start = async () => {
    const built = buildExportOptions(draft);
    if ('errors' in built) {
      setErrors(built.errors);
      return;
    }
    setErrors({});
    setStartError(null);
    setStarting(true);
    try {
      setJobId((await api.call('datasets.export', built.options)).jobId);
    } catch (err) {
      setStartError(errorMessage(err));
    } finally {
      setStarting(false);
    }
  };

  return (
    <DatasetDialog title="Export dataset" testId="export-dialog" step={step} onClose={onClose}>
      {step === 'form' ? (
        <ExportForm draft={draft} setDraft={setDraft} errors={errors} starting={starting} startError={startError} onStart={start} onClose={onClose} />
      ) : step === 'running' || !job ? (
        <JobRunning jobId={jobId!} job={job} what={`Exporting ${EXPORT_FORMATS[draft.format].label}`} testId="export-progress" />
      ) : (
        <ExportEnded job={job} onAgain={() => setJobId(null)} onClose={onClose} />
      )}
    </DatasetDialog>
  );
}

function ExportForm(props: {
  draft: ExportDraft;
  setDraft: (d: ExportDraft) => void;
  errors: ExportDraftErrors;
  starting: boolean;
  startError: string | null;
  onStart: () => void;
  onClose: () => void;
}) {
  const { draft, setDraft, errors } = props;
  const { project } = useStore(projectStore);
  const { runs, runsError } = useRuns();
  const info = EXPORT_FORMATS[draft.format];
  const set = (patch: Partial<ExportDraft>) => setDraft({ ...draft, ...patch });


  const submit = (e: FormEvent) => {
    e.preventDefault();
    props.onStart();
  };

  return (
    <form className="dataset-form" onSubmit={submit} noValidate>
      <label className="field">
        <span>Format</span>
        <select
          data-autofocus
          data-testid="export-format"
          value={draft.format}
          aria-describedby="export-format-help"
          onChange={(e) => setDraft(withFormat(draft, e.target.value as ExportFormat))}
        >
          {EXPORT_FORMAT_ORDER.map((f) => (
            <option key={f} value={f}>
              {EXPORT_FORMATS[f].label}
            </option>
          ))}
        </select>
      </label>
      <div id="export-format-help" className="format-help" data-testid="export-format-help">
        <div>
          <span className="format-help-key">Writes</span> {info.writes}
        </div>
        <div>
          <span className="format-help-key">Cannot hold</span> {info.cannotHold}
        </div>
      </div>

      <label className="field">
        <span>Source</span>
        <select data-testid="export-source" value={draft.source} aria-invalid={errors.source ? true : undefined} onChange={(e) => set({ source: e.target.value })}>
          <option value="labels">Labels{project ? ` (${project.annotations.toLocaleString()} annotations)` : ''}</option>
          {(runs ?? []).map((r) => (
            <option key={r.id} value={`run:${r.id}`}>
              {runSourceLabel(r)}
            </option>
          ))}
        </select>
      </label>
      {runs && runs.length === 0 ? <p className="muted small">No model runs in this project yet: only the labels can be exported.</p> : null}
      {runsError ? <p className="error small">The model runs could not be listed: {runsError}</p> : null}
      <FieldError text={errors.source} testId="export-source-error" />

      <label className="field">
        <span>Output folder</span>
        <input
          type="text"
          spellCheck={false}
          autoComplete="off"
          data-testid="export-out"
          placeholder="/absolute/path/to/export"
          value={draft.out}
          aria-invalid={errors.out ? true : undefined}
          aria-describedby="export-out-hint"
          onChange={(e) => set({ out: e.target.value })}
        />
      </label>
      <p id="export-out-hint" className="muted small">
        An absolute path. The export is written beside it, read back and compared with the project, and only then moved into place.
      </p>
      <FieldError text={errors.out} testId="export-out-error" />

      {info.split ? (
        <fieldset className="dataset-fieldset" data-testid="export-split">
          <legend>Split</legend>
          <label className="check">
            <input type="checkbox" data-testid="export-split-on" checked={draft.splitOn} onChange={(e) => set({ splitOn: e.target.checked })} />
            Split into train / val / test
          </label>
          {draft.splitOn ? (
            <>
              <div className="split-row">
                {SPLIT_NAMES.map((name) => (
                  <label key={name} className="field split-field">
                    <span>{name}</span>
                    <input
                      type="text"
                      inputMode="decimal"
                      data-testid={`export-split-${name}`}
                      value={draft.split[name]}
                      aria-invalid={errors.split ? true : undefined}
                      onChange={(e) => set({ split: { ...draft.split, [name]: e.target.value } })}
                    />
                  </label>
                ))}
                <label className="field split-field">
                  <span>seed</span>
                  <input
                    type="text"
                    inputMode="numeric"
                    data-testid="export-seed"
                    value={draft.seed}
                    aria-invalid={errors.seed ? true : undefined}
                    onChange={(e) => set({ seed: e.target.value })}
                  />
                </label>
              </div>
              <p className="muted small">Fractions (0.8) or percentages (80%) that add up to 1. Stratified by class; the same seed gives the same split.</p>
              <FieldError text={errors.split} testId="export-split-error" />
              <FieldError text={errors.seed} testId="export-seed-error" />
            </>
          ) : null}
        </fieldset>
      ) : null}

      <fieldset className="dataset-fieldset">
        <legend>Image files</legend>
        {(['copy', 'link', 'none'] as ImagesMode[]).map((mode) => (
          <label key={mode} className="check">
            <input type="radio" name="export-images" value={mode} data-testid={`export-images-${mode}`} checked={draft.images === mode} onChange={() => set({ images: mode })} />
            {IMAGES_LABELS[mode]}
            {mode === info.defaultImages ? <span className="muted"> (default for {info.label})</span> : null}
          </label>
        ))}
      </fieldset>

      <label className="check">
        <input type="checkbox" data-testid="export-upright" checked={draft.upright} onChange={(e) => set({ upright: e.target.checked })} />
        Write upright copies of EXIF-rotated images
      </label>
      <label className="check">
        <input type="checkbox" data-testid="export-overwrite" checked={draft.overwrite} onChange={(e) => set({ overwrite: e.target.checked })} />
        Replace the folder if it exists
      </label>

      <FormActions testPrefix="export" startError={props.startError} starting={props.starting} submitLabel={'Export'} onClose={props.onClose} />
    </form>
  );
}

function FieldError({ text, testId }: { text: string | undefined; testId: string }) {
  return text ? (
    <p className="error small field-error" role="alert" data-testid={testId}>
      {text}
    </p>
  ) : null;
}

function ExportEnded({ job, onAgain, onClose }: { job: Job; onAgain: () => void; onClose: () => void }) {
  const parsed = ExportSummary.safeParse(job.result);
  const summary = parsed.success ? parsed.data : null;
  const [revealError, setRevealError] = useState<string | null>(null);
  const reveal = async () => {
    setRevealError(null);
    try {
      await api.call('datasets.reveal', { path: summary!.out });
    } catch (err) {
      setRevealError(errorMessage(err));
    }
  };
  const verified = summary?.verified === true && job.state === 'done';

  return (
    <div className="dataset-summary" data-testid="export-summary" data-state={job.state} data-verified={verified ? 'true' : 'false'}>
      {job.state === 'cancelled' || summary?.cancelled ? (
        <p className="summary-head" data-testid="export-outcome">
          Cancelled: nothing was written, and an existing folder was left as it was.
        </p>
      ) : verified ? (
        <p className="summary-head ok" data-testid="export-outcome">
          <span aria-hidden="true">✓</span> Verified: the export was read back and is equal to what was meant.
        </p>
      ) : (
        <div className="summary-head" role="alert" data-testid="export-outcome">
          <p className="error">
            <span aria-hidden="true">✗</span> {summary ? 'The export did not read back equal, so it was not kept.' : 'The export failed.'}
          </p>
          {/* With a summary, its differences below say the same as the job's error at more length. */}
          {job.error && !summary ? <p className="error small">{job.error}</p> : null}
          {job.error && !summary && /already exists/i.test(job.error) ? (
            <p className="small">Go back to the options and tick “Replace the folder if it exists” to replace it, or choose another folder.</p>
          ) : null}
        </div>
      )}

      {summary ? (
        <>
          <dl className="summary-stats">
            <Stat label="Images" testId="export-images-count" value={summary.images.toLocaleString()} />
            <Stat label="Annotations" testId="export-annotations-count" value={summary.annotations.toLocaleString()} />
            <Stat label="Verified" testId="export-verified" value={verified ? '✓ yes' : '✗ no'} />
          </dl>
          <div className="muted small">
            Folder: <span className="path">{summary.out}</span>
          </div>

          {summary.files.length > 0 ? (
            <section aria-label="Files written">
              <h3>Files ({summary.files.length.toLocaleString()})</h3>
              <ShortList items={summary.files} limit={12} testId="export-files" className="path" render={(f) => f} />
            </section>
          ) : null}
          {summary.warnings.length > 0 ? (
            <section aria-label="Warnings">
              <h3>Warnings ({summary.warnings.length.toLocaleString()})</h3>
              <ShortList items={summary.warnings} limit={20} testId="export-warnings" className="warnings" render={(w) => w} />
            </section>
          ) : null}
          {summary.notExported.length > 0 ? (
            <section aria-label="Not exported">
              <h3>Not exported (the format cannot hold them)</h3>
              <table className="summary-table" data-testid="export-not-exported">
                <thead>
                  <tr>
                    <th scope="col">Reason</th>
                    <th scope="col">Count</th>
                  </tr>
                </thead>
                <tbody>
                  {summary.notExported.map((n) => (
                    <tr key={n.reason}>
                      <td>{n.reason}</td>
                      <td className="num">{n.count.toLocaleString()}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          ) : null}
          {summary.differences.length > 0 ? (
            <section aria-label="Differences">
              <h3>Differences between the project and what was read back</h3>
              <ShortList items={summary.differences} limit={50} testId="export-differences" className="differences" render={(d) => d} />
            </section>
          ) : null}
        </>
      ) : null}

      {revealError ? (
        <p className="error" role="alert">
          {revealError}
        </p>
      ) : null}
      <div className="row dataset-actions">
        {verified && summary ? (
          <button type="button" className="btn" data-testid="export-reveal" onClick={reveal}>
            Open folder
          </button>
        ) : null}
        <span className="spacer" />
        <button type="button" className="btn" data-testid="export-again" onClick={onAgain}>
          {verified ? 'Export again…' : 'Back to the options'}
        </button>
        <button type="button" className="btn btn-primary" data-testid="export-done" data-autofocus onClick={onClose}>
          Close
        </button>
      </div>
    </div>
  );
}
