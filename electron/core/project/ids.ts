/**
 * Row ids for annotations and label classes come from one counter per table (`id_counters`), never from SQLite's
 * default rowid. The editor reserves ids before it writes a step (the step names the rows it creates, and a redone
 * create gets the same id back); if any other insert took max(id) + 1, it could take an id a window reserved but has
 * not written yet, and that window's next save would then overwrite someone else's row.
 */
import type { Database } from 'better-sqlite3';
import { ApiError } from '../../../common/api/contract.js';

export type CountedTable = 'annotations' | 'label_classes';

export class IdCounters {
  constructor(private readonly db: Database) {}

  /**
   * Hand out `count` consecutive ids, never handed out before. Starts above max(id) as well, so rows written by
   * other tools (the benchmark generator, an older Sightline) are never collided with.
   */
  reserve(table: CountedTable, count: number): { first: number; count: number } {
    if (!Number.isInteger(count) || count < 1) throw new ApiError('bad_request', `Cannot reserve ${count} ids: give a positive whole number.`);
    const run = () => {
      const next = this.db.prepare('SELECT next FROM id_counters WHERE name = ?').pluck().get(table) as number | undefined;
      if (next === undefined) throw new ApiError('internal', `The project has no id counter for ${table}; it was not upgraded correctly.`);
      // max(id) on an INTEGER PRIMARY KEY is one b-tree seek, not a scan.
      const maxId = (this.db.prepare(`SELECT max(id) FROM ${table}`).pluck().get() as number | null) ?? 0;
      const first = Math.max(next, maxId + 1);
      this.db.prepare('UPDATE id_counters SET next = ? WHERE name = ?').run(first + count, table);
      return { first, count };
    };
    // Inside a caller's transaction this joins it; alone, it is its own (immediate, so two connections never race).
    return this.db.inTransaction ? run() : this.db.transaction(run).immediate();
  }

  /** Keep the counter above an id written explicitly (a step's create), so it is never handed out later. */
  noteUsed(table: CountedTable, id: number): void {
    this.db.prepare('UPDATE id_counters SET next = ? WHERE name = ? AND next <= ?').run(id + 1, table, id);
  }
}
