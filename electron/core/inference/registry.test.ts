/**
 * ModelRegistry (registry.ts) on a real project file and a real onnxruntime pool: the bundled models under a
 * resources folder, the user's models in the `models` table (what add, updateManifest, remove and ensureRow write
 * there), and the errors a person sees for a missing file, a file that is not ONNX, a manifest that disagrees
 * with its graph or a taken name. The graphs are the tiny test fixtures, so inspecting one costs milliseconds.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../../common/api/contract.js';
import { tempProject } from '../library/test-helpers.js';
import { InferencePool } from './pool.js';
import { ModelRegistry } from './registry.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const NAN = path.join(ROOT, 'test/fixtures/onnx/nan-when-dark.onnx');
const ENCODER = path.join(ROOT, 'test/fixtures/onnx/tiny-captioner-encoder.onnx');
const STEP = path.join(ROOT, 'test/fixtures/onnx/tiny-captioner-step.onnx');
const CAPTIONER = JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/onnx/tiny-captioner.json'), 'utf8')) as Record<string, unknown>;

const pool = new InferencePool();
afterAll(() => pool.close());

/** The fixture classifier-localizer's manifest (8 × 8 RGB in, logits [1, 2] and box [1, 4] out). */
const clsLoc = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  kind: 'classifier-localizer',
  decoder: 'cls-loc',
  files: { model: 'net.onnx' },
  input: { resize: 'stretch', width: 8, height: 8 },
  classes: ['dim', 'other'],
  ...extra,
});

let project: ReturnType<typeof tempProject>;
let res: string;
let registry: ModelRegistry;
const db = () => project.store.db;
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const rows = () => db().prepare('SELECT name, kind, file, sha256, manifest FROM models ORDER BY id').all() as { name: string; kind: string; file: string; sha256: string; manifest: string }[];

