import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.js';
import { splitImages, targetSizes, type SplitItem } from './split.js';

/** A long-tailed dataset: class c is on about `counts[c]` images, images carry 0–3 classes. */
function dataset(seed: number, n: number, counts: number[]): SplitItem[] {
  const rand = mulberry32(seed);
  const items: SplitItem[] = Array.from({ length: n }, (_, i) => ({ id: 1000 + i * 3, classes: [] as string[] }));
  counts.forEach((count, c) => {
    const chosen = new Set<number>();
    while (chosen.size < Math.min(count, n)) chosen.add(Math.floor(rand() * n));
    for (const i of chosen) (items[i].classes as string[]).push(`class${c}`);
  });
  return items;
}

function bySplit(map: Map<number, string>, items: SplitItem[]) {
  const size = new Map<string, number>();
  const classes = new Map<string, Set<string>>();
  for (const it of items) {
    const s = map.get(it.id)!;
    size.set(s, (size.get(s) ?? 0) + 1);
    if (!classes.has(s)) classes.set(s, new Set());
    for (const c of it.classes) classes.get(s)!.add(c);
  }
  return { size, classes };
}

const F3 = { train: 0.7, val: 0.2, test: 0.1 };

describe('splitImages', () => {
  it('is deterministic for a seed, and another seed gives another split', () => {
    const items = dataset(1, 400, [3, 5, 8, 40, 120, 300]);
    const a = splitImages(items, F3, 42);
    const b = splitImages(items, F3, 42);
    expect([...a]).toEqual([...b]);
    const c = splitImages(items, F3, 43);
    const differ = items.filter((it) => a.get(it.id) !== c.get(it.id)).length;
    expect(differ).toBeGreaterThan(40);
  });

  it('assigns every image exactly once, to a named split', () => {
    const items = dataset(2, 250, [10, 60, 200]);
    const map = splitImages(items, F3, 1);
    expect(map.size).toBe(items.length);
    for (const it of items) expect(['train', 'val', 'test']).toContain(map.get(it.id));
  });

  it('sizes each split within 1 image of its fraction (property over sizes, fractions and seeds)', () => {
    const rand = mulberry32(5);
    for (let n = 0; n < 60; n++) {
      const N = Math.floor(rand() * 3000);
      const parts = 1 + Math.floor(rand() * 4);
      const fractions: Record<string, number> = {};
      for (let k = 0; k < parts; k++) fractions[`s${k}`] = rand() < 0.1 ? 0 : rand();
      if (Object.values(fractions).every((f) => f === 0)) fractions.s0 = 1;
      const sum = Object.values(fractions).reduce((a, b) => a + b, 0);
      const items = dataset(n, N, Array.from({ length: Math.floor(rand() * 12) }, () => Math.floor(rand() * N * 0.3)));
      const { size } = bySplit(splitImages(items, fractions, n), items);
      for (const [name, f] of Object.entries(fractions)) {
        expect(Math.abs((size.get(name) ?? 0) - (f / sum) * N)).toBeLessThan(1);
        if (f === 0) expect(size.get(name) ?? 0).toBe(0);
      }
    }
  });

  it('puts every class in every split when each class has at least as many images as there are splits', () => {
    for (let seed = 0; seed < 30; seed++) {
      const rand = mulberry32(seed + 100);
      // 25 classes, several with exactly 3 images (one per split), the rest long-tailed.
      const counts = Array.from({ length: 25 }, (_, c) => (c < 8 ? 3 : 3 + Math.floor(rand() * rand() * 150)));
      const items = dataset(seed, 300, counts);
      const { classes } = bySplit(splitImages(items, F3, seed), items);
      for (const s of ['train', 'val', 'test']) {
        for (let c = 0; c < counts.length; c++) expect([seed, s, c, classes.get(s)?.has(`class${c}`)]).toEqual([seed, s, c, true]);
      }
    }
  });

  it('covers a class of exactly as many images as splits even when those images also carry common classes', () => {
    const items: SplitItem[] = [];
    for (let i = 0; i < 100; i++) items.push({ id: i, classes: ['car'] });
    for (let i = 100; i < 103; i++) items.push({ id: i, classes: ['car', 'unicorn'] });
    for (let i = 103; i < 106; i++) items.push({ id: i, classes: ['unicorn2'] });
    for (let seed = 0; seed < 20; seed++) {
      const map = splitImages(items, F3, seed);
      expect(new Set([100, 101, 102].map((i) => map.get(i)))).toEqual(new Set(['train', 'val', 'test']));
      expect(new Set([103, 104, 105].map((i) => map.get(i)))).toEqual(new Set(['train', 'val', 'test']));
    }
  });

  it('keeps each common class near the fractions in every split (stratified)', () => {
    const items = dataset(9, 5000, [100, 400, 1500, 3000, 12]);
    const map = splitImages(items, F3, 3);
    const total = new Map<string, number>();
    const inSplit = new Map<string, number>();
    for (const it of items) {
      for (const c of it.classes) {
        total.set(c, (total.get(c) ?? 0) + 1);
        const k = `${c}/${map.get(it.id)}`;
        inSplit.set(k, (inSplit.get(k) ?? 0) + 1);
      }
    }
    for (const [c, n] of total) {
      if (n < 100) continue;
      for (const [s, f] of Object.entries(F3)) expect([c, s, Math.abs((inSplit.get(`${c}/${s}`) ?? 0) / n - f) < 0.03]).toEqual([c, s, true]);
    }
  });

  it('takes fractions as weights, and handles tiny and empty sets', () => {
    const items = dataset(4, 10, [4]);
    const { size } = bySplit(splitImages(items, { train: 8, val: 2 }, 0), items);
    expect(Object.fromEntries(size)).toEqual({ train: 8, val: 2 });
    expect(splitImages([], F3, 1).size).toBe(0);
    expect([...splitImages([{ id: 5, classes: ['a'] }], F3, 1)]).toEqual([[5, 'train']]);
  });

  it('refuses what is not a split', () => {
    expect(() => splitImages([], {}, 1)).toThrow(/at least one part/);
    expect(() => splitImages([], { train: -1 }, 1)).toThrow(/from 0/);
    expect(() => splitImages([], { train: Number.NaN }, 1)).toThrow(/from 0/);
    expect(() => splitImages([], { train: 0, val: 0 }, 1)).toThrow(/add up to 0/);
    expect(() => splitImages([{ id: 1, classes: [] }, { id: 1, classes: [] }], F3, 1)).toThrow(/image 1 is listed twice/);
  });
});

