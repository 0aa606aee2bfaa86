/** Label classes: name, colour, hotkey and a stable order that exports and hotkeys rely on. */
import type { Database } from 'better-sqlite3';
import { ApiError, type LabelClass } from '../../../common/api/contract.js';

/** Distinct, colour-blind-friendly defaults (Tableau 10), reused in order. */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

export class ClassesRepo {
  constructor(private readonly db: Database) {}

  list(): LabelClass[] {
    return this.db.prepare('SELECT id, name, color, hotkey, position FROM label_classes ORDER BY position, id').all() as LabelClass[];
  }

  private get(id: number): LabelClass {
    const c = this.db.prepare('SELECT id, name, color, hotkey, position FROM label_classes WHERE id = ?').get(id) as LabelClass | undefined;
    if (!c) throw new ApiError('not_found', `Class ${id} does not exist in this project.`);
    return c;
  }

  upsert(input: { id?: number; name: string; color?: string; hotkey?: string | null }): LabelClass {
    const clash = this.db.prepare('SELECT id, name FROM label_classes WHERE (name = ? OR (hotkey IS NOT NULL AND hotkey = ?)) AND id IS NOT ?').get(
      input.name,
      input.hotkey ?? null,
      input.id ?? null,
    ) as { id: number; name: string } | undefined;
    if (clash) {
      throw new ApiError(
        'conflict',
        clash.name === input.name ? `A class named "${input.name}" already exists.` : `Hotkey "${input.hotkey}" is already used by class "${clash.name}".`,
      );
    }
    if (input.id !== undefined) {
      const current = this.get(input.id);
      this.db
        .prepare('UPDATE label_classes SET name = ?, color = ?, hotkey = ? WHERE id = ?')
        .run(input.name, input.color ?? current.color, input.hotkey === undefined ? current.hotkey : input.hotkey, input.id);
      return this.get(input.id);
    }
    const { n, maxPos } = this.db.prepare('SELECT count(*) AS n, coalesce(max(position), -1) AS maxPos FROM label_classes').get() as {
      n: number;
      maxPos: number;
    };
    const info = this.db
      .prepare('INSERT INTO label_classes (name, color, hotkey, position, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(input.name, input.color ?? PALETTE[n % PALETTE.length], input.hotkey ?? null, maxPos + 1, Date.now());
    return this.get(Number(info.lastInsertRowid));
  }

  /** Annotations of a deleted class keep their geometry and become unclassified (ON DELETE SET NULL). */
  delete(id: number): void {
    this.get(id);
    this.db.prepare('DELETE FROM label_classes WHERE id = ?').run(id);
  }

  reorder(ids: number[]): LabelClass[] {
    const existing = this.list().map((c) => c.id);
    const given = new Set(ids);
    if (given.size !== ids.length || ids.length !== existing.length || existing.some((id) => !given.has(id))) {
      throw new ApiError('bad_request', `Reorder needs every class id exactly once (${existing.length} classes, got ${ids.length} ids).`);
    }
    const stmt = this.db.prepare('UPDATE label_classes SET position = ? WHERE id = ?');
    this.db.transaction(() => ids.forEach((id, i) => stmt.run(i, id)))();
    return this.list();
  }
}
