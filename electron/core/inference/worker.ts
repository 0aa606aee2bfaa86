/**
 * The inference worker (worker_threads): holds the onnxruntime sessions so a model run never blocks the main
 * thread. Requests run one at a time in arrival order, but each image is read, decoded and resized as soon as its
 * request arrives: sharp works on libuv's pool while onnxruntime holds this thread in session.run, so image N+1
 * is ready when image N finishes.
 */
import { parentPort } from 'node:worker_threads';
import { ModelRunner, prepareImage, type PreparedImage } from './pipeline.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { createSession, ortMessage, SessionCache, sessionIO } from './sessions.js';

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
        const r = await runner.run(msg.model, opened, msg.settings, await job.prepared);
        post({ type: 'result', id: msg.id, ...r });
      } catch (e) {
        post({ type: 'error', id: msg.id, message: (e as Error).message ?? String(e), fatal: false });
      }
    }
  } finally {
    busy = false;
  }
}

port.on('message', (msg: ToWorker) => {
  switch (msg.type) {
    case 'inspect':
      void inspect(msg.id, msg.file);
      break;
    case 'run': {
      const prepared = prepareImage(msg.image, msg.model);
      prepared.catch(() => undefined); // awaited (and reported) in order by pump
      queue.push({ msg, prepared });
      void pump();
      break;
    }
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
