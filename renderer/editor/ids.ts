/**
 * Ids for rows the editor creates. A step names its new rows before it is written (so a redo re-creates the same
 * ids and a retried write cannot create twice), so the editor keeps a pool of ids the server reserved for it.
 */
import type { EditorTransport } from './types.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';

/** A random token of `length` characters from [A-Za-z0-9_-] (step keys, client ids). */
export function randomToken(length = 20): string {
  const bytes = new Uint8Array(length);
  globalThis.crypto.getRandomValues(bytes);
  let s = '';
  for (const b of bytes) s += ALPHABET[b & 63];
  return s;
}

/**
 * Ids reserved with `edits.reserveIds`, handed out in increasing order. `take` is synchronous so a gesture can
 * become a step at pointer-up without waiting; the pool refills itself in the background when it runs below
 * half of `batch`.
 */
export class IdPool {
  private ranges: { next: number; end: number }[] = [];
  private inflight: Promise<void> | null = null;
  /** Bumped by `reset`: a reservation answered after it belongs to the project that was closed. */
  private generation = 0;

  constructor(
    private readonly transport: EditorTransport,
    private readonly table: 'annotations' | 'classes',
    private readonly batch = 256,
  ) {}

  get available(): number {
    return this.ranges.reduce((n, r) => n + r.end - r.next, 0);
  }

  /** `n` ids, or null when the pool holds fewer (call `ensure` and try again). */
  take(n: number): number[] | null {
    if (this.available < n) {
      this.refill();
      return null;
    }
    const out: number[] = [];
    while (out.length < n) {
      const r = this.ranges[0];
      const k = Math.min(n - out.length, r.end - r.next);
      for (let i = 0; i < k; i++) out.push(r.next + i);
      r.next += k;
      if (r.next === r.end) this.ranges.shift();
    }
    this.refill();
    return out;
  }

  /** Wait until the pool holds at least `n` ids. Throws what the server answered when it cannot reserve. */
  async ensure(n: number): Promise<void> {
    while (this.available < n) {
      if (this.inflight) {
        await this.inflight;
        continue;
      }
      await this.reserve(Math.max(this.batch, n - this.available));
    }
  }

  /** Top up in the background below half a batch; a failure is left for the next `take` or `ensure`. */
  refill(): void {
    if (this.inflight || this.available >= this.batch / 2) return;
    this.reserve(this.batch).catch(() => undefined);
  }

  /** Forget every id held: they were reserved in a project that is closed now. */
  reset(): void {
    this.ranges = [];
    this.generation++;
    this.inflight = null;
  }

  private reserve(count: number): Promise<void> {
    const generation = this.generation;
    const p = (async () => {
      try {
        let left = count;
        while (left > 0) {
          const ask = Math.min(left, 10_000);
          const { first, count: got } = await this.transport.call('edits.reserveIds', { table: this.table, count: ask });
          if (generation !== this.generation) return;
          if (got <= 0) throw new Error(`the server reserved no ${this.table} ids`);
          this.ranges.push({ next: first, end: first + got });
          left -= got;
        }
      } finally {
        if (generation === this.generation) this.inflight = null;
      }
    })();
    this.inflight = p;
    return p;
  }
}
