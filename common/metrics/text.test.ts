import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.js';
import { codePoints, levenshtein, splitWords, textMetrics, textSampleMetrics } from './text.js';

describe('levenshtein', () => {
  it('matches hand-computed distances', () => {
    // kitten -> sitten (k->s) -> sittin (e->i) -> sitting (+g)
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('sitting', 'kitten')).toBe(3);
    expect(levenshtein('flaw', 'lawn')).toBe(2); // -f, +n
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('abc', '')).toBe(3);
    expect(levenshtein('', '')).toBe(0);
    expect(levenshtein(['the', 'cat'], ['the', 'cat'])).toBe(0);
  });

  it('agrees with the full-table definition on random strings', () => {
    const rand = mulberry32(42);
    const word = () => Array.from({ length: Math.floor(rand() * 9) }, () => 'abc'[Math.floor(rand() * 3)]).join('');
    const full = (a: string, b: string): number => {
      const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
      for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      }
      return d[a.length][b.length];
    };
    for (let t = 0; t < 300; t++) {
      const a = word();
      const b = word();
      expect(levenshtein(a, b)).toBe(full(a, b));
    }
  });
});

describe('CER and WER per sample', () => {
  it('kitten / sitting: 3 character edits over 6 reference characters; 1 word edit over 1 word', () => {
    expect(textSampleMetrics('kitten', 'sitting')).toEqual({ charEdits: 3, referenceChars: 6, wordEdits: 1, referenceWords: 1, cer: 0.5, wer: 1 });
  });

  it('counts words split on whitespace, punctuation and case kept', () => {
    // reference: the cat sat | hypothesis: the cat sit down -> sat->sit, +down = 2 word edits over 3.
    const r = textSampleMetrics('the cat  sat', ' the cat sit down\n');
    expect(r.wordEdits).toBe(2);
    expect(r.wer).toBeCloseTo(2 / 3, 15);
    expect(textSampleMetrics('Cat.', 'cat').charEdits).toBe(2);
    expect(splitWords('  a\tb\n c  ')).toEqual(['a', 'b', 'c']);
  });

  it('counts code points, not UTF-16 units', () => {
    expect('😀'.length).toBe(2);
    expect(codePoints('a😀b')).toHaveLength(3);
    expect(textSampleMetrics('😀', 'x')).toMatchObject({ charEdits: 1, referenceChars: 1, cer: 1 });
    expect(textSampleMetrics('a𝔘b', 'ab')).toMatchObject({ charEdits: 1, referenceChars: 3 });
  });

  it('compares composed and decomposed accents equal under NFC (the default), not without it', () => {
    expect(textSampleMetrics('café', 'cafe\u0301').charEdits).toBe(0);
    expect(textSampleMetrics('café', 'cafe\u0301', { normalization: 'none' }).charEdits).toBe(2);
    expect(textSampleMetrics('ﬁ', 'fi', { normalization: 'NFKC' }).charEdits).toBe(0);
  });

  it('empty references: rate 0 when the hypothesis is empty too, null (undefined) otherwise', () => {
    expect(textSampleMetrics('', '')).toMatchObject({ charEdits: 0, referenceChars: 0, cer: 0, wer: 0 });
    expect(textSampleMetrics('', 'ab c')).toMatchObject({ charEdits: 4, wordEdits: 2, cer: null, wer: null });
    expect(textSampleMetrics('   ', 'x')).toMatchObject({ referenceChars: 3, charEdits: 3, referenceWords: 0, wer: null });
    expect(textSampleMetrics('abc', '')).toMatchObject({ cer: 1, wer: 1 });
  });
});

describe('CER and WER over a corpus', () => {
  it('sums edits and reference lengths (not a mean of per-sample rates)', () => {
    const m = textMetrics([
      { reference: 'kitten', hypothesis: 'sitting' }, // 3 / 6 chars, 1 / 1 words
      { reference: 'hello world', hypothesis: 'hello world' }, // 0 / 11 chars, 0 / 2 words
      { reference: '', hypothesis: 'xy' }, // 2 insertions, 1 word insertion, adds no reference length
    ]);
    expect(m.charEdits).toBe(5);
    expect(m.referenceChars).toBe(17);
    expect(m.CER).toBeCloseTo(5 / 17, 15);
    expect(m.WER).toBeCloseTo(2 / 3, 15);
    expect(m.perSample.map((s) => s.cer)).toEqual([0.5, 0, null]);
  });

  it('is null with no samples, 0 or null when every reference is empty', () => {
    expect(textMetrics([])).toMatchObject({ CER: null, WER: null });
    expect(textMetrics([{ reference: '', hypothesis: '' }])).toMatchObject({ CER: 0, WER: 0 });
    expect(textMetrics([{ reference: '', hypothesis: 'a' }])).toMatchObject({ CER: null, WER: null });
  });

  it('does not depend on sample order', () => {
    const rand = mulberry32(7);
    const s = () => Array.from({ length: Math.floor(rand() * 12) }, () => 'ab c'[Math.floor(rand() * 4)]).join('');
    const samples = Array.from({ length: 20 }, () => ({ reference: s(), hypothesis: s() }));
    const a = textMetrics(samples);
    const b = textMetrics([...samples].reverse());
    expect(b.CER).toBe(a.CER);
    expect(b.WER).toBe(a.WER);
  });
});
