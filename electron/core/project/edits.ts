/**
 * The editor's writes: steps with every change's before and after state, applied in one transaction each and kept
 * per image (`edit_history`), so undo and redo work after a reload, a crash or on another day.
 *
 * - A step is idempotent by its client-made `key`: a retried write (the answer was lost, the window reloaded) is
 *   answered with the first result and changes nothing.
 * - Undo and redo name the step they expect (`key`); when another window has moved the image's history since, the
 *   call is refused with `conflict` rather than undoing someone else's step.
 * - The later write wins: a step sets rows to its `after` states whatever they are now (two windows on one image).
 * - References that no longer resolve (a deleted class, a prediction of a removed run) become null instead of
 *   failing the write, so an old step can always be undone.
 * - A class deleted while annotations use it: the step gains a `reclass` change of those annotations (to null),
 *   so undoing it gives them their class back. The same holds when undo or redo deletes a class.
 */
import type { Database } from 'better-sqlite3';
import {
  ApiError,
  HISTORY_LIMIT,
  type AnnotationState,
  type ClassState,
  type EditChange,
  type EditStep,
  type ErrorCode,
  type Geometry,
  type HistoryEntry,
  type ImageHistory,
  type ReviewStatus,
} from '../../../common/api/contract.js';
import { encodeGeometry } from './annotations.js';
import { encodeKeypoints } from './classes.js';
import { IdCounters } from './ids.js';

/** Keys of dropped or trimmed steps are remembered this long, to recognise a late retry. */
const RETIRED_KEY_DAYS = 30;
const MAX_COUNT = 0xffff_ffff;

export interface EditResult {
  seq: number;
  /** false when the call was a retry of one already done: nothing changed. */
  applied: boolean;
  /** Images whose labels or history changed (always includes the step's image when applied). */
  imageIds: number[];
  /** The step created, changed or deleted classes. */
  classesChanged: boolean;
}

interface StepRecord {
  seq: number;
  image_id: number;
  key: string;
  label: string;
  changes: string;
  undone: number;
  client: string | null;
  created_at: number;
}

type Direction = 'forward' | 'backward';

function bad(message: string): ApiError {
  return new ApiError('bad_request', message);
}

function describeGeometryProblem(g: Geometry): string | null {
  switch (g.type) {
    case 'box':
      if (!(g.w > 0 && g.h > 0)) return `a box needs a width and a height above 0 (got ${g.w} × ${g.h})`;
      return null;
    case 'polygon':
      if (g.points.length % 2 !== 0) return 'polygon points must be x,y pairs';
      if (g.points.length < 6) return `a polygon needs at least 3 points (got ${g.points.length / 2})`;
      return null;
    case 'mask': {
      let sum = 0;
      for (let i = 0; i < g.counts.length; i++) {
        const c = g.counts[i];
        if (!Number.isInteger(c) || c < 0 || c > MAX_COUNT) return `mask count ${i} is ${c}; each count must be a whole number from 0 to ${MAX_COUNT}`;
        sum += c;
      }
      if (sum !== g.width * g.height) return `mask counts add up to ${sum}, not width × height = ${g.width} × ${g.height} = ${g.width * g.height}`;
      return null;
    }
    case 'keypoints': {
      if (g.points.length % 3 !== 0) return 'keypoints must be x,y,v triples';
      for (let i = 2; i < g.points.length; i += 3) {
        const v = g.points[i];
        if (v !== 0 && v !== 1 && v !== 2) return `keypoint ${(i - 2) / 3} has visibility ${v}; it must be 0 (not labeled), 1 (occluded) or 2 (visible)`;
      }
      if (g.names && g.names.length !== g.points.length / 3) return `keypoints have ${g.points.length / 3} points but ${g.names.length} names`;
      return null;
    }
    default:
      return null;
  }
}

