/**
 * The second phase of an import (issue 12): reading the header (size as displayed, orientation, format) and the content
 * hash of rows that a scan listed from the directory listing and `stat` alone (`images.indexed` < 2, migration 0006).
 *
 * A scan reads its pending rows in path order after listing them; anything that needs a row's real size or hash first
 * (a thumbnail of a cell on screen, the viewer, an export, an evaluation) asks for those rows with `ensureIndexed`,
 * which reads them now. A row is never read twice at once: reads in flight are shared, per database. Every write goes
 * through one queue per database, committed in batches by the scan (`flushIndexed`) or at once for a caller waiting on
 * its rows, so an on-demand read does not wait for a scan's batch.
 *
 * A row whose hash turns out to be that of a row whose file is missing is a moved file: the missing row (which has the
 * labels) takes over the new path and the placeholder row is deleted, unless the placeholder got labels meanwhile.
 */
import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { ApiError } from '../../../common/api/contract.js';
import { readImageMeta, UnreadableImageError, type ImageMeta } from './metadata.js';
import { factsOf, NotRegularFileError, openRegular, readExactly, ShortReadError, isInside, type FileFacts } from './safeOpen.js';

type Db = BetterSqlite3.Database;

/** Files up to this size are read into memory once, hashed and handed to sharp; larger ones are streamed. */
const WHOLE_READ_LIMIT = 64 * 1024 * 1024;
/** Rows read at once by `ensureIndexed` over many ids (an export of a project still being indexed). */
const ENSURE_CONCURRENCY = 8;
/** SQLite's default limit on host parameters is 32,766; ids are looked up in chunks well below it. */
const ID_CHUNK = 500;

/** The format a file's extension names: what a listed row shows until its header is read. */
export function formatFromName(name: string): string {
  const ext = path.extname(name).slice(1).toLowerCase();
  if (ext === 'jpg' || ext === 'jpeg') return 'jpeg';
  if (ext === 'tif' || ext === 'tiff') return 'tiff';
  return ext;
}

/**
 * Reads a file once, through a handle opened without blocking and without following a final symlink; the row takes
 * that handle's size, mtime and identity. Larger files are hashed as a stream from the same handle, and their header
 * is read by sharp from the path.
 */
export async function readAndHash(file: string): Promise<{ hash: string; meta: ImageMeta; facts: FileFacts }> {
  const { handle, stat: st } = await openRegular(file, { noFollow: true });
  try {
    const facts = factsOf(st);
    if (facts.size === 0) throw new UnreadableImageError('empty file (0 bytes)');
    if (facts.size <= WHOLE_READ_LIMIT) {
      const bytes = await readExactly(handle, facts.size);
      return { hash: createHash('sha256').update(bytes).digest('hex'), meta: await readImageMeta(file, bytes), facts };
    }
    const hash = createHash('sha256');
    for await (const chunk of handle.createReadStream({ start: 0, end: facts.size - 1, autoClose: false })) hash.update(chunk as Buffer);
    return { hash: hash.digest('hex'), meta: await readImageMeta(file), facts };
  } finally {
    await handle.close();
  }
}

/** A row's file, read: what is written to the row. */
export interface FileRead {
  meta: ImageMeta;
  facts: FileFacts;
  hash: string;
}

/** What became of a pending row once its write was committed. */
export type IndexOutcome =
  /** The row has its header and hash now. */
  | { kind: 'indexed'; id: number }
  /** The row was a moved file: the missing row `into` (with its labels) took its path, and the row was deleted. */
  | { kind: 'moved'; id: number; into: number };

/** A read of a pending row: queued for writing, the file could not be read, or there was nothing to read. */
export type ReadResult = { kind: 'queued' } | { kind: 'unreadable'; error: unknown } | null;

interface Write extends FileRead {
  id: number;
  /** true: a pending row (written only while still pending, and re-linked when it is a moved file); false: a scan's update of a changed file */
  pending: boolean;
}

/** A scan running on a database: told of every pending row committed while it runs, whoever read it. */
export interface ScanWatch {
  /** Missing rows whose own file is back at their path in this scan: not free to be claimed by a copy elsewhere. */
  present: Set<number>;
  onOutcome(o: IndexOutcome): void;
}

interface PendingRow {
  id: number;
  indexed: number;
  missing: number;
  relPath: string;
  rootPath: string;
  followLinks: number;
}

