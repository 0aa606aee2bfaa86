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
