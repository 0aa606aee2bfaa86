import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.js';
import { IdSet } from './idSet.js';

describe('IdSet', () => {
  it('answers as a Set<number> does, for dense, sparse, huge, negative and fractional ids', () => {
    const rand = mulberry32(5);
    const ids = new IdSet();
    const ref = new Set<number>();
    const pick = () => {
      const k = rand();
      if (k < 0.6) return Math.floor(rand() * 5000);
      if (k < 0.75) return Math.floor(rand() * 2 ** 30); // beyond the bitmap
      if (k < 0.85) return 900100000000 + Math.floor(rand() * 1000); // COCO's crowd ids
      if (k < 0.95) return -Math.floor(rand() * 100);
      return rand() * 10;
    };
    for (let i = 0; i < 20000; i++) {
      const id = pick();
      expect(ids.has(id), `has ${id}`).toBe(ref.has(id));
      if (rand() < 0.7) {
        ids.add(id);
        ref.add(id);
      }
    }
    for (const id of ref) expect(ids.has(id)).toBe(true);
    expect(ids.has(31)).toBe(ref.has(31));
  });

  it('grows past its first block and keeps what it held', () => {
    const ids = new IdSet().add(3).add(100_000).add(32);
    expect([ids.has(3), ids.has(32), ids.has(100_000), ids.has(4), ids.has(99_999)]).toEqual([true, true, true, false, false]);
  });
});

describe('IdSet at its edges', () => {
  it('keeps ids from the first word past the first block (1024 words × 32 = id 32768)', () => {
    // the first block holds ids 0 … 32767; 32768 is bit 0 of word 1024, the first word it must grow for
    const ids = new IdSet().add(32_768).add(32_799);
    expect([ids.has(32_767), ids.has(32_768), ids.has(32_799), ids.has(32_800)]).toEqual([false, true, true, false]);
  });

  it('grows to hold a word that is exactly twice the first block (word 2048, id 65536)', () => {
    const ids = new IdSet().add(65_536);
    expect([ids.has(65_536), ids.has(65_535), ids.has(65_537)]).toEqual([true, false, false]);
  });

  it('keeps DENSE_LIMIT itself (2^28) outside the bitmap, and finds it there', () => {
    expect(IdSet.DENSE_LIMIT).toBe(2 ** 28);
    const ids = new IdSet().add(2 ** 28).add(2 ** 28 - 1);
    expect([ids.has(2 ** 28), ids.has(2 ** 28 - 1), ids.has(2 ** 28 + 1), ids.has(2 ** 28 - 2)]).toEqual([true, true, false, false]);
  });

  it('is empty when new, and add returns the set itself', () => {
    const ids = new IdSet();
    expect([0, 1, 31, 32, -1, 0.5, 2 ** 40].map((i) => ids.has(i))).toEqual([false, false, false, false, false, false, false]);
    expect(ids.add(7)).toBe(ids);
    // bit 31 of a word (the sign bit of 1 << 31) works like any other
    ids.add(31).add(63);
    expect([ids.has(31), ids.has(63), ids.has(30), ids.has(62), ids.has(7)]).toEqual([true, true, false, false, true]);
  });
});