/** Checks a step's shape before anything is written, naming the change that is wrong. */
function validateStep(imageId: number, step: EditStep): void {
  if (typeof step.key !== 'string' || !/^[A-Za-z0-9_-]{8,64}$/.test(step.key)) {
    throw bad('The step key must be 8 to 64 letters, digits, "_" or "-".');
  }
  if (!Array.isArray(step.changes) || step.changes.length === 0) throw bad(`Step "${step.label}" has no changes.`);
  step.changes.forEach((c, i) => {
    const where = `change ${i}`;
    if (c.t === 'annotation') {
      if (!Number.isSafeInteger(c.id) || c.id < 1) throw bad(`${where}: annotation id ${c.id} is not a positive whole number.`);
      for (const [side, s] of [
        ['before', c.before],
        ['after', c.after],
      ] as const) {
        if (s === null) continue;
        if (s.imageId !== imageId) {
          throw bad(
            `${where}: annotation ${c.id} (${side}) is on image ${s.imageId}, but this step is for image ${imageId}; ` +
              "a step changes only its own image's annotations (a 'reclass' change may move other images' annotations between classes).",
          );
        }
        if (s.geometry.type !== s.kind) throw bad(`${where}: annotation ${c.id} (${side}) is a ${s.kind} but has ${s.geometry.type} geometry.`);
        const problem = describeGeometryProblem(s.geometry);
        if (problem) throw bad(`${where}: annotation ${c.id} (${side}): ${problem}.`);
      }
    } else if (c.t === 'class') {
      if (!Number.isSafeInteger(c.id) || c.id < 1) throw bad(`${where}: class id ${c.id} is not a positive whole number.`);
      for (const s of [c.before, c.after]) {
        if (s !== null && !s.name.trim()) throw bad(`${where}: class ${c.id} needs a name.`);
      }
    } else if (c.t === 'reclass') {
      if (!Array.isArray(c.ids)) throw bad(`${where}: reclass needs a list of annotation ids.`);
    } else {
      throw bad(`${where}: unknown change type "${(c as { t: unknown }).t}".`);
    }
  });
}

/** SQLite failures that are about the file (read-only, disk full, locked), said as such: the client retries them. */
function asWriteError(e: unknown, file: string): unknown {
  const code = (e as { code?: unknown })?.code;
  if (e instanceof ApiError || typeof code !== 'string' || !code.startsWith('SQLITE_')) return e;
  const what = code.startsWith('SQLITE_READONLY')
    ? 'the project file is read-only'
    : code.startsWith('SQLITE_FULL')
      ? 'the disk is full'
      : code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')
        ? 'another program holds the project file locked'
        : code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN')
          ? 'the disk could not be written'
          : null;
  if (!what) return e;
  return new ApiError('io', `Could not save the edit to ${file}: ${what} (${(e as Error).message}). Nothing was changed; the edit is kept and retried.`, {
    file,
    sqlite: code,
  });
}

export class EditsRepo {
  private readonly ids: IdCounters;

  constructor(private readonly db: Database) {
    this.ids = new IdCounters(db);
  }

  reserveIds(table: 'annotations' | 'classes', count: number): { first: number; count: number } {
    return this.write(() => this.ids.reserve(table === 'classes' ? 'label_classes' : 'annotations', count));
  }

  /** Apply one step to an image (and the project's classes) and keep it as the image's newest history step. */
  apply(imageId: number, step: EditStep, client?: string): EditResult & { status: ReviewStatus } {
    validateStep(imageId, step);
    return this.write(() => {
      const status = this.imageStatus(imageId);
      const known = this.findKey(step.key);
      if (known) {
        if (known.imageId !== imageId) {
          throw new ApiError('conflict', `Step key ${step.key} was already used for image ${known.imageId}; a new step needs a new key.`);
        }
        return { seq: known.seq, status, applied: false, imageIds: [], classesChanged: false };
      }
      const now = Date.now();
      const touched = new Set<number>([imageId]);
      const changes = this.run(step.changes, 'forward', imageId, 'apply', touched);
      let newStatus = status;
      if (status === 'new' && step.changes.some((c) => c.t === 'annotation')) {
        this.db.prepare(`UPDATE images SET status = 'in_progress' WHERE id = ?`).run(imageId);
        newStatus = 'in_progress';
      }
      // A new step replaces the redo branch, then the history keeps the newest HISTORY_LIMIT steps.
      const undone = this.db.prepare('SELECT seq, key FROM edit_history WHERE image_id = ? AND undone = 1').all(imageId) as { seq: number; key: string }[];
      this.retire(imageId, undone, now);
      const seq = Number(
        this.db
          .prepare('INSERT INTO edit_history (image_id, key, label, changes, undone, client, created_at) VALUES (?, ?, ?, ?, 0, ?, ?)')
          .run(imageId, step.key, step.label, JSON.stringify(changes), client ?? null, now).lastInsertRowid,
      );
      const cutoff = this.db
        .prepare('SELECT seq FROM edit_history WHERE image_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?')
        .pluck()
        .get(imageId, HISTORY_LIMIT) as number | undefined;
      if (cutoff !== undefined) {
        const old = this.db.prepare('SELECT seq, key FROM edit_history WHERE image_id = ? AND seq <= ?').all(imageId, cutoff) as { seq: number; key: string }[];
        this.retire(imageId, old, now);
      }
      return { seq, status: newStatus, applied: true, imageIds: [...touched], classesChanged: changes.some((c) => c.t === 'class') };
    });
  }