interface State {
  inflight: Map<number, Promise<ReadResult>>;
  queue: Write[];
  /** ids of pending rows in `queue` */
  queued: Set<number>;
  /** the scans running (an import and a rescan may overlap) */
  scans: Set<ScanWatch>;
  /** work for the screen under way (`holdBackground`): a scan's phase 2 reads nothing new meanwhile */
  demand: number;
  /** a scan's phase 2 waiting for `demand` to drop to 0 */
  idleWaiters: (() => void)[];
  selectPending: BetterSqlite3.Statement<[number], PendingRow>;
  current: BetterSqlite3.Statement<[number], { indexed: number; annotation_count: number; root_id: number; rel_path: string }>;
  claimable: BetterSqlite3.Statement<[string], number>;
  remove: BetterSqlite3.Statement<[number]>;
  index: BetterSqlite3.Statement<unknown[]>;
  takeOver: BetterSqlite3.Statement<unknown[]>;
  update: BetterSqlite3.Statement<unknown[]>;
  roots: BetterSqlite3.Statement<[], string>;
  flush: (writes: Write[]) => IndexOutcome[];
}

const states = new WeakMap<Db, State>();

function state(db: Db): State {
  let st = states.get(db);
  if (st) return st;
  const s: State = {
    inflight: new Map(),
    queue: [],
    queued: new Set(),
    scans: new Set(),
    demand: 0,
    idleWaiters: [],
    selectPending: db.prepare(
      `SELECT i.id, i.indexed, i.missing, i.rel_path AS relPath, r.path AS rootPath, r.follow_links AS followLinks
       FROM images i JOIN image_roots r ON r.id = i.root_id WHERE i.id = ?`,
    ),
    current: db.prepare('SELECT indexed, annotation_count, root_id, rel_path FROM images WHERE id = ?'),
    // `missing = 1` as written: SQLite then reads the partial index images_missing_hash (0006).
    claimable: db.prepare('SELECT id FROM images WHERE missing = 1 AND content_hash = ? ORDER BY id').pluck() as BetterSqlite3.Statement<[string], number>,
    remove: db.prepare('DELETE FROM images WHERE id = ?'),
    index: db.prepare(
      `UPDATE images SET width = ?, height = ?, orientation = ?, format = ?, byte_size = ?, mtime_ms = ?, file_id = ?, content_hash = ?,
       indexed = 2 WHERE id = ?`,
    ),
    takeOver: db.prepare(
      `UPDATE images SET root_id = ?, rel_path = ?, width = ?, height = ?, orientation = ?, format = ?, byte_size = ?, mtime_ms = ?,
       file_id = ?, content_hash = ?, missing = 0, indexed = 2 WHERE id = ?`,
    ),
    update: db.prepare(
      `UPDATE images SET width = ?, height = ?, orientation = ?, format = ?, byte_size = ?, mtime_ms = ?, file_id = ?, content_hash = ?,
       missing = 0, indexed = 2 WHERE id = ?`,
    ),
    roots: db.prepare('SELECT path FROM image_roots').pluck() as BetterSqlite3.Statement<[], string>,
    flush: db.transaction((writes: Write[]) => {
      const out: IndexOutcome[] = [];
      for (const w of writes) {
        const o = apply(s, w);
        if (o) out.push(o);
      }
      return out;
    }),
  };
  states.set(db, s);
  return s;
}

function apply(st: State, w: Write): IndexOutcome | null {
  const data = [w.meta.width, w.meta.height, w.meta.orientation, w.meta.format, w.facts.size, w.facts.mtimeMs, w.facts.fileId, w.hash];
  if (!w.pending) {
    st.update.run(...data, w.id);
    return null;
  }
  const cur = st.current.get(w.id);
  if (!cur || cur.indexed === 2) return null; // deleted, or indexed by another writer since it was read
  if (cur.annotation_count === 0) {
    for (const into of st.claimable.all(w.hash)) {
      if (into === w.id || [...st.scans].some((s) => s.present.has(into))) continue;
      // The placeholder goes first: the old row takes its (root, path), which is unique.
      st.remove.run(w.id);
      st.takeOver.run(cur.root_id, cur.rel_path, ...data, into);
      return { kind: 'moved', id: w.id, into };
    }
  }
  st.index.run(...data, w.id);
  return { kind: 'indexed', id: w.id };
}

