/**
 * What keyset paging over `images` needs besides SQL: the order SQLite gives sort-key values (to binary-search the
 * sampled keys), the opaque cursors `images.list` hands out, and the change counters that say when a cached
 * position or count is still true. See `ImagesRepo` and docs/ARCHITECTURE.md ("The grid pages by key").
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import { ApiError } from '../../../common/api/contract.js';

/** The values of a row's sort key, unique column last: numbers (INTEGER / REAL) and text. */
export type Key = (number | string)[];

/**
 * SQLite's order on two sort-key values of one column: numbers numerically, text in BINARY collation (UTF-8 bytes,
 * which is code point order). JavaScript's `<` compares UTF-16 units, which differs from it only where a surrogate
 * pair (code point ≥ U+10000) meets a unit in U+E000–U+FFFF; that case is turned around here.
 */
export function compareValues(a: number | string, b: number | string): number {
  if (typeof a === 'number' || typeof b === 'number') {
    // Both numbers in a well-formed key; SQLite puts numbers before text should the types ever differ.
    if (typeof a !== 'number') return 1;
    if (typeof b !== 'number') return -1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy) return sx ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** Row-value order: what `(a, b) < (c, d)` means in SQLite for keys of one sort. */
export function compareKeys(a: Key, b: Key): number {
  for (let i = 0; i < a.length; i++) {
    const c = compareValues(a[i], b[i]);
    if (c !== 0) return c;
  }
  return 0;
}

/**
 * Where a page ended (or began): the list it belongs to (`sig`), the row's sort key, and its position in the list as
 * of `stamp`. The position is trusted only while the list's stamp is unchanged; after a change it is worked out again.
 */
export interface Cursor {
  sig: string;
  stamp: string | null;
  pos: number;
  key: Key;
}

const CURSOR_VERSION = 1;

/** JSON has no infinities; a REAL column can hold them (an evaluation score, in principle). */
const toJson = (v: number | string) => (typeof v === 'number' && !Number.isFinite(v) && !Number.isNaN(v) ? { inf: Math.sign(v) } : v);
const fromJson = (v: unknown): number | string | undefined => {
  if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) return v;
  if (v && typeof v === 'object' && 'inf' in v && ((v as { inf: unknown }).inf === 1 || (v as { inf: unknown }).inf === -1)) return (v as { inf: number }).inf * Infinity;
  return undefined;
};

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([CURSOR_VERSION, c.sig, c.stamp, c.pos, c.key.map(toJson)])).toString('base64url');
}

/** A cursor sent back by a client, checked against the list it is used on. */
export function decodeCursor(text: string, sig: string, keyLength: number): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  const bad = () => new ApiError('bad_request', 'This page cursor is not one images.list gave out. Ask for the page by offset instead.');
  if (!Array.isArray(parsed) || parsed.length !== 5 || parsed[0] !== CURSOR_VERSION) throw bad();
  const [, csig, stamp, pos, key] = parsed as [number, unknown, unknown, unknown, unknown];
  if (typeof csig !== 'string' || (stamp !== null && typeof stamp !== 'string') || !Number.isSafeInteger(pos) || (pos as number) < 0) throw bad();
  const values = Array.isArray(key) ? key.map(fromJson) : [];
  if (values.length !== keyLength || values.some((v) => v === undefined)) throw bad();
  if (csig !== sig) {
    throw new ApiError('bad_request', 'This page cursor belongs to another filter or sort. Ask for the first page of the new list by offset.');
  }
  return { sig: csig, stamp, pos: pos as number, key: values as Key };
}

/** JSON with object keys sorted, so that equal filters give equal signatures. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

const signatures = new Map<string, string>();

/** A short name for a filter and sort: cursors carry it, caches are keyed by it. */
export function listSignature(filter: unknown, sort: unknown): string {
  const json = stableJson({ filter, sort });
  let sig = signatures.get(json);
  if (sig === undefined) {
    if (signatures.size >= 256) signatures.clear();
    signatures.set(json, (sig = createHash('sha256').update(json).digest('base64url').slice(0, 16)));
  }
  return sig;
}

