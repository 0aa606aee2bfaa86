import { describe, expect, it } from 'vitest';
import { ModelManifest } from '../manifest.js';
import type { Tensor } from '../types.js';
import { ctcAlphabet, ctcGreedy, decodeCtc, parseAlphabetFile, toProbabilities } from './ctc.js';
import type { DecodeContext } from './types.js';

const manifest = ModelManifest.parse({
  name: 'rec',
  kind: 'text-recognizer',
  decoder: 'ctc',
  files: { model: 'm.onnx' },
  input: { resize: 'height', height: 48, width: 320 },
  thresholds: { score: 0.5 },
  textRecognizer: { alphabet: ['a', 'b', 'c'] },
});
const ctx = (m = manifest): DecodeContext => ({
  manifest: m,
  transform: { srcWidth: 1, srcHeight: 1, inputWidth: 1, inputHeight: 1, scaleX: 1, scaleY: 1, padX: 0, padY: 0 },
  thresholds: m.thresholds,
});

/** Rows of probabilities [T, C] from (best class, its probability), the rest shared evenly. */
function steps(best: [number, number][], classes: number): Float32Array {
  const out = new Float32Array(best.length * classes);
  best.forEach(([c, p], t) => {
    for (let k = 0; k < classes; k++) out[t * classes + k] = k === c ? p : (1 - p) / (classes - 1);
  });
  return out;
}

describe('decodeCtc', () => {
  // C = 5: blank, a, b, c and PaddleOCR's implied trailing space.
  it('collapses repeats, drops blanks, keeps a letter repeated across a blank, and scores the kept steps', () => {
    const data = steps([[1, 0.9], [1, 0.8], [0, 0.99], [1, 0.7], [2, 0.6], [4, 0.9], [3, 0.95], [3, 0.5], [0, 0.9]], 5);
    const { predictions } = decodeCtc({ out: { data, dims: [1, 9, 5] } }, ctx());
    expect(predictions).toHaveLength(1);
    const p = predictions[0];
    expect(p).toMatchObject({ kind: 'tag', label: 'aab c', classIndex: null, geometry: { type: 'tag' } });
    expect(p.extras).toMatchObject({ text: 'aab c', index: 0 });
    const kept = [0.9, 0.7, 0.6, 0.9, 0.95].map(Math.fround);
    expect(p.extras!.charScores).toEqual(kept);
    expect(p.score).toBeCloseTo(kept.reduce((a, b) => a + b) / kept.length, 9);
  });

  it('applies a softmax to logits (rows that are not probabilities)', () => {
    // Logits favouring c, c, blank, b: "cb"; softmax of [0, 0, 0, 5, 0] gives e^5 / (e^5 + 4).
    const logits = Float32Array.from([0, 0, 0, 5, 0, 0, 0, 0, 5, 0, 5, 0, 0, 0, 0, 0, 0, 5, 0, 0]);
    const { predictions } = decodeCtc({ out: { data: logits, dims: [4, 5] } as Tensor }, ctx());
    expect(predictions[0].label).toBe('cb');
    expect(predictions[0].score).toBeCloseTo(Math.exp(5) / (Math.exp(5) + 4), 6);
  });

  it('gives the same finite scores for large logits as for the same logits shifted down (softmax subtracts the max)', () => {
    // Logits like these come from recognisers exported without a softmax; e^1000 overflows a double.
    const small = [0, 0, 0, 5, 0, 0, 0, 0, 5, 0, 5, 0, 0, 0, 0, 0, 0, 5, 0, 0];
    const expected = decodeCtc({ out: { data: Float32Array.from(small), dims: [4, 5] } }, ctx()).predictions;
    for (const shift of [1000, 710, -1000]) {
      const { predictions } = decodeCtc({ out: { data: Float32Array.from(small, (v) => v + shift), dims: [4, 5] } }, ctx());
      expect(predictions.map((p) => p.label), `shift ${shift}`).toEqual(['cb']);
      expect(Number.isFinite(predictions[0].score), `shift ${shift}`).toBe(true);
      expect(predictions[0].score).toBeCloseTo(expected[0].score!, 9);
      (predictions[0].extras!.charScores as number[]).forEach((c, i) => expect(c).toBeCloseTo((expected[0].extras!.charScores as number[])[i], 9));
    }
    // One step, written out: softmax([1000, 1000, 1003]) at class 2 is e^3 / (2 + e^3).
    expect(ctcGreedy([1000, 1000, 1003], 0, 1, 3, ['x', 'y']).charScores[0]).toBeCloseTo(Math.exp(3) / (2 + Math.exp(3)), 12);
  });

  it('turns large logits into probabilities without overflow (the classification heads use the same softmax)', () => {
    const out = new Float64Array(3);
    toProbabilities([1000, 1001, 1002], 0, 3, out);
    const z = 1 + Math.E + Math.E ** 2;
    expect(Array.from(out).map((v) => v * z)).toEqual([expect.closeTo(1, 9), expect.closeTo(Math.E, 9), expect.closeTo(Math.E ** 2, 9)]);
    toProbabilities([-1000, -1001, -1002], 0, 3, out);
    expect(Array.from(out).map((v) => v * z)).toEqual([expect.closeTo(Math.E ** 2, 9), expect.closeTo(Math.E, 9), expect.closeTo(1, 9)]);
    // From an offset, and rows already holding probabilities are copied as they are.
    toProbabilities([9, 9, 0.2, 0.3, 0.5], 2, 3, out);
    expect(Array.from(out)).toEqual([0.2, 0.3, 0.5]);
    expect(() => toProbabilities([0, NaN], 0, 2, out)).toThrow('NaN');
  });

  it('reads each batch item as its own line and leaves out empty and low-scoring lines', () => {
    const data = new Float32Array([...steps([[1, 0.9], [2, 0.9]], 5), ...steps([[0, 0.9], [0, 0.9]], 5), ...steps([[3, 0.3], [0, 0.9]], 5)]);
    const { predictions } = decodeCtc({ out: { data, dims: [3, 2, 5] } }, ctx());
    expect(predictions.map((p) => [p.label, p.extras!.index])).toEqual([['ab', 0]]);
  });

  it('names a graph/alphabet mismatch and a missing alphabet', () => {
    expect(() => decodeCtc({ out: { data: new Float32Array(7), dims: [1, 1, 7] } }, ctx())).toThrow('rec: the graph scores 7 classes (blank + 6 characters) but the alphabet has 3 characters');
    const bare = ModelManifest.parse({ ...manifest, textRecognizer: {} });
    expect(() => decodeCtc({ out: { data: new Float32Array(5), dims: [1, 1, 5] } }, ctx(bare))).toThrow('needs textRecognizer.alphabet');
    expect(() => decodeCtc({ out: { data: Float32Array.from([NaN, 0, 0, 0, 0]), dims: [1, 1, 5] } }, ctx())).toThrow('NaN');
  });
});

