/** The manifest editor's pure side: parse and check the JSON a person typed, and show graph IO compactly. */
import { ApiError, type TensorInfo } from '../../../common/api/contract.js';
import { ModelManifest } from '../../../common/inference/manifest.js';

/** The kind the registry gives a model whose manifest or graph is broken; its description says why. */
export const INVALID = 'invalid';

export interface ManifestCheck {
  /** The parsed JSON object, as typed (the server applies the defaults), or null when it cannot be sent. */
  manifest: Record<string, unknown> | null;
  /** One line per problem, naming the field: "input.resize: Invalid option: ...". */
  issues: string[];
}

export function checkManifestText(text: string): ManifestCheck {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { manifest: null, issues: [`Not valid JSON: ${(err as Error).message}`] };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { manifest: null, issues: ['The manifest must be a JSON object ({ … }).'] };
  }
  const parsed = ModelManifest.safeParse(json);
  if (parsed.success) return { manifest: json as Record<string, unknown>, issues: [] };
  return { manifest: null, issues: parsed.error.issues.map((i) => `${i.path.join('.') || '(manifest)'}: ${i.message}`) };
}

/**
 * Lines for an error from the server. A graph that disagrees with its manifest comes with every mismatch in
 * `details.mismatches`; they read better as a list than as one long sentence.
 */
export function errorLines(err: unknown): string[] {
  const message = err instanceof Error ? err.message : String(err);
  const mismatches = err instanceof ApiError ? (err.details as { mismatches?: unknown } | undefined)?.mismatches : undefined;
  if (!Array.isArray(mismatches) || mismatches.length === 0 || !mismatches.every((m) => typeof m === 'string')) return [message];
  const cut = message.indexOf(`: ${mismatches[0]}`);
  return [cut > 0 ? `${message.slice(0, cut)}:` : message, ...mismatches];
}

/** "[1, 3, 640, 640]", with symbolic dims by name and unknown ones as "?". */
export function formatDims(dims: TensorInfo['dims']): string {
  return `[${dims.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

/** The file name of a path typed on any OS. */
export function fileName(p: string): string {
  return p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);
}

/**
 * A starting manifest for a graph the server could not propose a decoder for: the fields a person must fill,
 * named after the file.
 */
export function blankManifest(path: string): Record<string, unknown> {
  const file = fileName(path);
  const name = file.replace(/\.onnx$/i, '').toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 64) || 'model';
  return { name, kind: 'detector', decoder: 'yolov8', files: { model: file }, input: { resize: 'letterbox', width: 640, height: 640 }, classes: [] };
}
