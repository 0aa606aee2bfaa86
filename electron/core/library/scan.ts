/**
 * Folder import, incremental rescan and root relinking. Owns the SQL on `image_roots` and `images` for these.
 *
 * A scan walks the folders first (directory listings only, no per-file stat), then works in two phases (issue 12).
 * Phase 1 stats each file in path order and lists a row per new image from the listing and `stat` alone (size, mtime,
 * file identity; `indexed` = 0), in batches the grid sees as they commit, so 10,000 photos are listed in about a
 * second instead of at the rate of hashing. Phase 2 then reads each listed file once (header and content hash, see
 * indexer.ts) and each changed file; images on screen are read first, on demand (`ensureIndexed`). A file whose
 * identity, size and mtime match its row is not opened at all. Rows are written in batched transactions because
 * per-file transactions cost more than the header reads themselves. Counts and errors are those of a one-phase scan:
 * a broken file listed in phase 1 loses its row in phase 2 and is reported, and a moved file is re-linked to its old
 * row (with its labels) once its hash is known. Rows a cancelled scan did not read stay listed, and the next scan
 * reads them.
 *
 * Roots: importing a folder inside an existing root scans that part of the enclosing root (no second root, so
 * no duplicate rows, as in CVAT and Label Studio where a project's storage is one tree); importing a folder
 * that contains existing roots makes it the root and moves their rows under it with their ids, so labels stay.
 * Hidden entries (".git", ".sightline", "._photo.jpg" resource forks) are skipped without being counted.
 *
 * A scan stays inside the folder (issue 11: an `etc -> /etc` link walked all of /etc): symlinks, to folders or to
 * files, whose real path leaves the root are not followed unless the folder is imported with `followLinks` (kept on
 * the root, so rescans and the image server agree). FIFOs, sockets and devices are never opened for reading; they
 * and the links left out are listed in `notes`, each with why. Files are read through a handle opened without
 * blocking and without following a final symlink, and the row keeps that handle's device and inode, so the image
 * server can tell the scanned file from anything put in its place later.
 */
