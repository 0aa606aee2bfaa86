import { describe, expect, it } from 'vitest';
import { beamSearchCaption, captionPredictions, greedyCaption, type CaptionerSpec, type CaptionStep } from './captioner.js';

const vocabulary = ['<start>', '<end>', 'a', 'b', 'c'];
const spec: CaptionerSpec = { cell: 'lstm', vocabulary, startToken: '<start>', endToken: '<end>', maxLength: 10, beamSize: 2, featureGrid: [2, 2] };

/**
 * Next-word probabilities by prefix. Greedy takes "a" (0.5) then "c" (0.4) then ends: 0.5·0.4·0.6 = 0.12.
 * Beam search (2) also keeps "b" (0.4), whose end (0.9) gives 0.36: the better caption, which greedy misses.
 */
const table: Record<string, Record<string, number>> = {
  '': { a: 0.5, b: 0.4, '<end>': 0.1 },
  a: { c: 0.4, b: 0.3, '<end>': 0.3 },
  'a c': { '<end>': 0.6, a: 0.4 },
  'a b': { '<end>': 1 },
  b: { '<end>': 0.9, c: 0.1 },
  'b c': { '<end>': 1 },
  'a c a': { '<end>': 1 },
};
const prefixes = Object.keys(table);

/**
 * A deterministic decoder step: state h holds the prefix's index, state c holds 10× it (an LSTM's second state,
 * checked to travel with its row); attention is one-hot on cell (prefix index mod 4).
 */
function tableStep(calls: number[]): CaptionStep {
  return async (tokens, [h, c], batch) => {
    calls.push(batch);
    const logits = new Float32Array(batch * vocabulary.length).fill(-40);
    const attention = new Float32Array(batch * 4);
    const h2 = new Float32Array(batch);
    for (let b = 0; b < batch; b++) {
      if (c[b] !== h[b] * 10) throw new Error('states of different rows were mixed');
      const word = vocabulary[Number(tokens[b])];
      const parent = h[b] < 0 ? null : prefixes[h[b]];
      const prefix = parent === null ? '' : [parent, word].filter(Boolean).join(' ');
      const node = prefixes.indexOf(prefix);
      if (node < 0) throw new Error(`no row for "${prefix}"`);
      for (const [w, p] of Object.entries(table[prefix])) logits[b * vocabulary.length + vocabulary.indexOf(w)] = Math.log(p);
      attention[b * 4 + (node % 4)] = 1;
      h2[b] = node;
    }
    return { logits, states: [h2, h2.map((v) => v * 10)], attention };
  };
}
const init = { states: [Float32Array.of(-1), Float32Array.of(-10)] };
const oneHot = (i: number) => [0, 1, 2, 3].map((k) => (k === i % 4 ? 1 : 0));

