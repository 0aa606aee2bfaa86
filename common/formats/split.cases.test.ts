import { describe, expect, it } from 'vitest';
import { splitImages, type SplitItem } from './split.js';

/** Images from class lists: image k + 1 carries the classes of `spec[k]` ('AC' is A and C, '-' is none). */
function images(...spec: string[]): SplitItem[] {
  return spec.map((s, k) => ({ id: k + 1, classes: s === '-' ? [] : [...s] }));
}

/** For each class, the splits it reached, as a sorted string ('pq'). */
function reach(items: SplitItem[], map: Map<number, string>): Record<string, string> {
  const out: Record<string, Set<string>> = {};
  for (const it of items) for (const c of it.classes) (out[c] ??= new Set()).add(map.get(it.id)!);
  return Object.fromEntries(Object.entries(out).map(([c, s]) => [c, [...s].sort().join('')]));
}

/** How many images of `cls` each split got. */
function countsOf(items: SplitItem[], map: Map<number, string>, cls: string | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const it of items) {
    if (cls === null ? it.classes.length > 0 : !it.classes.includes(cls)) continue;
    const s = map.get(it.id)!;
    out[s] = (out[s] ?? 0) + 1;
  }
  return out;
}

function sizes(map: Map<number, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of map.values()) out[s] = (out[s] ?? 0) + 1;
  return out;
}

const SEEDS = Array.from({ length: 24 }, (_, s) => s);

describe('splitImages coverage pass, worked by hand', () => {
  it('covers the rarest class first, and will not spend the last free image of a class another split lacks', () => {
    // Weights 3:1:1 of 3 images → sizes p 2, q 1, r 0. B (1 image) is served first: image 2 (BC) → p.
    // Then A (2 images) needs p: image 1 (A) scores 1; image 3 (AC) scores 1 for A but C is on one free image
    // (3) and q still lacks C, so taking it costs q that class: 1 − 2 = −1. Image 1 → p, image 3 → q.
    // Every class reaches every split its images allow: A p,q; B p; C p,q. Serving A before B, or skipping the
    // penalty, puts image 3 in p and leaves C out of q.
    const items = images('A', 'BC', 'AC');
    for (const seed of SEEDS) {
      const map = splitImages(items, { p: 3, q: 1, r: 1 }, seed);
      expect([seed, ...map]).toEqual([seed, [1, 'p'], [2, 'p'], [3, 'q']]);
      expect(reach(items, map)).toEqual({ A: 'pq', B: 'p', C: 'pq' });
    }
  });

  it('counts only the other splits as losing a class, not the split being covered', () => {
    // Weights 1:1 of 4 → 2 and 2. A (image 4) → p. B and C (2 images each), either first: for p, image 3 (BC)
    // brings two classes p lacks (score 2, no penalty: each of B and C still has 2 free images and only q lacks
    // them) and beats 1 (C) or 2 (B). Then q takes 1 and 2. Result p {3, 4}, q {1, 2}: B and C in both splits.
    const items = images('C', 'B', 'BC', 'A');
    for (const seed of SEEDS) {
      const map = splitImages(items, { p: 1, q: 1 }, seed);
      expect([seed, ...map]).toEqual([seed, [1, 'q'], [2, 'q'], [3, 'p'], [4, 'p']]);
      expect(reach(items, map)).toEqual({ A: 'p', B: 'pq', C: 'pq' });
    }
  });

  it('counts a split as lacking a class only while it has room', () => {
    // Weights 1:2 of 3 → p 1, q 2; q is covered first. A (image 2, AC) → q. B and C (2 images each): for q,
    // image 1 (B) scores 1; image 3 (BC) scores 1 for B, 0 for C (q has it), and −2 because 3 is the last free C
    // and p, which has room, lacks C. So 1 → q and 3 → p: B and C in both splits.
    const items = images('B', 'AC', 'BC');
    for (const seed of SEEDS) {
      const map = splitImages(items, { p: 1, q: 2 }, seed);
      expect([seed, ...map]).toEqual([seed, [1, 'q'], [2, 'q'], [3, 'p']]);
      expect(reach(items, map)).toEqual({ A: 'q', B: 'pq', C: 'pq' });
    }
  });

  it('does not count a split that can take no image (weight too small for a whole image) as lacking', () => {
    // 0.7/0.2/0.1 of 4 → p 3, q 1, r 0. B (image 2, ABD) → p, C (image 1, CD) → p. A and D (3 images each):
    // q lacks A; image 3 (A) scores 1, image 4 (AD) scores 2 (q lacks A and D). r has no room, so D's last free
    // image costs nobody anything: 4 → q, 3 → p. Counting r would send 3 to q and keep D out of q.
    const items = images('CD', 'ABD', 'A', 'AD');
    for (const seed of SEEDS) {
      const map = splitImages(items, { p: 0.7, q: 0.2, r: 0.1 }, seed);
      expect([seed, ...map]).toEqual([seed, [1, 'p'], [2, 'p'], [3, 'p'], [4, 'q']]);
      expect(reach(items, map)).toEqual({ A: 'pq', B: 'p', C: 'p', D: 'pq' });
    }
  });

  it('does not count a split that already has the class as losing it', () => {
    // Weights 1:2 of 4 → p 1, q 3. D (image 3, AD) → q, so q has A. A and C (3 images each) in either order end
    // with A and C in both splits: when p is covered, an AC image is the right pick even when it holds the last
    // free A, since q already has A. (Which AC image goes to p depends on the seed.)
    const items = images('AC', 'C', 'AD', 'AC');
    for (const seed of SEEDS) {
      const map = splitImages(items, { p: 1, q: 2 }, seed);
      expect([seed, reach(items, map)]).toEqual([seed, { A: 'pq', C: 'pq', D: 'q' }]);
      expect(map.get(3)).toBe('q');
      expect(['1', '4']).toContain([...map].filter(([, s]) => s === 'p').map(([id]) => String(id)).join());
    }
  });

  it('prefers the image that brings a class the split lacks over one whose other class it already has', () => {
    // 3:1:1 of 4 → p 2, q 1, r 1. C (image 2, AC) → p, so p has A. A, B and D have 2 images each, so each can
    // reach 2 splits, and C one: 7 (class, split) pairs at most. Whatever the seeded order of A, B and D, the
    // coverage pass gets all 7; scoring p's A as new again can tie image 3 (AB) with image 1 for p and lose one.
    const items = images('BD', 'AC', 'AB', 'D');
    for (const seed of SEEDS) {
      const r = reach(items, splitImages(items, { p: 3, q: 1, r: 1 }, seed));
      expect([seed, r.A.length, r.B.length, r.C.length, r.D.length]).toEqual([seed, 2, 2, 1, 2]);
    }
  });
});

