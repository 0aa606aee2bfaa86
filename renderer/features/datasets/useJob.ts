import { useEffect, useRef, useState } from 'react';
import type { Job } from '../../../common/api/contract.js';
import { api } from '../../api.js';
import { isNewerSnapshot } from './options.js';

/** While a job runs, ask for it this often too: a missed event (a reconnecting socket) must not leave a dialog waiting. */
const POLL_MS = 2000;

/**
 * Follow one job by id: its events, plus a `jobs.get` at once (its first events may have gone out before we
 * listened) and now and then while it runs. Kept after the end (the header's job list forgets finished jobs).
 */
export function useJob(jobId: string | null): Job | null {
  const [job, setJob] = useState<Job | null>(null);
  const current = useRef<Job | null>(null);

  useEffect(() => {
    current.current = null;
    setJob(null);
    if (!jobId) return;
    let live = true;
    const take = (j: Job) => {
      if (!live || j.id !== jobId || !isNewerSnapshot(current.current, j)) return;
      current.current = j;
      setJob(j);
    };
    const off = api.on('job', take);
    const ask = () =>
      api.call('jobs.get', { id: jobId }).then(take, () => {
        // The events still arrive; a failed look-up only loses the head start.
      });
    void ask();
    const timer = setInterval(() => {
      if (!current.current || current.current.state === 'running') void ask();
    }, POLL_MS);
    return () => {
      live = false;
      off();
      clearInterval(timer);
    };
  }, [jobId]);

  return job?.id === jobId ? job : null;
}
