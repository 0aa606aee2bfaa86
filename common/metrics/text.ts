/**
 * Text recognition metrics: character error rate (CER) and word error rate (WER).
 *
 * - Edits are the Levenshtein distance (substitutions, insertions and deletions, each cost 1).
 * - Characters are Unicode code points, not UTF-16 units: "😀" is one character, not two. Both strings are put in
 *   Unicode NFC first (by default) so a precomposed "é" and "e" + combining accent compare equal. A grapheme made
 *   of several code points (a flag, an accented letter with no precomposed form) counts as several characters, as
 *   in jiwer and torchmetrics. Case and punctuation are kept: "Cat" vs "cat" is one edit.
 * - Words are the runs of non-whitespace (split on whitespace, leading/trailing whitespace dropped).
 * - Corpus CER / WER = summed edits / summed reference lengths over all samples (torchmetrics' and jiwer's
 *   corpus definition), not the mean of per-sample rates, so long lines weigh more. Rates can exceed 1 when
 *   the hypothesis is longer than the reference.
 *
 * Empty references: a sample with an empty reference adds its insertions (the hypothesis length) to the edits
 * and nothing to the reference length. Its own rate is 0 when the hypothesis is empty too, and null (undefined)
 * otherwise. The corpus rate follows the same rule when the summed reference length is 0: 0 with no edits,
 * null with some; with no samples at all it is null.
 */

export interface TextSample {
  readonly reference: string;
  readonly hypothesis: string;
}

export interface TextOptions {
  /** Unicode normalisation applied to both strings first (default 'NFC'). */
  readonly normalization?: 'NFC' | 'NFKC' | 'none';
}

export interface TextSampleResult {
  readonly charEdits: number;
  /** Reference length in code points. */
  readonly referenceChars: number;
  readonly wordEdits: number;
  readonly referenceWords: number;
  /** charEdits / referenceChars; see the module note for empty references. */
  readonly cer: number | null;
  readonly wer: number | null;
}

export interface TextMetrics {
  readonly CER: number | null;
  readonly WER: number | null;
  readonly charEdits: number;
  readonly referenceChars: number;
  readonly wordEdits: number;
  readonly referenceWords: number;
  /** In the order of the input samples. */
  readonly perSample: TextSampleResult[];
}

/**
 * Levenshtein distance between two sequences (elements compared with ===). Two rows of the DP table, so memory
 * is linear in the shorter sequence.
 */
export function levenshtein<T>(a: ArrayLike<T>, b: ArrayLike<T>): number {
  if (a.length < b.length) [a, b] = [b, a];
  const m = a.length;
  const n = b.length;
  if (n === 0) return m;
  let prev = new Int32Array(n + 1);
  let cur = new Int32Array(n + 1);
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    const ai = a[i - 1];
    for (let j = 1; j <= n; j++) {
      const sub = prev[j - 1] + (ai === b[j - 1] ? 0 : 1);
      const del = prev[j] + 1;
      const ins = cur[j - 1] + 1;
      cur[j] = sub < del ? (sub < ins ? sub : ins) : del < ins ? del : ins;
    }
    [prev, cur] = [cur, prev];
  }
  return prev[n];
}

/** The code points of a string, as numbers (a surrogate pair is one element). */
export function codePoints(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) out.push(ch.codePointAt(0) as number);
  return out;
}

/** The words of a string: runs of non-whitespace. */
export function splitWords(text: string): string[] {
  const out: string[] = [];
  for (const w of text.split(/\s+/u)) if (w.length > 0) out.push(w);
  return out;
}

function normalize(text: string, mode: TextOptions['normalization']): string {
  return mode === 'none' ? text : text.normalize(mode ?? 'NFC');
}

function rate(edits: number, length: number): number | null {
  if (length > 0) return edits / length;
  return edits === 0 ? 0 : null;
}

/** Scores one reference / hypothesis pair. */
export function textSampleMetrics(reference: string, hypothesis: string, options: TextOptions = {}): TextSampleResult {
  const ref = normalize(reference, options.normalization);
  const hyp = normalize(hypothesis, options.normalization);
  const refChars = codePoints(ref);
  const charEdits = levenshtein(refChars, codePoints(hyp));
  const refWords = splitWords(ref);
  const wordEdits = levenshtein(refWords, splitWords(hyp));
  return {
    charEdits,
    referenceChars: refChars.length,
    wordEdits,
    referenceWords: refWords.length,
    cer: rate(charEdits, refChars.length),
    wer: rate(wordEdits, refWords.length),
  };
}

/** Corpus CER and WER (summed edits over summed reference lengths) with the per-sample numbers. */
export function textMetrics(samples: readonly TextSample[], options: TextOptions = {}): TextMetrics {
  const perSample = samples.map((s) => textSampleMetrics(s.reference, s.hypothesis, options));
  let charEdits = 0;
  let referenceChars = 0;
  let wordEdits = 0;
  let referenceWords = 0;
  for (const r of perSample) {
    charEdits += r.charEdits;
    referenceChars += r.referenceChars;
    wordEdits += r.wordEdits;
    referenceWords += r.referenceWords;
  }
  const empty = samples.length === 0;
  return {
    CER: empty ? null : rate(charEdits, referenceChars),
    WER: empty ? null : rate(wordEdits, referenceWords),
    charEdits,
    referenceChars,
    wordEdits,
    referenceWords,
    perSample,
  };
}
