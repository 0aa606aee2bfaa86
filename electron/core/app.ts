/**
 * AppCore: the services behind the API contract, the same under Electron, the local server, the CLI and tests.
 * One project is open at a time; long work runs as jobs.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ApiError,
  isCallName,
  parseCallArgs,
  type AnnotationColumns,
  type CallName,
  type CallRequest,
  type EventName,
  type EventPayload,
  type Handlers,
  type ImportResult,
  type ProjectSummary,
  type RecentProject,
} from '../../common/api/contract.js';
import type { CoreHost, ImageBody, ImageVariant } from './host.js';
import { InferenceService } from './inference/service.js';
import { JobManager } from './jobs.js';
import { loadMigrations, type Migration } from './project/migrate.js';
import { ProjectStore } from './project/store.js';
import { ImageFiles } from './library/files.js';
import { importFolder, relinkRoot, rescanProject, type ScanOptions } from './library/scan.js';
import { ensureIndexed, hasPending, requireIndexed } from './library/indexer.js';
import { ensurePrivateDirSync, PRIVATE_FILE_MODE } from './privateFiles.js';
// The demo generator and the dataset formats load on first use: every CLI command builds an AppCore (issue 10).
import type { runExport } from './datasets/export.js';
import type { runImport } from './datasets/import.js';
import { acceptAcrossProject, evaluateRun, imageCaptionScore } from './evaluation/evaluate.js';
import { RunsRepo } from './inference/runs.js';
import type { ExportSummary, ImportSummary } from '../../common/api/contract.js';
import { spawn } from 'node:child_process';

export interface AppCoreOptions {
  /** Per-user state: recent projects, thumbnail cache, projects of opened folders, the demo project. */
  appDataDir: string;
  transport: 'electron' | 'http';
  /** Where migrations/ and demo/ live (the repo root, or the packaged app's resources). */
  resourcesDir?: string;
  version?: string;
  /**
   * Slows each file a scan lists, and each it then reads, by this many milliseconds. For tests that watch the grid
   * follow a slow import (a network drive, a folder of large photos) deterministically; never set by the app.
   */
  scanDelayMs?: number;
}

type Listener = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

const MAX_RECENT = 10;
/** How often a running scan tells the windows that rows were listed (they refresh the grid at most every 600 ms). */
const ROWS_EVENT_MS = 300;

export function defaultResourcesDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
}

export function defaultAppDataDir(): string {
  return process.env.SIGHTLINE_HOME || path.join(os.homedir(), '.sightline');
}

function summarizeImport(r: ImportResult): { message: string; cancelled: boolean } {
  const parts = [`${r.imported} imported`];
  if (r.updated) parts.push(`${r.updated} updated`);
  if (r.relinked) parts.push(`${r.relinked} moved files re-linked`);
  if (r.missing) parts.push(`${r.missing} missing`);
  if (r.skipped) parts.push(`${r.skipped} non-image files skipped`);
  if (r.errors.length) parts.push(`${r.errors.length} unreadable`);
  return { message: (r.cancelled ? 'Cancelled: ' : '') + parts.join(', '), cancelled: r.cancelled };
}

export class AppCore implements CoreHost {
  readonly jobs: JobManager;
  readonly resourcesDir: string;
  private readonly migrations: Migration[];
  private readonly listeners = new Set<Listener>();
  private current: { store: ProjectStore; files: ImageFiles } | null = null;
  readonly handlers: Handlers;
  readonly inference: InferenceService;

  constructor(readonly options: AppCoreOptions) {
    this.resourcesDir = options.resourcesDir ?? defaultResourcesDir();
    this.migrations = loadMigrations(path.join(this.resourcesDir, 'migrations'));
    // Private to the user (issue 11): thumbnails and projects show what is in their photos.
    ensurePrivateDirSync(options.appDataDir);
    this.jobs = new JobManager((job) => this.emit('job', job));
    this.inference = new InferenceService({
      resourcesDir: this.resourcesDir,
      jobs: this.jobs,
      project: () => this.project(),
      db: () => this.current?.store.db ?? null,
    });
    this.handlers = this.makeHandlers();
  }

  // ------------------------------------------------------------ CoreHost

  async dispatch(name: string, rawArgs: unknown): Promise<unknown> {
    const call = this.checkCall(name, rawArgs);
    return (this.handlers[call.name] as (a: unknown) => unknown)(call.args);
  }

