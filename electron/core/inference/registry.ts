/**
 * Models known to Sightline: bundled ones (`models/<name>/manifest.json` under the resources folder) and the
 * user's, which live in the open project's `models` table (the ONNX path and the manifest, its files made
 * absolute). A bundled model gets a row too the first time it runs, so its runs have a model to point at.
 * Every manifest is checked against its graph before it is stored or run.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { ApiError, type ExecutionProvider, type ModelInfo } from '../../../common/api/contract.js';
import { ModelManifest } from '../../../common/inference/manifest.js';
import { parseAlphabetFile } from '../../../common/inference/decoders/ctc.js';
import { checkManifestAgainstIO, proposeDecoder, type DecoderProposal, type GraphIO } from '../../../common/inference/propose.js';
import type { InferencePool } from './pool.js';
import { graphFiles, type RuntimeModel } from './protocol.js';

export interface RegisteredModel {
  name: string;
  source: 'bundled' | 'user';
  /** bundled: its manifest.json; user: the project file the manifest is saved in. */
  manifestPath: string;
  /** Folder that relative file names in the manifest are resolved against. */
  dir: string;
  /** Null when the manifest is broken; `problem` says how. */
  manifest: ModelManifest | null;
  problem?: string;
}

interface ModelRow {
  id: number;
  name: string;
  file: string;
  sha256: string;
  manifest: string;
}

type Checked = RegisteredModel & { manifest: ModelManifest };

/** "name: problem; name: problem" from a zod error, so a person sees every bad field at once. */
function manifestIssues(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues.map((i) => `${i.path.map(String).join('.') || '(manifest)'}: ${i.message}`).join('; ');
}

export function parseManifest(raw: unknown, where: string): ModelManifest {
  const r = ModelManifest.safeParse(raw);
  if (!r.success) throw new ApiError('bad_request', `The manifest ${where} has wrong or missing fields: ${manifestIssues(r.error)}.`, { issues: r.error.issues });
  return r.data;
}

/** A model name from a file name: the manifest's pattern (lowercase, digits, . _ -). */
function nameFromFile(file: string): string {
  const base = path
    .basename(file, path.extname(file))
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 64)
    .replace(/[^a-z0-9]+$/, '');
  return base || 'model';
}

export class ModelRegistry {
  private readonly ioCache = new Map<string, { key: string; io: GraphIO }>();
  private readonly hashCache = new Map<string, { key: string; sha: string }>();

  constructor(
    private readonly resourcesDir: string,
    private readonly pool: InferencePool,
  ) {}

  // ------------------------------------------------------------ listing

  bundled(): RegisteredModel[] {
    const root = path.join(this.resourcesDir, 'models');
    let dirs: string[];
    try {
      dirs = readdirSync(root, { withFileTypes: true })
        .filter((d) => d.isDirectory() && existsSync(path.join(root, d.name, 'manifest.json')))
        .map((d) => d.name)
        .sort();
    } catch {
      return [];
    }
    return dirs.map((dirName) => {
      const dir = path.join(root, dirName);
      const manifestPath = path.join(dir, 'manifest.json');
      const base = { name: dirName, source: 'bundled' as const, manifestPath, dir };
      try {
        const manifest = parseManifest(JSON.parse(readFileSync(manifestPath, 'utf8')), manifestPath);
        return { ...base, name: manifest.name, manifest };
      } catch (e) {
        return { ...base, manifest: null, problem: (e as Error).message };
      }
    });
  }

  private rows(db: Database): ModelRow[] {
    // 'imported' rows stand for datasets imported as predictions (issue 8): runs without a model file.
    return db.prepare(`SELECT id, name, file, sha256, manifest FROM models WHERE kind != 'imported' ORDER BY name`).all() as ModelRow[];
  }

  private userModel(db: Database, row: ModelRow): RegisteredModel {
    const base = { name: row.name, source: 'user' as const, manifestPath: db.name, dir: path.dirname(row.file) };
    try {
      return { ...base, manifest: parseManifest(JSON.parse(row.manifest), `of model "${row.name}"`) };
    } catch (e) {
      return { ...base, manifest: null, problem: (e as Error).message };
    }
  }