describe('splitImages stratification pass, worked by hand', () => {
  it('sends an image of a class to the split that wants the class most, not to the one with most room', () => {
    // Weights 1:2 of 5 → p 2, q 3. A on 4 images: coverage puts one in p and one in q. The two left want
    // q (2/3 × 4 − 1 = 1.67 against p's 1/3 × 4 − 1 = 0.33), then q again (0.67 > 0.33): A is 1 in p and 3 in q
    // (4/3 and 8/3 rounded), and the image without a class fills p. By room alone A would be 2 and 2.
    const items = images('A', 'A', '-', 'A', 'A');
    for (const seed of SEEDS) {
      const map = splitImages(items, { p: 1, q: 2 }, seed);
      expect([seed, countsOf(items, map, 'A'), map.get(3)]).toEqual([seed, { p: 1, q: 3 }, 'p']);
    }
  });

  it('places images of a class before images without one', () => {
    // 1:2 of 5 → p 2, q 3. A on 3 images: one each to q and p by coverage; the third wants q (2 − 1 = 1, p 0)
    // and is placed before the two images without a class, which take what is left. A ends 1 in p, 2 in q.
    const items = images('A', '-', 'A', 'A', '-');
    for (const seed of SEEDS) {
      const map = splitImages(items, { p: 1, q: 2 }, seed);
      expect([seed, countsOf(items, map, 'A'), sizes(map)]).toEqual([seed, { p: 1, q: 2 }, { p: 2, q: 3 }]);
    }
  });

  it('stratifies an image by its rarest class, whatever order its classes are listed in', () => {
    // 1:1 of 6 → 3 and 3. C is on every image, R on images 1–4. R (4) is covered first: one R image to each split
    // (each also brings C). The two other R images go first in the rest (key 4 < 6): the first ties on want
    // (2 − 1 each) and room and goes to p, the second wants q (1 against 0). R ends 2 and 2; the C-only images
    // fill up. Stratifying by C (listed first) would treat every image alike and could put 3 R images together.
    const items: SplitItem[] = [1, 2, 3, 4, 5, 6].map((id) => ({ id, classes: id <= 4 ? ['C', 'R'] : ['C'] }));
    for (const seed of SEEDS) {
      const map = splitImages(items, { p: 1, q: 1 }, seed);
      expect([seed, countsOf(items, map, 'R')]).toEqual([seed, { p: 2, q: 2 }]);
    }
  });

  it('breaks a tie in want by the share of room left, and a tie in both by split order', () => {
    // 1:1 of 5 → p 3, q 2. A on 3, 4, 5; B on 1–4. A first: p takes an AB image (brings B too), q the other.
    // Rest: image 5 (A, key 3) wants p and q alike (1.5 − 1); p has 2 of 3 left (0.67), q 1 of 2 (0.5): p.
    // Then the B images (1, 2) want 2 − 1 = 1 in both: q has the larger share of room (0.5 against 0.33), then p.
    const items = images('B', 'B', 'AB', 'AB', 'A');
    for (const seed of SEEDS) {
      const map = splitImages(items, { p: 1, q: 1 }, seed);
      expect([seed, map.get(5), new Set([map.get(1), map.get(2)]).size, countsOf(items, map, 'B')]).toEqual([seed, 'p', 2, { p: 2, q: 2 }]);
    }
    // 1:1 of 6 → 3 and 3. A on 1–3: one to each split; the third ties on want (1.5 − 1) and on room (2 of 3):
    // the earlier split, p, gets it.
    const three = images('A', 'A', 'A', '-', '-', '-');
    for (const seed of SEEDS) expect([seed, countsOf(three, splitImages(three, { p: 1, q: 1 }, seed), 'A')]).toEqual([seed, { p: 2, q: 1 }]);
  });

  it('lets want decide before room', () => {
    // 2:1 of 5 → p 3, q 2. B (image 4) → p; A (1–3): one to p, one to q. The last A image wants p
    // (2/3 × 3 − 1 = 1 against q's 0) although q has the larger share of room (1 of 2 against 1 of 3).
    // A ends 2 in p and 1 in q; the image without a class (5) takes q's last place.
    const items = images('A', 'A', 'A', 'B', '-');
    for (const seed of SEEDS) {
      const map = splitImages(items, { p: 2, q: 1 }, seed);
      expect([seed, countsOf(items, map, 'A'), map.get(4), map.get(5)]).toEqual([seed, { p: 2, q: 1 }, 'p', 'q']);
    }
  });
});

