/** Shapes shared by pre-processing, decoders and the runtime. Pure TypeScript. */
import type { AnnotationKind, Geometry } from '../api/contract.js';

export type TensorData = Float32Array | Int32Array | BigInt64Array | Uint8Array | Float64Array;

/** A plain tensor: onnxruntime's Tensor has these fields too, so decoders take either. */
export interface Tensor {
  data: TensorData;
  dims: readonly number[];
}

/** An image as raw interleaved pixels, already EXIF-rotated: what the person sees. */
export interface RawImage {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: 3 | 4;
}

/**
 * How model-input coordinates map back to displayed image pixels: image = (input - pad) / scale.
 * Decoders call `toImage` so every prediction is stored in image pixels.
 */
export interface InputTransform {
  srcWidth: number;
  srcHeight: number;
  inputWidth: number;
  inputHeight: number;
  scaleX: number;
  scaleY: number;
  padX: number;
  padY: number;
}

export interface DecodedPrediction {
  kind: AnnotationKind;
  /** Index into the manifest's classes, or null (captions, text). */
  classIndex: number | null;
  label: string | null;
  score: number | null;
  geometry: Geometry;
  /** Decoder-specific: beams, attention, keypoint names, text, ... (JSON-serialisable). */
  extras?: Record<string, unknown>;
}

export interface DecodeResult {
  predictions: DecodedPrediction[];
  /** Candidates above the score threshold that NMS removed, for "seeing inside the pipeline". */
  suppressed?: DecodedPrediction[];
  /** Per-image extras: region proposals, per-class score maps, ... (JSON-serialisable). */
  extras?: Record<string, unknown>;
}