  /** Bundled models, then the project's own; a bundled name always means the bundled model. */
  list(db: Database | null): RegisteredModel[] {
    const bundled = this.bundled();
    const names = new Set(bundled.map((m) => m.name));
    const user = db ? this.rows(db).filter((r) => !names.has(r.name)).map((r) => this.userModel(db, r)) : [];
    return [...bundled, ...user];
  }

  find(db: Database | null, name: string): Checked {
    const all = this.list(db);
    const m = all.find((x) => x.name === name);
    if (!m) {
      const known = all.map((x) => x.name).join(', ') || 'none';
      throw new ApiError('not_found', `There is no model named "${name}"${db ? '' : ' (no project is open, so only bundled models are known)'}. Models: ${known}.`);
    }
    if (!m.manifest) throw new ApiError('invalid_file', `Model "${name}" cannot be used: ${m.problem}`, { file: m.manifestPath });
    return m as Checked;
  }

  // ------------------------------------------------------------ graphs

  private abs(m: { dir: string }, file: string): string {
    return path.resolve(m.dir, file);
  }

  /** A file's IO through onnxruntime, cached while the file is unchanged. */
  async inspectFile(file: string): Promise<GraphIO> {
    let st;
    try {
      st = statSync(file);
    } catch {
      throw new ApiError('not_found', `${file} does not exist. Check the path.`, { file });
    }
    if (!st.isFile()) throw new ApiError('invalid_file', `${file} is not a file.`, { file });
    const key = `${st.size}:${st.mtimeMs}`;
    const hit = this.ioCache.get(file);
    if (hit?.key === key) return hit.io;
    let io: GraphIO;
    try {
      io = await this.pool.inspect(file);
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw new ApiError('invalid_file', `${file} is not an ONNX model: ${(e as Error).message}`, { file });
    }
    this.ioCache.set(file, { key, io });
    return io;
  }

  /** Inputs and outputs per graph file, keyed by the file name as the manifest gives it. */
  async io(m: Checked): Promise<Record<string, GraphIO>> {
    const out: Record<string, GraphIO> = {};
    for (const f of graphFiles(m.manifest)) out[f] = await this.inspectFile(this.abs(m, f));
    return out;
  }

