/** Queries over `images` for the grid and the viewer: paged lists, neighbours, review status. */
import type { Database, Statement } from 'better-sqlite3';
import { ApiError, type FolderCount, type ImageFilter, type ImageFolders, type ImageRow, type ImageSort, type ReviewStatus } from '../../../common/api/contract.js';
import { ChangeCounter, compareKeys, decodeCursor, encodeCursor, listSignature, type Depends, type Key } from './keyset.js';

interface ImageRecord {
  id: number;
  root_id: number;
  rel_path: string;
  width: number;
  height: number;
  orientation: number;
  format: string;
  byte_size: number;
  mtime_ms: number;
  content_hash: string;
  status: ReviewStatus;
  missing: number;
  added_at: number;
  annotation_count: number;
  indexed: number;
}

const COLUMNS = `i.id, i.root_id, i.rel_path, i.width, i.height, i.orientation, i.format, i.byte_size, i.mtime_ms,
  i.content_hash, i.status, i.missing, i.added_at, i.annotation_count, i.indexed`;

/**
 * Sort keys end in a unique column (`id`, or `(root_id, rel_path)`, unique in the schema), so every sort is a total
 * order: OFFSET pages, keyset pages and neighbours all agree. No key is ever NULL (a row-value comparison with a
 * NULL matches nothing): evaluation keys read `image_errors` (migration 0005) for the run, and an image it has no
 * number for gets a sentinel that sorts last in either direction. The run id is a validated integer, so it is
 * written into the SQL.
 */
function sortKeys(sort: ImageSort): string[] {
  const evalKey = (column: string) => {
    const v = `(SELECT e.${column} FROM image_errors e WHERE e.run_id = ${Math.trunc(sort.runId ?? 0)} AND e.image_id = i.id)`;
    return [`coalesce(${v}, ${sort.dir === 'desc' ? -1e308 : 1e308})`, 'i.id'];
  };
  switch (sort.by) {
    case 'path':
      return ['i.root_id', 'i.rel_path'];
    case 'mtime':
      return ['i.mtime_ms', 'i.id'];
    case 'size':
      return ['i.byte_size', 'i.id'];
    case 'added':
      return ['i.id'];
    case 'status':
      return ['i.status', 'i.root_id', 'i.rel_path'];
    case 'errors':
      return evalKey('errors');
    case 'meanIou':
      return evalKey('mean_iou');
    case 'mIoU':
      return evalKey('miou');
    case 'captionScore':
      return evalKey('caption_score');
  }
}

const EVAL_SORTS: readonly ImageSort['by'][] = ['errors', 'meanIou', 'mIoU', 'captionScore'];
const isEvalSort = (sort: ImageSort) => EVAL_SORTS.includes(sort.by);

/**
 * A page of images. `startCursor` / `endCursor` name its first and last row: pass one as `before` / `after` for the
 * page next to it.
 */
export interface ImagePage {
  total: number;
  offset: number;
  items: ImageRow[];
  startCursor: string | null;
  endCursor: string | null;
}

/** How one list (filter + sort) is read; see ImagesRepo.plan. */
interface ListPlan {
  /** SQL of the sort key, unique column last */
  keys: string[];
  asc: boolean;
  /**
   * Leading key columns the filter holds to one value (status, root): keyset comparisons leave them out when the key
   * has those values, since SQLite seeks on an equality plus a row value on the columns after it, but not on a row
   * value over the equality's column.
   */
  fixed: (number | string)[];
  filter: ImageFilter;
  /** the filter's conditions, without WHERE ('' for none) */
  where: string;
  params: unknown[];
  /** names the filter + sort (cursors, caches), and the filter alone (counts) */
  sig: string;
  countSig: string;
  evalSort: boolean;
  /** what the list reads, and what its filter reads, as of now; null: nothing about it is cached */
  stamp: string | null;
  countStamp: string | null;
}

/** A page row with its sort key as k0, k1, … */
type KeyedRecord = ImageRecord & Record<`k${number}`, number | string>;

/** The key of every SAMPLE_EVERY-th row of a list, from the first; `complete` once the end was reached. */
interface Samples {
  stamp: string;
  keys: Key[];
  complete: boolean;
}

/**
 * Rows between two sampled keys. A position costs a count of at most this many rows, a jump an OFFSET of at most this
 * many; 1M images keep 1,000 keys per list.
 */
