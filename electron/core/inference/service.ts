/**
 * Inference behind the API: the model registry, runs as jobs over the project's images, and the stored
 * predictions. A run keeps what finished: per-image failures are recorded and the rest go on; cancel stops after
 * the image in flight.
 */
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { ApiError, type ExecutionProvider, type Handlers, type ModelInfo, type RunParameters } from '../../../common/api/contract.js';
import type { JobContext, JobManager } from '../jobs.js';
import type { ImageFiles } from '../library/files.js';
import type { ProjectStore } from '../project/store.js';
import { InferencePool, type RunOutcome } from './pool.js';
import type { RequestedProvider, RunSettings, RuntimeModel, Timings } from './protocol.js';
import { ModelRegistry } from './registry.js';
import { RunsRepo, type ImageOutcome } from './runs.js';

/**
 * Requests in the worker at once: one running, the rest being decoded on libuv's pool (see worker.ts), so decoding
 * can overlap a run where a core is free. On this 2-core machine under load, windows of 1, 2 and 4 measured the
 * same (BlazeFace 11.5, 11.2, 11.8 ms/image: no free core); one earlier quiet run gave 5.1× → 2.8× of session.run
 * for 1 → 3 ahead. More ahead only holds more decoded images in memory.
 */
const WINDOW = 4;
/** Images per write transaction: one commit per image would cost an fsync each. */
const FLUSH_IMAGES = 16;

export interface ImageError {
  imageId: number;
  path: string;
  reason: string;
}

/** A finished inference job's result (Job.result). */
export interface InferenceResult {
  runId: number;
  model: string;
  provider: ExecutionProvider | null;
  /** Images that produced a result (with or without predictions). */
  images: number;
  predictions: number;
  errors: ImageError[];
  /** Set when the provider is not the one asked for (CUDA requested, CPU used), and why. */
  warning?: string;
  cancelled: boolean;
  /** Summed over the run's images, in milliseconds. */
  timings: Timings;
  message: string;
}

export interface InferenceDeps {
  resourcesDir: string;
  jobs: JobManager;
  /** The open project; throws no_project. */
  project(): { store: ProjectStore; files: ImageFiles };
  /** The open project's database, or null: bundled models are listed without a project. */
  db(): Database | null;
}

type InferenceCalls = 'models.list' | 'models.inspect' | 'models.add' | 'models.updateManifest' | 'models.remove' | 'models.run' | 'runs.list' | 'predictions.list';

export class InferenceService {
  readonly pool = new InferencePool();
  readonly registry: ModelRegistry;

  constructor(private readonly deps: InferenceDeps) {
    this.registry = new ModelRegistry(deps.resourcesDir, this.pool);
  }

  handlers(): Pick<Handlers, InferenceCalls> {
    const db = () => this.deps.project().store.db;
    return {
      'models.list': () => this.list(),
      'models.inspect': async ({ path: file }) => {
        const io = await this.registry.inspectFile(file);
        const p = this.registry.proposal(io, file);
        return { path: file, io, proposal: p && { kind: p.kind, decoder: p.decoder, reason: p.reason, manifest: p.manifest as Record<string, unknown> } };
      },
      'models.add': async ({ path: file, manifest }) => this.registry.info(db(), await this.registry.add(db(), file, manifest)),
      'models.updateManifest': async ({ name, manifest }) => this.registry.info(db(), await this.registry.updateManifest(db(), name, manifest)),
      'models.remove': ({ name }) => {
        this.registry.remove(db(), name);
        return { ok: true as const };
      },
      'models.run': (a) => this.startRun(a),
      'runs.list': () => new RunsRepo(db()).list(),
      'predictions.list': ({ imageId, runId }) => new RunsRepo(db()).forImage(imageId, runId),
    };
  }

  async list(): Promise<ModelInfo[]> {
    const db = this.deps.db();
    const out: ModelInfo[] = [];
    for (const m of this.registry.list(db)) out.push(await this.registry.info(db, m));
    return out;
  }

