/**
 * Sends the editor's steps, undos and redos to the server one at a time, in order. A failure that may pass (the
 * server unreachable, a disk error, HTTP 5xx) is shown and retried with backoff for as long as it takes, never
 * dropped: `edits.apply` is idempotent by step key, so re-sending after a lost reply cannot apply twice. A refusal
 * that will not pass (the project was closed, the image is gone, the step is invalid) drops the operation and
 * tells the editor, which takes the step back; `conflict` on an undo or redo means another window moved the
 * image's history on.
 */
import { ApiError, type ReviewStatus } from '../../common/api/contract.js';
import type { SaveOp } from './document.js';
import type { EditorTransport, SaveState } from './types.js';

export interface SaveQueueOptions {
  transport: EditorTransport;
  client: string;
  /** An operation the server acknowledged; `status` is the image's review status after an apply. */
  onAck(op: SaveOp, status: ReviewStatus | null): void;
  /** An operation the server refused for good (dropped from the queue, with later ones on the same step). */
  onRefused(op: SaveOp, error: unknown, dropped: SaveOp[]): void;
  /** `conflict` on an undo or redo: the image's history is not what this window thinks. */
  onConflict(op: SaveOp, error: unknown, dropped: SaveOp[]): void;
  /** The queue's state changed (pending count, failing or not). */
  onState(): void;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** The project now (see SaveOp.project): an operation made in a project since closed is not sent to another. */
  project?: () => number;
}

/** Failures worth retrying: the network, the disk, the server's own errors. */
export function isTransient(error: unknown): boolean {
  if (error instanceof ApiError) return error.code === 'io' || error.code === 'internal';
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number') return status >= 500 || status === 408 || status === 429;
  const code = (error as { code?: unknown } | null)?.code;
  // An error that is not the server's answer (fetch's TypeError, a dropped IPC channel) is the way there failing.
  return typeof code !== 'string' || !['bad_request', 'not_found', 'no_project', 'conflict', 'unknown_call', 'unauthorized', 'forbidden', 'invalid_file', 'newer_version'].includes(code);
}

export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

export function errorCode(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : null;
}

/** The editor's callbacks must not stop the queue: a bug there is logged, and saving goes on. */
function report(f: () => void): void {
  try {
    f();
  } catch (e) {
    console.error('editor: handling a save result failed:', e);
  }
}

export class SaveQueue {
  private readonly ops: SaveOp[] = [];
  private running = false;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private wake: (() => void) | null = null;
  private waiters: (() => void)[] = [];
  private disposed = false;
  /** The last failure while it is being retried; null once an operation goes through. */
  error: string | null = null;

  constructor(private readonly opts: SaveQueueOptions) {}

  get pending(): readonly SaveOp[] {
    return this.ops;
  }

  get state(): { state: SaveState; pending: number; error: string | null } {
    const pending = this.ops.length;
    return { state: this.error ? 'failed' : pending ? 'saving' : 'saved', pending, error: this.error };
  }

  push(op: SaveOp): void {
    if (this.disposed) throw new Error('the editor was closed; this edit cannot be saved');
    this.ops.push(op);
    this.opts.onState();
    void this.run();
  }

  /** Resolves when every operation queued so far (and any queued meanwhile) is acknowledged or refused. */
  flush(): Promise<void> {
    if (this.ops.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Retry now instead of waiting out the backoff (a "retry" button, the network coming back). */
  retryNow(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      this.wake?.();
    }
  }

  /** Stop sending; what is still queued is not sent (the caller flushes first when it matters). */
  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.wake?.();
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      // Send after the gesture's handler returns: a transport that does its work at once (the core in-process)
      // must not hold up the pointer-up that made the step.
      await Promise.resolve();
      while (this.ops.length && !this.disposed) {
        const op = this.ops[0];
        let status: ReviewStatus | null;
        try {
          status = await this.send(op);
        } catch (e) {
          if (this.disposed) return;
          if (isTransient(e)) {
            this.error = errorText(e);
            this.opts.onState();
            await this.backoff();
            continue;
          }
          this.ops.shift();
          this.attempt = 0;
          this.error = null;
          // Later operations on the same step were made on top of it: without it they mean nothing.
          const dropped: SaveOp[] = [];
          for (let i = this.ops.length - 1; i >= 0; i--) {
            if (this.ops[i].step.key === op.step.key) dropped.unshift(...this.ops.splice(i, 1));
          }
          report(() => (errorCode(e) === 'conflict' && op.kind !== 'apply' ? this.opts.onConflict(op, e, dropped) : this.opts.onRefused(op, e, dropped)));
          this.opts.onState();
          continue;
        }
        if (this.disposed) return;
        this.ops.shift();
        this.attempt = 0;
        this.error = null;
        report(() => this.opts.onAck(op, status));
        this.opts.onState();
      }
    } finally {
      this.running = false;
      if (this.ops.length === 0 || this.disposed) {
        const w = this.waiters;
        this.waiters = [];
        for (const f of w) f();
      }
      this.opts.onState();
    }
  }

  private async send(op: SaveOp): Promise<ReviewStatus | null> {
    const { transport, client } = this.opts;
    if (op.project !== undefined && this.opts.project && op.project !== this.opts.project()) {
      // Its ids and image ids mean other rows in whatever project is open now.
      throw new ApiError('no_project', 'The project was closed before the edit was written.');
    }
    if (op.kind === 'apply') {
      const r = await transport.call('edits.apply', { imageId: op.imageId, step: op.step, client });
      return r.status;
    }
    await transport.call(op.kind === 'undo' ? 'edits.undo' : 'edits.redo', { imageId: op.imageId, key: op.step.key, client });
    return null;
  }

  private backoff(): Promise<void> {
    const base = this.opts.retryBaseMs ?? 250, max = this.opts.retryMaxMs ?? 5000;
    const delay = Math.min(max, base * 2 ** this.attempt++);
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = null;
        resolve();
      };
      this.timer = setTimeout(() => {
        this.timer = null;
        this.wake?.();
      }, delay);
    });
  }
}