describe('alphabets', () => {
  it('reads one character per line, keeping a space line and ignoring the final newline and CRs', () => {
    expect(parseAlphabetFile('a\r\n \nb\n')).toEqual(['a', ' ', 'b']);
    expect(parseAlphabetFile('a\nb')).toEqual(['a', 'b']);
  });
  it("appends PaddleOCR's space class when the alphabet is one short", () => {
    expect(ctcAlphabet(['x', 'y'], 3, 'm')).toEqual(['x', 'y']);
    expect(ctcAlphabet(['x', 'y'], 4, 'm')).toEqual(['x', 'y', ' ']);
  });
});

describe('ctcGreedy and decodeCtc in detail', () => {
  it('gives a tie to the lower class (the blank first) and treats rows with a negative value as logits', () => {
    expect(ctcGreedy([0.4, 0.4, 0.2], 0, 1, 3, ['x', 'y']).text).toBe('');
    expect(ctcGreedy([0.2, 0.4, 0.4], 0, 1, 3, ['x', 'y']).text).toBe('x');
    // Sums to 1 but holds a negative: not probabilities, so softmax([−0.2, 1.2, 0]) at class 1.
    const z = Math.exp(-0.2) + Math.exp(1.2) + 1;
    expect(ctcGreedy([-0.2, 1.2, 0], 0, 1, 3, ['x', 'y']).charScores[0]).toBeCloseTo(Math.exp(1.2) / z, 6);
    const out = new Float64Array(3);
    toProbabilities([-0.2, 1.2, 0], 0, 3, out);
    expect(out[1]).toBeCloseTo(Math.exp(1.2) / z, 9);
    // A row of probabilities read from an offset, the second line of a batch.
    expect(ctcGreedy([9, 9, 9, 0.1, 0.2, 0.7], 3, 1, 3, ['x', 'y'])).toEqual({ text: 'y', score: 0.7, charScores: [0.7] });
  });

  it('names infinite scores and the step', () => {
    expect(() => ctcGreedy([0.1, 0.9, 0, 0, Infinity, 0], 0, 2, 3, ['x', 'y'])).toThrow('the model produced infinite scores (step 1)');
    expect(() => ctcGreedy([NaN, 0.9, 0], 0, 1, 3, ['x', 'y'])).toThrow('the model produced NaN scores (step 0)');
  });

  it('keeps a line scoring exactly the threshold and names scores of the wrong rank or a manifest without a recogniser section', () => {
    const line = Float32Array.from([0, 0.5, 0.5 / 3, 0.5 / 3, 0.5 / 3]);
    const at = decodeCtc({ out: { data: line, dims: [1, 1, 5] } }, ctx());
    expect(at.predictions.map((p) => p.label)).toEqual(['a']);
    expect(() => decodeCtc({ out: { data: new Float32Array(5), dims: [1, 1, 1, 5] } }, ctx())).toThrow('rec: CTC expects scores [N, T, C]; got [1, 1, 1, 5]');
    const none = ModelManifest.parse({ ...manifest, kind: 'classifier-localizer', decoder: 'cls-loc', textRecognizer: undefined });
    expect(() => decodeCtc({ out: { data: new Float32Array(5), dims: [1, 1, 5] } }, ctx(none))).toThrow('rec: a CTC recogniser needs textRecognizer.alphabet (or alphabetFile)');
    // The role mapping picks the output.
    const mapped = ModelManifest.parse({ ...manifest, outputs: { probabilities: 'p' } });
    expect(decodeCtc({ junk: { data: new Float32Array(5), dims: [1, 1, 5] }, p: { data: line, dims: [1, 1, 5] } }, ctx(mapped)).predictions).toHaveLength(1);
  });

  it('keeps multi-character alphabet lines whole when dropping a CR', () => {
    expect(parseAlphabetFile('ab\r\ncd\r\n')).toEqual(['ab', 'cd']);
  });
});