describe('splitImages seeded order, pinned', () => {
  it('deals images without classes along the seeded order so each split keeps its share of room', () => {
    // Weights 3:1 of 8 → p 6, q 2. Along the seeded order the choice by share of room left is
    // p (1 = 1, earlier wins), q (5/6 < 1), p, p, p (3/6 = 1/2, earlier wins), q (2/6 < 1/2), p, p: the 2nd and 6th
    // image of the order go to q. The order (a Fisher–Yates shuffle of positions driven by mulberry32(seed)) is
    // 4,7,3,5,6,1,0,2 for seed 0 → ids 8 and 2; 2,1,6,7,4,3,0,5 for seed 1 → ids 2 and 4; 4,0,7,3,6,1,2,5 for
    // seed 2 → ids 1 and 2.
    const items = images('-', '-', '-', '-', '-', '-', '-', '-');
    const inQ = (seed: number) => [...splitImages(items, { p: 3, q: 1 }, seed)].filter(([, s]) => s === 'q').map(([id]) => id);
    expect(inQ(0)).toEqual([2, 8]);
    expect(inQ(1)).toEqual([2, 4]);
    expect(inQ(2)).toEqual([1, 2]);
    for (const seed of SEEDS) expect(sizes(splitImages(items, { p: 3, q: 1 }, seed))).toEqual({ p: 6, q: 2 });
  });

  it('covers a split with the first image of the seeded order when images score alike', () => {
    // Weights 1:1 of 2; both images carry only A and score alike for p, so p takes the one the seeded order puts
    // first. For 2 images the shuffle is one draw: below 0.5 it swaps them (image 2 first). The first draw of
    // mulberry32(seed) for seeds 0–11 gives image 2, 1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1 first.
    const items = images('A', 'A');
    const inP = SEEDS.slice(0, 12).map((seed) => [...splitImages(items, { p: 1, q: 1 }, seed)].find(([, s]) => s === 'p')![0]).join('');
    expect(inP).toBe('211111122211');
  });

  it('serves classes of equal size in a seeded order, so neither always gets the larger split', () => {
    // Weights 1:1 of 2 → 1 and 1. A and B have one image each; the class served first takes p. The order of
    // classes of equal size comes from the draws after the shuffle (here 1 draw): A first when the 2nd draw of
    // mulberry32(seed) is below the 3rd, for seeds 0–11: A A B A B B A A B B B A.
    const items = images('A', 'B');
    const first = SEEDS.slice(0, 12).map((seed) => (splitImages(items, { p: 1, q: 1 }, seed).get(1) === 'p' ? 'A' : 'B')).join('');
    expect(first).toBe('AABABBAABBBA');
    for (const seed of SEEDS) expect(sizes(splitImages(items, { p: 1, q: 1 }, seed))).toEqual({ p: 1, q: 1 });
  });
});
