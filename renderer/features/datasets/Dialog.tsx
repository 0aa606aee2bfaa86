/** The frame the dataset dialogs share: a modal with a title, keyboard focus kept inside, Esc to close. */
import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import type { Job } from '../../../common/api/contract.js';
import { api, errorMessage } from '../../api.js';
import { firstOf, progressText } from './options.js';
import './datasets.css';

const FOCUSABLE = 'input:not([disabled]), select:not([disabled]), textarea:not([disabled]), button:not([disabled]), a[href], [tabindex]:not([tabindex="-1"])';

/**
 * `step` names what the dialog shows (form, progress, summary): each new step puts the focus on its element marked
 * `data-autofocus`, so a keyboard user lands on what comes next.
 */
export function DatasetDialog(props: { title: string; testId: string; step: string; onClose: () => void; children: ReactNode }) {
  const titleId = useId();
  const card = useRef<HTMLDivElement>(null);

  useEffect(() => {
    // Back to where the person was (the toolbar button) when the dialog goes.
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    return () => opener?.focus();
  }, []);
  useEffect(() => {
    const target = card.current?.querySelector<HTMLElement>('[data-autofocus]') ?? card.current?.querySelector<HTMLElement>(FOCUSABLE);
    // Without scrolling: a summary's head, not its buttons at the bottom, is what to read first.
    target?.focus({ preventScroll: true });
  }, [props.step]);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      props.onClose();
      return;
    }
    if (e.key !== 'Tab' || !card.current) return;
    const items = [...card.current.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null);
    if (items.length === 0) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };

  // Not closed by a click beside it: a typed path would be lost to a stray click.
  return createPortal(
    <div className="dataset-overlay">
      <div ref={card} className="dataset-dialog" role="dialog" aria-modal="true" aria-labelledby={titleId} data-testid={props.testId} onKeyDown={onKeyDown}>
        <div className="dataset-dialog-head">
          <h2 id={titleId}>{props.title}</h2>
          <button type="button" className="btn btn-small btn-ghost" aria-label={`Close ${props.title}`} data-testid="dataset-dialog-close" onClick={props.onClose}>
            ✕
          </button>
        </div>
        <div className="dataset-dialog-body">{props.children}</div>
      </div>
    </div>,
    document.body,
  );
}

/** A running job: its progress and message, and Cancel. */
export function JobRunning({ jobId, job, what, testId }: { jobId: string; job: Job | null; what: string; testId: string }) {
  const [cancelError, setCancelError] = useState<string | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const cancel = async () => {
    setCancelling(true);
    try {
      await api.call('jobs.cancel', { id: jobId });
    } catch (err) {
      setCancelError(errorMessage(err));
      setCancelling(false);
    }
  };
  const total = job?.total ?? null;
  return (
    <div className="dataset-progress" data-testid={testId} aria-live="polite" aria-busy="true">
      <div className="row">
        <strong>{what}</strong>
        <span className="spacer" />
        <span className="job-counts" data-testid="dataset-progress-counts">
          {job ? progressText(job) : ''}
        </span>
      </div>
      <progress value={job && total ? job.done : undefined} max={total || undefined} aria-label={`${what} progress`} />
      <div className="muted dataset-progress-message" data-testid="dataset-progress-message">
        {job?.message ?? 'Starting…'}
      </div>
      <p className="muted small">Closing this window leaves the job running: its progress stays at the top right, with a Cancel button.</p>
      <div className="row dataset-actions">
        <span className="spacer" />
        <button type="button" className="btn" data-testid="dataset-cancel" data-autofocus disabled={cancelling} onClick={cancel}>
          {cancelling ? 'Cancelling…' : 'Cancel'}
        </button>
      </div>
      {cancelError ? (
        <p className="error" role="alert">
          {cancelError}
        </p>
      ) : null}
    </div>
  );
}

/** A list that shows its first items and says how many more there are. */
export function ShortList<T>(props: { items: readonly T[]; limit: number; render: (item: T, i: number) => ReactNode; testId?: string; className?: string }) {
  const { shown, more } = firstOf(props.items, props.limit);
  return (
    <ul className={`dataset-list ${props.className ?? ''}`} data-testid={props.testId}>
      {shown.map((item, i) => (
        <li key={i}>{props.render(item, i)}</li>
      ))}
      {more > 0 ? <li className="muted">… and {more.toLocaleString()} more</li> : null}
    </ul>
  );
}

/** One number of a summary: a term and its value in the summary's <dl>. */
export function Stat({ label, value, testId }: { label: string; value: ReactNode; testId?: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd data-testid={testId}>{value}</dd>
    </div>
  );
}

/** The end of a dataset dialog's form: the error that stopped the start, Close, and the submit button. */
export function FormActions(props: { testPrefix: string; startError: string | null; starting: boolean; submitLabel: string; onClose: () => void }) {
  return (
    <>
      {props.startError ? (
        <p className="error" role="alert" data-testid={`${props.testPrefix}-start-error`}>
          {props.startError}
        </p>
      ) : null}
      <div className="row dataset-actions">
        <span className="spacer" />
        <button type="button" className="btn" onClick={props.onClose}>
          Close
        </button>
        <button type="submit" className="btn btn-primary" data-testid={`${props.testPrefix}-start`} disabled={props.starting}>
          {props.starting ? 'Starting…' : props.submitLabel}
        </button>
      </div>
    </>
  );
}
