/**
 * Pages of a long server-side list, fetched only where the grid looks. Pages are cached by index and evicted
 * farthest-first past `maxPages`, so memory stays bounded at any list length.
 *
 * A page next to one already here (scrolling) is asked for after that page's last row or before its first (a keyset
 * cursor: the server seeks to the row, whatever the depth); any other page (a jump, a drag of the scrollbar) by
 * offset. Should the list have moved since the neighbour was read, the server's answer starts elsewhere than the page
 * would, and the page is asked for again by offset.
 *
 * `refresh()` is soft: cached pages stay on screen but count as stale, and are refetched as they are needed again,
 * so a grid refreshed after an import neither flashes nor loses its scroll position. A different filter or sort is
 * a different list: make a new cache.
 */
export interface PageResult<T> {
  total: number;
  items: T[];
  /** where the items start in the list (the answer to a cursor says so) */
  offset?: number;
  /** the first and last row, to ask for the pages next to this one */
  startCursor?: string | null;
  endCursor?: string | null;
}

/** The page just after or just before a row of a page already read. */
export type PageCursor = { after: string } | { before: string };

/** `cursor`, when given, stands for `offset`: the page next to a cached one. */
export type FetchPage<T> = (offset: number, limit: number, cursor?: PageCursor) => Promise<PageResult<T>>;

interface CachedPage<T> {
  generation: number;
  items: T[];
  startCursor: string | null;
  endCursor: string | null;
}

export class PageCache<T> {
  private readonly pages = new Map<number, CachedPage<T>>();
  /** page index → generation of the request in flight */
  private readonly inFlight = new Map<number, number>();
  private readonly listeners = new Set<() => void>();
  private generation = 0;
  private focusPage = 0;
  private _total: number | null = null;
  private _error: string | null = null;
  private _version = 0;

  constructor(
    private readonly fetchPage: FetchPage<T>,
    readonly pageSize = 200,
    private readonly maxPages = 100,
  ) {}

  /** Number of items in the list; null until the first page has answered. */
  get total(): number | null {
    return this._total;
  }

  get error(): string | null {
    return this._error;
  }

  /** Changes whenever anything readable changed (for useSyncExternalStore). */
  get version(): number {
    return this._version;
  }

  /** Bumped by `refresh()`; callers re-request their range when it changes. */
  get currentGeneration(): number {
    return this.generation;
  }

  get(index: number): T | undefined {
    return this.pages.get(Math.floor(index / this.pageSize))?.items[index % this.pageSize];
  }

  /** Fetch the pages covering [start, end) that are missing or stale. */
  ensureRange(start: number, end: number): void {
    const first = Math.max(0, Math.floor(start / this.pageSize));
    let last = Math.floor(Math.max(start, end - 1) / this.pageSize);
    if (this._total !== null) last = Math.min(last, Math.max(0, Math.ceil(this._total / this.pageSize) - 1));
    this.focusPage = (first + last) / 2;
    for (let p = first; p <= last; p++) {
      const cached = this.pages.get(p);
      if (cached && cached.generation === this.generation) continue;
      if (this.inFlight.get(p) === this.generation) continue;
      this.load(p);
    }
  }

  refresh(): void {
    this.generation++;
    this.emit();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private async load(page: number): Promise<void> {
    const generation = this.generation;
    this.inFlight.set(page, generation);
    try {
      const offset = page * this.pageSize;
      const cursor = this.cursorFor(page);
      let result = await this.fetchPage(offset, this.pageSize, cursor);
      // An answer to a request made before a refresh may predate the change that caused it.
      if (generation !== this.generation) return;
      if (cursor && result.offset !== undefined && result.offset !== offset) {
        // The list moved under the neighbour's row: the page is no longer just after (or before) it.
        result = await this.fetchPage(offset, this.pageSize);
        if (generation !== this.generation) return;
      }
      this.pages.set(page, { generation, items: result.items, startCursor: result.startCursor ?? null, endCursor: result.endCursor ?? null });
      this._total = result.total;
      this._error = null;
      this.evict();
    } catch (err) {
      if (generation !== this.generation) return;
      this._error = err instanceof Error ? err.message : String(err);
    } finally {
      if (this.inFlight.get(page) === generation) this.inFlight.delete(page);
    }
    this.emit();
  }

  /** A cursor from a neighbouring page read since the last refresh, if there is one. */
  private cursorFor(page: number): PageCursor | undefined {
    const before = this.pages.get(page - 1);
    if (before?.generation === this.generation && before.endCursor && before.items.length === this.pageSize) return { after: before.endCursor };
    const after = this.pages.get(page + 1);
    if (after?.generation === this.generation && after.startCursor) return { before: after.startCursor };
    return undefined;
  }

  private evict(): void {
    if (this.pages.size <= this.maxPages) return;
    const byDistance = [...this.pages.keys()].sort(
      (a, b) => Math.abs(b - this.focusPage) - Math.abs(a - this.focusPage),
    );
    for (const p of byDistance.slice(0, this.pages.size - this.maxPages)) this.pages.delete(p);
  }

  private emit(): void {
    this._version++;
    for (const l of [...this.listeners]) l();
  }
}