import { isUtf8 } from 'node:buffer';
import fs, { constants as fsc, type BigIntStats, type Dirent } from 'node:fs';
import { access, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { ApiError, type ImportError, type ImportResult } from '../../../common/api/contract.js';
import {
  flushIndexed,
  formatFromName,
  queuedWrites,
  queueUpdate,
  readAndHash,
  backgroundTurn,
  readPending,
  unreadableReason,
  watchIndexing,
  type FileRead,
  type IndexOutcome,
} from './indexer.js';
import { isImageFileName, UnreadableImageError } from './metadata.js';
import { factsOf, NotRegularFileError, specialKind, isInside, type FileFacts } from './safeOpen.js';

type Db = BetterSqlite3.Database;

export interface ScanProgress {
  done: number;
  /** candidate image files, known once the folder walk is done */
  total: number | null;
  message: string;
}

export interface ScanOptions {
  signal?: AbortSignal;
  onProgress?: (p: ScanProgress) => void;
  /** files read at once; default 8 */
  concurrency?: number;
  /**
   * Called after each batch of rows is committed while listing (phase 1), with the rows it wrote, so a grid can show
   * them while the scan goes on. Batches commit every BATCH_ROWS rows or FLUSH_MS, whichever comes first.
   */
  onRows?: (rows: number) => void;
  /** Called after each batch of phase 2 (headers and hashes read, broken files' rows removed), with the rows it wrote. */
  onIndexed?: (rows: number) => void;
  /** Wait this long before listing each file (tests of a slow import; AppCoreOptions.scanDelayMs). */
  delayMs?: number;
  /** Wait this long before reading each file in phase 2 (tests of a slow import; AppCoreOptions.scanDelayMs). */
  indexDelayMs?: number;
  /** Awaited once between listing and reading (tests look at the listed rows before any is read). */
  beforeIndex?: () => Promise<void>;
  /**
   * Follow symlinks that lead out of the folder (importFolder only; remembered on the root for rescans). Off by
   * default: a link such as `etc -> /etc` would pull files from anywhere into the project and its image server.
   */
  followLinks?: boolean;
}

interface Root {
  id: number;
  path: string;
  /** 1 when imported with followLinks */
  follow_links: number;
}

/** The part of a root to walk: `prefix` is '' or a '/'-separated folder path ending in '/'. */
interface Scope {
  root: Root;
  prefix: string;
}

interface Candidate {
  root: Root;
  rel: string;
  abs: string;
  /** What to open: `abs`, or for a symlink the real path the walk checked (opened without following links). */
  open: string;
  /** Set while listing: the row to read in phase 2 (listed now, or by an earlier scan that did not read it). */
  pendingId?: number;
  /** Set while listing: an indexed row whose file changed, read in phase 2; the row stays as it is until then. */
  changed?: StoredRow;
}

interface StoredRow {
  id: number;
  rel_path: string;
  byte_size: number;
  mtime_ms: number;
  missing: number;
  file_id: string | null;
  content_hash: string;
  /** 0 listed, 1 header read, 2 indexed (migration 0006) */
  indexed: number;
  annotation_count: number;
}

const BATCH_ROWS = 500;
/**
 * A batch is also committed once it is this old, so the first rows of a big folder are listed within a fraction of a
 * second instead of after BATCH_ROWS files have been read (issue 12: the grid said "no images yet" for 13 s).
 */
const FLUSH_MS = 200;
const PROGRESS_INTERVAL_MS = 100;
/** Phase 1 stats files synchronously for at most this long before it lets the event loop serve requests. */
const LIST_SLICE_MS = 8;

/**
 * Add `folder` as a root (see the roots note above) and scan it. Counts: `imported` new rows; `unchanged` files
 * with the same size and mtime (not read); `updated` changed files; `relinked` missing rows found again, moved
 * (same content hash, new path) or back at their path; `missing` rows in the scanned part whose file is gone;
 * `skipped` non-image files. Broken images go to `errors` and get no row. Throws ApiError, writing nothing,
 * when the folder is not a readable directory.
 */
export async function importFolder(db: Db, folder: string, opts: ScanOptions = {}): Promise<ImportResult> {
  const real = await resolveFolder(folder, `Cannot import "${folder}"`);
  const scope = attachRoot(db, real);
  if (opts.followLinks && !scope.root.follow_links) {
    db.prepare('UPDATE image_roots SET follow_links = 1 WHERE id = ?').run(scope.root.id);
    scope.root.follow_links = 1;
  }
  return scan(db, [scope], opts, []);
}

/** Rescan every root. A root whose folder is gone is reported and its rows are left as they are. */
export async function rescanProject(db: Db, opts: ScanOptions = {}): Promise<ImportResult> {
  const scopes: Scope[] = [];
  const errors: ImportError[] = [];
  for (const root of db.prepare('SELECT id, path, follow_links FROM image_roots ORDER BY id').all() as Root[]) {
    const isDir = await stat(root.path).then((s) => s.isDirectory(), () => false);
    if (isDir) scopes.push({ root, prefix: '' });
    else errors.push({ path: root.path, reason: 'folder not found: it may have moved; relink it' });
  }
  return scan(db, scopes, opts, errors);
}

/**
 * Point a root at the folder it moved to. Refused when none of its files are there (a wrong pick would mark
 * every image missing on the next rescan). The caller rescans afterwards.
 */
export async function relinkRoot(db: Db, rootId: number, newPath: string): Promise<{ matched: number; total: number }> {
  const root = db.prepare('SELECT id, path FROM image_roots WHERE id = ?').get(rootId) as Root | undefined;
  if (!root) throw new ApiError('not_found', `Image folder #${rootId} is not part of this project. Reopen the project and try again.`);
  const real = await resolveFolder(newPath, `Cannot relink "${root.path}" to "${newPath}"`);
  const roots = db.prepare('SELECT id, path FROM image_roots WHERE id != ?').all(rootId) as Root[];
  const clash = roots.find((r) => r.path === real || isInside(real, r.path) || isInside(r.path, real));
  if (clash) {
    throw new ApiError(
      'conflict',
      `Cannot relink "${root.path}" to "${real}": it overlaps the project's image folder "${clash.path}". Pick the folder that holds only the moved images.`,
    );
  }
  const rels = (db.prepare('SELECT rel_path FROM images WHERE root_id = ?').pluck().all(rootId) as string[]);
  let matched = 0;
  await runPool(rels, 16, async (rel) => {
    if (await stat(path.join(real, ...rel.split('/'))).then((s) => s.isFile(), () => false)) matched++;
  });
  if (rels.length > 0 && matched === 0) {
    throw new ApiError(
      'conflict',
      `None of the ${rels.length} images of "${root.path}" were found in "${real}". Pick the folder that holds them.`,
    );
  }
  db.prepare('UPDATE image_roots SET path = ? WHERE id = ?').run(real, rootId);
  return { matched, total: rels.length };
}

// ---------------------------------------------------------------- roots

async function resolveFolder(folder: string, what: string): Promise<string> {
  const fail = (code: 'not_found' | 'io', reason: string) =>
    new ApiError(code, `${what}: ${reason}. Check the path and permissions.`, { path: folder });
  let real: string;
  try {
    real = await realpath(path.resolve(folder));
    if (!(await stat(real)).isDirectory()) throw fail('not_found', 'it is a file, not a folder');
    await access(real, fsc.R_OK | fsc.X_OK);
  } catch (e) {
    if (e instanceof ApiError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw fail('not_found', 'the folder does not exist');
    if (code === 'EACCES' || code === 'EPERM') throw fail('io', 'permission denied');
    throw fail('io', (e as Error).message);
  }
  return real;
}

function toRel(from: string, to: string): string {
  return path.relative(from, to).split(path.sep).join('/');
}

function attachRoot(db: Db, folder: string): Scope {
  const roots = db.prepare('SELECT id, path, follow_links FROM image_roots').all() as Root[];
  const enclosing = roots.find((r) => r.path === folder || isInside(folder, r.path));
  if (enclosing) return { root: enclosing, prefix: enclosing.path === folder ? '' : `${toRel(enclosing.path, folder)}/` };
  return db.transaction(() => {
    const id = Number(db.prepare('INSERT INTO image_roots (path, added_at) VALUES (?, ?)').run(folder, Date.now()).lastInsertRowid);
    // Absorbed roots that followed links keep doing so under the new root.
    const follow = roots.some((r) => r.follow_links && isInside(r.path, folder)) ? 1 : 0;
    if (follow) db.prepare('UPDATE image_roots SET follow_links = 1 WHERE id = ?').run(id);
    for (const inner of roots.filter((r) => isInside(r.path, folder))) {
      db.prepare("UPDATE images SET root_id = ?, rel_path = ? || rel_path WHERE root_id = ?").run(id, `${toRel(folder, inner.path)}/`, inner.id);
      db.prepare('DELETE FROM image_roots WHERE id = ?').run(inner.id);
    }
    return { root: { id, path: folder, follow_links: follow }, prefix: '' };
  })();
}

// ---------------------------------------------------------------- the scan

async function scan(db: Db, scopes: Scope[], opts: ScanOptions, errors: ImportError[]): Promise<ImportResult> {
  const { signal, onProgress } = opts;
  const concurrency = Math.max(1, opts.concurrency ?? 8);
  const result: ImportResult & { notes: ImportError[] } = { imported: 0, unchanged: 0, updated: 0, relinked: 0, missing: 0, skipped: 0, errors, notes: [], cancelled: false };
  const progress = throttle(onProgress);

  progress.phase({ done: 0, total: null, message: 'Looking for images…' });
  const candidates: Candidate[] = [];
  for (const scope of scopes) await walk(scope, candidates, result, progress, signal);
  if (signal?.aborted) return { ...result, cancelled: true };
  // Listed in the order the grid lists them (the walk pops folders last first): rows arrive as a growing prefix of
  // the final list, so cells do not jump while the import runs, and ids follow the paths.
  sortByPath(candidates);

  // Rows whose file was not found are marked missing before any file is read, so a moved file found later in
  // this same scan can claim its row by content hash.
  const stored = new Map<number, Map<string, StoredRow>>();
  const gone = new Set<number>();
  const selectRows = db.prepare('SELECT id, rel_path, byte_size, mtime_ms, missing, file_id, content_hash, indexed, annotation_count FROM images WHERE root_id = ?');
  for (const { root } of scopes) {
    if (!stored.has(root.id)) stored.set(root.id, new Map((selectRows.all(root.id) as StoredRow[]).map((r) => [r.rel_path, r])));
  }
  const found = new Set(candidates.map((c) => `${c.root.id}/${c.rel}`));
  // A missing row whose file is back at its own path is not free to be claimed by a copy found elsewhere.
  const present = new Set<number>();
  // A listed row whose file went before it was read was never more than a name: it goes, unless it got labels.
  const vanished = new Set<number>();
  for (const { root, prefix } of scopes) {
    for (const row of stored.get(root.id)!.values()) {
      if (found.has(`${root.id}/${row.rel_path}`)) {
        if (row.missing) present.add(row.id);
      } else if (row.rel_path.startsWith(prefix)) {
        if (row.indexed < 2 && row.annotation_count === 0) vanished.add(row.id);
        else gone.add(row.id);
      }
    }
  }
  const markMissing = db.prepare('UPDATE images SET missing = 1 WHERE id = ? AND missing = 0');
  const dropVanished = db.prepare('DELETE FROM images WHERE id = ? AND indexed < 2 AND annotation_count = 0');
  db.transaction(() => {
    gone.forEach((id) => markMissing.run(id));
    vanished.forEach((id) => dropVanished.run(id));
  })();

  // Every pending row of the scanned part, this scan's and those an earlier (cancelled) one listed, and whether it
  // is new: counted once phase 2 knows what each one is (a new image, a moved file, a broken one).
  const origin = new Map<number, { isNew: boolean; wasMissing: boolean }>();
  const outcomes = new Map<number, IndexOutcome>();
  const stopWatching = watchIndexing(db, { present, onOutcome: (o) => outcomes.set(o.id, o) });
  try {
    await listPhase(db, candidates, stored, origin, result, progress, opts, concurrency);
    if (!signal?.aborted) await indexPhase(db, candidates, origin, result, progress, opts, concurrency);
    flushIndexed(db);
  } finally {
    stopWatching();
  }

  // The count of each pending row: from what phase 2 (or a read for the screen) made of it; a row not read
  // (cancelled) counts as what it is listed as.
  for (const [id, o] of outcomes) {
    if (o.kind !== 'moved') continue;
    gone.delete(o.into);
    if (origin.delete(id)) result.relinked++;
  }
  for (const { isNew, wasMissing } of origin.values()) {
    if (isNew) result.imported++;
    else if (wasMissing) result.relinked++;
    else result.unchanged++;
  }

  result.missing = gone.size;
  result.cancelled = signal?.aborted ?? false;
  if (!result.cancelled) progress.phase({ done: candidates.length, total: candidates.length, message: `Read ${candidates.length} images` });
  return result;
}

/** A row to write while listing. */
type ListWrite =
  /** a new file: a row with what stat says, indexed later */
  | { kind: 'insert'; c: Candidate; facts: FileFacts }
  /** an unchanged row: present again (missing = 0), with the file's identity filled in where it had none */
  | { kind: 'present'; id: number; fileId: string }
  /** a row listed before and not read yet, whose file changed or came back: what stat says now */
  | { kind: 'relist'; id: number; facts: FileFacts };

/**
 * Phase 1: stat each file, in path order, and list a row for each new one (no file is opened). Unchanged rows (same
 * identity, size and mtime, already indexed) are trusted; changed ones are marked for phase 2 and keep their row as it
 * is until their new bytes are read. Rows are committed in batches of BATCH_ROWS or FLUSH_MS, in path order.
 */
async function listPhase(
  db: Db,
  candidates: Candidate[],
  stored: Map<number, Map<string, StoredRow>>,
  origin: Map<number, { isNew: boolean; wasMissing: boolean }>,
  result: ImportResult & { notes: ImportError[] },
  progress: Throttle,
  opts: ScanOptions,
  concurrency: number,
): Promise<void> {
  const { signal } = opts;
  const insert = db.prepare(
    `INSERT INTO images (root_id, rel_path, width, height, orientation, format, byte_size, mtime_ms, file_id, content_hash, added_at, indexed)
     VALUES (?, ?, 0, 0, 1, ?, ?, ?, ?, '', ?, 0)`,
  );
  const markPresent = db.prepare('UPDATE images SET missing = 0, file_id = ? WHERE id = ?');
  const relist = db.prepare('UPDATE images SET missing = 0, byte_size = ?, mtime_ms = ?, file_id = ? WHERE id = ? AND indexed < 2');
  const flush = db.transaction((batch: ListWrite[]) => {
    const now = Date.now();
    for (const w of batch) {
      if (w.kind === 'present') markPresent.run(w.fileId, w.id);
      else if (w.kind === 'relist') relist.run(w.facts.size, w.facts.mtimeMs, w.facts.fileId, w.id);
      else {
        const { c, facts } = w;
        c.pendingId = Number(insert.run(c.root.id, c.rel, formatFromName(c.rel), facts.size, facts.mtimeMs, facts.fileId, now).lastInsertRowid);
        origin.set(c.pendingId, { isNew: true, wasMissing: false });
      }
    }
  });
  let writes: ListWrite[] = [];
  let batchStarted = 0;
  const commit = () => {
    if (writes.length === 0) return;
    const batch = writes;
    writes = [];
    batchStarted = 0;
    flush(batch);
    opts.onRows?.(batch.length);
  };

  // Synchronous stats in slices of LIST_SLICE_MS, the event loop served between them: on 10,000 local files the
  // listing took 0.74 s with each stat a promise through libuv's four threads and 0.65 s this way (issue 12).
  let sliceStart = performance.now();
  const statListed = async (file: string): Promise<BigIntStats> => {
    if (performance.now() - sliceStart >= LIST_SLICE_MS) {
      await new Promise((r) => setImmediate(r));
      sliceStart = performance.now();
    }
    return fs.statSync(file, { bigint: true });
  };

  const listOne = async (c: Candidate): Promise<ListWrite | null> => {
    if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
    const st = await statListed(c.abs);
    const seen = factsOf(st);
    const prev = stored.get(c.root.id)!.get(c.rel);
    const sameFile = prev !== undefined && (prev.file_id === null || prev.file_id === seen.fileId);
    const same = prev !== undefined && sameFile && prev.byte_size === seen.size && prev.mtime_ms === seen.mtimeMs;
    if (prev && same && prev.indexed === 2) {
      // Unchanged: trusted without reading, which is what makes a rescan of a big folder take seconds. Rows from
      // before schema v3 get the file's identity here.
      if (prev.missing) result.relinked++;
      else result.unchanged++;
      return prev.missing || prev.file_id === null ? { kind: 'present', id: prev.id, fileId: seen.fileId } : null;
    }
    if (seen.size === 0) throw new UnreadableImageError('empty file (0 bytes)');
    const kind = specialKind(st);
    if (kind) throw new NotRegularFileError(c.abs, kind);
    if (!prev) return { kind: 'insert', c, facts: seen };
    if (prev.indexed < 2) {
      // Listed by an earlier scan that was stopped before reading it: read in phase 2 like a new one.
      c.pendingId = prev.id;
      origin.set(prev.id, { isNew: false, wasMissing: prev.missing === 1 });
      return same && !prev.missing ? null : { kind: 'relist', id: prev.id, facts: seen };
    }
    c.changed = prev;
    return null;
  };

  const total = candidates.length;
  let done = 0;
  progress.phase({ done, total, message: `Listing ${total} images…` });
  await runInOrder(
    candidates,
    concurrency,
    () => signal?.aborted === true,
    async (c) => {
      try {
        return await listOne(c);
      } catch (e) {
        result.errors.push({ path: c.abs, reason: unreadableReason(e) });
        return null;
      }
    },
    (_c, write) => {
      done++;
      if (write) {
        writes.push(write);
        if (batchStarted === 0) batchStarted = Date.now();
      }
      if (writes.length >= BATCH_ROWS || (writes.length > 0 && Date.now() - batchStarted >= FLUSH_MS)) commit();
      progress.tick({ done, total, message: `Listing images: ${done} of ${total}` });
    },
  );
  commit();
  if (signal?.aborted) progress.phase({ done, total, message: `Cancelled after ${done} of ${total} images` });
}

/**
 * Phase 2: read each pending row's file once (header and content hash), and each changed file, in path order; the
 * writes go through the indexer's queue (shared with reads for the screen) and are committed in batches. A file that
 * is not a readable image loses its row unless it has labels, and is reported; a changed file that cannot be read
 * keeps its row as it was. Rows not read when the scan is cancelled stay pending for the next one.
 */
async function indexPhase(
  db: Db,
  candidates: Candidate[],
  origin: Map<number, { isNew: boolean; wasMissing: boolean }>,
  result: ImportResult & { notes: ImportError[] },
  progress: Throttle,
  opts: ScanOptions,
  concurrency: number,
): Promise<void> {
  const { signal } = opts;
  const work = candidates.filter((c) => c.pendingId !== undefined || c.changed !== undefined);
  if (work.length === 0) return;
  await opts.beforeIndex?.();
  if (signal?.aborted) return;
  const drop = db.prepare('DELETE FROM images WHERE id = ? AND indexed < 2 AND annotation_count = 0');
  const total = work.length;
  const count = (n: number) => n.toLocaleString('en-US');
  let done = 0;
  let dropped = 0;
  let batchStarted = 0;
  const commit = () => {
    const { written } = flushIndexed(db);
    batchStarted = 0;
    if (written + dropped > 0) opts.onIndexed?.(written + dropped);
    dropped = 0;
  };

  const indexOne = async (c: Candidate) => {
    if (opts.indexDelayMs) await new Promise((r) => setTimeout(r, opts.indexDelayMs));
    // Thumbnails and images a person is waiting for go first.
    await backgroundTurn(db, signal);
    if (signal?.aborted) return;
    if (c.pendingId !== undefined) {
      const r = await readPending(db, c.pendingId, c.open);
      if (r?.kind !== 'unreadable') return;
      result.errors.push({ path: c.abs, reason: unreadableReason(r.error) });
      origin.delete(c.pendingId);
      if (drop.run(c.pendingId).changes > 0) dropped++;
      return;
    }
    const prev = c.changed!;
    let read: FileRead;
    try {
      read = await readAndHash(c.open);
    } catch (e) {
      result.errors.push({ path: c.abs, reason: unreadableReason(e) });
      return;
    }
    queueUpdate(db, prev.id, read);
    // The same bytes, size and mtime in another inode (a restored backup, a copy over the file): only the row's file
    // identity changes.
    if (prev.byte_size === read.facts.size && prev.mtime_ms === read.facts.mtimeMs && read.hash === prev.content_hash) {
      if (prev.missing) result.relinked++;
      else result.unchanged++;
    } else result.updated++;
  };

  // The job's numbers go on from where listing ended (a job's progress never goes back: the windows drop a report
  // whose `done` is below the last one); the message counts this phase's files.
  const listed = candidates.length;
  const at = (n: number) => ({ done: listed + n, total: listed + total });
  progress.phase({ ...at(done), message: `Indexing ${count(total)} images…` });
  await runPool(work, concurrency, async (c) => {
    if (signal?.aborted) return false;
    await indexOne(c);
    done++;
    const waiting = queuedWrites(db) + dropped;
    if (waiting > 0 && batchStarted === 0) batchStarted = Date.now();
    if (waiting >= BATCH_ROWS || (waiting > 0 && Date.now() - batchStarted >= FLUSH_MS)) commit();
    progress.tick({ ...at(done), message: `Indexing images: ${count(done)} of ${count(total)} (sizes and hashes)` });
    return true;
  });
  commit();
  if (signal?.aborted) {
    progress.phase({ ...at(done), message: `Cancelled after indexing ${count(done)} of ${count(total)} images; the rest are read at the next rescan` });
  }
}

async function walk(scope: Scope, out: Candidate[], result: ImportResult & { notes: ImportError[] }, progress: Throttle, signal?: AbortSignal): Promise<void> {
  const { root, prefix } = scope;
  const start = path.join(root.path, ...prefix.split('/'));
  const startStat = await stat(start);
  // Real directories by device + inode: a symlink back to an ancestor is seen once, so loops end.
  const visited = new Set([`${startStat.dev}:${startStat.ino}`]);
  const stack: [string, string][] = [[start, prefix]];
  const outside = (real: string) => !root.follow_links && real !== root.path && !isInside(real, root.path);
  while (stack.length > 0 && !signal?.aborted) {
    const [dir, relDir] = stack.pop()!;
    let entries: Dirent<Buffer>[];
    try {
      // Names as bytes: one that is not UTF-8 cannot round-trip through a string (it came back as "disappeared").
      entries = (await readdir(dir, { withFileTypes: true, encoding: 'buffer' })) as unknown as Dirent<Buffer>[];
    } catch (e) {
      result.errors.push({ path: dir, reason: `cannot list folder: ${unreadableReason(e)}` });
      continue;
    }
    for (const entry of entries) {
      if (entry.name[0] === 0x2e) continue; // "."
      if (!isUtf8(entry.name)) {
        result.errors.push({ path: path.join(dir, escapeName(entry.name)), reason: 'its name is not valid UTF-8, so it cannot be stored; rename it to import it' });
        continue;
      }
      const name = entry.name.toString('utf8');
      const abs = path.join(dir, name);
      const rel = relDir + name;
      let open = abs;
      if (entry.isDirectory() || entry.isSymbolicLink()) {
        const st = await stat(abs).catch(() => null);
        if (!st) {
          if (isImageFileName(name)) result.errors.push({ path: abs, reason: 'broken symbolic link: its target does not exist' });
          continue;
        }
        if (entry.isSymbolicLink()) {
          const real = await realpath(abs).catch(() => null);
          if (real === null) continue;
          if (outside(real)) {
            result.notes.push({
              path: abs,
              reason: `symbolic link to ${st.isDirectory() ? 'a folder' : 'a file'} outside the folder (${real}): not followed. Import with "follow links" to include it.`,
            });
            continue;
          }
          open = real;
        }
        if (st.isDirectory()) {
          const key = `${st.dev}:${st.ino}`;
          if (!visited.has(key)) {
            visited.add(key);
            stack.push([abs, `${rel}/`]);
          }
          continue;
        }
        const kind = specialKind(st);
        if (kind) {
          result.notes.push({ path: abs, reason: `skipped: a link to ${kind.replace(/^an? /, 'a ')}, not a regular file` });
          continue;
        }
      } else if (!entry.isFile()) {
        const kind = entry.isFIFO() ? 'a FIFO (named pipe)' : entry.isSocket() ? 'a socket' : entry.isCharacterDevice() || entry.isBlockDevice() ? 'a device' : 'not a regular file';
        result.notes.push({ path: abs, reason: `skipped: ${kind === 'not a regular file' ? kind : `${kind}, not a regular file`}` });
        continue;
      }
      if (isImageFileName(name)) out.push({ root, rel, abs, open });
      else result.skipped++;
    }
    progress.tick({ done: 0, total: null, message: `Looking for images… ${out.length} found` });
  }
}

/**
 * Candidates in the images table's order: by root as given, then by path in SQLite's binary collation (UTF-8 bytes),
 * which is what `ORDER BY rel_path` lists.
 */
function sortByPath(candidates: Candidate[]): void {
  const roots = new Map<number, number>();
  for (const c of candidates) if (!roots.has(c.root.id)) roots.set(c.root.id, roots.size);
  const keyed = candidates.map((c) => ({ c, root: roots.get(c.root.id)!, key: Buffer.from(c.rel, 'utf8') }));
  keyed.sort((a, b) => a.root - b.root || Buffer.compare(a.key, b.key));
  keyed.forEach((k, i) => (candidates[i] = k.c));
}

/** A name that is not UTF-8, shown with its odd bytes as \xNN so a person can find the file. */
function escapeName(name: Buffer): string {
  let out = '';
  for (const b of name) out += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return out;
}

/**
 * Run `work` over `items`, at most `limit` at a time, and hand each result to `emit` in the items' order, as soon as
 * every item before it is done. Once `stop()` is true no item is started; those started are finished and emitted.
 */
async function runInOrder<T, R>(items: T[], limit: number, stop: () => boolean, work: (item: T) => Promise<R>, emit: (item: T, r: R) => void): Promise<void> {
  const results: ({ r: R } | undefined)[] = new Array(items.length);
  let next = 0;
  let emitted = 0;
  const worker = async () => {
    while (next < items.length && !stop()) {
      const i = next++;
      results[i] = { r: await work(items[i]) };
      while (emitted < items.length && results[emitted]) {
        emit(items[emitted], results[emitted]!.r);
        results[emitted++] = undefined;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Run `fn` over `items`, at most `limit` at a time; a worker stops when `fn` returns false. */
async function runPool<T>(items: T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      if ((await fn(items[next++])) === false) return;
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

interface Throttle {
  tick(p: ScanProgress): void;
  phase(p: ScanProgress): void;
}

/** At most one tick per interval; a phase change is always reported, and so is the first tick after it. */
function throttle(onProgress?: (p: ScanProgress) => void): Throttle {
  let last = -Infinity;
  return {
    tick(p) {
      const now = performance.now();
      if (!onProgress || now - last < PROGRESS_INTERVAL_MS) return;
      last = now;
      onProgress(p);
    },
    phase(p) {
      last = -Infinity;
      onProgress?.(p);
    },
  };
}