  async dispatchJson(name: string, rawArgs: unknown): Promise<string> {
    const call = this.checkCall(name, rawArgs);
    const text = this.textHandlers[call.name];
    if (text) return text(call.args as never);
    return JSON.stringify((await (this.handlers[call.name] as (a: unknown) => unknown)(call.args)) ?? null);
  }

  /** The call's name checked and its arguments validated against its schema (ApiError otherwise). */
  private checkCall(name: string, rawArgs: unknown): { name: CallName; args: unknown } {
    if (!isCallName(name)) throw new ApiError('unknown_call', `There is no API call named "${String(name).slice(0, 100)}".`);
    return { name, args: parseCallArgs(name, rawArgs) };
  }

  /** Calls whose answer is written as JSON text from what is stored (see dispatchJson); `dispatch` parses it. */
  private readonly textHandlers: { [K in CallName]?: (args: CallRequest<K>) => string } = {
    'annotations.shapes': ({ imageId }) => this.project().store.annotations.shapesJson(imageId),
  };

  onEvent(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  imageBody(id: number, variant: ImageVariant, request?: { signal?: AbortSignal }): Promise<ImageBody> {
    return this.project().files.imageBody(id, variant, request);
  }

  // ------------------------------------------------------------ projects

  get store(): ProjectStore | null {
    return this.current?.store ?? null;
  }

  private project(): { store: ProjectStore; files: ImageFiles } {
    if (!this.current) throw new ApiError('no_project', 'No project is open. Open a project or a folder first.');
    return this.current;
  }

  private emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    for (const l of this.listeners) {
      try {
        l(event, payload);
      } catch (e) {
        console.error('event listener failed:', e);
      }
    }
  }

  private emitProject(reason: Exclude<EventPayload<'project'>['reason'], 'annotations'>, client?: string): void {
    this.emit('project', { reason, project: this.current ? this.current.store.summary() : null, ...(client === undefined ? {} : { client }) });
  }

  /** After an applied edit: which images changed (no project count: see ARCHITECTURE), and the classes when they did. */
  private emitEdit(r: { applied: boolean; imageIds: number[]; classesChanged: boolean }, client: string | undefined): void {
    if (!r.applied) return;
    if (r.classesChanged) this.emitProject('classes', client);
    this.emit('project', { reason: 'annotations', imageIds: r.imageIds, ...(client === undefined ? {} : { client }) });
  }

  get cacheDir(): string {
    return path.join(this.options.appDataDir, 'cache');
  }

  async openProject(file: string, opts: { create?: boolean } = {}): Promise<ProjectSummary> {
    const store = ProjectStore.open(file, { create: opts.create, migrations: this.migrations });
    await this.closeProject();
    this.current = { store, files: new ImageFiles(store.db, this.cacheDir) };
    this.remember(store);
    this.emitProject('opened');
    return store.summary();
  }

  async closeProject(): Promise<void> {
    if (!this.current) return;
    await this.jobs.cancelAll();
    await this.current.files.settle();
    this.current.store.close();
    this.current = null;
    this.emitProject('closed');
  }

  /**
   * While a scan writes rows: a `project` event (reason `images`, with the summary's counts) at most every
   * ROWS_EVENT_MS, so the grid and the header follow the import and agree on the count.
   */
  private rowsListed(): { changed: () => void; end: () => void } {
    let last = 0;
    let trailing: NodeJS.Timeout | null = null;
    const emit = () => {
      trailing = null;
      last = Date.now();
      if (this.current) this.emitProject('images');
    };
    return {
      changed: () => {
        const wait = last + ROWS_EVENT_MS - Date.now();
        if (wait <= 0) emit();
        // A batch inside the interval is told of at its end, so the last rows of a scan are never left unsaid.
        else trailing ??= setTimeout(emit, wait);
      },
      // The job's own closing event tells of the last rows: nothing of the scan is left to fire after it.
      end: () => {
        if (trailing) clearTimeout(trailing);
        trailing = null;
      },
    };
  }

