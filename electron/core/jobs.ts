/**
 * Long work (import, rescan, inference, export) runs as jobs: progress events, cancel through an AbortSignal,
 * and a result or an error kept after the end so a late-connecting window still sees how it went.
 */
import { randomUUID } from 'node:crypto';
import { ApiError, type Job } from '../../common/api/contract.js';

type JobKind = Job['kind'];

export interface JobContext {
  signal: AbortSignal;
  progress(done: number, total: number | null, message?: string): void;
}

/** Progress events are coalesced to at most one per interval; state changes are always sent. */
const PROGRESS_INTERVAL_MS = 100;
const KEEP_FINISHED = 50;

export class JobManager {
  private readonly jobs = new Map<string, { job: Job; controller: AbortController; lastEmit: number; done: Promise<void> }>();

  constructor(private readonly emit: (job: Job) => void) {}

  start<T>(kind: JobKind, title: string, work: (ctx: JobContext) => Promise<T>, summarize?: (result: T) => { message?: string; cancelled?: boolean; failed?: string }): Job {
    const controller = new AbortController();
    const job: Job = {
      id: randomUUID(),
      kind,
      title,
      state: 'running',
      done: 0,
      total: null,
      message: 'Starting…',
      startedAt: Date.now(),
      finishedAt: null,
      error: null,
    };
    const entry = { job, controller, lastEmit: 0, done: Promise.resolve() };
    this.jobs.set(job.id, entry);
    const ctx: JobContext = {
      signal: controller.signal,
      progress: (done, total, message) => {
        job.done = done;
        job.total = total;
        if (message !== undefined) job.message = message;
        const now = Date.now();
        if (now - entry.lastEmit >= PROGRESS_INTERVAL_MS) {
          entry.lastEmit = now;
          this.emit({ ...job });
        }
      },
    };
    this.emit({ ...job });
    entry.done = (async () => {
      try {
        const result = await work(ctx);
        const s = summarize?.(result) ?? {};
        job.result = result;
        job.state = s.cancelled || controller.signal.aborted ? 'cancelled' : s.failed ? 'failed' : 'done';
        // A failure with a result (an export that did not verify, an import with errors) keeps the result too.
        if (s.failed && job.state === 'failed') job.error = s.failed;
        if (s.message) job.message = s.message;
        else job.message = job.state === 'cancelled' ? 'Cancelled' : 'Done';
      } catch (e) {
        job.state = controller.signal.aborted ? 'cancelled' : 'failed';
        job.error = e instanceof Error ? e.message : String(e);
        job.message = job.state === 'cancelled' ? 'Cancelled' : `Failed: ${job.error}`;
      }
      job.finishedAt = Date.now();
      this.emit({ ...job });
      this.prune();
    })();
    return { ...job };
  }

  get(id: string): Job {
    const entry = this.jobs.get(id);
    if (!entry) throw new ApiError('not_found', `Job ${id} does not exist (finished jobs are kept for a while, then forgotten).`);
    return { ...entry.job };
  }

  list(): Job[] {
    return [...this.jobs.values()].map((e) => ({ ...e.job })).sort((a, b) => b.startedAt - a.startedAt);
  }

  cancel(id: string): Job {
    const entry = this.jobs.get(id);
    if (!entry) throw new ApiError('not_found', `Job ${id} does not exist.`);
    if (entry.job.state === 'running') {
      entry.job.message = 'Cancelling…';
      entry.controller.abort();
    }
    return { ...entry.job };
  }

  /** Resolves when the job has ended (for the CLI and tests). */
  async wait(id: string): Promise<Job> {
    const entry = this.jobs.get(id);
    if (!entry) throw new ApiError('not_found', `Job ${id} does not exist.`);
    await entry.done;
    return { ...entry.job };
  }

  /** Cancel everything and wait, so a project can be closed with no job writing to it. */
  async cancelAll(): Promise<void> {
    const running = [...this.jobs.values()].filter((e) => e.job.state === 'running');
    running.forEach((e) => e.controller.abort());
    await Promise.all(running.map((e) => e.done));
  }

  private prune(): void {
    const finished = [...this.jobs.values()].filter((e) => e.job.state !== 'running');
    for (const e of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.jobs.delete(e.job.id);
  }
}
