/** Queries over `images` for the grid and the viewer: paged lists, neighbours, review status. */
import type { Database } from 'better-sqlite3';
import { ApiError, type ImageFilter, type ImageRow, type ImageSort, type ReviewStatus } from '../../../common/api/contract.js';

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

function whereClause(filter: ImageFilter): { sql: string; params: unknown[] } {
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

export class ImagesRepo {
  constructor(private readonly db: Database) {}

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