  /**
   * A scan job's body: `scan` is given progress, cancel, and a `project` event as rows are listed and as they are
   * read; when it ends (done, failed or cancelled) one last `project` event tells of the final rows, and nothing of the
   * scan fires after the job.
   */
  private async scanJob(
    ctx: { signal: AbortSignal; progress(done: number, total: number | null, message?: string): void },
    scan: (opts: ScanOptions) => Promise<ImportResult>,
  ): Promise<ImportResult> {
    const rows = this.rowsListed();
    try {
      return await scan({
        signal: ctx.signal,
        onProgress: (p) => ctx.progress(p.done, p.total, p.message),
        onRows: rows.changed,
        onIndexed: rows.changed,
        delayMs: this.options.scanDelayMs,
        indexDelayMs: this.options.scanDelayMs,
      });
    } finally {
      rows.end();
      if (this.current) this.emitProject('images');
    }
  }

  /** The images a run processed (and a few more: any with a prediction of it), read before its numbers are worked out. */
  private async runImagesIndexed(runId: number, what: string): Promise<void> {
    const { store } = this.project();
    if (!hasPending(store.db)) return;
    const ids = store.db.prepare('SELECT DISTINCT image_id FROM predictions WHERE run_id = ?').pluck().all(runId) as number[];
    await requireIndexed(store.db, ids, what);
  }

  /** Start an import of `folder` into the open project; the folder is checked now so a bad path fails the call. */
  startImport(folder: string, opts: { followLinks?: boolean } = {}): string {
    const { store } = this.project();
    const abs = path.resolve(folder);
    let st;
    try {
      st = statSync(abs);
    } catch {
      throw new ApiError('not_found', `Cannot import "${abs}": the folder does not exist. Check the path.`, { folder: abs });
    }
    if (!st.isDirectory()) throw new ApiError('invalid_file', `Cannot import "${abs}": it is a file, not a folder. Choose the folder that holds the images.`, { folder: abs });
    const job = this.jobs.start(
      'import',
      `Import ${abs}`,
      (ctx) => this.scanJob(ctx, (o) => importFolder(store.db, abs, { ...o, followLinks: opts.followLinks })),
      summarizeImport,
    );
    return job.id;
  }

  startRescan(): string {
    const { store } = this.project();
    return this.jobs.start(
      'rescan',
      `Rescan ${store.name}`,
      (ctx) => this.scanJob(ctx, (o) => rescanProject(store.db, o)),
      summarizeImport,
    ).id;
  }

  /**
   * Thumbnails of every image made ahead (issue 12; opt-in from the library's toolbar, since a big folder's take minutes
   * and disk space): the grid then scrolls through the folder without waiting. In path order, one per core, after
   * anything a screen asks for; images already cached cost a stat. Cancel keeps what was made.
   */
  startThumbnailFill(): string {
    const { store, files } = this.project();
    return this.jobs.start(
      'thumbnails',
      `Make thumbnails for ${store.name}`,
      async (ctx) => {
        const ids = store.db.prepare('SELECT id FROM images WHERE missing = 0 ORDER BY root_id, rel_path').pluck().all() as number[];
        const total = ids.length;
        const failed: string[] = [];
        let done = 0;
        let next = 0;
        ctx.progress(0, total, `Making thumbnails: 0 of ${total.toLocaleString('en-US')}`);
        const worker = async () => {
          while (next < ids.length && !ctx.signal.aborted) {
            const id = ids[next++];
            try {
              const body = await files.imageBody(id, 'thumb', { signal: ctx.signal, background: true });
              await body.file?.handle.close();
            } catch (e) {
              if (!ctx.signal.aborted) failed.push(`${id}: ${(e as Error).message}`);
            }
            done++;
            ctx.progress(done, total, `Making thumbnails: ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')}`);
          }
        };
        await Promise.all(Array.from({ length: Math.max(1, Math.min(os.availableParallelism(), total)) }, worker));
        return { total, ready: done - failed.length, failed, cancelled: ctx.signal.aborted };
      },
      (r) => ({
        message: `${r.cancelled ? 'Cancelled: ' : ''}${r.ready.toLocaleString('en-US')} of ${r.total.toLocaleString('en-US')} thumbnails ready` + (r.failed.length ? `, ${r.failed.length} could not be made (${r.failed[0]})` : ''),
        cancelled: r.cancelled,
      }),
    ).id;
  }

