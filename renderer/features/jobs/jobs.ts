import type { Job } from '../../../common/api/contract.js';
import { api } from '../../api.js';
import { createStore } from '../app/store.js';

/** Jobs worth showing: running ones, failures until dismissed, and briefly the ones that just ended. */
export const jobsStore = createStore<{ jobs: Job[] }>({ jobs: [] });

/** How long a finished or cancelled job stays visible, so a quick job is seen to end. */
const LINGER_MS = 2500;

export const isFinished = (job: Job) => job.state !== 'running';

export function upsertJob(job: Job): void {
  jobsStore.set(({ jobs }) => {
    const old = jobs.find((j) => j.id === job.id);
    // Events and jobs.get answers can cross: never let an older snapshot undo a newer one.
    if (old && ((isFinished(old) && !isFinished(job)) || (!isFinished(job) && job.done < old.done))) return {};
    return { jobs: old ? jobs.map((j) => (j.id === job.id ? job : j)) : [...jobs, job] };
  });
  if (job.state === 'done' || job.state === 'cancelled') setTimeout(() => dismissJob(job.id), LINGER_MS);
}

export function dismissJob(id: string): void {
  jobsStore.set(({ jobs }) => ({ jobs: jobs.filter((j) => j.id !== id) }));
}

/** Show a job a call just started, in case its first event went out before we listened. */
export async function trackJob(id: string | null): Promise<void> {
  if (!id) return;
  try {
    upsertJob(await api.call('jobs.get', { id }));
  } catch {
    // The job's own events still arrive; a failed look-up only loses the head start.
  }
}
