import type { Prediction } from '../../../common/api/contract.js';

/** Label colours: a fixed palette picked by a hash of the label, so a class keeps its colour across images and runs. */
const PALETTE = ['#ff6b6b', '#4dabf7', '#51cf66', '#fcc419', '#cc5de8', '#ff922b', '#22b8cf', '#f06595', '#94d82d', '#845ef7', '#20c997', '#e8590c'];

/** Suppressed candidates and proposals: grey, to read as "not a prediction". */
export const CANDIDATE_GREY = '#9aa1ad';

export function labelColor(label: string | null): string {
  if (!label) return PALETTE[0];
  let h = 2166136261;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 16777619);
  return PALETTE[(h >>> 0) % PALETTE.length];
}

export function hexToRgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** What a prediction is called in the legend and coloured by: its label, else "text" for read text, else its kind. */
export function predictionKey(p: Prediction): string {
  return p.label ?? (typeof p.extras.text === 'string' ? 'text' : p.kind);
}

/**
 * Compare mode (labels against a run): Paul Tol's "vibrant" colours, chosen to stay apart for the common colour
 * vision deficiencies, and each status also has its own line (TP solid, FP dashed, FN a wide dotted halo), so
 * nothing rests on hue alone.
 */
export const COMPARE_COLORS = { tp: '#33BBEE', fp: '#EE7733', fn: '#EE3377', muted: '#9aa1ad' } as const;
export const COMPARE_DASH = { tp: [] as number[], fp: [8, 5], fn: [2, 4] } as const;
