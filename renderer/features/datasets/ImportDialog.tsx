/**
 * Bring a dataset's labels in (or a model's results, as a predictions run): the format and the path, a dry run
 * first that shows what would happen (matched images, classes added or mapped, unmatched images, errors with the
 * file and the record), then the import for real, with progress, Cancel and the summary.
 */
import { useState, type FormEvent } from 'react';
import { ImportSummary, type ImportFormat, type Job } from '../../../common/api/contract.js';
import { api, errorMessage } from '../../api.js';
import { navigate } from '../app/route.js';
import { DatasetDialog, FormActions, JobRunning, ShortList, Stat } from './Dialog.js';
import { IMPORT_FORMATS, IMPORT_FORMAT_ORDER, buildImportOptions, type ImportDraft } from './options.js';
import { useJob } from './useJob.js';

/** Unmatched images shown before "… and N more". */
const UNMATCHED_SHOWN = 20;
const ERRORS_SHOWN = 50;

export function ImportDialog({ onClose }: { onClose: () => void }) {
  const [draft, setDraft] = useState<ImportDraft>({ format: 'coco', from: '', as: 'labels', dryRunFirst: true });
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const [dryRun, setDryRun] = useState(false);
  const [starting, setStarting] = useState(false);
  const [startError, setStartError] = useState<string | null>(null);
  const job = useJob(jobId);
  const step = !jobId ? 'form' : !job || job.state === 'running' ? `running-${dryRun ? 'dry' : 'real'}` : `ended-${dryRun ? 'dry' : 'real'}`;

  const start = async (asDryRun: boolean) => {
    const built = buildImportOptions(draft, asDryRun);
    if ('error' in built) {
      setFieldError(built.error);
      return;
    }
    setFieldError(null);
    setStartError(null);
    setStarting(true);
    try {
      const { jobId: id } = await api.call('datasets.import', built.options);
      setDryRun(asDryRun);
      setJobId(id);
    } catch (err) {
      setStartError(errorMessage(err));
      setJobId(null);
    } finally {
      setStarting(false);
    }
  };

  const title = draft.as === 'predictions' ? 'Import predictions' : 'Import labels';
  return (
    <DatasetDialog title={title} testId="import-dialog" step={step} onClose={onClose}>
      {step === 'form' ? (
        <ImportForm
          draft={draft}
          setDraft={setDraft}
          fieldError={fieldError}
          starting={starting}
          startError={startError}
          onStart={() => start(draft.dryRunFirst)}
          onClose={onClose}
        />
      ) : step.startsWith('running') || !job ? (
        <JobRunning jobId={jobId!} job={job} what={dryRun ? 'Checking the dataset (dry run)' : 'Importing'} testId="import-progress" />
      ) : (
        <ImportEnded
          job={job}
          dryRun={dryRun}
          starting={starting}
          startError={startError}
          onImport={() => start(false)}
          onBack={() => setJobId(null)}
          onClose={onClose}
        />
      )}
    </DatasetDialog>
  );
}