const SAMPLE_EVERY = 1000;
/** Lists whose samples and counts are kept (each filter + sort the grid or viewer used lately). */
const MAX_CACHED_LISTS = 8;
const MAX_STATEMENTS = 200;

type Op = 'after' | 'from' | 'before' | 'through';
/** Comparison operators in list order, for ascending and descending sorts. */
const OPS: Record<Op, [string, string]> = { after: ['>', '<'], from: ['>=', '<='], before: ['<', '>'], through: ['<=', '>='] };

const keyColumns = (plan: ListPlan) => plan.keys.map((k, j) => `${k} AS k${j}`).join(', ');
const keyOf = (r: KeyedRecord, n: number): Key => Array.from({ length: n }, (_, j) => r[`k${j}`]);
/** A keyset comparison: its SQL and the values it takes. */
interface Cond {
  sql: string;
  values: Key;
  /** the comparison bounds `rel_path` from below / above (it comes first among the columns compared) */
  low: boolean;
  high: boolean;
}

/**
 * `(keys) op (?, …)` against `key`: a row-value comparison, which SQLite answers with a range of the sort's index.
 * Leading columns the filter fixes are left out when `key` has their values (it is in the filtered list, or could be).
 */
function cond(plan: ListPlan, op: Op, key: Key): Cond {
  const lead = plan.fixed.every((v, j) => key[j] === v) ? plan.fixed.length : 0;
  const cols = plan.keys.slice(lead);
  const sign = OPS[op][plan.asc ? 0 : 1];
  const bounds = cols[0] === 'i.rel_path';
  return {
    sql: cols.length === 1 ? `${cols[0]} ${sign} ?` : `(${cols.join(', ')}) ${sign} (${cols.map(() => '?').join(', ')})`,
    values: key.slice(lead),
    low: bounds && sign[0] === '>',
    high: bounds && sign[0] === '<',
  };
}

const order = (plan: ListPlan, reverse = false) => plan.keys.map((k) => `${k} ${plan.asc !== reverse ? 'ASC' : 'DESC'}`).join(', ');

/** `WHERE` the filter and the comparisons, and the values they all take. */
function filtered(plan: ListPlan, ...conds: Cond[]): { sql: string; params: unknown[] } {
  const seek = { low: conds.some((c) => c.low), high: conds.some((c) => c.high) };
  const where = seek.low || seek.high ? whereClause(plan.filter, seek).sql.replace(/^WHERE /, '') : plan.where;
  const all = [where, ...conds.map((c) => c.sql)].filter(Boolean);
  return { sql: all.length ? `WHERE ${all.join(' AND ')}` : '', params: [...plan.params, ...conds.flatMap((c) => c.values)] };
}

/** The key `every` rows after `key`. */
function stepQuery(plan: ListPlan, every: number, key: Key): { sql: string; params: unknown[] } {
  const w = filtered(plan, cond(plan, 'after', key));
  return { sql: `SELECT ${keyColumns(plan)} FROM images i ${w.sql} ORDER BY ${order(plan)} LIMIT 1 OFFSET ${every - 1}`, params: w.params };
}

/** Map as a small LRU: a hit moves to the back, `remember` drops from the front. */
function lru<V>(map: Map<string, V>, key: string): V | undefined {
  const v = map.get(key);
  if (v !== undefined) {
    map.delete(key);
    map.set(key, v);
  }
  return v;
}
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > MAX_CACHED_LISTS) map.delete(map.keys().next().value!);
}

function toRow(r: ImageRecord): ImageRow {
  return {
    id: r.id,
    rootId: r.root_id,
    relPath: r.rel_path,
    width: r.width,
    height: r.height,
    orientation: r.orientation,
    format: r.format,
    byteSize: r.byte_size,
    mtimeMs: r.mtime_ms,
    contentHash: r.content_hash,
    status: r.status,
    missing: r.missing === 1,
    annotationCount: r.annotation_count,
    addedAt: r.added_at,
    indexed: r.indexed,
  };
}

/**
 * The filter as SQL. `seek`: the query also bounds `rel_path` from that side itself (a keyset comparison that starts
 * or ends the index range): the folder's own bound on that side is then written `+i.rel_path`, which the planner does
 * not take for the index range, so that it seeks to the key instead of scanning from the folder's start.
 */