describe('targetSizes', () => {
  it('adds up to n with each size within 1 of fraction × n', () => {
    expect(targetSizes([0.7, 0.2, 0.1], 10)).toEqual([7, 2, 1]);
    expect(targetSizes([0.5, 0.5], 3)).toEqual([2, 1]);
    expect(targetSizes([1 / 3, 1 / 3, 1 / 3], 10)).toEqual([4, 3, 3]);
    expect(targetSizes([0, 1], 5)).toEqual([0, 5]);
  });
});

describe('splitImages, worked by hand', () => {
  it('refuses bad fractions with messages that name them', () => {
    expect(() => splitImages([], { train: 1, val: -0.5 }, 1)).toThrow('the split fraction of "val" must be a number from 0, got -0.5');
    expect(() => splitImages([], { train: Number.POSITIVE_INFINITY }, 1)).toThrow(/"train" must be a number from 0, got Infinity/);
    expect(() => splitImages([], { train: 0 }, 1)).toThrow('the split fractions add up to 0');
    // 0 alone is a fine weight when another is positive
    expect([...splitImages([{ id: 1, classes: [] }], { val: 0, train: 1 }, 1)]).toEqual([[1, 'train']]);
  });

  it('gives a split of weight 0 no image, even one carrying a class', () => {
    const items: SplitItem[] = [{ id: 1, classes: ['a'] }, { id: 2, classes: ['a'] }, { id: 3, classes: ['b'] }];
    for (let seed = 0; seed < 10; seed++) {
      expect([...splitImages(items, { train: 1, val: 0 }, seed).values()]).toEqual(['train', 'train', 'train']);
    }
  });

  it('sends the one image of a class to the largest split, and two images to the two largest', () => {
    // 10 images, 0.7/0.2/0.1 → sizes 7, 2, 1
    const items: SplitItem[] = Array.from({ length: 10 }, (_, i) => ({ id: i, classes: i === 4 ? ['one'] : i === 6 || i === 8 ? ['two'] : [] }));
    for (let seed = 0; seed < 20; seed++) {
      const map = splitImages(items, { test: 0.1, val: 0.2, train: 0.7 }, seed);
      expect(map.get(4)).toBe('train');
      expect(new Set([map.get(6), map.get(8)])).toEqual(new Set(['train', 'val']));
      expect([...map.values()].filter((s) => s === 'test')).toHaveLength(1);
    }
  });

  it('breaks a tie between equally large splits by their order', () => {
    const items: SplitItem[] = [{ id: 1, classes: ['r'] }, { id: 2, classes: [] }];
    for (let seed = 0; seed < 10; seed++) {
      expect([...splitImages(items, { x: 1, y: 1 }, seed)]).toEqual([[1, 'x'], [2, 'y']]);
      expect([...splitImages(items, { y: 1, x: 1 }, seed)]).toEqual([[1, 'y'], [2, 'x']]);
    }
  });

  it('covers a split with the image that also brings another class the split lacks', () => {
    // A is on i1 and i2, B on i2, i3 and i4. A (rarer) is covered first: the first split takes i2 (brings A and B),
    // the second i1; then B is covered in the second split by i3 or i4, and the last image fills the first split.
    const items: SplitItem[] = [
      { id: 1, classes: ['A'] },
      { id: 2, classes: ['A', 'B'] },
      { id: 3, classes: ['B'] },
      { id: 4, classes: ['B'] },
    ];
    for (let seed = 0; seed < 20; seed++) {
      const map = splitImages(items, { p: 0.5, q: 0.5 }, seed);
      expect([map.get(2), map.get(1)]).toEqual(['p', 'q']);
      expect(new Set([map.get(3), map.get(4)])).toEqual(new Set(['p', 'q']));
    }
  });

  it('ignores repeated classes on an image', () => {
    const items: SplitItem[] = [{ id: 1, classes: ['a', 'a', 'a'] }, { id: 2, classes: ['a'] }, { id: 3, classes: [] }, { id: 4, classes: [] }];
    for (let seed = 0; seed < 10; seed++) {
      const map = splitImages(items, { p: 1, q: 1 }, seed);
      expect(map.get(1)).not.toBe(map.get(2));
    }
  });
});

describe('targetSizes, worked by hand', () => {
  it('gives the leftover images to the largest remainders, earlier splits first on ties, never to a weight of 0', () => {
    // 3.4 and 6.6: floors 3 and 6, the one left goes to the larger remainder (0.6)
    expect(targetSizes([0.34, 0.66], 10)).toEqual([3, 7]);
    expect(targetSizes([0.66, 0.34], 10)).toEqual([7, 3]);
    // 0.5 and 1.5: a tie, the earlier split gets it
    expect(targetSizes([0.25, 0.75], 2)).toEqual([1, 1]);
    // 1/3 each of 2: two leftovers to the first two
    expect(targetSizes([1 / 3, 1 / 3, 1 / 3], 2)).toEqual([1, 1, 0]);
    expect(targetSizes([0, 0.5, 0.5], 1)).toEqual([0, 1, 0]);
    expect(targetSizes([0.5, 0.5], 0)).toEqual([0, 0]);
    expect(targetSizes([1], 7)).toEqual([7]);
  });
});
