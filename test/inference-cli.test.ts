/** `sightline predict` and `sightline models` as a user runs them: real processes through bin/sightline.mjs. */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cudaProviderLibrary } from '../electron/core/inference/sessions.js';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin/sightline.mjs');
const FACE = [177, 82, 272, 176];
let tmp: string;
let env: NodeJS.ProcessEnv;
let imageCount: number;

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', cwd: tmp });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-predict-'));
  env = { ...process.env, SIGHTLINE_HOME: path.join(tmp, 'home') };
  cpSync(path.join(ROOT, 'test/fixtures/images'), path.join(tmp, 'photos'), { recursive: true });
  const r = run(['import', 'photos', '--project', 'p.sightline', '--json']);
  expect(r.code, r.stderr).toBe(0);
  imageCount = JSON.parse(r.stdout).imported;
}, 60_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('sightline predict', () => {
  it('--json prints the run, the provider and flat predictions in image pixels', () => {
    const r = run(['predict', '--project', 'p.sightline', '--model', 'blazeface', '--all', '--provider', 'cpu', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ run: 1, model: 'blazeface', provider: 'cpu', images: imageCount, cancelled: false, errors: [] });
    for (const p of out.predictions) {
      expect(Object.keys(p)).toEqual(expect.arrayContaining(['imageId', 'path', 'kind', 'class', 'score']));
      expect(path.isAbsolute(p.path)).toBe(true);
      if (p.kind === 'box') expect(p.bbox).toHaveLength(4);
    }
    const faces = out.predictions.filter((p: { path: string; kind: string }) => p.path.endsWith('astronaut.png') && p.kind === 'box');
    expect(faces).toHaveLength(1);
    const [x, y, w, h] = faces[0].bbox;
    [x, y, x + w, y + h].forEach((v, i) => expect(Math.abs(v - FACE[i])).toBeLessThanOrEqual(5));
    expect(faces[0]).toMatchObject({ class: 'face', keypoints: expect.arrayContaining([expect.objectContaining({ name: 'nose tip' })]) });
    const kp = out.predictions.find((p: { path: string; kind: string }) => p.path.endsWith('astronaut.png') && p.kind === 'keypoints');
    expect(kp.keypoints).toHaveLength(6);
  }, 60_000);

  it('a reader that closes stdout early (| head) ends the command quietly, exit 0', async () => {
    const child = spawn(process.execPath, [BIN, 'predict', '--project', 'p.sightline', '--model', 'blazeface', '--all', '--provider', 'cpu', '--json'], {
      env,
      cwd: tmp,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Closed before the command writes anything: its one write of the JSON meets a closed pipe.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).not.toMatch(/EPIPE|Unhandled|Error:/);
    expect(code).toBe(0);
  }, 60_000);

  it('Ctrl-C cancels the run, keeps what finished and exits 130', async () => {
    const ids = Array.from({ length: 400 }, (_, i) => (i % imageCount) + 1).join(',');
    // The run this command makes is the one after the runs the tests before made.
    const before = new Database(path.join(tmp, 'p.sightline'), { readonly: true });
    const runId = ((before.prepare('SELECT max(id) FROM model_runs').pluck().get() as number | null) ?? 0) + 1;
    before.close();
    const child = spawn(process.execPath, [BIN, 'predict', '--project', 'p.sightline', '--model', 'blazeface', '--images', ids, '--provider', 'cpu', '--json'], {
      env,
      cwd: tmp,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    // Interrupt once this run has stored its first images.
    const db = new Database(path.join(tmp, 'p.sightline'), { readonly: true });
    try {
      const stored = db.prepare(`SELECT count(*) FROM predictions WHERE run_id = ?`).pluck().bind(runId);
      const deadline = Date.now() + 50_000;
      while (Date.now() < deadline && (stored.get() as number) === 0) await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGINT');
    } finally {
      db.close();
    }
    expect(await exited).toBe(130);
    const out = JSON.parse(stdout);
    expect(out.cancelled).toBe(true);
    expect(out.images).toBeGreaterThan(0);
    expect(out.images).toBeLessThan(400);
  }, 60_000);

  it('a manifest.json as --model adds the model to the project; CUDA asked for falls back to the CPU and says so', () => {
    const dir = path.join(tmp, 'mine');
    cpSync(path.join(ROOT, 'models/blazeface'), dir, { recursive: true });
    const manifest = path.join(dir, 'manifest.json');
    writeFileSync(manifest, JSON.stringify({ ...JSON.parse(readFileSync(manifest, 'utf8')), name: 'my-face' }));
    const r = run(['predict', '--project', 'p.sightline', '--model', manifest, '--images', '1', '--provider', 'cuda', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ model: 'my-face', images: 1 });
    if (existsSync(cudaProviderLibrary())) expect(out.provider).toBe('cuda');
    else {
      // No CUDA provider: the run says so on stderr and in the JSON, and runs on the CPU.
      expect(out.provider).toBe('cpu');
      expect(out.warning).toMatch(/CUDA was requested but is not available/);
      expect(r.stderr).toContain(`sightline: warning: ${out.warning}`);
    }
    const list = JSON.parse(run(['models', 'list', '--project', 'p.sightline', '--json']).stdout);
    expect(list.find((m: { name: string }) => m.name === 'my-face')).toMatchObject({ source: 'user', provider: 'cpu' });
  }, 60_000);

  it('usage errors exit 2 before any work', () => {
    const r = run(['predict', '--project', 'p.sightline', '--model', 'blazeface']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--all or --images/);
  }, 60_000);
});

describe('sightline models', () => {
  it('list --json gives every bundled model with its IO', () => {
    const r = run(['models', 'list', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const models = JSON.parse(r.stdout);
    const face = models.find((m: { name: string }) => m.name === 'blazeface');
    expect(face).toMatchObject({ source: 'bundled', kind: 'keypoints', decoder: 'blazeface' });
    expect(face.io['model.onnx'].inputs[0]).toEqual({ name: 'input:0', type: 'float32', dims: [1, 128, 128, 3] });
    // Every registered name the issue promised, each with a valid manifest and its graphs' IO.
    const names = ['blazeface', 'ppocr-det', 'ppocr-rec', 'shapes-yolo', 'shapes-maskrcnn', 'shapes-fcn', 'shapes-caption-rnn', 'shapes-caption-lstm', 'shapes-caption-gru'];
    expect(models.map((m: { name: string }) => m.name)).toEqual(expect.arrayContaining(names));
    for (const name of names) expect(models.find((m: { name: string }) => m.name === name), name).toMatchObject({ source: 'bundled', manifest: { name } });
    const gru = models.find((m: { name: string }) => m.name === 'shapes-caption-gru');
    expect(gru).toMatchObject({ kind: 'captioner', decoder: 'recurrent-captioner' });
    expect(gru.io['decoder_step.onnx'].inputs.map((i: { name: string }) => i.name)).toEqual(['token', 'h', 'features']);
  }, 60_000);

  it('inspect --json gives the IO and the proposed decoder; a file that is not ONNX exits 1 naming it', () => {
    const r = run(['models', 'inspect', path.join(ROOT, 'models/ppocr-det/model.onnx'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.io.inputs.map((i: { name: string }) => i.name)).toEqual(['x']);
    expect(out.proposal).toMatchObject({ kind: 'text-detector', decoder: 'db-text' });

    const bad = path.join(tmp, 'notes.onnx');
    writeFileSync(bad, 'these are my notes, not a model');
    const e = run(['models', 'inspect', bad, '--json']);
    expect(e.code).toBe(1);
    expect(JSON.parse(e.stdout).error.code).toBe('invalid_file');
    expect(e.stderr).toContain(`${bad} is not an ONNX model`);
  }, 60_000);
});
