/** The model registry as the renderer sees it, and the run choices shared by the viewer and the library. */
import type { CallRequest, ModelInfo, RunParameters } from '../../../common/api/contract.js';
import { api, errorMessage } from '../../api.js';
import { createStore } from '../app/store.js';
import { trackJob } from '../jobs/jobs.js';

export const modelsStore = createStore<{ models: ModelInfo[] | null; error: string | null }>({ models: null, error: null });

let loading: Promise<void> | null = null;

/** Load the list once; `force` reloads (after an add, edit or remove, or a run that made a session). */
export function loadModels(force = false): Promise<void> {
  if (loading && !force) return loading;
  if (modelsStore.get().models && !force) return Promise.resolve();
  loading = api.call('models.list').then(
    (models) => modelsStore.set({ models, error: null }),
    (err) => {
      loading = null;
      modelsStore.set({ error: errorMessage(err) });
    },
  );
  return loading;
}

export type ProviderChoice = 'auto' | 'cpu' | 'cuda';

export interface RunChoices {
  model: string;
  provider: ProviderChoice;
  params: RunParameters;
}

export const runChoicesStore = createStore<RunChoices>({ model: '', provider: 'auto', params: {} });

export type RunTarget = { imageIds: number[] } | { all: true };

/** Start a run as a job; the jobs bar shows its progress and offers cancel. */
export async function startRun(target: RunTarget): Promise<{ jobId: string; runId: number }> {
  const { model, provider, params } = runChoicesStore.get();
  const req: CallRequest<'models.run'> = { model, provider, params, ...target };
  const res = await api.call('models.run', req);
  await trackJob(res.jobId);
  return res;
}

export const providerLabel = (m: ModelInfo) => (m.provider ? m.provider.toUpperCase() : 'not loaded yet');