/**
 * Reads pending row `id` and queues its write, sharing a read already in flight. `open` is the file to open (a scan
 * passes the path its walk checked, a link's target); without it the row's path is resolved here, and a link that now
 * leads out of the project's folders is refused as the image server refuses it. Null when the row is not pending (or
 * gone, or missing).
 */
export function readPending(db: Db, id: number, open?: string): Promise<ReadResult> {
  const st = state(db);
  const running = st.inflight.get(id);
  if (running) return running;
  if (st.queued.has(id)) return Promise.resolve({ kind: 'queued' });
  const p = (async (): Promise<ReadResult> => {
    const row = st.selectPending.get(id);
    if (!row || row.indexed === 2 || row.missing) return null;
    let read: FileRead;
    try {
      read = await readAndHash(open ?? (await resolveOpen(st, row)));
    } catch (error) {
      return { kind: 'unreadable', error };
    }
    st.queue.push({ id, pending: true, ...read });
    st.queued.add(id);
    return { kind: 'queued' };
  })().finally(() => st.inflight.delete(id));
  st.inflight.set(id, p);
  return p;
}

async function resolveOpen(st: State, row: PendingRow): Promise<string> {
  const abs = path.resolve(row.rootPath, ...row.relPath.split('/'));
  const rel = path.relative(row.rootPath, abs);
  if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
    throw new UnreadableImageError(`its path "${row.relPath}" points outside its folder "${row.rootPath}"`);
  }
  const real = await realpath(abs);
  if (!row.followLinks && !st.roots.all().some((root) => real === root || isInside(real, root))) {
    throw new UnreadableImageError(`it now leads outside the project's folders, to ${real}; rescan the project`);
  }
  return real;
}

/** Queue a scan's update of a changed file that was read (the row keeps its old data until this commits). */
export function queueUpdate(db: Db, id: number, read: FileRead): void {
  state(db).queue.push({ id, pending: false, ...read });
}

/** Commit every queued write in one transaction; the running scan is told of each pending row's outcome. */
export function flushIndexed(db: Db): { written: number; outcomes: IndexOutcome[] } {
  const st = state(db);
  if (st.queue.length === 0) return { written: 0, outcomes: [] };
  const writes = st.queue;
  st.queue = [];
  st.queued.clear();
  const outcomes = st.flush(writes);
  for (const scan of st.scans) for (const o of outcomes) scan.onOutcome(o);
  return { written: writes.length, outcomes };
}

/** Writes read but not yet committed. */
export function queuedWrites(db: Db): number {
  return state(db).queue.length;
}

/**
 * Work a person waits for (a thumbnail of a cell on screen, the viewer's image) holds a scan's background reads back
 * until it is done: hashing gigabytes must not delay what is on screen (issue 12). Measured on 10,000 camera JPEGs, the
 * first 20 thumbnails took 5.2 s while phase 2 filled libuv's four threads with reads and header parses, the thumbnails'
 * reads and decodes queued behind them. Call the returned function when done (more than once is harmless).
 */
export function holdBackground(db: Db): () => void {
  const st = state(db);
  st.demand++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--st.demand > 0) return;
    const waiters = st.idleWaiters;
    st.idleWaiters = [];
    for (const w of waiters) w();
  };
}

