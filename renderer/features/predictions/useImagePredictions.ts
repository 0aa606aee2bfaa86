import { startTransition, useEffect, useState } from 'react';
import type { ModelRun, Prediction } from '../../../common/api/contract.js';
import { api, errorMessage } from '../../api.js';
import { defaultRunId } from './predictions.js';
import { useRuns } from '../app/useRuns.js';

const NO_RUNS: ModelRun[] = [];

/** While a run is going, refetch at most this often: predictions land image by image. */
const REFRESH_MS = 1000;

export interface ImagePredictions {
  runs: ModelRun[];
  /** The run whose predictions are shown, or null when this project has none. */
  runId: number | null;
  predictions: Prediction[];
  error: string | null;
}

/**
 * The runs of the project and one run's predictions on one image (`runChoice`, or the newest run with
 * predictions here). Refetched as inference jobs progress and end; answers for an image no longer shown are dropped,
 * so the previous image's shapes are never drawn over the next one.
 */
export function useImagePredictions(imageId: number, runChoice: number | null): ImagePredictions {
  const [shown, setShown] = useState<{ imageId: number; runId: number | null; predictions: Prediction[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const runs = useRuns(version).runs ?? NO_RUNS;

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const off = api.on('job', (job) => {
      if (job.kind !== 'inference') return;
      if (job.state !== 'running') {
        if (timer) clearTimeout(timer);
        timer = null;
        setVersion((v) => v + 1);
      } else {
        timer ??= setTimeout(() => {
          timer = null;
          setVersion((v) => v + 1);
        }, REFRESH_MS);
      }
    });
    // A rejection or restore (compare view, or another window) changes what this image shows; imported runs too.
    const offProject = api.on('project', (e) => {
      if ((e.reason === 'predictions' && (!e.imageIds || e.imageIds.includes(imageId))) || e.reason === 'images') setVersion((v) => v + 1);
    });
    return () => {
      off();
      offProject();
      if (timer) clearTimeout(timer);
    };
  }, [imageId]);


  useEffect(() => {
    let live = true;
    (async () => {
      if (runChoice !== null) return { runId: runChoice, predictions: await api.call('predictions.list', { imageId, runId: runChoice }) };
      const all = await api.call('predictions.list', { imageId });
      const runId = defaultRunId(all);
      return { runId, predictions: all.filter((p) => p.runId === runId) };
    })().then(
      ({ runId, predictions }) => {
        if (!live) return;
        // A transition: opening an image, this lands while its labels stream in, and can wait for them.
        startTransition(() => {
          setError(null);
          setShown({ imageId, runId, predictions });
        });
      },
      (err) => live && setError(errorMessage(err)),
    );
    return () => {
      live = false;
    };
  }, [imageId, runChoice, version]);

  const current = shown?.imageId === imageId ? shown : null;
  return { runs, runId: current?.runId ?? runChoice, predictions: current?.predictions ?? [], error };
}
