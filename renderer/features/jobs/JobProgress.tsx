import { useState } from 'react';
import type { Job } from '../../../common/api/contract.js';
import { api, errorMessage } from '../../api.js';
import { useStore } from '../app/store.js';
import { dismissJob, jobsStore, upsertJob } from './jobs.js';

export function JobProgress() {
  const { jobs } = useStore(jobsStore);
  if (jobs.length === 0) return null;
  return (
    <div className="jobs" aria-live="polite">
      {jobs.map((job) => (
        <JobRow key={job.id} job={job} />
      ))}
    </div>
  );
}

function JobRow({ job }: { job: Job }) {
  const [cancelError, setCancelError] = useState<string | null>(null);
  const running = job.state === 'running';
  const counts = job.total === null ? `${job.done.toLocaleString()}` : `${job.done.toLocaleString()} / ${job.total.toLocaleString()}`;
  const cancel = async () => {
    try {
      upsertJob(await api.call('jobs.cancel', { id: job.id }));
    } catch (err) {
      setCancelError(errorMessage(err));
    }
  };
  return (
    <div className={`job job-${job.state}`} data-testid="job-progress" data-job-id={job.id} data-state={job.state}>
      <div className="job-head">
        <span className="job-title">{job.title}</span>
        <span className="job-counts">{counts}</span>
        {running ? (
          <button type="button" className="btn btn-small" data-testid="job-cancel" aria-label={`Cancel ${job.title}`} onClick={cancel}>
            Cancel
          </button>
        ) : (
          <button type="button" className="btn btn-small btn-ghost" aria-label={`Dismiss ${job.title}`} onClick={() => dismissJob(job.id)}>
            ✕
          </button>
        )}
      </div>
      {running ? (
        <progress value={job.total ? job.done : undefined} max={job.total || undefined} aria-label={`${job.title} progress`} />
      ) : null}
      <div className="job-message">
        {job.state === 'failed' ? (job.error ?? job.message) : job.message}
        {cancelError ? <span className="error"> {cancelError}</span> : null}
      </div>
    </div>
  );
}