/** For a scan's phase 2, before each file it reads: resolves at once, or when no work for the screen is under way. */
export function backgroundTurn(db: Db, signal?: AbortSignal): Promise<void> {
  const st = state(db);
  if (st.demand === 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      signal?.removeEventListener('abort', done);
      resolve();
    };
    st.idleWaiters.push(done);
    // A cancelled scan stops waiting at once.
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** While a scan runs: it is told of every pending row committed, also those read for a thumbnail on screen. */
export function watchIndexing(db: Db, watch: ScanWatch): () => void {
  const st = state(db);
  st.scans.add(watch);
  return () => void st.scans.delete(watch);
}

/** A row that is still not indexed after `ensureIndexed`: its file is missing, or could not be read. */
export interface IndexFailure {
  id: number;
  relPath: string;
  reason: string;
}

/**
 * Read the header and hash of every row of `ids` that is still pending, now, and commit them before returning. Rows
 * read by a running scan are shared, not read again. Rows that stay pending (file missing or unreadable) are returned;
 * they are left for the next scan to deal with.
 */
export async function ensureIndexed(db: Db, ids: Iterable<number>, opts: { signal?: AbortSignal } = {}): Promise<IndexFailure[]> {
  // Rows a scan has read but not committed yet are committed now rather than read again.
  flushIndexed(db);
  // The usual case, answered from the partial index without looking at the ids (a run over 100,000 images).
  if (!hasPending(db)) return [];
  const asked = pendingAmong(db, ids, { withMissing: true });
  if (asked.length === 0) return [];
  const pending = pendingAmong(db, asked);
  const failures = new Map<number, string>();
  let next = 0;
  const worker = async () => {
    while (next < pending.length && !opts.signal?.aborted) {
      const id = pending[next++];
      const r = await readPending(db, id);
      if (r?.kind === 'unreadable') failures.set(id, unreadableReason(r.error));
    }
  };
  await Promise.all(Array.from({ length: Math.min(ENSURE_CONCURRENCY, pending.length) }, worker));
  flushIndexed(db);
  const left = pendingAmong(db, asked, { withMissing: true });
  if (left.length === 0) return [];
  const rows = new Map<number, { rel_path: string; missing: number }>();
  const get = db.prepare('SELECT rel_path, missing FROM images WHERE id = ?');
  for (const id of left) rows.set(id, get.get(id) as { rel_path: string; missing: number });
  return left.map((id) => ({
    id,
    relPath: rows.get(id)!.rel_path,
    reason: failures.get(id) ?? (rows.get(id)!.missing ? 'its file was not found at the last scan' : opts.signal?.aborted ? 'cancelled' : 'not read yet'),
  }));
}

/** Whether any row of the project is listed but not indexed (a lookup in the partial index images_pending). */
export function hasPending(db: Db): boolean {
  return db.prepare('SELECT 1 FROM images INDEXED BY images_pending WHERE indexed < 2 LIMIT 1').get() !== undefined;
}

/** Every pending row of the project, read now (jobs over the whole project: an export, a dataset import). */
export async function ensureAllIndexed(db: Db, opts: { signal?: AbortSignal } = {}): Promise<IndexFailure[]> {
  const ids = db.prepare('SELECT id FROM images INDEXED BY images_pending WHERE indexed < 2 ORDER BY root_id, rel_path').pluck().all() as number[];
  return ensureIndexed(db, ids, opts);
}

/**
 * `ensureIndexed`, refusing with ApiError('conflict') when a row stays without its size: a consumer that checks
 * shapes against an image's size must never see the 0 × 0 of a row not yet read. `what` names the work refused.
 */
export async function requireIndexed(db: Db, ids: Iterable<number> | 'all', what: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
  const failures = ids === 'all' ? await ensureAllIndexed(db, opts) : await ensureIndexed(db, ids, opts);
  if (failures.length === 0) return;
  const first = failures[0];
  throw new ApiError(
    'conflict',
    `Cannot ${what}: ${failures.length === 1 ? '1 image has' : `${failures.length.toLocaleString('en-US')} images have`} not been indexed (sizes and hashes not read). ` +
      `First: ${first.relPath}: ${first.reason}. Rescan the project, then try again.`,
    { images: failures.slice(0, 20) },
  );
}

/** The ids among `ids` whose rows are pending (and not missing, unless asked), in the order given. */
function pendingAmong(db: Db, ids: Iterable<number>, opts: { withMissing?: boolean } = {}): number[] {
  const list = [...new Set(ids)];
  const out = new Set<number>();
  const where = opts.withMissing ? 'indexed < 2' : 'indexed < 2 AND missing = 0';
  for (let i = 0; i < list.length; i += ID_CHUNK) {
    const chunk = list.slice(i, i + ID_CHUNK);
    const found = db.prepare(`SELECT id FROM images WHERE ${where} AND id IN (${chunk.map(() => '?').join(', ')})`).pluck().all(...chunk) as number[];
    for (const id of found) out.add(id);
  }
  return list.filter((id) => out.has(id));
}

/** The short reason shown for a file that could not be read. */
export function unreadableReason(e: unknown): string {
  if (e instanceof UnreadableImageError) return e.message;
  if (e instanceof NotRegularFileError) return `skipped: ${e.kind}, not a regular file`;
  if (e instanceof ShortReadError) return 'the file was cut short during the scan; rescan';
  switch ((e as NodeJS.ErrnoException).code) {
    case 'ELOOP':
      return 'the file was replaced by a symbolic link during the scan; rescan';
    case 'ENOENT':
      return 'the file disappeared during the scan; rescan';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied; check the file permissions';
    default:
      return `cannot read the file: ${(e as Error).message}`;
  }
}