describe('caption search', () => {
  it('greedy takes the locally best word each step', async () => {
    const calls: number[] = [];
    const r = await greedyCaption(tableStep(calls), init, spec);
    expect(r.caption).toBe('a c');
    expect(r.words).toEqual(['a', 'c']);
    expect(r.tokens).toEqual([2, 4]);
    expect(r.finished).toBe(true);
    expect(r.logProb).toBeCloseTo(Math.log(0.5 * 0.4 * 0.6), 6);
    // "a" was chosen from the root (prefix 0), "c" from prefix "a" (1).
    expect(r.attention).toEqual([oneHot(0), oneHot(1)]);
    expect(r.beams.map((b) => b.caption)).toEqual(['a c']);
    expect(calls).toEqual([1, 1, 1]);
  });

  it('beam search batches its beams, finds the better caption and keeps the others ranked', async () => {
    const calls: number[] = [];
    const r = await beamSearchCaption(tableStep(calls), init, spec);
    expect(r.caption).toBe('b');
    expect(r.logProb).toBeCloseTo(Math.log(0.4 * 0.9), 6);
    expect(r.attention).toEqual([oneHot(0)]);
    expect(r.beams.map((b) => [b.caption, b.finished])).toEqual([['b', true], ['a c', true]]);
    expect(r.beams[1].logProb).toBeCloseTo(Math.log(0.12), 6);
    expect(r.beams[1].attention).toEqual([oneHot(0), oneHot(1)]);
    // Root; then "a" and "b" together; then only "a c" once "b <end>" finished.
    expect(calls).toEqual([1, 2, 1]);
  });

  it('normalises each row with a log-softmax: a step returning raw logits (any offset per row) gives the same search', async () => {
    // Real decoder steps return logits, not log-probabilities. Adding a different constant to each row leaves every
    // softmax unchanged, so the captions, their order and their log-probabilities must be exactly the table's.
    const offsets = [7, -3, 12.5, 0.25, 30];
    const raw = (inner: CaptionStep): CaptionStep => async (tokens, states, batch) => {
      const r = await inner(tokens, states, batch);
      const logits = r.logits.slice();
      for (let b = 0; b < batch; b++) for (let v = 0; v < vocabulary.length; v++) logits[b * vocabulary.length + v] += offsets[(r.states[0][b] + 5) % offsets.length];
      return { ...r, logits };
    };
    const normalised = await beamSearchCaption(tableStep([]), init, spec);
    const r = await beamSearchCaption(raw(tableStep([])), init, spec);
    expect(r.beams.map((b) => [b.caption, b.finished])).toEqual([['b', true], ['a c', true]]);
    expect(r.logProb).toBeCloseTo(Math.log(0.4 * 0.9), 5);
    expect(r.beams[1].logProb).toBeCloseTo(Math.log(0.12), 5);
    r.beams.forEach((b, i) => expect(b.logProb).toBeCloseTo(normalised.beams[i].logProb, 5));
    const greedy = await greedyCaption(raw(tableStep([])), init, spec);
    expect(greedy.caption).toBe('a c');
    expect(greedy.logProb).toBeCloseTo(Math.log(0.12), 5);
    // A row of large logits neither overflows nor loses the best word.
    const big: CaptionStep = async (_t, states, batch) => ({
      logits: Float32Array.from({ length: batch * 5 }, (_, i) => (i % 5 === 1 ? 1002 : 1000)),
      states,
      attention: new Float32Array(batch * 4),
    });
    const ended = await greedyCaption(big, init, spec);
    expect(ended).toMatchObject({ caption: '', finished: true });
    expect(ended.logProb).toBeCloseTo(2 - Math.log(Math.exp(2) + 4), 6); // <start> is never picked, but it is in the softmax
  });

  it('beam size 1 is greedy', async () => {
    const greedy = await greedyCaption(tableStep([]), init, spec);
    expect(await beamSearchCaption(tableStep([]), init, spec, 1)).toEqual(greedy);
  });

  it('keeps beams that reach maxLength as unfinished', async () => {
    const r = await greedyCaption(tableStep([]), init, { ...spec, maxLength: 1 });
    expect(r).toMatchObject({ caption: 'a', finished: false });
    expect(r.logProb).toBeCloseTo(Math.log(0.5), 6);
  });

  it('makes a caption prediction scored by the geometric mean token probability', async () => {
    const r = await beamSearchCaption(tableStep([]), init, spec);
    const [p] = captionPredictions(r, spec).predictions;
    expect(p).toMatchObject({ kind: 'caption', geometry: { type: 'caption', text: 'b' }, classIndex: null });
    expect(p.score).toBeCloseTo(Math.sqrt(0.4 * 0.9), 6); // two steps: "b" and <end>
    expect(p.extras).toMatchObject({ words: ['b'], featureGrid: [2, 2], attention: [oneHot(0)] });
    expect((p.extras!.beams as { caption: string }[]).map((b) => b.caption)).toEqual(['b', 'a c']);
  });

  it('names a step that does not fit the vocabulary, NaN logits and a vocabulary without its end token', async () => {
    const short: CaptionStep = async (_t, states, batch) => ({ logits: new Float32Array(batch * 3), states, attention: new Float32Array(batch * 4) });
    await expect(greedyCaption(short, init, spec)).rejects.toThrow('returned 3 logits per row; the vocabulary has 5 words');
    const nan: CaptionStep = async (_t, states, batch) => ({ logits: new Float32Array(batch * 5).fill(NaN), states, attention: new Float32Array(batch * 4) });
    await expect(greedyCaption(nan, init, spec)).rejects.toThrow('NaN logits');
    await expect(greedyCaption(short, init, { ...spec, vocabulary: ['<start>', 'a', 'b'] })).rejects.toThrow('end token "<end>"');
  });
});