/** resources/models/<dir>/ with the fixture graph as net.onnx and the manifest given (a string is written as is). */
function bundle(dir: string, manifest: object | string | null): string {
  const d = path.join(res, 'models', dir);
  mkdirSync(d, { recursive: true });
  copyFileSync(NAN, path.join(d, 'net.onnx'));
  if (manifest !== null) writeFileSync(path.join(d, 'manifest.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
  return d;
}

/** A user model's folder: the fixture graph as net.onnx and manifest.json beside it. */
function userFolder(name: string, manifest: object): string {
  const d = path.join(project.dir, name);
  mkdirSync(d, { recursive: true });
  copyFileSync(NAN, path.join(d, 'net.onnx'));
  writeFileSync(path.join(d, 'manifest.json'), JSON.stringify(manifest));
  return path.join(d, 'manifest.json');
}

/** Protobuf bytes: a varint, a length-delimited field, a varint field. */
const varint = (n: number): number[] => {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
};
const field = (no: number, body: number[] | string): number[] => {
  const bytes = typeof body === 'string' ? [...Buffer.from(body)] : body;
  return [...varint((no << 3) | 2), ...varint(bytes.length), ...bytes];
};
const num = (no: number, n: number): number[] => [...varint(no << 3), ...varint(n)];
/** An ONNX graph no decoder reads: y = Identity(x), float32 [1, 5] (ModelProto written field by field, onnx.proto3). */
function identityOnnx(): Buffer {
  const tensor = (name: string) => field(2, field(1, [...num(1, 1), ...field(2, [...field(1, num(1, 1)), ...field(1, num(1, 5))])])).concat(field(1, name));
  const graph = [...field(1, [...field(1, 'x'), ...field(2, 'y'), ...field(4, 'Identity')]), ...field(2, 'g'), ...field(11, tensor('x')), ...field(12, tensor('y'))];
  return Buffer.from([...num(1, 8), ...field(7, graph), ...field(8, [...field(1, ''), ...num(2, 13)])]);
}

async function apiError(p: Promise<unknown> | (() => unknown)): Promise<ApiError> {
  let e: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (x) {
    e = x;
  }
  expect(e).toBeInstanceOf(ApiError);
  return e as ApiError;
}

beforeEach(() => {
  project = tempProject();
  res = path.join(project.dir, 'resources');
  registry = new ModelRegistry(res, pool);
});
afterEach(() => project.cleanup());

describe('bundled models', () => {
  it('none when the resources folder has no models folder', () => {
    expect(registry.bundled()).toEqual([]);
    expect(registry.list(null)).toEqual([]);
  });

  it('one per folder with a manifest.json, sorted by folder, named by the manifest; a broken one says why', () => {
    // Made in neither sorted nor reverse order.
    bundle('d-wrong', { name: 'wrong', kind: 'detector', decoder: 'yolo-nine' });
    bundle('a-broken', '{"name": "broken", ');
    bundle('c-empty', null); // no manifest: not a model
    bundle('b-face', clsLoc('face'));
    const list = registry.bundled();
    expect(list.map((m) => [m.name, m.source, m.dir, m.manifestPath])).toEqual([
      ['a-broken', 'bundled', path.join(res, 'models', 'a-broken'), path.join(res, 'models', 'a-broken', 'manifest.json')],
      ['face', 'bundled', path.join(res, 'models', 'b-face'), path.join(res, 'models', 'b-face', 'manifest.json')],
      ['d-wrong', 'bundled', path.join(res, 'models', 'd-wrong'), path.join(res, 'models', 'd-wrong', 'manifest.json')],
    ]);
    expect(list[0].manifest).toBeNull();
    expect(list[0].problem).toMatch(/JSON/);
    expect(list[1].manifest).toMatchObject({ name: 'face', decoder: 'cls-loc', files: { model: 'net.onnx' } });
    expect(list[1].problem).toBeUndefined();
    expect(list[2].manifest).toBeNull();
    expect(list[2].problem).toMatch(new RegExp(`^The manifest ${path.join(res, 'models', 'd-wrong', 'manifest.json').replace(/[/.]/g, '\\$&')} has wrong or missing fields: .*decoder: `));
  });

  it('find: a broken model cannot be used; an unknown one lists the known, and says when no project is open', async () => {
    bundle('face', clsLoc('face'));
    bundle('zz', '[');
    expect(registry.find(null, 'face').manifest.name).toBe('face');
    const broken = await apiError(() => registry.find(null, 'zz'));
    expect(broken.code).toBe('invalid_file');
    expect(broken.message).toMatch(/^Model "zz" cannot be used: /);
    expect(broken.details).toEqual({ file: path.join(res, 'models', 'zz', 'manifest.json') });
    const none = await apiError(() => registry.find(null, 'owl'));
    expect(none).toMatchObject({ code: 'not_found', message: 'There is no model named "owl" (no project is open, so only bundled models are known). Models: face, zz.' });
    const inProject = await apiError(() => registry.find(db(), 'owl'));
    expect(inProject.message).toBe('There is no model named "owl". Models: face, zz.');
    const empty = new ModelRegistry(path.join(project.dir, 'nothing'), pool);
    expect((await apiError(() => empty.find(db(), 'owl'))).message).toBe('There is no model named "owl". Models: none.');
  });

  it('ensureRow: a row the first time, the same row after, refreshed when the bundled files change', async () => {
    const dir = bundle('face', clsLoc('face'));
    const m = registry.find(db(), 'face');
    const id = registry.ensureRow(db(), m);
    const first = rows();
    expect(first).toEqual([{ name: 'face', kind: 'classifier-localizer', file: path.join(dir, 'net.onnx'), sha256: sha(NAN), manifest: JSON.stringify(m.manifest) }]);
    expect(registry.ensureRow(db(), registry.find(db(), 'face'))).toBe(id);
    expect(rows()).toEqual(first);
    // A new version of the bundled manifest and graph: the same row, brought up to date.
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(clsLoc('face', { title: 'Face v2' })));
    const changed = registry.find(db(), 'face');
    expect(registry.ensureRow(db(), changed)).toBe(id);
    expect(rows()).toEqual([{ ...first[0], manifest: JSON.stringify(changed.manifest) }]);
    // The graph alone replaced: its new hash.
    copyFileSync(STEP, path.join(dir, 'net.onnx'));
    expect(registry.ensureRow(db(), changed)).toBe(id);
    expect(rows()).toEqual([{ ...first[0], sha256: sha(STEP), manifest: JSON.stringify(changed.manifest) }]);
    expect(JSON.parse(rows()[0].manifest).title).toBe('Face v2');
  });

  it('a bundled name shadows a project row of the same name; imported-prediction rows are not models', async () => {
    bundle('face', clsLoc('face'));
    await registry.add(db(), userFolder('mine', clsLoc('mine')));
    db().prepare(`INSERT INTO models (name, kind, file, sha256, manifest, added_at) VALUES ('face', 'classifier-localizer', '/x.onnx', '', '{}', 0)`).run();
    db().prepare(`INSERT INTO models (name, kind, file, sha256, manifest, added_at) VALUES ('imported: a.json (coco)', 'imported', '/a.json', '', '{}', 0)`).run();
    expect(registry.list(db()).map((m) => [m.name, m.source])).toEqual([
      ['face', 'bundled'],
      ['mine', 'user'],
    ]);
  });
});

describe('user models', () => {
  it('add from a manifest.json: the row holds absolute files, the graph hash and the manifest', async () => {
    const file = userFolder('m', clsLoc('owl', { title: 'Owl finder' }));
    const m = await registry.add(db(), file);
    const graph = path.join(project.dir, 'm', 'net.onnx');
    expect(m).toMatchObject({ name: 'owl', source: 'user', manifestPath: db().name, dir: path.join(project.dir, 'm') });
    expect(m.manifest.files).toEqual({ model: graph });
    const [row] = rows();
    expect(row).toMatchObject({ name: 'owl', kind: 'classifier-localizer', file: graph, sha256: sha(NAN) });
    expect(JSON.parse(row.manifest)).toEqual(m.manifest);
    // Listed after the bundled ones, read back from the row.
    bundle('face', clsLoc('face'));
    const listed = registry.list(db());
    expect(listed.map((x) => x.name)).toEqual(['face', 'owl']);
    expect(listed[1]).toMatchObject({ source: 'user', manifestPath: db().name, dir: path.join(project.dir, 'm'), manifest: m.manifest });
    expect(registry.ensureRow(db(), registry.find(db(), 'owl'))).toBe(db().prepare('SELECT id FROM models WHERE name = ?').pluck().get('owl'));
  });

  it('add an encoder + decoder-step pair: both files made absolute, the row names the first', async () => {
    const d = path.join(project.dir, 'cap');
    mkdirSync(d);
    copyFileSync(ENCODER, path.join(d, 'tiny-captioner-encoder.onnx'));
    copyFileSync(STEP, path.join(d, 'tiny-captioner-step.onnx'));
    writeFileSync(path.join(d, 'manifest.json'), JSON.stringify(CAPTIONER));
    const m = await registry.add(db(), path.join(d, 'manifest.json'));
    expect(m.manifest.files).toEqual({ encoder: path.join(d, 'tiny-captioner-encoder.onnx'), decoderStep: path.join(d, 'tiny-captioner-step.onnx') });
    expect(rows()[0]).toMatchObject({ name: 'tiny-captioner', kind: 'captioner', file: path.join(d, 'tiny-captioner-encoder.onnx'), sha256: sha(ENCODER) });
    expect(Object.keys(await registry.io(m))).toEqual([path.join(d, 'tiny-captioner-encoder.onnx'), path.join(d, 'tiny-captioner-step.onnx')]);
  });

  it('add an ONNX file alone: the proposed manifest, named after the file', async () => {
    const file = path.join(project.dir, 'My Model (v2).onnx');
    copyFileSync(NAN, file);
    const m = await registry.add(db(), file);
    expect(m.manifest).toMatchObject({ name: 'my-model-v2', kind: 'classifier-localizer', decoder: 'cls-loc', files: { model: file }, classes: ['class0', 'class1'] });
    expect(rows().map((r) => r.name)).toEqual(['my-model-v2']);
    // A name made only of other characters falls back to "model"; a long one keeps 64 characters.
    const odd = path.join(project.dir, '___.onnx');
    copyFileSync(NAN, odd);
    expect((await registry.add(db(), odd)).name).toBe('model');
    const trimmed = path.join(project.dir, '__x__.onnx');
    copyFileSync(NAN, trimmed);
    expect((await registry.add(db(), trimmed)).name).toBe('x');
    const long = path.join(project.dir, `${'a'.repeat(70)}.onnx`);
    copyFileSync(NAN, long);
    expect((await registry.add(db(), long)).name).toBe('a'.repeat(64));
  });

  it('add an ONNX file with the manifest given: its file is the ONNX file', async () => {
    const file = path.join(project.dir, 'net.onnx');
    copyFileSync(NAN, file);
    const { files: _files, ...raw } = clsLoc('given');
    const m = await registry.add(db(), file, raw);
    expect(m.manifest.files).toEqual({ model: file });
    expect(rows()[0]).toMatchObject({ name: 'given', file });
  });

  it('add refuses, naming the file: a path that does not exist, a JSON that is not, a graph no decoder reads', async () => {
    const missing = path.join(project.dir, 'none.onnx');
    expect(await apiError(registry.add(db(), missing))).toMatchObject({ code: 'not_found', message: `${missing} does not exist. Check the path.`, details: { file: missing } });
    const bad = path.join(project.dir, 'bad.json');
    writeFileSync(bad, '{"name": ');
    const e = await apiError(registry.add(db(), bad));
    expect(e.code).toBe('invalid_file');
    expect(e.message).toMatch(new RegExp(`^${bad.replace(/[/.]/g, '\\$&')} is not a JSON manifest: `));
    expect(e.details).toEqual({ file: bad });
    const identity = path.join(project.dir, 'identity.onnx');
    writeFileSync(identity, identityOnnx());
    const unknown = await apiError(registry.add(db(), identity));
    expect(unknown).toMatchObject({ code: 'bad_request', message: `Sightline cannot tell which decoder reads ${identity} (outputs: y [1, 5]). Add it with a manifest.` });
    expect(unknown.details).toEqual({ io: { inputs: [{ name: 'x', type: 'float32', dims: [1, 5] }], outputs: [{ name: 'y', type: 'float32', dims: [1, 5] }] } });
    // An encoder alone is seen as half a captioner, whose proposal lacks its decoder step: the person is told.
    const enc = path.join(project.dir, 'encoder.onnx');
    copyFileSync(ENCODER, enc);
    const half = await apiError(registry.add(db(), enc));
    expect(half.code).toBe('bad_request');
    expect(half.message).toMatch(new RegExp(`^The manifest proposed for ${enc.replace(/[/.]/g, '\\$&')} \\(.+\\) has wrong or missing fields: `));
    const text = path.join(project.dir, 'notes.onnx');
    writeFileSync(text, 'not a graph');
    const notOnnx = await apiError(registry.add(db(), text));
    expect(notOnnx.code).toBe('invalid_file');
    expect(notOnnx.message).toMatch(new RegExp(`^${text.replace(/[/.]/g, '\\$&')} is not an ONNX model: `));
    expect(notOnnx.details).toEqual({ file: text });
    expect(rows()).toEqual([]);
  });

  it('a manifest with wrong fields: every problem by its path, "(manifest)" for the whole, where it came from', async () => {
    const file = path.join(project.dir, 'net.onnx');
    copyFileSync(NAN, file);
    const { files: _files, ...ok } = clsLoc('ok');
    const e = await apiError(registry.add(db(), file, { ...ok, name: 'Bad Name', input: { resize: 'stretch', width: -1, height: 8 } }));
    expect(e.code).toBe('bad_request');
    expect(e.message).toMatch(new RegExp(`^The manifest for ${file.replace(/[/.]/g, '\\$&')} has wrong or missing fields: name: lowercase letters, digits, "\\.", "_" and "-"; input\\.width: .+\\.$`));
    expect((e.details as { issues: unknown[] }).issues).toHaveLength(2);
    const whole = path.join(project.dir, 'list.json');
    writeFileSync(whole, '[1, 2]');
    expect((await apiError(registry.add(db(), whole))).message).toMatch(new RegExp(`^The manifest ${whole.replace(/[/.]/g, '\\$&')} has wrong or missing fields: \\(manifest\\): `));
  });

  it('add refuses a manifest that disagrees with its graph, listing how, and writes nothing', async () => {
    const file = userFolder('m', clsLoc('owl', { input: { name: 'pixels', resize: 'stretch', width: 8, height: 8 } }));
    const e = await apiError(registry.add(db(), file));
    const graph = path.join(project.dir, 'm', 'net.onnx');
    expect(e.code).toBe('invalid_file');
    expect(e.message).toMatch(new RegExp(`^${graph.replace(/[/.]/g, '\\$&')} does not match the manifest of "owl": .*pixels`));
    expect(e.details).toMatchObject({ file: graph, mismatches: [expect.stringContaining('pixels')] });
    expect(rows()).toEqual([]);
    // Two disagreements, both listed; a captioner names both of its graphs.
    const two = await apiError(registry.add(db(), userFolder('m2', clsLoc('owl', { input: { name: 'pixels', resize: 'stretch', width: 8, height: 8 }, outputs: { logits: 'scores', box: 'box' } }))));
    expect((two.details as { mismatches: string[] }).mismatches).toHaveLength(2);
    expect(two.message).toBe(`${path.join(project.dir, 'm2', 'net.onnx')} does not match the manifest of "owl": ${(two.details as { mismatches: string[] }).mismatches.join('; ')}.`);
    const d = path.join(project.dir, 'cap');
    mkdirSync(d);
    copyFileSync(ENCODER, path.join(d, 'tiny-captioner-encoder.onnx'));
    copyFileSync(STEP, path.join(d, 'tiny-captioner-step.onnx'));
    writeFileSync(path.join(d, 'manifest.json'), JSON.stringify({ ...CAPTIONER, input: { ...(CAPTIONER.input as object), name: 'pixels' } }));
    const cap = await apiError(registry.add(db(), path.join(d, 'manifest.json')));
    expect(cap.message.startsWith(`${path.join(d, 'tiny-captioner-encoder.onnx')} + ${path.join(d, 'tiny-captioner-step.onnx')} does not match the manifest of "tiny-captioner": `)).toBe(true);
    expect(cap.details).toMatchObject({ file: path.join(d, 'tiny-captioner-encoder.onnx') });
  });

  it('names are taken once: by a bundled model or by a project model', async () => {
    bundle('face', clsLoc('face'));
    const taken = await apiError(registry.add(db(), userFolder('a', clsLoc('face'))));
    expect(taken).toMatchObject({ code: 'conflict', message: '"face" is the name of a bundled model. Give the manifest another name.' });
    await registry.add(db(), userFolder('b', clsLoc('owl')));
    const again = await apiError(registry.add(db(), userFolder('c', clsLoc('owl'))));
    expect(again).toMatchObject({ code: 'conflict', message: 'A model named "owl" already exists in this project. Give the manifest another name, or remove that model first.' });
    expect(rows().map((r) => r.name)).toEqual(['owl']);
  });

  it('updateManifest: rewrites the row (files kept), may rename to a free name, never a bundled model', async () => {
    bundle('face', clsLoc('face'));
    await registry.add(db(), userFolder('m', clsLoc('owl')));
    await registry.add(db(), userFolder('n', clsLoc('hawk')));
    const { files: _files, ...owl2 } = clsLoc('owl', { title: 'Owl v2' });
    const m = await registry.updateManifest(db(), 'owl', owl2);
    expect(m.manifest.files).toEqual({ model: path.join(project.dir, 'm', 'net.onnx') });
    expect(JSON.parse(rows()[0].manifest).title).toBe('Owl v2');
    const { files: _f, ...renamed } = clsLoc('barn-owl');
    await registry.updateManifest(db(), 'owl', renamed);
    expect(rows().map((r) => r.name)).toEqual(['barn-owl', 'hawk']);
    expect(await apiError(registry.updateManifest(db(), 'barn-owl', { ...renamed, name: 'hawk' }))).toMatchObject({ code: 'conflict' });
    const bundled = await apiError(registry.updateManifest(db(), 'face', renamed));
    expect(bundled).toMatchObject({ code: 'bad_request', message: '"face" is a bundled model; its manifest cannot be edited. Add a copy of it under another name.' });
    // Files given relative to a folder named with them.
    const elsewhere = path.join(project.dir, 'elsewhere');
    mkdirSync(elsewhere);
    copyFileSync(NAN, path.join(elsewhere, 'moved.onnx'));
    const moved = await registry.updateManifest(db(), 'hawk', { ...renamed, name: 'hawk', files: { model: 'moved.onnx' } }, elsewhere);
    expect(moved.manifest.files).toEqual({ model: path.join(elsewhere, 'moved.onnx') });
    expect(rows()[1]).toMatchObject({ name: 'hawk', file: path.join(elsewhere, 'moved.onnx') });
    const wrong = await apiError(registry.updateManifest(db(), 'hawk', { decoder: 'nope' }));
    expect(wrong.code).toBe('bad_request');
    expect(wrong.message).toMatch(/^The manifest for "hawk" has wrong or missing fields: .*decoder: /);
    expect(rows().map((r) => r.name)).toEqual(['barn-owl', 'hawk']);
  });

  it('remove: the row goes; a bundled model or an unknown name is refused', async () => {
    bundle('face', clsLoc('face'));
    bundle('other', clsLoc('other'));
    await registry.add(db(), userFolder('m', clsLoc('owl')));
    expect(await apiError(() => registry.remove(db(), 'face'))).toMatchObject({ code: 'bad_request', message: '"face" is a bundled model and cannot be removed.' });
    expect(await apiError(() => registry.remove(db(), 'hawk'))).toMatchObject({ code: 'not_found', message: 'There is no model named "hawk" in this project.' });
    registry.remove(db(), 'owl');
    expect(rows()).toEqual([]);
  });

  it('a row whose manifest no longer reads is listed as invalid with its problem', async () => {
    await registry.add(db(), userFolder('m', clsLoc('owl')));
    db().prepare(`UPDATE models SET manifest = '{"name": "owl"}'`).run();
    const [m] = registry.list(db());
    expect(m.manifest).toBeNull();
    expect(m.problem).toMatch(/^The manifest of model "owl" has wrong or missing fields: /);
    const info = await registry.info(db(), m);
    expect(info).toMatchObject({ name: 'owl', kind: 'invalid', title: 'owl', decoder: '', license: 'unknown', description: m.problem, io: {} });
  });
});

describe('graphs', () => {
  it('inspectFile: what does not exist, a folder, and a file that is not ONNX; a graph is read once while unchanged', async () => {
    const missing = path.join(project.dir, 'x.onnx');
    expect(await apiError(registry.inspectFile(missing))).toMatchObject({ code: 'not_found', message: `${missing} does not exist. Check the path.`, details: { file: missing } });
    expect(await apiError(registry.inspectFile(project.dir))).toMatchObject({ code: 'invalid_file', message: `${project.dir} is not a file.`, details: { file: project.dir } });
    const file = path.join(project.dir, 'net.onnx');
    copyFileSync(NAN, file);
    const io = await registry.inspectFile(file);
    expect(io).toEqual({
      inputs: [{ name: 'image', type: 'float32', dims: [1, 3, 8, 8] }],
      outputs: [
        { name: 'logits', type: 'float32', dims: [1, 2] },
        { name: 'box', type: 'float32', dims: [1, 4] },
      ],
    });
    expect(await registry.inspectFile(file)).toBe(io);
    // Replaced by another graph (another size): read again.
    copyFileSync(STEP, file);
    expect((await registry.inspectFile(file)).inputs.map((i) => i.name)).toEqual(['token', 'h', 'c', 'features']);
  });

  it("info: the graphs' IO, the manifest, and the provider the last run got", async () => {
    await registry.add(db(), userFolder('m', clsLoc('owl', { title: 'Owl', description: 'finds owls', license: 'MIT' })));
    const m = registry.find(db(), 'owl');
    const graph = path.join(project.dir, 'm', 'net.onnx');
    const info = await registry.info(db(), m);
    expect(info).toMatchObject({ name: 'owl', source: 'user', title: 'Owl', kind: 'classifier-localizer', decoder: 'cls-loc', license: 'MIT', description: 'finds owls', provider: null });
    expect(Object.keys(info.io)).toEqual([graph]);
    const id = db().prepare('SELECT id FROM models WHERE name = ?').pluck().get('owl');
    db().prepare(`INSERT INTO model_runs (model_id, provider, status, started_at) VALUES (?, 'cpu', 'done', 1), (?, NULL, 'failed', 2)`).run(id, id);
    expect((await registry.info(db(), m)).provider).toBe('cpu');
    // No project, or one closed while a listing was under way: no provider to tell, and no error.
    expect((await registry.info(null, m)).provider).toBeNull();
    const other = tempProject();
    other.store.close();
    expect((await registry.info(other.store.db, m)).provider).toBeNull();
    other.cleanup();
    // The graph gone: the model is listed as invalid, saying why.
    writeFileSync(graph, 'gone');
    const broken = await registry.info(db(), m);
    expect(broken.kind).toBe('invalid');
    expect(broken.description).toMatch(/is not an ONNX model/);
  });
});

describe('text models', () => {
  it("runtime: a text detector brings its recognizer, the alphabet read inline, every file absolute (the bundled PP-OCR pair)", async () => {
    const bundled = new ModelRegistry(ROOT, pool);
    const det = bundled.find(null, 'ppocr-det');
    const rt = await bundled.runtime(null, det);
    expect(rt.name).toBe('ppocr-det');
    expect(rt.manifest.files).toEqual({ model: path.join(ROOT, 'models/ppocr-det/model.onnx') });
    expect(rt.recognizer?.name).toBe('ppocr-rec');
    expect(rt.recognizer?.manifest.files).toEqual({ model: path.join(ROOT, 'models/ppocr-rec/model.onnx') });
    const keys = readFileSync(path.join(ROOT, 'models/ppocr-rec/ppocr_keys_v1.txt'), 'utf8').split(/\r?\n/).filter((l) => l !== '');
    const alphabet = rt.recognizer?.manifest.textRecognizer?.alphabet ?? [];
    expect(alphabet.length).toBeGreaterThanOrEqual(keys.length);
    expect(alphabet.slice(0, 3)).toEqual(keys.slice(0, 3));
    expect(rt.recognizer?.recognizer).toBeUndefined();
  });

  it('a recognizer that is not one, and an alphabet file that cannot be read, are refused by name', async () => {
    const bundled = new ModelRegistry(ROOT, pool);
    const detManifest = JSON.parse(readFileSync(path.join(ROOT, 'models/ppocr-det/manifest.json'), 'utf8')) as { textDetector: Record<string, unknown> };
    const d = path.join(project.dir, 'det');
    mkdirSync(d);
    writeFileSync(path.join(d, 'manifest.json'), JSON.stringify({ ...detManifest, name: 'my-det', files: { model: path.join(ROOT, 'models/ppocr-det/model.onnx') }, textDetector: { ...detManifest.textDetector, recognizer: 'blazeface' } }));
    await bundled.add(db(), path.join(d, 'manifest.json'));
    const e = await apiError(bundled.runtime(db(), bundled.find(db(), 'my-det')));
    expect(e).toMatchObject({ code: 'bad_request', message: 'Model "my-det" names "blazeface" as its recognizer, but that is a keypoints, not a text-recognizer.' });

    const recManifest = JSON.parse(readFileSync(path.join(ROOT, 'models/ppocr-rec/manifest.json'), 'utf8')) as Record<string, unknown>;
    const r = path.join(project.dir, 'rec');
    mkdirSync(r);
    const recFile = { ...recManifest, name: 'my-rec', files: { model: path.join(ROOT, 'models/ppocr-rec/model.onnx') }, textRecognizer: { alphabetFile: 'keys.txt' } };
    writeFileSync(path.join(r, 'manifest.json'), JSON.stringify(recFile));
    const missing = await apiError(bundled.add(db(), path.join(r, 'manifest.json')));
    expect(missing).toMatchObject({ code: 'not_found', message: `The alphabet file of model "my-rec" cannot be read: ${path.join(r, 'keys.txt')} (ENOENT).`, details: { file: path.join(r, 'keys.txt') } });
    // With the file beside it: stored with the alphabet file's absolute path.
    copyFileSync(path.join(ROOT, 'models/ppocr-rec/ppocr_keys_v1.txt'), path.join(r, 'keys.txt'));
    const added = await bundled.add(db(), path.join(r, 'manifest.json'));
    expect(added.manifest.textRecognizer).toEqual({ alphabetFile: path.join(r, 'keys.txt') });
    expect(JSON.parse(rows().find((x) => x.name === 'my-rec')!.manifest).textRecognizer).toEqual({ alphabetFile: path.join(r, 'keys.txt') });
  });
});
