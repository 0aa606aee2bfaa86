/**
 * Caption metrics: BLEU-1..4 and CIDEr-D, computed the way coco-caption's scorers compute them
 * (`Bleu(4).compute_score` and `Cider().compute_score` in pycocoevalcap), so the numbers on the Evaluation page
 * and from `sightline eval --iou-type caption` equal the published tooling's on the same tokens.
 *
 * Input is already tokenized. The app tokenizes both sides with {@link normalizeCaption}; reference data that
 * was tokenized elsewhere (e.g. by the PTB tokenizer) goes through {@link splitTokens} only.
 *
 * BLEU (coco-caption's `BleuScorer`, option `closest`):
 * - n-grams of order 1..4; a candidate n-gram count is clipped to the largest count of that n-gram in any
 *   single reference of the same image.
 * - The effective reference length of an image is the reference length closest to the candidate's; on a tie
 *   the shorter reference wins.
 * - Corpus scores sum the clipped matches, the candidate n-gram counts and both lengths over all images, then
 *   BLEU-n = (prod_{k<=n} (correct_k + 1e-15) / (guess_k + 1e-9)) ^ (1/n), times the brevity penalty
 *   exp(1 - 1/ratio) when ratio = (testlen + 1e-15) / (reflen + 1e-9) is below 1.
 * - Per-image scores apply the same formula to that image's counts. Because of the 1e-15/1e-9 smoothing, an
 *   image without any matching 4-gram gets a tiny positive BLEU-4 (down to ~1e-16), not 0; we keep that so
 *   the numbers equal coco-caption's.
 *
 * CIDEr-D (coco-caption's `CiderScorer`, n = 4, sigma = 6):
 * - Document frequency df(g) = number of images whose references contain n-gram g (candidates never count).
 *   idf(g) = log(N) - log(max(1, df(g))) with N the number of images in the corpus, so the score of an image
 *   depends on the whole corpus; with a single image every idf is 0 and CIDEr-D is 0.
 * - Each sentence becomes one tf-idf vector per order n (tf = raw count). For each reference r of the image:
 *   sim_n = sum_g min(h_g, r_g) * r_g / (|h| |r|) (the division skipped when a norm is 0), times
 *   exp(-delta^2 / (2 sigma^2)), where delta is the difference in bigram counts (words - 1 for non-empty).
 * - Image score = 10 * mean_n(sum_r sim_n) / (number of references); corpus score = mean over images.
 *
 * Floating-point operations follow the Python code's order (dictionary insertion order of n-grams, numpy's
 * pairwise summation in `np.mean`), so results agree with the reference to the last few ulps: on the captions-a
 * reference case 141 of 155 numbers are bit-identical and the rest differ by at most 4.4e-16 absolute and
 * 4.3e-16 relative (V8's exp/pow against glibc's).
 */

/** One image: its reference captions and the candidate, each already tokenized. */
export interface CaptionSample {
  /** Shown in error messages only (e.g. the image id). */
  readonly id?: string | number;
  readonly references: readonly (readonly string[])[];
  readonly candidate: readonly string[];
}

export interface BleuResult {
  /** Corpus-level BLEU-1..n (index 0 is BLEU-1). */
  readonly scores: number[];
  /** perSample[i][k] = BLEU-(k+1) of sample i (with its own brevity penalty). */
  readonly perSample: number[][];
  /** Summed candidate length and summed effective (closest) reference length. */
  readonly testLength: number;
  readonly referenceLength: number;
}

export interface CiderDResult {
  /** Mean of the per-image scores. */
  readonly score: number;
  readonly perSample: number[];
}

export interface CaptionScores {
  readonly BLEU1: number;
  readonly BLEU2: number;
  readonly BLEU3: number;
  readonly BLEU4: number;
  readonly CIDEr: number;
}

export interface CaptionMetrics extends CaptionScores {
  /** In the order of the input samples. */
  readonly perSample: CaptionScores[];
}

export interface CiderDOptions {
  /** Largest n-gram order (coco-caption: 4). */
  readonly n?: number;
  /** Standard deviation of the length penalty in words (coco-caption: 6). */
  readonly sigma?: number;
}

const BLEU_SMALL = 1e-9;
const BLEU_TINY = 1e-15;

