/**
 * Train/val/test splits for dataset exports (issue 8): deterministic for a seed, sized by the fractions, and
 * stratified so every class reaches every split where the images allow it.
 *
 * Sizes are fixed first (largest remainders, so each split is within 1 image of fraction × count). Then two
 * passes, rarest classes first, because a random split of 2 images of a rare class sends both to train about
 * two times in three:
 *   1. coverage: for each class and each split that lacks it, one image carrying it goes there, preferring
 *      images that also bring classes the split lacks;
 *   2. the rest, one image at a time (iterative stratification, Sechidis et al. 2011): the split that most
 *      wants the image's rarest class, then the one with the most room.
 * Ties are broken by a seeded shuffle (mulberry32), so the same seed always gives the same split.
 */
import { mulberry32 } from '../random.js';

export interface SplitItem {
  id: number;
  /** The classes the image carries (repeats are ignored). */
  classes: readonly string[];
}

/**
 * The split of each image: a Map from image id to a key of `fractions`. Fractions are weights: they are
 * divided by their sum (train 8, val 2 is train 0.8, val 0.2); splits with weight 0 get no image.
 */
export function splitImages(items: readonly SplitItem[], fractions: Record<string, number>, seed: number): Map<number, string> {
  const names = Object.keys(fractions);
  if (names.length === 0) throw new Error('a split needs at least one part (e.g. train=0.8,val=0.2)');
  for (const n of names) {
    const f = fractions[n];
    if (!Number.isFinite(f) || f < 0) throw new Error(`the split fraction of "${n}" must be a number from 0, got ${f}`);
  }
  const sum = names.reduce((s, n) => s + fractions[n], 0);
  if (!(sum > 0)) throw new Error('the split fractions add up to 0');
  const frac = names.map((n) => fractions[n] / sum);
  const seen = new Set<number>();
  for (const it of items) {
    if (seen.has(it.id)) throw new Error(`image ${it.id} is listed twice`);
    seen.add(it.id);
  }

  const N = items.length;
  const K = names.length;
  const capacity = targetSizes(frac, N);
  const rand = mulberry32(seed);

  // A seeded order of the images: every later tie is broken by it.
  const order = items.map((_, i) => i);
  for (let i = N - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const rank = new Int32Array(N);
  order.forEach((item, r) => (rank[item] = r));

  // Classes as numbers, counted; each image's classes, and the images of each class.
  const classIds = new Map<string, number>();
  const imageClasses: number[][] = items.map((it) => {
    const set = new Set<number>();
    for (const c of it.classes) {
      let id = classIds.get(c);
      if (id === undefined) classIds.set(c, (id = classIds.size));
      set.add(id);
    }
    return [...set];
  });
  const C = classIds.size;
  const total = new Int32Array(C);
  const imagesOf: number[][] = Array.from({ length: C }, () => []);
  for (const i of order) for (const c of imageClasses[i]) {
    total[c]++;
    imagesOf[c].push(i);
  }
  // Rarest first; ties in a seeded order, not by name, so no class is always served first.
  const classOrder = Array.from({ length: C }, (_, c) => c);
  const classTie = classOrder.map(() => rand());
  classOrder.sort((a, b) => total[a] - total[b] || classTie[a] - classTie[b]);

  const assigned = new Int32Array(N).fill(-1);
  const size = new Int32Array(K);
  const have: Int32Array[] = Array.from({ length: K }, () => new Int32Array(C)); // have[split][class]
  const unassignedOf = new Int32Array(C); // images of a class not yet placed
  for (let c = 0; c < C; c++) unassignedOf[c] = total[c];
  const place = (i: number, s: number) => {
    assigned[i] = s;
    size[s]++;
    for (const c of imageClasses[i]) {
      have[s][c]++;
      unassignedOf[c]--;
    }
  };

  // 1. Coverage. A class with fewer images than splits covers the largest splits first.
  const splitsBySize = Array.from({ length: K }, (_, s) => s).sort((a, b) => capacity[b] - capacity[a] || a - b);
  for (const c of classOrder) {
    for (const s of splitsBySize) {
      if (have[s][c] > 0 || size[s] >= capacity[s]) continue;
      // Images of c still free, scored by what they bring to s and what they would take from other splits.
      let best = -1, bestScore = -Infinity;
      for (const i of imagesOf[c]) {
        if (assigned[i] >= 0) continue;
        let score = 0;
        for (const d of imageClasses[i]) {
          if (have[s][d] === 0) score += 1;
          // Taking the last free images of a class that other splits still lack costs them that class.
          let lacking = 0;
          for (let t = 0; t < K; t++) if (t !== s && have[t][d] === 0 && size[t] < capacity[t]) lacking++;
          if (lacking > 0 && unassignedOf[d] <= lacking) score -= 2;
        }
        if (score > bestScore || (score === bestScore && rank[i] < rank[best])) {
          bestScore = score;
          best = i;
        }
      }
      if (best < 0) break; // no free image of c left
      place(best, s);
    }
  }

  // 2. The rest, images of rare classes first, then images without classes.
  const rarest = (i: number) => {
    let r = -1;
    for (const c of imageClasses[i]) if (r < 0 || total[c] < total[r]) r = c;
    return r;
  };
  const rest = order.filter((i) => assigned[i] < 0);
  const key = rest.map((i) => {
    const r = rarest(i);
    return r < 0 ? Infinity : total[r];
  });
  const restOrder = rest.map((_, k) => k).sort((a, b) => key[a] - key[b] || rank[rest[a]] - rank[rest[b]]);
  for (const k of restOrder) {
    const i = rest[k];
    const r = rarest(i);
    let best = -1, bestWant = -Infinity, bestRoom = -Infinity;
    for (let s = 0; s < K; s++) {
      const room = capacity[s] - size[s];
      if (room <= 0) continue;
      // How many more images of the rarest class this split should hold than it does.
      const want = r < 0 ? 0 : frac[s] * total[r] - have[s][r];
      const roomShare = room / Math.max(1, capacity[s]);
      if (want > bestWant + 1e-9 || (Math.abs(want - bestWant) <= 1e-9 && roomShare > bestRoom)) {
        best = s;
        bestWant = want;
        bestRoom = roomShare;
      }
    }
    place(i, best);
  }

  const out = new Map<number, string>();
  items.forEach((it, i) => out.set(it.id, names[assigned[i]]));
  return out;
}

/** Whole sizes adding up to n, each within 1 of fraction × n (largest remainders, earlier splits first on ties). */
export function targetSizes(frac: readonly number[], n: number): number[] {
  const exact = frac.map((f) => f * n);
  const sizes = exact.map(Math.floor);
  let left = n - sizes.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((e, s) => s).sort((a, b) => exact[b] - sizes[b] - (exact[a] - sizes[a]) || a - b);
  for (const s of byRemainder) {
    if (left <= 0) break;
    if (frac[s] === 0) continue;
    sizes[s]++;
    left--;
  }
  return sizes;
}
