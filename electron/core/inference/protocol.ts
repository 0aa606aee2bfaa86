/** Messages between the inference pool (main thread) and its worker. Everything here survives structured clone. */
import type { ExecutionProvider } from '../../../common/api/contract.js';
import type { ModelManifest, Thresholds } from '../../../common/inference/manifest.js';
import type { GraphIO } from '../../../common/inference/propose.js';
import type { DecodeResult, InputTransform, Tensor } from '../../../common/inference/types.js';

export type RequestedProvider = 'auto' | ExecutionProvider;

/** A model as the worker runs it: manifest files made absolute, the CTC alphabet read, the recogniser resolved. */
export interface RuntimeModel {
  name: string;
  manifest: ModelManifest;
  recognizer?: RuntimeModel;
}

export interface RunSettings {
  thresholds: Thresholds;
  keepSuppressed: boolean;
  beamSize?: number;
}

export type ToWorker =
  | { type: 'inspect'; id: number; file: string }
  | { type: 'run'; id: number; model: RuntimeModel; provider: RequestedProvider; settings: RunSettings; image: string }
  /** Drop these requests if they have not started; each gets a 'cancelled' answer. */
  | { type: 'cancel'; ids: number[] }
  /** Finish what is under way, release every session and exit (onnxruntime must never be mid-call when the thread ends). */
  | { type: 'close' };

export interface Timings {
  /** Read, decode, rotate and resize the image, build the input tensor. */
  prepare: number;
  /** session.run, summed over every graph call. */
  run: number;
  /** Output decoding (and NaN check). */
  decode: number;
}

export type FromWorker =
  | { type: 'inspected'; id: number; io: GraphIO }
  | { type: 'result'; id: number; provider: ExecutionProvider; warning?: string; result: DecodeResult; timings: Timings }
  /**
   * `fatal`: the model itself cannot run (no session), so the rest of the batch would fail alike; `crashed`:
   * made by the pool when the worker died, not by the worker.
   */
  | { type: 'error'; id: number; message: string; fatal: boolean; crashed?: boolean }
  | { type: 'cancelled'; id: number };

/** The inference worker → its decoder thread: one image's raw outputs to decode. */
export interface ToDecoder {
  id: number;
  model: RuntimeModel;
  settings: RunSettings;
  outputs: Record<string, Tensor>;
  transform: InputTransform;
}

export type FromDecoder = { id: number; result: DecodeResult; decodeMs: number } | { id: number; error: string };

/** Model files named in a manifest, in order: [model] or [encoder, decoderStep]. */
export function graphFiles(manifest: ModelManifest): string[] {
  return 'model' in manifest.files ? [manifest.files.model] : [manifest.files.encoder, manifest.files.decoderStep];
}