  async startRun(args: { model: string; imageIds?: number[]; all?: boolean; provider: RequestedProvider; params: RunParameters }): Promise<{ jobId: string; runId: number }> {
    const { store, files } = this.deps.project();
    const db = store.db;
    const model = this.registry.find(db, args.model);
    const runtime = await this.registry.runtime(db, model);
    const ids = args.all ? (db.prepare('SELECT id FROM images ORDER BY id').pluck().all() as number[]) : args.imageIds!;
    const { params } = args;
    const settings: RunSettings = {
      thresholds: {
        ...model.manifest.thresholds,
        ...(params.score !== undefined ? { score: params.score } : {}),
        ...(params.iou !== undefined ? { iou: params.iou } : {}),
        ...(params.maxDetections !== undefined ? { maxDetections: params.maxDetections } : {}),
      },
      keepSuppressed: params.keepSuppressed ?? false,
      ...(params.beamSize !== undefined ? { beamSize: params.beamSize } : {}),
    };
    const repo = new RunsRepo(db);
    const runId = repo.create(this.registry.ensureRow(db, model), { ...settings.thresholds, keepSuppressed: settings.keepSuppressed, ...(settings.beamSize ? { beamSize: settings.beamSize } : {}), provider: args.provider, images: ids.length });
    const job = this.deps.jobs.start(
      'inference',
      `${model.name} on ${ids.length} image${ids.length === 1 ? '' : 's'}`,
      (ctx) => this.work(ctx, { store, files, repo, runId, runtime, provider: args.provider, settings, ids }),
      (r) => ({ message: r.message, cancelled: r.cancelled }),
    );
    return { jobId: job.id, runId };
  }

  private async work(
    ctx: JobContext,
    run: { store: ProjectStore; files: ImageFiles; repo: RunsRepo; runId: number; runtime: RuntimeModel; provider: RequestedProvider; settings: RunSettings; ids: number[] },
  ): Promise<InferenceResult> {
    const { files, repo, runId, runtime, ids } = run;
    const classIds = new Map(run.store.classes.list().map((c) => [c.name, c.id]));
    const pathOf = run.store.db.prepare('SELECT r.path AS root, i.rel_path AS rel FROM images i JOIN image_roots r ON r.id = i.root_id WHERE i.id = ?');
    const r: InferenceResult = {
      runId,
      model: runtime.name,
      provider: null,
      images: 0,
      predictions: 0,
      errors: [],
      cancelled: false,
      timings: { prepare: 0, run: 0, decode: 0 },
      message: '',
    };
    let done = 0;
    let fatal: string | null = null;
    let buffer: ImageOutcome[] = [];
    const flush = () => {
      if (buffer.length) r.predictions += repo.write(runId, buffer, classIds);
      buffer = [];
    };
    const describe = () =>
      [
        `${done}/${ids.length} images`,
        `${r.predictions + buffer.reduce((n, o) => n + o.predictions.length, 0)} predictions`,
        ...(r.provider ? [r.provider.toUpperCase()] : []),
        ...(r.errors.length ? [`${r.errors.length} failed`] : []),
        ...(r.warning ? [`warning: ${r.warning}`] : []),
      ].join(' · ');

    const settle = (imageId: number, file: string, o: RunOutcome) => {
      if (o.type === 'cancelled') return;
      done++;
      if (o.type === 'result') {
        if (!r.provider) repo.setProvider(runId, (r.provider = o.provider));
        r.warning ??= o.warning;
        r.images++;
        for (const k of ['prepare', 'run', 'decode'] as const) r.timings[k] += o.timings[k];
        buffer.push({ imageId, ...o.result });
      } else if (o.fatal) {
        fatal ??= o.message;
      } else {
        r.errors.push({ imageId, path: file, reason: o.message });
        buffer.push({ imageId, predictions: [], error: o.message });
      }
      if (buffer.length >= FLUSH_IMAGES) flush();
      ctx.progress(done, ids.length, describe());
    };

    const inflight = new Set<Promise<void>>();
    try {
      for (const imageId of ids) {
        if (ctx.signal.aborted || fatal) break;
        let file: string;
        try {
          file = files.resolvePath(imageId).absPath;
        } catch (e) {
          const row = pathOf.get(imageId) as { root: string; rel: string } | undefined;
          r.errors.push({ imageId, path: row ? path.resolve(row.root, ...row.rel.split('/')) : '', reason: (e as Error).message });
          done++;
          continue;
        }
        const p: Promise<void> = this.pool
          .run(runtime, run.provider, run.settings, file, ctx.signal)
          .then((o) => settle(imageId, file, o))
          .finally(() => inflight.delete(p));
        inflight.add(p);
        if (inflight.size >= WINDOW) await Promise.race(inflight);
      }
      await Promise.all(inflight);
      flush();
    } catch (e) {
      repo.finish(runId, 'failed', (e as Error).message);
      throw e;
    }

    if (fatal) {
      repo.finish(runId, 'failed', fatal);
      throw new ApiError('invalid_file', fatal);
    }
    r.cancelled = ctx.signal.aborted;
    const allFailed = r.images === 0 && r.errors.length > 0;
    repo.finish(runId, r.cancelled ? 'cancelled' : allFailed ? 'failed' : 'done', allFailed ? `every image failed; the first: ${r.errors[0].reason}` : null);
    r.message = (r.cancelled ? 'Cancelled: ' : allFailed ? 'Failed on every image: ' : '') + describe();
    return r;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
