/**
 * Accept across the project (issue 9): counts first (a dry run of `predictions.acceptAll` at the panel's thresholds),
 * asks for confirmation with that count, then accepts: one undoable step per image, in each image's history.
 */
import { useState } from 'react';
import { api, errorMessage } from '../../api.js';

export function AcceptAcrossProject({ runId, minScore, iouThreshold, client, onDone }: { runId: number; minScore: number; iouThreshold: number; client?: string; onDone?: () => void }) {
  const [state, setState] = useState<{ step: 'idle' } | { step: 'counting' } | { step: 'confirm'; accepted: number; images: number } | { step: 'busy' } | { step: 'done'; text: string }>({ step: 'idle' });
  const [error, setError] = useState<string | null>(null);
  const args = { runId, minScore, iouThreshold, ...(client ? { client } : {}) };
  const count = () => {
    setError(null);
    setState({ step: 'counting' });
    api.call('predictions.acceptAll', { ...args, dryRun: true }).then(
      (r) => setState(r.accepted ? { step: 'confirm', ...r } : { step: 'done', text: 'No unmatched prediction above these thresholds is left in the run.' }),
      (e) => (setError(errorMessage(e)), setState({ step: 'idle' })),
    );
  };
  const accept = () => {
    setState({ step: 'busy' });
    api.call('predictions.acceptAll', { ...args, dryRun: false }).then(
      (r) => (onDone?.(), setState({ step: 'done', text: `Accepted ${r.accepted} prediction${r.accepted === 1 ? '' : 's'} on ${r.images} image${r.images === 1 ? '' : 's'} (Ctrl+Z on an image takes its step back).` })),
      (e) => (setError(errorMessage(e)), setState({ step: 'idle' })),
    );
  };
  return (
    <div className="accept-project" data-testid="accept-project-box">
      {state.step === 'confirm' ? (
        <p role="alert" className="small">
          Accept <strong data-testid="accept-project-count">{state.accepted}</strong> unmatched prediction{state.accepted === 1 ? '' : 's'} on {state.images} image
          {state.images === 1 ? '' : 's'} of run {runId} (confidence ≥ {minScore.toFixed(2)}, IoU {iouThreshold.toFixed(2)})?{' '}
          <button type="button" className="btn btn-small btn-primary" data-testid="accept-project-confirm" onClick={accept}>
            Accept {state.accepted}
          </button>{' '}
          <button type="button" className="btn btn-small" onClick={() => setState({ step: 'idle' })}>
            Cancel
          </button>
        </p>
      ) : (
        <button type="button" className="btn btn-small" data-testid="accept-project" disabled={state.step === 'counting' || state.step === 'busy'} onClick={count}>
          {state.step === 'counting' ? 'Counting…' : state.step === 'busy' ? 'Accepting…' : 'Accept across the project…'}
        </button>
      )}
      {state.step === 'done' ? (
        <p className="muted small" role="status" data-testid="accept-project-done">
          {state.text}
        </p>
      ) : null}
      {error ? <p className="error small">{error}</p> : null}
    </div>
  );
}
