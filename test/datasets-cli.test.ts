/** `sightline export` and `sightline import-dataset` as a user runs them: the --json summaries are a contract. */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppCore } from '../electron/core/app.js';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin/sightline.mjs');
let tmp: string;
let env: NodeJS.ProcessEnv;

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', cwd: tmp });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-datasets-cli-'));
  env = { ...process.env, SIGHTLINE_HOME: path.join(tmp, 'home') };
  const photos = path.join(tmp, 'photos');
  mkdirSync(photos);
  for (const f of ['chelsea.jpg', 'coffee.jpg', 'astronaut.png', 'grace_hopper.jpg']) cpSync(path.join(ROOT, 'test/fixtures/images', f), path.join(photos, f));
  expect(run(['import', 'photos', '--project', 'p.sightline', '--json']).code).toBe(0);
  // Labels through the core (the CLI has no labeling command): two classes, one box per image.
  const core = new AppCore({ appDataDir: path.join(tmp, 'home'), transport: 'http' });
  await core.openProject(path.join(tmp, 'p.sightline'));
  const cat = core.store!.classes.upsert({ name: 'cat' });
  const cup = core.store!.classes.upsert({ name: 'cup' });
  const images = core.store!.images.list({ offset: 0, limit: 10, filter: {}, sort: { by: 'path', dir: 'asc' } }).items;
  await core.dispatch('annotations.batch', {
    create: images.map((img, i) => ({ imageId: img.id, classId: i % 2 ? cup.id : cat.id, kind: 'box', geometry: { type: 'box', x: 10, y: 10, w: 50 + i, h: 40 } })),
  });
  await core.close();
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('sightline export / import-dataset', () => {
  it('--help lists both commands', () => {
    const r = run(['--help']);
    expect(r.stdout).toContain('sightline export --project');
    expect(r.stdout).toContain('sightline import-dataset --project');
  });

  it('export --json prints the summary with the contract keys, and the files exist', () => {
    const r = run(['export', '--project', 'p.sightline', '--format', 'yolo', '--out', 'yolo', '--split', 'train=0.5,val=0.5', '--seed', '7', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    for (const k of ['format', 'out', 'images', 'annotations', 'files', 'warnings', 'verified']) expect(s, k).toHaveProperty(k);
    expect(s).toMatchObject({ format: 'yolo', out: path.join(tmp, 'yolo'), images: 4, annotations: 4, verified: true });
    expect(s.files).toEqual(expect.arrayContaining(['data.yaml', 'README.txt']));
    // Stratified: both classes reach both splits (2 cats, 2 cups, half and half).
    for (const split of ['train', 'val']) {
      const labels = readdirSync(path.join(tmp, 'yolo/labels', split)).map((f) => readFileSync(path.join(tmp, 'yolo/labels', split, f), 'utf8'));
      expect(labels.length).toBe(2);
      expect(new Set(labels.map((l) => l[0]))).toEqual(new Set(['0', '1']));
      expect(readdirSync(path.join(tmp, 'yolo/images', split)).length).toBe(2);
    }
    expect(readFileSync(path.join(tmp, 'yolo/data.yaml'), 'utf8')).toMatch(/names:\s*\n\s*0: cat\s*\n\s*1: cup/);
    // The same seed gives the same split.
    const again = run(['export', '--project', 'p.sightline', '--format', 'yolo', '--out', 'yolo', '--split', 'train=0.5,val=0.5', '--seed', '7', '--overwrite', '--json']);
    expect(again.code, again.stderr).toBe(0);
  });

  it('import-dataset --json: dry run first, then for real as predictions', () => {
    const dry = run(['import-dataset', '--project', 'p.sightline', '--format', 'yolo', '--from', 'yolo', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const d = JSON.parse(dry.stdout);
    for (const k of ['images', 'annotations', 'classesAdded', 'unmatched', 'errors', 'run']) expect(d, k).toHaveProperty(k);
    expect(d).toMatchObject({ images: 4, annotations: 4, classesAdded: [], unmatched: [], errors: [], run: null, dryRun: true, written: false });
    const real = run(['import-dataset', '--project', 'p.sightline', '--format', 'yolo', '--from', 'yolo', '--as', 'predictions', '--json']);
    expect(real.code, real.stderr).toBe(0);
    const p = JSON.parse(real.stdout);
    expect(p.run).toBeGreaterThan(0);
    const info = JSON.parse(run(['info', '--project', 'p.sightline', '--json']).stdout);
    expect(info).toMatchObject({ annotations: 4, runs: 1 });
  });

  it('bad input: exit 1, the file and line named, nothing written', () => {
    const bad = path.join(tmp, 'bad.json');
    require('node:fs').writeFileSync(bad, '{"images": [{"id": 1, "file_name": "chelsea.jpg"}],\n"annotations": [{"id": 1, "image_id": 1, "category_id": 3, "bbox": [0,0,1,1]}],\n"categories": []}');
    const r = run(['import-dataset', '--project', 'p.sightline', '--format', 'coco', '--from', 'bad.json', '--json']);
    expect(r.code).toBe(1);
    const s = JSON.parse(r.stdout);
    expect(s.errors[0]).toMatchObject({ file: expect.stringContaining('bad.json'), where: expect.stringContaining('annotations[0]') });
    expect(s.errors[0].problem).toMatch(/categor/);
    expect(JSON.parse(run(['info', '--project', 'p.sightline', '--json']).stdout).annotations).toBe(4);
  });

  it('usage errors exit 2 with a message', () => {
    expect(run(['export', '--project', 'p.sightline', '--format', 'tfrecord', '--out', 'x']).code).toBe(2);
    const r = run(['export', '--project', 'p.sightline', '--format', 'coco', '--out', 'x', '--split', 'train=0.7,val=0.2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/add up to 1/);
    expect(existsSync(path.join(tmp, 'x'))).toBe(false);
  });
});
