/**
 * The main thread's side of the inference worker: one worker (sessions are big; one set of them is enough),
 * started on first use, requests matched to answers by id. The worker is unreferenced while idle so it never
 * keeps a CLI process alive, and replaced after a crash.
 */
import type { Worker } from 'node:worker_threads';
import { ApiError, type ExecutionProvider } from '../../../common/api/contract.js';
import type { GraphIO } from '../../../common/inference/propose.js';
import type { FromWorker, RequestedProvider, RunSettings, RuntimeModel, ToWorker } from './protocol.js';
import { spawnWorker } from './spawn.js';

export type RunOutcome =
  | Extract<FromWorker, { type: 'result' }>
  | Extract<FromWorker, { type: 'error' }>
  | Extract<FromWorker, { type: 'cancelled' }>;

export class InferencePool {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, (m: FromWorker) => void>();
  /** The provider each model's sessions really got, by model name (ModelInfo.provider). */
  readonly providers = new Map<string, ExecutionProvider>();

  private send(msg: Exclude<ToWorker, { type: 'cancel' } | { type: 'close' }>, answer: (m: FromWorker) => void): void {
    if (!this.worker) {
      const w = spawnWorker(import.meta.url, './worker.ts', 'inference-worker.js');
      w.on('message', (m: FromWorker) => {
        const done = this.pending.get(m.id);
        if (!done) return;
        this.pending.delete(m.id);
        if (this.pending.size === 0) w.unref();
        done(m);
      });
      const fail = (why: string) => {
        if (this.worker !== w) return;
        this.worker = null;
        const waiting = [...this.pending.entries()];
        this.pending.clear();
        for (const [id, done] of waiting) done({ type: 'error', id, message: `the inference worker stopped: ${why}`, fatal: true, crashed: true });
      };
      w.on('error', (e) => fail(e.message));
      w.on('exit', (code) => fail(`exit code ${code}`));
      this.worker = w;
    }
    this.pending.set(msg.id, answer);
    this.worker.ref();
    this.worker.postMessage(msg);
  }

  /** Inputs and outputs of an ONNX file; rejects with onnxruntime's message when the file does not load. */
  inspect(file: string): Promise<GraphIO> {
    return new Promise((resolve, reject) => {
      this.send({ type: 'inspect', id: this.nextId++, file }, (m) => {
        if (m.type === 'inspected') resolve(m.io);
        else if (m.type === 'error' && !m.crashed) reject(new Error(m.message));
        else reject(new ApiError('internal', m.type === 'error' ? m.message : 'inspect was cancelled'));
      });
    });
  }

  /**
   * One image through one model. Never rejects: failures come back as outcomes. Aborting `signal` drops the
   * request if the worker has not started it; a started image finishes.
   */
  run(model: RuntimeModel, provider: RequestedProvider, settings: RunSettings, image: string, signal?: AbortSignal): Promise<RunOutcome> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const onAbort = () => this.worker?.postMessage({ type: 'cancel', ids: [id] } satisfies ToWorker);
      this.send({ type: 'run', id, model, provider, settings, image }, (m) => {
        signal?.removeEventListener('abort', onAbort);
        if (m.type === 'result') this.providers.set(model.name, m.provider);
        resolve(m as RunOutcome);
      });
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Ask the worker to finish, release its sessions and exit; terminate it only if it has not after `graceMs` (a
   * thread ended inside an onnxruntime call aborts the process).
   */
  async close(graceMs = 15_000): Promise<'idle' | 'exited' | 'terminated'> {
    const w = this.worker;
    this.worker = null;
    let how: 'idle' | 'exited' | 'terminated' = 'idle';
    if (w) {
      w.ref();
      const exited = new Promise<number>((resolve) => w.once('exit', (code) => resolve(code)));
      w.postMessage({ type: 'close' } satisfies ToWorker);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
      const first = await Promise.race([exited, late]);
      clearTimeout(timer);
      if (first === 'late') {
        await w.terminate();
        how = 'terminated';
      } else how = first === 0 ? 'exited' : 'terminated';
    }
    const waiting = [...this.pending.entries()];
    this.pending.clear();
    for (const [id, done] of waiting) done({ type: 'error', id, message: 'the inference worker was closed', fatal: true, crashed: true });
    return how;
  }
}