  /** A folder opened as a project keeps its project file in the app data folder: the image folder is never written. */
  async openFolder(folder: string): Promise<{ project: ProjectSummary; jobId: string | null }> {
    let real: string;
    try {
      real = realpathSync(path.resolve(folder));
      if (!statSync(real).isDirectory()) throw new Error('not a folder');
    } catch {
      throw new ApiError('not_found', `Cannot open "${path.resolve(folder)}": it is not an existing folder. Check the path.`, { folder });
    }
    const key = createHash('sha1').update(real).digest('hex').slice(0, 10);
    const dir = path.join(this.options.appDataDir, 'projects');
    ensurePrivateDirSync(dir);
    const file = path.join(dir, `${path.basename(real) || 'root'}-${key}.sightline`);
    const isNew = !existsSync(file);
    await this.openProject(file, { create: isNew });
    if (isNew) {
      // Named after the folder, not the hashed file name, so Recent Projects reads as the user's folder.
      this.project().store.db.prepare(`UPDATE project_meta SET value = ? WHERE key = 'name'`).run(path.basename(real) || real);
      this.remember(this.project().store);
    }
    const jobId = isNew ? this.startImport(real) : this.startRescan();
    return { project: this.project().store.summary(), jobId };
  }

  async createProject(file: string, folder?: string): Promise<{ project: ProjectSummary; jobId: string | null }> {
    const abs = path.resolve(file.endsWith('.sightline') ? file : `${file}.sightline`);
    if (existsSync(abs)) throw new ApiError('conflict', `${abs} already exists. Open it, or choose another name.`, { file: abs });
    if (folder !== undefined && !existsSync(folder)) {
      throw new ApiError('not_found', `Cannot import "${path.resolve(folder)}": the folder does not exist. Nothing was created.`, { folder });
    }
    await this.openProject(abs, { create: true });
    const jobId = folder ? this.startImport(folder) : null;
    return { project: this.project().store.summary(), jobId };
  }

  get demoProjectPath(): string {
    return path.join(this.options.appDataDir, 'demo', 'demo.sightline');
  }

  /** The bundled demo: the photos shipped in demo/photos plus generated images, made on first use. */
  async openDemoProject(): Promise<ProjectSummary> {
    const file = this.demoProjectPath;
    if (existsSync(file)) {
      const s = await this.openProject(file);
      if (s.roots.every((r) => r.available)) return s;
    }
    const generated = path.join(path.dirname(file), 'generated');
    ensurePrivateDirSync(generated);
    const { generateDemoImages } = await import('../../demo/generate.js');
    await generateDemoImages(generated);
    await this.openProject(file, { create: true });
    const { store } = this.project();
    store.db.prepare(`UPDATE project_meta SET value = 'Sightline demo' WHERE key = 'name'`).run();
    for (const folder of [path.join(this.resourcesDir, 'demo', 'photos'), generated]) {
      await this.jobs.wait(this.startImport(folder));
    }
    if (store.classes.list().length === 0) {
      for (const name of ['person', 'animal', 'object', 'shape']) store.classes.upsert({ name });
    }
    this.emitProject('images');
    return store.summary();
  }

  async close(): Promise<void> {
    await this.closeProject();
    await this.inference.close();
    this.listeners.clear();
  }

  // ------------------------------------------------------------ datasets (issue 8)

  /** Folders this session exported to: the only ones `datasets.reveal` opens. */
  private readonly exported = new Set<string>();

  startExport(args: Parameters<typeof runExport>[1]): string {
    const { store } = this.project();
    return this.jobs.start(
      'export',
      `Export ${args.format} to ${path.resolve(args.out)}`,
      async (ctx) => {
        const { runExport } = await import('./datasets/export.js');
        // Sizes of images an import listed but has not read yet: read now, so no image is written as 0 × 0.
        ctx.progress(0, null, 'Reading the sizes of images not indexed yet…');
        await requireIndexed(store.db, 'all', 'export', { signal: ctx.signal });
        const r = await runExport(store.file, args, ctx);
        if (r.verified) this.exported.add(r.out);
        return r;
      },
      (r: ExportSummary) => ({
        cancelled: r.cancelled,
        failed: r.cancelled || r.verified ? undefined : `the export did not read back equal to the project, so it was not kept: ${r.differences.slice(0, 5).join('; ')}`,
        message: r.cancelled
          ? 'Cancelled: nothing was written'
          : `${r.images} images, ${r.annotations} annotations written and read back equal${r.warnings.length ? ` (${r.warnings.length} warnings)` : ''}`,
      }),
    ).id;
  }