  /** Undo the image's newest step, which must be `key`. */
  undo(imageId: number, key: string, client?: string): EditResult {
    return this.move(imageId, key, 'backward', client);
  }

  /** Redo the image's oldest undone step, which must be `key`. */
  redo(imageId: number, key: string, client?: string): EditResult {
    return this.move(imageId, key, 'forward', client);
  }

  /** The kept history: `undo` oldest first (its last entry is undone next), `redo` next-to-redo first; HISTORY_LIMIT in all. */
  history(imageId: number): ImageHistory {
    this.imageStatus(imageId);
    const done = (
      this.db.prepare('SELECT * FROM edit_history WHERE image_id = ? AND undone = 0 ORDER BY seq DESC LIMIT ?').all(imageId, HISTORY_LIMIT) as StepRecord[]
    ).reverse();
    const undone = this.db
      .prepare('SELECT * FROM edit_history WHERE image_id = ? AND undone = 1 ORDER BY seq ASC LIMIT ?')
      .all(imageId, HISTORY_LIMIT - done.length) as StepRecord[];
    return { imageId, undo: done.map(toEntry), redo: undone.map(toEntry) };
  }

  // ------------------------------------------------------------ internals

  /**
   * One immediate transaction, committed with synchronous = FULL: an acknowledged edit survives a power cut, not
   * only a crash of the process (the connection's NORMAL syncs the WAL only at checkpoints).
   */
  private write<T>(fn: () => T): T {
    const outer = this.db.inTransaction;
    try {
      if (outer) return fn();
      this.db.pragma('synchronous = FULL');
      try {
        return this.db.transaction(fn).immediate();
      } finally {
        this.db.pragma('synchronous = NORMAL');
      }
    } catch (e) {
      throw asWriteError(e, this.db.name);
    }
  }

  private imageStatus(imageId: number): ReviewStatus {
    const s = this.db.prepare('SELECT status FROM images WHERE id = ?').pluck().get(imageId) as ReviewStatus | undefined;
    if (!s) throw new ApiError('not_found', `Image ${imageId} is not in this project (it may have been removed). Its edits cannot be saved.`);
    return s;
  }

  private findKey(key: string): { seq: number; imageId: number } | null {
    const live = this.db.prepare('SELECT seq, image_id AS imageId FROM edit_history WHERE key = ?').get(key) as { seq: number; imageId: number } | undefined;
    if (live) return live;
    const retired = this.db.prepare('SELECT seq, image_id AS imageId FROM edit_keys_retired WHERE key = ?').get(key) as
      | { seq: number; imageId: number }
      | undefined;
    return retired ?? null;
  }

  /** Drop steps from the history, remembering their keys so a late retry is not applied again. */
  private retire(imageId: number, steps: { seq: number; key: string }[], now: number): void {
    if (!steps.length) return;
    const remember = this.db.prepare('INSERT OR REPLACE INTO edit_keys_retired (key, image_id, seq, retired_at) VALUES (?, ?, ?, ?)');
    const drop = this.db.prepare('DELETE FROM edit_history WHERE seq = ?');
    for (const s of steps) {
      remember.run(s.key, imageId, s.seq, now);
      drop.run(s.seq);
    }
    this.db.prepare('DELETE FROM edit_keys_retired WHERE retired_at < ?').run(now - RETIRED_KEY_DAYS * 86_400_000);
  }