  /** The manifest with its alphabet file read, as the decoders and the graph check need it. */
  private withAlphabet(m: { dir: string; manifest: ModelManifest }): ModelManifest {
    const rec = m.manifest.textRecognizer;
    if (!rec?.alphabetFile || rec.alphabet) return m.manifest;
    const file = this.abs(m, rec.alphabetFile);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ApiError('not_found', `The alphabet file of model "${m.manifest.name}" cannot be read: ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`, { file });
    }
    return { ...m.manifest, textRecognizer: { ...rec, alphabet: parseAlphabetFile(text) } };
  }

  /** Throws invalid_file naming the graph file and every way the manifest disagrees with it. */
  async check(m: { name: string; dir: string; manifest: ModelManifest }): Promise<void> {
    const manifest = this.withAlphabet(m);
    const files = graphFiles(manifest).map((f) => this.abs(m, f));
    const ios = [];
    for (const f of files) ios.push(await this.inspectFile(f));
    const problems = checkManifestAgainstIO(manifest, ios.length === 2 ? { encoder: ios[0], decoderStep: ios[1] } : ios[0]);
    if (problems.length) {
      const file = files.length === 2 ? `${files[0]} + ${files[1]}` : files[0];
      throw new ApiError('invalid_file', `${file} does not match the manifest of "${manifest.name}": ${problems.join('; ')}.`, { file: files[0], mismatches: problems });
    }
  }

  /** What the worker needs: absolute files, the alphabet inline, the recogniser of a text detector resolved. */
  async runtime(db: Database | null, m: Checked): Promise<RuntimeModel> {
    await this.check(m);
    const manifest = this.withAlphabet(m);
    const files = 'model' in manifest.files
      ? { model: this.abs(m, manifest.files.model) }
      : { encoder: this.abs(m, manifest.files.encoder), decoderStep: this.abs(m, manifest.files.decoderStep) };
    const out: RuntimeModel = { name: m.name, manifest: { ...manifest, files } };
    const recName = manifest.textDetector?.recognizer;
    if (recName) {
      const rec = this.find(db, recName);
      if (rec.manifest.kind !== 'text-recognizer') {
        throw new ApiError('bad_request', `Model "${m.name}" names "${recName}" as its recognizer, but that is a ${rec.manifest.kind}, not a text-recognizer.`);
      }
      out.recognizer = await this.runtime(db, rec);
    }
    return out;
  }

  proposal(io: GraphIO, file: string): DecoderProposal | null {
    return proposeDecoder(io, { name: nameFromFile(file), file: path.basename(file) });
  }

  // ------------------------------------------------------------ info

  async info(db: Database | null, m: RegisteredModel): Promise<ModelInfo> {
    const base = {
      name: m.name,
      source: m.source,
      manifestPath: m.manifestPath,
      provider: this.provider(db, m.name),
    };
    if (!m.manifest) {
      return { ...base, title: m.name, kind: 'invalid', decoder: '', manifest: {}, license: 'unknown', description: m.problem ?? '', io: {} };
    }
    let io: Record<string, GraphIO> = {};
    let problem = '';
    try {
      io = await this.io(m as Checked);
    } catch (e) {
      problem = (e as Error).message;
    }
    const mf = m.manifest;
    return {
      ...base,
      title: mf.title ?? mf.name,
      kind: problem ? 'invalid' : mf.kind,
      decoder: mf.decoder,
      manifest: mf as unknown as Record<string, unknown>,
      license: mf.license,
      description: problem || mf.description,
      io,
    };
  }

  private provider(db: Database | null, name: string): ExecutionProvider | null {
    const known = this.pool.providers.get(name);
    // `db` was taken before the awaits of a listing: the project may have been closed since (nothing to report then).
    if (known || !db || !db.open) return known ?? null;
    const row = db
      .prepare('SELECT r.provider FROM model_runs r JOIN models m ON m.id = r.model_id WHERE m.name = ? AND r.provider IS NOT NULL ORDER BY r.id DESC LIMIT 1')
      .get(name) as { provider: ExecutionProvider } | undefined;
    return row?.provider ?? null;
  }

  // ------------------------------------------------------------ rows

  private sha256(file: string): string {
    const st = statSync(file);
    const key = `${st.size}:${st.mtimeMs}`;
    const hit = this.hashCache.get(file);
    if (hit?.key === key) return hit.sha;
    const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
    this.hashCache.set(file, { key, sha });
    return sha;
  }

  /** The model's row id; a bundled model's row is created, or refreshed when the bundled files changed. */
  ensureRow(db: Database, m: Checked): number {
    if (m.source === 'user') return (db.prepare('SELECT id FROM models WHERE name = ?').get(m.name) as { id: number }).id;
    const file = this.abs(m, graphFiles(m.manifest)[0]);
    const sha = this.sha256(file);
    const manifest = JSON.stringify(m.manifest);
    const row = db.prepare('SELECT id, file, sha256, manifest FROM models WHERE name = ?').get(m.name) as ModelRow | undefined;
    if (!row) {
      return Number(
        db.prepare('INSERT INTO models (name, kind, file, sha256, manifest, added_at) VALUES (?, ?, ?, ?, ?, ?)').run(m.name, m.manifest.kind, file, sha, manifest, Date.now()).lastInsertRowid,
      );
    }
    if (row.file !== file || row.sha256 !== sha || row.manifest !== manifest) {
      db.prepare('UPDATE models SET kind = ?, file = ?, sha256 = ?, manifest = ? WHERE id = ?').run(m.manifest.kind, file, sha, manifest, row.id);
    }
    return row.id;
  }

  /** Files (and the alphabet file) made absolute, so the stored manifest does not depend on where it came from. */
  private absolutize(manifest: ModelManifest, dir: string): ModelManifest {
    const abs = (f: string) => path.resolve(dir, f);
    const files = 'model' in manifest.files ? { model: abs(manifest.files.model) } : { encoder: abs(manifest.files.encoder), decoderStep: abs(manifest.files.decoderStep) };
    const rec = manifest.textRecognizer;
    return { ...manifest, files, ...(rec?.alphabetFile ? { textRecognizer: { ...rec, alphabetFile: abs(rec.alphabetFile) } } : {}) };
  }

  private assertNameFree(db: Database, name: string, except?: string): void {
    if (name === except) return;
    if (this.bundled().some((b) => b.name === name)) throw new ApiError('conflict', `"${name}" is the name of a bundled model. Give the manifest another name.`);
    if (db.prepare('SELECT 1 FROM models WHERE name = ?').get(name)) throw new ApiError('conflict', `A model named "${name}" already exists in this project. Give the manifest another name, or remove that model first.`);
  }

  private async store(db: Database, manifest: ModelManifest, dir: string, existing?: string): Promise<Checked> {
    const abs = this.absolutize(manifest, dir);
    const m: Checked = { name: abs.name, source: 'user', manifestPath: db.name, dir, manifest: abs };
    await this.check(m);
    this.assertNameFree(db, abs.name, existing);
    const file = graphFiles(abs)[0];
    const values = [abs.name, abs.kind, file, this.sha256(file), JSON.stringify(abs)];
    if (existing === undefined) db.prepare('INSERT INTO models (name, kind, file, sha256, manifest, added_at) VALUES (?, ?, ?, ?, ?, ?)').run(...values, Date.now());
    else db.prepare('UPDATE models SET name = ?, kind = ?, file = ?, sha256 = ?, manifest = ? WHERE name = ?').run(...values, existing);
    return m;
  }

  /**
   * Add a user model from an ONNX file (manifest given, or proposed from the graph) or from a manifest.json
   * whose files are relative to it.
   */
  async add(db: Database, file: string, raw?: Record<string, unknown>): Promise<Checked> {
    const abs = path.resolve(file);
    if (!existsSync(abs)) throw new ApiError('not_found', `${abs} does not exist. Check the path.`, { file: abs });
    const dir = path.dirname(abs);
    if (abs.toLowerCase().endsWith('.json')) {
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(abs, 'utf8'));
      } catch (e) {
        throw new ApiError('invalid_file', `${abs} is not a JSON manifest: ${(e as Error).message}`, { file: abs });
      }
      return this.store(db, parseManifest(raw ?? json, abs), dir);
    }
    if (raw) return this.store(db, parseManifest({ files: { model: path.basename(abs) }, ...raw }, `for ${abs}`), dir);
    const io = await this.inspectFile(abs);
    const proposal = this.proposal(io, abs);
    if (!proposal) {
      throw new ApiError('bad_request', `Sightline cannot tell which decoder reads ${abs} (outputs: ${io.outputs.map((o) => `${o.name} [${o.dims.join(', ')}]`).join(', ')}). Add it with a manifest.`, { io });
    }
    return this.store(db, parseManifest(proposal.manifest, `proposed for ${abs} (${proposal.reason})`), dir);
  }

  /** `dir`: where relative files in `raw` are (default: beside the model's current graph). */
  async updateManifest(db: Database, name: string, raw: Record<string, unknown>, dir?: string): Promise<Checked> {
    const current = this.find(db, name);
    if (current.source !== 'user') throw new ApiError('bad_request', `"${name}" is a bundled model; its manifest cannot be edited. Add a copy of it under another name.`);
    const manifest = parseManifest({ files: current.manifest.files, ...raw }, `for "${name}"`);
    return this.store(db, manifest, dir ?? current.dir, name);
  }

  remove(db: Database, name: string): void {
    if (this.bundled().some((b) => b.name === name)) throw new ApiError('bad_request', `"${name}" is a bundled model and cannot be removed.`);
    if (db.prepare('DELETE FROM models WHERE name = ?').run(name).changes === 0) throw new ApiError('not_found', `There is no model named "${name}" in this project.`);
  }
}
