/**
 * CTC text recognition (PP-OCR's CTCLabelDecode): greedy best path over [N, T, C] class scores, repeats collapsed,
 * the blank (class 0) dropped, classes 1..C-1 mapped to the alphabet. One text line per batch item: the runtime
 * crops each detected line, recognises it and attaches the text to the line's polygon.
 */
import type { DecodedPrediction, DecodeResult, Tensor } from '../types.js';
import { outputFor, type DecodeContext } from './types.js';

/**
 * Rows that are already probabilities (non-negative, summing to 1) are copied; other rows get a softmax.
 * Writes `out[0..n)` from `data[offset..offset+n)`.
 */
export function toProbabilities(data: ArrayLike<number>, offset: number, n: number, out: Float64Array): void {
  let sum = 0;
  let max = -Infinity;
  let negative = false;
  for (let i = 0; i < n; i++) {
    const v = data[offset + i];
    if (Number.isNaN(v)) throw new Error('the model produced NaN scores');
    sum += v;
    if (v > max) max = v;
    if (v < 0) negative = true;
  }
  if (!negative && Math.abs(sum - 1) < 1e-3) {
    for (let i = 0; i < n; i++) out[i] = data[offset + i];
    return;
  }
  let z = 0;
  for (let i = 0; i < n; i++) z += out[i] = Math.exp(data[offset + i] - max);
  for (let i = 0; i < n; i++) out[i] /= z;
}

/** An alphabet file: one character per line; the newline ending the last line adds no class. */
export function parseAlphabetFile(text: string): string[] {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/**
 * The characters for classes 1..C-1. PaddleOCR's use_space_char appends ' ' after the dictionary, so an alphabet
 * one short of C-1 gets that space.
 */
export function ctcAlphabet(alphabet: readonly string[], classes: number, model: string): readonly string[] {
  if (alphabet.length === classes - 1) return alphabet;
  if (alphabet.length === classes - 2) return [...alphabet, ' '];
  throw new Error(`${model}: the graph scores ${classes} classes (blank + ${classes - 1} characters) but the alphabet has ${alphabet.length} characters`);
}

export interface CtcLine {
  text: string;
  /** Mean probability of the kept steps (0 for an empty line), as PaddleOCR scores a line. */
  score: number;
  charScores: number[];
}

/**
 * Greedy CTC over one [T, C] slice starting at `offset`. One pass per step finds the best class and the row's
 * sum (NaN or an infinity anywhere makes it non-finite: the scan the runtime would otherwise do separately). Only
 * the steps that emit a character look at their row again: as is when it holds probabilities (PP-OCR's do:
 * non-negative, summing to 1), else through a softmax. Ties go to the lower class, blank first.
 */
export function ctcGreedy(data: ArrayLike<number>, offset: number, steps: number, classes: number, alphabet: readonly string[]): CtcLine {
  let text = '';
  const charScores: number[] = [];
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    const base = offset + t * classes;
    let best = 0;
    let max = -Infinity;
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const v = data[base + c];
      sum += v;
      if (v > max) {
        max = v;
        best = c;
      }
    }
    if (!Number.isFinite(sum)) throw new Error(`the model produced ${sum !== sum ? 'NaN' : 'infinite'} scores (step ${t})`);
    if (best !== 0 && best !== previous) {
      let probabilities = Math.abs(sum - 1) < 1e-3;
      for (let c = 0; probabilities && c < classes; c++) if (data[base + c] < 0) probabilities = false;
      let p = max;
      if (!probabilities) {
        let z = 0;
        for (let c = 0; c < classes; c++) z += Math.exp(data[base + c] - max);
        p = 1 / z;
      }
      text += alphabet[best - 1];
      charScores.push(p);
    }
    previous = best;
  }
  const score = charScores.length ? charScores.reduce((a, b) => a + b, 0) / charScores.length : 0;
  return { text, score, charScores };
}

/**
 * Output role `probabilities` (default: the first output), [N, T, C] or [T, C]. The alphabet comes from
 * `manifest.textRecognizer.alphabet` (the runtime reads `alphabetFile` into it). Lines scoring below the score
 * threshold, and empty lines, give no prediction; `extras.index` is the batch item a line came from.
 */
export function decodeCtc(outputs: Record<string, Tensor>, ctx: DecodeContext): DecodeResult {
  const t = outputFor(outputs, ctx, 'probabilities', 0);
  const dims = t.dims.length === 2 ? [1, ...t.dims] : t.dims;
  if (dims.length !== 3) throw new Error(`${ctx.manifest.name}: CTC expects scores [N, T, C]; got [${t.dims.join(', ')}]`);
  const [n, steps, classes] = dims;
  const given = ctx.manifest.textRecognizer?.alphabet;
  if (!given) throw new Error(`${ctx.manifest.name}: a CTC recogniser needs textRecognizer.alphabet (or alphabetFile)`);
  const alphabet = ctcAlphabet(given, classes, ctx.manifest.name);
  const predictions: DecodedPrediction[] = [];
  for (let b = 0; b < n; b++) {
    const line = ctcGreedy(t.data as ArrayLike<number>, b * steps * classes, steps, classes, alphabet);
    if (!line.text || line.score < ctx.thresholds.score) continue;
    predictions.push({
      kind: 'tag',
      classIndex: null,
      label: line.text,
      score: line.score,
      geometry: { type: 'tag' },
      extras: { text: line.text, charScores: line.charScores, index: b },
    });
  }
  return { predictions };
}