  private move(imageId: number, key: string, direction: Direction, client?: string): EditResult {
    const verb = direction === 'backward' ? 'undo' : 'redo';
    return this.write(() => {
      this.imageStatus(imageId);
      const next = this.db
        .prepare(
          direction === 'backward'
            ? 'SELECT * FROM edit_history WHERE image_id = ? AND undone = 0 ORDER BY seq DESC LIMIT 1'
            : 'SELECT * FROM edit_history WHERE image_id = ? AND undone = 1 ORDER BY seq ASC LIMIT 1',
        )
        .get(imageId) as StepRecord | undefined;
      if (!next || next.key !== key) {
        // A retry of this very call (its answer was lost): the step is already where the caller wants it.
        const already = this.db
          .prepare(
            direction === 'backward'
              ? 'SELECT * FROM edit_history WHERE image_id = ? AND undone = 1 ORDER BY seq ASC LIMIT 1'
              : 'SELECT * FROM edit_history WHERE image_id = ? AND undone = 0 ORDER BY seq DESC LIMIT 1',
          )
          .get(imageId) as StepRecord | undefined;
        if (already?.key === key) return { seq: already.seq, applied: false, imageIds: [], classesChanged: false };
        const expected = next ? `the next step to ${verb} is "${next.label}"` : `there is nothing to ${verb}`;
        throw new ApiError(
          'conflict',
          `Cannot ${verb} on image ${imageId}: another window changed this image's history (${expected}, not the step this window expected). ` +
            'Reload the image to see its current labels and history.',
          { imageId, key, expected: next?.key ?? null },
        );
      }
      const touched = new Set<number>([imageId]);
      const stored = JSON.parse(next.changes) as EditChange[];
      const changes = this.run(stored, direction, imageId, verb, touched);
      this.db
        .prepare('UPDATE edit_history SET undone = ?, changes = ?, client = coalesce(?, client) WHERE seq = ?')
        .run(direction === 'backward' ? 1 : 0, changes === stored ? next.changes : JSON.stringify(changes), client ?? null, next.seq);
      return { seq: next.seq, applied: true, imageIds: [...touched], classesChanged: changes.some((c) => c.t === 'class') };
    });
  }

  /**
   * Set every change's `after` in order (forward) or every `before` in reverse (backward). Returns the changes as
   * they are to be stored: the same array, or a copy with the `reclass` changes that a class deletion needed.
   */
  private run(changes: EditChange[], direction: Direction, imageId: number, verb: string, touched: Set<number>): EditChange[] {
    const now = Date.now();
    const classExists = this.db.prepare('SELECT 1 FROM label_classes WHERE id = ?').pluck();
    const predictionExists = this.db.prepare('SELECT 1 FROM predictions WHERE id = ?').pluck();
    const annotationImage = this.db.prepare('SELECT image_id FROM annotations WHERE id = ?').pluck();
    const deleteAnnotation = this.db.prepare('DELETE FROM annotations WHERE id = ? RETURNING image_id').pluck();
    const insertAnnotation = this.db.prepare(
      `INSERT INTO annotations (id, image_id, class_id, kind, geometry, mask, attributes, origin, derived_from, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const updateAnnotation = this.db.prepare(
      `UPDATE annotations SET class_id = ?, kind = ?, geometry = ?, mask = ?, attributes = ?, origin = ?, derived_from = ?, updated_at = ?
       WHERE id = ?`,
    );
    const reclassOne = this.db.prepare('UPDATE annotations SET class_id = ? WHERE id = ? AND class_id IS ? RETURNING image_id').pluck();
    const users = this.db.prepare('SELECT id, image_id AS imageId FROM annotations WHERE class_id = ? ORDER BY id');
    const clash = this.db.prepare('SELECT id, name, hotkey FROM label_classes WHERE (name = ? OR (hotkey IS NOT NULL AND hotkey = ?)) AND id IS NOT ?');
    const classRow = this.db.prepare('SELECT 1 FROM label_classes WHERE id = ?').pluck();
    const insertClass = this.db.prepare(
      'INSERT INTO label_classes (id, name, color, hotkey, position, keypoints, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const updateClass = this.db.prepare('UPDATE label_classes SET name = ?, color = ?, hotkey = ?, position = ?, keypoints = ? WHERE id = ?');
    const deleteClass = this.db.prepare('DELETE FROM label_classes WHERE id = ?');

    // A class or prediction that no longer exists is written as null, so an old step can always be undone.
    const liveClass = (id: number | null) => (id !== null && classExists.get(id) ? id : null);
    const livePrediction = (id: number | null) => (id !== null && predictionExists.get(id) ? id : null);
    // At apply time a wrong step is the caller's mistake; at undo/redo time it is the project that moved on.
    const refuse = (message: string) => new ApiError((verb === 'apply' ? 'bad_request' : 'conflict') as ErrorCode, message);

    const setAnnotation = (i: number, id: number, state: AnnotationState | null) => {
      const current = annotationImage.get(id) as number | undefined;
      if (current !== undefined && current !== imageId) {
        throw refuse(`change ${i}: annotation ${id} belongs to image ${current}, not image ${imageId}; a step changes only its own image's annotations.`);
      }
      if (state === null) {
        const gone = deleteAnnotation.get(id) as number | undefined;
        if (gone !== undefined) touched.add(gone);
        return;
      }
      const g = encodeGeometry(state.geometry);
      const classId = liveClass(state.classId);
      const derivedFrom = livePrediction(state.derivedFrom);
      const attributes = JSON.stringify(state.attributes ?? {});
      if (current === undefined) {
        insertAnnotation.run(id, imageId, classId, state.kind, g.json, g.mask, attributes, state.origin, derivedFrom, now, now);
        this.ids.noteUsed('annotations', id);
      } else {
        updateAnnotation.run(classId, state.kind, g.json, g.mask, attributes, state.origin, derivedFrom, now, id);
      }
      touched.add(imageId);
    };