  startDatasetImport(args: Parameters<typeof runImport>[1]): string {
    const { store } = this.project();
    return this.jobs.start(
      'import-dataset',
      `Import ${args.format} from ${path.resolve(args.from)}${args.dryRun ? ' (dry run)' : ''}`,
      async (ctx) => {
        const { runImport } = await import('./datasets/import.js');
        // Labels are checked against the images' sizes: those an import listed but has not read yet are read now.
        ctx.progress(0, null, 'Reading the sizes of images not indexed yet…');
        await requireIndexed(store.db, 'all', 'import labels', { signal: ctx.signal });
        const r = await runImport(store, args, ctx);
        if (r.written) {
          if (r.classesAdded.length) this.emitProject('classes');
          this.emitProject('images');
        }
        return r;
      },
      (r: ImportSummary) => ({
        cancelled: r.cancelled,
        failed: r.errors.length ? `${r.errors.length} problem(s) in the dataset, nothing was written. First: ${r.errors[0].file}${r.errors[0].where ? ` (${r.errors[0].where})` : ''}: ${r.errors[0].problem}` : undefined,
        message: r.cancelled
          ? 'Cancelled: nothing was written'
          : r.errors.length
            ? `${r.errors.length} problem(s) found: nothing was written`
            : `${r.dryRun ? 'Dry run: would import' : 'Imported'} ${r.annotations} annotations on ${r.images} images${r.unmatched.length ? `, ${r.unmatched.length} images not in the project` : ''}`,
      }),
    ).id;
  }

  revealFolder(p: string): void {
    const abs = path.resolve(p);
    if (!this.exported.has(abs)) throw new ApiError('forbidden', `Only folders exported in this session can be opened from here; ${abs} is not one.`);
    const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
    const child = spawn(opener, [abs], { detached: true, stdio: 'ignore' });
    child.on('error', () => {});
    child.unref();
  }

  // ------------------------------------------------------------ recent projects

  private get recentFile(): string {
    return path.join(this.options.appDataDir, 'recent.json');
  }

  recent(): RecentProject[] {
    try {
      const list = JSON.parse(readFileSync(this.recentFile, 'utf8')) as RecentProject[];
      return Array.isArray(list) ? list.filter((r) => typeof r?.path === 'string') : [];
    } catch {
      return [];
    }
  }

  private remember(store: ProjectStore): void {
    const list = [{ path: store.file, name: store.name, openedAt: Date.now() }, ...this.recent().filter((r) => r.path !== store.file)].slice(0, MAX_RECENT);
    const tmp = `${this.recentFile}.${process.pid}.tmp`;
    rmSync(tmp, { force: true });
    writeFileSync(tmp, JSON.stringify(list, null, 2), { mode: PRIVATE_FILE_MODE, flag: 'wx' });
    renameSync(tmp, this.recentFile);
  }

  // ------------------------------------------------------------ the contract

