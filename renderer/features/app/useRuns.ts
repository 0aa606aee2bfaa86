/** The project's model runs, newest first (null until they arrive), and the error of fetching them; fetched again when `refresh` changes. */
import { startTransition, useEffect, useState } from 'react';
import type { ModelRun } from '../../../common/api/contract.js';
import { api, errorMessage } from '../../api.js';

export function useRuns(refresh: unknown = null): { runs: ModelRun[] | null; runsError: string | null } {
  const [runs, setRuns] = useState<ModelRun[] | null>(null);
  const [runsError, setRunsError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api.call('runs.list').then(
      (r) => {
        if (!live) return;
        // A transition: a page rendering what it needs first (an image's labels) is not held up by the runs list.
        startTransition(() => {
          setRuns([...r].sort((a, b) => b.id - a.id));
          setRunsError(null);
        });
      },
      (err) => live && setRunsError(errorMessage(err)),
    );
    return () => {
      live = false;
    };
  }, [refresh]);
  return { runs, runsError };
}
