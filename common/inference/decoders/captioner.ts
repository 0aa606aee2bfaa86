/**
 * Caption search over a recurrent decoder step (the captioner ONNX contract in models/README.md). The search is
 * pure and async; the runtime wraps `decoder_step.onnx` as a `CaptionStep`, closing over the encoder's features
 * and tiling them to [B, L, D] for the B rows it is called with, so the search never sees features.
 */
import type { ModelManifest } from '../manifest.js';
import type { DecodeResult } from '../types.js';

export type CaptionerSpec = NonNullable<ModelManifest['captioner']>;

export interface CaptionStepResult {
  /** [B, V] logits (log-softmax is applied here). */
  logits: Float32Array;
  /** The new recurrent state(s), each [B, H], in the order they were given. */
  states: Float32Array[];
  /** [B, L] attention weights over the feature grid. */
  attention: Float32Array;
}

/** One decoder step for B rows: tokens [B], state(s) each [B, H] → logits, new states, attention. */
export type CaptionStep = (tokens: BigInt64Array, states: Float32Array[], batch: number) => Promise<CaptionStepResult>;

export interface CaptionBeam {
  caption: string;
  words: string[];
  /** Vocabulary indices of the words (no start or end token). */
  tokens: number[];
  /** Sum of the log-probabilities of the words and, when finished, of the end token. */
  logProb: number;
  /** Whether the beam emitted the end token within maxLength. */
  finished: boolean;
  /** [word][L]: the attention that produced each word. */
  attention: number[][];
}

export interface CaptionResult extends CaptionBeam {
  /** Every beam kept, best first (greedy search: just the one). */
  beams: CaptionBeam[];
}

interface Hypothesis {
  tokens: number[];
  logProb: number;
  attention: number[][];
  /** Each state row [H] after the last step. */
  states: Float32Array[];
}

function specialTokens(spec: CaptionerSpec): { start: number; end: number } {
  const start = spec.vocabulary.indexOf(spec.startToken);
  const end = spec.vocabulary.indexOf(spec.endToken);
  if (start < 0 || end < 0) throw new Error(`the captioner's vocabulary lacks its start token "${spec.startToken}" or end token "${spec.endToken}"`);
  return { start, end };
}

/** log-softmax of row b of [B, V] logits. */
function logSoftmaxRow(logits: Float32Array, b: number, v: number, out: Float64Array): void {
  let max = -Infinity;
  for (let i = 0; i < v; i++) {
    const x = logits[b * v + i];
    if (Number.isNaN(x)) throw new Error('the captioner decoder step produced NaN logits');
    if (x > max) max = x;
  }
  let z = 0;
  for (let i = 0; i < v; i++) z += Math.exp(logits[b * v + i] - max);
  const lz = max + Math.log(z);
  for (let i = 0; i < v; i++) out[i] = logits[b * v + i] - lz;
}

function toBeam(h: Hypothesis, finished: boolean, spec: CaptionerSpec): CaptionBeam {
  const words = h.tokens.map((t) => spec.vocabulary[t]);
  return { caption: words.join(' '), words, tokens: h.tokens, logProb: h.logProb, finished, attention: h.attention };
}

function checkStep(r: CaptionStepResult, batch: number, vocab: number, stateSizes: number[]): number {
  if (r.logits.length !== batch * vocab) {
    throw new Error(`the captioner decoder step returned ${r.logits.length / batch} logits per row; the vocabulary has ${vocab} words`);
  }
  if (r.states.length !== stateSizes.length || r.states.some((s, i) => s.length !== batch * stateSizes[i])) {
    throw new Error('the captioner decoder step returned states of another shape than it was given');
  }
  if (r.attention.length % batch !== 0) throw new Error('the captioner attention is not [B, L]');
  return r.attention.length / batch;
}

/**
 * Beam search: each step scores every live beam in one batched call, keeps the `beamSize` best continuations
 * overall by total log-probability; a continuation ending in the end token is finished and the live width
 * shrinks by one (so `beamSize` finished beams end the search). Beams still live at maxLength are kept as
 * unfinished. Finished beams rank before unfinished ones, each by total log-probability (no length
 * normalisation: captions of one image are of similar length, and the raw sum is what greedy maximises step by
 * step). beamSize 1 is greedy search.
 */
