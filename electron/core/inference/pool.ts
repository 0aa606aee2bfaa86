/**
 * The main thread's side of the inference worker: one worker (sessions are big; one set of them is enough),
 * started on first use, requests matched to answers by id. The worker is unreferenced while idle so it never
 * keeps a CLI process alive, and replaced after a crash.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ApiError, type ExecutionProvider } from '../../../common/api/contract.js';
import type { GraphIO } from '../../../common/inference/propose.js';
import type { FromWorker, RequestedProvider, RunSettings, RuntimeModel, ToWorker } from './protocol.js';

export type RunOutcome =
  | Extract<FromWorker, { type: 'result' }>
  | Extract<FromWorker, { type: 'error' }>
  | Extract<FromWorker, { type: 'cancelled' }>;

/**
 * Under tsx (CLI, tests, dev server) the worker is worker.ts, loaded through tsx's ESM hooks registered inside
 * the worker (a worker does not inherit the parent's hooks, and `--import tsx` in execArgv resolves "tsx" from
 * the cwd). A bundled build (electron-vite) emits the worker as its own entry, `inference-worker.js`, beside the
 * main bundle.
 */
function spawnWorker(): Worker {
  const here = import.meta.url;
  // A path, not new URL(…, import.meta.url): Vite would take that for an asset to bundle.
  if (!here.endsWith('.ts')) return new Worker(path.join(path.dirname(fileURLToPath(here)), 'inference-worker.js'));
  // tsx/esm/api's ESM build (its CJS build cannot register ESM hooks), found through tsx's own exports map.
  const pkgFile = createRequire(here).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  const api = pathToFileURL(path.join(path.dirname(pkgFile), pkg.exports['./esm/api'].import.default)).href;
  const entry = new URL('./worker.ts', here).href;
  const boot = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true });
}

export class InferencePool {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, (m: FromWorker) => void>();
  /** The provider each model's sessions really got, by model name (ModelInfo.provider). */
  readonly providers = new Map<string, ExecutionProvider>();

  private send(msg: Exclude<ToWorker, { type: 'cancel' }>, answer: (m: FromWorker) => void): void {
    if (!this.worker) {
      const w = spawnWorker();
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

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
    const waiting = [...this.pending.entries()];
    this.pending.clear();
    for (const [id, done] of waiting) done({ type: 'error', id, message: 'the inference worker was closed', fatal: true, crashed: true });
  }
}
