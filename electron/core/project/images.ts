/** Queries over `images` for the grid and the viewer: paged lists, neighbours, review status. */
import type { Database } from 'better-sqlite3';
import { ApiError, type FolderCount, type ImageFilter, type ImageFolders, type ImageRow, type ImageSort, type ReviewStatus } from '../../../common/api/contract.js';

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
}

const COLUMNS = `i.id, i.root_id, i.rel_path, i.width, i.height, i.orientation, i.format, i.byte_size, i.mtime_ms,
  i.content_hash, i.status, i.missing, i.added_at, i.annotation_count`;

/**
 * Sort keys end in a unique column so that paging and neighbours are stable. Evaluation keys read `image_errors`
 * (migration 0005) for the run; an image it has no number for sorts last in either direction (a sentinel per
 * direction). The run id is a validated integer, so it is written into the SQL.
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
  };
}

export function whereClause(filter: ImageFilter): { sql: string; params: unknown[] } {
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
      parts.push('i.rel_path >= ? AND i.rel_path < ?');
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

  constructor(private readonly db: Database) {}

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

  list(args: { offset: number; limit: number; filter: ImageFilter; sort: ImageSort }): { total: number; offset: number; items: ImageRow[] } {
    const { sql: where, params } = whereClause(args.filter);
    const dir = args.sort.dir === 'desc' ? 'DESC' : 'ASC';
    const order = sortKeys(args.sort).map((k) => `${k} ${dir}`).join(', ');
    const total = (this.db.prepare(`SELECT count(*) AS n FROM images i ${where}`).get(...params) as { n: number }).n;
    const items = this.db
      .prepare(`SELECT ${COLUMNS} FROM images i ${where} ORDER BY ${order} LIMIT ? OFFSET ?`)
      .all(...params, args.limit, args.offset) as ImageRecord[];
    return { total, offset: args.offset, items: items.map(toRow) };
  }

  get(id: number): ImageRow {
    const r = this.db.prepare(`SELECT ${COLUMNS} FROM images i WHERE i.id = ?`).get(id) as ImageRecord | undefined;
    if (!r) throw new ApiError('not_found', `Image ${id} is not in this project.`);
    return toRow(r);
  }

  /** The images before and after `id` in the given order, by keyset comparison (no OFFSET scan). */
  neighbors(id: number, filter: ImageFilter, sort: ImageSort): { prev: number | null; next: number | null; index: number; total: number } {
    const keys = sortKeys(sort);
    const current = this.db.prepare(`SELECT ${keys.map((k, j) => `${k} AS k${j}`).join(', ')} FROM images i WHERE i.id = ?`).raw().get(id) as unknown[] | undefined;
    if (!current) throw new ApiError('not_found', `Image ${id} is not in this project.`);
    const values = current;
    const { sql: where, params } = whereClause(filter);
    const and = where ? `${where} AND` : 'WHERE';
    const tuple = `(${keys.join(', ')})`;
    const marks = `(${values.map(() => '?').join(', ')})`;
    const asc = sort.dir !== 'desc';
    const after = asc ? '>' : '<';
    const before = asc ? '<' : '>';
    const orderAfter = keys.map((k) => `${k} ${asc ? 'ASC' : 'DESC'}`).join(', ');
    const orderBefore = keys.map((k) => `${k} ${asc ? 'DESC' : 'ASC'}`).join(', ');
    const pick = (cmp: string, order: string) =>
      (this.db.prepare(`SELECT i.id FROM images i ${and} ${tuple} ${cmp} ${marks} ORDER BY ${order} LIMIT 1`).get(...params, ...values) as
        | { id: number }
        | undefined)?.id ?? null;
    const index = (this.db.prepare(`SELECT count(*) AS n FROM images i ${and} ${tuple} ${before} ${marks}`).get(...params, ...values) as { n: number }).n;
    const total = (this.db.prepare(`SELECT count(*) AS n FROM images i ${where}`).get(...params) as { n: number }).n;
    return { prev: pick(before, orderBefore), next: pick(after, orderAfter), index, total };
  }

  setStatus(ids: number[], status: ReviewStatus): number {
    const stmt = this.db.prepare('UPDATE images SET status = ? WHERE id = ?');
    return this.db.transaction(() => ids.reduce((n, id) => n + stmt.run(status, id).changes, 0))();
  }
}
