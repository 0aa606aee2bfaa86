/**
 * onnxruntime sessions, cached by file and provider. CUDA is tried first unless the CPU is asked for; a session
 * that cannot get CUDA runs on the CPU and says why, so the provider shown is always the one the session has.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ort from 'onnxruntime-node';
import type { ExecutionProvider } from '../../../common/api/contract.js';
import type { GraphIO } from '../../../common/inference/propose.js';
import type { RequestedProvider } from './protocol.js';

/** Where onnxruntime-node looks for its CUDA provider (not shipped in the npm package: an install step adds it). */
export function cudaProviderLibrary(): string {
  const pkg = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
  return path.join(pkg, 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime_providers_cuda.so');
}

export interface OpenSession {
  session: ort.InferenceSession;
  provider: ExecutionProvider;
  /** Set when CUDA was asked for explicitly and the session runs on the CPU instead. */
  warning?: string;
}

/** First line of an onnxruntime error, without its source-location prefix. */
export function ortMessage(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0].replace(/^\[ONNXRuntimeError\] : \d+ : \w+ : /, '');
}

export function createSession(file: string, provider: ExecutionProvider): Promise<ort.InferenceSession> {
  // Severity 3 (errors only): graph-optimiser warnings about unused initialisers mean nothing to a person.
  // No spinning: idle intra-op threads otherwise burn the cores that decode the next images; back-to-back runs
  // measured faster without it (ppocr-rec 64 vs 110 ms, blazeface 5.0 vs 7.7 ms; docs/benchmarks.md).
  return ort.InferenceSession.create(file, {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
}

export function sessionIO(session: ort.InferenceSession): GraphIO {
  const info = (m: ort.InferenceSession.ValueMetadata) =>
    m.isTensor ? { name: m.name, type: m.type, dims: [...m.shape] } : { name: m.name, type: 'non-tensor', dims: [] };
  return { inputs: session.inputMetadata.map(info), outputs: session.outputMetadata.map(info) };
}

export class SessionCache {
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();
  /** Why CUDA is out for a file (or for every file: key ''), so a failed attempt is not repeated per image. */
  private readonly noCuda = new Map<string, string>();

  constructor(private readonly capacity = 4) {
    const lib = cudaProviderLibrary();
    if (!existsSync(lib)) this.noCuda.set('', `the CUDA provider library is not installed (${lib} is missing)`);
  }

  async get(file: string, requested: RequestedProvider): Promise<OpenSession> {
    if (requested !== 'cpu') {
      let why = this.noCuda.get('') ?? this.noCuda.get(file);
      if (!why) {
        try {
          return { session: await this.open(file, 'cuda'), provider: 'cuda' };
        } catch (e) {
          why = ortMessage(e);
          this.noCuda.set(file, why);
        }
      }
      const session = await this.open(file, 'cpu');
      return requested === 'cuda' ? { session, provider: 'cpu', warning: `CUDA was requested but is not available: ${why}. Running on the CPU.` } : { session, provider: 'cpu' };
    }
    return { session: await this.open(file, 'cpu'), provider: 'cpu' };
  }

  private async open(file: string, provider: ExecutionProvider): Promise<ort.InferenceSession> {
    const key = `${provider}\0${file}`;
    let s = this.sessions.get(key);
    if (s) {
      // Re-inserted: Map order is the LRU order.
      this.sessions.delete(key);
      this.sessions.set(key, s);
      return s;
    }
    s = createSession(file, provider);
    this.sessions.set(key, s);
    s.catch(() => this.sessions.delete(key));
    while (this.sessions.size > this.capacity) {
      const [oldKey, old] = this.sessions.entries().next().value!;
      this.sessions.delete(oldKey);
      old.then((o) => o.release(), () => undefined);
    }
    return s;
  }

  async releaseAll(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.then((o) => o.release(), () => undefined)));
  }
}