export function whereClause(filter: ImageFilter, seek: { low?: boolean; high?: boolean } = {}): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (filter.status?.length) {
    parts.push(`i.status IN (${filter.status.map(() => '?').join(', ')})`);
    params.push(...filter.status);
  }
  if (filter.text) {
    // LIKE is case-insensitive for ASCII; escape the user's wildcards so "%" and "_" match themselves.
    parts.push(`i.rel_path LIKE ? ESCAPE '\\'`);
    params.push(`%${filter.text.replace(/[\\%_]/g, (c) => '\\' + c)}%`);
  }
  if (filter.missing !== undefined) {
    parts.push('i.missing = ?');
    params.push(filter.missing ? 1 : 0);
  }
  if (filter.labeled !== undefined) {
    parts.push(filter.labeled ? 'i.annotation_count > 0' : 'i.annotation_count = 0');
  }
  if (filter.rootId !== undefined) {
    parts.push('i.root_id = ?');
    params.push(filter.rootId);
  }
  if (filter.folder) {
    parts.push('i.root_id = ?');
    params.push(filter.folder.rootId);
    if (filter.folder.path !== '') {
      // Everything under "a/b", and nothing else, sorts in ["a/b/", "a/b0") ('0' is the byte after '/'): a range on
      // the (root_id, rel_path) index, with nothing in the folder's name taken as a wildcard (LIKE would).
      parts.push(`${seek.low ? '+' : ''}i.rel_path >= ? AND ${seek.high ? '+' : ''}i.rel_path < ?`);
      params.push(`${filter.folder.path}/`, `${filter.folder.path}0`);
    }
  }
  if (filter.predictedNotLabeled) {
    const { runId, classId } = filter.predictedNotLabeled;
    parts.push(
      `EXISTS (SELECT 1 FROM predictions p WHERE p.image_id = i.id AND p.run_id = ? AND p.class_id = ?
                 AND json_extract(p.extras, '$.suppressed') IS NULL AND coalesce(json_extract(p.extras, '$.rejected'), 0) = 0)
       AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.image_id = i.id AND a.class_id = ?)`,
    );
    params.push(runId, classId, classId);
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

/** Rows read per turn of the event loop while counting folders: a 1M-image project must not stall the server. */
const FOLDER_CHUNK = 5_000;
/** Past this many distinct file names the repeats are not worked out (memory); the grid then shows every folder. */
const MAX_NAMES = 200_000;
/** More repeated names than this are not sent; the grid then shows every folder. */
const MAX_REPEATED_NAMES = 20_000;

export class ImagesRepo {
  private folderCache: { stamp: string; value: ImageFolders } | null = null;
  private folderJob: Promise<ImageFolders> | null = null;
  private readonly changes: ChangeCounter;
  private readonly counts = new Map<string, { stamp: string; n: number }>();
  private readonly sampled = new Map<string, Samples>();
  /** whether the planner reads the list in order from an index (no sort step), by list */
  private readonly orderedBy = new Map<string, boolean>();
  private readonly statements = new Map<string, Statement>();

  /** Rows between sampled keys (SAMPLE_EVERY; tests use a few, to cross many samples with a small project). */
  private readonly every: number;

  constructor(
    private readonly db: Database,
    opts: { sampleEvery?: number } = {},
  ) {
    this.changes = ChangeCounter.for(db);
    this.every = Math.max(1, Math.trunc(opts.sampleEvery ?? SAMPLE_EVERY));
  }

  /**
   * Folders holding images, with counts, and the file names found in more than one folder. One pass over the
   * (root_id, rel_path) index in chunks, kept until the database changes. Folder counts are direct: the renderer
   * adds up a folder's subfolders.
   */
  folders(): Promise<ImageFolders> {
    const stamp = this.changeStamp();
    if (this.folderCache?.stamp === stamp) return Promise.resolve(this.folderCache.value);
    this.folderJob ??= this.countFolders()
      .then((value) => {
        this.folderCache = { stamp, value };
        return value;
      })
      .finally(() => (this.folderJob = null));
    return this.folderJob;
  }

  /** Moves with every write: total_changes() counts this connection's, data_version another connection's commits. */
  private changeStamp(): string {
    const changes = this.db.prepare('SELECT total_changes()').pluck().get() as number;
    return `${changes}:${this.db.pragma('data_version', { simple: true }) as number}`;
  }

  private async countFolders(): Promise<ImageFolders> {
    const next = this.db
      .prepare('SELECT root_id, rel_path FROM images WHERE (root_id, rel_path) > (?, ?) ORDER BY root_id, rel_path LIMIT ?')
      .raw() as unknown as { all(...args: unknown[]): [number, string][] };
    const counts = new Map<number, Map<string, number>>();
    // name → the first folder it was seen in, or null once seen in a second
    let names: Map<string, string | null> | null = new Map();
    let after: [number, string] = [0, ''];
    for (;;) {
      const rows = next.all(after[0], after[1], FOLDER_CHUNK);
      for (const [rootId, relPath] of rows) {
        const slash = relPath.lastIndexOf('/');
        const folder = slash < 0 ? '' : relPath.slice(0, slash);
        let inRoot = counts.get(rootId);
        if (!inRoot) counts.set(rootId, (inRoot = new Map()));
        inRoot.set(folder, (inRoot.get(folder) ?? 0) + 1);
        if (names) {
          const name = relPath.slice(slash + 1);
          const key = `${rootId}/${folder}`;
          const seen = names.get(name);
          if (seen === undefined) names.set(name, key);
          else if (seen !== null && seen !== key) names.set(name, null);
          if (names.size > MAX_NAMES) names = null;
        }
      }
      if (rows.length < FOLDER_CHUNK) break;
      after = rows[rows.length - 1];
      await new Promise((resolve) => setImmediate(resolve));
    }
    const folders: FolderCount[] = [];
    for (const [rootId, inRoot] of counts) for (const [path, count] of inRoot) folders.push({ rootId, path, count });
    folders.sort((a, b) => a.rootId - b.rootId || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    let repeatedNames: string[] | null = null;
    if (names) {
      repeatedNames = [];
      for (const [name, where] of names) if (where === null) repeatedNames.push(name);
      if (repeatedNames.length > MAX_REPEATED_NAMES) repeatedNames = null;
      else repeatedNames.sort();
    }
    return { folders, repeatedNames };
  }

  /**
   * A page of the list, by offset (any page: a jump) or after / before a cursor from an earlier page (the next or
   * previous page: a keyset seek, whatever the depth). The reply gives each page's first and last row as cursors.
   */
  list(args: { offset: number; limit: number; filter: ImageFilter; sort: ImageSort; after?: string; before?: string }): ImagePage {
    const plan = this.plan(args.filter, args.sort);
    const total = this.count(plan);
    let offset = args.offset;
    let records: KeyedRecord[];
    const cursorText = args.after ?? args.before;
    if (cursorText !== undefined) {
      const c = decodeCursor(cursorText, plan.sig, plan.keys.length);
      // The position a cursor carries holds while nothing the list reads has changed; else it is worked out again.
      const trusted = plan.stamp !== null && c.stamp === plan.stamp;
      if (args.after !== undefined) {
        records = this.seek(plan, 'after', c.key, args.limit);
        offset = trusted ? c.pos + 1 : this.position(plan, c.key, true);
      } else {
        records = this.seek(plan, 'before', c.key, args.limit).reverse();
        offset = (trusted ? c.pos : this.position(plan, c.key, false)) - records.length;
      }
    } else {
      records = this.at(plan, args.offset, args.limit);
    }
    const cursor = (r: KeyedRecord, pos: number) => encodeCursor({ sig: plan.sig, stamp: plan.stamp, pos, key: keyOf(r, plan.keys.length) });
    return {
      total,
      offset,
      items: records.map(toRow),
      startCursor: records.length ? cursor(records[0], offset) : null,
      endCursor: records.length ? cursor(records[records.length - 1], offset + records.length - 1) : null,
    };
  }

  get(id: number): ImageRow {
    const r = this.db.prepare(`SELECT ${COLUMNS} FROM images i WHERE i.id = ?`).get(id) as ImageRecord | undefined;
    if (!r) throw new ApiError('not_found', `Image ${id} is not in this project.`);
    return toRow(r);
  }

  /**
   * The images before and after `id` in the given order, by keyset comparison, with its position (from the sampled
   * keys: a count of at most SAMPLE_EVERY rows) and the list's length (cached until the list changes).
   */
  neighbors(id: number, filter: ImageFilter, sort: ImageSort): { prev: number | null; next: number | null; index: number; total: number } {
    const plan = this.plan(filter, sort);
    const key = this.stmt(`SELECT ${keyColumns(plan)} FROM images i WHERE i.id = ?`, 'raw').get(id) as Key | undefined;
    if (!key) throw new ApiError('not_found', `Image ${id} is not in this project.`);
    const pick = (op: Op, reverse: boolean) => {
      const w = filtered(plan, cond(plan, op, key));
      return (this.stmt(`SELECT i.id FROM images i ${w.sql} ORDER BY ${order(plan, reverse)} LIMIT 1`, 'pluck').get(...w.params) as number | undefined) ?? null;
    };
    return { prev: pick('before', true), next: pick('after', false), index: this.position(plan, key, false), total: this.count(plan) };
  }

  /** How to read one list: its sort key, filter, name, and the stamps its caches are good for. */
  private plan(filter: ImageFilter, sort: ImageSort): ListPlan {
    const { sql, params } = whereClause(filter);
    const evalSort = isEvalSort(sort);
    const keys = sortKeys(sort);
    // Predictions and labels of a class are not counted by ChangeCounter: such a list is never cached.
    const volatile = filter.predictedNotLabeled !== undefined;
    const byFilter: Depends = { status: !!filter.status?.length, labeled: filter.labeled !== undefined, errors: false };
    const root = filter.folder?.rootId ?? filter.rootId;
    const equal: Record<string, number | string | undefined> = {
      'i.status': filter.status?.length === 1 ? filter.status[0] : undefined,
      'i.root_id': root !== undefined && (filter.rootId === undefined || filter.folder === undefined || filter.rootId === filter.folder.rootId) ? root : undefined,
    };
    const fixed: (number | string)[] = [];
    for (const k of keys.slice(0, -1)) {
      const v = equal[k];
      if (v === undefined) break;
      fixed.push(v);
    }
    return {
      keys,
      asc: sort.dir !== 'desc',
      fixed,
      filter,
      where: sql.replace(/^WHERE /, ''),
      params,
      sig: listSignature(filter, sort),
      countSig: listSignature(filter, null),
      evalSort,
      countStamp: volatile ? null : this.changes.stamp(byFilter),
      stamp: volatile ? null : this.changes.stamp({ ...byFilter, status: byFilter.status || sort.by === 'status', errors: evalSort }),
    };
  }

  /** The filtered list's length, counted once per change of what the filter reads. */
  private count(plan: ListPlan): number {
    const hit = plan.countStamp === null ? undefined : lru(this.counts, plan.countSig);
    if (hit && hit.stamp === plan.countStamp) return hit.n;
    const w = filtered(plan);
    const n = this.stmt(`SELECT count(*) FROM images i ${w.sql}`, 'pluck').get(...w.params) as number;
    if (plan.countStamp !== null) remember(this.counts, plan.countSig, { stamp: plan.countStamp, n });
    return n;
  }

  /** Rows `offset`…: from the nearest sampled key before it when the list has one, else by OFFSET from the start. */
  private at(plan: ListPlan, offset: number, limit: number): KeyedRecord[] {
    const select = `SELECT ${COLUMNS}, ${keyColumns(plan)} FROM images i`;
    const samples = offset >= this.every ? this.samples(plan) : null;
    if (!samples) {
      const w = filtered(plan);
      return this.stmt(`${select} ${w.sql} ORDER BY ${order(plan)} LIMIT ? OFFSET ?`).all(...w.params, limit, offset) as KeyedRecord[];
    }
    const b = Math.floor(offset / this.every);
    this.extend(plan, samples, (n) => n <= b);
    if (b >= samples.keys.length) return [];
    const w = filtered(plan, cond(plan, 'from', samples.keys[b]));
    return this.stmt(`${select} ${w.sql} ORDER BY ${order(plan)} LIMIT ? OFFSET ?`).all(...w.params, limit, offset - b * this.every) as KeyedRecord[];
  }

  /** Up to `limit` rows just after (or just before, nearest first) `key`: a seek on the sort's index. */
  private seek(plan: ListPlan, op: 'after' | 'before', key: Key, limit: number): KeyedRecord[] {
    const w = filtered(plan, cond(plan, op, key));
    return this.stmt(`SELECT ${COLUMNS}, ${keyColumns(plan)} FROM images i ${w.sql} ORDER BY ${order(plan, op === 'before')} LIMIT ?`).all(
      ...w.params,
      limit,
    ) as KeyedRecord[];
  }

  /**
   * How many rows of the list come before `key` (`inclusive`: at or before; the key need not be in the list): the
   * position of the last sampled key at or before it, plus a count from there. The count stops past SAMPLE_EVERY
   * rows; only then are more keys sampled (the key lies beyond the last one sampled).
   */
  private position(plan: ListPlan, key: Key, inclusive: boolean): number {
    const op: Op = inclusive ? 'through' : 'before';
    const samples = this.samples(plan);
    if (!samples) {
      const w = filtered(plan, cond(plan, op, key));
      return this.stmt(`SELECT count(*) FROM images i ${w.sql}`, 'pluck').get(...w.params) as number;
    }
    const cmp = (a: Key, b: Key) => (plan.asc ? compareKeys(a, b) : compareKeys(b, a));
    this.extend(plan, samples, () => false);
    for (;;) {
      // the last sample at or before the key
      let lo = 0;
      let hi = samples.keys.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (cmp(samples.keys[mid], key) <= 0) lo = mid + 1;
        else hi = mid - 1;
      }
      if (hi < 0) return 0;
      const w = filtered(plan, cond(plan, 'from', samples.keys[hi]), cond(plan, op, key));
      const n = this.stmt(`SELECT count(*) FROM (SELECT 1 FROM images i ${w.sql} LIMIT ${this.every + 1})`, 'pluck').get(...w.params) as number;
      if (n <= this.every) return hi * this.every + n;
      this.extend(plan, samples, (_, last) => cmp(last, key) <= 0);
    }
  }

  /**
   * The list's sampled keys (the key of every SAMPLE_EVERY-th row, built as deep as asked so far), or null where they
   * cannot be had cheaply: nothing may be cached, or the sort is not read in order from an index (evaluation sorts,
   * a filter the planner answers with a sort), where each step would sort what follows.
   */
  private samples(plan: ListPlan): Samples | null {
    if (plan.stamp === null || plan.evalSort) return null;
    let ordered = this.orderedBy.get(plan.sig);
    if (ordered === undefined) {
      // any key of a row the list holds: the filter's fixed values first
      const step = stepQuery(plan, this.every, [...plan.fixed, ...plan.keys.slice(plan.fixed.length).map(() => 0)]);
      const detail = this.db.prepare(`EXPLAIN QUERY PLAN ${step.sql}`).all(...step.params) as { detail: string }[];
      ordered = !detail.some((d) => /TEMP B-TREE/.test(d.detail));
      remember(this.orderedBy, plan.sig, ordered);
    }
    if (!ordered) return null;
    let s = lru(this.sampled, plan.sig);
    if (!s || s.stamp !== plan.stamp) remember(this.sampled, plan.sig, (s = { stamp: plan.stamp, keys: [], complete: false }));
    return s;
  }

  /** Samples more keys while `more(count, last)` holds: each one an OFFSET of SAMPLE_EVERY - 1 on the index. */
  private extend(plan: ListPlan, s: Samples, more: (count: number, last: Key) => boolean): void {
    if (!s.complete && s.keys.length === 0) {
      const w = filtered(plan);
      const first = this.stmt(`SELECT ${keyColumns(plan)} FROM images i ${w.sql} ORDER BY ${order(plan)} LIMIT 1`, 'raw').get(...w.params) as Key | undefined;
      if (first) s.keys.push(first);
      else s.complete = true;
    }
    while (!s.complete && more(s.keys.length, s.keys[s.keys.length - 1])) {
      const step = stepQuery(plan, this.every, s.keys[s.keys.length - 1]);
      const next = this.stmt(step.sql, 'raw').get(...step.params) as Key | undefined;
      if (next) s.keys.push(next);
      else s.complete = true;
    }
  }

  /** Prepared statements by SQL text (the same few shapes serve every page). */
  private stmt(sql: string, mode: 'rows' | 'raw' | 'pluck' = 'rows'): Statement {
    const id = `${mode}:${sql}`;
    let s = this.statements.get(id);
    if (!s) {
      if (this.statements.size >= MAX_STATEMENTS) this.statements.clear();
      s = this.db.prepare(sql);
      if (mode === 'raw') s.raw(true);
      if (mode === 'pluck') s.pluck(true);
      this.statements.set(id, s);
    }
    return s;
  }

  setStatus(ids: number[], status: ReviewStatus): number {
    const stmt = this.db.prepare('UPDATE images SET status = ? WHERE id = ?');
    return this.db.transaction(() => ids.reduce((n, id) => n + stmt.run(status, id).changes, 0))();
  }
}
