import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bleuScores, captionMetrics, captionSamplesFromText, ciderD, normalizeCaption, splitTokens, type CaptionSample } from './captions.js';
import { pairwiseSum } from './cocoIou.js';

// SIGHTLINE_REFERENCE: where shared/reference is when this file runs from a copy of the repo (Stryker's sandbox).
const CASE = path.join(process.env.SIGHTLINE_REFERENCE ?? path.resolve(__dirname, '../../../shared/reference'), 'metrics/captions-a');

interface Expected {
  BLEU1: number;
  BLEU2: number;
  BLEU3: number;
  BLEU4: number;
  CIDEr: number;
  per_image: Record<string, { BLEU1: number; BLEU2: number; BLEU3: number; BLEU4: number; CIDEr: number }>;
}

function loadCase(): { samples: CaptionSample[]; ids: string[]; expected: Expected } | null {
  const files = ['refs.json', 'cands.json', 'expected.json'].map((f) => path.join(CASE, f));
  const missing = files.find((f) => !existsSync(f));
  if (missing) {
    console.log(`skipped: ${missing} is absent (the coco-caption reference files live in ../shared/reference/metrics/captions-a)`);
    return null;
  }
  const [refs, cands, expected] = files.map((f) => JSON.parse(readFileSync(f, 'utf8'))) as [Record<string, string[]>, Record<string, string[]>, Expected];
  // coco-caption was called with integer image ids in ascending order; the strings are pre-tokenized.
  const ids = Object.keys(refs).sort((a, b) => Number(a) - Number(b));
  const samples = ids.map((id) => ({ id, references: refs[id].map(splitTokens), candidate: splitTokens(cands[id][0]) }));
  return { samples, ids, expected };
}

/** |a - e| <= 1e-9, and for the tiny smoothed per-image BLEU values also relatively (README of the case). */
function expectClose(actual: number, expected: number, label: string): void {
  const abs = Math.abs(actual - expected);
  expect(abs, `${label}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-9);
  if (expected !== 0) expect(abs / Math.abs(expected), `${label} (relative): ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-9);
}

describe('caption metrics on the coco-caption reference case (captions-a)', () => {
  const loaded = loadCase();

  it.runIf(loaded !== null)('reproduces every corpus and per-image number of Bleu(4) and Cider()', () => {
    const { samples, ids, expected } = loaded!;
    const m = captionMetrics(samples);
    let checked = 0;
    for (const key of ['BLEU1', 'BLEU2', 'BLEU3', 'BLEU4', 'CIDEr'] as const) {
      expectClose(m[key], expected[key], key);
      checked++;
    }
    expect(Object.keys(expected.per_image).sort()).toEqual([...ids].sort());
    ids.forEach((id, i) => {
      for (const key of ['BLEU1', 'BLEU2', 'BLEU3', 'BLEU4', 'CIDEr'] as const) {
        expectClose(m.perSample[i][key], expected.per_image[id][key], `image ${id} ${key}`);
        checked++;
      }
    });
    expect(checked).toBe(5 + 5 * 30);
  });

  it.runIf(loaded !== null)('keeps the tiny smoothing values (no-overlap image 348) instead of rounding them to 0', () => {
    const { samples, ids } = loaded!;
    const i = ids.indexOf('348');
    const bleu = bleuScores(samples).perSample[i];
    for (const v of bleu) {
      expect(v).toBeGreaterThan(0);
      expect(v).toBeLessThan(1e-15);
    }
    expect(ciderD(samples).perSample[i]).toBe(0);
  });

  it.runIf(loaded !== null)('CIDEr-D depends on the whole corpus: a subset gives different per-image values', () => {
    const { samples } = loaded!;
    const full = ciderD(samples).perSample[0];
    const part = ciderD(samples.slice(0, 10)).perSample[0];
    expect(Math.abs(full - part)).toBeGreaterThan(1e-6);
  });
});