    const setClass = (i: number, id: number, state: ClassState | null) => {
      if (state === null) {
        deleteClass.run(id);
        return;
      }
      const other = clash.get(state.name, state.hotkey, id) as { id: number; name: string; hotkey: string | null } | undefined;
      if (other) {
        throw refuse(
          other.name === state.name
            ? `change ${i}: a class named "${state.name}" already exists (class ${other.id}); class names must be unique.`
            : `change ${i}: hotkey "${state.hotkey}" is already used by class "${other.name}".`,
        );
      }
      const keypoints = encodeKeypoints(state.keypoints ?? null);
      if (classRow.get(id)) {
        updateClass.run(state.name, state.color, state.hotkey, state.position, keypoints, id);
      } else {
        insertClass.run(id, state.name, state.color, state.hotkey, state.position, keypoints, now);
        this.ids.noteUsed('label_classes', id);
      }
    };

    const reclass = (ids: number[], from: number | null, to: number | null) => {
      const source = liveClass(from);
      const target = liveClass(to);
      if (source === target) return;
      for (const id of ids) {
        const img = reclassOne.get(target, id, source) as number | undefined;
        if (img !== undefined) touched.add(img);
      }
    };

    /** Annotations that would lose their class when `id` is deleted: a reclass change that gives it back on reversal. */
    const usersOf = (id: number): number[] => {
      if (!classRow.get(id)) return [];
      return (users.all(id) as { id: number; imageId: number }[]).map((r) => r.id);
    };

    let out: EditChange[] | null = null;
    const added = (at: number, extra: EditChange, after: boolean) => {
      out ??= changes.slice();
      // `at` indexes the original array; insertions so far sit before or after it, so find the change itself.
      const k = out.indexOf(changes[at]);
      out.splice(after ? k + 1 : k, 0, extra);
    };

    if (direction === 'forward') {
      changes.forEach((c, i) => {
        if (c.t === 'annotation') setAnnotation(i, c.id, c.after);
        else if (c.t === 'reclass') reclass(c.ids, c.from, c.to);
        else {
          if (c.after === null) {
            const ids = usersOf(c.id);
            if (ids.length) {
              const extra: EditChange = { t: 'reclass', ids, from: c.id, to: null };
              reclass(ids, c.id, null);
              added(i, extra, false);
            }
          }
          setClass(i, c.id, c.after);
        }
      });
    } else {
      for (let i = changes.length - 1; i >= 0; i--) {
        const c = changes[i];
        if (c.t === 'annotation') setAnnotation(i, c.id, c.before);
        else if (c.t === 'reclass') reclass(c.ids, c.to, c.from);
        else {
          if (c.before === null) {
            const ids = usersOf(c.id);
            if (ids.length) {
              // Stored after the class change: redo creates the class, then gives these annotations their class back.
              const extra: EditChange = { t: 'reclass', ids, from: null, to: c.id };
              reclass(ids, c.id, null);
              added(i, extra, true);
            }
          }
          setClass(i, c.id, c.before);
        }
      }
    }
    return out ?? changes;
  }
}

function toEntry(r: StepRecord): HistoryEntry {
  return { seq: r.seq, key: r.key, label: r.label, changes: JSON.parse(r.changes) as EditChange[], at: r.created_at };
}
