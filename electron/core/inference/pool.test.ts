/**
 * Closing the pool while onnxruntime is busy in the worker. Ending a worker thread inside an onnxruntime call
 * aborts the whole process (C++ `terminate` on a Napi::Error), which took down test workers at random when a test
 * closed the core while the Models page was inspecting graphs; the pool now lets the worker finish and exit.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InferencePool } from './pool.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const MODEL = path.join(ROOT, 'models/blazeface/model.onnx');

describe('InferencePool.close', () => {
  it('lets inspections under way finish, answers them, and the worker ends by itself', async () => {
    for (let round = 0; round < 4; round++) {
      const pool = new InferencePool();
      const answers = Array.from({ length: 4 }, () => pool.inspect(MODEL).then((io) => io.inputs.length, (e: Error) => e.message));
      // Let the worker start and begin creating sessions, then close in the middle of it.
      await new Promise((r) => setTimeout(r, round * 40));
      // Ended by itself (exit code 0), not terminated: a terminate can land inside an onnxruntime call.
      expect(await pool.close()).toBe('exited');
      const settled = await Promise.all(answers);
      for (const a of settled) expect(a === 1 || (typeof a === 'string' && /clos/.test(a)), String(a)).toBe(true);
    }
  });

  it('a closed pool starts a fresh worker for the next request', async () => {
    const pool = new InferencePool();
    await pool.close();
    expect((await pool.inspect(MODEL)).inputs.length).toBe(1);
    await pool.close();
  });
});