// Apostrophes inside words are dropped ("don't" -> "dont", "man's" -> "mans"); any other punctuation separates
// words ("black-and-white" -> "black and white", "dog." -> "dog").
const APOSTROPHES = /['\u2018\u2019\u02BC\uFF07]/gu;
const PUNCTUATION = /\p{P}/gu;

/**
 * The normalisation the app applies to BOTH labeled and predicted captions before scoring:
 * Unicode NFC, lowercase (locale-independent `toLowerCase`), apostrophes removed, every other Unicode
 * punctuation character (general category P: . , ; : ! ? - ( ) " … and so on) replaced by a space, then split
 * on whitespace. Symbols (category S, e.g. `$`, `+`) and digits are kept. An all-punctuation caption gives [].
 *
 * This is close to, but not the same as, coco-caption's PTB tokenizer step (which needs Java and splits
 * clitics such as "'s" off as tokens); scores on raw captions therefore differ slightly from a PTB pipeline.
 */
export function normalizeCaption(text: string): string[] {
  const cleaned = text.normalize('NFC').toLowerCase().replace(APOSTROPHES, '').replace(PUNCTUATION, ' ');
  return splitTokens(cleaned);
}

/** Splits pre-tokenized text on runs of whitespace, dropping empty tokens (Python's `str.split()`). */
export function splitTokens(text: string): string[] {
  const out: string[] = [];
  for (const t of text.split(/\s+/u)) if (t.length > 0) out.push(t);
  return out;
}

/**
 * Interns tokens so that an n-gram key is a list of integer ids: unambiguous for any token text (a token that
 * contains the separator cannot alias another n-gram).
 */
class Vocabulary {
  private readonly ids = new Map<string, number>();
  id(token: string): number {
    let v = this.ids.get(token);
    if (v === undefined) {
      v = this.ids.size;
      this.ids.set(token, v);
    }
    return v;
  }
}

/**
 * n-gram counts per order (index k holds order k+1). Map insertion order equals the order in which coco-caption's
 * `precook` inserts into its dict (orders ascending, positions ascending), which fixes the summation order.
 */
type NgramCounts = Map<string, number>[];

function countNgrams(tokens: readonly string[], maxN: number, vocab: Vocabulary): NgramCounts {
  const ids = tokens.map((t) => vocab.id(t));
  const counts: NgramCounts = [];
  for (let k = 1; k <= maxN; k++) {
    const m = new Map<string, number>();
    for (let i = 0; i + k <= ids.length; i++) {
      let key = String(ids[i]);
      for (let j = i + 1; j < i + k; j++) key += ',' + ids[j];
      m.set(key, (m.get(key) ?? 0) + 1);
    }
    counts.push(m);
  }
  return counts;
}

function checkSamples(samples: readonly CaptionSample[]): void {
  samples.forEach((s, i) => {
    if (s.references.length === 0) {
      const name = s.id === undefined ? `sample ${i}` : `image ${String(s.id)}`;
      throw new RangeError(`${name} has no reference caption; caption metrics need at least one per image (leave the image out instead)`);
    }
  });
}

/**
 * BLEU-1..maxN as coco-caption's `Bleu(maxN).compute_score` (corpus and per image). With no samples the corpus
 * scores are 0 (coco-caption's smoothing gives exp(1 - 1e6)), and perSample is empty.
 * @throws RangeError when a sample has no references (coco-caption asserts the same).
 */
export function bleuScores(samples: readonly CaptionSample[], maxN = 4): BleuResult {
  checkSamples(samples);
  const vocab = new Vocabulary();
  const totalCorrect = new Array<number>(maxN).fill(0);
  const totalGuess = new Array<number>(maxN).fill(0);
  let testLength = 0;
  let referenceLength = 0;
  const perSample: number[][] = [];

  for (const sample of samples) {
    // Clipping bound: the largest count of each n-gram in any single reference.
    const maxCounts: Map<string, number>[] = Array.from({ length: maxN }, () => new Map());
    const refLengths: number[] = [];
    for (const ref of sample.references) {
      refLengths.push(ref.length);
      const c = countNgrams(ref, maxN, vocab);
      for (let k = 0; k < maxN; k++) {
        for (const [g, n] of c[k]) if (n > (maxCounts[k].get(g) ?? 0)) maxCounts[k].set(g, n);
      }
    }
    const testlen = sample.candidate.length;
    // min over (|l - testlen|, l): the closest length, the shorter one on a tie.
    let reflen = refLengths[0];
    for (const l of refLengths) {
      const d = Math.abs(l - testlen);
      const best = Math.abs(reflen - testlen);
      if (d < best || (d === best && l < reflen)) reflen = l;
    }
    const cand = countNgrams(sample.candidate, maxN, vocab);
    const correct = new Array<number>(maxN).fill(0);
    const guess = new Array<number>(maxN);
    for (let k = 0; k < maxN; k++) {
      guess[k] = Math.max(0, testlen - k);
      for (const [g, n] of cand[k]) correct[k] += Math.min(maxCounts[k].get(g) ?? 0, n);
      totalCorrect[k] += correct[k];
      totalGuess[k] += guess[k];
    }
    testLength += testlen;
    referenceLength += reflen;
    perSample.push(bleuFromCounts(correct, guess, testlen, reflen));
  }

  return { scores: bleuFromCounts(totalCorrect, totalGuess, testLength, referenceLength), perSample, testLength, referenceLength };
}

function bleuFromCounts(correct: readonly number[], guess: readonly number[], testlen: number, reflen: number): number[] {
  const out: number[] = [];
  let product = 1;
  for (let k = 0; k < correct.length; k++) {
    product *= (correct[k] + BLEU_TINY) / (guess[k] + BLEU_SMALL);
    out.push(product ** (1 / (k + 1)));
  }
  const ratio = (testlen + BLEU_TINY) / (reflen + BLEU_SMALL);
  if (ratio < 1) {
    const penalty = Math.exp(1 - 1 / ratio);
    for (let k = 0; k < out.length; k++) out[k] *= penalty;
  }
  return out;
}

interface TfIdf {
  readonly vec: Map<string, number>[];
  readonly norm: number[];
  /** Number of bigrams: coco-caption's length for the Gaussian penalty. */
  readonly length: number;
}

/**
 * CIDEr-D as coco-caption's `Cider().compute_score` (n = 4, sigma = 6 by default). Document frequencies come
 * from the references of ALL given samples, so score the whole evaluation set in one call. With no samples the
 * score is NaN (numpy's mean of nothing).
 * @throws RangeError when a sample has no references.
 */
export function ciderD(samples: readonly CaptionSample[], options: CiderDOptions = {}): CiderDResult {
  checkSamples(samples);
  const maxN = options.n ?? 4;
  const sigma = options.sigma ?? 6;
  const vocab = new Vocabulary();
  const refCounts = samples.map((s) => s.references.map((r) => countNgrams(r, maxN, vocab)));
  const candCounts = samples.map((s) => countNgrams(s.candidate, maxN, vocab));

  const documentFrequency = new Map<string, number>();
  for (const refs of refCounts) {
    for (let k = 0; k < maxN; k++) {
      const seen = new Set<string>();
      for (const r of refs) for (const g of r[k].keys()) seen.add(g);
      for (const g of seen) documentFrequency.set(g, (documentFrequency.get(g) ?? 0) + 1);
    }
  }
  // Keys carry no order, so one map serves all orders only if keys of different orders differ: they do, since an
  // order-k key has exactly k comma-separated ids.
  const logN = Math.log(samples.length);

  const toVec = (counts: NgramCounts): TfIdf => {
    const vec: Map<string, number>[] = [];
    const norm: number[] = [];
    let length = 0;
    for (let k = 0; k < maxN; k++) {
      const v = new Map<string, number>();
      let sq = 0;
      for (const [g, tf] of counts[k]) {
        const w = tf * (logN - Math.log(Math.max(1, documentFrequency.get(g) ?? 0)));
        v.set(g, w);
        sq += w ** 2;
        if (k === 1) length += tf;
      }
      vec.push(v);
      norm.push(Math.sqrt(sq));
    }
    return { vec, norm, length };
  };

  const perSample: number[] = [];
  for (let i = 0; i < samples.length; i++) {
    const hyp = toVec(candCounts[i]);
    const score = new Array<number>(maxN).fill(0);
    for (const refCount of refCounts[i]) {
      const ref = toVec(refCount);
      const delta = hyp.length - ref.length;
      for (let k = 0; k < maxN; k++) {
        let val = 0;
        for (const [g, h] of hyp.vec[k]) {
          const r = ref.vec[k].get(g) ?? 0;
          val += Math.min(h, r) * r;
        }
        if (hyp.norm[k] !== 0 && ref.norm[k] !== 0) val /= hyp.norm[k] * ref.norm[k];
        val *= Math.E ** (-(delta ** 2) / (2 * sigma ** 2));
        score[k] += val;
      }
    }
    perSample.push((numpyMean(score) / refCounts[i].length) * 10);
  }
  return { score: numpyMean(perSample), perSample };
}

/** BLEU-1..4 and CIDEr-D in one call, corpus level and per sample (same order as the input). */
export function captionMetrics(samples: readonly CaptionSample[]): CaptionMetrics {
  const bleu = bleuScores(samples, 4);
  const cider = ciderD(samples);
  return {
    BLEU1: bleu.scores[0],
    BLEU2: bleu.scores[1],
    BLEU3: bleu.scores[2],
    BLEU4: bleu.scores[3],
    CIDEr: cider.score,
    perSample: samples.map((_, i) => ({
      BLEU1: bleu.perSample[i][0],
      BLEU2: bleu.perSample[i][1],
      BLEU3: bleu.perSample[i][2],
      BLEU4: bleu.perSample[i][3],
      CIDEr: cider.perSample[i],
    })),
  };
}

/**
 * Builds samples from raw caption text with the app's normalisation on both sides (pass `splitTokens` instead
 * for text that is already tokenized).
 */
export function captionSamplesFromText(
  items: readonly { readonly id?: string | number; readonly references: readonly string[]; readonly candidate: string }[],
  tokenize: (text: string) => string[] = normalizeCaption,
): CaptionSample[] {
  return items.map((it) => ({ id: it.id, references: it.references.map(tokenize), candidate: tokenize(it.candidate) }));
}

/**
 * `np.mean` of a 1-D float64 array: numpy's pairwise summation (8 accumulators, blocks of 128) divided by the
 * count. Matching it keeps the corpus CIDEr-D bit-for-bit closer to coco-caption than a plain running sum.
 */
function numpyMean(values: readonly number[]): number {
  return pairwiseSum(values, 0, values.length) / values.length;
}

function pairwiseSum(a: readonly number[], start: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= 128) {
    const r = [a[start], a[start + 1], a[start + 2], a[start + 3], a[start + 4], a[start + 5], a[start + 6], a[start + 7]];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j] += a[start + i + j];
    }
    let res = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}