describe('BLEU, hand-computed', () => {
  const t = splitTokens;

  it('clips counts to the largest count in one reference and picks the shorter reference on a length tie', () => {
    // Candidate "the the the" (3 words) vs refs "the cat" (2) and "the the dog sat" (4): distance 1 to both,
    // the tie picks 2, so no brevity penalty. Unigram "the" occurs at most twice in one reference: correct 2 of 3.
    const r = bleuScores([{ references: [t('the cat'), t('the the dog sat')], candidate: t('the the the') }]);
    expect(r.referenceLength).toBe(2);
    expect(r.testLength).toBe(3);
    expect(r.scores[0]).toBeCloseTo(2 / 3, 9);
    // Bigrams: "the the" x2 in the candidate, max 1 in a reference: 1 of 2. BLEU-2 = sqrt(2/3 * 1/2).
    expect(r.scores[1]).toBeCloseTo(Math.sqrt(1 / 3), 9);
  });

  it('applies the brevity penalty exp(1 - r/c) when the candidate is shorter than the closest reference', () => {
    const r = bleuScores([{ references: [t('a b c d')], candidate: t('a b') }]);
    expect(r.scores[0]).toBeCloseTo(Math.exp(1 - 4 / 2), 9);
    expect(r.perSample[0][0]).toBeCloseTo(Math.exp(1 - 2), 9);
  });

  it('sums counts over images for the corpus score (not a mean of per-image scores)', () => {
    const r = bleuScores([
      { references: [t('a b')], candidate: t('a b') },
      { references: [t('c d')], candidate: t('c x') },
    ]);
    expect(r.scores[0]).toBeCloseTo(3 / 4, 9);
    // 1e-9 in the denominators moves these by ~1e-9 from the exact fractions.
    expect(r.perSample.map((p) => p[0])).toEqual([expect.closeTo(1, 7), expect.closeTo(1 / 2, 7)]);
  });

  it('refuses a sample without references, naming it', () => {
    expect(() => bleuScores([{ id: 7, references: [], candidate: ['a'] }])).toThrow(/image 7/);
    expect(() => ciderD([{ references: [], candidate: ['a'] }])).toThrow(/sample 0/);
  });

  it('gives 0 for an empty corpus, and an empty candidate scores 0', () => {
    expect(bleuScores([]).scores).toEqual([0, 0, 0, 0]);
    expect(bleuScores([{ references: [t('a b')], candidate: [] }]).perSample[0]).toEqual([0, 0, 0, 0]);
    expect(Number.isNaN(ciderD([]).score)).toBe(true);
  });
});

describe('CIDEr-D, hand-computed', () => {
  const t = splitTokens;

  it('is 0 with one image (every idf is log 1 - log 1 = 0)', () => {
    expect(ciderD([{ references: [t('a b c')], candidate: t('a b c') }]).score).toBe(0);
  });

  it('gives 10 for a candidate equal to all its references when no n-gram is shared with other images', () => {
    const r = ciderD([
      { references: [t('a b c d e'), t('a b c d e')], candidate: t('a b c d e') },
      { references: [t('v w x y z')], candidate: t('q') },
    ]);
    expect(r.perSample[0]).toBeCloseTo(10, 12);
    expect(r.perSample[1]).toBe(0);
    expect(r.score).toBeCloseTo(5, 12);
  });

  it('penalises length with a Gaussian of sigma 6 over the bigram-count difference', () => {
    // Unigram-only agreement: candidate "a b" vs ref "a c": only order 1 overlaps.
    // idf(a) = idf(b) = idf(c) = log 2 (each in 1 of 2 images); unigram cosine = 1/2, bigram lengths equal.
    const r = ciderD([
      { references: [t('a c')], candidate: t('a b') },
      { references: [t('z')], candidate: t('z') },
    ]);
    expect(r.perSample[0]).toBeCloseTo((10 * 0.5) / 4, 12);
    // One more word in the candidate: delta = 1 bigram.
    const longer = ciderD([
      { references: [t('a c')], candidate: t('a b d') },
      { references: [t('z')], candidate: t('z') },
    ]);
    const unigramCos = Math.log(2) ** 2 / (Math.sqrt(3 * Math.log(2) ** 2) * Math.sqrt(2 * Math.log(2) ** 2));
    expect(longer.perSample[0]).toBeCloseTo((10 * unigramCos * Math.exp(-1 / 72)) / 4, 12);
  });

  it('clips the candidate tf-idf to the reference (repeating a word does not help)', () => {
    const base = [{ references: [t('x y')], candidate: t('x') }];
    const other = { references: [t('p q')], candidate: t('p q') };
    const once = ciderD([{ references: [t('a b c')], candidate: t('a b c') }, other, ...base]).perSample[0];
    const repeated = ciderD([{ references: [t('a b c')], candidate: t('a a a') }, other, ...base]).perSample[0];
    expect(repeated).toBeLessThan(once);
  });
});

