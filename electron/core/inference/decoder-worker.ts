/**
 * The inference worker's decoder thread: turns a graph's raw outputs into predictions (NMS, mask pasting, label
 * maps, score maps) while the inference worker's own thread, which onnxruntime holds for the whole of
 * session.run, runs the next image. Pure work on plain data: everything arrives by structured clone.
 */
import { parentPort } from 'node:worker_threads';
import { decodeOutputs } from './pipeline.js';
import type { FromDecoder, ToDecoder } from './protocol.js';

if (!parentPort) throw new Error('decoder-worker.ts runs as a worker thread');
const port = parentPort;

port.on('message', (msg: ToDecoder) => {
  const t0 = performance.now();
  let answer: FromDecoder;
  try {
    const result = decodeOutputs(msg.model, msg.settings, msg.outputs, msg.transform);
    answer = { id: msg.id, result, decodeMs: performance.now() - t0 };
  } catch (e) {
    answer = { id: msg.id, error: (e as Error).message ?? String(e) };
  }
  port.postMessage(answer);
});
