import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../random.js';
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

describe('beam search against a plain reference', () => {
  /** A step whose logits are a fixed pseudo-random function of the prefix; state [prefix id, 7 × id] per row. */
  function randomStep(vocab: number, seed: number) {
    const prefixes: number[][] = [];
    const idOf = new Map<string, number>();
    const logitsOf = (prefix: number[]) => {
      const rand = mulberry32(seed * 7919 + prefix.reduce((h, t) => (h * 31 + t + 1) >>> 0, 17));
      return Array.from({ length: vocab }, () => rand() * 6 - 3 + (rand() < 0.2 ? 4 : 0));
    };
    const step: CaptionStep = async (tokens, [h], batch) => {
      const logits = new Float32Array(batch * vocab);
      const h2 = new Float32Array(batch * 2);
      const attention = new Float32Array(batch * 3);
      for (let b = 0; b < batch; b++) {
        if (h[b * 2 + 1] !== h[b * 2] * 7) throw new Error('a state row was split or mixed');
        const parent = h[b * 2] < 0 ? null : prefixes[h[b * 2]];
        const prefix = parent === null ? [] : [...parent, Number(tokens[b])];
        const key = prefix.join(',');
        if (!idOf.has(key)) idOf.set(key, prefixes.push(prefix) - 1);
        const id = idOf.get(key)!;
        logits.set(logitsOf(prefix), b * vocab);
        h2[b * 2] = id;
        h2[b * 2 + 1] = id * 7;
        attention.set([id, id + 0.5, -id], b * 3);
      }
      return { logits, states: [h2], attention };
    };
    return { step, logitsOf };
  }

  /** Exhaustive bookkeeping of the same rule: all continuations of all live beams, best `width` kept. */
  function reference(logitsOf: (p: number[]) => number[], vocab: number, beamSize: number, maxLength: number, start: number, end: number) {
    const logSoftmax = (x: number[]) => {
      const m = Math.max(...x);
      const lz = m + Math.log(x.reduce((s, v) => s + Math.exp(v - m), 0));
      return x.map((v) => v - lz);
    };
    let live = [{ tokens: [] as number[], logProb: 0 }];
    const finished: { tokens: number[]; logProb: number }[] = [];
    for (let t = 0; t < maxLength && live.length > 0; t++) {
      const width = beamSize - finished.length;
      const cands: { b: number; token: number; logProb: number }[] = [];
      live.forEach((h, b) => {
        const row = logSoftmax(logitsOf(h.tokens).map(Math.fround));
        for (let v = 0; v < vocab; v++) if (v !== start) cands.push({ b, token: v, logProb: h.logProb + row[v] });
      });
      cands.sort((x, y) => y.logProb - x.logProb || x.b - y.b || x.token - y.token);
      const next: typeof live = [];
      for (const c of cands.slice(0, width)) {
        if (c.token === end) finished.push({ tokens: live[c.b].tokens, logProb: c.logProb });
        else next.push({ tokens: [...live[c.b].tokens, c.token], logProb: c.logProb });
      }
      live = next;
    }
    const by = (x: { logProb: number }, y: { logProb: number }) => y.logProb - x.logProb;
    return [...finished.map((f) => ({ ...f, finished: true })).sort(by), ...live.map((l) => ({ ...l, finished: false })).sort(by)];
  }

  it('keeps the same beams, in the same order, with the same log-probabilities, attention and states', async () => {
    const vocabulary = ['<start>', '<end>', 'a', 'b', 'c', 'd', 'e', 'f'];
    let compared = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const beamSize = 1 + (seed % 4);
      const s: CaptionerSpec = { cell: 'gru', vocabulary, startToken: '<start>', endToken: '<end>', maxLength: 3 + (seed % 3), beamSize, featureGrid: [1, 3] };
      const { step, logitsOf } = randomStep(vocabulary.length, seed);
      const r = await beamSearchCaption(step, { states: [Float32Array.of(-1, -7)] }, s);
      const expected = reference(logitsOf, vocabulary.length, beamSize, s.maxLength, 0, 1);
      expect(r.beams.map((b) => [b.tokens, b.finished]), `seed ${seed}`).toEqual(expected.map((e) => [e.tokens, e.finished]));
      r.beams.forEach((b, i) => expect(b.logProb).toBeCloseTo(expected[i].logProb, 5));
      expect(r.beams).toHaveLength(beamSize);
      // Each word's attention is the row of the step that produced it: [id, id + 0.5, −id] of the prefix before it.
      for (const b of r.beams) {
        expect(b.attention).toHaveLength(b.tokens.length);
        for (const a of b.attention) expect([a[1] - a[0], a[2] + a[0]]).toEqual([0.5, 0]);
        expect(b.words).toEqual(b.tokens.map((t) => vocabulary[t]));
      }
      compared += r.beams.length;
    }
    expect(compared).toBeGreaterThan(20);
  });

  it('names a step that returns states or attention of the wrong shape, and a vocabulary without its start token', async () => {
    const ok = (batch: number) => ({ logits: new Float32Array(batch * 5), attention: new Float32Array(batch * 4) });
    const init2 = { states: [new Float32Array(2), new Float32Array(2)] };
    const fewer: CaptionStep = async (_t, states, batch) => ({ ...ok(batch), states: states.slice(0, 1) });
    await expect(greedyCaption(fewer, init2, spec)).rejects.toThrow('the captioner decoder step returned states of another shape than it was given');
    const shorter: CaptionStep = async (_t, states, batch) => ({ ...ok(batch), states: [states[0], states[1].slice(1)] });
    await expect(greedyCaption(shorter, init2, spec)).rejects.toThrow('the captioner decoder step returned states of another shape than it was given');
    const wide: CaptionStep = async (_t, states, batch) => ({ ...ok(batch), states: states.map((x) => new Float32Array(x.length * 2)) });
    await expect(greedyCaption(wide, init2, spec)).rejects.toThrow('states of another shape');
    // Two words ahead of <end>, so the second step runs two beams: 9 attention values do not split into 2 rows.
    const ragged: CaptionStep = async (_t, states, batch) => ({
      logits: Float32Array.from({ length: batch * 5 }, (_, i) => [0, -10, 1, 1, 0][i % 5]),
      states,
      attention: new Float32Array(batch * 4 + 1),
    });
    await expect(beamSearchCaption(ragged, init2, spec)).rejects.toThrow('the captioner attention is not [B, L]');
    const fine: CaptionStep = async (_t, states, batch) => ({ ...ok(batch), states });
    await expect(greedyCaption(fine, init2, { ...spec, vocabulary: ['a', '<end>', 'b'] })).rejects.toThrow(
      `the captioner's vocabulary lacks its start token "<start>" or end token "<end>"`,
    );
    // Two batched rows of two-unit states travel with their rows.
    const r = await greedyCaption(fine, init2, spec);
    expect(r.beams).toHaveLength(1);
  });

  it('survives logits thousands apart in one row', async () => {
    // Every word but "a" at −1000, "a" at +1000, <end> last at −1000: "a" every step until maxLength.
    const far: CaptionStep = async (_t, states, batch) => ({
      logits: Float32Array.from({ length: batch * 5 }, (_, i) => (i % 5 === 2 ? 1000 : -1000)),
      states,
      attention: new Float32Array(batch * 4),
    });
    const greedy = await greedyCaption(far, init, { ...spec, maxLength: 3 });
    expect(greedy).toMatchObject({ caption: 'a a a', finished: false });
    expect(greedy.logProb).toBeCloseTo(0, 9);
    // Beam search (2) also ends a beam at once, at −2000; finished beams rank first.
    const r = await beamSearchCaption(far, init, { ...spec, maxLength: 3 });
    expect(r.beams.map((b) => [b.caption, b.finished])).toEqual([['', true], ['a a a', false]]);
    expect(r.beams[0].logProb).toBeCloseTo(-2000, 6);
    expect(r.beams[1].logProb).toBeCloseTo(0, 9);
  });
});