describe('normalizeCaption', () => {
  it('lowercases, drops apostrophes, turns other punctuation into separators, splits on whitespace', () => {
    expect(normalizeCaption('A Dog, running!')).toEqual(['a', 'dog', 'running']);
    expect(normalizeCaption("The man's  dog don't  bark.")).toEqual(['the', 'mans', 'dog', 'dont', 'bark']);
    expect(normalizeCaption('a black-and-white cat\t(on a mat)')).toEqual(['a', 'black', 'and', 'white', 'cat', 'on', 'a', 'mat']);
    expect(normalizeCaption('“Quoted” text… yes')).toEqual(['quoted', 'text', 'yes']);
    expect(normalizeCaption('  ...  ')).toEqual([]);
  });

  it('keeps digits and symbols and compares composed and decomposed accents equal', () => {
    expect(normalizeCaption('2 cats + $5')).toEqual(['2', 'cats', '+', '$5']);
    expect(normalizeCaption('Cafe\u0301')).toEqual(normalizeCaption('Café'));
  });

  it('is applied to both sides by captionSamplesFromText', () => {
    const [s] = captionSamplesFromText([{ id: 1, references: ['A dog.'], candidate: 'a DOG' }]);
    expect(s.references).toEqual([['a', 'dog']]);
    expect(s.candidate).toEqual(['a', 'dog']);
    expect(bleuScores([s]).perSample[0][1]).toBeCloseTo(1, 7);
  });
});

describe('ciderD corpus score', () => {
  // coco-caption takes np.mean of the per-image scores: numpy's pairwise sum (plain under 8 terms, 8 running sums
  // up to 128, halves beyond), which rounds differently from a running sum. cocoIou's pairwiseSum is pinned to
  // numpy's own results (cocoIou.test.ts). These synthetic sets were picked so that a plain running sum, or a
  // sum blocked or split at other sizes, gives other last bits for n = 8, 128 and 400.
  const words = ['a', 'dog', 'cat', 'runs', 'on', 'the', 'grass', 'sits', 'red', 'ball', 'near', 'tree', 'with', 'man', 'woman'];
  const sentence = (s: number, len: number) => Array.from({ length: len }, (_, j) => words[(s * 7 + j * j * 3 + j) % words.length]);
  const samples = (n: number): CaptionSample[] =>
    Array.from({ length: n }, (_, i) => ({ references: [sentence(i, 5 + (i % 4)), sentence(i + 4, 6)], candidate: sentence(i + (i % 6), 4 + (i % 5)) }));

  it("is numpy's mean of the per-sample scores, to the last bit", () => {
    for (const n of [5, 8, 128, 400]) {
      const r = ciderD(samples(n));
      expect(r.perSample).toHaveLength(n);
      expect(r.score, `n = ${n}`).toBe(pairwiseSum(r.perSample, n) / n);
    }
  });
});
