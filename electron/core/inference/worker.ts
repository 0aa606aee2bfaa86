/**
 * The inference worker (worker_threads): holds the onnxruntime sessions so a model run never blocks the main
 * thread. Requests run one at a time in arrival order, but each image is read, decoded and resized as soon as its
 * request arrives: sharp works on libuv's pool while onnxruntime holds this thread in session.run, so image N+1
 * is ready when image N finishes. Likewise image N's outputs are decoded on a thread of their own while image N+1
 * runs (models whose decoding needs no session: all but captioners and text detectors that read their lines).
 */
import { parentPort, type Worker } from 'node:worker_threads';
import type { Tensor } from '../../../common/inference/types.js';
import { decodesAlone, ModelRunner, prepareImage, type GraphRun, type PreparedImage } from './pipeline.js';
import type { FromDecoder, FromWorker, RunSettings, RuntimeModel, ToDecoder, ToWorker } from './protocol.js';
import { createSession, ortMessage, SessionCache, sessionIO } from './sessions.js';
import { spawnWorker } from './spawn.js';

if (!parentPort) throw new Error('worker.ts runs as a worker thread');
const port = parentPort;
const post = (m: FromWorker) => port.postMessage(m);

const sessions = new SessionCache();
const runner = new ModelRunner(sessions);

interface Queued {
  msg: Extract<ToWorker, { type: 'run' }>;
  prepared: Promise<PreparedImage>;
}
const queue: Queued[] = [];
let busy = false;

/**
 * The decoder thread (decoder-worker.ts), started on first use: onnxruntime holds this thread for the whole of
 * session.run, so outputs decoded here would wait for every run; there they are decoded while the next image runs.
 */
let decoder: Worker | null = null;
const decoding = new Map<number, (a: FromDecoder) => void>();

function decoderThread(): Worker {
  if (decoder) return decoder;
  const w = spawnWorker(import.meta.url, './decoder-worker.ts', 'inference-decoder.js');
  w.on('message', (a: FromDecoder) => {
    const done = decoding.get(a.id);
    decoding.delete(a.id);
    done?.(a);
  });
  const fail = (why: string) => {
    if (decoder !== w) return;
    decoder = null;
    const waiting = [...decoding.entries()];
    decoding.clear();
    for (const [id, done] of waiting) done({ id, error: `the decoder thread stopped: ${why}` });
  };
  w.on('error', (e) => fail(e.message));
  w.on('exit', (code) => fail(`exit code ${code}`));
  return (decoder = w);
}

/** Hands a run's outputs to the decoder thread; posts the result (or the decoding error) when it answers. */
function decodeElsewhere(id: number, model: RuntimeModel, settings: RunSettings, graph: GraphRun): void {
  // ort.Tensor objects as plain { data, dims }: the typed arrays are copied by structured clone.
  const outputs: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(graph.outputs)) outputs[name] = { data: t.data, dims: [...t.dims] };
  decoding.set(id, (a) => {
    if ('error' in a) post({ type: 'error', id, message: a.error, fatal: false });
    else {
      const { provider, warning, timings } = graph;
      post({ type: 'result', id, provider, ...(warning ? { warning } : {}), result: a.result, timings: { ...timings, decode: a.decodeMs } });
    }
  });
  decoderThread().postMessage({ id, model, settings, outputs, transform: graph.transform } satisfies ToDecoder);
}

/** inspect calls under way, so a close waits for them. */
const inspecting = new Set<Promise<void>>();
/** The pump's current pass, so a close waits for it. */
let pumping: Promise<void> = Promise.resolve();

async function inspect(id: number, file: string): Promise<void> {
  try {
    const session = await createSession(file, 'cpu');
    post({ type: 'inspected', id, io: sessionIO(session) });
    await session.release();
  } catch (e) {
    post({ type: 'error', id, message: ortMessage(e), fatal: true });
  }
}

async function pump(): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const { msg } = job;
      let opened;
      try {
        opened = await runner.open(msg.model, msg.provider);
      } catch (e) {
        post({ type: 'error', id: msg.id, message: `${msg.model.name}: the model could not be loaded: ${ortMessage(e)}`, fatal: true });
        continue;
      }
      try {
        if (decodesAlone(msg.model)) {
          decodeElsewhere(msg.id, msg.model, msg.settings, await runner.runGraph(msg.model, opened, await job.prepared));
        } else {
          const r = await runner.run(msg.model, opened, msg.settings, await job.prepared);
          post({ type: 'result', id: msg.id, ...r });
        }
      } catch (e) {
        post({ type: 'error', id: msg.id, message: (e as Error).message ?? String(e), fatal: false });
      }
    }
  } finally {
    busy = false;
  }
}

let closing = false;

/**
 * Ending this thread while onnxruntime is inside a call (a session being created or released, a run) aborts the
 * whole process ("terminate called after throwing an instance of 'Napi::Error'", seen when a test closed the core
 * while the Models page was inspecting graphs). So a close drops what has not started, waits for what has, releases
 * the sessions and lets the thread end by itself.
 */
async function close(): Promise<void> {
  closing = true;
  for (const job of queue.splice(0)) post({ type: 'cancelled', id: job.msg.id });
  await pumping;
  while (inspecting.size) await Promise.allSettled([...inspecting]);
  await sessions.releaseAll().catch(() => undefined);
  await decoder?.terminate();
  port.close();
}

port.on('message', (msg: ToWorker) => {
  if (closing) {
    if (msg.type === 'inspect' || msg.type === 'run') post({ type: 'error', id: msg.id, message: 'the inference worker is closing', fatal: true });
    return;
  }
  switch (msg.type) {
    case 'inspect': {
      const p = inspect(msg.id, msg.file);
      inspecting.add(p);
      void p.finally(() => inspecting.delete(p));
      break;
    }
    case 'run': {
      const prepared = prepareImage(msg.image, msg.model);
      prepared.catch(() => undefined); // awaited (and reported) in order by pump
      queue.push({ msg, prepared });
      if (!busy) pumping = pump();
      break;
    }
    case 'close':
      void close();
      break;
    case 'cancel': {
      const ids = new Set(msg.ids);
      for (let i = queue.length - 1; i >= 0; i--) {
        if (!ids.has(queue[i].msg.id)) continue;
        post({ type: 'cancelled', id: queue[i].msg.id });
        queue.splice(i, 1);
      }
      break;
    }
  }
});