/** What a list's rows depend on besides the image rows themselves. */
export interface Depends {
  status: boolean;
  labeled: boolean;
  errors: boolean;
}

/**
 * Counts, on this connection, the writes that can change which images a list holds or their order: inserts and
 * deletes of images, updates of a column a filter or sort reads (status and "has labels" counted apart, since labeling
 * changes them all the time and most lists read neither), and writes to `image_errors`. TEMP triggers call a
 * JavaScript function, so nothing is written to the project and a rolled-back write still counts (safe side).
 * Commits by other connections move `PRAGMA data_version`. Lists filtered by predictions are never cached.
 *
 * A new filter or sort column must be added to the `images_keys` trigger below.
 */
export class ChangeCounter {
  private static readonly byDb = new WeakMap<Database, ChangeCounter>();
  private readonly counts = { images: 0, status: 0, labeled: 0, errors: 0 };
  /** Stamps from an earlier open (or another project) never match this one's. */
  private readonly session = randomBytes(6).toString('base64url');
  private readonly live: boolean;
  private readonly dataVersion: Statement;

  static for(db: Database): ChangeCounter {
    let c = ChangeCounter.byDb.get(db);
    if (!c) ChangeCounter.byDb.set(db, (c = new ChangeCounter(db)));
    return c;
  }

  private constructor(private readonly db: Database) {
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
    this.live = db.readonly || this.install();
  }

  private install(): boolean {
    const kinds = ['images', 'status', 'labeled', 'errors'] as const;
    try {
      this.db.function('sightline_list_changed', { deterministic: false, varargs: false }, (kind: unknown) => {
        this.counts[kinds[Number(kind)]]++;
        return null;
      });
      const bump = (k: (typeof kinds)[number]) => `BEGIN SELECT sightline_list_changed(${kinds.indexOf(k)}); END`;
      const changed = (cols: string[]) => cols.map((c) => `old.${c} IS NOT new.${c}`).join(' OR ');
      this.db.exec(`
        CREATE TEMP TRIGGER IF NOT EXISTS sightline_images_insert AFTER INSERT ON main.images ${bump('images')};
        CREATE TEMP TRIGGER IF NOT EXISTS sightline_images_delete AFTER DELETE ON main.images ${bump('images')};
        CREATE TEMP TRIGGER IF NOT EXISTS sightline_images_keys AFTER UPDATE OF id, root_id, rel_path, mtime_ms, byte_size, missing ON main.images
          WHEN ${changed(['id', 'root_id', 'rel_path', 'mtime_ms', 'byte_size', 'missing'])} ${bump('images')};
        CREATE TEMP TRIGGER IF NOT EXISTS sightline_images_status AFTER UPDATE OF status ON main.images
          WHEN ${changed(['status'])} ${bump('status')};
        CREATE TEMP TRIGGER IF NOT EXISTS sightline_images_labeled AFTER UPDATE OF annotation_count ON main.images
          WHEN (old.annotation_count > 0) IS NOT (new.annotation_count > 0) ${bump('labeled')};
        CREATE TEMP TRIGGER IF NOT EXISTS sightline_errors_insert AFTER INSERT ON main.image_errors ${bump('errors')};
        CREATE TEMP TRIGGER IF NOT EXISTS sightline_errors_update AFTER UPDATE ON main.image_errors ${bump('errors')};
        CREATE TEMP TRIGGER IF NOT EXISTS sightline_errors_delete AFTER DELETE ON main.image_errors ${bump('errors')};
      `);
      return true;
    } catch {
      // No caching then: every position and count is worked out from the rows.
      return false;
    }
  }

  /**
   * The state of everything a list with these dependencies reads, or null when nothing may be cached: counters not
   * installed, or a transaction open (what it wrote may still be rolled back, bringing back rows counted without).
   */
  stamp(deps: Depends): string | null {
    if (!this.live || this.db.inTransaction) return null;
    const version = this.dataVersion.get() as number;
    const c = this.counts;
    return `${this.session}.${version}.${c.images}.${deps.status ? c.status : '-'}.${deps.labeled ? c.labeled : '-'}.${deps.errors ? c.errors : '-'}`;
  }
}
