/**
 * Compare mode's side panel: which run, the IoU threshold and the confidence (the matching follows both at once),
 * the counts with the colour legend, classes on and off, rejected predictions, and the accept-all button.
 */
import type { ReactNode } from 'react';
import type { ModelRun } from '../../../common/api/contract.js';
import { COMPARE_COLORS } from '../../canvas/layers/colors.js';
import { useStore } from '../app/store.js';
import { predictionsView } from '../predictions/view.js';
import { RunPicker } from '../predictions/RunPicker.js';
import type { CompareClass, CompareResult } from './compare.js';
import { compareView, toggleCompare } from './view.js';
import { AcceptAcrossProject } from './AcceptAcrossProject.js';

const IOU_NAME = { bbox: 'box IoU', segm: 'mask IoU', keypoints: 'OKS' } as const;

function Swatch({ color, dash }: { color: string; dash: 'solid' | 'dashed' | 'dotted' }) {
  return <span className="swatch" aria-hidden style={{ background: 'transparent', border: `2px ${dash} ${color}`, width: 12, height: 12 }} />;
}

export function ComparePanel(props: {
  runs: ModelRun[];
  runId: number | null;
  classes: CompareClass[];
  result: CompareResult | null;
  acceptAllCount: number;
  onAcceptAll: () => void;
  onUndoReject: () => void;
  /** The editor's client id: the accept-across-project steps are this window's own, not "another window's". */
  client?: string;
  /** After an accept across the project: the image shown got labels the server wrote. */
  onAcceptedAcrossProject?: () => void;
  /** A run compared otherwise than shape by shape (class maps, captions): its section, in place of the matching's controls. */
  special?: ReactNode;
}) {
  const { runs, runId, classes, result, acceptAllCount, onAcceptAll, onUndoReject, client, onAcceptedAcrossProject, special } = props;
  const view = useStore(compareView);
  const { minScore } = useStore(predictionsView);
  const counts = result?.counts ?? { tp: 0, fp: 0, fn: 0 };

  return (
    <section className="side-section" aria-label="Compare" data-testid="compare-panel">
      <div className="side-section-head">
        <h3>Compare</h3>
        <span className="spacer" />
        <label className="check" title="Colour the run's predictions against the labels (C)">
          <input type="checkbox" data-testid="compare-toggle-panel" checked={view.on} onChange={toggleCompare} />
          On <kbd>C</kbd>
        </label>
      </div>
      {!view.on ? (
        <p className="muted small">Match a run's predictions with the labels: true positives, false positives and missed labels.</p>
      ) : (
        <>
          <RunPicker runs={runs} shown={runId} testId="compare-run-picker" label="Model run compared" />
          {runId === null ? <p className="muted small">No model has run on this image yet.</p> : null}
          {special ?? (
          <>
          <ul className="legend" data-testid="compare-legend" aria-label="Matching counts">
            <li title="True positive: a prediction that matches a label">
              <Swatch color={COMPARE_COLORS.tp} dash="solid" />
              TP <strong data-testid="compare-tp">{counts.tp}</strong>
            </li>
            <li title="False positive: a prediction that matches no label">
              <Swatch color={COMPARE_COLORS.fp} dash="dashed" />
              FP <strong data-testid="compare-fp">{counts.fp}</strong>
            </li>
            <li title="False negative: a label no prediction found">
              <Swatch color={COMPARE_COLORS.fn} dash="dotted" />
              FN (missed) <strong data-testid="compare-fn">{counts.fn}</strong>
            </li>
          </ul>
          <label className="field">
            <span>
              Match at {result ? IOU_NAME[result.iouType] : 'IoU'} ≥ {view.iouThreshold.toFixed(2)}
            </span>
            <input
              type="range"
              min={0.05}
              max={0.95}
              step={0.05}
              value={view.iouThreshold}
              data-testid="compare-iou-slider"
              aria-label="IoU threshold"
              onChange={(e) => compareView.set({ iouThreshold: e.target.valueAsNumber })}
            />
          </label>
          <label className="field">
            <span>Confidence ≥ {minScore.toFixed(2)}</span>
            <input
              type="range"
              min={0}
              max={1}
              step={0.01}
              value={minScore}
              data-testid="compare-confidence-slider"
              aria-label="Minimum confidence compared"
              onChange={(e) => predictionsView.set({ minScore: e.target.valueAsNumber })}
            />
          </label>
          {classes.length > 0 ? (
            <div className="field" role="group" aria-label="Classes compared">
              <span>Classes</span>
              {classes.map((c) => {
                const n = result?.perClass.get(c.id);
                return (
                  <label key={c.id} className="check" data-testid={`compare-class-${c.name}`}>
                    <input
                      type="checkbox"
                      checked={!view.hiddenClasses.has(c.id)}
                      onChange={() =>
                        compareView.set((v) => {
                          const next = new Set(v.hiddenClasses);
                          if (next.has(c.id)) next.delete(c.id);
                          else next.add(c.id);
                          return { hiddenClasses: next };
                        })
                      }
                    />
                    {c.name}
                    {c.classId === null ? <span className="muted" title="The project has no class of this name"> (model only)</span> : null}
                    {n ? <span className="muted small">{` ${n.tp} / ${n.fp} / ${n.fn}`}</span> : null}
                  </label>
                );
              })}
            </div>
          ) : null}
          <label className="check">
            <input type="checkbox" data-testid="compare-show-rejected" checked={view.showRejected} onChange={(e) => compareView.set({ showRejected: e.target.checked })} />
            <span>
              Show rejected (<span data-testid="compare-rejected-count">{result?.rejected ?? 0}</span>)
            </span>
          </label>
          {view.lastRejected ? (
            <p className="small" role="status" data-testid="compare-reject-toast">
              {view.lastRejected.text}{' '}
              <button type="button" className="btn btn-small" data-testid="compare-undo-reject" onClick={onUndoReject}>
                Undo
              </button>
            </p>
          ) : null}
          <button
            type="button"
            className="btn"
            data-testid="compare-accept-all"
            disabled={acceptAllCount === 0}
            title={`Accept every unmatched (FP) prediction scoring at least ${minScore.toFixed(2)} as a label, in one undoable step (Shift+A)`}
            onClick={onAcceptAll}
          >
            Accept {acceptAllCount} unmatched (Shift+A)
          </button>
          {runId !== null ? <AcceptAcrossProject runId={runId} minScore={minScore} iouThreshold={view.iouThreshold} client={client} onDone={onAcceptedAcrossProject} /> : null}
          <p className="muted small">
            Point at a prediction (or click it): <kbd>A</kbd> accepts it as a label (Ctrl+Z takes it back), <kbd>X</kbd> rejects it (X on a shown rejected one, or
            Undo, takes that back). ← goes to the previous image while comparing.
          </p>
          </>
          )}
        </>
      )}
    </section>
  );
}