export async function beamSearchCaption(
  step: CaptionStep,
  init: { states: Float32Array[] },
  spec: CaptionerSpec,
  beamSize: number = spec.beamSize,
): Promise<CaptionResult> {
  const { start, end } = specialTokens(spec);
  const vocab = spec.vocabulary.length;
  const stateSizes = init.states.map((s) => s.length);
  let live: Hypothesis[] = [{ tokens: [], logProb: 0, attention: [], states: init.states }];
  const finished: Hypothesis[] = [];
  const row = new Float64Array(vocab);

  for (let t = 0; t < spec.maxLength && live.length > 0; t++) {
    const batch = live.length;
    const tokens = BigInt64Array.from(live, (h) => BigInt(h.tokens.at(-1) ?? start));
    const states = stateSizes.map((size, i) => {
      const s = new Float32Array(batch * size);
      live.forEach((h, b) => s.set(h.states[i], b * size));
      return s;
    });
    const r = await step(tokens, states, batch);
    const cells = checkStep(r, batch, vocab, stateSizes);

    // The best `width` continuations of each beam are enough to find the best `width` overall.
    const width = beamSize - finished.length;
    const cands: { b: number; token: number; logProb: number }[] = [];
    for (let b = 0; b < batch; b++) {
      logSoftmaxRow(r.logits, b, vocab, row);
      const top: number[] = [];
      for (let v = 0; v < vocab; v++) {
        if (v === start) continue;
        if (top.length < width || row[v] > row[top[top.length - 1]]) {
          let i = Math.min(top.length, width - 1);
          while (i > 0 && row[v] > row[top[i - 1]]) i--;
          top.splice(i, 0, v);
          if (top.length > width) top.pop();
        }
      }
      for (const v of top) cands.push({ b, token: v, logProb: live[b].logProb + row[v] });
    }
    cands.sort((x, y) => y.logProb - x.logProb || x.b - y.b || x.token - y.token);

    const next: Hypothesis[] = [];
    for (const c of cands.slice(0, width)) {
      const parent = live[c.b];
      if (c.token === end) {
        finished.push({ ...parent, logProb: c.logProb });
        continue;
      }
      next.push({
        tokens: [...parent.tokens, c.token],
        logProb: c.logProb,
        attention: [...parent.attention, Array.from(r.attention.subarray(c.b * cells, (c.b + 1) * cells))],
        states: r.states.map((s, i) => s.slice(c.b * stateSizes[i], (c.b + 1) * stateSizes[i])),
      });
    }
    live = next;
  }

  const byLogProb = (x: CaptionBeam, y: CaptionBeam) => y.logProb - x.logProb;
  const beams = [
    ...finished.map((h) => toBeam(h, true, spec)).sort(byLogProb),
    ...live.map((h) => toBeam(h, false, spec)).sort(byLogProb),
  ];
  return { ...beams[0], beams };
}

/** Greedy search: the most likely word at each step. */
export function greedyCaption(step: CaptionStep, init: { states: Float32Array[] }, spec: CaptionerSpec): Promise<CaptionResult> {
  return beamSearchCaption(step, init, spec, 1);
}

/**
 * The caption as a prediction. Its score is the geometric mean of the per-token probabilities, so captions of
 * different lengths compare; extras carry the words, their attention maps over the feature grid, and every beam.
 */
export function captionPredictions(result: CaptionResult, spec: CaptionerSpec): DecodeResult {
  const steps = result.tokens.length + (result.finished ? 1 : 0);
  return {
    predictions: [
      {
        kind: 'caption',
        classIndex: null,
        label: null,
        score: steps ? Math.exp(result.logProb / steps) : 0,
        geometry: { type: 'caption', text: result.caption },
        extras: {
          words: result.words,
          tokens: result.tokens,
          attention: result.attention,
          featureGrid: spec.featureGrid,
          beams: result.beams.map((b) => ({ caption: b.caption, logProb: b.logProb, tokens: b.tokens, finished: b.finished })),
        },
      },
    ],
  };
}
