/**
 * Model runs and their predictions in the project. Geometry is stored like annotations (JSON, mask counts in a
 * BLOB). Every image a run processed gets one row of kind 'tag' with `extras.kind = 'image-extras'`: it holds
 * the image's own outputs (region proposals, score maps) or the reason the image failed, and it tells "the model
 * found nothing here" apart from "the model never ran here".
 */
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import type { AnnotationKind, ExecutionProvider, ModelRun, Prediction } from '../../../common/api/contract.js';
import type { DecodedPrediction } from '../../../common/inference/types.js';
import { decodeGeometry, encodeGeometry } from '../project/annotations.js';

export const IMAGE_EXTRAS = 'image-extras';

interface PredictionRecord {
  id: number;
  run_id: number;
  image_id: number;
  class_id: number | null;
  label: string | null;
  kind: AnnotationKind;
  geometry: string;
  mask: Buffer | null;
  score: number | null;
  extras: string;
}

function toPrediction(r: PredictionRecord): Prediction {
  return {
    id: r.id,
    runId: r.run_id,
    imageId: r.image_id,
    classId: r.class_id,
    label: r.label,
    kind: r.kind,
    geometry: decodeGeometry(r.geometry, r.mask),
    score: r.score,
    extras: JSON.parse(r.extras),
  };
}

/** What one image of a run produced. */
export interface ImageOutcome {
  imageId: number;
  predictions: DecodedPrediction[];
  suppressed?: DecodedPrediction[];
  extras?: Record<string, unknown>;
  error?: string;
}

/** Image-extras rows are tags without a label; a real tag (a recognised text line) always has one. */
const isImageRow = (p: string) => `${p}.kind = 'tag' AND ${p}.label IS NULL AND json_extract(${p}.extras, '$.kind') = '${IMAGE_EXTRAS}'`;

export class RunsRepo {
  constructor(private readonly db: Database) {}

  create(modelId: number, parameters: Record<string, unknown>): number {
    return Number(
      this.db.prepare(`INSERT INTO model_runs (model_id, parameters, status, started_at) VALUES (?, ?, 'running', ?)`).run(modelId, JSON.stringify(parameters), Date.now()).lastInsertRowid,
    );
  }

  setProvider(runId: number, provider: ExecutionProvider): void {
    this.db.prepare('UPDATE model_runs SET provider = ? WHERE id = ?').run(provider, runId);
  }

  finish(runId: number, status: ModelRun['status'], error: string | null): void {
    this.db.prepare('UPDATE model_runs SET status = ?, error = ?, finished_at = ? WHERE id = ?').run(status, error, Date.now(), runId);
  }

  /** One transaction for a batch of images. `classIds` maps the model's labels to project classes by name. */
  write(runId: number, outcomes: ImageOutcome[], classIds: Map<string, number>): number {
    const insert = this.db.prepare(
      'INSERT INTO predictions (run_id, image_id, class_id, label, kind, geometry, mask, score, extras) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const put = (imageId: number, p: DecodedPrediction, extras: Record<string, unknown> | undefined) => {
      const g = encodeGeometry(p.geometry);
      const classId = p.label === null ? null : (classIds.get(p.label) ?? null);
      insert.run(runId, imageId, classId, p.label, p.kind, g.json, g.mask, p.score, JSON.stringify(extras ?? {}));
    };
    let written = 0;
    this.db.transaction(() => {
      for (const o of outcomes) {
        for (const p of o.predictions) put(o.imageId, p, p.extras);
        for (const p of o.suppressed ?? []) put(o.imageId, p, { ...p.extras, suppressed: true });
        const imageRow = { kind: IMAGE_EXTRAS, ...o.extras, ...(o.error ? { error: o.error } : {}) };
        put(o.imageId, { kind: 'tag', classIndex: null, label: null, score: null, geometry: { type: 'tag' } }, imageRow);
        written += o.predictions.length;
      }
    })();
    return written;
  }

  list(): ModelRun[] {
    const rows = this.db
      .prepare(
        `SELECT r.id, m.name AS model, r.parameters, r.provider, r.status, r.error, r.started_at AS startedAt, r.finished_at AS finishedAt,
           (SELECT count(*) FROM predictions p WHERE p.run_id = r.id AND ${isImageRow('p')} AND json_extract(p.extras, '$.error') IS NULL) AS images,
           (SELECT count(*) FROM predictions p WHERE p.run_id = r.id AND NOT coalesce(${isImageRow('p')}, 0) AND json_extract(p.extras, '$.suppressed') IS NULL) AS predictions
         FROM model_runs r JOIN models m ON m.id = r.model_id ORDER BY r.id DESC`,
      )
      .all() as (Omit<ModelRun, 'parameters'> & { parameters: string })[];
    return rows.map((r) => ({ ...r, parameters: JSON.parse(r.parameters) }));
  }

  /** One run's predictions on an image, or by default the latest run of each model that processed it. */
  forImage(imageId: number, runId?: number): Prediction[] {
    const rows =
      runId !== undefined
        ? this.db.prepare('SELECT * FROM predictions WHERE image_id = ? AND run_id = ? ORDER BY id').all(imageId, runId)
        : this.db
            .prepare(
              `SELECT * FROM predictions WHERE image_id = ? AND run_id IN (
                 SELECT max(p.run_id) FROM predictions p JOIN model_runs r ON r.id = p.run_id WHERE p.image_id = ? GROUP BY r.model_id)
               ORDER BY run_id, id`,
            )
            .all(imageId, imageId);
    return (rows as PredictionRecord[]).map(toPrediction);
  }

  /**
   * Reject predictions (or take a rejection back): `extras.rejected`, so they stay in their run but leave the compare
   * view and evaluation. Image rows are never rejected. Returns the rows changed and the images they are on.
   */
  reject(ids: number[], rejected: boolean): { updated: number; imageIds: number[] } {
    const set = this.db.prepare(
      rejected
        ? `UPDATE predictions SET extras = json_set(extras, '$.rejected', json('true')) WHERE id = ? AND NOT coalesce(${isImageRow('predictions')}, 0)`
        : `UPDATE predictions SET extras = json_remove(extras, '$.rejected') WHERE id = ?`,
    );
    let updated = 0;
    this.db.transaction(() => {
      for (const id of ids) updated += set.run(id).changes;
    })();
    const imageIds = this.db.prepare(`SELECT DISTINCT image_id FROM predictions WHERE id IN (SELECT value FROM json_each(?))`).pluck().all(JSON.stringify(ids)) as number[];
    return { updated, imageIds };
  }

  /** Every kept prediction of a run with its image's path (the CLI's report); no image rows, no suppressed ones. */
  forRun(runId: number): (Prediction & { path: string })[] {
    const rows = this.db
      .prepare(
        `SELECT p.*, r.path AS root, i.rel_path AS relPath FROM predictions p
           JOIN images i ON i.id = p.image_id JOIN image_roots r ON r.id = i.root_id
         WHERE p.run_id = ? AND NOT coalesce(${isImageRow('p')}, 0) AND json_extract(p.extras, '$.suppressed') IS NULL
         ORDER BY p.image_id, p.id`,
      )
      .all(runId) as (PredictionRecord & { root: string; relPath: string })[];
    return rows.map((r) => ({ ...toPrediction(r), path: path.resolve(r.root, ...r.relPath.split('/')) }));
  }
}
