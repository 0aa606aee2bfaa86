/**
 * A bounded queue for work that people wait on from a scrolling list (issue 12: thumbnails): at most `concurrency`
 * jobs run at once; a waiting job with a higher priority starts first, and among equal priorities the newest request
 * (or, with `newestFirst: false`, the oldest) goes first. Requests for one key share one job. Every request can be
 * withdrawn with an AbortSignal: its promise rejects at once with an AbortError, and a job nobody waits for any more
 * is dropped before it starts, or (with `abortAbandoned`) has its own signal aborted while it runs. Used by the core
 * for thumbnail generation and by the renderer for thumbnail requests, so it holds no Node or DOM code.
 */

export interface QueueRequest {
  /** Higher starts first. A job shared by several requests takes the highest of theirs. */
  priority?: number;
  /** Withdraws this request (the cell scrolled away, the HTTP request was closed). */
  signal?: AbortSignal;
}

export interface WorkQueueOptions {
  concurrency: number;
  /** Among equal priorities, start the newest request first (the default: what is on screen now). */
  newestFirst?: boolean;
  /**
   * When every request for a running job is withdrawn, abort the job's signal and let a later request for the key
   * start afresh (a fetch can stop). False (the default) keeps such a job running and joinable: a decode cannot stop,
   * and a cell scrolled back into view should wait for it rather than decode again.
   */
  abortAbandoned?: boolean;
}

/** The rejection of a withdrawn request: `name` is "AbortError", as a cancelled fetch's is. */
export class AbortError extends Error {
  constructor(message = 'The request was withdrawn before its work was done.') {
    super(message);
    this.name = 'AbortError';
  }
}

export function isAbortError(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}

interface Waiter {
  priority: number;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
  detach: () => void;
}

interface Job {
  key: string;
  run: (signal: AbortSignal) => Promise<unknown>;
  /** Order of the latest request for it: a repeated request makes the job new again. */
  seq: number;
  waiters: Set<Waiter>;
  running: boolean;
  controller: AbortController;
}

export class WorkQueue {
  private readonly concurrency: number;
  private readonly newestFirst: boolean;
  private readonly abortAbandoned: boolean;
  private readonly jobs = new Map<string, Job>();
  /** Jobs not started, in no order: picking scans them (a few hundred at most: one per cell on screen). */
  private readonly waiting = new Set<Job>();
  private active = 0;
  private seq = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(options: WorkQueueOptions) {
    this.concurrency = Math.max(1, Math.floor(options.concurrency));
    this.newestFirst = options.newestFirst ?? true;
    this.abortAbandoned = options.abortAbandoned ?? false;
  }

  /** Jobs running now. */
  get running(): number {
    return this.active;
  }

  /** Jobs waiting to start. */
  get queued(): number {
    return this.waiting.size;
  }

  /**
   * Run `work` under `key`, or join the job already queued or running under that key. `work` gets a signal that
   * aborts when every request for the job has been withdrawn.
   */
  run<T>(key: string, work: (signal: AbortSignal) => Promise<T>, request: QueueRequest = {}): Promise<T> {
    const { signal, priority = 0 } = request;
    if (signal?.aborted) return Promise.reject(new AbortError());
    let job = this.jobs.get(key);
    if (!job) {
      job = { key, run: work, seq: 0, waiters: new Set(), running: false, controller: new AbortController() };
      this.jobs.set(key, job);
      this.waiting.add(job);
    }
    job.seq = ++this.seq;
    const owner = job;
    const promise = new Promise<T>((resolve, reject) => {
      const waiter: Waiter = { priority, resolve: resolve as (v: unknown) => void, reject, detach: () => undefined };
      if (signal) {
        const onAbort = () => this.withdraw(owner, waiter);
        signal.addEventListener('abort', onAbort, { once: true });
        waiter.detach = () => signal.removeEventListener('abort', onAbort);
      }
      owner.waiters.add(waiter);
    });
    this.pump();
    return promise;
  }

  /** Resolves once nothing runs and nothing waits (a closing project must not leave work behind). */
  idle(): Promise<void> {
    if (this.active === 0 && this.waiting.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private withdraw(job: Job, waiter: Waiter): void {
    if (!job.waiters.delete(waiter)) return;
    waiter.reject(new AbortError());
    if (job.waiters.size > 0) return;
    // Nobody wants it any more: never start it, or tell the running work it may stop.
    if (!job.running) {
      job.controller.abort();
      this.waiting.delete(job);
      this.jobs.delete(job.key);
      this.notifyIdle();
    } else if (this.abortAbandoned) {
      job.controller.abort();
      this.jobs.delete(job.key); // still counted as running until it returns
    }
  }

  private priorityOf(job: Job): number {
    let p = -Infinity;
    for (const w of job.waiters) p = Math.max(p, w.priority);
    return p;
  }

  private next(): Job | undefined {
    let best: Job | undefined;
    let bestPriority = -Infinity;
    for (const job of this.waiting) {
      const p = this.priorityOf(job);
      const better =
        best === undefined || p > bestPriority || (p === bestPriority && (this.newestFirst ? job.seq > best.seq : job.seq < best.seq));
      if (better) {
        best = job;
        bestPriority = p;
      }
    }
    return best;
  }

  private pump(): void {
    while (this.active < this.concurrency) {
      const job = this.next();
      if (!job) break;
      this.waiting.delete(job);
      job.running = true;
      this.active++;
      void this.start(job);
    }
  }

  private async start(job: Job): Promise<void> {
    let settle: (w: Waiter) => void;
    try {
      const value = await job.run(job.controller.signal);
      settle = (w) => w.resolve(value);
    } catch (e) {
      settle = (w) => w.reject(e);
    }
    if (this.jobs.get(job.key) === job) this.jobs.delete(job.key);
    for (const w of job.waiters) {
      w.detach();
      settle(w);
    }
    job.waiters.clear();
    this.active--;
    this.pump();
    this.notifyIdle();
  }

  private notifyIdle(): void {
    if (this.active > 0 || this.waiting.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
