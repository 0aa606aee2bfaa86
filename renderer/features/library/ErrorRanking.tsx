/**
 * Error ranking in the library (issue 9): the run whose last evaluation orders the grid worst first, the class
 * filter "predicted by the run but not labeled", and "Evaluate" when the run has no numbers yet. The viewer's
 * previous / next follow the library's order, so D steps to the next-worst image.
 */
import { useEffect, useState } from 'react';
import type { ImageFilter, ImageSort, LabelClass } from '../../../common/api/contract.js';
import { useRuns } from '../app/useRuns.js';
import { api } from '../../api.js';
import { useAction } from '../app/useAction.js';
import { libraryStore } from './query.js';

export const EVAL_SORTS = ['errors', 'meanIou', 'mIoU', 'captionScore'] as const;
export const isEvalSort = (by: ImageSort['by']) => (EVAL_SORTS as readonly string[]).includes(by);
/** Worst first: most errors descending, the scores ascending. */
export const worstFirst = (by: ImageSort['by']): ImageSort['dir'] => (by === 'errors' ? 'desc' : 'asc');

export function ErrorRanking({ sort, filter, onSort, onFilter }: { sort: ImageSort; filter: ImageFilter; onSort: (s: ImageSort) => void; onFilter: (f: Partial<ImageFilter>) => void }) {
  const runs = (useRuns().runs ?? []).filter((x) => x.predictions > 0);
  const [classes, setClasses] = useState<LabelClass[]>([]);
  useEffect(() => {
    void api.call('classes.list').then(setClasses, () => setClasses([]));
  }, []);
  const evaluate = useAction(async () => {
    if (sort.runId === undefined) return;
    await api.call('eval.run', { runId: sort.runId });
    libraryStore.set((s) => ({ refreshToken: s.refreshToken + 1 }));
  });
  const pnl = filter.predictedNotLabeled;
  if (!isEvalSort(sort.by) && !pnl) return null;
  const runId = sort.runId ?? pnl?.runId ?? runs[0]?.id;
  return (
    <>
      <select
        aria-label="Run to rank by"
        data-testid="rank-run"
        value={runId ?? ''}
        onChange={(e) => {
          const id = Number(e.target.value);
          if (isEvalSort(sort.by)) onSort({ ...sort, runId: id });
          if (pnl) onFilter({ predictedNotLabeled: { ...pnl, runId: id } });
        }}
      >
        {runs.map((r) => (
          <option key={r.id} value={r.id}>
            Run {r.id}: {r.model}
          </option>
        ))}
      </select>
      {isEvalSort(sort.by) ? (
        <button type="button" className="btn btn-small" data-testid="rank-evaluate" disabled={evaluate.pending || runId === undefined} onClick={() => void evaluate.run()} title="Measure the run against the labels again, so the order is current">
          {evaluate.pending ? 'Evaluating…' : 'Evaluate'}
        </button>
      ) : null}
      {pnl ? (
        <select aria-label="Class predicted but not labeled" data-testid="rank-class" value={pnl.classId} onChange={(e) => onFilter({ predictedNotLabeled: { ...pnl, classId: Number(e.target.value) } })}>
          {classes.map((c) => (
            <option key={c.id} value={c.id}>
              Predicted, not labeled: {c.name}
            </option>
          ))}
        </select>
      ) : null}
      {evaluate.error ? <span className="error small">{evaluate.error}</span> : null}
    </>
  );
}

/** The first run with predictions, for a sort or filter chosen before a run was. */
export async function defaultRunId(): Promise<number | undefined> {
  const runs = await api.call('runs.list');
  return runs.find((r) => r.predictions > 0)?.id;
}
