/** Label classes: name, colour, hotkey and a stable order that exports and hotkeys rely on. */
import type { Database } from 'better-sqlite3';
import { ApiError, type KeypointTemplate, type LabelClass } from '../../../common/api/contract.js';
import { IdCounters } from './ids.js';

const COLUMNS = 'id, name, color, hotkey, position, keypoints';

type ClassRecord = Omit<LabelClass, 'keypoints'> & { keypoints: string | null };

function toClass(r: ClassRecord): LabelClass {
  return { ...r, keypoints: r.keypoints === null ? null : (JSON.parse(r.keypoints) as KeypointTemplate) };
}

/** The keypoints column: JSON, or NULL for a class without a template. */
export function encodeKeypoints(t: KeypointTemplate | null): string | null {
  return t === null ? null : JSON.stringify({ names: t.names, edges: t.edges });
}

/** Distinct, colour-blind-friendly defaults (Tableau 10), reused in order. */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

export class ClassesRepo {
  private readonly ids: IdCounters;

  constructor(private readonly db: Database) {
    this.ids = new IdCounters(db);
  }

  list(): LabelClass[] {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM label_classes ORDER BY position, id`).all() as ClassRecord[]).map(toClass);
  }

  private get(id: number): LabelClass {
    const c = this.db.prepare(`SELECT ${COLUMNS} FROM label_classes WHERE id = ?`).get(id) as ClassRecord | undefined;
    if (!c) throw new ApiError('not_found', `Class ${id} does not exist in this project.`);
    return toClass(c);
  }

  /** What uses a class (for the delete dialog, and the ids a reclass change moves): its annotations and their images. */
  usage(id: number): { annotations: number; images: number; ids: number[] } {
    this.get(id);
    const rows = this.db.prepare('SELECT id, image_id AS imageId FROM annotations WHERE class_id = ? ORDER BY id').all(id) as { id: number; imageId: number }[];
    return { annotations: rows.length, images: new Set(rows.map((r) => r.imageId)).size, ids: rows.map((r) => r.id) };
  }

  upsert(input: { id?: number; name: string; color?: string; hotkey?: string | null; keypoints?: KeypointTemplate | null }): LabelClass {
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
        .prepare('UPDATE label_classes SET name = ?, color = ?, hotkey = ?, keypoints = ? WHERE id = ?')
        .run(
          input.name,
          input.color ?? current.color,
          input.hotkey === undefined ? current.hotkey : input.hotkey,
          encodeKeypoints(input.keypoints === undefined ? current.keypoints : input.keypoints),
          input.id,
        );
      return this.get(input.id);
    }
    return this.db.transaction(() => {
      const { n, maxPos } = this.db.prepare('SELECT count(*) AS n, coalesce(max(position), -1) AS maxPos FROM label_classes').get() as {
        n: number;
        maxPos: number;
      };
      // The id comes from the shared counter: the editor may hold reserved class ids that are not written yet.
      const { first: id } = this.ids.reserve('label_classes', 1);
      this.db
        .prepare('INSERT INTO label_classes (id, name, color, hotkey, position, keypoints, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(id, input.name, input.color ?? PALETTE[n % PALETTE.length], input.hotkey ?? null, maxPos + 1, encodeKeypoints(input.keypoints ?? null), Date.now());
      return this.get(id);
    })();
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