function ImportForm(props: {
  draft: ImportDraft;
  setDraft: (d: ImportDraft) => void;
  fieldError: string | null;
  starting: boolean;
  startError: string | null;
  onStart: () => void;
  onClose: () => void;
}) {
  const { draft } = props;
  const set = (patch: Partial<ImportDraft>) => props.setDraft({ ...draft, ...patch });
  const info = IMPORT_FORMATS[draft.format];
  const submit = (e: FormEvent) => {
    e.preventDefault();
    props.onStart();
  };
  return (
    <form className="dataset-form" onSubmit={submit} noValidate>
      <label className="field">
        <span>Format</span>
        <select data-autofocus data-testid="import-format" value={draft.format} aria-describedby="import-format-help" onChange={(e) => set({ format: e.target.value as ImportFormat })}>
          {IMPORT_FORMAT_ORDER.map((f) => (
            <option key={f} value={f}>
              {IMPORT_FORMATS[f].label}
            </option>
          ))}
        </select>
      </label>
      <div id="import-format-help" className="format-help" data-testid="import-format-help">
        <span className="format-help-key">Point at</span> {info.from}
      </div>

      <label className="field">
        <span>Dataset file or folder</span>
        <input
          type="text"
          spellCheck={false}
          autoComplete="off"
          data-testid="import-from"
          placeholder={info.placeholder}
          value={draft.from}
          aria-invalid={props.fieldError ? true : undefined}
          onChange={(e) => set({ from: e.target.value })}
        />
      </label>
      {props.fieldError ? (
        <p className="error small field-error" role="alert" data-testid="import-from-error">
          {props.fieldError}
        </p>
      ) : null}
      <p className="muted small">Images are matched to the project's images by relative path, else by file name. Nothing is written if the dataset has an error.</p>

      <fieldset className="dataset-fieldset">
        <legend>Bring in as</legend>
        <label className="check">
          <input type="radio" name="import-as" data-testid="import-as-labels" checked={draft.as === 'labels'} onChange={() => set({ as: 'labels' })} />
          Labels (added to the images' labels, to correct and export)
        </label>
        <label className="check">
          <input type="radio" name="import-as" data-testid="import-as-predictions" checked={draft.as === 'predictions'} onChange={() => set({ as: 'predictions' })} />
          Predictions (a new run named "imported", to compare with the labels)
        </label>
      </fieldset>

      <label className="check">
        <input type="checkbox" data-testid="import-dry-run" checked={draft.dryRunFirst} onChange={(e) => set({ dryRunFirst: e.target.checked })} />
        Dry run first: show what would be imported before writing anything
      </label>

      <FormActions testPrefix="import" startError={props.startError} starting={props.starting} submitLabel={draft.dryRunFirst ? 'Check (dry run)' : 'Import'} onClose={props.onClose} />
    </form>
  );
}

function ImportEnded(props: {
  job: Job;
  dryRun: boolean;
  starting: boolean;
  startError: string | null;
  onImport: () => void;
  onBack: () => void;
  onClose: () => void;
}) {
  const { job, dryRun } = props;
  const parsed = ImportSummary.safeParse(job.result);
  const summary = parsed.success ? parsed.data : null;
  const cancelled = job.state === 'cancelled' || summary?.cancelled === true;
  const hasErrors = (summary?.errors.length ?? 0) > 0;
  const canImport = dryRun && !cancelled && summary !== null && !hasErrors;
  const outcome = cancelled
    ? 'Cancelled: nothing was written.'
    : !summary
      ? 'The import failed: nothing was written.'
      : hasErrors
        ? `The dataset has ${summary.errors.length.toLocaleString()} problem(s): nothing was written${dryRun ? ', and importing it would fail the same way' : ''}.`
        : dryRun
          ? 'Dry run: nothing was written yet. This is what the import would do.'
          : summary.written
            ? 'Imported.'
            : 'Nothing was written.';

  return (
    <div className="dataset-summary" data-testid="import-summary" data-state={job.state} data-dry-run={dryRun ? 'true' : 'false'} data-written={summary?.written ? 'true' : 'false'}>
      <div className="summary-head" role={hasErrors || !summary ? 'alert' : undefined} data-testid="import-outcome">
        <p className={hasErrors || (!summary && !cancelled) ? 'error' : !dryRun && summary?.written ? 'ok' : undefined}>
          {!dryRun && summary?.written ? <span aria-hidden="true">✓ </span> : null}
          {outcome}
        </p>
        {job.error && !summary ? <p className="error small">{job.error}</p> : null}
      </div>

      {summary ? (
        <>
          <dl className="summary-stats">
            <Stat label="Images" testId="import-images-count" value={summary.images.toLocaleString()} />
            <Stat label="Annotations" testId="import-annotations-count" value={summary.annotations.toLocaleString()} />
            <Stat label="Classes added" testId="import-classes-added-count" value={summary.classesAdded.length.toLocaleString()} />
            <Stat label="Classes mapped" value={summary.classesMapped.length.toLocaleString()} />
            <Stat label="Unmatched images" testId="import-unmatched-count" value={summary.unmatched.length.toLocaleString()} />
          </dl>
          {summary.run !== null ? (
            <p data-testid="import-run">
              {dryRun ? 'A' : 'The'} predictions run #{summary.run} {dryRun ? 'would be made' : 'was made'}: pick it in the viewer's predictions to compare.
            </p>
          ) : null}

          {summary.errors.length > 0 ? (
            <section aria-label="Errors">
              <h3>Errors ({summary.errors.length.toLocaleString()})</h3>
              <table className="summary-table" data-testid="import-errors">
                <thead>
                  <tr>
                    <th scope="col">File</th>
                    <th scope="col">Where</th>
                    <th scope="col">Problem</th>
                  </tr>
                </thead>
                <tbody>
                  {summary.errors.slice(0, ERRORS_SHOWN).map((e, i) => (
                    <tr key={i}>
                      <td className="path">{e.file}</td>
                      <td>{e.where ?? '—'}</td>
                      <td>{e.problem}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {summary.errors.length > ERRORS_SHOWN ? <p className="muted small">… and {(summary.errors.length - ERRORS_SHOWN).toLocaleString()} more</p> : null}
            </section>
          ) : null}
          {summary.classesAdded.length > 0 ? (
            <section aria-label="Classes added">
              <h3>Classes {dryRun ? 'to add' : 'added'}</h3>
              <div className="tag-list" data-testid="import-classes-added">
                {summary.classesAdded.map((c) => (
                  <span key={c} className="tag-chip">
                    {c}
                  </span>
                ))}
              </div>
            </section>
          ) : null}
          {summary.classesMapped.length > 0 ? (
            <section aria-label="Classes mapped">
              <h3>Classes mapped to the project's</h3>
              <ShortList items={summary.classesMapped} limit={50} testId="import-classes-mapped" render={(m) => `${m.from} → ${m.to}`} />
            </section>
          ) : null}
          {summary.unmatched.length > 0 ? (
            <section aria-label="Unmatched images">
              <h3>Images not matched in the project ({summary.unmatched.length.toLocaleString()})</h3>
              <ShortList
                items={summary.unmatched}
                limit={UNMATCHED_SHOWN}
                testId="import-unmatched"
                render={(u) => (
                  <>
                    <span className="path">{u.file}</span> <span className="muted">{u.reason}</span>
                  </>
                )}
              />
            </section>
          ) : null}
          {summary.warnings.length > 0 ? (
            <section aria-label="Warnings">
              <h3>Warnings ({summary.warnings.length.toLocaleString()})</h3>
              <ShortList items={summary.warnings} limit={20} testId="import-warnings" className="warnings" render={(w) => w} />
            </section>
          ) : null}
        </>
      ) : null}

      {props.startError ? (
        <p className="error" role="alert">
          {props.startError}
        </p>
      ) : null}
      <div className="row dataset-actions">
        <button type="button" className="btn" data-testid="import-back" onClick={props.onBack}>
          Back to the options
        </button>
        <span className="spacer" />
        {!dryRun && summary?.written && summary.run === null && !window.location.hash.startsWith('#/library') ? (
          <button
            type="button"
            className="btn"
            onClick={() => {
              props.onClose();
              navigate({ name: 'library' });
            }}
          >
            Show the library
          </button>
        ) : null}
        {canImport ? (
          <>
            <button type="button" className="btn" onClick={props.onClose}>
              Close
            </button>
            <button type="button" className="btn btn-primary" data-testid="import-confirm" data-autofocus disabled={props.starting} onClick={props.onImport}>
              {props.starting ? 'Starting…' : 'Import'}
            </button>
          </>
        ) : (
          <button type="button" className="btn btn-primary" data-testid="import-done" data-autofocus onClick={props.onClose}>
            Close
          </button>
        )}
      </div>
    </div>
  );
}
