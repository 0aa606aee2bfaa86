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