  private makeHandlers(): Handlers {
    return {
      'app.info': () => ({
        version: this.options.version ?? '0.1.0',
        transport: this.options.transport,
        project: this.current ? this.current.store.summary() : null,
        demoProject: existsSync(this.demoProjectPath) ? this.demoProjectPath : null,
      }),
      'projects.recent': () => this.recent().filter((r) => existsSync(r.path)),
      'projects.open': ({ path: p }) => this.openProject(p),
      'projects.create': ({ path: p, folder }) => this.createProject(p, folder),
      'projects.openFolder': ({ folder }) => this.openFolder(folder),
      'projects.close': async () => {
        await this.closeProject();
        return { ok: true as const };
      },
      'projects.summary': () => this.project().store.summary(),
      'roots.relink': async ({ rootId, path: p }) => {
        const { store } = this.project();
        const r = await relinkRoot(store.db, rootId, path.resolve(p));
        this.startRescan();
        this.emitProject('roots');
        return { ...r, project: store.summary() };
      },
      'images.import': ({ folder, followLinks }) => ({ jobId: this.startImport(folder, { followLinks }) }),
      'images.rescan': () => ({ jobId: this.startRescan() }),
      'images.fillThumbnails': () => ({ jobId: this.startThumbnailFill() }),
      'images.list': (a) => this.project().store.images.list(a),
      'images.get': async ({ id }) => {
        const { store } = this.project();
        // The viewer and editor need the image's real size: a listed image's header is read first. One that cannot be
        // read is answered as it is (its bytes are refused with the reason when the viewer asks for them).
        await ensureIndexed(store.db, [id]);
        return store.images.get(id);
      },
      'images.folders': () => this.project().store.images.folders(),
      'images.neighbors': ({ id, filter, sort }) => this.project().store.images.neighbors(id, filter, sort),
      'images.setStatus': ({ ids, status }) => ({ updated: this.project().store.images.setStatus(ids, status) }),
      'classes.list': () => this.project().store.classes.list(),
      'classes.upsert': (a) => {
        const c = this.project().store.classes.upsert(a);
        this.emitProject('classes');
        return c;
      },
      'classes.delete': ({ id }) => {
        this.project().store.classes.delete(id);
        this.emitProject('classes');
        return { ok: true as const };
      },
      'classes.usage': ({ id }) => this.project().store.classes.usage(id),
      'classes.reorder': ({ ids }) => this.project().store.classes.reorder(ids),
      'annotations.list': ({ imageId }) => this.project().store.annotations.listForImage(imageId),
      'annotations.shapes': ({ imageId }) => JSON.parse(this.project().store.annotations.shapesJson(imageId)) as AnnotationColumns,
      'annotations.batch': (ops) => {
        const { touchedImageIds, ...r } = this.project().store.annotations.batch(ops);
        this.emit('project', { reason: 'annotations', imageIds: touchedImageIds });
        return r;
      },
      'edits.reserveIds': ({ table, count }) => this.project().store.edits.reserveIds(table, count),
      'edits.apply': ({ imageId, step, client }) => {
        const { seq, status, ...r } = this.project().store.edits.apply(imageId, step, client);
        this.emitEdit(r, client);
        return { seq, status, applied: r.applied };
      },
      'edits.undo': ({ imageId, key, client }) => {
        const { seq, ...r } = this.project().store.edits.undo(imageId, key, client);
        this.emitEdit(r, client);
        return { seq, applied: r.applied };
      },
      'edits.redo': ({ imageId, key, client }) => {
        const { seq, ...r } = this.project().store.edits.redo(imageId, key, client);
        this.emitEdit(r, client);
        return { seq, applied: r.applied };
      },
      'edits.history': ({ imageId }) => this.project().store.edits.history(imageId),
      ...this.inference.handlers(),
      'datasets.export': (a) => ({ jobId: this.startExport(a) }),
      'datasets.import': (a) => ({ jobId: this.startDatasetImport(a) }),
      'datasets.reveal': ({ path: p }) => {
        this.revealFolder(p);
        return { ok: true as const };
      },
      'predictions.reject': ({ ids, rejected }) => {
        const { updated, imageIds } = new RunsRepo(this.project().store.db).reject(ids, rejected);
        // Predictions, not labels: an editor showing the image does not reload its labels for this.
        this.emit('project', { reason: 'predictions', imageIds });
        return { updated };
      },
      'predictions.acceptAll': async ({ runId, minScore, iouThreshold, dryRun, client }) => {
        await this.runImagesIndexed(runId, `accept the predictions of run ${runId}`);
        const { store } = this.project();
        const { imageIds, ...r } = acceptAcrossProject(store.db, store.edits, { runId, minScore, iouThreshold, dryRun, client });
        if (imageIds.length) this.emit('project', { reason: 'annotations', imageIds, ...(client === undefined ? {} : { client }) });
        return r;
      },
      'eval.run': async ({ runId, iouType }) => {
        await this.runImagesIndexed(runId, `evaluate run ${runId}`);
        return evaluateRun(this.project().store.db, runId, iouType);
      },
      'eval.imageCaption': async ({ runId, imageId }) => {
        await this.runImagesIndexed(runId, `score run ${runId}`);
        return imageCaptionScore(this.project().store.db, runId, imageId);
      },
      'jobs.list': () => this.jobs.list(),
      'jobs.get': ({ id }) => this.jobs.get(id),
      'jobs.cancel': ({ id }) => this.jobs.cancel(id),
    };
  }
}
