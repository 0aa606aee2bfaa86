/** How CLI commands follow a core job: a progress line on a terminal's stderr, and Ctrl-C cancels it. */
import type { Job } from '../common/api/contract.js';
import type { AppCore } from './core/app.js';

export function progressLine(done: number, total: number | null, message: string): void {
  if (!process.stderr.isTTY) return;
  const of = total === null ? '' : `/${total}`;
  process.stderr.write(`\r\x1b[2K${done}${of} ${message}`.slice(0, (process.stderr.columns || 100) - 1));
}

export function clearProgressLine(): void {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
}

/** Wait for a job to end, showing its progress; Ctrl-C cancels it, and what it finished is kept. */
export async function followJob(core: AppCore, jobId: string): Promise<Job> {
  const off = core.onEvent((event, payload) => {
    const j = payload as Job;
    if (event === 'job' && j.id === jobId) progressLine(j.done, j.total, j.message);
  });
  const onSigint = () => core.jobs.cancel(jobId);
  process.once('SIGINT', onSigint);
  try {
    return await core.jobs.wait(jobId);
  } finally {
    process.off('SIGINT', onSigint);
    off();
    clearProgressLine();
  }
}
