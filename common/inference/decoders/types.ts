/** The signature every one-graph decoder has; the captioner's search is async and lives in captioner.ts. */
import type { ModelManifest, Thresholds } from '../manifest.js';
import type { DecodeResult, InputTransform, Tensor } from '../types.js';

export interface DecodeContext {
  manifest: ModelManifest;
  /** Model-input → displayed-image coordinates. */
  transform: InputTransform;
  /** The manifest's thresholds with the run's overrides applied. */
  thresholds: Thresholds;
  /** Also return the candidates NMS removed (DecodeResult.suppressed). */
  keepSuppressed?: boolean;
}

/** Outputs by graph output name. Decoders look names up through `manifest.outputs` roles, then defaults. */
export type Decoder = (outputs: Record<string, Tensor>, ctx: DecodeContext) => DecodeResult;

/** The output tensor for a role: the manifest's mapping, else the default name, else the output at `index`. */
export function outputFor(outputs: Record<string, Tensor>, ctx: DecodeContext, role: string, index: number, defaultName = role): Tensor {
  const mapped = ctx.manifest.outputs[role];
  if (mapped !== undefined) {
    const t = outputs[mapped];
    if (!t) throw new Error(`${ctx.manifest.name}: the manifest maps output role "${role}" to "${mapped}", which the graph does not produce (outputs: ${Object.keys(outputs).join(', ')})`);
    return t;
  }
  if (outputs[defaultName]) return outputs[defaultName];
  const byIndex = Object.values(outputs)[index];
  if (!byIndex) throw new Error(`${ctx.manifest.name}: no output for role "${role}" (outputs: ${Object.keys(outputs).join(', ')}); map it in the manifest's "outputs"`);
  return byIndex;
}

/** Map a point from model-input pixels to displayed-image pixels, clamped to the image. */
export function toImageX(x: number, t: InputTransform): number {
  return Math.min(t.srcWidth, Math.max(0, (x - t.padX) / t.scaleX));
}
export function toImageY(y: number, t: InputTransform): number {
  return Math.min(t.srcHeight, Math.max(0, (y - t.padY) / t.scaleY));
}
